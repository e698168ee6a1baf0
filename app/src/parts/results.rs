//! The results: one person's [`Session`] over the current album (ranking, threshold,
//! quality filter, verdicts, shown matches, band, counts, histogram, export request — all
//! core's), the grid's cells, the selection and whether the photo view is open. No egui
//! and no inference here, so all of it is tested on hand-made albums.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use facesorter_core::gallery::Album;
use facesorter_core::search::{
    FaceKey, ProbeFace, Review, Session, SessionMatch, ShownCounts, Threshold, Verdict,
};

/// The slider's reach: cosines, and no further.
const THRESHOLD_LIMITS: (f32, f32) = (-1.0, 1.0);

/// The face thumbnails' side in the grid, in points: default and bounds.
pub const THUMB_SIZE_DEFAULT: f32 = 96.0;
pub const THUMB_SIZE_RANGE: (f32, f32) = (56.0, 256.0);

#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum ResultsCommand {
    SetThreshold(f32),
    /// Index into the grid's cells.
    Select(usize),
    /// Moves the selection by this many cells (arrow keys).
    MoveSelection(isize),
    /// Index into the grid's cells.
    OpenPhoto(usize),
    OpenSelected,
    ClosePhoto,
    /// Accepts, rejects or (`None`) clears the verdict on a face.
    SetVerdict(FaceKey, Option<Verdict>),
    /// A / X on the selected cell: gives it this verdict, or takes it back if it has it.
    ToggleSelected(Verdict),
    /// Forgets every verdict.
    ClearVerdicts,
    /// Rejected matches dimmed in place (true) or left out of the grid.
    ShowRejected(bool),
    /// The face thumbnails' side in points (clamped to [`THUMB_SIZE_RANGE`]).
    SetThumbSize(f32),
    /// Opens the folder holding this photo in the file manager.
    ShowInFolder(PathBuf),
}

/// What a grid cell shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    /// A shown match: exported (accepted ones are marked).
    Match,
    /// Above the threshold but rejected: dimmed, not exported.
    Rejected,
    /// In the band just below the threshold: dimmed, what lowering it would add.
    Below,
}

/// One cell of the grid: a position in the session's ranking and how it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub rank: usize,
    pub kind: CellKind,
}

pub struct Results {
    /// There once an album is (being) indexed.
    session: Option<Session>,
    /// The chosen probe faces, kept while there is no album yet.
    probes: Vec<ProbeFace>,
    threshold: Threshold,
    min_quality: Option<f32>,
    /// Ranked against a checkpoint while indexing goes on.
    partial: bool,
    /// Index into `cells`.
    selected: Option<usize>,
    photo_open: bool,
    /// Matches (and rejected ones, if shown) then the band, rebuilt after every change.
    cells: Vec<Cell>,
    /// How many of `cells` come before the band.
    main_cells: usize,
    show_rejected: bool,
    thumb_size: f32,
    /// Verdicts of the last session, kept while its album is gone (an engine restart
    /// indexes the same gallery again).
    kept_review: Option<(PathBuf, Review)>,
    /// What the last "Show in folder" did: the folder asked for, or why it failed.
    pub folder_message: Option<Result<String, String>>,
}

impl Results {
    pub fn new(threshold: f32) -> Self {
        Self {
            session: None,
            probes: Vec::new(),
            threshold: Threshold::new(threshold).unwrap_or(Threshold::KEEP_ALL),
            min_quality: None,
            partial: false,
            selected: None,
            photo_open: false,
            cells: Vec::new(),
            main_cells: 0,
            show_rejected: true,
            thumb_size: THUMB_SIZE_DEFAULT,
            kept_review: None,
            folder_message: None,
        }
    }

    /// The grid's cells: matches (rejected ones among them when shown) then the band.
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// How many cells come before the band.
    pub fn main_cells(&self) -> usize {
        self.main_cells
    }

    /// The match in cell `i`.
    pub fn cell_match(&self, i: usize) -> Option<(Cell, SessionMatch<'_>)> {
        let cell = *self.cells.get(i)?;
        Some((cell, self.session.as_ref()?.match_at(cell.rank)?))
    }

