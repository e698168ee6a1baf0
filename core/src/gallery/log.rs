//! The checkpoint log: while a run indexes, each batch of finished photos is appended to
//! a file beside the cache (`<cache name>.fsl`) and synced, instead of rewriting the whole
//! cache. [`GalleryCache::load`] replays it onto the cache file; [`GalleryCache::save`]
//! compacts both into a new cache file and removes it.
//!
//! Layout (little-endian):
//!
//! ```text
//! magic        8 bytes  "FSCLOG\0\0"
//! version      u32      FORMAT_VERSION
//! header_len   u32
//! header       JSON: fingerprint, root, dim, base_generation (the cache file it extends)
//! sha256       32 bytes of the header
//! records, each one batch:
//!   payload_len u64 · payload · sha256 of the payload
//!   payload: photos u32, faces u32, photo records, face records, embeddings — as in the
//!            cache file, with face ranges and photo indices counted within the batch
//! ```
//!
//! A record is only appended whole and synced before the run goes on; a kill during an
//! append leaves a torn last record, which replay ignores: only that batch is lost. A
//! photo in a later record replaces the same path in the cache file or an earlier record.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::album::{Album, Fingerprint};
use super::cache::{
    canonical, decode_faces, decode_floats, decode_photo, encode_face, encode_floats, encode_photo,
    io_err, new_generation, sync_dir, MainLoad, Reader, CHECKSUM_LEN, FACE_LEN, MAX_HEADER_LEN,
    PHOTO_FIXED_LEN,
};
use super::{CacheError, GalleryCache, FORMAT_VERSION};

const LOG_MAGIC: &[u8; 8] = b"FSCLOG\0\0";

#[derive(Serialize, Deserialize)]
struct LogHeader {
    fingerprint: Fingerprint,
    root: String,
    dim: u32,
    base_generation: u64,
}

/// The complete batches of a log, and where the last complete one ends.
struct ParsedLog {
    batches: Vec<Album>,
    valid_len: u64,
}

/// Reads the log at `path` if it extends the cache file of generation `generation`.
fn parse(bytes: &[u8], fp: &Fingerprint, root: &str, generation: u64) -> Option<ParsedLog> {
    let mut r = Reader::new(bytes);
    if r.take(LOG_MAGIC.len(), "magic").ok()? != LOG_MAGIC
        || r.u32("version").ok()? != FORMAT_VERSION
    {
        return None;
    }
    let header_len = r.u32("header length").ok()? as usize;
    if header_len > MAX_HEADER_LEN {
        return None;
    }
    let header: LogHeader = serde_json::from_slice(r.section(header_len, "header").ok()?).ok()?;
    if header.fingerprint != *fp
        || header.root != root
        || header.base_generation != generation
        || header.dim != fp.embedding_dim
    {
        return None;
    }
    let dim = header.dim as usize;
    let mut log = ParsedLog {
        batches: Vec::new(),
        valid_len: r.pos as u64,
    };
    while r.pos < bytes.len() {
        match parse_record(&mut r, dim) {
            Ok(batch) => {
                log.batches.push(batch);
                log.valid_len = r.pos as u64;
            }
            Err(why) => {
                // The batch being written when the run was killed, or damage: everything
                // before it is intact (each record has its own checksum).
                log::info!(
                    "checkpoint log: {why} at byte {}; later batches ignored",
                    log.valid_len
                );
                break;
            }
        }
    }
    Some(log)
}

fn parse_record(r: &mut Reader<'_>, dim: usize) -> Result<Album, String> {
    let len = r.u64("record length")?;
    let len = usize::try_from(len).map_err(|_| "record length too large")?;
    let payload = r.section(len, "record")?;
    let mut p = Reader::new(payload);
    let photo_count = p.u32("photo count")? as usize;
    let face_count = p.u32("face count")? as usize;
    // Checked against the payload before allocating from the counts.
    let fixed = photo_count
        .checked_mul(PHOTO_FIXED_LEN)
        .zip(face_count.checked_mul(FACE_LEN + 4 * dim))
        .and_then(|(a, b)| a.checked_add(b))
        .ok_or("record counts overflow")?;
    if fixed > payload.len() {
        return Err("record counts exceed its length".into());
    }
    let mut photos = Vec::with_capacity(photo_count);
    for _ in 0..photo_count {
        photos.push(decode_photo(&mut p)?);
    }
    let faces = decode_faces(p.take(face_count * FACE_LEN, "faces")?)?;
    let embeddings = decode_floats(p.take(face_count * dim * 4, "embeddings")?);
    if p.pos != payload.len() {
        return Err("record has trailing bytes".into());
    }
    Album::from_parts(dim, photos, faces, embeddings).map_err(|e| e.to_string())
}

