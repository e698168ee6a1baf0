//! The top bar: open a gallery (dialog, typed path, recent), add a probe, settings, theme.

use std::path::PathBuf;

use crate::command::Command;
use crate::parts::dialogs::{DialogCommand, Pick, Screen};
use crate::parts::gallery::GalleryCommand;
use crate::parts::AppState;

pub fn draw(ui: &mut egui::Ui, state: &mut AppState, commands: &mut Vec<Command>) {
    ui.horizontal_wrapped(|ui| {
        ui.heading("FaceSorter");
        ui.separator();
        if ui.button("Open gallery…").clicked() {
            commands.push(Pick::GalleryFolder.into());
        }
        let label = ui.label("Gallery folder:");
        let edit = ui
            .add(
                egui::TextEdit::singleline(&mut state.gallery.path_text)
                    .hint_text("type or paste a folder path")
                    .desired_width(260.0),
            )
            .labelled_by(label.id);
        let entered = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if ui.button("Open").clicked() || entered {
            let text = state.gallery.path_text.trim();
            if !text.is_empty() {
                commands.push(GalleryCommand::Open(PathBuf::from(text)).into());
            }
        }
        if !state.settings.recent_galleries.is_empty() {
            ui.menu_button("Recent", |ui| {
                for p in &state.settings.recent_galleries {
                    if ui.button(super::short_path(p)).clicked() {
                        commands.push(GalleryCommand::Open(p.clone()).into());
                        ui.close();
                    }
                }
            });
        }
        ui.separator();
        if ui.button("Add probe photo…").clicked() {
            commands.push(Pick::ProbeFiles.into());
        }
        ui.separator();
        let dark = state.settings.dark_mode;
        if ui
            .button(if dark { "Light theme" } else { "Dark theme" })
            .on_hover_text("Switch between the light and dark theme")
            .clicked()
        {
            commands.push(Command::SetDarkMode(!dark));
        }
        if let Some(m) = &state.dialogs.message {
            ui.colored_label(ui.visuals().error_fg_color, m);
        }
        let in_settings = state.dialogs.screen == Screen::Settings;
        if ui.selectable_label(in_settings, "Settings").clicked() {
            commands.push(DialogCommand::ShowSettings(!in_settings).into());
        }
    });
}
