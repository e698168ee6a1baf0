//! The matches: a virtualised grid (only the rows on screen are built), each cell the
//! probe face beside the gallery face with score and quality. Arrow keys move, Enter opens.

use crate::command::Command;
use crate::parts::results::{moved_selection, ResultsCommand};
use crate::parts::AppState;
use crate::thumbnails::{Thumb, ThumbKey};

const FACE: f32 = 96.0;
const CELL_W: f32 = FACE * 2.0 + 24.0;
const CELL_H: f32 = FACE + 44.0;
/// Gallery face thumbnails are decoded at this size (sharp on 2× screens).
const THUMB_PX: u32 = 192;

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
    ui.horizontal(|ui| {
        ui.heading("Matches");
        ui.label(format!(
            "Showing {shown} of {above} faces ({} photos) above the threshold",
            counts.photos
        ));
        if results.partial() {
            ui.colored_label(ui.visuals().warn_fg_color, "· partial, still indexing");
        }
    });
    if shown == 0 {
        ui.label("No face reaches the threshold: lower it to see more.");
        return;
    }
    let columns = ((ui.available_width() / CELL_W).floor() as usize).max(1);
    let rows = shown.div_ceil(columns);
    let selected = results.selected();
    let moved = keyboard(ui, selected, shown, columns, commands);
    let probe_crop = state
        .probes
        .list
        .first()
        .and_then(|p| p.crop_textures.get(p.chosen).cloned());
    let mut area = egui::ScrollArea::vertical().auto_shrink([false, false]);
    if let Some(sel) = moved {
        // Keep the selection on screen when the keyboard moves it.
        let row = (sel / columns) as f32;
        let view_h = ui.available_height();
        let visible_id = ui.scope_id().with("results-offset");
        let offset: f32 = ui.ctx().data(|d| d.get_temp(visible_id)).unwrap_or(0.0);
        let row_h = CELL_H + ui.spacing().item_spacing.y;
        let top = row * row_h;
        if top < offset {
            area = area.vertical_scroll_offset(top);
        } else if top + row_h > offset + view_h {
            area = area.vertical_scroll_offset(top + row_h - view_h);
        }
    }
    let low_norm = state.settings.low_quality_norm;
    let thumbs = &mut state.thumbs;
    let output = area.show_rows(ui, CELL_H, rows, |ui, range| {
        for row in range {
            ui.horizontal(|ui| {
                for col in 0..columns {
                    let i = row * columns + col;
                    let Some(m) = session.shown_match(i) else {
                        break;
                    };
                    let key = ThumbKey::face(m.path.clone(), &m.face.face_box, THUMB_PX);
                    let thumb = thumbs.get(&key);
                    let response = cell(
                        ui,
                        probe_crop.as_ref(),
                        &thumb,
                        m.score,
                        m.norm,
                        m.norm < low_norm,
                        selected == Some(i),
                        m.rank,
                    );
                    if response.clicked() {
                        commands.push(ResultsCommand::OpenPhoto(i).into());
                    }
                }
            });
        }
    });
    let offset_id = ui.scope_id().with("results-offset");
    ui.ctx()
        .data_mut(|d| d.insert_temp(offset_id, output.state.clamped_offset().y));
}

#[allow(clippy::too_many_arguments)]
fn cell(
    ui: &mut egui::Ui,
    probe: Option<&egui::TextureHandle>,
    thumb: &Thumb,
    score: f32,
    norm: f32,
    low: bool,
    selected: bool,
    rank: usize,
) -> egui::Response {
    let stroke = if selected {
        egui::Stroke::new(2.0, ui.visuals().selection.stroke.color)
    } else {
        ui.visuals().widgets.noninteractive.bg_stroke
    };
    // A fixed-size cell laid out top-down (the row around it runs left to right).
    let size = egui::vec2(CELL_W - 8.0, CELL_H);
    let layout = egui::Layout::top_down(egui::Align::Min);
    let inner = ui.allocate_ui_with_layout(size, layout, |ui| {
        egui::Frame::group(ui.style())
            .stroke(stroke)
            .show(ui, |ui| {
                ui.set_min_size(size - egui::vec2(14.0, 14.0));
                ui.horizontal(|ui| {
                    let size = egui::vec2(FACE, FACE);
                    match probe {
                        Some(t) => {
                            ui.add(egui::Image::new(t).fit_to_exact_size(size));
                        }
                        None => {
                            ui.allocate_exact_size(size, egui::Sense::hover());
                        }
                    }
                    match thumb {
                        Thumb::Ready(t) => {
                            ui.add(egui::Image::new(t).fit_to_exact_size(size));
                        }
                        Thumb::Loading => {
                            let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
                            ui.put(rect, egui::Spinner::new());
                        }
                        Thumb::Failed(reason) => {
                            let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
                            let text = egui::RichText::new("unreadable")
                                .color(ui.visuals().error_fg_color);
                            ui.put(rect, egui::Label::new(text)).on_hover_text(reason);
                        }
                    }
                });
                ui.horizontal(|ui| {
                    ui.strong(format!("{score:.3}"));
                    let q = format!("quality {norm:.1}");
                    if low {
                        ui.colored_label(ui.visuals().warn_fg_color, format!("low {q}"))
                            .on_hover_text("Low quality: blurry, small or turned face");
                    } else {
                        ui.weak(q);
                    }
                });
            })
            .response
    });
    let label = format!("Match {}: score {score:.3}", rank + 1);
    let response = ui.interact(
        inner.inner.rect,
        ui.scope_id().with(("cell", rank)),
        egui::Sense::click(),
    );
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
    response.on_hover_cursor(egui::CursorIcon::PointingHand)
}

/// Arrow keys move the selection, Enter opens it. Returns where the selection goes, if
/// it moves. Ignored while a text field or slider has the keyboard.
fn keyboard(
    ui: &egui::Ui,
    selected: Option<usize>,
    shown: usize,
    columns: usize,
    commands: &mut Vec<Command>,
) -> Option<usize> {
    if ui.ctx().memory(|m| m.focused().is_some()) {
        return None;
    }
    let step = columns as isize;
    let (by, enter) = ui.input(|i| {
        let by = [
            (egui::Key::ArrowLeft, -1),
            (egui::Key::ArrowRight, 1),
            (egui::Key::ArrowUp, -step),
            (egui::Key::ArrowDown, step),
        ]
        .into_iter()
        .find(|(key, _)| i.key_pressed(*key))
        .map(|(_, by)| by);
        (by, i.key_pressed(egui::Key::Enter))
    });
    if enter {
        commands.push(ResultsCommand::OpenSelected.into());
    }
    let by = by?;
    commands.push(ResultsCommand::MoveSelection(by).into());
    moved_selection(selected, shown, by)
}
