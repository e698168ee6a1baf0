//! The engine: started on a worker (loading models takes seconds), the options it runs
//! with, and why it failed (with the model to download, when one is missing).

use std::sync::Arc;

use facesorter_core::engine::{EngineOptions, FaceEngine};

use crate::jobs::engine::{EngineFailure, EngineResult};
use crate::jobs::{self, Job};

pub enum EngineStatus {
    Starting,
    Ready(Arc<FaceEngine>),
    Failed(EngineFailure),
}

pub struct EnginePart {
    pub status: EngineStatus,
    job: Option<Job<EngineResult>>,
    /// The options it runs with.
    pub options: EngineOptions,
}

impl EnginePart {
    pub fn start(ctx: &egui::Context, options: EngineOptions) -> Self {
        Self {
            status: EngineStatus::Starting,
            job: Some(jobs::engine::spawn(ctx, options.clone())),
            options,
        }
    }

    pub fn ready(&self) -> Option<&Arc<FaceEngine>> {
        match &self.status {
            EngineStatus::Ready(e) => Some(e),
            _ => None,
        }
    }

    /// Starts again with other options (settings applied, a model downloaded).
    pub fn restart(&mut self, ctx: &egui::Context, options: EngineOptions) {
        *self = Self::start(ctx, options);
    }

    /// Drains the start-up job; the engine when it has just become ready.
    pub fn poll(&mut self) -> Option<Arc<FaceEngine>> {
        let job = self.job.as_ref()?;
        let (results, end) = job.drain();
        let answered = !results.is_empty();
        for r in results {
            self.status = match r {
                Ok(engine) => EngineStatus::Ready(engine),
                Err(failure) => EngineStatus::Failed(failure),
            };
        }
        if !answered && !end.is_over() {
            return None;
        }
        self.job = None;
        if !answered {
            self.status = EngineStatus::Failed(EngineFailure {
                message: end.failure("Loading the models"),
                missing_model: None,
            });
        }
        self.ready().cloned()
    }
}
