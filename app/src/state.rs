//! The window's runtime state and the commands that change it. Drawing lives in `views`;
//! this module owns the jobs, drains their channels once per frame (`poll`) and applies
//! commands (`apply`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use facesorter_core::engine::{EngineOptions, FaceEngine};
use facesorter_core::export::{ExportMatch, ExportRequest, ExportSummary, ProbeInfo};
use facesorter_core::gallery::{Album, GalleryCache};
use facesorter_core::index::{IndexEvent, IndexJob, IndexOptions, IndexProgress, IndexSummary};
use facesorter_core::models::{DownloadProgress, ModelSpec};
use facesorter_core::search::{Query, RankedMatches};

use crate::command::Command;
use crate::jobs::download::DownloadEvent;
use crate::jobs::engine::{EngineFailure, EngineResult};
use crate::jobs::export::ExportEvent;
use crate::jobs::probe::{AnalyzedProbe, ProbeResult, ProbeSource};
use crate::jobs::{self, Job};
use crate::launch::Launch;
use crate::settings::Persisted;
use crate::thumbnails::{self, Thumbnails};

/// Decoded thumbnails kept in memory (textures), at most.
const THUMBNAIL_BUDGET_BYTES: usize = 256 << 20;

pub enum EngineStatus {
    Starting,
    Ready(Arc<FaceEngine>),
    Failed(EngineFailure),
}

pub struct Gallery {
    pub root: PathBuf,
    pub job: Option<IndexJob>,
    pub progress: IndexProgress,
    /// The album so far (a checkpoint while indexing), then the whole album.
    pub album: Option<Arc<Album>>,
    pub summary: Option<IndexSummary>,
    pub error: Option<String>,
}

impl Gallery {
    pub fn indexing(&self) -> bool {
        self.job.is_some()
    }
}

/// A probe photo and the face chosen in it.
pub struct Probe {
    pub analyzed: AnalyzedProbe,
    pub chosen: usize,
    pub photo_texture: egui::TextureHandle,
    pub crop_textures: Vec<egui::TextureHandle>,
}

impl Probe {
    pub fn chosen_face(&self) -> Option<&facesorter_core::engine::Face> {
        self.analyzed.faces.get(self.chosen)
    }
}

/// The ranking of the current query against the current album.
pub struct Results {
    pub ranked: RankedMatches,
    pub album: Arc<Album>,
    /// Ranked against a checkpoint while indexing goes on.
    pub partial: bool,
}

#[derive(Default)]
pub struct ExportState {
    pub job: Option<Job<ExportEvent>>,
    pub progress: (usize, usize),
    pub outcome: Option<Result<ExportSummary, String>>,
    pub dir: Option<PathBuf>,
}

#[derive(Default)]
pub struct DownloadState {
    pub job: Option<Job<DownloadEvent>>,
    pub id: String,
    pub progress: Option<DownloadProgress>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Main,
    Settings,
}

/// Time spent building each frame, the slowest while indexing.
#[derive(Debug, Clone, Copy, Default)]
pub struct FrameStats {
    pub last: Duration,
    pub worst: Duration,
    pub worst_while_indexing: Duration,
    pub frames_while_indexing: u64,
}

enum Picked {
    Gallery(Option<PathBuf>),
    Probes(Vec<PathBuf>),
    ExportFolder(Option<PathBuf>),
    CustomModel(Option<PathBuf>),
}

pub struct AppState {
    pub persisted: Persisted,
    pub engine: EngineStatus,
    engine_job: Option<Job<EngineResult>>,
    pub engine_options: EngineOptions,
    pub gallery: Option<Gallery>,
    pending_gallery: Option<PathBuf>,
    pub probes: Vec<Probe>,
    probe_jobs: Vec<Job<ProbeResult>>,
    pending_probes: Vec<ProbeSource>,
    pub probe_message: Option<String>,
    pub results: Option<Results>,
    /// Ranks (into `results.ranked`) shown in the grid, best first.
    pub visible: Vec<usize>,
    pub threshold: f32,
    pub selected: Option<usize>,
    pub photo_open: bool,
    pub export: ExportState,
    pub download: DownloadState,
    pub screen: Screen,
    /// The settings form, applied with a button.
    pub settings_draft: EngineOptions,
    pub gallery_path_text: String,
    dialog: Option<Job<Picked>>,
    pub frames: FrameStats,
    pub thumbs: Thumbnails,
    pub notice: Option<String>,
}

