//! Where people files live and how they are read and written: one file per gallery in
//! the user's data folder (caches are disposable, the user's corrections are not),
//! written atomically with the previous good file kept as a backup, and a damaged file
//! moved aside and reported, never silently replaced.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use super::file::{FileFormatError, PeopleFile};
use super::session::PeopleError;
use crate::gallery::GalleryCache;

/// Overrides the folder of people files (like `FACESORTER_CACHE_DIR` for the cache).
pub const PEOPLE_DIR_ENV_VAR: &str = "FACESORTER_PEOPLE_DIR";

const EXTENSION: &str = "people.json";

/// The folder that holds every gallery's people file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeopleStore {
    dir: PathBuf,
}

/// A people file as read, with what the user must be told about reading it.
#[derive(Debug, Clone)]
pub struct LoadedFile {
    pub file: PeopleFile,
    /// `false`: there was none (a new gallery, or nothing usable survived).
    pub existed: bool,
    pub notices: Vec<String>,
}

impl PeopleStore {
    /// `$FACESORTER_PEOPLE_DIR`, else `<platform data dir>/people`; `None` without a home
    /// folder.
    pub fn default_location() -> Option<Self> {
        Self::default_location_from(
            std::env::var_os(PEOPLE_DIR_ENV_VAR)
                .filter(|v: &OsString| !v.is_empty())
                .map(PathBuf::from)
                .as_deref(),
        )
    }

    /// [`Self::default_location`] with the environment variable's value passed in.
    pub fn default_location_from(env_override: Option<&Path>) -> Option<Self> {
        match env_override {
            Some(dir) => Some(Self::at(dir)),
            None => crate::dirs::project_dirs().map(|d| Self::at(d.data_dir().join("people"))),
        }
    }

    /// A store in `dir`; the folder is created on the first save.
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The people file of the gallery at `root` (one per folder, named by a digest of
    /// its canonical path, as the cache is).
    pub fn path_for(&self, root: &Path) -> PathBuf {
        self.dir
            .join(format!("{}.{EXTENSION}", GalleryCache::root_key(root)))
    }

    /// The last good copy kept beside it.
    pub fn backup_path_for(&self, root: &Path) -> PathBuf {
        with_suffix(&self.path_for(root), ".bak")
    }

    /// Reads `root`'s people file. A damaged file is moved aside (kept, never deleted)
    /// and the backup used; both facts are in the notices. A file from a newer
    /// FaceSorter is an error and is left untouched.
    pub fn load(&self, root: &Path) -> Result<LoadedFile, PeopleError> {
        self.load_file(&self.path_for(root))
    }

    /// [`Self::load`] for the file at `main` (its backup beside it).
    pub fn load_file(&self, main: &Path) -> Result<LoadedFile, PeopleError> {
        let main = main.to_path_buf();
        let backup = with_suffix(&main, ".bak");
        let mut notices = Vec::new();
        match read_file(&main)? {
            Read::Good(file) => {
                return Ok(LoadedFile {
                    file,
                    existed: true,
                    notices,
                })
            }
            Read::Missing => {}
            Read::Damaged(reason) => {
                let aside = move_aside(&main, "damaged")?;
                notices.push(format!(
                    "the people file {} is damaged ({reason}); it was moved to {}",
                    main.display(),
                    aside.display()
                ));
            }
        }
        match read_file(&backup)? {
            Read::Good(file) => {
                // A missing main file beside a backup is an interrupted save; say so only
                // when the main file was damaged (the notice above).
                if !notices.is_empty() {
                    notices.push(format!(
                        "using the last good copy {} of the people file",
                        backup.display()
                    ));
                }
                Ok(LoadedFile {
                    file,
                    existed: true,
                    notices,
                })
            }
            Read::Missing => {
                if !notices.is_empty() {
                    notices.push(
                        "no earlier copy of the people file exists; starting a new one".into(),
                    );
                }
                Ok(LoadedFile {
                    file: PeopleFile::default(),
                    existed: false,
                    notices,
                })
            }
            Read::Damaged(reason) => {
                let aside = move_aside(&backup, "damaged")?;
                notices.push(format!(
                    "the backup people file {} is damaged too ({reason}); it was moved to {}; starting a new people file",
                    backup.display(),
                    aside.display()
                ));
                Ok(LoadedFile {
                    file: PeopleFile::default(),
                    existed: false,
                    notices,
                })
            }
        }
    }

    /// Writes `root`'s people file atomically, after keeping the current one as the
    /// backup.
    pub fn save(&self, root: &Path, file: &PeopleFile) -> Result<(), PeopleError> {
        fs::create_dir_all(&self.dir).map_err(io_err("create", &self.dir))?;
        let main = self.path_for(root);
        let backup = self.backup_path_for(root);
        if main.exists() {
            // The file being replaced was read as good (a damaged one was moved aside on
            // load), so it is the last good copy.
            keep_copy(&main, &backup)?;
        }
        write_atomically(&main, file.to_text().as_bytes())
    }

    /// Moves `root`'s file aside (kept, never deleted), e.g. before another gallery's
    /// file takes its place. Returns where it went, `None` when there was none.
    pub fn set_aside(&self, root: &Path, why: &str) -> Result<Option<PathBuf>, PeopleError> {
        let main = self.path_for(root);
        let backup = self.backup_path_for(root);
        if backup.exists() {
            move_aside(&backup, why)?;
        }
        if main.exists() {
            return move_aside(&main, why).map(Some);
        }
        Ok(None)
    }

    /// The people file of `root`: the file named after it, else (for a folder that no
    /// longer exists, whose canonical path and so file name may differ from what was
    /// given) a stored file whose recorded gallery is `root` made absolute.
    pub fn find_file(&self, root: &Path) -> Option<PathBuf> {
        let main = self.path_for(root);
        if main.exists() || with_suffix(&main, ".bak").exists() {
            return Some(main);
        }
        let wanted = absolute(root);
        let entries = fs::read_dir(&self.dir).ok()?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with(EXTENSION))
            .filter_map(|p| {
                let text = fs::read_to_string(&p).ok()?;
                let file = PeopleFile::parse(&text).ok()?;
                (Path::new(&file.gallery) == wanted).then_some(p)
            })
            .collect();
        found.sort();
        found.into_iter().next()
    }
}

