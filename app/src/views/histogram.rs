//! The distribution of the current scores under the slider; a click sets the threshold.
//! It draws counts over a score range it is given, and knows nothing of the slider.

use std::ops::RangeInclusive;

/// Bins to ask the search for.
pub const BINS: usize = 60;

/// Draws `counts` (one per bin, spread evenly over `range`); returns the score clicked.
pub fn draw(
    ui: &mut egui::Ui,
    counts: &[u32],
    range: RangeInclusive<f32>,
    threshold: f32,
) -> Option<f32> {
    let bins = counts.len().max(1);
    let size = egui::vec2(ui.available_width(), 60.0);
    let (rect, response) = ui.allocate_exact_size(size, egui::Sense::click());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
    let (lo, hi) = (*range.start(), *range.end());
    let x_of = |s: f32| rect.left() + (s - lo) / (hi - lo) * rect.width();
    // Log heights: the many dissimilar faces would otherwise flatten the few matches.
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f32;
    let scale = (1.0 + max).ln();
    let bin_w = rect.width() / bins as f32;
    for (i, &c) in counts.iter().enumerate() {
        if c == 0 {
            continue;
        }
        let h = (1.0 + c as f32).ln() / scale * (rect.height() - 2.0);
        let x = rect.left() + i as f32 * bin_w;
        let score = lo + (i as f32 + 0.5) * (hi - lo) / bins as f32;
        let color = if score >= threshold {
            egui::Color32::from_rgb(60, 170, 90)
        } else {
            ui.visuals().weak_text_color()
        };
        painter.rect_filled(
            egui::Rect::from_min_max(
                egui::pos2(x + 0.5, rect.bottom() - h),
                egui::pos2(x + bin_w - 0.5, rect.bottom()),
            ),
            0.0,
            color,
        );
    }
    let tx = x_of(threshold);
    painter.line_segment(
        [egui::pos2(tx, rect.top()), egui::pos2(tx, rect.bottom())],
        egui::Stroke::new(2.0, ui.visuals().strong_text_color()),
    );
    let response =
        response.on_hover_text("Scores of all gallery faces; click to set the threshold");
    if response.clicked() {
        let pos = response.interact_pointer_pos()?;
        let s = lo + (pos.x - rect.left()) / rect.width() * (hi - lo);
        return Some((s * 100.0).round() / 100.0);
    }
    None
}
