//! The on-disk embedding cache of one gallery folder.
//!
//! One file per (gallery root, fingerprint, format version), named
//! `g-<roothash>-<fpdigest>-v<version>.fsc`, so a changed model or setting simply finds no
//! file instead of mixing embeddings. Saves go to a temporary file in the same directory,
//! are fsynced and renamed over the old file, so a reader never sees a half-written file.
//! While indexing, each batch is appended to a checkpoint log beside it (`.fsl`, see
//! [`super::log`]) instead of rewriting the whole file, and the log is compacted into a
//! new file at the end: a killed indexer loses at most its last batch, and one run writes
//! about twice the cache's size, not the cache once per batch.
//!
//! Layout (all integers and floats little-endian):
//!
//! ```text
//! magic        8 bytes  "FSCACHE\0"
//! version      u32      FORMAT_VERSION
//! header_len   u32
//! header       header_len bytes of JSON: fingerprint, root, dim, photo/face counts,
//!              photos section length in bytes, generation (a random id the checkpoint
//!              log names, so a log is only ever replayed onto the file it extends)
//! sha256       32 bytes of the header
//! photos       per photo: path_len u32, path (raw bytes of the OS path, `/`-separated;
//!              not necessarily UTF-8), size u64, mtime_ns i64,
//!              content_sha256 [32], width u32, height u32, first_face u32, face_count u32
//! sha256       32 bytes of the photos section
//! faces        per face (68 bytes): photo u32, box x1 y1 x2 y2 f32,
//!              landmarks 5 × (x, y) f32, detector_score f32, norm f32
//! sha256       32 bytes of the faces section
//! embeddings   faces × dim f32, row-major
//! sha256       32 bytes of the embeddings section
//! ```
//!
//! The file must end exactly after the last checksum.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::album::{Album, FaceRecord, Fingerprint, PhotoRecord};
use crate::geometry::{FaceBox, Landmarks, PixelPoint};

/// Bumped whenever the layout changes; part of the file name, so old files are never read.
pub const FORMAT_VERSION: u32 = 2;

/// Overrides the default cache directory.
pub const CACHE_DIR_ENV_VAR: &str = "FACESORTER_CACHE_DIR";

const MAGIC: &[u8; 8] = b"FSCACHE\0";
const EXTENSION: &str = "fsc";
/// The checkpoint log beside a cache file.
pub(super) const LOG_EXTENSION: &str = "fsl";
/// The lock file beside a cache file (never deleted: see [`super::lock`]).
pub(super) const LOCK_EXTENSION: &str = "lock";
pub(super) const CHECKSUM_LEN: usize = 32;
/// Per photo, without the path bytes.
pub(super) const PHOTO_FIXED_LEN: usize = 4 + 8 + 8 + 32 + 4 * 4;
pub(super) const FACE_LEN: usize = 4 + 4 * 4 + 10 * 4 + 4 + 4;
/// The JSON header is a few hundred bytes; a bigger value is a corrupted length.
pub(super) const MAX_HEADER_LEN: usize = 1 << 20;
/// A temporary file untouched this long belongs to a killed save, not a running one.
const STRAY_TEMP_AGE: Duration = Duration::from_secs(10 * 60);

/// A failure to write or clean the cache. Loading never fails: see [`CacheLoad`].
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("gallery cache: cannot {action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("gallery cache: refusing to save an inconsistent album for {path}: {reason}")]
    InvalidAlbum { path: PathBuf, reason: String },
}

/// What [`GalleryCache::load`] found.
#[derive(Debug)]
pub enum CacheLoad {
    /// No usable file for this root and fingerprint (absent, or written for another
    /// root or fingerprint): index from scratch.
    Missing,
    Loaded(Album),
    /// The file exists but cannot be trusted; the caller rebuilds and the next save
    /// replaces it.
    Damaged {
        path: PathBuf,
        reason: String,
    },
}

/// The cache directory holding every gallery's cache file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GalleryCache {
    dir: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Header {
    fingerprint: Fingerprint,
    root: String,
    dim: u32,
    photos: u64,
    faces: u64,
    photos_bytes: u64,
    generation: u64,
}

