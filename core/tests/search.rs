//! Search against synthetic albums whose expected rankings are worked out independently
//! (by hand, or with naive f64 dot products), never from the code under test.

mod common;

use std::collections::HashSet;

use facesorter_core::embed::FaceEmbedding;
use facesorter_core::gallery::{Album, FaceRecord, PhotoRecord};
use facesorter_core::geometry::{FaceBox, Landmarks};
use facesorter_core::search::{Match, Query, RankedMatches, SearchError};

fn photo(name: &str) -> PhotoRecord {
    PhotoRecord {
        rel_path: name.into(),
        size: 1,
        mtime_ns: 0,
        content_sha256: [0; 32],
        width: 100,
        height: 100,
        first_face: 0,
        face_count: 0,
    }
}

fn face(x: f32, norm: f32) -> FaceRecord {
    FaceRecord {
        photo: 0,
        face_box: FaceBox {
            x1: x,
            y1: 0.0,
            x2: x + 10.0,
            y2: 10.0,
        },
        landmarks: Landmarks::from_interleaved(&[0.0; 10]),
        detector_score: 0.9,
        norm,
    }
}

/// Hand-made 4-D album; the query e₁ scores each face by its first component.
/// Photos: p0 {f0, f1}, p1 {f2}, p2 {f3, f4, f5}, p3 {f6}, p4 {} .
fn small_album() -> Album {
    let rows: [[f32; 4]; 7] = [
        [1.0, 0.0, 0.0, 0.0],   // f0: 1
        [0.6, 0.8, 0.0, 0.0],   // f1: 0.6
        [0.8, 0.0, 0.6, 0.0],   // f2: 0.8
        [0.0, 1.0, 0.0, 0.0],   // f3: 0
        [-0.6, 0.0, 0.0, 0.8],  // f4: -0.6
        [0.6, 0.0, 0.8, 0.0],   // f5: 0.6, tied with f1
        [0.28, 0.96, 0.0, 0.0], // f6: 0.28
    ];
    let norms = [30.0, 12.0, 25.0, 8.0, 20.0, 15.0, 18.0];
    let groups: [&[usize]; 5] = [&[0, 1], &[2], &[3, 4, 5], &[6], &[]];
    let mut album = Album::new(4);
    for (p, group) in groups.iter().enumerate() {
        let faces = group
            .iter()
            .map(|&f| (face(f as f32 * 10.0, norms[f]), rows[f].to_vec()))
            .collect();
        album.push_photo(photo(&format!("p{p}.jpg")), faces);
    }
    assert!(album.is_consistent());
    album
}

fn unit(v: &[f32]) -> Vec<f32> {
    let n = v
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt();
    v.iter().map(|&x| (f64::from(x) / n) as f32).collect()
}

/// Random album: `photos` photos of 0–3 faces; a few faces are near-copies of others so
/// that real clusters (high scores) exist, and one face is duplicated exactly (a tie).
fn random_album(photos: usize, dim: usize, seed: u64) -> Album {
    let mut album = Album::new(dim);
    let counts = common::noise(seed, photos);
    let mut face_no = 0u64;
    let mut rows: Vec<Vec<f32>> = Vec::new();
    for (p, c) in counts.iter().enumerate() {
        let count = ((c + 1.0) * 2.0) as usize; // 0..=3
        let faces = (0..count)
            .map(|_| {
                face_no += 1;
                let mut v = common::noise(seed * 1000 + face_no, dim);
                if face_no.is_multiple_of(7) && !rows.is_empty() {
                    // A noisy copy of an earlier face: the same "person".
                    let base = &rows[(face_no as usize * 31) % rows.len()];
                    v = base.iter().zip(&v).map(|(b, n)| b + 0.3 * n).collect();
                }
                if face_no == 50 {
                    v = rows[3].clone(); // exact duplicate: exact score tie
                }
                let v = unit(&v);
                rows.push(v.clone());
                let norm = 5.0 + 30.0 * ((face_no * 37 % 101) as f32 / 100.0);
                (face(face_no as f32, norm), v)
            })
            .collect();
        album.push_photo(photo(&format!("r{p}.jpg")), faces);
    }
    assert!(album.is_consistent());
    album
}

