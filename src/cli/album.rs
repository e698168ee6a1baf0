//! `index` and `find`: the album commands. Both keep the gallery's cache current first
//! (indexing what changed, with a progress bar on a terminal), then report.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::Context;
use facesorter_core::engine::{Face, FaceEngine};
use facesorter_core::export::{
    export_matches, save_face_crop, ExportMatch, ExportRequest, ProbeInfo,
};
use facesorter_core::gallery::{Album, GalleryCache};
use facesorter_core::index::{
    find_photos, index_gallery, IndexEvent, IndexOptions, IndexOutcome, IndexSummary,
};
use facesorter_core::photo::Photo;
use facesorter_core::search::{Query, RankedMatches};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::args::{EngineArgs, FaceChoice, FindArgs, IndexArgs};
use super::exit_code;
use super::output::{box_text, display_path, print_json};
use super::recognize::open_engine;

pub fn index(engine_args: &EngineArgs, args: &IndexArgs) -> anyhow::Result<ExitCode> {
    let engine = open_engine(engine_args)?;
    let outcome = index_with_progress(&engine, &args.gallery)?;
    let s = &outcome.summary;
    if args.json {
        print_json(&IndexJson::from(s));
    } else {
        print_summary_text(s);
    }
    for f in &s.failures {
        eprintln!("facesorter: {}: {}", f.path.display(), f.reason);
    }
    Ok(exit_code(s.failed))
}

/// Runs the indexer on the gallery's cache, drawing a progress bar on a terminal.
fn index_with_progress(engine: &FaceEngine, gallery: &Path) -> anyhow::Result<IndexOutcome> {
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
        &AtomicBool::new(false),
    );
    bar.finish_and_clear();
    let outcome = outcome.with_context(|| format!("indexing {}", gallery.display()))?;
    if let Some(notice) = &outcome.summary.cache_notice {
        eprintln!("facesorter: {notice}");
    }
    Ok(outcome)
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
    let outcome = index_with_progress(&engine, &args.gallery)?;
    let album = outcome.album;
    let gallery = &args.gallery;
    let threshold = args.threshold.unwrap_or_else(|| engine.default_threshold());
    let mut failures = 0;
    let mut searches = Vec::new();
    for probe in &args.probes {
        let (photos, walk_failures, every_face) = if probe.is_dir() {
            let (photos, failed) = find_photos(probe);
            (photos, failed, true)
        } else {
            (vec![probe.clone()], Vec::new(), false)
        };
        for f in walk_failures {
            failures += 1;
            report(&f.path, &f.reason, args.json);
        }
        let choice = if every_face {
            FaceChoice::All
        } else {
            args.face
        };
        for photo in photos {
            match probe_faces(&engine, &photo, choice) {
                Ok(faces) => searches.extend(faces),
                Err(e) => {
                    failures += 1;
                    report(&photo, &format!("{e:#}"), args.json);
                }
            }
        }
    }
    let several = searches.len() > 1;
    for search in &searches {
        let ranked = RankedMatches::compute(&Query::single(&search.face.embedding), &album)?;
        let matches: Vec<_> = ranked
            .above(threshold)
            .iter()
            .take(args.top.unwrap_or(usize::MAX))
            .filter_map(|m| ranked_view(&album, gallery, m.face as usize, m.score))
            .collect();
        if args.json {
            print_json(&ProbeResultJson::new(search, &matches));
        } else {
            print_result_text(search, &matches);
        }
        if let Some(dir) = &args.export {
            let target = if several {
                dir.join(search.label())
            } else {
                dir.clone()
            };
            failures += export(&engine, search, &matches, threshold, &target, dir)?;
        }
    }
    Ok(exit_code(failures))
}

/// One probe face to search for.
struct ProbeFace {
    photo: PathBuf,
    /// Index among the photo's faces (largest first when one was chosen).
    index: usize,
    face: Face,
    photo_data: Arc<Photo>,
}

impl ProbeFace {
    /// A file-name-safe label: the photo's stem, and the face number when it has several.
    fn label(&self) -> String {
        let stem = self
            .photo
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "probe".into());
        format!("{stem}_face{}", self.index + 1)
    }
}