impl GalleryCache {
    /// A cache in `dir`; the directory is created on the first save.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `$FACESORTER_CACHE_DIR`, else `<platform cache dir>/galleries`.
    pub fn default_dir() -> Option<PathBuf> {
        Self::default_dir_from(
            std::env::var_os(CACHE_DIR_ENV_VAR)
                .filter(|v: &OsString| !v.is_empty())
                .map(PathBuf::from)
                .as_deref(),
        )
    }

    /// [`Self::default_dir`] with the environment variable's value passed in, for tests.
    pub fn default_dir_from(env_override: Option<&Path>) -> Option<PathBuf> {
        match env_override {
            Some(dir) => Some(dir.to_path_buf()),
            None => crate::dirs::project_dirs().map(|d| d.cache_dir().join("galleries")),
        }
    }

    /// 16 hex digits identifying a gallery root (canonicalised when it exists, so
    /// `./photos` and `/home/me/photos` share a file).
    pub fn root_key(root: &Path) -> String {
        let root = canonical(root);
        hex::encode(&Sha256::digest(path_bytes(&root))[..8])
    }

    /// Where the cache of `root` under fingerprint `fp` lives.
    pub fn path_for(&self, root: &Path, fp: &Fingerprint) -> PathBuf {
        self.dir.join(file_name(&Self::root_key(root), fp))
    }

    /// Reads the cache of `root` for `fp`. Never panics and never returns an album that
    /// differs from what was saved: anything doubtful is [`CacheLoad::Damaged`].
    ///
    /// The checkpoint log of an interrupted run is replayed on top of the file: every
    /// complete batch in it is kept, a torn or damaged tail is ignored.
    pub fn load(&self, root: &Path, fp: &Fingerprint) -> CacheLoad {
        match self.load_main(root, fp) {
            MainLoad::Loaded { album, generation } => {
                let log_path = self.log_path_for(root, fp);
                let root_text = canonical(root).to_string_lossy().into_owned();
                CacheLoad::Loaded(super::log::replay(
                    &log_path, fp, &root_text, generation, album,
                ))
            }
            MainLoad::Missing => CacheLoad::Missing,
            MainLoad::Damaged { path, reason } => CacheLoad::Damaged { path, reason },
        }
    }

