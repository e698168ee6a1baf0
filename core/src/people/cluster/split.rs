//! Splitting one person: its faces clustered again under stricter cuts.

use super::group::Groups;
use super::quality::QualityBar;
use super::rules::Rules;
use super::{found_and_attach, partition, person_roots, subset};
use super::{ClusterParams, Constraints, PersonCluster};
use crate::people::faces::FaceSet;

/// The parts `person` falls into when its faces are clustered again with
/// [`ClusterParams::stricter`] cuts (the album's quality bar kept), largest first. Faces
/// that fit no part come last, one part each, so the parts hold exactly the person's
/// faces. A person that does not split comes back as one part.
pub fn split(
    faces: &FaceSet,
    person: &PersonCluster,
    params: &ClusterParams,
) -> Vec<PersonCluster> {
    let mut list: Vec<u32> = person
        .faces
        .iter()
        .copied()
        .filter(|&f| (f as usize) < faces.len())
        .collect();
    list.sort_unstable();
    list.dedup();
    if list.is_empty() {
        return Vec::new();
    }
    let strict = params.stricter().thresholds();
    // Founding is judged against the whole album, not against this person's faces alone.
    let bar = QualityBar::for_album(faces, &params.thresholds());
    let sub = subset(faces, &list);
    let rules = Rules::new(
        sub.all_facts().iter().map(|f| f.photo),
        &Constraints::default(),
    );
    let mut groups = Groups::new(&sub, &rules);
    found_and_attach(&sub, &rules, &mut groups, &strict, &bar);
    let roots = person_roots(&groups, &strict);
    let parts = partition(&sub, &rules, &groups, &roots, &strict, &bar);
    let back = |f: &u32| list[*f as usize];
    let mut out: Vec<PersonCluster> = parts
        .persons
        .iter()
        .map(|p| PersonCluster {
            faces: p.faces.iter().map(back).collect(),
            scores: p.scores.clone(),
            known: None,
        })
        .collect();
    out.extend(parts.unsorted.iter().map(|f| PersonCluster {
        faces: vec![back(f)],
        scores: vec![1.0],
        known: None,
    }));
    out
}
