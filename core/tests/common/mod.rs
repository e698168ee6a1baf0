//! Helpers shared by the core's integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// `../shared` beside the repository root: test data read in place, never copied.
pub fn shared_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    assert!(
        dir.join("README.md").is_file(),
        "test data not found at {} (../shared beside the repository)",
        dir.display()
    );
    dir
}

pub fn shared(rel: &str) -> PathBuf {
    shared_dir().join(rel)
}
