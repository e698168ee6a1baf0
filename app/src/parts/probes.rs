//! The probe photos: analysis jobs (one per photo), the analysed photos with their
//! textures and the face chosen in each, and the message about the last one.

use std::path::PathBuf;
use std::sync::Arc;

use facesorter_core::engine::{largest_face, Face, FaceEngine};
use facesorter_core::search::ProbeFace;

use crate::jobs::probe::{AnalyzedProbe, ProbeResult, ProbeSource};
use crate::jobs::{self, Job};
use crate::thumbnails;

#[must_use]
#[derive(Debug, Clone)]
pub enum ProbeCommand {
    Add(ProbeSource),
    Remove(usize),
    ChooseFace {
        probe: usize,
        face: usize,
    },
    /// Stops searching for the person from the People view.
    RemovePerson,
}

/// A person of the People view searched for: its faces are the probe (the combined
/// query), beside any probe photos.
#[derive(Debug, Clone)]
pub struct PersonProbe {
    /// The name, or "Unnamed person N".
    pub label: String,
    pub faces: Vec<ProbeFace>,
}

/// A probe photo and the face chosen in it.
pub struct Probe {
    pub analyzed: AnalyzedProbe,
    pub chosen: usize,
    pub photo_texture: egui::TextureHandle,
    pub crop_textures: Vec<egui::TextureHandle>,
}

impl Probe {
    pub fn chosen_face(&self) -> Option<&Face> {
        self.analyzed.faces.get(self.chosen)
    }

    /// The chosen face as the search sees it.
    fn probe_face(&self) -> Option<ProbeFace> {
        let face = self.chosen_face()?;
        Some(ProbeFace {
            source: match &self.analyzed.source {
                ProbeSource::File(p) => p.clone(),
                ProbeSource::Pasted { name, .. } => PathBuf::from(name),
            },
            face_box: face.detection.face_box,
            embedding: face.embedding.clone(),
            image: Some(Arc::clone(&self.analyzed.image)),
        })
    }
}

#[derive(Default)]
pub struct Probes {
    pub list: Vec<Probe>,
    /// Photos being analysed, each with where it comes from.
    jobs: Vec<(ProbeSource, Job<ProbeResult>)>,
    /// Analysed as soon as the engine is ready.
    pending: Vec<ProbeSource>,
    /// Why the last probe photo gave no face (or failed).
    pub message: Option<String>,
    /// A person from the People view ("Find this person").
    pub person: Option<PersonProbe>,
}

impl Probes {
    pub fn new(pending: Vec<ProbeSource>) -> Self {
        Self {
            pending,
            ..Self::default()
        }
    }

    /// Photos being analysed or waiting for the engine.
    pub fn loading(&self) -> usize {
        self.jobs.len() + self.pending.len()
    }

    /// Photos waiting for a model to be loaded.
    pub fn waiting(&self) -> usize {
        self.pending.len()
    }

    /// The files of every probe photo — shown, being analysed or waiting — in the order
    /// they were added (pasted images have no file and are left out).
    pub fn files(&self) -> Vec<PathBuf> {
        let shown = self.list.iter().map(|p| &p.analyzed.source);
        let running = self.jobs.iter().map(|(s, _)| s);
        shown
            .chain(running)
            .chain(self.pending.iter())
            .filter_map(|s| match s {
                ProbeSource::File(p) => Some(p.clone()),
                ProbeSource::Pasted { .. } => None,
            })
            .collect()
    }

    /// The chosen face of every probe photo: the person searched for.
    pub fn faces(&self) -> Vec<ProbeFace> {
        let person = self.person.iter().flat_map(|p| p.faces.iter().cloned());
        self.list
            .iter()
            .filter_map(Probe::probe_face)
            .chain(person)
            .collect()
    }

    /// Applies a command; `true` when the chosen faces changed.
    pub fn apply(
        &mut self,
        ctx: &egui::Context,
        engine: Option<&Arc<FaceEngine>>,
        command: ProbeCommand,
    ) -> bool {
        match command {
            ProbeCommand::Add(source) => {
                self.add(ctx, engine, source);
                false
            }
            ProbeCommand::Remove(i) if i < self.list.len() => {
                self.list.remove(i);
                true
            }
            ProbeCommand::ChooseFace { probe, face } => match self.list.get_mut(probe) {
                Some(p) if face < p.analyzed.faces.len() && face != p.chosen => {
                    p.chosen = face;
                    true
                }
                _ => false,
            },
            ProbeCommand::Remove(_) => false,
            ProbeCommand::RemovePerson => self.person.take().is_some(),
        }
    }

    fn add(&mut self, ctx: &egui::Context, engine: Option<&Arc<FaceEngine>>, source: ProbeSource) {
        match engine {
            Some(engine) => {
                let job = jobs::probe::spawn(ctx, Arc::clone(engine), source.clone());
                self.jobs.push((source, job));
            }
            None => self.pending.push(source),
        }
    }

    /// The engine is ready: analyses the photos that waited for it.
    pub fn start_pending(&mut self, ctx: &egui::Context, engine: &Arc<FaceEngine>) {
        for source in std::mem::take(&mut self.pending) {
            self.add(ctx, Some(engine), source);
        }
    }

    /// Another engine: every photo is analysed again once it is ready.
    pub fn reanalyse_later(&mut self) {
        let sources = self.list.drain(..).map(|p| p.analyzed.source);
        self.pending.extend(sources);
    }

    /// Drains the analysis jobs; `true` when the chosen faces changed.
    pub fn poll(&mut self, ctx: &egui::Context) -> bool {
        let mut changed = false;
        let mut running = Vec::new();
        for (source, job) in std::mem::take(&mut self.jobs) {
            let (results, end) = job.drain();
            let answered = !results.is_empty();
            for r in results {
                match r {
                    Ok(analyzed) if analyzed.faces.is_empty() => {
                        self.message = Some(format!(
                            "No face found in {}. Try a photo where the face is larger or turned to the camera.",
                            analyzed.source.name()
                        ));
                    }
                    Ok(analyzed) => {
                        self.message = None;
                        self.list.push(with_textures(ctx, analyzed));
                        changed = true;
                    }
                    Err(e) => self.message = Some(e),
                }
            }
            if !answered && end.is_over() {
                self.message = Some(end.failure("Finding faces in the probe photo"));
            }
            if !answered && !end.is_over() {
                running.push((source, job));
            }
        }
        self.jobs = running;
        changed
    }
}

fn with_textures(ctx: &egui::Context, analyzed: AnalyzedProbe) -> Probe {
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
    let chosen = largest_face(&analyzed.faces).unwrap_or(0);
    Probe {
        analyzed,
        chosen,
        photo_texture,
        crop_textures,
    }
}
