//! An indexing run on its own thread, for front ends that must not block: events arrive on
//! a channel, and a `wake` callback (e.g. egui's `request_repaint`) follows each one.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{unbounded, Receiver};

use super::{index_gallery, IndexError, IndexEvent, IndexOptions};
use crate::engine::FaceEngine;
use crate::gallery::GalleryCache;

/// A running (or finished) background indexing run. The last event is
/// [`IndexEvent::Finished`]. Dropping the job cancels the run without waiting (the cache
/// file is only ever replaced whole, so it stays consistent whenever the process ends);
/// [`IndexJob::cancel_and_wait`] also waits for the final save.
#[derive(Debug)]
pub struct IndexJob {
    events: Receiver<IndexEvent>,
    cancel: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl IndexJob {
    pub fn spawn(
        engine: Arc<FaceEngine>,
        root: PathBuf,
        cache: Option<GalleryCache>,
        options: IndexOptions,
        wake: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        let (tx, events) = unbounded();
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&cancel);
        let thread = std::thread::Builder::new()
            .name("facesorter-index".into())
            .spawn(move || {
                let send = |event| {
                    // The front end may be gone; the run still finishes and saves.
                    let _ = tx.send(event);
                    wake();
                };
                // Whatever panics, the front end gets `Finished` and never waits forever.
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    index_gallery(&engine, &root, cache.as_ref(), &options, &send, &flag)
                }))
                .unwrap_or_else(|payload| {
                    Err(IndexError::Panicked {
                        stage: "indexing",
                        message: crate::fault::panic_message(&*payload),
                    })
                });
                send(IndexEvent::Finished(result));
            });
        let thread = match thread {
            Ok(handle) => Some(handle),
            Err(e) => {
                log::error!("cannot start the indexing thread: {e}");
                None
            }
        };
        Self {
            events,
            cancel,
            thread,
        }
    }

    pub fn events(&self) -> &Receiver<IndexEvent> {
        &self.events
    }

    /// Asks the run to stop; finished work is kept and `Finished` still arrives.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }
}

impl IndexJob {
    /// Cancels and waits until the finished work is saved (e.g. when the app closes).
    pub fn cancel_and_wait(mut self) {
        self.cancel();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for IndexJob {
    fn drop(&mut self) {
        self.cancel();
    }
}
