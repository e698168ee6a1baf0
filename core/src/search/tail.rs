//! A fine histogram of the scores a two-stage ranking does not list: enough to draw the
//! slider's histogram and count faces below the exact part without sorting them.

/// Fine bins over a little more than [−1, 1] (int8 estimates may stray past ±1).
const BINS: usize = 8192;
const LO: f32 = -1.0625;
const HI: f32 = 1.0625;
/// Width of one fine bin, ≈ 0.00026: the most a count at an edge can be off by in score.
pub const BIN_WIDTH: f32 = (HI - LO) / BINS as f32;

/// The fine bin of `score`; out-of-range scores go to the end bins.
#[inline]
fn bin(score: f32) -> usize {
    let b = ((score - LO) / BIN_WIDTH).floor();
    if b.is_nan() || b < 0.0 {
        0
    } else {
        (b as usize).min(BINS - 1)
    }
}

/// Counts per fine bin.
#[derive(Debug, Clone, PartialEq)]
pub struct FineHistogram {
    counts: Vec<u32>,
}

impl FineHistogram {
    /// No scores yet.
    pub fn empty() -> Self {
        Self {
            counts: vec![0; BINS],
        }
    }

    /// Adds the counts of `other`.
    pub fn merge(mut self, other: &Self) -> Self {
        self.counts
            .iter_mut()
            .zip(&other.counts)
            .for_each(|(a, b)| *a += b);
        self
    }

    pub fn add(&mut self, score: f32) {
        self.counts[bin(score)] += 1;
    }

    pub fn remove(&mut self, score: f32) {
        let c = &mut self.counts[bin(score)];
        *c = c.saturating_sub(1);
    }

    /// A score such that at least `k` counted scores lie in bins at or above its bin, and
    /// so (allowing one bin for the rounding of `bin`) are `≥` it minus one bin width.
    /// `None` if fewer than `k` scores are counted.
    pub fn lower_edge_of_top(&self, k: usize) -> Option<f32> {
        let mut seen = 0usize;
        for (b, &c) in self.counts.iter().enumerate().rev() {
            seen += c as usize;
            if seen >= k {
                return Some(LO + b as f32 * BIN_WIDTH - BIN_WIDTH);
            }
        }
        None
    }

    /// Suffix sums, for counting at any edge in O(1).
    pub fn into_tail(self) -> Tail {
        let mut at_or_above = vec![0usize; BINS + 1];
        for b in (0..BINS).rev() {
            at_or_above[b] = at_or_above[b + 1] + self.counts[b] as usize;
        }
        Tail { at_or_above }
    }
}

/// The unlisted scores, summarised.
#[derive(Debug, Clone, PartialEq)]
pub struct Tail {
    /// `at_or_above[b]`: scores in fine bins `b..`.
    at_or_above: Vec<usize>,
}

impl Tail {
    pub fn len(&self) -> usize {
        self.at_or_above[0]
    }

    /// Scores `≥ edge`, exact except for scores within [`BIN_WIDTH`] of `edge`.
    pub fn at_or_above(&self, edge: f32) -> usize {
        self.at_or_above[bin(edge)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(scores: &[f32]) -> FineHistogram {
        let mut h = FineHistogram::empty();
        scores.iter().for_each(|&s| h.add(s));
        h
    }

    #[test]
    fn counts_are_exact_away_from_the_edge() {
        let scores: Vec<f32> = (0..2001).map(|i| -1.0 + i as f32 / 1000.0).collect();
        let tail = of(&scores).into_tail();
        assert_eq!(tail.len(), scores.len());
        for edge in [-1.5f32, -0.9995, -0.3335, 0.0005, 0.4995, 0.9995, 1.5] {
            let want = scores.iter().filter(|&&s| s >= edge).count();
            assert_eq!(tail.at_or_above(edge), want, "edge {edge}");
        }
        let top = of(&scores).lower_edge_of_top(10).expect("enough");
        assert!(scores.iter().filter(|&&s| s >= top).count() >= 10);
    }
}
