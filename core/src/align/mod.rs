//! Face alignment: five landmarks in photo pixels → a similarity transform onto the
//! 112×112 template → a warped crop for the embedder.
//!
//! Coordinates follow OpenCV's convention everywhere: pixel centres sit at integer
//! coordinates, both in the photo and in the template. Detector landmarks, the
//! template and the warp all use it, so no half-pixel shifts are applied.

mod reference;
mod transform;
mod umeyama;
mod warp;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::geometry::Landmarks;

pub use transform::Similarity;
pub use warp::warp_crop;

/// Version of the crops this module produces. Bump it whenever a change alters the
/// crop pixels (template, estimator, sampling): it goes into cache fingerprints.
pub const ALIGNMENT_VERSION: u32 = 1;

/// How the landmark → template transform is estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlignMethod {
    /// Least-squares similarity from photo to template (Umeyama 1991), as InsightFace
    /// `norm_crop` / skimage `SimilarityTransform.estimate`.
    #[default]
    Umeyama,
    /// Bit-compatible with the AdaFace reference demo (`warp_and_crop_face`), including
    /// its reflective-candidate quirk.
    Reference,
}

impl AlignMethod {
    pub const ALL: [AlignMethod; 2] = [AlignMethod::Umeyama, AlignMethod::Reference];

    pub fn as_str(self) -> &'static str {
        match self {
            AlignMethod::Umeyama => "umeyama",
            AlignMethod::Reference => "reference",
        }
    }
}

impl fmt::Display for AlignMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AlignMethod {
    type Err = AlignError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| AlignError::UnknownMethod(s.to_owned()))
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AlignError {
    #[error("landmark {index} is not finite")]
    NonFiniteLandmark { index: usize },
    #[error("degenerate landmarks: {0}")]
    Degenerate(&'static str),
    #[error("transform matrix is not an invertible finite affine map")]
    SingularTransform,
    #[error("unknown alignment method {0:?} (expected \"umeyama\" or \"reference\")")]
    UnknownMethod(String),
}

/// Estimates the transform from the photo's landmarks onto the 112×112 template.
pub fn estimate(landmarks: &Landmarks, method: AlignMethod) -> Result<Similarity, AlignError> {
    let src = landmarks_f64(landmarks)?;
    match method {
        AlignMethod::Umeyama => umeyama::estimate(&src, &template_f64()),
        AlignMethod::Reference => reference::estimate(&src),
    }
}

/// Estimates the transform and warps the aligned 112×112 crop out of `photo`.
pub fn align_face(
    photo: &image::RgbImage,
    landmarks: &Landmarks,
    method: AlignMethod,
) -> Result<image::RgbImage, AlignError> {
    let tf = estimate(landmarks, method)?;
    Ok(warp_crop(photo, &tf))
}

fn landmarks_f64(landmarks: &Landmarks) -> Result<[[f64; 2]; 5], AlignError> {
    let mut out = [[0.0; 2]; 5];
    for (index, (p, o)) in landmarks.points().iter().zip(&mut out).enumerate() {
        if !(p.x.is_finite() && p.y.is_finite()) {
            return Err(AlignError::NonFiniteLandmark { index });
        }
        *o = [f64::from(p.x), f64::from(p.y)];
    }
    Ok(out)
}

fn template_f64() -> [[f64; 2]; 5] {
    crate::geometry::TEMPLATE_112.map(|p| [f64::from(p.x), f64::from(p.y)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_names_round_trip() {
        for m in AlignMethod::ALL {
            assert_eq!(m.to_string().parse::<AlignMethod>(), Ok(m));
            let json = serde_json::to_string(&m).expect("serialize");
            assert_eq!(json, format!("\"{m}\""));
            assert_eq!(
                serde_json::from_str::<AlignMethod>(&json).expect("parse"),
                m
            );
        }
        assert_eq!(AlignMethod::default(), AlignMethod::Umeyama);
        assert!("Umeyama ".parse::<AlignMethod>().is_err());
    }

    #[test]
    fn nan_landmark_is_an_error() {
        let mut lm = Landmarks(
            crate::geometry::TEMPLATE_112.map(|p| crate::geometry::PixelPoint::new(p.x, p.y)),
        );
        lm.0[3].y = f32::NAN;
        for m in AlignMethod::ALL {
            assert_eq!(
                estimate(&lm, m),
                Err(AlignError::NonFiniteLandmark { index: 3 })
            );
        }
    }
}
