//! Blocks of cosines (dot products of unit rows), fast and bit-reproducible.
//!
//! Every pair's dot product is the same arithmetic whichever routine computes it and
//! whichever CPU runs it: `LANES` partial sums over the coordinates, reduced pairwise,
//! plus the leftover coordinates in order. Rust never fuses a multiply and an add on its
//! own, so the wider vector units only compute the same lanes faster. That keeps the
//! exact and the approximate index, and the single-pair [`dot`], in agreement to the bit,
//! and the neighbour graph the same on every machine.
//!
//! Speed comes from register tiles: a tile of several queries × several rows keeps all
//! its partial sums in registers, so each loaded value feeds several multiplies. The
//! tile shape follows the vector registers the CPU has (checked at run time), and on
//! x86-64 the tiles are written with explicit vector instructions.

/// Partial sums per pair: one 256-bit register of f32.
const LANES: usize = 8;

/// Covers `queries × rows` with `$qr × $rr` tiles of `$tile`, and the edges with thinner
/// tiles of the same routine (a macro, so every call is direct and inlined into the
/// caller compiled for its instruction set).
macro_rules! tiled {
    ($queries:expr, $rows:expr, $out:expr, $tile:ident, $qr:literal, $rr:literal) => {{
        let (queries, rows, out): (&[&[f32]], &[&[f32]], &mut [f32]) = ($queries, $rows, $out);
        let width = rows.len();
        let (q_tiles, q_rest) = queries.as_chunks::<$qr>();
        let (r_tiles, r_rest) = rows.as_chunks::<$rr>();
        let r_done = r_tiles.len() * $rr;
        for (qt, q) in q_tiles.iter().enumerate() {
            let base = qt * $qr;
            for (rt, r) in r_tiles.iter().enumerate() {
                #[allow(unused_unsafe)]
                // SAFETY (x86 tiles): the enclosing function runs only on a CPU with them.
                let t = unsafe { $tile::<$qr, $rr>(*q, *r) };
                for (i, values) in t.iter().enumerate() {
                    let at = (base + i) * width + rt * $rr;
                    out[at..at + $rr].copy_from_slice(values);
                }
            }
            for (j, r) in r_rest.iter().enumerate() {
                #[allow(unused_unsafe)]
                // SAFETY: as above.
                let t = unsafe { $tile::<$qr, 1>(*q, [*r]) };
                for (i, values) in t.iter().enumerate() {
                    out[(base + i) * width + r_done + j] = values[0];
                }
            }
        }
        for (i, q) in q_rest.iter().enumerate() {
            let out_line = &mut out[(q_tiles.len() * $qr + i) * width..][..width];
            for (rt, r) in r_tiles.iter().enumerate() {
                #[allow(unused_unsafe)]
                // SAFETY: as above.
                let t = unsafe { $tile::<1, $rr>([*q], *r) };
                out_line[rt * $rr..rt * $rr + $rr].copy_from_slice(&t[0]);
            }
            for (j, r) in r_rest.iter().enumerate() {
                #[allow(unused_unsafe)]
                // SAFETY: as above.
                let t = unsafe { $tile::<1, 1>([*q], [*r]) };
                out_line[r_done + j] = t[0][0];
            }
        }
    }};
}

/// The dot product of `a` and `b` (equal lengths), with the tiles' arithmetic.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    tile::<1, 1>([a], [b])[0][0]
}

/// `out[q * rows.len() + r] = dot(queries[q], rows[r])`.
pub fn sims(queries: &[&[f32]], rows: &[&[f32]], out: &mut [f32]) {
    debug_assert_eq!(out.len(), queries.len() * rows.len());
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vl")
        {
            // SAFETY: the CPU has the features the function is compiled for.
            unsafe { x86::sims_avx512(queries, rows, out) };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: as above.
            unsafe { x86::sims_avx(queries, rows, out) };
            return;
        }
    }
    tiled!(queries, rows, out, tile, 2, 2);
}

/// The portable tile: `LANES` partial sums per pair in plain arrays.
#[inline(always)]
fn tile<const QR: usize, const RR: usize>(q: [&[f32]; QR], r: [&[f32]; RR]) -> [[f32; RR]; QR] {
    let len = q[0].len();
    let chunks = len / LANES;
    // Slicing to exactly `chunks` lets the compiler drop the bounds checks in the loop.
    let qc = q.map(|v| &v.as_chunks::<LANES>().0[..chunks]);
    let rc = r.map(|v| &v.as_chunks::<LANES>().0[..chunks]);
    let mut acc = [[[0.0f32; LANES]; RR]; QR];
    for c in 0..chunks {
        for i in 0..QR {
            let a = &qc[i][c];
            for j in 0..RR {
                let b = &rc[j][c];
                for l in 0..LANES {
                    acc[i][j][l] += a[l] * b[l];
                }
            }
        }
    }
    let mut out = [[0.0f32; RR]; QR];
    for i in 0..QR {
        for j in 0..RR {
            out[i][j] = finish(
                acc[i][j],
                &q[i][chunks * LANES..],
                &r[j][chunks * LANES..len],
            );
        }
    }
    out
}

