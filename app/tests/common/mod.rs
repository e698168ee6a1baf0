//! Helpers shared by the window's tests: the shared test data, engine options with the
//! synthetic IR-18, and stepping the app until a condition holds.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use facesorter_app::{EngineStatus, FaceSorterApp, Launch};
use facesorter_core::engine::EngineOptions;
use facesorter_core::models::ModelSpec;

/// `../shared` beside the repository root: test data read in place, never copied.
pub fn shared(rel: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    assert!(
        dir.join("README.md").is_file(),
        "test data not found at {} (../shared beside the repository)",
        dir.display()
    );
    dir.join(rel)
}

/// Models from `../shared/models`, and a cache and config dir of this test process only.
pub fn environment() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let scratch =
            std::env::temp_dir().join(format!("facesorter-app-tests-{}", std::process::id()));
        // Set before any thread reads the environment (Once, first thing in each test).
        unsafe {
            std::env::set_var("FACESORTER_MODELS", shared("models"));
            std::env::set_var("FACESORTER_CACHE_DIR", scratch.join("cache"));
            std::env::set_var("XDG_CONFIG_HOME", scratch.join("config"));
            std::env::set_var("FACESORTER_PEOPLE_DIR", scratch.join("people"));
        }
    });
}

/// The synthetic IR-18 (a real recognizer cannot be fetched on the test machine).
pub fn engine_options() -> EngineOptions {
    EngineOptions {
        recognizer: Some(ModelSpec::Path(shared(
            "models/adaface_ir18_synthetic.onnx",
        ))),
        ..EngineOptions::default()
    }
}

pub fn launch(gallery: Option<&Path>, probes: &[PathBuf]) -> Launch {
    Launch {
        engine: Some(engine_options()),
        gallery: gallery.map(Path::to_path_buf),
        probes: probes.to_vec(),
        ephemeral: true,
        people: false,
        threshold: None,
    }
}

pub fn harness(launch: Launch) -> Harness<'static, FaceSorterApp> {
    environment();
    Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| FaceSorterApp::new(cc, launch))
}

/// Steps frames (as the window would, woken by workers) until `done` or the timeout.
pub fn wait_for(
    harness: &mut Harness<'static, FaceSorterApp>,
    what: &str,
    timeout: Duration,
    done: impl Fn(&FaceSorterApp) -> bool,
) {
    let start = Instant::now();
    loop {
        harness.step();
        if done(harness.state()) {
            return;
        }
        if let EngineStatus::Failed(f) = &harness.state().state.engine.status {
            panic!("the engine did not start: {}", f.message);
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
