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
    let ids: Vec<u32> = (0..n as u32).collect();
    let blocks: Vec<Vec<TopK>> = all
        .par_chunks(QUERY_BLOCK)
        .zip(ids.par_chunks(QUERY_BLOCK))
        .map(|(queries, query_ids)| {
            let mut tops: Vec<TopK> = (0..queries.len()).map(|_| TopK::new(k)).collect();
            scan(queries, query_ids, &all, &ids, &mut tops);
            tops
        })
        .collect();
    let mut ids = Vec::with_capacity(n * k);
    let mut sims = Vec::with_capacity(n * k);
    for top in blocks.iter().flatten() {
        top.write(&mut ids, &mut sims);
    }
    Neighbours::from_rows(k, ids, sims)
}

/// Offers every target to every query's `TopK` (a query is never its own neighbour), in
/// blocks of [`ROW_BLOCK`] targets so that they stay in cache while the queries pass.
pub(super) fn scan(
    queries: &[&[f32]],
    query_ids: &[u32],
    targets: &[&[f32]],
    target_ids: &[u32],
    tops: &mut [TopK],
) {
    let mut out = vec![0.0f32; queries.len() * ROW_BLOCK.min(targets.len())];
    for (rows, row_ids) in targets.chunks(ROW_BLOCK).zip(target_ids.chunks(ROW_BLOCK)) {
        let out = &mut out[..queries.len() * rows.len()];
        kernel::sims(queries, rows, out);
        for ((top, &me), line) in tops
            .iter_mut()
            .zip(query_ids)
            .zip(out.chunks_exact(rows.len()))
        {
            for (&j, &s) in row_ids.iter().zip(line.iter()) {
                // Most candidates fail this one comparison.
                if s >= top.floor() && j != me {
                    top.push(s, j);
                }
            }
        }
    }
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
                    .map(|j| {
                        (
                            j as u32,
                            kernel::dot(faces.embedding(i), faces.embedding(j)),
                        )
                    })
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
