//! The manifest of known models (`models/manifest.toml` at the repository root,
//! embedded at build time so the binary knows URLs and checksums without the file).

use serde::{Deserialize, Serialize};

use super::error::ModelError;

/// The repository's `models/manifest.toml`, compiled in.
const BUILTIN_MANIFEST: &str = include_str!("../../../models/manifest.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    Detector,
    Recognizer,
}

/// Channel order the network expects its input image in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColorOrder {
    Bgr,
    Rgb,
}

/// How to turn 0..=255 pixels into the network's input: resize to `size` = [w, h],
/// order channels by `color_order`, then `(pixel - mean) / std` per channel.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct InputConvention {
    /// [width, height]; `input_size` in the manifest.
    #[serde(rename = "input_size")]
    pub size: [u32; 2],
    pub color_order: ColorOrder,
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelEntry {
    pub id: String,
    pub kind: ModelKind,
    /// File name inside a models directory.
    pub file: String,
    pub url: String,
    /// Lowercase hex.
    pub sha256: String,
    /// Bytes, when known: a cheap first check before hashing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    pub description: String,
    // Flattened so the manifest reads `input_size = …` at the entry's top level.
    #[serde(flatten)]
    pub input: InputConvention,
    /// Cosine similarity above which two faces are called the same person (recognizers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_threshold: Option<f32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub default_detector: String,
    pub default_recognizer: String,
    #[serde(rename = "model")]
    pub models: Vec<ModelEntry>,
}

impl Manifest {
    /// The manifest compiled into the library.
    pub fn builtin() -> Result<Self, ModelError> {
        Self::parse(BUILTIN_MANIFEST)
    }

    /// Parses and validates a manifest (unique ids, well-formed sha256, defaults exist
    /// with the right kind, recognizers carry a threshold).
    pub fn parse(text: &str) -> Result<Self, ModelError> {
        let manifest: Manifest =
            toml::from_str(text).map_err(|e| ModelError::Manifest(e.to_string()))?;
        manifest.validate()?;
        Ok(manifest)
    }

    pub fn get(&self, id: &str) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.id == id)
    }

    /// Like [`Manifest::get`], but an unknown id is an error listing the known ones.
    pub fn require(&self, id: &str) -> Result<&ModelEntry, ModelError> {
        self.get(id).ok_or_else(|| ModelError::UnknownModel {
            id: id.to_owned(),
            known: self.ids(),
        })
    }

    /// The default model of a kind.
    pub fn default_for(&self, kind: ModelKind) -> Result<&ModelEntry, ModelError> {
        self.require(match kind {
            ModelKind::Detector => &self.default_detector,
            ModelKind::Recognizer => &self.default_recognizer,
        })
    }

    pub fn ids(&self) -> Vec<String> {
        self.models.iter().map(|m| m.id.clone()).collect()
    }

    fn validate(&self) -> Result<(), ModelError> {
        let bad = |msg: String| Err(ModelError::Manifest(msg));
        for (i, m) in self.models.iter().enumerate() {
            if self.models[..i].iter().any(|o| o.id == m.id) {
                return bad(format!("duplicate model id `{}`", m.id));
            }
            if !is_sha256_hex(&m.sha256) {
                return bad(format!(
                    "model `{}`: sha256 `{}` is not 64 hex digits",
                    m.id, m.sha256
                ));
            }
            if m.kind == ModelKind::Recognizer && m.default_threshold.is_none() {
                return bad(format!("recognizer `{}` has no default_threshold", m.id));
            }
        }
        for (id, kind) in [
            (&self.default_detector, ModelKind::Detector),
            (&self.default_recognizer, ModelKind::Recognizer),
        ] {
            match self.get(id) {
                Some(m) if m.kind == kind => {}
                Some(_) => return bad(format!("default model `{id}` is not a {kind:?}")),
                None => return bad(format!("default model `{id}` is not in the manifest")),
            }
        }
        Ok(())
    }
}

pub(crate) fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}
