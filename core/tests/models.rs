//! The model manifest, file verification and where models are looked for.

mod common;

use std::path::{Path, PathBuf};

use facesorter_core::models::{
    adaface_convention, check_size, sha256_file, verify_entry, verify_file, ColorOrder, Manifest,
    ModelError, ModelKind, ModelLocator, ModelSpec, RecognizerOverrides, RecognizerProfile,
    SearchRoots, SettingSource, Sidecar, FALLBACK_THRESHOLD,
};

fn builtin() -> Manifest {
    Manifest::builtin().expect("built-in manifest parses")
}

#[test]
fn builtin_manifest_has_the_three_models() {
    let m = builtin();
    assert_eq!(m.ids(), ["yunet-2023mar", "adaface-ir18", "adaface-ir101"]);
    assert_eq!(m.default_detector, "yunet-2023mar");
    assert_eq!(m.default_recognizer, "adaface-ir101");

    let yunet = m.get("yunet-2023mar").expect("yunet");
    assert_eq!(yunet.kind, ModelKind::Detector);
    assert_eq!(yunet.file, "face_detection_yunet_2023mar.onnx");
    assert_eq!(yunet.input.size, [640, 640]);
    assert_eq!(yunet.input.color_order, ColorOrder::Bgr);
    assert_eq!(yunet.input.mean, [0.0; 3]);
    assert_eq!(yunet.input.std, [1.0; 3]);
    assert_eq!(yunet.default_threshold, None);

    for id in ["adaface-ir18", "adaface-ir101"] {
        let r = m.get(id).expect(id);
        assert_eq!(r.kind, ModelKind::Recognizer);
        assert_eq!(r.input.size, [112, 112]);
        assert_eq!(r.input.color_order, ColorOrder::Bgr);
        assert_eq!(r.input.mean, [127.5; 3]);
        assert_eq!(r.input.std, [127.5; 3]);
        assert_eq!(r.default_threshold, Some(0.3));
        assert!(r.url.starts_with("https://"));
    }
    assert_eq!(
        m.default_for(ModelKind::Recognizer).expect("default").id,
        "adaface-ir101"
    );
    assert!(m.get("nope").is_none());
    assert!(matches!(
        m.require("nope"),
        Err(ModelError::UnknownModel { .. })
    ));
}

#[test]
fn invalid_manifests_are_rejected() {
    let text = include_str!("../../models/manifest.toml");
    let bad_sha = text.replacen(
        "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4",
        "8f2383",
        1,
    );
    assert!(matches!(
        Manifest::parse(&bad_sha),
        Err(ModelError::Manifest(_))
    ));
    let bad_default = text.replacen(
        "default_recognizer = \"adaface-ir101\"",
        "default_recognizer = \"yunet-2023mar\"",
        1,
    );
    assert!(Manifest::parse(&bad_default).is_err());
    assert!(Manifest::parse("not toml at all [").is_err());
}

/// Proves the manifest's YuNet entry (sha256 and size) describes the real file.
#[test]
fn shared_yunet_matches_the_manifest_entry() {
    let path = common::shared("models/face_detection_yunet_2023mar.onnx");
    let m = builtin();
    let entry = m.get("yunet-2023mar").expect("yunet");
    verify_entry(&path, entry).expect("yunet matches manifest");
    verify_file(&path, &entry.sha256.to_uppercase()).expect("hex case does not matter");
}

#[test]
fn sha256_of_known_content() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("abc");
    std::fs::write(&path, b"abc").expect("write");
    assert_eq!(
        sha256_file(&path).expect("sha"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    // Larger than one 1 MiB read, to cover the chunk loop.
    let big = dir.path().join("big");
    std::fs::write(&big, vec![0u8; (1 << 20) + 17]).expect("write");
    assert_eq!(sha256_file(&big).expect("sha").len(), 64);
}

#[test]
fn verify_mismatch_names_file_expected_and_actual() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("model.onnx");
    std::fs::write(&path, b"abc").expect("write");
    let expected = "0".repeat(64);

    let err = verify_file(&path, &expected).expect_err("mismatch");

    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains(&expected), "{msg}");
    assert!(
        msg.contains("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        "{msg}"
    );
    assert!(matches!(
        verify_file(&path, "xyz"),
        Err(ModelError::InvalidSha256 { .. })
    ));
    assert!(matches!(
        verify_file(&dir.path().join("missing"), &expected),
        Err(ModelError::Io { .. })
    ));
}

