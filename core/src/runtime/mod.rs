//! ONNX Runtime: finding the shared library, choosing the execution provider, and
//! opening sessions with it. Everything that touches `ort` setup lives here.

mod library;
mod openvino;
mod provider;
mod session;

pub use library::{
    bundled_location, data_dir_location, locate_library, setup_command, LibrarySearch,
};
pub use provider::{
    CpuFeatures, ExecutionProviderKind, Precision, ProviderChoice, ProviderRequest,
};
pub use session::{ModelSession, OpenVinoRoute, Runtime, RuntimeError};