/// `album` (the cache file's, of generation `generation`) with the log's batches applied.
pub(super) fn replay(
    path: &Path,
    fp: &Fingerprint,
    root: &str,
    generation: u64,
    album: Album,
) -> Album {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return album,
        Err(e) => {
            log::warn!("cannot read the checkpoint log {}: {e}", path.display());
            return album;
        }
    };
    match parse(&bytes, fp, root, generation) {
        Some(log) if !log.batches.is_empty() => merge(album, &log.batches),
        Some(_) => album,
        None => {
            log::info!(
                "checkpoint log {} does not extend this cache file; ignored",
                path.display()
            );
            album
        }
    }
}

/// The base album's photos, each replaced by the last batch holding the same path, then
/// the batches' new photos in log order.
fn merge(base: Album, batches: &[Album]) -> Album {
    let mut latest: HashMap<&OsString, (usize, usize)> = HashMap::new();
    for (b, batch) in batches.iter().enumerate() {
        for (i, photo) in batch.photos().iter().enumerate() {
            latest.insert(&photo.rel_path, (b, i));
        }
    }
    let mut out = Album::new(base.dim());
    for (i, photo) in base.photos().iter().enumerate() {
        if !latest.contains_key(&photo.rel_path) {
            out.push_photo_from(&base, i, photo.clone());
        }
    }
    for (b, batch) in batches.iter().enumerate() {
        for (i, photo) in batch.photos().iter().enumerate() {
            if latest.get(&photo.rel_path) == Some(&(b, i)) {
                out.push_photo_from(batch, i, photo.clone());
            }
        }
    }
    out
}

/// An indexing run's checkpoint log (see the module docs). Opened on the first append.
#[derive(Debug)]
pub struct CheckpointLog {
    cache: GalleryCache,
    root: PathBuf,
    fp: Fingerprint,
    file: Option<File>,
    /// Length of the log up to its last complete record.
    len: u64,
    /// An append failed: later ones would follow a torn record, so none are made.
    broken: bool,
    bytes_written: u64,
}

impl CheckpointLog {
    pub(super) fn new(cache: GalleryCache, root: &Path, fp: &Fingerprint) -> Self {
        Self {
            cache,
            root: root.to_path_buf(),
            fp: fp.clone(),
            file: None,
            len: 0,
            broken: false,
            bytes_written: 0,
        }
    }

    /// Bytes this log (and the empty cache file it may create) wrote so far.
    pub fn bytes_written(&self) -> u64 {
        self.bytes_written
    }

    /// Appends photos `photos` of `album` as one batch, synced to disk before it returns.
    pub fn append(&mut self, album: &Album, photos: Range<usize>) -> Result<(), CacheError> {
        if self.broken || photos.is_empty() {
            return Ok(());
        }
        let record = encode_record(album, photos).map_err(io_err("encode", &self.log_path()))?;
        let result = self.write_record(&record);
        if result.is_err() {
            self.broken = true;
            // Cut a partial record so the log stays replayable up to the last batch.
            if let Some(file) = self.file.take() {
                let _ = file.set_len(self.len);
            }
        }
        result
    }

    fn log_path(&self) -> PathBuf {
        self.cache.log_path_for(&self.root, &self.fp)
    }