    pub fn show_rejected(&self) -> bool {
        self.show_rejected
    }

    pub fn thumb_size(&self) -> f32 {
        self.thumb_size
    }

    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// Whether there is a ranking to show: an album and a probe.
    pub fn has_ranking(&self) -> bool {
        self.session.as_ref().is_some_and(|s| s.ranked().is_some())
    }

    pub fn partial(&self) -> bool {
        self.partial
    }

    pub fn threshold(&self) -> f32 {
        self.threshold.get()
    }

    pub fn selected(&self) -> Option<usize> {
        self.selected
    }

    pub fn photo_open(&self) -> bool {
        self.photo_open
    }

    /// How many matches are shown and exported (rejected and band cells not counted).
    pub fn shown_len(&self) -> usize {
        self.session.as_ref().map_or(0, Session::shown_len)
    }

    /// Faces shown and the photos they are in.
    pub fn counts(&self) -> ShownCounts {
        self.session
            .as_ref()
            .map_or_else(ShownCounts::default, Session::counts)
    }

    /// Why the probes could not be ranked against this album (e.g. another model's).
    pub fn error(&self) -> Option<String> {
        self.session.as_ref()?.error().map(ToString::to_string)
    }

    /// The album of the gallery indexed under `root`: a checkpoint (`partial`) or the whole.
    pub fn set_album(&mut self, root: &Path, album: Arc<Album>, partial: bool) {
        self.partial = partial;
        match &mut self.session {
            Some(s) if s.root() == root => s.set_album(album),
            _ => {
                let mut s = Session::new(root, album, self.threshold);
                s.set_min_quality(self.min_quality);
                s.set_probes(self.probes.clone());
                if let Some((_, review)) = self.kept_review.take().filter(|(r, _)| r == root) {
                    s.set_review(review);
                }
                self.session = Some(s);
                self.selected = None;
                self.photo_open = false;
            }
        }
        self.clamp_selection();
    }

    /// No album any more (another gallery opens, or the engine restarts). The verdicts
    /// are kept for when the same gallery comes back.
    pub fn clear_album(&mut self) {
        if let Some(s) = self.session.take() {
            if !s.review().is_empty() {
                self.kept_review = Some((s.root().to_path_buf(), s.review().clone()));
            }
        }
        self.partial = false;
        self.selected = None;
        self.photo_open = false;
    }

    /// The probe faces of the person searched for (the chosen face of each probe photo).
    pub fn set_probes(&mut self, probes: Vec<ProbeFace>) {
        if let Some(s) = &mut self.session {
            s.set_probes(probes.clone());
        }
        self.probes = probes;
        self.clamp_selection();
    }

    /// Hides faces of AdaFace norm under `min` (`None`: shows every face).
    pub fn set_min_quality(&mut self, min: Option<f32>) {
        self.min_quality = min;
        if let Some(s) = &mut self.session {
            s.set_min_quality(min);
        }
        self.clamp_selection();
    }

