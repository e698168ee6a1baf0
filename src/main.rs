//! `facesorter`: the command line, and (without a subcommand) the desktop window.

mod cli;

use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;

use clap::Parser;
use facesorter_core::error::chain;
use facesorter_core::fault::panic_message;

fn main() -> ExitCode {
    quiet_main_thread_panics();
    let args = cli::Cli::parse();
    match panic::catch_unwind(AssertUnwindSafe(|| cli::run(args))) {
        Ok(Ok(code)) => code,
        Ok(Err(err)) => {
            // The whole chain on one line, each cause once (control characters escaped):
            // the edge is where context is shown.
            eprintln!("facesorter: {}", cli::terminal_safe(&chain(err.as_ref())));
            ExitCode::from(2)
        }
        Err(payload) => {
            let message = panic_message(payload.as_ref());
            eprintln!(
                "facesorter: internal error: {}",
                cli::terminal_safe(&message)
            );
            ExitCode::from(101)
        }
    }
}

/// A panic on the main thread is either caught where it happened (the engine turns it into
/// an error naming the stage) or caught above: either way it is reported in one line, so
/// the default hook's message would say it twice. `RUST_BACKTRACE` brings the hook back,
/// and panics on other threads keep it.
fn quiet_main_thread_panics() {
    if std::env::var_os("RUST_BACKTRACE").is_some() {
        return;
    }
    let default = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() != Some("main") {
            default(info);
        }
    }));
}
