//! The people workflow on real faces (FaceNet, a real recognizer): every correction holds
//! after adding photos, renaming them, indexing again and clustering again; names and ids
//! survive; a model change clusters again and finds the corrected faces by box overlap;
//! refused corrections change nothing; a moved gallery gets its people back.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

use common::shared;
use facesorter_core::engine::{EngineOptions, FaceEngine};
use facesorter_core::gallery::{Album, Fingerprint, GalleryCache};
use facesorter_core::index::{index_gallery, IndexOptions};
use facesorter_core::people::{
    ClusterParams, PeopleError, PeopleSession, PeopleStore, PersonId, PersonView,
};
use facesorter_core::runtime::{Precision, ProviderRequest};
use facesorter_core::search::FaceKey;

/// FaceNet as `../shared/README.md` configures it, in fp32 so runs agree bit for bit.
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

fn index(engine: &FaceEngine, root: &Path, cache: &GalleryCache) -> (Arc<Album>, Fingerprint) {
    let outcome = index_gallery(
        engine,
        root,
        Some(cache),
        &IndexOptions::default(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .expect("index");
    assert!(
        outcome.summary.failures.is_empty(),
        "{:?}",
        outcome.summary.failures
    );
    (outcome.album, engine.fingerprint(512).expect("fingerprint"))
}

/// The bbt crops (8 people), `per_person` of each (the first by name), into `root`.
fn bbt_gallery(root: &Path, range: std::ops::Range<usize>) -> usize {
    let mut n = 0;
    for person in std::fs::read_dir(shared("faces/bbt")).expect("bbt") {
        let person = person.expect("entry").path();
        let mut photos: Vec<PathBuf> = std::fs::read_dir(&person)
            .expect("person")
            .map(|e| e.expect("entry").path())
            .collect();
        photos.sort();
        let dest = root.join(person.file_name().expect("name"));
        std::fs::create_dir_all(&dest).expect("mkdir");
        for photo in &photos[range.clone()] {
            std::fs::copy(photo, dest.join(photo.file_name().expect("name"))).expect("copy");
            n += 1;
        }
    }
    n
}

/// A face named by its photo's path under the gallery (as the user would write it).
fn key(path: &str) -> FaceKey {
    FaceKey {
        photo: path.into(),
        index: 0,
    }
}

fn all_persons(s: &PeopleSession) -> Vec<PersonView> {
    let mut all = s.persons();
    all.extend(s.hidden_persons());
    all
}

/// Who holds each face, by photo path and index (`None`: unsorted); ignored faces absent.
fn holders(s: &PeopleSession) -> BTreeMap<FaceKey, Option<PersonId>> {
    let mut out = BTreeMap::new();
    for p in all_persons(s) {
        for f in &p.faces {
            assert!(
                out.insert(f.key.clone(), Some(p.id)).is_none(),
                "{:?} is in two persons",
                f.key
            );
        }
    }
    for f in s.unsorted() {
        assert!(
            out.insert(f.key.clone(), None).is_none(),
            "{:?} is both placed and unsorted",
            f.key
        );
    }
    out
}

/// What the user said in the big scenario, and checks that all of it still holds.
struct Said {
    named: PersonId,
    confirmed: String,
    rejected: String,
    ignored: String,
    merged_away: PersonId,
    survivor: PersonId,
    hidden: PersonId,
}

impl Said {
    fn holds(&self, s: &PeopleSession, renamed: &BTreeMap<String, String>, when: &str) {
        let now = |p: &String| renamed.get(p).cloned().unwrap_or_else(|| p.clone());
        let who = holders(s);
        let named = s
            .person(self.named)
            .unwrap_or_else(|| panic!("{when}: named person gone"));
        assert_eq!(named.id, self.named, "{when}");
        assert_eq!(
            named.name.as_deref(),
            Some("Alpha"),
            "{when}: the name stays"
        );
        let confirmed = named
            .faces
            .iter()
            .find(|f| f.key == key(&now(&self.confirmed)))
            .unwrap_or_else(|| panic!("{when}: the confirmed face left its person"));
        assert!(confirmed.confirmed && confirmed.score == 1.0, "{when}");
        assert_eq!(
            named.cover.key, confirmed.key,
            "{when}: a confirmed face is the cover"
        );
        assert_ne!(
            who.get(&key(&now(&self.rejected))),
            Some(&Some(self.named)),
            "{when}: a rejected face came back to the person"
        );
        assert!(
            who.contains_key(&key(&now(&self.rejected))),
            "{when}: the rejected face is still shown somewhere"
        );
        assert!(
            !who.contains_key(&key(&now(&self.ignored))),
            "{when}: an ignored face is shown"
        );
        assert_eq!(
            s.person(self.merged_away).map(|p| p.id),
            Some(self.survivor),
            "{when}: a merged-away id names the survivor"
        );
        assert!(
            s.hidden_persons().iter().any(|p| p.id == self.hidden),
            "{when}: the hidden person stays hidden"
        );
        assert!(s.persons().iter().all(|p| p.id != self.hidden), "{when}");
        // Every face of the album is shown exactly once, except the ignored one.
        assert_eq!(who.len(), s.album().face_count() - 1, "{when}");
        // No person holds two faces of one photo (the bbt crops hold one face each, so
        // check the photos).
        for p in all_persons(s) {
            let photos: HashSet<_> = p.faces.iter().map(|f| f.key.photo.clone()).collect();
            assert_eq!(photos.len(), p.faces.len(), "{when}: person {}", p.id);
            assert_eq!(p.photos, photos.len(), "{when}");
        }
    }
}

fn path_of(f: &FaceKey) -> String {
    Path::new(&f.photo).to_string_lossy().into_owned()
}

#[test]
fn corrections_names_and_ids_survive_new_photos_renames_reindexing_and_reclustering() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("gallery");
    assert_eq!(bbt_gallery(&root, 0..4), 32);
    let cache = GalleryCache::new(dir.path().join("cache"));
    let store = PeopleStore::at(dir.path().join("people"));
    let engine = facenet();
    let (album, fp) = index(&engine, &root, &cache);

    let opened = PeopleSession::open(&store, &root, album, &fp, params()).expect("open");
    assert!(opened.notices.is_empty(), "{:?}", opened.notices);
    let mut s = opened.session;
    let persons = s.persons();
    assert!(
        persons.len() >= 5 && persons[..5].iter().all(|p| p.faces.len() >= 2),
        "eight people of four photos each give at least five persons: {:?}",
        persons.iter().map(|p| p.faces.len()).collect::<Vec<_>>()
    );
    let (a, b, c, d, e) = (
        &persons[0],
        &persons[1],
        &persons[2],
        &persons[3],
        &persons[4],
    );

    let changed = s.name(a.id, "  Alpha ").expect("name");
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].name.as_deref(), Some("Alpha"));

    // One of a's less certain faces confirmed: it stays in a and becomes its cover.
    let confirmed = a.faces[1].key.clone();
    let changed = s
        .confirm(a.id, std::slice::from_ref(&confirmed))
        .expect("confirm");
    let ids: Vec<PersonId> = changed.iter().map(|p| p.id).collect();
    assert_eq!(ids, vec![a.id]);
    // Another of a's faces rejected (clustering alone would put it back), one of c's
    // ignored.
    let rejected = a.faces.last().expect("face").key.clone();
    s.reject(a.id, std::slice::from_ref(&rejected))
        .expect("reject");
    let ignored = c.faces.last().expect("face").key.clone();
    s.ignore(std::slice::from_ref(&ignored)).expect("ignore");
    // e merged into d; b hidden.
    let changed = s.merge(d.id, &[e.id]).expect("merge");
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].id, d.id);
    assert_eq!(changed[0].faces.len(), d.faces.len() + e.faces.len());
    s.hide(b.id, true).expect("hide");

    let said = Said {
        named: a.id,
        confirmed: path_of(&confirmed),
        rejected: path_of(&rejected),
        ignored: path_of(&ignored),
        merged_away: e.id,
        survivor: d.id,
        hidden: b.id,
    };
    let none = BTreeMap::new();
    said.holds(&s, &none, "after the corrections");
    let before = holders(&s);
    drop(s);

    // The same album again: nothing moves.
    let (album, fp) = index(&engine, &root, &cache);
    let opened = PeopleSession::open(&store, &root, album, &fp, params()).expect("reopen");
    assert!(opened.notices.is_empty(), "{:?}", opened.notices);
    assert_eq!(
        holders(&opened.session),
        before,
        "reopening changes nothing"
    );
    drop(opened);

    // New photos (the fifth of each person), and the confirmed and rejected photos
    // renamed and moved to another folder.
    assert_eq!(bbt_gallery(&root, 4..5), 8);
    let mut renamed = BTreeMap::new();
    std::fs::create_dir_all(root.join("moved")).expect("mkdir");
    for (i, old) in [&said.confirmed, &said.rejected].into_iter().enumerate() {
        let new = format!("moved/renamed-{i}.png");
        std::fs::rename(root.join(old), root.join(&new)).expect("rename");
        renamed.insert(old.clone(), new);
    }
    let (album, fp) = index(&engine, &root, &cache);
    assert_eq!(album.photos().len(), 40);
    let opened = PeopleSession::open(&store, &root, album, &fp, params()).expect("reopen");
    assert!(opened.notices.is_empty(), "{:?}", opened.notices);
    let mut s = opened.session;
    said.holds(&s, &renamed, "after adding and renaming photos");
    // The faces that were placed keep their person (the renamed ones under their new
    // name): new photos are attached, not a reason to cluster again. (Unsorted faces
    // may find a person among the new photos.)
    let now = holders(&s);
    for (k, who) in before.iter().filter(|(_, who)| who.is_some()) {
        let k = renamed
            .get(&path_of(k))
            .map_or_else(|| k.clone(), |p| key(p));
        assert_eq!(now.get(&k), Some(who), "{k:?} moved when photos were added");
    }

    // The new photos were attached: none to a person of someone else, most to their own.
    let moved: HashSet<FaceKey> = renamed.values().map(|p| key(p)).collect();
    let added: Vec<&FaceKey> = now
        .keys()
        .filter(|k| !moved.contains(*k) && !before.contains_key(*k))
        .collect();
    assert_eq!(added.len(), 8);
    let mut joined = 0;
    for k in &added {
        let Some(Some(id)) = now.get(*k) else {
            continue;
        };
        let person = s.person(*id).expect("holder");
        let mut count: BTreeMap<String, usize> = BTreeMap::new();
        for f in person.faces.iter().filter(|f| !moved.contains(&f.key)) {
            *count.entry(label(&f.key)).or_default() += 1;
        }
        let majority = count
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(l, _)| l.clone());
        assert_eq!(majority, Some(label(k)), "{k:?} joined someone else");
        joined += 1;
    }
    assert!(
        joined >= 6,
        "only {joined} of 8 new faces found their person"
    );

    s.recluster().expect("recluster");
    said.holds(&s, &renamed, "after clustering again");
    let after = holders(&s);
    drop(s);

    // Indexing once more and reopening reproduces the same people.
    let (album, fp) = index(&engine, &root, &cache);
    let s = PeopleSession::open(&store, &root, album, &fp, params())
        .expect("reopen")
        .session;
    said.holds(&s, &renamed, "after reopening");
    assert_eq!(holders(&s), after);
}

