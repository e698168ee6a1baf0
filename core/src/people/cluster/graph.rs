//! Cores: founders joined along strong mutual-neighbour edges, strongest edge first, each
//! join vetoed if it would break a cannot-link.
//!
//! Mutual neighbours (each among the other's `k` nearest) keep hubs — faces close to
//! many people — from linking identities, and only founders (good faces) take part, so a
//! blurry face cannot chain two people together.

use super::group::Groups;
use super::vector::Sim;
use crate::people::knn::Neighbours;

/// Founder pairs that are mutual neighbours with cosine ≥ `min_cosine`, strongest first
/// (ties by face numbers).
pub(crate) fn core_edges(
    neighbours: &Neighbours,
    founder: &[bool],
    min_cosine: f32,
) -> Vec<(f32, u32, u32)> {
    let mut edges = Vec::new();
    for i in 0..neighbours.len() {
        if !founder[i] {
            continue;
        }
        for (j, sim) in neighbours.of(i) {
            let ju = j as usize;
            if ju <= i || sim < min_cosine || !founder[ju] {
                continue;
            }
            if neighbours.of(ju).any(|(back, _)| back as usize == i) {
                edges.push((sim, i as u32, j));
            }
        }
    }
    edges.sort_unstable_by(|a, b| {
        Sim(b.0)
            .cmp(&Sim(a.0))
            .then(a.1.cmp(&b.1))
            .then(a.2.cmp(&b.2))
    });
    edges
}

/// Joins the ends of each edge in order, unless a cannot-link forbids it.
pub(crate) fn join_cores(groups: &mut Groups, edges: &[(f32, u32, u32)]) {
    for &(_, a, b) in edges {
        let (ra, rb) = (groups.find(a), groups.find(b));
        groups.join(ra, rb);
    }
}