/// Reduces the partial sums pairwise and adds the leftover coordinates in order.
#[inline(always)]
fn finish(mut lanes: [f32; LANES], a_tail: &[f32], b_tail: &[f32]) -> f32 {
    let mut width = LANES / 2;
    while width > 0 {
        for l in 0..width {
            lanes[l] += lanes[l + width];
        }
        width /= 2;
    }
    let mut tail = 0.0f32;
    for (x, y) in a_tail.iter().zip(b_tail) {
        tail += x * y;
    }
    lanes[0] + tail
}

/// The same tiles with explicit 256-bit vectors: the compiler does not keep a tile's
/// partial sums in registers on its own (measured 1 GMAC/s against 13–20 here). Multiply
/// then add, never fused, so each lane is the portable tile's arithmetic.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{
        __m256, _mm256_add_ps, _mm256_loadu_ps, _mm256_mul_ps, _mm256_setzero_ps, _mm256_storeu_ps,
    };

    use super::{finish, LANES};

    /// 32 vector registers: 4 × 4 partial sums and room for the loads.
    #[target_feature(enable = "avx512f,avx512vl,avx")]
    pub(super) unsafe fn sims_avx512(queries: &[&[f32]], rows: &[&[f32]], out: &mut [f32]) {
        tiled!(queries, rows, out, tile, 4, 4);
    }

    /// 16 vector registers: 4 × 2 partial sums.
    #[target_feature(enable = "avx")]
    pub(super) unsafe fn sims_avx(queries: &[&[f32]], rows: &[&[f32]], out: &mut [f32]) {
        tiled!(queries, rows, out, tile, 4, 2);
    }

    /// SAFETY: the caller's CPU has AVX.
    #[inline(always)]
    unsafe fn tile<const QR: usize, const RR: usize>(
        q: [&[f32]; QR],
        r: [&[f32]; RR],
    ) -> [[f32; RR]; QR] {
        let len = q[0].len();
        let chunks = len / LANES;
        // Every row must be as long as the first: the loads below read `chunks * LANES`.
        assert!(q.iter().all(|v| v.len() == len) && r.iter().all(|v| v.len() == len));
        let mut acc = [[_mm256_setzero_ps(); RR]; QR];
        for c in 0..chunks {
            // SAFETY: c * LANES + LANES <= len for every row (asserted above).
            let b: [__m256; RR] =
                std::array::from_fn(|j| unsafe { _mm256_loadu_ps(r[j].as_ptr().add(c * LANES)) });
            for i in 0..QR {
                // SAFETY: as above.
                let a = unsafe { _mm256_loadu_ps(q[i].as_ptr().add(c * LANES)) };
                for j in 0..RR {
                    acc[i][j] = _mm256_add_ps(acc[i][j], _mm256_mul_ps(a, b[j]));
                }
            }
        }
        let mut out = [[0.0f32; RR]; QR];
        for i in 0..QR {
            for j in 0..RR {
                let mut lanes = [0.0f32; LANES];
                // SAFETY: `lanes` holds 8 floats.
                unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), acc[i][j]) };
                out[i][j] = finish(lanes, &q[i][chunks * LANES..], &r[j][chunks * LANES..]);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize, dim: usize, seed: u32) -> Vec<Vec<f32>> {
        (0..n)
            .map(|i| {
                (0..dim)
                    .map(|d| {
                        let x = (i as u32 * 7919 + d as u32 * 104_729 + seed)
                            .wrapping_mul(2_654_435_761);
                        (x >> 8) as f32 / (1u32 << 24) as f32 - 0.5
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn every_tile_shape_gives_the_single_pair_result_bit_for_bit() {
        for dim in [1, 7, 8, 13, 64, 515] {
            let q = rows(9, dim, 1);
            let r = rows(11, dim, 2);
            let qs: Vec<&[f32]> = q.iter().map(|v| v.as_slice()).collect();
            let rs: Vec<&[f32]> = r.iter().map(|v| v.as_slice()).collect();
            let mut out = vec![0.0; qs.len() * rs.len()];
            sims(&qs, &rs, &mut out);
            let mut generic = vec![0.0; qs.len() * rs.len()];
            tiled!(&qs, &rs, &mut generic, tile, 3, 2);
            for (i, a) in qs.iter().enumerate() {
                for (j, b) in rs.iter().enumerate() {
                    let want = dot(a, b);
                    assert_eq!(out[i * rs.len() + j].to_bits(), want.to_bits());
                    assert_eq!(generic[i * rs.len() + j].to_bits(), want.to_bits());
                    assert_eq!(dot(b, a).to_bits(), want.to_bits());
                    let naive: f64 = a.iter().zip(*b).map(|(x, y)| *x as f64 * *y as f64).sum();
                    assert!(
                        (want as f64 - naive).abs() < 1e-4,
                        "dim {dim}: {want} vs {naive}"
                    );
                }
            }
        }
    }
}
