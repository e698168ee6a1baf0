use std::time::Instant;
use facesorter_core::people::knn;
use facesorter_core::people::synthetic::{synthetic_faces, SyntheticParams};

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let t = Instant::now();
    let s = synthetic_faces(&SyntheticParams::album(n, 1));
    println!("generate {} faces: {:.2}s", s.faces.len(), t.elapsed().as_secs_f64());
    let t = Instant::now();
    let nb = knn::exact(&s.faces, 20);
    println!("exact k=20: {:.2}s ({})", t.elapsed().as_secs_f64(), nb.len());
}
