//! Exact k nearest neighbours: every pair's cosine, computed in cache-sized blocks of
//! query rows × face rows with the register-tiled [`kernel`](super::kernel), each query
//! keeping its best `k` as the blocks stream by. Parallel over query blocks.

use rayon::prelude::*;

use super::kernel;
use super::top::TopK;
use super::Neighbours;
use crate::people::faces::FaceSet;

/// Query rows per parallel task.
const QUERY_BLOCK: usize = 64;
/// Face rows per block: 256 × 512 floats = 512 KiB, which stays in a core's L2 cache while
/// a query block runs over it.
const ROW_BLOCK: usize = 256;

/// The exact `k` nearest neighbours of every face (itself excluded).
pub fn exact(faces: &FaceSet, k: usize) -> Neighbours {
    let n = faces.len();
    let all: Vec<&[f32]> = (0..n).map(|i| faces.embedding(i)).collect();
    let blocks: Vec<(Vec<u32>, Vec<f32>)> = all
        .par_chunks(QUERY_BLOCK)
        .enumerate()
        .map(|(b, queries)| {
            let first = b * QUERY_BLOCK;
            let mut tops: Vec<TopK> = (0..queries.len()).map(|_| TopK::new(k)).collect();
            let mut out = vec![0.0f32; queries.len() * ROW_BLOCK];
            for (rb, rows) in all.chunks(ROW_BLOCK).enumerate() {
                let start = rb * ROW_BLOCK;
                let out = &mut out[..queries.len() * rows.len()];
                kernel::sims(queries, rows, out);
                for (qi, (top, line)) in tops.iter_mut().zip(out.chunks_exact(rows.len())).enumerate() {
                    let me = first + qi;
                    for (j, &s) in line.iter().enumerate() {
                        // Most candidates fail this one comparison.
                        if s >= top.floor() && start + j != me {
                            top.push(s, (start + j) as u32);
                        }
                    }
                }
            }
            let mut ids = Vec::with_capacity(queries.len() * k);
            let mut sims = Vec::with_capacity(queries.len() * k);
            for top in &tops {
                top.write(&mut ids, &mut sims);
            }
            (ids, sims)
        })
        .collect();
    let mut ids = Vec::with_capacity(n * k);
    let mut sims = Vec::with_capacity(n * k);
    for (i, s) in blocks {
        ids.extend(i);
        sims.extend(s);
    }
    Neighbours::from_rows(k, ids, sims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::synthetic::{synthetic_faces, SyntheticParams};

    /// Every pair, sorted: the definition the blocked search must reproduce.
    fn naive(faces: &FaceSet, k: usize) -> Vec<Vec<(u32, f32)>> {
        (0..faces.len())
            .map(|i| {
                let mut row: Vec<(u32, f32)> = (0..faces.len())
                    .filter(|&j| j != i)
                    .map(|j| (j as u32, kernel::dot(faces.embedding(i), faces.embedding(j))))
                    .collect();
                row.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                row.truncate(k);
                row
            })
            .collect()
    }

    #[test]
    fn matches_the_naive_sorted_list_of_every_pair() {
        // 700 faces: several query and row blocks, with partial last blocks.
        let s = synthetic_faces(&SyntheticParams::album(700, 11));
        let all = naive(&s.faces, 40);
        for k in [1, 10, 40] {
            let got = exact(&s.faces, k);
            let want: Vec<Vec<(u32, f32)>> = all.iter().map(|r| r[..k].to_vec()).collect();
            assert_eq!(got.len(), s.faces.len());
            for (i, row) in want.iter().enumerate() {
                let got_row: Vec<(u32, f32)> = got.of(i).collect();
                assert_eq!(&got_row, row, "face {i}, k {k}");
                // The blocked dot products are true cosines.
                for &(j, sim) in row {
                    let f64dot: f64 = s
                        .faces
                        .embedding(i)
                        .iter()
                        .zip(s.faces.embedding(j as usize))
                        .map(|(a, b)| *a as f64 * *b as f64)
                        .sum();
                    assert!((sim as f64 - f64dot).abs() < 1e-5);
                }
            }
        }
    }

    #[test]
    fn small_sets_pad_their_rows() {
        let s = synthetic_faces(&SyntheticParams::album(3, 2));
        let n = s.faces.len();
        let got = exact(&s.faces, n + 2);
        for i in 0..n {
            assert_eq!(got.of(i).count(), n - 1);
        }
    }
}
