//! The strip under the toolbar: why an action could not happen now and what will happen
//! instead (a gallery or probe waiting for a model, a folder that is none, a dialog
//! already open, paths of the last session that are gone), and the offer to save engine
//! flags as the default. Also the start-up options under the settings screen.

use crate::command::Command;
use crate::parts::dialogs::DialogCommand;
use crate::parts::engine::EngineStatus;
use crate::parts::notices::NoticeKind;
use crate::parts::AppState;

/// The label of the button that saves the command line's engine options.
pub const SAVE_ENGINE: &str = "Save these engine options as default";

/// Whether there is anything to show.
pub fn any(state: &AppState) -> bool {
    waiting(state).is_some()
        || state.gallery.notice.is_some()
        || state.dialogs.message.is_some()
        || !state.notices.is_empty()
}

/// What waits for a model, and why, while none is loaded.
pub fn waiting(state: &AppState) -> Option<String> {
    if state.engine.ready().is_some() {
        return None;
    }
    let gallery = state.gallery.pending();
    let probes = state.probes.waiting();
    let what = match (gallery, probes) {
        (None, 0) => return None,
        (Some(g), 0) => format!("the gallery {} will be indexed", g.display()),
        (None, n) => format!("{} will be analysed", photos(n)),
        (Some(g), n) => format!(
            "the gallery {} will be indexed and {} analysed",
            g.display(),
            photos(n)
        ),
    };
    Some(match state.engine.status {
        EngineStatus::Starting => format!("Loading the models: {what} once they are loaded."),
        _ => format!("No model is loaded: {what} once a model is loaded — Settings."),
    })
}

fn photos(n: usize) -> String {
    if n == 1 {
        "the probe photo".into()
    } else {
        format!("{n} probe photos")
    }
}

pub fn draw(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let warn = ui.visuals().warn_fg_color;
    if let Some(text) = waiting(state) {
        row(ui, |ui| {
            ui.colored_label(warn, text);
            if matches!(state.engine.status, EngineStatus::Failed(_))
                && ui.button("Settings…").clicked()
            {
                commands.push(DialogCommand::ShowSettings(true).into());
            }
        });
    }
    if let Some(text) = &state.gallery.notice {
        row(ui, |ui| {
            ui.colored_label(warn, format!("Cannot open: {text}"));
        });
    }
    if let Some(text) = &state.dialogs.message {
        row(ui, |ui| {
            ui.colored_label(ui.visuals().error_fg_color, text);
        });
    }
    for notice in state.notices.iter() {
        row(ui, |ui| {
            ui.label(&notice.text);
            if notice.kind == NoticeKind::EngineFlags && state.flags_engine.is_some() {
                save_engine_button(ui, state, commands);
            }
            if ui.small_button("×").on_hover_text("Dismiss").clicked() {
                commands.push(Command::DismissNotice(notice.kind));
            }
        });
    }
}

/// One notice: wrapped onto more lines when the window is narrow (the strip grows; the
/// toolbar above it does not).
fn row(ui: &mut egui::Ui, add: impl FnOnce(&mut egui::Ui)) {
    ui.horizontal_wrapped(add);
}

fn save_engine_button(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let Some(options) = &state.flags_engine else {
        return;
    };
    let model = options
        .recognizer
        .as_ref()
        .map_or("the default recognizer".to_string(), |m| format!("{m:?}"));
    if ui
        .button(SAVE_ENGINE)
        .on_hover_text(format!(
            "Writes the options this window was started with ({model}, provider {}, \
             precision {}) to the settings, so a start without flags uses them",
            options
                .provider
                .ep
                .map_or("automatic".to_string(), |e| e.to_string()),
            options
                .provider
                .precision
                .map_or("automatic".to_string(), |p| p.to_string()),
        ))
        .clicked()
    {
        commands.push(Command::SaveEngineAsDefault);
    }
}

/// Under the settings screen: what happens at start.
pub fn start_up(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    ui.horizontal_wrapped(|ui| {
        ui.strong("At start");
        let mut restore = state.settings.restore_session;
        if ui
            .checkbox(
                &mut restore,
                "Reopen the last gallery, probe photos and threshold",
            )
            .on_hover_text("Paths given on the command line open instead")
            .changed()
        {
            commands.push(Command::SetRestoreSession(restore));
        }
        if state.flags_engine.is_some() {
            save_engine_button(ui, state, commands);
        }
    });
}
