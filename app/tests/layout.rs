//! The window's layout and session, driven as a user would (egui_kittest) with the
//! synthetic IR-18 on a few photos of ../shared/faces/deepface (linked, never copied):
//! the side panel keeps its bounds whatever it shows, the toolbar and status bar hold one
//! row down to the minimum size, so does the results header, the slider steers from the keyboard, the panel hides and
//! keeps its width, actions that must wait say so, and a restart reopens the session.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use facesorter_app::{FaceSorterApp, Launch};
use facesorter_core::engine::EngineOptions;
use facesorter_core::models::ModelSpec;

use common::{engine_options, launch, shared, wait_for};

const TIMEOUT: Duration = Duration::from_secs(600);
/// The side panel's bounds (outer width), as the settings clamp them.
const PANEL_MIN: f32 = 240.0;
const PANEL_MAX: f32 = 480.0;
/// A results cell's width (views/results.rs): two of them make two columns.
const CELL_W: f32 = 216.0;

fn harness_at(
    size: [f32; 2],
    launch: Launch,
    settings: Option<PathBuf>,
) -> Harness<'static, FaceSorterApp> {
    common::environment();
    Harness::builder()
        .with_size(size)
        .build_eframe(move |cc| FaceSorterApp::with_settings_file(cc, launch, settings))
}

/// A gallery of a few deepface photos (links) under a long folder path, with long names:
/// the probe photo itself among them, so there is a match at any threshold.
fn long_named_gallery(root: &Path) -> PathBuf {
    let dir = root.join(
        "a folder with a rather long name for holiday photos 2024/and another level below it \
         that is also long/Italy, Tuscany and the coast — everyone who came along",
    );
    std::fs::create_dir_all(&dir).expect("gallery dir");
    for name in ["img1.jpg", "img2.jpg", "img3.jpg", "img5.jpg", "couple.jpg"] {
        let link = dir.join(format!(
            "a photo with a very long file name that goes on and on {name}"
        ));
        std::os::unix::fs::symlink(shared(&format!("faces/deepface/{name}")), link)
            .expect("symlink");
    }
    dir
}

fn probe_in(gallery: &Path) -> PathBuf {
    gallery.join("a photo with a very long file name that goes on and on img1.jpg")
}

fn ranked(app: &FaceSorterApp) -> bool {
    let s = &app.state;
    !s.indexing() && s.results.has_ranking() && !s.results.partial()
}

/// The widgets of the `index`th panel (accesskit pane, in the order views::draw adds
/// them: the toolbar, then the status bar).
fn widgets_of_pane(h: &Harness<'static, FaceSorterApp>, index: usize) -> Vec<(String, egui::Rect)> {
    let wanted = [
        Role::Button,
        Role::Label,
        Role::TextInput,
        Role::ProgressIndicator,
        Role::CheckBox,
        Role::Image,
    ];
    let root = h.root();
    let pane = root
        .children_recursive()
        .filter(|n| n.accesskit_node().role() == Role::Pane)
        .nth(index)
        .unwrap_or_else(|| panic!("pane {index}"));
    pane.children_recursive()
        .filter(|n| wanted.contains(&n.accesskit_node().role()))
        .filter(|n| n.accesskit_node().bounding_box().is_some())
        .map(|n| {
            let label = n.accesskit_node().label().unwrap_or_default();
            (
                format!("{:?} {label:?}", n.accesskit_node().role()),
                n.rect(),
            )
        })
        .collect()
}

