//! `index` and `find`: the album commands. Both keep the gallery's cache current first
//! (indexing what changed, with a progress bar on a terminal), then report. `find` drives
//! core's [`Session`] — the same search the window runs — once per probe face, or once for
//! every probe face together with `--same-person`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::Context;
use facesorter_core::engine::{largest_face, FaceEngine};
use facesorter_core::error::chain;
use facesorter_core::export::{save_face_crop, write_matches, ExportFolder, ExportSummary};
use facesorter_core::gallery::GalleryCache;
use facesorter_core::index::{
    find_photos, index_gallery, IndexEvent, IndexOptions, IndexOutcome, IndexSummary,
};
use facesorter_core::search::{ProbeFace, Session, SessionMatch, Threshold, Verdict};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::args::{EngineArgs, FaceChoice, FindArgs, IndexArgs};
use super::exit_code;
use super::interrupt;
use super::output::{box_text, display_path, print_json, shown_path, terminal_safe};
use super::recognize::open_engine;

pub fn index(engine_args: &EngineArgs, args: &IndexArgs) -> anyhow::Result<ExitCode> {
    let engine = open_engine(engine_args)?;
    let cancel = interrupt::cancel_flag();
    let (outcome, cached) = index_with_progress(&engine, &args.gallery, &cancel)?;
    let s = &outcome.summary;
    if s.cancelled {
        return Ok(interrupt::stopped(&kept_after_cancel(s, cached)));
    }
    if args.json {
        print_json(&IndexJson::from(s));
    } else {
        print_summary_text(s);
    }
    for f in &s.failures {
        eprintln!(
            "facesorter: {}: {}",
            shown_path(&f.path),
            terminal_safe(&f.reason)
        );
    }
    Ok(exit_code(s.failed))
}

/// What an interrupted indexing run leaves behind, for its one-line message.
pub(super) fn kept_after_cancel(s: &IndexSummary, cached: bool) -> String {
    if cached {
        format!(
            "{} photos indexed so far are kept in the cache; the next run does the rest",
            s.photos
        )
    } else {
        "nothing was kept (no cache folder)".into()
    }
}

