//! Background work: every slow thing (engine start, probe analysis, export, download) runs
//! on its own thread and reports through a channel; the sender wakes the UI so the result
//! is drained on the next frame. The UI thread never waits on one, and a worker that
//! panics ends its job with an error instead of leaving the window busy.

pub mod download;
pub mod engine;
pub mod export;
pub mod model_test;
pub mod probe;

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam_channel::{Receiver, Sender, TryRecvError};
use facesorter_core::fault::panic_message;

/// The sending end handed to a worker: each message also asks for a repaint.
pub struct Outbox<T> {
    tx: Sender<T>,
    ctx: egui::Context,
}

impl<T> Outbox<T> {
    pub fn send(&self, value: T) {
        // The window may be gone (closed mid-job): nobody is left to tell.
        let _ = self.tx.send(value);
        self.ctx.request_repaint();
    }
}

/// How a worker stands after a drain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEnd {
    /// Still running: more may come.
    Running,
    /// Returned normally (its last message, if it sent one, is in the drained batch).
    Returned,
    /// Panicked (or could not start): the message, for the window to show.
    Panicked(String),
}

impl JobEnd {
    pub fn is_over(&self) -> bool {
        !matches!(self, Self::Running)
    }

    /// What to tell the user when the worker ended without its final answer.
    pub fn failure(&self, what: &str) -> String {
        match self {
            Self::Panicked(message) => format!("{what} failed: {message}"),
            _ => format!("{what} stopped without an answer"),
        }
    }
}

/// A running worker: its messages, its stop flag, and why it ended if it panicked.
pub struct Job<T> {
    rx: Receiver<T>,
    cancel: Arc<AtomicBool>,
    panicked: Arc<Mutex<Option<String>>>,
}

impl<T: Send + 'static> Job<T> {
    /// Runs `work` on its own thread. A panic in it is caught and reported by [`Job::drain`]
    /// (the channel closes without a final message), so the window never waits forever.
    pub fn spawn(
        ctx: &egui::Context,
        name: &str,
        work: impl FnOnce(Outbox<T>, Arc<AtomicBool>) + Send + 'static,
    ) -> Self {
        let (tx, rx) = crossbeam_channel::unbounded();
        let cancel = Arc::new(AtomicBool::new(false));
        let panicked = Arc::new(Mutex::new(None));
        let outbox = Outbox {
            tx,
            ctx: ctx.clone(),
        };
        let flag = cancel.clone();
        let (record, wake) = (panicked.clone(), ctx.clone());
        // Keeps the channel open until the panic is recorded, so a drain never sees it
        // closed before it can tell why.
        let keep_open = outbox.tx.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("facesorter-{name}"))
            .spawn(move || {
                let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| work(outbox, flag)));
                if let Err(payload) = outcome {
                    if let Ok(mut slot) = record.lock() {
                        *slot = Some(panic_message(payload.as_ref()));
                    }
                }
                drop(keep_open);
                wake.request_repaint();
            });
        if let Err(e) = spawned {
            log::error!("cannot start the {name} thread: {e}");
            if let Ok(mut slot) = panicked.lock() {
                *slot = Some(format!("cannot start the {name} thread: {e}"));
            }
        }
        Self {
            rx,
            cancel,
            panicked,
        }
    }

    /// Everything sent since the last call, and whether the worker is over.
    pub fn drain(&self) -> (Vec<T>, JobEnd) {
        let mut out = Vec::new();
        loop {
            match self.rx.try_recv() {
                Ok(v) => out.push(v),
                Err(TryRecvError::Empty) => return (out, JobEnd::Running),
                Err(TryRecvError::Disconnected) => {
                    let panicked = self.panicked.lock().ok().and_then(|p| p.clone());
                    let end = panicked.map_or(JobEnd::Returned, JobEnd::Panicked);
                    return (out, end);
                }
            }
        }
    }

    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// An error and its causes on one line, each once: what the window shows.
pub fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    facesorter_core::error::chain(err)
}