    /// The cache file alone, with its generation.
    pub(super) fn load_main(&self, root: &Path, fp: &Fingerprint) -> MainLoad {
        let path = self.path_for(root, fp);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return MainLoad::Missing,
            Err(e) => {
                return MainLoad::Damaged {
                    path,
                    reason: format!("cannot read: {e}"),
                }
            }
        };
        let root_text = canonical(root).to_string_lossy().into_owned();
        match decode(&bytes, fp, &root_text) {
            Ok(Decoded::Album(album, generation)) => MainLoad::Loaded { album, generation },
            Ok(Decoded::OtherGallery(why)) => {
                // Only a digest collision or a copied file gets here; rebuilding is right.
                log::info!("gallery cache {}: {why}; ignoring it", path.display());
                MainLoad::Missing
            }
            Err(reason) => MainLoad::Damaged { path, reason },
        }
    }

    /// Where the checkpoint log of `root`'s cache for `fp` lives.
    pub fn log_path_for(&self, root: &Path, fp: &Fingerprint) -> PathBuf {
        self.path_for(root, fp).with_extension(LOG_EXTENSION)
    }

    /// A checkpoint log for an indexing run over `root`: batches appended to it survive a
    /// kill and are replayed by [`Self::load`] until the next [`Self::save`].
    pub fn checkpoint_log(&self, root: &Path, fp: &Fingerprint) -> super::CheckpointLog {
        super::CheckpointLog::new(self.clone(), root, fp)
    }

    /// Waits (checking `cancel` every few milliseconds) until no other indexing run holds
    /// `root`'s cache for `fp`, and holds it until the returned guard is dropped. `None`
    /// when cancelled first; `on_wait` is called once if it has to wait.
    pub fn lock(
        &self,
        root: &Path,
        fp: &Fingerprint,
        cancel: &std::sync::atomic::AtomicBool,
        on_wait: &dyn Fn(),
    ) -> Result<Option<super::CacheLock>, CacheError> {
        fs::create_dir_all(&self.dir).map_err(|source| CacheError::Io {
            action: "create directory",
            path: self.dir.clone(),
            source,
        })?;
        super::lock::CacheLock::acquire(
            &self.path_for(root, fp).with_extension(LOCK_EXTENSION),
            cancel,
            on_wait,
        )
    }

    /// Writes `album` as the cache of `root` for `fp`, atomically replacing any old file.
    /// The checkpoint log, whose batches the new file holds, is removed.
    pub fn save(&self, root: &Path, fp: &Fingerprint, album: &Album) -> Result<(), CacheError> {
        self.save_generation(root, fp, album, new_generation())?;
        // The log names the old file's generation, so a leftover would be ignored anyway;
        // removing it keeps the folder tidy and the next load cheap.
        match fs::remove_file(self.log_path_for(root, fp)) {
            Ok(()) => sync_dir(&self.dir),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => log::warn!("cannot remove the checkpoint log: {e}"),
        }
        Ok(())
    }

    /// [`Self::save`] under a given generation, leaving any log alone.
    pub(super) fn save_generation(
        &self,
        root: &Path,
        fp: &Fingerprint,
        album: &Album,
        generation: u64,
    ) -> Result<(), CacheError> {
        let path = self.path_for(root, fp);
        // A file that would load as damaged is a caller bug; better refused here.
        if album.dim() != fp.embedding_dim as usize {
            return Err(CacheError::InvalidAlbum {
                path,
                reason: format!(
                    "album dim {} but fingerprint dim {}",
                    album.dim(),
                    fp.embedding_dim
                ),
            });
        }
        if !album.is_consistent() {
            return Err(CacheError::InvalidAlbum {
                path,
                reason: "photo/face/embedding invariants broken".into(),
            });
        }
        let header = Header {
            fingerprint: fp.clone(),
            root: canonical(root).to_string_lossy().into_owned(),
            dim: fp.embedding_dim,
            photos: album.photos().len() as u64,
            faces: album.faces().len() as u64,
            photos_bytes: album
                .photos()
                .iter()
                .map(|p| (PHOTO_FIXED_LEN + os_bytes(&p.rel_path).len()) as u64)
                .sum(),
            generation,
        };
        fs::create_dir_all(&self.dir).map_err(|source| CacheError::Io {
            action: "create directory",
            path: self.dir.clone(),
            source,
        })?;
        self.sweep_stray_temps(&path, STRAY_TEMP_AGE);
        write_atomically(&path, |w| encode(w, &header, album))
    }

    /// Deletes the cache files of `root` other than the one for `keep` (other
    /// fingerprints or format versions), and temporary files left by killed saves.
    /// Returns how many files were removed.
    pub fn remove_stale(&self, root: &Path, keep: &Fingerprint) -> Result<usize, CacheError> {
        let key = Self::root_key(root);
        let keep_name = file_name(&key, keep);
        let prefix = format!("g-{key}-");
        let temp_prefix = format!(".{prefix}");
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(source) => {
                return Err(CacheError::Io {
                    action: "list",
                    path: self.dir.clone(),
                    source,
                })
            }
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let keep_log = Path::new(&keep_name).with_extension(LOG_EXTENSION);
            let stale_cache = name.starts_with(&prefix)
                && (name.ends_with(&format!(".{EXTENSION}"))
                    || name.ends_with(&format!(".{LOG_EXTENSION}")))
                && name != keep_name
                && Path::new(name) != keep_log;
            let stray_temp = name.starts_with(&temp_prefix)
                && name.ends_with(".tmp")
                && is_older_than(&entry.path(), STRAY_TEMP_AGE);
            if stale_cache || stray_temp {
                let path = entry.path();
                match fs::remove_file(&path) {
                    Ok(()) => removed += 1,
                    // Another process cleaned it first: the goal is met.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(source) => {
                        return Err(CacheError::Io {
                            action: "remove",
                            path,
                            source,
                        })
                    }
                }
            }
        }
        Ok(removed)
    }

    /// Best effort: a leftover temp file only wastes space, so errors are ignored.
    fn sweep_stray_temps(&self, final_path: &Path, age: Duration) {
        let Some(prefix) = final_path
            .file_name()
            .and_then(|n| n.to_str())
            .map(|n| format!(".{n}."))
        else {
            return;
        };
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with(&prefix) && name.ends_with(".tmp") {
                let path = entry.path();
                if is_older_than(&path, age) {
                    let _ = fs::remove_file(path);
                }
            }
        }
    }
}

