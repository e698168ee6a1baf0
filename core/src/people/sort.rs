//! Sorting an album into a folder per person: each person's folder holds every photo in
//! which that person appears (a group photo in every member's folder), as hard links by
//! default (copies where the output is on another file system), symbolic links or copies
//! on request.
//!
//! The rules, in one place for the command line and the window:
//! - Originals are only read: never moved, never modified; nothing is ever overwritten
//!   (every file is created with `create_new` semantics, a taken name moves on to
//!   `name (2).ext`).
//! - Folders are named after the person (made safe for every desktop file system), else
//!   `person-<id>`; two persons with one name, or a name already used by a folder sort did
//!   not make, get `name (2)`, … . A person keeps its folder from run to run.
//! - What sort wrote is recorded in a manifest in the output folder ([`MANIFEST_FILE`],
//!   written atomically), so a second run adds only what is new, reports the files of
//!   photos that have since left a person (*stale*), and with `prune` removes those — only
//!   files sort made, never anything else.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::key::PersonId;
use super::session::PeopleSession;
use crate::export::{cut_at_bytes, numbered, EXPORT_MARKER};

/// What sort wrote into an output folder, beside the person folders.
pub const MANIFEST_FILE: &str = ".facesorter-sort.json";
/// The folder of photos in which no face was placed in a person (with `unsorted`).
pub const UNSORTED_FOLDER: &str = "unsorted";
/// Version of the manifest format.
const MANIFEST_VERSION: u32 = 1;
/// Longest folder or file name written, in UTF-8 bytes (as the export's: room for ` (n)`
/// under the 255-byte limit of common file systems).
const MAX_NAME_BYTES: usize = 200;
/// How many numbered names are tried before a name is given up.
const MAX_SUFFIX: u32 = 10_000;

/// How a photo gets into a person's folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkMode {
    /// A hard link (no extra space; the same file as the original), or a copy where the
    /// output folder is on another file system or cannot hold hard links.
    #[default]
    Hard,
    /// A symbolic link to the original's absolute path.
    Symbolic,
    /// A copy of the original's bytes (its modification time kept).
    Copy,
}

impl LinkMode {
    pub fn name(self) -> &'static str {
        match self {
            Self::Hard => "hard",
            Self::Symbolic => "symbolic",
            Self::Copy => "copy",
        }
    }
}

impl SortPlan {
    /// The plan for a gallery's people as they are now: every visible person with the
    /// photos its faces are in (hidden persons are left out, and their photos are not
    /// unsorted: they have a placed face), and as unsorted the photos in which no face is
    /// in any person — photos without faces too.
    pub fn from_session(session: &PeopleSession) -> Self {
        let album = session.album();
        let root =
            std::path::absolute(session.root()).unwrap_or_else(|_| session.root().to_path_buf());
        let photo_of = |face: usize| album.photo_of(face);
        let mut placed = HashSet::new();
        for person in session.hidden_persons() {
            placed.extend(person.faces.iter().map(|f| photo_of(f.face).content_sha256));
        }
        let persons = session
            .persons()
            .into_iter()
            .map(|person| SortPerson {
                id: person.id,
                photos: person
                    .faces
                    .iter()
                    .map(|f| {
                        let sha256 = photo_of(f.face).content_sha256;
                        placed.insert(sha256);
                        SortPhoto {
                            path: root.join(&photo_of(f.face).rel_path),
                            sha256,
                        }
                    })
                    .collect(),
                name: person.name,
            })
            .collect();
        let unsorted = album
            .photos()
            .iter()
            .filter(|p| !placed.contains(&p.content_sha256))
            .map(|p| SortPhoto {
                path: root.join(&p.rel_path),
                sha256: p.content_sha256,
            })
            .collect();
        Self {
            gallery: root,
            persons,
            unsorted,
        }
    }
}

/// What to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortOptions {
    pub link: LinkMode,
    /// Also a folder ([`UNSORTED_FOLDER`]) of the photos in which no face was placed.
    pub unsorted: bool,
    /// Persons in fewer photos than this get no folder.
    pub min_photos: usize,
    /// Remove the stale files (of photos that have left a person) sort wrote earlier.
    pub prune: bool,
}

