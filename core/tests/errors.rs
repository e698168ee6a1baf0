//! Every error that has a cause keeps it out of its own message: `source()` carries it and
//! `error::chain` prints the chain with each cause once.

use std::error::Error;
use std::io;
use std::path::PathBuf;

use facesorter_core::error::chain;
use facesorter_core::export::ExportError;
use facesorter_core::gallery::CacheError;
use facesorter_core::index::IndexError;
use facesorter_core::models::ModelError;
use facesorter_core::photo::{PhotoError, PhotoErrorKind};

fn cause() -> io::Error {
    io::Error::other("the disk caught fire")
}

fn path() -> PathBuf {
    PathBuf::from("/album/some photo.jpg")
}

/// The cause is `source()`, not in the message, and appears once in the chain.
fn check(err: &(dyn Error + 'static)) {
    let message = err.to_string();
    let source = err.source().expect("has a source").to_string();
    assert!(!message.contains(&source), "{message:?} repeats {source:?}");
    let shown = chain(err);
    assert_eq!(shown.matches(&source).count(), 1, "{shown}");
    assert_eq!(shown, format!("{message}: {source}"));
}

#[test]
fn io_causes_are_sources_never_in_the_message() {
    check(&ExportError::CreateDir {
        path: path(),
        source: cause(),
    });
    check(&ExportError::Create {
        path: path(),
        source: cause(),
    });
    check(&ExportError::Write {
        path: path(),
        source: cause(),
    });
    check(&ExportError::Read {
        path: path(),
        source: cause(),
    });
    check(&ModelError::Io {
        action: "reading",
        path: path(),
        source: cause(),
    });
    check(&ModelError::Transfer {
        url: "https://example.org/m.onnx".into(),
        part: path(),
        bytes: 10,
        source: cause(),
    });
    check(&CacheError::Io {
        action: "write",
        path: path(),
        source: cause(),
    });
    check(&IndexError::Unreadable {
        path: path(),
        source: cause(),
    });
    check(&PhotoError {
        path: Some(path()),
        kind: PhotoErrorKind::Io { error: cause() },
    });
}

#[test]
fn a_photo_error_said_in_words_has_no_further_cause() {
    let err = PhotoError {
        path: Some(path()),
        kind: PhotoErrorKind::Io {
            error: io::ErrorKind::NotFound.into(),
        },
    };
    assert!(err.source().is_none());
    assert_eq!(chain(&err), "/album/some photo.jpg: file not found");
}