fn file_name(root_key: &str, fp: &Fingerprint) -> String {
    format!("g-{root_key}-{}-v{FORMAT_VERSION}.{EXTENSION}", fp.digest())
}

pub(super) fn canonical(root: &Path) -> PathBuf {
    fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf())
}

fn path_bytes(p: &Path) -> Vec<u8> {
    os_bytes(p.as_os_str()).into_owned()
}

/// The bytes a path is stored as: the OS's own on Unix, so any name round-trips.
#[cfg(unix)]
pub(super) fn os_bytes(s: &std::ffi::OsStr) -> std::borrow::Cow<'_, [u8]> {
    use std::os::unix::ffi::OsStrExt;
    std::borrow::Cow::Borrowed(s.as_bytes())
}

#[cfg(not(unix))]
pub(super) fn os_bytes(s: &std::ffi::OsStr) -> std::borrow::Cow<'_, [u8]> {
    match s.to_string_lossy() {
        std::borrow::Cow::Borrowed(t) => std::borrow::Cow::Borrowed(t.as_bytes()),
        std::borrow::Cow::Owned(t) => std::borrow::Cow::Owned(t.into_bytes()),
    }
}

#[cfg(unix)]
fn os_from_bytes(bytes: &[u8]) -> Result<OsString, String> {
    use std::os::unix::ffi::OsStrExt;
    Ok(std::ffi::OsStr::from_bytes(bytes).to_os_string())
}

#[cfg(not(unix))]
fn os_from_bytes(bytes: &[u8]) -> Result<OsString, String> {
    std::str::from_utf8(bytes)
        .map(OsString::from)
        .map_err(|_| "photo path is not UTF-8".to_string())
}

/// A fresh id for a cache file: time, process and a counter, hashed.
pub(super) fn new_generation() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut h = Sha256::new();
    h.update(nanos.to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    h.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    let digest = h.finalize();
    let mut id = [0u8; 8];
    id.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(id)
}

fn is_older_than(path: &Path, age: Duration) -> bool {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .is_some_and(|elapsed| elapsed >= age)
}

/// Writes through `write` into a fresh temp file beside `path`, fsyncs it and renames it
/// over `path`. On any failure the temp file is removed and `path` is left untouched.
pub(crate) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> Result<(), CacheError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (temp, file) = create_temp(dir, &name)?;
    if let Err(e) = fill_and_rename(file, &temp, path, write) {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    sync_dir(dir);
    Ok(())
}

/// A new temp file beside the target. pid + time + counter keep names unique across
/// processes and threads; a leftover of a killed process with a reused pid is skipped.
fn create_temp(dir: &Path, name: &str) -> Result<(PathBuf, File), CacheError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut attempt = 0;
    loop {
        let temp = dir.join(format!(
            ".{name}.{}-{nanos}-{}.tmp",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 8 => attempt += 1,
            Err(e) => return Err(io_err("create", &temp)(e)),
        }
    }
}

fn fill_and_rename(
    file: File,
    temp: &Path,
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> Result<(), CacheError> {
    let mut w = BufWriter::with_capacity(1 << 20, file);
    write(&mut w).map_err(io_err("write", temp))?;
    let file = w
        .into_inner()
        .map_err(|e| io_err("write", temp)(e.into_error()))?;
    file.sync_all().map_err(io_err("sync", temp))?;
    drop(file);
    fs::rename(temp, path).map_err(io_err("rename into place", path))
}

pub(super) fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> CacheError {
    let path = path.to_path_buf();
    move |source| CacheError::Io {
        action,
        path,
        source,
    }
}

/// Makes the rename itself durable. Best effort: the data is already safe in the file,
/// and not every platform or filesystem can open a directory.
pub(super) fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Hashes what it writes, so each section's checksum costs no second pass.
struct SectionWriter<'a, W: Write> {
    out: &'a mut W,
    hasher: Sha256,
}

