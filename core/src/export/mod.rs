//! Writing matches to a folder the user names: one side-by-side JPEG per match (the probe
//! face, boxed, beside the gallery photo with the matched face boxed, and a label strip
//! naming both with a legend of the box colours), `matches.csv` and `matches.json`
//! describing every match, and optionally copies of the matched originals in `originals/`.
//!
//! Exports never mix: a folder that already holds something gets a new subfolder for the
//! export ([`ExportFolder`]). Nothing is ever replaced either: each file is created with
//! `create_new`, and a name already taken — only possible in a folder written concurrently —
//! becomes `name (2).ext`, `name (3).ext`, …. Originals are only read.

mod files;
// The sort into person folders names its files by the same rules.
pub(crate) use files::{cut_at_bytes, numbered};
mod folder;
mod font;
mod render;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use fast_image_resize::Resizer;
use image::codecs::jpeg::JpegEncoder;
use image::RgbImage;
use serde::Serialize;

use crate::error::chain;
use crate::geometry::FaceBox;
use crate::photo::{load_photo, PhotoLimits};

pub use files::FolderNames;
pub use folder::{ExportFolder, UNMATCHED_DIR};
pub use render::{
    PairSize, GALLERY_MAX_WIDTH, GAP, LABEL_HEIGHT, MATCH_LINE_HEIGHT, PAIR_HEIGHT, PANEL_HEIGHT,
    PROBE_BOX_COLOR, PROBE_LINE_HEIGHT, PROBE_MAX_WIDTH,
};

/// JPEG quality of pair images and face crops.
pub const JPEG_QUALITY: u8 = 90;
/// Sub-folder of the export folder that receives copies of the matched photos.
pub const ORIGINALS_DIR: &str = "originals";
/// Column names of `matches.csv`, which are also the keys of each `matches.json` row.
pub const MANIFEST_COLUMNS: [&str; 13] = [
    "rank",
    "probe_path",
    "photo_path",
    "x1",
    "y1",
    "x2",
    "y2",
    "score",
    "quality",
    "threshold",
    "model",
    "pair_image",
    "original_copy",
];

/// The face that was searched for.
#[derive(Debug, Clone)]
pub struct ProbeInfo {
    pub path: PathBuf,
    pub face_box: FaceBox,
    /// The probe photo already loaded (displayed orientation), so it is not decoded again;
    /// `None` loads it from `path`. Shared: a probe's photo is never copied to export it.
    pub image: Option<Arc<RgbImage>>,
}

/// One match to export.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportMatch {
    /// Absolute path of the gallery photo.
    pub photo_path: PathBuf,
    /// The matched face, in the photo's displayed orientation.
    pub face_box: FaceBox,
    /// Similarity to the probe.
    pub score: f32,
    /// AdaFace norm of the matched face: its quality.
    pub norm: f32,
}

/// What to export, and where.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    /// The folder the user named: [`export_matches`] writes into it when it is missing or
    /// empty, else into a new subfolder of it; [`write_matches`] writes into it as it is.
    pub dir: PathBuf,
    pub probe: ProbeInfo,
    /// Ranked, best first: the order gives the `NNN_` prefix of the pair images.
    pub matches: Vec<ExportMatch>,
    pub threshold: f32,
    /// Recognizer name, recorded in the manifests.
    pub model: String,
    /// Also copy each matched photo (once, however often it matched) into `originals/`.
    pub copy_originals: bool,
    /// How big the pair images are drawn.
    pub pair_size: PairSize,
}

/// What an export did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportSummary {
    /// The folder the files went into.
    pub folder: PathBuf,
    /// The folder the user named, when it already held something and the export went into
    /// a new subfolder of it (`folder`).
    pub subfolder_of: Option<PathBuf>,
    /// Every file created, in the order written.
    pub written: Vec<PathBuf>,
    /// Items that could not be written: the source photo (or target file) and why.
    pub failed: Vec<(PathBuf, String)>,
    /// Pair images written.
    pub pairs: usize,
    /// Originals copied.
    pub copies: usize,
    /// The `matches.csv` / `matches.json` written, if they were.
    pub csv: Option<PathBuf>,
    pub json: Option<PathBuf>,
    /// Stopped by the cancel flag before every match was done; the manifests then list
    /// the matches done so far.
    pub cancelled: bool,
}