/// Every widget of the toolbar and the status bar inside the window, none overlapping
/// another, each bar one row high.
fn assert_bars_fit(h: &Harness<'static, FaceSorterApp>, size: [f32; 2], when: &str) {
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(size[0], size[1]));
    let layout = h.state().state.layout;
    for (index, (bar, rect)) in [("toolbar", layout.toolbar), ("status bar", layout.status)]
        .into_iter()
        .enumerate()
    {
        let rect = rect.unwrap_or_else(|| panic!("{bar} drawn"));
        assert!(
            rect.height() < 40.0,
            "{bar} is one row at {size:?} {when}: {rect:?}"
        );
        let widgets = widgets_of_pane(h, index);
        assert!(
            !widgets.is_empty(),
            "{bar} widgets at {size:?} {when}: {widgets:?}"
        );
        for (name, r) in &widgets {
            assert!(
                rect.expand(0.5).contains_rect(*r),
                "{bar}: {name} at {r:?} is outside the bar {rect:?} {when}"
            );
            assert!(
                window.expand(0.5).contains_rect(*r),
                "{bar}: {name} at {r:?} is outside the {size:?} window {when}"
            );
        }
        for (i, (a, ra)) in widgets.iter().enumerate() {
            for (b, rb) in &widgets[i + 1..] {
                let overlap = ra.intersect(*rb);
                assert!(
                    !(overlap.width() > 0.5 && overlap.height() > 0.5),
                    "{bar}: {a} {ra:?} overlaps {b} {rb:?} at {size:?} {when}"
                );
            }
        }
    }
}

/// The results header (heading, counts, thumbnail size, Show rejected, Clear
/// accept/reject) inside the central area and above the grid, its widgets apart.
fn assert_results_header_fits(h: &Harness<'static, FaceSorterApp>, size: [f32; 2]) {
    let central = h.state().state.layout.central.expect("central area");
    let root = h.root();
    let rect_of = |role: Role, label: &str, whole: bool| {
        root.children_recursive()
            .filter(|n| n.accesskit_node().role() == role)
            .find(|n| {
                // A label's text is its value; a widget's, its label.
                let a = n.accesskit_node();
                let l = a.label().or_else(|| a.value()).unwrap_or_default();
                if whole {
                    l == label
                } else {
                    l.starts_with(label)
                }
            })
            .map(|n| (format!("{role:?} {label:?}"), n.rect()))
            .unwrap_or_else(|| panic!("{role:?} {label:?} in the results header at {size:?}"))
    };
    let first_cell = rect_of(Role::Button, "Match 1:", false).1;
    let mut widgets = vec![
        rect_of(Role::Label, "Matches", true),
        rect_of(Role::Label, "Showing ", false),
        rect_of(Role::Slider, "Thumbnail size", true),
        rect_of(Role::CheckBox, "Show rejected", true),
        rect_of(Role::Button, "Clear accept/reject", true),
    ];
    // Everything else drawn in the header's band of the central area (the slider's value
    // field, the partial notice): none of it may run past the area either.
    let header_bottom = first_cell.top();
    for n in root.children_recursive() {
        let a = n.accesskit_node();
        if a.bounding_box().is_none() || a.role() == Role::TextRun {
            continue;
        }
        let r = n.rect();
        if r.left() >= central.left() - 0.5
            && r.top() >= central.top() - 0.5
            && r.top() < header_bottom
            && r.height() < 60.0
        {
            widgets.push((format!("{:?} {:?}", a.role(), a.label()), r));
        }
    }
    for (name, r) in &widgets {
        assert!(
            central.expand(0.5).contains_rect(*r),
            "results header: {name} at {r:?} is outside the central area {central:?} at {size:?}"
        );
        assert!(
            r.bottom() <= header_bottom + 0.5,
            "results header: {name} at {r:?} runs into the grid (first cell at {first_cell:?}) at {size:?}"
        );
    }
    for (i, (a, ra)) in widgets[..5].iter().enumerate() {
        for (b, rb) in &widgets[i + 1..5] {
            let overlap = ra.intersect(*rb);
            assert!(
                !(overlap.width() > 0.5 && overlap.height() > 0.5),
                "results header: {a} {ra:?} overlaps {b} {rb:?} at {size:?}"
            );
        }
    }
}