impl<'a, W: Write> SectionWriter<'a, W> {
    fn new(out: &'a mut W) -> Self {
        Self {
            out,
            hasher: Sha256::new(),
        }
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.hasher.update(bytes);
        self.out.write_all(bytes)
    }

    /// Writes the checksum of everything since the last call.
    fn end_section(&mut self) -> io::Result<()> {
        let digest = std::mem::take(&mut self.hasher).finalize();
        self.out.write_all(&digest)
    }
}

fn encode<W: Write>(out: &mut W, header: &Header, album: &Album) -> io::Result<()> {
    let header_json = serde_json::to_vec(header).map_err(io::Error::other)?;
    let header_len = u32::try_from(header_json.len()).map_err(io::Error::other)?;
    out.write_all(MAGIC)?;
    out.write_all(&FORMAT_VERSION.to_le_bytes())?;
    out.write_all(&header_len.to_le_bytes())?;
    let mut w = SectionWriter::new(out);
    w.put(&header_json)?;
    w.end_section()?;

    let mut buf = Vec::with_capacity(PHOTO_FIXED_LEN + 256);
    for p in album.photos() {
        buf.clear();
        encode_photo(&mut buf, p, p.first_face)?;
        w.put(&buf)?;
    }
    w.end_section()?;

    let mut buf = Vec::with_capacity(FACE_LEN * 1024);
    for chunk in album.faces().chunks(1024) {
        buf.clear();
        for f in chunk {
            encode_face(&mut buf, f, f.photo);
        }
        w.put(&buf)?;
    }
    w.end_section()?;

    let mut buf = Vec::with_capacity(4 * 16384);
    for chunk in album.embeddings().chunks(16384) {
        buf.clear();
        encode_floats(&mut buf, chunk);
        w.put(&buf)?;
    }
    w.end_section()
}

/// One photo record in file order, with `first_face` given (a log batch numbers its
/// faces from 0).
pub(super) fn encode_photo(buf: &mut Vec<u8>, p: &PhotoRecord, first_face: u32) -> io::Result<()> {
    let path = os_bytes(&p.rel_path);
    let path_len = u32::try_from(path.len()).map_err(io::Error::other)?;
    buf.extend_from_slice(&path_len.to_le_bytes());
    buf.extend_from_slice(&path);
    buf.extend_from_slice(&p.size.to_le_bytes());
    buf.extend_from_slice(&p.mtime_ns.to_le_bytes());
    buf.extend_from_slice(&p.content_sha256);
    for v in [p.width, p.height, first_face, p.face_count] {
        buf.extend_from_slice(&v.to_le_bytes());
    }
    Ok(())
}

/// One face record in file order, pointing at photo `photo`.
pub(super) fn encode_face(buf: &mut Vec<u8>, f: &FaceRecord, photo: u32) {
    buf.extend_from_slice(&photo.to_le_bytes());
    for v in face_floats(f) {
        buf.extend_from_slice(&v.to_le_bytes());
    }
}

pub(super) fn encode_floats(buf: &mut Vec<u8>, values: &[f32]) {
    for v in values {
        buf.extend_from_slice(&v.to_le_bytes());
    }
}

/// The face's 16 floats in file order (everything but `photo`).
fn face_floats(f: &FaceRecord) -> [f32; 16] {
    let b = f.face_box;
    let l = f.landmarks.points();
    [
        b.x1,
        b.y1,
        b.x2,
        b.y2,
        l[0].x,
        l[0].y,
        l[1].x,
        l[1].y,
        l[2].x,
        l[2].y,
        l[3].x,
        l[3].y,
        l[4].x,
        l[4].y,
        f.detector_score,
        f.norm,
    ]
}

/// What [`GalleryCache::load_main`] found: [`CacheLoad`] plus the file's generation.
pub(super) enum MainLoad {
    Missing,
    Loaded { album: Album, generation: u64 },
    Damaged { path: PathBuf, reason: String },
}

enum Decoded {
    Album(Album, u64),
    /// Intact, but for another root or fingerprint.
    OtherGallery(String),
}

