//! Approximate k nearest neighbours for large albums: an inverted-file index (IVF)
//! polished by a round of neighbours' neighbours.
//!
//! Spherical k-means splits the faces into lists around centroids (lists grown far past
//! the average size are split again, so no list costs its size squared); each face is
//! compared with the faces of the `probes` lists whose centroids are nearest to its
//! list's centroid.
//! Every found pair is then offered in the other direction too (a cosine is symmetric),
//! and each face compares itself with its neighbours' neighbours (as NN-descent does),
//! which recovers most of what the probing missed for faces that sit between lists.
//!
//! Deterministic: the k-means sample is every m-th face and the initial centroids are
//! evenly spaced sample faces, both in the set's canonical order; sums run in face order;
//! ties go to the smaller index; the dot products are the exact index's, bit for bit.
//! So the same set gives the same graph on any number of threads, and since the caller's
//! canonical order does not depend on file names or indexing order, neither does this.

use rayon::prelude::*;

use super::exact::scan;
use super::kernel;
use super::top::TopK;
use super::Neighbours;
use crate::people::faces::FaceSet;

/// Queries scanned together against a list's targets.
const QUERY_BLOCK: usize = 64;

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
    /// Rounds of "a neighbour's neighbour is likely a neighbour" (as in NN-descent): each
    /// face compares itself with its neighbours' neighbours, k² dot products.
    pub refine: usize,
}

impl ApproxParams {
    /// The work is ≈ n·lists (assigning faces) + n·probes·n/lists (searching), smallest
    /// at lists = √(probes·n), plus sample·lists per k-means round. Measured on the
    /// synthetic 10k album (people bench): what clustering sees changes only through the
    /// pairs above the join threshold that no probe reaches, mostly persons of two or
    /// three faces that own no centroid. 16 probes on centroids from 4 faces per list and 3
    /// rounds moved 146 of 10 000 faces against the exact graph's partition; 32 probes on
    /// 16 faces per list and 6 rounds move 8 (recall of cosines ≥ 0.45: 0.9998), at
    /// about 1.5× the time.
    pub fn for_len(n: usize) -> Self {
        let probes = 32;
        let lists = (((probes * n) as f64).sqrt() as usize).clamp(1, n.max(1));
        Self {
            lists,
            probes: probes.min(lists),
            sample: (lists * 16).min(n),
            iterations: 6,
            refine: 2,
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
    // The centroids: k-means on every (n / sample)-th face.
    let space = Centred::new(&rows, faces.dim());
    let sample = params.sample.clamp(lists, n);
    let picked: Vec<&[f32]> = (0..sample).map(|j| rows[j * n / sample]).collect();
    let centroids = space.balanced(&picked, lists, sample / lists, params.iterations, 3);
    let centroid_rows: Vec<&[f32]> = centroids.chunks_exact(faces.dim()).collect();
    let lists = centroid_rows.len();
    let probes = params.probes.clamp(1, lists);

    // Each face's nearest lists; it is a member of the first and searches all of them.
    let nearest = space.nearest(&rows, &centroids, probes);
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); lists];
    for (i, near) in nearest.iter().enumerate() {
        members[near[0] as usize].push(i as u32);
    }

