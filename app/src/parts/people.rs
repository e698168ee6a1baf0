//! The People view's state: core's people worker for the open gallery (clustering,
//! corrections, undo, split proposals and sorting all run on it), the last snapshot it
//! sent, which page is shown, the selection, the rename and split in progress, and the
//! sort dialog. No drawing and no I/O here: the worker does the work.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use facesorter_core::engine::FaceEngine;
use facesorter_core::gallery::Album;
use facesorter_core::people::sort::{LinkMode, SortOptions, SortSummary};
use facesorter_core::people::worker::{
    Correction, PeopleConfig, PeopleEvent, PeopleRequest, PeopleSnapshot, PeopleWorker, Stage,
};
use facesorter_core::people::{ClusterParams, FaceView, PeopleStore, PersonId, PersonView};

/// While indexing, the persons are clustered again at most this often (a preview).
const PREVIEW_EVERY: Duration = Duration::from_secs(4);

/// Which of the two main views the central area shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MainView {
    /// The probe search (matches, threshold, export).
    #[default]
    Find,
    People,
}

/// The page of the People view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PeoplePage {
    /// Every person as a card.
    #[default]
    Grid,
    /// One person's faces.
    Person(PersonId),
    /// Faces in no person, with suggestions.
    Unsorted,
    /// Hidden persons.
    Hidden,
}

#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum PeopleCommand {
    ShowView(MainView),
    ShowPage(PeoplePage),
    /// Escape: the photo closes, or a page goes back to the grid, or the selection clears.
    Back,
    /// A click on a card (index into [`PeoplePart::cards`]), with Ctrl or Shift held.
    ClickCard {
        card: usize,
        toggle: bool,
        range: bool,
    },
    /// Moves the keyboard cursor by this many cells (cards or faces).
    Move(isize),
    /// Enter: opens the card or the face under the cursor.
    OpenCursor,
    /// Index into the page's faces.
    OpenFace(usize),
    SelectFace(usize),
    ClosePhoto,
    StartRename(PersonId),
    CommitRename,
    CancelRename,
    /// Merges the selected cards into the largest of them.
    MergeSelected,
    /// Merges `from` into `into` (a card dropped on another).
    MergeInto {
        into: PersonId,
        from: PersonId,
    },
    HideSelected,
    /// Not this person: the face under the cursor (Delete).
    RejectCursor,
    Correct(Correction),
    ProposeSplit(PersonId),
    ApplySplit,
    CancelSplit,
    /// Hides a suggestion on the Unsorted page (until the people change).
    DismissSuggestion(PersonId),
    Undo,
    /// Opens Find with the person's confirmed (else best) faces as the probe.
    FindPerson(PersonId),
    ShowSortDialog(bool),
    SetSortFolder(PathBuf),
    SetSortLink(LinkMode),
    StartSort,
    CancelSort,
    OpenSortedFolder,
    DismissError,
    /// Clusters again after a cancelled or failed clustering.
    Retry,
    CancelClustering,
}

/// The sort dialog: where, how, and the run.
#[derive(Default)]
pub struct SortDialog {
    pub open: bool,
    /// The folder to sort into (a form buffer: typed, pasted or chosen).
    pub out: String,
    pub link: LinkMode,
    pub cancel: Option<Arc<AtomicBool>>,
    pub started: Option<Instant>,
    pub result: Option<Result<SortSummary, String>>,
    /// Why the folder could not be opened.
    pub open_error: Option<String>,
}

impl SortDialog {
    pub fn running(&self) -> bool {
        self.cancel.is_some()
    }
}

#[derive(Default)]
pub struct PeoplePart {
    pub view: MainView,
    pub page: PeoplePage,
    worker: Option<PeopleWorker>,
    /// The gallery the worker is for.
    root: Option<PathBuf>,
    /// The last album sent, and whether it was the whole one.
    sent: Option<(Arc<Album>, bool)>,
    last_preview: Option<Instant>,
    /// The recognizer threshold of this run (`--threshold`), else the recognizer's.
    pub threshold: Option<f32>,
    pub snapshot: Option<Arc<PeopleSnapshot>>,
    /// What the worker does now; `None` when it waits.
    pub stage: Option<Stage>,
    pub stage_started: Option<Instant>,
    /// The clustering was cancelled: nothing runs until Retry.
    pub cancelled: bool,
    pub error: Option<String>,
    pub notices: Vec<String>,
    /// The name filter (a form buffer, edited in place).
    pub filter: String,
    /// Indices into the snapshot's persons that pass the filter.
    cards: Vec<usize>,
    cards_for: Option<(u64, String)>,
    pub selected: BTreeSet<PersonId>,
    /// Where a Shift-click range starts (a card index).
    anchor: Option<usize>,
    /// The keyboard cursor: a card on the grid, a face on a page.
    pub cursor: Option<usize>,
    pub photo_open: bool,
    /// The person being renamed and the name typed so far.
    pub rename: Option<(PersonId, String)>,
    /// A split proposal waiting for OK.
    pub split: Option<(PersonId, Vec<Vec<FaceView>>)>,
    pub sort: SortDialog,
    /// Suggestions dismissed on the Unsorted page (for the current snapshot's people).
    pub dismissed: BTreeSet<PersonId>,
}

