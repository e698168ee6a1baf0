//! Custom recognizers on real models: a sidecar file configures a model as the flags do,
//! the gallery fingerprint follows the input convention, and the faces of a photo come in
//! reading order.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use common::{copy_photos, shared};
use facesorter_core::detect::{reading_order_indices, DETECTION_VERSION};
use facesorter_core::engine::{EngineError, EngineOptions, Face, FaceEngine};
use facesorter_core::gallery::GalleryCache;
use facesorter_core::geometry::FaceBox;
use facesorter_core::index::{index_gallery, IndexOptions, IndexOutcome};
use facesorter_core::models::{
    ColorOrder, Manifest, ModelError, ModelLocator, ModelSpec, RecognizerOverrides,
};
use facesorter_core::runtime::{Precision, ProviderRequest};

/// The real recognizer's convention, as `../shared/README.md` gives it.
const FACENET_SIDECAR: &str = r#"
name = "FaceNet (CASIA-WebFace)"
license = "MIT"
color_order = "rgb"
mean = 0
std = 1
threshold = 0.45
embedding_size = 512
"#;

fn locator() -> ModelLocator {
    ModelLocator::new(
        Manifest::builtin().expect("manifest"),
        vec![shared("models")],
    )
}

/// fp32: embeddings compared bit for bit must not depend on bf16 rounding.
fn open(recognizer: &Path, overrides: RecognizerOverrides) -> Result<FaceEngine, EngineError> {
    FaceEngine::open(
        EngineOptions {
            recognizer: Some(ModelSpec::Path(recognizer.to_path_buf())),
            recognizer_overrides: overrides,
            provider: ProviderRequest {
                precision: Some(Precision::Fp32),
                ..ProviderRequest::default()
            },
            ..EngineOptions::default()
        },
        &locator(),
    )
}

/// A temporary models folder holding a link to the shared FaceNet and `sidecar` beside it
/// (../shared is read-only, so the sidecar cannot go next to the model itself).
fn linked_facenet(dir: &Path, sidecar: &str) -> PathBuf {
    let link = dir.join("facenet.onnx");
    std::os::unix::fs::symlink(shared("models/facenet_casia_112.onnx"), &link).expect("symlink");
    std::fs::write(dir.join("facenet.toml"), sidecar).expect("write sidecar");
    link
}

fn faces(engine: &FaceEngine, photo: &str) -> Vec<Face> {
    let image = engine.load_photo(&shared(photo)).expect("load").image;
    engine.analyze(&image).expect("analyze")
}

fn embeddings(faces: &[Face]) -> Vec<Vec<u32>> {
    faces
        .iter()
        .map(|f| f.embedding.unit.iter().map(|v| v.to_bits()).collect())
        .collect()
}

fn flags() -> RecognizerOverrides {
    RecognizerOverrides {
        color_order: Some(ColorOrder::Rgb),
        mean: Some([0.0; 3]),
        std: Some([1.0; 3]),
        ..RecognizerOverrides::default()
    }
}

#[test]
fn a_sidecar_configures_a_model_as_the_flags_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = linked_facenet(dir.path(), FACENET_SIDECAR);
    let photo = "faces/deepface/couple.jpg";

    let by_sidecar = open(&model, RecognizerOverrides::default()).expect("sidecar engine");
    let by_flags = open(&shared("models/facenet_casia_112.onnx"), flags()).expect("flag engine");
    let adaface_defaults = open(
        &shared("models/facenet_casia_112.onnx"),
        RecognizerOverrides::default(),
    )
    .expect("default engine");

    assert_eq!(by_sidecar.default_threshold(), 0.45);
    assert_eq!(
        by_sidecar.recognizer_model().display_name(),
        "FaceNet (CASIA-WebFace)"
    );
    assert_eq!(
        by_sidecar.recognizer_profile().convention,
        by_flags.recognizer_profile().convention
    );
    let a = faces(&by_sidecar, photo);
    let b = faces(&by_flags, photo);
    let c = faces(&adaface_defaults, photo);
    assert_eq!(a.len(), 2);
    assert_eq!(embeddings(&a), embeddings(&b), "sidecar and flags agree");
    for (x, y) in a.iter().zip(&c) {
        let cos = x.embedding.cosine(&y.embedding);
        assert!(
            cos < 0.99,
            "AdaFace's convention should change FaceNet's embedding ({cos})"
        );
    }
    // The same model file gives other embeddings under another convention, so the cache
    // must not mix them.
    let fp = |e: &FaceEngine| e.fingerprint(512).expect("fingerprint");
    assert_eq!(fp(&by_sidecar).digest(), fp(&by_flags).digest());
    assert_ne!(fp(&by_sidecar).digest(), fp(&adaface_defaults).digest());
}

