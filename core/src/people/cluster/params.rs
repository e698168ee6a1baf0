//! Every number clustering uses, derived from the recognizer's verification threshold.
//!
//! A cosine threshold `t` means "same person from here up"; `1 - t` is the room above it.
//! Each similarity below is `t + fraction * (1 - t)`, so a model whose same-person
//! cosines sit higher or lower (another `t`) gets proportionally placed cuts and no code
//! changes. Pixel sizes and norm percentiles do not depend on the model's cosines.
//!
//! The fractions were chosen in the middle of the range that meets the accuracy targets
//! on the labelled sets with FaceNet (`core/tests/people_accuracy.rs`): every
//! combination of core 0.40–0.50, merge 0.35–0.40 and margin 0.07–0.12 gives BCubed F
//! ≥ 0.969 at pairwise precision 1.0; join 0–0.15 makes no difference there.

use super::ClusterParams;

/// The derived thresholds (see each field for its derivation; with FaceNet's `t = 0.45`
/// the values are given in brackets).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// The verification threshold `t` itself.
    pub threshold: f32,
    /// Neighbours per face in the kNN graph.
    pub neighbours: usize,
    /// A mutual-neighbour edge between two founders joins their groups into a core when
    /// the edge's cosine, and the mean cosine between the two groups, are at least
    /// `t + 0.45 (1 - t)` [0.6975]: only near-certain pairs, so cores are pure.
    pub core_link: f32,
    /// Cores are merged by average linkage while the mean cosine between their faces is
    /// at least `t + 0.375 (1 - t)` [0.65625]: above the mean cosine of look-alike
    /// people (on the labelled sets two different people's cores reach 0.64 on average).
    pub merge_cut: f32,
    /// Below that cut, down to `t + 0.10 (1 - t)` [0.505], two groups still merge when
    /// each is the other's nearest and it clearly wins (see `join_margin`); and a face
    /// that founded nothing joins a person when its mean cosine to the person's best
    /// faces reaches this ...
    pub join: f32,
    /// ... and beats the second-best person (or group) by at least `0.10 (1 - t)`
    /// [0.055]: a face or fragment torn between two people stays apart.
    pub join_margin: f32,
    /// The person's best faces a joining face is compared with (highest quality first).
    pub vote_faces: usize,
    /// A founder's face box is at least this many pixels on its shorter side (a third of
    /// the 112 px recognizer crop: smaller faces are upscaled blur).
    pub founder_min_side: f32,
    /// A founder's embedding norm is at least this quantile of the album's norms (lower
    /// nearest rank: about the weakest tenth of the album cannot found). Norms are on a
    /// model-specific scale, so only the album's own distribution says what is low.
    /// Faces confirmed by the user always found; faces the user rejected for someone
    /// never do.
    pub founder_norm_quantile: f32,
    /// A person found without the user's help holds at least this many faces; a lone
    /// face stays unsorted.
    pub min_person_faces: usize,
    /// A placed face whose confidence (its mean cosine to the person's best faces) is
    /// under `t + 0.25 (1 - t)` [0.5875] is shown as uncertain, to be checked first:
    /// about halfway between the join threshold and the merge cut, the band where a face
    /// was placed on the vote rather than on near-certain links.
    pub uncertain_below: f32,
}

impl ClusterParams {
    /// The thresholds this verification threshold implies.
    pub fn thresholds(&self) -> Thresholds {
        let t = self.threshold;
        let room = 1.0 - t;
        Thresholds {
            threshold: t,
            neighbours: 10,
            core_link: t + 0.45 * room,
            merge_cut: t + 0.375 * room,
            join: t + 0.10 * room,
            join_margin: 0.10 * room,
            vote_faces: 5,
            founder_min_side: 112.0 / 3.0,
            founder_norm_quantile: 0.1,
            min_person_faces: 2,
            uncertain_below: t + 0.25 * room,
        }
    }

    /// Stricter parameters for splitting a person: the threshold moved a tenth of the way
    /// up to 1 [0.505], so every derived cut rises with it (the merge cut to 0.69).
    pub fn stricter(&self) -> Self {
        Self::for_threshold(self.threshold + 0.1 * (1.0 - self.threshold))
    }
}