impl Default for SortOptions {
    fn default() -> Self {
        Self {
            link: LinkMode::Hard,
            unsorted: false,
            min_photos: 1,
            prune: false,
        }
    }
}

/// One photo to place: where the original is and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortPhoto {
    /// The original's absolute path.
    pub path: PathBuf,
    /// SHA-256 of its bytes (the album's `content_sha256`): how a photo is recognised in
    /// a later run, whatever its name.
    pub sha256: [u8; 32],
}

/// One person to give a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortPerson {
    pub id: PersonId,
    pub name: Option<String>,
    /// Every photo the person appears in (repeats are written once).
    pub photos: Vec<SortPhoto>,
}

/// What goes where: the persons to sort (hidden persons already left out) and the photos
/// with no placed face.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SortPlan {
    /// The gallery folder: the output must not be it.
    pub gallery: PathBuf,
    pub persons: Vec<SortPerson>,
    pub unsorted: Vec<SortPhoto>,
}

/// What one folder received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderSummary {
    /// The folder's name in the output folder.
    pub folder: String,
    pub path: PathBuf,
    /// The person it holds; `None` for the unsorted folder.
    pub person: Option<PersonId>,
    pub name: Option<String>,
    /// Distinct photos that belong in it.
    pub photos: usize,
    /// Files written in this run.
    pub written: usize,
    /// Photos already there from an earlier run (nothing written).
    pub existing: usize,
}

/// What a sort run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SortSummary {
    pub out: PathBuf,
    pub folders: Vec<FolderSummary>,
    /// Files written as hard links.
    pub linked: usize,
    /// Files written as copies (asked for, or a hard link that was not possible).
    pub copied: usize,
    /// Files written as symbolic links.
    pub symlinked: usize,
    /// Photos already in their folder (nothing written).
    pub existing: usize,
    /// Persons with fewer photos than `min_photos`: no folder.
    pub skipped_persons: usize,
    /// Files sort wrote earlier for photos that have since left their person (or the
    /// album), still there.
    pub stale: Vec<PathBuf>,
    /// Stale files removed (`prune`).
    pub pruned: Vec<PathBuf>,
    /// Files that could not be written or removed, and why (the others still were).
    pub failed: Vec<(PathBuf, String)>,
    /// Stopped early by the cancel flag (what was written is recorded).
    pub cancelled: bool,
    pub seconds: f64,
}

impl SortSummary {
    /// Files written in this run.
    pub fn written(&self) -> usize {
        self.linked + self.copied + self.symlinked
    }
}

/// Why sorting could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum SortError {
    #[error("{path}: cannot create the output folder: {source}")]
    CreateOut { path: PathBuf, source: io::Error },
    #[error("{path}: the output folder is the gallery itself; choose another folder")]
    OutIsGallery { path: PathBuf },
    #[error("{path}: cannot read sort's record of what it wrote: {source}")]
    ReadManifest { path: PathBuf, source: io::Error },
    #[error(
        "{path}: sort's record of what it wrote is damaged ({reason}); nothing was written \
         — move the file away to sort into this folder afresh"
    )]
    DamagedManifest { path: PathBuf, reason: String },
    #[error("{path}: cannot save sort's record of what it wrote: {source}")]
    WriteManifest { path: PathBuf, source: io::Error },
}

