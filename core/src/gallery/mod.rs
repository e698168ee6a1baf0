//! A gallery folder's faces: what was found in which photo, with every embedding,
//! kept in one flat matrix so search is a single pass over contiguous memory.

mod album;
mod cache;
mod lock;
mod log;

pub use album::{Album, AlbumError, FaceRecord, Fingerprint, PhotoRecord};
pub(crate) use cache::write_atomically;
pub use cache::{CacheError, CacheLoad, GalleryCache, CACHE_DIR_ENV_VAR, FORMAT_VERSION};
pub use lock::CacheLock;
pub use log::CheckpointLog;