fn panel_width(h: &Harness<'static, FaceSorterApp>) -> Option<f32> {
    h.state().state.layout.panel.map(|r| r.width())
}

#[test]
fn the_side_panel_keeps_its_width_after_an_export_with_long_paths() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let gallery = long_named_gallery(tmp.path());
    let probe = probe_in(&gallery);
    let mut h = harness_at(
        [1280.0, 800.0],
        launch(Some(&gallery), std::slice::from_ref(&probe)),
        None,
    );
    wait_for(&mut h, "indexing and the probe", TIMEOUT, ranked);
    h.run_steps(3);
    let before = panel_width(&h).expect("the side panel is shown");
    assert!((PANEL_MIN..=PANEL_MAX).contains(&before), "{before}");
    // Raise the threshold until a few remain (pair images of big photos are slow).
    h.get_by_role_and_label(Role::Slider, "Threshold").focus();
    h.run_steps(1);
    while h.state().state.results.shown_len() > 2 && h.state().state.results.threshold() < 1.0 {
        h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::ArrowRight);
        h.run_steps(1);
    }
    let shown = h.state().state.results.shown_len();
    assert!(shown > 0, "the probe's own photo matches");
    let out = tmp
        .path()
        .join("an export folder whose name is long enough to need more than one line")
        .join("and_a_second_level_without_any_spaces_in_it_at_all_to_wrap_at");
    h.state_mut().state.settings.export_dir = out.display().to_string();
    h.run_steps(1);
    h.get_by_label(&format!("Export {shown} matches"))
        .click_accesskit();
    wait_for(&mut h, "the export", TIMEOUT, |app| {
        app.state.export.outcome.is_some()
    });
    h.run_steps(5);
    assert!(
        matches!(h.state().state.export.outcome, Some(Ok(_))),
        "export: {:?}",
        h.state()
            .state
            .export
            .outcome
            .as_ref()
            .map(|r| r.as_ref().err())
    );
    let after = panel_width(&h).expect("the side panel is shown");
    assert!(
        (after - before).abs() < 1.0,
        "the panel kept its width after the export: {before} → {after}"
    );
    let central = h.state().state.layout.central.expect("central area");
    assert!(
        central.width() >= 2.0 * CELL_W,
        "room for two result columns: {central:?} beside a panel of {after}"
    );
    // Nothing in the panel reaches past it (cut off at its edge).
    let panel = h.state().state.layout.panel.expect("panel");
    assert!(
        panel.right() <= central.left() + 1.0,
        "{panel:?} / {central:?}"
    );
    let root = h.root();
    let pane = root
        .children_recursive()
        .filter(|n| n.accesskit_node().role() == Role::Pane)
        .find(|p| {
            p.children_recursive().any(|n| {
                n.accesskit_node().role() == Role::Slider
                    && n.accesskit_node().label().as_deref() == Some("Threshold")
            })
        })
        .expect("the side panel's pane");
    let too_wide: Vec<_> = pane
        .children_recursive()
        .filter(|n| n.accesskit_node().bounding_box().is_some())
        // A text field's text runs on inside the field, which clips it.
        .filter(|n| n.accesskit_node().role() != Role::TextRun)
        .filter(|n| n.rect().right() > panel.right() + 0.5)
        .map(|n| {
            let a = n.accesskit_node();
            format!(
                "{:?} {:?} {:?} {:?}",
                a.role(),
                a.label(),
                a.value(),
                n.rect()
            )
        })
        .collect();
    assert!(
        too_wide.is_empty(),
        "past the panel {panel:?}: {too_wide:#?}"
    );
}

