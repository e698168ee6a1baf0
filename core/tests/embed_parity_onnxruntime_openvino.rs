//! The reference embeddings through ONNX Runtime's OpenVINO provider: the route used when
//! OpenVINO's own build is not installed. A test binary of its own, so OpenVINO's own
//! build is never loaded in this process (the provider links another build of the same
//! library name).

mod common;

use common::engine::{runtime, synthetic_recognizer};
use common::parity::check_crops_reproduce_golden;
use facesorter_core::runtime::{ExecutionProviderKind, OpenVinoRoute, Precision};

#[test]
fn reference_crops_reproduce_golden_embeddings_on_onnxruntimes_openvino_provider() {
    check_crops_reproduce_golden(
        Some(ExecutionProviderKind::OpenVino),
        OpenVinoRoute::OnnxRuntime,
    );
    let rec = synthetic_recognizer(
        &runtime(Some(ExecutionProviderKind::OpenVino), Precision::Fp32)
            .with_openvino_route(OpenVinoRoute::OnnxRuntime),
    );
    assert_eq!(rec.runtime_name(), "ONNX Runtime");
}
