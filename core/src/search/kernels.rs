//! Integer dot products of the int8 query with blocks of int8 rows.
//!
//! Every kernel returns the exact integer `p·q` (no saturation anywhere), so all of them
//! agree to the bit and the error bound of [`super::int8`] holds whichever one runs.

use super::int8::{Int8Query, Int8Rows};

/// Which instructions compute the int8 dot products.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// AVX-512 VNNI: `vpdpbusd`, 64 byte products per instruction.
    Avx512Vnni,
    /// AVX2: `vpmaddubsw` + `vpmaddwd`, 32 byte products per pair.
    Avx2,
    /// Portable Rust.
    Scalar,
}

impl Kernel {
    /// The fastest kernel this CPU runs.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512vnni")
            {
                return Self::Avx512Vnni;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Self::Avx2;
            }
        }
        Self::Scalar
    }

    /// Every kernel this CPU runs (for tests comparing them).
    pub fn available() -> Vec<Self> {
        let mut all = vec![Self::Scalar];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                all.push(Self::Avx2);
            }
            if Self::detect() == Self::Avx512Vnni {
                all.push(Self::Avx512Vnni);
            }
        }
        all
    }

    /// `out[i] = p · q` for rows `first .. first + out.len()` of `rows`.
    ///
    /// # Panics
    /// If the rows are out of range or the query is shorter than a row: programming errors.
    pub fn dots(self, query: &Int8Query, rows: &Int8Rows, first: usize, out: &mut [i32]) {
        let stride = rows.stride();
        let block = &rows.values()[first * stride..(first + out.len()) * stride];
        let info = &rows.info()[first..first + out.len()];
        assert!(query.offset.len() >= stride && query.signed.len() >= stride);
        match self {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `detect`/`available` only offer this kernel on a CPU with the
            // features; the assert above keeps every load inside the query and the block.
            Self::Avx512Vnni if Self::detect() == Self::Avx512Vnni => unsafe {
                x86::dots_vnni(&query.offset[..stride], block, info, out)
            },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            Self::Avx2 if std::arch::is_x86_feature_detected!("avx2") => unsafe {
                x86::dots_avx2(&query.signed[..stride], block, out)
            },
            _ => dots_scalar(&query.signed[..stride], block, out),
        }
    }
}

