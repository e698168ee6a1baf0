//! Drawing the pair images: the probe face (boxed) beside the gallery photo with the
//! matched face boxed, and a label strip under both: the match's score, quality and file
//! name on the first line; the probe's file name and a legend of the box colours on the
//! second.

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::{Rgb, RgbImage};

use super::font;
use crate::geometry::FaceBox;

/// Height of the two photo panels of a normal-size pair image, in pixels.
pub const PANEL_HEIGHT: u32 = 400;
/// Height of the first label line (the match: score, quality, file name).
pub const MATCH_LINE_HEIGHT: u32 = 36;
/// Height of the second label line (the probe's name and the legend).
pub const PROBE_LINE_HEIGHT: u32 = 28;
/// Height of the label strip under the panels.
pub const LABEL_HEIGHT: u32 = MATCH_LINE_HEIGHT + PROBE_LINE_HEIGHT;
/// Height of every normal-size pair image.
pub const PAIR_HEIGHT: u32 = PANEL_HEIGHT + LABEL_HEIGHT;
/// Widest the probe panel may be (normal size).
pub const PROBE_MAX_WIDTH: u32 = 600;
/// Widest the gallery panel may be (normal size).
pub const GALLERY_MAX_WIDTH: u32 = 900;
/// Space between the two panels (normal size).
pub const GAP: u32 = 6;
/// Thickness of the face boxes (normal size).
const BOX_THICKNESS: u32 = 3;
/// Extra room around a face box on each side, as a fraction of the box's larger side.
pub(super) const FACE_MARGIN: f32 = 0.35;

const BACKGROUND: Rgb<u8> = Rgb([24, 24, 24]);
const TEXT: Rgb<u8> = Rgb([235, 235, 235]);
/// The probe face's box: a blue no score colour (green, amber, red) comes near.
pub const PROBE_BOX_COLOR: Rgb<u8> = Rgb([70, 150, 255]);

/// How big pair images are drawn. Every length of the normal size is doubled in the large
/// one (panels, boxes, text), so the two look alike at their own scale.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum PairSize {
    /// Panels 400 px high: quick to look through.
    #[default]
    Normal,
    /// Panels 800 px high: faces large enough to judge a doubtful match.
    Large,
}

impl PairSize {
    pub const ALL: [PairSize; 2] = [PairSize::Normal, PairSize::Large];

    /// Every length of the normal size is multiplied by this.
    pub fn scale(self) -> u32 {
        match self {
            PairSize::Normal => 1,
            PairSize::Large => 2,
        }
    }

    pub fn panel_height(self) -> u32 {
        PANEL_HEIGHT * self.scale()
    }

    pub fn label_height(self) -> u32 {
        LABEL_HEIGHT * self.scale()
    }

    /// Height of every pair image of this size.
    pub fn pair_height(self) -> u32 {
        PAIR_HEIGHT * self.scale()
    }

    /// Lower-case name, as the command line spells it.
    pub fn name(self) -> &'static str {
        match self {
            PairSize::Normal => "normal",
            PairSize::Large => "large",
        }
    }
}

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

/// The probe's panel: its face with some room around it, outlined in [`PROBE_BOX_COLOR`],
/// or the whole photo (no box) when the box is unusable.
pub(super) fn probe_panel(
    image: &RgbImage,
    face_box: &FaceBox,
    size: PairSize,
    resizer: &mut Resizer,
) -> Option<RgbImage> {
    let s = size.scale();
    let cropped = face_region(face_box, FACE_MARGIN, image.width(), image.height());
    let region = cropped.or_else(|| whole(image))?;
    let mut panel = fit(
        image,
        region,
        PROBE_MAX_WIDTH * s,
        size.panel_height(),
        resizer,
    )?;
    if cropped.is_some() {
        outline_box(
            &mut panel,
            region,
            face_box,
            PROBE_BOX_COLOR,
            BOX_THICKNESS * s,
        );
    }
    Some(panel)
}

