//! Ranking every gallery face against a query face.
//!
//! All similarities are computed once per query, then sorted; moving the threshold slider
//! afterwards is a binary search on the sorted list, never a new pass over the matrix.
//!
//! Large albums are ranked in two stages ([`RankedMatches::compute_covering`]): int8
//! estimates for every face, then exact f32 scores for the faces that can reach a floor.
//! The list then holds exactly the faces at or above the floor — the same faces, scores
//! and order as the head of the full f32 ranking — and the faces below it are kept only
//! as a fine histogram of their scores.

pub(crate) mod int8;
mod kernels;
mod review;
mod session;
mod tail;
mod two_stage;

use std::ops::RangeInclusive;

use rayon::prelude::*;

use crate::embed::FaceEmbedding;
use crate::gallery::{Album, FaceRecord, PhotoRecord};

pub use kernels::Kernel;
pub use review::{face_key_for, FaceKey, FaceKeyError, Review, Verdict};
pub use session::{
    ProbeFace, Session, SessionMatch, ShownCounts, Threshold, ThresholdError, DEFAULT_BAND,
    TWO_STAGE_MIN_FACES,
};
pub use tail::BIN_WIDTH as HISTOGRAM_TAIL_BIN_WIDTH;
pub use two_stage::Coverage;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    #[error("query has {query} dimensions, the gallery {gallery}")]
    DimMismatch { query: usize, gallery: usize },
    #[error("embedding matrix of {len} floats is not a whole number of {dim}-float rows")]
    RaggedMatrix { len: usize, dim: usize },
    #[error("{faces} faces exceed the u32 face index")]
    TooManyFaces { faces: usize },
}

/// What to look for: one unit vector, possibly combining several photos of the person.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    unit: Vec<f32>,
}

impl Query {
    /// The probe's own direction (already unit length).
    pub fn single(probe: &FaceEmbedding) -> Self {
        Self {
            unit: probe.unit.clone(),
        }
    }

    /// Quality-weighted mean direction: `normalize(Σ normᵢ · unitᵢ)`, so sharp, frontal
    /// probes (high AdaFace norm) count more than blurry ones.
    ///
    /// `None` when there is no probe, the probes differ in length, a value or norm is not
    /// finite, a norm is not positive, or the probes cancel out.
    pub fn combine(probes: &[FaceEmbedding]) -> Option<Self> {
        let dim = probes.first()?.unit.len();
        // f64: summing many probes of similar direction loses nothing worth a thought.
        let mut sum = vec![0.0f64; dim];
        for p in probes {
            if p.unit.len() != dim || !p.norm.is_finite() || p.norm <= 0.0 {
                return None;
            }
            let w = f64::from(p.norm);
            for (s, &v) in sum.iter_mut().zip(&p.unit) {
                *s += w * f64::from(v);
            }
        }
        Self::normalized(&sum)
    }

    /// Any non-zero finite vector, normalised.
    pub fn from_vector(v: &[f32]) -> Option<Self> {
        let v: Vec<f64> = v.iter().map(|&x| f64::from(x)).collect();
        Self::normalized(&v)
    }

    fn normalized(v: &[f64]) -> Option<Self> {
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if v.is_empty() || !norm.is_finite() || norm <= f64::from(f32::MIN_POSITIVE) {
            return None;
        }
        Some(Self {
            unit: v.iter().map(|x| (x / norm) as f32).collect(),
        })
    }

    pub fn unit(&self) -> &[f32] {
        &self.unit
    }

    pub fn dim(&self) -> usize {
        self.unit.len()
    }
}

/// One gallery face and its cosine similarity to the query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    /// Index into `Album::faces` (and row of the embedding matrix).
    pub face: u32,
    pub score: f32,
}

/// A ranked match with the records the UI shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchView<'a> {
    /// Position in the ranking, 0 = best.
    pub rank: usize,
    pub face_index: u32,
    pub photo: &'a PhotoRecord,
    pub face: &'a FaceRecord,
    pub score: f32,
    /// AdaFace norm of the gallery face: its quality.
    pub norm: f32,
}

/// Gallery faces, best match first (ties: lower face index first): every face, or (from
/// [`Self::compute_covering`]) every face scoring at or above [`Self::floor`] — exactly the
/// head of the full ranking — with the rest summarised for the histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedMatches {
    matches: Vec<Match>,
    /// Every face scoring `>= floor` is listed, and no other; −∞ when all faces are.
    floor: f32,
    /// The unlisted faces' scores (int8 estimates), `None` when all faces are listed.
    tail: Option<tail::Tail>,
}