#[test]
fn toolbar_and_status_bar_fit_down_to_the_minimum_size() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let gallery = long_named_gallery(tmp.path());
    let probe = probe_in(&gallery);
    for size in [[720.0, 480.0], [640.0, 420.0]] {
        let mut h = harness_at(
            size,
            launch(Some(&gallery), std::slice::from_ref(&probe)),
            None,
        );
        h.run_steps(2);
        assert_bars_fit(&h, size, "while the models load");
        // Indexing shows the longest status bar: check it whenever a frame shows it.
        let mut seen_indexing = false;
        wait_for(&mut h, "indexing and the probe", TIMEOUT, |app| {
            ranked(app) || app.state.gallery.indexing()
        });
        if h.state().state.gallery.indexing() {
            h.run_steps(1);
            if h.state().state.gallery.indexing() {
                assert_bars_fit(&h, size, "while indexing");
                seen_indexing = true;
            }
        }
        wait_for(&mut h, "indexing and the probe", TIMEOUT, ranked);
        h.run_steps(3);
        assert_bars_fit(&h, size, "with a long gallery path and results");
        // An accepted match adds to the counts and brings the Clear button: the longest
        // header.
        h.get_by_label("Accept match 1").click_accesskit();
        h.run_steps(3);
        assert_eq!(h.state().state.results.counts().accepted, 1);
        assert_results_header_fits(&h, size);
        let panel = panel_width(&h).expect("the side panel");
        assert!(panel >= PANEL_MIN - 0.5, "{panel} at {size:?}");
        if size[0] >= 720.0 {
            // The panel gives way so the results keep two columns.
            let central = h.state().state.layout.central.expect("central");
            assert!(
                central.width() >= 2.0 * CELL_W,
                "two result columns at {size:?}: {central:?} beside a panel of {panel}"
            );
        }
        eprintln!("{size:?}: checked while indexing: {seen_indexing}");
        // The path field still holds the whole path (shown elided, whole on hover).
        assert_eq!(
            h.get_by_role_and_label(Role::TextInput, "Gallery folder:")
                .value()
                .as_deref(),
            Some(gallery.display().to_string().as_str())
        );
    }
}

#[test]
fn clicking_the_slider_focuses_it_and_arrows_step_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let gallery_small = long_named_gallery(tmp.path());
    let probe = probe_in(&gallery_small);
    let mut h = harness_at(
        [1280.0, 800.0],
        launch(Some(&gallery_small), std::slice::from_ref(&probe)),
        None,
    );
    wait_for(&mut h, "indexing and the probe", TIMEOUT, ranked);
    h.run_steps(2);
    let slider = h.get_by_role_and_label(Role::Slider, "Threshold");
    let rect = slider.rect();
    let panel = h.state().state.layout.panel.expect("panel");
    assert!(
        rect.width() >= panel.width() - 100.0,
        "the slider spans the panel: {rect:?} in {panel:?}"
    );
    slider.click();
    h.run_steps(2);
    assert!(
        h.get_by_role_and_label(Role::Slider, "Threshold")
            .is_focused(),
        "a click gives the slider the keyboard"
    );
    let selected = h.state().state.results.selected();
    let t0 = h.state().state.results.threshold();
    let steps: [(egui::Modifiers, egui::Key, f32); 5] = [
        (egui::Modifiers::NONE, egui::Key::ArrowRight, 0.01),
        (egui::Modifiers::NONE, egui::Key::ArrowUp, 0.01),
        (egui::Modifiers::SHIFT, egui::Key::ArrowRight, 0.05),
        (egui::Modifiers::NONE, egui::Key::ArrowLeft, -0.01),
        (egui::Modifiers::SHIFT, egui::Key::ArrowDown, -0.05),
    ];
    let mut expected = t0;
    for (modifiers, key, by) in steps {
        h.key_press_modifiers(modifiers, key);
        h.run_steps(2);
        expected = ((expected + by) * 100.0).round() / 100.0;
        let t = h.state().state.results.threshold();
        assert!(
            (t - expected).abs() < 1e-4,
            "{modifiers:?}+{key:?}: threshold {t}, expected {expected} (from {t0})"
        );
        assert!(
            h.get_by_role_and_label(Role::Slider, "Threshold")
                .is_focused(),
            "{key:?} keeps the focus on the slider"
        );
    }
    assert_eq!(
        h.state().state.results.selected(),
        selected,
        "the arrows did not move the grid's selection"
    );
    // A threshold off the slider's 0.01 grid (a histogram click, the command line) stays as
    // set: drawing the slider must not round it and show one face more or less.
    let ctx = h.ctx.clone();
    h.state_mut().state.apply(
        &ctx,
        facesorter_app::Command::Results(
            facesorter_app::parts::results::ResultsCommand::SetThreshold(0.4437),
        ),
    );
    h.run_steps(3);
    let t = h.state().state.results.threshold();
    assert!((t - 0.4437).abs() < 1e-6, "threshold {t} after drawing");
}