/// Sorts `plan` into `out` (see the module docs). Per-file failures are listed in the
/// summary and the rest is still written; `cancel` stops between files, with what was
/// written recorded.
pub fn sort_album(
    out: &Path,
    plan: &SortPlan,
    options: &SortOptions,
    cancel: &AtomicBool,
) -> Result<SortSummary, SortError> {
    let started = Instant::now();
    if same_folder(out, &plan.gallery) {
        return Err(SortError::OutIsGallery {
            path: out.to_path_buf(),
        });
    }
    let manifest_path = out.join(MANIFEST_FILE);
    let mut manifest = Manifest::load(&manifest_path)?;
    fs::create_dir_all(out).map_err(|source| SortError::CreateOut {
        path: out.to_path_buf(),
        source,
    })?;
    mark_output(out);

    let before = manifest.clone();
    let targets = targets(plan, options);
    let mut summary = SortSummary {
        out: out.to_path_buf(),
        skipped_persons: plan.persons.len() + usize::from(options.unsorted) - targets.len(),
        ..SortSummary::default()
    };
    // Without `unsorted` the unsorted folder of an earlier run is left as it is: neither
    // filled nor stale.
    let left_alone: HashSet<String> = manifest
        .folders
        .iter()
        .filter(|f| !options.unsorted && f.key.as_deref() == Some(UNSORTED_FOLDER))
        .map(|f| f.folder.to_lowercase())
        .collect();
    let names = assign_folders(out, &targets, &left_alone, &mut manifest);
    // The folders are recorded before anything is written into them: a run killed midway
    // leaves folders the next run knows as its own, and the files in them are recognised.
    let mut saved = before;
    if manifest != saved {
        manifest.save(&manifest_path)?;
        saved = manifest.clone();
    }
    let mut records = Records::new(&mut manifest);
    for (target, folder) in targets.iter().zip(&names) {
        let mut folder_summary = FolderSummary {
            folder: folder.clone(),
            path: out.join(folder),
            person: target.person,
            name: target.name.clone(),
            photos: target.photos.len(),
            written: 0,
            existing: 0,
        };
        for photo in &target.photos {
            if cancel.load(Ordering::Relaxed) {
                summary.cancelled = true;
                break;
            }
            let placed = place(out, folder, photo, options.link, &mut records);
            match placed {
                Ok(Placed::Existing) => folder_summary.existing += 1,
                Ok(Placed::Written(how)) => {
                    folder_summary.written += 1;
                    match how {
                        LinkMode::Hard => summary.linked += 1,
                        LinkMode::Copy => summary.copied += 1,
                        LinkMode::Symbolic => summary.symlinked += 1,
                    }
                }
                Err((path, reason)) => summary.failed.push((path, reason)),
            }
        }
        summary.existing += folder_summary.existing;
        summary.folders.push(folder_summary);
        if summary.cancelled {
            break;
        }
    }
    // Which earlier files are still wanted; the rest are stale.
    let kept = records.kept;
    if !summary.cancelled {
        settle_stale(
            out,
            options.prune,
            &left_alone,
            &mut manifest,
            &kept,
            &mut summary,
        );
    }
    if manifest != saved {
        manifest.save(&manifest_path)?;
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// One folder to fill: a person's, or the unsorted photos'.
struct Target {
    /// Key in the manifest: `person:<id>` or `unsorted`.
    key: String,
    /// The name wanted for the folder (before disambiguation).
    base: String,
    person: Option<PersonId>,
    name: Option<String>,
    /// Distinct photos, in path order.
    photos: Vec<SortPhoto>,
}

/// The folders to fill, persons first (in the plan's order), then the unsorted photos.
fn targets(plan: &SortPlan, options: &SortOptions) -> Vec<Target> {
    let mut targets: Vec<Target> = plan
        .persons
        .iter()
        .map(|p| Target {
            key: format!("person:{}", p.id),
            base: folder_base(p.name.as_deref(), p.id),
            person: Some(p.id),
            name: p.name.clone(),
            photos: distinct(&p.photos),
        })
        .filter(|t| t.photos.len() >= options.min_photos.max(1))
        .collect();
    if options.unsorted {
        targets.push(Target {
            key: UNSORTED_FOLDER.into(),
            base: UNSORTED_FOLDER.into(),
            person: None,
            name: None,
            photos: distinct(&plan.unsorted),
        });
    }
    targets
}

/// `photos` without repeats of the same content, in path order (so names given out on a
/// clash do not depend on the caller's order).
fn distinct(photos: &[SortPhoto]) -> Vec<SortPhoto> {
    let mut sorted: Vec<SortPhoto> = photos.to_vec();
    sorted.sort_by(|a, b| a.path.cmp(&b.path).then(a.sha256.cmp(&b.sha256)));
    let mut seen = HashSet::new();
    sorted.retain(|p| seen.insert(p.sha256));
    sorted
}

/// The folder name a person wants: the name made safe, else `person-<id>`.
pub fn folder_base(name: Option<&str>, id: PersonId) -> String {
    name.map(safe_name)
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("person-{id}"))
}

/// `name` valid as a file or folder name on every desktop file system: no separators,
/// reserved or control characters, no leading dots (a hidden folder) or trailing dots and
/// spaces, not a reserved Windows device name, at most [`MAX_NAME_BYTES`] bytes (cut on a
/// character boundary). May be empty.
fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .trim()
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    let cut = cut_at_bytes(&cleaned, MAX_NAME_BYTES);
    let trimmed = cut
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' ']);
    let stem = trimmed
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let reserved = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit());
    if reserved {
        format!("{trimmed}_")
    } else {
        trimmed.to_string()
    }
}

