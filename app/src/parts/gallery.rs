//! The gallery: the folder opened, its indexing job (progress, cancel), the album so far
//! and how the run ended. Its drain treats a closed channel without a final event as a
//! failed run, so a panicking indexer never leaves the window "indexing".

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crossbeam_channel::{Receiver, TryRecvError};
use facesorter_core::engine::FaceEngine;
use facesorter_core::gallery::{Album, GalleryCache};
use facesorter_core::index::{IndexEvent, IndexJob, IndexOptions, IndexProgress, IndexSummary};

#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum GalleryCommand {
    Open(PathBuf),
    CancelIndexing,
    /// Opens a folder of the gallery (an unreadable photo's) in the file manager.
    OpenFolder(PathBuf),
}

/// One opened gallery folder.
pub struct Gallery {
    pub root: PathBuf,
    job: Option<IndexJob>,
    pub progress: IndexProgress,
    /// The album so far (a checkpoint while indexing), then the whole album.
    pub album: Option<Arc<Album>>,
    pub summary: Option<IndexSummary>,
    pub error: Option<String>,
    /// Why a folder of it could not be opened, naming it; cleared by the next try.
    pub open_error: Option<String>,
}

impl Gallery {
    pub fn indexing(&self) -> bool {
        self.job.is_some()
    }
}

/// What a drain changed: the album to rank against, if it is new.
#[derive(Debug, Default)]
pub struct GalleryUpdate {
    pub album: Option<Arc<Album>>,
    /// The run ended (finished, cancelled, failed or panicked).
    pub ended: bool,
}

#[derive(Default)]
pub struct GalleryPart {
    pub gallery: Option<Gallery>,
    /// Opened as soon as the engine is ready.
    pending: Option<PathBuf>,
    /// The toolbar's text field.
    pub path_text: String,
    /// Why the last folder could not be opened.
    pub notice: Option<String>,
}

impl GalleryPart {
    pub fn new(pending: Option<PathBuf>) -> Self {
        Self {
            path_text: pending
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            pending,
            ..Self::default()
        }
    }

    pub fn indexing(&self) -> bool {
        self.gallery.as_ref().is_some_and(Gallery::indexing)
    }

    pub fn root(&self) -> Option<&Path> {
        self.gallery.as_ref().map(|g| g.root.as_path())
    }

    /// The folder waiting for the engine.
    pub fn pending(&self) -> Option<&Path> {
        self.pending.as_deref()
    }

    /// The folder waiting for the engine, taken.
    pub fn take_pending(&mut self) -> Option<PathBuf> {
        self.pending.take()
    }

    /// Checks the folder; `false` (with a notice) when it is none.
    pub fn accept(&mut self, root: &Path) -> bool {
        if !root.is_dir() {
            self.notice = Some(format!("{} is not a folder", root.display()));
            return false;
        }
        self.notice = None;
        self.path_text = root.display().to_string();
        true
    }

    /// Opens `root` once the engine is ready.
    pub fn defer(&mut self, root: PathBuf) {
        self.pending = Some(root);
    }

    /// Starts indexing `root` (the previous run, if any, is cancelled).
    pub fn open(&mut self, ctx: &egui::Context, engine: Arc<FaceEngine>, root: PathBuf) {
        self.stop();
        let cache = GalleryCache::default_dir().map(GalleryCache::new);
        let wake = ctx.clone();
        let job = IndexJob::spawn(
            engine,
            root.clone(),
            cache,
            // The window searches the album while it grows.
            IndexOptions {
                snapshots: true,
                ..IndexOptions::default()
            },
            move || wake.request_repaint(),
        );
        self.gallery = Some(Gallery {
            root,
            job: Some(job),
            progress: IndexProgress::default(),
            album: None,
            summary: None,
            error: None,
            open_error: None,
        });
    }

    /// Forgets the gallery, to be indexed again once the engine is back (another model).
    pub fn reopen_later(&mut self) {
        if let Some(g) = self.gallery.take() {
            if let Some(job) = &g.job {
                job.cancel();
            }
            self.pending = Some(g.root);
        }
    }

