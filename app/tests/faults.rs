//! A worker that panics never leaves the window busy: engine start, probe analysis,
//! thumbnail decoding, export and download each panic here by an injected fault
//! (`FACESORTER_FAULT`, read by `facesorter_core::fault::inject`), and the window must show
//! the error and end the busy state. Its own test binary: the variable is process-wide,
//! and the tests of this file take turns (a lock).

mod common;

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use facesorter_app::parts::download::DownloadCommand;
use facesorter_app::parts::export::ExportCommand;
use facesorter_app::parts::results::ResultsCommand;
use facesorter_app::{Command, EngineStatus, FaceSorterApp};
use facesorter_core::fault::FAULT_ENV_VAR;

use common::{harness, launch, shared, wait_for};

static TURN: Mutex<()> = Mutex::new(());

/// Makes `stages` panic for the rest of the test (the next test sets its own).
fn inject(stages: &str) {
    common::environment();
    // Workers of earlier tests may still read the environment; std's lock keeps this safe.
    unsafe { std::env::set_var(FAULT_ENV_VAR, stages) };
}

/// Steps frames until `done` (no check of the engine: it may be meant to fail).
fn step_until(
    h: &mut Harness<'static, FaceSorterApp>,
    what: &str,
    timeout: Duration,
    done: impl Fn(&FaceSorterApp) -> bool,
) {
    let start = Instant::now();
    while !done(h.state()) {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    h.run_steps(2);
}

fn apply(h: &mut Harness<'static, FaceSorterApp>, command: Command) {
    let ctx = h.ctx.clone();
    h.state_mut().state.apply(&ctx, command);
    h.run_steps(2);
}

/// A gallery of three deepface photos (links), so indexing is quick.
fn small_gallery() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["img1.jpg", "img2.jpg", "img3.jpg"] {
        let photo: PathBuf = shared("faces/deepface").join(name);
        std::os::unix::fs::symlink(&photo, dir.path().join(name)).expect("symlink");
    }
    dir
}

#[test]
fn a_panic_starting_the_engine_shows_the_error() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    inject("engine");
    let mut h = harness(launch(None, &[]));
    step_until(
        &mut h,
        "the engine to give up",
        Duration::from_secs(60),
        |app| !matches!(app.state.engine.status, EngineStatus::Starting),
    );
    let state = &h.state().state;
    match &state.engine.status {
        EngineStatus::Failed(f) => assert!(
            f.message.contains("injected fault in engine"),
            "{}",
            f.message
        ),
        _ => panic!("the engine started although its start panicked"),
    }
    assert!(!state.busy(), "nothing left loading");
    h.get_by_label("FaceSorter cannot start its engine");
    h.get_by_label_contains("injected fault in engine");
    assert!(h.query_by_label("Loading the models…").is_none());
}

#[test]
fn a_panic_downloading_a_model_shows_the_error() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    inject("download");
    let mut h = harness(launch(None, &[]));
    apply(&mut h, DownloadCommand::Start("adaface-ir18".into()).into());
    step_until(
        &mut h,
        "the download to end",
        Duration::from_secs(60),
        |app| !app.state.download.running(),
    );
    let message = h.state().state.download.message.clone().unwrap_or_default();
    assert!(message.contains("injected fault in download"), "{message}");
}

#[test]
fn a_panic_analysing_a_probe_shows_the_error() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    inject("probe");
    let probe = shared("faces/deepface/img1.jpg");
    let mut h = harness(launch(None, std::slice::from_ref(&probe)));
    wait_for(
        &mut h,
        "the probe to end",
        Duration::from_secs(120),
        |app| app.state.engine.ready().is_some() && app.state.probes.loading() == 0,
    );
    h.run_steps(2);
    let state = &h.state().state;
    let message = state.probes.message.clone().unwrap_or_default();
    assert!(message.contains("injected fault in probe"), "{message}");
    assert!(state.probes.list.is_empty());
    assert!(!state.busy(), "no spinner left turning");
    h.get_by_label_contains("injected fault in probe");
    assert!(h
        .query_by_label("Finding faces in the probe photo…")
        .is_none());
}

#[test]
fn panics_decoding_thumbnails_and_exporting_show_errors() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    inject("thumbnail,export");
    let gallery = small_gallery();
    let probe = shared("faces/deepface/img1.jpg");
    let mut h = harness(launch(Some(gallery.path()), std::slice::from_ref(&probe)));
    wait_for(
        &mut h,
        "indexing and the probe",
        Duration::from_secs(300),
        |app| !app.state.indexing() && app.state.results.has_ranking(),
    );
    // Every face shown, so there are thumbnails to decode.
    apply(&mut h, ResultsCommand::SetThreshold(-1.0).into());
    let shown = h.state().state.results.shown_len();
    assert!(shown >= 3, "a face per photo at least: {shown}");
    wait_for(
        &mut h,
        "the thumbnails to fail",
        Duration::from_secs(60),
        |app| app.state.thumbs.pending() == 0 && app.state.thumbs.failures().count() > 0,
    );
    h.run_steps(2);
    let failures: Vec<String> = h
        .state()
        .state
        .thumbs
        .failures()
        .map(String::from)
        .collect();
    assert!(
        failures
            .iter()
            .all(|f| f.contains("injected fault in thumbnail")),
        "{failures:?}"
    );
    assert!(
        !h.query_all_by_label("unreadable")
            .collect::<Vec<_>>()
            .is_empty(),
        "failed cells say so"
    );

    let out = tempfile::tempdir().expect("tempdir");
    apply(
        &mut h,
        ExportCommand::SetFolder(out.path().join("export").display().to_string()).into(),
    );
    apply(&mut h, ExportCommand::Start.into());
    wait_for(
        &mut h,
        "the export to end",
        Duration::from_secs(60),
        |app| !app.state.export.running(),
    );
    h.run_steps(2);
    match &h.state().state.export.outcome {
        Some(Err(e)) => assert!(e.contains("injected fault in export"), "{e}"),
        other => panic!(
            "the export should have failed: {:?}",
            other.as_ref().map(|r| r.as_ref().map(|s| s.pairs))
        ),
    }
    h.get_by_label_contains("injected fault in export");
    assert!(
        h.query_by_label("Cancel export").is_none(),
        "no export running"
    );
}
