//! Drawing. Each view reads the state and pushes [`Command`]s; only form buffers (text
//! fields, the settings draft) are edited in place.

mod empty;
mod export;
mod gallery;
mod histogram;
mod photo_view;
mod probe;
mod results;
mod settings;
mod status;
mod threshold;
mod toolbar;

use crate::command::Command;
use crate::parts::dialogs::Screen;
use crate::parts::AppState;

pub fn draw(ui: &mut egui::Ui, state: &mut AppState, commands: &mut Vec<Command>) {
    egui::Panel::top("toolbar").show(ui, |ui| toolbar::draw(ui, state, commands));
    egui::Panel::bottom("status").show(ui, |ui| status::draw(ui, state, commands));
    if state.dialogs.screen == Screen::Settings {
        egui::CentralPanel::default().show(ui, |ui| settings::draw(ui, state, commands));
        return;
    }
    let has_gallery = state.gallery.gallery.is_some();
    if has_gallery || !state.probes.list.is_empty() {
        egui::Panel::left("query")
            .resizable(true)
            .default_size(320.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    probe::draw(ui, state, commands);
                    ui.separator();
                    threshold::draw(ui, state, commands);
                    ui.separator();
                    export::draw(ui, state, commands);
                });
            });
    }
    egui::CentralPanel::default().show(ui, |ui| {
        if state.results.photo_open() {
            photo_view::draw(ui, state, commands);
        } else if state.results.has_ranking() {
            results::draw(ui, state, commands);
        } else {
            if has_gallery {
                gallery::draw(ui, state, commands);
                ui.separator();
            }
            empty::draw(ui, state, commands);
        }
    });
}

/// A path shortened for a label.
pub fn short_path(path: &std::path::Path) -> String {
    let s = path.display().to_string();
    if s.chars().count() > 60 {
        let tail: String = s
            .chars()
            .rev()
            .take(57)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("…{tail}")
    } else {
        s
    }
}
