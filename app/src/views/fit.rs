//! Text that fits the room it is given: long paths elided in the middle (their start and
//! file name say the most), labels on one line with the whole text on hover, and the
//! longest of a few phrasings that fits. Nothing here ever widens its parent.

/// The ellipsis put where characters were left out.
const ELLIPSIS: char = '…';

/// `text` cut to at most `max_chars` characters by replacing its middle with "…". The
/// end gets the larger half: a file or folder name matters more than the root.
pub fn elide_middle(text: &str, max_chars: usize) -> String {
    let count = text.chars().count();
    if count <= max_chars {
        return text.to_string();
    }
    if max_chars == 0 {
        return String::new();
    }
    let keep = max_chars - 1;
    let head = keep / 2;
    let tail = keep - head;
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(count - tail).collect();
    format!("{start}{ELLIPSIS}{end}")
}

/// Width of `text` on one line in `font`, in points.
pub fn text_width(ui: &egui::Ui, text: &str, font: &egui::FontId) -> f32 {
    ui.ctx().fonts_mut(|f| {
        f.layout_no_wrap(text.to_owned(), font.clone(), egui::Color32::WHITE)
            .size()
            .x
    })
}

/// `text` elided in the middle until it fits `width` points in `font`.
pub fn elide_to_width(ui: &egui::Ui, text: &str, font: &egui::FontId, width: f32) -> String {
    if text_width(ui, text, font) <= width {
        return text.to_string();
    }
    // The longest elision that fits: the width grows with the characters kept.
    let (mut lo, mut hi) = (0, text.chars().count());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if text_width(ui, &elide_middle(text, mid), font) <= width {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    elide_middle(text, lo)
}

/// Index of the first of `forms` (longest first) that fits `width` in `font`; the last
/// one when none does.
pub fn first_fitting(ui: &egui::Ui, forms: &[String], font: &egui::FontId, width: f32) -> usize {
    forms
        .iter()
        .position(|f| text_width(ui, f, font) <= width)
        .unwrap_or(forms.len().saturating_sub(1))
}

/// A path on one line, elided in the middle to the width left, the whole path on hover.
pub fn path_label(ui: &mut egui::Ui, path: &str) -> egui::Response {
    path_label_within(ui, path, ui.available_width())
}

/// [`path_label`] within `width` points.
pub fn path_label_within(ui: &mut egui::Ui, path: &str, width: f32) -> egui::Response {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let shown = elide_to_width(ui, path, &font, width.max(0.0));
    let elided = shown != path;
    let response = ui.add(egui::Label::new(shown).wrap_mode(egui::TextWrapMode::Extend));
    if elided {
        response.on_hover_text(path)
    } else {
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_kept() {
        assert_eq!(elide_middle("/photos/a.jpg", 13), "/photos/a.jpg");
        assert_eq!(elide_middle("/photos/a.jpg", 60), "/photos/a.jpg");
    }

    #[test]
    fn long_text_keeps_both_ends_and_the_limit() {
        let path = "/home/someone/Pictures/2024/holidays/italy/IMG_20240712_101530.jpg";
        for max in [1, 2, 10, 25, 40, path.len() - 1] {
            let e = elide_middle(path, max);
            assert_eq!(e.chars().count(), max, "{e}");
            assert!(e.contains('…'), "{e}");
        }
        let e = elide_middle(path, 25);
        assert!(e.starts_with("/home/someo"), "{e}");
        assert!(e.ends_with("101530.jpg"), "{e}");
        assert_eq!(elide_middle(path, 0), "");
    }

    #[test]
    fn counts_characters_not_bytes() {
        let e = elide_middle("ééééééééééééééééééééé", 5);
        assert_eq!(e, "éé…éé");
    }

    #[test]
    fn eliding_to_a_width_fits_it_and_keeps_what_fits() {
        let ctx = egui::Context::default();
        let mut checked = false;
        // Fonts exist once a pass has begun.
        let mut output = ctx.run_ui(egui::RawInput::default(), |ui| {
            let font = egui::TextStyle::Body.resolve(ui.style());
            let path = "/home/someone/Pictures/2024/holidays/italy/IMG_20240712_101530.jpg";
            let full = text_width(ui, path, &font);
            assert_eq!(elide_to_width(ui, path, &font, full + 1.0), path);
            for width in [40.0, 120.0, full * 0.6] {
                let e = elide_to_width(ui, path, &font, width);
                assert!(text_width(ui, &e, &font) <= width, "{e} in {width}");
                let one_more = elide_middle(path, e.chars().count() + 1);
                assert!(
                    text_width(ui, &one_more, &font) > width,
                    "{e} is the longest"
                );
            }
            let forms = ["a long way of saying it".to_string(), "short".into()];
            assert_eq!(first_fitting(ui, &forms, &font, 1000.0), 0);
            assert_eq!(first_fitting(ui, &forms, &font, 60.0), 1);
            assert_eq!(
                first_fitting(ui, &forms, &font, 1.0),
                1,
                "the last when none fits"
            );
            checked = true;
        });
        // No renderer here to take the font atlas.
        output.textures_delta.clear();
        assert!(checked);
    }
}
