//! Command-line front end: raw flags → engine options → one command.

mod album;
mod args;
mod interrupt;
mod models;
mod output;
mod recognize;

use std::process::ExitCode;

pub use args::Cli;
use args::Command;
pub use output::terminal_safe;

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        None => {
            let launch = facesorter_app::Launch {
                engine: if cli.engine.any_given() {
                    Some(cli.engine.options()?)
                } else {
                    None
                },
                gallery: cli.gallery,
                probes: cli.probe,
                ephemeral: false,
            };
            facesorter_app::run(launch)?;
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
