//! The people file on disk: it round-trips, is written atomically with the previous good
//! copy kept, a damaged file is reported, kept aside and replaced by the last good copy,
//! and a file from a newer FaceSorter is refused and left alone.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use common::{copy_photos, shared};
use facesorter_core::engine::EngineOptions;
use facesorter_core::gallery::{Album, Fingerprint, GalleryCache};
use facesorter_core::index::{index_gallery, IndexOptions};
use facesorter_core::people::file::{PersonRecord, PEOPLE_FILE_VERSION};
use facesorter_core::people::{
    ClusterParams, FaceAnchor, PeopleError, PeopleFile, PeopleSession, PeopleStore,
};
use facesorter_core::search::FaceKey;

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read store dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The small demo gallery (3 photos) indexed with the synthetic IR-18: enough for file
/// mechanics, which do not depend on who is who.
fn demo_gallery(dir: &Path) -> (PathBuf, Arc<Album>, Fingerprint) {
    let root = dir.join("gallery");
    assert_eq!(copy_photos(&shared("faces/adaface_demo"), &root), 3);
    let engine = common::face_engine::open(EngineOptions::default());
    let cache = GalleryCache::new(dir.join("cache"));
    let outcome = index_gallery(
        &engine,
        &root,
        Some(&cache),
        &IndexOptions::default(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .expect("index");
    let fingerprint = engine.fingerprint(512).expect("fingerprint");
    assert!(outcome.album.face_count() >= 3, "a face per demo photo");
    (root, outcome.album, fingerprint)
}

fn params() -> ClusterParams {
    ClusterParams::for_threshold(0.3)
}

/// Every face's key, in album order.
fn keys(album: &Album) -> Vec<FaceKey> {
    (0..album.face_count())
        .map(|f| FaceKey::of(album, f).expect("key"))
        .collect()
}

#[test]
fn a_people_file_round_trips_and_each_save_keeps_the_previous_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = PeopleStore::at(dir.path().join("people"));
    let root = dir.path().join("gallery");
    std::fs::create_dir_all(&root).expect("mkdir");

    let mut first = PeopleFile::default();
    let id = first.fresh_id();
    first.persons.push(PersonRecord {
        id,
        name: Some("Zoë \"Z\" Ångström".into()),
        hidden: true,
        confirmed: vec![FaceAnchor {
            photo: [0xab; 32],
            face_box: [10.5, 20.25, 110.0, 140.0],
        }],
        ..PersonRecord::default()
    });
    store.save(&root, &first).expect("first save");
    let loaded = store.load(&root).expect("load");
    assert!(loaded.existed && loaded.notices.is_empty());
    assert_eq!(loaded.file, first);

    let mut second = first.clone();
    second.persons[0].name = Some("Zoe".into());
    store.save(&root, &second).expect("second save");
    assert_eq!(store.load(&root).expect("load").file, second);
    // The previous good copy is kept beside it, and no temp file is left behind.
    let backup = std::fs::read_to_string(store.backup_path_for(&root)).expect("backup");
    assert_eq!(PeopleFile::parse(&backup).expect("backup parses"), first);
    let main_name = store
        .path_for(&root)
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert_eq!(
        files_in(store.dir()),
        vec![main_name.clone(), format!("{main_name}.bak")]
    );
    // The file says which format it is and where the gallery is kept.
    let text = std::fs::read_to_string(store.path_for(&root)).expect("main");
    let value: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(value["version"], PEOPLE_FILE_VERSION);
}

#[test]
fn a_damaged_file_is_reported_kept_aside_and_the_last_good_copy_used() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (root, album, fingerprint) = demo_gallery(dir.path());
    let store = PeopleStore::at(dir.path().join("people"));
    let faces = keys(&album);
    {
        let mut session = PeopleSession::open(&store, &root, album.clone(), &fingerprint, params())
            .expect("open")
            .session;
        session.ignore(&faces[..1]).expect("ignore the first face");
        session
            .ignore(&faces[1..2])
            .expect("ignore the second face");
        let ignored: Vec<usize> = (0..album.face_count())
            .filter(|f| !in_view(&session, *f))
            .collect();
        assert_eq!(ignored, vec![0, 1]);
    }
    let main = store.path_for(&root);
    let good = std::fs::read(&main).expect("main");
    let damaged = &good[..good.len() / 2];
    std::fs::write(&main, damaged).expect("damage the file");

    let opened = PeopleSession::open(&store, &root, album.clone(), &fingerprint, params())
        .expect("open a damaged file");
    let said = opened.notices.join("\n");
    assert!(
        said.contains(&main.display().to_string()) && said.contains("damaged"),
        "the notice names the file and says what is wrong: {said}"
    );
    assert!(said.contains("last good copy"), "{said}");
    // The last good copy is the state before the last change: the first face ignored,
    // the second not.
    let session = opened.session;
    assert!(
        !in_view(&session, 0),
        "the backup's ignored face stays ignored"
    );
    assert!(in_view(&session, 1), "the lost last change is not invented");
    // The damaged file is kept aside, byte for byte.
    let aside: Vec<String> = files_in(store.dir())
        .into_iter()
        .filter(|n| n.contains(".damaged-"))
        .collect();
    assert_eq!(aside.len(), 1, "{:?}", files_in(store.dir()));
    assert_eq!(
        std::fs::read(store.dir().join(&aside[0])).expect("aside"),
        damaged
    );
    assert!(PeopleFile::parse(&std::fs::read_to_string(&main).expect("main")).is_ok());
}

