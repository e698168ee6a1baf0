//! Alignment against the AdaFace reference crops in `../shared/parity`, plus the
//! estimator's algebraic properties.

mod common;

use common::parity::{find_photo, load_rgb, parity_faces};

use facesorter_core::align::{align_face, estimate, AlignError, AlignMethod, Similarity};
use facesorter_core::geometry::{Landmarks, PixelPoint, TemplatePoint, CROP_SIZE, TEMPLATE_112};

/// Mean absolute difference allowed between our crop and the reference's, in gray
/// levels over all pixels and channels.
const MAX_MAD: f64 = 2.0;

/// RMS landmark residual (template px) under which a face counts as frontal.
const FRONTAL_RESIDUAL: f32 = 2.5;

fn mean_abs_diff(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&x, &y)| u64::from(x.abs_diff(y)))
        .sum();
    sum as f64 / a.as_raw().len() as f64
}

fn template_landmarks() -> Landmarks {
    Landmarks(TEMPLATE_112.map(|p| PixelPoint::new(p.x, p.y)))
}

/// Largest distance, in template units, between where two transforms send the
/// photo positions of the template's corners and landmarks.
fn max_disagreement(a: &Similarity, b: &Similarity) -> f32 {
    let s = CROP_SIZE as f32;
    let probes = [(0.0, 0.0), (s, 0.0), (0.0, s), (s, s)]
        .map(|(x, y)| TemplatePoint::new(x, y))
        .into_iter()
        .chain(TEMPLATE_112);
    probes
        .map(|t| {
            let p = a.inverse_apply(t);
            let q = b.apply(p);
            (q.x - t.x).hypot(q.y - t.y)
        })
        .fold(0.0, f32::max)
}

#[test]
fn reference_matches_parity_crops() {
    let mut worst: f64 = 0.0;
    let mut failures = Vec::new();
    for face in parity_faces() {
        let photo = load_rgb(&find_photo(&face.file));
        let crop = align_face(&photo, &face.landmarks, AlignMethod::Reference)
            .unwrap_or_else(|e| panic!("{}#{}: {e}", face.file, face.index));
        let expected = load_rgb(&common::shared(&format!(
            "parity/crops/{}.face{}.png",
            face.file, face.index
        )));
        let mad = mean_abs_diff(&crop, &expected);
        eprintln!("{}.face{}: MAD {mad:.4}", face.file, face.index);
        // Lossless photos leave no decoder differences: the warp must be exact.
        if face.file.ends_with(".png") && crop != expected {
            failures.push(format!("{}.face{} not bit-exact", face.file, face.index));
        }
        worst = worst.max(mad);
        if mad > MAX_MAD {
            failures.push(format!("{}.face{} MAD {mad:.3}", face.file, face.index));
        }
    }
    eprintln!("max MAD {worst:.4}");
    assert!(failures.is_empty(), "{failures:?}");
}

#[test]
fn umeyama_on_template_points_is_identity() {
    let tf = estimate(&template_landmarks(), AlignMethod::Umeyama).expect("fit");
    let m = tf.matrix();
    let id = Similarity::IDENTITY.matrix();
    for (row, id_row) in m.iter().zip(id) {
        for (v, e) in row.iter().zip(id_row) {
            assert!((v - e).abs() < 1e-9, "{m:?}");
        }
    }
}

#[test]
fn known_similarity_is_recovered_by_both_methods() {
    let (scale, angle, t) = (0.35_f64, 0.3_f64, [12.0, -20.0]);
    let (c, s) = (scale * angle.cos(), scale * angle.sin());
    let truth = Similarity::from_matrix([[c, -s, t[0]], [s, c, t[1]]]).expect("valid");
    let photo = Landmarks(TEMPLATE_112.map(|p| truth.inverse_apply(p)));
    for method in AlignMethod::ALL {
        let tf = estimate(&photo, method).expect("fit");
        // f32 landmarks limit the agreement to ~1e-5 template px.
        assert!(
            max_disagreement(&tf, &truth) < 1e-3,
            "{method}: {:?} vs {:?}",
            tf.matrix(),
            truth.matrix()
        );
        assert!((tf.scale() - scale).abs() < 1e-6, "{method}");
        assert!((tf.rotation() - angle).abs() < 1e-5, "{method}");
    }
}

#[test]
fn frontal_parity_faces_agree_across_methods() {
    let mut checked = 0;
    for face in parity_faces() {
        let umeyama = estimate(&face.landmarks, AlignMethod::Umeyama).expect("umeyama");
        let reference = estimate(&face.landmarks, AlignMethod::Reference).expect("reference");
        let d = max_disagreement(&umeyama, &reference);
        let residual = template_residual(&umeyama, &face.landmarks);
        eprintln!(
            "{}#{}: disagreement {d:.3}, residual {residual:.3} template px",
            face.file, face.index
        );
        // Frontal: landmarks fit the template closely, so both least-squares
        // formulations land on nearly the same transform.
        if residual < FRONTAL_RESIDUAL {
            assert!(
                d < 1.0,
                "{}#{}: methods differ by {d}",
                face.file,
                face.index
            );
            checked += 1;
        }
    }
    assert!(checked >= 3, "only {checked} frontal faces");
}

/// RMS distance, in template px, between the mapped landmarks and the template.
fn template_residual(tf: &Similarity, lm: &Landmarks) -> f32 {
    let sq: f32 = lm
        .points()
        .iter()
        .zip(TEMPLATE_112)
        .map(|(&p, t)| {
            let q = tf.apply(p);
            (q.x - t.x).powi(2) + (q.y - t.y).powi(2)
        })
        .sum();
    (sq / 5.0).sqrt()
}

#[test]
fn degenerate_landmarks_are_errors() {
    let p = PixelPoint::new(40.0, 50.0);
    let coincident = Landmarks([p; 5]);
    let mut nan = template_landmarks();
    nan.0[0].x = f32::NAN;
    let mut inf = template_landmarks();
    inf.0[4].y = f32::INFINITY;
    let photo = image::RgbImage::new(64, 64);
    for method in AlignMethod::ALL {
        for lm in [&coincident, &nan, &inf] {
            assert!(estimate(lm, method).is_err(), "{method}: {lm:?}");
            assert!(align_face(&photo, lm, method).is_err(), "{method}");
        }
        assert!(matches!(
            estimate(&coincident, method),
            Err(AlignError::Degenerate(_))
        ));
    }
}
