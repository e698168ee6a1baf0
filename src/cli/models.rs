//! `facesorter models list | fetch ID | verify`.

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use facesorter_core::error::chain;
use facesorter_core::models::{
    download, format_triplet, verify_entry, ModelKind, ModelLocator, ModelSpec, Sidecar,
};
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

/// A model found in a models folder with a sidecar `NAME.toml` (not in the manifest).
#[derive(Serialize)]
struct SidecarModelJson {
    /// The model's path: what `--model` takes.
    id: String,
    /// "recognizer" (the default) or "detector".
    kind: String,
    file: String,
    sidecar: String,
    present: String,
    name: Option<String>,
    license: Option<String>,
    color_order: Option<String>,
    mean: Option<[f32; 3]>,
    std: Option<[f32; 3]>,
    threshold: Option<f32>,
    embedding_size: Option<usize>,
    /// Why the sidecar cannot be used, when it cannot.
    error: Option<String>,
}

fn sidecar_rows(locator: &ModelLocator) -> Vec<SidecarModelJson> {
    locator
        .sidecar_models()
        .into_iter()
        .map(|m| {
            let path = m.path.display().to_string();
            let file = m
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let sidecar = Sidecar::path_for(&m.path).display().to_string();
            match m.sidecar {
                Ok(s) => SidecarModelJson {
                    id: path.clone(),
                    kind: format!("{:?}", s.kind.unwrap_or(ModelKind::Recognizer)).to_lowercase(),
                    file,
                    sidecar,
                    present: path,
                    name: s.name,
                    license: s.license,
                    color_order: s.color_order.map(|c| format!("{c:?}").to_lowercase()),
                    mean: s.mean,
                    std: s.std,
                    threshold: s.threshold,
                    embedding_size: s.embedding_size,
                    error: None,
                },
                Err(e) => SidecarModelJson {
                    id: path.clone(),
                    kind: "unknown".into(),
                    file,
                    sidecar,
                    present: path,
                    name: None,
                    license: None,
                    color_order: None,
                    mean: None,
                    std: None,
                    threshold: None,
                    embedding_size: None,
                    error: Some(chain(&e)),
                },
            }
        })
        .collect()
}

fn print_sidecar_rows(rows: &[SidecarModelJson]) {
    if rows.is_empty() {
        return;
    }
    println!("Models with a sidecar file (use with --model PATH or --detector PATH):");
    for r in rows {
        let name = r
            .name
            .as_deref()
            .map(|n| format!("  {n}"))
            .unwrap_or_default();
        let license = r
            .license
            .as_deref()
            .map(|l| format!("  ({l})"))
            .unwrap_or_default();
        println!(
            "{}  [{}]{}{}",
            terminal_safe(&r.file),
            r.kind,
            terminal_safe(&name),
            terminal_safe(&license)
        );
        println!("    present: {}", terminal_safe(&r.present));
        if let Some(e) = &r.error {
            println!("    sidecar unusable: {}", terminal_safe(e));
            continue;
        }
        let triplet = format_triplet;
        let mut said = Vec::new();
        said.extend(r.color_order.as_ref().map(|c| c.to_string()));
        said.extend(r.mean.map(|m| format!("mean {}", triplet(m))));
        said.extend(r.std.map(|s| format!("std {}", triplet(s))));
        said.extend(r.threshold.map(|t| format!("threshold {t}")));
        said.extend(r.embedding_size.map(|n| format!("{n}-d")));
        if !said.is_empty() {
            println!("    {}", said.join(", "));
        }
    }
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
            let sidecars = sidecar_rows(&locator);
            if *json {
                // One array: the manifest's models, then the sidecar models.
                let mut all: Vec<serde_json::Value> = Vec::new();
                for r in &rows {
                    all.push(serde_json::to_value(r).context("listing models")?);
                }
                for r in &sidecars {
                    all.push(serde_json::to_value(r).context("listing models")?);
                }
                print_json(&all);
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
                print_sidecar_rows(&sidecars);
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