impl ExportSummary {
    /// What was written, by kind and name: "12 pair images, 3 originals, matches.csv,
    /// matches.json" (the manifests by the names they actually got).
    pub fn files_text(&self) -> String {
        let mut parts = vec![count(self.pairs, "pair image", "pair images")];
        if self.copies > 0 {
            parts.push(count(self.copies, "original", "originals"));
        }
        for manifest in [&self.csv, &self.json].into_iter().flatten() {
            if let Some(name) = manifest.file_name() {
                parts.push(name.to_string_lossy().into_owned());
            }
        }
        parts.join(", ")
    }

    /// What was written and where: "12 pair images, matches.csv, matches.json in
    /// /x/y/alice-20261202-223000".
    pub fn text(&self) -> String {
        format!("{} in {}", self.files_text(), self.folder.display())
    }
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Why an export (or a face crop) could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{}: cannot create the folder", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: cannot create the file", path.display())]
    Create {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: cannot write", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: cannot read", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: no free file name (every numbered variant is taken)", path.display())]
    NoFreeName { path: PathBuf },
    #[error("{}: cannot encode the image", path.display())]
    Encode {
        path: PathBuf,
        #[source]
        source: image::ImageError,
    },
    #[error(
        "{}: the face box ({:.0}, {:.0})–({:.0}, {:.0}) has no part inside the {width}×{height} image",
        path.display(), face_box.x1, face_box.y1, face_box.x2, face_box.y2
    )]
    EmptyCrop {
        path: PathBuf,
        face_box: FaceBox,
        width: u32,
        height: u32,
    },
}

/// Marks a folder FaceSorter exported into. Indexing skips marked folders, so an export
/// placed inside the gallery does not add its own pair images to the album.
pub const EXPORT_MARKER: &str = ".facesorter-export";

/// Creates an export folder if needed and marks it.
fn ensure_export_dir(dir: &Path) -> Result<(), ExportError> {
    ensure_dir(dir)?;
    mark_export_dir(dir);
    Ok(())
}

/// Marks an export folder (best effort: the marker only spares a later indexing run some
/// work).
fn mark_export_dir(dir: &Path) {
    let _ = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dir.join(EXPORT_MARKER));
}

/// Creates `dir` (and its parents) if needed.
fn ensure_dir(dir: &Path) -> Result<(), ExportError> {
    let err = |source| ExportError::CreateDir {
        path: dir.to_path_buf(),
        source,
    };
    fs::create_dir_all(dir).map_err(err)?;
    if fs::metadata(dir).map_err(err)?.is_dir() {
        Ok(())
    } else {
        Err(err(io::Error::other("not a folder")))
    }
}

fn encode_jpeg(image: &RgbImage, path_for_errors: &Path) -> Result<Vec<u8>, ExportError> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
        .encode_image(image)
        .map_err(|source| ExportError::Encode {
            path: path_for_errors.to_path_buf(),
            source,
        })?;
    Ok(bytes)
}

/// Saves the face in `face_box` of `image` (with some room around it, at the photo's own
/// resolution) as a JPEG in `dir`, named `name` (`.jpg` is added unless `name` ends in
/// `.jpg`/`.jpeg`) or, if that is taken, `name (2).jpg` and so on. Creates `dir` if needed.
/// A box that is not finite, empty or wholly outside the image is an error, never a panic.
pub fn save_face_crop(
    dir: &Path,
    image: &RgbImage,
    face_box: &FaceBox,
    name: &str,
) -> Result<PathBuf, ExportError> {
    let lower = name.to_ascii_lowercase();
    let file_name = if lower.ends_with(".jpg") || lower.ends_with(".jpeg") {
        files::sanitize_file_name(name)
    } else {
        files::sanitize_file_name(&format!("{name}.jpg"))
    };
    let target = dir.join(&file_name);
    let crop = render::face_crop(image, face_box).ok_or_else(|| ExportError::EmptyCrop {
        path: target.clone(),
        face_box: *face_box,
        width: image.width(),
        height: image.height(),
    })?;
    let bytes = encode_jpeg(&crop, &target)?;
    ensure_export_dir(dir)?;
    files::write_unique(dir, &file_name, &bytes)
}

/// One row of `matches.csv` / `matches.json`.
#[derive(Debug, Serialize)]
struct ManifestRow {
    rank: usize,
    probe_path: String,
    photo_path: String,
    x1: f32,
    y1: f32,
    x2: f32,
    y2: f32,
    score: f32,
    quality: f32,
    threshold: f32,
    model: String,
    /// File name inside the export folder; empty when the pair image was not written.
    pair_image: String,
    /// Path relative to the export folder (`originals/NAME`); empty when not copied.
    original_copy: String,
}

