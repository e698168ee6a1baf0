//! FaceSorter's engine, free of any UI. The data flows through the modules in this order:
//! photo → detect → align → embed (on the runtime, with models) → index (a folder, into
//! a gallery album + its cache) → search → people → export.

pub mod align;
pub mod detect;
pub mod dirs;
pub mod embed;
pub mod engine;
pub mod error;
pub mod export;
pub mod fault;
pub mod gallery;
pub mod geometry;
pub mod index;
pub mod models;
pub mod people;
pub mod photo;
pub mod progress;
pub mod runtime;
pub mod search;
