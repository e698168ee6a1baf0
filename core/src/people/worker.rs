//! The people workflow on a thread of its own, for a window that must never wait: the
//! caller sends requests (open the album's people, correct, undo, propose a split, sort
//! into folders) and receives what each produced — a fresh [`PeopleSnapshot`] after
//! every change — through a channel, with a wake-up call so it redraws. Clustering a
//! large album takes seconds and every correction writes the people file: none of it
//! happens on the caller's thread.
//!
//! While the album is still being indexed the caller can ask for a *preview*: the same
//! clustering on a scratch copy of the people file, so the persons show early and the
//! real file is written only from the whole album.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TryRecvError};

use super::session::{Checkpoint, PeopleSession, Suggestion};
use super::sort::{sort_album, SortOptions, SortPlan, SortSummary};
use super::store::PeopleStore;
use super::{ClusterParams, FaceView, PersonId, PersonView};
use crate::gallery::{Album, Fingerprint};
use crate::search::FaceKey;

/// Corrections kept for undo, at most (each holds a copy of the assignment).
pub const UNDO_LIMIT: usize = 30;

/// What the worker needs to open a gallery's people.
#[derive(Debug, Clone)]
pub struct PeopleConfig {
    pub store: PeopleStore,
    pub root: PathBuf,
    /// The fingerprint of the engine the album was indexed with.
    pub model: Fingerprint,
    pub params: ClusterParams,
}

/// A correction, as the user makes it; each is saved at once and can be undone.
#[derive(Debug, Clone, PartialEq)]
pub enum Correction {
    Name {
        id: PersonId,
        name: String,
    },
    Merge {
        into: PersonId,
        others: Vec<PersonId>,
    },
    Confirm {
        id: PersonId,
        faces: Vec<FaceKey>,
    },
    Reject {
        id: PersonId,
        faces: Vec<FaceKey>,
    },
    Ignore {
        faces: Vec<FaceKey>,
    },
    Hide {
        id: PersonId,
        hidden: bool,
    },
    ApplySplit(PersonId),
    /// Clusters every face again (keeping every correction).
    Recluster,
}

impl Correction {
    /// What undo would take back, for a menu or tooltip ("Undo rename").
    pub fn label(&self) -> String {
        match self {
            Self::Name { .. } => "rename".into(),
            Self::Merge { others, .. } => format!("merge of {} persons", others.len() + 1),
            Self::Confirm { faces, .. } => plural(faces.len(), "confirmed face"),
            Self::Reject { faces, .. } => {
                format!("not this person ({})", plural(faces.len(), "face"))
            }
            Self::Ignore { faces } => format!("not a face ({})", plural(faces.len(), "face")),
            Self::Hide { hidden: true, .. } => "hide".into(),
            Self::Hide { hidden: false, .. } => "show".into(),
            Self::ApplySplit(_) => "split".into(),
            Self::Recluster => "clustering again".into(),
        }
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

#[derive(Debug, Clone)]
pub enum PeopleRequest {
    /// Opens the people of the whole album (clustering what is new) and saves them.
    Open(Arc<Album>),
    /// Clusters a partial album (indexing goes on) on a scratch copy of the people file:
    /// shown, never saved. Skipped when a later open is already waiting.
    Preview(Arc<Album>),
    Correct(Correction),
    /// Takes back the last correction.
    Undo,
    /// How a person would split ([`PeopleEvent::Split`]); changes nothing.
    ProposeSplit(PersonId),
    /// Sorts the album as it is now into `out` (a folder per person); `cancel` stops
    /// between files.
    Sort {
        out: PathBuf,
        options: SortOptions,
        cancel: Arc<AtomicBool>,
    },
}

/// What the worker is doing (for the status line).
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// Opening: clustering `faces` faces (or placing the new ones).
    Clustering {
        faces: usize,
        preview: bool,
    },
    Correcting(String),
    Undoing(String),
    Splitting(PersonId),
    Sorting {
        photos: usize,
        folders: usize,
    },
}

#[derive(Debug, Clone)]
pub enum PeopleEvent {
    /// A request started.
    Working(Stage),
    /// No request left: the worker waits.
    Idle,
    /// The people as they are now (after an open, a correction or an undo).
    Ready(Arc<PeopleSnapshot>),
    /// What the user must be told about opening (a damaged file recovered, a model change).
    Notices(Vec<String>),
    /// The proposed parts of a person, largest first (one part: it holds together).
    Split {
        id: PersonId,
        parts: Vec<Vec<FaceView>>,
    },
    Sorted(Result<SortSummary, String>),
    /// A request failed; nothing changed. The message names what and why.
    Failed(String),
}

/// Everything the window shows of the people, made on the worker so drawing only reads.
#[derive(Debug, Clone)]
pub struct PeopleSnapshot {
    /// Counts up with every snapshot of a worker.
    pub generation: u64,
    /// From a partial album: nothing is saved and corrections wait for the whole album.
    pub preview: bool,
    /// Visible persons, largest first.
    pub persons: Vec<PersonView>,
    pub hidden: Vec<PersonView>,
    pub unsorted: Vec<FaceView>,
    pub suggestions: Vec<Suggestion>,
    /// What undo would take back, if anything.
    pub undo: Option<String>,
    /// The persons the last correction changed (to keep them in view).
    pub changed: Vec<PersonId>,
    pub album: Arc<Album>,
    pub root: PathBuf,
    pub params: ClusterParams,
    /// The people file (empty for a preview).
    pub file: PathBuf,
    /// How long the request that made this snapshot took.
    pub took: Duration,
}

impl PeopleSnapshot {
    /// Person `id` (visible or hidden).
    pub fn person(&self, id: PersonId) -> Option<&PersonView> {
        self.persons.iter().chain(&self.hidden).find(|p| p.id == id)
    }