impl PeoplePart {
    pub fn new(view: MainView, threshold: Option<f32>) -> Self {
        Self {
            view,
            threshold,
            ..Self::default()
        }
    }

    pub fn busy(&self) -> bool {
        self.stage.is_some()
    }

    /// Whether clustering runs now (for the frame statistics).
    pub fn clustering(&self) -> bool {
        matches!(self.stage, Some(Stage::Clustering { .. }))
    }

    /// The persons shown on the grid, in order.
    pub fn cards(&self) -> &[usize] {
        &self.cards
    }

    pub fn card_person(&self, card: usize) -> Option<&PersonView> {
        let i = *self.cards.get(card)?;
        self.snapshot.as_ref()?.persons.get(i)
    }

    /// The faces of the page shown (a person's, the unsorted ones, or none).
    pub fn page_faces(&self) -> &[FaceView] {
        let Some(s) = &self.snapshot else {
            return &[];
        };
        match self.page {
            PeoplePage::Person(id) => s.person(id).map_or(&[], |p| &p.faces),
            PeoplePage::Unsorted => &s.unsorted,
            PeoplePage::Grid | PeoplePage::Hidden => &[],
        }
    }

    /// Keeps the worker fed: created for the open gallery once the People view is shown,
    /// a preview of the growing album while indexing, the whole album when it is done.
    pub fn update(
        &mut self,
        ctx: &egui::Context,
        engine: Option<&Arc<FaceEngine>>,
        root: Option<&Path>,
        album: Option<&Arc<Album>>,
        indexing: bool,
    ) {
        self.drain();
        if self.cancelled || (self.view != MainView::People && self.worker.is_none()) {
            return;
        }
        let (Some(engine), Some(root), Some(album)) = (engine, root, album) else {
            return;
        };
        if self.root.as_deref() != Some(root) {
            self.reset();
            let Some(store) = PeopleStore::default_location() else {
                self.error =
                    Some("no data folder on this system to keep the people file in".into());
                return;
            };
            let model = match engine.fingerprint(album.dim()) {
                Ok(m) => m,
                Err(e) => {
                    self.error = Some(crate::jobs::describe(&e));
                    return;
                }
            };
            let threshold = self.threshold.unwrap_or_else(|| engine.default_threshold());
            let config = PeopleConfig {
                store,
                root: root.to_path_buf(),
                model,
                params: ClusterParams::for_threshold(threshold),
            };
            let wake = ctx.clone();
            match PeopleWorker::spawn(config, move || wake.request_repaint()) {
                Ok(w) => self.worker = Some(w),
                Err(e) => {
                    self.error = Some(format!("cannot start the people worker: {e}"));
                    return;
                }
            }
            self.root = Some(root.to_path_buf());
        }
        if album.face_count() == 0 && indexing {
            return;
        }
        let whole = !indexing;
        let new = match &self.sent {
            Some((a, w)) => !Arc::ptr_eq(a, album) || (*w != whole),
            None => true,
        };
        if !new {
            return;
        }
        let Some(worker) = &self.worker else {
            return;
        };
        if whole {
            worker.send(PeopleRequest::Open(Arc::clone(album)));
        } else {
            // A preview only when the last is done and a while ago.
            let due = self
                .last_preview
                .is_none_or(|t| t.elapsed() >= PREVIEW_EVERY);
            if self.busy() || !due {
                ctx.request_repaint_after(PREVIEW_EVERY);
                return;
            }
            self.last_preview = Some(Instant::now());
            worker.send(PeopleRequest::Preview(Arc::clone(album)));
        }
        self.stage = Some(Stage::Clustering {
            faces: album.face_count(),
            preview: !whole,
        });
        self.stage_started = Some(Instant::now());
        self.sent = Some((Arc::clone(album), whole));
    }

