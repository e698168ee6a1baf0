//! The people workflow both front ends drive: open a gallery's people (clustering what is
//! new, keeping every correction), show them, correct them. Every correction is saved at
//! once; a refused one (unknown person or face) changes nothing, in memory or on disk.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::cluster::{
    attach, split, ClusterParams, Constraints, KnownPerson, Partition, PersonCluster,
};
use super::file::{Member, MergeRecord, PeopleFile, PersonRecord};
use super::identity::{assign_ids, CanonicalOrder, PreviousPerson};
use super::key::{AnchorMatcher, FaceAnchor, PersonId};
use super::store::{absolute, PeopleStore};
use crate::gallery::{Album, Fingerprint};
use crate::geometry::FaceBox;
use crate::search::{face_key_for, FaceKey};

/// Why a people operation failed. One line each, naming what was wrong.
#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error("no person {0} in this gallery")]
    UnknownPerson(PersonId),
    #[error("{0}")]
    UnknownFace(String),
    /// A request that cannot be carried out as asked (e.g. merging a person into itself).
    #[error("{0}")]
    Invalid(String),
    #[error("no people file for {}: nothing to move (people files are in {})", root.display(), dir.display())]
    NoPeopleFile { root: PathBuf, dir: PathBuf },
    #[error("the people file {} has format version {found}, newer than this FaceSorter reads; update FaceSorter (the file was left untouched)", path.display())]
    FutureVersion { path: PathBuf, found: u64 },
    #[error("the people file {} is damaged and has no good copy: {reason}", path.display())]
    Damaged { path: PathBuf, reason: String },
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One face as the front ends show it.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceView {
    /// The album's face number.
    pub face: usize,
    /// The photo's path under the gallery and the face's index within the photo.
    pub key: FaceKey,
    /// The photo's absolute path.
    pub path: PathBuf,
    pub face_box: FaceBox,
    /// Confidence that the face belongs to its person (1 for a confirmed face; 0 for an
    /// unsorted one).
    pub score: f32,
    pub confirmed: bool,
    /// Placed in a person with a confidence under the model's "uncertain" line
    /// ([`super::Thresholds::uncertain_below`]): the face to check first.
    pub uncertain: bool,
}

/// One person as the front ends show it.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonView {
    pub id: PersonId,
    pub name: Option<String>,
    pub hidden: bool,
    /// Photos the person appears in.
    pub photos: usize,
    /// Confirmed first, then by score (highest first), then by photo path and index.
    pub faces: Vec<FaceView>,
    /// A confirmed face if any, else the highest score, ties by the largest box.
    pub cover: FaceView,
}

/// A saved state of a session (see [`PeopleSession::checkpoint`]).
#[derive(Debug, Clone)]
pub struct Checkpoint {
    state: State,
    faces: usize,
}

/// "These unsorted faces may be this person" (see [`PeopleSession::suggestions`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub person: PersonId,
    pub name: Option<String>,
    /// Most similar first; each face's `score` is its cosine to the person.
    pub faces: Vec<FaceView>,
}

/// An opened session and what the user should be told about opening it (a damaged file
/// recovered, a model change that re-clustered everything, …).
#[derive(Debug)]
pub struct Opened {
    pub session: PeopleSession,
    pub notices: Vec<String>,
}

/// A gallery's people: the album, the people file, and who each face is.
#[derive(Debug)]
pub struct PeopleSession {
    store: PeopleStore,
    root: PathBuf,
    album: Arc<Album>,
    params: ClusterParams,
    model: String,
    order: CanonicalOrder,
    photo_by_path: HashMap<OsString, usize>,
    state: State,
}

/// Everything a correction changes; cloned, changed and saved as a whole so a failed
/// correction leaves the session as it was.
#[derive(Debug, Clone)]
struct State {
    file: PeopleFile,
    /// Per album face: its person.
    person: Vec<Option<PersonId>>,
    /// Per album face: confidence in that person.
    score: Vec<f32>,
    marks: Marks,
}

/// The file's corrections resolved to album faces.
#[derive(Debug, Clone, Default)]
struct Marks {
    confirmed: Vec<Option<PersonId>>,
    rejected: HashMap<usize, Vec<PersonId>>,
    ignored: Vec<bool>,
}

