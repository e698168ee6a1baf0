//! How a recognizer is run, decided once for every front end: each setting comes from the
//! user (flags, the window's Settings) if given, else the model's sidecar, else the
//! manifest entry of a known model, else the built-in AdaFace defaults.

use serde::{Deserialize, Serialize};

use super::error::ModelError;
use super::manifest::{ColorOrder, InputConvention, ModelEntry, ModelKind};
use super::sidecar::{Sidecar, RECOGNIZER_INPUT_SIZE};

/// Match threshold when nothing else gives one (AdaFace cosine).
pub const FALLBACK_THRESHOLD: f32 = 0.3;

/// The AdaFace convention: BGR, `(x − 127.5) / 127.5`, 112×112.
pub fn adaface_convention() -> InputConvention {
    InputConvention {
        size: RECOGNIZER_INPUT_SIZE,
        color_order: ColorOrder::Bgr,
        mean: [127.5; 3],
        std: [127.5; 3],
    }
}

/// One number (every channel) or three, comma-separated: how the flags and the window's
/// fields write a mean or std. `None` if it is not that.
pub fn parse_triplet(text: &str) -> Option<[f32; 3]> {
    let v: Vec<f32> = text
        .split(',')
        .map(|p| p.trim().parse::<f32>().ok().filter(|x| x.is_finite()))
        .collect::<Option<_>>()?;
    match v[..] {
        [a] => Some([a; 3]),
        [a, b, c] => Some([a, b, c]),
        _ => None,
    }
}

/// A mean or std as [`parse_triplet`] reads it: one number when the channels agree.
pub fn format_triplet(v: [f32; 3]) -> String {
    if v[0] == v[1] && v[1] == v[2] {
        format!("{}", v[0])
    } else {
        format!("{},{},{}", v[0], v[1], v[2])
    }
}

/// Recognizer settings the user gave explicitly; `None` leaves the model's own value.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct RecognizerOverrides {
    pub input_size: Option<[u32; 2]>,
    pub color_order: Option<ColorOrder>,
    pub mean: Option<[f32; 3]>,
    pub std: Option<[f32; 3]>,
    pub threshold: Option<f32>,
}

impl RecognizerOverrides {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Where a setting's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingSource {
    /// A flag or the window's Settings.
    User,
    /// The model's `NAME.toml`.
    Sidecar,
    /// The built-in manifest's entry for a known model.
    Manifest,
    /// FaceSorter's default (AdaFace's convention).
    Default,
}

impl SettingSource {
    /// Short words for a front end ("from NAME.toml" is up to the caller).
    pub fn label(self) -> &'static str {
        match self {
            Self::User => "your setting",
            Self::Sidecar => "from the model's sidecar",
            Self::Manifest => "from the manifest",
            Self::Default => "AdaFace default",
        }
    }
}

/// Where each convention field and the threshold came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileSources {
    pub input_size: SettingSource,
    pub color_order: SettingSource,
    pub mean: SettingSource,
    pub std: SettingSource,
    pub threshold: SettingSource,
}

/// How a recognizer runs: what the engine, the gallery fingerprint and the threshold use.
#[derive(Debug, Clone, PartialEq)]
pub struct RecognizerProfile {
    pub convention: InputConvention,
    pub threshold: f32,
    /// Declared by the sidecar: checked against the model's output when it opens.
    pub embedding_size: Option<usize>,
    /// Display name (sidecar), if any.
    pub name: Option<String>,
    pub license: Option<String>,
    pub sources: ProfileSources,
}

impl RecognizerProfile {
    /// Resolves each field: `overrides` > `sidecar` > `entry` > AdaFace defaults. A
    /// sidecar that says it describes a detector, or a value FaceSorter cannot run (an
    /// input other than 112×112, a zero std), is an error naming its source.
    pub fn resolve(
        entry: Option<&ModelEntry>,
        sidecar: Option<&Sidecar>,
        overrides: &RecognizerOverrides,
    ) -> Result<Self, ModelError> {
        let entry = entry.filter(|e| e.kind == ModelKind::Recognizer);
        if let Some(s) = sidecar {
            if s.kind == Some(ModelKind::Detector) {
                return Err(ModelError::Sidecar {
                    path: s.path.clone(),
                    field: Some("kind".into()),
                    reason: "says detector, but the file is used as the recognizer".into(),
                });
            }
        }
        let base = entry.map_or_else(adaface_convention, |e| e.input);
        let base_source = if entry.is_some() {
            SettingSource::Manifest
        } else {
            SettingSource::Default
        };
        // One layer per source, highest first; the first that has the field wins.
        fn pick<T: Copy>(
            user: Option<T>,
            side: Option<T>,
            base: T,
            base_source: SettingSource,
        ) -> (T, SettingSource) {
            match (user, side) {
                (Some(v), _) => (v, SettingSource::User),
                (None, Some(v)) => (v, SettingSource::Sidecar),
                (None, None) => (base, base_source),
            }
        }
        let (size, size_src) = pick(
            overrides.input_size,
            sidecar.and_then(|s| s.input_size),
            base.size,
            base_source,
        );
        let (color_order, order_src) = pick(
            overrides.color_order,
            sidecar.and_then(|s| s.color_order),
            base.color_order,
            base_source,
        );
        let (mean, mean_src) = pick(
            overrides.mean,
            sidecar.and_then(|s| s.mean),
            base.mean,
            base_source,
        );
        let (std, std_src) = pick(
            overrides.std,
            sidecar.and_then(|s| s.std),
            base.std,
            base_source,
        );
        let base_threshold = entry.and_then(|e| e.default_threshold);
        let (threshold, threshold_src) = pick(
            overrides.threshold,
            sidecar.and_then(|s| s.threshold),
            base_threshold.unwrap_or(FALLBACK_THRESHOLD),
            if base_threshold.is_some() {
                base_source
            } else {
                SettingSource::Default
            },
        );
        let check = |ok: bool, field: &str, source: SettingSource, reason: String| {
            if ok {
                return Ok(());
            }
            Err(match (source, sidecar) {
                (SettingSource::Sidecar, Some(s)) => ModelError::Sidecar {
                    path: s.path.clone(),
                    field: Some(field.into()),
                    reason,
                },
                _ => ModelError::Setting {
                    field: field.into(),
                    reason,
                },
            })
        };
        check(
            size == RECOGNIZER_INPUT_SIZE,
            "input_size",
            size_src,
            format!(
                "{}×{} is not supported: FaceSorter feeds recognizers its aligned 112×112 \
                 crops (wrap a model of another size with a resize in the graph)",
                size[0], size[1]
            ),
        )?;
        check(
            std.iter().all(|s| s.is_finite() && *s != 0.0),
            "std",
            std_src,
            "must be finite and not zero".into(),
        )?;
        check(
            mean.iter().all(|m| m.is_finite()),
            "mean",
            mean_src,
            "must be finite".into(),
        )?;
        check(
            threshold.is_finite() && (-1.0..=1.0).contains(&threshold),
            "threshold",
            threshold_src,
            "must be a cosine between -1 and 1".into(),
        )?;
        Ok(Self {
            convention: InputConvention {
                size,
                color_order,
                mean,
                std,
            },
            threshold,
            embedding_size: sidecar.and_then(|s| s.embedding_size),
            name: sidecar.and_then(|s| s.name.clone()),
            license: sidecar.and_then(|s| s.license.clone()),
            sources: ProfileSources {
                input_size: size_src,
                color_order: order_src,
                mean: mean_src,
                std: std_src,
                threshold: threshold_src,
            },
        })
    }
}
