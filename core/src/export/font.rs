//! Text for the label strip of pair images, drawn with a font rasteriser (`ab_glyph`).
//!
//! The fonts come from a dependency — egui's Hack and Ubuntu Light (`epaint_default_fonts`:
//! Latin with accents, Greek, Cyrillic) — and, for other scripts (CJK, …), from the fonts
//! installed on the system, scanned once when a character first needs them. No font file
//! lives in this repository. Text with a character no font draws is not laid out at all:
//! the caller leaves it off rather than draw it mangled.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, OnceLock};

use ab_glyph::{point, Font, FontArc, FontRef, FontVec, Glyph, PxScale, ScaleFont};
use image::{Rgb, RgbImage};

/// One line of text laid out at a pixel size, ready to draw.
pub struct Line {
    glyphs: Vec<(FontArc, Glyph)>,
    width: f32,
    height: f32,
}

impl Line {
    /// Pixels from the left of the first glyph to the end of the last advance.
    pub fn width(&self) -> u32 {
        self.width.ceil() as u32
    }

    /// Pixels from the top of the line (ascent) to its bottom (descent).
    pub fn height(&self) -> u32 {
        self.height.ceil() as u32
    }
}

/// Lays out `text` on one line, `px` pixels high. `None` when a character of it is drawn by
/// no available font (or is a control character).
pub fn layout(text: &str, px: f32) -> Option<Line> {
    let mut set = font_set();
    let scale = PxScale::from(px);
    let primary = set.fonts.first()?.as_scaled(scale);
    let (ascent, height) = (primary.ascent(), primary.height());
    let mut glyphs: Vec<(FontArc, Glyph)> = Vec::with_capacity(text.len());
    let mut x = 0.0f32;
    let mut previous: Option<(usize, ab_glyph::GlyphId)> = None;
    for c in text.chars() {
        let index = set.font_for(c)?;
        let font = set.fonts[index].clone();
        let scaled = font.as_scaled(scale);
        let id = font.glyph_id(c);
        if let Some((prev_index, prev_id)) = previous {
            if prev_index == index {
                x += scaled.kern(prev_id, id);
            }
        }
        let glyph = id.with_scale_and_position(scale, point(x, ascent));
        x += scaled.h_advance(id);
        previous = Some((index, id));
        glyphs.push((font, glyph));
    }
    Some(Line {
        glyphs,
        width: x.max(0.0),
        height,
    })
}

/// Whether some available font draws every character of `text`.
pub fn can_draw(text: &str) -> bool {
    let mut set = font_set();
    text.chars().all(|c| set.font_for(c).is_some())
}

/// Draws `line` with its top-left corner at (`left`, `top`), blended over the image in
/// `color`; whatever falls outside the image is cut.
pub fn draw(image: &mut RgbImage, left: i64, top: i64, line: &Line, color: Rgb<u8>) {
    let (w, h) = (i64::from(image.width()), i64::from(image.height()));
    for (font, glyph) in &line.glyphs {
        let mut glyph = glyph.clone();
        glyph.position = point(
            glyph.position.x + left as f32,
            glyph.position.y + top as f32,
        );
        let Some(outlined) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outlined.px_bounds();
        outlined.draw(|gx, gy, coverage| {
            let x = bounds.min.x as i64 + i64::from(gx);
            let y = bounds.min.y as i64 + i64::from(gy);
            if x < 0 || y < 0 || x >= w || y >= h {
                return;
            }
            let a = coverage.clamp(0.0, 1.0);
            let pixel = image.get_pixel_mut(x as u32, y as u32);
            for (channel, ink) in pixel.0.iter_mut().zip(color.0) {
                *channel = (f32::from(*channel) * (1.0 - a) + f32::from(ink) * a).round() as u8;
            }
        });
    }
}

/// The fonts tried in order, and which of them draws each character met so far.
struct FontSet {
    /// The bundled fonts first, then system fonts as they are needed.
    fonts: Vec<FontArc>,
    /// `None` until a character is met that no loaded font draws.
    system: Option<SystemFonts>,
    by_char: HashMap<char, Option<usize>>,
}

