//! The window's state, split by concern. Each part owns its fields, drains its own worker
//! channel and applies its own commands; [`AppState`] only routes commands to the part
//! that owns them and passes what one part produced to the next (an album or probe faces
//! to the results, a ready engine to the gallery and probes).

pub mod dialogs;
pub mod download;
pub mod engine;
pub mod export;
pub mod folder;
pub mod gallery;
pub mod notices;
pub mod people;
pub mod probes;
pub mod results;
pub mod session;

use std::path::PathBuf;
use std::time::Duration;

use facesorter_core::engine::{EngineOptions, FALLBACK_THRESHOLD};

use crate::command::{Command, LayoutCommand};
use crate::jobs::probe::ProbeSource;
use crate::launch::Launch;
use crate::settings::Settings;
use crate::thumbnails::Thumbnails;
use dialogs::{DialogCommand, Dialogs, Picked};
use download::DownloadPart;
use engine::EnginePart;
use export::{ExportCommand, ExportPart};
use gallery::{GalleryCommand, GalleryPart};
use notices::{NoticeKind, Notices};
use people::{MainView, PeopleCommand, PeoplePart};
use probes::{ProbeCommand, Probes};
use results::{Results, ResultsCommand};

/// Decoded thumbnails kept in memory (textures), at most.
const THUMBNAIL_BUDGET_BYTES: usize = 256 << 20;

/// Time spent building each frame, the slowest while indexing.
#[derive(Debug, Clone, Copy, Default)]
pub struct FrameStats {
    pub last: Duration,
    pub worst: Duration,
    pub worst_while_indexing: Duration,
    pub frames_while_indexing: u64,
    /// The slowest frame while the people were being clustered (People view).
    pub worst_while_clustering: Duration,
    pub frames_while_clustering: u64,
}

pub struct AppState {
    /// What is saved between runs.
    pub settings: Settings,
    pub engine: EnginePart,
    pub gallery: GalleryPart,
    pub probes: Probes,
    pub results: Results,
    pub export: ExportPart,
    pub download: DownloadPart,
    pub dialogs: Dialogs,
    pub thumbs: Thumbnails,
    pub frames: FrameStats,
    pub notices: Notices,
    /// The People view.
    pub people: PeoplePart,
    /// Where the last frame put the side panel and the central area.
    pub layout: LayoutReadout,
    /// Engine options from command-line flags that differ from the saved ones: offered
    /// as the default until saved.
    pub flags_engine: Option<EngineOptions>,
    /// The remembered threshold and its recognizer, used once the engine is ready if it
    /// runs that recognizer.
    restore_threshold: Option<(f32, String)>,
}

/// The rectangles of the last frame's layout (what tests and the panel width read).
#[derive(Debug, Clone, Copy, Default)]
pub struct LayoutReadout {
    pub toolbar: Option<egui::Rect>,
    pub status: Option<egui::Rect>,
    /// The side panel's outer rectangle, when shown.
    pub panel: Option<egui::Rect>,
    /// The central area (results, photo view, or the first steps).
    pub central: Option<egui::Rect>,
}

impl AppState {
    pub fn new(ctx: &egui::Context, settings: Settings, launch: Launch) -> Self {
        // Engine flags on the command line are for this run only: the saved settings
        // change only through the Settings screen.
        // They can be saved as the default with a button (see `flags_engine`).
        let plan = session::plan(&settings, &launch);
        // (Not for an ephemeral run, which has no settings file to save them in.)
        let flags_engine = launch
            .engine
            .clone()
            .filter(|o| !launch.ephemeral && *o != settings.engine);
        let options = launch.engine.unwrap_or_else(|| settings.engine.clone());
        let mut results = Results::new(FALLBACK_THRESHOLD);
        results.set_min_quality(settings.min_quality());
        results.apply(ResultsCommand::SetThumbSize(settings.thumb_size));
        let mut export = ExportPart::default();
        export.pair_size = settings.pair_size;
        let mut notices = Notices::default();
        if let Some(text) = session::missing_notice(&plan.missing) {
            notices.set(NoticeKind::SessionSkipped, text);
        }
        if flags_engine.is_some() {
            notices.set(
                NoticeKind::EngineFlags,
                "This window runs with engine options from the command line; \
                 the next start without flags uses the saved ones.",
            );
        }
        let view = if launch.people {
            MainView::People
        } else {
            MainView::Find
        };
        Self {
            people: PeoplePart::new(view, launch.threshold),
            engine: EnginePart::start(ctx, options.clone()),
            dialogs: Dialogs::new(options),
            gallery: GalleryPart::new(plan.gallery),
            probes: Probes::new(plan.probes.into_iter().map(ProbeSource::File).collect()),
            results,
            export,
            download: DownloadPart::default(),
            thumbs: Thumbnails::new(ctx, 2, THUMBNAIL_BUDGET_BYTES),
            frames: FrameStats::default(),
            notices,
            layout: LayoutReadout::default(),
            flags_engine,
            restore_threshold: plan.threshold,
            settings,
        }
    }

