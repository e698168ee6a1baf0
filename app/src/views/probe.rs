//! The query: each probe photo with its faces boxed (click one to choose it), the chosen
//! face's aligned crop and quality, and buttons to add or remove probe photos.

use crate::command::Command;
use crate::parts::dialogs::Pick;
use crate::parts::probes::ProbeCommand;
use crate::parts::AppState;

pub fn draw(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    ui.heading("Probe");
    if let Some(person) = &state.probes.person {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.strong(format!("Person: {}", person.label));
            ui.weak(format!(
                "{} of their faces from the People view, searched for together",
                person.faces.len()
            ));
            if ui
                .button("Stop searching for this person")
                .on_hover_text("Removes the person's faces from the probe")
                .clicked()
            {
                commands.push(ProbeCommand::RemovePerson.into());
            }
        });
    }
    if state.probes.list.is_empty() && state.probes.loading() == 0 && state.probes.person.is_none()
    {
        ui.label("Drop a photo of the person here, or:");
    }
    for (i, probe) in state.probes.list.iter().enumerate() {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            super::fit::path_label(ui, &probe.analyzed.source.name());
            let image = &probe.analyzed.image;
            let (w, h) = (image.width() as f32, image.height() as f32);
            let width = ui.available_width().min(300.0);
            let size = egui::vec2(width, width * h / w.max(1.0));
            let response = ui.add(
                egui::Image::new(&probe.photo_texture)
                    .fit_to_exact_size(size)
                    .sense(egui::Sense::click()),
            );
            let rect = response.rect;
            let scale = rect.width() / w.max(1.0);
            let to_screen = |x: f32, y: f32| rect.min + egui::vec2(x * scale, y * scale);
            let painter = ui.painter_at(rect);
            for (fi, face) in probe.analyzed.faces.iter().enumerate() {
                let b = &face.detection.face_box;
                let r = egui::Rect::from_min_max(to_screen(b.x1, b.y1), to_screen(b.x2, b.y2));
                let chosen = fi == probe.chosen;
                let color = if chosen {
                    egui::Color32::from_rgb(60, 200, 90)
                } else {
                    egui::Color32::from_rgb(240, 200, 60)
                };
                painter.rect_stroke(
                    r,
                    2.0,
                    egui::Stroke::new(if chosen { 3.0 } else { 1.5 }, color),
                    egui::StrokeKind::Outside,
                );
            }
            if response.clicked() {
                if let Some(pos) = response.interact_pointer_pos() {
                    let (x, y) = ((pos.x - rect.min.x) / scale, (pos.y - rect.min.y) / scale);
                    let hit = probe.analyzed.faces.iter().position(|f| {
                        let b = &f.detection.face_box;
                        x >= b.x1 && x <= b.x2 && y >= b.y1 && y <= b.y2
                    });
                    if let Some(face) = hit {
                        commands.push(ProbeCommand::ChooseFace { probe: i, face }.into());
                    }
                }
            }
            let faces = probe.analyzed.faces.len();
            if faces > 1 {
                ui.weak(format!("{faces} faces: click one to search for it"));
            }
            ui.horizontal(|ui| {
                if let (Some(tex), Some(face)) =
                    (probe.crop_textures.get(probe.chosen), probe.chosen_face())
                {
                    ui.add(egui::Image::new(tex).fit_to_exact_size(egui::vec2(80.0, 80.0)))
                        .on_hover_text("The aligned face the recognizer sees");
                    ui.vertical(|ui| {
                        let norm = face.embedding.norm;
                        ui.label(format!("Quality (norm): {norm:.1}"));
                        if norm < state.settings.low_quality_norm {
                            ui.colored_label(
                                ui.visuals().warn_fg_color,
                                "Low quality: blurry, small or turned",
                            );
                        }
                        if ui
                            .button("Remove")
                            .on_hover_text("Remove this probe photo")
                            .clicked()
                        {
                            commands.push(ProbeCommand::Remove(i).into());
                        }
                    });
                }
            });
        });
    }
    if state.probes.loading() > 0 {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Finding faces in the probe photo…");
        });
    }
    if let Some(m) = &state.probes.message {
        ui.colored_label(ui.visuals().warn_fg_color, m);
    }
    if let Some(e) = state.results.error() {
        ui.colored_label(ui.visuals().error_fg_color, format!("Cannot search: {e}"));
    }
    let label = if state.probes.list.is_empty() {
        "Add probe photo…"
    } else {
        "Add another photo of this person…"
    };
    if ui.button(label).clicked() {
        commands.push(Pick::ProbeFiles.into());
    }
}
