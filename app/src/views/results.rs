//! The matches: a virtualised grid (only the rows on screen are built), each cell the probe
//! face closest to the match beside the gallery face, with score, quality, file name and
//! Accept / Reject. Rejected matches are dimmed in place (or hidden); the band of the next
//! candidates below the threshold follows, dimmed. Arrow keys move, Enter opens, A / X
//! accept / reject the selected cell; the slider in the header or Ctrl+wheel size the
//! thumbnails.

use facesorter_core::search::Verdict;

use crate::command::Command;
use crate::parts::results::{moved_selection, CellKind, ResultsCommand, THUMB_SIZE_RANGE};
use crate::parts::AppState;
use crate::thumbnails::{Thumb, ThumbKey};

/// Height of the rows under the pair: score, file name, buttons.
const TEXT_ROWS_H: f32 = 74.0;
/// Height of the heading over the band.
const BAND_HEADING_H: f32 = 30.0;
/// Opacity of rejected and below-threshold cells.
const DIMMED: f32 = 0.45;

/// Cell geometry for a thumbnail side of `face` points.
#[derive(Clone, Copy)]
struct Geometry {
    face: f32,
    cell_w: f32,
    cell_h: f32,
}

impl Geometry {
    fn new(face: f32) -> Self {
        Self {
            face,
            cell_w: face * 2.0 + 24.0,
            cell_h: face + TEXT_ROWS_H,
        }
    }

    /// Gallery thumbnails are decoded at one of a few sizes (sharp on 2× screens), so
    /// moving the size slider does not decode every face again at each step.
    fn thumb_px(self, pixels_per_point: f32) -> u32 {
        let want = self.face * pixels_per_point;
        [128, 256, 384, 512]
            .into_iter()
            .find(|&px| px as f32 >= want)
            .unwrap_or(512)
    }
}