impl AppState {
    pub fn new(ctx: &egui::Context, persisted: Persisted, launch: Launch) -> Self {
        // Engine flags on the command line are for this run only: the saved settings
        // change only through the Settings screen.
        let options = launch.engine.unwrap_or_else(|| persisted.engine.clone());
        let mut state = Self {
            engine: EngineStatus::Starting,
            engine_job: Some(jobs::engine::spawn(ctx, options.clone())),
            settings_draft: options.clone(),
            engine_options: options,
            gallery: None,
            pending_gallery: launch.gallery,
            probes: Vec::new(),
            probe_jobs: Vec::new(),
            pending_probes: launch.probes.into_iter().map(ProbeSource::File).collect(),
            probe_message: None,
            results: None,
            visible: Vec::new(),
            threshold: facesorter_core::engine::FALLBACK_THRESHOLD,
            selected: None,
            photo_open: false,
            export: ExportState::default(),
            download: DownloadState::default(),
            screen: Screen::Main,
            gallery_path_text: String::new(),
            dialog: None,
            frames: FrameStats::default(),
            thumbs: Thumbnails::new(ctx, 2, THUMBNAIL_BUDGET_BYTES),
            notice: None,
            persisted,
        };
        if let Some(p) = &state.pending_gallery {
            state.gallery_path_text = p.display().to_string();
        }
        state
    }

    pub fn engine(&self) -> Option<&Arc<FaceEngine>> {
        match &self.engine {
            EngineStatus::Ready(e) => Some(e),
            _ => None,
        }
    }

    pub fn indexing(&self) -> bool {
        self.gallery.as_ref().is_some_and(Gallery::indexing)
    }

    pub fn probes_loading(&self) -> usize {
        self.probe_jobs.len() + self.pending_probes.len()
    }

    /// Counts above the threshold: (faces, photos), as the engine reports them.
    pub fn counts_above(&self) -> (usize, usize) {
        match &self.results {
            Some(r) => (
                r.ranked.count_above(self.threshold),
                r.ranked.photos_above(self.threshold, &r.album),
            ),
            None => (0, 0),
        }
    }

    // ---- per frame -------------------------------------------------------------------

    /// Drains every worker's channel; called before drawing.
    pub fn poll(&mut self, ctx: &egui::Context) {
        self.poll_engine(ctx);
        self.poll_index(ctx);
        self.poll_probes(ctx);
        self.poll_export();
        self.poll_download(ctx);
        self.poll_dialog(ctx);
        self.thumbs.poll(ctx);
    }

    fn poll_engine(&mut self, ctx: &egui::Context) {
        let Some(job) = &self.engine_job else { return };
        let (results, gone) = job.drain();
        let mut finished = gone;
        for r in results {
            finished = true;
            match r {
                Ok(engine) => {
                    self.threshold = engine.default_threshold();
                    self.engine = EngineStatus::Ready(engine);
                }
                Err(failure) => self.engine = EngineStatus::Failed(failure),
            }
        }
        if !finished {
            return;
        }
        self.engine_job = None;
        if matches!(self.engine, EngineStatus::Starting) {
            self.engine = EngineStatus::Failed(EngineFailure {
                message: "the engine thread stopped without an answer".into(),
                missing_model: None,
            });
        }
        if self.engine().is_some() {
            if let Some(root) = self.pending_gallery.take() {
                self.open_gallery(ctx, root);
            }
            for source in std::mem::take(&mut self.pending_probes) {
                self.add_probe(ctx, source);
            }
        }
    }

