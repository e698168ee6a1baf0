//! Detection time on the deepface album, view kind by view kind: what the padded view,
//! the plain letterboxed view and the tiles each cost (photos decoded beforehand).
//!
//! `cargo bench -p facesorter-core --bench detect`
//! Environment: `BENCH_EP=cpu|openvino` (default: the default provider), `BENCH_ROUNDS`
//! (default 3; the fastest round is reported).

use std::path::PathBuf;
use std::time::Instant;

use facesorter_core::detect::{plan_views, Detector, DetectorParams, ViewKind};
use facesorter_core::photo::{load_photo, PhotoLimits};
use facesorter_core::runtime::{ExecutionProviderKind, ProviderRequest, Runtime};

fn main() {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    let ep = match std::env::var("BENCH_EP").as_deref() {
        Ok("cpu") => Some(ExecutionProviderKind::Cpu),
        Ok("openvino") => Some(ExecutionProviderKind::OpenVino),
        _ => None,
    };
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let rt = Runtime::new(ProviderRequest {
        ep,
        precision: None,
    })
    .expect("ONNX Runtime");
    let params = DetectorParams::default();
    let det = Detector::open(
        &rt,
        &shared.join("models/face_detection_yunet_2023mar.onnx"),
        params,
    )
    .expect("open YuNet");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(shared.join("faces/deepface"))
        .expect("deepface")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| facesorter_core::photo::is_supported_extension(p))
        .collect();
    paths.sort();
    let photos: Vec<image::RgbImage> = paths
        .iter()
        .filter_map(|p| load_photo(p, &PhotoLimits::default()).ok().map(|p| p.image))
        .collect();
    let kinds = [ViewKind::Padded, ViewKind::Plain, ViewKind::Tile];
    let mut best: Option<([f64; 3], [usize; 3], f64)> = None;
    let mut tiled = 0;
    for _ in 0..rounds {
        let mut secs = [0.0f64; 3];
        let mut views = [0usize; 3];
        let mut plain_timed = 0usize;
        for photo in &photos {
            for v in plan_views(
                photo.width(),
                photo.height(),
                det.input_size(),
                params.min_face_px,
            ) {
                let k = kinds.iter().position(|&k| k == v.kind).unwrap_or(2);
                if v.kind == ViewKind::Plain {
                    // Timed for its cost per view; counted below as detect() runs it.
                    let start = Instant::now();
                    let _ = det.detect_in_view(photo, &v);
                    secs[k] += start.elapsed().as_secs_f64();
                    plain_timed += 1;
                    continue;
                }
                let start = Instant::now();
                let _ = det.detect_in_view(photo, &v);
                secs[k] += start.elapsed().as_secs_f64();
                views[k] += 1;
            }
        }
        let start = Instant::now();
        for photo in &photos {
            let _ = det.detect(photo);
        }
        let whole = start.elapsed().as_secs_f64();
        // detect() runs the plain view of a tiled photo only on a hint from the padded one.
        let plain_run = photos
            .iter()
            .filter(|p| det.candidates(p).is_ok_and(|c| c.plain_run))
            .count();
        tiled = photos
            .iter()
            .filter(|p| det.candidates(p).is_ok_and(|c| c.tiled))
            .count();
        views[1] = plain_run;
        secs[1] *= plain_run as f64 / plain_timed.max(1) as f64;
        if best.as_ref().is_none_or(|b| whole < b.2) {
            best = Some((secs, views, whole));
        }
    }
    let Some((secs, views, whole)) = best else {
        return;
    };
    println!(
        "{} photos ({tiled} tiled), provider {}",
        photos.len(),
        ep.map_or("default".to_string(), |e| format!("{e:?}"))
    );
    for (i, k) in kinds.iter().enumerate() {
        println!(
            "{:<7} {:>4} views  {:>7.3} s  {:>6.1} ms/view",
            format!("{k:?}"),
            views[i],
            secs[i],
            1000.0 * secs[i] / views[i].max(1) as f64
        );
    }
    println!(
        "detect() on all photos: {whole:.3} s ({:.1} photos/s); the plain views' share about {:.3} s",
        photos.len() as f64 / whole,
        secs[1]
    );
}
