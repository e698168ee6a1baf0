//! Settings → Custom ONNX, driven as a user would (egui_kittest) with the real FaceNet
//! from ../shared: the colour order, mean and std fields change what the recognizer
//! gives, the *Test* button shows it, and a sidecar file fills the fields.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use facesorter_app::FaceSorterApp;
use facesorter_core::engine::{largest_face, FaceEngine};
use facesorter_core::models::{ColorOrder, ModelLocator, ModelSpec, RecognizerOverrides};

use common::{engine_options, harness, launch, shared, wait_for};

const TIMEOUT: Duration = Duration::from_secs(300);

fn probe() -> PathBuf {
    shared("faces/adaface_demo/img1.jpeg")
}

/// The window with one probe photo, on the Settings screen, the draft's recognizer set to
/// `model` as the Browse dialog would.
fn settings_with_model(model: &Path) -> Harness<'static, FaceSorterApp> {
    let mut h = harness(launch(None, &[probe()]));
    wait_for(&mut h, "the engine and the probe", TIMEOUT, |app| {
        app.state.engine.ready().is_some() && app.state.probes.list.len() == 1
    });
    h.get_by_label("Settings").click();
    h.run_steps(2);
    h.state_mut().state.dialogs.settings_draft.recognizer =
        Some(ModelSpec::Path(model.to_path_buf()));
    h.run_steps(2);
    h
}

/// Replaces the text of the field labelled `label`.
fn retype(h: &mut Harness<'static, FaceSorterApp>, label: &str, text: &str) {
    h.get_by_role_and_label(Role::TextInput, label).focus();
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.run_steps(1);
    h.get_by_role_and_label(Role::TextInput, label)
        .type_text(text);
    h.run_steps(2);
}

fn choose_colour_order(h: &mut Harness<'static, FaceSorterApp>, order: &str) {
    h.get_by_role_and_label(Role::ComboBox, "Colour order")
        .click();
    h.run_steps(2);
    h.get_by_label(order).click();
    h.run_steps(2);
}

/// Clicks *Test* and waits for its answer: (embedding size, norm, sample).
fn test(h: &mut Harness<'static, FaceSorterApp>) -> (usize, f32, String) {
    let before = h.state().state.engine.test.last.clone();
    h.get_by_role_and_label(Role::Button, "Test").click();
    h.run_steps(1);
    wait_for(h, "the model test", TIMEOUT, |app| {
        let t = &app.state.engine.test;
        !t.running() && t.last.is_some() && t.last != before
    });
    h.run_steps(1);
    match &h.state().state.engine.test.last {
        Some((_, Ok(r))) => {
            let shown = format!("norm {:.4}", r.norm);
            assert!(
                h.query_by_label_contains(&shown).is_some(),
                "the window shows {shown}"
            );
            (r.embedding_size, r.norm, r.sample.clone())
        }
        other => panic!("the test failed: {other:?}"),
    }
}

/// The norm of the probe's largest face, computed by the core directly.
fn core_norm(overrides: RecognizerOverrides) -> f32 {
    let locator = ModelLocator::new(
        facesorter_core::models::Manifest::builtin().expect("manifest"),
        vec![shared("models")],
    );
    let engine = FaceEngine::open(
        facesorter_core::engine::EngineOptions {
            recognizer: Some(ModelSpec::Path(shared("models/facenet_casia_112.onnx"))),
            recognizer_overrides: overrides,
            ..engine_options()
        },
        &locator,
    )
    .expect("engine");
    let image = engine.load_photo(&probe()).expect("load").image;
    let faces = engine.analyze(&image).expect("analyze");
    faces[largest_face(&faces).expect("a face")].embedding.norm
}

#[test]
fn custom_model_fields_change_the_embeddings() {
    let mut h = settings_with_model(&shared("models/facenet_casia_112.onnx"));
    // No sidecar: AdaFace's defaults are shown.
    assert!(h.query_by_label_contains("No sidecar file").is_some());

    choose_colour_order(&mut h, "RGB");
    retype(&mut h, "Mean", "0");
    retype(&mut h, "Std", "1");
    let draft = h.state().state.dialogs.settings_draft.recognizer_overrides;
    assert_eq!(draft.color_order, Some(ColorOrder::Rgb));
    assert_eq!(draft.mean, Some([0.0; 3]));
    assert_eq!(draft.std, Some([1.0; 3]));
    let (dim, rgb_norm, sample) = test(&mut h);
    assert_eq!(dim, 512);
    assert!(sample.contains("img1.jpeg"), "{sample}");

    choose_colour_order(&mut h, "BGR");
    retype(&mut h, "Mean", "127.5");
    retype(&mut h, "Std", "127.5");
    let (_, bgr_norm, _) = test(&mut h);

    let facenet = RecognizerOverrides {
        color_order: Some(ColorOrder::Rgb),
        mean: Some([0.0; 3]),
        std: Some([1.0; 3]),
        ..RecognizerOverrides::default()
    };
    let expected_rgb = core_norm(facenet);
    assert!(
        (rgb_norm - expected_rgb).abs() <= 1e-3 * expected_rgb,
        "Test's norm {rgb_norm} vs the core's {expected_rgb}"
    );
    assert!(
        (rgb_norm - bgr_norm).abs() > 1e-3 * rgb_norm,
        "the fields must change the embedding: {rgb_norm} vs {bgr_norm}"
    );
}