    /// The record of the face's photo.
    pub fn photo_of(&self, face: &FaceView) -> &crate::gallery::PhotoRecord {
        self.album.photo_of(face.face)
    }
}

/// The worker: send requests, drain events; dropped, it finishes the current request
/// and stops.
pub struct PeopleWorker {
    tx: Option<Sender<PeopleRequest>>,
    rx: Receiver<PeopleEvent>,
    cancel: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl PeopleWorker {
    /// Starts the worker for one gallery; `wake` is called after every event (a window
    /// asks for a repaint there).
    pub fn spawn(config: PeopleConfig, wake: impl Fn() + Send + 'static) -> std::io::Result<Self> {
        let (tx, requests) = crossbeam_channel::unbounded();
        let (events_tx, rx) = crossbeam_channel::unbounded();
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = cancel.clone();
        let handle = std::thread::Builder::new()
            .name("facesorter-people".into())
            .spawn(move || {
                let mut worker = Worker {
                    config,
                    session: None,
                    preview: None,
                    undo: Vec::new(),
                    events: events_tx,
                    wake: Box::new(wake),
                    cancel: flag,
                    generation: AtomicU64::new(0),
                    scratch: None,
                };
                worker.run(&requests);
            })?;
        Ok(Self {
            tx: Some(tx),
            rx,
            cancel,
            handle: Some(handle),
        })
    }

    pub fn send(&self, request: PeopleRequest) {
        if let Some(tx) = &self.tx {
            // A worker that is gone has reported why (or was cancelled).
            let _ = tx.send(request);
        }
    }

    /// Everything the worker said since the last call; `true` when it has stopped.
    pub fn drain(&self) -> (Vec<PeopleEvent>, bool) {
        let mut out = Vec::new();
        loop {
            match self.rx.try_recv() {
                Ok(e) => out.push(e),
                Err(TryRecvError::Empty) => return (out, false),
                Err(TryRecvError::Disconnected) => return (out, true),
            }
        }
    }

    /// Stops after the current step: waiting requests are dropped (a clustering under
    /// way finishes, its result is not shown).
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Stops the worker and waits for the request under way (it saves what it changed).
    pub fn shutdown(mut self) {
        self.cancel();
        self.tx = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for PeopleWorker {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        self.tx = None;
    }
}

struct Worker {
    config: PeopleConfig,
    session: Option<PeopleSession>,
    /// A preview session (scratch store), shown until the real one opens.
    preview: Option<PeopleSession>,
    undo: Vec<(String, Checkpoint)>,
    events: Sender<PeopleEvent>,
    wake: Box<dyn Fn() + Send>,
    cancel: Arc<AtomicBool>,
    generation: AtomicU64,
    /// The scratch folder of the preview's people file, removed at the end.
    scratch: Option<PathBuf>,
}

impl Worker {
    fn run(&mut self, requests: &Receiver<PeopleRequest>) {
        let mut queue: VecDeque<PeopleRequest> = VecDeque::new();
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("facesorter-people-{i}"))
            .build()
            .ok();
        loop {
            if queue.is_empty() {
                self.emit(PeopleEvent::Idle);
                match requests.recv() {
                    Ok(r) => queue.push_back(r),
                    Err(_) => break,
                }
            }
            queue.extend(requests.try_iter());
            if self.cancel.load(Ordering::Relaxed) {
                break;
            }
            let Some(request) = queue.pop_front() else {
                continue;
            };
            // A preview is worth making only if no later album is already waiting.
            let superseded = matches!(request, PeopleRequest::Preview(_))
                && queue
                    .iter()
                    .any(|r| matches!(r, PeopleRequest::Preview(_) | PeopleRequest::Open(_)));
            if superseded {
                continue;
            }
            // Its own threads: in the global pool, clustering would wait behind the
            // indexer's photos (seconds, while the window shows nothing new).
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| match &pool {
                Some(pool) => pool.install(|| self.handle(request)),
                None => self.handle(request),
            }));
            if let Err(payload) = outcome {
                let message = crate::fault::panic_message(payload.as_ref());
                self.emit(PeopleEvent::Failed(format!(
                    "the people worker failed: {message}"
                )));
            }
        }
        if let Some(dir) = self.scratch.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    fn emit(&self, event: PeopleEvent) {
        // The window may be gone: nobody is left to tell.
        let _ = self.events.send(event);
        (self.wake)();
    }

