//! A view is a rectangle of the photo (possibly reaching past its edges, where it is
//! black) scaled into the detector's square input. It also maps detector coordinates
//! back to photo pixels.

use fast_image_resize::{images::Image, FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;

use crate::geometry::PixelPoint;

/// A square-input view onto the photo, in photo pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    pub x0: f32,
    pub y0: f32,
    pub width: f32,
    pub height: f32,
    pub kind: ViewKind,
}

/// What a view shows, which decides how its faces are trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewKind {
    /// The whole photo padded by black on every side: finds faces filling the photo.
    Padded,
    /// The whole photo letterboxed as it is (what OpenCV's `FaceDetectorYN` sees): finds
    /// large faces cut by the photo's edge, which the padding's black border hides.
    Plain,
    /// Part of a large photo at a higher scale, for small faces. Detections touching an
    /// inner tile edge are cut faces.
    Tile,
}

impl View {
    pub fn is_tile(&self) -> bool {
        self.kind == ViewKind::Tile
    }
}

/// Where the photo's pixels landed in the input canvas, to map detections back.
#[derive(Debug, Clone, Copy)]
pub struct ViewMapping {
    /// Photo-space origin of the part that was drawn.
    src_x0: f32,
    src_y0: f32,
    /// Canvas position of that part.
    dst_x0: f32,
    dst_y0: f32,
    /// Photo pixels per canvas pixel, per axis.
    inv_sx: f32,
    inv_sy: f32,
}

impl ViewMapping {
    pub fn to_photo(self, x: f32, y: f32) -> PixelPoint {
        PixelPoint::new(
            self.src_x0 + (x - self.dst_x0) * self.inv_sx,
            self.src_y0 + (y - self.dst_y0) * self.inv_sy,
        )
    }
}

/// Renders the view into a `size`×`size` BGR float tensor (NCHW, values 0–255, black
/// padding), as YuNet expects.
pub fn render_bgr_nchw(
    photo: &RgbImage,
    view: &View,
    size: u32,
    resizer: &mut Resizer,
) -> Option<(Vec<f32>, ViewMapping)> {
    let (pw, ph) = (photo.width() as f32, photo.height() as f32);
    let scale = size as f32 / view.width.max(view.height);
    let ix0 = view.x0.max(0.0).floor();
    let iy0 = view.y0.max(0.0).floor();
    let ix1 = (view.x0 + view.width).min(pw).ceil();
    let iy1 = (view.y0 + view.height).min(ph).ceil();
    if ix1 <= ix0 || iy1 <= iy0 {
        return None;
    }
    let (sw, sh) = (ix1 - ix0, iy1 - iy0);
    let dst_x0 = ((ix0 - view.x0) * scale).round().max(0.0);
    let dst_y0 = ((iy0 - view.y0) * scale).round().max(0.0);
    let dw = ((sw * scale).round() as u32).clamp(1, size - dst_x0 as u32);
    let dh = ((sh * scale).round() as u32).clamp(1, size - dst_y0 as u32);

    let mut dst = Image::new(dw, dh, PixelType::U8x3);
    let options = ResizeOptions::new()
        .crop(ix0 as f64, iy0 as f64, sw as f64, sh as f64)
        .resize_alg(ResizeAlg::Convolution(FilterType::Bilinear));
    resizer.resize(photo, &mut dst, &options).ok()?;

    let plane = (size * size) as usize;
    let mut tensor = vec![0.0f32; 3 * plane];
    let buf = dst.buffer();
    for y in 0..dh as usize {
        let row = &buf[y * dw as usize * 3..(y + 1) * dw as usize * 3];
        let base = (y + dst_y0 as usize) * size as usize + dst_x0 as usize;
        for (x, px) in row.chunks_exact(3).enumerate() {
            // RGB in, BGR planes out.
            tensor[base + x] = px[2] as f32;
            tensor[plane + base + x] = px[1] as f32;
            tensor[2 * plane + base + x] = px[0] as f32;
        }
    }
    let mapping = ViewMapping {
        src_x0: ix0,
        src_y0: iy0,
        dst_x0,
        dst_y0,
        inv_sx: sw / dw as f32,
        inv_sy: sh / dh as f32,
    };
    Some((tensor, mapping))
}
