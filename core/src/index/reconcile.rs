//! Comparing the folder with the cached album: which photos are settled as they are, which
//! must be read, and which vanished (candidates for a rename or a deletion).

use std::collections::HashMap;
use std::ffi::OsStr;
use std::sync::Mutex;

use super::scan::{Scan, ScannedPhoto};
use crate::gallery::Album;

/// A photo to read, with the cache's index of the same path when its stamp changed.
#[derive(Debug, Clone)]
pub(crate) struct WorkItem {
    pub photo: ScannedPhoto,
    pub previous: Option<usize>,
}

/// The outcome of comparing a scan with the cache.
#[derive(Debug)]
pub(crate) struct Reconciled {
    /// The album so far: every cached photo whose size and mtime are unchanged, and those
    /// in folders that could not be read this time.
    pub kept: Album,
    /// How many of `kept` are in unreadable folders (not seen, kept as they were).
    pub kept_unreadable: usize,
    pub work: Vec<WorkItem>,
    /// Cached photos whose path is gone, by content hash: a new path with the same bytes is
    /// a rename (claimed once), the rest were deleted.
    pub vanished: VanishedPhotos,
}

pub(crate) fn reconcile(scan: &Scan, cached: &Album) -> Reconciled {
    let by_path: HashMap<&OsStr, usize> = cached
        .photos()
        .iter()
        .enumerate()
        .map(|(i, p)| (p.rel_path.as_os_str(), i))
        .collect();
    let mut kept = Album::new(cached.dim());
    let mut present = vec![false; cached.photos().len()];
    let mut work = Vec::new();
    for photo in &scan.photos {
        match by_path.get(photo.rel_path.as_os_str()) {
            Some(&i) => {
                present[i] = true;
                let old = &cached.photos()[i];
                if old.size == photo.stamp.size && old.mtime_ns == photo.stamp.mtime_ns {
                    kept.push_photo_from(cached, i, old.clone());
                } else {
                    work.push(WorkItem {
                        photo: photo.clone(),
                        previous: Some(i),
                    });
                }
            }
            None => work.push(WorkItem {
                photo: photo.clone(),
                previous: None,
            }),
        }
    }
    let mut by_hash: HashMap<[u8; 32], Vec<usize>> = HashMap::new();
    let mut kept_unreadable = 0;
    for (i, _) in present.iter().enumerate().filter(|(_, &p)| !p) {
        let photo = &cached.photos()[i];
        if scan.is_unreadable(&photo.rel_path) {
            kept.push_photo_from(cached, i, photo.clone());
            kept_unreadable += 1;
            continue;
        }
        by_hash.entry(photo.content_sha256).or_default().push(i);
    }
    Reconciled {
        kept,
        kept_unreadable,
        work,
        vanished: VanishedPhotos {
            by_hash: Mutex::new(by_hash),
        },
    }
}

/// Vanished cached photos not yet claimed by a rename, shared by the pipeline's workers.
#[derive(Debug, Default)]
pub(crate) struct VanishedPhotos {
    by_hash: Mutex<HashMap<[u8; 32], Vec<usize>>>,
}

impl VanishedPhotos {
    /// Claims a vanished photo with these bytes, if any is left.
    pub fn claim(&self, content_sha256: &[u8; 32]) -> Option<usize> {
        let mut map = self.by_hash.lock().ok()?;
        let list = map.get_mut(content_sha256)?;
        let claimed = list.pop();
        if list.is_empty() {
            map.remove(content_sha256);
        }
        claimed
    }

    /// The cached indices never claimed, sorted.
    pub fn unclaimed(&self) -> Vec<usize> {
        let mut all: Vec<usize> = self
            .by_hash
            .lock()
            .map(|m| m.values().flatten().copied().collect())
            .unwrap_or_default();
        all.sort_unstable();
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gallery::PhotoRecord;
    use crate::index::scan::FileStamp;

    fn record(path: &str, size: u64, hash: u8) -> PhotoRecord {
        PhotoRecord {
            rel_path: path.into(),
            size,
            mtime_ns: 1,
            content_sha256: [hash; 32],
            width: 10,
            height: 10,
            first_face: 0,
            face_count: 0,
        }
    }

    fn scanned(path: &str, size: u64) -> ScannedPhoto {
        ScannedPhoto {
            rel_path: path.into(),
            path: path.into(),
            stamp: FileStamp { size, mtime_ns: 1 },
        }
    }

    #[test]
    fn sorts_photos_into_kept_work_and_vanished() {
        let mut cached = Album::new(2);
        cached.push_photo(record("same.jpg", 5, 1), vec![]);
        cached.push_photo(record("changed.jpg", 5, 2), vec![]);
        cached.push_photo(record("gone.jpg", 5, 3), vec![]);
        cached.push_photo(record("gone2.jpg", 5, 3), vec![]);
        let scan = Scan {
            photos: vec![
                scanned("changed.jpg", 6),
                scanned("new.jpg", 5),
                scanned("same.jpg", 5),
            ],
            ..Scan::default()
        };
        let r = reconcile(&scan, &cached);
        assert_eq!(r.kept.photos().len(), 1);
        assert_eq!(r.kept.photos()[0].rel_path, "same.jpg");
        let work: Vec<_> = r
            .work
            .iter()
            .map(|w| (w.photo.rel_path.to_str().unwrap_or_default(), w.previous))
            .collect();
        assert_eq!(work, [("changed.jpg", Some(1)), ("new.jpg", None)]);
        assert_eq!(r.vanished.unclaimed(), [2, 3]);
        // Two vanished copies of the same bytes: each can be claimed once.
        assert!(r.vanished.claim(&[3; 32]).is_some());
        assert!(r.vanished.claim(&[3; 32]).is_some());
        assert_eq!(r.vanished.claim(&[3; 32]), None);
        assert_eq!(r.vanished.claim(&[9; 32]), None);
        assert!(r.vanished.unclaimed().is_empty());
    }

    #[test]
    fn photos_under_an_unreadable_folder_are_kept_not_vanished() {
        let mut cached = Album::new(2);
        cached.push_photo(record("trip/a.jpg", 5, 1), vec![]);
        cached.push_photo(record("trip2/b.jpg", 5, 2), vec![]);
        cached.push_photo(record("trip", 5, 3), vec![]);
        let scan = Scan {
            unreadable: vec!["trip".into()],
            ..Scan::default()
        };
        let r = reconcile(&scan, &cached);
        let kept: Vec<_> = r.kept.photos().iter().map(|p| p.rel_path.clone()).collect();
        // `trip2/` only shares the prefix's characters, not the folder.
        assert_eq!(kept, ["trip/a.jpg", "trip"]);
        assert_eq!(r.kept_unreadable, 2);
        assert_eq!(r.vanished.unclaimed(), [1]);
    }
}
