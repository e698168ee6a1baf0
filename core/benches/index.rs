//! Gallery indexing: throughput on ../shared/faces/deepface per execution provider, the
//! time to reopen a cached gallery (64 real photos, and 10k synthetic ones), peak
//! memory, and the bytes one indexing run writes to the cache (checkpoints + final save)
//! on a synthetic 20k-photo album, against what rewriting the whole cache at every
//! checkpoint (the scheme before the checkpoint log) wrote.
//!
//! `cargo bench -p facesorter-core --bench index`
//! Environment: `BENCH_RECOGNIZER=path.onnx` (default: the synthetic IR-18),
//! `BENCH_PROVIDERS=cpu/fp32,openvino/fp32,openvino/bf16` (the default list),
//! `BENCH_MIN_FACE=px` (the detector's smallest face; default 20),
//! `BENCH_CHECKPOINT_PHOTOS=n` (the synthetic album of the checkpoint figures; default
//! 20000), `BENCH_RATE=photos/s` (the indexing rate the old scheme's pacing is modelled
//! with; default 6, deepface on the CPU provider).

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Instant, UNIX_EPOCH};

use facesorter_core::engine::{EngineOptions, FaceEngine};
use facesorter_core::gallery::{Album, FaceRecord, Fingerprint, GalleryCache, PhotoRecord};
use facesorter_core::geometry::{FaceBox, Landmarks};
use facesorter_core::index::{index_gallery, IndexEvent, IndexJob, IndexOptions, IndexOutcome};
use facesorter_core::models::{Manifest, ModelLocator, ModelSpec};
use facesorter_core::runtime::{ExecutionProviderKind, Precision, ProviderRequest};

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

/// Peak resident memory of this process so far (VmHWM), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn mib(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |m| format!("{m:.0} MiB"))
}

fn open_engine(provider: ProviderRequest, recognizer: &Path) -> Option<FaceEngine> {
    let locator = ModelLocator::new(Manifest::builtin().ok()?, vec![shared().join("models")]);
    let mut options = EngineOptions {
        provider,
        recognizer: Some(ModelSpec::Path(recognizer.to_path_buf())),
        ..EngineOptions::default()
    };
    if let Some(px) = std::env::var("BENCH_MIN_FACE")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        options.detector_params.min_face_px = px;
    }
    match FaceEngine::open(options, &locator) {
        Ok(engine) => Some(engine),
        Err(e) => {
            println!("  cannot open the engine: {e}");
            None
        }
    }
}

fn index(engine: &FaceEngine, root: &Path, cache: &GalleryCache) -> Option<IndexOutcome> {
    match index_gallery(
        engine,
        root,
        Some(cache),
        &IndexOptions::default(),
        &|_| {},
        &AtomicBool::new(false),
    ) {
        Ok(outcome) => Some(outcome),
        Err(e) => {
            println!("  index failed: {e}");
            None
        }
    }
}

fn parse_providers(list: &str) -> Vec<ProviderRequest> {
    list.split(',')
        .filter_map(|item| {
            let (ep, precision) = item.trim().split_once('/')?;
            Some(ProviderRequest {
                ep: ep.parse::<ExecutionProviderKind>().ok(),
                precision: precision.parse::<Precision>().ok(),
            })
        })
        .collect()
}