/// A folder for each target: the one it had last run when it still wants the same name,
/// else the first free `base`, `base (2)`, …: free means not given to another target in
/// this run and either not in the output folder at all or made by sort (a folder the user
/// made is never written into) and not `left_alone`. Names are compared
/// case-insensitively, as macOS and Windows do.
fn assign_folders(
    out: &Path,
    targets: &[Target],
    left_alone: &HashSet<String>,
    manifest: &mut Manifest,
) -> Vec<String> {
    let owned: HashSet<String> = manifest
        .folders
        .iter()
        .map(|f| f.folder.to_lowercase())
        .collect();
    let mut given: HashSet<String> = HashSet::new();
    let mut names: Vec<Option<String>> = vec![None; targets.len()];
    // Targets keep last run's folder first, so a new person can never take it from them.
    for (i, target) in targets.iter().enumerate() {
        let previous = manifest
            .folders
            .iter()
            .find(|f| f.key.as_deref() == Some(target.key.as_str()) && f.base == target.base);
        if let Some(f) = previous {
            if given.insert(f.folder.to_lowercase()) {
                names[i] = Some(f.folder.clone());
            }
        }
    }
    for (i, target) in targets.iter().enumerate() {
        if names[i].is_some() {
            continue;
        }
        let free = |name: &str| {
            let lower = name.to_lowercase();
            !given.contains(&lower)
                && !left_alone.contains(&lower)
                && (owned.contains(&lower) || fs::symlink_metadata(out.join(name)).is_err())
        };
        let name = (1..=MAX_SUFFIX)
            .map(|n| numbered(&target.base, "", n))
            .find(|name| free(name))
            .unwrap_or_else(|| format!("{} ({})", target.base, MAX_SUFFIX + 1));
        given.insert(name.to_lowercase());
        names[i] = Some(name);
    }
    let names: Vec<String> = names.into_iter().flatten().collect();
    // Record the assignment: every folder sort ever made stays owned (its files may be
    // stale); a folder now holds at most one target.
    for f in &mut manifest.folders {
        if !left_alone.contains(&f.folder.to_lowercase()) {
            f.key = None;
        }
    }
    for (target, name) in targets.iter().zip(&names) {
        match manifest
            .folders
            .iter_mut()
            .find(|f| f.folder.to_lowercase() == name.to_lowercase())
        {
            Some(f) => {
                f.key = Some(target.key.clone());
                f.base = target.base.clone();
            }
            None => manifest.folders.push(FolderRecord {
                folder: name.clone(),
                key: Some(target.key.clone()),
                base: target.base.clone(),
            }),
        }
    }
    names
}

enum Placed {
    /// Already in the folder from an earlier run.
    Existing,
    /// Written now, this way (a hard link may have become a copy).
    Written(LinkMode),
}

/// Puts `photo` into `out/folder` unless it is already there, recording what was written
/// and which earlier record still holds it in `records`.
fn place(
    out: &Path,
    folder: &str,
    photo: &SortPhoto,
    link: LinkMode,
    records: &mut Records<'_>,
) -> Result<Placed, (PathBuf, String)> {
    let sha = hex::encode(photo.sha256);
    let dir = out.join(folder);
    // An earlier run's file for this photo, still there (a symbolic link only while it
    // still leads to the original).
    let earlier = records.of_photo(folder, &sha).into_iter().find(|&i| {
        let f = &records.manifest.files[i];
        still_holds(&dir.join(&f.file), f.how, &photo.path)
    });
    if let Some(i) = earlier {
        records.kept.insert(i);
        return Ok(Placed::Existing);
    }
    fs::create_dir_all(&dir).map_err(|e| (dir.clone(), format!("cannot create folder: {e}")))?;
    let file_name = photo
        .path
        .file_name()
        .map(|n| safe_name(&n.to_string_lossy()))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "photo".into());
    let (stem, ext) = split_name(&file_name);
    for n in 1..=MAX_SUFFIX {
        let name = numbered(stem, ext, n);
        let target = dir.join(&name);
        if fs::symlink_metadata(&target).is_ok() {
            // A file of this photo left by a run that could not record it (killed): take
            // it as written by sort. Anything else keeps its name; we move on.
            if is_same_photo(&target, &photo.path, link) && !records.has_file(folder, &name) {
                records.add(FileRecord {
                    folder: folder.to_string(),
                    file: name,
                    sha256: sha,
                    source: photo.path.to_string_lossy().into_owned(),
                    how: link,
                });
                return Ok(Placed::Existing);
            }
            continue;
        }
        match write_one(&photo.path, &target, link) {
            Ok(how) => {
                records.add(FileRecord {
                    folder: folder.to_string(),
                    file: name,
                    sha256: sha,
                    source: photo.path.to_string_lossy().into_owned(),
                    how,
                });
                return Ok(Placed::Written(how));
            }
            // Taken meanwhile (another process): the next name.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err((target, e.to_string())),
        }
    }
    Err((dir.join(file_name), "no free file name".into()))
}