#[test]
fn size_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("m");
    std::fs::write(&path, b"12345").expect("write");
    check_size(&path, Some(5)).expect("same size");
    check_size(&path, None).expect("unknown size passes");
    let err = check_size(&path, Some(6)).expect_err("different size");
    assert!(matches!(
        err,
        ModelError::SizeMismatch {
            expected: 6,
            actual: 5,
            ..
        }
    ));
}

#[test]
fn spec_parsing() {
    assert_eq!(
        ModelSpec::parse("adaface-ir101"),
        ModelSpec::Id("adaface-ir101".into())
    );
    assert_eq!(
        ModelSpec::parse("models/x"),
        ModelSpec::Path("models/x".into())
    );
    assert_eq!(ModelSpec::parse("x.onnx"), ModelSpec::Path("x.onnx".into()));
    assert_eq!(ModelSpec::parse("X.ONNX"), ModelSpec::Path("X.ONNX".into()));
    let dir = tempfile::tempdir().expect("tempdir");
    let existing = dir.path().display().to_string();
    assert_eq!(
        ModelSpec::parse(&existing),
        ModelSpec::Path(existing.clone().into())
    );
}

/// Four temp dirs playing `$FACESORTER_MODELS`, the data dir, and a repository whose
/// `target/debug` holds the executable.
struct Layout {
    _root: tempfile::TempDir,
    env: PathBuf,
    data: PathBuf,
    repo_models: PathBuf,
    roots: SearchRoots,
}

