//! Indexing a gallery folder: walk it, compare it with the cache, read only new and
//! changed photos, find and embed every face, and keep the cache current all along.
//!
//! ```text
//! scan ──► reconcile with cache ──► prepare (rayon: read, hash, decode, detect, align)
//!                                         │ bounded channel of 112×112 crops
//!                                         ▼
//!                  embed in batches ──► album ──► checkpoint (log append, snapshot)
//! ```
//!
//! A run can be cancelled at any point: what was finished is saved. A killed run loses
//! at most the photos since its last checkpoint, taken after every embedding batch (or,
//! when appending takes long, as often as keeps it under a third of the time): each
//! checkpoint appends only the new photos to the cache's log, and the end of the run
//! compacts log and cache into one file, so a run writes about twice the cache's size.
//!
//! Only one run per gallery cache works at a time (a lock file); another waits, then
//! reuses its result. A panic in detection, alignment or embedding never hangs the run:
//! a photo whose analysis panics is a failure, a panicking recognizer ends the run with
//! [`IndexError::Panicked`], finished work saved either way.

mod job;
mod prepare;
mod progress;
mod reconcile;
mod run;
mod scan;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::engine::EngineError;
use crate::gallery::{Album, CacheError};

pub use job::IndexJob;
pub use progress::{IndexPhase, IndexProgress, REPORT_INTERVAL};
pub use run::index_gallery;

/// The photos under `folder` as indexing sees them (recursive, hidden and export folders
/// skipped, symlink loops walked once), sorted; and what could not be read.
pub fn find_photos(folder: &Path) -> (Vec<PathBuf>, Vec<IndexFailure>) {
    let never = std::sync::atomic::AtomicBool::new(false);
    let scan = scan::scan_gallery(folder, &never).unwrap_or_default();
    (
        scan.photos.into_iter().map(|p| p.path).collect(),
        scan.failures,
    )
}

/// How a run is paced.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexOptions {
    /// Minimum time between cache checkpoints; zero checkpoints after every embedding
    /// batch (subject to the save-time cap described in the module docs).
    pub checkpoint_every: Duration,
    /// Send [`IndexEvent::Snapshot`]s (each is a copy of the album so far): only for a
    /// listener that searches while indexing goes on.
    pub snapshots: bool,
    /// Minimum time between [`IndexEvent::Snapshot`]s.
    pub snapshot_every: Duration,
    /// Photos prepared ahead of the embedding stage. With the photos being decoded, this
    /// bounds memory: only crops wait in the queue, never decoded photos.
    pub in_flight: usize,
    /// Longest a read photo waits for a full embedding batch before it is embedded with
    /// whatever is pending: a batch of crops can take many seconds to gather on a slow
    /// machine, and photos count as done only once embedded.
    pub embed_after: Duration,
}

impl Default for IndexOptions {
    fn default() -> Self {
        Self {
            checkpoint_every: Duration::ZERO,
            snapshots: false,
            snapshot_every: Duration::from_secs(1),
            in_flight: 2 * rayon::current_num_threads().max(1),
            embed_after: Duration::from_secs(1),
        }
    }
}

/// A photo (or folder) that could not be indexed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexFailure {
    pub path: PathBuf,
    pub reason: String,
}

impl IndexFailure {
    pub(crate) fn new(path: &Path, reason: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}

/// What a run did. Counts are photos, except `faces`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IndexSummary {
    /// Photos in the album at the end.
    pub photos: usize,
    /// Faces in the album at the end.
    pub faces: usize,
    /// New photos analysed.
    pub added: usize,
    /// Photos whose bytes changed, analysed again.
    pub updated: usize,
    /// Photos taken from the cache as they were (including ones only touched).
    pub unchanged: usize,
    /// Photos found under a new path with the bytes of a vanished one: not analysed again.
    pub renamed: usize,
    /// Cached photos that are gone.
    pub removed: usize,
    /// Photos (and folders) that could not be read, decoded or analysed.
    pub failed: usize,
    pub seconds: f64,
    pub failures: Vec<IndexFailure>,
    /// Stopped before the end; the finished part is saved.
    pub cancelled: bool,
    /// Something about the cache the user should know (a damaged file being rebuilt, a
    /// failed save).
    pub cache_notice: Option<String>,
    /// Bytes written to the cache folder by this run (checkpoint log and final file).
    pub cache_bytes_written: u64,
}

/// The album at the end of a run, and what the run did.
#[derive(Debug, Clone)]
pub struct IndexOutcome {
    pub album: Arc<Album>,
    pub summary: IndexSummary,
}

/// A run that could not go on.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("{}: not a folder", path.display())]
    NotAFolder { path: PathBuf },
    #[error("{}: cannot open the gallery folder", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// A bug (or an injected fault) crashed a stage; the finished work is saved.
    #[error("indexing stopped: {stage} crashed ({message})")]
    Panicked {
        stage: &'static str,
        message: String,
    },
}

/// What a run reports while it works.
#[derive(Debug)]
pub enum IndexEvent {
    Progress(IndexProgress),
    /// The album as far as it is settled: search can run while indexing goes on.
    Snapshot(Arc<Album>),
    /// The end of an [`IndexJob`] (never sent by [`index_gallery`] itself).
    Finished(Result<IndexOutcome, IndexError>),
}