/// Whether the file sort wrote at `path` still holds `original`: present, and a symbolic
/// link still leading to it.
fn still_holds(path: &Path, how: LinkMode, original: &Path) -> bool {
    match how {
        LinkMode::Symbolic => fs::read_link(path).is_ok_and(|to| to == absolute(original)),
        LinkMode::Hard | LinkMode::Copy => fs::symlink_metadata(path).is_ok_and(|m| m.is_file()),
    }
}

/// Whether the file at `path` is `original` as `link` would have written it: the same
/// file (a hard link), a symbolic link to it, or a copy with the same bytes.
fn is_same_photo(path: &Path, original: &Path, link: LinkMode) -> bool {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return false;
    };
    if meta.file_type().is_symlink() {
        return link == LinkMode::Symbolic
            && fs::read_link(path).is_ok_and(|to| to == absolute(original));
    }
    let Ok(source) = fs::metadata(original) else {
        return false;
    };
    if !meta.is_file() || meta.len() != source.len() {
        return false;
    }
    if same_inode(&meta, &source) {
        return true;
    }
    link != LinkMode::Symbolic
        && matches!((file_sha256(path), file_sha256(original)), (Ok(a), Ok(b)) if a == b)
}

#[cfg(unix)]
fn same_inode(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_inode(_a: &fs::Metadata, _b: &fs::Metadata) -> bool {
    false
}

fn file_sha256(path: &Path) -> io::Result<[u8; 32]> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().into())
}

/// Writes `original` at `target`, which must not exist, the way `link` asks; a hard link
/// that cannot be made (another file system, a file system without hard links, not
/// allowed) becomes a copy. Returns how it was written.
fn write_one(original: &Path, target: &Path, link: LinkMode) -> io::Result<LinkMode> {
    match link {
        // A photo that is a symbolic link: link the file it leads to, not the link.
        LinkMode::Hard => match fs::hard_link(
            fs::canonicalize(original).as_deref().unwrap_or(original),
            target,
        ) {
            Ok(()) => Ok(LinkMode::Hard),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::AlreadyExists | io::ErrorKind::NotFound
                ) =>
            {
                Err(e)
            }
            Err(_) => copy_new(original, target).map(|()| LinkMode::Copy),
        },
        LinkMode::Symbolic => symlink(&absolute(original), target).map(|()| LinkMode::Symbolic),
        LinkMode::Copy => copy_new(original, target).map(|()| LinkMode::Copy),
    }
}

#[cfg(unix)]
fn symlink(original: &Path, target: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(original, target)
}

#[cfg(windows)]
fn symlink(original: &Path, target: &Path) -> io::Result<()> {
    std::os::windows::fs::symlink_file(original, target)
}

/// The original's absolute path (what a symbolic link leads to), without resolving links.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Copies `original` into a new file `target` (never an existing one), keeping the
/// original's modification time; a partial copy is removed.
fn copy_new(original: &Path, target: &Path) -> io::Result<()> {
    let mut input = File::open(original)?;
    let meta = input.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other("the original is not a regular file"));
    }
    let mut output = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(target)?;
    let copied = io::copy(&mut input, &mut output).and_then(|_| output.sync_all());
    if let Err(e) = copied {
        drop(output);
        let _ = fs::remove_file(target);
        return Err(e);
    }
    if let Ok(mtime) = meta.modified() {
        let _ = output.set_modified(mtime);
    }
    Ok(())
}

