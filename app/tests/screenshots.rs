//! Regenerates docs/screenshots/*.png with kittest's wgpu renderer (a CPU adapter such as
//! Mesa lavapipe works): `cargo test -p facesorter-app --features screenshots --test screenshots`.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use facesorter_app::FaceSorterApp;

use common::{launch, shared, wait_for};

fn save(h: &mut Harness<'static, FaceSorterApp>, name: &str) {
    h.run_steps(3);
    let image = h.render().expect("render with wgpu");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshots dir");
    image
        .save(dir.join(format!("{name}.png")))
        .expect("save png");
}

fn harness(l: facesorter_app::Launch) -> Harness<'static, FaceSorterApp> {
    common::environment();
    Harness::builder()
        .with_size([1280.0, 800.0])
        .wgpu()
        .build_eframe(move |cc| FaceSorterApp::new(cc, l))
}

#[test]
fn screenshots() {
    let mut h = harness(launch(None, &[]));
    wait_for(&mut h, "the engine", Duration::from_secs(120), |a| {
        a.state.engine().is_some()
    });
    save(&mut h, "empty");

    let gallery = shared("faces/deepface");
    let probe = shared("faces/deepface/img1.jpg");
    let mut h = harness(launch(Some(&gallery), std::slice::from_ref(&probe)));
    wait_for(
        &mut h,
        "indexing under way",
        Duration::from_secs(300),
        |a| {
            a.state
                .gallery
                .as_ref()
                .is_some_and(|g| g.progress.photos_done >= 8)
                && !a.state.probes.is_empty()
        },
    );
    save(&mut h, "indexing");
    wait_for(&mut h, "indexing done", Duration::from_secs(600), |a| {
        !a.state.indexing() && a.state.results.is_some()
    });
    // Let the visible thumbnails decode.
    for _ in 0..100 {
        h.step();
        std::thread::sleep(Duration::from_millis(50));
    }
    save(&mut h, "results");
    h.get_by_label_contains("Match 2:").click();
    for _ in 0..60 {
        h.step();
        std::thread::sleep(Duration::from_millis(50));
    }
    save(&mut h, "photo_view");
    h.get_by_label("Settings").click();
    save(&mut h, "settings");
}