impl PeopleSession {
    /// Opens the people of the gallery at `root` (indexed as `album` with `model`): reads
    /// the people file, places new photos' faces (or clusters everything when there is no
    /// clustering of this model yet), and saves the file.
    pub fn open(
        store: &PeopleStore,
        root: &Path,
        album: Arc<Album>,
        model: &Fingerprint,
        params: ClusterParams,
    ) -> Result<Opened, PeopleError> {
        let loaded = store.load(root)?;
        let on_disk = loaded.existed.then(|| loaded.file.clone());
        let mut notices = loaded.notices;
        let order = CanonicalOrder::of(&album);
        let photo_by_path = album
            .photos()
            .iter()
            .enumerate()
            .map(|(i, p)| (p.rel_path.clone(), i))
            .collect();
        let mut session = Self {
            store: store.clone(),
            root: root.to_path_buf(),
            album,
            params,
            model: model.digest(),
            order,
            photo_by_path,
            state: State {
                file: loaded.file,
                person: Vec::new(),
                score: Vec::new(),
                marks: Marks::default(),
            },
        };
        let mut state = session.state.clone();
        state.file.gallery = absolute(root).to_string_lossy().into_owned();
        session.normalise_anchors(&mut state);
        let same_model = state.file.model.as_deref() == Some(session.model.as_str());
        let has_assignment = state.file.persons.iter().any(|p| !p.members.is_empty())
            || !state.file.unsorted.is_empty();
        if loaded.existed && same_model && has_assignment {
            session.refresh_incrementally(&mut state);
        } else {
            if loaded.existed && state.file.model.is_some() && !same_model {
                notices.push(format!(
                    "the recognizer or detector changed since the people were last sorted: every face was clustered again ({} corrections kept)",
                    state.file.correction_count()
                ));
            }
            session.cluster_everything(&mut state);
        }
        session.commit(state, on_disk.as_ref())?;
        Ok(Opened { session, notices })
    }

    /// Moves the people file of a gallery folder that moved from `old_root` to
    /// `new_root` (`people NEW --from OLD`). A file the new folder already had is moved
    /// aside, never deleted.
    pub fn relocate(
        store: &PeopleStore,
        old_root: &Path,
        new_root: &Path,
    ) -> Result<(), PeopleError> {
        let no_file = || PeopleError::NoPeopleFile {
            root: old_root.to_path_buf(),
            dir: store.dir().to_path_buf(),
        };
        let main = store.find_file(old_root).ok_or_else(no_file)?;
        let loaded = store.load_file(&main)?;
        if !loaded.existed {
            return Err(PeopleError::Damaged {
                path: main,
                reason: loaded.notices.join("; "),
            });
        }
        let mut file = loaded.file;
        file.gallery = absolute(new_root).to_string_lossy().into_owned();
        if store.path_for(new_root) != main {
            store.set_aside(new_root, "replaced")?;
        }
        store.save(new_root, &file)
    }