    /// The recognizer's identity for a remembered threshold: its file.
    fn model_key(engine: &facesorter_core::engine::FaceEngine) -> String {
        engine.recognizer_model().path.display().to_string()
    }

    /// Writes what is open into the settings, to reopen at the next start (or forgets
    /// it, when the setting is off).
    pub fn remember_session(&mut self) {
        if !self.settings.restore_session {
            self.settings.last_session = Default::default();
            return;
        }
        let gallery = self.gallery.root().or(self.gallery.pending());
        let threshold = self
            .engine
            .ready()
            .map(|e| (self.results.threshold(), Self::model_key(e)));
        self.settings.last_session = session::remember(
            &self.settings.last_session,
            gallery,
            self.probes.files(),
            threshold,
        );
    }

    pub fn indexing(&self) -> bool {
        self.gallery.indexing()
    }

    /// Whether a worker is running that the window waits for (spinners turn).
    pub fn busy(&self) -> bool {
        self.indexing()
            || self.probes.loading() > 0
            || self.export.running()
            || self.download.running()
            || matches!(self.engine.status, engine::EngineStatus::Starting)
            || self.people.busy()
            || self.people.sort.running()
    }

    // ---- per frame -------------------------------------------------------------------

    /// Drains every part's workers; called before drawing.
    pub fn poll(&mut self, ctx: &egui::Context) {
        if let Some(engine) = self.engine.poll() {
            // The remembered threshold, once, if it was set for this recognizer.
            let key = Self::model_key(&engine);
            // `--threshold` wins for this run.
            let remembered = self
                .restore_threshold
                .take()
                .filter(|(_, model)| *model == key)
                .map(|(t, _)| t);
            let threshold = self
                .people
                .threshold
                .or(remembered)
                .unwrap_or_else(|| engine.default_threshold());
            self.results.apply(ResultsCommand::SetThreshold(threshold));
            if let Some(root) = self.gallery.take_pending() {
                self.open_gallery(ctx, root);
            }
            self.probes.start_pending(ctx, &engine);
        }
        let update = self.gallery.poll();
        if let Some(g) = &self.gallery.gallery {
            // A finished run without a new album still ends "partial".
            let album = update
                .album
                .or_else(|| update.ended.then(|| g.album.clone()).flatten());
            if let Some(album) = album {
                self.results.set_album(&g.root, album, g.indexing());
            }
        }
        let (root, album) = match &self.gallery.gallery {
            Some(g) => (Some(g.root.as_path()), g.album.as_ref()),
            None => (None, None),
        };
        self.people.update(
            ctx,
            self.engine.ready(),
            root,
            album,
            self.gallery.indexing(),
        );
        if self.probes.poll(ctx) {
            self.results.set_probes(self.probes.faces());
        }
        self.export.poll();
        if self.download.poll().is_some() {
            // A model arrived: try again with the options in use.
            self.restart_engine(ctx, self.engine.options.clone());
        }
        for picked in self.dialogs.poll() {
            match picked {
                Picked::GalleryFolder(dir) => self.open_gallery(ctx, dir),
                Picked::ProbeFiles(files) => {
                    for f in files {
                        self.apply(ctx, ProbeCommand::Add(ProbeSource::File(f)).into());
                    }
                }
                Picked::ExportFolder(dir) => self.settings.export_dir = dir.display().to_string(),
                Picked::SortFolder(dir) => self.people.apply(PeopleCommand::SetSortFolder(dir)),
                // Taken into the settings draft by the dialogs part.
                Picked::CustomModel(_) => {}
            }
        }
        self.thumbs.poll(ctx);
    }

