//! Least-squares similarity (Umeyama 1991) from photo landmarks to the template.
//!
//! In 2-D the SVD of Umeyama's covariance has a closed form: the best proper rotation
//! and scale come from the summed dot and cross products of the centred point sets.
//! This equals skimage's `_umeyama` with `estimate_scale=True` (reflections excluded).

use super::{AlignError, Similarity};

/// Spread (summed squared distance from the centroid, px²) below which the landmarks
/// carry no usable scale or rotation.
const MIN_SPREAD: f64 = 1e-6;

pub(super) fn estimate(src: &[[f64; 2]], dst: &[[f64; 2]]) -> Result<Similarity, AlignError> {
    if src.len() != dst.len() || src.len() < 2 {
        return Err(AlignError::Degenerate("need at least two point pairs"));
    }
    let sm = centroid(src);
    let dm = centroid(dst);
    let (mut dot, mut cross, mut spread) = (0.0, 0.0, 0.0);
    for (s, d) in src.iter().zip(dst) {
        let (sx, sy) = (s[0] - sm[0], s[1] - sm[1]);
        let (dx, dy) = (d[0] - dm[0], d[1] - dm[1]);
        dot += sx * dx + sy * dy;
        cross += sx * dy - sy * dx;
        spread += sx * sx + sy * sy;
    }
    if !spread.is_finite() || spread <= MIN_SPREAD {
        return Err(AlignError::Degenerate("all landmarks coincide"));
    }
    // scale·cos θ and scale·sin θ.
    let c = dot / spread;
    let s = cross / spread;
    let tx = dm[0] - (c * sm[0] - s * sm[1]);
    let ty = dm[1] - (s * sm[0] + c * sm[1]);
    Similarity::from_matrix([[c, -s, tx], [s, c, ty]])
}

fn centroid(p: &[[f64; 2]]) -> [f64; 2] {
    let n = p.len() as f64;
    let (sx, sy) = p.iter().fold((0.0, 0.0), |(x, y), q| (x + q[0], y + q[1]));
    [sx / n, sy / n]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_exact_similarity() {
        let src = [[0.0, 0.0], [10.0, 0.0], [3.0, 7.0], [-2.0, 5.0]];
        let (k, th, t) = (1.7_f64, 0.4_f64, [5.0, -3.0]);
        let dst = src.map(|[x, y]| {
            [
                k * (th.cos() * x - th.sin() * y) + t[0],
                k * (th.sin() * x + th.cos() * y) + t[1],
            ]
        });
        let tf = estimate(&src, &dst).expect("fit");
        assert!((tf.scale() - k).abs() < 1e-12);
        assert!((tf.rotation() - th).abs() < 1e-12);
        let m = tf.matrix();
        assert!((m[0][2] - t[0]).abs() < 1e-12 && (m[1][2] - t[1]).abs() < 1e-12);
    }
}
