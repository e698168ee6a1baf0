//! The people workflow on its own thread (what the window drives), on real faces
//! (FaceNet, a real recognizer, on ../shared/faces/bbt read in place): it reports the
//! persons the session reports, corrections are saved and undone, a preview never writes
//! the people file, suggestions only name persons that did not reject the face, and
//! sorting writes the folders.

mod common;

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use common::shared;
use facesorter_core::engine::FaceEngine;
use facesorter_core::gallery::{Album, Fingerprint, GalleryCache};
use facesorter_core::index::{index_gallery, IndexOptions};
use facesorter_core::people::sort::SortOptions;
use facesorter_core::people::worker::{
    Correction, PeopleConfig, PeopleEvent, PeopleRequest, PeopleSnapshot, PeopleWorker,
};
use facesorter_core::people::{ClusterParams, PeopleSession, PeopleStore, PersonView};
use facesorter_core::runtime::{Precision, ProviderRequest};

const TIMEOUT: Duration = Duration::from_secs(300);

fn facenet() -> Arc<FaceEngine> {
    static ENGINE: OnceLock<Arc<FaceEngine>> = OnceLock::new();
    Arc::clone(ENGINE.get_or_init(|| {
        Arc::new(common::facenet::open(
            ProviderRequest {
                precision: Some(Precision::Fp32),
                ..ProviderRequest::default()
            },
            None,
        ))
    }))
}

fn params() -> ClusterParams {
    ClusterParams::for_threshold(0.45)
}