#[test]
fn a_model_change_clusters_again_and_finds_the_corrected_faces_by_box_overlap() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("gallery");
    bbt_gallery(&root, 0..5);
    let cache = GalleryCache::new(dir.path().join("cache"));
    let store = PeopleStore::at(dir.path().join("people"));
    let (album, fp) = index(&facenet(), &root, &cache);
    let mut s = PeopleSession::open(&store, &root, album.clone(), &fp, params())
        .expect("open")
        .session;
    let persons = s.persons();
    assert!(persons.len() >= 2);
    let (a, b) = (&persons[0], &persons[1]);
    s.name(a.id, "Alpha").expect("name");
    let confirmed = b.faces[0].key.clone();
    let rejected = a.faces.last().expect("face").key.clone();
    s.confirm(a.id, std::slice::from_ref(&confirmed))
        .expect("confirm");
    s.reject(a.id, std::slice::from_ref(&rejected))
        .expect("reject");
    drop(s);

    // Another detector would put the boxes a few pixels elsewhere: move every stored box
    // (IoU with the detected one stays above one half) and mark the file as clustered
    // by another model.
    let path = store.path_for(&root);
    let mut file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    fn shift(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::Array(b)) = map.get_mut("box") {
                    for (i, x) in b.iter_mut().enumerate() {
                        let d = if i % 2 == 0 { 6.0 } else { -4.0 };
                        *x = serde_json::json!(x.as_f64().expect("number") + d);
                    }
                }
                map.values_mut().for_each(shift);
            }
            serde_json::Value::Array(list) => list.iter_mut().for_each(shift),
            _ => {}
        }
    }
    shift(&mut file);
    file["model"] = serde_json::json!("another-model");
    std::fs::write(&path, serde_json::to_string(&file).expect("json")).expect("write");

    let opened = PeopleSession::open(&store, &root, album, &fp, params()).expect("reopen");
    assert_eq!(opened.notices.len(), 1, "{:?}", opened.notices);
    assert!(
        opened.notices[0].contains("clustered again"),
        "{:?}",
        opened.notices
    );
    let check = |s: &PeopleSession, when: &str| {
        let alpha = s
            .person(a.id)
            .unwrap_or_else(|| panic!("{when}: person gone"));
        assert_eq!(alpha.name.as_deref(), Some("Alpha"), "{when}");
        assert!(
            alpha
                .faces
                .iter()
                .any(|f| f.key == confirmed && f.confirmed),
            "{when}: the confirmed face is found again"
        );
        assert!(
            alpha.faces.iter().all(|f| f.key != rejected),
            "{when}: the rejected face stays out"
        );
    };
    check(&opened.session, "after the boxes moved");
    drop(opened);

    // A real change of recognizer (the synthetic IR-18: its people are nonsense, but the
    // user's corrections still rule them).
    let synthetic = common::face_engine::open(EngineOptions::default());
    let (album, fp) = index(&synthetic, &root, &cache);
    let opened = PeopleSession::open(&store, &root, album, &fp, params()).expect("reopen");
    assert!(
        opened.notices.iter().any(|n| n.contains("clustered again")),
        "{:?}",
        opened.notices
    );
    check(&opened.session, "after the model changed");
}

