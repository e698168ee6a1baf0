//! The indexer on real photos from ../shared: counts on reindex, changes, renames,
//! cancel/resume, damaged caches, and self-search.

mod common;

use std::ffi::OsStr;
use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use common::face_engine::{open, shared_engine};
use common::{copy_photos, shared};
use facesorter_core::detect::DetectorParams;
use facesorter_core::engine::{largest_face, EngineOptions, FaceEngine};
use facesorter_core::gallery::{Album, CacheLoad, GalleryCache};
use facesorter_core::index::{
    index_gallery, IndexEvent, IndexJob, IndexOptions, IndexOutcome, IndexPhase,
};
use facesorter_core::search::{Query, RankedMatches};

fn index(engine: &FaceEngine, root: &Path, cache: &GalleryCache) -> IndexOutcome {
    index_gallery(
        engine,
        root,
        Some(cache),
        &IndexOptions::default(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .expect("index")
}

fn counts(o: &IndexOutcome) -> [usize; 7] {
    let s = &o.summary;
    [
        s.added,
        s.updated,
        s.unchanged,
        s.renamed,
        s.removed,
        s.failed,
        s.photos,
    ]
}

/// The faces of the photo at `rel_path`: (box, norm, embedding) each.
fn faces_of(album: &Album, rel_path: impl AsRef<OsStr>) -> Vec<(Vec<u32>, u32, Vec<u32>)> {
    let rel_path = rel_path.as_ref();
    let (i, photo) = album
        .photos()
        .iter()
        .enumerate()
        .find(|(_, p)| p.rel_path == rel_path)
        .unwrap_or_else(|| panic!("{} not in the album", rel_path.display()));
    let first = photo.first_face as usize;
    (first..first + photo.face_count as usize)
        .map(|f| {
            let face = &album.faces()[f];
            assert_eq!(face.photo as usize, i);
            (
                face.face_box.as_array().map(f32::to_bits).to_vec(),
                face.norm.to_bits(),
                album.embedding(f).iter().map(|v| v.to_bits()).collect(),
            )
        })
        .collect()
}

fn sorted_paths(album: &Album) -> Vec<String> {
    let mut p: Vec<_> = album
        .photos()
        .iter()
        .map(|p| p.rel_path.to_string_lossy().into_owned())
        .collect();
    p.sort();
    p
}

#[test]
fn deepface_is_indexed_whole_and_every_photo_finds_itself_first() {
    let engine = shared_engine();
    let gallery = shared("faces/deepface");
    let cache_dir = tempfile::tempdir().expect("tempdir");
    let cache = GalleryCache::new(cache_dir.path());
    let events = Mutex::new(Vec::new());
    let first = index_gallery(
        &engine,
        &gallery,
        Some(&cache),
        &IndexOptions::default(),
        &|e| {
            if let IndexEvent::Progress(p) = e {
                events.lock().expect("lock").push(p);
            }
        },
        &AtomicBool::new(false),
    )
    .expect("index");
    let album = &first.album;
    assert!(album.is_consistent());
    assert_eq!(counts(&first), [64, 0, 0, 0, 0, 0, 64]);
    assert_eq!(album.photos().len(), 64);
    // Multi-face photos give one entry per face.
    assert_eq!(faces_of(album, "couple.jpg").len(), 2);
    assert!(faces_of(album, "selfie-many-people.jpg").len() >= 5);
    assert_eq!(first.summary.faces, album.faces().len());
    assert!(album.faces().len() > 64);
    let progress = events.into_inner().expect("lock");
    let last = progress.last().expect("progress was reported");
    assert_eq!((last.photos_done, last.photos_total), (64, 64));
    assert_eq!(last.faces_found, album.faces().len());
    assert_eq!(last.phase, IndexPhase::Finished);

    // Reopening the unchanged gallery embeds nothing and gives the same album.
    let second = index(&engine, &gallery, &cache);
    assert_eq!(counts(&second), [0, 0, 64, 0, 0, 0, 64]);
    assert_eq!(sorted_paths(&second.album), sorted_paths(album));
    assert_eq!(second.album.embeddings().len(), album.embeddings().len());

    // A fresh engine whose models are only found, not opened (as the CLI's): over the
    // unchanged gallery it finds the same cache (same fingerprint, the embedding width
    // read from the model file) and never opens a model.
    let lazy = common::face_engine::prepare(EngineOptions::default());
    let third = index(&lazy, &gallery, &cache);
    assert_eq!(counts(&third), [0, 0, 64, 0, 0, 0, 64]);
    assert_eq!(
        lazy.recognizer_runtime(),
        None,
        "the recognizer was opened for a gallery with nothing to embed"
    );

    // Every photo queried as its own probe (its largest face) comes back first.
    for photo in album.photos() {
        let path = gallery.join(&photo.rel_path);
        let image = engine.load_photo(&path).expect("load").image;
        let faces = engine.analyze(&image).expect("analyze");
        let probe = largest_face(&faces)
            .map(|i| &faces[i])
            .unwrap_or_else(|| panic!("{} has no face", photo.rel_path.display()));
        let ranked = RankedMatches::compute(&Query::single(&probe.embedding), album).expect("rank");
        let best = ranked.view(album, 0).expect("a match");
        assert_eq!(best.photo.rel_path, photo.rel_path);
        assert!(
            best.score >= 0.99,
            "{}: {}",
            photo.rel_path.display(),
            best.score
        );
    }
}

#[test]
fn changes_renames_and_deletions_are_counted_and_renames_not_embedded_again() {
    let engine = shared_engine();
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("bbt");
    assert_eq!(copy_photos(&shared("faces/bbt"), &root), 40);
    let cache = GalleryCache::new(dir.path().join("cache"));
    let first = index(&engine, &root, &cache);
    assert_eq!(counts(&first), [40, 0, 0, 0, 0, 0, 40]);
    let amy1_faces = faces_of(&first.album, "amy/amy1.png");
    assert_eq!(amy1_faces.len(), 1);

    // Add, modify, delete, rename, and touch one without changing its bytes.
    fs::copy(shared("faces/deepface/couple.jpg"), root.join("new.jpg")).expect("add");
    fs::copy(
        shared("faces/bbt/raj/raj1.png"),
        root.join("penny/penny1.png"),
    )
    .expect("modify");
    fs::remove_file(root.join("howard/howard2.png")).expect("delete");
    fs::create_dir_all(root.join("renamed")).expect("mkdir");
    fs::rename(
        root.join("amy/amy1.png"),
        root.join("renamed/amy-first.png"),
    )
    .expect("rename");
    let touched = root.join("sheldon/sheldon3.png");
    let bytes = fs::read(&touched).expect("read");
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(&touched, bytes).expect("rewrite same bytes");

    let second = index(&engine, &root, &cache);
    // added new.jpg; updated penny1; unchanged 36 + touched sheldon3; renamed amy1.
    assert_eq!(counts(&second), [1, 1, 37, 1, 1, 0, 40]);
    assert_eq!(faces_of(&second.album, "new.jpg").len(), 2);
    // The renamed photo kept its cached faces bit for bit.
    assert_eq!(faces_of(&second.album, "renamed/amy-first.png"), amy1_faces);
    assert!(!sorted_paths(&second.album).contains(&"howard/howard2.png".to_string()));
    // The modified photo now holds raj's face.
    assert_eq!(
        faces_of(&second.album, "penny/penny1.png"),
        faces_of(&second.album, "raj/raj1.png")
    );

    // And the cache file says the same as the result.
    let third = index(&engine, &root, &cache);
    assert_eq!(counts(&third), [0, 0, 40, 0, 0, 0, 40]);
}

#[test]
fn unreadable_photos_are_listed_and_the_rest_indexed() {
    let engine = shared_engine();
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("g");
    copy_photos(&shared("faces/bbt/amy"), &root);
    fs::write(root.join("notes.JPG"), b"not an image at all").expect("write");
    let full = fs::read(shared("faces/deepface/img1.jpg")).expect("read");
    fs::write(root.join("cut.jpg"), &full[..full.len() / 3]).expect("write");
    let cache = GalleryCache::new(dir.path().join("cache"));
    let out = index(&engine, &root, &cache);
    assert_eq!(out.summary.added, 5);
    assert_eq!(out.summary.failed, 2, "{:?}", out.summary.failures);
    let failed: Vec<_> = out
        .summary
        .failures
        .iter()
        .map(|f| {
            f.path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert!(failed.contains(&"notes.JPG".to_string()) && failed.contains(&"cut.jpg".to_string()));
    assert!(out.summary.failures.iter().all(|f| !f.reason.is_empty()));
}

#[test]
fn a_damaged_cache_is_reported_and_rebuilt_with_the_same_result() {
    let engine = shared_engine();
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("g");
    copy_photos(&shared("faces/bbt/leonard"), &root);
    copy_photos(&shared("faces/bbt/penny"), &root.join("p"));
    let cache = GalleryCache::new(dir.path().join("cache"));
    let clean = index(&engine, &root, &cache);
    let file = cache.path_for(&root, &engine.fingerprint(512).expect("fingerprint"));
    let good = fs::read(&file).expect("cache file");

    let truncated = good[..good.len() - 100].to_vec();
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x40;
    for damaged in [truncated, flipped, Vec::new()] {
        fs::write(&file, &damaged).expect("damage");
        assert!(matches!(
            cache.load(&root, &engine.fingerprint(512).expect("fp")),
            CacheLoad::Damaged { .. }
        ));
        let rebuilt = index(&engine, &root, &cache);
        assert!(rebuilt.summary.cache_notice.is_some());
        assert_eq!(rebuilt.summary.added, 10);
        assert_eq!(sorted_paths(&rebuilt.album), sorted_paths(&clean.album));
        for p in clean.album.photos() {
            assert_eq!(
                faces_of(&rebuilt.album, &p.rel_path),
                faces_of(&clean.album, &p.rel_path)
            );
        }
        // The rebuilt file is sound again.
        assert!(matches!(
            cache.load(&root, &engine.fingerprint(512).expect("fp")),
            CacheLoad::Loaded(_)
        ));
    }
}

#[test]
fn cancelling_keeps_finished_work_and_the_next_run_completes_it() {
    let engine = shared_engine();
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("bbt");
    copy_photos(&shared("faces/bbt"), &root);
    let cache = GalleryCache::new(dir.path().join("cache"));
    let cancel = AtomicBool::new(false);
    let options = IndexOptions {
        in_flight: 1,
        ..IndexOptions::default()
    };
    let partial = index_gallery(
        &engine,
        &root,
        Some(&cache),
        &options,
        &|e| {
            if let IndexEvent::Progress(p) = e {
                if p.photos_done >= 8 {
                    cancel.store(true, Ordering::Relaxed);
                }
            }
        },
        &cancel,
    )
    .expect("index");
    assert!(partial.summary.cancelled);
    let done = partial.album.photos().len();
    assert!(
        (8..40).contains(&done),
        "{done} photos before the cancel took effect"
    );
    let rest = index(&engine, &root, &cache);
    assert!(!rest.summary.cancelled);
    assert_eq!(rest.summary.unchanged, done);
    assert_eq!(rest.summary.added, 40 - done);
    let paths = sorted_paths(&rest.album);
    let mut unique = paths.clone();
    unique.dedup();
    assert_eq!((paths.len(), unique.len()), (40, 40));
}

#[test]
fn another_detector_setting_indexes_again_and_never_mixes_caches() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("g");
    copy_photos(&shared("faces/bbt/stuart"), &root);
    let cache = GalleryCache::new(dir.path().join("cache"));
    let default_engine = shared_engine();
    assert_eq!(index(&default_engine, &root, &cache).summary.added, 5);
    let stricter = open(EngineOptions {
        detector_params: DetectorParams {
            score_threshold: 0.7,
            ..DetectorParams::default()
        },
        ..EngineOptions::default()
    });
    assert_eq!(index(&stricter, &root, &cache).summary.added, 5);
    // Both caches live on: going back costs nothing.
    assert_eq!(index(&default_engine, &root, &cache).summary.unchanged, 5);
    assert_eq!(index(&stricter, &root, &cache).summary.unchanged, 5);
}

#[test]
fn a_background_job_reports_progress_snapshots_and_finishes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("g");
    copy_photos(&shared("faces/bbt"), &root);
    let options = IndexOptions {
        snapshots: true,
        snapshot_every: std::time::Duration::ZERO,
        ..IndexOptions::default()
    };
    let job = IndexJob::spawn(
        shared_engine(),
        root,
        Some(GalleryCache::new(dir.path().join("cache"))),
        options,
        || {},
    );
    let (mut progress, mut snapshots) = (0, Vec::new());
    let outcome = loop {
        match job.events().recv().expect("the job ends with Finished") {
            IndexEvent::Progress(_) => progress += 1,
            IndexEvent::Snapshot(album) => snapshots.push(album.photos().len()),
            IndexEvent::Finished(result) => break result.expect("indexed"),
        }
    };
    assert!(progress >= 1);
    assert!(!snapshots.is_empty());
    assert!(snapshots.windows(2).all(|w| w[0] <= w[1]), "{snapshots:?}");
    assert!(snapshots.iter().all(|&n| n <= 40));
    assert_eq!(outcome.album.photos().len(), 40);
    assert!(job.is_finished() || job.events().is_empty());
}

#[test]
fn photos_waiting_for_a_batch_that_never_fills_are_embedded_without_it() {
    // An embedding batch far larger than the gallery: without a time limit every photo
    // would wait for the end, and progress would sit at 0 until then.
    let engine = open(EngineOptions {
        batch: Some(10_000),
        ..EngineOptions::default()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("g");
    copy_photos(&shared("faces/bbt"), &root);
    let options = IndexOptions {
        snapshots: true,
        snapshot_every: std::time::Duration::ZERO,
        embed_after: std::time::Duration::ZERO,
        in_flight: 1,
        ..IndexOptions::default()
    };
    let snapshots = Mutex::new(Vec::new());
    let outcome = index_gallery(
        &engine,
        &root,
        None,
        &options,
        &|e| {
            if let IndexEvent::Snapshot(album) = e {
                snapshots.lock().expect("lock").push(album.photos().len());
            }
        },
        &AtomicBool::new(false),
    )
    .expect("index");
    assert_eq!(outcome.album.photos().len(), 40);
    let partial: Vec<usize> = snapshots
        .into_inner()
        .expect("lock")
        .into_iter()
        .filter(|&n| n < 40)
        .collect();
    assert!(
        partial.len() >= 2,
        "photos were embedded only at the end: snapshots {partial:?}"
    );
}

#[test]
fn a_file_instead_of_a_folder_is_an_error() {
    let engine = shared_engine();
    let err = index_gallery(
        &engine,
        &shared("faces/deepface/img1.jpg"),
        None,
        &IndexOptions::default(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .expect_err("not a folder");
    assert!(err.to_string().contains("not a folder"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_folder_whose_name_is_not_unicode_is_indexed() {
    use std::os::unix::ffi::OsStrExt;
    let engine = shared_engine();
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("g");
    // "café" in Latin-1: not valid UTF-8.
    let folder = OsStr::from_bytes(b"caf\xe9");
    copy_photos(&shared("faces/bbt/amy"), &root.join(folder));
    let cache = GalleryCache::new(dir.path().join("cache"));
    let first = index(&engine, &root, &cache);
    assert_eq!(counts(&first), [5, 0, 0, 0, 0, 0, 5], "{:?}", first.summary);
    let amy1 = OsStr::from_bytes(b"caf\xe9/amy1.png");
    assert_eq!(faces_of(&first.album, amy1).len(), 1);
    assert!(first.album.photos()[0]
        .path_in(&root)
        .starts_with(root.join(folder)));
    // The raw name survives the cache: nothing is analysed again.
    let second = index(&engine, &root, &cache);
    assert_eq!(counts(&second), [0, 0, 5, 0, 0, 0, 5]);
    assert_eq!(faces_of(&second.album, amy1), faces_of(&first.album, amy1));
}

#[cfg(unix)]
#[test]
fn a_folder_unreadable_for_a_while_keeps_its_cached_photos() {
    let engine = shared_engine();
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("g");
    copy_photos(&shared("faces/bbt/amy"), &root.join("trip"));
    copy_photos(&shared("faces/bbt/penny"), &root);
    let cache = GalleryCache::new(dir.path().join("cache"));
    let first = index(&engine, &root, &cache);
    assert_eq!(counts(&first), [10, 0, 0, 0, 0, 0, 10]);
    let amy1 = faces_of(&first.album, "trip/amy1.png");

    // The folder becomes unreadable: here a link to a drive that is not mounted (tests
    // run as root, which reads any folder whatever its permissions).
    let aside = dir.path().join("trip-aside");
    fs::rename(root.join("trip"), &aside).expect("move away");
    std::os::unix::fs::symlink(dir.path().join("unmounted/trip"), root.join("trip"))
        .expect("symlink");
    let second = index(&engine, &root, &cache);
    assert_eq!(
        counts(&second),
        [0, 0, 10, 0, 0, 1, 10],
        "{:?}",
        second.summary
    );
    assert!(second.summary.failures[0].path.ends_with("trip"));
    assert_eq!(faces_of(&second.album, "trip/amy1.png"), amy1);

    // Readable again: nothing was lost, nothing is analysed again.
    fs::remove_file(root.join("trip")).expect("unlink");
    fs::rename(&aside, root.join("trip")).expect("move back");
    let third = index(&engine, &root, &cache);
    assert_eq!(counts(&third), [0, 0, 10, 0, 0, 0, 10]);
    assert_eq!(faces_of(&third.album, "trip/amy1.png"), amy1);
}

#[cfg(target_os = "linux")]
#[test]
fn pseudo_file_systems_are_never_walked_and_links_out_are_followed_once() {
    let engine = shared_engine();
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("g");
    copy_photos(&shared("faces/bbt/amy"), &root);
    // /proc/self/root is the whole file system, /sys and /dev hold no photos.
    for (name, target) in [("proc", "/proc"), ("sys", "/sys"), ("dev", "/dev")] {
        std::os::unix::fs::symlink(target, root.join(name)).expect("symlink");
    }
    // A link out of the gallery is followed; a second hop out from there is not.
    let outside = dir.path().join("outside");
    let further = dir.path().join("further");
    copy_photos(&shared("faces/bbt/penny"), &outside);
    copy_photos(&shared("faces/bbt/raj"), &further);
    std::os::unix::fs::symlink(&outside, root.join("out")).expect("symlink");
    std::os::unix::fs::symlink(&further, outside.join("further")).expect("symlink");
    let cache = GalleryCache::new(dir.path().join("cache"));
    let out = index(&engine, &root, &cache);
    assert_eq!(out.summary.failed, 0, "{:?}", out.summary.failures);
    let paths = sorted_paths(&out.album);
    assert_eq!(paths.len(), 10, "{paths:?}");
    assert!(paths.iter().all(|p| !p.contains("raj")), "{paths:?}");
    assert!(paths.contains(&"out/penny1.png".to_string()), "{paths:?}");

    // /proc itself as the gallery: refused as a system folder, nothing walked.
    let proc = index_gallery(
        &engine,
        Path::new("/proc"),
        None,
        &IndexOptions::default(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .expect("a finished run");
    assert_eq!(proc.summary.photos, 0);
    assert_eq!(proc.summary.failed, 1);
    assert!(proc.summary.failures[0].reason.contains("proc"));
}

#[test]
fn a_second_run_on_the_same_gallery_waits_and_reuses_the_first_ones_work() {
    let engine = shared_engine();
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("g");
    copy_photos(&shared("faces/bbt/howard"), &root);
    let cache = GalleryCache::new(dir.path().join("cache"));
    let waited = AtomicBool::new(false);
    let (a, b) = std::thread::scope(|s| {
        let run = || {
            index_gallery(
                &engine,
                &root,
                Some(&cache),
                &IndexOptions::default(),
                &|e| {
                    if let IndexEvent::Progress(p) = e {
                        if p.phase == IndexPhase::Waiting {
                            waited.store(true, Ordering::Relaxed);
                        }
                    }
                },
                &AtomicBool::new(false),
            )
            .expect("index")
        };
        let a = s.spawn(run);
        let b = s.spawn(run);
        (a.join().expect("run a"), b.join().expect("run b"))
    });
    let mut added = [a.summary.added, b.summary.added];
    added.sort_unstable();
    assert_eq!(added, [0, 5], "{:?} / {:?}", a.summary, b.summary);
    assert_eq!(a.summary.unchanged + b.summary.unchanged, 5);
    assert_eq!(sorted_paths(&a.album), sorted_paths(&b.album));
    assert!(waited.load(Ordering::Relaxed));
}

#[test]
fn a_run_writes_at_most_three_times_its_cache_and_checkpoints_survive() {
    let engine = shared_engine();
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("bbt");
    copy_photos(&shared("faces/bbt"), &root);
    let cache = GalleryCache::new(dir.path().join("cache"));
    let fp = engine.fingerprint(512).expect("fingerprint");
    let log_path = cache.log_path_for(&root, &fp);
    let cancel = AtomicBool::new(false);
    // Cancelled after a few checkpoints; the log then holds them until the final save.
    let log_seen = AtomicBool::new(false);
    let options = IndexOptions {
        in_flight: 1,
        ..IndexOptions::default()
    };
    let partial = index_gallery(
        &engine,
        &root,
        Some(&cache),
        &options,
        &|e| {
            if let IndexEvent::Progress(p) = e {
                if log_path.exists() {
                    log_seen.store(true, Ordering::Relaxed);
                }
                if p.photos_done >= 12 {
                    cancel.store(true, Ordering::Relaxed);
                }
            }
        },
        &cancel,
    )
    .expect("index");
    assert!(
        log_seen.load(Ordering::Relaxed),
        "checkpoints go to the log"
    );
    assert!(!log_path.exists(), "the final save compacts the log");
    let rest = index(&engine, &root, &cache);
    assert_eq!(rest.summary.unchanged, partial.album.photos().len());
    let size = fs::metadata(cache.path_for(&root, &fp))
        .expect("cache")
        .len();
    for run in [&partial, &rest] {
        assert!(run.summary.cache_bytes_written > 0);
        assert!(
            run.summary.cache_bytes_written <= 3 * size,
            "{} bytes written for a {size}-byte cache",
            run.summary.cache_bytes_written
        );
    }
}