#[test]
fn flags_override_the_sidecar_field_by_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = linked_facenet(dir.path(), FACENET_SIDECAR);
    let bgr = RecognizerOverrides {
        color_order: Some(ColorOrder::Bgr),
        threshold: Some(0.5),
        ..RecognizerOverrides::default()
    };
    let overridden = open(&model, bgr).expect("engine");
    let expected = open(
        &shared("models/facenet_casia_112.onnx"),
        RecognizerOverrides {
            color_order: Some(ColorOrder::Bgr),
            ..flags()
        },
    )
    .expect("engine");
    assert_eq!(overridden.default_threshold(), 0.5);
    let photo = "faces/adaface_demo/img1.jpeg";
    assert_eq!(
        embeddings(&faces(&overridden, photo)),
        embeddings(&faces(&expected, photo))
    );
}

#[test]
fn a_wrong_or_malformed_sidecar_stops_the_engine_with_its_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = linked_facenet(
        dir.path(),
        &FACENET_SIDECAR.replace("embedding_size = 512", "embedding_size = 128"),
    );
    match open(&model, RecognizerOverrides::default()) {
        Err(EngineError::EmbeddingSize {
            declared, actual, ..
        }) => assert_eq!((declared, actual), (128, 512)),
        other => panic!("expected an embedding size error, got {other:?}"),
    }
    std::fs::write(dir.path().join("facenet.toml"), "std = 0").expect("rewrite");
    let err = open(&model, RecognizerOverrides::default()).expect_err("zero std");
    assert!(
        matches!(&err, EngineError::Model(ModelError::Sidecar { field: Some(f), .. }) if f == "std"),
        "{err}"
    );
    assert!(err.to_string().contains("facenet.toml"), "{err}");
}

fn index(engine: &FaceEngine, root: &Path, cache: &GalleryCache) -> IndexOutcome {
    index_gallery(
        engine,
        root,
        Some(cache),
        &IndexOptions::default(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .expect("index")
}

#[test]
fn changing_the_input_convention_indexes_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("gallery");
    assert_eq!(copy_photos(&shared("faces/adaface_demo"), &root), 3);
    let cache = GalleryCache::new(dir.path().join("cache"));
    let synthetic = shared("models/adaface_ir18_synthetic.onnx");
    let adaface = open(&synthetic, RecognizerOverrides::default()).expect("engine");
    let first = index(&adaface, &root, &cache);
    assert_eq!(first.summary.added, 3);
    let again = index(&adaface, &root, &cache);
    assert_eq!((again.summary.added, again.summary.unchanged), (0, 3));

    let rgb = open(
        &synthetic,
        RecognizerOverrides {
            color_order: Some(ColorOrder::Rgb),
            ..RecognizerOverrides::default()
        },
    )
    .expect("engine");
    let other = index(&rgb, &root, &cache);
    assert_eq!(
        (other.summary.added, other.summary.unchanged),
        (3, 0),
        "another colour order must not reuse the old embeddings"
    );
    assert_ne!(first.album.embeddings(), other.album.embeddings());
    assert!(rgb
        .fingerprint(512)
        .expect("fingerprint")
        .detection
        .contains(&DETECTION_VERSION.to_string()));
}

fn centre(b: &FaceBox) -> (f32, f32) {
    ((b.x1 + b.x2) / 2.0, (b.y1 + b.y2) / 2.0)
}

/// Reading order checked from the boxes alone: a face never comes before one clearly
/// above it (a box height higher), and faces level with each other (centres within a
/// quarter of a height) come left to right.
fn assert_reading_order(boxes: &[FaceBox], what: &str) {
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            let ((ax, ay), (bx, by)) = (centre(a), centre(b));
            let h = a.height().max(b.height());
            assert!(
                by > ay - h,
                "{what}: {b:?} is a row above {a:?} yet comes after it"
            );
            if (by - ay).abs() < 0.25 * h {
                assert!(bx > ax, "{what}: {b:?} is level with and left of {a:?}");
            }
        }
    }
}

