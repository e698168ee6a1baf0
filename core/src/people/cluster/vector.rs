//! The few vector operations clustering needs, written so the compiler vectorises them.

/// Dot product. Independent running sums let the loop use SIMD lanes and hide the
/// latency of each addition (a single `f32` sum must be added in order, which stops
/// vectorisation); 32 of them fill several registers even on baseline x86-64 (SSE2).
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    const LANES: usize = 32;
    let mut acc = [0.0f32; LANES];
    let len = a.len().min(b.len());
    let split = len / LANES * LANES;
    for (x, y) in a[..split]
        .chunks_exact(LANES)
        .zip(b[..split].chunks_exact(LANES))
    {
        for l in 0..LANES {
            acc[l] += x[l] * y[l];
        }
    }
    let tail: f32 = a[split..len]
        .iter()
        .zip(&b[split..len])
        .map(|(x, y)| x * y)
        .sum();
    acc.iter().sum::<f32>() + tail
}

/// Queries compared in one block: their embeddings stay in cache while every target
/// streams past once per block, instead of once per query.
const QUERY_BLOCK: usize = 16;

/// The `k` targets nearest each query by dot product, nearest first (ties by target
/// number). `target(i)` gives target `i` of `targets`; blocked so a large target set is
/// read from memory once per [`QUERY_BLOCK`] queries.
pub(crate) fn nearest<'a, T>(
    queries: &[&[f32]],
    targets: usize,
    target: T,
    k: usize,
) -> Vec<Vec<(f32, u32)>>
where
    T: Fn(usize) -> &'a [f32] + Sync,
{
    use rayon::prelude::*;
    queries
        .par_chunks(QUERY_BLOCK)
        .flat_map_iter(|block| {
            let mut best: Vec<Vec<(f32, u32)>> = vec![Vec::with_capacity(k + 1); block.len()];
            for t in 0..targets {
                let row = target(t);
                for (q, list) in block.iter().zip(best.iter_mut()) {
                    let s = dot(q, row);
                    if list.len() == k && list.last().is_some_and(|w| !better((s, t as u32), *w)) {
                        continue;
                    }
                    let at = list.partition_point(|&e| better(e, (s, t as u32)));
                    list.insert(at, (s, t as u32));
                    list.truncate(k);
                }
            }
            best
        })
        .collect()
}

/// Higher similarity first, ties by smaller number.
fn better(a: (f32, u32), b: (f32, u32)) -> bool {
    match a.0.total_cmp(&b.0) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => a.1 < b.1,
    }
}

/// `into += from`.
pub(crate) fn add_into(into: &mut [f32], from: &[f32]) {
    for (a, b) in into.iter_mut().zip(from) {
        *a += b;
    }
}

/// A total order on similarities for heaps and sorts (NaN never occurs: embeddings are
/// finite unit vectors).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sim(pub f32);

impl Eq for Sim {}

impl PartialOrd for Sim {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Sim {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_keeps_the_k_best_in_order() {
        let targets: Vec<[f32; 2]> =
            vec![[1.0, 0.0], [0.0, 1.0], [0.7, 0.7], [0.7, 0.7], [-1.0, 0.0]];
        let q = [1.0f32, 0.0];
        let got = nearest(&[&q[..]], targets.len(), |i| &targets[i][..], 3);
        let ids: Vec<u32> = got[0].iter().map(|e| e.1).collect();
        assert_eq!(ids, vec![0, 2, 3]);
    }

    #[test]
    fn dot_matches_the_plain_sum() {
        let a: Vec<f32> = (0..45).map(|i| i as f32 * 0.5 - 3.0).collect();
        let b: Vec<f32> = (0..45).map(|i| 1.0 - i as f32 * 0.25).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-4);
    }
}
