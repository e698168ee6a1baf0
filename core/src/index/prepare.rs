//! The parallel half of the pipeline: read a photo's bytes (checking it did not change
//! while being read), hash them, and either reuse cached faces (same bytes as before, or
//! as a vanished photo: a rename) or decode, detect and align. Only the 112×112 crops
//! leave this stage; the decoded photo is dropped here, which bounds memory.

use std::fs;

use image::RgbImage;
use sha2::{Digest, Sha256};

use super::reconcile::{VanishedPhotos, WorkItem};
use super::scan::FileStamp;
use crate::engine::FaceEngine;
use crate::error::chain;
use crate::gallery::{Album, FaceRecord, PhotoRecord};
use crate::photo::{decode_photo_from, read_photo_bytes};

/// How often a photo is re-read when it changes while being read.
const READ_ATTEMPTS: usize = 3;

/// Why a photo needed no detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reuse {
    /// Same path, new mtime, same bytes.
    Touched,
    /// The bytes of a photo whose path vanished.
    Renamed,
}

/// What the parallel stage made of one photo.
#[derive(Debug)]
pub(crate) enum Prepared {
    Reused {
        record: PhotoRecord,
        /// Index of the cached photo whose faces are copied.
        from: usize,
        reuse: Reuse,
    },
    Analysed {
        record: PhotoRecord,
        /// Each face with its aligned crop; `norm` is filled in by the embedding stage.
        faces: Vec<(FaceRecord, RgbImage)>,
        /// The path had a cached photo with other bytes.
        updated: bool,
    },
    Failed {
        item: WorkItem,
        reason: String,
    },
    /// The detector could not be opened: the run stops with this error.
    Stopped(crate::engine::EngineError),
}

pub(crate) fn prepare(
    engine: &FaceEngine,
    item: WorkItem,
    cached: &Album,
    vanished: &VanishedPhotos,
) -> Prepared {
    let (bytes, stamp) = match read_stable(engine, &item) {
        Ok(read) => read,
        Err(reason) => return Prepared::Failed { item, reason },
    };
    let content_sha256: [u8; 32] = Sha256::digest(&bytes).into();
    let record = |width, height| PhotoRecord {
        rel_path: item.photo.rel_path.clone(),
        size: stamp.size,
        mtime_ns: stamp.mtime_ns,
        content_sha256,
        width,
        height,
        first_face: 0,
        face_count: 0,
    };
    let same_as_before = item
        .previous
        .filter(|&i| cached.photos()[i].content_sha256 == content_sha256);
    let reuse = match same_as_before {
        Some(i) => Some((i, Reuse::Touched)),
        None => vanished.claim(&content_sha256).map(|i| (i, Reuse::Renamed)),
    };
    if let Some((from, reuse)) = reuse {
        let old = &cached.photos()[from];
        return Prepared::Reused {
            record: record(old.width, old.height),
            from,
            reuse,
        };
    }
    let photo = match decode_photo_from(&item.photo.path, &bytes, &engine.options().limits) {
        Ok(photo) => photo,
        Err(e) => {
            return Prepared::Failed {
                item,
                reason: chain(&e),
            }
        }
    };
    drop(bytes);
    let image = photo.image;
    let detections = match engine.detect(&image) {
        Ok(d) => d,
        Err(e) if engine.detector_failed() => return Prepared::Stopped(e),
        Err(e) => {
            return Prepared::Failed {
                item,
                reason: format!("face detection failed: {}", chain(&e)),
            }
        }
    };
    let mut faces = Vec::with_capacity(detections.len());
    for d in detections {
        match engine.align(&image, &d.landmarks) {
            Ok(crop) => faces.push((
                FaceRecord {
                    photo: 0,
                    face_box: d.face_box,
                    landmarks: d.landmarks,
                    detector_score: d.score,
                    norm: 0.0,
                },
                crop,
            )),
            // A degenerate landmark set (all points on a line) cannot be aligned: the
            // face is skipped, the rest of the photo is still useful.
            Err(e) => log::warn!("{}: face skipped: {}", item.photo.path.display(), chain(&e)),
        }
    }
    Prepared::Analysed {
        record: record(image.width(), image.height()),
        faces,
        updated: item.previous.is_some(),
    }
}

/// Reads the photo's bytes, re-reading when its size or mtime moved during the read: the
/// stamp stored with the faces must describe exactly the bytes they came from.
fn read_stable(engine: &FaceEngine, item: &WorkItem) -> Result<(Vec<u8>, FileStamp), String> {
    let path = &item.photo.path;
    let stamp = || {
        fs::metadata(path)
            .map(|m| FileStamp::of(&m))
            .map_err(|e| format!("{}: cannot read ({e})", path.display()))
    };
    for _ in 0..READ_ATTEMPTS {
        let before = stamp()?;
        let bytes = read_photo_bytes(path, &engine.options().limits).map_err(|e| chain(&e))?;
        let after = stamp()?;
        if before == after && bytes.len() as u64 == after.size {
            return Ok((bytes, after));
        }
    }
    Err(format!(
        "{}: the file kept changing while it was being read; it will be indexed next time",
        path.display()
    ))
}
