//! FaceSorter's platform folders, spelled once for every front end: the data dir (models,
//! ONNX Runtime), the cache dir (gallery caches, compiled models) and the config dir (the
//! window's settings). `~/.local/share/facesorter`, `~/.cache/facesorter` and
//! `~/.config/facesorter` on Linux.

/// The platform's folders for FaceSorter; `None` when no home folder is known.
pub fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("org", "FaceSorter", "FaceSorter")
}
