//! The top bar: open a gallery (dialog, typed path, recent), add a probe, show or hide the
//! side panel, theme, settings. One row at every window size: as the window narrows the
//! title goes, then labels take short forms (named for screen readers and tests as
//! before, with the whole label on hover), and the path field takes the room left.

use std::path::PathBuf;

use crate::command::{Command, LayoutCommand};
use crate::parts::dialogs::{DialogCommand, Pick, Screen};
use crate::parts::gallery::GalleryCommand;
use crate::parts::AppState;

/// How much of the toolbar is spelled out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Room {
    /// Short forms.
    Narrow,
    /// Labels, no title.
    Medium,
    /// Everything, with the app's name.
    Wide,
}

impl Room {
    fn for_width(width: f32) -> Self {
        if width >= 1120.0 {
            Self::Wide
        } else if width >= 900.0 {
            Self::Medium
        } else {
            Self::Narrow
        }
    }
}

/// The narrowest the path field gets.
const MIN_FIELD: f32 = 80.0;

pub fn draw(ui: &mut egui::Ui, state: &mut AppState, commands: &mut Vec<Command>) {
    let room = Room::for_width(ui.available_width());
    // Width the buttons after the path field took last frame, to size the field.
    let trailing_id = ui.scope_id().with("toolbar-trailing");
    let reserve: f32 = ui.data(|d| d.get_temp(trailing_id)).unwrap_or(360.0);
    ui.horizontal(|ui| {
        if room == Room::Wide {
            ui.heading("FaceSorter");
            ui.separator();
        }
        if button(ui, room, "Gallery…", "Open gallery…").clicked() {
            commands.push(Pick::GalleryFolder.into());
        }
        let label = ui.label(if room == Room::Narrow {
            "Folder:"
        } else {
            "Gallery folder:"
        });
        let spacing = ui.spacing().item_spacing.x;
        let field = (ui.available_width() - reserve - spacing).max(MIN_FIELD);
        let edit = ui.add(
            egui::TextEdit::singleline(&mut state.gallery.path_text)
                .hint_text("type or paste a folder path")
                .desired_width(field),
        );
        // One accessible name at every width (the visible label may be the short one).
        let mut edit = if room == Room::Narrow {
            ui.ctx()
                .accesskit_node_builder(edit.id, |n| n.set_label("Gallery folder:"));
            edit
        } else {
            edit.labelled_by(label.id)
        };
        if !state.gallery.path_text.is_empty() {
            // The field may be narrower than the path.
            edit = edit.on_hover_text(state.gallery.path_text.clone());
        }
        let trailing_start = ui.cursor().min.x;
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
                    let text = p.display().to_string();
                    let shown = super::fit::elide_middle(&text, 70);
                    let item = ui.button(shown);
                    let clicked = item.clicked();
                    if text.chars().count() > 70 {
                        item.on_hover_text(&text);
                    }
                    if clicked {
                        commands.push(GalleryCommand::Open(p.clone()).into());
                        ui.close();
                    }
                }
            });
        }
        ui.separator();
        if button(ui, room, "Probe…", "Add probe photo…").clicked() {
            commands.push(Pick::ProbeFiles.into());
        }
        ui.separator();
        if super::side_panel_available(state) && state.dialogs.screen == Screen::Main {
            let open = state.settings.panel.open;
            let (short, label) = if open {
                ("«", "Hide panel")
            } else {
                ("»", "Show panel")
            };
            if button(ui, room, short, label)
                .on_hover_text("Show or hide the side panel (Ctrl+B or F9)")
                .clicked()
            {
                commands.push(LayoutCommand::SetPanelOpen(!open).into());
            }
        }
        let dark = state.settings.dark_mode;
        let (short, label) = if dark {
            ("Light", "Light theme")
        } else {
            ("Dark", "Dark theme")
        };
        if button(ui, room, short, label)
            .on_hover_text("Switch between the light and dark theme")
            .clicked()
        {
            commands.push(Command::SetDarkMode(!dark));
        }
        let in_settings = state.dialogs.screen == Screen::Settings;
        let settings = ui
            .selectable_label(in_settings, "Settings")
            .on_hover_text("Settings (Ctrl+,)");
        if settings.clicked() {
            commands.push(DialogCommand::ShowSettings(!in_settings).into());
        }
        let trailing = ui.min_rect().right() - trailing_start;
        if (trailing - reserve).abs() > 0.5 {
            ui.data_mut(|d| d.insert_temp(trailing_id, trailing));
            // The field was sized for last frame's buttons: lay out again.
            ui.ctx().request_discard("toolbar buttons changed width");
        }
    });
}

/// A button spelled out when there is room, its short form (named `label`) when not.
fn button(ui: &mut egui::Ui, room: Room, short: &str, label: &str) -> egui::Response {
    if room == Room::Narrow {
        let response = ui.button(short).on_hover_text(label);
        name(&response, label);
        response
    } else {
        ui.button(label)
    }
}

/// Gives a button its accessible name: the whole label, whatever form it shows.
fn name(response: &egui::Response, label: &str) {
    response
        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, response.enabled(), label));
}
