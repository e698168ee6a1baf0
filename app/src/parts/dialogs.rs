//! Dialogs: the native file pickers (each on its own thread: it blocks until the user
//! answers), and the settings screen with its draft of the engine options.

use std::path::PathBuf;

use facesorter_core::engine::EngineOptions;

use crate::jobs::Job;

/// What a native dialog is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    GalleryFolder,
    ProbeFiles,
    ExportFolder,
    CustomModel,
    /// The folder to sort the album into (People view).
    SortFolder,
}

/// What the user picked (a cancelled dialog picks nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Picked {
    GalleryFolder(PathBuf),
    ProbeFiles(Vec<PathBuf>),
    ExportFolder(PathBuf),
    CustomModel(PathBuf),
    SortFolder(PathBuf),
}

#[must_use]
#[derive(Debug, Clone)]
pub enum DialogCommand {
    Pick(Pick),
    ShowSettings(bool),
    ApplySettings(EngineOptions),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Main,
    Settings,
}

pub struct Dialogs {
    job: Option<Job<Option<Picked>>>,
    pub screen: Screen,
    /// The settings form, applied with a button.
    pub settings_draft: EngineOptions,
    /// Why the last dialog failed.
    pub message: Option<String>,
}

impl Dialogs {
    pub fn new(options: EngineOptions) -> Self {
        Self {
            job: None,
            screen: Screen::Main,
            settings_draft: options,
            message: None,
        }
    }

    /// Shows the settings screen with a draft of `current`, or goes back.
    pub fn show_settings(&mut self, show: bool, current: &EngineOptions) {
        if show {
            self.settings_draft = current.clone();
        }
        self.screen = if show { Screen::Settings } else { Screen::Main };
    }

    /// Opens a native dialog (one at a time); `false` when one is open already.
    pub fn pick(&mut self, ctx: &egui::Context, what: Pick) -> bool {
        if self.job.is_some() {
            return false;
        }
        self.message = None;
        self.job = Some(Job::spawn(ctx, "dialog", move |out, _| {
            out.send(show(rfd::FileDialog::new(), what));
        }));
        true
    }

    /// What was picked since the last frame. A picked custom model goes into the draft.
    pub fn poll(&mut self) -> Vec<Picked> {
        let Some(job) = &self.job else {
            return Vec::new();
        };
        let (answers, end) = job.drain();
        if answers.is_empty() && !end.is_over() {
            return Vec::new();
        }
        if answers.is_empty() {
            self.message = Some(end.failure("The file dialog"));
        }
        self.job = None;
        let mut picked = Vec::new();
        for p in answers.into_iter().flatten() {
            match p {
                Picked::CustomModel(path) => {
                    self.settings_draft.recognizer =
                        Some(facesorter_core::models::ModelSpec::Path(path));
                }
                other => picked.push(other),
            }
        }
        picked
    }
}

fn show(dialog: rfd::FileDialog, what: Pick) -> Option<Picked> {
    match what {
        Pick::GalleryFolder => dialog
            .set_title("Open a gallery folder")
            .pick_folder()
            .map(Picked::GalleryFolder),
        Pick::ProbeFiles => dialog
            .set_title("Add probe photos")
            .add_filter(
                "Photos",
                &["jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff"],
            )
            .pick_files()
            .map(Picked::ProbeFiles),
        Pick::ExportFolder => dialog
            .set_title("Export matches into")
            .pick_folder()
            .map(Picked::ExportFolder),
        Pick::CustomModel => dialog
            .set_title("Choose a recognizer (.onnx)")
            .add_filter("ONNX model", &["onnx"])
            .pick_file()
            .map(Picked::CustomModel),
        Pick::SortFolder => dialog
            .set_title("Sort the album into folders in")
            .pick_folder()
            .map(Picked::SortFolder),
    }
}
