//! Finding the photos of a gallery folder: a recursive walk that skips hidden folders,
//! export folders and pseudo file systems, follows symlinks without looping (and out of
//! the gallery at most one hop), and reports unreadable folders instead of stopping.
//!
//! Hand-written rather than `walkdir`: walkdir detects loops only against a folder's
//! ancestors, so a folder reached through two links would be walked (and its photos
//! indexed) twice; and the out-of-gallery hop and the unreadable-folder list need state
//! per branch of the walk.

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
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
    /// Relative to the gallery root, `/`-separated: the cache key. Not necessarily UTF-8.
    pub rel_path: OsString,
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
    /// Relative paths (folders or files) that could not be read this time: cached photos
    /// at or under them are kept as they are, not taken for deleted.
    pub unreadable: Vec<OsString>,
}

impl Scan {
    /// Whether `rel_path` is at or under a path that could not be read.
    pub fn is_unreadable(&self, rel_path: &OsStr) -> bool {
        let path = rel_path.as_encoded_bytes();
        self.unreadable.iter().any(|u| {
            let u = u.as_encoded_bytes();
            u.is_empty()
                || path == u
                || (path.len() > u.len() && path.starts_with(u) && path[u.len()] == b'/')
        })
    }
}

/// A folder waiting to be walked.
struct Pending {
    dir: PathBuf,
    /// Its relative path (empty for the root).
    rel_dir: OsString,
    /// When reached through a symlink out of the gallery: where that link led. Links
    /// leaving both the gallery and this folder are not followed (one hop out at most).
    outside: Option<PathBuf>,
}

/// Walks `root`. Returns `None` when cancelled.
pub(crate) fn scan_gallery(root: &Path, cancel: &AtomicBool) -> Option<Scan> {
    let mut scan = Scan::default();
    let mut visited = HashSet::new();
    let canonical_root = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    if let Some(kind) = pseudo_file_system(&canonical_root) {
        scan.failures.push(IndexFailure::new(
            root,
            format!("a system folder ({kind} file system), not photos: not indexed"),
        ));
        return Some(scan);
    }
    visited.insert(canonical_root.clone());
    let mut stack = vec![Pending {
        dir: root.to_path_buf(),
        rel_dir: OsString::new(),
        outside: None,
    }];
    while let Some(Pending {
        dir,
        rel_dir,
        outside,
    }) = stack.pop()
    {
        if cancel.load(Ordering::Relaxed) {
            return None;
        }
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                scan.failures
                    .push(IndexFailure::new(&dir, format!("cannot open folder ({e})")));
                scan.unreadable.push(rel_dir.clone());
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
                    scan.unreadable.push(rel_dir.clone());
                    continue;
                }
            };
            let name = entry.file_name();
            let path = entry.path();
            // Hidden files and folders: thumbnails caches, `.git`, macOS `._` files.
            if name.as_encoded_bytes().starts_with(b".") {
                continue;
            }
            let mut rel_path = rel_dir.clone();
            if !rel_path.is_empty() {
                rel_path.push("/");
            }
            rel_path.push(&name);
            // `fs::metadata` follows symlinks: a link to a photo is a photo.
            let meta = match fs::metadata(&path) {
                Ok(meta) => meta,
                Err(e) => {
                    let is_link = entry.file_type().is_ok_and(|t| t.is_symlink());
                    if is_link || is_supported_extension(&path) {
                        let reason = if is_link {
                            format!("broken link or unreadable target ({e})")
                        } else {
                            format!("cannot read ({e})")
                        };
                        scan.failures.push(IndexFailure::new(&path, reason));
                    }
                    // A link to an unmounted drive, a folder unreadable for a moment: its
                    // cached photos are kept until it can be read again.
                    scan.unreadable.push(rel_path);
                    continue;
                }
            };
            if meta.is_dir() {
                let canonical = match fs::canonicalize(&path) {
                    Ok(canonical) => canonical,
                    Err(e) => {
                        scan.failures.push(IndexFailure::new(
                            &path,
                            format!("cannot open folder ({e})"),
                        ));
                        scan.unreadable.push(rel_path);
                        continue;
                    }
                };
                let outside = if canonical.starts_with(&canonical_root) {
                    None
                } else {
                    match &outside {
                        Some(base) if canonical.starts_with(base) => Some(base.clone()),
                        Some(_) => {
                            log::info!(
                                "{}: a second symlink out of the gallery, not followed",
                                path.display()
                            );
                            continue;
                        }
                        None => Some(canonical.clone()),
                    }
                };
                if let Some(kind) = pseudo_file_system(&canonical) {
                    log::info!("{}: {kind} file system, not entered", path.display());
                    continue;
                }
                // A folder reached twice (a symlink loop or a second link) is walked once.
                if visited.insert(canonical) {
                    stack.push(Pending {
                        dir: path,
                        rel_dir: rel_path,
                        outside,
                    });
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

/// The kind of pseudo file system (`proc`, `sysfs`, …) `path` is on, if it is one: they
/// hold no photos and can lead anywhere (`/proc/<pid>/root` is the whole file system).
fn pseudo_file_system(path: &Path) -> Option<&'static str> {
    for (top, kind) in [("/proc", "proc"), ("/sys", "sysfs"), ("/dev", "device")] {
        if path.starts_with(top) {
            return Some(kind);
        }
    }
    file_system_kind(path)
}

#[cfg(target_os = "linux")]
#[allow(clippy::unnecessary_cast)] // `f_type`'s type differs between architectures.
fn file_system_kind(path: &Path) -> Option<&'static str> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: statfs writes only into `st`, and `c_path` is a valid C string.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statfs(c_path.as_ptr(), &mut st) } != 0 {
        return None;
    }
    // From linux/magic.h.
    Some(match st.f_type as u64 & 0xffff_ffff {
        0x9fa0 => "proc",
        0x6265_6572 => "sysfs",
        0x1cd1 => "devpts",
        0x0027_e0eb | 0x6367_7270 => "cgroup",
        0x6462_6720 => "debugfs",
        0x7472_6163 => "tracefs",
        0x7363_6673 => "securityfs",
        0xcafe_4a11 => "bpf",
        0x6165_676c => "pstore",
        0x6265_6570 => "configfs",
        0x6573_5543 => "fusectl",
        0x4249_4e4d => "binfmt_misc",
        0xde5e_81e4 => "efivarfs",
        0xf97c_ff8c => "selinuxfs",
        0x1980_0202 => "mqueue",
        0x6e73_6673 => "nsfs",
        _ => return None,
    })
}

#[cfg(not(target_os = "linux"))]
fn file_system_kind(_path: &Path) -> Option<&'static str> {
    None
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
        scan.photos
            .into_iter()
            .map(|p| p.rel_path.to_string_lossy().into_owned())
            .collect()
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
        let found: Vec<_> = scan
            .photos
            .iter()
            .map(|p| p.rel_path.to_string_lossy())
            .collect();
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
