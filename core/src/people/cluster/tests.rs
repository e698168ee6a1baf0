//! Small hand-made albums: each person is an axis of an 8-dimensional space, each face
//! that axis plus a little deterministic noise, so who is who is known exactly.

use super::*;
use crate::people::faces::FaceFacts;

const DIM: usize = 8;
const T: f32 = 0.45;

/// A face: whose it is (axis), its photo, and whether it is good enough to found.
#[derive(Clone, Copy)]
struct F {
    who: usize,
    photo: u32,
    good: bool,
}

fn f(who: usize, photo: u32) -> F {
    F {
        who,
        photo,
        good: true,
    }
}

fn poor(who: usize, photo: u32) -> F {
    F {
        who,
        photo,
        good: false,
    }
}

fn album(list: &[F]) -> FaceSet {
    let mut embeddings = Vec::new();
    let mut facts = Vec::new();
    for (i, face) in list.iter().enumerate() {
        let mut v: Vec<f32> = (0..DIM)
            .map(|d| {
                // Deterministic noise in −0.15..0.15 (a same-person cosine of about 0.9).
                let x = ((i * 31 + d * 17) % 13) as f32 / 12.0 - 0.5;
                0.3 * x
            })
            .collect();
        v[face.who] += 1.0;
        let len = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        embeddings.extend(v.iter().map(|x| x / len));
        facts.push(FaceFacts {
            photo: face.photo,
            box_side: if face.good { 120.0 } else { 20.0 },
            norm: 20.0,
        });
    }
    FaceSet::new(DIM, embeddings, facts).expect("face set")
}

fn params() -> ClusterParams {
    ClusterParams::for_threshold(T)
}

/// Four faces each of persons 0, 1 and 2, one photo per face.
fn three_people() -> Vec<F> {
    (0..12).map(|i| f(i % 3, i as u32)).collect()
}

fn person_of(p: &Partition, face: u32) -> Option<usize> {
    p.persons.iter().position(|x| x.faces.contains(&face))
}

fn assert_no_photo_twice(faces: &FaceSet, p: &Partition) {
    for person in &p.persons {
        let mut photos: Vec<u32> = person
            .faces
            .iter()
            .map(|&f| faces.facts(f as usize).photo)
            .collect();
        photos.sort_unstable();
        photos.dedup();
        assert_eq!(photos.len(), person.faces.len(), "{:?}", person.faces);
    }
}

#[test]
fn separate_people_become_separate_persons() {
    let faces = album(&three_people());
    let p = cluster(&faces, &Constraints::default(), &params());
    assert_eq!(p.persons.len(), 3, "{p:?}");
    for person in &p.persons {
        let who = person.faces[0] % 3;
        assert!(person.faces.iter().all(|f| f % 3 == who), "{p:?}");
        assert_eq!(person.faces.len(), 4);
        assert!(person.scores.iter().all(|s| (0.5..=1.0).contains(s)));
    }
    assert!(p.unsorted.is_empty());
}

#[test]
fn two_faces_of_one_photo_are_never_one_person() {
    let mut list = three_people();
    // Faces 0 and 3 (both person 0) in one photo.
    list[3].photo = list[0].photo;
    let faces = album(&list);
    let p = cluster(&faces, &Constraints::default(), &params());
    assert_no_photo_twice(&faces, &p);
    assert_ne!(person_of(&p, 0), person_of(&p, 3));
}

