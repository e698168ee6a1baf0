//! Joining a face to a person: only on clear evidence.
//!
//! The face is compared with each candidate person's best faces (a vote: the mean
//! cosine to them). It joins the best person when that mean reaches the join threshold
//! AND beats the second-best candidate by the margin, and no cannot-link forbids it.
//! Every face decides against the persons as they were before any joining (so the order
//! of faces does not matter); if two faces of one photo pick the same person, only the
//! closer one joins.

use std::collections::HashMap;

use rayon::prelude::*;

use super::group::Groups;
use super::params::Thresholds;
use super::quality::{best_faces, QualityBar};
use super::vector::{dot, Sim};
use crate::people::faces::FaceSet;

/// The persons faces may join: their roots and best faces.
pub(crate) struct Targets {
    best: HashMap<u32, Vec<u32>>,
}

impl Targets {
    pub fn new(
        faces: &FaceSet,
        groups: &Groups,
        bar: &QualityBar,
        roots: &[u32],
        count: usize,
    ) -> Self {
        let best = roots
            .iter()
            .map(|&r| (r, best_faces(faces, bar, groups.members(r), count)))
            .collect();
        Self { best }
    }

    pub fn contains(&self, root: u32) -> bool {
        self.best.contains_key(&root)
    }

    pub fn best(&self, root: u32) -> &[u32] {
        self.best.get(&root).map_or(&[], Vec::as_slice)
    }

    /// Mean cosine of `face` to the best faces of the person at `root` (itself left out).
    pub fn vote(&self, faces: &FaceSet, face: u32, root: u32) -> Option<f32> {
        let e = faces.embedding(face as usize);
        let (sum, count) = self
            .best(root)
            .iter()
            .filter(|&&b| b != face)
            .fold((0.0f32, 0usize), |(s, c), &b| {
                (s + dot(e, faces.embedding(b as usize)), c + 1)
            });
        (count > 0).then(|| sum / count as f32)
    }
}

/// Where `face` would go among `candidates` (roots of persons), or `None`.
pub(crate) fn choose(
    faces: &FaceSet,
    groups: &Groups,
    targets: &Targets,
    thresholds: &Thresholds,
    face: u32,
    candidates: &[u32],
) -> Option<(u32, f32)> {
    let own = groups.root(face);
    let mut votes: Vec<(f32, u32, u32)> = candidates
        .iter()
        .filter(|&&r| r != own)
        .filter_map(|&r| {
            targets
                .vote(faces, face, r)
                .map(|v| (v, groups.least(r), r))
        })
        .collect();
    votes.sort_unstable_by(|a, b| Sim(b.0).cmp(&Sim(a.0)).then(a.1.cmp(&b.1)));
    let &(best, _, root) = votes.first()?;
    let second = votes.get(1).map_or(f32::NEG_INFINITY, |v| v.0);
    (best >= thresholds.join
        && best - second >= thresholds.join_margin
        && groups.may_join(own, root))
    .then_some((root, best))
}

/// Joins each face of `pool` whose [`choose`] names a person (from `candidates_of`),
/// deciding all against the persons as they stand, then keeping one face per photo and
/// person.
pub(crate) fn attach_pool<F>(
    faces: &FaceSet,
    groups: &mut Groups,
    targets: &Targets,
    thresholds: &Thresholds,
    pool: &[u32],
    candidates_of: F,
) where
    F: Fn(u32) -> Vec<u32> + Sync,
{
    let shared: &Groups = groups;
    let picks: Vec<(u32, u32, f32)> = pool
        .par_iter()
        .filter_map(|&f| {
            let candidates = candidates_of(f);
            choose(faces, shared, targets, thresholds, f, &candidates).map(|(r, v)| (f, r, v))
        })
        .collect();
    // One face per (person, photo): the closest, ties by face number.
    let mut kept: HashMap<(u32, u32), (f32, u32)> = HashMap::new();
    for &(f, r, v) in &picks {
        let photo = faces.facts(f as usize).photo;
        let entry = kept.entry((r, photo)).or_insert((v, f));
        if Sim(v) > Sim(entry.0) || (v == entry.0 && f < entry.1) {
            *entry = (v, f);
        }
    }
    let mut joins: Vec<(u32, u32)> = kept.into_iter().map(|((r, _), (_, f))| (f, r)).collect();
    joins.sort_unstable();
    for (f, r) in joins {
        let (rf, rr) = (groups.find(f), groups.find(r));
        groups.join(rf, rr);
    }
}
