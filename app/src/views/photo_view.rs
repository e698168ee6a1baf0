//! One gallery photo, whole, with the matched face boxed; above it the probe face closest to
//! the match beside the match, large, with the score; Accept / Reject, Copy path, Show in
//! folder. The photo is decoded at full resolution by a worker (up to the GPU's texture
//! size), fitted to the view without going past 100%, centred; the wheel zooms around the
//! pointer, dragging pans, a double click resets. ←/→ step through the cells, A / X accept /
//! reject, Escape goes back to the grid.

use facesorter_core::search::Verdict;

use super::results::clicked;
use crate::command::Command;
use crate::jobs::probe::ProbeSource;
use crate::parts::results::{CellKind, ResultsCommand};
use crate::parts::AppState;
use crate::thumbnails::{Thumb, ThumbKey};

/// Photos are decoded at most this many pixels on the long side (and never beyond what the
/// GPU takes): full resolution for any screen, 64 MB of texture at most.
const VIEW_PX_MAX: u32 = 4096;
/// The pair's faces are decoded at this size.
const PAIR_PX: u32 = 384;
/// Zooming in stops at this many screen pixels per photo pixel.
const ZOOM_MAX_PIXELS: f32 = 8.0;

pub fn draw(ui: &mut egui::Ui, state: &mut AppState, commands: &mut Vec<Command>) {
    let results = &state.results;
    let (Some(session), Some(selected)) = (results.session(), results.selected()) else {
        commands.push(ResultsCommand::ClosePhoto.into());
        return;
    };
    let Some((cell, m)) = results.cell_match(selected) else {
        commands.push(ResultsCommand::ClosePhoto.into());
        return;
    };
    let cells = results.cells().len();
    if ui.ctx().memory(|mem| mem.focused().is_none()) {
        ui.input(|i| {
            let keys: [(egui::Key, ResultsCommand); 5] = [
                (egui::Key::Escape, ResultsCommand::ClosePhoto),
                (egui::Key::ArrowRight, ResultsCommand::MoveSelection(1)),
                (egui::Key::ArrowLeft, ResultsCommand::MoveSelection(-1)),
                (
                    egui::Key::A,
                    ResultsCommand::ToggleSelected(Verdict::Accepted),
                ),
                (
                    egui::Key::X,
                    ResultsCommand::ToggleSelected(Verdict::Rejected),
                ),
            ];
            for (key, command) in keys {
                if i.key_pressed(key) {
                    commands.push(command.into());
                }
            }
        });
    }
    let path_text = m.path.display().to_string();
    ui.horizontal_wrapped(|ui| {
        if clicked(&ui.button("Back to matches (Esc)")) {
            commands.push(ResultsCommand::ClosePhoto.into());
        }
        if clicked(&ui.add_enabled(selected > 0, egui::Button::new("Previous"))) {
            commands.push(ResultsCommand::MoveSelection(-1).into());
        }
        if clicked(&ui.add_enabled(selected + 1 < cells, egui::Button::new("Next"))) {
            commands.push(ResultsCommand::MoveSelection(1).into());
        }
        ui.separator();
        for (verdict, text, hover) in [
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
        ] {
            let on = m.verdict == Some(verdict);
            if clicked(
                &ui.add(egui::Button::selectable(on, text).frame_when_inactive(true))
                    .on_hover_text(hover),
            ) {
                let new = (!on).then_some(verdict);
                commands.push(ResultsCommand::SetVerdict(m.key(), new).into());
            }
        }
        ui.separator();
        if clicked(
            &ui.button("Copy path")
                .on_hover_text("Copies the photo's full path to the clipboard"),
        ) {
            ui.ctx().copy_text(path_text.clone());
        }
        if clicked(
            &ui.button("Show in folder")
                .on_hover_text("Opens the folder holding this photo"),
        ) {
            commands.push(ResultsCommand::ShowInFolder(m.path.clone()).into());
        }
    });
    ui.horizontal_wrapped(|ui| {
        // Counted from 1 for people; the 0-based index is the CLI's (`PATH#INDEX`).
        ui.weak(format!(
            "{path_text}  ·  face {} of {} in the photo",
            m.index_in_photo() + 1,
            m.photo.face_count
        ));
    });
    match &results.folder_message {
        Some(Ok(done)) => {
            ui.weak(done);
        }
        Some(Err(error)) => {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        None => {}
    }

    // The pair: the probe face closest to this match beside the match, with the score.
    let side = (ui.available_height() * 0.28).clamp(96.0, 220.0);
    let probe_thumb = session
        .closest_probe(m.face_index as usize)
        .and_then(|i| {
            state
                .probes
                .list
                .iter()
                .filter(|p| p.chosen_face().is_some())
                .nth(i)
        })
        .map(|p| match probe_path(&p.analyzed.source) {
            // The probe photo itself, cropped like the match; a pasted one has only its crop.
            Some(path) => match p.chosen_face() {
                Some(face) => {
                    let key = ThumbKey::face(path.to_path_buf(), &face.detection.face_box, PAIR_PX);
                    match state.thumbs.get(&key) {
                        Thumb::Failed(_) => texture_or_loading(p.crop_textures.get(p.chosen)),
                        other => other,
                    }
                }
                None => texture_or_loading(p.crop_textures.get(p.chosen)),
            },
            None => texture_or_loading(p.crop_textures.get(p.chosen)),
        });
    let match_thumb = state
        .thumbs
        .get(&ThumbKey::face(m.path.clone(), &m.face.face_box, PAIR_PX));
    ui.horizontal(|ui| {
        let face = egui::vec2(side, side);
        ui.vertical(|ui| {
            ui.label("Probe face");
            match &probe_thumb {
                Some(t) => show_thumb(ui, t, face),
                None => {
                    ui.allocate_exact_size(face, egui::Sense::hover());
                }
            }
        });
        ui.vertical(|ui| {
            ui.label("Matched face");
            show_thumb(ui, &match_thumb, face);
        });
        ui.vertical(|ui| {
            ui.add_space(side * 0.3);
            ui.heading(format!("score {:.3}", m.score));
            ui.label(format!("quality {:.1}", m.norm));
            let status = match (cell.kind, m.verdict) {
                (_, Some(Verdict::Accepted)) => "accepted: exported whatever the threshold",
                (_, Some(Verdict::Rejected)) | (CellKind::Rejected, _) => "rejected: not exported",
                (CellKind::Below, _) => "below the threshold: not exported",
                _ => "above the threshold: exported",
            };
            // Band cells follow the matches; each group is counted on its own, so "2 of 24"
            // never mixes matches with what lowering the threshold would add.
            let above = results
                .cells()
                .iter()
                .filter(|c| c.kind != CellKind::Below)
                .count();
            let position = if cell.kind == CellKind::Below {
                format!(
                    "Candidate {} of {} just below the threshold",
                    selected + 1 - above.min(selected),
                    cells - above
                )
            } else {
                format!("Match {} of {above}", selected + 1)
            };
            ui.weak(format!("{position} · {status}"));
        });
    });
    ui.separator();

    photo_with_box(
        ui,
        &mut state.thumbs,
        &m.path,
        (m.photo.width, m.photo.height),
        m.face.face_box,
        m.face_index as usize,
    );
}

/// The whole photo fitted to the room left, the face boxed; the wheel zooms around the
/// pointer, dragging pans, a double click fits again. Shared by Find and People.
pub(super) fn photo_with_box(
    ui: &mut egui::Ui,
    thumbs: &mut crate::thumbnails::Thumbnails,
    path: &std::path::Path,
    (width, height): (u32, u32),
    face_box: facesorter_core::geometry::FaceBox,
    face_index: usize,
) {
    let path_text = path.display().to_string();
    let max_side = ui
        .ctx()
        .input(|i| i.max_texture_side)
        .min(VIEW_PX_MAX as usize) as u32;
    let photo = thumbs.get(&ThumbKey::photo(path.to_path_buf(), max_side));
    let (pw, ph) = (width.max(1) as f32, height.max(1) as f32);
    let texture = match photo {
        Thumb::Ready(t) => t,
        Thumb::Loading => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Loading the photo…");
            });
            return;
        }
        Thumb::Failed(reason) => {
            ui.colored_label(ui.visuals().error_fg_color, reason);
            return;
        }
    };
    let (rect, response) =
        ui.allocate_exact_size(ui.available_size(), egui::Sense::click_and_drag());
    let response = response.on_hover_text("Wheel: zoom · drag: pan · double click: fit");
    // Zoom and pan are this photo's only: another match starts fitted.
    let view_id = ui.scope_id().with(("photo-view", path, face_index));
    let (mut zoom, mut pan): (f32, egui::Vec2) = ui
        .ctx()
        .data(|d| d.get_temp(view_id))
        .unwrap_or((1.0, egui::Vec2::ZERO));
    let ppp = ui.ctx().pixels_per_point();
    // Points per photo pixel when fitted: never more than one screen pixel per photo pixel.
    let fit = (rect.width() / pw).min(rect.height() / ph).min(1.0 / ppp);
    if response.double_clicked() {
        (zoom, pan) = (1.0, egui::Vec2::ZERO);
    }
    if response.hovered() {
        let (scroll, pinch) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
        let factor = (scroll * 0.0025).exp() * pinch;
        if factor != 1.0 {
            let new_zoom = (zoom * factor).clamp(1.0, (ZOOM_MAX_PIXELS / ppp / fit).max(1.0));
            if let Some(pointer) = response.hover_pos() {
                // Keep the photo point under the pointer where it is.
                let from_centre = pointer - (rect.center() + pan);
                pan += from_centre - from_centre * (new_zoom / zoom);
            }
            zoom = new_zoom;
        }
    }
    if response.dragged() {
        pan += response.drag_delta();
    }
    let scale = fit * zoom;
    let size = egui::vec2(pw * scale, ph * scale);
    // The photo's centre stays within the view: it cannot be dragged away.
    pan = pan.clamp(-size / 2.0, size / 2.0);
    if zoom == 1.0 {
        pan = egui::Vec2::ZERO;
    }
    ui.ctx().data_mut(|d| d.insert_temp(view_id, (zoom, pan)));
    let image_rect = egui::Rect::from_center_size(rect.center() + pan, size);
    let painter = ui.painter_at(rect);
    painter.image(
        texture.id(),
        image_rect,
        egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
        egui::Color32::WHITE,
    );
    let face = egui::Rect::from_min_max(
        image_rect.min + egui::vec2(face_box.x1 * scale, face_box.y1 * scale),
        image_rect.min + egui::vec2(face_box.x2 * scale, face_box.y2 * scale),
    )
    .intersect(image_rect);
    if face.is_positive() {
        painter.rect_stroke(
            face,
            2.0,
            egui::Stroke::new(3.0, egui::Color32::from_rgb(60, 200, 90)),
            egui::StrokeKind::Inside,
        );
    }
    response.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Image, true, format!("Photo {path_text}"))
    });
}

/// The probe photo's file, if it has one (a pasted image has none).
fn probe_path(source: &ProbeSource) -> Option<&std::path::Path> {
    match source {
        ProbeSource::File(path) => Some(path),
        ProbeSource::Pasted { .. } => None,
    }
}

fn texture_or_loading(texture: Option<&egui::TextureHandle>) -> Thumb {
    match texture {
        Some(t) => Thumb::Ready(t.clone()),
        None => Thumb::Loading,
    }
}

pub(super) fn show_thumb(ui: &mut egui::Ui, thumb: &Thumb, size: egui::Vec2) {
    match thumb {
        Thumb::Ready(t) => {
            ui.add(egui::Image::new(t).fit_to_exact_size(size));
        }
        Thumb::Loading => {
            let (r, _) = ui.allocate_exact_size(size, egui::Sense::hover());
            ui.put(r, egui::Spinner::new());
        }
        Thumb::Failed(reason) => {
            let (r, _) = ui.allocate_exact_size(size, egui::Sense::hover());
            let text = egui::RichText::new("unreadable").color(ui.visuals().error_fg_color);
            ui.put(r, egui::Label::new(text)).on_hover_text(reason);
        }
    }
}
