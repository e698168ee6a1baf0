//! The 2×3 affine map from photo pixels to template space.

use super::AlignError;
use crate::geometry::{PixelPoint, TemplatePoint};

/// A 2×3 affine map from photo pixels to template space, in OpenCV's `warpAffine`
/// layout: `x' = m[0][0]·x + m[0][1]·y + m[0][2]`, `y' = m[1][0]·x + m[1][1]·y + m[1][2]`.
///
/// Built by [`super::estimate`] it is a similarity (rotation, uniform scale,
/// translation; the `Reference` method may also pick a reflection). Always finite and
/// invertible.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    m: [[f64; 3]; 2],
}

impl Similarity {
    pub const IDENTITY: Similarity = Similarity {
        m: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
    };

    /// Wraps a photo → template matrix; refuses non-finite or singular ones so that
    /// [`Self::inverse_apply`] and the warp are always defined.
    pub fn from_matrix(m: [[f64; 3]; 2]) -> Result<Self, AlignError> {
        let tf = Self { m };
        if m.iter().flatten().all(|v| v.is_finite()) && tf.inverse_matrix().is_some() {
            Ok(tf)
        } else {
            Err(AlignError::SingularTransform)
        }
    }

    /// The photo → template matrix (`cv2.warpAffine`'s `M`).
    pub fn matrix(&self) -> [[f64; 3]; 2] {
        self.m
    }

    /// Uniform scale factor (template units per photo pixel).
    pub fn scale(&self) -> f64 {
        self.det().abs().sqrt()
    }

    /// Rotation in radians (counter-clockwise in a y-up frame, i.e. clockwise on screen).
    pub fn rotation(&self) -> f64 {
        self.m[1][0].atan2(self.m[0][0])
    }

    pub fn apply(&self, p: PixelPoint) -> TemplatePoint {
        let [x, y] = affine(&self.m, [f64::from(p.x), f64::from(p.y)]);
        TemplatePoint::new(x as f32, y as f32)
    }

    pub fn inverse_apply(&self, p: TemplatePoint) -> PixelPoint {
        // `from_matrix` guarantees invertibility; identity is an unreachable fallback.
        let inv = self.inverse_matrix().unwrap_or(Self::IDENTITY.m);
        let [x, y] = affine(&inv, [f64::from(p.x), f64::from(p.y)]);
        PixelPoint::new(x as f32, y as f32)
    }

    /// The template → photo matrix, computed exactly as `cv2.warpAffine` inverts its
    /// `M` (same operation order) so the warp samples the same source positions.
    pub(crate) fn inverse_matrix(&self) -> Option<[[f64; 3]; 2]> {
        let [[a, b, c], [d, e, f]] = self.m;
        let det = self.det();
        if det == 0.0 || !det.is_finite() {
            return None;
        }
        let r = 1.0 / det;
        let (a2, b2, d2, e2) = (e * r, -b * r, -d * r, a * r);
        let c2 = -a2 * c - b2 * f;
        let f2 = -d2 * c - e2 * f;
        let inv = [[a2, b2, c2], [d2, e2, f2]];
        inv.iter().flatten().all(|v| v.is_finite()).then_some(inv)
    }

    fn det(&self) -> f64 {
        self.m[0][0] * self.m[1][1] - self.m[0][1] * self.m[1][0]
    }
}

pub(crate) fn affine(m: &[[f64; 3]; 2], [x, y]: [f64; 2]) -> [f64; 2] {
    [
        m[0][0] * x + m[0][1] * y + m[0][2],
        m[1][0] * x + m[1][1] * y + m[1][2],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_apply_undoes_apply() {
        let tf = Similarity::from_matrix([[0.8, -0.6, 10.0], [0.6, 0.8, -5.0]]).expect("valid");
        let p = PixelPoint::new(123.5, -40.25);
        let back = tf.inverse_apply(tf.apply(p));
        assert!((back.x - p.x).abs() < 1e-3 && (back.y - p.y).abs() < 1e-3);
        assert!((tf.scale() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn singular_or_nan_matrix_is_refused() {
        let singular = [[1.0, 2.0, 0.0], [2.0, 4.0, 0.0]];
        assert_eq!(
            Similarity::from_matrix(singular),
            Err(AlignError::SingularTransform)
        );
        let nan = [[1.0, 0.0, f64::NAN], [0.0, 1.0, 0.0]];
        assert!(Similarity::from_matrix(nan).is_err());
    }
}
