//! Writing into the user's folder without ever replacing a file: every file is created
//! with `create_new`, and a taken name moves on to `name (2).ext`, `name (3).ext`, ….

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::ExportError;

/// How many numbered names are tried before giving up on a folder.
const MAX_SUFFIX: u32 = 10_000;

/// `stem.ext`, or `stem (n).ext` for `n ≥ 2`.
pub(crate) fn numbered(stem: &str, ext: &str, n: u32) -> String {
    let base = if n <= 1 {
        stem.to_string()
    } else {
        format!("{stem} ({n})")
    };
    if ext.is_empty() {
        base
    } else {
        format!("{base}.{ext}")
    }
}

/// Creates a new file named after `file_name` in `dir`, never opening an existing one.
pub(super) fn create_unique(dir: &Path, file_name: &str) -> Result<(File, PathBuf), ExportError> {
    let (stem, ext) = split_name(file_name);
    for n in 1..=MAX_SUFFIX {
        let path = dir.join(numbered(stem, ext, n));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((file, path)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(source) => return Err(ExportError::Create { path, source }),
        }
    }
    Err(ExportError::NoFreeName {
        path: dir.join(file_name),
    })
}

/// Creates a new folder named `name` in `parent`, or `name (2)`, `name (3)`, … when that is
/// taken: never a folder that already existed.
pub(super) fn create_unique_dir(parent: &Path, name: &str) -> Result<PathBuf, ExportError> {
    for n in 1..=MAX_SUFFIX {
        let path = parent.join(numbered(name, "", n));
        match fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(source) => return Err(ExportError::CreateDir { path, source }),
        }
    }
    Err(ExportError::NoFreeName {
        path: parent.join(name),
    })
}

/// Writes `bytes` to a new file (see [`create_unique`]); a partly written file is removed.
pub(super) fn write_unique(
    dir: &Path,
    file_name: &str,
    bytes: &[u8],
) -> Result<PathBuf, ExportError> {
    let (mut file, path) = create_unique(dir, file_name)?;
    match file.write_all(bytes).and_then(|()| file.sync_all()) {
        Ok(()) => Ok(path),
        Err(source) => {
            drop(file);
            let _ = fs::remove_file(&path);
            Err(ExportError::Write { path, source })
        }
    }
}

/// Copies `source` into a new file in `dir` named like it; the source is only read.
/// The copy keeps the original's modification time where the platform allows.
pub(super) fn copy_unique(source: &Path, dir: &Path) -> Result<PathBuf, ExportError> {
    let name = source
        .file_name()
        .map(|n| sanitize_file_name(&n.to_string_lossy()))
        .unwrap_or_else(|| "photo".into());
    let read_err = |e| ExportError::Read {
        path: source.to_path_buf(),
        source: e,
    };
    let mut input = File::open(source).map_err(read_err)?;
    let meta = input.metadata().map_err(read_err)?;
    if !meta.is_file() {
        return Err(read_err(io::Error::other("not a regular file")));
    }
    let (mut output, path) = create_unique(dir, &name)?;
    let copied = io::copy(&mut input, &mut output).and_then(|_| output.sync_all());
    if let Err(e) = copied {
        drop(output);
        let _ = fs::remove_file(&path);
        return Err(ExportError::Write { path, source: e });
    }
    if let Ok(mtime) = meta.modified() {
        let _ = output.set_modified(mtime);
    }
    Ok(path)
}

/// `("photo", "jpg")` from `"photo.jpg"`; a leading dot is part of the stem.
fn split_name(file_name: &str) -> (&str, &str) {
    match file_name.rfind('.') {
        Some(i) if i > 0 => (&file_name[..i], &file_name[i + 1..]),
        _ => (file_name, ""),
    }
}

/// Longest file or folder name written, in UTF-8 bytes. File systems limit names to 255
/// bytes (ext4, APFS) or 255 UTF-16 units (NTFS; never more than the UTF-8 bytes); this
/// leaves room for the ` (n)` a taken name gets.
pub(super) const MAX_NAME_BYTES: usize = 200;

/// Longest part after the last dot still treated as an extension (kept whole when cutting).
const MAX_EXT_BYTES: usize = 16;

