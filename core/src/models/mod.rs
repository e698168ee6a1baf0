//! Model files: the manifest of known models, where to find them on disk, how to verify
//! them, how to download them (resumable, verified, atomically moved into place), and
//! how a model given by path is run (its sidecar file, the user's overrides).

mod declared;
mod download;
mod error;
mod hash_memo;
mod locate;
mod manifest;
mod profile;
mod sidecar;
mod verify;

pub use declared::{read_declared, DeclaredModel, DeclaredTensor};
pub use download::{download, DownloadProgress};
pub use error::ModelError;
pub use hash_memo::{default_memo_path, remembered_sha256};
pub use locate::{
    ModelLocator, ModelSpec, ResolvedModel, SearchRoots, SidecarModel, MODELS_ENV_VAR,
};
pub use manifest::{ColorOrder, InputConvention, Manifest, ModelEntry, ModelKind};
pub use profile::{
    adaface_convention, format_triplet, parse_triplet, ProfileSources, RecognizerOverrides,
    RecognizerProfile, SettingSource, FALLBACK_THRESHOLD,
};
pub use sidecar::{Sidecar, RECOGNIZER_INPUT_SIZE, SIDECAR_EXTENSION};
pub use verify::{check_size, sha256_file, verify_entry, verify_file};
