//! `people::sort` on real photos: temp copies of a few `../shared` photos form the gallery,
//! persons are given by hand (clustering is tested elsewhere), and the output is checked on
//! disk — hard links, copies, symbolic links, names, the second run, stale files and
//! pruning — with the originals hashed before and after.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use facesorter_core::people::sort::{
    sort_album, LinkMode, SortError, SortOptions, SortPerson, SortPhoto, SortPlan, MANIFEST_FILE,
};
use facesorter_core::people::PersonId;
use sha2::{Digest, Sha256};

fn sha(path: &Path) -> [u8; 32] {
    Sha256::digest(fs::read(path).expect("read photo")).into()
}

/// A temp gallery of copies of shared photos: `a.jpg`, `b.jpg`, `group.jpg`, `lone.jpg`,
/// and `x/a.jpg` (another photo with `a.jpg`'s name).
struct Gallery {
    dir: tempfile::TempDir,
}

impl Gallery {
    fn new_in(parent: Option<&Path>) -> Self {
        let dir = match parent {
            Some(p) => tempfile::tempdir_in(p),
            None => tempfile::tempdir(),
        }
        .expect("tempdir");
        let src = common::shared("faces/deepface");
        fs::create_dir(dir.path().join("x")).expect("subfolder");
        for (from, to) in [
            ("img1.jpg", "a.jpg"),
            ("img2.jpg", "b.jpg"),
            ("couple.jpg", "group.jpg"),
            ("img3.jpg", "lone.jpg"),
            ("img5.jpg", "x/a.jpg"),
        ] {
            fs::copy(src.join(from), dir.path().join(to)).expect("copy a shared photo");
        }
        Self { dir }
    }

    fn new() -> Self {
        Self::new_in(None)
    }

    fn photo(&self, rel: &str) -> SortPhoto {
        let path = self.dir.path().join(rel);
        SortPhoto {
            sha256: sha(&path),
            path,
        }
    }

    /// Alice in a, group, x/a; Bob in b and group; Carol (unnamed) only in lone.
    fn plan(&self) -> SortPlan {
        SortPlan {
            gallery: self.dir.path().to_path_buf(),
            persons: vec![
                SortPerson {
                    id: PersonId(1),
                    name: Some("Alice".into()),
                    photos: vec![
                        self.photo("a.jpg"),
                        self.photo("group.jpg"),
                        self.photo("x/a.jpg"),
                    ],
                },
                SortPerson {
                    id: PersonId(2),
                    name: Some("Bob".into()),
                    photos: vec![
                        self.photo("group.jpg"),
                        self.photo("b.jpg"),
                        self.photo("b.jpg"),
                    ],
                },
                SortPerson {
                    id: PersonId(7),
                    name: None,
                    photos: vec![self.photo("lone.jpg")],
                },
            ],
            unsorted: Vec::new(),
        }
    }

    /// Every file of the gallery and its hash.
    fn hashes(&self) -> BTreeMap<PathBuf, [u8; 32]> {
        let mut out = BTreeMap::new();
        for rel in ["a.jpg", "b.jpg", "group.jpg", "lone.jpg", "x/a.jpg"] {
            let p = self.dir.path().join(rel);
            out.insert(p.clone(), sha(&p));
        }
        out
    }
}

fn run(
    out: &Path,
    plan: &SortPlan,
    options: SortOptions,
) -> facesorter_core::people::sort::SortSummary {
    sort_album(out, plan, &options, &AtomicBool::new(false)).expect("sort")
}

