//! Per-match review in the window (egui_kittest), on a few deepface photos with the
//! synthetic IR-18: accept / reject by button and key, the band below the threshold, file
//! names, the thumbnail size, and the photo view's pair and Copy path.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use facesorter_app::parts::results::{CellKind, ResultsCommand};
use facesorter_app::{Command, FaceSorterApp};
use facesorter_core::search::Verdict;

use common::{harness, launch, shared, wait_for};

/// Nine deepface photos (links) in a folder of this test only: quick to index, and more
/// faces than the threshold set below shows, so the band has candidates.
fn gallery() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in [
        "img1.jpg",
        "img2.jpg",
        "img3.jpg",
        "img4.jpg",
        "img5.jpg",
        "img6.jpg",
        "img7.jpg",
        "img8.jpg",
        "couple.jpg",
    ] {
        let photo: PathBuf = shared("faces/deepface").join(name);
        std::os::unix::fs::symlink(&photo, dir.path().join(name)).expect("symlink");
    }
    dir
}

fn apply(h: &mut Harness<'static, FaceSorterApp>, command: Command) {
    let ctx = h.ctx.clone();
    h.state_mut().state.apply(&ctx, command);
    h.run_steps(2);
}

/// The window on `gallery` with img1.jpg as probe, indexed and ranked, the threshold on
/// the slider's 0.01 grid between the `at_least`-th best score (or the first after it with
/// such a value below it) and the next, among the faces the quality filter lets through.
/// Returns the harness and how many matches are shown.
fn ranked(
    gallery: &tempfile::TempDir,
    at_least: usize,
) -> (Harness<'static, FaceSorterApp>, usize) {
    let probe = shared("faces/deepface/img1.jpg");
    let mut h = harness(launch(Some(gallery.path()), &[probe]));
    wait_for(
        &mut h,
        "indexing and the probe",
        Duration::from_secs(600),
        |app| {
            let s = &app.state;
            !s.indexing() && s.results.has_ranking() && !s.results.partial()
        },
    );
    let (threshold, shown) = {
        let scores = filtered_scores(&h);
        // On the slider's 0.01 grid: the slider snaps any other value to it.
        let on_grid = |k: usize| {
            let t = ((f64::from(scores[k - 1]) * 100.0).floor() / 100.0) as f32;
            (t > scores[k] + 1e-4).then_some(t)
        };
        let (k, t) = (at_least..scores.len())
            .find_map(|k| on_grid(k).map(|t| (k, t)))
            .expect("a threshold on the grid between two scores");
        assert!(scores.len() > k + 2, "{} faces", scores.len());
        (t, k)
    };
    apply(&mut h, ResultsCommand::SetThreshold(threshold).into());
    h.run_steps(3);
    assert_eq!(h.state().state.results.shown_len(), shown);
    (h, shown)
}

/// Every face's score and rank, best first, among those the quality filter lets through.
fn filtered(h: &Harness<'static, FaceSorterApp>) -> Vec<(usize, f32)> {
    let session = h.state().state.results.session().expect("session");
    let album = session.album();
    let min = session.min_quality();
    session
        .ranked()
        .expect("ranking")
        .matches()
        .iter()
        .enumerate()
        .filter(|(_, m)| min.is_none_or(|q| album.faces()[m.face as usize].norm >= q))
        .map(|(rank, m)| (rank, m.score))
        .collect()
}

fn filtered_scores(h: &Harness<'static, FaceSorterApp>) -> Vec<f32> {
    filtered(h).into_iter().map(|(_, s)| s).collect()
}

fn verdict_of_cell(h: &Harness<'static, FaceSorterApp>, i: usize) -> Option<Verdict> {
    let results = &h.state().state.results;
    results.cell_match(i).and_then(|(_, m)| m.verdict)
}

