//! Model hashes remembered by file size and modification time, so a run that embeds
//! nothing does not read 260 MB to key the gallery cache.
//!
//! The memo is a small JSON file in the cache dir. It is only ever a shortcut: a missing,
//! damaged or stale entry (size or mtime differ) means hashing the file again, and a
//! failed write only costs the next run that hash.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use super::error::ModelError;
use super::verify::sha256_file;

/// `<cache dir>/model-hashes.json`.
pub fn default_memo_path() -> Option<PathBuf> {
    crate::dirs::project_dirs().map(|d| d.cache_dir().join("model-hashes.json"))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    size: u64,
    /// Nanoseconds since the epoch; 0 when the platform gives no mtime (never trusted).
    modified_ns: u128,
    sha256: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Memo {
    version: u32,
    files: BTreeMap<PathBuf, Entry>,
}

const MEMO_VERSION: u32 = 1;

/// What identifies a file's content cheaply: its size and modification time.
fn stamp(path: &Path) -> Result<(u64, u128), ModelError> {
    let meta = fs::metadata(path).map_err(|e| ModelError::io("reading", path, e))?;
    let modified_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    Ok((meta.len(), modified_ns))
}

fn read_memo(memo: &Path) -> Memo {
    fs::read(memo)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Memo>(&bytes).ok())
        .filter(|m| m.version == MEMO_VERSION)
        .unwrap_or_default()
}

/// SHA-256 of `path`, from `memo` when the file's size and mtime are the ones hashed
/// last time; otherwise hashed now and remembered.
pub fn remembered_sha256(path: &Path, memo: Option<&Path>) -> Result<String, ModelError> {
    let Some(memo) = memo else {
        return sha256_file(path);
    };
    let key = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let (size, modified_ns) = stamp(path)?;
    let known = read_memo(memo);
    if let Some(e) = known.files.get(&key) {
        if e.size == size && e.modified_ns == modified_ns && modified_ns != 0 {
            return Ok(e.sha256.clone());
        }
    }
    let sha256 = sha256_file(path)?;
    // The file may have changed while it was hashed: remember only a stable stamp.
    if stamp(path)? == (size, modified_ns) {
        remember(
            memo,
            key,
            Entry {
                size,
                modified_ns,
                sha256: sha256.clone(),
            },
        );
    }
    Ok(sha256)
}

fn remember(memo: &Path, key: PathBuf, entry: Entry) {
    // Read again just before writing, so entries another process added meanwhile stay.
    let mut known = read_memo(memo);
    known.version = MEMO_VERSION;
    // Entries of deleted files would only grow the memo.
    known.files.retain(|p, _| p.exists());
    known.files.insert(key, entry);
    let Ok(text) = serde_json::to_vec_pretty(&known) else {
        return;
    };
    if let Some(dir) = memo.parent() {
        let _ = fs::create_dir_all(dir);
    }
    // Atomic, so a process reading the memo meanwhile never sees half a file.
    let written = crate::gallery::write_atomically(memo, |w| std::io::Write::write_all(w, &text));
    if let Err(e) = written {
        log::debug!("model hash memo {} not written: {e}", memo.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_hash_is_reused_until_the_file_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let model = dir.path().join("m.onnx");
        let memo = dir.path().join("memo").join("hashes.json");
        fs::write(&model, b"first content").expect("write");
        let first = remembered_sha256(&model, Some(&memo)).expect("hash");
        assert_eq!(first, sha256_file(&model).expect("hash"));
        assert!(memo.is_file(), "the memo is written");

        // Same size and mtime: the memo answers (proved by planting a different hash).
        let mut planted = read_memo(&memo);
        let key = fs::canonicalize(&model).expect("canonical");
        planted.files.get_mut(&key).expect("entry").sha256 = "planted".into();
        fs::write(&memo, serde_json::to_vec(&planted).expect("json")).expect("write");
        assert_eq!(
            remembered_sha256(&model, Some(&memo)).expect("hash"),
            "planted"
        );

        // A changed file (other size) is hashed again.
        fs::write(&model, b"second, longer content").expect("write");
        let second = remembered_sha256(&model, Some(&memo)).expect("hash");
        assert_eq!(second, sha256_file(&model).expect("hash"));
        assert_ne!(second, first);

        // A damaged memo is only a miss.
        fs::write(&memo, b"{ not json").expect("write");
        assert_eq!(
            remembered_sha256(&model, Some(&memo)).expect("hash"),
            second
        );
    }
}