    /// Forgets the gallery's people (another gallery, another model).
    pub fn reset(&mut self) {
        if let Some(w) = self.worker.take() {
            w.cancel();
        }
        if let Some(c) = &self.sort.cancel {
            c.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        let (view, threshold, filter) =
            (self.view, self.threshold, std::mem::take(&mut self.filter));
        *self = Self::new(view, threshold);
        self.filter = filter;
    }

    /// Stops the worker, waiting for the request under way (it saves what it changed).
    pub fn shutdown(&mut self) {
        if let Some(c) = &self.sort.cancel {
            c.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        if let Some(w) = self.worker.take() {
            w.shutdown();
        }
    }

    fn send(&mut self, request: PeopleRequest) {
        match &self.worker {
            Some(w) => {
                w.send(request);
                if self.stage.is_none() {
                    self.stage_started = Some(Instant::now());
                }
            }
            None => self.error = Some("the people are not open yet".into()),
        }
    }

    fn drain(&mut self) {
        let Some(worker) = &self.worker else {
            return;
        };
        let (events, stopped) = worker.drain();
        for e in events {
            match e {
                PeopleEvent::Working(stage) => {
                    self.stage = Some(stage);
                    self.stage_started = Some(Instant::now());
                }
                PeopleEvent::Idle => {
                    self.stage = None;
                    self.stage_started = None;
                }
                PeopleEvent::Ready(s) => self.take_snapshot(s),
                PeopleEvent::Notices(n) => self.notices.extend(n),
                PeopleEvent::Split { id, parts } => self.split = Some((id, parts)),
                PeopleEvent::Sorted(result) => {
                    self.sort.cancel = None;
                    self.sort.result = Some(result);
                }
                PeopleEvent::Failed(message) => {
                    if self.sort.running() && self.stage_is_sorting() {
                        self.sort.cancel = None;
                        self.sort.result = Some(Err(message));
                    } else {
                        self.error = Some(message);
                    }
                }
            }
        }
        if stopped && !self.cancelled {
            self.worker = None;
            self.stage = None;
            self.error =
                Some("the people worker stopped unexpectedly (details on the terminal)".into());
        }
    }

    fn stage_is_sorting(&self) -> bool {
        matches!(self.stage, Some(Stage::Sorting { .. }))
    }

    fn take_snapshot(&mut self, s: Arc<PeopleSnapshot>) {
        let gone = |id: PersonId| s.person(id).is_none();
        if let PeoplePage::Person(id) = self.page {
            if gone(id) {
                // Merged away or emptied: the person it went into, else the grid.
                self.page = s
                    .changed
                    .first()
                    .filter(|c| !gone(**c))
                    .map_or(PeoplePage::Grid, |&c| PeoplePage::Person(c));
                self.photo_open = false;
            }
        }
        self.selected
            .retain(|&id| s.persons.iter().any(|p| p.id == id));
        if self.rename.as_ref().is_some_and(|(id, _)| gone(*id)) {
            self.rename = None;
        }
        if self.split.as_ref().is_some_and(|(id, _)| gone(*id)) {
            self.split = None;
        }
        self.snapshot = Some(s);
        self.rebuild_cards();
        if self.page == PeoplePage::Grid {
            // The cursor follows the selection (a merge moves the survivor's card).
            if let Some(&first) = self.selected.iter().next() {
                self.cursor = (0..self.cards.len())
                    .find(|&c| self.card_person(c).is_some_and(|p| p.id == first));
            }
        }
        self.clamp_cursor();
    }

    fn rebuild_cards(&mut self) {
        let Some(s) = &self.snapshot else {
            self.cards.clear();
            return;
        };
        let key = (s.generation, self.filter.clone());
        if self.cards_for.as_ref() == Some(&key) {
            return;
        }
        let needle = self.filter.trim().to_lowercase();
        self.cards = s
            .persons
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                needle.is_empty()
                    || p.name
                        .as_deref()
                        .unwrap_or("unnamed")
                        .to_lowercase()
                        .contains(&needle)
            })
            .map(|(i, _)| i)
            .collect();
        self.cards_for = Some(key);
    }

    /// The filter box changed (it is edited in place by the view).
    pub fn filter_changed(&mut self) {
        self.rebuild_cards();
        self.cursor = None;
        self.anchor = None;
    }

