//! Finding the photos of a gallery folder: a recursive walk that skips hidden folders and
//! export folders, follows symlinks without looping, and reports unreadable folders
//! instead of stopping.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::UNIX_EPOCH;

use super::IndexFailure;
use crate::export::EXPORT_MARKER;
use crate::photo::is_supported_extension;

/// A photo file found by the walk, with the stat that decides whether it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScannedPhoto {
    /// Relative to the gallery root, `/`-separated: the cache key.
    pub rel_path: String,
    pub path: PathBuf,
    pub stamp: FileStamp,
}

/// Size and modification time: a photo whose stamp is unchanged is not read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileStamp {
    pub size: u64,
    pub mtime_ns: i64,
}

impl FileStamp {
    pub fn of(meta: &fs::Metadata) -> Self {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| match t.duration_since(UNIX_EPOCH) {
                Ok(d) => i64::try_from(d.as_nanos()).ok(),
                Err(before) => i64::try_from(before.duration().as_nanos()).ok().map(|n| -n),
            })
            .unwrap_or(0);
        Self {
            size: meta.len(),
            mtime_ns,
        }
    }
}

/// What the walk found: photos sorted by relative path, and what could not be read.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    pub photos: Vec<ScannedPhoto>,
    pub failures: Vec<IndexFailure>,
}

/// Walks `root`. Returns `None` when cancelled.
pub(crate) fn scan_gallery(root: &Path, cancel: &AtomicBool) -> Option<Scan> {
    let mut scan = Scan::default();
    let mut visited = HashSet::new();
    if let Ok(canonical) = fs::canonicalize(root) {
        visited.insert(canonical);
    }
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        if cancel.load(Ordering::Relaxed) {
            return None;
        }
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                scan.failures
                    .push(IndexFailure::new(&dir, format!("cannot open folder ({e})")));
                continue;
            }
        };
        if dir.join(EXPORT_MARKER).exists() {
            continue;
        }
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    scan.failures
                        .push(IndexFailure::new(&dir, format!("cannot list folder ({e})")));
                    continue;
                }
            };
            let name = entry.file_name();
            let path = entry.path();
            let Some(name) = name.to_str() else {
                if is_supported_extension(&path) {
                    scan.failures.push(IndexFailure::new(
                        &path,
                        "the file name is not valid Unicode; rename it to index it",
                    ));
                }
                continue;
            };
            // Hidden files and folders: thumbnails caches, `.git`, macOS `._` files.
            if name.starts_with('.') {
                continue;
            }
            let rel_path = format!("{prefix}{name}");
            // `fs::metadata` follows symlinks: a link to a photo is a photo.
            let meta = match fs::metadata(&path) {
                Ok(meta) => meta,
                Err(e) => {
                    if is_supported_extension(&path) {
                        let reason = if entry.file_type().is_ok_and(|t| t.is_symlink()) {
                            format!("broken link ({e})")
                        } else {
                            format!("cannot read ({e})")
                        };
                        scan.failures.push(IndexFailure::new(&path, reason));
                    }
                    continue;
                }
            };
            if meta.is_dir() {
                // A folder reached twice (a symlink loop or a second link) is walked once.
                match fs::canonicalize(&path) {
                    Ok(canonical) => {
                        if visited.insert(canonical) {
                            stack.push((path, format!("{rel_path}/")));
                        }
                    }
                    Err(e) => scan.failures.push(IndexFailure::new(
                        &path,
                        format!("cannot open folder ({e})"),
                    )),
                }
            } else if meta.is_file() && is_supported_extension(&path) {
                scan.photos.push(ScannedPhoto {
                    rel_path,
                    path,
                    stamp: FileStamp::of(&meta),
                });
            }
        }
    }
    scan.photos.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    Some(scan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("mkdir");
        }
        fs::write(path, b"x").expect("write");
    }

    fn rel_paths(root: &Path) -> Vec<String> {
        let scan = scan_gallery(root, &AtomicBool::new(false)).expect("not cancelled");
        scan.photos.into_iter().map(|p| p.rel_path).collect()
    }

    #[test]
    fn finds_photos_recursively_in_any_letter_case_and_skips_the_rest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for name in [
            "a.jpg",
            "b.JPEG",
            "sub/c.png",
            "sub/deeper/d.WebP",
            "e.bmp",
            "f.TIF",
            "g.tiff",
            "notes.txt",
            "raw.cr2",
            ".hidden.jpg",
            ".cache/h.jpg",
            "export/pair.jpg",
        ] {
            touch(&root.join(name));
        }
        touch(&root.join("export").join(EXPORT_MARKER));
        assert_eq!(
            rel_paths(root),
            [
                "a.jpg",
                "b.JPEG",
                "e.bmp",
                "f.TIF",
                "g.tiff",
                "sub/c.png",
                "sub/deeper/d.WebP"
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_are_walked_once_and_broken_links_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        touch(&root.join("sub/a.jpg"));
        std::os::unix::fs::symlink(root, root.join("sub/loop")).expect("symlink");
        std::os::unix::fs::symlink(root.join("missing.jpg"), root.join("broken.jpg"))
            .expect("symlink");
        let scan = scan_gallery(root, &AtomicBool::new(false)).expect("not cancelled");
        let found: Vec<_> = scan.photos.iter().map(|p| p.rel_path.as_str()).collect();
        assert_eq!(found, ["sub/a.jpg"]);
        assert_eq!(scan.failures.len(), 1, "{:?}", scan.failures);
        assert!(scan.failures[0].reason.contains("broken link"));
    }

    #[test]
    fn a_missing_root_is_a_failure_not_a_panic() {
        let dir = tempfile::tempdir().expect("tempdir");
        let scan =
            scan_gallery(&dir.path().join("nope"), &AtomicBool::new(false)).expect("not cancelled");
        assert!(scan.photos.is_empty());
        assert_eq!(scan.failures.len(), 1);
    }

    #[test]
    fn cancelling_stops_the_walk() {
        let dir = tempfile::tempdir().expect("tempdir");
        touch(&dir.path().join("a.jpg"));
        assert!(scan_gallery(dir.path(), &AtomicBool::new(true)).is_none());
    }
}