    fn write_record(&mut self, record: &[u8]) -> Result<(), CacheError> {
        let path = self.log_path();
        let mut empty_cache_generation = None;
        if self.file.is_none() {
            let (file, len, missing_cache) = self.open()?;
            self.file = Some(file);
            self.len = len;
            empty_cache_generation = missing_cache;
        }
        let Some(file) = self.file.as_mut() else {
            return Ok(());
        };
        file.write_all(record).map_err(io_err("append to", &path))?;
        file.sync_data().map_err(io_err("sync", &path))?;
        self.len += record.len() as u64;
        self.bytes_written += record.len() as u64;
        if let Some(generation) = empty_cache_generation {
            // A log extends a cache file; the first run of a gallery has none yet, so an
            // empty one is written now, after the first batch is safe in the log.
            let empty = Album::new(self.fp.embedding_dim as usize);
            self.cache
                .save_generation(&self.root, &self.fp, &empty, generation)?;
            let main = self.cache.path_for(&self.root, &self.fp);
            self.bytes_written += fs::metadata(main).map_or(0, |m| m.len());
        }
        Ok(())
    }

    /// Opens the log for appending: the existing one (cut after its last complete batch)
    /// when it extends the current cache file, else a new one. Also returns the
    /// generation of the empty cache file to write when there is no usable cache file.
    fn open(&mut self) -> Result<(File, u64, Option<u64>), CacheError> {
        let path = self.log_path();
        let root_text = canonical(&self.root).to_string_lossy().into_owned();
        let (base, missing_cache) = match self.cache.load_main(&self.root, &self.fp) {
            MainLoad::Loaded { generation, .. } => (generation, false),
            MainLoad::Missing | MainLoad::Damaged { .. } => (new_generation(), true),
        };
        if !missing_cache {
            if let Ok(bytes) = fs::read(&path) {
                if let Some(log) = parse(&bytes, &self.fp, &root_text, base) {
                    let mut file = OpenOptions::new()
                        .write(true)
                        .open(&path)
                        .map_err(io_err("open", &path))?;
                    file.set_len(log.valid_len)
                        .map_err(io_err("truncate", &path))?;
                    file.seek(SeekFrom::Start(log.valid_len))
                        .map_err(io_err("seek", &path))?;
                    return Ok((file, log.valid_len, None));
                }
            }
        }
        let header = LogHeader {
            fingerprint: self.fp.clone(),
            root: root_text,
            dim: self.fp.embedding_dim,
            base_generation: base,
        };
        let json = serde_json::to_vec(&header)
            .map_err(|e| io_err("encode", &path)(io::Error::other(e)))?;
        let mut bytes = Vec::with_capacity(json.len() + 64);
        bytes.extend_from_slice(LOG_MAGIC);
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&(json.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&json);
        bytes.extend_from_slice(&Sha256::digest(&json));
        fs::create_dir_all(self.cache.dir())
            .map_err(io_err("create directory", self.cache.dir()))?;
        let mut file = File::create(&path).map_err(io_err("create", &path))?;
        file.write_all(&bytes).map_err(io_err("write", &path))?;
        sync_dir(self.cache.dir());
        self.bytes_written += bytes.len() as u64;
        Ok((file, bytes.len() as u64, missing_cache.then_some(base)))
    }
}

fn encode_record(album: &Album, photos: Range<usize>) -> io::Result<Vec<u8>> {
    let dim = album.dim();
    let first_face = album.face_range(photos.start).start;
    let end_face = album.face_range(photos.end - 1).end;
    let faces = &album.faces()[first_face..end_face];
    let mut payload = Vec::with_capacity(
        8 + photos.len() * (PHOTO_FIXED_LEN + 64) + faces.len() * (FACE_LEN + 4 * dim),
    );
    let count = |n: usize| u32::try_from(n).map_err(io::Error::other);
    payload.extend_from_slice(&count(photos.len())?.to_le_bytes());
    payload.extend_from_slice(&count(faces.len())?.to_le_bytes());
    for p in &album.photos()[photos.clone()] {
        encode_photo(&mut payload, p, p.first_face - first_face as u32)?;
    }
    for f in faces {
        encode_face(&mut payload, f, f.photo - photos.start as u32);
    }
    encode_floats(
        &mut payload,
        &album.embeddings()[first_face * dim..end_face * dim],
    );
    let mut record = Vec::with_capacity(payload.len() + 8 + CHECKSUM_LEN);
    record.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    record.extend_from_slice(&payload);
    record.extend_from_slice(&Sha256::digest(&payload));
    Ok(record)
}