    /// Opens `dir` in the file manager; a failure is kept to be shown in the gallery view.
    pub fn open_folder(&mut self, dir: &Path) {
        let result = super::folder::open_folder(dir);
        if let Some(g) = &mut self.gallery {
            g.open_error = result.err();
        }
    }

    pub fn cancel(&self) {
        if let Some(job) = self.gallery.as_ref().and_then(|g| g.job.as_ref()) {
            job.cancel();
        }
    }

    fn stop(&mut self) {
        if let Some(old) = self.gallery.take() {
            if let Some(job) = &old.job {
                job.cancel();
            }
        }
    }

    /// Drains the indexer's events.
    pub fn poll(&mut self) -> GalleryUpdate {
        let Some(gallery) = &mut self.gallery else {
            return GalleryUpdate::default();
        };
        let Some(job) = gallery.job.take() else {
            return GalleryUpdate::default();
        };
        let update = drain_index(job.events(), gallery);
        if !update.ended {
            gallery.job = Some(job);
        }
        update
    }

    /// Stops indexing and waits for the finished work to be saved (the window closes).
    pub fn shutdown(&mut self) {
        if let Some(job) = self.gallery.as_mut().and_then(|g| g.job.take()) {
            job.cancel_and_wait();
        }
    }
}

/// Applies the indexer's events to `gallery`. A channel closed before `Finished` means
/// the indexing thread died (a panic): that ends the run with an error.
fn drain_index(events: &Receiver<IndexEvent>, gallery: &mut Gallery) -> GalleryUpdate {
    let mut update = GalleryUpdate::default();
    loop {
        match events.try_recv() {
            Ok(IndexEvent::Progress(p)) => gallery.progress = p,
            Ok(IndexEvent::Snapshot(album)) => {
                gallery.album = Some(album.clone());
                update.album = Some(album);
            }
            Ok(IndexEvent::Finished(result)) => {
                update.ended = true;
                match result {
                    Ok(outcome) => {
                        gallery.album = Some(outcome.album.clone());
                        update.album = Some(outcome.album);
                        gallery.summary = Some(outcome.summary);
                    }
                    Err(e) => gallery.error = Some(crate::jobs::describe(&e)),
                }
                return update;
            }
            Err(TryRecvError::Empty) => return update,
            Err(TryRecvError::Disconnected) => {
                update.ended = true;
                gallery.error = Some(
                    "the indexing thread stopped unexpectedly (a crash; the details are on the \
                     terminal). The photos saved so far are kept: open the folder again to go on."
                        .into(),
                );
                return update;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gallery() -> Gallery {
        Gallery {
            root: PathBuf::from("/album"),
            job: None,
            progress: IndexProgress::default(),
            album: None,
            summary: None,
            error: None,
            open_error: None,
        }
    }

    #[test]
    fn a_closed_channel_without_finished_ends_the_run_with_an_error() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut g = gallery();
        tx.send(IndexEvent::Snapshot(Arc::new(Album::new(4))))
            .expect("send");
        let update = drain_index(&rx, &mut g);
        assert!(!update.ended, "still running");
        assert!(update.album.is_some());
        // The indexing thread panics: its sender is dropped without `Finished`.
        drop(tx);
        let update = drain_index(&rx, &mut g);
        assert!(update.ended);
        let error = g.error.expect("an error shown");
        assert!(error.contains("stopped unexpectedly"), "{error}");
        assert!(g.album.is_some(), "the checkpoint is kept");
    }

    #[test]
    fn an_empty_drain_changes_nothing_until_the_channel_closes() {
        let (tx, rx) = crossbeam_channel::unbounded::<IndexEvent>();
        let mut g = gallery();
        let update = drain_index(&rx, &mut g);
        assert!(!update.ended && update.album.is_none());
        drop(tx);
        assert!(drain_index(&rx, &mut g).ended);
    }
}
