//! Export: the folder (dialog or typed), copies of originals or not, the pair size,
//! progress, and what was written where. Long texts wrap or are cut with the whole text on
//! hover: nothing here may widen the side panel.

use facesorter_core::export::PairSize;

use crate::command::Command;
use crate::parts::dialogs::Pick;
use crate::parts::export::ExportCommand;
use crate::parts::AppState;

pub fn draw(ui: &mut egui::Ui, state: &mut AppState, commands: &mut Vec<Command>) {
    ui.heading("Export");
    ui.horizontal(|ui| {
        let label = ui.label("Export folder:");
        // The button from the right, the field in the room left: never wider than the row.
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button("Choose…").clicked() {
                commands.push(Pick::ExportFolder.into());
            }
            ui.add(
                egui::TextEdit::singleline(&mut state.settings.export_dir)
                    .hint_text("a folder path")
                    .desired_width(ui.available_width()),
            )
            .labelled_by(label.id);
        });
    });
    let mut copy = state.settings.copy_originals;
    if ui
        .checkbox(&mut copy, "Also copy the original photos")
        .changed()
    {
        commands.push(ExportCommand::SetCopyOriginals(copy).into());
    }
    ui.horizontal(|ui| {
        ui.label("Pair images:");
        for size in PairSize::ALL {
            let (text, hover) = match size {
                PairSize::Normal => ("Normal", "Photo panels 400 px high"),
                PairSize::Large => ("Large", "Photo panels 800 px high, text twice as large"),
            };
            let selected = state.export.pair_size == size;
            if ui.radio(selected, text).on_hover_text(hover).clicked() && !selected {
                commands.push(ExportCommand::SetPairSize(size).into());
            }
        }
    });
    let n = state.results.shown_len();
    match state.export.running() {
        true => {
            let (done, total) = state.export.progress;
            // The button first (from the right), then the bar in the room it leaves: a bar
            // sized by a guess at the button's width overflowed the row, and the side panel
            // grew to fit it a little more every frame of the export.
            ui.horizontal(|ui| {
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if ui.button("Cancel export").clicked() {
                        commands.push(ExportCommand::Cancel.into());
                    }
                    ui.add(
                        egui::ProgressBar::new(if total > 0 {
                            done as f32 / total as f32
                        } else {
                            0.0
                        })
                        .desired_width(ui.available_width())
                        .text(format!("{done}/{total} exported")),
                    );
                });
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
            let verb = if summary.cancelled {
                "Cancelled after writing"
            } else {
                "Wrote"
            };
            ui.add(egui::Label::new(format!("{verb} {} into:", summary.files_text())).wrap());
            // The folder on one line, cut to the panel; egui shows the whole path on hover.
            ui.add(egui::Label::new(summary.folder.display().to_string()).truncate());
            if let Some(asked) = &summary.subfolder_of {
                ui.add(
                    egui::Label::new(format!(
                        "A new folder, since {} already held files.",
                        asked.display()
                    ))
                    .wrap(),
                );
            }
            if !summary.failed.is_empty() {
                ui.add(
                    egui::Label::new(format!("{} could not be written:", summary.failed.len()))
                        .wrap(),
                );
                for (path, reason) in summary.failed.iter().take(10) {
                    ui.add(
                        egui::Label::new(
                            egui::RichText::new(format!("{}: {reason}", path.display())).weak(),
                        )
                        .wrap(),
                    );
                }
            }
            if ui.button("Open the export folder").clicked() {
                commands.push(ExportCommand::OpenFolder.into());
            }
            if let Some(e) = &state.export.open_error {
                ui.add(
                    egui::Label::new(egui::RichText::new(e).color(ui.visuals().error_fg_color))
                        .wrap(),
                );
            }
        }
        Some(Err(e)) => {
            ui.add(
                egui::Label::new(egui::RichText::new(e).color(ui.visuals().error_fg_color)).wrap(),
            );
        }
        None => {}
    }
}