#[test]
fn known_persons_keep_their_confirmed_faces_even_of_one_photo() {
    let mut list = three_people();
    list[3].photo = list[0].photo;
    let faces = album(&list);
    let constraints = Constraints {
        known: vec![
            KnownPerson {
                confirmed: vec![0, 3],
                ..KnownPerson::default()
            },
            KnownPerson {
                confirmed: vec![1],
                ..KnownPerson::default()
            },
            // No confirmed face: not a person of the result.
            KnownPerson {
                previous: vec![2],
                ..KnownPerson::default()
            },
        ],
        ignored: vec![],
    };
    let p = cluster(&faces, &constraints, &params());
    let k0 = p
        .persons
        .iter()
        .find(|x| x.known == Some(0))
        .expect("known 0");
    assert!(k0.faces.contains(&0) && k0.faces.contains(&3), "{p:?}");
    assert_eq!(
        k0.scores[k0.faces.iter().position(|&f| f == 0).expect("0")],
        1.0
    );
    let k1 = p
        .persons
        .iter()
        .find(|x| x.known == Some(1))
        .expect("known 1");
    assert_eq!(k1.faces, vec![1, 4, 7, 10]);
    assert!(p.persons.iter().all(|x| x.known != Some(2)));
}

#[test]
fn faces_confirmed_for_two_known_persons_are_never_joined() {
    // One look, but the user says faces 0 and 3 are two different people.
    let faces = album(&three_people());
    let constraints = Constraints {
        known: vec![
            KnownPerson {
                confirmed: vec![0],
                ..KnownPerson::default()
            },
            KnownPerson {
                confirmed: vec![3],
                ..KnownPerson::default()
            },
        ],
        ignored: vec![],
    };
    let p = cluster(&faces, &constraints, &params());
    let a = p
        .persons
        .iter()
        .position(|x| x.known == Some(0))
        .expect("known 0");
    let b = p
        .persons
        .iter()
        .position(|x| x.known == Some(1))
        .expect("known 1");
    assert_ne!(a, b);
    assert!(p.persons[a].faces.contains(&0) && !p.persons[a].faces.contains(&3));
    assert!(p.persons[b].faces.contains(&3) && !p.persons[b].faces.contains(&0));
}

#[test]
fn a_rejected_face_never_goes_to_that_person_and_ignored_faces_go_nowhere() {
    let faces = album(&three_people());
    let constraints = Constraints {
        known: vec![KnownPerson {
            confirmed: vec![0],
            rejected: vec![6],
            ..KnownPerson::default()
        }],
        ignored: vec![9, 2],
    };
    let p = cluster(&faces, &constraints, &params());
    let k = p
        .persons
        .iter()
        .find(|x| x.known == Some(0))
        .expect("known");
    assert!(k.faces.contains(&0) && k.faces.contains(&3));
    assert!(!k.faces.contains(&6), "{p:?}");
    for ignored in [9, 2] {
        assert_eq!(person_of(&p, ignored), None);
        assert!(!p.unsorted.contains(&ignored));
    }
    let total: usize = p.persons.iter().map(|x| x.faces.len()).sum::<usize>() + p.unsorted.len();
    assert_eq!(total, 10);
}

#[test]
fn poor_faces_join_a_person_but_never_found_one() {
    let mut list = three_people();
    // Person 3: two poor faces only. Person 0 gets a poor face too.
    list.push(poor(3, 100));
    list.push(poor(3, 101));
    list.push(poor(0, 102));
    let faces = album(&list);
    let p = cluster(&faces, &Constraints::default(), &params());
    assert_eq!(p.persons.len(), 3, "{p:?}");
    assert!(p.unsorted.contains(&12) && p.unsorted.contains(&13));
    assert_eq!(person_of(&p, 14), person_of(&p, 0));
}

#[test]
fn the_result_does_not_depend_on_the_order_of_faces() {
    let list = three_people();
    let faces = album(&list);
    let p = cluster(&faces, &Constraints::default(), &params());
    let reversed: Vec<F> = list.iter().rev().copied().collect();
    // The embeddings must stay with their faces: rebuild from the original rows.
    let n = list.len();
    let mut embeddings = Vec::new();
    let mut facts = Vec::new();
    for i in (0..n).rev() {
        embeddings.extend_from_slice(faces.embedding(i));
        facts.push(faces.facts(i));
    }
    assert_eq!(reversed.len(), n);
    let back = FaceSet::new(DIM, embeddings, facts).expect("face set");
    let q = cluster(&back, &Constraints::default(), &params());
    let sets = |p: &Partition, map: &dyn Fn(u32) -> u32| {
        let mut s: Vec<Vec<u32>> = p
            .persons
            .iter()
            .map(|x| {
                let mut v: Vec<u32> = x.faces.iter().map(|&f| map(f)).collect();
                v.sort_unstable();
                v
            })
            .collect();
        s.sort();
        s
    };
    assert_eq!(sets(&p, &|f| f), sets(&q, &|f| n as u32 - 1 - f));
}

