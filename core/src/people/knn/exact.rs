//! Brute-force k nearest neighbours: every pair's cosine, in parallel over rows.

use rayon::prelude::*;

use super::Neighbours;
use crate::people::faces::FaceSet;

/// The exact `k` nearest neighbours of every face (itself excluded).
pub fn exact(faces: &FaceSet, k: usize) -> Neighbours {
    let n = faces.len();
    let rows: Vec<(Vec<u32>, Vec<f32>)> = (0..n)
        .into_par_iter()
        .map(|i| {
            let a = faces.embedding(i);
            let mut best: Vec<(f32, u32)> = (0..n)
                .filter(|&j| j != i)
                .map(|j| (dot(a, faces.embedding(j)), j as u32))
                .collect();
            best.sort_unstable_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
            best.truncate(k);
            let mut ids: Vec<u32> = best.iter().map(|b| b.1).collect();
            let mut sims: Vec<f32> = best.iter().map(|b| b.0).collect();
            ids.resize(k, u32::MAX);
            sims.resize(k, f32::NEG_INFINITY);
            (ids, sims)
        })
        .collect();
    let mut ids = Vec::with_capacity(n * k);
    let mut sims = Vec::with_capacity(n * k);
    for (i, s) in rows {
        ids.extend(i);
        sims.extend(s);
    }
    Neighbours::from_rows(k, ids, sims)
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