fn naive_ranking(query: &[f32], album: &Album) -> Vec<(u32, f64)> {
    let mut all: Vec<(u32, f64)> = (0..album.face_count())
        .map(|i| {
            let s = query
                .iter()
                .zip(album.embedding(i))
                .map(|(&a, &b)| f64::from(a) * f64::from(b))
                .sum();
            (i as u32, s)
        })
        .collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    all
}

fn e1() -> FaceEmbedding {
    FaceEmbedding {
        unit: vec![1.0, 0.0, 0.0, 0.0],
        norm: 20.0,
    }
}

#[test]
fn small_album_exact_order_and_scores() {
    let album = small_album();
    let ranked = RankedMatches::compute(&Query::single(&e1()), &album).expect("ranks");
    let got: Vec<(u32, f32)> = ranked.matches().iter().map(|m| (m.face, m.score)).collect();
    // Worked out by hand: first components, ties (f1, f5 at 0.6) by face index.
    let want = [
        (0, 1.0),
        (2, 0.8),
        (1, 0.6),
        (5, 0.6),
        (6, 0.28),
        (3, 0.0),
        (4, -0.6),
    ];
    assert_eq!(got.len(), want.len());
    for ((gf, gs), (wf, ws)) in got.iter().zip(want) {
        assert_eq!(*gf, wf);
        assert!((gs - ws).abs() < 1e-6, "face {wf}: {gs} vs {ws}");
    }
    assert_eq!(ranked.top(2).len(), 2);
    assert_eq!(ranked.top(100).len(), 7);
    assert_eq!(ranked.count_above(0.6), 4);
    assert_eq!(ranked.count_above(0.61), 2);
}

#[test]
fn small_album_photos_views_and_quality_filter() {
    let album = small_album();
    let ranked = RankedMatches::compute(&Query::single(&e1()), &album).expect("ranks");
    // Faces ≥ 0.6: f0, f2 (p0, p1), f1 (p0), f5 (p2) → photos p0, p1, p2.
    assert_eq!(ranked.photos_above(0.6, &album), 3);
    assert_eq!(ranked.photos_above(0.9, &album), 1);
    assert_eq!(ranked.photos_above(-1.0, &album), 4); // p4 has no face
    assert_eq!(ranked.photos_above(1.01, &album), 0);

    let v = ranked.view(&album, 1).expect("rank 1 exists");
    assert_eq!((v.rank, v.face_index), (1, 2));
    assert_eq!(v.photo.rel_path, "p1.jpg");
    assert_eq!(v.face.face_box.x1, 20.0);
    assert_eq!(v.norm, 25.0);
    assert!((v.score - 0.8).abs() < 1e-6);
    assert!(ranked.view(&album, 7).is_none());

    // Norms ≥ 0.5: f0 30, f2 25, f1 12, f5 15. With min 14: f0, f2, f5, keeping ranks.
    let kept: Vec<(usize, u32)> = ranked
        .above_filtered(0.5, Some(14.0), &album)
        .map(|v| (v.rank, v.face_index))
        .collect();
    assert_eq!(kept, [(0, 0), (1, 2), (3, 5)]);
    assert_eq!(ranked.above_filtered(0.5, None, &album).count(), 4);
}

#[test]
fn small_album_histogram() {
    let album = small_album();
    let ranked = RankedMatches::compute(&Query::single(&e1()), &album).expect("ranks");
    // Edges −1, −0.5, 0, 0.5, 1: {−0.6} {} {0, 0.28} {0.6, 0.6, 0.8, 1 (end is inclusive)}.
    assert_eq!(ranked.histogram(4, -1.0..=1.0), [1, 0, 2, 4]);
    // Out-of-range scores are clamped into the end bins.
    assert_eq!(ranked.histogram(2, 0.0..=0.5), [2, 5]);
    assert_eq!(ranked.histogram(3, 1.0..=1.0), [7, 0, 0]);
    assert!(ranked.histogram(0, -1.0..=1.0).is_empty());
}

