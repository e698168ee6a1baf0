//! Export: the folder (dialog or typed), copies of originals or not, progress, summary.

use std::path::PathBuf;

use crate::command::Command;
use crate::parts::dialogs::Pick;
use crate::parts::export::ExportCommand;
use crate::parts::AppState;

pub fn draw(ui: &mut egui::Ui, state: &mut AppState, commands: &mut Vec<Command>) {
    ui.heading("Export");
    ui.horizontal(|ui| {
        let label = ui.label("Export folder:");
        ui.add(
            egui::TextEdit::singleline(&mut state.settings.export_dir)
                .hint_text("a folder path")
                .desired_width(ui.available_width() - 80.0),
        )
        .labelled_by(label.id);
        if ui.button("Choose…").clicked() {
            commands.push(Pick::ExportFolder.into());
        }
    });
    let mut copy = state.settings.copy_originals;
    if ui
        .checkbox(&mut copy, "Also copy the original photos")
        .changed()
    {
        commands.push(ExportCommand::SetCopyOriginals(copy).into());
    }
    let n = state.results.shown_len();
    match state.export.running() {
        true => {
            let (done, total) = state.export.progress;
            ui.horizontal(|ui| {
                ui.add(
                    egui::ProgressBar::new(if total > 0 {
                        done as f32 / total as f32
                    } else {
                        0.0
                    })
                    .desired_width(ui.available_width() - 80.0)
                    .text(format!("{done}/{total} exported")),
                );
                if ui.button("Cancel export").clicked() {
                    commands.push(ExportCommand::Cancel.into());
                }
            });
        }
        false => {
            let enabled = n > 0 && !state.settings.export_dir.trim().is_empty();
            if ui
                .add_enabled(enabled, egui::Button::new(format!("Export {n} matches")))
                .clicked()
            {
                commands.push(ExportCommand::Start.into());
            }
        }
    }
    match &state.export.outcome {
        Some(Ok(summary)) => {
            ui.label(format!(
                "{} {} pair images, {} originals copied, matches.csv and matches.json{}",
                if summary.cancelled {
                    "Cancelled after"
                } else {
                    "Wrote"
                },
                summary.pairs,
                summary.copies,
                if summary.failed.is_empty() {
                    String::new()
                } else {
                    format!("; {} failed", summary.failed.len())
                }
            ));
            for (path, reason) in summary.failed.iter().take(10) {
                ui.weak(format!("{}: {reason}", path.display()));
            }
            if let Some(dir) = &state.export.dir {
                if ui.button("Open the export folder").clicked() {
                    commands.push(Command::OpenFolder(PathBuf::from(dir)));
                }
            }
        }
        Some(Err(e)) => {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        None => {}
    }
}
