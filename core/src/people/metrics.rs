//! How close a partition comes to the truth: BCubed and pairwise precision, recall and F
//! over the labelled faces. A face in no person (unsorted) counts as a person of its own,
//! so leaving a face out costs recall, never precision.

use std::collections::HashMap;

use super::cluster::Partition;

/// Precision, recall and their harmonic mean, each in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrecisionRecall {
    pub precision: f64,
    pub recall: f64,
    pub f: f64,
}

impl PrecisionRecall {
    fn new(precision: f64, recall: f64) -> Self {
        let f = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        Self {
            precision,
            recall,
            f,
        }
    }
}

/// A partition scored against labels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterScores {
    /// Averaged over faces: of the faces sharing my person, the share with my label
    /// (precision), and of the faces with my label, the share in my person (recall).
    pub bcubed: PrecisionRecall,
    /// Over pairs of faces: same person and same label, among pairs in one person
    /// (precision) and among pairs with one label (recall). Large persons weigh more.
    pub pairwise: PrecisionRecall,
    /// Persons holding at least one labelled face (unsorted labelled faces not counted).
    pub persons: usize,
}

/// Scores `partition` on the faces of `labels` (face number, label); faces without a
/// label are ignored, wherever they were placed.
pub fn score(partition: &Partition, labels: &[(u32, u32)]) -> ClusterScores {
    let mut person_of: HashMap<u32, usize> = HashMap::new();
    for (p, person) in partition.persons.iter().enumerate() {
        for &f in &person.faces {
            person_of.insert(f, p);
        }
    }
    // Unsorted (and unknown) faces get a person of their own, numbered past the real ones.
    let fresh = partition.persons.len();
    let items: Vec<(usize, u32)> = labels
        .iter()
        .enumerate()
        .map(|(i, &(face, label))| {
            let person = person_of.get(&face).copied().unwrap_or(fresh + i);
            (person, label)
        })
        .collect();

    let mut by_person: HashMap<usize, usize> = HashMap::new();
    let mut by_label: HashMap<u32, usize> = HashMap::new();
    let mut by_both: HashMap<(usize, u32), usize> = HashMap::new();
    for &(person, label) in &items {
        *by_person.entry(person).or_default() += 1;
        *by_label.entry(label).or_default() += 1;
        *by_both.entry((person, label)).or_default() += 1;
    }

    let n = items.len().max(1) as f64;
    let (mut p_sum, mut r_sum) = (0.0, 0.0);
    for key @ &(person, label) in &items {
        let both = by_both[key] as f64;
        p_sum += both / by_person[&person] as f64;
        r_sum += both / by_label[&label] as f64;
    }
    let bcubed = PrecisionRecall::new(p_sum / n, r_sum / n);

    let pairs = |count: usize| (count * count.saturating_sub(1) / 2) as f64;
    let together: f64 = by_both.values().map(|&c| pairs(c)).sum();
    let same_person: f64 = by_person.values().map(|&c| pairs(c)).sum();
    let same_label: f64 = by_label.values().map(|&c| pairs(c)).sum();
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 1.0 };
    let pairwise = PrecisionRecall::new(ratio(together, same_person), ratio(together, same_label));

    let persons = by_person.keys().filter(|&&p| p < fresh).count();
    ClusterScores {
        bcubed,
        pairwise,
        persons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::cluster::PersonCluster;

    fn person(faces: &[u32]) -> PersonCluster {
        PersonCluster {
            faces: faces.to_vec(),
            scores: vec![1.0; faces.len()],
            known: None,
        }
    }

    #[test]
    fn a_perfect_partition_scores_one() {
        let partition = Partition {
            persons: vec![person(&[0, 1]), person(&[2, 3, 4])],
            unsorted: vec![5],
        };
        let labels = [(0, 7), (1, 7), (2, 8), (3, 8), (4, 8), (5, 9)];
        let s = score(&partition, &labels);
        assert_eq!(s.bcubed.f, 1.0);
        assert_eq!(s.pairwise.f, 1.0);
        assert_eq!(s.persons, 2);
    }

    #[test]
    fn unsorted_faces_cost_recall_not_precision() {
        let partition = Partition {
            persons: vec![person(&[0, 1])],
            unsorted: vec![2, 3],
        };
        // Three faces of label 1, one of them unsorted; face 3 a stranger.
        let s = score(&partition, &[(0, 1), (1, 1), (2, 1), (3, 2)]);
        assert_eq!(s.bcubed.precision, 1.0);
        assert_eq!(s.pairwise.precision, 1.0);
        // Recall: faces 0 and 1 see 2 of 3, face 2 sees 1 of 3, face 3 sees 1 of 1.
        let expected = (2.0 / 3.0 + 2.0 / 3.0 + 1.0 / 3.0 + 1.0) / 4.0;
        assert!((s.bcubed.recall - expected).abs() < 1e-12);
        // One of three same-label pairs together.
        assert!((s.pairwise.recall - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn a_merged_person_costs_precision() {
        let partition = Partition {
            persons: vec![person(&[0, 1, 2, 3])],
            unsorted: vec![],
        };
        let s = score(&partition, &[(0, 1), (1, 1), (2, 2), (3, 2)]);
        assert_eq!(s.bcubed.recall, 1.0);
        assert_eq!(s.bcubed.precision, 0.5);
        // 2 of 6 pairs in the person share a label.
        assert!((s.pairwise.precision - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(s.persons, 1);
    }
}