/// Runs the indexer on the gallery's cache, drawing a progress bar on a terminal; `cancel`
/// (Ctrl-C) stops it with the finished part saved. Also says whether there was a cache.
pub(super) fn index_with_progress(
    engine: &FaceEngine,
    gallery: &Path,
    cancel: &AtomicBool,
) -> anyhow::Result<(IndexOutcome, bool)> {
    let cache = GalleryCache::default_dir().map(GalleryCache::new);
    if cache.is_none() {
        eprintln!("facesorter: no cache folder on this system; indexing without a cache");
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{prefix:>14} [{bar:30}] {pos}/{len} photos, {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let on_event = |event: IndexEvent| {
        if let IndexEvent::Progress(p) = event {
            bar.set_prefix(p.phase.label());
            bar.set_length(p.photos_total as u64);
            bar.set_position(p.photos_done as u64);
            let eta = p
                .eta
                .map(|d| format!(", {}s left", d.as_secs()))
                .unwrap_or_default();
            bar.set_message(format!(
                "{} faces, {:.1} photos/s{eta}",
                p.faces_found, p.photos_per_second
            ));
        }
    };
    let outcome = index_gallery(
        engine,
        gallery,
        cache.as_ref(),
        &IndexOptions::default(),
        &on_event,
        cancel,
    );
    bar.finish_and_clear();
    // Every indexing error already names its folder or file: no context that repeats it.
    let outcome = outcome?;
    if let Some(notice) = &outcome.summary.cache_notice {
        eprintln!("facesorter: {}", terminal_safe(notice));
    }
    Ok((outcome, cache.is_some()))
}

#[derive(Debug, Serialize)]
struct IndexJson {
    photos: usize,
    faces: usize,
    added: usize,
    updated: usize,
    unchanged: usize,
    renamed: usize,
    removed: usize,
    failed: usize,
    seconds: f64,
    failures: Vec<FailureJson>,
}

#[derive(Debug, Serialize)]
struct FailureJson {
    path: String,
    reason: String,
}

impl From<&IndexSummary> for IndexJson {
    fn from(s: &IndexSummary) -> Self {
        Self {
            photos: s.photos,
            faces: s.faces,
            added: s.added,
            updated: s.updated,
            unchanged: s.unchanged,
            renamed: s.renamed,
            removed: s.removed,
            failed: s.failed,
            seconds: s.seconds,
            failures: s
                .failures
                .iter()
                .map(|f| FailureJson {
                    path: display_path(&f.path),
                    reason: f.reason.clone(),
                })
                .collect(),
        }
    }
}

fn print_summary_text(s: &IndexSummary) {
    println!(
        "{} photos, {} faces ({:.1} s): {} added, {} updated, {} unchanged, {} renamed, {} removed, {} failed",
        s.photos, s.faces, s.seconds, s.added, s.updated, s.unchanged, s.renamed, s.removed, s.failed
    );
}

pub fn find(engine_args: &EngineArgs, args: &FindArgs) -> anyhow::Result<ExitCode> {
    let engine = open_engine(engine_args)?;
    // The probe always needs both models: they compile while the gallery is checked.
    engine.warm_up();
    let cancel = interrupt::cancel_flag();
    let (outcome, cached) = index_with_progress(&engine, &args.gallery, &cancel)?;
    if outcome.summary.cancelled {
        let kept = kept_after_cancel(&outcome.summary, cached);
        return Ok(interrupt::stopped(&format!("nothing was searched; {kept}")));
    }
    warn_gallery_failures(&outcome.summary, &args.gallery, "searched");
    let threshold = match args.threshold {
        Some(t) => t,
        None => Threshold::new(engine.default_threshold())
            .context("the recognizer's default threshold is not a number")?,
    };

    let mut failures = 0;
    let probes = collect_probes(&engine, args, &cancel, &mut failures);
    if interrupt::requested(&cancel) {
        return Ok(interrupt::stopped("nothing was searched"));
    }
    // One search per probe face (the JSON contract), or one for all of them together.
    let searches: Vec<Vec<Probe>> = if args.same_person {
        Some(probes).filter(|p| !p.is_empty()).into_iter().collect()
    } else {
        probes.into_iter().map(|p| vec![p]).collect()
    };
    let several = searches.len() > 1;
    // Where this run exports, decided once: a folder already holding something gets a new
    // subfolder, inside which the run is laid out as it would be at the top.
    let mut folder = match (&args.export, searches.first().and_then(|s| s.first())) {
        (Some(dir), Some(first)) => match ExportFolder::open(dir, &first.face.source) {
            Ok(folder) => Some(folder),
            Err(e) => {
                failures += 1;
                eprintln!("facesorter: export: {}", terminal_safe(&chain(&e)));
                None
            }
        },
        _ => None,
    };
    let mut session = Session::new(&args.gallery, outcome.album, threshold);
    // The same rejection the window's Reject button makes: out of every search and export.
    for face in &args.exclude {
        let key = session
            .face_key(&face.path, face.index)
            .with_context(|| format!("--exclude {}#{}", face.path.display(), face.index))?;
        session.set_verdict(key, Some(Verdict::Rejected));
    }
    let model = engine.recognizer_model().name();
    for search in &searches {
        session.set_probes(search.iter().map(|p| p.face.clone()).collect());
        if let Some(e) = session.error() {
            return Err(e.clone()).context("searching the gallery");
        }
        let shown: Vec<SessionMatch<'_>> = session
            .matches()
            .take(args.top.unwrap_or(usize::MAX))
            .collect();
        let export = folder.as_mut().map(|folder| {
            let target = ExportTarget {
                folder,
                several,
                model: &model,
                args,
            };
            target.export(&session, search, &shown, &cancel)
        });
        if args.json {
            print_json(&ProbeResultJson::new(search, &shown, export.as_ref()));
        } else {
            print_result_text(search, &shown);
            if let Some(export) = &export {
                println!("{}", export.text);
            }
        }
        let Some(export) = export else { continue };
        failures += export.failed;
        if export.interrupted {
            return Ok(interrupt::stopped(&format!(
                "the pairs exported so far are kept in {} (its matches.csv lists them)",
                shown_path(&export.folder)
            )));
        }
    }
    Ok(exit_code(failures))
}

/// Where and how one run of `find` exports.
struct ExportTarget<'a> {
    folder: &'a mut ExportFolder,
    /// Several searches: each gets a folder of its own inside the run's folder.
    several: bool,
    model: &'a str,
    args: &'a FindArgs,
}

/// What one search's export wrote, for the text and JSON output.
struct SearchExport {
    /// The folder its files went into.
    folder: PathBuf,
    /// The folder given with `--export`, when it held something and the run went into a
    /// new subfolder of it.
    subfolder_of: Option<PathBuf>,
    files: Vec<PathBuf>,
    pairs: usize,
    /// Items that could not be written (each reported on stderr).
    failed: usize,
    /// Stopped by Ctrl-C.
    interrupted: bool,
    /// One line saying what was written where.
    text: String,
}

impl ExportTarget<'_> {
    /// Exports one search's `shown` matches, or saves its probe faces in `unmatched/` when
    /// there are none.
    fn export(
        self,
        session: &Session,
        search: &[Probe],
        shown: &[SessionMatch<'_>],
        cancel: &AtomicBool,
    ) -> SearchExport {
        let subfolder_of = self
            .folder
            .is_new_subfolder()
            .then(|| self.folder.asked().to_path_buf());
        let mut export = if shown.is_empty() {
            save_unmatched(search, &self.folder.unmatched())
        } else {
            // Each probe face in a folder of its own, named after it and never shared.
            let target = match (self.several, search.first()) {
                (true, Some(first)) => self.folder.face_folder(&first.label()),
                _ => self.folder.root().to_path_buf(),
            };
            export_search(session, &target, self.model, self.args, cancel)
        };
        if let Some(asked) = &subfolder_of {
            export.text.push_str(&format!(
                " (a new folder: {} was not empty)",
                shown_path(asked)
            ));
        }
        export.subfolder_of = subfolder_of;
        export
    }
}

/// Exports the session's shown matches (at most `--top`) into `target`, reporting on stderr
/// each item that failed (the others are still written).
fn export_search(
    session: &Session,
    target: &Path,
    model: &str,
    args: &FindArgs,
    cancel: &AtomicBool,
) -> SearchExport {
    let mut export = SearchExport::empty(target);
    let Some(mut request) = session.export_request(target, model, false, args.top) else {
        return export;
    };
    request.pair_size = args.pair_size.into();
    match write_matches(&request, &mut |_, _| {}, cancel) {
        Ok(summary) => {
            for (path, reason) in &summary.failed {
                eprintln!(
                    "facesorter: export: {}: {}",
                    shown_path(path),
                    terminal_safe(reason)
                );
            }
            export.text = exported_text(&summary);
            export.failed = summary.failed.len();
            export.interrupted = summary.cancelled;
            export.pairs = summary.pairs;
            export.files = summary.written;
        }
        Err(e) => {
            eprintln!("facesorter: export: {}", terminal_safe(&chain(&e)));
            export.failed = 1;
            export.text = format!("nothing exported to {}", shown_path(target));
        }
    }
    export
}

/// "exported 12 pair images, matches.csv, matches.json in /x/y/alice-20261202-223000".
fn exported_text(summary: &ExportSummary) -> String {
    let verb = if summary.cancelled {
        "interrupted after exporting"
    } else {
        "exported"
    };
    format!(
        "{verb} {} in {}",
        summary.files_text(),
        shown_path(&summary.folder)
    )
}

impl SearchExport {
    fn empty(folder: &Path) -> Self {
        Self {
            folder: folder.to_path_buf(),
            subfolder_of: None,
            files: Vec::new(),
            pairs: 0,
            failed: 0,
            interrupted: false,
            text: String::new(),
        }
    }
}

/// Gallery photos the indexer could not read are not searched (or sorted, …: `what`): say
/// so, briefly.
pub(super) fn warn_gallery_failures(s: &IndexSummary, gallery: &Path, what: &str) {
    const LISTED: usize = 5;
    for f in s.failures.iter().take(LISTED) {
        eprintln!(
            "facesorter: warning: not {what}: {}: {}",
            shown_path(&f.path),
            terminal_safe(&f.reason)
        );
    }
    if s.failures.len() > LISTED {
        eprintln!(
            "facesorter: warning: {} more gallery photos not {what} (`facesorter index {}` lists them all)",
            s.failures.len() - LISTED,
            shown_path(gallery)
        );
    }
}

/// One probe face and its 1-based number among its photo's faces, in reading order of
/// their boxes (`detect::reading_order`: top-left first, never by detector score).
struct Probe {
    face: ProbeFace,
    number: usize,
}

impl Probe {
    /// The photo's stem and the face number: what its export folder and crop are named.
    fn label(&self) -> String {
        let stem = self
            .face
            .source
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "probe".into());
        format!("{stem}_face{}", self.number)
    }
}

