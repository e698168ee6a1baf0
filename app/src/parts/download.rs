//! Downloading a known model from the window: the job, its progress and outcome.

use std::path::PathBuf;

use facesorter_core::models::DownloadProgress;

use crate::jobs::download::DownloadEvent;
use crate::jobs::{self, Job};

#[must_use]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadCommand {
    Start(String),
    Cancel,
}

#[derive(Default)]
pub struct DownloadPart {
    job: Option<Job<DownloadEvent>>,
    /// The model being (or last) downloaded.
    pub id: String,
    pub progress: Option<DownloadProgress>,
    pub message: Option<String>,
}

impl DownloadPart {
    pub fn running(&self) -> bool {
        self.job.is_some()
    }

    pub fn apply(&mut self, ctx: &egui::Context, command: DownloadCommand) {
        match command {
            DownloadCommand::Start(id) if !self.running() => {
                *self = Self {
                    job: Some(jobs::download::spawn(ctx, id.clone())),
                    id,
                    progress: None,
                    message: None,
                };
            }
            DownloadCommand::Start(_) => {}
            DownloadCommand::Cancel => self.cancel(),
        }
    }

    pub fn cancel(&self) {
        if let Some(job) = &self.job {
            job.cancel();
        }
    }

    /// Drains the job; the saved file when a download has just finished.
    pub fn poll(&mut self) -> Option<PathBuf> {
        let job = self.job.as_ref()?;
        let (events, end) = job.drain();
        let mut finished = false;
        let mut saved = None;
        for e in events {
            match e {
                DownloadEvent::Progress(p) => self.progress = Some(p),
                DownloadEvent::Finished(Ok(path)) => {
                    self.message = Some(format!("Saved {}", path.display()));
                    saved = Some(path);
                    finished = true;
                }
                DownloadEvent::Finished(Err(e)) => {
                    self.message = Some(e);
                    finished = true;
                }
            }
        }
        if !finished && end.is_over() {
            self.message = Some(end.failure(&format!("Downloading {}", self.id)));
            finished = true;
        }
        if finished {
            self.job = None;
        }
        saved
    }
}
