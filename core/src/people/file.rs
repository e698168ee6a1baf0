//! The people file's contents: everything the user said about the persons of one
//! gallery, plus the last assignment (for stable ids and incremental attaching). JSON, so
//! a user can read it; versioned, so a newer FaceSorter's file is refused, not misread.

use serde::{Deserialize, Serialize};

use super::key::{FaceAnchor, PersonId};

/// The format this FaceSorter writes. A file with a higher number is refused.
pub const PEOPLE_FILE_VERSION: u32 = 1;

/// One person as stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PersonRecord {
    pub id: PersonId,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub hidden: bool,
    /// Faces the user confirmed as this person (must-link).
    #[serde(default)]
    pub confirmed: Vec<FaceAnchor>,
    /// "Not this person": never placed in it again.
    #[serde(default)]
    pub rejected: Vec<FaceAnchor>,
    /// The faces it held after the last clustering or correction: not a rule, but what
    /// keeps its id when clustering runs again and what new photos are attached to.
    #[serde(default)]
    pub members: Vec<Member>,
}

/// A face a person held last time, with the confidence it was placed with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Member {
    #[serde(flatten)]
    pub face: FaceAnchor,
    #[serde(default)]
    pub score: f32,
}

impl PersonRecord {
    /// A person that carries nothing the user said (may be forgotten once it holds no
    /// faces; its id is still never reused).
    pub fn has_corrections(&self) -> bool {
        self.name.is_some()
            || self.hidden
            || !self.confirmed.is_empty()
            || !self.rejected.is_empty()
    }
}

/// A person merged into another: old ids keep resolving to the survivor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeRecord {
    pub from: PersonId,
    pub into: PersonId,
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeopleFile {
    pub version: u32,
    /// The gallery folder, for a reader of the file; the file's name is what ties it to
    /// the gallery.
    #[serde(default)]
    pub gallery: String,
    /// `Fingerprint::digest` of the album last clustered: when it changes the faces'
    /// embeddings are not comparable and everything is clustered again.
    #[serde(default)]
    pub model: Option<String>,
    /// The next fresh person id.
    #[serde(default = "first_id")]
    pub next_id: u32,
    #[serde(default)]
    pub persons: Vec<PersonRecord>,
    /// "Not a face": in no person and not in the unsorted pile.
    #[serde(default)]
    pub ignored: Vec<FaceAnchor>,
    #[serde(default)]
    pub merges: Vec<MergeRecord>,
    /// Faces left unsorted by the last clustering: faces in neither list nor `members`
    /// are new and get attached.
    #[serde(default)]
    pub unsorted: Vec<FaceAnchor>,
}

fn first_id() -> u32 {
    1
}

impl Default for PeopleFile {
    fn default() -> Self {
        Self {
            version: PEOPLE_FILE_VERSION,
            gallery: String::new(),
            model: None,
            next_id: first_id(),
            persons: Vec::new(),
            ignored: Vec::new(),
            merges: Vec::new(),
            unsorted: Vec::new(),
        }
    }
}

/// Why a people file's text cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileFormatError {
    /// Written by a newer FaceSorter: left alone, never overwritten.
    #[error("format version {found} is newer than this FaceSorter reads (up to {PEOPLE_FILE_VERSION}); update FaceSorter")]
    Future { found: u64 },
    /// Not a people file this FaceSorter can read.
    #[error("{0}")]
    Damaged(String),
}

