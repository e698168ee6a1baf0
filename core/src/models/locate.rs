//! Finding a model file on disk: an explicit path, or a manifest id looked up in an
//! ordered list of directories (first match wins).

use std::ffi::OsString;
use std::fmt;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::error::ModelError;
use super::manifest::{Manifest, ModelEntry};
use super::sidecar::Sidecar;

/// Environment variable naming a models directory searched before the defaults.
pub const MODELS_ENV_VAR: &str = "FACESORTER_MODELS";

/// How many parent directories of the executable to try when looking for the repository.
const REPO_WALK_LEVELS: usize = 6;

/// What the user asked for: a manifest id (`adaface-ir101`) or a file path.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelSpec {
    Id(String),
    Path(PathBuf),
}

impl ModelSpec {
    /// An existing path, anything with a path separator, or a name ending in `.onnx` is a
    /// path; anything else is a manifest id.
    pub fn parse(s: &str) -> Self {
        let looks_like_path = Path::new(s).exists()
            || s.contains('/')
            || s.contains(std::path::MAIN_SEPARATOR)
            || s.to_ascii_lowercase().ends_with(".onnx");
        if looks_like_path {
            Self::Path(PathBuf::from(s))
        } else {
            Self::Id(s.to_owned())
        }
    }
}

impl FromStr for ModelSpec {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::parse(s))
    }
}

impl fmt::Display for ModelSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Id(id) => f.write_str(id),
            Self::Path(p) => write!(f, "{}", p.display()),
        }
    }
}

/// A model file that exists, with its manifest entry when it is a known model (matched by
/// id, or for an explicit path by file name) and its sidecar file when it has one — the
/// two give the input convention.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedModel {
    pub path: PathBuf,
    pub entry: Option<ModelEntry>,
    pub sidecar: Option<Sidecar>,
}

impl ResolvedModel {
    /// The model at `path`, with its sidecar read (a malformed sidecar is an error).
    fn at(path: PathBuf, entry: Option<ModelEntry>) -> Result<Self, ModelError> {
        let sidecar = Sidecar::beside(&path)?;
        Ok(Self {
            path,
            entry,
            sidecar,
        })
    }
}

/// A model in a models folder that the manifest does not know but whose sidecar describes
/// it (what `models list` shows beside the manifest's models).
#[derive(Debug)]
pub struct SidecarModel {
    pub path: PathBuf,
    /// The parsed sidecar, or why it cannot be used.
    pub sidecar: Result<Sidecar, ModelError>,
}

/// The inputs the default search directories derive from; plain data so tests can supply
/// temporary directories instead of mutating the process environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchRoots {
    /// Value of `$FACESORTER_MODELS`.
    pub env_dir: Option<PathBuf>,
    /// The app's data directory (`models/` is appended).
    pub data_dir: Option<PathBuf>,
    /// Directory holding the running executable.
    pub exe_dir: Option<PathBuf>,
}

impl SearchRoots {
    /// Reads `$FACESORTER_MODELS`, the platform data dir and the executable's location.
    pub fn from_environment() -> Self {
        let env_dir = std::env::var_os(MODELS_ENV_VAR)
            .filter(|v: &OsString| !v.is_empty())
            .map(PathBuf::from);
        let data_dir = crate::dirs::project_dirs().map(|d| d.data_dir().to_path_buf());
        let exe_dir = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(Path::to_path_buf));
        Self {
            env_dir,
            data_dir,
            exe_dir,
        }
    }

    /// The search order: `$FACESORTER_MODELS`, `<data dir>/models`, `models/` beside the
    /// executable, `../share/facesorter/models` from it (the installed packages' shared
    /// folder, e.g. `/usr/share/facesorter/models`, where an administrator may put models
    /// for every user), then the repository's `models/` (the nearest ancestor of the
    /// executable's directory holding `models/manifest.toml`). Duplicates are dropped.
    pub fn search_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = Vec::new();
        dirs.extend(self.env_dir.clone());
        dirs.extend(self.data_dir.as_ref().map(|d| d.join("models")));
        if let Some(exe_dir) = &self.exe_dir {
            dirs.push(exe_dir.join("models"));
            if let Some(prefix) = exe_dir.parent() {
                dirs.push(prefix.join("share").join("facesorter").join("models"));
            }
            // `target/debug/facesorter` or `target/debug/deps/test-…` sit a few levels
            // below the repository, whose models/ is where a developer keeps weights.
            let repo = exe_dir
                .ancestors()
                .skip(1)
                .take(REPO_WALK_LEVELS)
                .find(|a| a.join("models").join("manifest.toml").is_file());
            dirs.extend(repo.map(|r| r.join("models")));
        }
        let mut unique: Vec<PathBuf> = Vec::with_capacity(dirs.len());
        for d in dirs {
            if !unique.contains(&d) {
                unique.push(d);
            }
        }
        unique
    }
}

/// Resolves [`ModelSpec`]s to files using a manifest and an ordered list of directories.
#[derive(Debug, Clone)]
pub struct ModelLocator {
    manifest: Manifest,
    dirs: Vec<PathBuf>,
}

