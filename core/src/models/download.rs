//! Resumable, verified download of a model file.
//!
//! Bytes go to `<dest>.part` beside the destination; an interrupted or cancelled download
//! keeps the part file and the next call resumes it with an HTTP range request. Only a
//! part file whose sha256 matches is fsynced and renamed over `dest`, so `dest` is never
//! a half-written or unverified file.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::error::ModelError;
use super::verify::{normalize_sha256, sha256_file};

/// Generous: TLS through slow proxies. A stalled transfer is caught by the read timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);
const READ_TIMEOUT: Duration = Duration::from_secs(60);
const CHUNK: usize = 64 * 1024;
/// A server answering a range request inconsistently gets this many fresh starts.
const MAX_ATTEMPTS: usize = 3;

/// Reported as bytes arrive. `bytes_done` counts the whole file, including bytes resumed
/// from an earlier part file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadProgress {
    pub bytes_done: u64,
    pub bytes_total: Option<u64>,
}

/// Downloads `url` to `dest`, resuming `<dest>.part` if present, and verifies the sha256.
///
/// If `dest` already has the expected sha256 nothing is fetched. On a checksum mismatch
/// the part file is deleted; on a network error or `cancel` it is kept for resuming.
pub fn download(
    url: &str,
    dest: &Path,
    expected_sha256: &str,
    progress: &mut dyn FnMut(DownloadProgress),
    cancel: &AtomicBool,
) -> Result<(), ModelError> {
    let expected = normalize_sha256(expected_sha256)?;
    if dest.is_file() && sha256_file(dest)? == expected {
        let len = file_len(dest)?;
        progress(DownloadProgress {
            bytes_done: len,
            bytes_total: Some(len),
        });
        return Ok(());
    }
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| ModelError::io("creating", dir, e))?;
    }
    let part = part_path(dest);
    let agent = make_agent();

    let mut allow_resume = true;
    for _ in 0..MAX_ATTEMPTS {
        match fetch_into_part(&agent, url, &part, allow_resume, progress, cancel)? {
            Fetch::Complete => return finish(url, &part, dest, &expected),
            Fetch::Restart => allow_resume = false,
        }
    }
    Err(ModelError::Transfer {
        url: url.to_owned(),
        part: part.clone(),
        bytes: file_len(&part).unwrap_or(0),
        source: std::io::Error::other("server kept answering range requests inconsistently"),
    })
}

enum Fetch {
    /// The part file holds the whole body as far as the server is concerned.
    Complete,
    /// The part file was discarded; request the whole file again.
    Restart,
}

fn make_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        // Statuses are handled here: 206/200/416 each mean something for resuming.
        .http_status_as_error(false)
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_recv_response(Some(RESPONSE_TIMEOUT))
        .timeout_per_read(Some(READ_TIMEOUT))
        .build()
        .new_agent()
}

