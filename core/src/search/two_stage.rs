//! The two-stage search: int8 estimates for every face, exact f32 scores for the few that
//! can reach the floor.
//!
//! A million 512-d faces are 2 GB as f32 but 0.5 GB as int8; reading the int8 copy is what
//! makes 1M faces fit in tens of milliseconds. Exactness comes from the error bound of
//! [`super::int8`]: a face whose estimate lies more than its bound below the floor cannot
//! score at or above it in f32, so only the others are rescored — with the very dot product
//! of the plain path, so the listed scores and their order are bit-identical to it.

use rayon::prelude::*;

use super::int8::Int8Query;
use super::kernels::Kernel;
use super::tail::FineHistogram;
use super::{dot_lanes, sort_ranked, Match, RankedMatches, SearchError};
use crate::gallery::Album;

/// Rows per parallel task: 2048 rows = 1 MiB of int8 at dim 512, enough to amortise rayon.
const BLOCK: usize = 2048;

/// What a two-stage ranking lists: every face scoring `≥ floor` and at least the
/// `min_listed` best ones (a prefix of the full ranking either way).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coverage {
    pub floor: f32,
    pub min_listed: usize,
}

impl Coverage {
    /// Everything: the plain full ranking.
    pub const ALL: Self = Self {
        floor: f32::NEG_INFINITY,
        min_listed: 0,
    };
}

/// Ranks with `kernel` for the int8 pass (tests compare kernels; callers use
/// [`Kernel::detect`]). The query has the album's dimension, checked by the caller.
pub(super) fn rank(
    query: &[f32],
    album: &Album,
    need: Coverage,
    kernel: Kernel,
) -> Result<RankedMatches, SearchError> {
    let rows = album.int8();
    let n = rows.len();
    let q = Int8Query::new(query, rows.stride());

    // Stage 1: an estimate for every face, and the candidates for the floor asked for
    // (picked in the same pass, while the block is in cache).
    // A NaN floor asks for nothing beyond `min_listed` (rather than comparing false).
    let asked = match need.floor {
        f if f.is_nan() => f32::INFINITY,
        f => round_down(f64::from(f)),
    };
    let (estimates, mut candidates, mut hist) = stage_one(&q, album, kernel, asked);

    // The floor: the one asked for, lowered so that the `min_listed` best estimates (whose
    // f32 scores are at least their estimate minus the largest bound) are listed too.
    let mut floor = asked;
    if need.min_listed > 0 {
        let lowest = match hist.lower_edge_of_top(need.min_listed) {
            Some(edge) => f64::from(edge) - q.max_bound(rows),
            None => f64::NEG_INFINITY,
        };
        if lowest < f64::from(asked) {
            floor = round_down(lowest);
            // A second, cheaper scan of the estimates for the lower floor.
            let cut = f64::from(floor);
            candidates = estimates
                .par_iter()
                .enumerate()
                .filter(|&(r, &e)| f64::from(e) >= cut - q.bound(rows, r))
                .map(|(r, _)| r as u32)
                .collect();
        }
    }

    // Stage 2: candidates rescored exactly, those below the floor moved to the tail.
    let dim = album.dim();
    let matrix = album.embeddings();
    if candidates.len() > n / 4 {
        // A floor deep in the bulk of the scores: scattered rescoring plus a second read
        // would cost more than the plain pass, whose full ranking lists them all anyway.
        return RankedMatches::compute_matrix(query, matrix, dim);
    }
    let scored: Vec<Match> = candidates
        .par_iter()
        .map(|&r| Match {
            face: r,
            score: dot_lanes(query, &matrix[r as usize * dim..(r as usize + 1) * dim]),
        })
        .collect();
    let mut listed = Vec::with_capacity(scored.len());
    for m in scored {
        hist.remove(estimates[m.face as usize]);
        if m.score >= floor {
            listed.push(m);
        } else {
            hist.add(m.score);
        }
    }
    sort_ranked(&mut listed);
    let tail = hist.into_tail();
    if tail.len() == 0 {
        // Everything listed: a full ranking.
        return Ok(RankedMatches::full(listed));
    }
    Ok(RankedMatches::partial(listed, floor, tail))
}

/// The int8 estimate of every face's score, in parallel over blocks of rows.
pub(super) fn estimates(q: &Int8Query, album: &Album, kernel: Kernel) -> Vec<f32> {
    stage_one(q, album, kernel, f32::INFINITY).0
}

/// Every face's estimate, the faces whose f32 score may reach `floor` (those whose
/// estimate is at least `floor` minus their bound) in face order, and the fine histogram
/// of the estimates — all in the one pass, while each block is in cache.
fn stage_one(
    q: &Int8Query,
    album: &Album,
    kernel: Kernel,
    floor: f32,
) -> (Vec<f32>, Vec<u32>, FineHistogram) {
    let rows = album.int8();
    let cut = f64::from(floor);
    let mut estimates = vec![0.0f32; rows.len()];
    // One histogram and candidate list per rayon split (a few per thread), merged in
    // order: rayon's `reduce` joins left before right, so candidates stay in face order.
    let (candidates, hist) = estimates
        .par_chunks_mut(BLOCK)
        .enumerate()
        .fold(
            || (Vec::new(), FineHistogram::empty()),
            |(mut found, mut hist), (b, out)| {
                let first = b * BLOCK;
                let mut dots = [0i32; BLOCK];
                let dots = &mut dots[..out.len()];
                kernel.dots(q, rows, first, dots);
                for (i, (o, &d)) in out.iter_mut().zip(dots.iter()).enumerate() {
                    let r = first + i;
                    *o = q.estimate(rows, r, d);
                    hist.add(*o);
                    if f64::from(*o) >= cut - q.bound(rows, r) {
                        found.push(r as u32);
                    }
                }
                (found, hist)
            },
        )
        .reduce(
            || (Vec::new(), FineHistogram::empty()),
            |(mut left, hl), (right, hr)| {
                left.extend(right);
                (left, hl.merge(&hr))
            },
        );
    (estimates, candidates, hist)
}

/// The largest f32 not above `x`.
fn round_down(x: f64) -> f32 {
    let f = x as f32;
    if f64::from(f) > x {
        f.next_down()
    } else {
        f
    }
}