fn font_set() -> MutexGuard<'static, FontSet> {
    static FONTS: OnceLock<Mutex<FontSet>> = OnceLock::new();
    FONTS
        .get_or_init(|| Mutex::new(FontSet::bundled()))
        .lock()
        // The set is only ever extended; a panic elsewhere leaves it usable.
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl FontSet {
    fn bundled() -> Self {
        // Hack (monospace, regular weight) reads best at label sizes; Ubuntu Light adds a few
        // characters Hack lacks.
        let fonts = [
            epaint_default_fonts::HACK_REGULAR,
            epaint_default_fonts::UBUNTU_LIGHT,
        ]
        .into_iter()
        .filter_map(|bytes| FontRef::try_from_slice(bytes).ok().map(FontArc::new))
        .collect();
        Self {
            fonts,
            system: None,
            by_char: HashMap::new(),
        }
    }

    fn font_for(&mut self, c: char) -> Option<usize> {
        if let Some(&found) = self.by_char.get(&c) {
            return found;
        }
        let found = if c.is_control() {
            None
        } else {
            self.fonts
                .iter()
                .position(|f| covers(f, c))
                .or_else(|| self.load_system_font_for(c))
        };
        self.by_char.insert(c, found);
        found
    }

    /// The first installed font (regular upright faces first) that draws `c`, loaded and
    /// appended to the set.
    fn load_system_font_for(&mut self, c: char) -> Option<usize> {
        let system = self.system.get_or_insert_with(SystemFonts::load);
        let db = &system.db;
        let id = system.order.iter().copied().find(|&id| {
            db.with_face_data(id, |data, index| {
                FontRef::try_from_slice_and_index(data, index).is_ok_and(|f| covers(&f, c))
            })
            .unwrap_or(false)
        })?;
        let font = db
            .with_face_data(id, |data, index| {
                FontVec::try_from_vec_and_index(data.to_vec(), index).ok()
            })
            .flatten()?;
        self.fonts.push(FontArc::new(font));
        Some(self.fonts.len() - 1)
    }
}

/// The fonts installed on the system, in the order they are tried.
struct SystemFonts {
    db: fontdb::Database,
    order: Vec<fontdb::ID>,
}

impl SystemFonts {
    fn load() -> Self {
        let mut db = fontdb::Database::new();
        db.load_system_fonts();
        let mut faces: Vec<&fontdb::FaceInfo> = db.faces().collect();
        faces.sort_by_cached_key(|f| {
            (
                f.style != fontdb::Style::Normal,
                (i32::from(f.weight.0) - 400).abs(),
                f.post_script_name.clone(),
            )
        });
        let order = faces.iter().map(|f| f.id).collect();
        Self { db, order }
    }
}

/// A font draws `c` when it maps it to a glyph with an outline (bitmap-only emoji fonts do
/// not count: the rasteriser draws outlines); white space needs no outline.
fn covers<F: Font>(font: &F, c: char) -> bool {
    let id = font.glyph_id(c);
    id.0 != 0 && (c.is_whitespace() || font.outline(id).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ink(image: &RgbImage) -> usize {
        image.pixels().filter(|p| p.0[0] > 128).count()
    }

    #[test]
    fn bundled_fonts_draw_accented_latin_greek_and_cyrillic() {
        for text in [
            "Zoë Müller",
            "Ελένη",
            "Дмитрий",
            "score 0.812 · quality 21.3",
        ] {
            let line = layout(text, 16.0).unwrap_or_else(|| panic!("{text} not drawn"));
            assert!(line.width() > 0 && line.height() > 0, "{text}");
            let mut image = RgbImage::new(line.width() + 4, line.height() + 4);
            draw(&mut image, 2, 2, &line, Rgb([255, 255, 255]));
            assert!(ink(&image) > 20, "{text}: no ink");
        }
    }

    #[test]
    fn control_and_private_use_characters_are_not_laid_out() {
        assert!(layout("bell\u{7}", 16.0).is_none());
        assert!(!can_draw("\u{e000}\u{e001}"));
        assert!(can_draw("plain ascii"));
    }

    #[test]
    fn text_is_cut_at_the_edges() {
        let line = layout("Wéé", 20.0).expect("layout");
        let mut image = RgbImage::new(10, 5);
        draw(&mut image, -3, -4, &line, Rgb([255, 255, 255]));
        draw(&mut image, 8, 3, &line, Rgb([255, 255, 255]));
        assert!(ink(&image) > 0);
        assert_eq!(layout("", 16.0).map(|l| l.width()), Some(0));
    }

    #[test]
    fn bigger_sizes_are_wider() {
        let small = layout("Müller", 12.0).expect("layout").width();
        let big = layout("Müller", 20.0).expect("layout").width();
        assert!(big > small, "{big} vs {small}");
    }
}