impl Default for RankedMatches {
    fn default() -> Self {
        Self::full(Vec::new())
    }
}

impl RankedMatches {
    fn full(matches: Vec<Match>) -> Self {
        Self {
            matches,
            floor: f32::NEG_INFINITY,
            tail: None,
        }
    }

    fn partial(matches: Vec<Match>, floor: f32, tail: tail::Tail) -> Self {
        Self {
            matches,
            floor,
            tail: Some(tail),
        }
    }

    /// Every face of the album, ranked by f32 scores.
    pub fn compute(query: &Query, album: &Album) -> Result<Self, SearchError> {
        Self::compute_covering(query, album, Coverage::ALL)
    }

    /// The faces `need` asks for, in two stages when that lists fewer than all: the int8
    /// copy picks the candidates, f32 scores them. The listed faces, their scores and
    /// their order are those of [`Self::compute`]'s list; [`Self::histogram`] counts the
    /// unlisted ones by their int8 estimates.
    pub fn compute_covering(
        query: &Query,
        album: &Album,
        need: Coverage,
    ) -> Result<Self, SearchError> {
        Self::compute_with(query, album, need, Kernel::detect())
    }

    /// [`Self::compute_covering`] with a chosen int8 kernel (to compare kernels).
    pub fn compute_with(
        query: &Query,
        album: &Album,
        need: Coverage,
        kernel: Kernel,
    ) -> Result<Self, SearchError> {
        if album.faces().len() * album.dim() != album.embeddings().len() {
            return Err(SearchError::RaggedMatrix {
                len: album.embeddings().len(),
                dim: album.dim(),
            });
        }
        let everything = need.floor == f32::NEG_INFINITY || need.min_listed >= album.face_count();
        if everything || query.dim() != album.dim() || album.dim() == 0 {
            // Shape errors are reported by the plain path.
            return Self::compute_matrix(query.unit(), album.embeddings(), album.dim());
        }
        if u32::try_from(album.face_count()).is_err() {
            return Err(SearchError::TooManyFaces {
                faces: album.face_count(),
            });
        }
        two_stage::rank(query.unit(), album, need, kernel)
    }

    /// Ranks the rows of a raw row-major `matrix` of `dim`-float unit vectors.
    pub fn compute_matrix(query: &[f32], matrix: &[f32], dim: usize) -> Result<Self, SearchError> {
        let scores = similarities(query, matrix, dim)?;
        Self::from_scores(&scores)
    }

    /// Ranks precomputed scores; `scores[i]` belongs to face `i`. A NaN score (only possible
    /// from a damaged matrix) ranks last as −∞ so the list stays totally ordered.
    pub fn from_scores(scores: &[f32]) -> Result<Self, SearchError> {
        if u32::try_from(scores.len()).is_err() {
            return Err(SearchError::TooManyFaces {
                faces: scores.len(),
            });
        }
        let mut matches: Vec<Match> = scores
            .par_iter()
            .enumerate()
            .map(|(i, &s)| Match {
                face: i as u32,
                score: if s.is_nan() { f32::NEG_INFINITY } else { s },
            })
            .collect();
        sort_ranked(&mut matches);
        Ok(Self::full(matches))
    }

    /// Number of listed faces (all of them unless [`Self::is_complete`] says otherwise).
    pub fn len(&self) -> usize {
        self.matches.len()
    }

    /// Number of faces ranked, listed or not.
    pub fn face_count(&self) -> usize {
        self.matches.len() + self.tail.as_ref().map_or(0, tail::Tail::len)
    }

    /// Every face scoring at or above this is listed (−∞: every face is).
    pub fn floor(&self) -> f32 {
        self.floor
    }

    /// Whether every face is listed.
    pub fn is_complete(&self) -> bool {
        self.tail.is_none()
    }

    pub fn is_empty(&self) -> bool {
        self.matches.is_empty()
    }

    /// The listed ranking: every face, or the head down to [`Self::floor`].
    pub fn matches(&self) -> &[Match] {
        &self.matches
    }

    /// The `k` best matches (fewer if the gallery is smaller).
    pub fn top(&self, k: usize) -> &[Match] {
        &self.matches[..k.min(self.matches.len())]
    }

    /// Matches with `score >= threshold`, best first: a binary search, O(log n).
    /// A NaN threshold matches nothing. Complete only for `threshold >= floor()`.
    pub fn above(&self, threshold: f32) -> &[Match] {
        let n = self.matches.partition_point(|m| m.score >= threshold);
        &self.matches[..n]
    }

    /// Number of faces with `score >= threshold`.
    pub fn count_above(&self, threshold: f32) -> usize {
        self.above(threshold).len()
    }

