//! The distribution of the current scores under the slider: bars, a score axis with
//! ticks, a hover readout of the bin under the pointer, the threshold, and an optional
//! marker (where the first rejected match scores). A click sets the threshold. It draws
//! counts over a score range it is given, and knows nothing of the slider.

use std::ops::RangeInclusive;

/// Bins to ask the search for.
pub const BINS: usize = 60;
/// Height of the bars.
const BARS_H: f32 = 60.0;
/// Height of the axis under them: tick marks and their labels.
const AXIS_H: f32 = 16.0;
/// A labelled tick every this much score, a small one every half of it.
const TICK: f32 = 0.2;
/// The marker's label.
pub const MARKER_LABEL: &str = "first rejected";

/// What the histogram did this frame.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Drawn {
    /// The score clicked (rounded to 0.01).
    pub clicked: Option<f32>,
    /// The readout of the bin under the pointer.
    pub hovered: Option<String>,
    /// Where the marker was drawn (x), when it was given and within the range.
    pub marker_x: Option<f32>,
    /// Where the marker's label was drawn.
    pub marker_label: Option<egui::Rect>,
}

/// Draws `counts` (one per bin, spread evenly over `range`), the `threshold`, and the
/// `marker` when given.
pub fn draw(
    ui: &mut egui::Ui,
    counts: &[u32],
    range: RangeInclusive<f32>,
    threshold: f32,
    marker: Option<f32>,
) -> Drawn {
    let mut drawn = Drawn::default();
    let bins = counts.len().max(1);
    let size = egui::vec2(ui.available_width(), BARS_H + AXIS_H);
    let (outer, response) = ui.allocate_exact_size(size, egui::Sense::click());
    let rect = egui::Rect::from_min_size(outer.min, egui::vec2(outer.width(), BARS_H));
    let painter = ui.painter_at(outer);
    let visuals = ui.visuals();
    painter.rect_filled(rect, 2.0, visuals.extreme_bg_color);
    let (lo, hi) = (*range.start(), *range.end());
    let x_of = |s: f32| rect.left() + (s - lo) / (hi - lo) * rect.width();
    let score_at = |x: f32| lo + (x - rect.left()) / rect.width() * (hi - lo);
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
            visuals.weak_text_color()
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
    axis(&painter, visuals, rect, &range);
    let tx = x_of(threshold);
    painter.line_segment(
        [egui::pos2(tx, rect.top()), egui::pos2(tx, rect.bottom())],
        egui::Stroke::new(2.0, visuals.strong_text_color()),
    );
    if let Some(m) = marker.filter(|m| range.contains(m)) {
        let mx = x_of(m);
        let color = egui::Color32::from_rgb(230, 80, 60);
        painter.add(egui::Shape::dashed_line(
            &[egui::pos2(mx, rect.top()), egui::pos2(mx, rect.bottom())],
            egui::Stroke::new(2.0, color),
            4.0,
            3.0,
        ));
        // The label beside the marker, on the side away from the threshold line (the first
        // rejected match usually scores just above it, and a label across that line was
        // unreadable), unless it does not fit there; on a backing so bars do not cross it.
        let font = egui::FontId::proportional(11.0);
        let galley = painter.layout_no_wrap(MARKER_LABEL.to_owned(), font, color);
        let w = galley.size().x;
        let right_fits = mx + 3.0 + w <= rect.right();
        let left_fits = mx - 3.0 - w >= rect.left();
        let right = match (right_fits, left_fits) {
            (true, true) => tx <= mx,
            (true, false) => true,
            (false, true) => false,
            (false, false) => mx <= rect.center().x,
        };
        let left = if right { mx + 3.0 } else { mx - 3.0 - w };
        let label = egui::Rect::from_min_size(egui::pos2(left, rect.top() + 1.0), galley.size());
        painter.rect_filled(label.expand(1.0), 2.0, visuals.extreme_bg_color);
        painter.galley(label.min, galley, color);
        drawn.marker_label = Some(label);
        drawn.marker_x = Some(mx);
    }
    if let Some(pos) = response.hover_pos().filter(|p| rect.contains(*p)) {
        let bin = (((pos.x - rect.left()) / bin_w) as usize).min(bins - 1);
        drawn.hovered = Some(readout(bin, bins, counts, &range));
    }
    let response = match &drawn.hovered {
        Some(text) => response.on_hover_text(format!("{text}\nClick to set the threshold")),
        None => response,
    };
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Figure, true, "Score histogram"));
    if response.clicked() {
        if let Some(pos) = response.interact_pointer_pos() {
            let s = score_at(pos.x).clamp(lo, hi);
            drawn.clicked = Some((s * 100.0).round() / 100.0);
        }
    }
    drawn
}

/// "score 0.42–0.44: 7 faces" for bin `bin` of `bins` over `range`.
pub fn readout(bin: usize, bins: usize, counts: &[u32], range: &RangeInclusive<f32>) -> String {
    let (lo, hi) = (*range.start(), *range.end());
    let w = (hi - lo) / bins as f32;
    let from = lo + bin as f32 * w;
    let n = counts.get(bin).copied().unwrap_or(0);
    let faces = if n == 1 { "face" } else { "faces" };
    format!("score {from:.2}–{:.2}: {n} {faces}", from + w)
}