#[test]
fn reject_by_button_and_key_survives_the_threshold_and_is_left_out_of_the_export() {
    let g = gallery();
    let (mut h, shown) = ranked(&g, 4);

    // The Reject button of the second cell.
    h.get_by_label("Reject match 2").click();
    h.run_steps(2);
    assert_eq!(verdict_of_cell(&h, 1), Some(Verdict::Rejected));
    let results = &h.state().state.results;
    assert_eq!(results.shown_len(), shown - 1, "one rejected");
    assert_eq!(results.counts().rejected, 1);
    assert_eq!(
        results.cells()[1].kind,
        CellKind::Rejected,
        "dimmed in place"
    );
    h.get_by_label_contains("Match 2: score");
    h.get_by_label_contains(", 1 rejected");

    // X on the selected cell: the first arrow selects cell 1, two more reach cell 3.
    for _ in 0..3 {
        h.key_press(egui::Key::ArrowRight);
        h.run_steps(1);
    }
    assert_eq!(h.state().state.results.selected(), Some(2));
    h.key_press(egui::Key::X);
    h.run_steps(2);
    assert_eq!(verdict_of_cell(&h, 2), Some(Verdict::Rejected));
    assert_eq!(h.state().state.results.shown_len(), shown - 2);
    let rejected: Vec<PathBuf> = h
        .state()
        .state
        .results
        .session()
        .expect("session")
        .rejected()
        .map(|m| m.path)
        .collect();
    assert_eq!(rejected.len(), 2);

    // The threshold down and back up: both stay rejected.
    let t = h.state().state.results.threshold();
    apply(&mut h, ResultsCommand::SetThreshold(-1.0).into());
    let every = filtered_scores(&h).len();
    assert_eq!(h.state().state.results.shown_len(), every - 2);
    apply(&mut h, ResultsCommand::SetThreshold(t).into());
    assert_eq!(h.state().state.results.shown_len(), shown - 2);
    assert_eq!(h.state().state.results.counts().rejected, 2);

    // Hidden instead of dimmed: the grid drops them, the export count is the same.
    h.get_by_label("Show rejected").click();
    h.run_steps(2);
    assert!(h
        .state()
        .state
        .results
        .cells()
        .iter()
        .all(|c| c.kind != CellKind::Rejected));
    assert!(h.query_by_label_contains(", rejected").is_none());

    // The export writes the two matches left, not the rejected ones.
    let out = tempfile::tempdir().expect("tempdir");
    let dir = out.path().join("export");
    h.get_by_role_and_label(Role::TextInput, "Export folder:")
        .focus();
    h.run_steps(1);
    h.get_by_role_and_label(Role::TextInput, "Export folder:")
        .type_text(&dir.display().to_string());
    h.run_steps(1);
    h.get_by_label(&format!("Export {} matches", shown - 2))
        .click_accesskit();
    wait_for(&mut h, "the export", Duration::from_secs(300), |app| {
        app.state.export.outcome.is_some()
    });
    if let Some(Err(e)) = h.state().state.export.outcome.clone() {
        panic!("export failed: {e}");
    }
    let csv = find_csv(&dir);
    let text = std::fs::read_to_string(&csv).expect("matches.csv");
    assert_eq!(
        text.lines().count(),
        shown - 1,
        "header + the matches left: {text}"
    );
    for path in &rejected {
        let name = path.file_name().expect("name").to_string_lossy();
        let kept = h
            .state()
            .state
            .results
            .session()
            .expect("session")
            .matches()
            .any(|m| m.path == *path);
        // A photo with another face still matched may appear; a rejected-only one may not.
        assert!(kept || !text.contains(name.as_ref()), "{name} in {text}");
    }
}

/// `matches.csv` in `dir` or in the one subfolder an export made there.
fn find_csv(dir: &std::path::Path) -> PathBuf {
    let direct = dir.join("matches.csv");
    if direct.is_file() {
        return direct;
    }
    std::fs::read_dir(dir)
        .expect("export folder")
        .filter_map(Result::ok)
        .map(|e| e.path().join("matches.csv"))
        .find(|p| p.is_file())
        .expect("matches.csv")
}

