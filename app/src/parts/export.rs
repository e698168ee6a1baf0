//! Export: the job writing the pairs, its progress and outcome, the pair size, and opening
//! the folder written. The request itself is the search session's
//! (`Session::export_request`); where it goes (the folder named, or a new subfolder of it
//! when that holds something) is the core's rule, the same as the command line's.

use std::path::{Path, PathBuf};

use facesorter_core::export::{ExportRequest, ExportSummary, PairSize};

use super::folder::open_folder;
use crate::jobs::export::ExportEvent;
use crate::jobs::{self, Job};

#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum ExportCommand {
    SetFolder(String),
    SetCopyOriginals(bool),
    SetPairSize(PairSize),
    Start,
    Cancel,
    /// Opens the folder the last export wrote into in the system's file manager.
    OpenFolder,
}

#[derive(Default)]
pub struct ExportPart {
    job: Option<Job<ExportEvent>>,
    pub progress: (usize, usize),
    pub outcome: Option<Result<ExportSummary, String>>,
    /// The folder named for the last export started (it may have gone into a subfolder:
    /// the outcome says where).
    pub dir: Option<PathBuf>,
    /// How big the pair images are drawn.
    pub pair_size: PairSize,
    /// Why the export folder could not be opened, naming it; cleared by the next try.
    pub open_error: Option<String>,
}

impl ExportPart {
    pub fn running(&self) -> bool {
        self.job.is_some()
    }

    /// Starts writing `request` at the chosen pair size (ignored while an export runs).
    pub fn start(&mut self, ctx: &egui::Context, mut request: ExportRequest) {
        if self.running() {
            return;
        }
        request.pair_size = self.pair_size;
        self.dir = Some(request.dir.clone());
        self.progress = (0, request.matches.len());
        self.outcome = None;
        self.open_error = None;
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

    /// The folder the last finished export wrote into.
    pub fn written_folder(&self) -> Option<&Path> {
        match &self.outcome {
            Some(Ok(summary)) => Some(&summary.folder),
            _ => None,
        }
    }

    /// Opens the folder the last export wrote into; a failure is kept to be shown.
    pub fn open_written_folder(&mut self) {
        self.open_error = match self.written_folder() {
            Some(folder) => open_folder(folder).err(),
            None => Some("No export has finished yet.".into()),
        };
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