#[test]
fn attach_places_new_faces_without_touching_old_ones() {
    let mut list = three_people();
    list.push(f(0, 200)); // 12: person 0 again
    list.push(f(3, 201)); // 13..=15: a new person
    list.push(f(3, 202));
    list.push(f(3, 203));
    list.push(f(4, 204)); // 16: a stranger
    let faces = album(&list);
    let old: Vec<u32> = (0..12).collect();
    let before_faces = super::subset(&faces, &old);
    let before = cluster(&before_faces, &Constraints::default(), &params());
    let new: Vec<u32> = (12..17).collect();
    let after = attach(&faces, &before, &new, &Constraints::default(), &params());
    for person in &before.persons {
        let grown = after
            .persons
            .iter()
            .find(|x| x.faces.contains(&person.faces[0]))
            .expect("old person kept");
        for (f, s) in person.faces.iter().zip(&person.scores) {
            let at = grown
                .faces
                .iter()
                .position(|g| g == f)
                .expect("old face kept");
            assert_eq!(grown.scores[at], *s, "old scores kept");
        }
    }
    assert_eq!(person_of(&after, 12), person_of(&after, 0));
    let newcomer = person_of(&after, 13).expect("a new person");
    assert_eq!(after.persons[newcomer].faces, vec![13, 14, 15]);
    assert_eq!(after.unsorted, vec![16]);
}

#[test]
fn split_separates_two_people_held_as_one() {
    let faces = album(&three_people());
    let merged = PersonCluster {
        faces: vec![0, 1, 3, 4, 6, 7, 9, 10],
        scores: vec![0.5; 8],
        known: None,
    };
    let parts = split(&faces, &merged, &params());
    assert_eq!(parts.len(), 2, "{parts:?}");
    let mut sets: Vec<Vec<u32>> = parts.iter().map(|p| p.faces.clone()).collect();
    sets.sort();
    assert_eq!(sets, vec![vec![0, 3, 6, 9], vec![1, 4, 7, 10]]);

    let whole = PersonCluster {
        faces: vec![0, 3, 6, 9],
        scores: vec![1.0; 4],
        known: None,
    };
    let parts = split(&faces, &whole, &params());
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].faces, vec![0, 3, 6, 9]);
}

#[test]
fn attach_honours_rejections_and_new_confirmations() {
    let mut list = three_people();
    list.push(f(0, 200)); // 12: looks like person 0, but rejected for known 0
    list.push(f(1, 201)); // 13: confirmed for known 0 although it looks like person 1
    let faces = album(&list);
    let constraints = Constraints {
        known: vec![KnownPerson {
            confirmed: vec![0, 13],
            rejected: vec![12],
            ..KnownPerson::default()
        }],
        ignored: vec![],
    };
    let old: Vec<u32> = (0..12).collect();
    let before_constraints = Constraints {
        known: vec![KnownPerson {
            confirmed: vec![0],
            ..KnownPerson::default()
        }],
        ignored: vec![],
    };
    let before = cluster(&super::subset(&faces, &old), &before_constraints, &params());
    let after = attach(&faces, &before, &[12, 13], &constraints, &params());
    let k = after
        .persons
        .iter()
        .find(|x| x.known == Some(0))
        .expect("known person");
    assert!(k.faces.contains(&13), "{after:?}");
    assert!(!k.faces.contains(&12), "{after:?}");
    assert_no_photo_twice(&faces, &after);
}