    /// Number of distinct photos with at least one face scoring `>= threshold`.
    /// Faces the album does not have (a ranking of another album) are ignored.
    pub fn photos_above(&self, threshold: f32, album: &Album) -> usize {
        let mut seen = vec![0u64; album.photos().len().div_ceil(64)];
        let mut count = 0;
        for m in self.above(threshold) {
            let Some(face) = album.faces().get(m.face as usize) else {
                continue;
            };
            let p = face.photo as usize;
            if let Some(word) = seen.get_mut(p / 64) {
                let bit = 1u64 << (p % 64);
                if *word & bit == 0 {
                    *word |= bit;
                    count += 1;
                }
            }
        }
        count
    }

    /// Score histogram over `range` in `bins` equal bins, for drawing under the slider.
    /// Bin `i` counts scores in `[edgeᵢ, edgeᵢ₊₁)`; scores below the range fall in the first
    /// bin and scores above it (or equal to its end) in the last, so the counts always sum to
    /// `face_count()`. An empty or non-finite range puts everything in the first bin.
    /// Binary searches on the sorted scores: O(bins · log n). Exact for listed faces; an
    /// unlisted face (below the floor) is counted by its int8 estimate, so it may land one
    /// bin off when it lies within its error bound plus [`HISTOGRAM_TAIL_BIN_WIDTH`] of an
    /// edge.
    pub fn histogram(&self, bins: usize, range: RangeInclusive<f32>) -> Vec<u32> {
        let mut hist = vec![0u32; bins];
        let (lo, hi) = (*range.start(), *range.end());
        let Some(first) = hist.first_mut() else {
            return hist;
        };
        let n = self.face_count();
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            *first = n as u32;
            return hist;
        }
        // Faces at or above edge `i`; edges are monotone, so counts are non-increasing.
        let at_or_above = |i: usize| -> usize {
            if i == 0 {
                return n;
            }
            if i == bins {
                return 0;
            }
            let edge = lo + (hi - lo) * (i as f32 / bins as f32);
            let listed = self.matches.partition_point(|m| m.score >= edge);
            // Unlisted faces all score below the floor: none is at or above an edge there.
            let unlisted = match &self.tail {
                Some(t) if edge < self.floor => t.at_or_above(edge),
                _ => 0,
            };
            listed + unlisted
        };
        let mut upper = n;
        for (i, h) in hist.iter_mut().enumerate() {
            let next = at_or_above(i + 1);
            *h = upper.saturating_sub(next) as u32;
            upper = next;
        }
        hist
    }

    /// The `rank`-th match with its photo and face records; `None` past the end or if the
    /// album does not have that face.
    pub fn view<'a>(&self, album: &'a Album, rank: usize) -> Option<MatchView<'a>> {
        let m = *self.matches.get(rank)?;
        view_of(album, rank, m)
    }

    /// Matches with `score >= threshold` and, if `min_quality` is set, a face norm of at
    /// least that much (hiding blurry, tiny or profile faces), best first.
    pub fn above_filtered<'a>(
        &'a self,
        threshold: f32,
        min_quality: Option<f32>,
        album: &'a Album,
    ) -> impl Iterator<Item = MatchView<'a>> + 'a {
        self.above(threshold)
            .iter()
            .enumerate()
            .filter_map(move |(rank, &m)| view_of(album, rank, m))
            .filter(move |v| min_quality.is_none_or(|q| v.norm >= q))
    }
}

/// The first stage's int8 estimate of every face's score, with how far its f32 score may
/// lie from it (the proven bound of the int8 module): `(estimate, bound)` per face, for
/// measuring the quantisation error.
pub fn int8_estimates(query: &Query, album: &Album) -> Result<Vec<(f32, f32)>, SearchError> {
    if query.dim() != album.dim() {
        return Err(SearchError::DimMismatch {
            query: query.dim(),
            gallery: album.dim(),
        });
    }
    let rows = album.int8();
    let q = int8::Int8Query::new(query.unit(), rows.stride());
    let estimates = two_stage::estimates(&q, album, Kernel::detect());
    Ok(estimates
        .iter()
        .enumerate()
        // `next_up`: the f32 bound must not round below the f64 one.
        .map(|(r, &e)| (e, (q.bound(rows, r) as f32).next_up()))
        .collect())
}

fn view_of(album: &Album, rank: usize, m: Match) -> Option<MatchView<'_>> {
    let face = album.faces().get(m.face as usize)?;
    let photo = album.photos().get(face.photo as usize)?;
    Some(MatchView {
        rank,
        face_index: m.face,
        photo,
        face,
        score: m.score,
        norm: face.norm,
    })
}

