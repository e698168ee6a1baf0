//! Gallery indexing: throughput on ../shared/faces/deepface per execution provider, the
//! time to reopen a cached gallery (64 real photos, and 10k synthetic ones), and peak
//! memory.
//!
//! `cargo bench -p facesorter-core --bench index`
//! Environment: `BENCH_RECOGNIZER=path.onnx` (default: the synthetic IR-18),
//! `BENCH_PROVIDERS=cpu/fp32,openvino/fp32,openvino/bf16` (the default list),
//! `BENCH_MIN_FACE=px` (the detector's smallest face; default 20).

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Instant, UNIX_EPOCH};

use facesorter_core::engine::{EngineOptions, FaceEngine};
use facesorter_core::gallery::{Album, FaceRecord, GalleryCache, PhotoRecord};
use facesorter_core::geometry::{FaceBox, Landmarks};
use facesorter_core::index::{index_gallery, IndexOptions, IndexOutcome};
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
        last_engine = Some(engine);
    }

    if let Some(engine) = last_engine {
        reopen_synthetic(&engine, 10_000);
    }
    println!("\npeak memory: {}", mib(peak_rss_mib()));
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
