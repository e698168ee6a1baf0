//! Average-linkage merging of the cores: the two groups whose faces are closest on
//! average merge first, while that average is above the cut and no cannot-link forbids
//! it.
//!
//! Only groups joined by some kNN edge are compared (sparse: O(n·k) pairs, never all
//! pairs), and the mean cosine of two groups is exact and cheap: embeddings are unit
//! vectors, so the sum of all cross cosines is the dot product of the two embedding sums.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use super::group::Groups;
use super::vector::Sim;
use crate::people::knn::Neighbours;

/// A candidate merge: mean cosine, then the groups' least faces (smaller first wins a
/// tie), then the roots and their stamps at push time.
type Candidate = (Sim, Reverse<(u32, u32)>, u32, u32, u32, u32);

/// Merges the groups holding `members` faces (the founders) by average linkage down to
/// `cut`.
pub(crate) fn merge_groups(
    groups: &mut Groups,
    neighbours: &Neighbours,
    members: &[bool],
    cut: f32,
) {
    let n = members.len();
    let mut adjacent: HashMap<u32, Vec<u32>> = HashMap::new();
    for i in 0..n {
        if !members[i] {
            continue;
        }
        let ri = groups.find(i as u32);
        for (j, _) in neighbours.of(i) {
            if !members[j as usize] {
                continue;
            }
            let rj = groups.find(j);
            if ri != rj {
                adjacent.entry(ri).or_default().push(rj);
                adjacent.entry(rj).or_default().push(ri);
            }
        }
    }
    let mut stamp = vec![0u32; n];
    let mut heap: BinaryHeap<Candidate> = BinaryHeap::new();
    let mut roots: Vec<u32> = adjacent.keys().copied().collect();
    roots.sort_unstable();
    for &a in &roots {
        let list = adjacent.get_mut(&a).map(std::mem::take).unwrap_or_default();
        let mut list = list;
        list.sort_unstable();
        list.dedup();
        for &b in list.iter().filter(|&&b| b > a) {
            push(&mut heap, groups, &stamp, a, b, cut);
        }
        adjacent.insert(a, list);
    }

    while let Some((Sim(_), _, a, b, sa, sb)) = heap.pop() {
        if stamp[a as usize] != sa || stamp[b as usize] != sb {
            continue;
        }
        if groups.find(a) != a || groups.find(b) != b {
            continue;
        }
        let Some(root) = groups.join(a, b) else {
            continue;
        };
        let gone = if root == a { b } else { a };
        stamp[root as usize] += 1;
        stamp[gone as usize] += 1;
        let mut list = adjacent.remove(&a).unwrap_or_default();
        list.extend(adjacent.remove(&b).unwrap_or_default());
        let mut list: Vec<u32> = list.into_iter().map(|c| groups.find(c)).collect();
        list.sort_unstable();
        list.dedup();
        list.retain(|&c| c != root);
        for &c in &list {
            push(&mut heap, groups, &stamp, root, c, cut);
        }
        adjacent.insert(root, list);
    }
}

fn push(
    heap: &mut BinaryHeap<Candidate>,
    groups: &Groups,
    stamp: &[u32],
    a: u32,
    b: u32,
    cut: f32,
) {
    let mean = groups.mean_cosine(a, b);
    if mean < cut || !groups.may_join(a, b) {
        return;
    }
    let (la, lb) = (groups.least(a), groups.least(b));
    let names = if la < lb { (la, lb) } else { (lb, la) };
    heap.push((
        Sim(mean),
        Reverse(names),
        a,
        b,
        stamp[a as usize],
        stamp[b as usize],
    ));
}