impl ModelLocator {
    /// A locator over exactly these directories, in this order.
    pub fn new(manifest: Manifest, dirs: Vec<PathBuf>) -> Self {
        Self { manifest, dirs }
    }

    pub fn from_roots(manifest: Manifest, roots: &SearchRoots) -> Self {
        Self::new(manifest, roots.search_dirs())
    }

    /// The built-in manifest and the default directories of this process.
    pub fn from_environment() -> Result<Self, ModelError> {
        Ok(Self::from_roots(
            Manifest::builtin()?,
            &SearchRoots::from_environment(),
        ))
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    pub fn search_dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// Where downloads go: the first search directory (`$FACESORTER_MODELS` if set,
    /// otherwise the data dir), so a fetched model is found first.
    pub fn fetch_dir(&self) -> Option<&Path> {
        self.dirs.first().map(PathBuf::as_path)
    }

    pub fn locate(&self, spec: &ModelSpec) -> Result<ResolvedModel, ModelError> {
        match spec {
            ModelSpec::Id(id) => {
                let entry = self.manifest.require(id)?;
                match self.find_in_dirs(&entry.file) {
                    Some(path) => ResolvedModel::at(path, Some(entry.clone())),
                    None => Err(self.not_found(spec, Some(entry))),
                }
            }
            ModelSpec::Path(path) => {
                let by_name = |p: &Path| {
                    let name = p.file_name()?.to_str()?;
                    self.manifest
                        .models
                        .iter()
                        .find(|m| m.file == name)
                        .cloned()
                };
                if path.is_file() {
                    return ResolvedModel::at(path.clone(), by_name(path));
                }
                // A bare file name (`adaface_ir_18.onnx`) also means "in a models dir".
                let is_bare_name = path.parent().is_none_or(|p| p.as_os_str().is_empty());
                if is_bare_name {
                    if let Some(found) = path.to_str().and_then(|n| self.find_in_dirs(n)) {
                        let entry = by_name(&found);
                        return ResolvedModel::at(found, entry);
                    }
                }
                Err(self.not_found(spec, None))
            }
        }
    }

    /// Models with a sidecar in the search directories that the manifest does not know,
    /// sorted by file name; a file name found in two folders is listed from the first (the
    /// one [`Self::locate`] would use).
    pub fn sidecar_models(&self) -> Vec<SidecarModel> {
        let mut found: Vec<SidecarModel> = Vec::new();
        for dir in &self.dirs {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut here: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension()
                        .is_some_and(|x| x.eq_ignore_ascii_case("onnx"))
                        && p.is_file()
                        && Sidecar::path_for(p).is_file()
                })
                .collect();
            here.sort();
            for path in here {
                let name = path.file_name().map(|n| n.to_os_string());
                let known = self
                    .manifest
                    .models
                    .iter()
                    .any(|m| name.as_deref() == Some(std::ffi::OsStr::new(&m.file)));
                let listed = found.iter().any(|f| f.path.file_name() == name.as_deref());
                if known || listed {
                    continue;
                }
                let sidecar = Sidecar::beside(&path).and_then(|s| {
                    s.ok_or_else(|| {
                        ModelError::io(
                            "reading the model sidecar",
                            Sidecar::path_for(&path),
                            std::io::ErrorKind::NotFound.into(),
                        )
                    })
                });
                found.push(SidecarModel { path, sidecar });
            }
        }
        found.sort_by(|a, b| a.path.file_name().cmp(&b.path.file_name()));
        found
    }

    fn find_in_dirs(&self, file: &str) -> Option<PathBuf> {
        self.dirs.iter().map(|d| d.join(file)).find(|p| p.is_file())
    }

    fn not_found(&self, spec: &ModelSpec, entry: Option<&ModelEntry>) -> ModelError {
        let mut message = String::new();
        // Writing to a String cannot fail; the results are ignored for that reason.
        match (spec, entry) {
            (ModelSpec::Id(id), Some(e)) => {
                let _ = writeln!(message, "model `{id}` ({}) not found. Searched:", e.file);
            }
            _ => {
                let _ = writeln!(message, "model file {spec} not found. Searched:");
                if let ModelSpec::Path(p) = spec {
                    let _ = writeln!(message, "  {} (explicit path)", p.display());
                }
            }
        }
        for d in &self.dirs {
            let _ = writeln!(message, "  {}", d.display());
        }
        if let Some(e) = entry {
            let _ = writeln!(message, "Fix: run `facesorter models fetch {}`", e.id);
            let _ = write!(
                message,
                "or download {} (sha256 {}) into one of the directories above",
                e.url, e.sha256
            );
        } else {
            let _ = write!(
                message,
                "Give an existing .onnx file, or a known model id: {}",
                self.manifest.ids().join(", ")
            );
        }
        let mut searched = Vec::new();
        if let ModelSpec::Path(p) = spec {
            searched.push(p.clone());
        }
        searched.extend(self.dirs.iter().cloned());
        ModelError::NotFound {
            spec: spec.to_string(),
            searched,
            message,
        }
    }
}
