//! The two-stage search (int8 candidates, f32 rescoring) against the plain f32 ranking:
//! the same faces at or above the floor, in the same order, with bit-identical scores;
//! the int8 error bound holding on every face; and a session showing the same matches,
//! band, verdicts and counts whichever way it ranks. On synthetic faces with many planted
//! near the threshold, and on real FaceNet embeddings of ../shared/faces.

mod common;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use common::{noise, shared};
use facesorter_core::embed::FaceEmbedding;
use facesorter_core::engine::FaceEngine;
use facesorter_core::gallery::{Album, FaceRecord, PhotoRecord};
use facesorter_core::geometry::{FaceBox, Landmarks};
use facesorter_core::index::{index_gallery, IndexOptions};
use facesorter_core::runtime::{ExecutionProviderKind, Precision, ProviderRequest};
use facesorter_core::search::{
    int8_estimates, Coverage, FaceKey, Kernel, ProbeFace, Query, RankedMatches, Session, Threshold,
    Verdict, HISTOGRAM_TAIL_BIN_WIDTH,
};

const DIM: usize = 512;
/// FaceNet's verification threshold (../shared/README.md).
const THRESHOLD: f32 = 0.45;

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= n);
    v
}

/// A unit vector at cosine ≈ `cos` from unit `q` (towards the random direction `r`).
fn at_cosine(q: &[f32], r: &[f32], cos: f32) -> Vec<f32> {
    let along: f32 = q.iter().zip(r).map(|(a, b)| a * b).sum();
    let perp = unit(q.iter().zip(r).map(|(a, b)| b - along * a).collect());
    let sin = (1.0 - cos * cos).max(0.0).sqrt();
    unit(
        q.iter()
            .zip(&perp)
            .map(|(a, p)| cos * a + sin * p)
            .collect(),
    )
}

/// An album of the given unit rows, one face per photo, norms spread over 5–30.
fn album_of(rows: &[Vec<f32>]) -> Album {
    let photos = (0..rows.len())
        .map(|i| PhotoRecord {
            rel_path: format!("{i}.jpg").into(),
            size: 1,
            mtime_ns: 0,
            content_sha256: [0; 32],
            width: 100,
            height: 100,
            first_face: i as u32,
            face_count: 1,
        })
        .collect();
    let faces = (0..rows.len())
        .map(|i| FaceRecord {
            photo: i as u32,
            face_box: FaceBox {
                x1: 0.0,
                y1: 0.0,
                x2: 10.0,
                y2: 10.0,
            },
            landmarks: Landmarks::from_interleaved(&[0.0; 10]),
            detector_score: 0.9,
            norm: 5.0 + (i * 7 % 26) as f32,
        })
        .collect();
    let dim = rows.first().map_or(DIM, Vec::len);
    Album::from_parts(dim, photos, faces, rows.concat()).expect("a consistent album")
}

/// `n` random faces, and 1 in 8 planted at cosines packed around `THRESHOLD` (±0.03,
/// many within the int8 error of it) or spread over 0.1–0.95.
fn synthetic(n: usize, query: &[f32]) -> Album {
    let rows: Vec<Vec<f32>> = (0..n)
        .map(|i| {
            let r = unit(noise(1000 + i as u64, DIM));
            match i % 16 {
                0 => at_cosine(
                    query,
                    &r,
                    THRESHOLD - 0.03 + 0.06 * (i % 997) as f32 / 997.0,
                ),
                8 => at_cosine(query, &r, 0.1 + 0.85 * (i % 101) as f32 / 101.0),
                _ => r,
            }
        })
        .collect();
    album_of(&rows)
}

fn bits(m: &[facesorter_core::search::Match]) -> Vec<(u32, u32)> {
    m.iter().map(|m| (m.face, m.score.to_bits())).collect()
}

/// `two` lists exactly the head of `full` down to its floor, and the threshold cut agrees.
fn assert_exact_head(two: &RankedMatches, full: &RankedMatches, t: f32, what: &str) {
    assert!(two.floor() <= t, "{what}: floor {} above {t}", two.floor());
    let head = full.matches().partition_point(|m| m.score >= two.floor());
    assert_eq!(two.len(), head, "{what}: listed faces");
    assert_eq!(bits(two.matches()), bits(&full.matches()[..head]), "{what}");
    assert_eq!(bits(two.above(t)), bits(full.above(t)), "{what}: above {t}");
    assert_eq!(two.face_count(), full.len(), "{what}: faces ranked");
}