    fn handle(&mut self, request: PeopleRequest) {
        let started = Instant::now();
        match request {
            PeopleRequest::Open(album) => self.open(album, false, started),
            PeopleRequest::Preview(album) => self.open(album, true, started),
            PeopleRequest::Correct(c) => self.correct(c, started),
            PeopleRequest::Undo => self.undo(started),
            PeopleRequest::ProposeSplit(id) => {
                self.emit(PeopleEvent::Working(Stage::Splitting(id)));
                let Some(session) = self.current() else {
                    return self.not_open();
                };
                match session.propose_split(id) {
                    Ok(parts) => self.emit(PeopleEvent::Split { id, parts }),
                    Err(e) => self.emit(PeopleEvent::Failed(e.to_string())),
                }
            }
            PeopleRequest::Sort {
                out,
                options,
                cancel,
            } => {
                let Some(session) = &self.session else {
                    return self.not_open();
                };
                let plan = SortPlan::from_session(session);
                self.emit(PeopleEvent::Working(Stage::Sorting {
                    photos: session.album().photos().len(),
                    folders: plan.persons.len(),
                }));
                let result =
                    sort_album(&out, &plan, &options, &cancel).map_err(|e| crate::error::chain(&e));
                self.emit(PeopleEvent::Sorted(result));
            }
        }
    }

    fn current(&self) -> Option<&PeopleSession> {
        self.session.as_ref().or(self.preview.as_ref())
    }

    fn not_open(&self) {
        self.emit(PeopleEvent::Failed(
            "the people are not ready yet: wait for the gallery to be indexed".into(),
        ));
    }

    fn open(&mut self, album: Arc<Album>, preview: bool, started: Instant) {
        self.emit(PeopleEvent::Working(Stage::Clustering {
            faces: album.face_count(),
            preview,
        }));
        let store = if preview {
            match self.scratch_store() {
                Ok(store) => store,
                Err(e) => return self.emit(PeopleEvent::Failed(e)),
            }
        } else {
            self.config.store.clone()
        };
        let opened = PeopleSession::open(
            &store,
            &self.config.root,
            album,
            &self.config.model,
            self.config.params,
        );
        if self.cancel.load(Ordering::Relaxed) {
            return;
        }
        match opened {
            Ok(opened) => {
                if !opened.notices.is_empty() && !preview {
                    self.emit(PeopleEvent::Notices(opened.notices));
                }
                // Another album: the checkpoints were of the old one.
                self.undo.clear();
                if preview {
                    self.preview = Some(opened.session);
                } else {
                    self.session = Some(opened.session);
                    self.preview = None;
                }
                self.publish(Vec::new(), started);
            }
            Err(e) => self.emit(PeopleEvent::Failed(format!(
                "cannot sort the people of {}: {}",
                self.config.root.display(),
                crate::error::chain(&e)
            ))),
        }
    }