#[test]
fn the_panel_collapses_and_keeps_its_width_across_a_restart() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let settings = tmp.path().join("config/settings.json");
    let gallery = long_named_gallery(tmp.path());
    let probe = probe_in(&gallery);
    let first = Launch {
        engine: Some(engine_options()),
        gallery: None,
        probes: vec![probe.clone()],
        ephemeral: false,
        people: false,
        threshold: None,
    };
    let mut h = harness_at([1280.0, 800.0], first.clone(), Some(settings.clone()));
    wait_for(&mut h, "the probe", TIMEOUT, |app| {
        !app.state.probes.list.is_empty()
    });
    h.run_steps(3);
    let start = panel_width(&h).expect("panel shown");
    assert!((start - 320.0).abs() < 1.0, "the default width: {start}");
    // Drag the panel's edge 100 points to the right.
    let handle = h
        .get_by_role_and_label(Role::Splitter, "Resize panel")
        .rect();
    let from = handle.center();
    h.hover_at(from);
    h.run_steps(1);
    h.drag_at(from);
    h.run_steps(1);
    for dx in [20.0, 50.0, 80.0, 100.0] {
        h.hover_at(from + egui::vec2(dx, 0.0));
        h.run_steps(1);
    }
    h.drop_at(from + egui::vec2(100.0, 0.0));
    h.run_steps(3);
    let dragged = panel_width(&h).expect("panel shown");
    assert!((dragged - 420.0).abs() < 3.0, "dragged to {dragged}");
    assert!((h.state().state.settings.panel.width - dragged).abs() < 0.5);
    // A drag far past the maximum stops at it.
    let handle = h
        .get_by_role_and_label(Role::Splitter, "Resize panel")
        .rect();
    h.hover_at(handle.center());
    h.run_steps(1);
    h.drag_at(handle.center());
    h.run_steps(1);
    h.hover_at(handle.center() + egui::vec2(400.0, 0.0));
    h.run_steps(1);
    h.drop_at(handle.center() + egui::vec2(400.0, 0.0));
    h.run_steps(3);
    assert!(
        panel_width(&h).expect("panel") <= PANEL_MAX + 0.5,
        "{:?}",
        panel_width(&h)
    );
    // Back to a known width for the restart.
    let handle = h
        .get_by_role_and_label(Role::Splitter, "Resize panel")
        .rect();
    let to = handle.center() - egui::vec2(panel_width(&h).expect("panel") - 400.0, 0.0);
    h.hover_at(handle.center());
    h.run_steps(1);
    h.drag_at(handle.center());
    h.run_steps(1);
    h.hover_at(to);
    h.run_steps(1);
    h.drop_at(to);
    h.run_steps(3);
    let kept = panel_width(&h).expect("panel");
    assert!((kept - 400.0).abs() < 3.0, "{kept}");
    // A narrow window squeezes the panel; widened again, the chosen width comes back.
    h.set_size(egui::vec2(720.0, 480.0));
    h.run_steps(3);
    let squeezed = panel_width(&h).expect("panel");
    assert!(
        squeezed < kept - 50.0 && squeezed >= PANEL_MIN - 0.5,
        "{squeezed}"
    );
    h.set_size(egui::vec2(1280.0, 800.0));
    h.run_steps(3);
    let back = panel_width(&h).expect("panel");
    assert!((back - kept).abs() < 1.0, "{kept} → {squeezed} → {back}");
    assert!((h.state().state.settings.panel.width - kept).abs() < 1.0);

    // Ctrl+B hides it, the toolbar button shows it again at the same width.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::B);
    h.run();
    assert_eq!(panel_width(&h), None, "Ctrl+B hid the panel");
    assert!(!h.state().state.settings.panel.open);
    let central = h.state().state.layout.central.expect("central");
    assert!(
        central.left() < 20.0,
        "the results take the room: {central:?}"
    );
    h.get_by_label("Show panel").click();
    h.run();
    let again = panel_width(&h).expect("shown again");
    assert!((again - kept).abs() < 1.0, "{kept} → {again}");
    // F9 hides it too; closed and restarted, it stays hidden, then shows at that width.
    h.key_press(egui::Key::F9);
    h.run();
    assert_eq!(panel_width(&h), None, "F9 hid the panel");
    h.state_mut().save_settings();
    drop(h);

    let mut h = harness_at([1280.0, 800.0], first, Some(settings));
    wait_for(&mut h, "the probe", TIMEOUT, |app| {
        !app.state.probes.list.is_empty()
    });
    h.run_steps(3);
    assert_eq!(panel_width(&h), None, "still hidden after the restart");
    h.get_by_label("Show panel").click();
    h.run();
    let restored = panel_width(&h).expect("shown");
    assert!(
        (restored - kept).abs() < 1.0,
        "width after restart: {kept} → {restored}"
    );
}

