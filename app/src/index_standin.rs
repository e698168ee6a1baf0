//! TEMPORARY stand-in for `facesorter_core::index` (same API), until the indexer lands on
//! main. No cache, one photo at a time. Deleted on merge.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use facesorter_core::engine::FaceEngine;
use facesorter_core::gallery::{Album, FaceRecord, GalleryCache, PhotoRecord};

#[derive(Debug, Clone)]
pub struct IndexOptions {
    pub checkpoint_every: Duration,
    pub in_flight: usize,
}

impl Default for IndexOptions {
    fn default() -> Self {
        Self {
            checkpoint_every: Duration::from_secs(2),
            in_flight: 2,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IndexPhase {
    #[default]
    Scanning,
    Indexing,
    Saving,
    Finished,
}

impl IndexPhase {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Scanning => "Scanning the folder",
            Self::Indexing => "Indexing faces",
            Self::Saving => "Saving",
            Self::Finished => "Finished",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct IndexProgress {
    pub phase: IndexPhase,
    pub photos_done: usize,
    pub photos_total: usize,
    pub faces_found: usize,
    pub current: Option<PathBuf>,
    pub photos_per_second: f64,
    pub eta: Option<Duration>,
}

#[derive(Debug, Clone)]
pub struct IndexFailure {
    pub path: PathBuf,
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct IndexSummary {
    pub photos: usize,
    pub faces: usize,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub renamed: usize,
    pub removed: usize,
    pub failed: usize,
    pub seconds: f64,
    pub failures: Vec<IndexFailure>,
    pub cancelled: bool,
    pub cache_notice: Option<String>,
}

#[derive(Debug, Clone)]
pub struct IndexOutcome {
    pub album: Arc<Album>,
    pub summary: IndexSummary,
}

#[derive(Debug)]
pub enum IndexError {
    Root { path: PathBuf, reason: String },
}

impl std::fmt::Display for IndexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Root { path, reason } => {
                write!(f, "cannot read the gallery folder {}: {reason}", path.display())
            }
        }
    }
}

pub enum IndexEvent {
    Progress(IndexProgress),
    Snapshot(Arc<Album>),
    Finished(Result<IndexOutcome, IndexError>),
}

fn is_photo(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .is_some_and(|e| matches!(e.as_str(), "jpg" | "jpeg" | "png" | "webp" | "bmp" | "tif" | "tiff"))
}

fn scan(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            scan(&path, out)?;
        } else if is_photo(&path) {
            out.push(path);
        }
    }
    Ok(())
}

pub fn index_gallery(
    engine: &FaceEngine,
    root: &Path,
    _cache: Option<&GalleryCache>,
    options: &IndexOptions,
    on_event: &(dyn Fn(IndexEvent) + Sync),
    cancel: &AtomicBool,
) -> Result<IndexOutcome, IndexError> {
    let start = Instant::now();
    let mut paths = Vec::new();
    scan(root, &mut paths).map_err(|e| IndexError::Root {
        path: root.to_path_buf(),
        reason: e.to_string(),
    })?;
    paths.sort();
    let mut album = Album::new(0);
    let mut summary = IndexSummary::default();
    let mut last_snapshot = Instant::now();
    for (i, path) in paths.iter().enumerate() {
        if cancel.load(Ordering::Relaxed) {
            summary.cancelled = true;
            break;
        }
        let elapsed = start.elapsed().as_secs_f64().max(1e-3);
        let rate = i as f64 / elapsed;
        on_event(IndexEvent::Progress(IndexProgress {
            phase: IndexPhase::Indexing,
            photos_done: i,
            photos_total: paths.len(),
            faces_found: album.faces.len(),
            current: Some(path.clone()),
            photos_per_second: rate,
            eta: (rate > 0.0).then(|| Duration::from_secs_f64((paths.len() - i) as f64 / rate)),
        }));
        let result = engine
            .load_photo(path)
            .and_then(|photo| Ok((engine.analyze(&photo.image)?, photo)));
        match result {
            Ok((faces, photo)) => {
                if album.dim == 0 {
                    if let Some(f) = faces.first() {
                        album.dim = f.embedding.unit.len();
                    }
                }
                let rel = path.strip_prefix(root).unwrap_or(path);
                let record = PhotoRecord {
                    rel_path: rel.to_string_lossy().replace('\\', "/"),
                    size: 0,
                    mtime_ns: 0,
                    content_sha256: [0; 32],
                    width: photo.image.width(),
                    height: photo.image.height(),
                    first_face: 0,
                    face_count: 0,
                };
                let faces = faces
                    .into_iter()
                    .map(|f| {
                        (
                            FaceRecord {
                                photo: 0,
                                face_box: f.detection.face_box,
                                landmarks: f.detection.landmarks,
                                detector_score: f.detection.score,
                                norm: f.embedding.norm,
                            },
                            f.embedding.unit,
                        )
                    })
                    .collect();
                album.push_photo(record, faces);
                summary.added += 1;
            }
            Err(e) => summary.failures.push(IndexFailure {
                path: path.clone(),
                reason: e.to_string(),
            }),
        }
        if last_snapshot.elapsed() >= options.checkpoint_every {
            last_snapshot = Instant::now();
            on_event(IndexEvent::Snapshot(Arc::new(album.clone())));
        }
    }
    summary.photos = album.photos.len();
    summary.faces = album.faces.len();
    summary.failed = summary.failures.len();
    summary.seconds = start.elapsed().as_secs_f64();
    Ok(IndexOutcome {
        album: Arc::new(album),
        summary,
    })
}

pub struct IndexJob {
    events: crossbeam_channel::Receiver<IndexEvent>,
    cancel: Arc<AtomicBool>,
}

impl IndexJob {
    pub fn spawn(
        engine: Arc<FaceEngine>,
        root: PathBuf,
        cache: Option<GalleryCache>,
        options: IndexOptions,
        wake: impl Fn() + Send + Sync + 'static,
    ) -> IndexJob {
        let (tx, rx) = crossbeam_channel::unbounded();
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = cancel.clone();
        std::thread::spawn(move || {
            let send = |e: IndexEvent| {
                let _ = tx.send(e);
                wake();
            };
            let result = index_gallery(&engine, &root, cache.as_ref(), &options, &send, &flag);
            send(IndexEvent::Finished(result));
        });
        IndexJob { events: rx, cancel }
    }

    pub fn events(&self) -> &crossbeam_channel::Receiver<IndexEvent> {
        &self.events
    }

    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}
