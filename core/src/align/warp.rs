//! Bilinear warp of the 112×112 crop, reproducing `cv2.warpAffine` on 8-bit images
//! (`INTER_LINEAR`, `BORDER_CONSTANT` 0) as OpenCV ≥ 4.11 computes it.
//!
//! OpenCV ≥ 4.11 (`warp_kernels.simd.hpp`) no longer uses the old fixed-point path
//! (1/32-pixel grid, 2¹⁵ weights): it maps destination pixels with the inverted `M`
//! in f32 (`fma`), floors to the top-left tap and interpolates in f32 with `fma`, then
//! rounds half to even. The parity crops match this bit for bit on lossless photos,
//! while the fixed-point model was off by up to 4 gray levels. Pixel centres are at
//! integer coordinates; taps outside the photo read as 0.

use image::{Rgb, RgbImage};

use super::Similarity;
use crate::geometry::CROP_SIZE;

/// Warps the aligned `CROP_SIZE`×`CROP_SIZE` crop out of `photo`.
pub fn warp_crop(photo: &RgbImage, tf: &Similarity) -> RgbImage {
    let mut out = RgbImage::new(CROP_SIZE, CROP_SIZE);
    // A `Similarity` is invertible by construction; a black crop is the safe fallback.
    let Some(inv) = tf.inverse_matrix() else {
        return out;
    };
    let (m0, m3) = (inv[0][0] as f32, inv[1][0] as f32);
    for y in 0..CROP_SIZE {
        // The row offset is taken in f64, then narrowed, as OpenCV does.
        let yf = f64::from(y);
        let mx = (yf * inv[0][1] + inv[0][2]) as f32;
        let my = (yf * inv[1][1] + inv[1][2]) as f32;
        for x in 0..CROP_SIZE {
            let xf = x as f32;
            let sx = m0.mul_add(xf, mx);
            let sy = m3.mul_add(xf, my);
            out.put_pixel(x, y, sample(photo, sx, sy));
        }
    }
    out
}

/// Bilinear sample at photo position (`sx`, `sy`).
fn sample(photo: &RgbImage, sx: f32, sy: f32) -> Rgb<u8> {
    if !(sx.is_finite() && sy.is_finite()) {
        return Rgb([0; 3]);
    }
    let (fx, fy) = (sx.floor(), sy.floor());
    // `as` saturates, so far-off positions just land outside the photo.
    let (ix, iy) = (fx as i64, fy as i64);
    let (ax, ay) = (sx - fx, sy - fy);
    let p00 = tap(photo, ix, iy);
    let p01 = tap(photo, ix.saturating_add(1), iy);
    let p10 = tap(photo, ix, iy.saturating_add(1));
    let p11 = tap(photo, ix.saturating_add(1), iy.saturating_add(1));
    Rgb(std::array::from_fn(|c| {
        let v0 = ax.mul_add(p01[c] - p00[c], p00[c]);
        let v1 = ax.mul_add(p11[c] - p10[c], p10[c]);
        let v = ay.mul_add(v1 - v0, v0);
        // `saturate_cast<uchar>(float)`: round half to even, clamp.
        v.round_ties_even().clamp(0.0, 255.0) as u8
    }))
}

/// The pixel at (`x`, `y`) as floats, or black outside the photo.
fn tap(photo: &RgbImage, x: i64, y: i64) -> [f32; 3] {
    let inside = |v: i64, len: u32| u32::try_from(v).ok().filter(|&v| v < len);
    match (inside(x, photo.width()), inside(y, photo.height())) {
        (Some(x), Some(y)) => photo.get_pixel(x, y).0.map(f32::from),
        _ => [0.0; 3],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| Rgb([(x * 2) as u8, (y * 2) as u8, 77]))
    }

    fn shift_x(dx: f64) -> Similarity {
        Similarity::from_matrix([[1.0, 0.0, dx], [0.0, 1.0, 0.0]]).expect("valid")
    }

    #[test]
    fn identity_copies_pixels() {
        let photo = gradient(120, 120);
        let crop = warp_crop(&photo, &Similarity::IDENTITY);
        assert_eq!(crop.dimensions(), (CROP_SIZE, CROP_SIZE));
        for (x, y, p) in crop.enumerate_pixels() {
            assert_eq!(p, photo.get_pixel(x, y));
        }
    }

    #[test]
    fn half_pixel_shift_averages_neighbours() {
        // Template = photo − 0.5 in x: samples halfway between columns,
        // (2x + 2(x + 1)) / 2 = 2x + 1.
        let crop = warp_crop(&gradient(120, 120), &shift_x(-0.5));
        assert_eq!(crop.get_pixel(10, 3).0, [21, 6, 77]);
    }

    #[test]
    fn outside_is_black_and_edges_blend_to_black() {
        let photo = RgbImage::from_pixel(4, 4, Rgb([200, 200, 200]));
        let crop = warp_crop(&photo, &Similarity::IDENTITY);
        assert_eq!(crop.get_pixel(3, 3).0, [200; 3]);
        assert_eq!(crop.get_pixel(50, 50).0, [0; 3]);
        // Half a pixel past the last column: half photo, half border.
        assert_eq!(
            warp_crop(&photo, &shift_x(-0.5)).get_pixel(3, 0).0,
            [100; 3]
        );
        // Half a pixel before the first column, likewise.
        assert_eq!(warp_crop(&photo, &shift_x(0.5)).get_pixel(0, 0).0, [100; 3]);
    }

    #[test]
    fn rounds_half_to_even() {
        // Columns 1 and 2 average to 1.5 → 2; columns 2 and 3 to 2.5 → 2.
        let photo = RgbImage::from_fn(4, 1, |x, _| Rgb([x as u8; 3]));
        let crop = warp_crop(&photo, &shift_x(-0.5));
        assert_eq!(crop.get_pixel(1, 0).0, [2; 3]);
        assert_eq!(crop.get_pixel(2, 0).0, [2; 3]);
    }
}