/// The gallery photo fitted to the panel, with `face_box` outlined in `color` (the part of
/// it inside the photo; nothing when none is).
pub(super) fn gallery_panel(
    image: &RgbImage,
    face_box: &FaceBox,
    color: Rgb<u8>,
    size: PairSize,
    resizer: &mut Resizer,
) -> Option<RgbImage> {
    let s = size.scale();
    let region = whole(image)?;
    let mut panel = fit(
        image,
        region,
        GALLERY_MAX_WIDTH * s,
        size.panel_height(),
        resizer,
    )?;
    outline_box(&mut panel, region, face_box, color, BOX_THICKNESS * s);
    Some(panel)
}

/// Outlines `face_box` (in the source image's pixels) on `panel`, which shows `region` of
/// that image scaled; the part of the box outside the panel is cut, a bad box is skipped.
fn outline_box(
    panel: &mut RgbImage,
    region: Rect,
    face_box: &FaceBox,
    color: Rgb<u8>,
    thickness: u32,
) {
    let sx = panel.width() as f32 / region.width as f32;
    let sy = panel.height() as f32 / region.height as f32;
    let FaceBox { x1, y1, x2, y2 } = *face_box;
    if ![x1, y1, x2, y2].iter().all(|v| v.is_finite()) || x2 <= x1 || y2 <= y1 {
        return;
    }
    let (ox, oy) = (region.x as f32, region.y as f32);
    let (pw, ph) = (panel.width(), panel.height());
    let mapped = clamp_rect(
        (x1 - ox) * sx,
        (y1 - oy) * sy,
        (x2 - ox) * sx,
        (y2 - oy) * sy,
        pw,
        ph,
    );
    if let Some(r) = mapped {
        draw_outline(panel, r, thickness, color);
    }
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

/// What the label strip of one pair says.
pub(super) struct PairLabels<'a> {
    /// Score and quality of the match.
    pub stats: &'a str,
    /// The gallery photo's file name ("" to leave it off).
    pub name: &'a str,
    /// The probe photo's file name ("" to leave it off).
    pub probe_name: &'a str,
    /// The colour of the matched face's box.
    pub color: Rgb<u8>,
}

/// Both panels side by side, the label strip underneath. First line: a swatch of the box
/// colour, the stats and the gallery photo's name. Second line: the probe box's colour and
/// the probe's name, and at the right a legend of the matched face's box colour. A name
/// no available font draws whole is left off (both are in `matches.csv`).
pub(super) fn compose_pair(
    probe: &RgbImage,
    gallery: &RgbImage,
    labels: &PairLabels<'_>,
    size: PairSize,
) -> RgbImage {
    let s = size.scale();
    let panel_height = size.panel_height();
    let width = probe.width() + GAP * s + gallery.width();
    let mut canvas = RgbImage::from_pixel(width, size.pair_height(), BACKGROUND);
    let centred = |h: u32| i64::from(panel_height.saturating_sub(h) / 2);
    image::imageops::replace(&mut canvas, probe, 0, centred(probe.height()));
    image::imageops::replace(
        &mut canvas,
        gallery,
        i64::from(probe.width() + GAP * s),
        centred(gallery.height()),
    );

    let pad = 8 * s;
    // First line: the match.
    let line_top = panel_height;
    let line_height = MATCH_LINE_HEIGHT * s;
    let swatch = 14 * s;
    let swatch_top = line_top + (line_height - swatch) / 2;
    fill(
        &mut canvas,
        pad,
        swatch_top,
        pad + swatch,
        swatch_top + swatch,
        labels.color,
    );
    let text_left = pad + swatch + pad;
    let label = if drawable(labels.name) {
        format!("{} · {}", labels.stats, labels.name)
    } else {
        labels.stats.to_string()
    };
    let room = width.saturating_sub(text_left + pad);
    if let Some(line) = fit_label(&label, room, &scaled(&MATCH_PX, s)) {
        draw_line(&mut canvas, text_left, line_top, line_height, &line);
    }

    // Second line: the probe (its box colour, its name), and the legend at the right.
    let line_top = panel_height + line_height;
    let line_height = PROBE_LINE_HEIGHT * s;
    let icon = 12 * s;
    let icon_top = line_top + (line_height - icon) / 2;
    let px = scaled(&PROBE_PX, s);
    let mut probe_room_end = width.saturating_sub(pad);
    if let Some(legend) = fit_label("matched face", width / 3, &px) {
        let legend_left = width.saturating_sub(pad + legend.width());
        let legend_icon = legend_left.saturating_sub(pad / 2 + icon);
        if legend_icon > pad + icon + pad {
            draw_icon(&mut canvas, legend_icon, icon_top, icon, s, labels.color);
            draw_line(&mut canvas, legend_left, line_top, line_height, &legend);
            probe_room_end = legend_icon.saturating_sub(2 * pad);
        }
    }
    draw_icon(&mut canvas, pad, icon_top, icon, s, PROBE_BOX_COLOR);
    let probe_label = if drawable(labels.probe_name) {
        format!("probe face · {}", labels.probe_name)
    } else {
        "probe face".to_string()
    };
    let text_left = pad + icon + pad / 2;
    let room = probe_room_end.saturating_sub(text_left);
    if let Some(line) = fit_label(&probe_label, room, &px) {
        draw_line(&mut canvas, text_left, line_top, line_height, &line);
    }
    canvas
}