/// Cosine similarity of `query` with every `dim`-float row of `matrix`, in row order.
/// Multi-threaded over blocks of rows.
pub fn similarities(query: &[f32], matrix: &[f32], dim: usize) -> Result<Vec<f32>, SearchError> {
    if query.len() != dim {
        return Err(SearchError::DimMismatch {
            query: query.len(),
            gallery: dim,
        });
    }
    if dim == 0 {
        // No rows can be told apart in a zero-dimensional matrix; an empty gallery.
        return Ok(Vec::new());
    }
    if !matrix.len().is_multiple_of(dim) {
        return Err(SearchError::RaggedMatrix {
            len: matrix.len(),
            dim,
        });
    }
    let faces = matrix.len() / dim;
    if u32::try_from(faces).is_err() {
        return Err(SearchError::TooManyFaces { faces });
    }
    let mut scores = vec![0.0f32; faces];
    // 2048 rows = 4 MiB at dim 512: big enough to amortise rayon, small enough to balance.
    const BLOCK: usize = 2048;
    scores
        .par_chunks_mut(BLOCK)
        .zip(matrix.par_chunks(BLOCK * dim))
        .for_each(|(out, rows)| {
            for (s, row) in out.iter_mut().zip(rows.chunks_exact(dim)) {
                *s = dot_lanes(query, row);
            }
        });
    Ok(scores)
}

/// Accumulator lanes: 16 independent partial sums let LLVM keep several vector registers
/// busy (floating-point adds are not reassociated on its own, so one sum would not vectorise).
const LANES: usize = 16;

/// Dot product written for auto-vectorisation; `a` and `b` have equal length.
fn dot_lanes(a: &[f32], b: &[f32]) -> f32 {
    let (a_blocks, a_tail) = a.as_chunks::<LANES>();
    let (b_blocks, b_tail) = b.as_chunks::<LANES>();
    let mut acc = [0.0f32; LANES];
    for (x, y) in a_blocks.iter().zip(b_blocks) {
        for ((s, &xl), &yl) in acc.iter_mut().zip(x).zip(y) {
            *s += xl * yl;
        }
    }
    let mut tail = 0.0f32;
    for (x, y) in a_tail.iter().zip(b_tail) {
        tail += x * y;
    }
    // Pairwise reduction, also vectorisable.
    let mut width = LANES / 2;
    while width > 0 {
        let (low, high) = acc.split_at_mut(width);
        for (l, &h) in low.iter_mut().zip(high.iter()) {
            *l += h;
        }
        width /= 2;
    }
    acc[0] + tail
}

/// The ranking order: score descending (by `total_cmp`), then face index ascending.
fn rank_order(a: &Match, b: &Match) -> std::cmp::Ordering {
    b.score.total_cmp(&a.score).then(a.face.cmp(&b.face))
}

/// Below this, a comparison sort beats the radix sort's fixed histogram cost.
const RADIX_MIN: usize = 1024;

/// Sorts into [`rank_order`]. Large lists use a stable LSD radix sort on the score bits:
/// O(n) in four passes, several times faster than a comparison sort at 1M faces on two
/// cores. Stability keeps ties in face order, because `matches` arrives in face order.
fn sort_ranked(matches: &mut Vec<Match>) {
    debug_assert!(matches.windows(2).all(|w| w[0].face < w[1].face));
    if matches.len() < RADIX_MIN {
        matches.par_sort_unstable_by(rank_order);
        return;
    }
    radix_sort_desc(matches);
}

/// Maps a score to a `u32` whose ascending order is descending `total_cmp` order.
#[inline]
fn desc_key(score: f32) -> u32 {
    let bits = score.to_bits();
    // The usual total-order trick (same order as `f32::total_cmp`), then inverted.
    let asc = if bits & 0x8000_0000 != 0 {
        !bits
    } else {
        bits | 0x8000_0000
    };
    !asc
}

// 8-bit digits: 256 scatter streams stay within the TLB and L1; 11-bit digits (3 passes)
// measured slower at 1M faces.
const RADIX_BITS: u32 = 8;
const RADIX_BUCKETS: usize = 1 << RADIX_BITS;
const RADIX_PASSES: usize = 4;

