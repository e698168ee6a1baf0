//! `facesorter models list | fetch ID | verify`.

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use facesorter_core::error::chain;
use facesorter_core::models::{download, verify_entry, ModelLocator, ModelSpec};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::args::{ModelsAction, ModelsArgs};
use super::exit_code;
use super::output::{print_json, shown_path, terminal_safe};

#[derive(Serialize)]
struct ModelListJson {
    id: String,
    kind: String,
    file: String,
    url: String,
    sha256: String,
    present: Option<String>,
}

pub fn run(args: &ModelsArgs) -> anyhow::Result<ExitCode> {
    let locator = ModelLocator::from_environment().context("reading the model manifest")?;
    match &args.action {
        ModelsAction::List { json } => {
            let manifest = locator.manifest();
            let rows: Vec<ModelListJson> = manifest
                .models
                .iter()
                .map(|m| ModelListJson {
                    id: m.id.clone(),
                    kind: format!("{:?}", m.kind).to_lowercase(),
                    file: m.file.clone(),
                    url: m.url.clone(),
                    sha256: m.sha256.clone(),
                    present: locator
                        .locate(&ModelSpec::Id(m.id.clone()))
                        .ok()
                        .map(|r| r.path.display().to_string()),
                })
                .collect();
            if *json {
                print_json(&rows);
            } else {
                for (r, m) in rows.iter().zip(&manifest.models) {
                    let default = if r.id == manifest.default_recognizer
                        || r.id == manifest.default_detector
                    {
                        " (default)"
                    } else {
                        ""
                    };
                    println!("{}{default}  [{}]  {}", r.id, r.kind, m.description);
                    match &r.present {
                        Some(p) => println!("    present: {}", terminal_safe(p)),
                        None => println!(
                            "    missing: `facesorter models fetch {}` ({})",
                            r.id, r.url
                        ),
                    }
                }
                println!("Models folders searched, in order:");
                for d in locator.search_dirs() {
                    println!("    {}", shown_path(d));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ModelsAction::Fetch { id, dir, url } => {
            let entry = locator.manifest().require(id)?.clone();
            let dir = match dir {
                Some(d) => d.clone(),
                None => locator
                    .fetch_dir()
                    .context("no models folder is known on this system; pass --dir")?
                    .to_path_buf(),
            };
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let dest = dir.join(&entry.file);
            let url = url.clone().unwrap_or_else(|| entry.url.clone());
            eprintln!(
                "Fetching {} from {url}\n  into {}",
                entry.id,
                shown_path(&dest)
            );
            let bar = ProgressBar::new(entry.size.unwrap_or(0));
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let cancel = AtomicBool::new(false);
            let result = download(
                &url,
                &dest,
                &entry.sha256,
                &mut |p| {
                    if let Some(t) = p.bytes_total {
                        bar.set_length(t);
                    }
                    bar.set_position(p.bytes_done);
                },
                &cancel,
            );
            bar.finish_and_clear();
            result.with_context(|| {
                format!(
                    "downloading {}; offline, download {url} by other means and put it in {}",
                    entry.id,
                    dir.display()
                )
            })?;
            println!(
                "{} saved to {} (sha256 verified)",
                entry.id,
                shown_path(&dest)
            );
            Ok(ExitCode::SUCCESS)
        }
        ModelsAction::Verify { ids } => {
            let manifest = locator.manifest();
            let wanted: Vec<_> = if ids.is_empty() {
                manifest.models.iter().collect()
            } else {
                ids.iter()
                    .map(|id| manifest.require(id))
                    .collect::<Result<_, _>>()?
            };
            let mut failures = 0;
            for m in wanted {
                match locator.locate(&ModelSpec::Id(m.id.clone())) {
                    Ok(found) => match verify_entry(&found.path, m) {
                        Ok(()) => println!("ok       {}  {}", m.id, shown_path(&found.path)),
                        Err(e) => {
                            failures += 1;
                            println!("DAMAGED  {}  {}", m.id, terminal_safe(&chain(&e)));
                        }
                    },
                    Err(_) if ids.is_empty() => println!("missing  {}", m.id),
                    Err(e) => {
                        failures += 1;
                        println!("missing  {}  {}", m.id, terminal_safe(&chain(&e)));
                    }
                }
            }
            Ok(exit_code(failures))
        }
    }
}
