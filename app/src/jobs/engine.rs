//! Opening the engine (runtime library, detector, recognizer) off the UI thread: loading
//! a model can take seconds.

use std::sync::Arc;

use facesorter_core::engine::{EngineError, EngineOptions, FaceEngine};
use facesorter_core::models::{ModelError, ModelLocator, ModelSpec};

use super::{describe, Job};

/// Why the engine did not start, with what the window can offer to fix it.
#[derive(Debug, Clone)]
pub struct EngineFailure {
    /// The core's message, which carries the fix.
    pub message: String,
    /// A known model that is missing: the window offers to download it.
    pub missing_model: Option<String>,
}

pub type EngineResult = Result<Arc<FaceEngine>, EngineFailure>;

pub fn spawn(ctx: &egui::Context, options: EngineOptions) -> Job<EngineResult> {
    Job::spawn(ctx, "engine", move |out, _cancel| {
        out.send(open(options));
    })
}

fn open(options: EngineOptions) -> EngineResult {
    facesorter_core::fault::inject("engine");
    let locator = ModelLocator::from_environment().map_err(|e| EngineFailure {
        message: describe(&e),
        missing_model: None,
    })?;
    FaceEngine::open(options, &locator)
        .map(Arc::new)
        .map_err(|e| EngineFailure {
            message: describe(&e),
            missing_model: missing_model_id(&e, &locator),
        })
}

fn missing_model_id(err: &EngineError, locator: &ModelLocator) -> Option<String> {
    match err {
        EngineError::Model(ModelError::NotFound { spec, .. }) => {
            let id = match ModelSpec::parse(spec) {
                ModelSpec::Id(id) => id,
                ModelSpec::Path(_) => return None,
            };
            locator.manifest().get(&id).map(|e| e.id.clone())
        }
        _ => None,
    }
}