    /// Records how long the last frame took to build.
    pub fn record_frame(&mut self, took: Duration) {
        self.frames.last = took;
        self.frames.worst = self.frames.worst.max(took);
        if self.indexing() {
            self.frames.worst_while_indexing = self.frames.worst_while_indexing.max(took);
            self.frames.frames_while_indexing += 1;
        }
        if self.people.clustering() {
            self.frames.worst_while_clustering = self.frames.worst_while_clustering.max(took);
            self.frames.frames_while_clustering += 1;
        }
    }

    // ---- commands ---------------------------------------------------------------------

    /// Routes a command to the part that owns it.
    pub fn apply(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::Gallery(GalleryCommand::Open(root)) => self.open_gallery(ctx, root),
            Command::Gallery(GalleryCommand::CancelIndexing) => self.gallery.cancel(),
            Command::Gallery(GalleryCommand::OpenFolder(dir)) => self.gallery.open_folder(&dir),
            Command::Probe(c) => {
                if self.probes.apply(ctx, self.engine.ready(), c) {
                    self.results.set_probes(self.probes.faces());
                }
            }
            Command::Results(c) => {
                let sizing = matches!(c, ResultsCommand::SetThumbSize(_));
                self.results.apply(c);
                if sizing {
                    // Kept for the next start, as the results clamped it.
                    self.settings.thumb_size = self.results.thumb_size();
                }
            }
            Command::Export(c) => self.apply_export(ctx, c),
            Command::Download(c) => self.download.apply(ctx, c),
            Command::Dialog(DialogCommand::Pick(what)) => {
                if self.dialogs.pick(ctx, what) {
                    self.notices.dismiss(NoticeKind::DialogBusy);
                } else {
                    self.notices.set(
                        NoticeKind::DialogBusy,
                        "A file dialog is already open (it may be behind this window): \
                         answer or close it first.",
                    );
                }
            }
            Command::Dialog(DialogCommand::ShowSettings(show)) => {
                self.dialogs.show_settings(show, &self.engine.options);
            }
            Command::Dialog(DialogCommand::ApplySettings(options)) => {
                self.settings.engine = options.clone();
                // Saved now: the command line's options are no longer the question.
                self.flags_engine = None;
                self.notices.dismiss(NoticeKind::EngineFlags);
                self.dialogs.show_settings(false, &options);
                self.restart_engine(ctx, options);
            }
            Command::Engine(c) => self.engine.apply(ctx, c),
            Command::People(PeopleCommand::FindPerson(id)) => self.find_person(id),
            Command::People(c) => self.people.apply(c),
            Command::SetLowQualityNorm(norm) => {
                self.settings.low_quality_norm = norm;
                self.results.set_min_quality(self.settings.min_quality());
            }
            Command::SetHideLowQuality(hide) => {
                self.settings.hide_low_quality = hide;
                self.results.set_min_quality(self.settings.min_quality());
            }
            Command::SetDarkMode(dark) => self.settings.dark_mode = dark,
            Command::Layout(LayoutCommand::SetPanelWidth(w)) => self.settings.panel.width = w,
            Command::Layout(LayoutCommand::SetPanelOpen(open)) => self.settings.panel.open = open,
            Command::DismissNotice(kind) => self.notices.dismiss(kind),
            Command::SaveEngineAsDefault => {
                if let Some(options) = self.flags_engine.take() {
                    self.settings.engine = options;
                    self.notices.dismiss(NoticeKind::EngineFlags);
                    self.notices.set(
                        NoticeKind::EngineSaved,
                        "Saved: the next start without engine flags uses these engine options.",
                    );
                }
            }
            Command::SetRestoreSession(on) => {
                self.settings.restore_session = on;
                self.remember_session();
            }
        }
    }

    fn apply_export(&mut self, ctx: &egui::Context, command: ExportCommand) {
        match command {
            ExportCommand::SetFolder(dir) => self.settings.export_dir = dir,
            ExportCommand::SetCopyOriginals(copy) => self.settings.copy_originals = copy,
            ExportCommand::SetPairSize(size) => {
                self.export.pair_size = size;
                self.settings.pair_size = size;
            }
            ExportCommand::Cancel => self.export.cancel(),
            ExportCommand::OpenFolder => self.export.open_written_folder(),
            ExportCommand::Start => {
                let dir = self.settings.export_dir.trim();
                if dir.is_empty() {
                    self.export.refuse("Choose a folder to export into first.");
                    return;
                }
                let request = match (self.results.session(), self.engine.ready()) {
                    (Some(session), Some(engine)) => session.export_request(
                        PathBuf::from(dir),
                        engine.recognizer_model().name(),
                        self.settings.copy_originals,
                        None,
                    ),
                    _ => None,
                };
                match request {
                    Some(request) => self.export.start(ctx, request),
                    None => self.export.refuse("Nothing to export yet."),
                }
            }
        }
    }

    /// "Find this person": the person's confirmed faces (else its most certain ones)
    /// become the probe, and the Find view opens on them.
    fn find_person(&mut self, id: facesorter_core::people::PersonId) {
        /// Faces of an unconfirmed person taken as its probe: the most certain few.
        const BEST: usize = 5;
        let Some(snapshot) = self.people.snapshot.clone() else {
            return;
        };
        let Some(person) = snapshot.person(id) else {
            return;
        };
        let confirmed: Vec<_> = person.faces.iter().filter(|f| f.confirmed).collect();
        let chosen = if confirmed.is_empty() {
            person.faces.iter().take(BEST).collect()
        } else {
            confirmed
        };
        let album = &snapshot.album;
        let faces = chosen
            .into_iter()
            .filter_map(|f| {
                let record = album.faces().get(f.face)?;
                Some(facesorter_core::search::ProbeFace {
                    source: f.path.clone(),
                    face_box: f.face_box,
                    embedding: facesorter_core::embed::FaceEmbedding {
                        unit: album.embedding(f.face).to_vec(),
                        norm: record.norm,
                    },
                    image: None,
                })
            })
            .collect();
        let label = person
            .name
            .clone()
            .unwrap_or_else(|| format!("Unnamed person {}", person.id));
        self.probes.person = Some(probes::PersonProbe { label, faces });
        self.results.set_probes(self.probes.faces());
        self.people.view = MainView::Find;
    }

    /// Another engine: embeddings of another model are not comparable, so the gallery is
    /// indexed and the probes analysed again once it is ready.
    fn restart_engine(&mut self, ctx: &egui::Context, options: EngineOptions) {
        self.engine.restart(ctx, options);
        self.gallery.reopen_later();
        self.probes.reanalyse_later();
        self.results.clear_album();
        // A person's faces are of the old model's album.
        self.probes.person = None;
        self.results.set_probes(Vec::new());
        self.people.reset();
    }

    fn open_gallery(&mut self, ctx: &egui::Context, root: PathBuf) {
        if !self.gallery.accept(&root) {
            return;
        }
        let Some(engine) = self.engine.ready().cloned() else {
            self.gallery.defer(root);
            return;
        };
        self.settings.remember_gallery(&root);
        // A new gallery: paths may now mean other files.
        self.thumbs.clear();
        self.results.clear_album();
        if self.probes.person.take().is_some() {
            // The person's faces were of the other gallery.
            self.results.set_probes(self.probes.faces());
        }
        self.gallery.open(ctx, engine, root);
    }

    /// Stops the workers. The indexer is waited for: it saves what it finished, so closing
    /// mid-run keeps the cache consistent and the next run resumes from there.
    pub fn shutdown(&mut self) {
        self.gallery.shutdown();
        self.people.shutdown();
        self.export.cancel();
        self.download.cancel();
    }
}
