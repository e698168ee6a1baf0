//! The bottom bar: the engine, indexing progress with Cancel, the last frame's time.

use crate::command::Command;
use crate::parts::engine::EngineStatus;
use crate::parts::gallery::GalleryCommand;
use crate::parts::AppState;

pub fn draw(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        match &state.engine.status {
            EngineStatus::Starting => {
                ui.spinner();
                ui.label("Loading the models…");
            }
            EngineStatus::Ready(engine) => {
                let p = engine.provider();
                ui.label(format!(
                    "Engine: {} on {} {}",
                    engine.recognizer_model().name(),
                    p.ep,
                    p.precision
                ));
            }
            EngineStatus::Failed(_) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    "Engine not running (see above)",
                );
            }
        }
        if let Some(g) = &state.gallery.gallery {
            ui.separator();
            if g.indexing() {
                let p = &g.progress;
                let fraction = if p.photos_total > 0 {
                    p.photos_done as f32 / p.photos_total as f32
                } else {
                    0.0
                };
                let eta = p
                    .eta
                    .map(|d| format!(", {} left", format_duration(d.as_secs())))
                    .unwrap_or_default();
                let text = format!(
                    "{}: {}/{} photos, {} faces, {:.1} photos/s{eta}",
                    p.phase.label(),
                    p.photos_done,
                    p.photos_total,
                    p.faces_found,
                    p.photos_per_second
                );
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .desired_width(ui.available_width() - 200.0)
                        .text(text),
                );
                if ui.button("Cancel indexing").clicked() {
                    commands.push(GalleryCommand::CancelIndexing.into());
                }
            } else if let Some(album) = &g.album {
                ui.label(format!(
                    "{}: {} photos, {} faces",
                    super::short_path(&g.root),
                    album.photos().len(),
                    album.faces().len()
                ));
            }
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.weak(format!(
                "frame {:.1} ms",
                state.frames.last.as_secs_f64() * 1000.0
            ));
        });
    });
}

pub fn format_duration(secs: u64) -> String {
    if secs >= 3600 {
        format!("{}h {:02}m", secs / 3600, (secs % 3600) / 60)
    } else if secs >= 60 {
        format!("{}m {:02}s", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}
