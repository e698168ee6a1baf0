//! The in-memory album: photos, their faces, and the embedding matrix.

use std::ffi::OsString;

use serde::{Deserialize, Serialize};

use crate::geometry::{FaceBox, Landmarks};
use crate::search::int8::Int8Rows;

/// Everything that changes embeddings. Two albums with different fingerprints never mix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fingerprint {
    pub recognizer_sha256: String,
    pub detector_sha256: String,
    /// Detector settings, as exact bit patterns of the f32 thresholds.
    pub detector_params: String,
    pub alignment: String,
    /// The recognizer's input convention (size, colour order, mean, std as bit patterns):
    /// the same file fed other pixels gives other embeddings.
    pub recognizer_input: String,
    /// Which faces detection yields and in what order (`detect::DETECTION_VERSION`): the
    /// faces of a photo are numbered by their place in the album.
    pub detection: String,
    pub embedding_dim: u32,
}

impl Fingerprint {
    /// A short stable hex digest, used in the cache file name.
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for part in [
            self.recognizer_sha256.as_str(),
            self.detector_sha256.as_str(),
            self.detector_params.as_str(),
            self.alignment.as_str(),
            self.recognizer_input.as_str(),
            self.detection.as_str(),
        ] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        h.update(self.embedding_dim.to_le_bytes());
        hex::encode(&h.finalize()[..8])
    }
}

/// One photo of the gallery, as it was when indexed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoRecord {
    /// Path relative to the gallery root, with `/` separators. An `OsString`: a folder or
    /// file name need not be valid Unicode (show it with `to_string_lossy`).
    pub rel_path: OsString,
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    /// SHA-256 of the file's bytes: recognises a renamed or moved photo.
    pub content_sha256: [u8; 32],
    /// Displayed (EXIF-applied) size.
    pub width: u32,
    pub height: u32,
    /// This photo's faces are `faces[first_face .. first_face + face_count]`.
    pub first_face: u32,
    pub face_count: u32,
}

impl PhotoRecord {
    /// The photo's absolute path, given the gallery folder it was indexed under.
    pub fn path_in(&self, root: &std::path::Path) -> std::path::PathBuf {
        root.join(&self.rel_path)
    }
}

/// One face of a gallery photo; its embedding is row `index` of the album's matrix.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FaceRecord {
    /// Index into `Album::photos`.
    pub photo: u32,
    pub face_box: FaceBox,
    pub landmarks: Landmarks,
    pub detector_score: f32,
    /// AdaFace norm: the quality signal.
    pub norm: f32,
}

/// Why [`Album::from_parts`] refused its parts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("inconsistent album: {0}")]
pub struct AlbumError(String);

/// The whole indexed gallery. Invariant: `embeddings.len() == faces.len() * dim`, each
/// photo's face range lies inside `faces` right after the previous photo's, each face
/// points back at its photo, and every embedding value is finite; and `int8` is the int8
/// copy of exactly these embeddings (the first stage of a large search). The fields are
/// private so nothing can break it: build with [`Album::new`] + [`Album::push_photo`]
/// (which quantise each new row), or check loaded parts with [`Album::from_parts`] (which
/// quantises the whole matrix once, in parallel).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Album {
    dim: usize,
    photos: Vec<PhotoRecord>,
    faces: Vec<FaceRecord>,
    /// Unit embeddings, row-major, `dim` floats per face.
    embeddings: Vec<f32>,
    /// Their int8 copy, row for row.
    int8: Int8Rows,
}

impl Album {
    pub fn new(dim: usize) -> Self {
        Self {
            dim,
            int8: Int8Rows::new(dim),
            ..Self::default()
        }
    }

    /// An album from its parts (e.g. read from a cache file), refused unless it keeps the
    /// invariants.
    pub fn from_parts(
        dim: usize,
        photos: Vec<PhotoRecord>,
        faces: Vec<FaceRecord>,
        embeddings: Vec<f32>,
    ) -> Result<Self, AlbumError> {
        let mut album = Self {
            dim,
            photos,
            faces,
            embeddings,
            int8: Int8Rows::new(dim),
        };
        album.check_parts()?;
        album.int8 = Int8Rows::from_matrix(dim, &album.embeddings);
        Ok(album)
    }

    /// Floats per embedding row.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Every photo, in album order.
    pub fn photos(&self) -> &[PhotoRecord] {
        &self.photos
    }