fn main() {
    let recognizer = std::env::var_os("BENCH_RECOGNIZER")
        .map(PathBuf::from)
        .unwrap_or_else(|| shared().join("models/adaface_ir18_synthetic.onnx"));
    let providers = parse_providers(
        &std::env::var("BENCH_PROVIDERS")
            .unwrap_or_else(|_| "cpu/fp32,openvino/fp32,openvino/bf16".into()),
    );
    let checkpoint_photos = std::env::var("BENCH_CHECKPOINT_PHOTOS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    checkpoint_bytes(checkpoint_photos);
    let deepface = shared().join("faces/deepface");
    println!(
        "recognizer {}, {} rayon threads, smallest face {} px",
        recognizer.display(),
        rayon::current_num_threads(),
        std::env::var("BENCH_MIN_FACE").unwrap_or_else(|_| "20".into())
    );
    println!("peak memory before indexing: {}", mib(peak_rss_mib()));

    let mut last_engine = None;
    for provider in providers {
        println!("\n{:?} {:?}", provider.ep, provider.precision);
        let Some(engine) = open_engine(provider, &recognizer) else {
            continue;
        };
        println!("  provider in use: {}", engine.provider());
        let cache_dir = tempfile::tempdir().expect("temp dir");
        let cache = GalleryCache::new(cache_dir.path());
        // The first inference compiles the models (OpenVINO): not part of the album's time.
        let _ = engine.embedding_dim();
        let Some(first) = index(&engine, &deepface, &cache) else {
            continue;
        };
        let s = &first.summary;
        let decoded_mib: f64 = first
            .album
            .photos()
            .iter()
            .map(|p| f64::from(p.width) * f64::from(p.height) * 3.0)
            .sum::<f64>()
            / (1024.0 * 1024.0);
        println!(
            "  index deepface: {} photos, {} faces in {:.2} s = {:.1} photos/s, {:.1} faces/s",
            s.photos,
            s.faces,
            s.seconds,
            s.photos as f64 / s.seconds,
            s.faces as f64 / s.seconds
        );
        println!(
            "  peak memory so far: {} (all photos decoded at once would be {decoded_mib:.0} MiB)",
            mib(peak_rss_mib())
        );
        let start = Instant::now();
        if let Some(again) = index(&engine, &deepface, &cache) {
            println!(
                "  reopen unchanged: {:.1} ms ({} unchanged, {} analysed)",
                start.elapsed().as_secs_f64() * 1e3,
                again.summary.unchanged,
                again.summary.added + again.summary.updated
            );
        }
        let engine = Arc::new(engine);
        first_result(&engine, &deepface, 1000);
        last_engine = Some(engine);
    }

    if let Some(engine) = last_engine {
        reopen_synthetic(&engine, 10_000);
    }
    println!("\npeak memory: {}", mib(peak_rss_mib()));
}

/// What the window waits for after *Open gallery* on a fresh album: from the start of
/// indexing (the engine already open, as in the window) to the first snapshot holding a
/// face. The album is `n` photos: the deepface photos linked under new names.
fn first_result(engine: &Arc<FaceEngine>, deepface: &Path, n: usize) {
    let album = tempfile::tempdir().expect("temp dir");
    let photos: Vec<PathBuf> = std::fs::read_dir(deepface)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
        .collect();
    if photos.is_empty() {
        return;
    }
    for i in 0..n {
        let from = &photos[i % photos.len()];
        let to = album.path().join(format!("{i:04}.jpg"));
        if std::fs::hard_link(from, &to).is_err() && std::fs::copy(from, &to).is_err() {
            println!("  cannot make the {n}-photo album");
            return;
        }
    }
    let cache_dir = tempfile::tempdir().expect("temp dir");
    let start = Instant::now();
    let job = IndexJob::spawn(
        Arc::clone(engine),
        album.path().to_path_buf(),
        Some(GalleryCache::new(cache_dir.path())),
        IndexOptions {
            snapshots: true,
            ..IndexOptions::default()
        },
        || {},
    );
    let mut first = None;
    while let Ok(event) = job.events().recv() {
        match event {
            IndexEvent::Snapshot(album) if !album.faces().is_empty() => {
                first = Some(start.elapsed());
                break;
            }
            IndexEvent::Finished(_) => break,
            _ => {}
        }
    }
    job.cancel_and_wait();
    match first {
        Some(t) => println!(
            "  fresh {n}-photo album: first face found, embedded and published in {:.2} s",
            t.as_secs_f64()
        ),
        None => println!("  fresh {n}-photo album: no face published"),
    }
}

/// Reopening a cached gallery of `n` photos: `n` small files on disk and a cache saved
/// for them (two random faces each), then an index run that must find them unchanged.
fn reopen_synthetic(engine: &FaceEngine, n: usize) {
    let Ok(dim) = engine.embedding_dim() else {
        return;
    };
    let Ok(fp) = engine.fingerprint(dim) else {
        return;
    };
    let root_dir = tempfile::tempdir().expect("temp dir");
    let root = root_dir.path();
    let mut photos = Vec::with_capacity(n);
    for i in 0..n {
        let rel_path = format!("{:03}/photo{i:05}.jpg", i / 500);
        let path = root.join(&rel_path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, i.to_le_bytes()).expect("write");
        let meta = std::fs::metadata(&path).expect("stat");
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i64);
        photos.push(PhotoRecord {
            rel_path: rel_path.into(),
            size: meta.len(),
            mtime_ns,
            content_sha256: [(i % 251) as u8; 32],
            width: 4000,
            height: 3000,
            first_face: (2 * i) as u32,
            face_count: 2,
        });
    }
    let faces = (0..2 * n)
        .map(|i| FaceRecord {
            photo: (i / 2) as u32,
            face_box: FaceBox {
                x1: 100.0,
                y1: 100.0,
                x2: 300.0,
                y2: 340.0,
            },
            landmarks: Landmarks::from_interleaved(&[
                150.0, 180.0, 250.0, 180.0, 200.0, 230.0, 160.0, 290.0, 240.0, 290.0,
            ]),
            detector_score: 0.9,
            norm: 20.0,
        })
        .collect();
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let embeddings = (0..2 * n * dim)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        })
        .collect();
    let album = Album::from_parts(dim, photos, faces, embeddings).expect("a consistent album");
    let cache_dir = tempfile::tempdir().expect("temp dir");
    let cache = GalleryCache::new(cache_dir.path());
    if let Err(e) = cache.save(root, &fp, &album) {
        println!("  cannot save the synthetic cache: {e}");
        return;
    }
    let bytes = std::fs::metadata(cache.path_for(root, &fp)).map_or(0, |m| m.len());
    // Twice: the first run also pays for a cold directory cache.
    for run in ["first", "second"] {
        let start = Instant::now();
        if let Some(outcome) = index(engine, root, &cache) {
            println!(
                "\nreopen {n} cached photos ({} faces, cache {:.1} MiB), {run} run: {:.0} ms ({} unchanged, {} analysed)",
                outcome.summary.faces,
                bytes as f64 / (1024.0 * 1024.0),
                start.elapsed().as_secs_f64() * 1e3,
                outcome.summary.unchanged,
                outcome.summary.added + outcome.summary.updated
            );
        }
    }
}

