//! The People view driven as a user would (egui_kittest) with the real recognizer
//! (FaceNet from ../shared/models with its custom flags) on the bbt faces of
//! ../shared/faces (copied into a scratch gallery per test, so each test has its own
//! people file): the view lists the persons the engine reports; a rename survives a
//! restart; "Not this person" holds after clustering again; a merge leaves one person
//! with both sets of faces; sorting writes the folders. The slowest frame while
//! clustering is printed, not asserted.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use facesorter_app::parts::people::PeopleCommand;
use facesorter_app::{FaceSorterApp, Launch};
use facesorter_core::engine::EngineOptions;
use facesorter_core::models::{ColorOrder, ModelSpec, RecognizerOverrides};
use facesorter_core::people::worker::PeopleSnapshot;
use facesorter_core::people::{ClusterParams, PeopleSession, PeopleStore, PersonId, PersonView};

use common::{engine_options, harness, shared, wait_for};

const TIMEOUT: Duration = Duration::from_secs(600);

/// FaceNet with the flags ../shared/README.md gives it.
fn facenet() -> EngineOptions {
    EngineOptions {
        recognizer: Some(ModelSpec::Path(shared("models/facenet_casia_112.onnx"))),
        recognizer_overrides: RecognizerOverrides {
            color_order: Some(ColorOrder::Rgb),
            mean: Some([0.0; 3]),
            std: Some([1.0; 3]),
            ..RecognizerOverrides::default()
        },
        ..engine_options()
    }
}

/// The bbt faces (8 people, 5 photos each) copied into `root`.
fn bbt_gallery(root: &Path) {
    for person in std::fs::read_dir(shared("faces/bbt")).expect("bbt") {
        let person = person.expect("entry").path();
        let dest = root.join(person.file_name().expect("name"));
        std::fs::create_dir_all(&dest).expect("mkdir");
        for photo in std::fs::read_dir(&person).expect("person") {
            let photo = photo.expect("entry").path();
            std::fs::copy(&photo, dest.join(photo.file_name().expect("name"))).expect("copy");
        }
    }
}

fn people_launch(gallery: &Path) -> Launch {
    Launch {
        engine: Some(facenet()),
        gallery: Some(gallery.to_path_buf()),
        probes: Vec::new(),
        ephemeral: true,
        people: true,
        threshold: Some(0.45),
    }
}

fn snapshot(h: &Harness<'static, FaceSorterApp>) -> Arc<PeopleSnapshot> {
    h.state()
        .state
        .people
        .snapshot
        .clone()
        .expect("a people snapshot")
}

/// Waits until the whole album's people are shown and the worker is idle.
fn wait_for_people(h: &mut Harness<'static, FaceSorterApp>) -> Arc<PeopleSnapshot> {
    wait_for(h, "the people", TIMEOUT, |app| {
        let p = &app.state.people;
        !app.state.gallery.indexing()
            && !p.busy()
            && p.snapshot.as_ref().is_some_and(|s| !s.preview)
    });
    h.run_steps(3);
    if let Some(e) = &h.state().state.people.error {
        panic!("the People view shows an error: {e}");
    }
    snapshot(h)
}

/// Waits for a snapshot newer than `after` (a correction was made).
fn wait_for_change(h: &mut Harness<'static, FaceSorterApp>, after: u64) -> Arc<PeopleSnapshot> {
    wait_for(h, "the correction", TIMEOUT, |app| {
        let p = &app.state.people;
        !p.busy() && p.snapshot.as_ref().is_some_and(|s| s.generation > after)
    });
    h.run_steps(3);
    if let Some(e) = &h.state().state.people.error {
        panic!("the correction failed: {e}");
    }
    snapshot(h)
}

fn faces_of(p: &PersonView) -> BTreeSet<String> {
    p.faces
        .iter()
        .map(|f| format!("{}#{}", f.key.photo.to_string_lossy(), f.key.index))
        .collect()
}

fn card_label(p: &PersonView) -> String {
    let name = p.name.clone().unwrap_or_else(|| "Unnamed".into());
    let photos = if p.photos == 1 {
        "1 photo".to_string()
    } else {
        format!("{} photos", p.photos)
    };
    format!("{name}, person {}: {photos}", p.id)
}

fn print_frames(h: &Harness<'static, FaceSorterApp>, what: &str) {
    let f = h.state().state.frames;
    println!(
        "{what}: slowest frame while clustering {:.1} ms over {} frames (slowest overall {:.1} ms)",
        f.worst_while_clustering.as_secs_f64() * 1000.0,
        f.frames_while_clustering,
        f.worst.as_secs_f64() * 1000.0
    );
}