#[test]
fn a_damaged_file_without_a_good_copy_is_reported_and_both_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (root, album, fingerprint) = demo_gallery(dir.path());
    let store = PeopleStore::at(dir.path().join("people"));
    std::fs::create_dir_all(store.dir()).expect("mkdir");
    std::fs::write(store.path_for(&root), "{\"version\": 1, \"persons\": [").expect("main");
    std::fs::write(store.backup_path_for(&root), "not json").expect("backup");
    let opened = PeopleSession::open(&store, &root, album, &fingerprint, params()).expect("open");
    let said = opened.notices.join("\n");
    assert!(
        said.contains("damaged") && said.contains("starting a new"),
        "{said}"
    );
    let aside = files_in(store.dir())
        .into_iter()
        .filter(|n| n.contains(".damaged-"))
        .count();
    assert_eq!(aside, 2, "both damaged files are kept");
}

#[test]
fn a_file_from_a_newer_facesorter_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (root, album, fingerprint) = demo_gallery(dir.path());
    let store = PeopleStore::at(dir.path().join("people"));
    std::fs::create_dir_all(store.dir()).expect("mkdir");
    let text = format!(
        "{{\"version\": {}, \"persons\": [], \"something_new\": true}}",
        PEOPLE_FILE_VERSION + 1
    );
    std::fs::write(store.path_for(&root), &text).expect("write");
    let before = files_in(store.dir());
    let err = PeopleSession::open(&store, &root, album, &fingerprint, params())
        .expect_err("a newer format is refused");
    assert!(matches!(err, PeopleError::FutureVersion { .. }), "{err}");
    assert!(err.to_string().contains("newer"), "{err}");
    assert_eq!(
        std::fs::read_to_string(store.path_for(&root)).expect("file"),
        text
    );
    assert_eq!(files_in(store.dir()), before, "nothing moved or added");
}

#[test]
fn the_data_folder_holds_people_files_and_the_variable_moves_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = PeopleStore::default_location_from(Some(dir.path())).expect("override");
    assert_eq!(store.dir(), dir.path());
    if let Some(default) = PeopleStore::default_location_from(None) {
        let data = facesorter_core::dirs::project_dirs()
            .expect("dirs")
            .data_dir()
            .join("people");
        assert_eq!(default.dir(), data);
    }
    // One file per gallery folder, the same for two spellings of one folder.
    let a = dir.path().join("a");
    std::fs::create_dir_all(&a).expect("mkdir");
    assert_eq!(store.path_for(&a), store.path_for(&a.join(".")));
    assert_ne!(store.path_for(&a), store.path_for(dir.path()));
}

/// Whether album face `f` is shown anywhere (a person, hidden or not, or unsorted).
fn in_view(session: &PeopleSession, f: usize) -> bool {
    session
        .persons()
        .iter()
        .chain(session.hidden_persons().iter())
        .any(|p| p.faces.iter().any(|v| v.face == f))
        || session.unsorted().iter().any(|v| v.face == f)
}
