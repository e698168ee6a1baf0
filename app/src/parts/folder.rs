//! Opening a folder in the system's file manager, for every button that does it (the
//! export's, the gallery's unreadable photos, the photo view's *Show in folder*): one
//! opener, one error text naming the folder, shown in the window by the caller.

use std::path::Path;

use crate::jobs;

/// Opens `dir` in the system's file manager (`opener`: `xdg-open` on Linux, or the copy
/// of it the crate carries; `open` on macOS; the shell on Windows). The error, when there
/// is one, names the folder so the user can go there by hand.
pub fn open_folder(dir: &Path) -> Result<(), String> {
    opener::open(dir).map_err(|e| {
        let hint = match e {
            opener::OpenError::Spawn { .. } if cfg!(target_os = "linux") => {
                " (opening folders needs xdg-open, from the xdg-utils package)"
            }
            _ => "",
        };
        format!(
            "Could not open {}: {}{hint}",
            dir.display(),
            jobs::describe(&e)
        )
    })
}
