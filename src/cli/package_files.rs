//! `facesorter generate-package-files --out DIR` (hidden): the man pages and the bash, zsh
//! and fish completions, generated from the clap definitions so they never drift from the
//! binary. scripts/package.sh runs it; nothing here is written by hand.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;

pub fn generate(out: &Path) -> anyhow::Result<ExitCode> {
    let man = out.join("man");
    let completions = out.join("completions");
    for dir in [&man, &completions] {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    // facesorter.1 and a page per subcommand (facesorter-find.1, …), as `man` expects.
    clap_mangen::generate_to(Cli::command(), &man)
        .with_context(|| format!("writing the man pages into {}", man.display()))?;
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let mut cmd = without_hidden_subcommands(Cli::command());
        clap_complete::generate_to(shell, &mut cmd, "facesorter", &completions).with_context(
            || {
                format!(
                    "writing the {shell} completion into {}",
                    completions.display()
                )
            },
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The command as users see it: clap_complete would offer hidden subcommands (this one)
/// too, and a clap command cannot drop a subcommand, so the top level is built again from
/// its parts without them.
fn without_hidden_subcommands(full: clap::Command) -> clap::Command {
    let mut cmd = clap::Command::new("facesorter")
        .version(env!("CARGO_PKG_VERSION"))
        .args(full.get_arguments().cloned())
        .subcommands(full.get_subcommands().filter(|c| !c.is_hide_set()).cloned());
    if let Some(about) = full.get_about() {
        cmd = cmd.about(about.clone());
    }
    cmd
}
