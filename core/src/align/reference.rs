//! The AdaFace reference alignment (mk-minchul/AdaFace, `face_alignment/mtcnn_pytorch/
//! src/align_trans.py` `warp_and_crop_face` + `matlab_cp2tform.py` `findSimilarity`),
//! reproduced step by step so crops match the reference demo.
//!
//! The reference fits the non-reflective similarity *template → photo* (least squares
//! in photo pixels, MATLAB `cp2tform` style) and inverts it. It also fits a reflective
//! candidate against the x-negated template and keeps the one with the smaller
//! residual — but the negation is done in place on the template array before either
//! residual is measured, so both residuals are taken against the negated template.
//! That quirk is kept deliberately: it decides which candidate wins.

use super::{AlignError, Similarity};

/// `REFERENCE_FACIAL_POINTS` of the 96×112 default crop.
const REFERENCE_96X112: [[f64; 2]; 5] = [
    [30.294_599_53, 51.696_300_51],
    [65.531_799_32, 51.501_399_99],
    [48.025_199_89, 71.736_602_78],
    [33.549_301_15, 92.365_501_4],
    [62.729_901_56, 92.204_101_56],
];

/// The demo's `MTCNN` builds its reference with `get_reference_facial_points(
/// default_square=True)` and no padding: the 96×112 points shifted right by
/// (112 − 96) / 2 = 8, then `np.float32` in `warp_and_crop_face`.
fn reference_points_112() -> [[f64; 2]; 5] {
    REFERENCE_96X112.map(|[x, y]| [f64::from((x + 8.0) as f32), f64::from(y as f32)])
}

/// A 3×3 matrix in MATLAB's row-vector convention: `[x y 1] = [u v 1] · T`.
type RowMat = [[f64; 3]; 3];

pub(super) fn estimate(photo: &[[f64; 2]; 5]) -> Result<Similarity, AlignError> {
    // `np.float32(facial_pts)`: our landmarks are f32 already, so this is exact.
    let trans = find_similarity(photo, &reference_points_112())?;
    // `cvt_tform_mat_for_cv2`: `trans[:, 0:2].T`.
    Similarity::from_matrix([
        [trans[0][0], trans[1][0], trans[2][0]],
        [trans[0][1], trans[1][1], trans[2][1]],
    ])
}

/// `findSimilarity(uv, xy)`: photo points `uv`, template points `xy`.
fn find_similarity(uv: &[[f64; 2]; 5], xy: &[[f64; 2]; 5]) -> Result<RowMat, AlignError> {
    let trans1 = find_nonreflective_similarity(uv, xy)?;

    // `xyR = xy; xyR[:, 0] *= -1` aliases `xy`: from here on `xy` is negated too.
    let xy_r = xy.map(|[x, y]| [-x, y]);
    let trans2r = find_nonreflective_similarity(uv, &xy_r)?;
    // `trans2 = trans2r · diag(-1, 1, 1)` negates the first column.
    let trans2 = trans2r.map(|[a, b, c]| [-a, b, c]);

    let norm1 = residual(&trans1, uv, &xy_r);
    let norm2 = residual(&trans2, uv, &xy_r);
    Ok(if norm1 <= norm2 { trans1 } else { trans2 })
}

