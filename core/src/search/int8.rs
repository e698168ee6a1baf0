//! The album's int8 copy of its embedding matrix: the compact first stage of a search.
//!
//! Each row `v` is stored as `scale · q` with `q ∈ [−127, 127]ⁿ` and `scale = max|vᵢ| / 127`
//! (symmetric, one scale per row). A scale per row, not one for the whole matrix, lets rows
//! be appended one at a time as the album grows photo by photo, so the copy is kept in step
//! by [`crate::gallery::Album`] itself rather than rebuilt before a search.
//!
//! # Error bound
//! With `e = v − scale·q` (row rounding, stored as `‖e‖₂` per row) and the query likewise
//! `u = s·p + f`, the exact dot product differs from the int8 estimate `s·scale·(p·q)` by
//! `u·e + f·v − f·e`, so by at most `‖u‖‖e‖ + ‖f‖‖v‖ + ‖f‖‖e‖` (Cauchy–Schwarz). The f32
//! dot product the final ranking uses is itself within `γ‖u‖‖v‖` of the exact one
//! (`γ = (dim + 2)·2⁻²⁴`, any summation order), which [`Int8Query::bound`] adds too.
//! For 512-d unit vectors the bound is about 0.02; the typical error is ~20× smaller.

/// Row stride in bytes: a multiple of one AVX-512 register, so the kernels need no tail.
/// Padding bytes are 0 in rows and stand for 0 in the query.
pub(crate) const ALIGN: usize = 64;

/// Slack for the rounding of the estimate itself (f64 product, stored as f32 ≤ 1).
const ESTIMATE_SLACK: f64 = 1e-6;

/// The int8 rows of an album, with what the error bound needs per row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Int8Rows {
    dim: usize,
    stride: usize,
    /// `len · stride` values, row-major, zero-padded.
    values: Vec<i8>,
    /// Per row, side by side so the pass reads one more stream, not four.
    info: Vec<RowInfo>,
    /// The largest of `errors` and of `norms`: the bound of every row at once, in O(1).
    max_error: f32,
    max_norm: f32,
}

/// What quantising one row yields besides its values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowInfo {
    pub scale: f32,
    /// `Σ qᵢ`: VNNI multiplies unsigned by signed bytes, so the query is offset by +128
    /// and `128 · Σ qᵢ` taken off again.
    pub sum: i32,
    /// `‖v − scale·q‖₂`, rounded up.
    pub error: f32,
    /// `‖v‖₂`, rounded up (rows are unit vectors, but nothing relies on it).
    pub norm: f32,
}

impl Int8Rows {
    pub fn new(dim: usize) -> Self {
        Self {
            dim,
            stride: dim.next_multiple_of(ALIGN),
            ..Self::default()
        }
    }

    /// The copy of a whole row-major matrix of `dim`-float rows (in parallel: loading a
    /// million faces should not wait on one core).
    pub fn from_matrix(dim: usize, matrix: &[f32]) -> Self {
        use rayon::prelude::*;
        let mut rows = Self::new(dim);
        if dim == 0 {
            return rows;
        }
        let n = matrix.len() / dim;
        rows.values = vec![0; n * rows.stride];
        rows.info = rows
            .values
            .par_chunks_mut(rows.stride)
            .zip(matrix.par_chunks_exact(dim))
            .map(|(out, row)| quantise_row(row, out))
            .collect();
        rows.max_error = rows.info.iter().map(|i| i.error).fold(0.0, f32::max);
        rows.max_norm = rows.info.iter().map(|i| i.norm).fold(0.0, f32::max);
        rows
    }

    /// Appends one row of `dim` floats.
    pub fn push(&mut self, row: &[f32]) {
        debug_assert_eq!(row.len(), self.dim);
        let start = self.values.len();
        self.values.resize(start + self.stride, 0);
        let info = quantise_row(row, &mut self.values[start..]);
        self.info.push(info);
        self.max_error = self.max_error.max(info.error);
        self.max_norm = self.max_norm.max(info.norm);
    }

    pub fn len(&self) -> usize {
        self.info.len()
    }

