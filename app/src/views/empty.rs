//! The start screen: the three steps, each ticked when done, recent galleries, and what
//! stops the engine (with its fix and, for a missing known model, a download button).

use crate::command::Command;
use crate::parts::dialogs::{DialogCommand, Pick};
use crate::parts::download::DownloadCommand;
use crate::parts::engine::EngineStatus;
use crate::parts::gallery::GalleryCommand;
use crate::parts::AppState;

pub fn draw(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    engine_problem(ui, state, commands);
    ui.add_space(12.0);
    let gallery_done = state.gallery.gallery.is_some();
    let probe_done = !state.probes.list.is_empty();
    ui.vertical_centered(|ui| {
        ui.heading("Find every photo of someone in your album");
        ui.add_space(16.0);
    });
    step(ui, 1, gallery_done, "Open a gallery folder", |ui| {
        ui.label("Use “Open gallery…”, type or paste its path above, or drop the folder on this window. Its faces are indexed in the background.");
        if ui.button("Open gallery…").clicked() {
            commands.push(Pick::GalleryFolder.into());
        }
        if !state.settings.recent_galleries.is_empty() {
            ui.label("Recent:");
            for p in &state.settings.recent_galleries {
                if ui.link(super::short_path(p)).clicked() {
                    commands.push(GalleryCommand::Open(p.clone()).into());
                }
            }
        }
    });
    step(ui, 2, probe_done, "Add a photo of the person", |ui| {
        ui.label("Drop a photo on this window, paste an image (Ctrl+V) or use “Add probe photo…”. Click a face to choose it; add more photos of the same person to sharpen the search.");
        if state.probes.loading() > 0 {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Finding faces in the probe photo…");
            });
        } else if ui.button("Add probe photo…").clicked() {
            commands.push(Pick::ProbeFiles.into());
        }
        if let Some(m) = &state.probes.message {
            ui.colored_label(ui.visuals().warn_fg_color, m);
        }
    });
    step(ui, 3, false, "Set the threshold, then export", |ui| {
        ui.label("Matches appear sorted by similarity. Move the threshold to keep the right ones, then export the pairs to a folder.");
    });
}

fn step(ui: &mut egui::Ui, n: usize, done: bool, title: &str, body: impl FnOnce(&mut egui::Ui)) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width().min(640.0));
        ui.horizontal(|ui| {
            let mark = if done {
                "Done:".to_string()
            } else {
                format!("{n}.")
            };
            ui.heading(mark);
            ui.heading(title);
        });
        body(ui);
    });
    ui.add_space(8.0);
}

fn engine_problem(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let EngineStatus::Failed(failure) = &state.engine.status else {
        return;
    };
    egui::Frame::group(ui.style())
        .stroke(egui::Stroke::new(1.0, ui.visuals().error_fg_color))
        .show(ui, |ui| {
            ui.colored_label(
                ui.visuals().error_fg_color,
                "FaceSorter cannot start its engine",
            );
            ui.label(&failure.message);
            if let Some(id) = &failure.missing_model {
                let d = &state.download;
                if d.running() {
                    download_progress(ui, state);
                    if ui.button("Cancel download").clicked() {
                        commands.push(DownloadCommand::Cancel.into());
                    }
                } else if ui.button(format!("Download {id}")).clicked() {
                    commands.push(DownloadCommand::Start(id.clone()).into());
                }
            }
            if let Some(m) = &state.download.message {
                ui.label(m);
            }
            if ui.button("Settings…").clicked() {
                commands.push(DialogCommand::ShowSettings(true).into());
            }
        });
}

pub fn download_progress(ui: &mut egui::Ui, state: &AppState) {
    let d = &state.download;
    let (done, total) = d
        .progress
        .map_or((0, None), |p| (p.bytes_done, p.bytes_total));
    let mb = |b: u64| b as f64 / 1e6;
    match total {
        Some(t) if t > 0 => {
            ui.add(egui::ProgressBar::new(done as f32 / t as f32).text(format!(
                "{}: {:.1} / {:.1} MB",
                d.id,
                mb(done),
                mb(t)
            )));
        }
        _ => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("{}: {:.1} MB", d.id, mb(done)));
            });
        }
    }
}
