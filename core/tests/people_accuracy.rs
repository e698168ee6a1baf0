//! People clustering on real faces: both labelled sets of ../shared as one gallery,
//! indexed with the real FaceNet recognizer (fp32, so every CPU gives the same scores),
//! every face of every photo clustered, scored on each labelled photo's largest face.
//!
//! Set `PEOPLE_ACCURACY_CACHE=DIR` to keep the index between runs (a fresh temporary
//! cache otherwise).

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::OnceLock;

use common::shared;
use facesorter_core::engine::FaceEngine;
use facesorter_core::gallery::{Album, GalleryCache};
use facesorter_core::index::{index_gallery, IndexOptions};
use facesorter_core::people::cluster::baseline::average_linkage;
use facesorter_core::people::metrics::{score, ClusterScores};
use facesorter_core::people::{
    cluster, cluster_with, ClusterParams, Constraints, FaceFacts, FaceSet, Partition, Thresholds,
};
use facesorter_core::runtime::{Precision, ProviderRequest};

/// FaceNet's verification threshold (../shared/README.md).
const THRESHOLD: f32 = 0.45;
/// The targets, to be met together.
const MIN_BCUBED_F: f64 = 0.96;
const MIN_PAIRWISE_PRECISION: f64 = 0.98;
/// The baseline's cuts reported beside ours: where ../shared/README.md measured its best
/// F (0.50) and its best precision (0.60).
const BASELINE_CUTS: [f32; 2] = [0.50, 0.60];

/// The gallery's faces in canonical order (photos by content hash, faces in reading
/// order), and the label of each labelled photo's largest face.
struct Labelled {
    faces: FaceSet,
    labels: Vec<(u32, u32)>,
    label_names: Vec<String>,
}

fn labelled() -> &'static Labelled {
    static DATA: OnceLock<Labelled> = OnceLock::new();
    DATA.get_or_init(load)
}

fn engine() -> FaceEngine {
    common::facenet::open(
        ProviderRequest {
            precision: Some(Precision::Fp32),
            ..ProviderRequest::default()
        },
        Some(THRESHOLD),
    )
}