    /// A scratch store holding a copy of the gallery's people file (names and
    /// corrections show in the preview too).
    fn scratch_store(&mut self) -> Result<PeopleStore, String> {
        let dir = match &self.scratch {
            Some(dir) => dir.clone(),
            None => {
                static NEXT: AtomicU64 = AtomicU64::new(0);
                let dir = std::env::temp_dir().join(format!(
                    "facesorter-people-preview-{}-{}",
                    std::process::id(),
                    NEXT.fetch_add(1, Ordering::Relaxed)
                ));
                self.scratch = Some(dir.clone());
                dir
            }
        };
        let store = PeopleStore::at(&dir);
        let real = self.config.store.path_for(&self.config.root);
        let copy = store.path_for(&self.config.root);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        if real.is_file() {
            std::fs::copy(&real, &copy)
                .map_err(|e| format!("cannot copy {}: {e}", real.display()))?;
        } else {
            let _ = std::fs::remove_file(&copy);
        }
        Ok(store)
    }

    fn correct(&mut self, correction: Correction, started: Instant) {
        let label = correction.label();
        self.emit(PeopleEvent::Working(Stage::Correcting(label.clone())));
        let Some(session) = self.session.as_mut() else {
            return self.emit(PeopleEvent::Failed(
                "corrections wait until the gallery is indexed (the persons shown are a preview)"
                    .into(),
            ));
        };
        let checkpoint = session.checkpoint();
        let result = match correction {
            Correction::Name { id, name } => session.name(id, &name).map(ids),
            Correction::Merge { into, others } => session.merge(into, &others).map(ids),
            Correction::Confirm { id, faces } => session.confirm(id, &faces).map(ids),
            Correction::Reject { id, faces } => session.reject(id, &faces).map(ids),
            Correction::Ignore { faces } => session.ignore(&faces).map(ids),
            Correction::Hide { id, hidden } => session.hide(id, hidden).map(ids),
            Correction::ApplySplit(id) => session.apply_split(id).map(ids),
            Correction::Recluster => session.recluster().map(|()| Vec::new()),
        };
        match result {
            Ok(changed) => {
                self.undo.push((label, checkpoint));
                if self.undo.len() > UNDO_LIMIT {
                    self.undo.remove(0);
                }
                self.publish(changed, started);
            }
            Err(e) => self.emit(PeopleEvent::Failed(format!("{label}: {e}"))),
        }
    }

    fn undo(&mut self, started: Instant) {
        let Some((label, checkpoint)) = self.undo.pop() else {
            return self.emit(PeopleEvent::Failed("nothing to undo".into()));
        };
        self.emit(PeopleEvent::Working(Stage::Undoing(label.clone())));
        let Some(session) = self.session.as_mut() else {
            return self.not_open();
        };
        match session.restore(checkpoint) {
            Ok(()) => self.publish(Vec::new(), started),
            Err(e) => self.emit(PeopleEvent::Failed(format!("undo {label}: {e}"))),
        }
    }

    fn publish(&self, changed: Vec<PersonId>, started: Instant) {
        let (session, preview) = match (&self.session, &self.preview) {
            (Some(s), _) => (s, false),
            (None, Some(p)) => (p, true),
            (None, None) => return,
        };
        let snapshot = PeopleSnapshot {
            generation: self.generation.fetch_add(1, Ordering::Relaxed) + 1,
            preview,
            persons: session.persons(),
            hidden: session.hidden_persons(),
            unsorted: session.unsorted(),
            suggestions: session.suggestions(),
            undo: self.undo.last().map(|(label, _)| label.clone()),
            changed,
            album: Arc::clone(session.album()),
            root: session.root().to_path_buf(),
            params: session.params(),
            file: if preview {
                PathBuf::new()
            } else {
                session.file_path()
            },
            took: started.elapsed(),
        };
        self.emit(PeopleEvent::Ready(Arc::new(snapshot)));
    }
}

fn ids(views: Vec<PersonView>) -> Vec<PersonId> {
    views.into_iter().map(|p| p.id).collect()
}
