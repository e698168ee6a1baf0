//! An advisory lock per gallery cache, so two indexing runs of the same gallery (two
//! `facesorter index`, or the window and the command line) do not both do the whole work:
//! the second waits, then finds the first one's result in the cache.
//!
//! The lock is taken on a separate `.lock` file (the cache file itself is replaced by
//! rename, which would drop a lock held on it). The lock file is never deleted: removing
//! it while another process waits on it would let a third one lock a new file.

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::cache::io_err;
use super::CacheError;

/// How often a waiting run checks the lock and its cancel flag.
const POLL: Duration = Duration::from_millis(50);

/// Held while a run owns a gallery's cache; released when dropped (or when the process
/// ends, however it ends).
#[derive(Debug)]
pub struct CacheLock {
    _file: File,
}

impl CacheLock {
    pub(super) fn acquire(
        path: &Path,
        cancel: &AtomicBool,
        on_wait: &dyn Fn(),
    ) -> Result<Option<Self>, CacheError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io_err("open the lock file", path))?;
        let mut waited = false;
        loop {
            if try_lock(&file).map_err(io_err("lock", path))? {
                return Ok(Some(Self { _file: file }));
            }
            if !waited {
                on_wait();
                waited = true;
            }
            if cancel.load(Ordering::Relaxed) {
                return Ok(None);
            }
            std::thread::sleep(POLL);
        }
    }
}

/// `flock(LOCK_EX | LOCK_NB)`: `Ok(false)` while another open file holds it.
#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<bool> {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock only reads the descriptor, which `file` keeps open for the call.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    if err.kind() == std::io::ErrorKind::WouldBlock {
        Ok(false)
    } else {
        Err(err)
    }
}

/// Elsewhere runs are not serialised: each still saves a consistent cache (atomic
/// replace), they only may both do the work.
#[cfg(not(unix))]
fn try_lock(_file: &File) -> std::io::Result<bool> {
    Ok(true)
}