fn radix_sort_desc(matches: &mut Vec<Match>) {
    // All three digit histograms in one read.
    let mut counts = vec![[0usize; RADIX_BUCKETS]; RADIX_PASSES];
    for m in matches.iter() {
        let k = desc_key(m.score);
        for (p, c) in counts.iter_mut().enumerate() {
            c[digit(k, p)] += 1;
        }
    }
    let n = matches.len();
    let mut src = std::mem::take(matches);
    let mut dst = vec![
        Match {
            face: 0,
            score: 0.0
        };
        n
    ];
    for (pass, count) in counts.iter().enumerate() {
        // A digit shared by every key leaves the order unchanged: skip the pass.
        if count.contains(&n) {
            continue;
        }
        let mut offset = [0usize; RADIX_BUCKETS];
        let mut sum = 0;
        for (o, &c) in offset.iter_mut().zip(count.iter()) {
            *o = sum;
            sum += c;
        }
        for m in &src {
            let d = digit(desc_key(m.score), pass);
            // `offset[d]` < n: it starts at the bucket's start and counts its members.
            dst[offset[d]] = *m;
            offset[d] += 1;
        }
        std::mem::swap(&mut src, &mut dst);
    }
    *matches = src;
}

#[inline]
fn digit(key: u32, pass: usize) -> usize {
    ((key >> (pass as u32 * RADIX_BITS)) as usize) & (RADIX_BUCKETS - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_dot(a: &[f32], b: &[f32]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(&x, &y)| f64::from(x) * f64::from(y))
            .sum()
    }

    /// Deterministic pseudo-random floats in [-1, 1) (splitmix64).
    fn noise(seed: u64, n: usize) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = s;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                ((z >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn dot_lanes_matches_naive_for_all_lengths() {
        for len in [0, 1, 7, 15, 16, 17, 31, 32, 33, 100, 512, 513] {
            let a = noise(1, len);
            let b = noise(2, len);
            let got = f64::from(dot_lanes(&a, &b));
            let want = naive_dot(&a, &b);
            assert!((got - want).abs() < 1e-4, "len {len}: {got} vs {want}");
        }
    }

    #[test]
    fn desc_key_orders_like_total_cmp_descending() {
        let values = [
            f32::INFINITY,
            1.0,
            0.5,
            f32::MIN_POSITIVE,
            0.0,
            -0.0,
            -f32::MIN_POSITIVE,
            -0.5,
            -1.0,
            f32::NEG_INFINITY,
        ];
        for w in values.windows(2) {
            assert_eq!(w[0].total_cmp(&w[1]), std::cmp::Ordering::Greater);
            assert!(desc_key(w[0]) < desc_key(w[1]), "{} vs {}", w[0], w[1]);
        }
    }

    #[test]
    fn radix_sort_equals_comparison_sort() {
        // Quantised scores force many exact ties; zeros of both signs and a few infinities.
        let mut scores: Vec<f32> = noise(7, 50_000)
            .iter()
            .map(|v| (v * 64.0).round() / 64.0)
            .collect();
        scores[10] = -0.0;
        scores[11] = 0.0;
        scores[12] = -0.0;
        scores[13] = f32::INFINITY;
        scores[14] = f32::NEG_INFINITY;
        let mut expected: Vec<Match> = scores
            .iter()
            .enumerate()
            .map(|(i, &score)| Match {
                face: i as u32,
                score,
            })
            .collect();
        let mut radix = expected.clone();
        expected.sort_by(rank_order);
        radix_sort_desc(&mut radix);
        assert!(radix
            .iter()
            .zip(&expected)
            .all(|(a, b)| a.face == b.face && a.score.to_bits() == b.score.to_bits()));
    }

    #[test]
    fn radix_sort_with_all_equal_scores_keeps_face_order() {
        let ranked = RankedMatches::from_scores(&vec![0.25; 5000]).expect("ranks");
        assert!(ranked
            .matches()
            .iter()
            .enumerate()
            .all(|(i, m)| m.face as usize == i));
    }

    #[test]
    fn nan_scores_rank_last() {
        let mut scores = noise(3, 3000);
        scores[5] = f32::NAN;
        let ranked = RankedMatches::from_scores(&scores).expect("ranks");
        let last = ranked.matches()[scores.len() - 1];
        assert_eq!((last.face, last.score), (5, f32::NEG_INFINITY));
        assert_eq!(ranked.count_above(-2.0), scores.len() - 1);
    }

    #[test]
    fn similarities_rejects_bad_shapes() {
        assert_eq!(
            similarities(&[1.0, 0.0], &[1.0, 0.0, 0.0], 2),
            Err(SearchError::RaggedMatrix { len: 3, dim: 2 })
        );
        assert_eq!(
            similarities(&[1.0], &[1.0, 0.0], 2),
            Err(SearchError::DimMismatch {
                query: 1,
                gallery: 2
            })
        );
    }
}
