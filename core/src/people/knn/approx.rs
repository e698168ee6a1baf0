//! Approximate k nearest neighbours for large albums: an inverted-file index (IVF).
//!
//! Spherical k-means splits the faces into lists around centroids; each face is compared
//! only with the faces of the `probes` lists whose centroids are nearest to it. A last
//! pass offers every found pair in the other direction too (a cosine is symmetric), which
//! recovers most of what the probing missed for faces that sit between lists.
//!
//! Deterministic: the k-means sample is every m-th face and the initial centroids are
//! evenly spaced sample faces, both in the set's canonical order; sums run in face order;
//! ties go to the smaller index; the dot products are the exact index's, bit for bit.
//! So the same set gives the same graph on any number of threads, and since the caller's
//! canonical order does not depend on file names or indexing order, neither does this.

use rayon::prelude::*;

use super::kernel;
use super::top::TopK;
use super::Neighbours;
use crate::people::faces::FaceSet;

/// How the index is built and searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApproxParams {
    /// Lists (k-means centroids).
    pub lists: usize,
    /// Lists each face searches: its nearest centroids.
    pub probes: usize,
    /// Faces the centroids are trained on.
    pub sample: usize,
    /// k-means rounds.
    pub iterations: usize,
}

impl ApproxParams {
    /// The work is ≈ n·lists (assigning faces) + n·probes·n/lists (searching), smallest
    /// at lists = √(probes·n). 24 probes find ≥ 99 % of the neighbours that clustering
    /// uses (cosine ≥ 0.35) on the synthetic album; see the benchmark.
    pub fn for_len(n: usize) -> Self {
        let probes = 24;
        let lists = (((probes * n) as f64).sqrt() as usize).clamp(1, n.max(1));
        Self {
            lists,
            probes: probes.min(lists),
            sample: (lists * 16).min(n),
            iterations: 6,
        }
    }
}

/// The approximate `k` nearest neighbours of every face (itself excluded), with
/// [`ApproxParams::for_len`].
pub fn approx(faces: &FaceSet, k: usize) -> Neighbours {
    approx_with(faces, k, &ApproxParams::for_len(faces.len()))
}

