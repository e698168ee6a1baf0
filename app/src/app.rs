//! The eframe application: drains workers in `logic`, draws in `ui`, applies the commands
//! the views returned, and saves the settings.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;

use crate::command::{Command, LayoutCommand};
use crate::jobs::probe::ProbeSource;
use crate::launch::Launch;
use crate::parts::gallery::GalleryCommand;
use crate::parts::probes::ProbeCommand;
use crate::parts::AppState;
use crate::settings::{self, Settings};
use crate::views;

pub struct FaceSorterApp {
    pub state: AppState,
    /// The settings file; `None` for an ephemeral run (tests, screenshots).
    settings_file: Option<PathBuf>,
    /// What the settings file holds, so it is written only when something changed.
    saved_json: Option<String>,
    applied_dark: Option<bool>,
    /// Images pasted so far, to name them.
    pasted: usize,
}

impl FaceSorterApp {
    pub fn new(cc: &eframe::CreationContext<'_>, launch: Launch) -> Self {
        let settings_file = (!launch.ephemeral)
            .then(settings::config_dir)
            .flatten()
            .map(|dir| dir.join(settings::SETTINGS_FILE));
        Self::with_settings_file(cc, launch, settings_file)
    }

    /// The window reading and writing its settings at `settings_file` (`None`: the
    /// defaults, nothing written). Tests use it to restart on a settings file of their own.
    pub fn with_settings_file(
        cc: &eframe::CreationContext<'_>,
        launch: Launch,
        settings_file: Option<PathBuf>,
    ) -> Self {
        egui_extras::install_image_loaders(&cc.egui_ctx);
        let loaded = settings_file
            .as_deref()
            .map_or_else(Settings::default, Settings::load);
        Self {
            saved_json: Some(loaded.to_json()),
            state: AppState::new(&cc.egui_ctx, loaded, launch),
            settings_file,
            applied_dark: None,
            pasted: 0,
        }
    }

    /// Writes the settings file if the settings changed since it was last written.
    pub fn save_settings(&mut self) {
        let Some(path) = &self.settings_file else {
            return;
        };
        self.state.remember_session();
        let json = self.state.settings.to_json();
        if self.saved_json.as_ref() == Some(&json) {
            return;
        }
        match self.state.settings.save(path) {
            Ok(()) => self.saved_json = Some(json),
            Err(e) => log::warn!("cannot save the settings to {}: {e}", path.display()),
        }
    }

    /// Files and folders dropped on the window, paths pasted outside a text field, and
    /// images pasted from the clipboard.
    fn take_input(&mut self, ctx: &egui::Context) -> Vec<Command> {
        let mut commands = Vec::new();
        let (dropped, pasted, pasted_images) = ctx.input(|i| {
            let mut pasted = Vec::new();
            let mut images = Vec::new();
            for e in &i.events {
                match e {
                    egui::Event::Paste(text) => pasted.push(text.clone()),
                    egui::Event::PasteImage(image) => images.push(std::sync::Arc::clone(image)),
                    _ => {}
                }
            }
            (i.raw.dropped_files.clone(), pasted, images)
        });
        let typing = ctx.egui_wants_keyboard_input();
        // Ctrl+V with an image on the clipboard (a screenshot, "Copy image" in a browser).
        for image in pasted_images {
            self.pasted += 1;
            commands.push(
                ProbeCommand::Add(ProbeSource::Pasted {
                    name: format!("pasted image {}", self.pasted),
                    image,
                })
                .into(),
            );
        }
        // Ctrl+, opens the settings, as in most desktop apps.
        if ctx.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Comma)) {
            commands.push(crate::parts::dialogs::DialogCommand::ShowSettings(true).into());
        }
        // Ctrl+B (as in file managers and editors) or F9 shows or hides the side panel.
        let toggle_panel = ctx.input_mut(|i| {
            i.consume_key(egui::Modifiers::COMMAND, egui::Key::B)
                | i.consume_key(egui::Modifiers::NONE, egui::Key::F9)
        });
        if toggle_panel {
            commands.push(LayoutCommand::SetPanelOpen(!self.state.settings.panel.open).into());
        }
        let paths = dropped.iter().map(|f| f.path().to_path_buf()).chain(
            pasted
                .into_iter()
                .filter(|_| !typing)
                .flat_map(|t| t.lines().map(|l| l.trim().into()).collect::<Vec<_>>())
                .map(|l: String| std::path::PathBuf::from(l.trim_start_matches("file://"))),
        );
        for path in paths {
            if path.is_dir() {
                commands.push(GalleryCommand::Open(path).into());
            } else if path.is_file() {
                commands.push(ProbeCommand::Add(ProbeSource::File(path)).into());
            }
        }
        commands
    }
}

