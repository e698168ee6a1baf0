//! Helpers shared by the core's integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// `../shared` beside the repository root: test data read in place, never copied.
pub fn shared_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    assert!(
        dir.join("README.md").is_file(),
        "test data not found at {} (../shared beside the repository)",
        dir.display()
    );
    dir
}

pub fn shared(rel: &str) -> PathBuf {
    shared_dir().join(rel)
}

/// Deterministic pseudo-random floats in [-1, 1) (splitmix64), for synthetic embeddings.
pub fn noise(seed: u64, n: usize) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            ((z >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// The AdaFace reference outputs in `../shared/parity/golden.json`.
pub mod parity {
    use std::path::{Path, PathBuf};

    use facesorter_core::geometry::{Landmarks, PixelPoint};

    pub struct ParityFace {
        pub file: String,
        pub index: usize,
        pub landmarks: Landmarks,
    }

    /// Every face of `golden.json`; landmarks there are `[x1..x5, y1..y5]`.
    pub fn parity_faces() -> Vec<ParityFace> {
        let path = super::shared("parity/golden.json");
        let text = std::fs::read_to_string(&path).expect("read golden.json");
        let golden: serde_json::Value = serde_json::from_str(&text).expect("parse golden.json");
        let images = golden["images"].as_object().expect("images object");
        let mut faces = Vec::new();
        for (file, entry) in images {
            let all = entry["landmarks"].as_array().expect("landmarks array");
            for (index, lm) in all.iter().enumerate() {
                let v: Vec<f32> = lm
                    .as_array()
                    .expect("landmark row")
                    .iter()
                    .map(|x| x.as_f64().expect("number") as f32)
                    .collect();
                assert_eq!(v.len(), 10, "{file}#{index}: ten landmark values");
                let landmarks = Landmarks(std::array::from_fn(|k| PixelPoint::new(v[k], v[k + 5])));
                faces.push(ParityFace {
                    file: file.clone(),
                    index,
                    landmarks,
                });
            }
        }
        assert!(!faces.is_empty());
        faces
    }

    /// The one photo named `name` anywhere under `../shared/faces`.
    pub fn find_photo(name: &str) -> PathBuf {
        fn walk(dir: &Path, name: &str, found: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).expect("read dir") {
                let path = entry.expect("dir entry").path();
                if path.is_dir() {
                    walk(&path, name, found);
                } else if path.file_name().is_some_and(|n| n == name) {
                    found.push(path);
                }
            }
        }
        let mut found = Vec::new();
        walk(&super::shared("faces"), name, &mut found);
        assert_eq!(found.len(), 1, "exactly one photo named {name}: {found:?}");
        found.remove(0)
    }

    pub fn load_rgb(path: &Path) -> image::RgbImage {
        image::open(path)
            .unwrap_or_else(|e| panic!("open {}: {e}", path.display()))
            .to_rgb8()
    }

    /// The golden unit embedding and norm of `file#index`.
    pub fn golden_embedding(file: &str, index: usize) -> (Vec<f32>, f32) {
        let text =
            std::fs::read_to_string(super::shared("parity/golden.json")).expect("read golden.json");
        let golden: serde_json::Value = serde_json::from_str(&text).expect("parse golden.json");
        let e = &golden["embeddings"]["ir_18"][format!("{file}#{index}")];
        let unit = e["embedding"]
            .as_array()
            .expect("embedding array")
            .iter()
            .map(|x| x.as_f64().expect("number") as f32)
            .collect();
        (unit, e["norm"].as_f64().expect("norm") as f32)
    }

    /// Embeds every reference crop in one batched call (batching must not change any
    /// result) with the synthetic IR-18 on `ep` in fp32 by `route`, and checks each against
    /// its golden embedding (max abs difference) and norm (relative), both ≤ 1e-4.
    pub fn check_crops_reproduce_golden(
        ep: Option<facesorter_core::runtime::ExecutionProviderKind>,
        route: facesorter_core::runtime::OpenVinoRoute,
    ) {
        let rt = super::engine::runtime(ep, facesorter_core::runtime::Precision::Fp32)
            .with_openvino_route(route);
        let rec = super::engine::synthetic_recognizer(&rt);
        let faces = parity_faces();
        let crops: Vec<_> = faces
            .iter()
            .map(|f| golden_crop(&f.file, f.index))
            .collect();
        let got = rec.embed(&crops).expect("embed");
        assert_eq!(got.len(), faces.len());
        for (f, e) in faces.iter().zip(&got) {
            let (unit, norm) = golden_embedding(&f.file, f.index);
            assert_eq!(e.unit.len(), unit.len());
            let d = e
                .unit
                .iter()
                .zip(&unit)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f32::max);
            let rel = (e.norm - norm).abs() / norm;
            assert!(
                d <= 1e-4,
                "{}#{} on {} ({}): max abs diff {d}",
                f.file,
                f.index,
                rt.choice(),
                rec.runtime_name()
            );
            assert!(
                rel <= 1e-4,
                "{}#{} on {} ({}): norm {} vs {norm} (rel {rel})",
                f.file,
                f.index,
                rt.choice(),
                rec.runtime_name(),
                e.norm
            );
        }
    }

    /// The reference's aligned crop of `file#index`.
    pub fn golden_crop(file: &str, index: usize) -> image::RgbImage {
        load_rgb(&super::shared(&format!(
            "parity/crops/{file}.face{index}.png"
        )))
    }
}