#[test]
fn unknown_ids_and_faces_change_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("gallery");
    bbt_gallery(&root, 0..3);
    let cache = GalleryCache::new(dir.path().join("cache"));
    let store = PeopleStore::at(dir.path().join("people"));
    let (album, fp) = index(&facenet(), &root, &cache);
    let mut s = PeopleSession::open(&store, &root, album, &fp, params())
        .expect("open")
        .session;
    let persons = s.persons();
    assert!(persons.len() >= 2);
    let (a, b) = (persons[0].id, persons[1].id);
    let good = persons[1].faces[0].key.clone();
    let bad_photo = key("nobody/here.png");
    let bad_index = FaceKey {
        photo: good.photo.clone(),
        index: 7,
    };
    let unknown = PersonId(9999);
    let file_before = std::fs::read(store.path_for(&root)).expect("file");
    let view_before = (s.persons(), s.hidden_persons(), s.unsorted());

    let attempts: Vec<(&str, Result<Vec<PersonView>, PeopleError>)> = vec![
        ("name", s.name(unknown, "X")),
        ("merge unknown", s.merge(a, &[b, unknown])),
        ("merge itself", s.merge(a, &[a])),
        (
            "confirm unknown person",
            s.confirm(unknown, std::slice::from_ref(&good)),
        ),
        (
            "confirm bad photo",
            s.confirm(a, &[good.clone(), bad_photo.clone()]),
        ),
        (
            "confirm bad index",
            s.confirm(a, &[good.clone(), bad_index.clone()]),
        ),
        (
            "reject bad index",
            s.reject(b, &[good.clone(), bad_index.clone()]),
        ),
        ("ignore", s.ignore(&[good.clone(), bad_photo.clone()])),
        ("hide", s.hide(unknown, true)),
        ("split", s.apply_split(unknown).map(|_| Vec::new())),
    ];
    for (what, result) in attempts {
        let err = result.expect_err(what);
        let text = err.to_string();
        assert!(!text.is_empty() && !text.contains('\n'), "{what}: {text}");
    }
    assert!(s.face(Path::new("nobody/here.png"), 0).is_err());
    assert!(s.face(Path::new(&good.photo), 7).is_err());
    assert_eq!(s.face(Path::new(&good.photo), 0).expect("face"), good);
    assert_eq!((s.persons(), s.hidden_persons(), s.unsorted()), view_before);
    assert_eq!(
        std::fs::read(store.path_for(&root)).expect("file"),
        file_before,
        "the people file is untouched"
    );
}

