//! The `facesorter` binary's contract, run as a user would run it, on ../shared.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn shared(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel)
}

/// The binary with the shared models folder and the synthetic IR-18 as recognizer.
fn facesorter(args: &[&str]) -> Output {
    let synthetic = shared("models/adaface_ir18_synthetic.onnx");
    Command::new(env!("CARGO_BIN_EXE_facesorter"))
        .env("FACESORTER_MODELS", shared("models"))
        .arg("--model")
        .arg(&synthetic)
        .args(args)
        .output()
        .expect("run facesorter")
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

#[test]
fn detect_json_follows_the_contract() {
    let couple = shared("faces/deepface/couple.jpg");
    let out = facesorter(&["detect", "--json", p(&couple)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    let img = &lines[0];
    assert_eq!(img["image"], p(&couple));
    let (w, h) = (
        img["width"].as_f64().expect("width"),
        img["height"].as_f64().expect("height"),
    );
    assert_eq!((w, h), (2280.0, 1588.0));
    let faces = img["faces"].as_array().expect("faces");
    assert_eq!(faces.len(), 2, "couple.jpg has two faces");
    for f in faces {
        let b: Vec<f64> = f["box"]
            .as_array()
            .expect("box")
            .iter()
            .map(|v| v.as_f64().expect("num"))
            .collect();
        assert_eq!(b.len(), 4);
        assert!(b[0] < b[2] && b[1] < b[3] && b[0] >= 0.0 && b[2] <= w);
        assert!(f["score"].as_f64().expect("score") >= 0.6);
        let lm = f["landmarks"].as_array().expect("landmarks");
        assert_eq!(lm.len(), 5);
        for pt in lm {
            let (x, y) = (pt[0].as_f64().expect("x"), pt[1].as_f64().expect("y"));
            assert!(
                x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3],
                "landmark inside its box"
            );
        }
        // Image-left eye is left of the image-right eye; the mouth is below the eyes.
        assert!(lm[0][0].as_f64() < lm[1][0].as_f64());
        assert!(lm[3][1].as_f64() > lm[0][1].as_f64());
        assert!(f.get("embedding").is_none(), "detect prints no embedding");
    }
}

#[test]
fn a_failing_input_is_reported_and_the_others_go_on() {
    let text = shared("faces/deepface/identities.csv");
    let good = shared("faces/adaface_demo/img1.jpeg");
    let out = facesorter(&["detect", "--json", p(&text), "/no/such/photo.jpg", p(&good)]);
    assert_eq!(out.status.code(), Some(1), "exit 1 when some input failed");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3, "one line per input");
    assert!(lines[0]["error"]
        .as_str()
        .expect("error")
        .contains("not an image"));
    assert!(lines[1]["error"]
        .as_str()
        .expect("error")
        .contains("not found"));
    assert_eq!(lines[2]["faces"].as_array().expect("faces").len(), 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.lines().count(),
        2,
        "one line per failing file: {stderr}"
    );
}

#[test]
fn embed_json_gives_unit_embeddings_and_norms() {
    let img = shared("faces/deepface/selfie-many-people.jpg");
    let out = facesorter(&["embed", "--json", p(&img)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    let faces = lines[0]["faces"].as_array().expect("faces");
    assert!(
        faces.len() >= 5,
        "every face of a group photo, got {}",
        faces.len()
    );
    for f in faces {
        let e: Vec<f64> = f["embedding"]
            .as_array()
            .expect("embedding")
            .iter()
            .map(|v| v.as_f64().expect("num"))
            .collect();
        assert_eq!(e.len(), 512);
        let n: f64 = e.iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!((n - 1.0).abs() < 1e-4, "unit length, got {n}");
        assert!(f["norm"].as_f64().expect("norm") > 0.0);
    }
}

fn golden() -> Value {
    serde_json::from_str(&std::fs::read_to_string(shared("parity/golden.json")).expect("golden"))
        .expect("json")
}

fn cosine(a: &Value, b: &Value) -> f64 {
    let a = a.as_array().expect("a");
    let b = b.as_array().expect("b");
    a.iter()
        .zip(b)
        .map(|(x, y)| x.as_f64().expect("x") * y.as_f64().expect("y"))
        .sum()
}

#[test]
fn embed_aligned_crop_reproduces_the_golden_embedding() {
    let crop = shared("parity/crops/img1.jpeg.face0.png");
    let out = facesorter(&["embed", "--aligned", "--json", p(&crop)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let face = &json_lines(&out)[0]["faces"][0];
    let g = &golden()["embeddings"]["ir_18"]["img1.jpeg#0"];
    let max_diff = face["embedding"]
        .as_array()
        .expect("embedding")
        .iter()
        .zip(g["embedding"].as_array().expect("golden"))
        .map(|(a, b)| (a.as_f64().expect("a") - b.as_f64().expect("b")).abs())
        .fold(0.0, f64::max);
    assert!(max_diff <= 1e-4, "max abs diff {max_diff}");
    let norm = face["norm"].as_f64().expect("norm");
    let gnorm = g["norm"].as_f64().expect("golden norm");
    assert!((norm - gnorm).abs() / gnorm <= 1e-4);
}

#[test]
fn embed_with_given_landmarks_and_reference_alignment_matches_golden() {
    let g = golden();
    let lm: Vec<f64> = g["images"]["img2.jpeg"]["landmarks"][0]
        .as_array()
        .expect("lm")
        .iter()
        .map(|v| v.as_f64().expect("n"))
        .collect();
    // golden.json stores [x1..x5, y1..y5]; the flag takes x1,y1,…,x5,y5.
    let flag: Vec<String> = (0..5)
        .flat_map(|k| [lm[k].to_string(), lm[k + 5].to_string()])
        .collect();
    let img = shared("faces/adaface_demo/img2.jpeg");
    let out = facesorter(&[
        "embed",
        "--json",
        "--align",
        "reference",
        "--landmarks",
        &flag.join(","),
        p(&img),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let faces = json_lines(&out)[0]["faces"].clone();
    assert_eq!(faces.as_array().expect("faces").len(), 1);
    let cos = cosine(
        &faces[0]["embedding"],
        &g["embeddings"]["ir_18"]["img2.jpeg#0"]["embedding"],
    );
    assert!(cos >= 0.999, "cosine {cos}");
}

#[test]
fn compare_json_is_a_symmetric_matrix() {
    let imgs: Vec<PathBuf> = ["img1.jpeg", "img2.jpeg", "img3.jpeg"]
        .iter()
        .map(|n| shared(&format!("faces/adaface_demo/{n}")))
        .collect();
    let mut args = vec!["compare", "--json"];
    args.extend(imgs.iter().map(|i| p(i)));
    let out = facesorter(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = &json_lines(&out)[0];
    assert_eq!(v["images"].as_array().expect("images").len(), 3);
    assert_eq!(v["faces"], serde_json::json!([1, 1, 1]));
    let m: Vec<Vec<f64>> = v["matrix"]
        .as_array()
        .expect("matrix")
        .iter()
        .map(|row| {
            row.as_array()
                .expect("row")
                .iter()
                .map(|x| x.as_f64().expect("cosine"))
                .collect()
        })
        .collect();
    for (i, row) in m.iter().enumerate() {
        assert!((row[i] - 1.0).abs() < 1e-4, "diagonal is 1");
        for (j, a) in row.iter().enumerate() {
            assert!((a - m[j][i]).abs() < 1e-5 && (-1.0..=1.0001).contains(a));
        }
    }
}

#[test]
fn a_corrupt_model_is_named_with_its_expected_sha256() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bytes =
        std::fs::read(shared("models/face_detection_yunet_2023mar.onnx")).expect("read yunet");
    for b in bytes.iter_mut().take(4096).skip(16) {
        *b = !*b;
    }
    let damaged = dir.path().join("face_detection_yunet_2023mar.onnx");
    std::fs::write(&damaged, bytes).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_facesorter"))
        .env("FACESORTER_MODELS", dir.path())
        .args(["detect", p(&shared("faces/adaface_demo/img1.jpeg"))])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(p(&damaged)), "{stderr}");
    assert!(
        stderr.contains("8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4"),
        "{stderr}"
    );
    assert!(stderr.contains("models fetch yunet-2023mar"), "{stderr}");
}

#[test]
fn a_missing_onnx_runtime_says_how_to_fix_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_facesorter"))
        .env("FACESORTER_MODELS", shared("models"))
        .env("ORT_DYLIB_PATH", "/no/such/libonnxruntime.so")
        .args(["detect", p(&shared("faces/adaface_demo/img1.jpeg"))])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/no/such/libonnxruntime.so"), "{stderr}");
    assert!(stderr.contains("setup-onnxruntime.sh"), "{stderr}");
}

#[test]
fn a_missing_model_names_the_fetch_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_facesorter"))
        .env("FACESORTER_MODELS", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .args([
            "--model",
            "adaface-ir18",
            "embed",
            p(&shared("faces/adaface_demo/img1.jpeg")),
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("facesorter models fetch adaface-ir18"),
        "{stderr}"
    );
}

#[test]
fn models_list_json_lists_the_manifest() {
    let out = facesorter(&["models", "list", "--json"]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let ids: Vec<&str> = v
        .as_array()
        .expect("list")
        .iter()
        .map(|m| m["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["yunet-2023mar", "adaface-ir18", "adaface-ir101"]);
    assert!(
        v[0]["present"].as_str().is_some(),
        "yunet is found in FACESORTER_MODELS"
    );
}
