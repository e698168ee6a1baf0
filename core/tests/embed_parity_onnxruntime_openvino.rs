//! The reference embeddings through ONNX Runtime's OpenVINO provider: the route used when
//! OpenVINO's own build is not installed. A test binary of its own, so OpenVINO's own
//! build is never loaded in this process (the provider links another build of the same
//! library name).

mod common;

use common::engine::{runtime, synthetic_recognizer};
use common::parity::{golden_crop, golden_embedding, parity_faces};
use facesorter_core::runtime::{ExecutionProviderKind, OpenVinoRoute, Precision};

#[test]
fn reference_crops_reproduce_golden_embeddings_on_onnxruntimes_openvino_provider() {
    let rt = runtime(Some(ExecutionProviderKind::OpenVino), Precision::Fp32)
        .with_openvino_route(OpenVinoRoute::OnnxRuntime);
    let rec = synthetic_recognizer(&rt);
    assert_eq!(rec.runtime_name(), "ONNX Runtime");
    let faces = parity_faces();
    let crops: Vec<_> = faces
        .iter()
        .map(|f| golden_crop(&f.file, f.index))
        .collect();
    let got = rec.embed(&crops).expect("embed");
    for (f, e) in faces.iter().zip(&got) {
        let (unit, norm) = golden_embedding(&f.file, f.index);
        let d = e
            .unit
            .iter()
            .zip(&unit)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(d <= 1e-4, "{}#{}: max abs diff {d}", f.file, f.index);
        assert!(
            (e.norm - norm).abs() / norm <= 1e-4,
            "{}#{}: norm {} vs {norm}",
            f.file,
            f.index,
            e.norm
        );
    }
}
