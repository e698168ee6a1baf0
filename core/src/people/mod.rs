//! People: every face of the album grouped into persons the user names and corrects.
//!
//! faces (the album's faces in a canonical order) → cluster (a partition under the user's
//! constraints) → identity (stable person ids, matched to the people file) → session (the
//! workflow both front ends drive: corrections, views) → sort (a folder per person).

pub mod cluster;
pub mod faces;
pub mod file;
pub mod identity;
pub mod key;
pub mod knn;
pub mod metrics;
pub mod session;
pub mod sort;
pub mod store;
pub mod synthetic;
pub mod worker;

pub use cluster::{
    attach, cluster, cluster_on_graph, cluster_with, split, ClusterParams, Constraints,
    KnownPerson, Partition, PersonCluster, Thresholds,
};
pub use faces::{FaceFacts, FaceSet, FaceSetError};
pub use file::{PeopleFile, PEOPLE_FILE_VERSION};
pub use key::{FaceAnchor, PersonId};
pub use session::{
    Checkpoint, FaceView, Opened, PeopleError, PeopleSession, PersonView, Suggestion,
};
pub use store::{PeopleStore, PEOPLE_DIR_ENV_VAR};
