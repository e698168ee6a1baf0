//! Every number clustering uses, derived from the recognizer's verification threshold.
//!
//! A cosine threshold `t` means "same person from here up"; `1 - t` is the room above it.
//! Each similarity below is `t + fraction * (1 - t)`, so a model whose same-person
//! cosines sit higher or lower (another `t`) gets proportionally placed cuts and no code
//! changes. Pixel sizes and norm percentiles do not depend on the model's cosines.

use super::ClusterParams;

/// The derived thresholds (see each field for its derivation; with FaceNet's `t = 0.45`
/// the values are given in brackets).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// The verification threshold `t` itself.
    pub threshold: f32,
    /// Neighbours per face in the kNN graph.
    pub neighbours: usize,
    /// A mutual-neighbour edge between two founders joins them into a core when their
    /// cosine is at least `t + 0.25 (1 - t)` [0.5875].
    pub core_link: f32,
    /// Cores are merged by average linkage while the mean cosine between their faces is
    /// at least `t + 0.15 (1 - t)` [0.5325].
    pub merge_cut: f32,
    /// A face joins a person when its mean cosine to the person's best faces is at least
    /// `t + 0.10 (1 - t)` [0.505] ...
    pub join: f32,
    /// ... and beats the second-best person by at least `0.10 (1 - t)` [0.055].
    pub join_margin: f32,
    /// The person's best faces a joining face is compared with (highest quality first).
    pub vote_faces: usize,
    /// A founder's face box is at least this many pixels on its shorter side (a third of
    /// the 112 px recognizer crop: smaller faces are upscaled blur).
    pub founder_min_side: f32,
    /// A founder's embedding norm is at least this quantile of the album's norms (norms
    /// are on a model-specific scale, so only the album's own distribution says what is
    /// low).
    pub founder_norm_quantile: f32,
    /// A person found without the user's help holds at least this many faces; a lone
    /// face stays unsorted.
    pub min_person_faces: usize,
}

impl ClusterParams {
    /// The thresholds this verification threshold implies.
    pub fn thresholds(&self) -> Thresholds {
        let t = self.threshold;
        let room = 1.0 - t;
        Thresholds {
            threshold: t,
            neighbours: 10,
            core_link: t + 0.25 * room,
            merge_cut: t + 0.15 * room,
            join: t + 0.10 * room,
            join_margin: 0.10 * room,
            vote_faces: 5,
            founder_min_side: 112.0 / 3.0,
            founder_norm_quantile: 0.1,
            min_person_faces: 2,
        }
    }

    /// Stricter parameters for splitting a person: the threshold moved a quarter of the
    /// way up to 1, so every derived cut rises with it.
    pub fn stricter(&self) -> Self {
        Self::for_threshold(self.threshold + 0.25 * (1.0 - self.threshold))
    }
}