#[test]
fn two_stage_lists_the_f32_head_exactly_on_synthetic_faces() {
    let q = unit(noise(7, DIM));
    let album = synthetic(40_000, &q);
    let query = Query::from_vector(&q).expect("query");
    let full = RankedMatches::compute(&query, &album).expect("full");
    for kernel in Kernel::available() {
        for t in [0.2f32, THRESHOLD - 0.01, THRESHOLD, 0.6, 0.95] {
            let need = Coverage {
                floor: t,
                min_listed: 0,
            };
            let two = RankedMatches::compute_with(&query, &album, need, kernel).expect("two");
            assert!(!two.is_complete(), "{kernel:?} {t}: a partial ranking");
            assert_exact_head(&two, &full, t, &format!("{kernel:?} t {t}"));
        }
    }
    // Near-duplicates of the query itself (cosine ≈ 1) rank first in both.
    let two = RankedMatches::compute_covering(
        &query,
        &album,
        Coverage {
            floor: 0.99,
            min_listed: 300,
        },
    )
    .expect("two");
    assert!(two.len() >= 300, "at least min_listed: {}", two.len());
    assert_exact_head(&two, &full, two.floor(), "min_listed 300");
}

#[test]
fn int8_error_stays_within_its_bound() {
    let q = unit(noise(11, DIM));
    let album = synthetic(20_000, &q);
    let query = Query::from_vector(&q).expect("query");
    let full = RankedMatches::compute(&query, &album).expect("full");
    let est = int8_estimates(&query, &album).expect("estimates");
    let mut worst = 0.0f32;
    let mut widest = 0.0f32;
    for m in full.matches() {
        let (e, bound) = est[m.face as usize];
        let err = (e - m.score).abs();
        assert!(err <= bound, "face {}: error {err} > bound {bound}", m.face);
        worst = worst.max(err);
        widest = widest.max(bound);
    }
    // The figures the README states: the bound is proven, the error measured.
    println!("int8 error: max {worst:.5}, bound ≤ {widest:.5}");
    assert!(worst <= 0.005, "measured error {worst}");
    assert!(widest < 0.05, "bound {widest}");
}

#[test]
fn histogram_of_a_partial_ranking_is_exact_above_the_floor_and_close_below() {
    let q = unit(noise(13, DIM));
    let album = synthetic(30_000, &q);
    let query = Query::from_vector(&q).expect("query");
    let full = RankedMatches::compute(&query, &album).expect("full");
    let two = RankedMatches::compute_covering(
        &query,
        &album,
        Coverage {
            floor: 0.3,
            min_listed: 0,
        },
    )
    .expect("two");
    let est = int8_estimates(&query, &album).expect("estimates");
    let max_err = full
        .matches()
        .iter()
        .map(|m| (est[m.face as usize].0 - m.score).abs())
        .fold(0.0f32, f32::max);
    let (bins, range) = (60, -0.2f32..=1.0);
    let (h_two, h_full) = (
        two.histogram(bins, range.clone()),
        full.histogram(bins, range),
    );
    assert_eq!(h_two.iter().sum::<u32>(), h_full.iter().sum::<u32>());
    // Compare faces at or above each edge: off only by faces within the error of it.
    let tol = max_err + HISTOGRAM_TAIL_BIN_WIDTH;
    let (mut above_two, mut above_full) = (0u32, 0u32);
    for i in (1..bins).rev() {
        above_two += h_two[i];
        above_full += h_full[i];
        let edge = -0.2 + 1.2 * (i as f32 / bins as f32);
        let near = full
            .matches()
            .iter()
            .filter(|m| (m.score - edge).abs() <= tol)
            .count() as u32;
        if edge >= two.floor() {
            assert_eq!(above_two, above_full, "edge {edge}: exact above the floor");
        } else {
            assert!(above_two.abs_diff(above_full) <= near, "edge {edge}");
        }
    }
}

