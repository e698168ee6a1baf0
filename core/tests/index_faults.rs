//! Panics inside indexing (detection, alignment, embedding), injected with
//! `FACESORTER_FAULT`: the run always ends (never a hang), reports what crashed, keeps the
//! cache consistent, and a later run without the fault completes the album with the
//! earlier work kept. One test, in its own binary: the variable is process-wide.

mod common;

use std::sync::atomic::AtomicBool;

use common::face_engine::shared_engine;
use common::{copy_photos, shared};
use facesorter_core::fault::FAULT_ENV_VAR;
use facesorter_core::gallery::{CacheLoad, GalleryCache};
use facesorter_core::index::{
    index_gallery, IndexError, IndexEvent, IndexJob, IndexOptions, IndexOutcome,
};

fn run(
    engine: &facesorter_core::engine::FaceEngine,
    root: &std::path::Path,
    cache: &GalleryCache,
    fault: Option<&str>,
) -> Result<IndexOutcome, IndexError> {
    match fault {
        Some(stage) => std::env::set_var(FAULT_ENV_VAR, stage),
        None => std::env::remove_var(FAULT_ENV_VAR),
    }
    let result = index_gallery(
        engine,
        root,
        Some(cache),
        &IndexOptions::default(),
        &|_| {},
        &AtomicBool::new(false),
    );
    std::env::remove_var(FAULT_ENV_VAR);
    result
}

fn cached_photos(cache: &GalleryCache, root: &std::path::Path) -> usize {
    let fp = shared_engine().fingerprint(512).expect("fingerprint");
    match cache.load(root, &fp) {
        CacheLoad::Loaded(album) => {
            assert!(album.is_consistent());
            album.photos().len()
        }
        CacheLoad::Missing => 0,
        CacheLoad::Damaged { reason, .. } => panic!("cache damaged: {reason}"),
    }
}

#[test]
fn panics_while_indexing_end_the_run_and_keep_the_cache_consistent() {
    let engine = shared_engine();
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("g");
    copy_photos(&shared("faces/bbt/amy"), &root.join("amy"));
    let cache = GalleryCache::new(dir.path().join("cache"));

    // Detection panics on every photo: each is a failure saying so; the run finishes.
    let detect = run(&engine, &root, &cache, Some("detect")).expect("a finished run");
    assert_eq!(detect.summary.failed, 5, "{:?}", detect.summary);
    assert!(detect
        .summary
        .failures
        .iter()
        .all(|f| f.reason.contains("injected fault in detect")));
    assert_eq!(cached_photos(&cache, &root), 0);

    // Without the fault: every photo indexed.
    let clean = run(&engine, &root, &cache, None).expect("index");
    assert_eq!((clean.summary.added, clean.summary.failed), (5, 0));

    // New photos while alignment panics: they fail, the earlier ones stay.
    copy_photos(&shared("faces/bbt/penny"), &root.join("penny"));
    let align = run(&engine, &root, &cache, Some("align")).expect("a finished run");
    assert_eq!(
        (align.summary.unchanged, align.summary.failed),
        (5, 5),
        "{:?}",
        align.summary
    );
    assert!(align.summary.failures[0]
        .reason
        .contains("injected fault in align"));

    // The recognizer panics: the run ends with an error naming it, the cache keeps the
    // finished photos and stays consistent.
    let embed = run(&engine, &root, &cache, Some("embed")).expect_err("the recognizer crashed");
    assert!(matches!(embed, IndexError::Panicked { .. }), "{embed}");
    assert!(
        embed.to_string().contains("injected fault in embed"),
        "{embed}"
    );
    assert_eq!(cached_photos(&cache, &root), 5);

    // The same crash in a background job still ends with `Finished`, never a hang.
    std::env::set_var(FAULT_ENV_VAR, "embed");
    let job = IndexJob::spawn(
        engine.clone(),
        root.clone(),
        Some(cache.clone()),
        IndexOptions::default(),
        || {},
    );
    let finished = loop {
        match job
            .events()
            .recv_timeout(std::time::Duration::from_secs(300))
            .expect("the job ends with Finished")
        {
            IndexEvent::Finished(result) => break result,
            _ => continue,
        }
    };
    std::env::remove_var(FAULT_ENV_VAR);
    assert!(matches!(finished, Err(IndexError::Panicked { .. })));

    // And without the fault the album is completed, the earlier work kept.
    let done = run(&engine, &root, &cache, None).expect("index");
    assert_eq!(
        (
            done.summary.unchanged,
            done.summary.added,
            done.summary.failed
        ),
        (5, 5, 0),
        "{:?}",
        done.summary
    );
    assert_eq!(cached_photos(&cache, &root), 10);
}