    pub fn is_empty(&self) -> bool {
        self.info.is_empty()
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn stride(&self) -> usize {
        self.stride
    }

    pub fn values(&self) -> &[i8] {
        &self.values
    }

    pub fn info(&self) -> &[RowInfo] {
        &self.info
    }

    /// Bytes held (values and per-row data), for reporting memory.
    pub fn bytes(&self) -> usize {
        self.values.len() + self.info.len() * std::mem::size_of::<RowInfo>()
    }

    /// Row `r` dequantised: `scale · q` (tests and diagnostics).
    pub fn dequantised(&self, r: usize) -> Vec<f32> {
        let scale = self.info[r].scale;
        self.values[r * self.stride..r * self.stride + self.dim]
            .iter()
            .map(|&q| scale * f32::from(q))
            .collect()
    }
}

/// Quantises `row` into `out` (at least `row.len()` long, already zeroed past it).
fn quantise_row(row: &[f32], out: &mut [i8]) -> RowInfo {
    let max = row.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    // A zero row (or one of subnormals) keeps q = 0: its estimate is 0 and its error is
    // its whole norm, which the bound then covers.
    let scale = if max > 0.0 { max / 127.0 } else { 0.0 };
    let mut sum = 0i32;
    let mut err2 = 0.0f64;
    let mut norm2 = 0.0f64;
    for (o, &v) in out.iter_mut().zip(row) {
        let q = if scale > 0.0 {
            (v / scale).round().clamp(-127.0, 127.0) as i8
        } else {
            0
        };
        *o = q;
        sum += i32::from(q);
        let e = f64::from(v) - f64::from(scale) * f64::from(q);
        err2 += e * e;
        norm2 += f64::from(v) * f64::from(v);
    }
    RowInfo {
        scale,
        sum,
        error: round_up(err2.sqrt()),
        norm: round_up(norm2.sqrt()),
    }
}

/// The smallest f32 not below `x` (plus a relative hair for the f64 sums' own rounding).
fn round_up(x: f64) -> f32 {
    let x = x * (1.0 + 1e-12);
    let f = x as f32;
    if f64::from(f) < x {
        f.next_up()
    } else {
        f
    }
}

/// A query quantised for the int8 pass, with its own rounding error.
#[derive(Debug, Clone)]
pub struct Int8Query {
    /// `p + 128` per coordinate (VNNI's unsigned operand), padded with 128 (`p = 0`).
    pub offset: Vec<u8>,
    /// `p` per coordinate, padded with 0.
    pub signed: Vec<i8>,
    pub scale: f64,
    /// `‖u − s·p‖₂`.
    error: f64,
    /// `‖u‖₂`.
    norm: f64,
    /// `γ` of the f32 dot product, see the module notes.
    gamma: f64,
}

impl Int8Query {
    pub fn new(unit: &[f32], stride: usize) -> Self {
        let max = unit.iter().fold(0.0f64, |m, &v| m.max(f64::from(v).abs()));
        let scale = if max > 0.0 { max / 127.0 } else { 0.0 };
        let mut offset = vec![128u8; stride.max(unit.len())];
        let mut signed = vec![0i8; stride.max(unit.len())];
        let mut err2 = 0.0f64;
        let mut norm2 = 0.0f64;
        for ((o, s), &v) in offset.iter_mut().zip(signed.iter_mut()).zip(unit) {
            let v = f64::from(v);
            let p = if scale > 0.0 {
                (v / scale).round().clamp(-127.0, 127.0) as i8
            } else {
                0
            };
            *s = p;
            *o = (i16::from(p) + 128) as u8;
            let e = v - scale * f64::from(p);
            err2 += e * e;
            norm2 += v * v;
        }
        Self {
            offset,
            signed,
            scale,
            error: err2.sqrt() * (1.0 + 1e-12),
            norm: norm2.sqrt() * (1.0 + 1e-12),
            gamma: (unit.len() as f64 + 2.0) * f64::from(f32::EPSILON) / 2.0 * 1.01,
        }
    }

    /// The estimate of row `r`'s score from its integer dot product `dot = p·q`.
    #[inline]
    pub fn estimate(&self, rows: &Int8Rows, r: usize, dot: i32) -> f32 {
        (self.scale * f64::from(rows.info[r].scale) * f64::from(dot)) as f32
    }

    /// How far row `r`'s f32 score may lie from its estimate, either way.
    #[inline]
    pub fn bound(&self, rows: &Int8Rows, r: usize) -> f64 {
        let info = &rows.info[r];
        self.bound_of(f64::from(info.error), f64::from(info.norm))
    }

    /// At least every row's [`Self::bound`] (it grows with both the row's error and norm).
    pub fn max_bound(&self, rows: &Int8Rows) -> f64 {
        self.bound_of(f64::from(rows.max_error), f64::from(rows.max_norm))
    }

    fn bound_of(&self, e: f64, n: f64) -> f64 {
        self.norm * e
            + self.error * n
            + self.error * e
            + self.gamma * self.norm * n
            + ESTIMATE_SLACK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_error_and_norm_cover_the_rounding() {
        let dim = 100;
        // Rows of mixed sizes, one all zero, one with a single non-zero value.
        let mut matrix: Vec<f32> = (0..dim * 5)
            .map(|i| ((i * 7919 % 1000) as f32 / 500.0 - 1.0) * (1 + i / dim) as f32)
            .collect();
        matrix[dim..2 * dim].fill(0.0);
        matrix[2 * dim..3 * dim].fill(0.0);
        matrix[2 * dim + 3] = -0.25;
        let rows = Int8Rows::from_matrix(dim, &matrix);
        let mut pushed = Int8Rows::new(dim);
        for row in matrix.chunks_exact(dim) {
            pushed.push(row);
        }
        assert_eq!(rows, pushed, "built whole or row by row, the same copy");
        for (r, row) in matrix.chunks_exact(dim).enumerate() {
            let back = rows.dequantised(r);
            let err: f64 = row
                .iter()
                .zip(&back)
                .map(|(&v, &d)| (f64::from(v) - f64::from(d)).powi(2))
                .sum::<f64>()
                .sqrt();
            let norm: f64 = row
                .iter()
                .map(|&v| f64::from(v).powi(2))
                .sum::<f64>()
                .sqrt();
            let info = rows.info()[r];
            assert!(
                err <= f64::from(info.error) * 1.0001 + 1e-9,
                "row {r}: {err}"
            );
            assert!(norm <= f64::from(info.norm), "row {r}");
            // Each value within half a step of the scale.
            for (&v, &d) in row.iter().zip(&back) {
                assert!((v - d).abs() <= info.scale * 0.5 * 1.0001 + 1e-9, "row {r}");
            }
        }
        assert_eq!(rows.info()[2].sum, -127, "the one value maps to −127");
        assert_eq!(rows.bytes(), 5 * rows.stride() + 5 * 16);
    }
}
