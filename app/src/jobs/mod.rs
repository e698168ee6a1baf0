//! Background work: every slow thing (engine start, probe analysis, export, download) runs
//! on its own thread and reports through a channel; the sender wakes the UI so the result
//! is drained on the next frame. The UI thread never waits on one.

pub mod download;
pub mod engine;
pub mod export;
pub mod probe;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender, TryRecvError};

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

/// A running worker: its messages and its stop flag.
pub struct Job<T> {
    rx: Receiver<T>,
    cancel: Arc<AtomicBool>,
}

impl<T: Send + 'static> Job<T> {
    pub fn spawn(
        ctx: &egui::Context,
        name: &str,
        work: impl FnOnce(Outbox<T>, Arc<AtomicBool>) + Send + 'static,
    ) -> Self {
        let (tx, rx) = crossbeam_channel::unbounded();
        let cancel = Arc::new(AtomicBool::new(false));
        let outbox = Outbox {
            tx,
            ctx: ctx.clone(),
        };
        let flag = cancel.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("facesorter-{name}"))
            .spawn(move || work(outbox, flag));
        if let Err(e) = spawned {
            log::error!("cannot start the {name} thread: {e}");
        }
        Self { rx, cancel }
    }

    /// Everything sent since the last call, and whether the worker is gone.
    pub fn drain(&self) -> (Vec<T>, bool) {
        let mut out = Vec::new();
        loop {
            match self.rx.try_recv() {
                Ok(v) => out.push(v),
                Err(TryRecvError::Empty) => return (out, false),
                Err(TryRecvError::Disconnected) => return (out, true),
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
