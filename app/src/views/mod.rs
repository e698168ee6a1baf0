//! Drawing. Each view reads the state and pushes [`Command`]s; only form buffers (text
//! fields, the settings draft) are edited in place.

mod empty;
mod export;
pub mod fit;
mod gallery;
mod histogram;
mod notices;
mod people;
mod photo_view;
mod probe;
mod results;
mod settings;
mod status;
mod threshold;
mod toolbar;

use crate::command::{Command, LayoutCommand};
use crate::parts::dialogs::Screen;
use crate::parts::people::{MainView, PeopleCommand};
use crate::parts::AppState;
use crate::settings::PanelLayout;

/// The side panel's id salt (its width is kept by egui under it, and by the settings).
const SIDE_PANEL: &str = "query";
/// Room the results keep beside the panel: two cells of the default size and a scroll bar.
const RESULTS_MIN_WIDTH: f32 = 460.0;

pub fn draw(ui: &mut egui::Ui, state: &mut AppState, commands: &mut Vec<Command>) {
    let toolbar = egui::Panel::top("toolbar").show(ui, |ui| toolbar::draw(ui, state, commands));
    state.layout.toolbar = Some(toolbar.response.rect);
    let status = egui::Panel::bottom("status").show(ui, |ui| status::draw(ui, state, commands));
    state.layout.status = Some(status.response.rect);
    if notices::any(state) {
        egui::Panel::top("notices").show(ui, |ui| notices::draw(ui, state, commands));
    }
    state.layout.panel = None;
    if state.dialogs.screen == Screen::Settings {
        egui::Panel::bottom("start-up").show(ui, |ui| notices::start_up(ui, state, commands));
        let central =
            egui::CentralPanel::default().show(ui, |ui| settings::draw(ui, state, commands));
        state.layout.central = Some(central.response.rect);
        return;
    }
    let has_gallery = state.gallery.gallery.is_some();
    let people = state.people.view == MainView::People;
    if !people && side_panel_available(state) {
        side_panel(ui, state, commands);
    }
    let central = egui::CentralPanel::default().show(ui, |ui| {
        if has_gallery || people {
            view_switch(ui, state, commands);
        }
        if people {
            people::draw(ui, state, commands);
        } else if state.results.photo_open() {
            photo_view::draw(ui, state, commands);
        } else if state.results.has_ranking() {
            results::draw(ui, state, commands);
        } else {
            // Scrolls when the window is too low for the first steps.
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    if has_gallery {
                        gallery::draw(ui, state, commands);
                        ui.separator();
                    }
                    empty::draw(ui, state, commands);
                });
        }
    });
    state.layout.central = Some(central.response.rect);
}

/// Find | People: the probe search, or the gallery's persons.
fn view_switch(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let view = state.people.view;
    ui.horizontal(|ui| {
        for (v, text, hover) in [
            (
                MainView::Find,
                "Find",
                "Search the gallery for the person of a probe photo",
            ),
            (
                MainView::People,
                "People",
                "Every person of the gallery, sorted by face",
            ),
        ] {
            let r = ui
                .add(egui::Button::selectable(view == v, text).frame_when_inactive(true))
                .on_hover_text(hover);
            if r.clicked() && view != v {
                commands.push(PeopleCommand::ShowView(v).into());
            }
        }
    });
    ui.separator();
}

/// The side panel exists once there is something to show in it.
pub fn side_panel_available(state: &AppState) -> bool {
    state.gallery.gallery.is_some() || !state.probes.list.is_empty()
}

/// The query, threshold and export, in a panel of bounded width that the user resizes
/// (remembered) or hides (Ctrl+B, F9, the toolbar, or a drag past its minimum).
fn side_panel(ui: &mut egui::Ui, state: &mut AppState, commands: &mut Vec<Command>) {
    let saved = state.settings.panel;
    // In a narrow window the panel gives way (down to its minimum) so the results keep
    // two columns; the width the user chose comes back when the window widens.
    let (min, max) = (
        *PanelLayout::WIDTH_RANGE.start(),
        *PanelLayout::WIDTH_RANGE.end(),
    );
    let max = (ui.available_width() - RESULTS_MIN_WIDTH).clamp(min, max);
    let width = saved.clamped_width().min(max);
    // The settings hold the width, egui's memory the one it lays out (restored by eframe
    // from its own file, or squeezed by a narrow window): the settings win, except while
    // the user drags the edge. egui names the edge after the panel.
    let id = ui.scope_id().with(SIDE_PANEL);
    let edge = id.with("__resize");
    let dragged = ui
        .ctx()
        .read_response(edge)
        .is_some_and(|r| r.dragged() || r.drag_stopped());
    if !dragged {
        let outer_rect = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(width, 1.0));
        ui.ctx().data_mut(|d| {
            d.insert_persisted(id, egui::containers::panel::PanelState { outer_rect });
        });
    }
    let mut open = saved.open;
    let shown = egui::Panel::left(SIDE_PANEL)
        .resizable(true)
        .size_range(min..=max)
        .default_size(width)
        .show_collapsible(ui, &mut open, |ui| panel_contents(ui, state, commands));
    if open != saved.open {
        commands.push(LayoutCommand::SetPanelOpen(open).into());
    }
    let Some(shown) = shown else {
        return;
    };
    let rect = shown.response.rect;
    state.layout.panel = Some(rect);
    // Only the user's drag of the edge sets the width.
    if open && dragged && (rect.width() - saved.width).abs() > 0.5 {
        commands.push(LayoutCommand::SetPanelWidth(rect.width()).into());
    }
    resize_grip(ui, rect);
}

/// The panel's contents in a child the content cannot widen: whatever asks for more room
/// than the panel has is clipped, and the panel reports only its own size.
fn panel_contents(ui: &mut egui::Ui, state: &mut AppState, commands: &mut Vec<Command>) {
    let rect = ui.max_rect();
    let mut child = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(rect)
            .layout(egui::Layout::top_down(egui::Align::Min)),
    );
    child.shrink_clip_rect(rect);
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(&mut child, |ui| {
            ui.set_max_width(ui.available_width());
            probe::draw(ui, state, commands);
            ui.separator();
            threshold::draw(ui, state, commands);
            ui.separator();
            export::draw(ui, state, commands);
        });
    ui.allocate_rect(rect, egui::Sense::hover());
}

/// A visible handle in the middle of the panel's edge (egui shows the edge only on hover).
fn resize_grip(ui: &egui::Ui, panel: egui::Rect) {
    let painter = ui.ctx().layer_painter(egui::LayerId::new(
        egui::Order::Middle,
        egui::Id::unique("side-panel-grip"),
    ));
    let center = egui::pos2(panel.right(), panel.center().y);
    let grip = egui::Rect::from_center_size(center, egui::vec2(6.0, 36.0));
    let visuals = ui.visuals();
    painter.rect_filled(grip, 3.0, visuals.widgets.inactive.bg_fill);
    for dy in [-8.0, 0.0, 8.0] {
        painter.circle_filled(
            center + egui::vec2(0.0, dy),
            1.5,
            visuals.widgets.inactive.fg_stroke.color,
        );
    }
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
