//! The recognition engine: one photo → its faces, each with a unit embedding and a
//! quality norm. It owns the runtime, the detector and the recognizer, and is what the
//! gallery indexer, the CLI and the app call.

mod deferred;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use image::RgbImage;
use serde::{Deserialize, Serialize};

use crate::align::{align_face, AlignError, AlignMethod, ALIGNMENT_VERSION};
use crate::detect::{DetectError, Detector, DetectorParams, DETECTION_VERSION};
use crate::embed::{EmbedError, FaceEmbedding, Recognizer};
use crate::gallery::Fingerprint;
use crate::geometry::{DetectedFace, Landmarks, CROP_SIZE};
use deferred::Deferred;

use crate::models::{
    default_memo_path, read_declared, remembered_sha256, ModelEntry, ModelError, ModelKind,
    ModelLocator, ModelSpec, RecognizerOverrides, RecognizerProfile, Sidecar,
};
use crate::photo::{load_photo, Photo, PhotoError, PhotoLimits};
use crate::runtime::{ProviderChoice, ProviderRequest, Runtime, RuntimeError};

pub use crate::models::{adaface_convention, FALLBACK_THRESHOLD};

/// Everything the engine needs to start.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EngineOptions {
    pub provider: ProviderRequest,
    /// `None`: the manifest's default detector.
    pub detector: Option<ModelSpec>,
    /// `None`: the manifest's default recognizer.
    pub recognizer: Option<ModelSpec>,
    /// Recognizer settings the user gave (flags, the window's Settings): each overrides
    /// the model's sidecar, manifest entry or the AdaFace default
    /// ([`RecognizerProfile::resolve`]).
    pub recognizer_overrides: RecognizerOverrides,
    pub detector_params: DetectorParams,
    pub align: AlignMethod,
    pub limits: PhotoLimits,
    /// Faces per recognizer call; `None` for the default.
    pub batch: Option<usize>,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Photo(#[from] PhotoError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error(transparent)]
    Detect(#[from] DetectError),
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Align(#[from] AlignError),
    #[error("model file {} is damaged or not the expected file: sha256 {actual}, expected {expected} for `{id}`. Fix: facesorter models fetch {id}", path.display())]
    CorruptModel {
        path: PathBuf,
        id: String,
        expected: String,
        actual: String,
    },
    #[error("{}: the model gives {actual}-dimensional embeddings, its sidecar {} says embedding_size = {declared}", path.display(), sidecar.display())]
    EmbeddingSize {
        path: PathBuf,
        sidecar: PathBuf,
        declared: usize,
        actual: usize,
    },
    #[error("the {what} could not be opened: {reason}")]
    OpenFailed { what: &'static str, reason: String },
    #[error("{} is not a {kind:?} model ONNX Runtime can load: {reason}", path.display())]
    InvalidModel {
        path: PathBuf,
        kind: ModelKind,
        reason: String,
    },
}

/// A model file in use, and what is known of it.
#[derive(Debug)]
pub struct LoadedModel {
    pub path: PathBuf,
    pub entry: Option<ModelEntry>,
    /// The model's `NAME.toml`, when it has one.
    pub sidecar: Option<Sidecar>,
    sha256: OnceLock<String>,
}

impl LoadedModel {
    fn new(found: crate::models::ResolvedModel) -> Self {
        Self {
            path: found.path,
            entry: found.entry,
            sidecar: found.sidecar,
            sha256: OnceLock::new(),
        }
    }

    /// The sidecar's display name, else [`Self::name`].
    pub fn display_name(&self) -> String {
        self.sidecar
            .as_ref()
            .and_then(|s| s.name.clone())
            .unwrap_or_else(|| self.name())
    }

    /// The manifest id, or the file name for a custom model.
    pub fn name(&self) -> String {
        match &self.entry {
            Some(e) => e.id.clone(),
            None => self
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        }
    }

    /// SHA-256 of the file, computed once on first use (it is read only for cache keys)
    /// and remembered across runs by the file's size and mtime.
    pub fn sha256(&self) -> Result<&str, ModelError> {
        if let Some(s) = self.sha256.get() {
            return Ok(s);
        }
        let s = remembered_sha256(&self.path, default_memo_path().as_deref())?;
        Ok(self.sha256.get_or_init(|| s))
    }
}

/// One face of a photo with its embedding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Face {
    pub detection: DetectedFace,
    pub embedding: FaceEmbedding,
}

/// Index of the face with the largest box: the one a user most likely means.
pub fn largest_face(faces: &[Face]) -> Option<usize> {
    faces
        .iter()
        .enumerate()
        .max_by(|a, b| {
            let area = |f: &Face| f.detection.face_box.area();
            area(a.1).total_cmp(&area(b.1))
        })
        .map(|(i, _)| i)
}

/// The detection half of the engine: runtime, detector and photo loading. Enough for
/// `facesorter detect`, without loading a recognizer.
#[derive(Debug)]
pub struct DetectionEngine {
    runtime: Runtime,
    detector: Deferred<Detector>,
    detector_model: Arc<LoadedModel>,
    options: EngineOptions,
}

impl DetectionEngine {
    /// Finds and checks the detector and opens it at once.
    pub fn open(options: EngineOptions, locator: &ModelLocator) -> Result<Self, EngineError> {
        let engine = Self::prepare(options, locator)?;
        engine.detector.get()?;
        Ok(engine)
    }

    /// Finds and checks the detector; it is opened on first use, or in the background
    /// from [`Self::warm_up`].
    pub fn prepare(options: EngineOptions, locator: &ModelLocator) -> Result<Self, EngineError> {
        let runtime = Runtime::new(options.provider)?;
        let spec = options
            .detector
            .clone()
            .unwrap_or_else(|| ModelSpec::Id(locator.manifest().default_detector.clone()));
        let detector_model = LoadedModel::new(locator.locate(&spec)?);
        if let Some(s) = &detector_model.sidecar {
            // A detector's sidecar gives only its name and licence: a recognizer's field
            // there would be silently ignored, so it is refused.
            let recognizer_field = [
                ("kind", s.kind == Some(ModelKind::Recognizer)),
                ("input_size", s.input_size.is_some()),
                ("color_order", s.color_order.is_some()),
                ("mean", s.mean.is_some()),
                ("std", s.std.is_some()),
                ("threshold", s.threshold.is_some()),
                ("embedding_size", s.embedding_size.is_some()),
            ]
            .into_iter()
            .find(|(_, given)| *given);
            if let Some((field, _)) = recognizer_field {
                return Err(ModelError::Sidecar {
                    path: s.path.clone(),
                    field: Some(field.into()),
                    reason: "describes a recognizer, but the file is used as the detector".into(),
                }
                .into());
            }
        }
        let detector_model = Arc::new(detector_model);
        let detector = {
            let (runtime, model, params) = (
                runtime.clone(),
                Arc::clone(&detector_model),
                options.detector_params,
            );
            Deferred::new("face detector", move || {
                Detector::open(&runtime, &model.path, params)
                    .map_err(|e| explain_load_failure(e.into(), &model, ModelKind::Detector))
            })
        };
        Ok(Self {
            runtime,
            detector,
            detector_model,
            options,
        })
    }

    pub fn provider(&self) -> ProviderChoice {
        self.runtime.choice()
    }

    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    pub fn detector_model(&self) -> &LoadedModel {
        &self.detector_model
    }

    pub fn load_photo(&self, path: &Path) -> Result<Photo, EngineError> {
        Ok(load_photo(path, &self.options.limits)?)
    }

    pub fn detect(&self, image: &RgbImage) -> Result<Vec<DetectedFace>, EngineError> {
        crate::fault::inject("detect");
        Ok(self.detector.get()?.detect(image)?)
    }

    /// Whether the detector was tried and could not be opened: every photo would fail
    /// the same way, so a run stops instead of reporting each.
    pub fn detector_failed(&self) -> bool {
        self.detector.failed()
    }

    /// Starts opening the detector in the background.
    pub fn warm_up(&self) {
        self.detector.start();
    }
}

/// Detection plus the recognizer: photo → faces with embeddings.
#[derive(Debug)]
pub struct FaceEngine {
    detection: DetectionEngine,
    recognizer: Deferred<Recognizer>,
    recognizer_model: Arc<LoadedModel>,
    profile: RecognizerProfile,
    embedding_dim: OnceLock<usize>,
}

impl std::ops::Deref for FaceEngine {
    type Target = DetectionEngine;
    fn deref(&self) -> &DetectionEngine {
        &self.detection
    }
}

impl FaceEngine {
    /// Finds both models, checks them, and opens them on the chosen execution provider.
    pub fn open(options: EngineOptions, locator: &ModelLocator) -> Result<Self, EngineError> {
        let engine = Self::prepare(options, locator)?;
        engine.detection.detector.get()?;
        engine.recognizer.get()?;
        Ok(engine)
    }

    /// Finds both models and checks what can be checked without loading them; each is
    /// opened on first use, or in the background from [`Self::warm_up`]. A run with
    /// nothing to embed never loads them.
    pub fn prepare(options: EngineOptions, locator: &ModelLocator) -> Result<Self, EngineError> {
        let spec = options
            .recognizer
            .clone()
            .unwrap_or_else(|| ModelSpec::Id(locator.manifest().default_recognizer.clone()));
        // Locate the recognizer first: a missing model is the most likely problem and
        // should be reported before anything is loaded.
        let recognizer_model = LoadedModel::new(locator.locate(&spec)?);
        let profile = RecognizerProfile::resolve(
            recognizer_model.entry.as_ref(),
            recognizer_model.sidecar.as_ref(),
            &options.recognizer_overrides,
        )?;
        let detection = DetectionEngine::prepare(options, locator)?;
        let recognizer_model = Arc::new(recognizer_model);
        let recognizer = {
            let (runtime, model, convention, batch, declared) = (
                detection.runtime.clone(),
                Arc::clone(&recognizer_model),
                profile.convention,
                detection.options.batch,
                profile.embedding_size,
            );
            Deferred::new("face recognizer", move || {
                let mut recognizer = Recognizer::open(&runtime, &model.path, convention)
                    .map_err(|e| explain_load_failure(e.into(), &model, ModelKind::Recognizer))?;
                if let Some(b) = batch {
                    recognizer = recognizer.with_batch(b);
                }
                // A sidecar that declares the embedding size is checked as soon as the
                // model opens, not after a gallery has been indexed with the wrong model.
                if let (Some(declared), Some(sidecar)) = (declared, model.sidecar.as_ref()) {
                    let actual = measure_embedding_dim(&recognizer)?;
                    if actual != declared {
                        return Err(EngineError::EmbeddingSize {
                            path: model.path.clone(),
                            sidecar: sidecar.path.clone(),
                            declared,
                            actual,
                        });
                    }
                }
                Ok(recognizer)
            })
        };
        Ok(Self {
            detection,
            recognizer,
            recognizer_model,
            profile,
            embedding_dim: OnceLock::new(),
        })
    }

    /// Opens both models now (if not yet), waiting for a background open in progress.
    pub fn open_models(&self) -> Result<(), EngineError> {
        self.warm_up();
        self.detection.detector.get()?;
        self.recognizer.get()?;
        Ok(())
    }

    /// Starts opening both models in the background, so they are ready (or nearly)
    /// when the first photo needs them.
    pub fn warm_up(&self) {
        self.detection.warm_up();
        self.recognizer.start();
    }

    /// What runs the recognizer ("OpenVINO", "ONNX Runtime"), once it is open.
    pub fn recognizer_runtime(&self) -> Option<&'static str> {
        self.recognizer.ready().map(Recognizer::runtime_name)
    }

    /// How the recognizer runs (input convention, threshold) and where each came from.
    pub fn recognizer_profile(&self) -> &RecognizerProfile {
        &self.profile
    }

    pub fn recognizer_model(&self) -> &LoadedModel {
        &self.recognizer_model
    }

    /// Faces per recognizer call: the model's fixed batch once it is open, else the
    /// requested or default batch.
    pub fn batch(&self) -> usize {
        match self.recognizer.ready() {
            Some(r) => r.batch(),
            None => self
                .options()
                .batch
                .unwrap_or(crate::embed::DEFAULT_BATCH)
                .max(1),
        }
    }

    /// The recognizer's match threshold: the user's, the sidecar's, the manifest's, or
    /// the fallback.
    pub fn default_threshold(&self) -> f32 {
        self.profile.threshold
    }

    /// Length of the recognizer's embeddings, without loading it when possible: the
    /// sidecar's `embedding_size`, else the width the ONNX file declares for its output,
    /// else measured by opening the model (see [`measure_embedding_dim`]).
    pub fn embedding_dim(&self) -> Result<usize, EngineError> {
        if let Some(&dim) = self.embedding_dim.get() {
            return Ok(dim);
        }
        let known = self.profile.embedding_size.or_else(|| {
            read_declared(&self.recognizer_model.path).and_then(|m| m.embedding_width())
        });
        let dim = match known {
            Some(dim) => dim,
            None => measure_embedding_dim(self.recognizer.get()?)?,
        };
        Ok(*self.embedding_dim.get_or_init(|| dim))
    }

    /// Everything that changes embeddings, for the gallery cache.
    pub fn fingerprint(&self, embedding_dim: usize) -> Result<Fingerprint, EngineError> {
        let p = self.options().detector_params;
        Ok(Fingerprint {
            recognizer_sha256: self.recognizer_model.sha256()?.to_string(),
            detector_sha256: self.detector_model().sha256()?.to_string(),
            detector_params: format!(
                "score={:08x} nms={:08x} min_face={:08x} top_k={}",
                p.score_threshold.to_bits(),
                p.nms_threshold.to_bits(),
                p.min_face_px.to_bits(),
                p.top_k
            ),
            alignment: format!("{}-v{ALIGNMENT_VERSION}", self.options().align),
            recognizer_input: convention_key(&self.profile.convention),
            detection: format!("v{DETECTION_VERSION}"),
            embedding_dim: embedding_dim as u32,
        })
    }

    pub fn align(&self, image: &RgbImage, landmarks: &Landmarks) -> Result<RgbImage, EngineError> {
        crate::fault::inject("align");
        Ok(align_face(image, landmarks, self.options().align)?)
    }

    /// Embeds already aligned 112×112 crops.
    pub fn embed_crops(&self, crops: &[RgbImage]) -> Result<Vec<FaceEmbedding>, EngineError> {
        crate::fault::inject("embed");
        let embeddings = self.recognizer.get()?.embed(crops)?;
        // The width came from the file's declaration: a model that lies about it must
        // not put rows of another width into an album.
        let dim = self.embedding_dim()?;
        if let Some(e) = embeddings.iter().find(|e| e.unit.len() != dim) {
            return Err(EmbedError::WrongOutput {
                model: self.recognizer_model.name(),
                shape: vec![embeddings.len(), e.unit.len()],
            }
            .into());
        }
        Ok(embeddings)
    }

    /// Embeds the given faces of a photo.
    pub fn embed_faces(
        &self,
        image: &RgbImage,
        faces: &[DetectedFace],
    ) -> Result<Vec<Face>, EngineError> {
        let crops = faces
            .iter()
            .map(|f| self.align(image, &f.landmarks))
            .collect::<Result<Vec<_>, _>>()?;
        let embeddings = self.embed_crops(&crops)?;
        Ok(faces
            .iter()
            .zip(embeddings)
            .map(|(d, e)| Face {
                detection: *d,
                embedding: e,
            })
            .collect())
    }

    /// Detects and embeds every face of a photo, in reading order
    /// ([`crate::detect::reading_order`]).
    pub fn analyze(&self, image: &RgbImage) -> Result<Vec<Face>, EngineError> {
        let faces = self.detect(image)?;
        self.embed_faces(image, &faces)
    }
}

/// Measures a recognizer's embedding width by embedding a test pattern (textured, so no
/// model maps it to a zero vector). The recognizer directly: measuring the model is not
/// embedding faces (an injected "embed" fault must hit the faces, not opening the engine).
fn measure_embedding_dim(recognizer: &Recognizer) -> Result<usize, EngineError> {
    let pattern = RgbImage::from_fn(CROP_SIZE, CROP_SIZE, |x, y| {
        let v = ((x * 7 + y * 13) % 256) as u8;
        image::Rgb([v, v.wrapping_add(85), v.wrapping_add(170)])
    });
    Ok(recognizer
        .embed(std::slice::from_ref(&pattern))?
        .first()
        .map_or(0, |e| e.unit.len()))
}

/// The input convention as exact text (bit patterns of the floats), for the fingerprint.
fn convention_key(c: &crate::models::InputConvention) -> String {
    let bits = |v: [f32; 3]| v.map(|x| format!("{:08x}", x.to_bits())).join(",");
    format!(
        "{}x{} {:?} mean={} std={}",
        c.size[0],
        c.size[1],
        c.color_order,
        bits(c.mean),
        bits(c.std)
    )
}

/// ONNX Runtime refused a model: say whether the file is damaged (known sha256) or
/// simply not a model of that kind.
fn explain_load_failure(err: EngineError, model: &LoadedModel, kind: ModelKind) -> EngineError {
    if let Some(entry) = &model.entry {
        if let Ok(actual) = model.sha256() {
            if !actual.eq_ignore_ascii_case(&entry.sha256) {
                return EngineError::CorruptModel {
                    path: model.path.clone(),
                    id: entry.id.clone(),
                    expected: entry.sha256.clone(),
                    actual: actual.to_string(),
                };
            }
        }
    }
    match model_load(&err) {
        Some((path, reason)) => EngineError::InvalidModel {
            path: path.to_path_buf(),
            kind,
            reason: reason.to_string(),
        },
        None => err,
    }
}

/// The file and reason of an ONNX Runtime model-load failure, wherever it is wrapped.
fn model_load(err: &EngineError) -> Option<(&Path, &str)> {
    let runtime = match err {
        EngineError::Runtime(e)
        | EngineError::Detect(DetectError::Runtime(e))
        | EngineError::Embed(EmbedError::Runtime(e)) => e,
        _ => return None,
    };
    match runtime {
        RuntimeError::ModelLoad { path, reason } => Some((path, reason)),
        _ => None,
    }
}
