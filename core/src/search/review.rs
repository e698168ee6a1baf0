//! The user's word on single matches: "this is the person" (accepted) or "not this one"
//! (rejected). Verdicts are keyed by [`FaceKey`] — the photo's path under the gallery root
//! and the face's index within the photo — not by album face number, so they survive a
//! re-index (a checkpoint, a new model) for as long as that photo keeps that face.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::path::{Component, Path};

use crate::gallery::Album;

/// A gallery face named so that it stays the same face across re-indexing: the photo's
/// path relative to the gallery root, and the face's 0-based index within the photo
/// (faces are stored in reading order of their boxes, so this does not depend on the
/// detector's scores, which fp32 and bf16 can swap).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FaceKey {
    pub photo: OsString,
    pub index: u32,
}

impl FaceKey {
    /// The key of album face `face`; `None` past the end.
    pub fn of(album: &Album, face: usize) -> Option<Self> {
        let (record, photo) = album.face_and_photo(face)?;
        let first = album.photos().get(record.photo as usize)?.first_face;
        Some(Self {
            photo: photo.rel_path.clone(),
            index: (face as u32).checked_sub(first)?,
        })
    }
}

/// What the user said about one match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The person: shown and exported whatever the threshold and the quality filter.
    Accepted,
    /// Not the person: never exported, shown only dimmed.
    Rejected,
}

/// Why a `PATH#INDEX` does not name a face of the album.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaceKeyError {
    #[error("{path}: not a photo of the gallery {root}")]
    UnknownPhoto { path: String, root: String },
    #[error("{path} has {faces} face(s): there is no face #{index} (faces are numbered from 0)")]
    UnknownFace {
        path: String,
        index: u32,
        faces: u32,
    },
}

/// Every verdict given in one search, by face key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Review {
    verdicts: HashMap<FaceKey, Verdict>,
}

impl Review {
    pub fn is_empty(&self) -> bool {
        self.verdicts.is_empty()
    }

    pub fn get(&self, key: &FaceKey) -> Option<Verdict> {
        self.verdicts.get(key).copied()
    }

    /// Sets (or with `None` clears) the verdict on `key`.
    pub fn set(&mut self, key: FaceKey, verdict: Option<Verdict>) {
        match verdict {
            Some(v) => {
                self.verdicts.insert(key, v);
            }
            None => {
                self.verdicts.remove(&key);
            }
        }
    }

    pub fn clear(&mut self) {
        self.verdicts.clear();
    }

    /// The verdict on each face of `album` (`None`: no word), in face order. Keys whose
    /// photo or face the album does not have are kept but match nothing.
    pub fn resolve(&self, album: &Album) -> Vec<Option<Verdict>> {
        let mut out = vec![None; album.face_count()];
        if self.verdicts.is_empty() {
            return out;
        }
        // One pass over the photos, looking up only photos that have a verdict.
        let mut by_photo: HashMap<&OsStr, Vec<(u32, Verdict)>> = HashMap::new();
        for (key, &v) in &self.verdicts {
            by_photo
                .entry(key.photo.as_os_str())
                .or_default()
                .push((key.index, v));
        }
        for photo in album.photos() {
            let Some(list) = by_photo.get(photo.rel_path.as_os_str()) else {
                continue;
            };
            for &(index, v) in list {
                if index < photo.face_count {
                    let face = photo.first_face as usize + index as usize;
                    if let Some(slot) = out.get_mut(face) {
                        *slot = Some(v);
                    }
                }
            }
        }
        out
    }
}

/// The face `index` of the photo at `path`: a path relative to the gallery `root`, or one
/// under the root as given (absolute, or relative to the working folder like the root).
pub fn face_key_for(
    album: &Album,
    root: &Path,
    path: &Path,
    index: u32,
) -> Result<FaceKey, FaceKeyError> {
    let unknown = || FaceKeyError::UnknownPhoto {
        path: path.display().to_string(),
        root: root.display().to_string(),
    };
    let photo = candidates(root, path)
        .into_iter()
        .find_map(|rel| {
            album
                .photos()
                .iter()
                .find(|p| Path::new(&p.rel_path) == rel)
        })
        .ok_or_else(unknown)?;
    if index >= photo.face_count {
        return Err(FaceKeyError::UnknownFace {
            path: path.display().to_string(),
            index,
            faces: photo.face_count,
        });
    }
    Ok(FaceKey {
        photo: photo.rel_path.clone(),
        index,
    })
}

/// The relative paths `path` may mean under `root`, most literal first.
fn candidates(root: &Path, path: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rel) = path.strip_prefix(root) {
        out.push(normal(rel));
    }
    if let (Ok(r), Ok(p)) = (root.canonicalize(), path.canonicalize()) {
        if let Ok(rel) = p.strip_prefix(&r) {
            out.push(rel.to_path_buf());
        }
    }
    if path.is_relative() {
        out.push(normal(path));
    }
    out
}

/// Without `.` components (`./a.jpg` is `a.jpg`).
fn normal(path: &Path) -> std::path::PathBuf {
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}
