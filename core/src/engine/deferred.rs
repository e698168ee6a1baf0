//! A model opened on first use, or ahead of it on a background thread: a run with
//! nothing to embed never waits for a recognizer, and one with work starts compiling it
//! while the first photos are decoded.

use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;

use super::EngineError;

type Opener<T> = dyn Fn() -> Result<T, EngineError> + Send + Sync;

/// Why the model did not open: the first caller gets the error itself (with its
/// structure), later ones a message naming it.
struct Failure {
    error: Mutex<Option<EngineError>>,
    message: String,
}

pub(crate) struct Deferred<T> {
    cell: Arc<OnceLock<Result<T, Box<Failure>>>>,
    open: Arc<Opener<T>>,
    what: &'static str,
    /// The background open, joined on drop: a process must not exit while a model
    /// compiles on another thread (OpenVINO's static destructors then crash it).
    background: Mutex<Option<JoinHandle<()>>>,
}

impl<T> Drop for Deferred<T> {
    fn drop(&mut self) {
        if let Some(handle) = self.background.get_mut().ok().and_then(Option::take) {
            let _ = handle.join();
        }
    }
}

impl<T> std::fmt::Debug for Deferred<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deferred")
            .field("what", &self.what)
            .field("ready", &self.cell.get().is_some())
            .finish()
    }
}

impl<T: Send + Sync + 'static> Deferred<T> {
    pub(crate) fn new(
        what: &'static str,
        open: impl Fn() -> Result<T, EngineError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            cell: Arc::new(OnceLock::new()),
            open: Arc::new(open),
            what,
            background: Mutex::new(None),
        }
    }

    fn init(open: &Opener<T>) -> Result<T, Box<Failure>> {
        open().map_err(|e| {
            Box::new(Failure {
                message: crate::error::chain(&e),
                error: Mutex::new(Some(e)),
            })
        })
    }

    /// Starts opening on a background thread, unless it is open or opening already.
    pub(crate) fn start(&self) {
        let Ok(mut background) = self.background.lock() else {
            return;
        };
        if self.cell.get().is_some() || background.is_some() {
            return;
        }
        let (cell, open) = (Arc::clone(&self.cell), Arc::clone(&self.open));
        let spawned = std::thread::Builder::new()
            .name(format!("open {}", self.what))
            .spawn(move || {
                cell.get_or_init(|| Self::init(&*open));
            });
        match spawned {
            Ok(handle) => *background = Some(handle),
            Err(e) => log::warn!("{} opens on first use: no thread ({e})", self.what),
        }
    }

    /// The open model, opening it now (or waiting for the background open) if needed.
    pub(crate) fn get(&self) -> Result<&T, EngineError> {
        match self.cell.get_or_init(|| Self::init(&*self.open)) {
            Ok(model) => Ok(model),
            Err(failure) => {
                let first = failure.error.lock().ok().and_then(|mut e| e.take());
                Err(first.unwrap_or_else(|| EngineError::OpenFailed {
                    what: self.what,
                    reason: failure.message.clone(),
                }))
            }
        }
    }

    /// Whether opening was tried and failed; never waits.
    pub(crate) fn failed(&self) -> bool {
        self.cell.get().is_some_and(Result::is_err)
    }

    /// The model if it is open already; never waits.
    pub(crate) fn ready(&self) -> Option<&T> {
        self.cell.get().and_then(|r| r.as_ref().ok())
    }
}
