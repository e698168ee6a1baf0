//! Clustering a [`FaceSet`] into persons under the user's constraints.
//!
//! PLACEHOLDER (lead's skeleton): every face is unsorted except the known persons'
//! confirmed faces. The real algorithm replaces the body of [`cluster`]; the types are
//! the contract the people file, the session and the benchmark code against.

use super::faces::FaceSet;

/// Every number clustering uses, derived from the recognizer's verification threshold so
/// a different model needs no retuning.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterParams {
    /// The recognizer's verification threshold (cosine): the manifest's
    /// `default_threshold`, or the user's `--threshold`.
    pub threshold: f32,
}

impl ClusterParams {
    pub fn for_threshold(threshold: f32) -> Self {
        Self { threshold }
    }
}

/// A person the user already told us about (from the people file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownPerson {
    /// Faces confirmed as this person: must end up in it, together (must-link), even two
    /// faces of one photo (the user said so).
    pub confirmed: Vec<u32>,
    /// Faces that are "not this person": never placed in it.
    pub rejected: Vec<u32>,
    /// Faces this person held last time (unconfirmed): a hint for stable ids, not a rule.
    pub previous: Vec<u32>,
}

/// What the user said, as face numbers of the [`FaceSet`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Constraints {
    /// Known persons are distinct: faces confirmed for two of them are never joined.
    pub known: Vec<KnownPerson>,
    /// "Not a face / ignore": left out of every person and of the unsorted pile.
    pub ignored: Vec<u32>,
}

/// One person found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersonCluster {
    /// Face numbers, ascending.
    pub faces: Vec<u32>,
    /// Confidence that each face (same order) belongs to the person, 0..=1.
    pub scores: Vec<f32>,
    /// `Some(i)`: this is `constraints.known[i]`.
    pub known: Option<usize>,
}

/// The result: persons (largest first, ties by smallest face number) and the faces placed
/// in none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Partition {
    pub persons: Vec<PersonCluster>,
    /// Faces in no person (strangers, faces too poor to place), ascending.
    pub unsorted: Vec<u32>,
}

/// Groups `faces` into persons. Deterministic: the same set in the same order gives the
/// same partition.
pub fn cluster(faces: &FaceSet, constraints: &Constraints, _params: &ClusterParams) -> Partition {
    let ignored: std::collections::HashSet<u32> = constraints.ignored.iter().copied().collect();
    let mut placed = vec![false; faces.len()];
    let mut persons = Vec::new();
    for (k, known) in constraints.known.iter().enumerate() {
        let mut list: Vec<u32> = known
            .confirmed
            .iter()
            .copied()
            .filter(|f| (*f as usize) < faces.len() && !ignored.contains(f))
            .collect();
        list.sort_unstable();
        list.dedup();
        for &f in &list {
            placed[f as usize] = true;
        }
        persons.push(PersonCluster {
            scores: vec![1.0; list.len()],
            faces: list,
            known: Some(k),
        });
    }
    let unsorted = (0..faces.len() as u32)
        .filter(|f| !placed[*f as usize] && !ignored.contains(f))
        .collect();
    Partition { persons, unsorted }
}