/// Everything a session shows, with scores as bits.
fn shown(s: &Session) -> String {
    let list = |it: &mut dyn Iterator<Item = (u32, f32)>| -> Vec<(u32, u32)> {
        it.map(|(f, sc)| (f, sc.to_bits())).collect()
    };
    format!(
        "shown {:?}\nband {:?}\nrejected {:?}\ncounts {:?} first rejected {:?}",
        list(&mut s.matches().map(|m| (m.face_index, m.score))),
        list(&mut s.band().map(|m| (m.face_index, m.score))),
        list(&mut s.rejected().map(|m| (m.face_index, m.score))),
        s.counts(),
        s.first_rejected_score().map(f32::to_bits),
    )
}

fn probe(unit: &[f32]) -> ProbeFace {
    ProbeFace {
        source: "probe.jpg".into(),
        face_box: FaceBox {
            x1: 0.0,
            y1: 0.0,
            x2: 10.0,
            y2: 10.0,
        },
        embedding: FaceEmbedding {
            unit: unit.to_vec(),
            norm: 20.0,
        },
        image: None,
    }
}

fn threshold(t: f32) -> Threshold {
    Threshold::new(t).expect("a number")
}

#[test]
fn session_shows_the_same_whichever_way_it_ranks() {
    let q = unit(noise(17, DIM));
    let album = Arc::new(synthetic(30_000, &q));
    let full = RankedMatches::compute(&Query::from_vector(&q).expect("q"), &album).expect("full");
    let mut plain = Session::new("/g", album.clone(), threshold(THRESHOLD));
    let mut two = Session::new("/g", album.clone(), threshold(THRESHOLD));
    plain.set_two_stage_min(usize::MAX);
    two.set_two_stage_min(0);
    for s in [&mut plain, &mut two] {
        s.set_probes(vec![probe(&q)]);
        s.set_band_size(20);
    }
    assert!(
        !two.ranked().expect("ranked").is_complete(),
        "two stages ran"
    );
    let same = |plain: &Session, two: &Session, what: &str| {
        assert_eq!(shown(plain), shown(two), "{what}");
        assert!(two
            .ranked()
            .is_some_and(|r| r.floor() <= two.threshold().get()));
    };
    same(&plain, &two, "start");
    // The slider within its margin, then far below the exact part, then back.
    for t in [
        0.5,
        0.4,
        0.35,
        0.2,
        0.05,
        -0.1,
        0.6,
        f32::NEG_INFINITY,
        0.45,
    ] {
        plain.set_threshold(threshold(t));
        two.set_threshold(threshold(t));
        same(&plain, &two, &format!("threshold {t}"));
    }
    // Verdicts on faces far below the threshold: an accepted one is shown at its rank, the
    // best rejected score is reported.
    let low = |score: f32| {
        full.matches()
            .iter()
            .find(|m| m.score <= score)
            .map(|m| FaceKey::of(&album, m.face as usize).expect("key"))
            .expect("a face that low")
    };
    for (key, verdict) in [
        (low(0.02), Verdict::Accepted),
        (low(-0.05), Verdict::Rejected),
        (low(0.44), Verdict::Rejected),
    ] {
        plain.set_verdict(key.clone(), Some(verdict));
        two.set_verdict(key, Some(verdict));
        same(&plain, &two, &format!("verdict {verdict:?}"));
    }
    // A quality filter hiding most faces: the band must look further down.
    plain.set_min_quality(Some(29.5));
    two.set_min_quality(Some(29.5));
    same(&plain, &two, "quality filter");
    plain.set_band_size(400);
    two.set_band_size(400);
    same(&plain, &two, "a wide band");
}

