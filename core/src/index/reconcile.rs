//! Comparing the folder with the cached album: which photos are settled as they are, which
//! must be read, and which vanished (candidates for a rename or a deletion).

use std::collections::HashMap;
use std::sync::Mutex;

use super::scan::ScannedPhoto;
use crate::gallery::{Album, FaceRecord, PhotoRecord};

/// A photo to read, with the cache's index of the same path when its stamp changed.
#[derive(Debug, Clone)]
pub(crate) struct WorkItem {
    pub photo: ScannedPhoto,
    pub previous: Option<usize>,
}

/// The outcome of comparing a scan with the cache.
#[derive(Debug)]
pub(crate) struct Reconciled {
    /// The album so far: every cached photo whose size and mtime are unchanged.
    pub kept: Album,
    pub work: Vec<WorkItem>,
    /// Cached photos whose path is gone, by content hash: a new path with the same bytes is
    /// a rename (claimed once), the rest were deleted.
    pub vanished: VanishedPhotos,
}

pub(crate) fn reconcile(scan: &[ScannedPhoto], cached: &Album) -> Reconciled {
    let by_path: HashMap<&str, usize> = cached
        .photos
        .iter()
        .enumerate()
        .map(|(i, p)| (p.rel_path.as_str(), i))
        .collect();
    let mut kept = Album::new(cached.dim);
    let mut present = vec![false; cached.photos.len()];
    let mut work = Vec::new();
    for photo in scan {
        match by_path.get(photo.rel_path.as_str()) {
            Some(&i) => {
                present[i] = true;
                let old = &cached.photos[i];
                if old.size == photo.stamp.size && old.mtime_ns == photo.stamp.mtime_ns {
                    copy_photo(cached, i, old.clone(), &mut kept);
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
    for (i, _) in present.iter().enumerate().filter(|(_, &p)| !p) {
        by_hash
            .entry(cached.photos[i].content_sha256)
            .or_default()
            .push(i);
    }
    Reconciled {
        kept,
        work,
        vanished: VanishedPhotos {
            by_hash: Mutex::new(by_hash),
        },
    }
}

/// Appends cached photo `index` (its faces and embeddings) to `into` under `record`'s
/// path and stamp.
pub(crate) fn copy_photo(cached: &Album, index: usize, record: PhotoRecord, into: &mut Album) {
    let old = &cached.photos[index];
    let first = old.first_face as usize;
    let faces: Vec<(FaceRecord, Vec<f32>)> = (first..first + old.face_count as usize)
        .map(|f| (cached.faces[f], cached.embedding(f).to_vec()))
        .collect();
    into.push_photo(record, faces);
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
        let scan = [
            scanned("changed.jpg", 6),
            scanned("new.jpg", 5),
            scanned("same.jpg", 5),
        ];
        let r = reconcile(&scan, &cached);
        assert_eq!(r.kept.photos.len(), 1);
        assert_eq!(r.kept.photos[0].rel_path, "same.jpg");
        let work: Vec<_> = r
            .work
            .iter()
            .map(|w| (w.photo.rel_path.as_str(), w.previous))
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
}