/// As [`approx`], with explicit index parameters.
pub fn approx_with(faces: &FaceSet, k: usize, params: &ApproxParams) -> Neighbours {
    let n = faces.len();
    if n == 0 || k == 0 {
        return Neighbours::from_rows(k, Vec::new(), Vec::new());
    }
    let rows: Vec<&[f32]> = (0..n).map(|i| faces.embedding(i)).collect();
    let lists = params.lists.clamp(1, n);
    let probes = params.probes.clamp(1, lists);
    let centroids = train(&rows, faces.dim(), lists, params.sample.clamp(lists, n), params.iterations);
    let centroid_rows: Vec<&[f32]> = centroids.chunks_exact(faces.dim()).collect();

    // Each face's nearest centroids; the first is its list.
    let nearest: Vec<Vec<u32>> = rows
        .par_chunks(256)
        .flat_map_iter(|block| {
            let mut out = vec![0.0f32; block.len() * centroid_rows.len()];
            kernel::sims(block, &centroid_rows, &mut out);
            out.chunks_exact(centroid_rows.len())
                .map(|line| {
                    let mut top = TopK::new(probes);
                    for (c, &s) in line.iter().enumerate() {
                        if s >= top.floor() {
                            top.push(s, c as u32);
                        }
                    }
                    top.ids().collect::<Vec<u32>>()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); lists];
    for (i, near) in nearest.iter().enumerate() {
        members[near[0] as usize].push(i as u32);
    }

    // Search list by list: the faces of one list probe overlapping lists, so grouping them
    // gives the kernel blocks of several queries against one list's faces.
    let found: Vec<(u32, TopK)> = members
        .par_iter()
        .flat_map_iter(|queries| {
            let mut probing: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
            for (qi, &q) in queries.iter().enumerate() {
                for &m in &nearest[q as usize] {
                    probing.entry(m).or_default().push(qi);
                }
            }
            let mut tops: Vec<TopK> = queries.iter().map(|_| TopK::new(k)).collect();
            let mut out = Vec::new();
            for (m, who) in probing {
                let targets: Vec<&[f32]> = members[m as usize].iter().map(|&j| rows[j as usize]).collect();
                let query_rows: Vec<&[f32]> = who.iter().map(|&qi| rows[queries[qi] as usize]).collect();
                out.resize(query_rows.len() * targets.len(), 0.0);
                kernel::sims(&query_rows, &targets, &mut out);
                for (&qi, line) in who.iter().zip(out.chunks_exact(targets.len().max(1))) {
                    let me = queries[qi];
                    let top = &mut tops[qi];
                    for (&j, &s) in members[m as usize].iter().zip(line) {
                        if s >= top.floor() && j != me {
                            top.push(s, j);
                        }
                    }
                }
            }
            queries.iter().copied().zip(tops).collect::<Vec<_>>()
        })
        .collect();
    let mut tops: Vec<TopK> = (0..n).map(|_| TopK::new(k)).collect();
    for (i, top) in found {
        tops[i as usize] = top;
    }

    // The reverse pass: j found i, so i is offered j.
    let mut reverse: Vec<(u32, u32, f32)> = tops
        .iter()
        .enumerate()
        .flat_map(|(i, t)| t.entries().map(move |(s, j)| (j, i as u32, s)))
        .collect();
    reverse.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let starts: Vec<usize> = {
        let mut v = vec![0usize; n + 1];
        for r in &reverse {
            v[r.0 as usize + 1] += 1;
        }
        for i in 0..n {
            v[i + 1] += v[i];
        }
        v
    };
    tops.par_iter_mut().enumerate().for_each(|(j, top)| {
        for &(_, i, s) in &reverse[starts[j]..starts[j + 1]] {
            if s >= top.floor() && !top.contains(i) {
                top.push(s, i);
            }
        }
    });

    let mut ids = Vec::with_capacity(n * k);
    let mut sims = Vec::with_capacity(n * k);
    for top in &tops {
        top.write(&mut ids, &mut sims);
    }
    Neighbours::from_rows(k, ids, sims)
}

/// Spherical k-means on every (n/sample)-th face: `lists` unit centroids, row-major.
fn train(rows: &[&[f32]], dim: usize, lists: usize, sample: usize, iterations: usize) -> Vec<f32> {
    let n = rows.len();
    let picked: Vec<&[f32]> = (0..sample).map(|j| rows[j * n / sample]).collect();
    let mut centroids: Vec<f32> = (0..lists)
        .flat_map(|c| picked[c * sample / lists].iter().copied())
        .collect();
    for _ in 0..iterations {
        let centroid_rows: Vec<&[f32]> = centroids.chunks_exact(dim).collect();
        let assigned: Vec<u32> = picked
            .par_chunks(256)
            .flat_map_iter(|block| {
                let mut out = vec![0.0f32; block.len() * lists];
                kernel::sims(block, &centroid_rows, &mut out);
                out.chunks_exact(lists)
                    .map(|line| {
                        let mut best = 0usize;
                        for (c, &s) in line.iter().enumerate() {
                            if s > line[best] {
                                best = c;
                            }
                        }
                        best as u32
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); lists];
        for (j, &c) in assigned.iter().enumerate() {
            members[c as usize].push(j as u32);
        }
        let updated: Vec<f32> = members
            .par_iter()
            .zip(centroids.par_chunks(dim))
            .flat_map_iter(|(m, old)| {
                if m.is_empty() {
                    return old.to_vec();
                }
                let mut sum = vec![0.0f32; dim];
                for &j in m {
                    for (s, x) in sum.iter_mut().zip(picked[j as usize]) {
                        *s += x;
                    }
                }
                let len = sum.iter().map(|x| x * x).sum::<f32>().sqrt();
                if len > 0.0 {
                    sum.iter_mut().for_each(|x| *x /= len);
                    sum
                } else {
                    old.to_vec()
                }
            })
            .collect();
        centroids = updated;
    }
    centroids
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::knn::exact;
    use crate::people::synthetic::{synthetic_faces, SyntheticParams};

    /// Share of the exact neighbours with cosine ≥ `floor` that the approximate graph has.
    fn recall(exact: &Neighbours, approx: &Neighbours, floor: f32) -> f64 {
        let (mut found, mut total) = (0usize, 0usize);
        for i in 0..exact.len() {
            let got: Vec<u32> = approx.of(i).map(|(j, _)| j).collect();
            for (j, s) in exact.of(i) {
                if s >= floor {
                    total += 1;
                    found += usize::from(got.contains(&j));
                }
            }
        }
        found as f64 / total.max(1) as f64
    }

    #[test]
    fn finds_the_exact_neighbours_and_computes_them_identically() {
        let s = synthetic_faces(&SyntheticParams::album(3_000, 5));
        let k = 15;
        let want = exact(&s.faces, k);
        let got = approx(&s.faces, k);
        let close = recall(&want, &got, 0.35);
        assert!(close >= 0.99, "recall of cosines ≥ 0.35: {close}");
        let all = recall(&want, &got, f32::NEG_INFINITY);
        assert!(all >= 0.95, "recall: {all}");
        for i in 0..got.len() {
            let row: Vec<(u32, f32)> = got.of(i).collect();
            assert_eq!(row.len(), k);
            assert!(row.windows(2).all(|w| w[0].1 > w[1].1 || (w[0].1 == w[1].1 && w[0].0 < w[1].0)));
            for (j, sim) in row {
                assert_ne!(j as usize, i);
                let d = kernel::dot(s.faces.embedding(i), s.faces.embedding(j as usize));
                assert_eq!(sim.to_bits(), d.to_bits());
            }
        }
    }

    #[test]
    fn the_same_set_gives_the_same_graph_on_any_number_of_threads() {
        let s = synthetic_faces(&SyntheticParams::album(2_000, 9));
        let many = approx(&s.faces, 10);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("pool");
        let one = pool.install(|| approx(&s.faces, 10));
        assert_eq!(many, one);
    }
}
