//! A probe photo: decoded, every face detected, embedded and aligned, off the UI thread.

use std::path::PathBuf;
use std::sync::Arc;

use facesorter_core::engine::{Face, FaceEngine};
use facesorter_core::photo::PhotoLimits;
use image::RgbImage;

use super::{describe, Job};

/// Where a probe photo comes from.
#[derive(Debug, Clone)]
pub enum ProbeSource {
    File(PathBuf),
    /// An image pasted from the clipboard (converted on the worker, not the UI thread).
    Pasted {
        name: String,
        image: Arc<egui::ColorImage>,
    },
}

impl ProbeSource {
    pub fn name(&self) -> String {
        match self {
            Self::File(p) => p.display().to_string(),
            Self::Pasted { name, .. } => name.clone(),
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
    facesorter_core::fault::inject("probe");
    let name = source.name();
    let image = match &source {
        ProbeSource::File(path) => engine.load_photo(path).map_err(|e| describe(&e))?.image,
        ProbeSource::Pasted { image, .. } => {
            rgb_from_pasted(image, &engine.options().limits).map_err(|e| format!("{name}: {e}"))?
        }
    };
    let faces = engine
        .analyze(&image)
        .map_err(|e| format!("{name}: {}", describe(&e)))?;
    let crops = faces
        .iter()
        .map(|f| engine.align(&image, &f.detection.landmarks))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{name}: {}", describe(&e)))?;
    Ok(AnalyzedProbe {
        source,
        image: Arc::new(image),
        faces,
        crops,
    })
}

/// The pasted pixels as an RGB photo. Clipboard images arrive as premultiplied
/// RGBA; transparent parts are composited on white, as the photo decoder does.
fn rgb_from_pasted(image: &egui::ColorImage, limits: &PhotoLimits) -> Result<RgbImage, String> {
    let [w, h] = image.size;
    let (w32, h32) = (
        u32::try_from(w).map_err(|_| "pasted image too large".to_string())?,
        u32::try_from(h).map_err(|_| "pasted image too large".to_string())?,
    );
    if w == 0 || h == 0 {
        return Err("the pasted image is empty".into());
    }
    if u64::from(w32) * u64::from(h32) > limits.max_pixels {
        return Err(format!(
            "the pasted image is {w}×{h}, more than the {} megapixels allowed",
            limits.max_pixels / 1_000_000
        ));
    }
    let mut rgb = RgbImage::new(w32, h32);
    for (out, px) in rgb.pixels_mut().zip(&image.pixels) {
        // Premultiplied colour over white: c + (255 − a).
        let white = 255 - px.a();
        out.0 = [
            px.r().saturating_add(white),
            px.g().saturating_add(white),
            px.b().saturating_add(white),
        ];
    }
    Ok(rgb)
}