impl PeopleFile {
    /// Reads a file's text. Checks the version before the contents, so a newer format
    /// is reported as such rather than as damage.
    pub fn parse(text: &str) -> Result<Self, FileFormatError> {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| FileFormatError::Damaged(format!("not valid JSON ({e})")))?;
        let version = value
            .get("version")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| FileFormatError::Damaged("no format version".into()))?;
        if version > u64::from(PEOPLE_FILE_VERSION) {
            return Err(FileFormatError::Future { found: version });
        }
        if version != u64::from(PEOPLE_FILE_VERSION) {
            return Err(FileFormatError::Damaged(format!(
                "unknown format version {version}"
            )));
        }
        let file: Self = serde_json::from_value(value)
            .map_err(|e| FileFormatError::Damaged(format!("unreadable contents ({e})")))?;
        file.check()?;
        Ok(file)
    }

    /// The file's text: compact JSON (one line; a large album's face lists would run to
    /// millions of lines pretty-printed), newline-terminated.
    pub fn to_text(&self) -> String {
        // Serialising plain data to a String cannot fail.
        let mut text = serde_json::to_string(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Rules a well-formed file keeps; one that breaks them was edited or damaged.
    fn check(&self) -> Result<(), FileFormatError> {
        let damaged = |why: String| Err(FileFormatError::Damaged(why));
        let mut ids: Vec<PersonId> = self.persons.iter().map(|p| p.id).collect();
        ids.extend(self.merges.iter().map(|m| m.from));
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() != n {
            return damaged("a person id is used twice".into());
        }
        if let Some(max) = ids.last() {
            if max.0 >= self.next_id {
                return damaged(format!(
                    "person {max} is not below the next id {}",
                    self.next_id
                ));
            }
        }
        Ok(())
    }

    pub fn person(&self, id: PersonId) -> Option<&PersonRecord> {
        self.persons.iter().find(|p| p.id == id)
    }

    pub fn person_mut(&mut self, id: PersonId) -> Option<&mut PersonRecord> {
        self.persons.iter_mut().find(|p| p.id == id)
    }

    /// The person `id` names now: itself, or the survivor of the merges it went into.
    pub fn resolve(&self, id: PersonId) -> Option<PersonId> {
        let mut current = id;
        // Bounded: each merge moves to another id, and a cycle is cut after every hop.
        for _ in 0..=self.merges.len() {
            if self.person(current).is_some() {
                return Some(current);
            }
            current = self.merges.iter().find(|m| m.from == current)?.into;
        }
        None
    }

    /// Every anchor in the file (corrections and the last assignment).
    pub fn all_anchors(&self) -> impl Iterator<Item = &FaceAnchor> {
        self.persons
            .iter()
            .flat_map(|p| {
                p.confirmed
                    .iter()
                    .chain(&p.rejected)
                    .chain(p.members.iter().map(|m| &m.face))
            })
            .chain(&self.ignored)
            .chain(&self.unsorted)
    }

    /// How many things the user said: names, hidden persons, confirmed, rejected and
    /// ignored faces, merges.
    pub fn correction_count(&self) -> usize {
        self.persons
            .iter()
            .map(|p| {
                usize::from(p.name.is_some())
                    + usize::from(p.hidden)
                    + p.confirmed.len()
                    + p.rejected.len()
            })
            .sum::<usize>()
            + self.ignored.len()
            + self.merges.len()
    }

    /// A fresh id, never given before.
    pub fn fresh_id(&mut self) -> PersonId {
        let id = PersonId(self.next_id);
        self.next_id += 1;
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_file_round_trips() {
        let mut file = PeopleFile::default();
        let id = file.fresh_id();
        file.persons.push(PersonRecord {
            id,
            name: Some("Ann".into()),
            ..PersonRecord::default()
        });
        let back = PeopleFile::parse(&file.to_text()).expect("parse");
        assert_eq!(back, file);
    }

    #[test]
    fn newer_version_is_refused_and_garbage_is_damage() {
        let future = format!("{{\"version\": {}}}", PEOPLE_FILE_VERSION + 1);
        assert!(matches!(
            PeopleFile::parse(&future),
            Err(FileFormatError::Future { .. })
        ));
        assert!(matches!(
            PeopleFile::parse("{\"version\": 1, \"persons\": 3"),
            Err(FileFormatError::Damaged(_))
        ));
        assert!(matches!(
            PeopleFile::parse("{\"persons\": []}"),
            Err(FileFormatError::Damaged(_))
        ));
    }

    #[test]
    fn merged_ids_resolve_to_the_survivor() {
        let mut file = PeopleFile::default();
        for _ in 0..3 {
            let id = file.fresh_id();
            file.persons.push(PersonRecord {
                id,
                ..PersonRecord::default()
            });
        }
        // 3 into 2, then 2 into 1.
        file.persons.retain(|p| p.id.0 == 1);
        file.merges.push(MergeRecord {
            from: PersonId(3),
            into: PersonId(2),
        });
        file.merges.push(MergeRecord {
            from: PersonId(2),
            into: PersonId(1),
        });
        assert_eq!(file.resolve(PersonId(3)), Some(PersonId(1)));
        assert_eq!(file.resolve(PersonId(4)), None);
    }
}
