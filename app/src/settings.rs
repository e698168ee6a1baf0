//! What is saved between runs (serde, through eframe's storage in the config dir). Runtime
//! handles — threads, channels, textures, the engine — live in `state` and are never saved.

use std::path::{Path, PathBuf};

use facesorter_core::engine::EngineOptions;
use serde::{Deserialize, Serialize};

/// How many recent galleries are remembered.
const RECENT_MAX: usize = 8;

/// Key under which [`Persisted`] is stored.
pub const STORAGE_KEY: &str = "facesorter";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Persisted {
    pub recent_galleries: Vec<PathBuf>,
    pub engine: EngineOptions,
    pub dark_mode: bool,
    /// Results whose AdaFace norm is below `low_quality_norm` are hidden.
    pub hide_low_quality: bool,
    pub low_quality_norm: f32,
    pub export_dir: String,
    pub copy_originals: bool,
}

impl Default for Persisted {
    fn default() -> Self {
        Self {
            recent_galleries: Vec::new(),
            engine: EngineOptions::default(),
            dark_mode: true,
            hide_low_quality: false,
            // AdaFace norms under ~15 are blurry, tiny or turned faces (AdaFace paper, Fig. 3).
            low_quality_norm: 15.0,
            export_dir: String::new(),
            copy_originals: false,
        }
    }
}

impl Persisted {
    /// Puts `root` first in the recent list, without duplicates.
    pub fn remember_gallery(&mut self, root: &Path) {
        self.recent_galleries.retain(|p| p != root);
        self.recent_galleries.insert(0, root.to_path_buf());
        self.recent_galleries.truncate(RECENT_MAX);
    }
}