#[test]
fn combine_weights_by_norm() {
    let probes = [
        FaceEmbedding {
            unit: vec![1.0, 0.0, 0.0, 0.0],
            norm: 3.0,
        },
        FaceEmbedding {
            unit: vec![0.0, 1.0, 0.0, 0.0],
            norm: 1.0,
        },
        FaceEmbedding {
            unit: vec![0.6, 0.0, 0.8, 0.0],
            norm: 2.0,
        },
    ];
    // 3·e₁ + 1·e₂ + 2·(0.6, 0, 0.8, 0) = (4.2, 1, 1.6, 0), length √21.2.
    let len = 21.2f64.sqrt();
    let want = [4.2 / len, 1.0 / len, 1.6 / len, 0.0];
    let q = Query::combine(&probes).expect("valid probes");
    assert_eq!(q.dim(), 4);
    for (g, w) in q.unit().iter().zip(want) {
        assert!((f64::from(*g) - w).abs() < 1e-6, "{g} vs {w}");
    }
    // One probe: its own direction.
    let one = Query::combine(&probes[2..]).expect("valid probe");
    assert_eq!(one, Query::single(&probes[2]));
}

#[test]
fn combine_rejects_degenerate_input() {
    assert!(Query::combine(&[]).is_none());
    let a = FaceEmbedding {
        unit: vec![1.0, 0.0],
        norm: 2.0,
    };
    let opposite = FaceEmbedding {
        unit: vec![-1.0, 0.0],
        norm: 2.0,
    };
    assert!(
        Query::combine(&[a.clone(), opposite]).is_none(),
        "cancels out"
    );
    let short = FaceEmbedding {
        unit: vec![1.0],
        norm: 2.0,
    };
    assert!(Query::combine(&[a.clone(), short]).is_none(), "dims differ");
    let bad_norm = FaceEmbedding {
        unit: vec![0.0, 1.0],
        norm: f32::NAN,
    };
    assert!(Query::combine(&[a, bad_norm]).is_none());
}

#[test]
fn dimension_mismatch_is_an_error() {
    let album = small_album();
    let q = Query::from_vector(&[1.0, 0.0, 0.0]).expect("non-zero");
    assert_eq!(
        RankedMatches::compute(&q, &album),
        Err(SearchError::DimMismatch {
            query: 3,
            gallery: 4
        })
    );
}

#[test]
fn random_album_matches_naive_ranking() {
    let album = random_album(1500, 96, 11);
    assert!(album.face_count() > 2000, "{}", album.face_count());
    for probe_face in [0usize, 3, 777] {
        let q = Query::from_vector(album.embedding(probe_face)).expect("unit row");
        let ranked = RankedMatches::compute(&q, &album).expect("ranks");
        let naive = naive_ranking(q.unit(), &album);
        assert_eq!(ranked.len(), naive.len());
        assert!(ranked.matches().iter().all(|m| m.score.is_finite()));
        // Scores agree with f64 to f32 rounding; the order agrees wherever the naive scores
        // are not within rounding of each other.
        for (rank, (m, (face, s))) in ranked.matches().iter().zip(&naive).enumerate() {
            let own = naive.iter().find(|(f, _)| *f == m.face).map(|x| x.1);
            let own = own.expect("face exists");
            assert!((f64::from(m.score) - own).abs() < 1e-5);
            if m.face != *face {
                assert!((own - s).abs() < 1e-5, "rank {rank}: {} vs {face}", m.face);
            }
        }
        // A gallery face queried with its own embedding comes back first, at ≈ 1 (ties
        // with an exact duplicate resolve to the lower index, which is 3 for 3's copy).
        let top = ranked.matches()[0];
        assert_eq!(top.face as usize, probe_face);
        assert!((top.score - 1.0).abs() < 1e-5);
    }
}

#[test]
fn above_agrees_with_naive_filter() {
    let album = random_album(800, 64, 5);
    let q = Query::from_vector(album.embedding(3)).expect("unit row");
    let ranked = RankedMatches::compute(&q, &album).expect("ranks");
    let all = ranked.matches();
    // Face 3 has an exact duplicate, so its score (1.0 or so) is an exact tie.
    let dupes = all.iter().filter(|m| m.score == all[0].score).count();
    assert!(dupes >= 2, "the duplicate ties");

    let (max, min) = (all[0].score, all[all.len() - 1].score);
    let mut thresholds: Vec<f32> = all.iter().step_by(7).map(|m| m.score).collect();
    thresholds.extend([max, min, max + 1e-6, min - 1e-6, 2.0, -2.0, 0.0, -0.0]);
    thresholds.extend([f32::INFINITY, f32::NEG_INFINITY]);
    thresholds.extend((0..=40).map(|i| -1.0 + i as f32 * 0.05));
    for t in thresholds {
        let naive: Vec<Match> = all.iter().filter(|m| m.score >= t).copied().collect();
        let naive_photos: HashSet<u32> = naive
            .iter()
            .map(|m| album.faces()[m.face as usize].photo)
            .collect();
        assert_eq!(ranked.above(t), naive.as_slice(), "threshold {t}");
        assert_eq!(ranked.count_above(t), naive.len());
        assert_eq!(ranked.photos_above(t, &album), naive_photos.len(), "t {t}");
    }
    assert!(ranked.above(f32::NAN).is_empty());
    assert_eq!(ranked.above(-2.0).len(), ranked.len());
    assert!(ranked.above(2.0).is_empty());
}

