//! New faces placed into an already clustered album without clustering it again.

use std::collections::HashSet;

use rayon::prelude::*;

use super::attach::{attach_pool, Targets};
use super::group::Groups;
use super::quality::QualityBar;
use super::rules::Rules;
use super::vector::{dot, Sim};
use super::{found_and_attach, partition, person_roots, subset};
use super::{ClusterParams, Constraints, Partition, PersonCluster};
use crate::people::faces::FaceSet;

/// `partition` with `new_faces` placed: each joins an existing person by the same rule
/// as in [`super::cluster`] (a clear vote over the person's best faces, with a margin),
/// its candidates being the persons whose mean embedding is closest to it. The new faces
/// left over, with the old unsorted faces near them, are then clustered among themselves
/// and found new persons if they qualify. Existing persons keep every face and score.
///
/// Cost: new faces × persons for the candidates, new faces × unsorted faces for the
/// leftovers; never the whole album squared.
pub fn attach(
    faces: &FaceSet,
    partition_before: &Partition,
    new_faces: &[u32],
    constraints: &Constraints,
    params: &ClusterParams,
) -> Partition {
    let n = faces.len();
    let thresholds = params.thresholds();
    let bar = QualityBar::for_album(faces, &thresholds);
    let rules = Rules::new(faces.all_facts().iter().map(|f| f.photo), constraints);
    let mut groups = Groups::new(faces, &rules);
    let valid = |f: &u32| (*f as usize) < n && !rules.is_ignored(*f);

    let mut old_persons: Vec<u32> = Vec::new();
    for person in &partition_before.persons {
        let list: Vec<u32> = person.faces.iter().copied().filter(valid).collect();
        let Some(&first) = list.first() else { continue };
        for &f in &list[1..] {
            groups.union_unchecked(first, f);
        }
        let root = groups.find(first);
        if let Some(k) = person.known {
            groups.claim(root, k as u32);
        }
        old_persons.push(first);
    }
    let mut roots: Vec<u32> = old_persons.iter().map(|&f| groups.find(f)).collect();
    roots.extend(person_roots(&groups, &thresholds));
    roots.sort_unstable();
    roots.dedup();

    let mut fresh: Vec<u32> = new_faces.iter().copied().filter(valid).collect();
    fresh.sort_unstable();
    fresh.dedup();
    let in_person: HashSet<u32> = roots.iter().copied().collect();
    fresh.retain(|&f| !in_person.contains(&groups.root(f)));

    // Candidates: the persons whose mean embedding is nearest.
    let targets = Targets::new(faces, &groups, &bar, &roots, thresholds.vote_faces);
    let centroids: Vec<(u32, Vec<f32>)> = roots
        .iter()
        .map(|&r| {
            let sum = groups.sum(r);
            let len = dot(sum, sum).sqrt().max(f32::MIN_POSITIVE);
            (r, sum.iter().map(|v| v / len).collect())
        })
        .collect();
    let candidates: Vec<Vec<u32>> = fresh
        .par_iter()
        .map(|&f| {
            let e = faces.embedding(f as usize);
            let mut near: Vec<(f32, u32)> =
                centroids.iter().map(|(r, c)| (dot(e, c), *r)).collect();
            near.sort_unstable_by(|a, b| Sim(b.0).cmp(&Sim(a.0)).then(a.1.cmp(&b.1)));
            near.truncate(thresholds.neighbours);
            near.into_iter().map(|(_, r)| r).collect()
        })
        .collect();
    let position = |f: u32| fresh.binary_search(&f).unwrap_or(0);
    attach_pool(faces, &mut groups, &targets, &thresholds, &fresh, |f| {
        candidates[position(f)].clone()
    });

    // Person roots after joining (a join may move a root).
    let mut roots: Vec<u32> = roots.iter().map(|&r| groups.find(r)).collect();
    roots.sort_unstable();
    roots.dedup();
    let mut out = partition(faces, &rules, &groups, &roots, &thresholds, &bar);
    let old_scores: std::collections::HashMap<u32, f32> = partition_before
        .persons
        .iter()
        .flat_map(|p| p.faces.iter().copied().zip(p.scores.iter().copied()))
        .collect();
    for person in &mut out.persons {
        for (f, s) in person.faces.iter().zip(person.scores.iter_mut()) {
            if let Some(&old) = old_scores.get(f) {
                *s = old;
            }
        }
    }

    let placed: HashSet<u32> = out
        .persons
        .iter()
        .flat_map(|p| p.faces.iter().copied())
        .collect();
    let leftover: Vec<u32> = fresh
        .iter()
        .copied()
        .filter(|f| !placed.contains(f))
        .collect();
    let fresh_set: HashSet<u32> = fresh.iter().copied().collect();
    let old_unsorted: Vec<u32> = partition_before
        .unsorted
        .iter()
        .copied()
        .filter(valid)
        .filter(|f| !fresh_set.contains(f) && !placed.contains(f))
        .collect();
    for person in found_new(faces, &leftover, &old_unsorted, params, &bar) {
        out.persons.push(person);
    }
    let placed: HashSet<u32> = out
        .persons
        .iter()
        .flat_map(|p| p.faces.iter().copied())
        .collect();
    out.unsorted.retain(|f| !placed.contains(f));
    super::sort_persons(&mut out.persons);
    out
}

/// New persons among the `leftover` new faces and the `old` unsorted faces among their
/// nearest: clustered as an album of their own (no known persons among them).
fn found_new(
    faces: &FaceSet,
    leftover: &[u32],
    old: &[u32],
    params: &ClusterParams,
    bar: &QualityBar,
) -> Vec<PersonCluster> {
    if leftover.is_empty() {
        return Vec::new();
    }
    let thresholds = params.thresholds();
    let k = thresholds.neighbours;
    let near_old: Vec<u32> = leftover
        .par_iter()
        .flat_map_iter(|&f| {
            let e = faces.embedding(f as usize);
            let mut near: Vec<(f32, u32)> = old
                .iter()
                .map(|&g| (dot(e, faces.embedding(g as usize)), g))
                .collect();
            near.sort_unstable_by(|a, b| Sim(b.0).cmp(&Sim(a.0)).then(a.1.cmp(&b.1)));
            near.truncate(k);
            near.into_iter().map(|(_, g)| g)
        })
        .collect();
    let mut list: Vec<u32> = leftover.iter().copied().chain(near_old).collect();
    list.sort_unstable();
    list.dedup();
    let sub = subset(faces, &list);
    let rules = Rules::new(
        sub.all_facts().iter().map(|f| f.photo),
        &Constraints::default(),
    );
    let mut groups = Groups::new(&sub, &rules);
    found_and_attach(&sub, &rules, &mut groups, &thresholds, bar);
    let roots = person_roots(&groups, &thresholds);
    let found = partition(&sub, &rules, &groups, &roots, &thresholds, bar);
    let leftover_set: HashSet<u32> = leftover.iter().copied().collect();
    found
        .persons
        .into_iter()
        .map(|p| PersonCluster {
            faces: p.faces.iter().map(|&f| list[f as usize]).collect(),
            scores: p.scores,
            known: None,
        })
        // A "new" person made only of old unsorted faces is not new evidence.
        .filter(|p| p.faces.iter().any(|f| leftover_set.contains(f)))
        .collect()
}