#[test]
fn the_session_and_the_engine_flags_survive_a_restart() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let settings = tmp.path().join("config/settings.json");
    let gallery = long_named_gallery(tmp.path());
    let probe = probe_in(&gallery);
    let second_probe =
        gallery.join("a photo with a very long file name that goes on and on img2.jpg");
    // Started with engine flags (the saved settings name a model this machine lacks).
    let first = Launch {
        engine: Some(engine_options()),
        gallery: Some(gallery.clone()),
        probes: vec![probe.clone(), second_probe.clone()],
        ephemeral: false,
        people: false,
        threshold: None,
    };
    let mut h = harness_at([1280.0, 800.0], first, Some(settings.clone()));
    wait_for(&mut h, "indexing and the probes", TIMEOUT, |app| {
        ranked(app) && app.state.probes.list.len() == 2
    });
    h.get_by_label("Save these engine options as default")
        .click();
    h.run_steps(2);
    h.get_by_label_contains("Saved: the next start without engine flags");
    // Written at once, not only when the window closes.
    let written = std::fs::read_to_string(&settings).expect("the settings file");
    assert!(
        written.contains("adaface_ir18_synthetic.onnx"),
        "the engine options are in the file: {written}"
    );
    // A threshold of the user's own.
    h.get_by_role_and_label(Role::Slider, "Threshold").focus();
    h.run_steps(1);
    for _ in 0..3 {
        h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::ArrowRight);
        h.run_steps(1);
    }
    let threshold = h.state().state.results.threshold();
    assert!(
        threshold
            != h.state()
                .state
                .engine
                .ready()
                .expect("engine")
                .default_threshold(),
        "moved away from the default"
    );
    h.state_mut().save_settings();
    drop(h);

    // No flags, no paths: the saved engine options, the gallery, probes and threshold.
    let bare = Launch {
        engine: None,
        gallery: None,
        probes: Vec::new(),
        ephemeral: false,
        people: false,
        threshold: None,
    };
    let mut h = harness_at([1280.0, 800.0], bare.clone(), Some(settings.clone()));
    wait_for(&mut h, "the restored session", TIMEOUT, |app| {
        ranked(app) && app.state.probes.list.len() == 2
    });
    let s = &h.state().state;
    assert_eq!(s.engine.options.recognizer, engine_options().recognizer);
    assert_eq!(s.gallery.root(), Some(gallery.as_path()));
    let mut probes = s.probes.files();
    probes.sort();
    let mut expected = vec![probe.clone(), second_probe.clone()];
    expected.sort();
    assert_eq!(probes, expected);
    assert_eq!(s.results.threshold(), threshold);
    drop(h);

    // A probe photo gone: skipped with a notice, the rest reopened.
    std::fs::remove_file(&second_probe).expect("remove a probe");
    let mut h = harness_at([1280.0, 800.0], bare, Some(settings.clone()));
    h.run_steps(2);
    h.get_by_label_contains("Not reopened from the last session");
    wait_for(&mut h, "the rest of the session", TIMEOUT, |app| {
        ranked(app) && app.state.probes.list.len() == 1
    });
    assert_eq!(h.state().state.probes.files(), std::slice::from_ref(&probe));
    assert_eq!(h.state().state.results.threshold(), threshold);
    drop(h);

    // Paths on the command line win over the remembered session's probes; a probe given
    // alone opens with the last gallery (as "Open with FaceSorter" on a photo does).
    let given = Launch {
        engine: None,
        gallery: None,
        probes: vec![shared("faces/deepface/img5.jpg")],
        ephemeral: false,
        people: false,
        threshold: None,
    };
    let mut h = harness_at([1280.0, 800.0], given, Some(settings));
    assert_eq!(
        h.state().state.gallery.pending(),
        Some(gallery.as_path()),
        "the last gallery, for the probe given alone"
    );
    assert_eq!(
        h.state().state.probes.files(),
        [shared("faces/deepface/img5.jpg")]
    );
    // Let the engine and the probe finish: a process ending while ONNX Runtime still
    // loads a model on another thread can crash on its way out.
    wait_for(&mut h, "the given probe", TIMEOUT, |app| {
        app.state.engine.ready().is_some() && app.state.probes.loading() == 0
    });
    assert_eq!(h.state().state.gallery.root(), Some(gallery.as_path()));
}