#[test]
fn a_moved_gallery_gets_its_people_back_with_from() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old_root = dir.path().join("old");
    bbt_gallery(&old_root, 0..3);
    let cache = GalleryCache::new(dir.path().join("cache"));
    let store = PeopleStore::at(dir.path().join("people"));
    let engine = facenet();
    let (album, fp) = index(&engine, &old_root, &cache);
    let mut s = PeopleSession::open(&store, &old_root, album, &fp, params())
        .expect("open")
        .session;
    let a = s.persons()[0].clone();
    s.name(a.id, "Alpha").expect("name");
    let named_faces: Vec<FaceKey> = s
        .person(a.id)
        .expect("a")
        .faces
        .iter()
        .map(|f| f.key.clone())
        .collect();
    drop(s);

    let new_root = dir.path().join("new");
    std::fs::rename(&old_root, &new_root).expect("move the gallery");
    let (album, fp) = index(&engine, &new_root, &cache);
    // Without --from the moved folder is a new gallery.
    let fresh = PeopleSession::open(&store, &new_root, album.clone(), &fp, params())
        .expect("open")
        .session;
    assert!(all_persons(&fresh).iter().all(|p| p.name.is_none()));
    drop(fresh);

    let err = PeopleSession::relocate(&store, &dir.path().join("never"), &new_root)
        .expect_err("no file for a folder never opened");
    assert!(matches!(err, PeopleError::NoPeopleFile { .. }), "{err}");

    PeopleSession::relocate(&store, &old_root, &new_root).expect("relocate");
    let s = PeopleSession::open(&store, &new_root, album, &fp, params())
        .expect("open")
        .session;
    let back = s.person(a.id).expect("the person is back");
    assert_eq!(back.name.as_deref(), Some("Alpha"));
    let faces: Vec<FaceKey> = back.faces.iter().map(|f| f.key.clone()).collect();
    assert_eq!(faces, named_faces);
    // The file the moved folder had meanwhile is kept aside, not deleted.
    let aside = std::fs::read_dir(store.dir())
        .expect("store")
        .filter(|e| {
            e.as_ref()
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .contains(".replaced-")
        })
        .count();
    assert!(aside >= 1);
}

