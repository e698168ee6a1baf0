//! `facesorter`: the command line, and (without a subcommand) the desktop window.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            // The whole chain, one cause per line: the edge is where context is shown.
            // Causes name files, so control characters in them are escaped.
            eprintln!("facesorter: {}", cli::terminal_safe(&err.to_string()));
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {}", cli::terminal_safe(&cause.to_string()));
            }
            ExitCode::from(2)
        }
    }
}