    fn cells(&self) -> usize {
        match self.page {
            PeoplePage::Grid => self.cards.len(),
            PeoplePage::Hidden => self.snapshot.as_ref().map_or(0, |s| s.hidden.len()),
            _ => self.page_faces().len(),
        }
    }

    fn clamp_cursor(&mut self) {
        let n = self.cells();
        self.cursor = match self.cursor {
            Some(_) if n == 0 => None,
            Some(c) => Some(c.min(n - 1)),
            None => None,
        };
        if self.cursor.is_none() {
            self.photo_open = false;
        }
    }

    /// Applies a command that only this part is concerned with.
    pub fn apply(&mut self, command: PeopleCommand) {
        match command {
            PeopleCommand::ShowView(v) => self.view = v,
            PeopleCommand::ShowPage(page) => {
                self.page = page;
                self.cursor = None;
                self.photo_open = false;
                self.rename = None;
            }
            PeopleCommand::Back => {
                if self.rename.is_some() {
                    self.rename = None;
                } else if self.photo_open {
                    self.photo_open = false;
                } else if self.page != PeoplePage::Grid {
                    // Back to the grid, on the person's card.
                    let from = self.page;
                    self.apply(PeopleCommand::ShowPage(PeoplePage::Grid));
                    if let PeoplePage::Person(id) = from {
                        self.cursor = self.cards.iter().position(|&i| {
                            self.snapshot
                                .as_ref()
                                .and_then(|s| s.persons.get(i))
                                .is_some_and(|p| p.id == id)
                        });
                    }
                } else {
                    self.selected.clear();
                }
            }
            PeopleCommand::ClickCard {
                card,
                toggle,
                range,
            } => self.click_card(card, toggle, range),
            PeopleCommand::Move(by) => {
                let n = self.cells();
                self.cursor = crate::parts::results::moved_selection(self.cursor, n, by);
                if self.page == PeoplePage::Grid {
                    if let Some(p) = self.cursor.and_then(|c| self.card_person(c)) {
                        let id = p.id;
                        self.selected = BTreeSet::from([id]);
                        self.anchor = self.cursor;
                    }
                }
            }
            PeopleCommand::OpenCursor => match (self.page, self.cursor) {
                (PeoplePage::Grid, Some(c)) => {
                    if let Some(id) = self.card_person(c).map(|p| p.id) {
                        self.apply(PeopleCommand::ShowPage(PeoplePage::Person(id)));
                    }
                }
                (PeoplePage::Person(_) | PeoplePage::Unsorted, Some(_)) => self.photo_open = true,
                _ => {}
            },
            PeopleCommand::OpenFace(i) => {
                if i < self.page_faces().len() {
                    self.cursor = Some(i);
                    self.photo_open = true;
                }
            }
            PeopleCommand::SelectFace(i) => {
                if i < self.cells() {
                    self.cursor = Some(i);
                }
            }
            PeopleCommand::ClosePhoto => self.photo_open = false,
            PeopleCommand::StartRename(id) => {
                if let Some(p) = self.snapshot.as_ref().and_then(|s| s.person(id)) {
                    self.rename = Some((id, p.name.clone().unwrap_or_default()));
                }
            }
            PeopleCommand::CommitRename => {
                if let Some((id, name)) = self.rename.take() {
                    let unchanged = self
                        .snapshot
                        .as_ref()
                        .and_then(|s| s.person(id))
                        .is_some_and(|p| p.name.as_deref().unwrap_or("") == name.trim());
                    if !unchanged {
                        self.send(PeopleRequest::Correct(Correction::Name { id, name }));
                    }
                }
            }
            PeopleCommand::CancelRename => self.rename = None,
            PeopleCommand::MergeSelected => {
                let Some(s) = &self.snapshot else { return };
                // The largest keeps its id (persons are largest first).
                let ids: Vec<PersonId> = s
                    .persons
                    .iter()
                    .map(|p| p.id)
                    .filter(|id| self.selected.contains(id))
                    .collect();
                if let Some((&into, others)) = ids.split_first() {
                    if !others.is_empty() {
                        self.send(PeopleRequest::Correct(Correction::Merge {
                            into,
                            others: others.to_vec(),
                        }));
                        self.selected = BTreeSet::from([into]);
                    }
                }
            }
            PeopleCommand::MergeInto { into, from } => {
                if into != from {
                    self.send(PeopleRequest::Correct(Correction::Merge {
                        into,
                        others: vec![from],
                    }));
                }
            }
            PeopleCommand::HideSelected => {
                let ids: Vec<PersonId> = match self.page {
                    PeoplePage::Person(id) => vec![id],
                    _ => self.selected.iter().copied().collect(),
                };
                for id in ids {
                    self.send(PeopleRequest::Correct(Correction::Hide {
                        id,
                        hidden: true,
                    }));
                }
                self.selected.clear();
                if matches!(self.page, PeoplePage::Person(_)) {
                    self.apply(PeopleCommand::ShowPage(PeoplePage::Grid));
                }
            }
            PeopleCommand::RejectCursor => {
                let face = self.cursor.and_then(|c| self.page_faces().get(c)).cloned();
                match (self.page, face) {
                    (PeoplePage::Person(id), Some(f)) => {
                        self.send(PeopleRequest::Correct(Correction::Reject {
                            id,
                            faces: vec![f.key],
                        }));
                    }
                    (PeoplePage::Unsorted, Some(f)) => {
                        self.send(PeopleRequest::Correct(Correction::Ignore {
                            faces: vec![f.key],
                        }));
                    }
                    _ => {}
                }
            }
            PeopleCommand::Correct(c) => self.send(PeopleRequest::Correct(c)),
            PeopleCommand::ProposeSplit(id) => self.send(PeopleRequest::ProposeSplit(id)),
            PeopleCommand::ApplySplit => {
                if let Some((id, parts)) = self.split.take() {
                    if parts.len() > 1 {
                        self.send(PeopleRequest::Correct(Correction::ApplySplit(id)));
                    }
                }
            }
            PeopleCommand::CancelSplit => self.split = None,
            PeopleCommand::DismissSuggestion(id) => {
                self.dismissed.insert(id);
            }
            PeopleCommand::Undo => {
                if self.snapshot.as_ref().is_some_and(|s| s.undo.is_some()) {
                    self.send(PeopleRequest::Undo);
                }
            }
            PeopleCommand::ShowSortDialog(open) => {
                self.sort.open = open;
                if open && !self.sort.running() {
                    self.sort.result = None;
                    self.sort.open_error = None;
                }
            }
            PeopleCommand::SetSortFolder(dir) => self.sort.out = dir.display().to_string(),
            PeopleCommand::SetSortLink(link) => self.sort.link = link,
            PeopleCommand::StartSort => {
                let out = PathBuf::from(self.sort.out.trim());
                if out.as_os_str().is_empty() || self.sort.running() {
                    return;
                }
                let cancel = Arc::new(AtomicBool::new(false));
                self.sort.cancel = Some(cancel.clone());
                self.sort.started = Some(Instant::now());
                self.sort.result = None;
                self.sort.open_error = None;
                let options = SortOptions {
                    link: self.sort.link,
                    unsorted: true,
                    ..SortOptions::default()
                };
                self.send(PeopleRequest::Sort {
                    out,
                    options,
                    cancel,
                });
            }
            PeopleCommand::CancelSort => {
                if let Some(c) = &self.sort.cancel {
                    c.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }
            PeopleCommand::OpenSortedFolder => {
                let dir = PathBuf::from(self.sort.out.trim());
                self.sort.open_error = super::folder::open_folder(&dir).err();
            }
            PeopleCommand::DismissError => self.error = None,
            PeopleCommand::Retry => {
                self.cancelled = false;
                self.error = None;
                self.sent = None;
                if self.worker.is_none() {
                    // A stopped worker: a fresh one on the next update.
                    self.root = None;
                }
            }
            PeopleCommand::CancelClustering => {
                if let Some(w) = self.worker.take() {
                    w.cancel();
                }
                self.root = None;
                self.stage = None;
                self.cancelled = true;
                self.sent = None;
            }
            // Handled by the app state (they reach other parts).
            PeopleCommand::FindPerson(_) => {}
        }
    }

    fn click_card(&mut self, card: usize, toggle: bool, range: bool) {
        let Some(id) = self.card_person(card).map(|p| p.id) else {
            return;
        };
        if range {
            let from = self.anchor.unwrap_or(card);
            let (lo, hi) = (from.min(card), from.max(card));
            let ids: Vec<PersonId> = (lo..=hi)
                .filter_map(|c| self.card_person(c).map(|p| p.id))
                .collect();
            self.selected.extend(ids);
        } else if toggle {
            if !self.selected.remove(&id) {
                self.selected.insert(id);
            }
            self.anchor = Some(card);
        } else {
            self.selected = BTreeSet::from([id]);
            self.anchor = Some(card);
        }
        self.cursor = Some(card);
    }
}
