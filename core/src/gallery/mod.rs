//! A gallery folder's faces: what was found in which photo, with every embedding,
//! kept in one flat matrix so search is a single pass over contiguous memory.

mod album;
mod cache;

pub use album::{Album, FaceRecord, Fingerprint, PhotoRecord};
pub use cache::{CacheError, CacheLoad, GalleryCache, CACHE_DIR_ENV_VAR, FORMAT_VERSION};
