//! Each face's nearest faces by cosine: the graph clustering starts from.
//!
//! Rows are sorted by similarity, highest first, ties by the smaller face number, so the
//! result depends only on the set and its canonical order.

mod approx;
mod exact;
pub mod kernel;
mod top;

pub use approx::{approx, approx_with, ApproxParams};
pub use exact::exact;

use super::faces::FaceSet;

/// The `k` nearest other faces of every face.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Neighbours {
    k: usize,
    /// Row-major, `k` per face; a row of a set with fewer than `k + 1` faces is padded
    /// with `u32::MAX` / `f32::NEG_INFINITY`.
    ids: Vec<u32>,
    sims: Vec<f32>,
}

impl Neighbours {
    /// From rows already sorted (highest similarity first, ties by smaller id).
    pub fn from_rows(k: usize, ids: Vec<u32>, sims: Vec<f32>) -> Self {
        debug_assert_eq!(ids.len(), sims.len());
        debug_assert!(k == 0 || ids.len().is_multiple_of(k));
        Self { k, ids, sims }
    }

    pub fn k(&self) -> usize {
        self.k
    }

    pub fn len(&self) -> usize {
        self.ids.len().checked_div(self.k).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Face `i`'s neighbours and their cosines, nearest first (padding left out).
    pub fn of(&self, i: usize) -> impl Iterator<Item = (u32, f32)> + '_ {
        let row = i * self.k..(i + 1) * self.k;
        self.ids[row.clone()]
            .iter()
            .copied()
            .zip(self.sims[row].iter().copied())
            .filter(|(id, _)| *id != u32::MAX)
    }
}

/// Up to this many faces the neighbour graph is exact; above, the approximate index
/// ([`approx`]) builds it. Exact costs n² dot products (≈ 1 s for 10k faces on 2
/// cores, 100 s for 100k); the index about 2n·√(32·n) plus its k-means (≈ 20 s of CPU
/// for 100k, see the people bench).
pub const EXACT_UP_TO: usize = 20_000;

/// Which graph [`neighbours`] builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Exact up to [`EXACT_UP_TO`] faces, approximate above.
    #[default]
    Auto,
    Exact,
    Approx,
}

thread_local! {
    static FORCED: std::cell::Cell<Method> = const { std::cell::Cell::new(Method::Auto) };
}

/// Runs `f` with every [`neighbours`] call on this thread building the graph by `method`:
/// how the benchmark and tests check that clustering on the approximate graph gives the
/// exact graph's partition.
pub fn with_method<R>(method: Method, f: impl FnOnce() -> R) -> R {
    struct Restore(Method);
    impl Drop for Restore {
        fn drop(&mut self) {
            FORCED.with(|m| m.set(self.0));
        }
    }
    let _restore = Restore(FORCED.with(|m| m.replace(method)));
    f()
}

/// The neighbour graph of `faces`: exact up to [`EXACT_UP_TO`] faces, approximate above
/// (unless [`with_method`] says otherwise). Both are deterministic functions of the set in
/// its canonical order.
pub fn neighbours(faces: &FaceSet, k: usize) -> Neighbours {
    let method = FORCED.with(|m| m.get());
    let exact_graph = match method {
        Method::Auto => faces.len() <= EXACT_UP_TO,
        Method::Exact => true,
        Method::Approx => false,
    };
    if exact_graph {
        exact(faces, k)
    } else {
        approx(faces, k)
    }
}
