//! The eframe application: drains workers in `logic`, draws in `ui`, applies the commands
//! the views returned, and saves the persisted state.

use std::time::Instant;

use anyhow::Context as _;

use crate::command::Command;
use crate::jobs::probe::ProbeSource;
use crate::launch::Launch;
use crate::settings::{Persisted, STORAGE_KEY};
use crate::state::AppState;
use crate::views;

pub struct FaceSorterApp {
    pub state: AppState,
    ephemeral: bool,
    applied_dark: Option<bool>,
    /// Images pasted so far, to name them.
    pasted: usize,
}

impl FaceSorterApp {
    pub fn new(cc: &eframe::CreationContext<'_>, launch: Launch) -> Self {
        egui_extras::install_image_loaders(&cc.egui_ctx);
        let persisted = match (launch.ephemeral, cc.storage) {
            (false, Some(storage)) => {
                eframe::get_value::<Persisted>(storage, STORAGE_KEY).unwrap_or_default()
            }
            _ => Persisted::default(),
        };
        let ephemeral = launch.ephemeral;
        Self {
            state: AppState::new(&cc.egui_ctx, persisted, launch),
            ephemeral,
            applied_dark: None,
            pasted: 0,
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
            commands.push(Command::AddProbe(ProbeSource::Pasted {
                name: format!("pasted image {}", self.pasted),
                image,
            }));
        }
        // Ctrl+, opens the settings, as in most desktop apps.
        if ctx.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Comma)) {
            commands.push(Command::ShowSettings(true));
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
                commands.push(Command::OpenGallery(path));
            } else if path.is_file() {
                commands.push(Command::AddProbe(ProbeSource::File(path)));
            }
        }
        commands
    }
}

impl eframe::App for FaceSorterApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        if self.applied_dark != Some(self.state.persisted.dark_mode) {
            let dark = self.state.persisted.dark_mode;
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
        if self.state.indexing() || self.state.probes_loading() > 0 {
            // Progress arrives by channel; this only keeps spinners turning.
            ctx.request_repaint_after(std::time::Duration::from_millis(250));
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let started = Instant::now();
        let mut commands = Vec::new();
        views::draw(ui, &mut self.state, &mut commands);
        let ctx = ui.ctx().clone();
        for c in commands {
            self.state.apply(&ctx, c);
        }
        self.state.record_frame(started.elapsed());
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if !self.ephemeral {
            eframe::set_value(storage, STORAGE_KEY, &self.state.persisted);
        }
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
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
    let options = eframe::NativeOptions {
        viewport,
        persist_window: true,
        persistence_path: directories::ProjectDirs::from("", "", "facesorter")
            .map(|d| d.config_dir().to_path_buf()),
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