/// Which labelled person (bbt folder) each photo shows.
fn label(f: &FaceKey) -> String {
    path_of(f).split('/').next().expect("folder").to_string()
}

#[test]
fn a_merged_pair_splits_back_and_the_confirmed_part_keeps_the_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("gallery");
    bbt_gallery(&root, 0..4);
    let cache = GalleryCache::new(dir.path().join("cache"));
    let store = PeopleStore::at(dir.path().join("people"));
    let (album, fp) = index(&facenet(), &root, &cache);
    let mut s = PeopleSession::open(&store, &root, album, &fp, params())
        .expect("open")
        .session;
    let persons = s.persons();
    let (a, b) = (persons[0].clone(), persons[1].clone());
    let (la, lb) = (label(&a.faces[0].key), label(&b.faces[0].key));
    assert!(a.faces.iter().all(|f| label(&f.key) == la));
    assert!(b.faces.iter().all(|f| label(&f.key) == lb) && la != lb);
    s.name(b.id, "Beta").expect("name");
    let merged = s.merge(a.id, &[b.id]).expect("merge");
    assert_eq!(
        merged[0].name.as_deref(),
        Some("Beta"),
        "the first name found is kept"
    );
    // Pin one of b's faces, so that part keeps the id.
    s.confirm(a.id, &[b.faces[0].key.clone()]).expect("confirm");
    let file_before = std::fs::read(store.path_for(&root)).expect("file");

    let parts = s.propose_split(a.id).expect("propose");
    assert_eq!(
        std::fs::read(store.path_for(&root)).expect("file"),
        file_before,
        "a proposal changes nothing"
    );
    let labels: Vec<HashSet<String>> = parts
        .iter()
        .map(|p| p.iter().map(|f| label(&f.key)).collect())
        .collect();
    // Stricter cuts may split a person further, but never leave the two together.
    assert!(parts.len() >= 2, "{labels:?}");
    assert!(labels.iter().all(|l| l.len() == 1), "{labels:?}");

    let changed = s.apply_split(a.id).expect("apply");
    assert_eq!(changed.len(), parts.len());
    let kept = s.person(a.id).expect("a keeps its id");
    assert_eq!(kept.name.as_deref(), Some("Beta"));
    assert!(
        kept.faces.iter().all(|f| label(&f.key) == lb),
        "the confirmed part keeps the id"
    );
    assert!(kept
        .faces
        .iter()
        .any(|f| f.key == b.faces[0].key && f.confirmed));
    let newest = persons.iter().map(|p| p.id.0).max().expect("ids");
    let others: Vec<&PersonView> = changed.iter().filter(|p| p.id != a.id).collect();
    assert!(
        others.iter().all(|p| p.id.0 > newest && p.name.is_none()),
        "fresh ids"
    );
    let total: usize = changed.iter().map(|p| p.faces.len()).sum();
    assert_eq!(
        total,
        a.faces.len() + b.faces.len(),
        "every face is in one part"
    );
    assert!(others
        .iter()
        .any(|p| p.faces.iter().all(|f| label(&f.key) == la)));
}

