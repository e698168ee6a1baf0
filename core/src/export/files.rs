//! Writing into the user's folder without ever replacing a file: every file is created
//! with `create_new`, and a taken name moves on to `name (2).ext`, `name (3).ext`, ….

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::ExportError;

/// How many numbered names are tried before giving up on a folder.
const MAX_SUFFIX: u32 = 10_000;

/// `stem.ext`, or `stem (n).ext` for `n ≥ 2`.
fn numbered(stem: &str, ext: &str, n: u32) -> String {
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

/// A name that is valid on every desktop file system: no separators, reserved characters
/// or control characters, no trailing dots or spaces, at most `MAX_NAME_CHARS` characters.
pub(super) fn sanitize_file_name(name: &str) -> String {
    const MAX_NAME_CHARS: usize = 120;
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    let (stem, ext) = split_name(&cleaned);
    let keep = MAX_NAME_CHARS.saturating_sub(ext.chars().count() + 1);
    let stem: String = stem.chars().take(keep).collect();
    let stem = stem.trim_end_matches(['.', ' ']);
    let stem = if stem.is_empty() { "photo" } else { stem };
    if ext.is_empty() {
        stem.to_string()
    } else {
        format!("{stem}.{ext}")
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
        assert!(sanitize_file_name(&"x".repeat(500)).chars().count() <= 120);
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
