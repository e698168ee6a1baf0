//! Where one export run writes, decided once per run so that two exports never mix: a
//! folder that does not exist or is empty is written into as it is; a folder that holds
//! anything gets a new subfolder `<probe stem>-<YYYYMMDD-HHMMSS>/` and the export goes
//! there, laid out exactly as it would be at the top. Within a run, each probe face of
//! several gets a folder of its own ([`ExportFolder::face_folder`]) and faces that matched
//! nobody go to `unmatched/`.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{DateTime, Local};

use super::files::{self, FolderNames};
use super::{ensure_dir, mark_export_dir, ExportError, EXPORT_MARKER};

/// Sub-folder of an export that receives the crops of probe faces that matched nobody.
pub const UNMATCHED_DIR: &str = "unmatched";

/// Bytes of the `-YYYYMMDD-HHMMSS` ending of a subfolder's name.
const STAMP_BYTES: usize = 16;

/// The folder one export run writes into (see the module docs).
#[derive(Debug)]
pub struct ExportFolder {
    asked: PathBuf,
    root: PathBuf,
    names: FolderNames,
}

impl ExportFolder {
    /// Decides where an export into `asked` of a search for the face in `probe` (a photo
    /// path, whose stem names a new subfolder) writes, and creates that folder.
    pub fn open(asked: &Path, probe: &Path) -> Result<Self, ExportError> {
        Self::open_at(asked, probe, SystemTime::now())
    }

    /// [`open`](Self::open) as if at the time `when` (which names a new subfolder). Two runs
    /// with the same stem within one second would want the same name: the second gets
    /// `name (2)`, the only place a number is still needed.
    pub fn open_at(asked: &Path, probe: &Path, when: SystemTime) -> Result<Self, ExportError> {
        ensure_dir(asked)?;
        let root = if holds_anything(asked)? {
            files::create_unique_dir(asked, &subfolder_name(probe, when))?
        } else {
            asked.to_path_buf()
        };
        mark_export_dir(&root);
        Ok(Self {
            asked: asked.to_path_buf(),
            root,
            names: FolderNames::new(),
        })
    }

    /// The folder the user named.
    pub fn asked(&self) -> &Path {
        &self.asked
    }

    /// The folder this run writes into: the one asked for, or a new subfolder of it.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether the folder asked for held something, so that the run writes into a new
    /// subfolder of it.
    pub fn is_new_subfolder(&self) -> bool {
        self.root != self.asked
    }

    /// The folder of one probe face's search when a run has several, named after `label`
    /// and never the same as another handed out in this run (`me_face1`, `me_face1 (2)`).
    /// Not created until something is written into it.
    pub fn face_folder(&mut self, label: &str) -> PathBuf {
        self.root.join(self.names.claim(label))
    }

    /// Where faces that matched nobody are saved.
    pub fn unmatched(&self) -> PathBuf {
        self.root.join(UNMATCHED_DIR)
    }
}

/// Whether `dir` holds anything but an export marker (which alone is no export: it is
/// left when nothing could be written).
fn holds_anything(dir: &Path) -> Result<bool, ExportError> {
    let read_err = |source| ExportError::Read {
        path: dir.to_path_buf(),
        source,
    };
    for entry in fs::read_dir(dir).map_err(read_err)? {
        let entry = entry.map_err(read_err)?;
        if entry.file_name() != EXPORT_MARKER {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `<probe stem>-<YYYYMMDD-HHMMSS>`, safe as a folder name; a long stem is cut so that the
/// time stamp always stays whole.
fn subfolder_name(probe: &Path, when: SystemTime) -> String {
    // Local time: the name is read by the person who just exported, on their own clock.
    let stamp = DateTime::<Local>::from(when).format("%Y%m%d-%H%M%S");
    let stem = probe
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.trim_end_matches(['.', ' ']).is_empty())
        .unwrap_or_else(|| "probe".into());
    // A trailing dot keeps a dot inside the stem from being taken for an extension.
    let stem = files::sanitize_file_name(&format!("{stem}."));
    let stem = files::cut_at_bytes(&stem, files::MAX_NAME_BYTES - STAMP_BYTES);
    format!("{}-{stamp}", stem.trim_end_matches(['.', ' ']))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn subfolder_names_keep_their_time_stamp() {
        let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let stamp = DateTime::<Local>::from(when)
            .format("%Y%m%d-%H%M%S")
            .to_string();
        assert_eq!(stamp.len() + 1, STAMP_BYTES);
        assert_eq!(
            subfolder_name(Path::new("/p/alice.jpg"), when),
            format!("alice-{stamp}")
        );
        assert_eq!(
            subfolder_name(Path::new("/p/v1.2.png"), when),
            format!("v1.2-{stamp}")
        );
        assert_eq!(
            subfolder_name(Path::new("/p/a:b.png"), when),
            format!("a_b-{stamp}")
        );
        assert_eq!(
            subfolder_name(Path::new("/"), when),
            format!("probe-{stamp}")
        );
        let long = subfolder_name(Path::new(&format!("/p/{}.jpg", "漢".repeat(90))), when);
        assert!(long.len() <= files::MAX_NAME_BYTES, "{}", long.len());
        assert!(long.starts_with('漢') && long.ends_with(&format!("漢-{stamp}")));
    }
}
