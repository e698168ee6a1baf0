//! Model files: the manifest of known models, where to find them on disk, how to verify
//! them, and how to download them (resumable, verified, atomically moved into place).

mod download;
mod error;
mod locate;
mod manifest;
mod verify;

pub use download::{download, DownloadProgress};
pub use error::ModelError;
pub use locate::{ModelLocator, ModelSpec, ResolvedModel, SearchRoots, MODELS_ENV_VAR};
pub use manifest::{ColorOrder, InputConvention, Manifest, ModelEntry, ModelKind};
pub use verify::{check_size, sha256_file, verify_entry, verify_file};