impl ManifestRow {
    fn fields(&self) -> [String; 13] {
        [
            self.rank.to_string(),
            self.probe_path.clone(),
            self.photo_path.clone(),
            self.x1.to_string(),
            self.y1.to_string(),
            self.x2.to_string(),
            self.y2.to_string(),
            self.score.to_string(),
            self.quality.to_string(),
            self.threshold.to_string(),
            self.model.clone(),
            self.pair_image.clone(),
            self.original_copy.clone(),
        ]
    }
}

fn file_name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The last gallery photo decoded, so a photo matched by several faces in a row is
/// decoded once.
type LoadedPhoto = (PathBuf, Result<Rc<RgbImage>, String>);

/// Exports `req.matches` into the folder the user named, `req.dir`, when it is missing or
/// empty, else into a new subfolder of it ([`ExportFolder`]); the summary names the folder
/// written. `progress(done, total)` is called before the first match and after each one;
/// setting `cancel` stops before the next match. Fails only when the folder cannot be
/// created; anything else that goes wrong with one item is recorded in
/// [`ExportSummary::failed`] and the export goes on.
pub fn export_matches(
    req: &ExportRequest,
    progress: &mut dyn FnMut(usize, usize),
    cancel: &AtomicBool,
) -> Result<ExportSummary, ExportError> {
    let folder = ExportFolder::open(&req.dir, &req.probe.path)?;
    let mut summary = write_into(folder.root(), req, progress, cancel)?;
    if folder.is_new_subfolder() {
        summary.subfolder_of = Some(folder.asked().to_path_buf());
    }
    Ok(summary)
}

/// Writes `req.matches` into `req.dir` as it is (created if missing), for a folder an
/// [`ExportFolder`] handed out: its root or one of its face folders. Otherwise as
/// [`export_matches`].
pub fn write_matches(
    req: &ExportRequest,
    progress: &mut dyn FnMut(usize, usize),
    cancel: &AtomicBool,
) -> Result<ExportSummary, ExportError> {
    write_into(&req.dir, req, progress, cancel)
}

fn write_into(
    dir: &Path,
    req: &ExportRequest,
    progress: &mut dyn FnMut(usize, usize),
    cancel: &AtomicBool,
) -> Result<ExportSummary, ExportError> {
    crate::fault::inject("export");
    ensure_export_dir(dir)?;
    let total = req.matches.len();
    let mut summary = ExportSummary {
        folder: dir.to_path_buf(),
        ..ExportSummary::default()
    };
    progress(0, total);

    let limits = PhotoLimits::default();
    let mut resizer = Resizer::new();
    let probe_image: Option<Cow<'_, RgbImage>> = match &req.probe.image {
        Some(image) => Some(Cow::Borrowed(image.as_ref())),
        None => match load_photo(&req.probe.path, &limits) {
            Ok(photo) => Some(Cow::Owned(photo.image)),
            Err(e) => {
                summary.failed.push((
                    req.probe.path.clone(),
                    format!("probe photo: {}", chain(&e)),
                ));
                None
            }
        },
    };
    let probe_panel = probe_image.as_deref().and_then(|image| {
        let panel = render::probe_panel(image, &req.probe.face_box, req.pair_size, &mut resizer);
        if panel.is_none() {
            summary.failed.push((
                req.probe.path.clone(),
                "probe photo: cannot draw the probe face".into(),
            ));
        }
        panel
    });
    drop(probe_image);

    let probe_path = req.probe.path.to_string_lossy().into_owned();
    let originals = dir.join(ORIGINALS_DIR);
    let mut copied: HashMap<PathBuf, String> = HashMap::new();
    let mut last: Option<LoadedPhoto> = None;
    let mut rows = Vec::with_capacity(total);

    for (i, m) in req.matches.iter().enumerate() {
        if cancel.load(Ordering::Relaxed) {
            summary.cancelled = true;
            break;
        }
        let rank = i + 1;
        let mut pair_image = String::new();
        if let Some(probe_panel) = &probe_panel {
            let photo = match &last {
                Some((path, photo)) if *path == m.photo_path => photo.clone(),
                _ => {
                    let photo = load_photo(&m.photo_path, &limits)
                        .map(|p| Rc::new(p.image))
                        .map_err(|e| chain(&e));
                    last = Some((m.photo_path.clone(), photo.clone()));
                    photo
                }
            };
            let written = photo.and_then(|photo| {
                write_pair(dir, req, m, rank, probe_panel, &photo, &mut resizer)
                    .map_err(|e| chain(&e))
            });
            match written {
                Ok(path) => {
                    pair_image = file_name_of(&path);
                    summary.written.push(path);
                    summary.pairs += 1;
                }
                Err(reason) => summary.failed.push((m.photo_path.clone(), reason)),
            }
        }
        let mut original_copy = String::new();
        if req.copy_originals {
            let key = fs::canonicalize(&m.photo_path).unwrap_or_else(|_| m.photo_path.clone());
            if let Some(name) = copied.get(&key) {
                original_copy = name.clone();
            } else {
                let copy = ensure_dir(&originals)
                    .and_then(|()| files::copy_unique(&m.photo_path, &originals));
                match copy {
                    Ok(path) => {
                        original_copy = format!("{ORIGINALS_DIR}/{}", file_name_of(&path));
                        copied.insert(key, original_copy.clone());
                        summary.written.push(path);
                        summary.copies += 1;
                    }
                    Err(e) => summary
                        .failed
                        .push((m.photo_path.clone(), format!("copy: {}", chain(&e)))),
                }
            }
        }
        rows.push(ManifestRow {
            rank,
            probe_path: probe_path.clone(),
            photo_path: m.photo_path.to_string_lossy().into_owned(),
            x1: m.face_box.x1,
            y1: m.face_box.y1,
            x2: m.face_box.x2,
            y2: m.face_box.y2,
            score: m.score,
            quality: m.norm,
            threshold: req.threshold,
            model: req.model.clone(),
            pair_image,
            original_copy,
        });
        progress(rank, total);
    }

    write_manifests(dir, &rows, &mut summary);
    Ok(summary)
}