#[test]
fn histogram_sums_to_len_and_matches_naive_bins() {
    let album = random_album(600, 32, 9);
    let q = Query::from_vector(&common::noise(42, 32)).expect("non-zero");
    let ranked = RankedMatches::compute(&q, &album).expect("ranks");
    for (bins, lo, hi) in [
        (20, -1.0f32, 1.0f32),
        (7, -0.2, 0.3),
        (1, 0.0, 1.0),
        (64, 0.9, 1.0),
    ] {
        let hist = ranked.histogram(bins, lo..=hi);
        assert_eq!(hist.len(), bins);
        assert_eq!(
            hist.iter().map(|&c| c as usize).sum::<usize>(),
            ranked.len()
        );
        // Naive: bin = floor((s − lo) / width), clamped; skip scores within rounding of an
        // edge, where the two edge computations may legitimately disagree.
        let width = (f64::from(hi) - f64::from(lo)) / bins as f64;
        let mut naive = vec![0u32; bins];
        let mut near_edge = 0u32;
        for m in ranked.matches() {
            let x = (f64::from(m.score) - f64::from(lo)) / width;
            if (x - x.round()).abs() < 1e-4 && x > 0.5 && x < bins as f64 - 0.5 {
                near_edge += 1;
                continue;
            }
            naive[(x.floor().max(0.0) as usize).min(bins - 1)] += 1;
        }
        let diff: u32 = hist.iter().zip(&naive).map(|(&h, &n)| h.abs_diff(n)).sum();
        assert!(
            diff <= near_edge,
            "{bins} bins {lo}..{hi}: {hist:?} vs {naive:?}"
        );
    }
}

#[test]
fn empty_album_ranks_nothing() {
    let album = Album::new(4);
    let ranked = RankedMatches::compute(&Query::single(&e1()), &album).expect("ranks");
    assert!(ranked.is_empty());
    assert!(ranked.above(-1.0).is_empty());
    assert_eq!(ranked.histogram(3, -1.0..=1.0), [0, 0, 0]);
    assert_eq!(ranked.photos_above(0.0, &album), 0);
    assert!(ranked.view(&album, 0).is_none());
}

// ---- per-match verdicts (accept / reject) -----------------------------------------------

mod review {
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use facesorter_core::embed::FaceEmbedding;
    use facesorter_core::gallery::Album;
    use facesorter_core::geometry::FaceBox;
    use facesorter_core::search::{FaceKey, FaceKeyError, ProbeFace, Session, Threshold, Verdict};

    use super::{face, photo, small_album, unit};

    fn probe(v: &[f32]) -> ProbeFace {
        ProbeFace {
            source: PathBuf::from("me.jpg"),
            face_box: FaceBox {
                x1: 0.0,
                y1: 0.0,
                x2: 10.0,
                y2: 10.0,
            },
            embedding: FaceEmbedding {
                unit: unit(v),
                norm: 20.0,
            },
            image: None,
        }
    }

    /// `small_album` searched for e₁ at `threshold`. Scores by hand: p0#0 1, p1#0 0.8,
    /// p0#1 0.6, p2#2 0.6, p3#0 0.28, p2#0 0, p2#1 −0.6.
    fn session(threshold: f32) -> Session {
        let mut s = Session::new(
            "/g",
            Arc::new(small_album()),
            Threshold::new(threshold).expect("a number"),
        );
        s.set_probes(vec![probe(&[1.0, 0.0, 0.0, 0.0])]);
        s
    }

    fn key(photo: &str, index: u32) -> FaceKey {
        FaceKey {
            photo: photo.into(),
            index,
        }
    }