/// The portable kernel: `Σ pᵢ·qᵢ` in i32 (at most 512·127² ≈ 8.3M per row at dim 512,
/// far inside i32 for any realistic dimension).
fn dots_scalar(query: &[i8], block: &[i8], out: &mut [i32]) {
    if query.is_empty() {
        out.fill(0);
        return;
    }
    for (o, row) in out.iter_mut().zip(block.chunks_exact(query.len())) {
        *o = query
            .iter()
            .zip(row)
            .map(|(&p, &q)| i32::from(p) * i32::from(q))
            .sum();
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::super::int8::RowInfo;

    /// VNNI: `Σ (pᵢ + 128)·qᵢ − 128·Σ qᵢ`. `query` (offset bytes) is one stride long, a
    /// multiple of 64; `block` holds whole rows of that stride. Four rows at a time: each
    /// query load feeds four independent accumulator chains.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(super) unsafe fn dots_vnni(query: &[u8], block: &[i8], info: &[RowInfo], out: &mut [i32]) {
        let stride = query.len();
        let steps = stride / 64;
        let load = |bytes: *const u8, s: usize| {
            // SAFETY: callers pass a row or the query, both `stride` long, and `s < steps`.
            unsafe { _mm512_loadu_si512(bytes.add(s * 64).cast()) }
        };
        let quads = out.len() / 4;
        for k in 0..quads {
            let rows: [*const u8; 4] =
                std::array::from_fn(|j| block[(4 * k + j) * stride..].as_ptr().cast());
            let mut acc = [_mm512_setzero_si512(); 4];
            for s in 0..steps {
                let a = load(query.as_ptr(), s);
                for j in 0..4 {
                    acc[j] = _mm512_dpbusd_epi32(acc[j], a, load(rows[j], s));
                }
            }
            for j in 0..4 {
                out[4 * k + j] = _mm512_reduce_add_epi32(acc[j]) - 128 * info[4 * k + j].sum;
            }
        }
        for r in 4 * quads..out.len() {
            let row: *const u8 = block[r * stride..].as_ptr().cast();
            let mut acc = _mm512_setzero_si512();
            for s in 0..steps {
                acc = _mm512_dpbusd_epi32(acc, load(query.as_ptr(), s), load(row, s));
            }
            out[r] = _mm512_reduce_add_epi32(acc) - 128 * info[r].sum;
        }
    }

    /// AVX2: `pᵢ·qᵢ = |pᵢ| · (sign(pᵢ)·qᵢ)`, both within ±127, so `vpmaddubsw`'s pair sums
    /// (≤ 2·127² = 32 258) never saturate. `query` is one stride long, a multiple of 32.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn dots_avx2(query: &[i8], block: &[i8], out: &mut [i32]) {
        let stride = query.len();
        let steps = stride / 32;
        let ones = _mm256_set1_epi16(1);
        for (o, row) in out.iter_mut().zip(block.chunks_exact(stride)) {
            let mut acc = _mm256_setzero_si256();
            for s in 0..steps {
                // SAFETY: `s·32 + 32 ≤ stride`, the length of both slices.
                let (a, b) = unsafe {
                    (
                        _mm256_loadu_si256(query.as_ptr().add(s * 32).cast()),
                        _mm256_loadu_si256(row.as_ptr().add(s * 32).cast()),
                    )
                };
                let pairs = _mm256_maddubs_epi16(_mm256_abs_epi8(a), _mm256_sign_epi8(b, a));
                acc = _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, ones));
            }
            let half = _mm_add_epi32(
                _mm256_castsi256_si128(acc),
                _mm256_extracti128_si256::<1>(acc),
            );
            let quad = _mm_add_epi32(half, _mm_shuffle_epi32::<0b01_00_11_10>(half));
            let pair = _mm_add_epi32(quad, _mm_shuffle_epi32::<0b10_11_00_01>(quad));
            *o = _mm_cvtsi128_si32(pair);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic bytes in [−127, 127], the extremes often (splitmix64).
    fn bytes(seed: u64, n: usize) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|i| {
                s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = s;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                match i % 5 {
                    0 => 1.0,
                    1 => -1.0,
                    _ => (z >> 40) as f32 / (1u64 << 23) as f32 - 1.0,
                }
            })
            .collect()
    }

    #[test]
    fn every_kernel_equals_the_scalar_one() {
        for dim in [1, 3, 31, 64, 65, 128, 512, 700] {
            let n = 39;
            let matrix = bytes(dim as u64, n * dim);
            let rows = Int8Rows::from_matrix(dim, &matrix);
            for seed in [1u64, 2, 3] {
                let q = Int8Query::new(&bytes(seed * 1000 + dim as u64, dim), rows.stride());
                let mut want = vec![0; n];
                Kernel::Scalar.dots(&q, &rows, 0, &mut want);
                // Checked against plain i64 arithmetic, not only against each other.
                for (r, &w) in want.iter().enumerate() {
                    let naive: i64 = (0..dim)
                        .map(|i| {
                            i64::from(q.signed[i]) * i64::from(rows.values()[r * rows.stride() + i])
                        })
                        .sum();
                    assert_eq!(i64::from(w), naive);
                }
                for kernel in Kernel::available() {
                    let mut got = vec![0; n - 5];
                    kernel.dots(&q, &rows, 5, &mut got);
                    assert_eq!(got, want[5..], "{kernel:?} dim {dim}");
                }
            }
        }
    }

    #[test]
    fn extremes_do_not_saturate() {
        // ±127 everywhere: the largest pair sums vpmaddubsw sees.
        let dim = 512;
        for (qs, rs) in [(1.0f32, 1.0f32), (-1.0, 1.0), (1.0, -1.0), (-1.0, -1.0)] {
            let rows = Int8Rows::from_matrix(dim, &vec![rs; dim]);
            let q = Int8Query::new(&vec![qs; dim], rows.stride());
            let want = (qs * rs) as i32 * 127 * 127 * dim as i32;
            for kernel in Kernel::available() {
                let mut got = [0];
                kernel.dots(&q, &rows, 0, &mut got);
                assert_eq!(got[0], want, "{kernel:?}");
            }
        }
    }
}