/// Every probe face the arguments name, in order; an unreadable probe is reported (a line
/// on stderr, an error object in JSON) and counted in `failures`. Stops early on Ctrl-C.
fn collect_probes(
    engine: &FaceEngine,
    args: &FindArgs,
    cancel: &AtomicBool,
    failures: &mut usize,
) -> Vec<Probe> {
    let mut probes = Vec::new();
    for probe in &args.probes {
        let (photos, walk_failures, choice) = if probe.is_dir() {
            let (photos, failed) = find_photos(probe);
            (photos, failed, FaceChoice::All)
        } else {
            (vec![probe.clone()], Vec::new(), args.face)
        };
        for f in walk_failures {
            *failures += 1;
            report(&f.path, &f.reason, args.json);
        }
        for photo in photos {
            if interrupt::requested(cancel) {
                return probes;
            }
            match probe_faces(engine, &photo, choice) {
                Ok(faces) => probes.extend(faces),
                Err(e) => {
                    *failures += 1;
                    report(&photo, &format!("{e:#}"), args.json);
                }
            }
        }
    }
    probes
}

fn probe_faces(
    engine: &FaceEngine,
    photo: &Path,
    choice: FaceChoice,
) -> anyhow::Result<Vec<Probe>> {
    let loaded = engine.load_photo(photo)?;
    let mut faces = engine.analyze(&loaded.image)?;
    let chosen: Vec<(usize, _)> = match choice {
        FaceChoice::All => faces.into_iter().enumerate().collect(),
        FaceChoice::Largest => largest_face(&faces)
            .map(|i| (i, faces.swap_remove(i)))
            .into_iter()
            .collect(),
    };
    if chosen.is_empty() {
        anyhow::bail!("{}: no face found", photo.display());
    }
    let image = Arc::new(loaded.image);
    Ok(chosen
        .into_iter()
        .map(|(i, face)| Probe {
            face: ProbeFace {
                source: photo.to_path_buf(),
                face_box: face.detection.face_box,
                embedding: face.embedding,
                image: Some(Arc::clone(&image)),
            },
            number: i + 1,
        })
        .collect())
}