    /// Clusters every face again (keeping every correction; ids follow the overlap
    /// with the persons before).
    pub fn recluster(&mut self) -> Result<(), PeopleError> {
        let mut state = self.state.clone();
        self.cluster_everything(&mut state);
        let before = self.state.file.clone();
        self.commit(state, Some(&before))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn album(&self) -> &Arc<Album> {
        &self.album
    }

    /// Where this gallery's people file is (to tell the user).
    pub fn file_path(&self) -> PathBuf {
        self.store.path_for(&self.root)
    }

    /// Visible persons, largest first (faces, then photos, then smaller id).
    pub fn persons(&self) -> Vec<PersonView> {
        self.views(|p| !p.hidden)
    }

    /// Hidden persons, largest first.
    pub fn hidden_persons(&self) -> Vec<PersonView> {
        self.views(|p| p.hidden)
    }

    /// Person `id` (or the person it was merged into); `None` when unknown or when it
    /// holds no face of this album.
    pub fn person(&self, id: PersonId) -> Option<PersonView> {
        let id = self.state.file.resolve(id)?;
        let faces: Vec<usize> = (0..self.album.face_count())
            .filter(|&f| self.state.person[f] == Some(id))
            .collect();
        self.view(id, faces)
    }

    /// Faces in no person (and not ignored), by photo path and index.
    pub fn unsorted(&self) -> Vec<FaceView> {
        let mut out: Vec<FaceView> = (0..self.album.face_count())
            .filter(|&f| self.state.person[f].is_none() && !self.state.marks.ignored[f])
            .map(|f| self.face_view(f))
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out
    }

    /// The face `PATH#INDEX` names (a path relative to the gallery, or under it).
    pub fn face(&self, path: &Path, index: u32) -> Result<FaceKey, PeopleError> {
        face_key_for(&self.album, &self.root, path, index)
            .map_err(|e| PeopleError::UnknownFace(e.to_string()))
    }

    /// Names person `id` (an empty name removes the name).
    pub fn name(&mut self, id: PersonId, name: &str) -> Result<Vec<PersonView>, PeopleError> {
        let id = self.known(id)?;
        let name = name.trim();
        self.transact(|_, state| {
            if let Some(p) = state.file.person_mut(id) {
                p.name = (!name.is_empty()).then(|| name.to_string());
            }
            Ok(vec![id])
        })
    }

    /// Merges `others` into `into` (which keeps its id; the others' ids resolve to it).
    pub fn merge(
        &mut self,
        into: PersonId,
        others: &[PersonId],
    ) -> Result<Vec<PersonView>, PeopleError> {
        let survivor = self.known(into)?;
        let mut merged: Vec<PersonId> = Vec::new();
        for &o in others {
            let r = self.known(o)?;
            if r == survivor {
                return Err(PeopleError::Invalid(if o == into {
                    format!("cannot merge person {into} into itself")
                } else {
                    format!("person {o} is already part of person {into}")
                }));
            }
            if !merged.contains(&r) {
                merged.push(r);
            }
        }
        if merged.is_empty() {
            return Err(PeopleError::Invalid(
                "merge needs a person to keep and at least one to merge into it".into(),
            ));
        }
        self.transact(|session, state| {
            for &m in &merged {
                let Some(pos) = state.file.persons.iter().position(|p| p.id == m) else {
                    continue;
                };
                let gone = state.file.persons.remove(pos);
                if let Some(s) = state.file.person_mut(survivor) {
                    if s.name.is_none() {
                        s.name = gone.name;
                    }
                    s.confirmed.extend(gone.confirmed);
                    s.rejected.extend(gone.rejected);
                    dedup_anchors(&mut s.confirmed);
                    let confirmed = s.confirmed.clone();
                    s.rejected.retain(|r| !confirmed.contains(r));
                    dedup_anchors(&mut s.rejected);
                }
                for rec in &mut state.file.merges {
                    if rec.into == m {
                        rec.into = survivor;
                    }
                }
                state.file.merges.push(MergeRecord {
                    from: m,
                    into: survivor,
                });
                for p in &mut state.person {
                    if *p == Some(m) {
                        *p = Some(survivor);
                    }
                }
            }
            session.refresh_marks(state);
            session.enforce(state);
            Ok(vec![survivor])
        })
    }

    /// "These faces are person `id`": they join it and stay in it.
    pub fn confirm(
        &mut self,
        id: PersonId,
        faces: &[FaceKey],
    ) -> Result<Vec<PersonView>, PeopleError> {
        let id = self.known(id)?;
        let faces = self.album_faces(faces)?;
        self.transact(|session, state| {
            let mut changed = vec![id];
            for &f in &faces {
                let Some(anchor) = FaceAnchor::of(&session.album, f) else {
                    continue;
                };
                for p in &mut state.file.persons {
                    p.confirmed.retain(|a| *a != anchor);
                    if p.id == id {
                        p.rejected.retain(|a| *a != anchor);
                        p.confirmed.push(anchor);
                    }
                }
                state.file.ignored.retain(|a| *a != anchor);
                if let Some(old) = state.person[f] {
                    if old != id && !changed.contains(&old) {
                        changed.push(old);
                    }
                }
                state.person[f] = Some(id);
                state.score[f] = 1.0;
            }
            session.refresh_marks(state);
            session.enforce(state);
            Ok(changed)
        })
    }

    /// "These faces are not person `id`": they leave it and never come back to it. A
    /// face that clearly belongs to another person is placed there, else unsorted.
    pub fn reject(
        &mut self,
        id: PersonId,
        faces: &[FaceKey],
    ) -> Result<Vec<PersonView>, PeopleError> {
        let id = self.known(id)?;
        let faces = self.album_faces(faces)?;
        self.transact(|session, state| {
            let mut out = Vec::new();
            for &f in &faces {
                let Some(anchor) = FaceAnchor::of(&session.album, f) else {
                    continue;
                };
                if let Some(p) = state.file.person_mut(id) {
                    p.confirmed.retain(|a| *a != anchor);
                    if !p.rejected.contains(&anchor) {
                        p.rejected.push(anchor);
                    }
                }
                if state.person[f] == Some(id) {
                    state.person[f] = None;
                    state.score[f] = 0.0;
                    out.push(f);
                }
            }
            session.refresh_marks(state);
            let placed = session.reattach(state, &out);
            let mut changed = vec![id];
            for p in placed {
                if !changed.contains(&p) {
                    changed.push(p);
                }
            }
            Ok(changed)
        })
    }

    /// "Not a face": these faces leave every person and the unsorted pile.
    pub fn ignore(&mut self, faces: &[FaceKey]) -> Result<Vec<PersonView>, PeopleError> {
        let faces = self.album_faces(faces)?;
        self.transact(|session, state| {
            let mut changed = Vec::new();
            for &f in &faces {
                let Some(anchor) = FaceAnchor::of(&session.album, f) else {
                    continue;
                };
                for p in &mut state.file.persons {
                    p.confirmed.retain(|a| *a != anchor);
                }
                if !state.file.ignored.contains(&anchor) {
                    state.file.ignored.push(anchor);
                }
                if let Some(old) = state.person[f].take() {
                    if !changed.contains(&old) {
                        changed.push(old);
                    }
                }
                state.score[f] = 0.0;
            }
            session.refresh_marks(state);
            Ok(changed)
        })
    }

    /// Hides (or shows again) person `id`: a hidden person is listed apart and keeps its
    /// faces, so they are not offered as someone else.
    pub fn hide(&mut self, id: PersonId, hidden: bool) -> Result<Vec<PersonView>, PeopleError> {
        let id = self.known(id)?;
        self.transact(|_, state| {
            if let Some(p) = state.file.person_mut(id) {
                p.hidden = hidden;
            }
            Ok(vec![id])
        })
    }

    /// How person `id` would split when clustered more strictly (largest part first);
    /// one part when it holds together. Changes nothing.
    pub fn propose_split(&self, id: PersonId) -> Result<Vec<Vec<FaceView>>, PeopleError> {
        let id = self.known(id)?;
        let parts = self.split_parts(&self.state, id);
        Ok(parts
            .iter()
            .map(|part| {
                let mut views: Vec<FaceView> = part
                    .faces
                    .iter()
                    .zip(&part.scores)
                    .map(|(&c, &s)| {
                        let f = self.order.to_album[c as usize];
                        FaceView {
                            score: if self.state.marks.confirmed[f] == Some(id) {
                                1.0
                            } else {
                                s
                            },
                            ..self.face_view(f)
                        }
                    })
                    .collect();
                sort_faces(&mut views);
                views
            })
            .collect())
    }

    /// Applies [`Self::propose_split`]: the part holding most of the confirmed faces
    /// (else the largest) keeps the id and every confirmed face; each other part becomes
    /// a new person; faces in no part become unsorted.
    pub fn apply_split(&mut self, id: PersonId) -> Result<Vec<PersonView>, PeopleError> {
        let id = self.known(id)?;
        self.transact(|session, state| {
            let parts = session.split_parts(state, id);
            let confirmed_in = |part: &PersonCluster| {
                part.faces
                    .iter()
                    .filter(|&&c| {
                        state.marks.confirmed[session.order.to_album[c as usize]] == Some(id)
                    })
                    .count()
            };
            let keeper = (0..parts.len())
                .max_by(|&a, &b| {
                    confirmed_in(&parts[a])
                        .cmp(&confirmed_in(&parts[b]))
                        .then(parts[a].faces.len().cmp(&parts[b].faces.len()))
                        .then(b.cmp(&a))
                })
                .unwrap_or(0);
            for p in state.person.iter_mut() {
                if *p == Some(id) {
                    *p = None;
                }
            }
            let mut changed = vec![id];
            for (i, part) in parts.iter().enumerate() {
                let pid = if i == keeper {
                    id
                } else {
                    let fresh = state.file.fresh_id();
                    state.file.persons.push(PersonRecord {
                        id: fresh,
                        ..PersonRecord::default()
                    });
                    changed.push(fresh);
                    fresh
                };
                for (&c, &s) in part.faces.iter().zip(&part.scores) {
                    let f = session.order.to_album[c as usize];
                    state.person[f] = Some(pid);
                    state.score[f] = s;
                }
            }
            session.enforce(state);
            Ok(changed)
        })
    }

    /// Everything the session holds that a correction changes, to go back to with
    /// [`Self::restore`] (the window's undo). Valid for this session's album only.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            state: self.state.clone(),
            faces: self.album.face_count(),
        }
    }

    /// Goes back to `checkpoint` (taken from this session) and saves it: the corrections,
    /// names and assignment are as they were then.
    pub fn restore(&mut self, checkpoint: Checkpoint) -> Result<(), PeopleError> {
        if checkpoint.faces != self.album.face_count() {
            return Err(PeopleError::Invalid(
                "the album changed since: that state cannot come back".into(),
            ));
        }
        let before = self.state.file.clone();
        self.commit(checkpoint.state, Some(&before))
    }

    /// The recognizer threshold the persons are clustered with.
    pub fn params(&self) -> ClusterParams {
        self.params
    }

    /// Unsorted faces that look like a visible person: each face's nearest person (by
    /// cosine to the person's mean embedding) when that reaches the join threshold and
    /// beats the next person by the join margin — the evidence clustering asks of a face
    /// that joins. A person that rejected the face is never suggested, but still counts
    /// as the next person: a face torn between it and another is left alone. Grouped by
    /// person, most faces first.
    pub fn suggestions(&self) -> Vec<Suggestion> {
        let dim = self.album.dim();
        let persons = self.persons();
        if persons.is_empty() || dim == 0 {
            return Vec::new();
        }
        let centroids: Vec<Vec<f32>> = persons
            .iter()
            .map(|p| {
                let mut c = vec![0.0f32; dim];
                for f in &p.faces {
                    for (a, b) in c.iter_mut().zip(self.album.embedding(f.face)) {
                        *a += b;
                    }
                }
                let norm = c.iter().map(|x| x * x).sum::<f32>().sqrt();
                if norm > 0.0 {
                    c.iter_mut().for_each(|x| *x /= norm);
                }
                c
            })
            .collect();
        let mut by_person: HashMap<usize, Vec<(FaceView, f32)>> = HashMap::new();
        for face in self.unsorted() {
            let e = self.album.embedding(face.face);
            let rejected = self.state.marks.rejected.get(&face.face);
            let mut best: Option<(usize, f32)> = None;
            let mut second = f32::MIN;
            for (i, c) in centroids.iter().enumerate() {
                let cos: f32 = c.iter().zip(e).map(|(a, b)| a * b).sum();
                match best {
                    Some((_, b)) if cos <= b => second = second.max(cos),
                    _ => {
                        if let Some((_, b)) = best {
                            second = second.max(b);
                        }
                        best = Some((i, cos));
                    }
                }
            }
            let thresholds = self.params.thresholds();
            if let Some((i, cos)) = best {
                let refused = rejected.is_some_and(|r| r.contains(&persons[i].id));
                if !refused && cos >= thresholds.join && cos - second >= thresholds.join_margin {
                    by_person.entry(i).or_default().push((face, cos));
                }
            }
        }
        let mut out: Vec<Suggestion> = by_person
            .into_iter()
            .map(|(i, mut faces)| {
                faces.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.key.cmp(&b.0.key)));
                Suggestion {
                    person: persons[i].id,
                    name: persons[i].name.clone(),
                    faces: faces
                        .into_iter()
                        .map(|(f, cos)| FaceView { score: cos, ..f })
                        .collect(),
                }
            })
            .collect();
        out.sort_by(|a, b| {
            b.faces
                .len()
                .cmp(&a.faces.len())
                .then(a.person.cmp(&b.person))
        });
        out
    }

    // ---- internals ----

    /// `id` as it stands now (after merges), or the error that it is unknown.
    fn known(&self, id: PersonId) -> Result<PersonId, PeopleError> {
        self.state
            .file
            .resolve(id)
            .ok_or(PeopleError::UnknownPerson(id))
    }

    /// The album face numbers of `keys`, all or nothing.
    fn album_faces(&self, keys: &[FaceKey]) -> Result<Vec<usize>, PeopleError> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            let photo = self.photo_by_path.get(&key.photo).ok_or_else(|| {
                PeopleError::UnknownFace(format!(
                    "{}: not a photo of the gallery {}",
                    Path::new(&key.photo).display(),
                    self.root.display()
                ))
            })?;
            let record = &self.album.photos()[*photo];
            if key.index >= record.face_count {
                return Err(PeopleError::UnknownFace(format!(
                    "{} has {} face(s): there is no face #{} (faces are numbered from 0)",
                    Path::new(&key.photo).display(),
                    record.face_count,
                    key.index
                )));
            }
            let f = record.first_face as usize + key.index as usize;
            if !out.contains(&f) {
                out.push(f);
            }
        }
        if out.is_empty() {
            return Err(PeopleError::Invalid("no face given".into()));
        }
        Ok(out)
    }

    /// Runs a correction on a copy of the state, saves it, and only then makes it the
    /// session's: a failure anywhere leaves everything as it was.
    fn transact(
        &mut self,
        change: impl FnOnce(&Self, &mut State) -> Result<Vec<PersonId>, PeopleError>,
    ) -> Result<Vec<PersonView>, PeopleError> {
        let mut state = self.state.clone();
        let changed = change(self, &mut state)?;
        let before = self.state.file.clone();
        self.commit(state, Some(&before))?;
        Ok(changed
            .into_iter()
            .filter_map(|id| self.person(id))
            .collect())
    }

    /// Writes the assignment into the file, saves it (unless it equals what is on
    /// disk), and takes `state` as current.
    fn commit(
        &mut self,
        mut state: State,
        on_disk: Option<&PeopleFile>,
    ) -> Result<(), PeopleError> {
        self.write_members(&mut state);
        state.file.model = Some(self.model.clone());
        let unchanged = on_disk == Some(&state.file) && self.store.path_for(&self.root).exists();
        if !unchanged {
            self.store.save(&self.root, &state.file)?;
        }
        self.state = state;
        Ok(())
    }

    /// Rewrites every stored anchor that names a face of this album to that face's
    /// current box, so after a re-detection (another model) each stored face is spelled
    /// as it is now, and the anchors of one photo stay distinct.
    fn normalise_anchors(&self, state: &mut State) {
        let file = &mut state.file;
        let matcher = AnchorMatcher::new(&self.album, file.all_anchors());
        let album = &self.album;
        let update = |list: &mut Vec<FaceAnchor>| {
            for a in list.iter_mut() {
                if let Some(&f) = matcher.faces(a).first() {
                    if let Some(now) = FaceAnchor::of(album, f) {
                        *a = now;
                    }
                }
            }
            dedup_anchors(list);
        };
        for p in &mut file.persons {
            update(&mut p.confirmed);
            update(&mut p.rejected);
            for m in &mut p.members {
                if let Some(&f) = matcher.faces(&m.face).first() {
                    if let Some(now) = FaceAnchor::of(album, f) {
                        m.face = now;
                    }
                }
            }
        }
        update(&mut file.ignored);
        update(&mut file.unsorted);
        self.refresh_marks(state);
    }

    /// Recomputes which album faces the file's corrections name.
    fn refresh_marks(&self, state: &mut State) {
        let n = self.album.face_count();
        let file = &state.file;
        let matcher = AnchorMatcher::new(&self.album, file.all_anchors());
        let mut marks = Marks {
            confirmed: vec![None; n],
            rejected: HashMap::new(),
            ignored: vec![false; n],
        };
        for f in matcher.resolve_all(&file.ignored) {
            marks.ignored[f] = true;
        }
        let mut persons: Vec<&PersonRecord> = file.persons.iter().collect();
        persons.sort_by_key(|p| p.id);
        for p in persons {
            for f in matcher.resolve_all(&p.confirmed) {
                // A face confirmed for two persons (a hand-edited file): the smaller id.
                if marks.confirmed[f].is_none() && !marks.ignored[f] {
                    marks.confirmed[f] = Some(p.id);
                }
            }
            for f in matcher.resolve_all(&p.rejected) {
                marks.rejected.entry(f).or_default().push(p.id);
            }
        }
        state.marks = marks;
        if state.person.len() != n {
            state.person = vec![None; n];
            state.score = vec![0.0; n];
        }
    }

    /// What the user said, as constraints on the canonical face set; `known[i]` is the
    /// file's `i`-th person by id (returned beside).
    fn constraints(&self, state: &State) -> (Constraints, Vec<PersonId>) {
        let mut persons: Vec<&PersonRecord> = state.file.persons.iter().collect();
        persons.sort_by_key(|p| p.id);
        let mut confirmed: HashMap<PersonId, Vec<usize>> = HashMap::new();
        let mut rejected: HashMap<PersonId, Vec<usize>> = HashMap::new();
        let mut previous: HashMap<PersonId, Vec<usize>> = HashMap::new();
        for f in 0..self.album.face_count() {
            if let Some(p) = state.marks.confirmed[f] {
                confirmed.entry(p).or_default().push(f);
            }
            if let Some(p) = state.person[f] {
                previous.entry(p).or_default().push(f);
            }
        }
        for (&f, ids) in &state.marks.rejected {
            for &p in ids {
                rejected.entry(p).or_default().push(f);
            }
        }
        let take = |map: &mut HashMap<PersonId, Vec<usize>>, id| {
            self.order.canonical(map.remove(&id).unwrap_or_default())
        };
        let known = persons
            .iter()
            .map(|p| KnownPerson {
                confirmed: take(&mut confirmed, p.id),
                rejected: take(&mut rejected, p.id),
                previous: take(&mut previous, p.id),
            })
            .collect();
        let ignored = self
            .order
            .canonical((0..self.album.face_count()).filter(|&f| state.marks.ignored[f]));
        (
            Constraints { known, ignored },
            persons.iter().map(|p| p.id).collect(),
        )
    }

    /// The last assignment, read back from the file's member lists (the refresh of a
    /// file clustered with this same model).
    fn load_members(&self, state: &mut State) {
        let file = &state.file;
        let matcher = AnchorMatcher::new(
            &self.album,
            file.persons
                .iter()
                .flat_map(|p| p.members.iter().map(|m| &m.face)),
        );
        let n = self.album.face_count();
        let mut person = vec![None; n];
        let mut score = vec![0.0; n];
        let mut persons: Vec<&PersonRecord> = file.persons.iter().collect();
        persons.sort_by_key(|p| p.id);
        for p in persons {
            for m in &p.members {
                for &f in matcher.faces(&m.face) {
                    // A face listed twice (a hand-edited file): the smaller id keeps it.
                    if person[f].is_none() {
                        person[f] = Some(p.id);
                        score[f] = m.score;
                    }
                }
            }
        }
        state.person = person;
        state.score = score;
    }

    /// Same model as last time: keep the assignment, attach only the faces never seen.
    fn refresh_incrementally(&self, state: &mut State) {
        self.load_members(state);
        self.enforce(state);
        // Faces left unsorted last time were seen; the rest in no person are new.
        let seen: HashSet<usize> = AnchorMatcher::new(&self.album, &state.file.unsorted)
            .resolve_all(&state.file.unsorted)
            .into_iter()
            .collect();
        let new: Vec<usize> = (0..self.album.face_count())
            .filter(|&f| state.person[f].is_none() && !state.marks.ignored[f] && !seen.contains(&f))
            .collect();
        if !new.is_empty() {
            self.reattach(state, &new);
        }
        self.forget_empty_persons(state);
    }

    /// Places `faces` (now in no person) where the evidence is clear: into a current
    /// person, or — with unsorted faces near them — into new persons when they qualify.
    /// Current persons keep their faces. Returns the persons that received faces.
    fn reattach(&self, state: &mut State, faces: &[usize]) -> Vec<PersonId> {
        if faces.is_empty() {
            return Vec::new();
        }
        let set = self.order.face_set(&self.album);
        let (constraints, known_ids) = self.constraints(state);
        let current = self.current_partition(state, &known_ids);
        let new = self.order.canonical(faces.iter().copied());
        let result = attach(&set, &current, &new, &constraints, &self.params);
        let ids = assign_ids(&result, &known_ids, &[], &mut state.file.next_id);
        let before = state.person.clone();
        for p in state.person.iter_mut() {
            *p = None;
        }
        for (cluster, &id) in result.persons.iter().zip(&ids) {
            if state.file.person(id).is_none() {
                state.file.persons.push(PersonRecord {
                    id,
                    ..PersonRecord::default()
                });
            }
            for (&c, &s) in cluster.faces.iter().zip(&cluster.scores) {
                if let Some(&f) = self.order.to_album.get(c as usize) {
                    state.person[f] = Some(id);
                    if before[f] != Some(id) {
                        state.score[f] = s;
                    }
                }
            }
        }
        self.enforce(state);
        let mut received = Vec::new();
        for (f, p) in state.person.iter().enumerate() {
            if let Some(id) = *p {
                if before[f] != Some(id) && !received.contains(&id) {
                    received.push(id);
                }
            }
        }
        received.sort_unstable();
        self.forget_empty_persons(state);
        received
    }

    /// The current assignment as a partition over the canonical set, each person marked
    /// as the known person it is.
    fn current_partition(&self, state: &State, known_ids: &[PersonId]) -> Partition {
        let index: HashMap<PersonId, usize> = known_ids
            .iter()
            .enumerate()
            .map(|(i, &id)| (id, i))
            .collect();
        let mut persons: Vec<PersonCluster> = known_ids
            .iter()
            .enumerate()
            .map(|(i, _)| PersonCluster {
                known: Some(i),
                ..PersonCluster::default()
            })
            .collect();
        let mut unsorted = Vec::new();
        for (c, &f) in self.order.to_album.iter().enumerate() {
            match state.person[f].and_then(|id| index.get(&id)) {
                Some(&k) => {
                    persons[k].faces.push(c as u32);
                    persons[k].scores.push(state.score[f]);
                }
                None if !state.marks.ignored[f] => unsorted.push(c as u32),
                None => {}
            }
        }
        persons.retain(|p| !p.faces.is_empty());
        persons.sort_by(|a, b| {
            b.faces
                .len()
                .cmp(&a.faces.len())
                .then(a.faces[0].cmp(&b.faces[0]))
        });
        Partition { persons, unsorted }
    }

    /// Clusters the whole album under the corrections; ids follow the overlap with the
    /// assignment before (or the members in the file, on open).
    fn cluster_everything(&self, state: &mut State) {
        if state.person.iter().all(Option::is_none) {
            self.load_members(state);
        }
        let set = self.order.face_set(&self.album);
        let (constraints, known_ids) = self.constraints(state);
        let previous: Vec<PreviousPerson> = known_ids
            .iter()
            .zip(&constraints.known)
            .map(|(&id, k)| PreviousPerson {
                id,
                members: k.previous.clone(),
            })
            .collect();
        let partition = super::cluster(&set, &constraints, &self.params);
        let ids = assign_ids(&partition, &known_ids, &previous, &mut state.file.next_id);
        let n = self.album.face_count();
        state.person = vec![None; n];
        state.score = vec![0.0; n];
        for (cluster, &id) in partition.persons.iter().zip(&ids) {
            if state.file.person(id).is_none() {
                state.file.persons.push(PersonRecord {
                    id,
                    ..PersonRecord::default()
                });
            }
            for (&c, &s) in cluster.faces.iter().zip(&cluster.scores) {
                if let Some(&f) = self.order.to_album.get(c as usize) {
                    state.person[f] = Some(id);
                    state.score[f] = s;
                }
            }
        }
        self.enforce(state);
        self.forget_empty_persons(state);
    }

    /// Makes the assignment obey every correction whatever produced it: confirmed faces
    /// in their person (score 1), rejected faces out of the person that rejected them,
    /// ignored faces nowhere, and no person with two unconfirmed faces of one photo.
    fn enforce(&self, state: &mut State) {
        let known: HashSet<PersonId> = state.file.persons.iter().map(|p| p.id).collect();
        for f in 0..self.album.face_count() {
            if state.marks.ignored[f] {
                state.person[f] = None;
                state.score[f] = 0.0;
                continue;
            }
            if let Some(id) = state.marks.confirmed[f] {
                state.person[f] = Some(id);
                state.score[f] = 1.0;
                continue;
            }
            let drop = match state.person[f] {
                Some(id) => {
                    !known.contains(&id)
                        || state
                            .marks
                            .rejected
                            .get(&f)
                            .is_some_and(|ids| ids.contains(&id))
                }
                None => false,
            };
            if drop {
                state.person[f] = None;
                state.score[f] = 0.0;
            }
        }
        // One photo, one face per person (unless the user confirmed more): the confirmed
        // face, else the best-scored one stays.
        for p in 0..self.album.photos().len() {
            let range = self.album.face_range(p);
            if range.len() < 2 {
                continue;
            }
            let mut best: HashMap<PersonId, usize> = HashMap::new();
            for f in range.clone() {
                let Some(id) = state.person[f] else { continue };
                let better = |g: usize| {
                    let key = |x: usize| (state.marks.confirmed[x].is_some(), state.score[x]);
                    let (cf, sf) = key(f);
                    let (cg, sg) = key(g);
                    (cf, sf) > (cg, sg)
                };
                match best.get(&id) {
                    Some(&g) if !better(g) => {}
                    _ => {
                        best.insert(id, f);
                    }
                }
            }
            for f in range {
                let Some(id) = state.person[f] else { continue };
                if best.get(&id) != Some(&f) && state.marks.confirmed[f] != Some(id) {
                    state.person[f] = None;
                    state.score[f] = 0.0;
                }
            }
        }
    }

    /// Drops persons that hold no face and carry nothing the user said (their ids are
    /// never given again).
    fn forget_empty_persons(&self, state: &mut State) {
        let holding: HashSet<PersonId> = state.person.iter().flatten().copied().collect();
        state
            .file
            .persons
            .retain(|p| p.has_corrections() || holding.contains(&p.id));
    }

    /// Writes the assignment into the file's member and unsorted lists, in canonical
    /// order (faces of photos no longer in the album drop out).
    fn write_members(&self, state: &mut State) {
        let mut members: HashMap<PersonId, Vec<Member>> = HashMap::new();
        let mut unsorted = Vec::new();
        for &f in &self.order.to_album {
            let Some(anchor) = FaceAnchor::of(&self.album, f) else {
                continue;
            };
            match state.person[f] {
                Some(id) => members.entry(id).or_default().push(Member {
                    face: anchor,
                    score: state.score[f],
                }),
                None if !state.marks.ignored[f] => unsorted.push(anchor),
                None => {}
            }
        }
        for p in &mut state.file.persons {
            p.members = members.remove(&p.id).unwrap_or_default();
        }
        state.file.persons.sort_by_key(|p| p.id);
        state.file.unsorted = unsorted;
    }

    fn split_parts(&self, state: &State, id: PersonId) -> Vec<PersonCluster> {
        let mut person = PersonCluster::default();
        for (c, &f) in self.order.to_album.iter().enumerate() {
            if state.person[f] == Some(id) {
                person.faces.push(c as u32);
                person.scores.push(state.score[f]);
            }
        }
        if person.faces.is_empty() {
            return Vec::new();
        }
        let set = self.order.face_set(&self.album);
        split(&set, &person, &self.params)
    }

    fn face_view(&self, f: usize) -> FaceView {
        let record = &self.album.faces()[f];
        let photo = &self.album.photos()[record.photo as usize];
        FaceView {
            face: f,
            key: FaceKey {
                photo: photo.rel_path.clone(),
                index: (f as u32).saturating_sub(photo.first_face),
            },
            path: photo.path_in(&self.root),
            face_box: record.face_box,
            score: self.state.score.get(f).copied().unwrap_or(0.0),
            confirmed: self
                .state
                .marks
                .confirmed
                .get(f)
                .copied()
                .flatten()
                .is_some(),
            uncertain: false,
        }
    }

    fn view(&self, id: PersonId, faces: Vec<usize>) -> Option<PersonView> {
        let record = self.state.file.person(id)?;
        let uncertain_below = self.params.thresholds().uncertain_below;
        let mut views: Vec<FaceView> = faces
            .iter()
            .map(|&f| {
                let view = self.face_view(f);
                FaceView {
                    uncertain: !view.confirmed && view.score < uncertain_below,
                    ..view
                }
            })
            .collect();
        if views.is_empty() {
            return None;
        }
        sort_faces(&mut views);
        let cover = views
            .iter()
            .max_by(|a, b| {
                (a.confirmed, a.score)
                    .partial_cmp(&(b.confirmed, b.score))
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(a.face_box.area().total_cmp(&b.face_box.area()))
                    .then(b.key.cmp(&a.key))
            })?
            .clone();
        let photos: HashSet<u32> = faces.iter().map(|&f| self.album.faces()[f].photo).collect();
        Some(PersonView {
            id,
            name: record.name.clone(),
            hidden: record.hidden,
            photos: photos.len(),
            faces: views,
            cover,
        })
    }

    fn views(&self, keep: impl Fn(&PersonRecord) -> bool) -> Vec<PersonView> {
        let mut faces: HashMap<PersonId, Vec<usize>> = HashMap::new();
        for (f, p) in self.state.person.iter().enumerate() {
            if let Some(id) = p {
                faces.entry(*id).or_default().push(f);
            }
        }
        let mut out: Vec<PersonView> = self
            .state
            .file
            .persons
            .iter()
            .filter(|p| keep(p))
            .filter_map(|p| self.view(p.id, faces.remove(&p.id).unwrap_or_default()))
            .collect();
        out.sort_by(|a, b| {
            b.faces
                .len()
                .cmp(&a.faces.len())
                .then(b.photos.cmp(&a.photos))
                .then(a.id.cmp(&b.id))
        });
        out
    }
}

/// Confirmed first, then by score, then by photo path and index.
fn sort_faces(views: &mut [FaceView]) {
    views.sort_by(|a, b| {
        b.confirmed
            .cmp(&a.confirmed)
            .then(b.score.total_cmp(&a.score))
            .then(a.key.cmp(&b.key))
    });
}

/// Drops repeated anchors, keeping the first of each (linear: lists can be long).
fn dedup_anchors(list: &mut Vec<FaceAnchor>) {
    let mut seen = HashSet::with_capacity(list.len());
    list.retain(|a| seen.insert(a.bits()));
}
