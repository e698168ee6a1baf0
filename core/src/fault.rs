//! A test hook that makes a named pipeline stage panic, so tests can check that a panic
//! anywhere (detection, alignment, embedding, export, thumbnails, …) reaches the user as an
//! error instead of a hang. `FACESORTER_FAULT=detect,export` makes those stages panic;
//! unset (always, outside tests) it costs one environment look-up per call site visit.

/// The environment variable naming the stages that panic.
pub const FAULT_ENV_VAR: &str = "FACESORTER_FAULT";

/// Panics when `stage` is listed in `FACESORTER_FAULT`.
pub fn inject(stage: &str) {
    if let Some(list) = std::env::var_os(FAULT_ENV_VAR) {
        if list.to_string_lossy().split(',').any(|s| s.trim() == stage) {
            panic!("injected fault in {stage} ({FAULT_ENV_VAR})");
        }
    }
}

/// The message of a caught panic, for showing it as an error.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}