/// A search that matched nothing: each of its probe faces is saved as a crop in `dir`;
/// one that cannot be is reported and does not stop the others.
fn save_unmatched(search: &[Probe], dir: &Path) -> SearchExport {
    let mut export = SearchExport::empty(dir);
    for probe in search {
        let Some(image) = &probe.face.image else {
            continue;
        };
        match save_face_crop(dir, image, &probe.face.face_box, &probe.label()) {
            Ok(path) => export.files.push(path),
            Err(e) => {
                export.failed += 1;
                eprintln!("facesorter: export: {}", terminal_safe(&chain(&e)));
            }
        }
    }
    let n = export.files.len();
    export.text = format!(
        "saved {n} unmatched probe face{} in {}",
        if n == 1 { "" } else { "s" },
        shown_path(dir)
    );
    export
}

/// One line per search (`--json`): `probe` and `face` are the first probe face's, as they
/// were before searches could combine faces; `probes` lists every face of the query;
/// `export` (with `--export` only) what was written where.
#[derive(Debug, Serialize)]
struct ProbeResultJson {
    probe: String,
    face: ProbeFaceJson,
    matches: Vec<MatchJson>,
    probes: Vec<ProbeJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    export: Option<ExportJson>,
}

/// What one search's export wrote: the folder the files actually went into (a new
/// subfolder of the `--export` folder when that one held something, `unmatched/` for a
/// search that matched nobody) and every file written.
#[derive(Debug, Serialize)]
struct ExportJson {
    folder: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    subfolder_of: Option<String>,
    files: Vec<String>,
    pairs: usize,
    failed: usize,
}