pub fn draw(ui: &mut egui::Ui, state: &mut AppState, commands: &mut Vec<Command>) {
    let results = &state.results;
    let Some(session) = results.session() else {
        return;
    };
    let shown = results.shown_len();
    let counts = results.counts();
    // Above the threshold before the quality filter: what the filter hides shows here.
    let above = session
        .ranked()
        .map_or(0, |r| r.count_above(results.threshold()));
    let geometry = Geometry::new(results.thumb_size());
    // The heading with the counts beside it, wrapped within the room the heading leaves
    // (a narrow window gives them two lines, never more width than the area has).
    ui.horizontal(|ui| {
        ui.heading("Matches");
        let mut text = format!(
            "Showing {shown} of {above} faces ({} photos) above the threshold",
            counts.photos
        );
        if counts.rejected > 0 {
            text.push_str(&format!(", {} rejected", counts.rejected));
        }
        if counts.accepted > 0 {
            text.push_str(&format!(", {} accepted", counts.accepted));
        }
        ui.vertical(|ui| {
            ui.add(egui::Label::new(text).wrap());
            if results.partial() {
                let note = egui::RichText::new("Partial: the gallery is still being indexed.")
                    .color(ui.visuals().warn_fg_color);
                ui.add(egui::Label::new(note).wrap());
            }
        });
    });
    // The controls on their own row, wrapping onto the next one in a narrow window.
    ui.horizontal_wrapped(|ui| {
        let mut size = results.thumb_size();
        let (lo, hi) = THUMB_SIZE_RANGE;
        let slider = ui
            .add(egui::Slider::new(&mut size, lo..=hi).text("Thumbnail size"))
            .on_hover_text("Ctrl+wheel over the grid does the same");
        if slider.changed() {
            commands.push(ResultsCommand::SetThumbSize(size).into());
        }
        let mut show = results.show_rejected();
        if ui
            .checkbox(&mut show, "Show rejected")
            .on_hover_text("Rejected matches dimmed in place, or left out of the grid")
            .changed()
        {
            commands.push(ResultsCommand::ShowRejected(show).into());
        }
        if !session.review().is_empty() && clicked(&ui.button("Clear accept/reject")) {
            commands.push(ResultsCommand::ClearVerdicts.into());
        }
    });
    let cells = results.cells().len();
    let main = results.main_cells();
    if cells == 0 {
        ui.label("No face reaches the threshold: lower it to see more.");
        return;
    }
    if main == 0 {
        ui.label("No match above the threshold: the nearest candidates are below.");
    }
    // Ctrl+wheel over the grid sizes the thumbnails (egui reports it as a zoom).
    if ui.rect_contains_pointer(ui.available_rect_before_wrap()) {
        let zoom = ui.input(|i| i.zoom_delta());
        if zoom != 1.0 {
            let size = results.thumb_size() * zoom;
            commands.push(ResultsCommand::SetThumbSize(size).into());
        }
    }
    let columns = ((ui.available_width() / geometry.cell_w).floor() as usize).max(1);
    let row_h = geometry.cell_h + ui.spacing().item_spacing.y;
    let main_rows = main.div_ceil(columns);
    let band_rows = (cells - main).div_ceil(columns);
    let band_top = main_rows as f32 * row_h;
    let heading_h = if band_rows > 0 { BAND_HEADING_H } else { 0.0 };
    let total_h = band_top + heading_h + band_rows as f32 * row_h;
    // The top of cell `i`'s row in the grid.
    let row_top = |i: usize| {
        if i < main {
            (i / columns) as f32 * row_h
        } else {
            band_top + heading_h + ((i - main) / columns) as f32 * row_h
        }
    };
    let selected = results.selected();
    let moved = keyboard(ui, selected, cells, columns, commands);
    let mut area = egui::ScrollArea::vertical().auto_shrink([false, false]);
    let offset_id = ui.scope_id().with("results-offset");
    if let Some(sel) = moved {
        // Keep the selection on screen when the keyboard moves it.
        let view_h = ui.available_height();
        let offset: f32 = ui.ctx().data(|d| d.get_temp(offset_id)).unwrap_or(0.0);
        let top = row_top(sel);
        if top < offset {
            area = area.vertical_scroll_offset(top);
        } else if top + row_h > offset + view_h {
            area = area.vertical_scroll_offset(top + row_h - view_h);
        }
    }
    let low_norm = state.settings.low_quality_norm;
    let threshold = results.threshold();
    let probes = &state.probes;
    let thumbs = &mut state.thumbs;
    let px = geometry.thumb_px(ui.ctx().pixels_per_point());
    let output = area.show_viewport(ui, |ui, viewport| {
        ui.set_height(total_h);
        let origin = ui.max_rect().min;
        let width = ui.max_rect().width();
        // The cells of rows overlapping the viewport, as (first cell, row top) pairs.
        let mut rows: Vec<(usize, f32)> = Vec::new();
        let visible = |top: f32| top + row_h >= viewport.min.y && top <= viewport.max.y;
        for r in 0..main_rows {
            let top = r as f32 * row_h;
            if visible(top) {
                rows.push((r * columns, top));
            }
        }
        for r in 0..band_rows {
            let top = band_top + heading_h + r as f32 * row_h;
            if visible(top) {
                rows.push((main + r * columns, top));
            }
        }
        if band_rows > 0 && visible(band_top) {
            let rect = egui::Rect::from_min_size(
                origin + egui::vec2(0.0, band_top),
                egui::vec2(width, heading_h),
            );
            ui.scope_builder(egui::UiBuilder::new().max_rect(rect), |ui| {
                ui.add_space(6.0);
                ui.weak(format!(
                    "Just below {threshold:.2}: what lowering the threshold would add"
                ));
            });
        }
        for (first, top) in rows {
            let end = if first < main {
                (first + columns).min(main)
            } else {
                (first + columns).min(cells)
            };
            let rect = egui::Rect::from_min_size(
                origin + egui::vec2(0.0, top),
                egui::vec2(width, geometry.cell_h),
            );
            let layout = egui::Layout::left_to_right(egui::Align::Min);
            ui.scope_builder(egui::UiBuilder::new().max_rect(rect).layout(layout), |ui| {
                for i in first..end {
                    let Some((cell, m)) = results.cell_match(i) else {
                        continue;
                    };
                    // The probe face closest to this match, as the user's probe photo shows it.
                    let closest = session.closest_probe(m.face_index as usize);
                    let photos = probes
                        .list
                        .iter()
                        .filter(|p| p.chosen_face().is_some())
                        .count();
                    let probe = closest
                        .and_then(|p| {
                            probes
                                .list
                                .iter()
                                .filter(|p| p.chosen_face().is_some())
                                .nth(p)
                        })
                        .and_then(|p| p.crop_textures.get(p.chosen).cloned())
                        .or_else(|| {
                            // A face of a person from the People view: its gallery crop.
                            let face = probes
                                .person
                                .as_ref()?
                                .faces
                                .get(closest?.checked_sub(photos)?)?;
                            let key = ThumbKey::face(face.source.clone(), &face.face_box, px);
                            match thumbs.get(&key) {
                                Thumb::Ready(t) => Some(t),
                                _ => None,
                            }
                        });
                    let key = ThumbKey::face(m.path.clone(), &m.face.face_box, px);
                    let info = CellInfo {
                        number: i + 1,
                        kind: cell.kind,
                        verdict: m.verdict,
                        score: m.score,
                        norm: m.norm,
                        low: m.norm < low_norm,
                        selected: selected == Some(i),
                        file_name: m
                            .path
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default(),
                        full_path: m.path.display().to_string(),
                    };
                    let clicks = draw_cell(ui, geometry, probe.as_ref(), &thumbs.get(&key), &info);
                    if clicks.open {
                        commands.push(ResultsCommand::OpenPhoto(i).into());
                    }
                    if let Some(v) = clicks.verdict {
                        let new = (m.verdict != Some(v)).then_some(v);
                        commands.push(ResultsCommand::SetVerdict(m.key(), new).into());
                    }
                }
            });
        }
    });
    ui.ctx()
        .data_mut(|d| d.insert_temp(offset_id, output.state.clamped_offset().y));
}

