//! `facesorter`: the command line, and (without a subcommand) the desktop window.

mod cli;

use std::process::ExitCode;

use clap::Parser;
use facesorter_core::error::chain;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            // The whole chain on one line, each cause once (control characters escaped): the edge is where context is shown.
            eprintln!("facesorter: {}", cli::terminal_safe(&chain(err.as_ref())));
            ExitCode::from(2)
        }
    }
}