#[test]
fn faces_of_a_photo_come_in_reading_order_in_detection_and_in_the_album() {
    let synthetic = shared("models/adaface_ir18_synthetic.onnx");
    let engine = open(&synthetic, RecognizerOverrides::default()).expect("engine");
    for photo in [
        "faces/deepface/selfie-many-people.jpg",
        "faces/deepface/couple.jpg",
    ] {
        let found = faces(&engine, photo);
        assert!(found.len() >= 2, "{photo}: {} faces", found.len());
        let boxes: Vec<FaceBox> = found.iter().map(|f| f.detection.face_box).collect();
        assert_reading_order(&boxes, photo);
        assert_eq!(
            reading_order_indices(&boxes),
            (0..boxes.len()).collect::<Vec<_>>()
        );
        // Not the detector's order: the scores are not sorted (or the photo would not
        // test anything).
        let scores: Vec<f32> = found.iter().map(|f| f.detection.score).collect();
        if photo.contains("selfie") {
            assert!(
                scores.windows(2).any(|w| w[0] < w[1]),
                "{photo}: scores already descending {scores:?}"
            );
        }
    }

    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("g");
    std::fs::create_dir_all(&root).expect("mkdir");
    std::fs::copy(
        shared("faces/deepface/selfie-many-people.jpg"),
        root.join("selfie.jpg"),
    )
    .expect("copy");
    let album = index(&engine, &root, &GalleryCache::new(dir.path().join("cache"))).album;
    let stored: Vec<FaceBox> = album.faces().iter().map(|f| f.face_box).collect();
    assert_reading_order(&stored, "album");
    let detected: Vec<FaceBox> = faces(&engine, "faces/deepface/selfie-many-people.jpg")
        .iter()
        .map(|f| f.detection.face_box)
        .collect();
    assert_eq!(
        stored, detected,
        "the album numbers faces as detection does"
    );
}

#[test]
fn a_detector_sidecar_names_it_and_refuses_recognizer_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    let link = dir.path().join("det.onnx");
    std::os::unix::fs::symlink(shared("models/face_detection_yunet_2023mar.onnx"), &link)
        .expect("symlink");
    let open_detector = || {
        facesorter_core::engine::DetectionEngine::open(
            EngineOptions {
                detector: Some(ModelSpec::Path(link.clone())),
                ..EngineOptions::default()
            },
            &locator(),
        )
    };
    std::fs::write(
        dir.path().join("det.toml"),
        "kind = \"detector\"\nname = \"YuNet\"\nlicense = \"Apache-2.0\"\n",
    )
    .expect("write");
    let engine = open_detector().expect("a detector with a sidecar");
    assert_eq!(engine.detector_model().display_name(), "YuNet");

    std::fs::write(dir.path().join("det.toml"), "name = \"YuNet\"\nmean = 0\n").expect("write");
    let err = open_detector().expect_err("a recognizer field on the detector");
    assert!(
        matches!(&err, EngineError::Model(ModelError::Sidecar { field: Some(f), .. }) if f == "mean"),
        "{err}"
    );
}

/// The reason for reading order: fp32 and bf16 detection give slightly different boxes
/// and scores, yet the faces of a photo must be numbered the same.
#[test]
fn fp32_and_bf16_number_the_faces_of_a_photo_alike() {
    use facesorter_core::engine::DetectionEngine;
    use facesorter_core::runtime::ExecutionProviderKind;
    let detect = |precision| {
        let engine = DetectionEngine::open(
            EngineOptions {
                provider: ProviderRequest {
                    ep: Some(ExecutionProviderKind::OpenVino),
                    precision: Some(precision),
                },
                ..EngineOptions::default()
            },
            &locator(),
        )
        .expect("detector");
        let photo = shared("faces/deepface/selfie-many-people.jpg");
        let image = engine.load_photo(&photo).expect("load").image;
        engine.detect(&image).expect("detect")
    };
    let a = detect(Precision::Fp32);
    let b = detect(Precision::Bf16);
    assert_eq!(a.len(), b.len(), "the same faces are found");
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert!(
            x.face_box.iou(&y.face_box) > 0.8,
            "face {i}: fp32 {:?} but bf16 {:?}",
            x.face_box,
            y.face_box
        );
    }
}