/// A bounds-checked reader over the file's bytes; every read past the end is an error.
pub(super) struct Reader<'a> {
    pub bytes: &'a [u8],
    pub pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| format!("truncated in {what} at byte {}", self.pos))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }

    pub fn u32(&mut self, what: &str) -> Result<u32, String> {
        self.array(what).map(u32::from_le_bytes)
    }

    pub fn u64(&mut self, what: &str) -> Result<u64, String> {
        self.array(what).map(u64::from_le_bytes)
    }

    fn i64(&mut self, what: &str) -> Result<i64, String> {
        self.array(what).map(i64::from_le_bytes)
    }

    fn f32(&mut self, what: &str) -> Result<f32, String> {
        self.array(what).map(f32::from_le_bytes)
    }

    /// Takes `n` bytes followed by their SHA-256, and checks it.
    pub fn section(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let data = self.take(n, what)?;
        let sum = self.take(CHECKSUM_LEN, what)?;
        if Sha256::digest(data).as_slice() != sum {
            return Err(format!("{what} checksum mismatch"));
        }
        Ok(data)
    }
}

fn to_usize(v: u64, what: &str) -> Result<usize, String> {
    usize::try_from(v).map_err(|_| format!("{what} {v} too large"))
}

fn decode(bytes: &[u8], fp: &Fingerprint, root: &str) -> Result<Decoded, String> {
    let mut r = Reader::new(bytes);
    if r.take(MAGIC.len(), "magic")? != MAGIC {
        return Err("not a FaceSorter cache file (bad magic)".into());
    }
    let version = r.u32("version")?;
    if version != FORMAT_VERSION {
        // The name says this version; content disagreeing means the file is not what
        // it claims.
        return Err(format!(
            "format version {version} in a v{FORMAT_VERSION} file"
        ));
    }
    let header_len = r.u32("header length")? as usize;
    if header_len > MAX_HEADER_LEN {
        return Err(format!("header length {header_len} is implausible"));
    }
    let header_bytes = r.section(header_len, "header")?;
    let header: Header =
        serde_json::from_slice(header_bytes).map_err(|e| format!("header unreadable: {e}"))?;
    if header.fingerprint != *fp {
        return Ok(Decoded::OtherGallery(
            "written for another fingerprint".into(),
        ));
    }
    if header.root != root {
        return Ok(Decoded::OtherGallery(format!(
            "written for gallery {}",
            header.root
        )));
    }
    if header.dim != fp.embedding_dim || header.dim == 0 {
        return Err(format!(
            "dim {} does not match the fingerprint's {}",
            header.dim, fp.embedding_dim
        ));
    }

    // Every length is checked against what is actually left in the file before anything
    // is allocated from it, so a corrupted count fails fast instead of reserving GBs.
    let dim = header.dim as usize;
    let photo_count = to_usize(header.photos, "photo count")?;
    let face_count = to_usize(header.faces, "face count")?;
    let photos_bytes = to_usize(header.photos_bytes, "photos section length")?;
    let faces_bytes = face_count
        .checked_mul(FACE_LEN)
        .ok_or("face count overflows")?;
    let embedding_count = face_count.checked_mul(dim).ok_or("embeddings overflow")?;
    let embeddings_bytes = embedding_count
        .checked_mul(4)
        .ok_or("embeddings overflow")?;
    let expected_rest = [photos_bytes, faces_bytes, embeddings_bytes]
        .into_iter()
        .try_fold(3 * CHECKSUM_LEN, usize::checked_add)
        .ok_or("section lengths overflow")?;
    let rest = bytes.len() - r.pos;
    if expected_rest != rest {
        return Err(format!(
            "header promises {expected_rest} bytes after it, file has {rest}"
        ));
    }
    if photo_count
        .checked_mul(PHOTO_FIXED_LEN)
        .is_none_or(|min| min > photos_bytes)
    {
        return Err(format!(
            "{photo_count} photos cannot fit in {photos_bytes} bytes"
        ));
    }

    let mut p = Reader::new(r.section(photos_bytes, "photos")?);
    let mut photos = Vec::with_capacity(photo_count);
    for _ in 0..photo_count {
        photos.push(decode_photo(&mut p)?);
    }
    if p.pos != photos_bytes {
        return Err("photos section has trailing bytes".into());
    }

    let faces_data = r.section(faces_bytes, "faces")?;
    let faces = decode_faces(faces_data)?;
    let embeddings_data = r.section(embeddings_bytes, "embeddings")?;
    let embeddings = decode_floats(embeddings_data);

    let album = Album::from_parts(dim, photos, faces, embeddings)
        .map_err(|e| format!("album invariants broken ({e})"))?;
    Ok(Decoded::Album(album, header.generation))
}