    fn poll_index(&mut self, _ctx: &egui::Context) {
        let Some(gallery) = &mut self.gallery else {
            return;
        };
        let Some(job) = &gallery.job else { return };
        let mut album_changed = false;
        let mut finished = false;
        while let Ok(event) = job.events().try_recv() {
            match event {
                IndexEvent::Progress(p) => gallery.progress = p,
                IndexEvent::Snapshot(album) => {
                    gallery.album = Some(album);
                    album_changed = true;
                }
                IndexEvent::Finished(result) => {
                    finished = true;
                    match result {
                        Ok(outcome) => {
                            gallery.album = Some(outcome.album);
                            gallery.summary = Some(outcome.summary);
                            album_changed = true;
                        }
                        Err(e) => gallery.error = Some(e.to_string()),
                    }
                }
            }
        }
        if finished {
            gallery.job = None;
        }
        if album_changed || finished {
            self.rerank();
        }
    }

    fn poll_probes(&mut self, ctx: &egui::Context) {
        let mut changed = false;
        let mut keep = Vec::new();
        for job in std::mem::take(&mut self.probe_jobs) {
            let (results, gone) = job.drain();
            let done = gone || !results.is_empty();
            for r in results {
                changed = true;
                match r {
                    Ok(analyzed) if analyzed.faces.is_empty() => {
                        self.probe_message = Some(format!(
                            "No face found in {}. Try a photo where the face is larger or turned to the camera.",
                            analyzed.source.name()
                        ));
                    }
                    Ok(analyzed) => {
                        self.probe_message = None;
                        self.probes.push(probe_with_textures(ctx, analyzed));
                    }
                    Err(e) => self.probe_message = Some(e),
                }
            }
            if !done {
                keep.push(job);
            }
        }
        self.probe_jobs = keep;
        if changed {
            self.rerank();
        }
    }

    fn poll_export(&mut self) {
        let Some(job) = &self.export.job else { return };
        let (events, gone) = job.drain();
        let mut finished = gone;
        for e in events {
            match e {
                ExportEvent::Progress { done, total } => self.export.progress = (done, total),
                ExportEvent::Finished(r) => {
                    self.export.outcome = Some(r);
                    finished = true;
                }
            }
        }
        if finished {
            self.export.job = None;
        }
    }

    fn poll_download(&mut self, ctx: &egui::Context) {
        let Some(job) = &self.download.job else {
            return;
        };
        let (events, gone) = job.drain();
        let mut finished = gone;
        let mut saved = false;
        for e in events {
            match e {
                DownloadEvent::Progress(p) => self.download.progress = Some(p),
                DownloadEvent::Finished(Ok(path)) => {
                    self.download.message = Some(format!("Saved {}", path.display()));
                    saved = true;
                    finished = true;
                }
                DownloadEvent::Finished(Err(e)) => {
                    self.download.message = Some(e);
                    finished = true;
                }
            }
        }
        if finished {
            self.download.job = None;
        }
        if saved {
            self.restart_engine(ctx);
        }
    }

    fn poll_dialog(&mut self, ctx: &egui::Context) {
        let Some(job) = &self.dialog else { return };
        let (picks, gone) = job.drain();
        if gone || !picks.is_empty() {
            self.dialog = None;
        }
        for pick in picks {
            match pick {
                Picked::Gallery(Some(dir)) => self.apply(ctx, Command::OpenGallery(dir)),
                Picked::Probes(files) => {
                    for f in files {
                        self.add_probe(ctx, ProbeSource::File(f));
                    }
                }
                Picked::ExportFolder(Some(dir)) => {
                    self.persisted.export_dir = dir.display().to_string();
                }
                Picked::CustomModel(Some(path)) => {
                    self.settings_draft.recognizer = Some(ModelSpec::Path(path));
                }
                _ => {}
            }
        }
    }

