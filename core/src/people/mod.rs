//! People: every face of the album grouped into persons the user names and corrects.
//!
//! faces (the album's faces in a canonical order) → cluster (a partition under the user's
//! constraints) → identity (stable person ids, matched to the people file) → session (the
//! workflow both front ends drive: corrections, views) → sort (a folder per person).

pub mod cluster;
pub mod faces;
pub mod knn;
pub mod metrics;
pub mod synthetic;

pub use cluster::{
    attach, cluster, split, ClusterParams, Constraints, KnownPerson, Partition, PersonCluster,
};
pub use faces::{FaceFacts, FaceSet, FaceSetError};