impl eframe::App for FaceSorterApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        if self.applied_dark != Some(self.state.settings.dark_mode) {
            let dark = self.state.settings.dark_mode;
            ctx.set_theme(if dark {
                egui::Theme::Dark
            } else {
                egui::Theme::Light
            });
            self.applied_dark = Some(dark);
        }
        self.state.poll(ctx);
        for c in self.take_input(ctx) {
            self.state.apply(ctx, c);
        }
        if self.state.busy() {
            // Progress arrives by channel; this only keeps spinners turning.
            ctx.request_repaint_after(std::time::Duration::from_millis(250));
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let started = Instant::now();
        let mut commands = Vec::new();
        views::draw(ui, &mut self.state, &mut commands);
        let ctx = ui.ctx().clone();
        // What the user asked to keep is written at once, not at the next autosave (which
        // waits for a frame) or the window's close (which a crash skips).
        let save_now = commands.iter().any(|c| {
            matches!(
                c,
                Command::SaveEngineAsDefault
                    | Command::SetRestoreSession(_)
                    | Command::Dialog(crate::parts::dialogs::DialogCommand::ApplySettings(_))
            )
        });
        for c in commands {
            self.state.apply(&ctx, c);
        }
        if save_now {
            self.save_settings();
        }
        self.state.record_frame(started.elapsed());
    }

    /// eframe's own storage keeps only the window's size and position; the settings go
    /// to the app's settings file.
    fn save(&mut self, _storage: &mut dyn eframe::Storage) {
        self.save_settings();
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.save_settings();
        self.state.shutdown();
    }
}

/// Opens the window and runs until it is closed.
pub fn run(launch: Launch) -> anyhow::Result<()> {
    if cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none()
    {
        anyhow::bail!(
            "no display: neither DISPLAY nor WAYLAND_DISPLAY is set, so the window cannot open. \
             Run FaceSorter in a desktop session (or under Xvfb), or use the command line: facesorter --help"
        );
    }
    let viewport = egui::ViewportBuilder::default()
        .with_title("FaceSorter")
        .with_app_id("facesorter")
        .with_inner_size([1280.0, 820.0])
        .with_min_inner_size([720.0, 480.0])
        .with_drag_and_drop(true);
    let config_dir = settings::config_dir();
    if let Some(dir) = &config_dir {
        match settings::migrate_old_file(dir) {
            Ok(true) => log::info!("moved the old settings into {}", dir.display()),
            Ok(false) => {}
            Err(e) => log::warn!("cannot move the old settings file {}: {e}", dir.display()),
        }
    }
    let options = eframe::NativeOptions {
        viewport,
        persist_window: true,
        // eframe's file (window size and position) inside the config folder; the
        // settings have their own file beside it.
        persistence_path: config_dir.map(|d| d.join(settings::WINDOW_FILE)),
        ..Default::default()
    };
    eframe::run_native(
        "FaceSorter",
        options,
        Box::new(move |cc| Ok(Box::new(FaceSorterApp::new(cc, launch)))),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
    .context("opening the FaceSorter window")
}