#[test]
fn the_thumbnail_and_pair_sizes_survive_a_restart() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let settings = tmp.path().join("config/settings.json");
    let gallery = long_named_gallery(tmp.path());
    let probe = probe_in(&gallery);
    let first = Launch {
        engine: Some(engine_options()),
        gallery: Some(gallery.clone()),
        probes: vec![probe.clone()],
        ephemeral: false,
        people: false,
        threshold: None,
    };
    let mut h = harness_at([1280.0, 800.0], first.clone(), Some(settings.clone()));
    wait_for(&mut h, "indexing and the probe", TIMEOUT, ranked);
    h.run_steps(2);
    let start = h.state().state.results.thumb_size();
    // Larger thumbnails from the header's slider (by keyboard), Large pairs in the panel.
    h.get_by_role_and_label(Role::Slider, "Thumbnail size")
        .focus();
    h.run_steps(1);
    for _ in 0..10 {
        h.key_press(egui::Key::ArrowRight);
        h.run_steps(1);
    }
    let sized = h.state().state.results.thumb_size();
    assert!(
        sized > start,
        "the slider grew the thumbnails: {start} → {sized}"
    );
    // By accessibility action: the choice may sit below the fold of the side panel.
    h.get_by_role_and_label(Role::RadioButton, "Large")
        .click_accesskit();
    h.run_steps(2);
    assert_eq!(
        h.state().state.export.pair_size,
        facesorter_core::export::PairSize::Large
    );
    h.state_mut().save_settings();
    drop(h);

    let mut h = harness_at([1280.0, 800.0], first, Some(settings));
    assert_eq!(h.state().state.results.thumb_size(), sized);
    assert_eq!(
        h.state().state.export.pair_size,
        facesorter_core::export::PairSize::Large
    );
    wait_for(&mut h, "indexing and the probe", TIMEOUT, ranked);
    h.run_steps(2);
    assert!(
        h.get_by_role_and_label(Role::RadioButton, "Large")
            .accesskit_node()
            .toggled()
            .is_some_and(|t| t == egui::accesskit::Toggled::True),
        "the panel shows Large chosen"
    );
}