/// Files of earlier runs that no target still holds: gone ones are forgotten, the rest are
/// stale, and removed with `prune` (then an emptied folder sort made goes too).
fn settle_stale(
    out: &Path,
    prune: bool,
    left_alone: &HashSet<String>,
    manifest: &mut Manifest,
    kept: &HashSet<usize>,
    summary: &mut SortSummary,
) {
    let mut remaining = Vec::with_capacity(manifest.files.len());
    for (i, record) in std::mem::take(&mut manifest.files).into_iter().enumerate() {
        if kept.contains(&i) || left_alone.contains(&record.folder.to_lowercase()) {
            remaining.push(record);
            continue;
        }
        let path = out.join(&record.folder).join(&record.file);
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue; // removed by the user: nothing to report
        };
        if meta.is_dir() {
            continue; // not what sort wrote there
        }
        if !prune {
            summary.stale.push(path);
            remaining.push(record);
            continue;
        }
        match fs::remove_file(&path) {
            Ok(()) => summary.pruned.push(path),
            Err(e) => {
                summary.failed.push((path, format!("cannot remove: {e}")));
                remaining.push(record);
            }
        }
    }
    manifest.files = remaining;
    if prune {
        // Folders sort made that hold no target and nothing else any more.
        manifest.folders.retain(|f| {
            f.key.is_some()
                || manifest.files.iter().any(|r| r.folder == f.folder)
                || fs::remove_dir(out.join(&f.folder)).is_err()
        });
    }
}

/// Marks the output folder so that indexing a gallery it lies in skips it, as it skips
/// exports (best effort).
fn mark_output(out: &Path) {
    let _ = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(out.join(EXPORT_MARKER));
}