fn layout() -> Layout {
    let root = tempfile::tempdir().expect("tempdir");
    let env = root.path().join("env-models");
    let data = root.path().join("data");
    let repo = root.path().join("repo");
    let exe_dir = repo.join("target").join("debug");
    let repo_models = repo.join("models");
    for d in [&env, &data.join("models"), &exe_dir, &repo_models] {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    std::fs::write(repo_models.join("manifest.toml"), "").expect("write");
    let roots = SearchRoots {
        env_dir: Some(env.clone()),
        data_dir: Some(data.clone()),
        exe_dir: Some(exe_dir),
    };
    Layout {
        env,
        data: data.join("models"),
        repo_models,
        _root: root,
        roots,
    }
}

const IR18: &str = "adaface_ir_18.onnx";

fn put(dir: &Path) -> PathBuf {
    let p = dir.join(IR18);
    std::fs::write(&p, dir.display().to_string()).expect("write model");
    p
}

#[test]
fn search_dirs_follow_the_documented_order() {
    let l = layout();
    let exe_dir = l.roots.exe_dir.as_ref().expect("exe dir");
    let exe_models = exe_dir.join("models");
    // An installed binary's shared folder: /usr/bin → /usr/share/facesorter/models.
    let shared_models = exe_dir
        .parent()
        .expect("prefix")
        .join("share/facesorter/models");
    assert_eq!(
        l.roots.search_dirs(),
        vec![
            l.env.clone(),
            l.data.clone(),
            exe_models,
            shared_models,
            l.repo_models.clone()
        ]
    );
    let without_env = SearchRoots {
        env_dir: None,
        ..l.roots.clone()
    };
    assert_eq!(without_env.search_dirs()[0], l.data);
}

#[test]
fn locate_prefers_explicit_path_then_env_then_data_then_repo() {
    let l = layout();
    let locator = ModelLocator::from_roots(builtin(), &l.roots);
    let id = ModelSpec::Id("adaface-ir18".into());

    let in_repo = put(&l.repo_models);
    assert_eq!(locator.locate(&id).expect("repo").path, in_repo);
    let in_data = put(&l.data);
    assert_eq!(locator.locate(&id).expect("data").path, in_data);
    let in_env = put(&l.env);
    let found = locator.locate(&id).expect("env");
    assert_eq!(found.path, in_env);
    assert_eq!(found.entry.expect("entry").id, "adaface-ir18");

    // An explicit path wins over every directory, and is matched to its entry by name.
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let explicit = put(elsewhere.path());
    let found = locator
        .locate(&ModelSpec::Path(explicit.clone()))
        .expect("explicit");
    assert_eq!(found.path, explicit);
    assert_eq!(found.entry.expect("entry").id, "adaface-ir18");

    // A custom file is fine without an entry.
    let custom = elsewhere.path().join("custom.onnx");
    std::fs::write(&custom, b"x").expect("write");
    let found = locator
        .locate(&ModelSpec::Path(custom.clone()))
        .expect("custom");
    assert_eq!((found.path, found.entry), (custom, None));

    assert_eq!(locator.fetch_dir(), Some(l.env.as_path()));
}

#[test]
fn injected_dirs_are_searched_in_the_given_order() {
    let a = tempfile::tempdir().expect("tempdir");
    let b = tempfile::tempdir().expect("tempdir");
    let locator = ModelLocator::new(
        builtin(),
        vec![a.path().to_path_buf(), b.path().to_path_buf()],
    );
    let in_b = put(b.path());
    let spec = ModelSpec::parse("adaface-ir18");
    assert_eq!(locator.locate(&spec).expect("b").path, in_b);
    // A bare file name is looked for in the same directories.
    assert_eq!(
        locator
            .locate(&ModelSpec::parse(IR18))
            .expect("by name")
            .path,
        in_b
    );
}

#[test]
fn not_found_lists_dirs_url_and_fetch_command() {
    let l = layout();
    let locator = ModelLocator::from_roots(builtin(), &l.roots);

    let err = locator
        .locate(&ModelSpec::parse("adaface-ir101"))
        .expect_err("not found");

    let msg = err.to_string();
    for dir in [&l.env, &l.data, &l.repo_models] {
        assert!(msg.contains(&dir.display().to_string()), "{msg}");
    }
    assert!(msg.contains("adaface_ir_101.onnx"), "{msg}");
    assert!(
        msg.contains(
            "https://github.com/yakhyo/adaface-onnx/releases/download/weights/adaface_ir_101.onnx"
        ),
        "{msg}"
    );
    assert!(
        msg.contains("facesorter models fetch adaface-ir101"),
        "{msg}"
    );
    let ModelError::NotFound { searched, .. } = err else {
        panic!("expected NotFound");
    };
    assert_eq!(searched, locator.search_dirs());
}

#[test]
fn missing_explicit_path_and_unknown_id_are_clear() {
    let locator = ModelLocator::new(builtin(), vec![]);
    let err = locator
        .locate(&ModelSpec::parse("/no/such/model.onnx"))
        .expect_err("missing");
    let msg = err.to_string();
    assert!(msg.contains("/no/such/model.onnx"), "{msg}");
    assert!(msg.contains("adaface-ir101"), "lists known ids: {msg}");

    let err = locator
        .locate(&ModelSpec::parse("adaface-ir50"))
        .expect_err("unknown");
    assert!(matches!(err, ModelError::UnknownModel { .. }));
    assert!(err.to_string().contains("yunet-2023mar"));
}

// ---- sidecar files and the override rule ---------------------------------------------

const FACENET_SIDECAR: &str = r#"
kind = "recognizer"
name = "FaceNet (CASIA-WebFace)"
license = "MIT"
input_size = [112, 112]
color_order = "rgb"
mean = 0
std = [1, 1.0, 1]
threshold = 0.45
embedding_size = 512
"#;

fn sidecar_error(text: &str) -> (Option<String>, String) {
    match Sidecar::parse(text, Path::new("/models/x.toml")) {
        Err(e @ ModelError::Sidecar { .. }) => {
            let message = e.to_string();
            let ModelError::Sidecar { path, field, .. } = e else {
                unreachable!()
            };
            assert_eq!(path, Path::new("/models/x.toml"));
            assert!(message.contains("/models/x.toml"), "{message}");
            (field, message)
        }
        other => panic!("expected a sidecar error for {text:?}, got {other:?}"),
    }
}

#[test]
fn sidecar_fields_parse() {
    let s = Sidecar::parse(FACENET_SIDECAR, Path::new("/m/facenet.toml")).expect("parses");
    assert_eq!(s.kind, Some(ModelKind::Recognizer));
    assert_eq!(s.name.as_deref(), Some("FaceNet (CASIA-WebFace)"));
    assert_eq!(s.license.as_deref(), Some("MIT"));
    assert_eq!(s.input_size, Some([112, 112]));
    assert_eq!(s.color_order, Some(ColorOrder::Rgb));
    assert_eq!(s.mean, Some([0.0; 3]));
    assert_eq!(s.std, Some([1.0; 3]));
    assert_eq!(s.threshold, Some(0.45));
    assert_eq!(s.embedding_size, Some(512));
    assert_eq!(s.model_path(), Path::new("/m/facenet.onnx"));

    let empty = Sidecar::parse("", Path::new("/m/e.toml")).expect("an empty sidecar is fine");
    assert_eq!(empty.color_order, None);
    let per_channel = Sidecar::parse(
        "mean = [1, 2, 3.5]\ninput_size = 112\ncolor_order = \"BGR\"",
        Path::new("/m/p.toml"),
    )
    .expect("parses");
    assert_eq!(per_channel.mean, Some([1.0, 2.0, 3.5]));
    assert_eq!(per_channel.input_size, Some([112, 112]));
    assert_eq!(per_channel.color_order, Some(ColorOrder::Bgr));
}

#[test]
fn malformed_sidecars_name_the_file_and_field() {
    for (text, field) in [
        ("colour_order = \"rgb\"", "colour_order"),
        ("color_order = \"rbg\"", "color_order"),
        ("mean = \"zero\"", "mean"),
        ("mean = [1, 2]", "mean"),
        ("std = 0", "std"),
        ("std = [1, 0, 1]", "std"),
        ("threshold = 1.5", "threshold"),
        ("embedding_size = -3", "embedding_size"),
        ("input_size = [112]", "input_size"),
        ("kind = \"classifier\"", "kind"),
        ("name = 3", "name"),
        ("kind = \"detector\"\nmean = 0", "mean"),
    ] {
        let (got, message) = sidecar_error(text);
        assert_eq!(got.as_deref(), Some(field), "{text}: {message}");
        assert!(message.contains(&format!("`{field}`")), "{message}");
    }
    // Not TOML at all: the file is named, no field.
    let (field, message) = sidecar_error("color_order = rgb");
    assert_eq!(field, None, "{message}");
}

fn facenet_sidecar() -> Sidecar {
    Sidecar::parse(FACENET_SIDECAR, Path::new("/m/facenet.toml")).expect("parses")
}

#[test]
fn user_settings_override_the_sidecar_which_overrides_the_defaults() {
    // Nothing given: AdaFace's convention and the fallback threshold.
    let plain =
        RecognizerProfile::resolve(None, None, &RecognizerOverrides::default()).expect("defaults");
    assert_eq!(plain.convention, adaface_convention());
    assert_eq!(plain.threshold, FALLBACK_THRESHOLD);
    assert_eq!(plain.sources.color_order, SettingSource::Default);

    // The sidecar alone.
    let side = facenet_sidecar();
    let p = RecognizerProfile::resolve(None, Some(&side), &RecognizerOverrides::default())
        .expect("sidecar");
    assert_eq!(p.convention.color_order, ColorOrder::Rgb);
    assert_eq!(p.convention.mean, [0.0; 3]);
    assert_eq!(p.convention.std, [1.0; 3]);
    assert_eq!(p.threshold, 0.45);
    assert_eq!(p.embedding_size, Some(512));
    assert_eq!(p.name.as_deref(), Some("FaceNet (CASIA-WebFace)"));
    assert_eq!(p.sources.mean, SettingSource::Sidecar);

    // The user's fields win one by one; the others stay the sidecar's.
    let user = RecognizerOverrides {
        color_order: Some(ColorOrder::Bgr),
        threshold: Some(0.5),
        ..RecognizerOverrides::default()
    };
    let p = RecognizerProfile::resolve(None, Some(&side), &user).expect("overridden");
    assert_eq!(p.convention.color_order, ColorOrder::Bgr);
    assert_eq!(p.sources.color_order, SettingSource::User);
    assert_eq!(p.convention.mean, [0.0; 3]);
    assert_eq!(p.convention.std, [1.0; 3]);
    assert_eq!(p.sources.std, SettingSource::Sidecar);
    assert_eq!(p.threshold, 0.5);

    // A partial sidecar over a known model keeps the manifest's other fields.
    let m = builtin();
    let ir18 = m.get("adaface-ir18").expect("ir18");
    let partial =
        Sidecar::parse("threshold = 0.35", Path::new("/m/adaface_ir_18.toml")).expect("parses");
    let p = RecognizerProfile::resolve(Some(ir18), Some(&partial), &RecognizerOverrides::default())
        .expect("manifest + sidecar");
    assert_eq!(p.convention, ir18.input);
    assert_eq!(p.sources.color_order, SettingSource::Manifest);
    assert_eq!(p.threshold, 0.35);
}

#[test]
fn unusable_settings_are_errors_naming_where_they_came_from() {
    let big = Sidecar::parse("input_size = 160", Path::new("/m/big.toml")).expect("parses");
    let err = RecognizerProfile::resolve(None, Some(&big), &RecognizerOverrides::default())
        .expect_err("160×160 cannot be fed");
    assert!(
        matches!(&err, ModelError::Sidecar { field: Some(f), .. } if f == "input_size"),
        "{err}"
    );
    assert!(err.to_string().contains("/m/big.toml"), "{err}");

    let zero = RecognizerOverrides {
        std: Some([1.0, 0.0, 1.0]),
        ..RecognizerOverrides::default()
    };
    let err = RecognizerProfile::resolve(None, None, &zero).expect_err("zero std");
    assert!(
        matches!(&err, ModelError::Setting { field, .. } if field == "std"),
        "{err}"
    );

    let detector = Sidecar::parse("kind = \"detector\"", Path::new("/m/d.toml")).expect("parses");
    let err = RecognizerProfile::resolve(None, Some(&detector), &RecognizerOverrides::default())
        .expect_err("a detector's sidecar on the recognizer");
    assert!(
        matches!(&err, ModelError::Sidecar { field: Some(f), .. } if f == "kind"),
        "{err}"
    );
}

#[test]
fn locate_reads_the_sidecar_and_lists_sidecar_models() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("mine.onnx");
    std::fs::write(&model, b"not really a model").expect("write");
    std::fs::write(dir.path().join("mine.toml"), FACENET_SIDECAR).expect("write");
    // A model without a sidecar is not listed; one with a broken sidecar is, with its error.
    std::fs::write(dir.path().join("bare.onnx"), b"x").expect("write");
    std::fs::write(dir.path().join("broken.onnx"), b"x").expect("write");
    std::fs::write(dir.path().join("broken.toml"), "mean = \"x\"").expect("write");
    let locator = ModelLocator::new(builtin(), vec![dir.path().to_path_buf()]);

    let found = locator
        .locate(&ModelSpec::Path(model.clone()))
        .expect("located");
    let side = found.sidecar.expect("sidecar read");
    assert_eq!(side.threshold, Some(0.45));
    assert_eq!(side.path, dir.path().join("mine.toml"));
    assert!(locator
        .locate(&ModelSpec::Path(dir.path().join("bare.onnx")))
        .expect("located")
        .sidecar
        .is_none());
    let err = locator
        .locate(&ModelSpec::Path(dir.path().join("broken.onnx")))
        .expect_err("a broken sidecar stops the model");
    assert!(err.to_string().contains("broken.toml"), "{err}");

    let listed = locator.sidecar_models();
    let names: Vec<_> = listed
        .iter()
        .map(|m| {
            m.path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names, ["broken.onnx", "mine.onnx"]);
    assert!(listed[0].sidecar.is_err());
    assert_eq!(
        listed[1].sidecar.as_ref().expect("parsed").name.as_deref(),
        Some("FaceNet (CASIA-WebFace)")
    );
}