/// Draws and writes the pair image of match `rank` into `dir`.
fn write_pair(
    dir: &Path,
    req: &ExportRequest,
    m: &ExportMatch,
    rank: usize,
    probe_panel: &RgbImage,
    photo: &RgbImage,
    resizer: &mut Resizer,
) -> Result<PathBuf, ExportError> {
    let stem = m
        .photo_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "photo".into());
    let name = files::sanitize_file_name(&format!("{rank:03}_score-{:.3}_{stem}.jpg", m.score));
    let target = dir.join(&name);
    let color = render::score_color(m.score, req.threshold);
    let gallery = render::gallery_panel(photo, &m.face_box, color, req.pair_size, resizer)
        .ok_or_else(|| ExportError::EmptyCrop {
            path: m.photo_path.clone(),
            face_box: m.face_box,
            width: photo.width(),
            height: photo.height(),
        })?;
    let stats = format!("score {:.3} · quality {:.1}", m.score, m.norm);
    // A name that is not UTF-8 would be drawn with replacement characters: left off.
    let labels = render::PairLabels {
        stats: &stats,
        name: shown_name(&m.photo_path),
        probe_name: shown_name(&req.probe.path),
        color,
    };
    let pair = render::compose_pair(probe_panel, &gallery, &labels, req.pair_size);
    let bytes = encode_jpeg(&pair, &target)?;
    files::write_unique(dir, &name, &bytes)
}

/// A file name to draw on a pair image; one that is not UTF-8 would be drawn with
/// replacement characters, so it is left off.
fn shown_name(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

/// Writes `matches.csv` and `matches.json`, recording each in `summary`.
fn write_manifests(dir: &Path, rows: &[ManifestRow], summary: &mut ExportSummary) {
    let mut csv = files::csv_record(&MANIFEST_COLUMNS);
    for row in rows {
        csv.push_str(&files::csv_record(&row.fields()));
    }
    match files::write_unique(dir, "matches.csv", csv.as_bytes()) {
        Ok(path) => {
            summary.csv = Some(path.clone());
            summary.written.push(path);
        }
        Err(e) => summary.failed.push((dir.join("matches.csv"), chain(&e))),
    }

    let json = match serde_json::to_vec_pretty(rows) {
        Ok(json) => json,
        Err(e) => {
            summary
                .failed
                .push((dir.join("matches.json"), e.to_string()));
            return;
        }
    };
    match files::write_unique(dir, "matches.json", &json) {
        Ok(path) => {
            summary.json = Some(path.clone());
            summary.written.push(path);
        }
        Err(e) => summary.failed.push((dir.join("matches.json"), chain(&e))),
    }
}