fn fetch_into_part(
    agent: &ureq::Agent,
    url: &str,
    part: &Path,
    allow_resume: bool,
    progress: &mut dyn FnMut(DownloadProgress),
    cancel: &AtomicBool,
) -> Result<Fetch, ModelError> {
    let offset = if allow_resume && part.is_file() {
        file_len(part)?
    } else {
        0
    };
    let cancelled = |bytes| ModelError::Cancelled {
        url: url.to_owned(),
        part: part.to_path_buf(),
        bytes,
    };
    if cancel.load(Ordering::Relaxed) {
        return Err(cancelled(offset));
    }

    // `identity`: byte ranges must refer to the file itself, not a compressed stream.
    let mut request = agent.get(url).header("Accept-Encoding", "identity");
    if offset > 0 {
        request = request.header("Range", format!("bytes={offset}-"));
    }
    let response = request.call().map_err(|e| ModelError::Http {
        url: url.to_owned(),
        source: Box::new(e),
    })?;
    let status = response.status().as_u16();
    let content_range = response
        .headers()
        .get("content-range")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_content_range);
    let content_length = response.body().content_length();

    let (mut file, start, total) = match status {
        206 if offset > 0 => match content_range {
            Some((first, total)) if first == offset => {
                let total = total.or(content_length.map(|n| offset + n));
                (open_part(part, true)?, offset, total)
            }
            // A range we did not ask for: start over rather than splice wrong bytes.
            _ => {
                remove_part(part)?;
                return Ok(Fetch::Restart);
            }
        },
        // 200 (or 206 to a plain request): the whole file from byte 0.
        200 | 206 => (open_part(part, false)?, 0, content_length),
        // Nothing past our offset: the part may already be complete; verify decides.
        416 if offset > 0 => return Ok(Fetch::Complete),
        _ => {
            return Err(ModelError::HttpStatus {
                url: url.to_owned(),
                status,
            })
        }
    };

    let mut done = start;
    progress(DownloadProgress {
        bytes_done: done,
        bytes_total: total,
    });
    let mut body = response.into_body().into_reader();
    let mut buf = vec![0u8; CHUNK];
    let transfer_error = |bytes, source| ModelError::Transfer {
        url: url.to_owned(),
        part: part.to_path_buf(),
        bytes,
        source,
    };
    loop {
        if cancel.load(Ordering::Relaxed) {
            flush_part(&mut file, part)?;
            return Err(cancelled(done));
        }
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                // Keep what arrived so the next call resumes after it.
                flush_part(&mut file, part)?;
                return Err(transfer_error(done, e));
            }
        };
        file.write_all(&buf[..n])
            .map_err(|e| ModelError::io("writing", part, e))?;
        done += n as u64;
        progress(DownloadProgress {
            bytes_done: done,
            bytes_total: total,
        });
    }
    flush_part(&mut file, part)?;
    if let Some(total) = total.filter(|&t| t != done) {
        return Err(transfer_error(
            done,
            std::io::Error::new(
                ErrorKind::UnexpectedEof,
                format!("body ended at {done} of {total} bytes"),
            ),
        ));
    }
    Ok(Fetch::Complete)
}

/// Verifies the part file, then fsyncs it and renames it over `dest`.
fn finish(url: &str, part: &Path, dest: &Path, expected: &str) -> Result<(), ModelError> {
    let actual = sha256_file(part)?;
    if actual != expected {
        remove_part(part)?;
        return Err(ModelError::DownloadCorrupt {
            url: url.to_owned(),
            part: part.to_path_buf(),
            expected: expected.to_owned(),
            actual,
        });
    }
    File::open(part)
        .and_then(|f| f.sync_all())
        .map_err(|e| ModelError::io("syncing", part, e))?;
    std::fs::rename(part, dest).map_err(|e| ModelError::io("renaming into place", dest, e))?;
    sync_parent_dir(dest);
    Ok(())
}

/// `<dest>.part`, beside `dest` so the final rename stays on one filesystem.
fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().map(OsString::from).unwrap_or_default();
    name.push(".part");
    dest.with_file_name(name)
}

fn open_part(part: &Path, append: bool) -> Result<File, ModelError> {
    let mut options = OpenOptions::new();
    if append {
        options.append(true);
    } else {
        options.write(true).create(true).truncate(true);
    }
    options
        .open(part)
        .map_err(|e| ModelError::io("opening", part, e))
}

fn flush_part(file: &mut File, part: &Path) -> Result<(), ModelError> {
    file.flush()
        .and_then(|()| file.sync_data())
        .map_err(|e| ModelError::io("writing", part, e))
}

fn remove_part(part: &Path) -> Result<(), ModelError> {
    match std::fs::remove_file(part) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(ModelError::io("deleting", part, e)),
        _ => Ok(()),
    }
}

fn file_len(path: &Path) -> Result<u64, ModelError> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| ModelError::io("reading metadata of", path, e))
}

/// Makes the rename durable on Unix; best effort, since the file itself is already synced.
fn sync_parent_dir(dest: &Path) {
    #[cfg(unix)]
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
            log::debug!("fsync of {} failed: {e}", dir.display());
        }
    }
    #[cfg(not(unix))]
    let _ = dest;
}

/// `bytes FIRST-LAST/TOTAL` → (FIRST, TOTAL if not `*`).
fn parse_content_range(value: &str) -> Option<(u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (first, _last) = range.split_once('-')?;
    let first = first.trim().parse().ok()?;
    let total = total.trim().parse().ok();
    Some((first, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_parses() {
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            Some((100, Some(200)))
        );
        assert_eq!(parse_content_range("bytes 5-9/*"), Some((5, None)));
        assert_eq!(parse_content_range("bytes */200"), None);
    }

    #[test]
    fn part_file_sits_beside_dest() {
        assert_eq!(
            part_path(Path::new("/m/a.onnx")),
            PathBuf::from("/m/a.onnx.part")
        );
    }
}
