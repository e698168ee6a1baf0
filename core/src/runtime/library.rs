//! Where the ONNX Runtime shared library is looked for, in order:
//! `ORT_DYLIB_PATH`, next to the executable, `../lib/facesorter/` from the executable (the
//! packages' private folder: `/usr/lib/facesorter` for `/usr/bin/facesorter`, and the same
//! inside the unpacked portable archive), the app's data dir.

use std::path::{Path, PathBuf};

/// The library file name on this platform.
pub const LIBRARY_FILE: &str = if cfg!(target_os = "windows") {
    "onnxruntime.dll"
} else if cfg!(target_os = "macos") {
    "libonnxruntime.dylib"
} else {
    "libonnxruntime.so"
};

/// The command that puts the library in place (see `scripts/setup-onnxruntime.sh`).
pub fn setup_command() -> &'static str {
    "bash scripts/setup-onnxruntime.sh   (from the FaceSorter source folder; it unpacks the PyPI onnxruntime wheel)"
}

/// The outcome of looking for the library: the file found, or every place tried.
#[derive(Debug, Clone)]
pub struct LibrarySearch {
    pub found: Option<PathBuf>,
    pub tried: Vec<PathBuf>,
}

/// The directory the setup script installs into: `<data dir>/onnxruntime`.
pub fn data_dir_location() -> Option<PathBuf> {
    crate::dirs::project_dirs().map(|d| d.data_dir().join("onnxruntime").join(LIBRARY_FILE))
}

/// The library in the packages' private folder for an executable in `exe_dir`, spelled
/// without `..` (`/usr/bin` → `/usr/lib/facesorter/libonnxruntime.so`) so messages read well.
pub fn bundled_location(exe_dir: &Path) -> PathBuf {
    let prefix = exe_dir.parent().unwrap_or(exe_dir);
    prefix.join("lib").join("facesorter").join(LIBRARY_FILE)
}

/// Looks for the library; `env_override` is the value of `ORT_DYLIB_PATH`.
pub fn locate_library(env_override: Option<&Path>) -> LibrarySearch {
    let mut tried = Vec::new();
    if let Some(p) = env_override {
        // An explicit path is the user's word: do not silently fall back past it.
        let found = p.is_file().then(|| p.to_path_buf());
        tried.push(p.to_path_buf());
        return LibrarySearch { found, tried };
    }
    let mut candidates = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        if let Some(dir) = exe.parent() {
            candidates.push(dir.join(LIBRARY_FILE));
            candidates.push(bundled_location(dir));
            // Test and bench binaries live one level down, in target/<profile>/deps.
            if dir.file_name().is_some_and(|n| n == "deps") {
                if let Some(up) = dir.parent() {
                    candidates.push(up.join(LIBRARY_FILE));
                }
            }
        }
    }
    candidates.extend(data_dir_location());
    for c in candidates {
        let hit = c.is_file();
        tried.push(c.clone());
        if hit {
            return LibrarySearch {
                found: Some(c),
                tried,
            };
        }
    }
    LibrarySearch { found: None, tried }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_library_is_in_lib_facesorter_beside_bin() {
        assert_eq!(
            bundled_location(Path::new("/usr/bin")),
            Path::new("/usr/lib/facesorter").join(LIBRARY_FILE)
        );
        assert_eq!(
            bundled_location(Path::new("/opt/facesorter-0.1.0/bin")),
            Path::new("/opt/facesorter-0.1.0/lib/facesorter").join(LIBRARY_FILE)
        );
    }
}
