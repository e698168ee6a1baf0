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
    // Parity is an fp32 property: on AMX/AVX512-BF16 CPUs the default precision is bf16.
    let out = facesorter(&[
        "embed",
        "--precision",
        "fp32",
        "--aligned",
        "--json",
        p(&crop),
    ]);
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
        "--precision",
        "fp32",
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

    // Indexing opens its models only when a photo needs them; a damaged one still stops
    // the run with that one error, not one failure per photo.
    let gallery = dir.path().join("gallery");
    std::fs::create_dir(&gallery).expect("mkdir");
    for name in ["img1.jpeg", "img2.jpeg"] {
        std::fs::copy(
            shared(&format!("faces/adaface_demo/{name}")),
            gallery.join(name),
        )
        .expect("copy");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_facesorter"))
        .env("FACESORTER_MODELS", dir.path())
        .env("FACESORTER_CACHE_DIR", dir.path().join("cache"))
        .args(["index", p(&gallery), "--model"])
        .arg(shared("models/adaface_ir18_synthetic.onnx"))
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr
            .matches("8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4")
            .count(),
        1,
        "{stderr}"
    );
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

/// A models folder holding links to the shared YuNet and FaceNet, with a sidecar saying
/// FaceNet's convention (../shared is read-only, so the sidecar cannot sit beside it).
fn sidecar_models_dir(dir: &Path) {
    for (link, target) in [
        (
            "face_detection_yunet_2023mar.onnx",
            "models/face_detection_yunet_2023mar.onnx",
        ),
        ("facenet.onnx", "models/facenet_casia_112.onnx"),
    ] {
        std::os::unix::fs::symlink(shared(target), dir.join(link)).expect("symlink");
    }
    std::fs::write(
        dir.join("facenet.toml"),
        "name = \"FaceNet CASIA\"\nlicense = \"MIT\"\ncolor_order = \"rgb\"\n\
         mean = 0\nstd = 1\nthreshold = 0.45\nembedding_size = 512\n",
    )
    .expect("write sidecar");
}

#[test]
fn models_list_shows_models_with_a_sidecar() {
    let dir = tempfile::tempdir().expect("tempdir");
    sidecar_models_dir(dir.path());
    let list = |json: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_facesorter"));
        cmd.env("FACESORTER_MODELS", dir.path())
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .args(["models", "list"]);
        if json {
            cmd.arg("--json");
        }
        cmd.output().expect("run")
    };
    let out = list(true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let facenet = v
        .as_array()
        .expect("list")
        .iter()
        .find(|m| m["file"] == "facenet.onnx")
        .unwrap_or_else(|| panic!("facenet.onnx listed: {v}"));
    assert_eq!(facenet["kind"], "recognizer");
    assert_eq!(facenet["name"], "FaceNet CASIA");
    assert_eq!(facenet["color_order"], "rgb");
    assert_eq!(facenet["threshold"].as_f64(), Some(0.45f32 as f64));
    assert_eq!(facenet["present"], p(&dir.path().join("facenet.onnx")));
    // The manifest's yunet is listed once, as the manifest's.
    let yunets = v
        .as_array()
        .expect("list")
        .iter()
        .filter(|m| m["file"] == "face_detection_yunet_2023mar.onnx")
        .count();
    assert_eq!(yunets, 1);

    let text = String::from_utf8_lossy(&list(false).stdout).into_owned();
    assert!(
        text.contains("facenet.onnx  [recognizer]  FaceNet CASIA  (MIT)"),
        "{text}"
    );
    assert!(
        text.contains("rgb, mean 0, std 1, threshold 0.45, 512-d"),
        "{text}"
    );
}

#[test]
fn a_model_with_a_sidecar_needs_no_flags() {
    let dir = tempfile::tempdir().expect("tempdir");
    sidecar_models_dir(dir.path());
    let photo = shared("faces/adaface_demo/img2.jpeg");
    let embed = |model: &Path, flags: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_facesorter"))
            .env("FACESORTER_MODELS", dir.path())
            .args(["--precision", "fp32", "--model", p(model)])
            .args(flags)
            .args(["embed", "--json", p(&photo)])
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        json_lines(&out)[0]["faces"][0]["embedding"].clone()
    };
    let by_sidecar = embed(&dir.path().join("facenet.onnx"), &[]);
    let by_flags = embed(
        &shared("models/facenet_casia_112.onnx"),
        &["--color-order", "rgb", "--mean", "0", "--std", "1"],
    );
    let unconfigured = embed(&shared("models/facenet_casia_112.onnx"), &[]);
    assert!(by_sidecar.as_array().is_some_and(|e| e.len() == 512));
    assert_eq!(by_sidecar, by_flags);
    assert_ne!(by_sidecar, unconfigured);
    // A flag overrides the sidecar.
    let bgr = embed(&dir.path().join("facenet.onnx"), &["--color-order", "bgr"]);
    assert_ne!(bgr, by_sidecar);
}

// ---- index and find: the album commands -------------------------------------------------

/// `facesorter` with the synthetic recognizer and the gallery cache under `cache_home`
/// (through `XDG_CACHE_HOME`, as the issue promises, not our own override).
fn album_command(cache_home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_facesorter"));
    cmd.env("FACESORTER_MODELS", shared("models"))
        .env_remove("FACESORTER_CACHE_DIR")
        .env("XDG_CACHE_HOME", cache_home)
        .arg("--model")
        .arg(shared("models/adaface_ir18_synthetic.onnx"))
        .args(args);
    cmd
}