/// Whether `a` and `b` are the same folder (both exist and resolve alike).
fn same_folder(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// `("photo", "jpg")` from `"photo.jpg"`; a leading dot is part of the stem.
fn split_name(file_name: &str) -> (&str, &str) {
    match file_name.rfind('.') {
        Some(i) if i > 0 && file_name.len() - i <= 17 => (&file_name[..i], &file_name[i + 1..]),
        _ => (file_name, ""),
    }
}

/// The record of what sort wrote into one output folder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    version: u32,
    /// Every folder sort made there.
    folders: Vec<FolderRecord>,
    /// Every file sort wrote there and has not removed.
    files: Vec<FileRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct FolderRecord {
    folder: String,
    /// `person:<id>` or `unsorted`: whose folder it was in the last run (`None`: nobody's).
    key: Option<String>,
    /// The name it was made for (a renamed person gets a new folder).
    base: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct FileRecord {
    folder: String,
    file: String,
    /// SHA-256 of the original, hex.
    sha256: String,
    /// The original's path when written (shown lossily; for the user's information).
    source: String,
    how: LinkMode,
}

/// The manifest's files during a run, looked up by photo and by name (a large album must
/// not scan the whole record once per photo), and which of them this run still wants.
struct Records<'a> {
    manifest: &'a mut Manifest,
    /// (folder, sha256) → indices into `manifest.files`.
    by_photo: HashMap<(String, String), Vec<usize>>,
    /// (folder, file name) of every record.
    names: HashSet<(String, String)>,
    /// Records a target of this run holds; the rest are stale.
    kept: HashSet<usize>,
}

impl<'a> Records<'a> {
    fn new(manifest: &'a mut Manifest) -> Self {
        let mut by_photo: HashMap<(String, String), Vec<usize>> = HashMap::new();
        let mut names = HashSet::new();
        for (i, f) in manifest.files.iter().enumerate() {
            by_photo
                .entry((f.folder.clone(), f.sha256.clone()))
                .or_default()
                .push(i);
            names.insert((f.folder.clone(), f.file.clone()));
        }
        Self {
            manifest,
            by_photo,
            names,
            kept: HashSet::new(),
        }
    }

    fn of_photo(&self, folder: &str, sha: &str) -> Vec<usize> {
        self.by_photo
            .get(&(folder.to_string(), sha.to_string()))
            .cloned()
            .unwrap_or_default()
    }

    fn has_file(&self, folder: &str, file: &str) -> bool {
        self.names.contains(&(folder.to_string(), file.to_string()))
    }

    /// Records a file written (or adopted) in this run.
    fn add(&mut self, record: FileRecord) {
        let i = self.manifest.files.len();
        self.by_photo
            .entry((record.folder.clone(), record.sha256.clone()))
            .or_default()
            .push(i);
        self.names
            .insert((record.folder.clone(), record.file.clone()));
        self.kept.insert(i);
        self.manifest.files.push(record);
    }
}

impl Manifest {
    /// The record in `path`; none yet is an empty one; a damaged one is an error (without
    /// it sort could not tell its own files from the user's).
    fn load(path: &Path) -> Result<Self, SortError> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Self {
                    version: MANIFEST_VERSION,
                    ..Self::default()
                })
            }
            Err(source) => {
                return Err(SortError::ReadManifest {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let manifest: Self =
            serde_json::from_str(&text).map_err(|e| SortError::DamagedManifest {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        if manifest.version != MANIFEST_VERSION {
            return Err(SortError::DamagedManifest {
                path: path.to_path_buf(),
                reason: format!(
                    "format version {} (this FaceSorter writes {MANIFEST_VERSION})",
                    manifest.version
                ),
            });
        }
        Ok(manifest)
    }

    /// Writes the record to a temp file beside `path`, syncs it and renames it over
    /// `path`, so a crash leaves the old record or the new one, never half of one.
    fn save(&self, path: &Path) -> Result<(), SortError> {
        let err = |source| SortError::WriteManifest {
            path: path.to_path_buf(),
            source,
        };
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| err(io::Error::other(e)))?;
        let temp = path.with_file_name(format!("{MANIFEST_FILE}.{}.tmp", std::process::id()));
        let written = (|| {
            let mut file = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&temp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            fs::rename(&temp, path)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(err(e));
        }
        if let Some(dir) = path.parent() {
            // The rename is durable once the folder is synced (best effort).
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }
}

/// How many persons each folder name stands for, for tests of the naming rules.
#[cfg(test)]
fn name_counts(names: &[String]) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for n in names {
        *counts.entry(n.to_lowercase()).or_insert(0) += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_safe_for_every_file_system() {
        assert_eq!(folder_base(Some("Alice"), PersonId(3)), "Alice");
        assert_eq!(folder_base(Some("  a/b:c  "), PersonId(3)), "a_b_c");
        assert_eq!(folder_base(Some(".."), PersonId(7)), "person-7");
        assert_eq!(folder_base(Some(".hidden"), PersonId(7)), "hidden");
        assert_eq!(folder_base(Some("Dr. "), PersonId(7)), "Dr");
        assert_eq!(folder_base(Some("con"), PersonId(7)), "con_");
        assert_eq!(folder_base(Some("COM1.x"), PersonId(7)), "COM1.x_");
        assert_eq!(folder_base(None, PersonId(12)), "person-12");
        let long = folder_base(Some(&"漢".repeat(100)), PersonId(1));
        assert!(long.len() <= MAX_NAME_BYTES && long.ends_with('漢'));
    }

    #[test]
    fn clashing_names_get_numbers_and_user_folders_are_avoided() {
        let out = tempfile::tempdir().expect("tempdir");
        fs::create_dir(out.path().join("Bob")).expect("a folder of the user's");
        let target = |id: u32, name: &str| Target {
            key: format!("person:{id}"),
            base: folder_base(Some(name), PersonId(id)),
            person: Some(PersonId(id)),
            name: Some(name.into()),
            photos: Vec::new(),
        };
        let targets = vec![target(1, "Alice"), target(2, "alice"), target(3, "Bob")];
        let mut manifest = Manifest::default();
        let names = assign_folders(out.path(), &targets, &HashSet::new(), &mut manifest);
        assert_eq!(names, ["Alice", "alice (2)", "Bob (2)"]);
        assert!(name_counts(&names).values().all(|&n| n == 1));
        // The next run keeps the folders, even when a new person comes first.
        let again = vec![target(4, "Alice"), target(2, "alice"), target(1, "Alice")];
        let names = assign_folders(out.path(), &again, &HashSet::new(), &mut manifest);
        assert_eq!(names, ["Alice (3)", "alice (2)", "Alice"]);
    }
}