    /// Records how long the last frame took to build.
    pub fn record_frame(&mut self, took: Duration) {
        self.frames.last = took;
        self.frames.worst = self.frames.worst.max(took);
        if self.indexing() {
            self.frames.worst_while_indexing = self.frames.worst_while_indexing.max(took);
            self.frames.frames_while_indexing += 1;
        }
    }

    // ---- commands ---------------------------------------------------------------------

    pub fn apply(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::PickGalleryFolder => self.pick(ctx, |d| {
                Picked::Gallery(d.set_title("Open a gallery folder").pick_folder())
            }),
            Command::OpenGallery(root) => self.open_gallery(ctx, root),
            Command::CancelIndexing => {
                if let Some(job) = self.gallery.as_ref().and_then(|g| g.job.as_ref()) {
                    job.cancel();
                }
            }
            Command::PickProbeFiles => self.pick(ctx, |d| {
                Picked::Probes(
                    d.set_title("Add probe photos")
                        .add_filter(
                            "Photos",
                            &["jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff"],
                        )
                        .pick_files()
                        .unwrap_or_default(),
                )
            }),
            Command::AddProbe(source) => self.add_probe(ctx, source),
            Command::RemoveProbe(i) => {
                if i < self.probes.len() {
                    self.probes.remove(i);
                    self.rerank();
                }
            }
            Command::ChooseFace { probe, face } => {
                if let Some(p) = self.probes.get_mut(probe) {
                    if face < p.analyzed.faces.len() {
                        p.chosen = face;
                        self.rerank();
                    }
                }
            }
            Command::SetThreshold(t) => {
                self.threshold = t.clamp(-1.0, 1.0);
                self.refresh_visible();
            }
            Command::SetHideLowQuality(hide) => {
                self.persisted.hide_low_quality = hide;
                self.refresh_visible();
            }
            Command::Select(i) => {
                if i < self.visible.len() {
                    self.selected = Some(i);
                }
            }
            Command::OpenPhoto(i) => {
                if i < self.visible.len() {
                    self.selected = Some(i);
                    self.photo_open = true;
                }
            }
            Command::ClosePhoto => self.photo_open = false,
            Command::ShowSettings(show) => {
                if show {
                    self.settings_draft = self.engine_options.clone();
                }
                self.screen = if show { Screen::Settings } else { Screen::Main };
            }
            Command::ApplySettings(options) => {
                self.persisted.engine = options;
                self.screen = Screen::Main;
                self.restart_engine(ctx);
            }
            Command::PickCustomModel => self.pick(ctx, |d| {
                Picked::CustomModel(
                    d.set_title("Choose a recognizer (.onnx)")
                        .add_filter("ONNX model", &["onnx"])
                        .pick_file(),
                )
            }),
            Command::DownloadModel(id) => {
                if self.download.job.is_none() {
                    self.download = DownloadState {
                        job: Some(jobs::download::spawn(ctx, id.clone())),
                        id,
                        progress: None,
                        message: None,
                    };
                }
            }
            Command::CancelDownload => {
                if let Some(job) = &self.download.job {
                    job.cancel();
                }
            }
            Command::PickExportFolder => self.pick(ctx, |d| {
                Picked::ExportFolder(d.set_title("Export matches into").pick_folder())
            }),
            Command::SetExportFolder(dir) => self.persisted.export_dir = dir,
            Command::SetCopyOriginals(copy) => self.persisted.copy_originals = copy,
            Command::Export => self.start_export(ctx),
            Command::CancelExport => {
                if let Some(job) = &self.export.job {
                    job.cancel();
                }
            }
            Command::OpenFolder(dir) => open_folder(&dir),
            Command::SetDarkMode(dark) => self.persisted.dark_mode = dark,
        }
    }

    /// Runs a native dialog on its own thread: it blocks until the user answers.
    fn pick(
        &mut self,
        ctx: &egui::Context,
        show: impl FnOnce(rfd::FileDialog) -> Picked + Send + 'static,
    ) {
        if self.dialog.is_some() {
            return;
        }
        self.dialog = Some(Job::spawn(ctx, "dialog", move |out, _| {
            out.send(show(rfd::FileDialog::new()));
        }));
    }

    fn restart_engine(&mut self, ctx: &egui::Context) {
        let options = self.persisted.engine.clone();
        self.engine_options = options.clone();
        self.engine = EngineStatus::Starting;
        self.engine_job = Some(jobs::engine::spawn(ctx, options));
        // Embeddings of another model are not comparable: index and analyse again.
        if let Some(g) = self.gallery.take() {
            if let Some(job) = &g.job {
                job.cancel();
            }
            self.pending_gallery = Some(g.root);
        }
        let sources = self.probes.drain(..).map(|p| p.analyzed.source);
        self.pending_probes.extend(sources);
        self.results = None;
        self.visible.clear();
    }

    fn open_gallery(&mut self, ctx: &egui::Context, root: PathBuf) {
        if !root.is_dir() {
            self.notice = Some(format!("{} is not a folder", root.display()));
            return;
        }
        self.notice = None;
        self.gallery_path_text = root.display().to_string();
        let Some(engine) = self.engine().cloned() else {
            // Opened as soon as the engine is ready.
            self.pending_gallery = Some(root);
            return;
        };
        if let Some(old) = self.gallery.take() {
            if let Some(job) = &old.job {
                job.cancel();
            }
        }
        self.persisted.remember_gallery(&root);
        self.thumbs.clear();
        let cache = GalleryCache::default_dir().map(GalleryCache::new);
        let wake_ctx = ctx.clone();
        let job = IndexJob::spawn(
            engine,
            root.clone(),
            cache,
            // The window searches while indexing goes on.
            IndexOptions {
                snapshots: true,
                ..IndexOptions::default()
            },
            move || wake_ctx.request_repaint(),
        );
        self.gallery = Some(Gallery {
            root,
            job: Some(job),
            progress: IndexProgress::default(),
            album: None,
            summary: None,
            error: None,
        });
        self.results = None;
        self.visible.clear();
        self.selected = None;
        self.photo_open = false;
    }

    fn add_probe(&mut self, ctx: &egui::Context, source: ProbeSource) {
        match self.engine().cloned() {
            Some(engine) => self
                .probe_jobs
                .push(jobs::probe::spawn(ctx, engine, source)),
            None => self.pending_probes.push(source),
        }
    }

    /// Ranks every face of the album against the query of the chosen probe faces. One
    /// matrix pass; the threshold then only cuts the sorted list.
    fn rerank(&mut self) {
        let embeddings: Vec<_> = self
            .probes
            .iter()
            .filter_map(|p| p.chosen_face().map(|f| f.embedding.clone()))
            .collect();
        let album = self.gallery.as_ref().and_then(|g| g.album.clone());
        let partial = self.indexing();
        self.results = match (Query::combine(&embeddings), album) {
            (Some(query), Some(album)) if album.dim() == query.dim() => {
                match RankedMatches::compute(&query, &album) {
                    Ok(ranked) => Some(Results {
                        ranked,
                        album,
                        partial,
                    }),
                    Err(e) => {
                        self.probe_message = Some(e.to_string());
                        None
                    }
                }
            }
            _ => None,
        };
        self.refresh_visible();
    }

    fn refresh_visible(&mut self) {
        self.visible.clear();
        if let Some(r) = &self.results {
            let min_quality = self
                .persisted
                .hide_low_quality
                .then_some(self.persisted.low_quality_norm);
            self.visible = r
                .ranked
                .above_filtered(self.threshold, min_quality, &r.album)
                .map(|v| v.rank)
                .collect();
        }
        self.selected = match self.selected {
            Some(_) if self.visible.is_empty() => None,
            Some(i) => Some(i.min(self.visible.len() - 1)),
            None => None,
        };
        if self.selected.is_none() {
            self.photo_open = false;
        }
    }

    /// The gallery photo's absolute path.
    pub fn photo_path(&self, album: &Album, face: usize) -> Option<PathBuf> {
        photo_path(&self.gallery.as_ref()?.root, album, face)
    }

    fn start_export(&mut self, ctx: &egui::Context) {
        if self.export.job.is_some() {
            return;
        }
        let dir = self.persisted.export_dir.trim();
        if dir.is_empty() {
            self.export.outcome = Some(Err("Choose a folder to export into first.".into()));
            return;
        }
        let dir = PathBuf::from(dir);
        let (Some(results), Some(probe), Some(engine)) =
            (&self.results, self.probes.first(), self.engine())
        else {
            self.export.outcome = Some(Err("Nothing to export yet.".into()));
            return;
        };
        let Some(probe_face) = probe.chosen_face() else {
            return;
        };
        let matches = self
            .visible
            .iter()
            .filter_map(|&rank| results.ranked.view(&results.album, rank))
            .filter_map(|v| {
                Some(ExportMatch {
                    photo_path: self.photo_path(&results.album, v.face_index as usize)?,
                    face_box: v.face.face_box,
                    score: v.score,
                    norm: v.norm,
                })
            })
            .collect();
        let probe_path = match &probe.analyzed.source {
            ProbeSource::File(p) => p.clone(),
            ProbeSource::Pasted { name, .. } => PathBuf::from(name),
        };
        let request = ExportRequest {
            dir: dir.clone(),
            probe: ProbeInfo {
                path: probe_path,
                face_box: probe_face.detection.face_box,
                image: Some(Arc::clone(&probe.analyzed.image)),
            },
            matches,
            threshold: self.threshold,
            model: engine.recognizer_model().name(),
            copy_originals: self.persisted.copy_originals,
        };
        self.export = ExportState {
            job: Some(jobs::export::spawn(ctx, request)),
            progress: (0, 0),
            outcome: None,
            dir: Some(dir),
        };
    }

    /// Stops the workers. The indexer is waited for: it saves what it finished, so closing
    /// mid-run keeps the cache consistent and the next run resumes from there.
    pub fn shutdown(&mut self) {
        if let Some(job) = self.gallery.as_mut().and_then(|g| g.job.take()) {
            job.cancel_and_wait();
        }
        if let Some(job) = &self.export.job {
            job.cancel();
        }
        if let Some(job) = &self.download.job {
            job.cancel();
        }
    }
}

