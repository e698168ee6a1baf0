//! Command-line front end: raw flags → engine options → one command.

mod album;
mod args;
mod interrupt;
mod models;
mod output;
mod package_files;
mod people;
mod recognize;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::CommandFactory;

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
        Some(Command::GeneratePackageFiles { out }) => package_files::generate(&out),
    }
}

/// The window's gallery and probes: `--gallery`/`--probe`, and the plain paths sorted into
/// a folder (the gallery) and photos (probes). A path that is neither is refused here, since
/// it is most likely a mistyped subcommand.
#[cfg_attr(not(feature = "window"), allow(dead_code))]
fn window_paths(cli: &Cli) -> anyhow::Result<(Option<PathBuf>, Vec<PathBuf>)> {
    let mut gallery = cli.gallery.clone();
    let mut probes = cli.probe.clone();
    for path in &cli.paths {
        if path.is_dir() {
            if let Some(first) = &gallery {
                bail!(
                    "two gallery folders given ({} and {}): the window opens one",
                    first.display(),
                    path.display()
                );
            }
            gallery = Some(path.clone());
        } else if path.is_file() {
            probes.push(path.clone());
        } else {
            let subcommands: Vec<String> = Cli::command()
                .get_subcommands()
                .filter(|c| !c.is_hide_set())
                .map(|c| c.get_name().to_owned())
                .collect();
            bail!(
                "{}: no such folder or photo (the subcommands are: {}; see facesorter --help)",
                path.display(),
                subcommands.join(", ")
            );
        }
    }
    Ok((gallery, probes))
}

/// No subcommand: the desktop window.
#[cfg(feature = "window")]
fn open_window(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Some(t) = cli.threshold {
        if !(t.is_finite() && (-1.0..=1.0).contains(&t)) {
            anyhow::bail!("--threshold must be a cosine between -1 and 1, got {t}");
        }
    }
    let (gallery, probes) = window_paths(&cli)?;
    let launch = facesorter_app::Launch {
        engine: if cli.engine.any_given() {
            Some(cli.engine.options()?)
        } else {
            None
        },
        gallery,
        probes,
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