fn album(cache_home: &Path, args: &[&str]) -> Output {
    album_command(cache_home, args)
        .output()
        .expect("run facesorter")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Copies `names` from `faces/deepface` into `dest` (created).
fn copy_deepface(dest: &Path, names: &[&str]) {
    std::fs::create_dir_all(dest).expect("mkdir");
    for name in names {
        std::fs::copy(shared("faces/deepface").join(name), dest.join(name)).expect("copy");
    }
}

fn every_deepface_photo() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(shared("faces/deepface"))
        .expect("read deepface")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".jpg"))
        .collect();
    names.sort();
    names
}

/// Every `.fsc` gallery cache file under `dir`.
fn cache_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(cache_files(&path));
        } else if path.extension().is_some_and(|e| e == "fsc") {
            out.push(path);
        }
    }
    out
}

fn index_json(cache_home: &Path, gallery: &Path) -> (Output, Value) {
    let out = album(cache_home, &["index", "--json", p(gallery)]);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "one summary object: {}", stderr(&out));
    (out, lines[0].clone())
}

fn count(summary: &Value, key: &str) -> u64 {
    summary[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} missing in {summary}"))
}

#[test]
fn index_json_follows_the_contract_and_a_second_run_embeds_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let gallery = tmp.path().join("gallery");
    copy_deepface(
        &gallery,
        &["couple.jpg", "img1.jpg", "img2.jpg", "img3.jpg"],
    );
    std::fs::write(
        gallery.join("broken.jpg"),
        b"\xff\xd8\xff not really a jpeg",
    )
    .expect("write");
    let cache_home = tmp.path().join("cache");

    let (out, first) = index_json(&cache_home, &gallery);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed photo sets the exit code"
    );
    let mut keys: Vec<&str> = first
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "added",
            "faces",
            "failed",
            "failures",
            "photos",
            "removed",
            "renamed",
            "seconds",
            "unchanged",
            "updated"
        ]
    );
    assert_eq!(count(&first, "photos"), 4);
    assert_eq!(count(&first, "added"), 4);
    assert_eq!(count(&first, "faces"), 5, "couple.jpg holds two faces");
    assert_eq!(count(&first, "failed"), 1);
    assert!(first["seconds"].as_f64().expect("seconds") > 0.0);
    let failures = first["failures"].as_array().expect("failures");
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0]["path"]
            .as_str()
            .expect("path")
            .ends_with("broken.jpg"),
        "{first}"
    );
    assert!(!failures[0]["reason"].as_str().expect("reason").is_empty());
    assert_eq!(
        cache_files(&cache_home).len(),
        1,
        "the cache lives under XDG_CACHE_HOME"
    );

    // Unchanged gallery: nothing embedded. Then one photo added and one deleted.
    std::fs::remove_file(gallery.join("broken.jpg")).expect("rm");
    let (out, second) = index_json(&cache_home, &gallery);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        [
            "photos",
            "faces",
            "added",
            "updated",
            "unchanged",
            "renamed",
            "removed",
            "failed"
        ]
        .map(|k| count(&second, k)),
        [4, 5, 0, 0, 4, 0, 0, 0]
    );
    std::fs::remove_file(gallery.join("img3.jpg")).expect("rm");
    copy_deepface(&gallery, &["img4.jpg"]);
    let (_, third) = index_json(&cache_home, &gallery);
    assert_eq!(
        ["photos", "added", "unchanged", "removed"].map(|k| count(&third, k)),
        [4, 1, 3, 1]
    );
}

/// The `find --json` lines on stdout, split into results and probe errors.
fn find_json(cache_home: &Path, args: &[&str]) -> (Output, Vec<Value>) {
    let mut full = vec!["find", "--json"];
    full.extend_from_slice(args);
    let out = album(cache_home, &full);
    let lines = json_lines(&out);
    (out, lines)
}

fn boxes_overlap(a: &Value, b: &Value) -> bool {
    let f = |v: &Value, i: usize| v[i].as_f64().expect("box coordinate");
    let ix = (f(a, 2).min(f(b, 2)) - f(a, 0).max(f(b, 0))).max(0.0);
    let iy = (f(a, 3).min(f(b, 3)) - f(a, 1).max(f(b, 1))).max(0.0);
    let area = |v: &Value| (f(v, 2) - f(v, 0)) * (f(v, 3) - f(v, 1));
    let inter = ix * iy;
    inter / (area(a) + area(b) - inter) > 0.9
}

