//! Recognition engine throughput: YuNet photos/s and AdaFace faces/s per execution
//! provider, precision and batch size, on the ../shared photos and parity crops.
//!
//! `cargo bench -p facesorter-core --bench engine`
//! Environment: `BENCH_RECOGNIZER=path.onnx` (default: the synthetic IR-18),
//! `BENCH_SECONDS` per measurement (default 3).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use facesorter_core::detect::{Detector, DetectorParams};
use facesorter_core::embed::Recognizer;
use facesorter_core::engine::adaface_convention;
use facesorter_core::photo::{load_photo, PhotoLimits};
use facesorter_core::runtime::{ExecutionProviderKind, Precision, ProviderRequest, Runtime};

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

/// Runs `f` repeatedly for about `budget`, returning items per second.
fn rate(budget: Duration, items_per_call: usize, mut f: impl FnMut()) -> f64 {
    f(); // warm-up: OpenVINO compiles on first use
    let start = Instant::now();
    let mut calls = 0usize;
    while start.elapsed() < budget || calls < 3 {
        f();
        calls += 1;
    }
    (calls * items_per_call) as f64 / start.elapsed().as_secs_f64()
}

fn images_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| facesorter_core::photo::is_supported_extension(p));
    v.sort();
    v
}

fn main() {
    let budget = Duration::from_secs_f64(
        std::env::var("BENCH_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(3.0),
    );
    let recognizer_path = std::env::var_os("BENCH_RECOGNIZER")
        .map(PathBuf::from)
        .unwrap_or_else(|| shared().join("models/adaface_ir18_synthetic.onnx"));
    let detector_path = shared().join("models/face_detection_yunet_2023mar.onnx");
    let crops: Vec<image::RgbImage> = images_in(&shared().join("parity/crops"))
        .iter()
        .filter_map(|p| image::open(p).ok().map(|i| i.to_rgb8()))
        .collect();
    let photos: Vec<image::RgbImage> = images_in(&shared().join("faces/deepface"))
        .iter()
        .filter_map(|p| load_photo(p, &PhotoLimits::default()).ok().map(|p| p.image))
        .collect();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!(
        "machine: {threads} threads; recognizer {}",
        recognizer_path.display()
    );
    println!(
        "{:<10} {:<5} {:>5}  {:>10}",
        "ep", "prec", "batch", "faces/s"
    );

    let configs = [
        (ExecutionProviderKind::Cpu, Precision::Fp32),
        (ExecutionProviderKind::OpenVino, Precision::Fp32),
        (ExecutionProviderKind::OpenVino, Precision::Bf16),
    ];
    for (ep, precision) in configs {
        let Ok(rt) = Runtime::new(ProviderRequest {
            ep: Some(ep),
            precision: Some(precision),
        }) else {
            println!("{ep:<10} {precision:<5} unavailable");
            continue;
        };
        for batch in [1usize, 8, 16, 32] {
            let rec = match Recognizer::open(&rt, &recognizer_path, adaface_convention()) {
                Ok(r) => r.with_batch(batch),
                Err(e) => {
                    println!("{ep:<10} {precision:<5} {e}");
                    break;
                }
            };
            let input: Vec<image::RgbImage> = crops.iter().cycle().take(batch).cloned().collect();
            let r = rate(budget, batch, || {
                let _ = rec.embed(&input);
            });
            println!("{ep:<10} {precision:<5} {batch:>5}  {r:>10.1}");
        }
    }

    println!(
        "\nYuNet (photos/s): one 640×640 inference | full detection with tiling on deepface photos"
    );
    for (ep, precision) in configs {
        let Ok(rt) = Runtime::new(ProviderRequest {
            ep: Some(ep),
            precision: Some(precision),
        }) else {
            continue;
        };
        let Ok(det) = Detector::open(&rt, &detector_path, DetectorParams::default()) else {
            continue;
        };
        // A 640-px photo needs exactly one view: this is the bare inference rate.
        let small = image::RgbImage::from_pixel(512, 512, image::Rgb([90, 90, 90]));
        let single = rate(budget, 1, || {
            let _ = det.detect(&small);
        });
        let start = Instant::now();
        let faces: usize = photos
            .iter()
            .map(|p| det.detect(p).map(|f| f.len()).unwrap_or(0))
            .sum();
        let full = photos.len() as f64 / start.elapsed().as_secs_f64();
        println!(
            "{ep:<10} {precision:<5} {single:>8.1} | {full:>6.1} ({} photos, {faces} faces)",
            photos.len()
        );
    }
}