    /// Shown matches as `photo#index`, best first.
    fn shown(s: &Session) -> Vec<String> {
        s.matches()
            .map(|m| {
                format!(
                    "{}#{}",
                    m.photo.rel_path.to_string_lossy(),
                    m.index_in_photo()
                )
            })
            .collect()
    }

    fn band(s: &Session) -> Vec<String> {
        s.band()
            .map(|m| {
                format!(
                    "{}#{}",
                    m.photo.rel_path.to_string_lossy(),
                    m.index_in_photo()
                )
            })
            .collect()
    }

    #[test]
    fn a_rejected_match_stays_out_while_the_threshold_moves() {
        let mut s = session(0.5);
        assert_eq!(shown(&s), ["p0.jpg#0", "p1.jpg#0", "p0.jpg#1", "p2.jpg#2"]);
        s.set_verdict(key("p2.jpg", 2), Some(Verdict::Rejected));
        assert_eq!(shown(&s), ["p0.jpg#0", "p1.jpg#0", "p0.jpg#1"]);
        assert_eq!((s.counts().faces, s.counts().rejected), (3, 1));
        assert_eq!(s.counts().photos, 2);
        let rejected: Vec<u32> = s.rejected().map(|m| m.face_index).collect();
        assert_eq!(rejected, [5]);
        s.set_threshold(Threshold::new(0.7).expect("a number"));
        assert_eq!(shown(&s), ["p0.jpg#0", "p1.jpg#0"]);
        assert_eq!(s.counts().rejected, 0, "the rejected face is below 0.7");
        s.set_threshold(Threshold::new(0.2).expect("a number"));
        assert_eq!(shown(&s), ["p0.jpg#0", "p1.jpg#0", "p0.jpg#1", "p3.jpg#0"]);
        assert_eq!(s.counts().rejected, 1);
        // Cleared: back in its place.
        s.set_verdict(key("p2.jpg", 2), None);
        assert_eq!(s.counts().rejected, 0);
        assert_eq!(shown(&s).len(), 5);
    }

    #[test]
    fn a_verdict_survives_a_new_album_that_renumbers_the_faces() {
        let mut s = session(0.5);
        s.set_verdict(key("p2.jpg", 2), Some(Verdict::Rejected));
        s.set_verdict(key("p3.jpg", 0), Some(Verdict::Accepted));
        // Re-indexed: a new photo first, so every face of the old album moves by two.
        let old = small_album();
        let mut album = Album::new(4);
        album.push_photo(
            photo("a_new.jpg"),
            vec![
                (face(0.0, 10.0), vec![0.0, 0.0, 1.0, 0.0]),
                (face(20.0, 10.0), vec![0.0, 0.0, 0.0, 1.0]),
            ],
        );
        for p in 0..old.photos().len() {
            let record = old.photos()[p].clone();
            album.push_photo_from(&old, p, record);
        }
        assert!(album.is_consistent());
        s.set_album(Arc::new(album));
        assert_eq!(
            shown(&s),
            ["p0.jpg#0", "p1.jpg#0", "p0.jpg#1", "p3.jpg#0"],
            "p2#2 still rejected, p3#0 still accepted"
        );
        assert_eq!(s.verdict(7), Some(Verdict::Rejected), "old face 5, now 7");
        assert_eq!(s.verdict(5), None);
        // An album without the photo: the verdict waits, matching nothing.
        let mut without = Album::new(4);
        let old = small_album();
        for p in [0, 1, 3] {
            let record = old.photos()[p].clone();
            without.push_photo_from(&old, p, record);
        }
        s.set_album(Arc::new(without));
        assert_eq!(s.counts().rejected, 0);
        s.set_album(Arc::new(small_album()));
        assert_eq!(s.counts().rejected, 1, "back with the photo");
        // Another gallery: the verdicts were about the other one's faces.
        s.set_gallery("/other", Arc::new(small_album()));
        assert!(s.review().is_empty());
        assert_eq!(s.counts().rejected, 0);
    }