fn index(root: &Path, cache: &GalleryCache) -> (Arc<Album>, Fingerprint) {
    let engine = facenet();
    let outcome = index_gallery(
        &engine,
        root,
        Some(cache),
        &IndexOptions::default(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .expect("index");
    (outcome.album, engine.fingerprint(512).expect("fingerprint"))
}

/// Waits for the next snapshot (failing on a failure event); other events are returned.
fn next_snapshot(worker: &PeopleWorker, seen: &mut Vec<PeopleEvent>) -> Arc<PeopleSnapshot> {
    let start = Instant::now();
    loop {
        let (events, stopped) = worker.drain();
        for e in events {
            match e {
                PeopleEvent::Ready(s) => return s,
                PeopleEvent::Failed(m) => panic!("the worker failed: {m}"),
                other => seen.push(other),
            }
        }
        assert!(!stopped, "the worker stopped");
        assert!(start.elapsed() < TIMEOUT, "no snapshot in {TIMEOUT:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn next_event(worker: &PeopleWorker, want: impl Fn(&PeopleEvent) -> bool) -> PeopleEvent {
    let start = Instant::now();
    loop {
        for e in worker.drain().0 {
            if want(&e) {
                return e;
            }
        }
        assert!(start.elapsed() < TIMEOUT, "no such event in {TIMEOUT:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn summary(persons: &[PersonView]) -> Vec<(u32, Vec<String>)> {
    persons
        .iter()
        .map(|p| {
            let mut faces: Vec<String> = p
                .faces
                .iter()
                .map(|f| format!("{}#{}", f.key.photo.to_string_lossy(), f.key.index))
                .collect();
            faces.sort();
            (p.id.0, faces)
        })
        .collect()
}

#[test]
fn the_worker_reports_the_sessions_persons_and_undoes_corrections() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = shared("faces/bbt");
    let cache = GalleryCache::new(dir.path().join("cache"));
    let (album, fp) = index(&root, &cache);
    let store = PeopleStore::at(dir.path().join("people"));
    let config = PeopleConfig {
        store: store.clone(),
        root: root.clone(),
        model: fp.clone(),
        params: params(),
    };

    // A preview clusters without writing the people file.
    let worker = PeopleWorker::spawn(config, || {}).expect("spawn");
    let mut seen = Vec::new();
    worker.send(PeopleRequest::Preview(Arc::clone(&album)));
    let preview = next_snapshot(&worker, &mut seen);
    assert!(preview.preview);
    assert!(!preview.persons.is_empty());
    assert!(
        !store.path_for(&root).exists(),
        "a preview never writes the people file"
    );
    // Corrections wait for the whole album.
    worker.send(PeopleRequest::Correct(Correction::Name {
        id: preview.persons[0].id,
        name: "Early".into(),
    }));
    match next_event(&worker, |e| matches!(e, PeopleEvent::Failed(_))) {
        PeopleEvent::Failed(m) => assert!(m.contains("preview"), "{m}"),
        _ => unreachable!(),
    }

    worker.send(PeopleRequest::Open(Arc::clone(&album)));
    let opened = next_snapshot(&worker, &mut seen);
    assert!(!opened.preview);
    assert!(opened.file.is_file(), "the people file is written");
    // The same persons as the session opened directly (in a store of its own).
    let direct = PeopleSession::open(
        &PeopleStore::at(dir.path().join("direct")),
        &root,
        Arc::clone(&album),
        &fp,
        params(),
    )
    .expect("open")
    .session;
    assert_eq!(summary(&opened.persons), summary(&direct.persons()));
    assert!(
        opened.persons.len() >= 6,
        "eight people of five photos each: {:?}",
        summary(&opened.persons)
    );
    assert_eq!(opened.undo, None);

    // Rename, then take a face out of the largest person: both saved at once.
    let big = opened.persons[0].clone();
    worker.send(PeopleRequest::Correct(Correction::Name {
        id: big.id,
        name: "Anna".into(),
    }));
    let named = next_snapshot(&worker, &mut seen);
    assert_eq!(
        named.person(big.id).and_then(|p| p.name.as_deref()),
        Some("Anna")
    );
    assert_eq!(named.undo.as_deref(), Some("rename"));
    let out = big.faces.last().expect("a face").key.clone();
    worker.send(PeopleRequest::Correct(Correction::Reject {
        id: big.id,
        faces: vec![out.clone()],
    }));
    let rejected = next_snapshot(&worker, &mut seen);
    let holds = |s: &PeopleSnapshot| {
        s.person(big.id)
            .is_some_and(|p| p.faces.iter().any(|f| f.key == out))
    };
    assert!(!holds(&rejected), "the rejected face left the person");
    assert_eq!(rejected.changed.first(), Some(&big.id));
    // Suggestions are unsorted faces, never for a person that rejected them.
    for s in &rejected.suggestions {
        for f in &s.faces {
            assert!(rejected.unsorted.iter().any(|u| u.key == f.key));
            assert!(!(s.person == big.id && f.key == out), "suggested back");
        }
    }
    let on_disk = PeopleSession::open(&store, &root, Arc::clone(&album), &fp, params())
        .expect("reopen")
        .session;
    let p = on_disk.person(big.id).expect("person");
    assert_eq!(p.name.as_deref(), Some("Anna"));
    assert!(!p.faces.iter().any(|f| f.key == out), "saved at once");
    drop(on_disk);

    // Undo brings the face back, then the name goes.
    worker.send(PeopleRequest::Undo);
    let undone = next_snapshot(&worker, &mut seen);
    assert!(holds(&undone), "undo put the face back");
    assert_eq!(undone.undo.as_deref(), Some("rename"));
    worker.send(PeopleRequest::Undo);
    let undone = next_snapshot(&worker, &mut seen);
    assert_eq!(undone.person(big.id).and_then(|p| p.name.clone()), None);
    assert_eq!(summary(&undone.persons), summary(&opened.persons));
    worker.send(PeopleRequest::Undo);
    match next_event(&worker, |e| matches!(e, PeopleEvent::Failed(_))) {
        PeopleEvent::Failed(m) => assert!(m.contains("nothing to undo"), "{m}"),
        _ => unreachable!(),
    }
    let reopened = PeopleSession::open(&store, &root, Arc::clone(&album), &fp, params())
        .expect("reopen")
        .session;
    assert_eq!(summary(&reopened.persons()), summary(&opened.persons));
    drop(reopened);

    // Merge the two largest; split proposes parts; sort writes a folder per person.
    let (a, b) = (opened.persons[0].clone(), opened.persons[1].clone());
    worker.send(PeopleRequest::Correct(Correction::Merge {
        into: a.id,
        others: vec![b.id],
    }));
    let merged = next_snapshot(&worker, &mut seen);
    let m = merged.person(a.id).expect("survivor");
    assert_eq!(m.faces.len(), a.faces.len() + b.faces.len());
    assert!(merged.person(b.id).is_none());
    worker.send(PeopleRequest::ProposeSplit(a.id));
    match next_event(&worker, |e| matches!(e, PeopleEvent::Split { .. })) {
        PeopleEvent::Split { id, parts } => {
            assert_eq!(id, a.id);
            assert!(parts.len() >= 2, "two people merged split apart again");
        }
        _ => unreachable!(),
    }

    let out_dir = dir.path().join("sorted");
    worker.send(PeopleRequest::Sort {
        out: out_dir.clone(),
        options: SortOptions::default(),
        cancel: Arc::new(AtomicBool::new(false)),
    });
    match next_event(&worker, |e| matches!(e, PeopleEvent::Sorted(_))) {
        PeopleEvent::Sorted(Ok(summary)) => {
            assert_eq!(summary.folders.len(), merged.persons.len());
            for f in &summary.folders {
                let files = std::fs::read_dir(&f.path).expect("folder").count();
                assert_eq!(files, f.photos, "{}", f.path.display());
            }
        }
        other => panic!("{other:?}"),
    }
    worker.shutdown();
}
