//! Ctrl-C for the long commands: the first press sets the cancel flag the indexer and the
//! export already check, so they stop at their next photo and keep what they finished; a
//! second press ends the process at once (for a stage that does not check the flag).

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// Exit status after Ctrl-C: 128 + SIGINT, as shells report a process ended by it.
pub const INTERRUPTED: u8 = 130;

static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// The flag Ctrl-C sets. The handler is installed on the first call; if it cannot be,
/// Ctrl-C keeps its default (ending the process) and the flag is never set.
pub fn cancel_flag() -> Arc<AtomicBool> {
    Arc::clone(FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let set = Arc::clone(&flag);
        let installed = ctrlc::set_handler(move || {
            if set.swap(true, Ordering::SeqCst) {
                eprintln!("facesorter: interrupted again; stopping now");
                std::process::exit(i32::from(INTERRUPTED));
            }
        });
        if let Err(e) = installed {
            eprintln!("facesorter: Ctrl-C will end the run without saving ({e})");
        }
        flag
    }))
}

/// Whether Ctrl-C was pressed since the handler was installed.
pub fn requested(flag: &AtomicBool) -> bool {
    flag.load(Ordering::Relaxed)
}

/// Prints the one line that ends an interrupted command and gives its exit status.
pub fn stopped(what_was_kept: &str) -> ExitCode {
    eprintln!("facesorter: interrupted; {what_was_kept}");
    ExitCode::from(INTERRUPTED)
}