/// Whether `name` is worth writing: not empty, and every character of it drawable.
fn drawable(name: &str) -> bool {
    !name.is_empty() && font::can_draw(name)
}

/// A small outlined square in `color`: a face box, as a legend symbol.
fn draw_icon(image: &mut RgbImage, left: u32, top: u32, side: u32, scale: u32, color: Rgb<u8>) {
    let r = Rect {
        x: left,
        y: top,
        width: side,
        height: side,
    };
    draw_outline(image, r, 2 * scale, color);
}

/// Draws `line` at `left`, centred vertically in the line `top..top + height`.
fn draw_line(image: &mut RgbImage, left: u32, top: u32, height: u32, line: &font::Line) {
    let text_top = top + height.saturating_sub(line.height()) / 2;
    font::draw(image, i64::from(left), i64::from(text_top), line, TEXT);
}

/// Sizes tried for the match line, largest first, in pixels (normal size).
const MATCH_PX: [f32; 3] = [20.0, 16.0, 12.0];
/// Sizes tried for the probe line.
const PROBE_PX: [f32; 3] = [16.0, 13.0, 11.0];

fn scaled(sizes: &[f32; 3], scale: u32) -> [f32; 3] {
    sizes.map(|px| px * scale as f32)
}

/// `label` at the largest of `sizes` at which it fits in `room` pixels; at the smallest size
/// a label that is still too long loses characters from its end (the name's first), marked
/// with `...`. `None` when not even `...` fits or the label cannot be drawn.
fn fit_label(label: &str, room: u32, sizes: &[f32; 3]) -> Option<font::Line> {
    for &px in sizes {
        let line = font::layout(label, px)?;
        if line.width() <= room {
            return Some(line);
        }
    }
    let smallest = sizes[sizes.len() - 1];
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
        let short = fit_label("short", 1000, &MATCH_PX).expect("fits");
        let biggest = font::layout("short", MATCH_PX[0]).expect("layout");
        assert_eq!(short.width(), biggest.width());
        let long = "x".repeat(400);
        let cut = fit_label(&long, 300, &MATCH_PX).expect("fits when cut");
        assert!(cut.width() <= 300 && cut.width() > 200, "{}", cut.width());
        assert!(fit_label("abc", 0, &MATCH_PX).is_none());
    }
}
