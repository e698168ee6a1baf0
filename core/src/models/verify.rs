//! Checking model files against the manifest: a cheap size check and a streaming sha256.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::error::ModelError;
use super::manifest::{is_sha256_hex, ModelEntry};

/// Large reads keep hashing near the disk's speed for files of hundreds of MB.
const HASH_BUF: usize = 1 << 20;

/// Lowercase hex sha256 of a file's content, read in 1 MiB chunks.
pub fn sha256_file(path: &Path) -> Result<String, ModelError> {
    let mut file = File::open(path).map_err(|e| ModelError::io("opening", path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; HASH_BUF];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(ModelError::io("reading", path, e)),
        }
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Checks a file's sha256 (case-insensitive hex).
pub fn verify_file(path: &Path, expected_sha256: &str) -> Result<(), ModelError> {
    let expected = normalize_sha256(expected_sha256)?;
    let actual = sha256_file(path)?;
    if actual == expected {
        Ok(())
    } else {
        Err(ModelError::ChecksumMismatch {
            path: path.to_path_buf(),
            expected,
            actual,
        })
    }
}

/// Cheap check: the file's length, when the expected size is known (`None` passes).
pub fn check_size(path: &Path, expected: Option<u64>) -> Result<(), ModelError> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let actual = std::fs::metadata(path)
        .map_err(|e| ModelError::io("reading metadata of", path, e))?
        .len();
    if actual == expected {
        Ok(())
    } else {
        Err(ModelError::SizeMismatch {
            path: path.to_path_buf(),
            expected,
            actual,
        })
    }
}

/// Size first (instant), then sha256, against a manifest entry.
pub fn verify_entry(path: &Path, entry: &ModelEntry) -> Result<(), ModelError> {
    check_size(path, entry.size)?;
    verify_file(path, &entry.sha256)
}

/// Lowercases a sha256 hex string, rejecting anything that is not 64 hex digits.
pub(crate) fn normalize_sha256(value: &str) -> Result<String, ModelError> {
    let trimmed = value.trim();
    if is_sha256_hex(trimmed) {
        Ok(trimmed.to_ascii_lowercase())
    } else {
        Err(ModelError::InvalidSha256 {
            value: value.to_owned(),
        })
    }
}
