//! Start-up costs paid once per machine, not once per run: OpenVINO's compiled model is
//! read back from its cache without being written again, and what a run needs to key
//! its gallery cache (the embedding width, the model's hash) is known without loading
//! the model.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use common::engine::{runtime, synthetic_recognizer};
use common::parity::{golden_crop, parity_faces};
use common::shared;
use facesorter_core::models::read_declared;
use facesorter_core::runtime::{ExecutionProviderKind, Precision};

/// Every file under `dir` with its size, mtime and content.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (u64, SystemTime, Vec<u8>)> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read cache dir") {
            let path = entry.expect("entry").path();
            let meta = std::fs::metadata(&path).expect("metadata");
            if meta.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("read cached file");
                files.insert(path, (meta.len(), meta.modified().expect("mtime"), bytes));
            }
        }
    }
    files
}

#[test]
fn a_second_open_reads_the_compiled_model_and_writes_nothing() {
    let cache = tempfile::tempdir().expect("tempdir");
    let rt = runtime(Some(ExecutionProviderKind::OpenVino), Precision::Fp32)
        .with_openvino_cache(Some(cache.path().to_path_buf()));
    let crops: Vec<_> = parity_faces()
        .iter()
        .map(|f| golden_crop(&f.file, f.index))
        .collect();

    let first = synthetic_recognizer(&rt);
    assert_eq!(first.runtime_name(), "OpenVINO");
    let first_out = first.embed(&crops).expect("embed");
    drop(first);
    let written = snapshot(cache.path());
    assert!(
        !written.is_empty(),
        "the first open must leave the compiled model in the cache"
    );

    // A second open, as a second run would: same model, same options.
    let second = synthetic_recognizer(&rt);
    let second_out = second.embed(&crops).expect("embed");
    drop(second);
    let after = snapshot(cache.path());
    let changed: Vec<_> = after
        .iter()
        .filter(|(p, v)| written.get(*p) != Some(v))
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert!(
        changed.is_empty() && after.len() == written.len(),
        "the second open wrote to the cache: {changed:?} ({} files before, {} after)",
        written.len(),
        after.len()
    );
    assert_eq!(first_out, second_out, "the cached model computes the same");
}

#[test]
fn models_declare_their_shapes_without_being_loaded() {
    // The AdaFace contract: [N,3,112,112] in, [N,512] out.
    for name in ["adaface_ir18_synthetic", "facenet_casia_112"] {
        let declared = read_declared(&shared(&format!("models/{name}.onnx")))
            .unwrap_or_else(|| panic!("{name}: not read"));
        assert_eq!(declared.embedding_width(), Some(512), "{name}");
        assert_eq!(declared.inputs.len(), 1, "{name}: {:?}", declared.inputs);
        assert_eq!(
            declared.inputs[0].dims[1..],
            [Some(3), Some(112), Some(112)],
            "{name}"
        );
        assert_eq!(
            declared.inputs[0].dims[0], None,
            "{name}: batch is symbolic"
        );
    }
    // YuNet: a fixed 640×640 input and twelve heads (cls/obj/bbox/kps × 3 strides).
    let yunet = read_declared(&shared("models/face_detection_yunet_2023mar.onnx")).expect("yunet");
    assert_eq!(
        yunet.inputs[0].dims,
        [Some(1), Some(3), Some(640), Some(640)]
    );
    assert_eq!(yunet.outputs.len(), 12);
    assert!(yunet.outputs.iter().any(|o| o.name == "kps_8"));
    assert_eq!(
        yunet.embedding_width(),
        None,
        "a detector has no [N, D] output"
    );
}