fn probe_faces(
    engine: &FaceEngine,
    photo: &Path,
    choice: FaceChoice,
) -> anyhow::Result<Vec<ProbeFace>> {
    let loaded = engine.load_photo(photo)?;
    let mut faces = engine.analyze(&loaded.image)?;
    if faces.is_empty() {
        anyhow::bail!("{}: no face found", photo.display());
    }
    faces.sort_by(|a, b| {
        b.detection
            .face_box
            .area()
            .total_cmp(&a.detection.face_box.area())
    });
    if choice == FaceChoice::Largest {
        faces.truncate(1);
    }
    let loaded = Arc::new(loaded);
    Ok(faces
        .into_iter()
        .enumerate()
        .map(|(index, face)| ProbeFace {
            photo: photo.to_path_buf(),
            index,
            face,
            photo_data: Arc::clone(&loaded),
        })
        .collect())
}

/// A match with the gallery photo's full path.
struct FoundMatch {
    path: PathBuf,
    face_box: facesorter_core::geometry::FaceBox,
    score: f32,
    norm: f32,
}

fn ranked_view(album: &Album, gallery: &Path, face: usize, score: f32) -> Option<FoundMatch> {
    let record = album.faces().get(face)?;
    let photo = album.photos().get(record.photo as usize)?;
    Some(FoundMatch {
        path: gallery.join(&photo.rel_path),
        face_box: record.face_box,
        score,
        norm: record.norm,
    })
}

/// Exports one probe face's matches; a face that matched nothing is saved as a crop in
/// `root/unmatched/`. Returns the number of items that failed.
fn export(
    engine: &FaceEngine,
    search: &ProbeFace,
    matches: &[FoundMatch],
    threshold: f32,
    target: &Path,
    root: &Path,
) -> anyhow::Result<usize> {
    if matches.is_empty() {
        save_face_crop(
            &root.join("unmatched"),
            &search.photo_data.image,
            &search.face.detection.face_box,
            &search.label(),
        )?;
        return Ok(0);
    }
    let request = ExportRequest {
        dir: target.to_path_buf(),
        probe: ProbeInfo {
            path: search.photo.clone(),
            face_box: search.face.detection.face_box,
            image: Some(Arc::new(search.photo_data.image.clone())),
        },
        matches: matches
            .iter()
            .map(|m| ExportMatch {
                photo_path: m.path.clone(),
                face_box: m.face_box,
                score: m.score,
                norm: m.norm,
            })
            .collect(),
        threshold,
        model: engine.recognizer_model().name(),
        copy_originals: false,
    };
    let summary = export_matches(&request, &mut |_, _| {}, &AtomicBool::new(false))?;
    for (path, reason) in &summary.failed {
        eprintln!("facesorter: export: {}: {reason}", path.display());
    }
    Ok(summary.failed.len())
}

#[derive(Debug, Serialize)]
struct ProbeResultJson {
    probe: String,
    face: ProbeFaceJson,
    matches: Vec<MatchJson>,
}

#[derive(Debug, Serialize)]
struct ProbeFaceJson {
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
}

impl ProbeResultJson {
    fn new(search: &ProbeFace, matches: &[FoundMatch]) -> Self {
        Self {
            probe: display_path(&search.photo),
            face: ProbeFaceJson {
                face_box: search.face.detection.face_box.as_array(),
                norm: search.face.embedding.norm,
            },
            matches: matches
                .iter()
                .map(|m| MatchJson {
                    path: display_path(&m.path),
                    face_box: m.face_box.as_array(),
                    score: m.score,
                    norm: m.norm,
                })
                .collect(),
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
        eprintln!("facesorter: {reason}");
    } else {
        eprintln!("facesorter: {}: {reason}", path.display());
    }
    if json {
        print_json(&ProbeErrorJson {
            probe: display_path(path),
            error: reason.to_string(),
        });
    }
}

fn print_result_text(search: &ProbeFace, matches: &[FoundMatch]) {
    println!(
        "{} face {} {} (quality {:.1}): {} match{}",
        search.photo.display(),
        search.index + 1,
        box_text(&search.face.detection.face_box),
        search.face.embedding.norm,
        matches.len(),
        if matches.len() == 1 { "" } else { "es" }
    );
    for m in matches {
        println!(
            "  {:.3}  quality {:>5.1}  {}  {}",
            m.score,
            m.norm,
            m.path.display(),
            box_text(&m.face_box)
        );
    }
}