#[test]
fn the_people_view_lists_the_persons_the_engine_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gallery = dir.path().join("bbt");
    bbt_gallery(&gallery);
    let mut h = harness(people_launch(&gallery));
    let shown = wait_for_people(&mut h);
    print_frames(&h, "first clustering");

    // The engine's persons for the same album, opened directly in a store of its own.
    let engine = h.state().state.engine.ready().cloned().expect("engine");
    let album = Arc::clone(&shown.album);
    let fp = engine.fingerprint(album.dim()).expect("fingerprint");
    let direct = PeopleSession::open(
        &PeopleStore::at(dir.path().join("direct")),
        &gallery,
        album,
        &fp,
        ClusterParams::for_threshold(0.45),
    )
    .expect("open")
    .session;
    let expected: Vec<BTreeSet<String>> = direct.persons().iter().map(faces_of).collect();
    let listed: Vec<BTreeSet<String>> = shown.persons.iter().map(faces_of).collect();
    assert_eq!(listed, expected, "the view's persons are the engine's");
    assert!(
        shown.persons.len() >= 6,
        "eight people of five photos each: {} persons",
        shown.persons.len()
    );
    // A card per person, largest first.
    for p in &shown.persons {
        assert!(
            h.query_by_label(&card_label(p)).is_some(),
            "no card {}",
            card_label(p)
        );
    }
    let tops: Vec<f32> = shown
        .persons
        .iter()
        .map(|p| h.get_by_label(&card_label(p)).rect().top())
        .collect();
    assert!(
        tops.windows(2).all(|w| w[0] <= w[1]),
        "largest first: {tops:?}"
    );

    // The filter keeps the names that match.
    h.get_by_role_and_label(Role::TextInput, "Filter people by name")
        .focus();
    h.run_steps(1);
    h.get_by_role_and_label(Role::TextInput, "Filter people by name")
        .type_text("nobody-has-this-name");
    h.run_steps(3);
    assert!(h
        .query_by_label_contains("No person's name matches")
        .is_some());

    // A person's page: their faces, least certain last.
    h.get_by_role_and_label(Role::TextInput, "Filter people by name")
        .focus();
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.key_press(Key::Backspace);
    h.run_steps(3);
    assert_eq!(h.state().state.people.filter, "");
    // Out of the field: the keys go to the grid again.
    h.key_press(Key::Escape);
    h.run_steps(1);
    let first = &shown.persons[0];
    h.get_by_label(&card_label(first)).click();
    h.run_steps(3);
    assert!(h.query_by_label("Find this person").is_some());
    assert_eq!(
        h.query_all_by_label_contains("Not this person, face")
            .count(),
        first.faces.len()
    );
    let scores: Vec<f32> = first
        .faces
        .iter()
        .filter(|f| !f.confirmed)
        .map(|f| f.score)
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    // Enter on a face opens its photo; Escape goes back, twice to the grid.
    h.key_press(Key::ArrowRight);
    h.key_press(Key::Enter);
    h.run_steps(3);
    assert!(h.state().state.people.photo_open);
    assert!(h.query_by_label("Back (Esc)").is_some());
    h.key_press(Key::Escape);
    h.run_steps(2);
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert!(h.query_by_label(&card_label(first)).is_some());

    // Find this person: Find opens with their faces as the probe.
    h.get_by_label(&card_label(first)).click();
    h.run_steps(3);
    h.get_by_label("Find this person").click();
    h.run_steps(5);
    let state = &h.state().state;
    assert!(state.probes.person.is_some());
    assert!(
        state.results.has_ranking(),
        "Find ranks the album for the person"
    );
    assert!(state.results.shown_len() >= first.faces.len().min(3));
}

#[test]
fn a_rename_survives_a_restart_and_undo_takes_it_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gallery = dir.path().join("bbt");
    bbt_gallery(&gallery);
    let mut h = harness(people_launch(&gallery));
    let shown = wait_for_people(&mut h);
    let target = shown.persons[1].clone();

    // Click on the name, type, Enter.
    h.get_by_label(&card_label(&target)).click();
    h.run_steps(3);
    h.get_by_label("Rename Unnamed").click();
    h.run_steps(3);
    h.get_by_role_and_label(Role::TextInput, "Name")
        .type_text("Anna");
    h.run_steps(1);
    h.key_press(Key::Enter);
    h.run_steps(2);
    let named = wait_for_change(&mut h, shown.generation);
    assert_eq!(
        named.person(target.id).and_then(|p| p.name.as_deref()),
        Some("Anna")
    );
    assert!(h.query_by_label_contains("Anna").is_some());

    // Ctrl+Z takes it back; F2 on the page names it again.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    let undone = wait_for_change(&mut h, named.generation);
    assert_eq!(undone.person(target.id).and_then(|p| p.name.clone()), None);
    h.key_press(Key::F2);
    h.run_steps(3);
    h.get_by_role_and_label(Role::TextInput, "Name")
        .type_text("Anna");
    h.key_press(Key::Enter);
    let named = wait_for_change(&mut h, undone.generation);
    assert_eq!(
        named.person(target.id).and_then(|p| p.name.as_deref()),
        Some("Anna")
    );
    drop(h);

    // A new window on the same gallery: the name is there.
    let mut h = harness(people_launch(&gallery));
    let again = wait_for_people(&mut h);
    let anna = again.person(target.id).expect("the same person");
    assert_eq!(anna.name.as_deref(), Some("Anna"));
    assert_eq!(faces_of(anna), faces_of(&target));
    assert!(h.query_by_label(&card_label(anna)).is_some());
}