/// A name that is valid on every desktop file system: no separators, reserved characters
/// or control characters, no trailing dots or spaces, at most [`MAX_NAME_BYTES`] bytes.
/// A long name loses the end of its stem, cut on a character boundary; the extension stays.
pub(super) fn sanitize_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    let (stem, ext) = match split_name(&cleaned) {
        (stem, ext) if ext.len() <= MAX_EXT_BYTES => (stem, ext),
        _ => (cleaned.as_str(), ""),
    };
    let dot = usize::from(!ext.is_empty());
    let stem = cut_at_bytes(stem, MAX_NAME_BYTES.saturating_sub(ext.len() + dot));
    let stem = stem.trim_end_matches(['.', ' ']);
    let stem = if stem.is_empty() { "photo" } else { stem };
    if ext.is_empty() {
        stem.to_string()
    } else {
        format!("{stem}.{ext}")
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub(crate) fn cut_at_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Hands out folder names for one export run: each made safe like a file name and never
/// the same as one handed out before in the run (compared case-insensitively, as macOS and
/// Windows do), so two probes named alike (`p1/me.png`, `p2/me.png`) never share a folder:
/// the second becomes `me (2)`.
#[derive(Debug, Default)]
pub struct FolderNames {
    taken: HashSet<String>,
}

impl FolderNames {
    pub fn new() -> Self {
        Self::default()
    }

    /// A folder name for `wanted`, unique within this run.
    pub fn claim(&mut self, wanted: &str) -> String {
        // Folder names have no extension: a dot in a photo's stem is kept as it is.
        let base = sanitize_file_name(&format!("{wanted}."));
        let mut n = 1u32;
        loop {
            let name = if n == 1 {
                base.clone()
            } else {
                format!("{base} ({n})")
            };
            if self.taken.insert(name.to_lowercase()) {
                return name;
            }
            n += 1;
        }
    }
}

/// One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, or starts or
/// ends with a space; quotes inside are doubled.
pub(super) fn csv_field(value: &str) -> String {
    let needs_quotes =
        value.contains([',', '"', '\r', '\n']) || value.starts_with(' ') || value.ends_with(' ');
    if needs_quotes {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// One CSV record with its CRLF terminator.
pub(super) fn csv_record<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = fields
        .iter()
        .map(|f| csv_field(f.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_numbered_before_the_extension() {
        assert_eq!(numbered("matches", "csv", 1), "matches.csv");
        assert_eq!(numbered("matches", "csv", 2), "matches (2).csv");
        assert_eq!(numbered("README", "", 3), "README (3)");
        assert_eq!(split_name(".hidden"), (".hidden", ""));
        assert_eq!(split_name("a.b.jpg"), ("a.b", "jpg"));
    }

    #[test]
    fn file_names_are_made_safe() {
        assert_eq!(sanitize_file_name("a/b\\c:d?.jpg"), "a_b_c_d_.jpg");
        assert_eq!(sanitize_file_name("dots... .jpg"), "dots.jpg");
        assert_eq!(sanitize_file_name(".jpg"), ".jpg");
        assert_eq!(sanitize_file_name(""), "photo");
        assert_eq!(sanitize_file_name(&"x".repeat(500)).len(), MAX_NAME_BYTES);
    }

    #[test]
    fn long_names_are_cut_at_a_byte_budget_on_a_character_boundary() {
        // 83 CJK characters are 249 bytes: under a 120-character cut, but too long a name.
        let cjk = "漢".repeat(83);
        let name = sanitize_file_name(&format!("001_score-0.912_{cjk}.jpg"));
        assert!(name.len() <= MAX_NAME_BYTES, "{} bytes", name.len());
        assert!(name.starts_with("001_score-0.912_漢") && name.ends_with("漢.jpg"));
        // Four-byte characters: the cut never splits one.
        let emoji = sanitize_file_name(&format!("{}.png", "😀".repeat(100)));
        assert!(emoji.len() <= MAX_NAME_BYTES && emoji.ends_with("😀.png"));
        // A "extension" too long to be one is cut with the rest.
        let dotted = sanitize_file_name(&format!("a.{}", "b".repeat(300)));
        assert_eq!(dotted.len(), MAX_NAME_BYTES);
    }

    #[test]
    fn a_long_name_can_be_written_with_a_number() {
        let dir = tempfile::tempdir().expect("tempdir");
        let name = sanitize_file_name(&format!("{}.jpg", "漢".repeat(200)));
        let first = write_unique(dir.path(), &name, b"a").expect("first");
        let second = write_unique(dir.path(), &name, b"b").expect("second, numbered");
        assert_ne!(first, second);
        assert_eq!(fs::read(&second).expect("read"), b"b");
    }

    #[test]
    fn folder_names_are_unique_within_a_run() {
        let mut names = FolderNames::new();
        assert_eq!(names.claim("me_face1"), "me_face1");
        assert_eq!(names.claim("me_face1"), "me_face1 (2)");
        assert_eq!(
            names.claim("ME_face1"),
            "ME_face1 (3)",
            "case-insensitive file systems"
        );
        assert_eq!(names.claim("a/b"), "a_b");
        assert_eq!(names.claim("v1.2"), "v1.2", "a dot is not an extension");
        assert_eq!(names.claim(""), "photo");
        let long = names.claim(&"漢".repeat(90));
        assert!(long.len() <= MAX_NAME_BYTES);
        assert_eq!(
            names.claim(&"漢".repeat(95)),
            format!("{long} (2)"),
            "same after the cut"
        );
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_record(&["a", "b,c"]), "a,\"b,c\"\r\n");
    }
}