    /// Every face, in album order (each photo's faces together).
    pub fn faces(&self) -> &[FaceRecord] {
        &self.faces
    }

    /// The unit embeddings, row-major, `dim` floats per face.
    pub fn embeddings(&self) -> &[f32] {
        &self.embeddings
    }

    /// The int8 copy of the embeddings.
    pub(crate) fn int8(&self) -> &Int8Rows {
        &self.int8
    }

    /// Bytes held by the int8 copy (values and per-row data).
    pub fn int8_bytes(&self) -> usize {
        self.int8.bytes()
    }

    /// Face `face` and its photo; `None` past the end.
    pub fn face_and_photo(&self, face: usize) -> Option<(&FaceRecord, &PhotoRecord)> {
        let record = self.faces.get(face)?;
        Some((record, self.photos.get(record.photo as usize)?))
    }

    pub fn face_count(&self) -> usize {
        self.faces.len()
    }

    /// The faces of photo `photo` (indices into [`Self::faces`]).
    pub fn face_range(&self, photo: usize) -> std::ops::Range<usize> {
        self.photos.get(photo).map_or(0..0, |p| {
            p.first_face as usize..p.first_face as usize + p.face_count as usize
        })
    }

    pub fn embedding(&self, face: usize) -> &[f32] {
        &self.embeddings[face * self.dim..(face + 1) * self.dim]
    }

    pub fn photo_of(&self, face: usize) -> &PhotoRecord {
        &self.photos[self.faces[face].photo as usize]
    }

    /// Appends a photo and its faces (each with its unit embedding). The record's face
    /// range and each face's photo index are set here.
    ///
    /// # Panics
    /// When an embedding is not `dim` long: a programming error, never input.
    pub fn push_photo(&mut self, mut photo: PhotoRecord, faces: Vec<(FaceRecord, Vec<f32>)>) {
        let photo_index = self.photos.len() as u32;
        photo.first_face = self.faces.len() as u32;
        photo.face_count = faces.len() as u32;
        for (mut face, embedding) in faces {
            assert_eq!(embedding.len(), self.dim, "embedding length");
            face.photo = photo_index;
            self.faces.push(face);
            self.embeddings.extend_from_slice(&embedding);
            self.int8.push(&embedding);
        }
        self.photos.push(photo);
    }

    /// Appends photo `index` of `other` (its faces and embeddings) under `record`'s path
    /// and stamp.
    pub fn push_photo_from(&mut self, other: &Album, index: usize, record: PhotoRecord) {
        let faces = other
            .face_range(index)
            .map(|f| (other.faces[f], other.embedding(f).to_vec()))
            .collect();
        self.push_photo(record, faces);
    }

    /// Checks the invariants; a cache that breaks them is damaged.
    pub fn is_consistent(&self) -> bool {
        self.check().is_ok()
    }

    fn check(&self) -> Result<(), AlbumError> {
        self.check_parts()?;
        if self.int8.len() != self.faces.len() || self.int8.dim() != self.dim {
            return Err(AlbumError(
                "the int8 copy differs from the embeddings".to_string(),
            ));
        }
        Ok(())
    }

    /// The invariants of the loaded parts (all but the int8 copy, which is built from them).
    fn check_parts(&self) -> Result<(), AlbumError> {
        let fail = |why: &str| Err(AlbumError(why.to_string()));
        if self.dim == 0 {
            return fail("embedding dimension 0");
        }
        if Some(self.embeddings.len()) != self.faces.len().checked_mul(self.dim) {
            return fail("embedding matrix size differs from faces × dim");
        }
        let mut expected_first = 0usize;
        for (i, p) in self.photos.iter().enumerate() {
            if p.first_face as usize != expected_first {
                return fail("a photo's faces do not follow the previous photo's");
            }
            let end = expected_first + p.face_count as usize;
            if end > self.faces.len()
                || self.faces[expected_first..end]
                    .iter()
                    .any(|f| f.photo as usize != i)
            {
                return fail("a face does not point back at its photo");
            }
            expected_first = end;
        }
        if expected_first != self.faces.len() {
            return fail("faces that belong to no photo");
        }
        if !self.embeddings.iter().all(|v| v.is_finite()) {
            return fail("an embedding value is not finite");
        }
        Ok(())
    }
}
