//! Settings → *Test*: opens the recognizer with the settings being edited and embeds one
//! sample face, off the UI thread, so the user sees the model runs and what it gives
//! (embedding size and norm) before indexing a gallery with it.

use std::path::PathBuf;

use facesorter_core::engine::{largest_face, EngineOptions, FaceEngine};
use facesorter_core::geometry::CROP_SIZE;
use facesorter_core::models::ModelLocator;
use image::RgbImage;

use super::{describe, Job};

/// What the test found.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelTestReport {
    /// What was embedded: "the largest face of PATH" or the grey crop.
    pub sample: String,
    pub embedding_size: usize,
    /// Norm of the raw embedding (the quality signal).
    pub norm: f32,
    /// The threshold the model runs with, and where it came from.
    pub threshold: f32,
    pub threshold_source: &'static str,
}

pub type ModelTestResult = Result<ModelTestReport, String>;

/// Embeds the largest face of `sample` (the first probe photo or gallery photo, when the
/// window has one), else a mid-grey 112×112 crop.
pub fn spawn(
    ctx: &egui::Context,
    options: EngineOptions,
    sample: Option<PathBuf>,
) -> Job<ModelTestResult> {
    Job::spawn(ctx, "model-test", move |out, _cancel| {
        out.send(run(options, sample));
    })
}

fn run(options: EngineOptions, sample: Option<PathBuf>) -> ModelTestResult {
    let locator = ModelLocator::from_environment().map_err(|e| describe(&e))?;
    let engine = FaceEngine::open(options, &locator).map_err(|e| describe(&e))?;
    let face = match &sample {
        Some(path) => {
            let image = engine.load_photo(path).map_err(|e| describe(&e))?.image;
            let faces = engine.analyze(&image).map_err(|e| describe(&e))?;
            largest_face(&faces).map(|i| {
                (
                    format!("the largest face of {}", path.display()),
                    faces[i].embedding.clone(),
                )
            })
        }
        None => None,
    };
    let (sample, embedding) = match face {
        Some(found) => found,
        None => {
            let grey = RgbImage::from_pixel(CROP_SIZE, CROP_SIZE, image::Rgb([128, 128, 128]));
            let embedding = engine
                .embed_crops(std::slice::from_ref(&grey))
                .map_err(|e| describe(&e))?
                .into_iter()
                .next()
                .ok_or("the recognizer gave no embedding for the sample")?;
            let why = match &sample {
                Some(path) => format!("no face in {}", path.display()),
                None => "no probe or gallery photo yet".to_string(),
            };
            (format!("a mid-grey 112×112 crop ({why})"), embedding)
        }
    };
    let profile = engine.recognizer_profile();
    Ok(ModelTestReport {
        sample,
        embedding_size: embedding.unit.len(),
        norm: embedding.norm,
        threshold: profile.threshold,
        threshold_source: profile.sources.threshold.label(),
    })
}