impl From<&SearchExport> for ExportJson {
    fn from(e: &SearchExport) -> Self {
        Self {
            folder: display_path(&e.folder),
            subfolder_of: e.subfolder_of.as_deref().map(display_path),
            files: e.files.iter().map(|f| display_path(f)).collect(),
            pairs: e.pairs,
            failed: e.failed,
        }
    }
}

#[derive(Debug, Serialize)]
struct ProbeFaceJson {
    #[serde(rename = "box")]
    face_box: [f32; 4],
    norm: f32,
}

#[derive(Debug, Serialize)]
struct ProbeJson {
    path: String,
    #[serde(rename = "box")]
    face_box: [f32; 4],
    norm: f32,
}

#[derive(Debug, Serialize)]
struct MatchJson {
    path: String,
    #[serde(rename = "box")]
    face_box: [f32; 4],
    score: f32,
    norm: f32,
    /// The face's 0-based index within its photo: what `--exclude PATH#INDEX` takes.
    index: u32,
}

impl ProbeResultJson {
    fn new(search: &[Probe], matches: &[SessionMatch<'_>], export: Option<&SearchExport>) -> Self {
        let first = search.first().map(|p| &p.face);
        Self {
            probe: first.map(|f| display_path(&f.source)).unwrap_or_default(),
            face: ProbeFaceJson {
                face_box: first.map(|f| f.face_box.as_array()).unwrap_or_default(),
                norm: first.map(|f| f.embedding.norm).unwrap_or_default(),
            },
            matches: matches
                .iter()
                .map(|m| MatchJson {
                    path: display_path(&m.path),
                    face_box: m.face.face_box.as_array(),
                    score: m.score,
                    norm: m.norm,
                    index: m.index_in_photo(),
                })
                .collect(),
            probes: search
                .iter()
                .map(|p| ProbeJson {
                    path: display_path(&p.face.source),
                    face_box: p.face.face_box.as_array(),
                    norm: p.face.embedding.norm,
                })
                .collect(),
            export: export.map(ExportJson::from),
        }
    }
}

#[derive(Debug, Serialize)]
struct ProbeErrorJson {
    probe: String,
    error: String,
}

fn report(path: &Path, reason: &str, json: bool) {
    if reason.contains(&path.display().to_string()) {
        eprintln!("facesorter: {}", terminal_safe(reason));
    } else {
        eprintln!(
            "facesorter: {}: {}",
            shown_path(path),
            terminal_safe(reason)
        );
    }
    if json {
        print_json(&ProbeErrorJson {
            probe: display_path(path),
            error: reason.to_string(),
        });
    }
}

fn print_result_text(search: &[Probe], matches: &[SessionMatch<'_>]) {
    let count = format!(
        "{} match{}",
        matches.len(),
        if matches.len() == 1 { "" } else { "es" }
    );
    match search {
        [one] => println!("{}: {count}", probe_text(one)),
        _ => {
            println!("same person, {} probe faces: {count}", search.len());
            for probe in search {
                println!("  probe  {}", probe_text(probe));
            }
        }
    }
    for m in matches {
        // `path#index`: what `--exclude` takes to leave this face out.
        println!(
            "  {:.3}  quality {:>5.1}  {}#{}  {}",
            m.score,
            m.norm,
            shown_path(&m.path),
            m.index_in_photo(),
            box_text(&m.face.face_box)
        );
    }
}

fn probe_text(probe: &Probe) -> String {
    format!(
        "{} face {} {} (quality {:.1})",
        shown_path(&probe.face.source),
        probe.number,
        box_text(&probe.face.face_box),
        probe.face.embedding.norm
    )
}
