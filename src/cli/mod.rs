//! Command-line front end: raw flags → engine options → one command.

mod album;
mod args;
mod interrupt;
mod models;
mod output;
mod people;
mod recognize;

use std::process::ExitCode;

pub use args::Cli;
use args::Command;
pub use output::terminal_safe;

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        None => open_window(cli),
        Some(Command::Detect(a)) => recognize::detect(&cli.engine, &a),
        Some(Command::Embed(a)) => recognize::embed(&cli.engine, &a),
        Some(Command::Compare(a)) => recognize::compare(&cli.engine, &a),
        Some(Command::Models(a)) => models::run(&a),
        Some(Command::Index(a)) => album::index(&cli.engine, &a),
        Some(Command::Find(a)) => album::find(&cli.engine, &a),
        Some(Command::People(a)) => people::people(&cli.engine, &a),
        Some(Command::Sort(a)) => people::sort(&cli.engine, &a),
    }
}

/// No subcommand: the desktop window.
#[cfg(feature = "window")]
fn open_window(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Some(t) = cli.threshold {
        if !(t.is_finite() && (-1.0..=1.0).contains(&t)) {
            anyhow::bail!("--threshold must be a cosine between -1 and 1, got {t}");
        }
    }
    let launch = facesorter_app::Launch {
        engine: if cli.engine.any_given() {
            Some(cli.engine.options()?)
        } else {
            None
        },
        gallery: cli.gallery,
        probes: cli.probe,
        ephemeral: false,
        people: cli.people,
        threshold: cli.threshold,
    };
    facesorter_app::run(launch)?;
    Ok(ExitCode::SUCCESS)
}

/// No subcommand in a build without the window: says so, with the commands there are.
#[cfg(not(feature = "window"))]
fn open_window(_cli: Cli) -> anyhow::Result<ExitCode> {
    use clap::CommandFactory;
    eprintln!(
        "facesorter: this build has no window (built without the `window` feature); \
         use a subcommand:\n"
    );
    eprintln!("{}", Cli::command().render_help());
    Ok(ExitCode::from(2))
}

/// Exit status: 0 only when every input succeeded.
pub fn exit_code(failures: usize) -> ExitCode {
    if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
