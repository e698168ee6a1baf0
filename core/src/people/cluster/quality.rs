//! Which faces are good enough to found a person, and which of a person's faces are its
//! best.

use super::params::Thresholds;
use crate::people::faces::{FaceFacts, FaceSet};

/// The album's quality bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct QualityBar {
    pub min_side: f32,
    /// The album's norm at [`Thresholds::founder_norm_quantile`].
    pub min_norm: f32,
}

impl QualityBar {
    /// The bar for an album, from every face's norm.
    pub fn for_album(faces: &FaceSet, thresholds: &Thresholds) -> Self {
        let mut norms: Vec<f32> = faces.all_facts().iter().map(|f| f.norm).collect();
        norms.sort_unstable_by(f32::total_cmp);
        let min_norm = if norms.is_empty() {
            0.0
        } else {
            // The lower nearest-rank quantile: with few faces, the bar is the weakest
            // face's norm, so a small album still has founders.
            let rank = (thresholds.founder_norm_quantile * (norms.len() - 1) as f32).floor();
            norms[rank as usize]
        };
        Self {
            min_side: thresholds.founder_min_side,
            min_norm,
        }
    }

    pub fn may_found(&self, facts: &FaceFacts) -> bool {
        facts.box_side >= self.min_side && facts.norm >= self.min_norm
    }
}

/// `members` ordered best first: founders before the rest, then by norm, then by box
/// side, ties by face number; at most `count` of them.
pub(crate) fn best_faces(
    faces: &FaceSet,
    bar: &QualityBar,
    members: &[u32],
    count: usize,
) -> Vec<u32> {
    let mut ranked: Vec<u32> = members.to_vec();
    ranked.sort_unstable_by(|&a, &b| {
        let (fa, fb) = (faces.facts(a as usize), faces.facts(b as usize));
        bar.may_found(&fb)
            .cmp(&bar.may_found(&fa))
            .then(fb.norm.total_cmp(&fa.norm))
            .then(fb.box_side.total_cmp(&fa.box_side))
            .then(a.cmp(&b))
    });
    ranked.truncate(count);
    ranked
}
