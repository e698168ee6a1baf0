//! Command-line front end: raw flags → engine options → one command.

mod album;
mod args;
mod models;
mod output;
mod recognize;

use std::process::ExitCode;

pub use args::Cli;
use args::Command;

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        None => {
            // The desktop window is not built yet: show what the command line offers.
            use clap::CommandFactory;
            Cli::command().print_help()?;
            println!();
            println!(
                "The desktop window is not available in this version yet; use the commands above."
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Detect(a)) => recognize::detect(&cli.engine, &a),
        Some(Command::Embed(a)) => recognize::embed(&cli.engine, &a),
        Some(Command::Compare(a)) => recognize::compare(&cli.engine, &a),
        Some(Command::Models(a)) => models::run(&a),
        Some(Command::Index(a)) => album::index(&cli.engine, &a),
        Some(Command::Find(a)) => album::find(&cli.engine, &a),
    }
}

/// Exit status: 0 only when every input succeeded.
pub fn exit_code(failures: usize) -> ExitCode {
    if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
