//! Export: the job writing the pairs, its progress and outcome. The request itself is
//! the search session's (`Session::export_request`).

use std::path::PathBuf;

use facesorter_core::export::{ExportRequest, ExportSummary};

use crate::jobs::export::ExportEvent;
use crate::jobs::{self, Job};

#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum ExportCommand {
    SetFolder(String),
    SetCopyOriginals(bool),
    Start,
    Cancel,
}

#[derive(Default)]
pub struct ExportPart {
    job: Option<Job<ExportEvent>>,
    pub progress: (usize, usize),
    pub outcome: Option<Result<ExportSummary, String>>,
    /// The folder of the last export started.
    pub dir: Option<PathBuf>,
}

impl ExportPart {
    pub fn running(&self) -> bool {
        self.job.is_some()
    }

    /// Starts writing `request` (ignored while an export runs).
    pub fn start(&mut self, ctx: &egui::Context, request: ExportRequest) {
        if self.running() {
            return;
        }
        self.dir = Some(request.dir.clone());
        self.progress = (0, request.matches.len());
        self.outcome = None;
        self.job = Some(jobs::export::spawn(ctx, request));
    }

    /// Nothing could be started: says why.
    pub fn refuse(&mut self, why: &str) {
        self.outcome = Some(Err(why.to_string()));
    }

    pub fn cancel(&self) {
        if let Some(job) = &self.job {
            job.cancel();
        }
    }

    pub fn poll(&mut self) {
        let Some(job) = &self.job else { return };
        let (events, end) = job.drain();
        let mut finished = false;
        for e in events {
            match e {
                ExportEvent::Progress { done, total } => self.progress = (done, total),
                ExportEvent::Finished(r) => {
                    self.outcome = Some(r);
                    finished = true;
                }
            }
        }
        if !finished && end.is_over() {
            self.outcome = Some(Err(end.failure("Export")));
            finished = true;
        }
        if finished {
            self.job = None;
        }
    }
}