    pub fn apply(&mut self, command: ResultsCommand) {
        let shown = self.cells.len();
        if !matches!(command, ResultsCommand::ShowInFolder(_)) {
            // The message was about the photo shown then.
            self.folder_message = None;
        }
        match command {
            ResultsCommand::SetThreshold(t) => {
                let (lo, hi) = THRESHOLD_LIMITS;
                // NaN (never from the slider) is ignored rather than matching nothing.
                if let Some(t) = Threshold::new(t.clamp(lo, hi)) {
                    self.threshold = t;
                    if let Some(s) = &mut self.session {
                        s.set_threshold(t);
                    }
                    self.clamp_selection();
                }
            }
            ResultsCommand::Select(i) if i < shown => self.selected = Some(i),
            ResultsCommand::MoveSelection(by) => {
                if let Some(i) = moved_selection(self.selected, shown, by) {
                    self.selected = Some(i);
                }
            }
            ResultsCommand::OpenPhoto(i) if i < shown => {
                self.selected = Some(i);
                self.photo_open = true;
            }
            ResultsCommand::OpenSelected => self.photo_open = self.selected.is_some(),
            ResultsCommand::ClosePhoto => self.photo_open = false,
            ResultsCommand::Select(_) | ResultsCommand::OpenPhoto(_) => {}
            ResultsCommand::SetVerdict(key, verdict) => {
                if let Some(s) = &mut self.session {
                    s.set_verdict(key, verdict);
                }
                self.clamp_selection();
            }
            ResultsCommand::ToggleSelected(verdict) => {
                let target = self
                    .selected
                    .and_then(|i| self.cell_match(i))
                    .map(|(_, m)| {
                        let new = (m.verdict != Some(verdict)).then_some(verdict);
                        (m.key(), new)
                    });
                if let Some((key, new)) = target {
                    self.apply(ResultsCommand::SetVerdict(key, new));
                }
            }
            ResultsCommand::ClearVerdicts => {
                if let Some(s) = &mut self.session {
                    s.clear_review();
                }
                self.kept_review = None;
                self.clamp_selection();
            }
            ResultsCommand::ShowRejected(show) => {
                self.show_rejected = show;
                self.clamp_selection();
            }
            ResultsCommand::SetThumbSize(size) => {
                let (lo, hi) = THUMB_SIZE_RANGE;
                if size.is_finite() {
                    self.thumb_size = size.clamp(lo, hi);
                }
            }
            ResultsCommand::ShowInFolder(photo) => {
                self.folder_message = Some(show_in_folder(&photo));
            }
        }
    }

    /// The grid's cells from the session: shown and (if wanted) rejected matches in rank
    /// order, then the band.
    fn rebuild_cells(&mut self) {
        self.cells.clear();
        self.main_cells = 0;
        let Some(s) = &self.session else {
            return;
        };
        let shown = s.shown_ranks().iter().map(|&rank| Cell {
            rank,
            kind: CellKind::Match,
        });
        let rejected = s.rejected_ranks().iter().map(|&rank| Cell {
            rank,
            kind: CellKind::Rejected,
        });
        let mut main: Vec<Cell> = if self.show_rejected {
            shown.chain(rejected).collect()
        } else {
            shown.collect()
        };
        main.sort_by_key(|c| c.rank);
        self.main_cells = main.len();
        self.cells = main;
        self.cells.extend(s.band_ranks().iter().map(|&rank| Cell {
            rank,
            kind: CellKind::Below,
        }));
    }

    /// Rebuilds the cells and keeps the selection on the same face when it is still in
    /// the grid (a moved threshold reorders the cells); if the threshold, the filter or a
    /// verdict took it out, on the cell now in its place (the next one); with no cell left,
    /// none, and the photo view closes.
    fn clamp_selection(&mut self) {
        let rank = self
            .selected
            .and_then(|i| self.cells.get(i))
            .map(|c| c.rank);
        self.rebuild_cells();
        let shown = self.cells.len();
        let same = rank.and_then(|r| self.cells.iter().position(|c| c.rank == r));
        self.selected = match (self.selected, same) {
            (Some(_), Some(i)) => Some(i),
            (Some(i), None) if shown > 0 => Some(i.min(shown - 1)),
            _ => None,
        };
        if self.selected.is_none() {
            self.photo_open = false;
        }
    }
}

/// Opens the folder holding `photo` in the file manager. Says which folder either way:
/// the opener does not wait for the file manager, so a desktop without one may show
/// nothing, and the user can still go there by the path.
fn show_in_folder(photo: &Path) -> Result<String, String> {
    let folder = photo.parent().unwrap_or(photo);
    super::folder::open_folder(folder)
        .map(|()| format!("Opening {} in the file manager", folder.display()))
}

