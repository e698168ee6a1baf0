//! What the command line hands to the window.

use std::path::PathBuf;

use facesorter_core::engine::EngineOptions;

#[derive(Debug, Clone, Default)]
pub struct Launch {
    /// Engine options from command-line flags; `None` uses the saved settings.
    pub engine: Option<EngineOptions>,
    /// Gallery folder to open at start.
    pub gallery: Option<PathBuf>,
    /// Probe photos to load at start.
    pub probes: Vec<PathBuf>,
    /// Do not read or write saved state (tests, screenshots).
    pub ephemeral: bool,
    /// Open on the People view (`--people`).
    pub people: bool,
    /// The recognizer's verification threshold for this run (`--threshold`): people are
    /// clustered with it and the Find slider starts there.
    pub threshold: Option<f32>,
}
