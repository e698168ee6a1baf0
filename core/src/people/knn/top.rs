//! The best `k` candidates of one face, kept sorted as they stream in.

/// Up to `k` (similarity, face) pairs, best first: higher similarity, then smaller face.
#[derive(Debug, Clone)]
pub struct TopK {
    k: usize,
    best: Vec<(f32, u32)>,
}

impl TopK {
    pub fn new(k: usize) -> Self {
        Self {
            k,
            best: Vec::with_capacity(k + 1),
        }
    }

    /// Whether `(sim, id)` ranks before `(other_sim, other_id)`.
    #[inline]
    fn before(sim: f32, id: u32, other: (f32, u32)) -> bool {
        match sim.total_cmp(&other.0) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => id < other.1,
        }
    }

    /// Offers a candidate. Callers offer each face at most once.
    #[inline]
    pub fn push(&mut self, sim: f32, id: u32) {
        if self.best.len() == self.k {
            match self.best.last() {
                Some(&worst) if Self::before(sim, id, worst) => {}
                _ => return,
            }
            self.best.pop();
        }
        let at = self
            .best
            .partition_point(|&b| Self::before(b.0, b.1, (sim, id)));
        self.best.insert(at, (sim, id));
    }

    /// The lowest similarity a new candidate must beat to enter (−∞ while not full).
    #[inline]
    pub fn floor(&self) -> f32 {
        if self.best.len() == self.k {
            self.best.last().map_or(f32::NEG_INFINITY, |b| b.0)
        } else {
            f32::NEG_INFINITY
        }
    }

    /// The candidates kept, best first.
    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.best.iter().map(|b| b.1)
    }

    /// (similarity, face) pairs kept, best first.
    pub fn entries(&self) -> impl Iterator<Item = (f32, u32)> + '_ {
        self.best.iter().copied()
    }

    pub fn contains(&self, id: u32) -> bool {
        self.best.iter().any(|b| b.1 == id)
    }

    /// Appends the row, padded to `k` with `u32::MAX` / −∞, to `ids` and `sims`.
    pub fn write(&self, ids: &mut Vec<u32>, sims: &mut Vec<f32>) {
        ids.extend(self.best.iter().map(|b| b.1));
        sims.extend(self.best.iter().map(|b| b.0));
        for _ in self.best.len()..self.k {
            ids.push(u32::MAX);
            sims.push(f32::NEG_INFINITY);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_best_k_ties_to_the_smaller_face() {
        let mut t = TopK::new(3);
        for (s, id) in [(0.5, 9), (0.9, 4), (0.5, 2), (0.1, 1), (0.9, 3), (0.5, 1)] {
            t.push(s, id);
        }
        let (mut ids, mut sims) = (Vec::new(), Vec::new());
        t.write(&mut ids, &mut sims);
        assert_eq!(ids, vec![3, 4, 1]);
        assert_eq!(sims, vec![0.9, 0.9, 0.5]);
        let mut short = TopK::new(4);
        short.push(0.2, 5);
        let (mut ids, mut sims) = (Vec::new(), Vec::new());
        short.write(&mut ids, &mut sims);
        assert_eq!(ids, vec![5, u32::MAX, u32::MAX, u32::MAX]);
        assert_eq!(sims[1], f32::NEG_INFINITY);
    }
}
