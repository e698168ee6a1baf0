//! A probe photo: decoded, every face detected, embedded and aligned, off the UI thread.

use std::path::PathBuf;
use std::sync::Arc;

use facesorter_core::engine::{Face, FaceEngine};
use facesorter_core::photo::{decode_photo, PhotoLimits};
use image::RgbImage;

use super::{describe, Job};

/// Where a probe photo comes from.
#[derive(Debug, Clone)]
pub enum ProbeSource {
    File(PathBuf),
    /// Encoded image bytes (pasted), with a name to show.
    Bytes {
        name: String,
        bytes: Arc<Vec<u8>>,
    },
}

impl ProbeSource {
    pub fn name(&self) -> String {
        match self {
            Self::File(p) => p.display().to_string(),
            Self::Bytes { name, .. } => name.clone(),
        }
    }
}

/// An analysed probe photo.
pub struct AnalyzedProbe {
    pub source: ProbeSource,
    pub image: Arc<RgbImage>,
    pub faces: Vec<Face>,
    /// The 112×112 aligned crop of each face (what the recognizer saw).
    pub crops: Vec<RgbImage>,
}

pub type ProbeResult = Result<AnalyzedProbe, String>;

pub fn spawn(
    ctx: &egui::Context,
    engine: Arc<FaceEngine>,
    source: ProbeSource,
) -> Job<ProbeResult> {
    Job::spawn(ctx, "probe", move |out, _cancel| {
        out.send(analyze(&engine, source));
    })
}

fn analyze(engine: &FaceEngine, source: ProbeSource) -> ProbeResult {
    let name = source.name();
    let photo = match &source {
        ProbeSource::File(path) => engine.load_photo(path).map_err(|e| describe(&e))?,
        ProbeSource::Bytes { bytes, .. } => {
            decode_photo(bytes, &PhotoLimits::default()).map_err(|e| describe(&e))?
        }
    };
    let faces = engine
        .analyze(&photo.image)
        .map_err(|e| format!("{name}: {}", describe(&e)))?;
    let crops = faces
        .iter()
        .map(|f| engine.align(&photo.image, &f.detection.landmarks))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{name}: {}", describe(&e)))?;
    Ok(AnalyzedProbe {
        source,
        image: Arc::new(photo.image),
        faces,
        crops,
    })
}
