use std::io;
use std::path::PathBuf;

/// Everything that can go wrong finding, checking or fetching a model file.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("the model manifest is invalid: {0}")]
    Manifest(String),

    /// A model's `NAME.toml` that cannot be used; `field` is `None` when the file is not
    /// TOML at all.
    #[error("{}: {}{reason}", path.display(), field.as_ref().map(|f| format!("field `{f}`: ")).unwrap_or_default())]
    Sidecar {
        path: PathBuf,
        field: Option<String>,
        reason: String,
    },

    /// A recognizer setting given by the user that cannot be used.
    #[error("recognizer setting `{field}`: {reason}")]
    Setting { field: String, reason: String },

    #[error("unknown model `{id}`; known models: {}", known.join(", "))]
    UnknownModel { id: String, known: Vec<String> },

    /// Carries the whole user-facing explanation (where we looked, how to fix it).
    #[error("{message}")]
    NotFound {
        spec: String,
        searched: Vec<PathBuf>,
        message: String,
    },

    #[error("{action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("`{value}` is not a sha256 (expected 64 hex digits)")]
    InvalidSha256 { value: String },

    #[error("sha256 mismatch for {}: expected {expected}, got {actual}", path.display())]
    ChecksumMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },

    #[error("size mismatch for {}: expected {expected} bytes, found {actual}", path.display())]
    SizeMismatch {
        path: PathBuf,
        expected: u64,
        actual: u64,
    },

    #[error(
        "download of {url} is corrupt: sha256 expected {expected}, got {actual}; \
         deleted the partial file {}, run the download again",
        part.display()
    )]
    DownloadCorrupt {
        url: String,
        part: PathBuf,
        expected: String,
        actual: String,
    },

    #[error("requesting {url}")]
    Http {
        url: String,
        #[source]
        source: Box<ureq::Error>,
    },

    #[error("requesting {url}: server answered HTTP {status}")]
    HttpStatus { url: String, status: u16 },

    #[error(
        "download of {url} interrupted after {bytes} bytes \
         (run it again to resume from {})",
        part.display()
    )]
    Transfer {
        url: String,
        part: PathBuf,
        bytes: u64,
        #[source]
        source: io::Error,
    },

    #[error("download of {url} cancelled; {bytes} bytes kept in {} for resuming", part.display())]
    Cancelled {
        url: String,
        part: PathBuf,
        bytes: u64,
    },
}

impl ModelError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
