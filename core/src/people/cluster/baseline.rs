//! The baseline clustering is measured against: plain average-linkage agglomeration of
//! every face, at a fixed cut, honouring only the same-photo cannot-link. No quality, no
//! cores, no margins.
//!
//! Quadratic in memory and at least in time (a full similarity matrix): for measuring on
//! labelled sets and benchmarks of a few thousand faces, not for albums.

use rayon::prelude::*;

use super::vector::dot;
use super::{sort_persons, Partition, PersonCluster};
use crate::people::faces::FaceSet;

/// Average linkage down to `cut` (mean cosine): the two closest clusters merge first
/// (ties by smaller face numbers) until no two clusters of different photos are at least
/// `cut` apart on average. Clusters of two or more faces are persons (each score is 1);
/// lone faces are unsorted.
pub fn average_linkage(faces: &FaceSet, cut: f32) -> Partition {
    let n = faces.len();
    let mut sim = vec![0.0f32; n * n];
    sim.par_chunks_mut(n.max(1))
        .enumerate()
        .for_each(|(i, row)| {
            let photo = faces.facts(i).photo;
            for (j, s) in row.iter_mut().enumerate() {
                *s = if i == j || faces.facts(j).photo == photo {
                    // A cannot-link: the average with -inf stays -inf, so clusters holding two
                    // faces of one photo never merge.
                    f32::NEG_INFINITY
                } else {
                    dot(faces.embedding(i), faces.embedding(j))
                };
            }
        });
    let mut active = vec![true; n];
    let mut size = vec![1usize; n];
    let mut members: Vec<Vec<u32>> = (0..n as u32).map(|f| vec![f]).collect();
    let best_of = |sim: &[f32], active: &[bool], i: usize| -> (f32, usize) {
        let mut best = (f32::NEG_INFINITY, usize::MAX);
        for j in 0..n {
            if j != i && active[j] && sim[i * n + j] > best.0 {
                best = (sim[i * n + j], j);
            }
        }
        best
    };
    let mut best: Vec<(f32, usize)> = (0..n).map(|i| best_of(&sim, &active, i)).collect();
    loop {
        let mut top: Option<usize> = None;
        for i in (0..n).filter(|&i| active[i] && best[i].1 != usize::MAX) {
            if top.is_none_or(|t| best[i].0 > best[t].0) {
                top = Some(i);
            }
        }
        let Some(i) = top else { break };
        let (s, j) = best[i];
        if s < cut {
            break;
        }
        let (a, b) = (i.min(j), i.max(j));
        let (wa, wb) = (size[a] as f32, size[b] as f32);
        for k in (0..n).filter(|&k| active[k] && k != a && k != b) {
            let merged = (wa * sim[a * n + k] + wb * sim[b * n + k]) / (wa + wb);
            sim[a * n + k] = merged;
            sim[k * n + a] = merged;
        }
        active[b] = false;
        size[a] += size[b];
        let moved = std::mem::take(&mut members[b]);
        members[a].extend(moved);
        best[a] = best_of(&sim, &active, a);
        for k in (0..n).filter(|&k| active[k] && k != a) {
            if best[k].1 == a || best[k].1 == b {
                best[k] = best_of(&sim, &active, k);
            } else if sim[k * n + a] > best[k].0 || (sim[k * n + a] == best[k].0 && a < best[k].1) {
                best[k] = (sim[k * n + a], a);
            }
        }
    }
    let mut persons: Vec<PersonCluster> = Vec::new();
    let mut unsorted = Vec::new();
    for (i, mut list) in members.into_iter().enumerate() {
        if !active[i] {
            continue;
        }
        list.sort_unstable();
        if list.len() >= 2 {
            persons.push(PersonCluster {
                scores: vec![1.0; list.len()],
                faces: list,
                known: None,
            });
        } else {
            unsorted.extend(list);
        }
    }
    unsorted.sort_unstable();
    sort_persons(&mut persons);
    Partition { persons, unsorted }
}