/// What one cell shows besides its pictures.
struct CellInfo {
    /// 1-based position in the grid, for labels.
    number: usize,
    kind: CellKind,
    verdict: Option<Verdict>,
    score: f32,
    norm: f32,
    low: bool,
    selected: bool,
    file_name: String,
    full_path: String,
}

/// What the user did to a cell this frame.
#[derive(Default)]
struct CellClicks {
    open: bool,
    /// Accept or Reject pressed (pressing the verdict a cell has takes it back).
    verdict: Option<Verdict>,
}

fn draw_cell(
    ui: &mut egui::Ui,
    g: Geometry,
    probe: Option<&egui::TextureHandle>,
    thumb: &Thumb,
    info: &CellInfo,
) -> CellClicks {
    let size = egui::vec2(g.cell_w - 8.0, g.cell_h);
    // The cell's own click area first, so the buttons drawn over it get their clicks.
    let (rect, response) = ui.allocate_exact_size(size, egui::Sense::click());
    let kind_text = match (info.kind, info.verdict) {
        (CellKind::Rejected, _) => ", rejected",
        (CellKind::Below, _) => ", below the threshold",
        (_, Some(Verdict::Accepted)) => ", accepted",
        _ => "",
    };
    let label = format!("Match {}: score {:.3}{kind_text}", info.number, info.score);
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
    let response = response
        .on_hover_cursor(egui::CursorIcon::PointingHand)
        .on_hover_text(&info.full_path);
    let mut clicks = CellClicks {
        open: clicked(&response),
        verdict: None,
    };
    let visuals = ui.visuals().clone();
    let accepted_color = egui::Color32::from_rgb(60, 170, 90);
    let stroke = if info.selected {
        egui::Stroke::new(2.0, visuals.selection.stroke.color)
    } else if info.verdict == Some(Verdict::Accepted) {
        egui::Stroke::new(2.0, accepted_color)
    } else {
        visuals.widgets.noninteractive.bg_stroke
    };
    let mut child = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(rect)
            .layout(egui::Layout::top_down(egui::Align::Min)),
    );
    let ui = &mut child;
    if info.kind != CellKind::Match {
        ui.multiply_opacity(DIMMED);
    }
    egui::Frame::group(ui.style())
        .stroke(stroke)
        .show(ui, |ui| {
            ui.set_min_size(size - egui::vec2(14.0, 14.0));
            ui.set_max_width(size.x - 14.0);
            ui.horizontal(|ui| {
                let face = egui::vec2(g.face, g.face);
                match probe {
                    Some(t) => {
                        ui.add(egui::Image::new(t).fit_to_exact_size(face));
                    }
                    None => {
                        ui.allocate_exact_size(face, egui::Sense::hover());
                    }
                }
                match thumb {
                    Thumb::Ready(t) => {
                        ui.add(egui::Image::new(t).fit_to_exact_size(face));
                    }
                    Thumb::Loading => {
                        let (r, _) = ui.allocate_exact_size(face, egui::Sense::hover());
                        ui.put(r, egui::Spinner::new());
                    }
                    Thumb::Failed(reason) => {
                        let (r, _) = ui.allocate_exact_size(face, egui::Sense::hover());
                        let text = egui::RichText::new("unreadable").color(visuals.error_fg_color);
                        ui.put(r, egui::Label::new(text)).on_hover_text(reason);
                    }
                }
            });
            ui.horizontal(|ui| {
                ui.strong(format!("{:.3}", info.score));
                match (info.kind, info.verdict) {
                    (CellKind::Rejected, _) | (_, Some(Verdict::Rejected)) => {
                        ui.colored_label(visuals.error_fg_color, "rejected");
                    }
                    (_, Some(Verdict::Accepted)) => {
                        ui.colored_label(accepted_color, "accepted");
                    }
                    _ => {
                        let q = format!("quality {:.1}", info.norm);
                        if info.low {
                            ui.colored_label(visuals.warn_fg_color, format!("low {q}"))
                                .on_hover_text("Low quality: blurry, small or turned face");
                        } else {
                            ui.weak(q);
                        }
                    }
                }
            });
            ui.add(egui::Label::new(egui::RichText::new(&info.file_name).small()).truncate())
                .on_hover_text(&info.full_path);
            ui.horizontal(|ui| {
                let buttons = [
                    (
                        Verdict::Accepted,
                        "Accept",
                        "Accept (A): this is the person, exported whatever the threshold",
                    ),
                    (
                        Verdict::Rejected,
                        "Reject",
                        "Reject (X): not this person, never exported",
                    ),
                ];
                for (verdict, text, hover) in buttons {
                    let on = info.verdict == Some(verdict);
                    // Framed even when idle: a frameless one reads as plain text under the score.
                    let button = egui::Button::selectable(on, egui::RichText::new(text).small())
                        .frame_when_inactive(true);
                    let r = ui.add(button).on_hover_text(hover);
                    let label = format!("{text} match {}", info.number);
                    r.widget_info(|| {
                        egui::WidgetInfo::selected(egui::Role::Button, true, on, &label)
                    });
                    if clicked(&r) {
                        clicks.verdict = Some(verdict);
                    }
                }
            });
        });
    clicks
}