/// Every file under `dir` (relative path → bytes hash), hidden files included.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Option<[u8; 32]>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Option<[u8; 32]>>) {
        for entry in fs::read_dir(dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            let meta = fs::symlink_metadata(&path).expect("metadata");
            let rel = path.strip_prefix(root).expect("under root").to_path_buf();
            if meta.is_dir() {
                walk(root, &path, out);
            } else {
                out.insert(rel, fs::read(&path).ok().map(|b| Sha256::digest(b).into()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[cfg(unix)]
fn inode(path: &Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let m = fs::metadata(path).expect("metadata");
    (m.dev(), m.ino())
}

#[cfg(unix)]
#[test]
fn hard_links_by_default_one_folder_per_person_group_photo_in_each() {
    let gallery = Gallery::new();
    let before = gallery.hashes();
    let out = tempfile::tempdir().expect("out");
    let plan = gallery.plan();
    let summary = run(out.path(), &plan, SortOptions::default());
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    let folders: Vec<&str> = summary.folders.iter().map(|f| f.folder.as_str()).collect();
    assert_eq!(folders, ["Alice", "Bob", "person-7"]);

    let alice = out.path().join("Alice");
    // x/a.jpg is another photo with a.jpg's name: it gets a number, nothing is replaced.
    assert_eq!(
        inode(&alice.join("a.jpg")),
        inode(&gallery.dir.path().join("a.jpg"))
    );
    assert_eq!(
        inode(&alice.join("a (2).jpg")),
        inode(&gallery.dir.path().join("x/a.jpg"))
    );
    assert_eq!(
        inode(&alice.join("group.jpg")),
        inode(&gallery.dir.path().join("group.jpg"))
    );
    let bob = out.path().join("Bob");
    assert_eq!(
        inode(&bob.join("group.jpg")),
        inode(&gallery.dir.path().join("group.jpg"))
    );
    assert!(bob.join("b.jpg").is_file());
    assert!(
        !bob.join("b (2).jpg").exists(),
        "a photo listed twice is written once"
    );
    assert!(out.path().join("person-7/lone.jpg").is_file());
    assert_eq!(
        (summary.linked, summary.copied, summary.symlinked),
        (6, 0, 0)
    );
    assert_eq!(summary.written(), 6);
    assert!(out.path().join(MANIFEST_FILE).is_file());
    assert_eq!(gallery.hashes(), before, "originals byte-identical");
}

#[cfg(unix)]
#[test]
fn copy_mode_writes_independent_files_with_the_same_bytes() {
    let gallery = Gallery::new();
    let out = tempfile::tempdir().expect("out");
    let options = SortOptions {
        link: LinkMode::Copy,
        ..SortOptions::default()
    };
    let summary = run(out.path(), &gallery.plan(), options);
    assert_eq!((summary.linked, summary.copied), (0, 6));
    let copy = out.path().join("Alice/group.jpg");
    let original = gallery.dir.path().join("group.jpg");
    assert_ne!(inode(&copy), inode(&original), "a copy, not a link");
    assert_eq!(sha(&copy), sha(&original));
}

/// A hard link across file systems fails (EXDEV): sort copies instead. Needs a second
/// file system for temp files; /dev/shm (tmpfs) is one on most Linux machines.
#[cfg(unix)]
#[test]
fn hard_link_across_file_systems_falls_back_to_a_copy() {
    let shm = Path::new("/dev/shm");
    let out = tempfile::tempdir().expect("out");
    if !shm.is_dir() || inode(shm).0 == inode(out.path()).0 {
        eprintln!("skipped: /dev/shm is not a second file system here");
        return;
    }
    let gallery = Gallery::new_in(Some(shm));
    let before = gallery.hashes();
    let summary = run(out.path(), &gallery.plan(), SortOptions::default());
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    assert_eq!((summary.linked, summary.copied), (0, 6));
    let copy = out.path().join("Bob/b.jpg");
    assert_eq!(sha(&copy), sha(&gallery.dir.path().join("b.jpg")));
    assert_eq!(gallery.hashes(), before);
    // The second run recognises the copies as its own.
    let again = run(out.path(), &gallery.plan(), SortOptions::default());
    assert_eq!((again.written(), again.existing), (0, 6));
}

#[cfg(unix)]
#[test]
fn symbolic_links_lead_to_the_originals() {
    let gallery = Gallery::new();
    let out = tempfile::tempdir().expect("out");
    let options = SortOptions {
        link: LinkMode::Symbolic,
        ..SortOptions::default()
    };
    let summary = run(out.path(), &gallery.plan(), options);
    assert_eq!(summary.symlinked, 6);
    let link = out.path().join("Bob/group.jpg");
    assert!(fs::symlink_metadata(&link)
        .expect("link")
        .file_type()
        .is_symlink());
    assert_eq!(
        fs::read_link(&link).expect("read_link"),
        gallery.dir.path().join("group.jpg")
    );
    let again = run(out.path(), &gallery.plan(), options);
    assert_eq!((again.written(), again.existing), (0, 6));
}

#[cfg(unix)]
#[test]
fn never_overwrites_and_never_writes_into_a_folder_of_the_users() {
    let gallery = Gallery::new();
    let before = gallery.hashes();
    let out = tempfile::tempdir().expect("out");
    // The user's own folder named like a person, with a file named like a photo.
    fs::create_dir(out.path().join("Alice")).expect("user folder");
    fs::write(out.path().join("Alice/a.jpg"), b"the user's file").expect("user file");
    let summary = run(out.path(), &gallery.plan(), SortOptions::default());
    assert_eq!(summary.folders[0].folder, "Alice (2)");
    assert_eq!(
        fs::read(out.path().join("Alice/a.jpg")).expect("read"),
        b"the user's file"
    );
    assert_eq!(
        fs::read_dir(out.path().join("Alice")).expect("dir").count(),
        1
    );
    assert!(out.path().join("Alice (2)/a.jpg").is_file());

    // A file the user put into sort's folder under a photo's name is kept: the photo
    // gets the next name.
    fs::write(out.path().join("Bob/lone.jpg"), b"mine").expect("user file");
    let mut plan = gallery.plan();
    plan.persons[1].photos.push(gallery.photo("lone.jpg"));
    let summary = run(out.path(), &plan, SortOptions::default());
    assert_eq!(summary.written(), 1);
    assert_eq!(
        fs::read(out.path().join("Bob/lone.jpg")).expect("read"),
        b"mine"
    );
    assert_eq!(
        inode(&out.path().join("Bob/lone (2).jpg")),
        inode(&gallery.dir.path().join("lone.jpg"))
    );
    assert_eq!(gallery.hashes(), before);
}

#[test]
fn a_second_run_writes_nothing() {
    let gallery = Gallery::new();
    let out = tempfile::tempdir().expect("out");
    let options = SortOptions {
        unsorted: true,
        ..SortOptions::default()
    };
    let mut plan = gallery.plan();
    plan.unsorted = vec![gallery.photo("lone.jpg")];
    let first = run(out.path(), &plan, options);
    assert_eq!(first.written(), 7);
    assert!(out.path().join("unsorted/lone.jpg").is_file());
    let files = tree(out.path());
    let manifest_time = fs::metadata(out.path().join(MANIFEST_FILE))
        .and_then(|m| m.modified())
        .expect("mtime");
    let second = run(out.path(), &plan, options);
    assert_eq!(second.written(), 0);
    assert_eq!(second.existing, 7);
    assert!(second.stale.is_empty() && second.pruned.is_empty());
    assert_eq!(tree(out.path()), files, "nothing added, removed or changed");
    let manifest_again = fs::metadata(out.path().join(MANIFEST_FILE))
        .and_then(|m| m.modified())
        .expect("mtime");
    assert_eq!(
        manifest_time, manifest_again,
        "the record is not even rewritten"
    );

    // Without --unsorted the unsorted folder of the first run is left as it is.
    let plain = run(out.path(), &plan, SortOptions::default());
    assert_eq!((plain.written(), plain.existing), (0, 6));
    assert!(plain.stale.is_empty(), "{:?}", plain.stale);
    assert_eq!(tree(out.path()), files);

    // A new photo of Bob's is the only thing the next run writes.
    plan.persons[1].photos.push(gallery.photo("a.jpg"));
    let third = run(out.path(), &plan, options);
    assert_eq!((third.written(), third.existing), (1, 7));
    assert!(out.path().join("Bob/a.jpg").is_file());
}

#[cfg(unix)]
#[test]
fn stale_files_are_reported_and_prune_removes_only_sorts_own() {
    let gallery = Gallery::new();
    let before = gallery.hashes();
    let out = tempfile::tempdir().expect("out");
    let mut plan = gallery.plan();
    run(out.path(), &plan, SortOptions::default());
    fs::write(out.path().join("Alice/notes.txt"), b"the user's").expect("user file");

    // group.jpg leaves Alice; Carol (person 7) is gone.
    plan.persons[0]
        .photos
        .retain(|p| !p.path.ends_with("group.jpg"));
    plan.persons.pop();
    let second = run(out.path(), &plan, SortOptions::default());
    let mut stale = second.stale.clone();
    stale.sort();
    assert_eq!(
        stale,
        [
            out.path().join("Alice/group.jpg"),
            out.path().join("person-7/lone.jpg")
        ]
    );
    assert!(
        out.path().join("Alice/group.jpg").exists(),
        "reported, not removed"
    );
    assert_eq!(second.written(), 0);

    let prune = SortOptions {
        prune: true,
        ..SortOptions::default()
    };
    let third = run(out.path(), &plan, prune);
    let mut pruned = third.pruned.clone();
    pruned.sort();
    assert_eq!(pruned, stale);
    assert!(!out.path().join("Alice/group.jpg").exists());
    assert!(
        !out.path().join("person-7").exists(),
        "an emptied folder of sort's goes"
    );
    assert!(
        out.path().join("Bob/group.jpg").exists(),
        "Bob still has it"
    );
    assert_eq!(
        fs::read(out.path().join("Alice/notes.txt")).expect("read"),
        b"the user's"
    );
    assert_eq!(gallery.hashes(), before, "originals byte-identical");

    let fourth = run(out.path(), &plan, prune);
    assert!(fourth.stale.is_empty() && fourth.pruned.is_empty() && fourth.written() == 0);
}

#[test]
fn min_photos_and_a_renamed_person() {
    let gallery = Gallery::new();
    let out = tempfile::tempdir().expect("out");
    let options = SortOptions {
        min_photos: 2,
        ..SortOptions::default()
    };
    let mut plan = gallery.plan();
    let summary = run(out.path(), &plan, options);
    assert_eq!(summary.skipped_persons, 1);
    assert!(!out.path().join("person-7").exists());

    // A renamed person gets a folder with the new name; the old one's files are stale.
    plan.persons[1].name = Some("Robert".into());
    let renamed = run(out.path(), &plan, options);
    assert_eq!(renamed.folders[1].folder, "Robert");
    assert_eq!(renamed.folders[1].written, 2);
    assert_eq!(renamed.stale.len(), 2);
}

#[test]
fn a_damaged_record_stops_the_run_and_the_gallery_is_refused_as_output() {
    let gallery = Gallery::new();
    let out = tempfile::tempdir().expect("out");
    fs::write(out.path().join(MANIFEST_FILE), b"{not json").expect("damage");
    let err = sort_album(
        out.path(),
        &gallery.plan(),
        &SortOptions::default(),
        &AtomicBool::new(false),
    )
    .expect_err("damaged record");
    assert!(matches!(err, SortError::DamagedManifest { .. }), "{err}");
    assert_eq!(
        fs::read_dir(out.path()).expect("dir").count(),
        1,
        "nothing written"
    );

    let err = sort_album(
        gallery.dir.path(),
        &gallery.plan(),
        &SortOptions::default(),
        &AtomicBool::new(false),
    )
    .expect_err("the gallery itself");
    assert!(matches!(err, SortError::OutIsGallery { .. }), "{err}");
}

/// A run killed before it saved its record leaves files the record does not list: the
/// next run recognises them (same file as the original) instead of writing them again.
#[test]
fn files_of_a_run_that_could_not_record_them_are_recognised() {
    let gallery = Gallery::new();
    let out = tempfile::tempdir().expect("out");
    let first = run(out.path(), &gallery.plan(), SortOptions::default());
    assert_eq!(first.written(), 6);
    let record = out.path().join(MANIFEST_FILE);
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(&record).expect("read record")).expect("record is JSON");
    manifest["files"] = serde_json::json!([]);
    fs::write(&record, serde_json::to_vec(&manifest).expect("json")).expect("write record");

    let files = tree(out.path());
    let second = run(out.path(), &gallery.plan(), SortOptions::default());
    assert_eq!((second.written(), second.existing), (0, 6));
    let third = run(out.path(), &gallery.plan(), SortOptions::default());
    assert_eq!((third.written(), third.existing), (0, 6));
    let mut after = tree(out.path());
    let mut before = files;
    // Only the record differs (it lists the files again).
    after.remove(Path::new(MANIFEST_FILE));
    before.remove(Path::new(MANIFEST_FILE));
    assert_eq!(after, before);
}
