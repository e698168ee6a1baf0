//! The engine: started on a worker (loading models takes seconds), the options it runs
//! with, and why it failed (with the model to download, when one is missing).

use std::path::PathBuf;
use std::sync::Arc;

use facesorter_core::engine::{EngineOptions, FaceEngine};

use crate::jobs::engine::{EngineFailure, EngineResult};
use crate::jobs::model_test::ModelTestResult;
use crate::jobs::{self, Job};

/// What the Settings screen asks of the engine part.
#[derive(Debug, Clone)]
pub enum EngineCommand {
    /// Settings → *Test*: run these options on `sample` (a photo) or a grey crop.
    TestModel {
        options: EngineOptions,
        sample: Option<PathBuf>,
    },
}

/// The Settings screen's *Test* of a recognizer configuration: runs apart from the engine
/// in use, which keeps working meanwhile.
#[derive(Default)]
pub struct ModelTest {
    job: Option<Job<ModelTestResult>>,
    /// The options the last answer is for, and the answer.
    pub last: Option<(EngineOptions, ModelTestResult)>,
    running_for: Option<EngineOptions>,
}

impl ModelTest {
    pub fn running(&self) -> bool {
        self.job.is_some()
    }

    fn start(&mut self, ctx: &egui::Context, options: EngineOptions, sample: Option<PathBuf>) {
        self.running_for = Some(options.clone());
        self.job = Some(jobs::model_test::spawn(ctx, options, sample));
    }

    fn poll(&mut self) {
        let Some(job) = &self.job else {
            return;
        };
        let (results, end) = job.drain();
        let options = self.running_for.clone().unwrap_or_default();
        if let Some(r) = results.into_iter().last() {
            self.last = Some((options, r));
        } else if end.is_over() {
            self.last = Some((options, Err(end.failure("The model test"))));
        } else {
            return;
        }
        self.job = None;
        self.running_for = None;
    }
}

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
    /// Settings → *Test*.
    pub test: ModelTest,
}

impl EnginePart {
    pub fn start(ctx: &egui::Context, options: EngineOptions) -> Self {
        Self {
            status: EngineStatus::Starting,
            job: Some(jobs::engine::spawn(ctx, options.clone())),
            options,
            test: ModelTest::default(),
        }
    }

    pub fn apply(&mut self, ctx: &egui::Context, command: EngineCommand) {
        match command {
            EngineCommand::TestModel { options, sample } => {
                if !self.test.running() {
                    self.test.start(ctx, options, sample);
                }
            }
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
        let test = std::mem::take(&mut self.test);
        *self = Self::start(ctx, options);
        self.test = test;
    }

    /// Drains the start-up job; the engine when it has just become ready.
    pub fn poll(&mut self) -> Option<Arc<FaceEngine>> {
        self.test.poll();
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
