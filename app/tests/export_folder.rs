//! Exports from the window never mix: exporting twice into the same folder puts the second
//! export into a new subfolder, and the status names the folder and files actually written.
//! Opening the export folder where no program can be started shows the path and the error;
//! so does opening the folder of an unreadable gallery photo.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use facesorter_app::FaceSorterApp;
use facesorter_core::export::ExportSummary;

use common::{harness, launch, shared, wait_for};

const TIMEOUT: Duration = Duration::from_secs(600);

/// Small deepface photos (quick to index and to draw as pairs); the first is the probe.
const PHOTOS: [&str; 4] = ["img17.jpg", "img12.jpg", "img16.jpg", "img25.jpg"];

fn gallery_copy(dir: &Path) {
    std::fs::create_dir_all(dir).expect("mkdir");
    for name in PHOTOS {
        std::fs::copy(shared("faces/deepface").join(name), dir.join(name)).expect("copy");
    }
}

/// Clicks "Export N matches" and waits for the export to finish.
fn export(h: &mut Harness<'static, FaceSorterApp>) -> ExportSummary {
    let shown = h.state().state.results.shown_len();
    // By accessibility action: the button may sit below the fold of the side panel.
    h.get_by_label(&format!("Export {shown} matches"))
        .click_accesskit();
    h.run_steps(1);
    wait_for(h, "the export", TIMEOUT, |app| {
        !app.state.export.running() && app.state.export.outcome.is_some()
    });
    match h.state().state.export.outcome.clone() {
        Some(Ok(summary)) => summary,
        other => panic!("export failed: {:?}", other.map(|r| r.err())),
    }
}

/// No program can be started by this test process: neither `xdg-open` nor the `sh` that
/// runs the copy of it `opener` carries. Set once, first thing in each test, before any
/// thread of theirs starts (the harness).
fn no_programs() {
    static EMPTY: OnceLock<tempfile::TempDir> = OnceLock::new();
    EMPTY.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        unsafe { std::env::set_var("PATH", dir.path()) };
        dir
    });
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_second_export_goes_into_a_subfolder_the_status_names_and_open_failures_show() {
    no_programs();

    let tmp = tempfile::tempdir().expect("tempdir");
    let gallery = tmp.path().join("gallery");
    gallery_copy(&gallery);
    let probe = gallery.join(PHOTOS[0]);
    let mut h = harness(launch(Some(&gallery), std::slice::from_ref(&probe)));
    wait_for(&mut h, "indexing and the probe", TIMEOUT, |app| {
        let s = &app.state;
        !s.indexing() && s.results.has_ranking() && !s.results.partial()
    });
    assert!(
        h.state().state.results.shown_len() > 0,
        "the probe finds itself"
    );

    // A long path (no spaces): shown in full it would be far wider than the side panel.
    let dir = tmp
        .path()
        .join("pairs-exported-for-the-person-we-are-looking-for".repeat(3))
        .join("export");
    let field = h.get_by_role_and_label(Role::TextInput, "Export folder:");
    // The field spans the panel: its right edge follows the panel's width.
    let panel_edge = field.rect().right();
    field.focus();
    h.run_steps(1);
    h.get_by_role_and_label(Role::TextInput, "Export folder:")
        .type_text(&dir.display().to_string());
    h.run_steps(1);
    // Large pairs, chosen in the panel.
    h.get_by_role_and_label(Role::RadioButton, "Large").click();
    h.run_steps(2);

    // First export: the folder does not exist, so it is written as it is.
    let first = export(&mut h);
    assert_eq!(first.folder, dir);
    assert_eq!(first.subfolder_of, None);
    let first_names = names_in(&dir);
    assert!(
        first_names.contains(&"matches.csv".to_string()),
        "{first_names:?}"
    );
    let pair = first
        .written
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "jpg"))
        .expect("a pair image");
    let height = image::image_dimensions(pair).expect("pair size").1;
    assert_eq!(height, 2 * 464, "the Large choice reached the export");
    h.get_by_label(&dir.display().to_string());

    // Second export into the same folder: a new subfolder, named after the probe, holding
    // the same layout; the first export untouched.
    let second = export(&mut h);
    assert_eq!(second.subfolder_of.as_deref(), Some(dir.as_path()));
    let sub: PathBuf = second.folder.clone();
    assert_eq!(sub.parent(), Some(dir.as_path()));
    let sub_name = sub
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(sub_name.starts_with("img17-"), "{sub_name}");
    let mut expected = names_in(&dir);
    expected.retain(|n| *n != sub_name);
    assert_eq!(
        expected, first_names,
        "nothing added beside the first export"
    );
    assert_eq!(
        names_in(&sub),
        first_names,
        "the same layout, no numbered names"
    );
    // The status names the files and the folder actually written.
    h.get_by_label_contains(&format!("Wrote {} into:", second.files_text()));
    assert!(second.files_text().contains("matches.csv, matches.json"));
    h.get_by_label(&sub.display().to_string());
    h.get_by_label_contains("A new folder, since");
    // None of it widened the side panel.
    let field = h.get_by_role_and_label(Role::TextInput, "Export folder:");
    assert!(
        (field.rect().right() - panel_edge).abs() < 1.0,
        "the panel widened: {panel_edge} -> {}",
        field.rect().right()
    );
    let folder_label = h.get_by_label(&sub.display().to_string()).rect();
    assert!(
        folder_label.right() <= panel_edge + 80.0,
        "the folder label runs past the panel: {folder_label:?}"
    );

    // Opening it fails here: the window says so, with the path.
    h.get_by_label("Open the export folder").click_accesskit();
    h.run_steps(2);
    let error = h
        .state()
        .state
        .export
        .open_error
        .clone()
        .expect("an open error");
    assert!(
        error.contains(&sub.display().to_string()),
        "the error names the folder: {error}"
    );
    h.get_by_label_contains(&format!("Could not open {}", sub.display()));
    let field = h.get_by_role_and_label(Role::TextInput, "Export folder:");
    assert!(
        (field.rect().right() - panel_edge).abs() < 1.0,
        "the error widened the panel"
    );
}

#[test]
fn opening_the_folder_of_an_unreadable_photo_shows_the_path_and_the_error() {
    no_programs();
    let tmp = tempfile::tempdir().expect("tempdir");
    let gallery = tmp.path().join("gallery");
    gallery_copy(&gallery);
    std::fs::write(gallery.join("broken.jpg"), b"not a jpeg at all").expect("broken photo");
    let mut h = harness(launch(Some(&gallery), &[]));
    wait_for(&mut h, "indexing", TIMEOUT, |app| {
        let g = &app.state.gallery;
        g.gallery.as_ref().is_some_and(|g| g.summary.is_some()) && !g.indexing()
    });
    h.run_steps(2);
    h.get_by_label_contains("Unreadable photos (1)");
    // The unreadable photo's link opens its folder: it cannot here, and the window says so.
    h.get_all_by_role(Role::Link)
        .find(|n| {
            n.accesskit_node()
                .label()
                .is_some_and(|l| l.contains("broken.jpg"))
        })
        .expect("the unreadable photo's link")
        .click_accesskit();
    h.run_steps(2);
    let error = h
        .state()
        .state
        .gallery
        .gallery
        .as_ref()
        .and_then(|g| g.open_error.clone())
        .expect("an open error");
    let expected = format!("Could not open {}", gallery.display());
    assert!(error.starts_with(&expected), "{error}");
    h.get_by_label_contains(&expected);
}
