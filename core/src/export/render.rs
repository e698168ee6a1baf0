//! Drawing the pair images: the probe face beside the gallery photo with the matched face
//! boxed, and a label strip under both.

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::{Rgb, RgbImage};

use super::font;
use crate::geometry::FaceBox;

/// Height of the two photo panels of a pair image, in pixels.
pub const PANEL_HEIGHT: u32 = 400;
/// Height of the label strip under the panels.
pub const LABEL_HEIGHT: u32 = 36;
/// Height of every pair image.
pub const PAIR_HEIGHT: u32 = PANEL_HEIGHT + LABEL_HEIGHT;
/// Widest the probe panel may be.
pub const PROBE_MAX_WIDTH: u32 = 600;
/// Widest the gallery panel may be.
pub const GALLERY_MAX_WIDTH: u32 = 900;
/// Space between the two panels.
const GAP: u32 = 6;
/// Thickness of the box around the matched face.
const BOX_THICKNESS: u32 = 3;
/// Extra room around a face box on each side, as a fraction of the box's larger side.
pub(super) const FACE_MARGIN: f32 = 0.35;

const BACKGROUND: Rgb<u8> = Rgb([24, 24, 24]);
const TEXT: Rgb<u8> = Rgb([235, 235, 235]);

/// An integer pixel rectangle inside an image, never empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Rect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// The box grown by `margin` × its larger side on each side, made square around its
/// centre, and cut to the image. `None` when the box is not finite, has no area, or lies
/// outside the image.
pub(super) fn face_region(
    face_box: &FaceBox,
    margin: f32,
    width: u32,
    height: u32,
) -> Option<Rect> {
    let FaceBox { x1, y1, x2, y2 } = *face_box;
    if ![x1, y1, x2, y2].iter().all(|v| v.is_finite()) || x2 <= x1 || y2 <= y1 {
        return None;
    }
    let (cx, cy) = ((x1 + x2) / 2.0, (y1 + y2) / 2.0);
    let half = (x2 - x1).max(y2 - y1) * (0.5 + margin.max(0.0));
    clamp_rect(cx - half, cy - half, cx + half, cy + half, width, height)
}

/// `[x1, x2) × [y1, y2)` rounded outwards and cut to a `width`×`height` image.
fn clamp_rect(x1: f32, y1: f32, x2: f32, y2: f32, width: u32, height: u32) -> Option<Rect> {
    let (w, h) = (width as f32, height as f32);
    let left = x1.floor().clamp(0.0, w);
    let top = y1.floor().clamp(0.0, h);
    let right = x2.ceil().clamp(0.0, w);
    let bottom = y2.ceil().clamp(0.0, h);
    if right - left < 1.0 || bottom - top < 1.0 {
        return None;
    }
    Some(Rect {
        x: left as u32,
        y: top as u32,
        width: (right - left) as u32,
        height: (bottom - top) as u32,
    })
}

/// `region` of `image`, scaled (up or down) to fit inside `max_width`×`max_height`.
pub(super) fn fit(
    image: &RgbImage,
    region: Rect,
    max_width: u32,
    max_height: u32,
    resizer: &mut Resizer,
) -> Option<RgbImage> {
    let scale =
        (max_height as f32 / region.height as f32).min(max_width as f32 / region.width as f32);
    let width = ((region.width as f32 * scale).round() as u32).clamp(1, max_width.max(1));
    let height = ((region.height as f32 * scale).round() as u32).clamp(1, max_height.max(1));
    let mut out = RgbImage::new(width, height);
    let options = ResizeOptions::new()
        .crop(
            f64::from(region.x),
            f64::from(region.y),
            f64::from(region.width),
            f64::from(region.height),
        )
        .resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom));
    resizer.resize(image, &mut out, &options).ok()?;
    Some(out)
}

/// The whole image as a region, `None` when it has no pixels.
pub(super) fn whole(image: &RgbImage) -> Option<Rect> {
    (image.width() > 0 && image.height() > 0).then(|| Rect {
        x: 0,
        y: 0,
        width: image.width(),
        height: image.height(),
    })
}