pub(super) fn decode_photo(p: &mut Reader<'_>) -> Result<PhotoRecord, String> {
    let path_len = p.u32("photo path length")? as usize;
    let rel_path = os_from_bytes(p.take(path_len, "photo path")?)?;
    Ok(PhotoRecord {
        rel_path,
        size: p.u64("photo size")?,
        mtime_ns: p.i64("photo mtime")?,
        content_sha256: p.array("photo content hash")?,
        width: p.u32("photo width")?,
        height: p.u32("photo height")?,
        first_face: p.u32("photo first face")?,
        face_count: p.u32("photo face count")?,
    })
}

/// Face records, `FACE_LEN` bytes each (the caller checked the length).
pub(super) fn decode_faces(data: &[u8]) -> Result<Vec<FaceRecord>, String> {
    let mut faces = Vec::with_capacity(data.len() / FACE_LEN);
    for rec in data.chunks_exact(FACE_LEN) {
        let mut f = Reader::new(rec);
        let photo = f.u32("face photo")?;
        let mut v = [0f32; 16];
        for x in &mut v {
            *x = f.f32("face")?;
        }
        let point = |i: usize| PixelPoint::new(v[4 + 2 * i], v[5 + 2 * i]);
        faces.push(FaceRecord {
            photo,
            face_box: FaceBox {
                x1: v[0],
                y1: v[1],
                x2: v[2],
                y2: v[3],
            },
            landmarks: Landmarks(std::array::from_fn(point)),
            detector_score: v[14],
            norm: v[15],
        });
    }
    Ok(faces)
}

pub(super) fn decode_floats(data: &[u8]) -> Vec<f32> {
    data.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_sizes_match_the_documented_layout() {
        assert_eq!(PHOTO_FIXED_LEN, 68);
        assert_eq!(FACE_LEN, 68);
    }

    #[test]
    fn default_dir_prefers_the_override() {
        let dir = Path::new("/some/where");
        assert_eq!(
            GalleryCache::default_dir_from(Some(dir)),
            Some(dir.to_path_buf())
        );
        if let Some(d) = GalleryCache::default_dir_from(None) {
            assert!(d.ends_with("galleries"), "{}", d.display());
        }
    }

    #[test]
    fn failed_write_leaves_the_old_file_and_no_temp() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("g-x.fsc");
        fs::write(&path, b"old good content")?;
        let err = write_atomically(&path, |w| {
            w.write_all(&[7u8; 3 << 20])?;
            Err(io::Error::other("disk full (simulated)"))
        });
        assert!(matches!(
            err,
            Err(CacheError::Io {
                action: "write",
                ..
            })
        ));
        assert_eq!(fs::read(&path)?, b"old good content");
        let names: Vec<_> = fs::read_dir(dir.path())?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<Result<_, _>>()?;
        assert_eq!(names, vec![OsString::from("g-x.fsc")]);
        Ok(())
    }

    #[test]
    fn sweep_removes_only_old_temps_of_the_same_file() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let cache = GalleryCache::new(dir.path());
        let final_path = dir.path().join("g-a-b-v1.fsc");
        let mine = dir.path().join(".g-a-b-v1.fsc.1-0.tmp");
        let other = dir.path().join(".g-c-b-v1.fsc.1-0.tmp");
        fs::write(&mine, b"partial")?;
        fs::write(&other, b"partial")?;
        // Fresh temps may belong to a save in progress elsewhere.
        cache.sweep_stray_temps(&final_path, STRAY_TEMP_AGE);
        assert!(mine.exists());
        cache.sweep_stray_temps(&final_path, Duration::ZERO);
        assert!(!mine.exists());
        assert!(other.exists());
        Ok(())
    }
}