#[test]
fn the_band_below_the_threshold_file_names_and_thumbnail_size() {
    let g = gallery();
    let (mut h, shown) = ranked(&g, 2);
    let expected_band: Vec<usize> = filtered(&h)
        .into_iter()
        .skip(shown)
        .take(facesorter_core::search::DEFAULT_BAND)
        .map(|(rank, _)| rank)
        .collect();
    let t = h.state().state.results.threshold();
    let (main, band) = {
        let r = &h.state().state.results;
        (r.main_cells(), r.cells().len() - r.main_cells())
    };
    assert_eq!(main, shown);
    assert!(band > 0, "candidates below the threshold");
    // The band is the next faces of the ranking, dimmed, under its heading.
    let results = &h.state().state.results;
    let session = results.session().expect("session");
    let ranking = session.ranked().expect("ranking");
    let band_ranks: Vec<usize> = results.cells()[main..].iter().map(|c| c.rank).collect();
    assert_eq!(
        band_ranks, expected_band,
        "the next candidates in rank order"
    );
    for cell in &results.cells()[main..] {
        assert_eq!(cell.kind, CellKind::Below);
        assert!(ranking.matches()[cell.rank].score < t);
    }
    h.get_by_label_contains(&format!("Just below {t:.2}"));
    h.get_by_label_contains(&format!("Match {}: score", main + 1));
    assert_eq!(
        h.query_all_by_label_contains(", below the threshold")
            .count(),
        band,
        "every band cell says so"
    );

    // Each cell names its photo.
    let first = results.cell_match(0).expect("first cell").1.path;
    let name = first
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(
        !h.query_all_by_label(&name).collect::<Vec<_>>().is_empty(),
        "{name}"
    );

    // Accepting a band candidate moves it up among the matches, whatever the threshold.
    h.get_by_label(&format!("Accept match {}", main + 1))
        .click();
    h.run_steps(2);
    assert_eq!(h.state().state.results.shown_len(), main + 1);
    assert_eq!(h.state().state.results.counts().accepted, 1);
    h.get_by_label_contains(", accepted");

    // The size slider makes the cells wider; Ctrl+wheel (a zoom) too.
    let width = |h: &Harness<'static, FaceSorterApp>| {
        h.get_by_label_contains("Match 1: score").rect().width()
    };
    let before = width(&h);
    h.get_by_role_and_label(Role::Slider, "Thumbnail size")
        .focus();
    h.run_steps(1);
    for _ in 0..10 {
        h.key_press(egui::Key::ArrowRight);
        h.run_steps(1);
    }
    let after = width(&h);
    assert!(h.state().state.results.thumb_size() > 96.0);
    assert!(after > before, "{before} → {after}");
    // Off the slider, over the grid.
    h.get_by_label_contains("Match 1: score").hover();
    h.run_steps(1);
    let size = h.state().state.results.thumb_size();
    h.event(egui::Event::Zoom(0.5));
    h.run_steps(2);
    assert!(h.state().state.results.thumb_size() < size);
    assert!(width(&h) < after);
}

#[test]
fn the_photo_view_shows_the_pair_and_copies_the_path() {
    let g = gallery();
    let (mut h, _) = ranked(&g, 3);
    let (path, nth, of) = {
        let m = h.state().state.results.cell_match(1).expect("cell").1;
        (m.path.clone(), m.index_in_photo() + 1, m.photo.face_count)
    };
    h.get_by_label_contains("Match 2: score").click();
    h.run_steps(2);
    assert!(h.state().state.results.photo_open());
    wait_for(&mut h, "the photo", Duration::from_secs(60), |app| {
        app.state.thumbs.pending() == 0
    });
    h.run_steps(2);
    h.get_by_label("Probe face");
    h.get_by_label("Matched face");
    h.get_by_label_contains("score ");
    h.get_by_label(&format!("Photo {}", path.display()));
    // Which face of the photo, counted from 1 as people count.
    assert!(nth >= 1 && nth <= of, "face {nth} of {of}");
    h.get_by_label_contains(&format!("face {nth} of {of} in the photo"));
    // Counted among the matches only, not the band below the threshold shown after them.
    let above = h
        .state()
        .state
        .results
        .cells()
        .iter()
        .filter(|c| c.kind != CellKind::Below)
        .count();
    assert!(
        above < h.state().state.results.cells().len(),
        "a band is shown"
    );
    h.get_by_label_contains(&format!("Match 2 of {above} ·"));

    h.get_by_label("Copy path").click();
    h.run_steps(1);
    let copied =
        h.output().platform_output.commands.iter().any(
            |c| matches!(c, egui::OutputCommand::CopyText(t) if *t == path.display().to_string()),
        );
    assert!(copied, "{:?}", h.output().platform_output.commands);

    // Accept and reject here act on the shown match, as in the grid.
    h.get_by_label("Reject").click();
    h.run_steps(2);
    assert_eq!(verdict_of_cell(&h, 1), Some(Verdict::Rejected));
    h.key_press(egui::Key::A);
    h.run_steps(2);
    assert_eq!(verdict_of_cell(&h, 1), Some(Verdict::Accepted));
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(!h.state().state.results.photo_open());
}