#[test]
fn file_names_and_order_do_not_change_the_people() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = GalleryCache::new(dir.path().join("cache"));
    let one = dir.path().join("one");
    bbt_gallery(&one, 0..3);
    // The same photos under shuffled flat names: the people are the same, by content.
    let two = dir.path().join("two");
    std::fs::create_dir_all(&two).expect("mkdir");
    let mut sources: Vec<PathBuf> = Vec::new();
    for person in std::fs::read_dir(&one).expect("one") {
        for photo in std::fs::read_dir(person.expect("entry").path()).expect("person") {
            sources.push(photo.expect("entry").path());
        }
    }
    sources.sort();
    let mut renamed = BTreeMap::new();
    for (i, src) in sources.iter().enumerate() {
        // Reverse the order and hide the person in the name.
        let name = format!("{:03}.png", sources.len() - i);
        std::fs::copy(src, two.join(&name)).expect("copy");
        renamed.insert(
            src.strip_prefix(&one)
                .expect("under one")
                .to_string_lossy()
                .into_owned(),
            name,
        );
    }
    let engine = facenet();
    let people = |root: &Path, store: &str| {
        let (album, fp) = index(&engine, root, &cache);
        let store = PeopleStore::at(dir.path().join(store));
        let s = PeopleSession::open(&store, root, album, &fp, params())
            .expect("open")
            .session;
        let mut groups: Vec<Vec<String>> = s
            .persons()
            .iter()
            .map(|p| {
                let mut g: Vec<String> = p.faces.iter().map(|f| path_of(&f.key)).collect();
                g.sort();
                g
            })
            .collect();
        groups.push(s.unsorted().iter().map(|f| path_of(&f.key)).collect());
        groups
    };
    let mut first: Vec<Vec<String>> = people(&one, "p1")
        .into_iter()
        .map(|g| {
            let mut g: Vec<String> = g.iter().map(|p| renamed[p].clone()).collect();
            g.sort();
            g
        })
        .collect();
    let mut second = people(&two, "p2");
    first.sort();
    second.sort();
    assert_eq!(first, second);
}
