use facesorter_core::detect::{Detector, DetectorParams};
use facesorter_core::runtime::{ProviderRequest, Runtime};
fn main() {
    let rt = Runtime::new(ProviderRequest::default()).unwrap();
    println!("{:?}", rt.choice());
    let det = Detector::open(
        &rt,
        "../shared/models/face_detection_yunet_2023mar.onnx".as_ref(),
        DetectorParams::default(),
    )
    .unwrap();
    for a in std::env::args().skip(1) {
        let img = image::open(&a).unwrap().to_rgb8();
        let t = std::time::Instant::now();
        let faces = det.detect(&img).unwrap();
        println!(
            "{a} {}x{} faces={} {:?} in {:?}",
            img.width(),
            img.height(),
            faces.len(),
            faces
                .iter()
                .map(|f| (f.score, f.face_box.width() as i32))
                .collect::<Vec<_>>(),
            t.elapsed()
        );
    }
}
