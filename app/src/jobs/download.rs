//! Fetching a known model from the app (the core's resumable, sha256-checked download).

use std::path::PathBuf;

use facesorter_core::models::{download, DownloadProgress, ModelLocator};

use super::{describe, Job};

pub enum DownloadEvent {
    Progress(DownloadProgress),
    /// The saved file, or what went wrong with the URL and folder to use by hand.
    Finished(Result<PathBuf, String>),
}

pub fn spawn(ctx: &egui::Context, id: String) -> Job<DownloadEvent> {
    Job::spawn(ctx, "download", move |out, cancel| {
        let result = (|| {
            facesorter_core::fault::inject("download");
            let locator = ModelLocator::from_environment().map_err(|e| describe(&e))?;
            let entry = locator
                .manifest()
                .require(&id)
                .map_err(|e| describe(&e))?
                .clone();
            let dir = locator
                .fetch_dir()
                .ok_or("no models folder is known on this system")?
                .to_path_buf();
            let offline_help = format!(
                "Offline? Download {} by other means and put it in {}",
                entry.url,
                dir.display()
            );
            std::fs::create_dir_all(&dir)
                .map_err(|e| format!("cannot create {}: {e}. {offline_help}", dir.display()))?;
            let dest = dir.join(&entry.file);
            download(
                &entry.url,
                &dest,
                &entry.sha256,
                &mut |p| out.send(DownloadEvent::Progress(p)),
                &cancel,
            )
            .map_err(|e| format!("{}\n{offline_help}", describe(&e)))?;
            Ok(dest)
        })();
        out.send(DownloadEvent::Finished(result));
    })
}
