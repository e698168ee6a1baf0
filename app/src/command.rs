//! What the views ask for. Views only read state and push commands; the commands are
//! applied after the frame is drawn, so no widget mutates deep state mid-frame.

use std::path::PathBuf;

use facesorter_core::engine::EngineOptions;

use crate::jobs::probe::ProbeSource;

#[must_use]
#[derive(Debug, Clone)]
pub enum Command {
    PickGalleryFolder,
    OpenGallery(PathBuf),
    CancelIndexing,
    PickProbeFiles,
    AddProbe(ProbeSource),
    RemoveProbe(usize),
    ChooseFace {
        probe: usize,
        face: usize,
    },
    SetThreshold(f32),
    SetHideLowQuality(bool),
    /// Index into the visible results.
    Select(usize),
    OpenPhoto(usize),
    ClosePhoto,
    ShowSettings(bool),
    ApplySettings(EngineOptions),
    PickCustomModel,
    DownloadModel(String),
    CancelDownload,
    PickExportFolder,
    SetExportFolder(String),
    SetCopyOriginals(bool),
    Export,
    CancelExport,
    OpenFolder(PathBuf),
    SetDarkMode(bool),
}
