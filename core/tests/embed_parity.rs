//! Embeddings against the AdaFace reference outputs in `../shared/parity`, computed with
//! the same synthetic IR-18 weights.

mod common;

use common::engine::{runtime, synthetic_recognizer};
use common::parity::{
    check_crops_reproduce_golden, find_photo, golden_crop, golden_embedding, load_rgb, parity_faces,
};
use facesorter_core::align::{align_face, AlignMethod};
use facesorter_core::embed::{dot, FaceEmbedding};
use facesorter_core::runtime::{CpuFeatures, ExecutionProviderKind, OpenVinoRoute, Precision};

#[test]
fn reference_crops_reproduce_golden_embeddings_on_default_provider() {
    check_crops_reproduce_golden(None, OpenVinoRoute::default());
}

#[test]
fn reference_crops_reproduce_golden_embeddings_on_plain_cpu() {
    check_crops_reproduce_golden(Some(ExecutionProviderKind::Cpu), OpenVinoRoute::default());
}

/// OpenVINO's own runtime is the default route for the OpenVINO provider
/// (`embed_parity_onnxruntime_openvino` checks the other route, in its own process: the
/// two OpenVINO builds cannot share one).
#[test]
fn reference_crops_reproduce_golden_embeddings_on_openvinos_own_runtime() {
    check_crops_reproduce_golden(Some(ExecutionProviderKind::OpenVino), OpenVinoRoute::Direct);
    let direct = synthetic_recognizer(&runtime(
        Some(ExecutionProviderKind::OpenVino),
        Precision::Fp32,
    ));
    assert_eq!(
        direct.runtime_name(),
        "OpenVINO",
        "setup installs OpenVINO's own build: the default route must use it"
    );
}

#[test]
fn photo_with_golden_landmarks_and_reference_alignment_matches_golden() {
    let rt = runtime(None, Precision::Fp32);
    let rec = synthetic_recognizer(&rt);
    for f in parity_faces() {
        let photo = load_rgb(&find_photo(&f.file));
        let crop = align_face(&photo, &f.landmarks, AlignMethod::Reference).expect("align");
        let e = &rec.embed(&[crop]).expect("embed")[0];
        let (unit, _) = golden_embedding(&f.file, f.index);
        let cos = dot(&e.unit, &unit);
        assert!(cos >= 0.999, "{}#{}: cosine {cos}", f.file, f.index);
    }
}

#[test]
fn bf16_stays_within_cosine_0999_of_fp32() {
    let fp32 = synthetic_recognizer(&runtime(
        Some(ExecutionProviderKind::OpenVino),
        Precision::Fp32,
    ));
    let bf16 = synthetic_recognizer(&runtime(
        Some(ExecutionProviderKind::OpenVino),
        Precision::Bf16,
    ));
    let faces = parity_faces();
    let crops: Vec<_> = faces
        .iter()
        .map(|f| golden_crop(&f.file, f.index))
        .collect();
    let a = fp32.embed(&crops).expect("fp32");
    let b = bf16.embed(&crops).expect("bf16");
    // Without native bf16 OpenVINO runs the bf16 request in fp32: say so rather than pass
    // as if bf16 had been checked. With it, bf16 must really have run (outputs differ).
    let identical = a.iter().zip(&b).all(|(x, y)| x.unit == y.unit);
    if CpuFeatures::detect().has_fast_bf16() {
        assert!(
            !identical,
            "this CPU has native bf16, yet the bf16 request gave fp32's exact outputs"
        );
        eprintln!("bf16 vs fp32: compared real bf16 (native bf16 on this CPU) with fp32");
    } else {
        eprintln!(
            "bf16 vs fp32: this CPU has no native bf16 (no AMX/AVX512-BF16), so OpenVINO ran \
             the bf16 request in fp32: only fp32 was compared with fp32 here"
        );
    }
    for ((f, x), y) in faces.iter().zip(&a).zip(&b) {
        let cos = x.cosine(y);
        assert!(
            cos >= 0.999,
            "{}#{}: bf16 vs fp32 cosine {cos}",
            f.file,
            f.index
        );
    }
}

#[test]
fn embedding_splits_into_unit_vector_and_norm() {
    let e = FaceEmbedding::from_raw(&[3.0, 4.0]).expect("non-zero");
    assert_eq!(e.norm, 5.0);
    assert!((e.unit[0] - 0.6).abs() < 1e-7 && (e.unit[1] - 0.8).abs() < 1e-7);
    assert!(FaceEmbedding::from_raw(&[0.0, 0.0]).is_none());
    assert!(FaceEmbedding::from_raw(&[f32::NAN, 1.0]).is_none());
}
