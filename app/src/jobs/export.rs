//! Writing the matched pairs through the core's exporter, off the UI thread.

use facesorter_core::export::{export_matches, ExportRequest, ExportSummary};

use super::{describe, Job};

pub enum ExportEvent {
    Progress { done: usize, total: usize },
    Finished(Result<ExportSummary, String>),
}

pub fn spawn(ctx: &egui::Context, request: ExportRequest) -> Job<ExportEvent> {
    Job::spawn(ctx, "export", move |out, cancel| {
        let result = export_matches(
            &request,
            &mut |done, total| out.send(ExportEvent::Progress { done, total }),
            &cancel,
        )
        .map_err(|e| describe(&e));
        out.send(ExportEvent::Finished(result));
    })
}