/// The probe's panel: its face with some room around it, or the whole photo when the box
/// is unusable.
pub(super) fn probe_panel(
    image: &RgbImage,
    face_box: &FaceBox,
    resizer: &mut Resizer,
) -> Option<RgbImage> {
    let region = face_region(face_box, FACE_MARGIN, image.width(), image.height())
        .or_else(|| whole(image))?;
    fit(image, region, PROBE_MAX_WIDTH, PANEL_HEIGHT, resizer)
}

/// The gallery photo fitted to the panel, with `face_box` outlined in `color` (the part of
/// it inside the photo; nothing when none is).
pub(super) fn gallery_panel(
    image: &RgbImage,
    face_box: &FaceBox,
    color: Rgb<u8>,
    resizer: &mut Resizer,
) -> Option<RgbImage> {
    let mut panel = fit(
        image,
        whole(image)?,
        GALLERY_MAX_WIDTH,
        PANEL_HEIGHT,
        resizer,
    )?;
    let sx = panel.width() as f32 / image.width() as f32;
    let sy = panel.height() as f32 / image.height() as f32;
    let FaceBox { x1, y1, x2, y2 } = *face_box;
    if [x1, y1, x2, y2].iter().all(|v| v.is_finite()) && x2 > x1 && y2 > y1 {
        let (pw, ph) = (panel.width(), panel.height());
        if let Some(r) = clamp_rect(x1 * sx, y1 * sy, x2 * sx, y2 * sy, pw, ph) {
            draw_outline(&mut panel, r, BOX_THICKNESS, color);
        }
    }
    Some(panel)
}

/// A rectangle's outline, `thickness` pixels wide, drawn inside `r`.
fn draw_outline(image: &mut RgbImage, r: Rect, thickness: u32, color: Rgb<u8>) {
    let t = thickness.min(r.width).min(r.height).max(1);
    let (right, bottom) = (r.x + r.width, r.y + r.height);
    fill(image, r.x, r.y, right, r.y + t, color);
    fill(image, r.x, bottom - t, right, bottom, color);
    fill(image, r.x, r.y, r.x + t, bottom, color);
    fill(image, right - t, r.y, right, bottom, color);
}

/// Fills `[x1, x2) × [y1, y2)`, cut to the image.
fn fill(image: &mut RgbImage, x1: u32, y1: u32, x2: u32, y2: u32, color: Rgb<u8>) {
    for y in y1..y2.min(image.height()) {
        for x in x1..x2.min(image.width()) {
            image.put_pixel(x, y, color);
        }
    }
}

/// Green for a clear match, amber near the threshold, red under it.
pub(super) fn score_color(score: f32, threshold: f32) -> Rgb<u8> {
    if score >= threshold + 0.15 {
        Rgb([60, 200, 80])
    } else if score >= threshold {
        Rgb([250, 190, 30])
    } else {
        Rgb([230, 60, 50])
    }
}

/// Both panels side by side on one `PAIR_HEIGHT`-high canvas, with the label in the strip
/// underneath behind a swatch of `color`: `stats` (score, quality) and the file `name`,
/// which is left off when no available font draws all of it (it is in `matches.csv`).
pub(super) fn compose_pair(
    probe: &RgbImage,
    gallery: &RgbImage,
    stats: &str,
    name: &str,
    color: Rgb<u8>,
) -> RgbImage {
    let width = probe.width() + GAP + gallery.width();
    let mut canvas = RgbImage::from_pixel(width, PAIR_HEIGHT, BACKGROUND);
    let centred = |h: u32| i64::from(PANEL_HEIGHT.saturating_sub(h) / 2);
    image::imageops::replace(&mut canvas, probe, 0, centred(probe.height()));
    image::imageops::replace(
        &mut canvas,
        gallery,
        i64::from(probe.width() + GAP),
        centred(gallery.height()),
    );

    let pad = 8u32;
    let swatch = 14u32;
    let strip_top = PANEL_HEIGHT;
    let swatch_top = strip_top + (LABEL_HEIGHT - swatch) / 2;
    fill(
        &mut canvas,
        pad,
        swatch_top,
        pad + swatch,
        swatch_top + swatch,
        color,
    );
    let text_left = pad + swatch + pad;
    let room = width.saturating_sub(text_left + pad);
    let label = if !name.is_empty() && font::can_draw(name) {
        format!("{stats} · {name}")
    } else {
        stats.to_string()
    };
    if let Some(line) = fit_label(&label, room) {
        let text_top = strip_top + LABEL_HEIGHT.saturating_sub(line.height()) / 2;
        font::draw(
            &mut canvas,
            i64::from(text_left),
            i64::from(text_top),
            &line,
            TEXT,
        );
    }
    canvas
}