    // Search list by list: the faces of one list mostly probe the same lists, so grouping
    // them gives the kernel blocks of several queries against one list's faces.
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
            let mut picked: Vec<TopK> = Vec::new();
            for (m, who) in probing {
                let target_ids = &members[m as usize];
                let targets: Vec<&[f32]> = target_ids.iter().map(|&j| rows[j as usize]).collect();
                for who in who.chunks(QUERY_BLOCK) {
                    let query_ids: Vec<u32> = who.iter().map(|&qi| queries[qi]).collect();
                    let query_rows: Vec<&[f32]> =
                        query_ids.iter().map(|&q| rows[q as usize]).collect();
                    picked.clear();
                    picked.extend(
                        who.iter()
                            .map(|&qi| std::mem::replace(&mut tops[qi], TopK::new(0))),
                    );
                    scan(&query_rows, &query_ids, &targets, target_ids, &mut picked);
                    for (&qi, top) in who.iter().zip(picked.drain(..)) {
                        tops[qi] = top;
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

    for _ in 0..params.refine {
        tops = refine(&rows, &tops);
    }

    let mut ids = Vec::with_capacity(n * k);
    let mut sims = Vec::with_capacity(n * k);
    for top in &tops {
        top.write(&mut ids, &mut sims);
    }
    Neighbours::from_rows(k, ids, sims)
}

/// One round of neighbours' neighbours: each face's candidates are the current
/// neighbours of its current neighbours; reads the old graph, writes a new one.
fn refine(rows: &[&[f32]], tops: &[TopK]) -> Vec<TopK> {
    tops.par_iter()
        .enumerate()
        .map(|(i, top)| {
            let mut candidates: Vec<u32> = top
                .ids()
                .flat_map(|j| tops[j as usize].ids())
                .filter(|&c| c as usize != i && !top.contains(c))
                .collect();
            candidates.sort_unstable();
            candidates.dedup();
            let mut out = vec![0.0f32; candidates.len()];
            let targets: Vec<&[f32]> = candidates.iter().map(|&c| rows[c as usize]).collect();
            kernel::sims(&[rows[i]], &targets, &mut out);
            let mut better = top.clone();
            for (&c, &s) in candidates.iter().zip(&out) {
                if s >= better.floor() {
                    better.push(s, c);
                }
            }
            better
        })
        .collect()
}

/// The space the lists live in: faces minus their mean, normalised. Real embeddings
/// share a large common component (different persons average cosine ≈ 0.2–0.3), and faces
/// with little identity in them (blurred, tiny) are mostly that component: uncentred,
/// they all crowd into the few lists nearest the mean (measured: one list of 2 500 faces
/// among lists of 40), and a list's search costs its size squared. Nothing is copied:
/// a face `x` scores `x·c − μ·c` against a centred unit centroid `c`, which ranks
/// centroids as the centred cosine does.
struct Centred {
    dim: usize,
    mean: Vec<f32>,
}

impl Centred {
    fn new(rows: &[&[f32]], dim: usize) -> Self {
        // Partial sums over fixed chunks, added in order: the same bits on any thread count.
        let partial: Vec<Vec<f64>> = rows
            .par_chunks(1024)
            .map(|chunk| {
                let mut sum = vec![0.0f64; dim];
                for row in chunk {
                    for (s, &x) in sum.iter_mut().zip(row.iter()) {
                        *s += x as f64;
                    }
                }
                sum
            })
            .collect();
        let mut mean = vec![0.0f64; dim];
        for p in &partial {
            for (m, x) in mean.iter_mut().zip(p) {
                *m += x;
            }
        }
        let count = rows.len().max(1) as f64;
        Self {
            dim,
            mean: mean.iter().map(|m| (m / count) as f32).collect(),
        }
    }

    /// `normalize(x − μ)`, added into `sum`.
    fn add_unit(&self, sum: &mut [f32], x: &[f32]) {
        let len = x
            .iter()
            .zip(&self.mean)
            .map(|(a, m)| (a - m) * (a - m))
            .sum::<f32>()
            .sqrt();
        if len > 0.0 {
            for ((s, a), m) in sum.iter_mut().zip(x).zip(&self.mean) {
                *s += (a - m) / len;
            }
        }
    }

    /// Each point's `count` nearest centroids, nearest first (ties to the first).
    fn nearest(&self, points: &[&[f32]], centroids: &[f32], count: usize) -> Vec<Vec<u32>> {
        let centroid_rows: Vec<&[f32]> = centroids.chunks_exact(self.dim).collect();
        let parts = centroid_rows.len();
        let bias: Vec<f32> = centroid_rows
            .iter()
            .map(|c| kernel::dot(&self.mean, c))
            .collect();
        points
            .par_chunks(256)
            .flat_map_iter(|block| {
                let mut out = vec![0.0f32; block.len() * parts];
                kernel::sims(block, &centroid_rows, &mut out);
                out.chunks_exact(parts)
                    .map(|line| {
                        let mut top = TopK::new(count);
                        for (c, (&s, &b)) in line.iter().zip(&bias).enumerate() {
                            if s - b >= top.floor() {
                                top.push(s - b, c as u32);
                            }
                        }
                        top.ids().collect::<Vec<u32>>()
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Each point's nearest centroid, as the points of each centroid (ascending).
    fn assign(&self, points: &[&[f32]], centroids: &[f32]) -> Vec<Vec<u32>> {
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); centroids.len() / self.dim];
        for (j, near) in self.nearest(points, centroids, 1).iter().enumerate() {
            if let Some(&c) = near.first() {
                members[c as usize].push(j as u32);
            }
        }
        members
    }

    /// Spherical k-means in the centred space: `parts` unit centroids started at evenly
    /// spaced points, and the points of each after the last round.
    fn kmeans(
        &self,
        points: &[&[f32]],
        parts: usize,
        iterations: usize,
    ) -> (Vec<f32>, Vec<Vec<u32>>) {
        let dim = self.dim;
        let count = points.len();
        let parts = parts.clamp(1, count.max(1));
        let unit = |sum: Vec<f32>| {
            let len = sum.iter().map(|x| x * x).sum::<f32>().sqrt();
            (len > 0.0).then(|| sum.iter().map(|x| x / len).collect::<Vec<f32>>())
        };
        let mut centroids: Vec<f32> = (0..parts)
            .flat_map(|c| {
                let mut v = vec![0.0f32; dim];
                self.add_unit(&mut v, points[c * count / parts]);
                unit(v).unwrap_or_else(|| vec![0.0; dim])
            })
            .collect();
        let mut members = self.assign(points, &centroids);
        for _ in 0..iterations {
            centroids = members
                .par_iter()
                .zip(centroids.par_chunks(dim))
                .flat_map_iter(|(m, old)| {
                    // Summed in index order: the same on any number of threads.
                    let mut sum = vec![0.0f32; dim];
                    for &j in m {
                        self.add_unit(&mut sum, points[j as usize]);
                    }
                    unit(sum).unwrap_or_else(|| old.to_vec())
                })
                .collect();
            members = self.assign(points, &centroids);
        }
        (centroids, members)
    }

    /// k-means into `parts` lists, then every list holding more than 4 × `average`
    /// points is split by k-means of its own (up to `depth` levels), in case a list
    /// still gathers too many faces.
    fn balanced(
        &self,
        points: &[&[f32]],
        parts: usize,
        average: usize,
        iterations: usize,
        depth: usize,
    ) -> Vec<f32> {
        let (centroids, members) = self.kmeans(points, parts, iterations);
        let mut out = Vec::with_capacity(centroids.len());
        for (centroid, m) in centroids.chunks_exact(self.dim).zip(&members) {
            if depth > 0 && m.len() > 4 * average && m.len() > 1 {
                let inner: Vec<&[f32]> = m.iter().map(|&j| points[j as usize]).collect();
                let split = m.len().div_ceil(average);
                out.extend(self.balanced(&inner, split, average, iterations, depth - 1));
            } else {
                out.extend_from_slice(centroid);
            }
        }
        out
    }
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
        // The neighbours clustering acts on: at or above FaceNet's threshold 0.45.
        let close = recall(&want, &got, 0.45);
        let all = recall(&want, &got, f32::NEG_INFINITY);
        eprintln!("recall ≥ 0.45: {close:.4}, all: {all:.4}");
        assert!(close >= 0.99, "recall of cosines ≥ 0.45: {close}");
        // Below it the nearest are near-ties of unrelated faces; most are still found.
        assert!(all >= 0.85, "recall: {all}");
        for i in 0..got.len() {
            let row: Vec<(u32, f32)> = got.of(i).collect();
            assert_eq!(row.len(), k);
            assert!(row
                .windows(2)
                .all(|w| w[0].1 > w[1].1 || (w[0].1 == w[1].1 && w[0].0 < w[1].0)));
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
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("pool");
        let one = pool.install(|| approx(&s.faces, 10));
        assert_eq!(many, one);
    }
}