/// Where the selection goes when moved by `by` among `shown` matches: the first match
/// when nothing is selected yet, never past either end; `None` when nothing is shown.
pub fn moved_selection(selected: Option<usize>, shown: usize, by: isize) -> Option<usize> {
    if shown == 0 {
        return None;
    }
    let Some(current) = selected else {
        return Some(0);
    };
    let target = current.saturating_add_signed(by);
    Some(target.min(shown - 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use facesorter_core::embed::FaceEmbedding;
    use facesorter_core::gallery::{FaceRecord, PhotoRecord};
    use facesorter_core::geometry::{FaceBox, Landmarks};
    use std::path::PathBuf;

    const DIM: usize = 2;

    /// A unit vector at `degrees` in the plane: its cosine to the x axis is cos(degrees).
    fn unit(degrees: f32) -> Vec<f32> {
        let r = degrees.to_radians();
        vec![r.cos(), r.sin()]
    }

    /// One photo per face, `a{i}.jpg`, with the given angle to the x axis and norm.
    fn album(faces: &[(f32, f32)]) -> Arc<Album> {
        let mut album = Album::new(DIM);
        for (i, &(degrees, norm)) in faces.iter().enumerate() {
            let photo = PhotoRecord {
                rel_path: format!("sub/a{i}.jpg").into(),
                size: 1,
                mtime_ns: 0,
                content_sha256: [i as u8; 32],
                width: 100,
                height: 100,
                first_face: 0,
                face_count: 0,
            };
            let face = FaceRecord {
                photo: 0,
                face_box: FaceBox {
                    x1: 10.0,
                    y1: 10.0,
                    x2: 50.0,
                    y2: 50.0,
                },
                landmarks: Landmarks::from_interleaved(&[20.0; 10]),
                detector_score: 0.9,
                norm,
            };
            album.push_photo(photo, vec![(face, unit(degrees))]);
        }
        Arc::new(album)
    }

    /// A probe along the x axis.
    fn probe() -> ProbeFace {
        ProbeFace {
            source: PathBuf::from("me.jpg"),
            face_box: FaceBox {
                x1: 0.0,
                y1: 0.0,
                x2: 10.0,
                y2: 10.0,
            },
            embedding: FaceEmbedding {
                unit: unit(0.0),
                norm: 20.0,
            },
            image: None,
        }
    }

    /// Faces at cosines 1.0, 0.94, 0.77, 0.5, 0.17 to the probe; the third is low quality.
    fn results() -> Results {
        let mut r = Results::new(0.3);
        r.set_probes(vec![probe()]);
        let faces = [
            (0.0, 20.0),
            (20.0, 20.0),
            (40.0, 5.0),
            (60.0, 20.0),
            (80.0, 20.0),
        ];
        r.set_album(Path::new("/album"), album(&faces), false);
        r
    }

    #[test]
    fn probes_before_the_album_are_ranked_when_it_arrives() {
        let r = results();
        assert!(r.has_ranking());
        assert_eq!(r.shown_len(), 4, "cosines 1.0, 0.94, 0.77, 0.5 reach 0.3");
        let s = r.session().expect("session");
        let paths: Vec<_> = s.matches().map(|m| m.path).collect();
        assert_eq!(paths[0], PathBuf::from("/album/sub/a0.jpg"));
        assert_eq!(paths[3], PathBuf::from("/album/sub/a3.jpg"));
        assert_eq!(
            r.counts(),
            ShownCounts {
                faces: 4,
                photos: 4,
                rejected: 0,
                accepted: 0,
            }
        );
    }

    #[test]
    fn no_probe_no_ranking() {
        let mut r = Results::new(0.3);
        r.set_album(Path::new("/album"), album(&[(0.0, 20.0)]), true);
        assert!(!r.has_ranking());
        assert_eq!(r.shown_len(), 0);
        assert!(r.partial());
    }

    #[test]
    fn selection_moves_within_the_shown_matches() {
        let mut r = results();
        r.apply(ResultsCommand::MoveSelection(1));
        assert_eq!(
            r.selected(),
            Some(0),
            "the first arrow selects the first match"
        );
        r.apply(ResultsCommand::MoveSelection(1));
        assert_eq!(r.selected(), Some(1));
        r.apply(ResultsCommand::MoveSelection(10));
        assert_eq!(
            r.selected(),
            Some(4),
            "stops at the last cell: the band's one face below the threshold"
        );
        r.apply(ResultsCommand::MoveSelection(-1));
        assert_eq!(r.selected(), Some(3));
        r.apply(ResultsCommand::MoveSelection(-2));
        assert_eq!(r.selected(), Some(1));
        r.apply(ResultsCommand::MoveSelection(-5));
        assert_eq!(r.selected(), Some(0), "stops at the first");
        r.apply(ResultsCommand::Select(7));
        assert_eq!(r.selected(), Some(0), "past the end is ignored");
        r.apply(ResultsCommand::Select(2));
        assert_eq!(r.selected(), Some(2));
    }

    #[test]
    fn raising_the_threshold_keeps_the_selected_face_then_clears_it() {
        let mut r = results();
        r.apply(ResultsCommand::OpenPhoto(3));
        assert_eq!((r.selected(), r.photo_open()), (Some(3), true));
        let face = |r: &Results| r.cell_match(r.selected()?).map(|(_, m)| m.face_index);
        let before = face(&r);
        r.apply(ResultsCommand::SetThreshold(0.9));
        assert_eq!(r.shown_len(), 2);
        assert_eq!(r.cells().len(), 5, "two matches, three below in the band");
        assert_eq!(face(&r), before, "the same face, now in the band");
        assert!(r.photo_open(), "a cell still in the grid stays open");
        // Rejected (and rejected hidden): the face leaves the grid, its successor takes
        // the selection.
        let key = r.cell_match(3).expect("cell").1.key();
        r.apply(ResultsCommand::ShowRejected(false));
        r.apply(ResultsCommand::SetVerdict(key, Some(Verdict::Rejected)));
        assert_eq!(r.cells().len(), 4);
        assert_eq!(r.selected(), Some(3));
        assert_ne!(face(&r), before);
        r.set_min_quality(Some(100.0));
        assert_eq!(r.shown_len(), 0);
        assert_eq!(r.selected(), None);
        assert!(!r.photo_open(), "nothing shown: the photo view closes");
    }

    #[test]
    fn the_threshold_stays_a_cosine_and_never_nan() {
        let mut r = results();
        r.apply(ResultsCommand::SetThreshold(3.0));
        assert_eq!(r.threshold(), 1.0);
        r.apply(ResultsCommand::SetThreshold(f32::NAN));
        assert_eq!(r.threshold(), 1.0, "NaN ignored");
        r.apply(ResultsCommand::SetThreshold(-7.0));
        assert_eq!(r.threshold(), -1.0);
        assert_eq!(r.shown_len(), 5, "every face at -1");
    }

    #[test]
    fn the_quality_filter_hides_low_quality_faces() {
        let mut r = results();
        r.apply(ResultsCommand::Select(3));
        r.set_min_quality(Some(15.0));
        assert_eq!(r.shown_len(), 3, "the norm-5 face is hidden");
        assert_eq!(r.selected(), Some(2), "the same face, one cell earlier");
        let norms: Vec<f32> = r
            .session()
            .expect("session")
            .matches()
            .map(|m| m.norm)
            .collect();
        assert!(norms.iter().all(|&n| n >= 15.0), "{norms:?}");
        r.set_min_quality(None);
        assert_eq!(r.shown_len(), 4);
    }

    #[test]
    fn photo_view_opens_on_a_shown_match_and_closes() {
        let mut r = results();
        r.apply(ResultsCommand::OpenSelected);
        assert!(!r.photo_open(), "nothing selected: nothing to open");
        r.apply(ResultsCommand::OpenPhoto(9));
        assert!(!r.photo_open(), "past the end");
        r.apply(ResultsCommand::OpenPhoto(1));
        assert_eq!((r.selected(), r.photo_open()), (Some(1), true));
        r.apply(ResultsCommand::MoveSelection(1));
        assert_eq!(r.selected(), Some(2), "←/→ step through the matches");
        r.apply(ResultsCommand::ClosePhoto);
        assert!(!r.photo_open());
        assert_eq!(r.selected(), Some(2), "the grid keeps the selection");
        r.apply(ResultsCommand::OpenSelected);
        assert!(r.photo_open());
    }

    #[test]
    fn a_new_album_of_the_same_gallery_keeps_the_selection_another_gallery_does_not() {
        let mut r = results();
        r.apply(ResultsCommand::Select(1));
        let more = album(&[
            (0.0, 20.0),
            (20.0, 20.0),
            (40.0, 5.0),
            (60.0, 20.0),
            (10.0, 20.0),
        ]);
        r.set_album(Path::new("/album"), more.clone(), false);
        assert_eq!(r.shown_len(), 5);
        assert_eq!(r.selected(), Some(1));
        r.set_album(Path::new("/other"), more, true);
        assert_eq!(r.selected(), None);
        assert_eq!(
            r.session().and_then(|s| s.photo_path(0)),
            Some(PathBuf::from("/other/sub/a0.jpg"))
        );
        r.clear_album();
        assert!(!r.has_ranking());
    }

    #[test]
    fn export_request_carries_the_shown_matches() {
        let mut r = results();
        r.apply(ResultsCommand::SetThreshold(0.9));
        let req = r
            .session()
            .and_then(|s| s.export_request("/out", "model", false, None))
            .expect("request");
        assert_eq!(req.matches.len(), 2);
        assert_eq!(
            req.matches[1].photo_path,
            PathBuf::from("/album/sub/a1.jpg")
        );
        assert_eq!(req.threshold, 0.9);
    }

    #[test]
    fn a_and_x_toggle_the_selected_cell_and_verdicts_outlive_an_engine_restart() {
        let mut r = results();
        r.apply(ResultsCommand::ToggleSelected(Verdict::Rejected));
        assert_eq!(r.counts().rejected, 0, "nothing selected: nothing rejected");
        r.apply(ResultsCommand::Select(1));
        r.apply(ResultsCommand::ToggleSelected(Verdict::Rejected));
        assert_eq!((r.shown_len(), r.counts().rejected), (3, 1));
        assert_eq!(r.cells()[1].kind, CellKind::Rejected, "dimmed in place");
        r.apply(ResultsCommand::ToggleSelected(Verdict::Rejected));
        assert_eq!(r.counts().rejected, 0, "X again takes it back");
        r.apply(ResultsCommand::ToggleSelected(Verdict::Accepted));
        r.apply(ResultsCommand::ToggleSelected(Verdict::Rejected));
        assert_eq!(
            r.counts(),
            ShownCounts {
                faces: 3,
                photos: 3,
                rejected: 1,
                accepted: 0
            }
        );
        // The engine restarts: the album goes, then the same gallery comes back.
        r.clear_album();
        let faces = [
            (0.0, 20.0),
            (20.0, 20.0),
            (40.0, 5.0),
            (60.0, 20.0),
            (80.0, 20.0),
        ];
        r.set_album(Path::new("/album"), album(&faces), false);
        assert_eq!(r.counts().rejected, 1, "still rejected");
        r.clear_album();
        r.set_album(Path::new("/other"), album(&faces), false);
        assert_eq!(r.counts().rejected, 0, "another gallery has no verdicts");
    }

    #[test]
    fn the_thumbnail_size_stays_in_its_range() {
        let mut r = results();
        r.apply(ResultsCommand::SetThumbSize(1000.0));
        assert_eq!(r.thumb_size(), THUMB_SIZE_RANGE.1);
        r.apply(ResultsCommand::SetThumbSize(f32::NAN));
        assert_eq!(r.thumb_size(), THUMB_SIZE_RANGE.1, "NaN ignored");
        r.apply(ResultsCommand::SetThumbSize(1.0));
        assert_eq!(r.thumb_size(), THUMB_SIZE_RANGE.0);
    }

    #[test]
    fn show_in_folder_names_the_folder_it_cannot_open() {
        let mut r = results();
        let missing = std::env::temp_dir().join("facesorter-no-such-folder-here");
        r.apply(ResultsCommand::ShowInFolder(missing.join("a.jpg")));
        match &r.folder_message {
            Some(Err(e)) => assert!(e.contains(&missing.display().to_string()), "{e}"),
            other => panic!("expected an error naming the folder: {other:?}"),
        }
        r.apply(ResultsCommand::MoveSelection(1));
        assert_eq!(r.folder_message, None, "about the photo shown then");
    }

    #[test]
    fn moved_selection_bounds() {
        assert_eq!(moved_selection(None, 0, 1), None);
        assert_eq!(moved_selection(Some(2), 3, 4), Some(2));
        assert_eq!(moved_selection(Some(0), 3, -1), Some(0));
        assert_eq!(moved_selection(None, 3, -1), Some(0));
    }
}