#[test]
fn a_sidecar_fills_the_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("facenet.onnx");
    std::os::unix::fs::symlink(shared("models/facenet_casia_112.onnx"), &model).expect("link");
    std::fs::write(
        dir.path().join("facenet.toml"),
        "name = \"FaceNet CASIA\"\nlicense = \"MIT\"\ncolor_order = \"rgb\"\nmean = 0\nstd = 1\nthreshold = 0.45\n",
    )
    .expect("sidecar");
    let mut h = settings_with_model(&model);
    assert!(h
        .query_by_label_contains("Sidecar facenet.toml: FaceNet CASIA")
        .is_some());
    // Colour order, mean, std and threshold each say where they come from.
    assert_eq!(
        h.query_all_by_label_contains("from facenet.toml").count(),
        4
    );
    // Each on its field's row: the mean's and std's sat a line below their fields.
    let sources: Vec<egui::Rect> = h
        .query_all_by_label_contains("from facenet.toml")
        .map(|n| n.rect())
        .collect();
    for field in ["Mean", "Std"] {
        let row = h.get_by_role_and_label(Role::TextInput, field).rect();
        assert!(
            sources
                .iter()
                .any(|s| s.center().y > row.top() && s.center().y < row.bottom()),
            "{field}'s source beside {row:?}: {sources:?}"
        );
    }
    // Nothing typed: the draft overrides nothing, the sidecar gives the values.
    assert!(h
        .state()
        .state
        .dialogs
        .settings_draft
        .recognizer_overrides
        .is_empty());
    let (dim, norm, _) = test(&mut h);
    assert_eq!(dim, 512);
    let expected = core_norm(RecognizerOverrides {
        color_order: Some(ColorOrder::Rgb),
        mean: Some([0.0; 3]),
        std: Some([1.0; 3]),
        ..RecognizerOverrides::default()
    });
    assert!(
        (norm - expected).abs() <= 1e-3 * expected,
        "{norm} vs {expected}"
    );
    match &h.state().state.engine.test.last {
        Some((_, Ok(r))) => assert_eq!(r.threshold, 0.45),
        other => panic!("{other:?}"),
    }
}

#[test]
fn custom_model_settings_survive_a_restart() {
    let mut s = facesorter_app::Settings::default();
    s.engine.recognizer = Some(ModelSpec::Path(shared("models/facenet_casia_112.onnx")));
    s.engine.recognizer_overrides = RecognizerOverrides {
        color_order: Some(ColorOrder::Rgb),
        mean: Some([0.0; 3]),
        std: Some([1.0, 2.0, 3.0]),
        threshold: Some(0.45),
        ..RecognizerOverrides::default()
    };
    s.low_quality_norm = 7.5;
    let back = facesorter_app::Settings::from_json(&s.to_json());
    assert_eq!(
        back.engine.recognizer_overrides,
        s.engine.recognizer_overrides
    );
    assert_eq!(back, s);
    // Nothing set stays nothing set (the sidecar keeps deciding).
    let plain = facesorter_app::Settings::default();
    let back = facesorter_app::Settings::from_json(&plain.to_json());
    assert!(back.engine.recognizer_overrides.is_empty());
}

#[test]
fn the_status_bar_names_the_model_as_its_sidecar_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("facenet.onnx");
    std::os::unix::fs::symlink(shared("models/facenet_casia_112.onnx"), &model).expect("link");
    std::fs::write(
        dir.path().join("facenet.toml"),
        "name = \"FaceNet CASIA\"\ncolor_order = \"rgb\"\nmean = 0\nstd = 1\nthreshold = 0.45\n",
    )
    .expect("sidecar");
    let mut start = launch(None, &[]);
    start.engine = Some(facesorter_core::engine::EngineOptions {
        recognizer: Some(ModelSpec::Path(model)),
        ..engine_options()
    });
    let mut h = harness(start);
    wait_for(&mut h, "the engine", TIMEOUT, |app| {
        app.state.engine.ready().is_some()
    });
    h.run_steps(2);
    assert!(h.query_by_label_contains("FaceNet CASIA").is_some());
    assert!(h.query_by_label_contains("facenet.onnx").is_none());
}
