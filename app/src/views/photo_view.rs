//! One gallery photo, whole, with the matched face boxed. ←/→ step through the matches,
//! Escape goes back to the grid.

use crate::command::Command;
use crate::parts::results::ResultsCommand;
use crate::parts::AppState;
use crate::thumbnails::{Thumb, ThumbKey};

/// Photos are shown downscaled to this many pixels on the long side.
const VIEW_PX: u32 = 1600;

pub fn draw(ui: &mut egui::Ui, state: &mut AppState, commands: &mut Vec<Command>) {
    let results = &state.results;
    let (Some(session), Some(selected)) = (results.session(), results.selected()) else {
        commands.push(ResultsCommand::ClosePhoto.into());
        return;
    };
    let Some(m) = session.shown_match(selected) else {
        commands.push(ResultsCommand::ClosePhoto.into());
        return;
    };
    let shown = results.shown_len();
    if ui.ctx().memory(|mem| mem.focused().is_none()) {
        ui.input(|i| {
            if i.key_pressed(egui::Key::Escape) {
                commands.push(ResultsCommand::ClosePhoto.into());
            }
            if i.key_pressed(egui::Key::ArrowRight) {
                commands.push(ResultsCommand::MoveSelection(1).into());
            }
            if i.key_pressed(egui::Key::ArrowLeft) {
                commands.push(ResultsCommand::MoveSelection(-1).into());
            }
        });
    }
    ui.horizontal(|ui| {
        if ui.button("Back to matches (Esc)").clicked() {
            commands.push(ResultsCommand::ClosePhoto.into());
        }
        if ui
            .add_enabled(selected > 0, egui::Button::new("Previous"))
            .clicked()
        {
            commands.push(ResultsCommand::MoveSelection(-1).into());
        }
        if ui
            .add_enabled(selected + 1 < shown, egui::Button::new("Next"))
            .clicked()
        {
            commands.push(ResultsCommand::MoveSelection(1).into());
        }
        ui.label(format!(
            "Match {} of {shown} · score {:.3} · quality {:.1}",
            selected + 1,
            m.score,
            m.norm
        ));
    });
    ui.weak(m.path.display().to_string());
    let (pw, ph) = (m.photo.width as f32, m.photo.height as f32);
    let face_box = m.face.face_box;
    let thumb = state.thumbs.get(&ThumbKey::photo(m.path.clone(), VIEW_PX));
    let avail = ui.available_size();
    let scale = (avail.x / pw.max(1.0)).min(avail.y / ph.max(1.0));
    let size = egui::vec2(pw * scale, ph * scale);
    match thumb {
        Thumb::Ready(t) => {
            let response = ui.add(egui::Image::new(&t).fit_to_exact_size(size));
            let r = response.rect;
            let s = r.width() / pw.max(1.0);
            let face = egui::Rect::from_min_max(
                r.min + egui::vec2(face_box.x1 * s, face_box.y1 * s),
                r.min + egui::vec2(face_box.x2 * s, face_box.y2 * s),
            );
            ui.painter_at(r).rect_stroke(
                face,
                2.0,
                egui::Stroke::new(3.0, egui::Color32::from_rgb(60, 200, 90)),
                egui::StrokeKind::Outside,
            );
        }
        Thumb::Loading => {
            ui.spinner();
        }
        Thumb::Failed(reason) => {
            ui.colored_label(ui.visuals().error_fg_color, reason);
        }
    }
}