fn index(root: &Path, cache: &Path) -> Album {
    let outcome = index_gallery(
        &engine(),
        root,
        Some(&GalleryCache::new(cache.to_path_buf())),
        &IndexOptions::default(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .expect("index");
    assert_eq!(outcome.summary.failed, 0, "{:?}", outcome.summary.failures);
    Album::clone(&outcome.album)
}

fn load() -> Labelled {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("gallery");
    std::fs::create_dir_all(&root).expect("mkdir");
    // ../shared is read-only and must not be copied: the gallery links to it.
    for set in ["deepface", "bbt"] {
        std::os::unix::fs::symlink(shared(&format!("faces/{set}")), root.join(set))
            .expect("symlink");
    }
    let cache = std::env::var_os("PEOPLE_ACCURACY_CACHE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("cache"));
    let album = index(&root, &cache);

    let mut identities: HashMap<String, String> = HashMap::new();
    let mut csv =
        csv::Reader::from_path(shared("faces/deepface/identities.csv")).expect("identities.csv");
    for row in csv.records() {
        let row = row.expect("csv row");
        identities.insert(
            format!("deepface/{}", &row[0]),
            format!("deepface:{}", &row[1]),
        );
    }
    let label_of = |rel: &str| -> Option<String> {
        if let Some(rest) = rel.strip_prefix("bbt/") {
            return rest.split_once('/').map(|(name, _)| format!("bbt:{name}"));
        }
        identities.get(rel).cloned()
    };

    let mut photos: Vec<usize> = (0..album.photos().len()).collect();
    photos.sort_by(|&a, &b| {
        let (pa, pb) = (&album.photos()[a], &album.photos()[b]);
        pa.content_sha256
            .cmp(&pb.content_sha256)
            .then(pa.rel_path.cmp(&pb.rel_path))
    });
    let mut embeddings = Vec::new();
    let mut facts = Vec::new();
    let mut labels = Vec::new();
    let mut label_names: Vec<String> = Vec::new();
    let mut labelled_photos = 0;
    for (number, &p) in photos.iter().enumerate() {
        let record = &album.photos()[p];
        let range = album.face_range(p);
        let label = label_of(&record.rel_path.to_string_lossy());
        if label.is_some() {
            labelled_photos += 1;
            assert!(!range.is_empty(), "{:?}: no face found", record.rel_path);
        }
        let largest = range.clone().max_by(|&a, &b| {
            album.faces()[a]
                .face_box
                .area()
                .total_cmp(&album.faces()[b].face_box.area())
                .then(b.cmp(&a))
        });
        for face in range {
            let record = &album.faces()[face];
            let number_of_face = facts.len() as u32;
            embeddings.extend_from_slice(album.embedding(face));
            facts.push(FaceFacts {
                photo: number as u32,
                box_side: record.face_box.width().min(record.face_box.height()),
                norm: record.norm,
            });
            if let (Some(name), true) = (&label, Some(face) == largest) {
                let id = match label_names.iter().position(|n| n == name) {
                    Some(id) => id,
                    None => {
                        label_names.push(name.clone());
                        label_names.len() - 1
                    }
                };
                labels.push((number_of_face, id as u32));
            }
        }
    }
    assert_eq!(labelled_photos, 102, "labelled photos in the two sets");
    let faces = FaceSet::new(album.dim(), embeddings, facts).expect("face set");
    Labelled {
        faces,
        labels,
        label_names,
    }
}

fn report(what: &str, s: &ClusterScores) {
    println!(
        "{what:<34} BCubed P {:.3} R {:.3} F {:.3} | pairwise P {:.3} R {:.3} F {:.3} | {} persons",
        s.bcubed.precision,
        s.bcubed.recall,
        s.bcubed.f,
        s.pairwise.precision,
        s.pairwise.recall,
        s.pairwise.f,
        s.persons
    );
}

fn assert_no_person_holds_two_faces_of_a_photo(faces: &FaceSet, partition: &Partition) {
    for person in &partition.persons {
        let photos: BTreeSet<u32> = person
            .faces
            .iter()
            .map(|&f| faces.facts(f as usize).photo)
            .collect();
        assert_eq!(
            photos.len(),
            person.faces.len(),
            "a person holds two faces of one photo: {:?}",
            person.faces
        );
    }
}

#[test]
fn clustering_meets_the_targets_on_the_labelled_sets() {
    let data = labelled();
    println!(
        "{} faces, {} labelled photos of {} people",
        data.faces.len(),
        data.labels.len(),
        data.label_names.len()
    );
    let params = ClusterParams::for_threshold(THRESHOLD);
    let ours = cluster(&data.faces, &Constraints::default(), &params);
    assert_no_person_holds_two_faces_of_a_photo(&data.faces, &ours);
    let placed: usize =
        ours.persons.iter().map(|p| p.faces.len()).sum::<usize>() + ours.unsorted.len();
    assert_eq!(
        placed,
        data.faces.len(),
        "every face in a person or unsorted"
    );
    let s = score(&ours, &data.labels);
    report("FaceSorter", &s);

    for cut in BASELINE_CUTS {
        let at_cut = score(&average_linkage(&data.faces, cut), &data.labels);
        report(&format!("average linkage, cut {cut:.2}"), &at_cut);
    }
    let (best_cut, best) = (40..=70)
        .map(|c| {
            let cut = c as f32 / 100.0;
            (cut, score(&average_linkage(&data.faces, cut), &data.labels))
        })
        .max_by(|a, b| {
            a.1.bcubed
                .f
                .total_cmp(&b.1.bcubed.f)
                .then(b.0.total_cmp(&a.0))
        })
        .expect("cuts");
    report(&format!("average linkage, best cut {best_cut:.2}"), &best);

    assert!(
        s.bcubed.f >= MIN_BCUBED_F && s.pairwise.precision >= MIN_PAIRWISE_PRECISION,
        "BCubed F {:.3} (target {MIN_BCUBED_F}), pairwise precision {:.3} (target {MIN_PAIRWISE_PRECISION})",
        s.bcubed.f,
        s.pairwise.precision
    );
}

/// The targets do not hinge on the exact documented values: they hold with each
/// fraction of `1 - t` moved by about a tenth either way, one at a time.
#[test]
fn the_targets_hold_around_the_documented_thresholds() {
    let data = labelled();
    let base = ClusterParams::for_threshold(THRESHOLD).thresholds();
    let room = 1.0 - THRESHOLD;
    let moved = |what: &str, by: f32| -> Thresholds {
        let mut t = base;
        match what {
            "core" => t.core_link += by * room,
            "merge" => t.merge_cut += by * room,
            "join" => t.join += by * room,
            _ => t.join_margin += by * room,
        }
        t
    };
    for (what, step) in [
        ("core", 0.05),
        ("merge", 0.025),
        ("join", 0.05),
        ("margin", 0.02),
    ] {
        for by in [-step, step] {
            let t = moved(what, by);
            let s = score(
                &cluster_with(&data.faces, &Constraints::default(), &t),
                &data.labels,
            );
            assert!(
                s.bcubed.f >= MIN_BCUBED_F && s.pairwise.precision >= MIN_PAIRWISE_PRECISION,
                "{what} {by:+} (fraction of 1 - t): BCubed F {:.3}, pairwise precision {:.3}",
                s.bcubed.f,
                s.pairwise.precision
            );
        }
    }
}

/// splitmix64: a fixed pseudo-random sequence without a dependency.
fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut state = seed;
    for i in (1..n).rev() {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        order.swap(i, (z % (i as u64 + 1)) as usize);
    }
    order
}

/// Persons as sets of faces, and the unsorted faces.
fn as_sets(
    partition: &Partition,
    back: impl Fn(u32) -> u32,
) -> (BTreeSet<BTreeSet<u32>>, BTreeSet<u32>) {
    let persons = partition
        .persons
        .iter()
        .map(|p| p.faces.iter().map(|&f| back(f)).collect())
        .collect();
    let unsorted = partition.unsorted.iter().map(|&f| back(f)).collect();
    (persons, unsorted)
}

#[test]
fn another_order_of_faces_and_photos_gives_the_same_persons() {
    let data = labelled();
    let params = ClusterParams::for_threshold(THRESHOLD);
    let expected = as_sets(
        &cluster(&data.faces, &Constraints::default(), &params),
        |f| f,
    );
    let n = data.faces.len();
    let photos = data
        .faces
        .all_facts()
        .iter()
        .map(|f| f.photo)
        .max()
        .map_or(0, |m| m as usize + 1);
    for seed in [1u64, 2, 3] {
        // New face order and new photo numbers: what other file names would give.
        let order = shuffled(n, seed);
        let photo_number = shuffled(photos, seed + 100);
        let mut embeddings = Vec::with_capacity(data.faces.embeddings().len());
        let mut facts = Vec::with_capacity(n);
        for &f in &order {
            embeddings.extend_from_slice(data.faces.embedding(f));
            let fact = data.faces.facts(f);
            facts.push(FaceFacts {
                photo: photo_number[fact.photo as usize] as u32,
                ..fact
            });
        }
        let faces = FaceSet::new(data.faces.dim(), embeddings, facts).expect("face set");
        let got = as_sets(&cluster(&faces, &Constraints::default(), &params), |f| {
            order[f as usize] as u32
        });
        assert_eq!(got, expected, "seed {seed}");
    }
}

/// `split` on real faces: the baseline's person that mixes several people (look-alikes
/// average linkage merged) falls into parts that each hold one person's labelled faces.
#[test]
fn split_separates_a_mixed_person() {
    use facesorter_core::people::split;
    let data = labelled();
    let params = ClusterParams::for_threshold(THRESHOLD);
    let label: HashMap<u32, u32> = data.labels.iter().copied().collect();
    let labels_in = |faces: &[u32]| -> BTreeSet<u32> {
        faces.iter().filter_map(|f| label.get(f).copied()).collect()
    };
    let baseline = average_linkage(&data.faces, 0.50);
    let mixed = baseline
        .persons
        .iter()
        .max_by_key(|p| labels_in(&p.faces).len())
        .expect("persons");
    let people = labels_in(&mixed.faces).len();
    assert!(people >= 2, "the baseline at 0.50 has a mixed person");
    let parts = split(&data.faces, mixed, &params);
    let mut covered: Vec<u32> = parts.iter().flat_map(|p| p.faces.clone()).collect();
    covered.sort_unstable();
    assert_eq!(
        covered, mixed.faces,
        "the parts hold exactly the person's faces"
    );
    assert!(
        parts.len() >= people,
        "{people} people in {} parts",
        parts.len()
    );
    for part in &parts {
        assert!(
            labels_in(&part.faces).len() <= 1,
            "a part still mixes people: {:?}",
            part.faces
        );
    }
}

/// Photos added later: a fifth of the photos held out, the rest clustered, then the
/// held-out faces attached incrementally. Old persons keep every face, no person gets
/// two faces of a photo, and the result stays as precise as a full clustering.
#[test]
fn attaching_new_photos_keeps_old_persons_and_precision() {
    use facesorter_core::people::attach;
    let data = labelled();
    let params = ClusterParams::for_threshold(THRESHOLD);
    let n = data.faces.len() as u32;
    let is_new = |f: u32| data.faces.facts(f as usize).photo % 5 == 2;
    let new: Vec<u32> = (0..n).filter(|&f| is_new(f)).collect();
    assert!(new.len() >= 15, "{} new faces", new.len());
    // The album before: only the old faces (the new ones are ignored for now).
    let before = cluster(
        &data.faces,
        &Constraints {
            ignored: new.clone(),
            ..Constraints::default()
        },
        &params,
    );
    let after = attach(&data.faces, &before, &new, &Constraints::default(), &params);
    assert_no_person_holds_two_faces_of_a_photo(&data.faces, &after);
    for person in &before.persons {
        let grown = after
            .persons
            .iter()
            .find(|p| p.faces.contains(&person.faces[0]))
            .expect("an old person is kept");
        assert!(person.faces.iter().all(|f| grown.faces.contains(f)));
    }
    let placed: usize =
        after.persons.iter().map(|p| p.faces.len()).sum::<usize>() + after.unsorted.len();
    assert_eq!(placed, data.faces.len());
    let s = score(&after, &data.labels);
    report("FaceSorter, a fifth attached", &s);
    assert!(
        s.pairwise.precision >= MIN_PAIRWISE_PRECISION,
        "pairwise precision {:.3}",
        s.pairwise.precision
    );
    let joined = new.iter().filter(|f| !after.unsorted.contains(f)).count();
    assert!(
        joined * 2 >= new.len(),
        "only {joined} of {} new faces placed",
        new.len()
    );
}