    #[test]
    fn the_export_takes_the_shown_matches_minus_the_rejected_plus_the_accepted() {
        let mut s = session(0.5);
        s.set_verdict(key("p0.jpg", 1), Some(Verdict::Rejected));
        s.set_verdict(key("p2.jpg", 0), Some(Verdict::Accepted));
        let req = s.export_request("/out", "m", false, None).expect("request");
        let paths: Vec<PathBuf> = req.matches.iter().map(|m| m.photo_path.clone()).collect();
        assert_eq!(
            paths,
            ["/g/p0.jpg", "/g/p1.jpg", "/g/p2.jpg", "/g/p2.jpg"].map(PathBuf::from)
        );
        let scores: Vec<f32> = req.matches.iter().map(|m| m.score).collect();
        assert_eq!(scores[3], 0.0, "the accepted face far below the threshold");
        assert_eq!(s.counts().accepted, 1);
        // An accepted face stays when the threshold rises above it, and through the filter.
        s.set_threshold(Threshold::new(0.9).expect("a number"));
        s.set_min_quality(Some(100.0));
        assert_eq!(shown(&s), ["p2.jpg#0"]);
    }

    #[test]
    fn the_band_holds_the_next_candidates_below_the_threshold() {
        let mut s = session(0.7);
        s.set_band_size(3);
        assert_eq!(band(&s), ["p0.jpg#1", "p2.jpg#2", "p3.jpg#0"]);
        s.set_verdict(key("p0.jpg", 1), Some(Verdict::Rejected));
        assert_eq!(band(&s), ["p2.jpg#2", "p3.jpg#0", "p2.jpg#0"]);
        // The quality filter hides p2#0 (norm 8): the band skips it too.
        s.set_min_quality(Some(10.0));
        assert_eq!(band(&s), ["p2.jpg#2", "p3.jpg#0", "p2.jpg#1"]);
        s.set_verdict(key("p3.jpg", 0), Some(Verdict::Accepted));
        assert_eq!(
            band(&s),
            ["p2.jpg#2", "p2.jpg#1"],
            "accepted is shown above"
        );
        s.set_threshold(Threshold::new(-1.0).expect("a number"));
        assert!(band(&s).is_empty(), "nothing below -1");
    }

    #[test]
    fn first_rejected_score_is_the_best_rejected() {
        let mut s = session(0.5);
        assert_eq!(s.first_rejected_score(), None);
        s.set_verdict(key("p3.jpg", 0), Some(Verdict::Rejected));
        assert_eq!(s.first_rejected_score(), Some(0.28));
        s.set_verdict(key("p0.jpg", 1), Some(Verdict::Rejected));
        assert_eq!(s.first_rejected_score(), Some(0.6));
        s.set_verdict(key("p1.jpg", 0), Some(Verdict::Accepted));
        assert_eq!(
            s.first_rejected_score(),
            Some(0.6),
            "accepting is not rejecting"
        );
    }

    #[test]
    fn closest_probe_agrees_with_brute_force_cosines() {
        let album = super::random_album(80, 16, 11);
        let mut s = Session::new("/g", Arc::new(album.clone()), Threshold::KEEP_ALL);
        let probes: Vec<ProbeFace> = (0..3)
            .map(|i| probe(&crate::common::noise(900 + i, 16)))
            .collect();
        s.set_probes(probes.clone());
        for f in 0..album.face_count() {
            let cos = |p: &ProbeFace| -> f64 {
                p.embedding
                    .unit
                    .iter()
                    .zip(album.embedding(f))
                    .map(|(&a, &b)| f64::from(a) * f64::from(b))
                    .sum()
            };
            let best = (0..probes.len())
                .max_by(|&a, &b| cos(&probes[a]).total_cmp(&cos(&probes[b])))
                .expect("probes");
            assert_eq!(s.closest_probe(f), Some(best), "face {f}");
        }
        assert_eq!(s.closest_probe(album.face_count()), None);
    }

    #[test]
    fn face_keys_from_paths_as_given() {
        let s = session(0.5);
        let want = Ok(key("p2.jpg", 2));
        assert_eq!(s.face_key(Path::new("p2.jpg"), 2), want);
        assert_eq!(s.face_key(Path::new("./p2.jpg"), 2), want);
        assert_eq!(s.face_key(Path::new("/g/p2.jpg"), 2), want);
        assert!(matches!(
            s.face_key(Path::new("p2.jpg"), 3),
            Err(FaceKeyError::UnknownFace { faces: 3, .. })
        ));
        assert!(matches!(
            s.face_key(Path::new("nope.jpg"), 0),
            Err(FaceKeyError::UnknownPhoto { .. })
        ));
        assert!(matches!(
            s.face_key(Path::new("/elsewhere/p2.jpg"), 0),
            Err(FaceKeyError::UnknownPhoto { .. })
        ));
    }
}