/// `root` made absolute without requiring it to exist.
pub(super) fn absolute(root: &Path) -> PathBuf {
    root.canonicalize()
        .or_else(|_| std::path::absolute(root))
        .unwrap_or_else(|_| root.to_path_buf())
}

enum Read {
    Good(PeopleFile),
    Missing,
    Damaged(String),
}

fn read_file(path: &Path) -> Result<Read, PeopleError> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Read::Missing),
        Err(e) => return Err(io_err("read", path)(e)),
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return Ok(Read::Damaged("not UTF-8 text".into()));
    };
    match PeopleFile::parse(&text) {
        Ok(file) => Ok(Read::Good(file)),
        Err(FileFormatError::Future { found }) => Err(PeopleError::FutureVersion {
            path: path.to_path_buf(),
            found,
        }),
        Err(FileFormatError::Damaged(reason)) => Ok(Read::Damaged(reason)),
    }
}

/// Renames `path` to `<path>.<why>-<unix seconds>[-n]` beside it.
fn move_aside(path: &Path, why: &str) -> Result<PathBuf, PeopleError> {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut target = with_suffix(path, &format!(".{why}-{secs}"));
    let mut n = 1;
    while target.exists() {
        target = with_suffix(path, &format!(".{why}-{secs}-{n}"));
        n += 1;
    }
    fs::rename(path, &target).map_err(io_err("move aside", path))?;
    Ok(target)
}

/// Replaces `backup` with the contents of `main` (a hard link when the file system has
/// them: no copy), atomically.
fn keep_copy(main: &Path, backup: &Path) -> Result<(), PeopleError> {
    let dir = backup.parent().unwrap_or(Path::new("."));
    let temp = temp_name(dir, backup);
    if fs::hard_link(main, &temp).is_err() {
        if let Err(e) = fs::copy(main, &temp) {
            let _ = fs::remove_file(&temp);
            return Err(io_err("copy", main)(e));
        }
    }
    if let Err(e) = fs::rename(&temp, backup) {
        let _ = fs::remove_file(&temp);
        return Err(io_err("rename into place", backup)(e));
    }
    Ok(())
}

/// Writes `bytes` to a fresh temp file beside `path`, fsyncs it and renames it over
/// `path`; on failure the temp file is removed and `path` left as it was.
pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), PeopleError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let temp = temp_name(dir, path);
    let result = (|| {
        let mut f: File = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(io_err("create", &temp))?;
        f.write_all(bytes).map_err(io_err("write", &temp))?;
        f.sync_all().map_err(io_err("sync", &temp))?;
        drop(f);
        fs::rename(&temp, path).map_err(io_err("rename into place", path))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
        return result;
    }
    // Makes the rename durable; best effort (not every platform opens folders).
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// A temp name beside `path` no other writer uses (pid + time + counter).
fn temp_name(dir: &Path, path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.join(format!(
        ".{name}.{}-{nanos}-{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

pub(super) fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> PeopleError {
    let path = path.to_path_buf();
    move |source| PeopleError::Io {
        action,
        path,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_location_prefers_the_override() {
        let store =
            PeopleStore::default_location_from(Some(Path::new("/x/people"))).expect("override");
        assert_eq!(store.dir(), Path::new("/x/people"));
    }
}