/// Opening the shared models on a runtime.
pub mod engine {
    use facesorter_core::embed::Recognizer;
    use facesorter_core::models::Manifest;
    use facesorter_core::runtime::{ExecutionProviderKind, Precision, ProviderRequest, Runtime};

    pub fn runtime(ep: Option<ExecutionProviderKind>, precision: Precision) -> Runtime {
        Runtime::new(ProviderRequest {
            ep,
            precision: Some(precision),
        })
        .expect("ONNX Runtime (run scripts/setup-onnxruntime.sh)")
    }

    /// The synthetic IR-18 with the AdaFace input convention from the manifest.
    pub fn synthetic_recognizer(runtime: &Runtime) -> Recognizer {
        let manifest = Manifest::builtin().expect("manifest");
        let convention = manifest
            .require("adaface-ir18")
            .expect("adaface-ir18 entry")
            .input;
        Recognizer::open(
            runtime,
            &super::shared("models/adaface_ir18_synthetic.onnx"),
            convention,
        )
        .expect("open synthetic IR-18")
    }
}

/// The YuNet detector from ../shared on the default provider.
pub fn yunet(params: facesorter_core::detect::DetectorParams) -> facesorter_core::detect::Detector {
    let rt = engine::runtime(None, facesorter_core::runtime::Precision::Fp32);
    facesorter_core::detect::Detector::open(
        &rt,
        &shared("models/face_detection_yunet_2023mar.onnx"),
        params,
    )
    .expect("open YuNet")
}

/// A whole `FaceEngine` on the shared YuNet and the synthetic IR-18.
pub mod face_engine {
    use std::sync::{Arc, OnceLock};

    use facesorter_core::engine::{EngineOptions, FaceEngine};
    use facesorter_core::models::{Manifest, ModelLocator, ModelSpec};

    fn locate(options: EngineOptions) -> (EngineOptions, ModelLocator) {
        let locator = ModelLocator::new(
            Manifest::builtin().expect("manifest"),
            vec![super::shared("models")],
        );
        let options = EngineOptions {
            recognizer: Some(ModelSpec::Path(super::shared(
                "models/adaface_ir18_synthetic.onnx",
            ))),
            ..options
        };
        (options, locator)
    }

    pub fn open(options: EngineOptions) -> FaceEngine {
        let (options, locator) = locate(options);
        FaceEngine::open(options, &locator).expect("open the engine on ../shared/models")
    }

    /// The same engine with its models found but not opened (they open on first use).
    pub fn prepare(options: EngineOptions) -> FaceEngine {
        let (options, locator) = locate(options);
        FaceEngine::prepare(options, &locator).expect("find the models in ../shared/models")
    }

    /// One engine per test binary: opening the models takes seconds.
    pub fn shared_engine() -> Arc<FaceEngine> {
        static ENGINE: OnceLock<Arc<FaceEngine>> = OnceLock::new();
        Arc::clone(ENGINE.get_or_init(|| Arc::new(open(EngineOptions::default()))))
    }
}

/// Copies the photos of a shared folder (flattened or not) into `dest`, so a test can
/// change its gallery without touching ../shared.
pub fn copy_photos(from: &std::path::Path, dest: &std::path::Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(from).expect("read shared folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            n += copy_photos(&path, &dest.join(path.file_name().expect("name")));
        } else if facesorter_core::photo::is_supported_extension(&path) {
            std::fs::create_dir_all(dest).expect("mkdir");
            std::fs::copy(&path, dest.join(path.file_name().expect("name"))).expect("copy");
            n += 1;
        }
    }
    n
}

/// The real FaceNet recognizer of ../shared with its crop contract (RGB pixels 0–255), for
/// every accuracy test.
pub mod facenet {
    use facesorter_core::engine::{EngineOptions, FaceEngine};
    use facesorter_core::models::{
        ColorOrder, Manifest, ModelLocator, ModelSpec, RecognizerOverrides,
    };
    use facesorter_core::runtime::ProviderRequest;

    /// FaceNet and YuNet on `provider`; `threshold` overrides the recognizer's default.
    pub fn open(provider: ProviderRequest, threshold: Option<f32>) -> FaceEngine {
        let locator = ModelLocator::new(
            Manifest::builtin().expect("manifest"),
            vec![super::shared("models")],
        );
        FaceEngine::open(
            EngineOptions {
                recognizer: Some(ModelSpec::Path(super::shared(
                    "models/facenet_casia_112.onnx",
                ))),
                recognizer_overrides: RecognizerOverrides {
                    color_order: Some(ColorOrder::Rgb),
                    mean: Some([0.0; 3]),
                    std: Some([1.0; 3]),
                    threshold,
                    ..RecognizerOverrides::default()
                },
                provider,
                ..EngineOptions::default()
            },
            &locator,
        )
        .expect("open FaceNet")
    }
}
