//! FaceSorter's desktop window (egui): open a gallery folder, drop in a probe photo, move
//! the threshold, export the matched pairs. The engine work is `facesorter-core`'s; this
//! crate draws it and keeps the UI thread free of I/O and inference.

mod app;
mod command;
mod jobs;
mod launch;
pub mod parts;
mod settings;
mod thumbnails;
mod views;

pub use app::{run, FaceSorterApp};
pub use command::Command;
pub use launch::Launch;
pub use parts::dialogs::Screen;
pub use parts::engine::EngineStatus;
pub use parts::{AppState, FrameStats};
pub use settings::Settings;
