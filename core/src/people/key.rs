//! How the people file names persons and faces so both outlive the cache: a person by a
//! number that is never reused, a face by its photo's content and its box (a renamed or
//! moved photo keeps its faces; a re-detection by another model finds them by overlap).

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::gallery::Album;
use crate::geometry::FaceBox;

/// A person's number: shown to the user (`people GALLERY name 3 Ann`), stable across runs
/// and never given to another person, even after this one is merged away.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct PersonId(pub u32);

impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Why a text is not a person id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a person id (a whole number such as 3)")]
pub struct PersonIdError(String);

impl FromStr for PersonId {
    type Err = PersonIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .parse::<u32>()
            .map(PersonId)
            .map_err(|_| PersonIdError(s.to_string()))
    }
}

/// The smallest overlap (intersection over union) at which a stored face box is the same
/// face as a detected one. Re-detections of one face by other models, precisions or
/// detector versions overlap far more; neighbouring faces far less.
pub const SAME_FACE_IOU: f32 = 0.5;

/// A face as the people file names it: the SHA-256 of its photo's bytes and its box in
/// photo pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FaceAnchor {
    #[serde(with = "hex_sha")]
    pub photo: [u8; 32],
    /// `[x1, y1, x2, y2]`.
    #[serde(rename = "box")]
    pub face_box: [f32; 4],
}

impl FaceAnchor {
    /// The anchor of album face `face`; `None` past the end.
    pub fn of(album: &Album, face: usize) -> Option<Self> {
        let (record, photo) = album.face_and_photo(face)?;
        Some(Self {
            photo: photo.content_sha256,
            face_box: record.face_box.as_array(),
        })
    }

    pub fn face_box(&self) -> FaceBox {
        let [x1, y1, x2, y2] = self.face_box;
        FaceBox { x1, y1, x2, y2 }
    }

    /// Exact identity of the stored numbers (the file's own notion of "the same anchor"),
    /// usable as a hash key.
    pub fn bits(&self) -> ([u8; 32], [u32; 4]) {
        (self.photo, self.face_box.map(f32::to_bits))
    }
}

/// Finds the album faces the file's anchors name. Each photo's faces are matched
/// one-to-one to the distinct anchors stored for that photo's content, best overlap
/// first, so two anchors never take the same face. A photo present twice (two copies)
/// is matched in each copy: the anchor names the face in both.
#[derive(Debug, Default)]
pub struct AnchorMatcher {
    by_anchor: HashMap<([u8; 32], [u32; 4]), Vec<usize>>,
}