/// The absolute path of the photo of `face`.
pub fn photo_path(root: &Path, album: &Album, face: usize) -> Option<PathBuf> {
    let face = album.faces().get(face)?;
    let photo = album.photos().get(face.photo as usize)?;
    Some(root.join(&photo.rel_path))
}

fn probe_with_textures(ctx: &egui::Context, analyzed: AnalyzedProbe) -> Probe {
    let shown = thumbnails::fit(&analyzed.image, 1024);
    let photo_texture = ctx.load_texture(
        format!("probe:{}", analyzed.source.name()),
        thumbnails::to_color_image(&shown),
        egui::TextureOptions::LINEAR,
    );
    let crop_textures = analyzed
        .crops
        .iter()
        .enumerate()
        .map(|(i, c)| {
            ctx.load_texture(
                format!("probe-crop:{}:{i}", analyzed.source.name()),
                thumbnails::to_color_image(c),
                egui::TextureOptions::LINEAR,
            )
        })
        .collect();
    // Default: the largest face, the one the user most likely means.
    let chosen = facesorter_core::engine::largest_face(&analyzed.faces).unwrap_or(0);
    Probe {
        analyzed,
        chosen,
        photo_texture,
        crop_textures,
    }
}

fn open_folder(dir: &Path) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    // Spawned, not waited for: the file manager lives on after the window.
    if let Err(e) = std::process::Command::new(opener).arg(dir).spawn() {
        log::warn!("cannot open {}: {e}", dir.display());
    }
}