#[test]
fn a_gallery_or_probe_opened_without_a_model_says_it_waits() {
    let missing = EngineOptions {
        recognizer: Some(ModelSpec::Path(PathBuf::from("/nonexistent/model.onnx"))),
        ..EngineOptions::default()
    };
    let size = [720.0, 480.0];
    let mut h = harness_at(
        size,
        Launch {
            engine: Some(missing),
            probes: vec![shared("faces/deepface/img1.jpg")],
            ephemeral: true,
            people: false,
            threshold: None,
            ..Launch::default()
        },
        None,
    );
    for _ in 0..500 {
        h.step();
        if !matches!(
            h.state().state.engine.status,
            facesorter_app::EngineStatus::Starting
        ) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(matches!(
        h.state().state.engine.status,
        facesorter_app::EngineStatus::Failed(_)
    ));
    h.run_steps(1);
    h.get_by_label_contains("the probe photo will be analysed once a model is loaded — Settings");
    let gallery = shared("faces/deepface");
    h.get_by_role_and_label(Role::TextInput, "Gallery folder:")
        .focus();
    h.run_steps(1);
    h.get_by_role_and_label(Role::TextInput, "Gallery folder:")
        .type_text(&gallery.display().to_string());
    h.run_steps(1);
    h.get_by_label("Open").click();
    h.run_steps(2);
    h.get_by_label_contains(
        "will be indexed and the probe photo analysed once a model is loaded — Settings",
    );
    assert_eq!(h.state().state.gallery.pending(), Some(gallery.as_path()));
    assert_bars_fit(&h, size, "with the notice");
    // Its Settings button leads there.
    h.get_all_by_label("Settings…")
        .next()
        .expect("a Settings… button")
        .click();
    h.run_steps(2);
    assert_eq!(
        h.state().state.dialogs.screen,
        facesorter_app::Screen::Settings
    );
}

#[test]
fn the_status_bar_and_the_gallery_view_count_alike_while_indexing() {
    // Its own folder (links), so no cache of another test makes indexing instant.
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(shared("faces/deepface")).expect("deepface") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|x| x == "jpg" || x == "png") {
            let name = path.file_name().expect("name");
            std::os::unix::fs::symlink(&path, dir.path().join(name)).expect("symlink");
        }
    }
    let mut h = harness_at([1280.0, 800.0], launch(Some(dir.path()), &[]), None);
    wait_for(&mut h, "a few photos indexed", TIMEOUT, |app| {
        app.state
            .gallery
            .gallery
            .as_ref()
            .is_some_and(|g| g.indexing() && g.progress.photos_done >= 2)
    });
    // The frame just drawn shows these figures.
    let p = h
        .state()
        .state
        .gallery
        .gallery
        .as_ref()
        .expect("gallery")
        .progress
        .clone();
    let figures = format!(
        "{} of {} photos read, {} faces",
        p.photos_done, p.photos_total, p.faces_found
    );
    let showing: Vec<_> = h
        .query_all_by_label_contains(&figures)
        .map(|n| format!("{:?}", n.accesskit_node().role()))
        .collect();
    assert_eq!(
        showing.len(),
        2,
        "the status bar and the gallery view both say {figures:?}: {showing:?}"
    );
    assert!(
        showing.contains(&"ProgressIndicator".to_string()),
        "{showing:?}"
    );
    assert!(
        h.query_by_label_contains("could not be read").is_none(),
        "no second, lagging count while indexing"
    );
    h.get_by_label("Cancel indexing").click();
    wait_for(&mut h, "the cancelled run", TIMEOUT, |app| {
        !app.state.indexing()
    });
}
