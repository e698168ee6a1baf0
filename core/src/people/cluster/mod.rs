//! Clustering a [`FaceSet`] into persons under the user's constraints.
//!
//! 1. Quality ([`quality`]): only faces with a large enough box and an embedding norm
//!    above the album's low quantile may *found* a person.
//! 2. Cores ([`graph`]): founders joined along mutual-kNN edges above a high cosine, by
//!    union-find with a cannot-link veto (two faces of one photo, two known persons, a
//!    rejected face).
//! 3. Merging ([`linkage`]): average linkage over the cores, along kNN edges only, down
//!    to a cut, never across a cannot-link.
//! 4. Attaching ([`attach`]): every other face joins a person only by a clear vote over
//!    the person's best faces, with a margin over the second-best person.
//!
//! Every cosine is derived from the recognizer's verification threshold
//! ([`ClusterParams::thresholds`]). After the kNN graph nothing is quadratic: edges and
//! candidates come from the graph (O(n·k)).

mod attach;
pub mod baseline;
mod graph;
mod group;
mod incremental;
mod linkage;
mod params;
mod quality;
mod rules;
mod split;
mod vector;

pub use incremental::attach;
pub use params::Thresholds;
pub use split::split;

use super::faces::FaceSet;
use super::knn;
use group::Groups;
use quality::QualityBar;
use rules::Rules;

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
/// same partition, and another order gives the same persons up to exact ties of cosines
/// (broken by face number).
pub fn cluster(faces: &FaceSet, constraints: &Constraints, params: &ClusterParams) -> Partition {
    let thresholds = params.thresholds();
    let bar = QualityBar::for_album(faces, &thresholds);
    let rules = Rules::new(faces.all_facts().iter().map(|f| f.photo), constraints);
    let mut groups = Groups::new(faces, &rules);
    found_and_attach(faces, &rules, &mut groups, &thresholds, &bar);
    let roots = person_roots(&groups, &thresholds);
    partition(faces, &rules, &groups, &roots, &thresholds, &bar)
}

/// Steps 1–4 on `groups` (known persons already joined).
fn found_and_attach(
    faces: &FaceSet,
    rules: &Rules,
    groups: &mut Groups,
    thresholds: &Thresholds,
    bar: &QualityBar,
) {
    let n = faces.len();
    if n == 0 {
        return;
    }
    let neighbours = knn::neighbours(faces, thresholds.neighbours.min(n - 1));
    let founder: Vec<bool> = (0..n as u32)
        .map(|f| {
            !rules.is_ignored(f)
                && (rules.confirmed(f).is_some() || bar.may_found(&faces.facts(f as usize)))
        })
        .collect();
    let edges = graph::core_edges(&neighbours, &founder, thresholds.core_link);
    graph::join_cores(groups, &edges);
    linkage::merge_groups(groups, &neighbours, &founder, thresholds.merge_cut);

    let persons: Vec<u32> = person_roots(groups, thresholds);
    let targets = attach::Targets::new(faces, groups, bar, &persons, thresholds.vote_faces);
    let pool: Vec<u32> = (0..n as u32)
        .filter(|&f| !rules.is_ignored(f) && !targets.contains(groups.root(f)))
        .collect();
    let root_of: Vec<u32> = (0..n as u32).map(|f| groups.root(f)).collect();
    attach::attach_pool(faces, groups, &targets, thresholds, &pool, |f| {
        let mut roots: Vec<u32> = neighbours
            .of(f as usize)
            .map(|(j, _)| root_of[j as usize])
            .filter(|r| targets.contains(*r))
            .collect();
        roots.sort_unstable();
        roots.dedup();
        roots
    });
}

/// Roots of the groups that are persons: known ones, and others large enough.
fn person_roots(groups: &Groups, thresholds: &Thresholds) -> Vec<u32> {
    groups
        .roots()
        .into_iter()
        .filter(|&r| groups.known(r).is_some() || groups.size(r) >= thresholds.min_person_faces)
        .collect()
}

/// The groups at `roots` as the persons of a [`Partition`], with each face's confidence
/// (its mean cosine to the person's best faces).
fn partition(
    faces: &FaceSet,
    rules: &Rules,
    groups: &Groups,
    roots: &[u32],
    thresholds: &Thresholds,
    bar: &QualityBar,
) -> Partition {
    let mut persons: Vec<PersonCluster> = roots
        .iter()
        .map(|&r| {
            let mut members = groups.members(r).to_vec();
            members.sort_unstable();
            let best = quality::best_faces(faces, bar, &members, thresholds.vote_faces);
            let scores = members
                .iter()
                .map(|&f| {
                    if rules.confirmed(f).is_some() {
                        return 1.0;
                    }
                    let sims: Vec<f32> = best
                        .iter()
                        .filter(|&&b| b != f)
                        .map(|&b| {
                            vector::dot(faces.embedding(f as usize), faces.embedding(b as usize))
                        })
                        .collect();
                    if sims.is_empty() {
                        return 1.0;
                    }
                    let mean = sims.iter().sum::<f32>() / sims.len() as f32;
                    confidence(mean, thresholds.threshold)
                })
                .collect();
            PersonCluster {
                faces: members,
                scores,
                known: groups.known(r).map(|k| k as usize),
            }
        })
        .collect();
    sort_persons(&mut persons);
    let mut placed = vec![false; faces.len()];
    for p in &persons {
        for &f in &p.faces {
            placed[f as usize] = true;
        }
    }
    let unsorted = (0..faces.len() as u32)
        .filter(|&f| !placed[f as usize] && !rules.is_ignored(f))
        .collect();
    Partition { persons, unsorted }
}

/// The faces `list` of `faces` as a set of their own (face `i` of it is `list[i]`).
fn subset(faces: &FaceSet, list: &[u32]) -> FaceSet {
    let mut embeddings = Vec::with_capacity(list.len() * faces.dim());
    let mut facts = Vec::with_capacity(list.len());
    for &f in list {
        embeddings.extend_from_slice(faces.embedding(f as usize));
        facts.push(faces.facts(f as usize));
    }
    FaceSet::new(faces.dim(), embeddings, facts).unwrap_or_default()
}

/// Largest first, ties by smallest face number.
fn sort_persons(persons: &mut [PersonCluster]) {
    persons.sort_by(|a, b| {
        b.faces
            .len()
            .cmp(&a.faces.len())
            .then(a.faces.first().cmp(&b.faces.first()))
    });
}

/// A mean cosine as a confidence in 0..=1: the verification threshold maps to 0.5, a
/// perfect match to 1, and `2t - 1` (as far below the threshold as 1 is above) to 0.
fn confidence(mean_cosine: f32, threshold: f32) -> f32 {
    (0.5 + 0.5 * (mean_cosine - threshold) / (1.0 - threshold)).clamp(0.0, 1.0)
}