/// A synthetic album of `n` photos with two faces each, as an indexing run would build it.
fn synthetic_album(n: usize, dim: usize) -> Album {
    let mut album = Album::new(dim);
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    for i in 0..n {
        let photo = PhotoRecord {
            rel_path: format!("{:03}/photo{i:05}.jpg", i / 500).into(),
            size: 3_000_000 + i as u64,
            mtime_ns: 1_700_000_000_000_000_000 + i as i64,
            content_sha256: [(i % 251) as u8; 32],
            width: 4000,
            height: 3000,
            first_face: 0,
            face_count: 0,
        };
        let faces = (0..2)
            .map(|_| {
                let face = FaceRecord {
                    photo: 0,
                    face_box: FaceBox {
                        x1: 100.0,
                        y1: 100.0,
                        x2: 300.0,
                        y2: 340.0,
                    },
                    landmarks: Landmarks::from_interleaved(&[
                        150.0, 180.0, 250.0, 180.0, 200.0, 230.0, 160.0, 290.0, 240.0, 290.0,
                    ]),
                    detector_score: 0.9,
                    norm: 20.0,
                };
                (face, (0..dim).map(|_| next()).collect())
            })
            .collect();
        album.push_photo(photo, faces);
    }
    album
}

/// Bytes written by one first indexing run of `n` photos (two faces each, batches of the
/// recognizer's default 8 crops = 4 photos), driving the cache layer directly: now (log
/// appends + one compaction), and before (the whole cache rewritten at each checkpoint,
/// computed from the file's layout, both at every batch and paced as the old indexer did:
/// at most so often that saving took a third of the time).
fn checkpoint_bytes(n: usize) {
    const DIM: usize = 512;
    const PHOTOS_PER_BATCH: usize = 4;
    let fp = Fingerprint {
        recognizer_sha256: "a".repeat(64),
        detector_sha256: "b".repeat(64),
        detector_params: "synthetic".into(),
        alignment: "umeyama".into(),
        recognizer_input: "112x112 Bgr".into(),
        detection: "v2".into(),
        embedding_dim: DIM as u32,
    };
    let album = synthetic_album(n, DIM);
    let root = tempfile::tempdir().expect("temp dir");
    let cache_dir = tempfile::tempdir().expect("temp dir");
    let cache = GalleryCache::new(cache_dir.path());

    let started = Instant::now();
    let mut log = cache.checkpoint_log(root.path(), &fp);
    let mut append_time = std::time::Duration::ZERO;
    for start in (0..n).step_by(PHOTOS_PER_BATCH) {
        let t = Instant::now();
        if let Err(e) = log.append(&album, start..(start + PHOTOS_PER_BATCH).min(n)) {
            println!("checkpoint log append failed: {e}");
            return;
        }
        append_time += t.elapsed();
    }
    let compact_started = Instant::now();
    if let Err(e) = cache.save(root.path(), &fp, &album) {
        println!("final save failed: {e}");
        return;
    }
    let compact_time = compact_started.elapsed();
    let total_time = started.elapsed();
    let final_size = std::fs::metadata(cache.path_for(root.path(), &fp)).map_or(0, |m| m.len());
    let now_bytes = log.bytes_written() + final_size;

    // The old scheme: the file's size after k photos follows from its layout: a fixed
    // part, then per photo 68 bytes + its path, 2 faces of 68 bytes and 2 × dim floats.
    let per_photo =
        |i: usize| 68 + album.photos()[i].rel_path.len() as u64 + 2 * 68 + 2 * 4 * DIM as u64;
    let all_photos: u64 = (0..n).map(per_photo).sum();
    let fixed = final_size - all_photos;
    let mut prefix = vec![0u64; n + 1];
    for i in 0..n {
        prefix[i + 1] = prefix[i] + per_photo(i);
    }
    let size_after = |k: usize| fixed + prefix[k];
    let every_batch: u64 = (1..=n.div_ceil(PHOTOS_PER_BATCH))
        .map(|b| size_after((b * PHOTOS_PER_BATCH).min(n)))
        .sum();
    // Paced: a save of s bytes costs s / throughput (measured by the compaction above);
    // the next checkpoint waits twice the last save's cost, at `rate` photos per second.
    let rate: f64 = std::env::var("BENCH_RATE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6.0);
    let throughput = final_size as f64 / compact_time.as_secs_f64().max(1e-6);
    // Saving stopped the embedding stage, so the clock runs on during saves.
    let (mut paced, mut saves) = (0u64, 0usize);
    let (mut spent, mut last_save, mut last_cost) = (0.0f64, 0.0f64, 0.0f64);
    for b in 1..=n.div_ceil(PHOTOS_PER_BATCH) {
        let k = (b * PHOTOS_PER_BATCH).min(n);
        let now = k as f64 / rate + spent;
        if now - last_save >= 2.0 * last_cost || k == n {
            let size = size_after(k);
            paced += size;
            saves += 1;
            last_cost = size as f64 / throughput;
            spent += last_cost;
            last_save = now + last_cost;
        }
    }
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    println!(
        "\ncheckpoints, synthetic first run of {n} photos ({} faces, final cache {:.1} MiB):",
        album.face_count(),
        mib(final_size)
    );
    println!(
        "  now (log + compaction): {:.1} MiB written = {:.2}× the cache; {} appends in {:.2} s, compaction {:.2} s, total {:.2} s",
        mib(now_bytes),
        now_bytes as f64 / final_size as f64,
        n.div_ceil(PHOTOS_PER_BATCH),
        append_time.as_secs_f64(),
        compact_time.as_secs_f64(),
        total_time.as_secs_f64()
    );
    println!(
        "  before, whole cache at every batch: {:.0} MiB = {:.0}×",
        mib(every_batch),
        every_batch as f64 / final_size as f64
    );
    println!(
        "  before, paced (at {rate} photos/s, saves at {:.0} MiB/s): {saves} saves, {:.0} MiB = {:.0}×",
        throughput / (1024.0 * 1024.0),
        mib(paced),
        paced as f64 / final_size as f64
    );
}