/// Label sizes tried, largest first, in pixels (the strip is `LABEL_HEIGHT` high).
const LABEL_PX: [f32; 3] = [20.0, 16.0, 12.0];

/// `label` at the largest size at which it fits in `room` pixels; at the smallest size a
/// label that is still too long loses characters from its end (the name's first), marked
/// with `...`. `None` when not even `...` fits or the label cannot be drawn.
fn fit_label(label: &str, room: u32) -> Option<font::Line> {
    for px in LABEL_PX {
        let line = font::layout(label, px)?;
        if line.width() <= room {
            return Some(line);
        }
    }
    let smallest = LABEL_PX[LABEL_PX.len() - 1];
    let mut chars: Vec<char> = label.chars().collect();
    while chars.pop().is_some() {
        let text: String = chars.iter().chain(['.', '.', '.'].iter()).collect();
        let line = font::layout(&text, smallest)?;
        if line.width() <= room {
            return Some(line);
        }
    }
    None
}

/// The face with room around it at its own resolution, for saving on its own.
pub(super) fn face_crop(image: &RgbImage, face_box: &FaceBox) -> Option<RgbImage> {
    let r = face_region(face_box, FACE_MARGIN, image.width(), image.height())?;
    Some(image::imageops::crop_imm(image, r.x, r.y, r.width, r.height).to_image())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fb(x1: f32, y1: f32, x2: f32, y2: f32) -> FaceBox {
        FaceBox { x1, y1, x2, y2 }
    }

    #[test]
    fn face_regions_are_cut_to_the_image() {
        let r = face_region(&fb(40.0, 40.0, 60.0, 60.0), 0.5, 100, 100);
        assert_eq!(
            r,
            Some(Rect {
                x: 30,
                y: 30,
                width: 40,
                height: 40
            })
        );
        let edge = face_region(&fb(-50.0, 90.0, 10.0, 150.0), 0.0, 100, 100);
        assert_eq!(
            edge,
            Some(Rect {
                x: 0,
                y: 90,
                width: 10,
                height: 10
            })
        );
        assert_eq!(
            face_region(&fb(200.0, 0.0, 300.0, 50.0), 0.2, 100, 100),
            None
        );
        assert_eq!(
            face_region(&fb(10.0, 10.0, 10.0, 30.0), 0.2, 100, 100),
            None
        );
        assert_eq!(
            face_region(&fb(f32::NAN, 0.0, 5.0, 5.0), 0.2, 100, 100),
            None
        );
        assert_eq!(face_region(&fb(0.0, 0.0, 5.0, 5.0), 0.2, 0, 0), None);
    }

    #[test]
    fn outlines_stay_inside_tiny_panels() {
        let mut image = RgbImage::new(2, 2);
        let r = Rect {
            x: 1,
            y: 1,
            width: 1,
            height: 1,
        };
        draw_outline(&mut image, r, 3, Rgb([255, 0, 0]));
        assert_eq!(image.get_pixel(1, 1).0, [255, 0, 0]);
        assert_eq!(image.get_pixel(0, 0).0, [0, 0, 0]);
    }

    #[test]
    fn long_labels_are_shortened_to_fit() {
        let short = fit_label("short", 1000).expect("fits");
        let biggest = font::layout("short", LABEL_PX[0]).expect("layout");
        assert_eq!(short.width(), biggest.width());
        let long = "x".repeat(400);
        let cut = fit_label(&long, 300).expect("fits when cut");
        assert!(cut.width() <= 300 && cut.width() > 200, "{}", cut.width());
        assert!(fit_label("abc", 0).is_none());
    }
}