impl AnchorMatcher {
    /// Matches every anchor in `anchors` (duplicates allowed) against `album`.
    pub fn new<'a>(album: &Album, anchors: impl IntoIterator<Item = &'a FaceAnchor>) -> Self {
        let mut per_photo: HashMap<[u8; 32], Vec<FaceAnchor>> = HashMap::new();
        for a in anchors {
            let list = per_photo.entry(a.photo).or_default();
            if !list.iter().any(|b| b.bits() == a.bits()) {
                list.push(*a);
            }
        }
        let mut by_anchor: HashMap<([u8; 32], [u32; 4]), Vec<usize>> = HashMap::new();
        for (p, photo) in album.photos().iter().enumerate() {
            let Some(list) = per_photo.get(&photo.content_sha256) else {
                continue;
            };
            let faces: Vec<usize> = album.face_range(p).collect();
            let mut pairs = Vec::new();
            for (ai, a) in list.iter().enumerate() {
                let abox = a.face_box();
                for (fi, &f) in faces.iter().enumerate() {
                    let iou = abox.iou(&album.faces()[f].face_box);
                    if iou >= SAME_FACE_IOU {
                        pairs.push((iou, ai, fi));
                    }
                }
            }
            // Best overlap first; ties by stored order, then reading order: deterministic.
            pairs.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
            let mut anchor_used = vec![false; list.len()];
            let mut face_used = vec![false; faces.len()];
            for (_, ai, fi) in pairs {
                if anchor_used[ai] || face_used[fi] {
                    continue;
                }
                anchor_used[ai] = true;
                face_used[fi] = true;
                by_anchor
                    .entry(list[ai].bits())
                    .or_default()
                    .push(faces[fi]);
            }
        }
        Self { by_anchor }
    }

    /// The album faces `anchor` names (none when its photo is gone or the face is no
    /// longer detected; more than one only for copies of one photo).
    pub fn faces(&self, anchor: &FaceAnchor) -> &[usize] {
        self.by_anchor
            .get(&anchor.bits())
            .map_or(&[], Vec::as_slice)
    }

    /// Every album face the anchors name, ascending, without repeats.
    pub fn resolve_all<'a>(&self, anchors: impl IntoIterator<Item = &'a FaceAnchor>) -> Vec<usize> {
        let mut out: Vec<usize> = anchors
            .into_iter()
            .flat_map(|a| self.faces(a).iter().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// The 32-byte hash as 64 hex digits in the file.
mod hex_sha {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(d)?;
        let bytes = hex::decode(&text).map_err(serde::de::Error::custom)?;
        bytes
            .try_into()
            .map_err(|_| serde::de::Error::custom("a photo hash is 64 hex digits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn person_id_parses_and_prints_the_number() {
        assert_eq!("17".parse::<PersonId>(), Ok(PersonId(17)));
        assert_eq!(PersonId(17).to_string(), "17");
        assert!("x".parse::<PersonId>().is_err());
        assert!("-1".parse::<PersonId>().is_err());
    }

    fn album(photos: &[([u8; 32], &[[f32; 4]])]) -> Album {
        use crate::gallery::{FaceRecord, PhotoRecord};
        use crate::geometry::{Landmarks, PixelPoint};
        let mut album = Album::new(2);
        for (i, (sha, boxes)) in photos.iter().enumerate() {
            let faces = boxes
                .iter()
                .map(|b| {
                    let face = FaceRecord {
                        photo: 0,
                        face_box: FaceBox {
                            x1: b[0],
                            y1: b[1],
                            x2: b[2],
                            y2: b[3],
                        },
                        landmarks: Landmarks([PixelPoint::new(0.0, 0.0); 5]),
                        detector_score: 0.9,
                        norm: 20.0,
                    };
                    (face, vec![1.0, 0.0])
                })
                .collect();
            album.push_photo(
                PhotoRecord {
                    rel_path: format!("p{i}.jpg").into(),
                    size: 1,
                    mtime_ns: 0,
                    content_sha256: *sha,
                    width: 400,
                    height: 400,
                    first_face: 0,
                    face_count: 0,
                },
                faces,
            );
        }
        album
    }

    #[test]
    fn anchors_find_moved_boxes_one_to_one_in_every_copy_of_the_photo() {
        // Two neighbouring faces in a photo present twice (a copy), one in another photo.
        let left = [100.0, 100.0, 200.0, 200.0];
        let right = [180.0, 100.0, 280.0, 200.0];
        let album = album(&[
            ([1; 32], &[left, right]),
            ([2; 32], &[left]),
            ([1; 32], &[left, right]),
        ]);
        let anchor = |sha, b: [f32; 4]| FaceAnchor {
            photo: [sha; 32],
            face_box: b,
        };
        // Re-detected a few pixels off: still the same faces, each anchor its own face.
        let left_moved = anchor(1, [106.0, 96.0, 206.0, 196.0]);
        let right_moved = anchor(1, [175.0, 104.0, 275.0, 204.0]);
        let m = AnchorMatcher::new(&album, [&left_moved, &right_moved]);
        assert_eq!(m.faces(&left_moved), &[0, 3]);
        assert_eq!(m.faces(&right_moved), &[1, 4]);
        // A box between both faces (IoU under one half with each) names neither; the same
        // box under another photo's hash names nothing there.
        let between = anchor(1, [140.0, 100.0, 240.0, 200.0]);
        let m = AnchorMatcher::new(&album, [&between]);
        assert!(m.faces(&between).is_empty());
        let elsewhere = anchor(3, left);
        let m = AnchorMatcher::new(&album, [&elsewhere]);
        assert!(m.faces(&elsewhere).is_empty());
        // Two anchors wanting one face: the better overlap takes it, the other none.
        let close = anchor(2, [101.0, 100.0, 201.0, 200.0]);
        let far = anchor(2, [120.0, 100.0, 220.0, 200.0]);
        let m = AnchorMatcher::new(&album, [&far, &close]);
        assert_eq!(m.faces(&close), &[2]);
        assert!(m.faces(&far).is_empty());
        assert_eq!(m.resolve_all([&far, &close, &close]), vec![2]);
    }

    #[test]
    fn anchor_round_trips_through_json() {
        let a = FaceAnchor {
            photo: [7; 32],
            face_box: [1.5, 2.0, 30.25, 41.0],
        };
        let text = serde_json::to_string(&a).expect("serialize");
        assert!(text.contains(&"07".repeat(32)), "{text}");
        let back: FaceAnchor = serde_json::from_str(&text).expect("parse");
        assert_eq!(back, a);
    }
}