#[test]
fn find_json_gives_each_probe_face_its_matches_sorted_by_score() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let gallery = tmp.path().join("gallery");
    copy_deepface(
        &gallery,
        &["couple.jpg", "img1.jpg", "img2.jpg", "img5.jpg"],
    );
    let cache_home = tmp.path().join("cache");
    let couple = gallery.join("couple.jpg");
    let g = p(&gallery);

    // Every face of the probe, each finding itself first among all five gallery faces.
    let (out, lines) = find_json(
        &cache_home,
        &[
            "--gallery",
            g,
            "--face",
            "all",
            "--threshold",
            "-1",
            p(&couple),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(lines.len(), 2, "couple.jpg has two faces");
    for line in &lines {
        assert_eq!(line["probe"], p(&couple));
        assert!(line["face"]["norm"].as_f64().expect("norm") > 0.0);
        assert_eq!(line["face"]["box"].as_array().expect("box").len(), 4);
        // One search per face: `probes` lists just that face.
        let probes = line["probes"].as_array().expect("probes");
        assert_eq!(probes.len(), 1, "{line}");
        assert_eq!(probes[0]["path"], p(&couple));
        assert_eq!(probes[0]["box"], line["face"]["box"]);
        let matches = line["matches"].as_array().expect("matches");
        assert_eq!(matches.len(), 5, "threshold -1 keeps every gallery face");
        let scores: Vec<f64> = matches
            .iter()
            .map(|m| m["score"].as_f64().expect("score"))
            .collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
        let best = &matches[0];
        assert_eq!(best["path"], p(&couple));
        assert!(scores[0] >= 0.99, "{scores:?}");
        assert!(boxes_overlap(&best["box"], &line["face"]["box"]), "{line}");
        assert!(matches[0]["norm"].as_f64().expect("norm") > 0.0);
    }
    assert!(
        !boxes_overlap(&lines[0]["face"]["box"], &lines[1]["face"]["box"]),
        "two different faces"
    );

    // Default: the largest face only; --top caps the list; a high threshold filters it.
    let (_, lines) = find_json(
        &cache_home,
        &[
            "--gallery",
            g,
            "--threshold",
            "-1",
            "--top",
            "2",
            p(&couple),
        ],
    );
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["matches"].as_array().expect("matches").len(), 2);
    let (_, lines) = find_json(
        &cache_home,
        &["--gallery", g, "--threshold", "0.99", p(&couple)],
    );
    assert_eq!(lines[0]["matches"].as_array().expect("matches").len(), 1);

    // `-inf` as a word of its own parses like `--threshold=-inf` and keeps every face.
    let (out, lines) = find_json(
        &cache_home,
        &["--gallery", g, "--threshold", "-inf", p(&couple)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(lines[0]["matches"].as_array().expect("matches").len(), 5);
    // NaN would silently match nothing: refused before anything runs.
    let (out, lines) = find_json(
        &cache_home,
        &["--gallery", g, "--threshold", "nan", p(&couple)],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(lines.is_empty());
    assert!(
        stderr(&out).contains("NaN is not a threshold"),
        "{}",
        stderr(&out)
    );

    // A probe that cannot be read is one error line; the others are still searched.
    let missing = tmp.path().join("missing.jpg");
    let (out, lines) = find_json(&cache_home, &["--gallery", g, p(&missing), p(&couple)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["probe"], p(&missing));
    assert!(lines[0]["error"].as_str().is_some_and(|e| !e.is_empty()));
    assert!(lines[1]["matches"].is_array());
}

/// Every file under `dir` with its bytes, except export markers.
fn tree(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(tree(&path));
        } else if !path.ends_with(".facesorter-export") {
            out.insert(path.clone(), std::fs::read(&path).expect("read"));
        }
    }
    out
}

#[test]
fn a_probe_folder_exports_pairs_and_unmatched_faces_and_overwrites_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let gallery = tmp.path().join("gallery");
    copy_deepface(&gallery, &["couple.jpg", "img1.jpg", "img2.jpg"]);
    let probes = tmp.path().join("probes");
    std::fs::create_dir_all(&probes).expect("mkdir");
    std::fs::copy(gallery.join("couple.jpg"), probes.join("couple.jpg")).expect("copy");
    // A photo that is not in the gallery: nobody matches it at 0.99.
    std::fs::copy(
        shared("faces/deepface/img9.jpg"),
        probes.join("stranger.jpg"),
    )
    .expect("copy");
    let cache_home = tmp.path().join("cache");
    let export = tmp.path().join("export");
    let args = [
        "--gallery",
        p(&gallery),
        "--threshold",
        "0.99",
        "--export",
        p(&export),
        p(&probes),
    ];

    let (out, lines) = find_json(&cache_home, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        lines.len(),
        3,
        "two faces in couple.jpg, one in stranger.jpg"
    );
    let matched: Vec<usize> = lines
        .iter()
        .map(|l| l["matches"].as_array().expect("matches").len())
        .collect();
    assert_eq!(
        matched.iter().filter(|&&n| n == 1).count(),
        2,
        "{matched:?}"
    );
    assert_eq!(
        matched.iter().filter(|&&n| n == 0).count(),
        1,
        "{matched:?}"
    );

    let first = tree(&export);
    let names: Vec<String> = first
        .keys()
        .map(|k| {
            k.strip_prefix(&export)
                .expect("under export")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    for face in ["couple_face1", "couple_face2"] {
        for file in ["matches.csv", "matches.json"] {
            assert!(names.contains(&format!("{face}/{file}")), "{names:?}");
        }
        let pairs = names
            .iter()
            .filter(|n| n.starts_with(&format!("{face}/001_score-")) && n.ends_with(".jpg"))
            .count();
        assert_eq!(pairs, 1, "{names:?}");
    }
    assert!(
        names.contains(&"unmatched/stranger_face1.jpg".to_string()),
        "{names:?}"
    );
    let crop = image::open(export.join("unmatched/stranger_face1.jpg")).expect("crop decodes");
    assert!(crop.width() > 20 && crop.height() > 20);

    // The same export again: every earlier file byte-identical, and the new run in a new
    // subfolder named after the first probe photo, laid out as the first run was.
    let (out, lines) = find_json(&cache_home, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let second = tree(&export);
    for (path, bytes) in &first {
        assert_eq!(second.get(path), Some(bytes), "{} changed", path.display());
    }
    assert_eq!(second.len(), 2 * first.len());
    let folders: Vec<PathBuf> = std::fs::read_dir(&export)
        .expect("read export")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("couple-"))
        })
        .collect();
    assert_eq!(folders.len(), 1, "{folders:?}");
    let sub = &folders[0];
    let mut second_names: Vec<String> = tree(sub)
        .keys()
        .map(|k| {
            k.strip_prefix(sub)
                .expect("under sub")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    second_names.sort();
    let mut first_names = names.clone();
    first_names.sort();
    assert_eq!(
        second_names, first_names,
        "the same layout, no numbered names"
    );
    // The JSON says where each search's files went.
    for line in &lines {
        let e = &line["export"];
        assert_eq!(e["subfolder_of"], p(&export), "{line}");
        let folder = PathBuf::from(e["folder"].as_str().expect("folder"));
        assert!(folder.starts_with(sub), "{line}");
        for f in e["files"].as_array().expect("files") {
            let f = PathBuf::from(f.as_str().expect("file"));
            assert!(f.starts_with(&folder) && f.is_file(), "{line}");
        }
    }
    // The originals are untouched.
    assert_eq!(
        std::fs::read(probes.join("couple.jpg")).expect("read"),
        std::fs::read(shared("faces/deepface/couple.jpg")).expect("read")
    );
}

#[test]
fn a_killed_index_run_resumes_without_losing_or_duplicating_photos() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let gallery = tmp.path().join("gallery");
    let names = every_deepface_photo();
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    copy_deepface(&gallery, &name_refs);
    let cache_home = tmp.path().join("cache");

    let mut child = album_command(&cache_home, &["index", "--json", p(&gallery)])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn facesorter index");
    // Killed as soon as the first checkpoint is on disk, in the middle of the run.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
    let killed_mid_run = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            panic!("index ended before its first checkpoint was seen: {status}");
        }
        if !cache_files(&cache_home).is_empty() {
            child.kill().expect("SIGKILL");
            break true;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint written"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    assert!(killed_mid_run);
    child.wait().expect("reap");

    let (out, resumed) = index_json(&cache_home, &gallery);
    assert!(out.status.success(), "{}", stderr(&out));
    let total = names.len() as u64;
    assert_eq!(count(&resumed, "photos"), total);
    assert_eq!(count(&resumed, "failed"), 0);
    let (kept, added) = (count(&resumed, "unchanged"), count(&resumed, "added"));
    assert_eq!(kept + added, total, "{resumed}");
    assert!(kept > 0, "the checkpoint was kept: {resumed}");
    assert!(added > 0, "the kill came before the end: {resumed}");

    // Nothing duplicated: the same faces as a run that was never interrupted.
    let fresh_cache = tmp.path().join("fresh-cache");
    let (_, fresh) = index_json(&fresh_cache, &gallery);
    assert_eq!(count(&fresh, "faces"), count(&resumed, "faces"));
    let (_, lines) = find_json(
        &cache_home,
        &[
            "--gallery",
            p(&gallery),
            "--face",
            "all",
            "--threshold",
            "0.99",
            p(&gallery.join("couple.jpg")),
        ],
    );
    for line in &lines {
        assert_eq!(
            line["matches"].as_array().expect("matches").len(),
            1,
            "each face is in the gallery once: {line}"
        );
    }
}

// ---- find: one person from several photos, threshold parsing, exports, hostile names ----

/// `facesorter` with the real recognizer (FaceNet, CASIA-WebFace) for claims about people.
fn real_album(cache_home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_facesorter"))
        .env("FACESORTER_MODELS", shared("models"))
        .env_remove("FACESORTER_CACHE_DIR")
        .env("XDG_CACHE_HOME", cache_home)
        .arg("--model")
        .arg(shared("models/facenet_casia_112.onnx"))
        .args(["--color-order", "rgb", "--mean", "0", "--std", "1"])
        .args(args)
        .output()
        .expect("run facesorter")
}

/// Copies the five crops of each of `people` from `faces/bbt` into `dest/<name>/`.
fn copy_bbt(dest: &Path, people: &[&str]) {
    for person in people {
        let from = shared("faces/bbt").join(person);
        std::fs::create_dir_all(dest.join(person)).expect("mkdir");
        for entry in std::fs::read_dir(&from).expect("read bbt").flatten() {
            std::fs::copy(entry.path(), dest.join(person).join(entry.file_name())).expect("copy");
        }
    }
}

fn match_paths(line: &Value) -> Vec<String> {
    line["matches"]
        .as_array()
        .expect("matches")
        .iter()
        .map(|m| m["path"].as_str().expect("path").to_string())
        .collect()
}

fn scores(line: &Value) -> Vec<f64> {
    line["matches"]
        .as_array()
        .expect("matches")
        .iter()
        .map(|m| m["score"].as_f64().expect("score"))
        .collect()
}

#[test]
fn find_same_person_searches_once_with_every_probe_face() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let gallery = tmp.path().join("gallery");
    copy_bbt(&gallery, &["amy", "howard", "penny"]);
    let cache_home = tmp.path().join("cache");
    let (a, b) = (gallery.join("amy/amy1.png"), gallery.join("amy/amy2.png"));
    let common = [
        "find",
        "--json",
        "--gallery",
        p(&gallery),
        "--threshold",
        "0.45",
    ];

    let mut args = common.to_vec();
    args.extend(["--same-person", p(&a), p(&b)]);
    let out = real_album(&cache_home, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "one result for the one person");
    let line = &lines[0];
    let probes = line["probes"].as_array().expect("probes");
    assert_eq!(probes.len(), 2, "{line}");
    assert_eq!(probes[0]["path"], p(&a));
    assert_eq!(probes[1]["path"], p(&b));
    for probe in probes {
        assert_eq!(probe["box"].as_array().expect("box").len(), 4);
        assert!(probe["norm"].as_f64().expect("norm") > 0.0);
    }
    // `probe` and `face` stay those of the first photo.
    assert_eq!(line["probe"], p(&a));
    assert_eq!(line["face"]["box"], probes[0]["box"]);
    assert_eq!(line["face"]["norm"], probes[0]["norm"]);
    let found = match_paths(line);
    let s = scores(line);
    assert!(s.windows(2).all(|w| w[0] >= w[1]), "{s:?}");
    assert!(s.iter().all(|&x| x >= 0.45), "{s:?}");
    assert!(found.contains(&p(&a).to_string()), "{found:?}");
    assert!(found.contains(&p(&b).to_string()), "{found:?}");
    // With the real recognizer the combined query ranks all five photos of Amy above
    // everyone else (Penny, who looks alike to this model, may follow above 0.45).
    assert!(found.len() >= 5, "{found:?}");
    assert!(found[..5].iter().all(|f| f.contains("/amy/")), "{found:?}");
    assert!(found[5..].iter().all(|f| !f.contains("/amy/")), "{found:?}");

    // Default: one search per probe face, each listing only its own face in `probes`.
    let mut args = common.to_vec();
    args.extend([p(&a), p(&b)]);
    let out = real_album(&cache_home, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    for (line, probe) in lines.iter().zip([&a, &b]) {
        assert_eq!(line["probe"], p(probe));
        let probes = line["probes"].as_array().expect("probes");
        assert_eq!(probes.len(), 1, "{line}");
        assert_eq!(probes[0]["path"], p(probe));
        assert_eq!(probes[0]["box"], line["face"]["box"]);
        assert_eq!(probes[0]["norm"], line["face"]["norm"]);
        assert_eq!(
            match_paths(line)[0],
            p(probe),
            "each photo finds itself first"
        );
    }
}

/// The rows of an export folder's `matches.csv`, header excluded, as fields.
fn csv_rows(dir: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(dir.join("matches.csv"))
        .expect("matches.csv")
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// The files of `dir` (no folders, no export marker), by name.
fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .filter(|e| e.path().is_file() && !e.path().ends_with(".facesorter-export"))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn probes_with_the_same_file_name_export_into_their_own_folders() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let gallery = tmp.path().join("gallery");
    copy_deepface(&gallery, &["couple.jpg", "img1.jpg", "img2.jpg"]);
    // Two different photos, both named me.jpg, each with one face.
    let (p1, p2) = (tmp.path().join("p1/me.jpg"), tmp.path().join("p2/me.jpg"));
    for (probe, source) in [(&p1, "img1.jpg"), (&p2, "img2.jpg")] {
        std::fs::create_dir_all(probe.parent().expect("parent")).expect("mkdir");
        std::fs::copy(shared("faces/deepface").join(source), probe).expect("copy");
    }
    let cache_home = tmp.path().join("cache");
    let export = tmp.path().join("export");
    let (out, lines) = find_json(
        &cache_home,
        &[
            "--gallery",
            p(&gallery),
            "--threshold",
            "0.99",
            "--export",
            p(&export),
            p(&p1),
            p(&p2),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(lines.len(), 2);
    let first = export.join("me_face1");
    let second = export.join("me_face1 (2)");
    for (folder, probe, found) in [(&first, &p1, "img1.jpg"), (&second, &p2, "img2.jpg")] {
        let rows = csv_rows(folder);
        assert_eq!(rows.len(), 1, "{}: {rows:?}", folder.display());
        assert_eq!(
            rows[0][1],
            p(probe),
            "each folder holds its own probe's pairs"
        );
        assert!(rows[0][2].ends_with(found), "{rows:?}");
        let pairs = file_names(folder)
            .into_iter()
            .filter(|n| n.starts_with("001_score-") && n.ends_with(&format!("_{}", found)))
            .count();
        assert_eq!(pairs, 1, "{:?}", file_names(folder));
    }
}

#[test]
fn a_long_cjk_name_exports_its_pair_and_its_unmatched_crop() {
    // 83 CJK characters: 249 bytes, so "001_score-1.000_<name>.jpg" is over 255 bytes unless
    // it is cut by bytes.
    let long = "漢".repeat(83);
    let stranger = "字".repeat(83);
    let tmp = tempfile::tempdir().expect("tempdir");
    let gallery = tmp.path().join("gallery");
    copy_deepface(&gallery, &["couple.jpg", "img2.jpg"]);
    std::fs::copy(
        shared("faces/deepface/img1.jpg"),
        gallery.join(format!("{long}.jpg")),
    )
    .expect("copy");
    let probes = tmp.path().join("probes");
    std::fs::create_dir_all(&probes).expect("mkdir");
    std::fs::copy(
        shared("faces/deepface/img1.jpg"),
        probes.join(format!("{long}.jpg")),
    )
    .expect("copy");
    std::fs::copy(
        shared("faces/deepface/img9.jpg"),
        probes.join(format!("{stranger}.jpg")),
    )
    .expect("copy");
    let cache_home = tmp.path().join("cache");
    let export = tmp.path().join("export");
    let (out, lines) = find_json(
        &cache_home,
        &[
            "--gallery",
            p(&gallery),
            "--threshold",
            "0.99",
            "--export",
            p(&export),
            p(&probes),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(lines.len(), 2);
    let folders: Vec<PathBuf> = std::fs::read_dir(&export)
        .expect("export")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !p.ends_with("unmatched"))
        .collect();
    assert_eq!(folders.len(), 1, "{folders:?}");
    let folder_name = folders[0].file_name().expect("name").to_string_lossy();
    assert!(folder_name.starts_with("漢漢漢"), "{folder_name}");
    let pairs: Vec<String> = file_names(&folders[0])
        .into_iter()
        .filter(|n| n.starts_with("001_score-") && n.ends_with("漢.jpg"))
        .collect();
    assert_eq!(pairs.len(), 1, "{:?}", file_names(&folders[0]));
    assert!(image::open(folders[0].join(&pairs[0])).is_ok());
    let crops = file_names(&export.join("unmatched"));
    assert_eq!(crops.len(), 1, "{crops:?}");
    assert!(crops[0].starts_with("字字字") && crops[0].ends_with(".jpg"));
}

#[test]
fn control_characters_in_names_are_escaped_and_gallery_failures_are_warned_about() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let gallery = tmp.path().join("gallery");
    copy_deepface(&gallery, &["couple.jpg"]);
    // A name that would retitle the terminal and split a line, and a photo that is broken.
    let hostile = gallery.join("a\x1b]0;pwn\x07\nb.jpg");
    std::fs::copy(shared("faces/deepface/img1.jpg"), &hostile).expect("copy");
    std::fs::write(gallery.join("bad\x1b[2J.jpg"), b"\xff\xd8\xff not a jpeg").expect("write");
    let cache_home = tmp.path().join("cache");
    let raw = |bytes: &[u8]| bytes.iter().any(|&b| b == 0x1b || b == 0x07);
    let escaped_name = "a\\x1b]0;pwn\\x07\\nb.jpg";

    let out = album(
        &cache_home,
        &[
            "find",
            "--gallery",
            p(&gallery),
            "--threshold",
            "0.99",
            p(&hostile),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !raw(&out.stdout) && !raw(&out.stderr),
        "{stdout:?} {:?}",
        stderr(&out)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        2,
        "the probe's line and its one match: {stdout:?}"
    );
    assert!(lines.iter().all(|l| l.contains(escaped_name)), "{stdout:?}");
    // The broken gallery photo was not searched, and find says so.
    let err = stderr(&out);
    assert!(
        err.lines()
            .any(|l| l.contains("warning: not searched") && l.contains("bad\\x1b[2J.jpg")),
        "{err}"
    );

    // The other commands' human-readable output too.
    let out = album(&cache_home, &["index", p(&gallery)]);
    assert!(!raw(&out.stdout) && !raw(&out.stderr), "{:?}", stderr(&out));
    assert!(stderr(&out).contains("bad\\x1b[2J.jpg"), "{}", stderr(&out));
    for command in ["detect", "embed"] {
        let out = album(&cache_home, &[command, p(&hostile)]);
        assert!(out.status.success(), "{}", stderr(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!raw(&out.stdout), "{command}: {stdout:?}");
        assert!(stdout
            .lines()
            .next()
            .expect("a line")
            .contains(escaped_name));
    }
    let out = album(
        &cache_home,
        &["compare", p(&hostile), p(&gallery.join("couple.jpg"))],
    );
    assert!(
        !raw(&out.stdout),
        "{:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(escaped_name));
    // JSON was always safe: it holds the name exactly.
    let (_, lines) = find_json(
        &cache_home,
        &["--gallery", p(&gallery), "--threshold", "0.99", p(&hostile)],
    );
    assert_eq!(lines[0]["probe"], p(&hostile));
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_index_promptly_and_keeps_the_finished_photos() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let gallery = tmp.path().join("gallery");
    let names = every_deepface_photo();
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    copy_deepface(&gallery, &name_refs);
    let cache_home = tmp.path().join("cache");

    let mut child = album_command(&cache_home, &["index", "--json", p(&gallery)])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn facesorter index");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
    while cache_files(&cache_home).is_empty() {
        if let Some(status) = child.try_wait().expect("wait") {
            panic!("index ended before its first checkpoint was seen: {status}");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint written"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let interrupted = std::time::Instant::now();
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
    // Stopping takes at most the photos in flight; a loaded machine gets some slack.
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if interrupted.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            panic!("index did not stop within 20 s of Ctrl-C");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let out = child.wait_with_output().expect("output");
    assert_eq!(status.code(), Some(130), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "no summary for a stopped run");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains("interrupted") && err.contains("kept"), "{err}");

    // The rerun embeds only what the interrupted run had not finished.
    let (out, resumed) = index_json(&cache_home, &gallery);
    assert!(out.status.success(), "{}", stderr(&out));
    let (kept, added) = (count(&resumed, "unchanged"), count(&resumed, "added"));
    assert_eq!(kept + added, names.len() as u64, "{resumed}");
    assert!(kept > 0, "the finished photos were kept: {resumed}");
    assert!(added > 0, "Ctrl-C came before the end: {resumed}");
}

// ---- error output: each cause once ------------------------------------------------------

/// Fails when a clause of `stderr` (a line cut at ": ") of 12 characters or more appears
/// twice, or inside another clause (other than as the start of a longer path, as in a list
/// of folders searched): each cause is printed once.
fn assert_each_clause_once(stderr: &str) {
    let clauses: Vec<&str> = stderr
        .lines()
        .flat_map(|line| line.split(": "))
        .map(|c| c.trim().trim_matches(|ch| ch == '(' || ch == ')'))
        .filter(|c| c.chars().count() >= 12)
        .collect();
    for (i, a) in clauses.iter().enumerate() {
        for (j, b) in clauses.iter().enumerate() {
            let repeated = i != j
                && b.match_indices(a)
                    .any(|(at, _)| !b[at + a.len()..].starts_with('/'));
            assert!(!repeated, "{a:?} is printed twice:\n{stderr}");
        }
    }
}

/// The binary with the shared models, `args` as given, no recognizer override.
fn run_failing(envs: &[(&str, &Path)], args: &[&str]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_facesorter"));
    cmd.env("FACESORTER_MODELS", shared("models"));
    for (key, value) in envs {
        cmd.env(key, value);
    }
    let out = cmd.args(args).output().expect("run facesorter");
    assert_ne!(out.status.code(), Some(0), "expected a failure: {args:?}");
    let text = stderr(&out);
    assert_each_clause_once(&text);
    text
}

#[test]
fn a_missing_model_is_reported_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = run_failing(
        &[
            ("FACESORTER_MODELS", dir.path()),
            ("XDG_DATA_HOME", dir.path()),
        ],
        &[
            "--model",
            "adaface-ir18",
            "embed",
            p(&shared("faces/adaface_demo/img1.jpeg")),
        ],
    );
    assert!(
        text.contains("facesorter models fetch adaface-ir18"),
        "{text}"
    );
}

#[test]
fn a_model_file_of_garbage_is_reported_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let garbage = dir.path().join("garbage.onnx");
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&garbage, bytes).expect("write");
    let text = run_failing(
        &[],
        &[
            "--model",
            p(&garbage),
            "embed",
            p(&shared("faces/adaface_demo/img1.jpeg")),
        ],
    );
    // Named once: ONNX Runtime's own "Load model from PATH failed:" is not repeated.
    assert_eq!(text.matches(p(&garbage)).count(), 1, "{text}");
    assert!(text.contains("not a Recognizer model"), "{text}");
    assert!(text.contains("Protobuf parsing failed"), "{text}");
}

#[test]
fn photos_that_cannot_be_read_are_reported_once_each() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text_file = dir.path().join("notes-not-a-photo.jpg");
    std::fs::write(&text_file, "shopping list: milk, eggs\n").expect("write");
    let missing = dir.path().join("missing-photo.jpg");
    let folder = dir.path().join("folder-named-like-a-photo.jpg");
    std::fs::create_dir(&folder).expect("mkdir");
    let text = run_failing(&[], &["detect", p(&text_file), p(&missing), p(&folder)]);
    for (path, cause) in [
        (&text_file, "not an image (text file?)"),
        (&missing, "file not found"),
        (&folder, "is a folder, not a file"),
    ] {
        assert!(
            text.lines()
                .any(|l| l.contains(p(path)) && l.contains(cause)),
            "{cause}:\n{text}"
        );
    }
}

#[test]
fn a_missing_onnx_runtime_is_reported_once() {
    let text = run_failing(
        &[("ORT_DYLIB_PATH", Path::new("/no/such/libonnxruntime.so"))],
        &["detect", p(&shared("faces/adaface_demo/img1.jpeg"))],
    );
    assert!(text.contains("/no/such/libonnxruntime.so"), "{text}");
    assert!(text.contains("setup-onnxruntime.sh"), "{text}");
}

#[test]
fn a_gallery_that_does_not_exist_is_reported_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gallery = dir.path().join("no-such-gallery");
    let text = run_failing(
        &[("XDG_CACHE_HOME", dir.path())],
        &[
            "--model",
            p(&shared("models/adaface_ir18_synthetic.onnx")),
            "index",
            p(&gallery),
        ],
    );
    assert!(text.contains(p(&gallery)), "{text}");
    assert!(text.contains("No such file or directory"), "{text}");
    let probe = shared("faces/adaface_demo/img1.jpeg");
    let text = run_failing(
        &[("XDG_CACHE_HOME", dir.path())],
        &[
            "--model",
            p(&shared("models/adaface_ir18_synthetic.onnx")),
            "find",
            "--gallery",
            p(&gallery),
            p(&probe),
        ],
    );
    assert!(text.contains(p(&gallery)), "{text}");
}

#[test]
fn a_crash_in_the_recognizer_is_one_line_on_stderr() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let gallery = tmp.path().join("g");
    std::fs::create_dir_all(&gallery).expect("mkdir");
    std::fs::copy(shared("faces/bbt/amy/amy1.png"), gallery.join("amy1.png")).expect("copy");
    let out = Command::new(env!("CARGO_BIN_EXE_facesorter"))
        .env("FACESORTER_MODELS", shared("models"))
        .env("FACESORTER_CACHE_DIR", tmp.path().join("cache"))
        .env("FACESORTER_FAULT", "embed")
        .env_remove("RUST_BACKTRACE")
        .arg("--model")
        .arg(shared("models/adaface_ir18_synthetic.onnx"))
        .args(["index", p(&gallery)])
        .output()
        .expect("run facesorter");
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert!(lines[0].contains("embedding crashed"), "{text}");
}

#[test]
fn find_exclude_leaves_a_face_out_of_the_matches_and_the_export() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let gallery = tmp.path().join("gallery");
    copy_deepface(
        &gallery,
        &["couple.jpg", "img1.jpg", "img2.jpg", "img5.jpg"],
    );
    let cache_home = tmp.path().join("cache");
    let g = p(&gallery);
    let probe = shared("faces/deepface/img1.jpg");
    let base = ["--gallery", g, "--threshold", "-1", "--precision", "fp32"];

    let first = tmp.path().join("first");
    let mut args = base.to_vec();
    args.extend(["--export", p(&first), p(&probe)]);
    let (out, lines) = find_json(&cache_home, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let matches = lines[0]["matches"].as_array().expect("matches").clone();
    assert_eq!(matches.len(), 5, "every face of the four photos");
    // couple.jpg's two faces are numbered 0 and 1; single-face photos have face 0.
    let mut couple: Vec<u64> = matches
        .iter()
        .filter(|m| m["path"] == p(&gallery.join("couple.jpg")))
        .map(|m| m["index"].as_u64().expect("index"))
        .collect();
    couple.sort_unstable();
    assert_eq!(couple, [0, 1]);
    assert_eq!(csv_rows(&first).len(), 5);

    // Leave out the second-best match, named by the path find printed and its index.
    let gone = &matches[1];
    let exclude = format!(
        "{}#{}",
        gone["path"].as_str().expect("path"),
        gone["index"].as_u64().expect("index")
    );
    let second = tmp.path().join("second");
    let mut args = base.to_vec();
    args.extend(["--exclude", &exclude, "--export", p(&second), p(&probe)]);
    let (out, lines) = find_json(&cache_home, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let left = lines[0]["matches"].as_array().expect("matches");
    assert_eq!(left.len(), 4);
    assert!(
        !left
            .iter()
            .any(|m| m["path"] == gone["path"] && m["index"] == gone["index"]),
        "{exclude} is gone: {left:?}"
    );
    assert_eq!(csv_rows(&second).len(), 4, "the export count drops by one");

    // A path relative to the gallery names the same face.
    let rel = gallery_relative(gone, &gallery);
    let mut args = base.to_vec();
    args.extend(["--exclude", &rel, p(&probe)]);
    let (out, lines) = find_json(&cache_home, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(lines[0]["matches"].as_array().expect("matches").len(), 4);

    // Malformed or unknown: a usage error (exit 2), nothing printed on stdout.
    for (bad, says) in [
        ("img2.jpg", "PATH#INDEX"),
        ("img2.jpg#x", "not a face index"),
        ("#0", "names no photo"),
        ("nope.jpg#0", "not a photo of the gallery"),
        ("img2.jpg#7", "no face #7"),
    ] {
        let mut args = base.to_vec();
        args.extend(["--exclude", bad, p(&probe)]);
        let (out, lines) = find_json(&cache_home, &args);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
        assert!(lines.is_empty(), "{bad}");
        assert!(stderr(&out).contains(says), "{bad}: {}", stderr(&out));
    }
}

/// `path#index` of a JSON match, the path relative to the gallery.
fn gallery_relative(m: &Value, gallery: &Path) -> String {
    let path = Path::new(m["path"].as_str().expect("path"));
    let rel = path.strip_prefix(gallery).expect("under the gallery");
    format!("{}#{}", p(rel), m["index"].as_u64().expect("index"))
}

#[test]
fn an_export_into_a_folder_holding_files_goes_into_a_new_subfolder_and_says_so() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let gallery = tmp.path().join("gallery");
    copy_deepface(&gallery, &["img1.jpg", "img2.jpg"]);
    let cache_home = tmp.path().join("cache");
    let export = tmp.path().join("export");
    std::fs::create_dir_all(&export).expect("mkdir");
    std::fs::write(export.join("matches.csv"), b"someone else's table").expect("write");
    let probe = gallery.join("img1.jpg");
    let args = [
        "find",
        "--gallery",
        p(&gallery),
        "--threshold",
        "0.99",
        "--export",
        p(&export),
        "--pair-size",
        "large",
        p(&probe),
    ];
    let out = album(&cache_home, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(export.join("matches.csv")).expect("read"),
        b"someone else's table"
    );
    let subs: Vec<PathBuf> = std::fs::read_dir(&export)
        .expect("read export")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(subs.len(), 1, "{subs:?}");
    let sub = &subs[0];
    let name = sub
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let stamp = name.strip_prefix("img1-").expect("named after the probe");
    assert!(
        stamp.len() == 15 && stamp.chars().filter(char::is_ascii_digit).count() == 14,
        "{name}"
    );
    let files = file_names(sub);
    assert_eq!(
        files,
        ["001_score-1.000_img1.jpg", "matches.csv", "matches.json"],
        "{files:?}"
    );
    let pair = image::open(sub.join(&files[0])).expect("pair decodes");
    assert_eq!(
        pair.height(),
        2 * 464,
        "--pair-size large doubles the 464-px pair"
    );
    // The text output names the folder and the files actually written.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let expected = format!(
        "exported 1 pair image, matches.csv, matches.json in {} (a new folder: {} was not empty)",
        sub.display(),
        export.display()
    );
    assert!(
        stdout.lines().any(|l| l == expected),
        "{expected:?} not in:\n{stdout}"
    );

    // --pair-size without --export is refused.
    let out = album(
        &cache_home,
        &[
            "find",
            "--gallery",
            p(&gallery),
            "--pair-size",
            "large",
            p(&probe),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// The binary without engine flags and without a display, as the desktop's "Open with"
/// would start it on a machine with no screen.
fn without_display(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_facesorter"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .args(args)
        .output()
        .expect("run facesorter")
}

#[test]
fn folders_and_photos_as_plain_arguments_open_the_window() {
    let gallery = shared("faces/deepface");
    let photo = shared("faces/adaface_demo/img1.jpeg");
    // Accepted: the run gets as far as the window, which then finds no display.
    for args in [
        vec![gallery.as_path()],
        vec![photo.as_path()],
        vec![&gallery, &photo],
    ] {
        let out = without_display(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        if cfg!(feature = "window") {
            assert!(err.contains("no display"), "{args:?}: {err}");
        } else {
            assert!(err.contains("this build has no window"), "{args:?}: {err}");
        }
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    }
    if cfg!(feature = "window") {
        // Refused before any window: a path that is neither (a mistyped subcommand), and
        // two galleries.
        let out = without_display(&[Path::new("embd"), &photo]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("embd: no such folder or photo"), "{err}");
        assert!(err.contains("embed"), "the subcommands are named: {err}");
        let out = without_display(&[&gallery, &shared("faces")]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("two gallery folders"), "{err}");
    }
    // Subcommands still win over paths.
    let out = facesorter(&["models", "list", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