#[test]
fn the_int8_copy_is_the_same_however_the_album_is_built() {
    let q = unit(noise(19, DIM));
    let loaded = synthetic(3_000, &q);
    // Photo by photo, as indexing builds it, and copied photo by photo, as a re-index
    // keeps unchanged photos: equal albums (int8 copy included) and equal rankings.
    let mut pushed = Album::new(DIM);
    for p in 0..loaded.photos().len() {
        let faces = loaded
            .face_range(p)
            .map(|f| (loaded.faces()[f], loaded.embedding(f).to_vec()))
            .collect();
        pushed.push_photo(loaded.photos()[p].clone(), faces);
    }
    let mut copied = Album::new(DIM);
    for p in 0..pushed.photos().len() {
        copied.push_photo_from(&pushed, p, pushed.photos()[p].clone());
    }
    assert_eq!(pushed, loaded);
    assert_eq!(copied, loaded);
    assert_eq!(loaded.int8_bytes(), 3_000 * (DIM + 16));
    let query = Query::from_vector(&q).expect("query");
    let need = Coverage {
        floor: THRESHOLD,
        min_listed: 10,
    };
    let want = RankedMatches::compute_covering(&query, &loaded, need).expect("loaded");
    for album in [&pushed, &copied] {
        let got = RankedMatches::compute_covering(&query, album, need).expect("built");
        assert_eq!(got, want);
    }
}

// ---- real embeddings ---------------------------------------------------------------------

fn facenet() -> FaceEngine {
    // The plain CPU provider in fp32: the search is under test, not the runtime.
    common::facenet::open(
        ProviderRequest {
            ep: Some(ExecutionProviderKind::Cpu),
            precision: Some(Precision::Fp32),
        },
        Some(THRESHOLD),
    )
}

/// Every face of ../shared/faces, embedded by the real FaceNet recognizer.
fn real_embeddings() -> Vec<Vec<f32>> {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("gallery");
    std::fs::create_dir_all(&root).expect("mkdir");
    // ../shared is read-only and must not be copied: the gallery links to it.
    for set in ["deepface", "bbt", "adaface_demo"] {
        std::os::unix::fs::symlink(shared(&format!("faces/{set}")), root.join(set))
            .expect("symlink");
    }
    let outcome = index_gallery(
        &facenet(),
        &root,
        None,
        &IndexOptions::default(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .expect("index");
    let album = &outcome.album;
    (0..album.face_count())
        .map(|f| album.embedding(f).to_vec())
        .collect()
}

#[test]
fn two_stage_is_exact_on_real_facenet_embeddings() {
    let real = real_embeddings();
    assert!(real.len() >= 100, "faces found: {}", real.len());
    let dim = real[0].len();
    // The real faces, and 25k look-alikes of them (each a real face moved a random step),
    // so every person has many faces around the threshold.
    let mut rows = real.clone();
    for i in 0..25_000usize {
        let base = &real[i % real.len()];
        let step = 0.4 + 0.8 * ((i / real.len()) % 50) as f32 / 50.0;
        let r = noise(5000 + i as u64, dim);
        rows.push(unit(
            base.iter()
                .zip(&r)
                .map(|(b, n)| b + step * n / (dim as f32).sqrt())
                .collect(),
        ));
    }
    let album = album_of(&rows);
    let mut near = 0;
    let (mut worst, mut widest) = (0.0f32, 0.0f32);
    for (i, probe) in real.iter().enumerate().step_by(7) {
        let query = Query::from_vector(probe).expect("query");
        let full = RankedMatches::compute(&query, &album).expect("full");
        near += full
            .matches()
            .iter()
            .filter(|m| (m.score - THRESHOLD).abs() < 0.01)
            .count();
        for floor in [THRESHOLD - 0.15, THRESHOLD] {
            let need = Coverage {
                floor,
                min_listed: 0,
            };
            let two = RankedMatches::compute_covering(&query, &album, need).expect("two");
            assert_exact_head(&two, &full, floor, &format!("probe {i}, floor {floor}"));
        }
        let est = int8_estimates(&query, &album).expect("estimates");
        for m in full.matches() {
            let (e, bound) = est[m.face as usize];
            assert!(
                (e - m.score).abs() <= bound.min(0.005),
                "probe {i} face {}",
                m.face
            );
            worst = worst.max((e - m.score).abs());
            widest = widest.max(bound);
        }
    }
    println!(
        "real FaceNet: {} faces + look-alikes, int8 error max {worst:.5}, bound ≤ {widest:.5}",
        real.len()
    );
    assert!(near > 100, "faces within 0.01 of the threshold: {near}");
}