/// Whether `r` was clicked; a click does not keep the keyboard focus on it, so arrows, A, X
/// and Escape go on acting on the matches (Tab still focuses buttons for the keyboard).
pub(super) fn clicked(r: &egui::Response) -> bool {
    let clicked = r.clicked();
    if clicked {
        r.surrender_focus();
    }
    clicked
}

/// Arrow keys move the selection, Enter opens it, A / X accept / reject it. Returns where
/// the selection goes, if it moves. Ignored while a text field or slider has the keyboard.
fn keyboard(
    ui: &egui::Ui,
    selected: Option<usize>,
    cells: usize,
    columns: usize,
    commands: &mut Vec<Command>,
) -> Option<usize> {
    if ui.ctx().memory(|m| m.focused().is_some()) {
        return None;
    }
    let step = columns as isize;
    let (by, enter, accept, reject) = ui.input(|i| {
        let by = [
            (egui::Key::ArrowLeft, -1),
            (egui::Key::ArrowRight, 1),
            (egui::Key::ArrowUp, -step),
            (egui::Key::ArrowDown, step),
        ]
        .into_iter()
        .find(|(key, _)| i.key_pressed(*key))
        .map(|(_, by)| by);
        (
            by,
            i.key_pressed(egui::Key::Enter),
            i.key_pressed(egui::Key::A),
            i.key_pressed(egui::Key::X),
        )
    });
    if enter {
        commands.push(ResultsCommand::OpenSelected.into());
    }
    if accept {
        commands.push(ResultsCommand::ToggleSelected(Verdict::Accepted).into());
    }
    if reject {
        commands.push(ResultsCommand::ToggleSelected(Verdict::Rejected).into());
    }
    let by = by?;
    commands.push(ResultsCommand::MoveSelection(by).into());
    moved_selection(selected, cells, by)
}
