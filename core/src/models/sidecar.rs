//! Model sidecar files: `NAME.toml` beside `NAME.onnx` says how to run a model the
//! manifest does not know — what the command-line flags would otherwise have to say.
//!
//! ```toml
//! kind = "recognizer"          # or "detector"
//! name = "FaceNet (CASIA-WebFace)"
//! license = "MIT"
//! input_size = [112, 112]      # or 112
//! color_order = "rgb"          # or "bgr"
//! mean = 0                     # one number, or three (per channel, in color_order)
//! std = 1
//! threshold = 0.45             # cosine above which two faces are the same person
//! embedding_size = 512
//! ```
//!
//! Every field is optional. Unknown fields are errors (a typo must not silently leave a
//! setting at its default), and so are recognizer fields in a detector's sidecar.

use std::path::{Path, PathBuf};

use toml::Value;

use super::error::ModelError;
use super::manifest::{ColorOrder, ModelKind};

/// The extension of a sidecar file (its stem is the model's).
pub const SIDECAR_EXTENSION: &str = "toml";

/// The only recognizer input FaceSorter feeds: its aligned 112×112 crops.
pub const RECOGNIZER_INPUT_SIZE: [u32; 2] = [112, 112];

const FIELDS: [&str; 9] = [
    "kind",
    "name",
    "license",
    "input_size",
    "color_order",
    "mean",
    "std",
    "threshold",
    "embedding_size",
];

/// Fields that only make sense for a recognizer.
const RECOGNIZER_FIELDS: [&str; 6] = [
    "input_size",
    "color_order",
    "mean",
    "std",
    "threshold",
    "embedding_size",
];

/// A parsed sidecar file. `None` fields were not given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sidecar {
    /// The file it was read from.
    pub path: PathBuf,
    pub kind: Option<ModelKind>,
    /// Display name.
    pub name: Option<String>,
    pub license: Option<String>,
    /// [width, height].
    pub input_size: Option<[u32; 2]>,
    pub color_order: Option<ColorOrder>,
    pub mean: Option<[f32; 3]>,
    pub std: Option<[f32; 3]>,
    /// Verification threshold (cosine).
    pub threshold: Option<f32>,
    pub embedding_size: Option<usize>,
}

impl Sidecar {
    /// Where the sidecar of `model` would be: the same name with `.toml`.
    pub fn path_for(model: &Path) -> PathBuf {
        model.with_extension(SIDECAR_EXTENSION)
    }

    /// The sidecar beside `model`, if there is one; a malformed one is an error.
    pub fn beside(model: &Path) -> Result<Option<Self>, ModelError> {
        let path = Self::path_for(model);
        if path == model || !path.is_file() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| ModelError::io("reading the model sidecar", &path, e))?;
        Self::parse(&text, &path).map(Some)
    }

    /// Parses a sidecar's text; `path` names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ModelError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| ModelError::Sidecar {
            path: path.to_path_buf(),
            field: None,
            reason: e.message().to_string(),
        })?;
        let fail = |field: &str, reason: String| ModelError::Sidecar {
            path: path.to_path_buf(),
            field: Some(field.to_string()),
            reason,
        };
        let mut s = Sidecar {
            path: path.to_path_buf(),
            ..Sidecar::default()
        };
        for (key, value) in &table {
            let field = key.as_str();
            let bad = |reason: &str| fail(field, reason.to_string());
            match field {
                "kind" => {
                    s.kind = Some(
                        match value.as_str().map(str::to_ascii_lowercase).as_deref() {
                            Some("recognizer") => ModelKind::Recognizer,
                            Some("detector") => ModelKind::Detector,
                            _ => return Err(bad("expected \"recognizer\" or \"detector\"")),
                        },
                    )
                }
                "name" => s.name = Some(text_value(value).ok_or_else(|| bad("expected a string"))?),
                "license" => {
                    s.license = Some(text_value(value).ok_or_else(|| bad("expected a string"))?)
                }
                "input_size" => {
                    s.input_size = Some(
                        size_value(value)
                            .ok_or_else(|| bad("expected a positive integer or [width, height]"))?,
                    )
                }
                "color_order" => {
                    s.color_order = Some(
                        match value.as_str().map(str::to_ascii_lowercase).as_deref() {
                            Some("rgb") => ColorOrder::Rgb,
                            Some("bgr") => ColorOrder::Bgr,
                            _ => return Err(bad("expected \"rgb\" or \"bgr\"")),
                        },
                    )
                }
                "mean" => {
                    s.mean = Some(
                        triplet_value(value)
                            .ok_or_else(|| bad("expected a number or three numbers"))?,
                    )
                }
                "std" => {
                    let std = triplet_value(value)
                        .ok_or_else(|| bad("expected a number or three numbers"))?;
                    if std.contains(&0.0) {
                        return Err(bad("must not be zero (pixels are divided by it)"));
                    }
                    s.std = Some(std);
                }
                "threshold" => {
                    s.threshold = Some(
                        number(value)
                            .filter(|t| (-1.0..=1.0).contains(t))
                            .ok_or_else(|| bad("expected a cosine between -1 and 1"))?,
                    )
                }
                "embedding_size" => {
                    s.embedding_size = Some(
                        value
                            .as_integer()
                            .filter(|&n| n > 0)
                            .and_then(|n| usize::try_from(n).ok())
                            .ok_or_else(|| bad("expected a positive integer"))?,
                    )
                }
                _ => {
                    return Err(fail(
                        field,
                        format!("unknown field; known fields: {}", FIELDS.join(", ")),
                    ))
                }
            }
        }
        if s.kind == Some(ModelKind::Detector) {
            if let Some(f) = RECOGNIZER_FIELDS.iter().find(|f| table.contains_key(**f)) {
                return Err(fail(f, "applies to a recognizer, not a detector".into()));
            }
        }
        Ok(s)
    }

    /// The file name of the model it describes (`NAME.onnx`).
    pub fn model_path(&self) -> PathBuf {
        self.path.with_extension("onnx")
    }
}

fn text_value(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

/// A finite number, integer or float.
fn number(v: &Value) -> Option<f32> {
    let n = match v {
        Value::Integer(i) => *i as f64,
        Value::Float(f) => *f,
        _ => return None,
    };
    let n = n as f32;
    n.is_finite().then_some(n)
}

/// One number (all channels) or three.
fn triplet_value(v: &Value) -> Option<[f32; 3]> {
    match v {
        Value::Array(a) => match a.iter().map(number).collect::<Option<Vec<_>>>()?[..] {
            [x] => Some([x; 3]),
            [a, b, c] => Some([a, b, c]),
            _ => None,
        },
        other => number(other).map(|x| [x; 3]),
    }
}

fn size_value(v: &Value) -> Option<[u32; 2]> {
    let side = |v: &Value| {
        v.as_integer()
            .filter(|&n| n > 0)
            .and_then(|n| u32::try_from(n).ok())
    };
    match v {
        Value::Array(a) => match &a[..] {
            [w, h] => Some([side(w)?, side(h)?]),
            _ => None,
        },
        other => side(other).map(|n| [n, n]),
    }
}