/// The score axis: a labelled tick every [`TICK`], a small one between.
fn axis(
    painter: &egui::Painter,
    visuals: &egui::Visuals,
    bars: egui::Rect,
    range: &RangeInclusive<f32>,
) {
    let (lo, hi) = (*range.start(), *range.end());
    let stroke = egui::Stroke::new(1.0, visuals.weak_text_color());
    let font = egui::FontId::proportional(10.0);
    let half = TICK / 2.0;
    let first = (lo / half).ceil() as i32;
    let last = (hi / half).floor() as i32;
    for k in first..=last {
        let s = k as f32 * half;
        let x = bars.left() + (s - lo) / (hi - lo) * bars.width();
        let major = k % 2 == 0;
        let len = if major { 4.0 } else { 2.0 };
        painter.line_segment(
            [
                egui::pos2(x, bars.bottom()),
                egui::pos2(x, bars.bottom() + len),
            ],
            stroke,
        );
        if major {
            // The end labels lean inwards so they are not cut at the edges.
            let anchor = if k == first {
                egui::Align2::LEFT_TOP
            } else if k == last {
                egui::Align2::RIGHT_TOP
            } else {
                egui::Align2::CENTER_TOP
            };
            painter.text(
                egui::pos2(x, bars.bottom() + len),
                anchor,
                format!("{s:.1}"),
                font.clone(),
                visuals.text_color(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::kittest::Queryable;

    const RANGE: RangeInclusive<f32> = -0.2..=1.0;

    fn counts() -> Vec<u32> {
        let mut c = vec![0; BINS];
        c[31] = 7; // 0.42–0.44
        c[10] = 1;
        c
    }

    fn texts(output: &egui::FullOutput) -> Vec<String> {
        output
            .shapes
            .iter()
            .filter_map(|s| match &s.shape {
                egui::epaint::Shape::Text(t) => Some(t.galley.text().to_string()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_readout_names_the_bin_and_its_faces() {
        let c = counts();
        assert_eq!(readout(31, BINS, &c, &RANGE), "score 0.42–0.44: 7 faces");
        assert_eq!(readout(10, BINS, &c, &RANGE), "score 0.00–0.02: 1 face");
        assert_eq!(readout(0, BINS, &c, &RANGE), "score -0.20–-0.18: 0 faces");
    }

    #[test]
    fn ticks_are_labelled_and_the_marker_draws_with_its_label() {
        let c = counts();
        let mut drawn = Drawn::default();
        let mut harness = egui_kittest::Harness::new_ui_state(
            |ui, drawn: &mut Drawn| *drawn = draw(ui, &c, RANGE, 0.5, Some(0.38)),
            drawn.clone(),
        );
        harness.run();
        drawn.clone_from(harness.state());
        let shown = texts(harness.output());
        for tick in ["-0.2", "0.0", "0.2", "0.4", "0.6", "0.8", "1.0"] {
            assert!(shown.iter().any(|t| t == tick), "tick {tick} in {shown:?}");
        }
        assert!(shown.iter().any(|t| t == MARKER_LABEL), "{shown:?}");
        let rect = harness.get_by_label("Score histogram").rect();
        let x = drawn.marker_x.expect("the marker is drawn");
        let expected = rect.left() + (0.38 + 0.2) / 1.2 * rect.width();
        assert!(
            (x - expected).abs() < 0.5,
            "marker at {x}, expected {expected}"
        );

        // Without a marker: no line, no label.
        let mut harness = egui_kittest::Harness::new_ui_state(
            |ui, drawn: &mut Drawn| *drawn = draw(ui, &c, RANGE, 0.5, None),
            Drawn::default(),
        );
        harness.run();
        assert_eq!(harness.state().marker_x, None);
        assert!(!texts(harness.output()).iter().any(|t| t == MARKER_LABEL));
    }

    #[test]
    fn the_marker_label_keeps_off_the_threshold_line() {
        let c = counts();
        // A first rejected match just above the threshold, both right of the middle, and
        // one just below it, left of the middle: the label never crosses the threshold.
        for (threshold, marker) in [(0.45, 0.57), (0.35, 0.3), (0.9, 0.95)] {
            let mut harness = egui_kittest::Harness::builder()
                .with_size(egui::vec2(300.0, 120.0))
                .build_ui_state(
                    |ui, drawn: &mut Drawn| *drawn = draw(ui, &c, RANGE, threshold, Some(marker)),
                    Drawn::default(),
                );
            harness.run();
            let rect = harness.get_by_label("Score histogram").rect();
            let label = harness.state().marker_label.expect("the label is drawn");
            let tx = rect.left() + (threshold + 0.2) / 1.2 * rect.width();
            let crosses = label.left() < tx + 1.0 && label.right() > tx - 1.0;
            let fits = label.left() >= rect.left() && label.right() <= rect.right();
            assert!(
                fits,
                "{threshold}/{marker}: label {label:?} outside {rect:?}"
            );
            // Near the right edge there is no room beyond the marker: only then may it cross.
            if marker < 0.9 {
                assert!(
                    !crosses,
                    "{threshold}/{marker}: label {label:?} crosses x {tx}"
                );
            }
        }
    }

    #[test]
    fn hovering_a_bin_shows_its_readout() {
        let c = counts();
        let mut harness = egui_kittest::Harness::new_ui_state(
            |ui, drawn: &mut Drawn| *drawn = draw(ui, &c, RANGE, 0.5, None),
            Drawn::default(),
        );
        harness.run();
        let rect = harness.get_by_label("Score histogram").rect();
        // The middle of bin 31 (score 0.42–0.44), on the bars.
        let x = rect.left() + (31.5 / BINS as f32) * rect.width();
        harness.hover_at(egui::pos2(x, rect.top() + 20.0));
        harness.run();
        assert_eq!(
            harness.state().hovered.as_deref(),
            Some("score 0.42–0.44: 7 faces")
        );
        harness.get_by_label_contains("score 0.42–0.44: 7 faces");
    }
}