#[test]
fn not_this_person_holds_after_clustering_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gallery = dir.path().join("bbt");
    bbt_gallery(&gallery);
    let mut h = harness(people_launch(&gallery));
    let shown = wait_for_people(&mut h);
    let person = shown.persons[0].clone();
    // The most certain face: clustering alone would put it back.
    let face = person.faces[0].key.clone();

    h.get_by_label(&card_label(&person)).click();
    h.run_steps(3);
    h.get_by_label("Not this person, face 1").click();
    let after = wait_for_change(&mut h, shown.generation);
    let holds = |s: &PeopleSnapshot| {
        s.person(person.id)
            .is_some_and(|p| p.faces.iter().any(|f| f.key == face))
    };
    assert!(!holds(&after), "the face left the person");
    assert_eq!(
        after.person(person.id).map(|p| p.faces.len()),
        Some(person.faces.len() - 1)
    );

    h.key_press(Key::Escape);
    h.run_steps(2);
    h.get_by_label("Cluster again").click();
    let again = wait_for_change(&mut h, after.generation);
    print_frames(&h, "clustering again");
    assert!(again.person(person.id).is_some(), "the person keeps its id");
    assert!(!holds(&again), "the face stays out after clustering again");
}

#[test]
fn merging_two_persons_leaves_one_with_both_sets_of_faces() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gallery = dir.path().join("bbt");
    bbt_gallery(&gallery);
    let mut h = harness(people_launch(&gallery));
    let shown = wait_for_people(&mut h);
    let (a, b) = (shown.persons[0].clone(), shown.persons[1].clone());

    h.get_by_label(&card_label(&a))
        .click_modifiers(Modifiers::COMMAND);
    h.run_steps(2);
    h.get_by_label(&card_label(&b))
        .click_modifiers(Modifiers::COMMAND);
    h.run_steps(2);
    assert_eq!(
        h.state().state.people.selected,
        BTreeSet::from([a.id, b.id])
    );
    h.get_by_label("Merge (2)").click();
    let merged = wait_for_change(&mut h, shown.generation);
    let survivor = merged.person(a.id).expect("the largest keeps its id");
    let both: BTreeSet<String> = faces_of(&a).union(&faces_of(&b)).cloned().collect();
    assert_eq!(faces_of(survivor), both);
    assert!(merged.person(b.id).is_none());
    assert_eq!(merged.persons.len(), shown.persons.len() - 1);
    assert!(h.query_by_label(&card_label(survivor)).is_some());

    // Split… proposes the two apart again; OK applies it.
    h.get_by_label(&card_label(survivor)).click();
    h.run_steps(3);
    h.get_by_label("Split…").click();
    wait_for(&mut h, "the split proposal", TIMEOUT, |app| {
        app.state.people.split.is_some()
    });
    h.run_steps(2);
    let parts = h.state().state.people.split.clone().expect("split").1;
    assert!(parts.len() >= 2, "the merged pair splits apart");
    h.get_by_label("OK, split").click();
    let split = wait_for_change(&mut h, merged.generation);
    assert_eq!(split.persons.len(), merged.persons.len() + parts.len() - 1);
    let ids: Vec<PersonId> = split.persons.iter().map(|p| p.id).collect();
    assert!(ids.contains(&a.id));
}

#[test]
fn sorting_writes_a_folder_per_person() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gallery = dir.path().join("bbt");
    bbt_gallery(&gallery);
    let out: PathBuf = dir.path().join("sorted");
    let mut h = harness(people_launch(&gallery));
    let shown = wait_for_people(&mut h);

    h.get_by_label("Sort album into folders…").click();
    h.run_steps(3);
    // The folder as the Choose… dialog would give it.
    h.state_mut()
        .state
        .people
        .apply(PeopleCommand::SetSortFolder(out.clone()));
    h.run_steps(2);
    h.get_by_label("Copies").click();
    h.run_steps(2);
    h.get_by_label("Sort").click();
    wait_for(&mut h, "the sort", TIMEOUT, |app| {
        app.state.people.sort.result.is_some() && !app.state.people.sort.running()
    });
    h.run_steps(2);
    let summary = match &h.state().state.people.sort.result {
        Some(Ok(s)) => s.clone(),
        other => panic!("the sort failed: {other:?}"),
    };
    assert!(h.query_by_label("Open the folder").is_some());
    let person_folders: Vec<_> = summary
        .folders
        .iter()
        .filter(|f| f.person.is_some())
        .collect();
    assert_eq!(person_folders.len(), shown.persons.len());
    for person in &shown.persons {
        let folder = person_folders
            .iter()
            .find(|f| f.person == Some(person.id))
            .expect("a folder for every person");
        let files = std::fs::read_dir(&folder.path).expect("folder").count();
        assert_eq!(files, person.photos, "{}", folder.path.display());
    }
    assert_eq!(summary.copied, summary.written());
}