/// `findNonreflectiveSimilarity(uv, xy)`: least squares for `[u v] ≈ f([x y])` with
/// `u = sc·x + ss·y + tx`, `v = −ss·x + sc·y + ty`, then `T = inv(Tinv)`.
///
/// The reference solves the 10×4 system with `numpy.linalg.lstsq`; the centred
/// normal equations below give the same minimiser up to rounding (~1e-15 relative).
fn find_nonreflective_similarity(
    uv: &[[f64; 2]; 5],
    xy: &[[f64; 2]; 5],
) -> Result<RowMat, AlignError> {
    let n = xy.len() as f64;
    let mean = |p: &[[f64; 2]; 5], k: usize| p.iter().map(|q| q[k]).sum::<f64>() / n;
    let (xm, ym, um, vm) = (mean(xy, 0), mean(xy, 1), mean(uv, 0), mean(uv, 1));
    let (mut dot, mut cross, mut spread) = (0.0, 0.0, 0.0);
    for (p, q) in xy.iter().zip(uv) {
        let (x, y, u, v) = (p[0] - xm, p[1] - ym, q[0] - um, q[1] - vm);
        dot += x * u + y * v;
        cross += y * u - x * v;
        spread += x * x + y * y;
    }
    // The template has spread, so this only guards the arithmetic.
    if !spread.is_finite() || spread <= 0.0 {
        return Err(AlignError::Degenerate("template points coincide"));
    }
    let sc = dot / spread;
    let ss = cross / spread;
    let tx = um - sc * xm - ss * ym;
    let ty = vm + ss * xm - sc * ym;

    // Tinv = [[sc, −ss, 0], [ss, sc, 0], [tx, ty, 1]]. Its inverse has the inverse
    // rotation-scale block and translation −t·R⁻¹. Coincident photo points give
    // sc = ss = 0, where numpy's `inv` raises: report degenerate landmarks.
    let k = sc * sc + ss * ss;
    if !k.is_finite() || k <= 0.0 {
        return Err(AlignError::Degenerate("all landmarks coincide"));
    }
    let (a, b, c, d) = (sc / k, ss / k, -ss / k, sc / k); // R⁻¹ = [[a, b], [c, d]]
    Ok([
        [a, b, 0.0],
        [c, d, 0.0],
        [-(tx * a + ty * c), -(tx * b + ty * d), 1.0],
    ])
}

/// `norm(tformfwd(trans, uv) − xy)` (Frobenius norm).
fn residual(trans: &RowMat, uv: &[[f64; 2]; 5], xy: &[[f64; 2]; 5]) -> f64 {
    uv.iter()
        .zip(xy)
        .map(|([u, v], [x, y])| {
            let fx = u * trans[0][0] + v * trans[1][0] + trans[2][0];
            let fy = u * trans[0][1] + v * trans[1][1] + trans[2][1];
            (fx - x).powi(2) + (fy - y).powi(2)
        })
        .sum::<f64>()
        .sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_reference_equals_template_112() {
        let tpl = crate::geometry::TEMPLATE_112;
        for (r, t) in reference_points_112().iter().zip(tpl) {
            assert!((r[0] - f64::from(t.x)).abs() < 1e-5);
            assert!((r[1] - f64::from(t.y)).abs() < 1e-5);
        }
    }

    #[test]
    fn nonreflective_fit_inverts_template_to_photo_map() {
        // Photo = 2 × template + (3, −1); T must map photo back: halve, then shift.
        let xy = reference_points_112();
        let uv = xy.map(|[x, y]| [2.0 * x + 3.0, 2.0 * y - 1.0]);
        let t = find_nonreflective_similarity(&uv, &xy).expect("fit");
        // Photo → template halves and shifts back.
        assert!((t[0][0] - 0.5).abs() < 1e-12 && t[0][1].abs() < 1e-12);
        assert!((t[2][0] + 1.5).abs() < 1e-12 && (t[2][1] - 0.5).abs() < 1e-12);
    }

    /// Residual selection as the code's comments intend it (against the original
    /// template): used only to show that the in-place quirk changes the outcome.
    fn intended_choice(uv: &[[f64; 2]; 5], xy: &[[f64; 2]; 5]) -> bool {
        let trans1 = find_nonreflective_similarity(uv, xy).expect("fit");
        let xy_r = xy.map(|[x, y]| [-x, y]);
        let trans2 = find_nonreflective_similarity(uv, &xy_r)
            .expect("fit")
            .map(|[a, b, c]| [-a, b, c]);
        residual(&trans1, uv, xy) <= residual(&trans2, uv, xy)
    }

    #[test]
    fn squashed_mirror_keeps_the_nonreflective_fit() {
        // A mirror image, squashed horizontally (a turned head): the reflective
        // candidate fits better, yet the reference keeps the non-reflective one.
        let xy = reference_points_112();
        let uv = xy.map(|[x, y]| [-0.4 * (x - 56.0), y]);
        assert!(!intended_choice(&uv, &xy), "intended logic would reflect");
        let m = estimate(&uv).expect("fit").matrix();
        assert!(m[0][0] * m[1][1] - m[0][1] * m[1][0] > 0.0, "{m:?}");
    }
}
