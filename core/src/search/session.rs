//! One person's search over one album: the workflow both front ends drive.
//!
//! A [`Session`] owns the album (with the folder it was indexed under), the probe faces of
//! one person, the threshold and the quality filter. It ranks once per change of album or
//! probes; the threshold and the filter only re-cut the sorted ranking. A large album is
//! ranked in two stages that list the exact ranking down to a floor below the threshold
//! (see [`TWO_STAGE_MIN_FACES`]); only a threshold or a verdict below that floor ranks again. The window and the
//! command line ask it for the matches (with absolute paths), the counts, the histogram and
//! the export request, so both give the same answer to the same question.

use std::fmt;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use image::RgbImage;

use super::review::{face_key_for, FaceKey, FaceKeyError, Review, Verdict};
use super::{dot_lanes, Coverage, MatchView, Query, RankedMatches, SearchError};
use crate::embed::FaceEmbedding;
use crate::export::{ExportMatch, ExportRequest, PairSize, ProbeInfo};
use crate::gallery::Album;
use crate::geometry::FaceBox;

/// A similarity threshold: any cosine, or ±∞ (−∞ keeps every face), never NaN.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Threshold(f32);

impl Threshold {
    /// −∞: every face is above it.
    pub const KEEP_ALL: Self = Self(f32::NEG_INFINITY);

    /// `None` for NaN, which would silently match nothing.
    pub fn new(value: f32) -> Option<Self> {
        (!value.is_nan()).then_some(Self(value))
    }

    pub fn get(self) -> f32 {
        self.0
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThresholdError {
    #[error("'{0}' is not a number")]
    NotANumber(String),
    #[error("NaN is not a threshold (use -inf to keep every face)")]
    Nan,
}

impl FromStr for Threshold {
    type Err = ThresholdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let value: f32 = s
            .trim()
            .parse()
            .map_err(|_| ThresholdError::NotANumber(s.to_string()))?;
        Self::new(value).ok_or(ThresholdError::Nan)
    }
}

/// One probe face of the person searched for.
#[derive(Debug, Clone)]
pub struct ProbeFace {
    /// The probe photo's path, or a name for an image that has none (a pasted one).
    pub source: PathBuf,
    /// The face in the probe photo, in its displayed orientation.
    pub face_box: FaceBox,
    pub embedding: FaceEmbedding,
    /// The probe photo already decoded, so an export does not decode it again.
    pub image: Option<Arc<RgbImage>>,
}

/// How many candidates below the threshold the band shows by default.
pub const DEFAULT_BAND: usize = 6;

/// Albums with at least this many faces are ranked in two stages (int8 candidates, exact
/// f32 scores): below it the plain f32 pass takes a few milliseconds and every face's
/// score stays exact, histogram included.
pub const TWO_STAGE_MIN_FACES: usize = 50_000;

/// How far below the threshold a two-stage ranking lists faces exactly: the slider moves
/// that far with no new pass; lowering it further costs one new pass.
const SLIDER_MARGIN: f32 = 0.15;

/// The fewest faces a two-stage ranking lists, so the band below the threshold fills
/// without another pass in the usual case.
const MIN_LISTED: usize = 256;

/// A match: the ranking's view (rank, records, score, quality) plus the photo's absolute
/// path and the user's verdict on it.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionMatch<'a> {
    pub path: PathBuf,
    pub verdict: Option<Verdict>,
    view: MatchView<'a>,
}

impl<'a> std::ops::Deref for SessionMatch<'a> {
    type Target = MatchView<'a>;

    fn deref(&self) -> &MatchView<'a> {
        &self.view
    }
}

impl SessionMatch<'_> {
    /// The face's 0-based index within its photo (reading order of the boxes).
    pub fn index_in_photo(&self) -> u32 {
        self.face_index.saturating_sub(self.photo.first_face)
    }

    /// The key its verdict is kept under.
    pub fn key(&self) -> FaceKey {
        FaceKey {
            photo: self.photo.rel_path.clone(),
            index: self.index_in_photo(),
        }
    }

    pub fn to_export(&self) -> ExportMatch {
        ExportMatch {
            photo_path: self.path.clone(),
            face_box: self.face.face_box,
            score: self.score,
            norm: self.norm,
        }
    }
}

/// How many shown matches there are: faces, and the distinct photos they are in; and how
/// the user's verdicts changed that.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShownCounts {
    pub faces: usize,
    pub photos: usize,
    /// Faces above the threshold (through the quality filter) left out as rejected.
    pub rejected: usize,
    /// Shown faces the user accepted (some may be below the threshold).
    pub accepted: usize,
}

/// The search for one person in one album.
#[derive(Debug, Clone)]
pub struct Session {
    root: PathBuf,
    album: Arc<Album>,
    probes: Vec<ProbeFace>,
    ranked: Option<RankedMatches>,
    threshold: Threshold,
    min_quality: Option<f32>,
    /// Ranks (into `ranked`) above the threshold that pass the quality filter, best first.
    shown: Vec<usize>,
    /// Counted once per cut: the window asks for them every frame.
    counts: ShownCounts,
    /// Why the probes could not be ranked against this album (e.g. another model's).
    error: Option<SearchError>,
    /// The user's verdicts, by face key: they outlive albums of the same gallery.
    review: Review,
    /// `review` resolved on this album, by face index.
    verdicts: Vec<Option<Verdict>>,
    /// Ranks of accepted faces, best first (shown whatever the threshold).
    accepted_ranks: Vec<usize>,
    /// The best score of a rejected face.
    first_rejected: Option<f32>,
    /// Ranks above the threshold, through the filter, that are rejected.
    rejected_shown: Vec<usize>,
    /// Ranks of the next candidates below the threshold (not rejected, through the filter).
    band: Vec<usize>,
    band_size: usize,
    /// Albums this large or larger are ranked in two stages.
    two_stage_min: usize,
    /// The fewest faces a two-stage ranking lists (grows when the band needs more).
    min_listed: usize,
}

impl Session {
    /// An album indexed under `root` (its photos' paths are relative to it), no probe yet.
    pub fn new(root: impl Into<PathBuf>, album: Arc<Album>, threshold: Threshold) -> Self {
        Self {
            root: root.into(),
            album,
            probes: Vec::new(),
            ranked: None,
            threshold,
            min_quality: None,
            shown: Vec::new(),
            counts: ShownCounts::default(),
            error: None,
            review: Review::default(),
            verdicts: Vec::new(),
            accepted_ranks: Vec::new(),
            first_rejected: None,
            rejected_shown: Vec::new(),
            band: Vec::new(),
            band_size: DEFAULT_BAND,
            two_stage_min: TWO_STAGE_MIN_FACES,
            min_listed: MIN_LISTED,
        }
    }

    /// Albums with at least `faces` faces are ranked in two stages (default
    /// [`TWO_STAGE_MIN_FACES`]; `usize::MAX` never). What the session shows is the same
    /// either way, except the histogram below the exact part, counted from int8 estimates.
    pub fn set_two_stage_min(&mut self, faces: usize) {
        self.two_stage_min = faces;
        self.rank();
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn album(&self) -> &Arc<Album> {
        &self.album
    }

    pub fn probes(&self) -> &[ProbeFace] {
        &self.probes
    }

    pub fn threshold(&self) -> Threshold {
        self.threshold
    }

    pub fn min_quality(&self) -> Option<f32> {
        self.min_quality
    }

    /// Why the probes could not be ranked, if they could not.
    pub fn error(&self) -> Option<&SearchError> {
        self.error.as_ref()
    }

    /// The ranking, once there is a probe: every album face, or for a large album the
    /// exact head of the ranking down to its floor, which lies below the threshold, every
    /// face with a verdict and the band.
    pub fn ranked(&self) -> Option<&RankedMatches> {
        self.ranked.as_ref()
    }

    /// The combined query: the probes' quality-weighted mean direction.
    pub fn query(&self) -> Option<Query> {
        let embeddings: Vec<FaceEmbedding> =
            self.probes.iter().map(|p| p.embedding.clone()).collect();
        Query::combine(&embeddings)
    }

    /// A newer album of the same gallery (a checkpoint while indexing, then the whole one).
    pub fn set_album(&mut self, album: Arc<Album>) {
        self.album = album;
        self.rank();
    }

    /// Another gallery: its folder and album. Verdicts were about the other gallery's
    /// faces, so they go (the same folder again keeps them).
    pub fn set_gallery(&mut self, root: impl Into<PathBuf>, album: Arc<Album>) {
        let root = root.into();
        if root != self.root {
            self.review.clear();
        }
        self.root = root;
        self.set_album(album);
    }

    pub fn set_probes(&mut self, probes: Vec<ProbeFace>) {
        self.probes = probes;
        self.rank();
    }

    pub fn add_probe(&mut self, probe: ProbeFace) {
        self.probes.push(probe);
        self.rank();
    }

    /// Replaces probe `index` (another face of the same photo chosen); ignored past the end.
    pub fn replace_probe(&mut self, index: usize, probe: ProbeFace) {
        if let Some(slot) = self.probes.get_mut(index) {
            *slot = probe;
            self.rank();
        }
    }

    /// Removes probe `index`; ignored past the end.
    pub fn remove_probe(&mut self, index: usize) {
        if index < self.probes.len() {
            self.probes.remove(index);
            self.rank();
        }
    }

    /// Re-cuts the ranking: no pass over the embeddings.
    pub fn set_threshold(&mut self, threshold: Threshold) {
        self.threshold = threshold;
        self.cut();
    }

    /// Hides faces whose AdaFace norm is below `min` (blurry, tiny or turned away).
    pub fn set_min_quality(&mut self, min: Option<f32>) {
        self.min_quality = min.filter(|m| !m.is_nan());
        self.cut();
    }

    // ---- verdicts ----------------------------------------------------------------------

    /// The verdicts given so far (also those on faces this album does not have).
    pub fn review(&self) -> &Review {
        &self.review
    }

    /// Takes over verdicts given before (the same gallery, indexed again).
    pub fn set_review(&mut self, review: Review) {
        self.review = review;
        self.apply_review();
    }

    /// Accepts, rejects or (`None`) clears the verdict on the face `key`.
    pub fn set_verdict(&mut self, key: FaceKey, verdict: Option<Verdict>) {
        self.review.set(key, verdict);
        self.apply_review();
    }

    /// Forgets every verdict.
    pub fn clear_review(&mut self) {
        self.review.clear();
        self.apply_review();
    }

    /// The key of face `index` of the photo at `path` (relative to the root, or under it).
    pub fn face_key(&self, path: &Path, index: u32) -> Result<FaceKey, FaceKeyError> {
        face_key_for(&self.album, &self.root, path, index)
    }

    /// The verdict on album face `face`.
    pub fn verdict(&self, face: usize) -> Option<Verdict> {
        self.verdicts.get(face).copied().flatten()
    }

    /// The best score of a rejected face: where the first different person is, as far as
    /// the user has said.
    pub fn first_rejected_score(&self) -> Option<f32> {
        self.first_rejected
    }

    /// Faces above the threshold (through the filter) that are rejected, best first.
    pub fn rejected(&self) -> impl Iterator<Item = SessionMatch<'_>> + '_ {
        self.rejected_shown
            .iter()
            .filter_map(|&rank| self.match_at_rank(rank))
    }

    /// How many candidates below the threshold the band holds at most.
    pub fn set_band_size(&mut self, size: usize) {
        self.band_size = size;
        self.cut();
    }

    /// The next candidates below the threshold, best first: what lowering it would add
    /// (rejected and accepted faces and those the quality filter hides are skipped).
    pub fn band(&self) -> impl Iterator<Item = SessionMatch<'_>> + '_ {
        self.band
            .iter()
            .filter_map(|&rank| self.match_at_rank(rank))
    }

    /// Ranks (positions in [`Self::ranked`]) of the shown matches, the rejected ones above
    /// the threshold and the band, each best first.
    pub fn shown_ranks(&self) -> &[usize] {
        &self.shown
    }

    pub fn rejected_ranks(&self) -> &[usize] {
        &self.rejected_shown
    }

    pub fn band_ranks(&self) -> &[usize] {
        &self.band
    }

    /// The match at `rank` in the whole ranking, shown or not.
    pub fn match_at(&self, rank: usize) -> Option<SessionMatch<'_>> {
        self.match_at_rank(rank)
    }

    /// Which probe face album face `face` is closest to (highest cosine): the one to show
    /// beside it. `None` without probes or past the end.
    pub fn closest_probe(&self, face: usize) -> Option<usize> {
        if face >= self.album.face_count() {
            return None;
        }
        let row = self.album.embedding(face);
        self.probes
            .iter()
            .enumerate()
            .filter(|(_, p)| p.embedding.unit.len() == row.len())
            .map(|(i, p)| {
                let dot: f32 = p.embedding.unit.iter().zip(row).map(|(a, b)| a * b).sum();
                (i, dot)
            })
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(i, _)| i)
    }

    // ---- the cut ---------------------------------------------------------------------

    /// Number of matches shown (above the threshold, through the quality filter, not
    /// rejected; and every accepted face).
    pub fn shown_len(&self) -> usize {
        self.shown.len()
    }

    /// The `i`-th shown match, best first.
    pub fn shown_match(&self, i: usize) -> Option<SessionMatch<'_>> {
        let rank = *self.shown.get(i)?;
        self.match_at_rank(rank)
    }

    /// Every shown match, best first: what is exported.
    pub fn matches(&self) -> impl Iterator<Item = SessionMatch<'_>> + '_ {
        self.shown
            .iter()
            .filter_map(|&rank| self.match_at_rank(rank))
    }

    /// Faces shown and the distinct photos they are in.
    pub fn counts(&self) -> ShownCounts {
        self.counts
    }

    /// Histogram of every face's score (not only the shown ones), for the slider.
    pub fn histogram(&self, bins: usize, range: RangeInclusive<f32>) -> Vec<u32> {
        match &self.ranked {
            Some(r) => r.histogram(bins, range),
            None => vec![0; bins],
        }
    }

    /// The absolute path of the photo of album face `face`.
    pub fn photo_path(&self, face: usize) -> Option<PathBuf> {
        let (_, photo) = self.album.face_and_photo(face)?;
        Some(photo.path_in(&self.root))
    }

    /// What exporting the shown matches (at most `limit`) into `dir` writes; `None` without
    /// a probe. The first probe face is the one drawn beside each match.
    pub fn export_request(
        &self,
        dir: impl Into<PathBuf>,
        model: impl Into<String>,
        copy_originals: bool,
        limit: Option<usize>,
    ) -> Option<ExportRequest> {
        let probe = self.probes.first()?;
        Some(ExportRequest {
            dir: dir.into(),
            probe: ProbeInfo {
                path: probe.source.clone(),
                face_box: probe.face_box,
                image: probe.image.clone(),
            },
            matches: self
                .matches()
                .take(limit.unwrap_or(usize::MAX))
                .map(|m| m.to_export())
                .collect(),
            threshold: self.threshold.get(),
            model: model.into(),
            copy_originals,
            pair_size: PairSize::default(),
        })
    }

    fn match_at_rank(&self, rank: usize) -> Option<SessionMatch<'_>> {
        let view = self.ranked.as_ref()?.view(&self.album, rank)?;
        Some(SessionMatch {
            path: view.photo.path_in(&self.root),
            verdict: self.verdict(view.face_index as usize),
            view,
        })
    }

    /// Resolves the verdicts on this album and ranking, then re-cuts. O(faces): once per
    /// verdict or album, never per frame. A verdict on a face below a two-stage ranking's
    /// floor ranks again, down to that face.
    fn apply_review(&mut self) {
        self.verdicts = self.review.resolve(&self.album);
        if self.ranking_misses_a_verdict() {
            self.rank_listing();
            return;
        }
        self.after_ranking();
    }

    /// Accepted faces and the best rejected score, from the ranking; then the cut.
    fn after_ranking(&mut self) {
        self.accepted_ranks.clear();
        self.first_rejected = None;
        if let Some(r) = &self.ranked {
            if !self.review.is_empty() {
                for (rank, m) in r.matches().iter().enumerate() {
                    match self.verdicts.get(m.face as usize).copied().flatten() {
                        Some(Verdict::Accepted) => self.accepted_ranks.push(rank),
                        Some(Verdict::Rejected) if self.first_rejected.is_none() => {
                            self.first_rejected = Some(m.score);
                        }
                        _ => {}
                    }
                }
            }
        }
        self.cut();
    }

    /// A new query or album: one pass over the embeddings.
    fn rank(&mut self) {
        self.min_listed = MIN_LISTED;
        self.rank_listing();
    }

    /// One pass over the embeddings, listing what [`Self::coverage`] asks for.
    fn rank_listing(&mut self) {
        self.error = None;
        self.verdicts = self.review.resolve(&self.album);
        self.ranked = match self.query() {
            Some(query) => {
                let need = self.coverage(&query);
                match RankedMatches::compute_covering(&query, &self.album, need) {
                    Ok(ranked) => Some(ranked),
                    Err(e) => {
                        self.error = Some(e);
                        None
                    }
                }
            }
            None => None,
        };
        self.after_ranking();
    }

    /// What the ranking must list exactly: everything in a small album; in a large one,
    /// down to a margin below the threshold (the slider's room) and down to every face
    /// with a verdict (accepted faces are shown at their rank whatever their score, and
    /// the best rejected score is drawn on the histogram), and at least `min_listed`.
    fn coverage(&self, query: &Query) -> Coverage {
        if self.album.face_count() < self.two_stage_min {
            return Coverage::ALL;
        }
        let mut floor = self.threshold.get() - SLIDER_MARGIN;
        if let Some(lowest) = self.lowest_verdict_score(query) {
            floor = floor.min(lowest);
        }
        Coverage {
            floor,
            min_listed: self.min_listed,
        }
    }

    /// The lowest f32 score of a face with a verdict, computed as the ranking does.
    fn lowest_verdict_score(&self, query: &Query) -> Option<f32> {
        if query.dim() != self.album.dim() {
            return None;
        }
        self.verdicts
            .iter()
            .enumerate()
            .filter(|(face, v)| v.is_some() && *face < self.album.face_count())
            .map(|(face, _)| dot_lanes(query.unit(), self.album.embedding(face)))
            .reduce(f32::min)
    }

    /// Whether a face with a verdict scores below the listed part of the ranking.
    fn ranking_misses_a_verdict(&self) -> bool {
        let Some(r) = self.ranked.as_ref().filter(|r| !r.is_complete()) else {
            return false;
        };
        self.query()
            .and_then(|q| self.lowest_verdict_score(&q))
            .is_some_and(|s| s < r.floor())
    }

    fn cut(&mut self) {
        if self
            .ranked
            .as_ref()
            .is_some_and(|r| self.threshold.get() < r.floor())
        {
            // The slider went below the exact part: rank again, down to it.
            self.rank_listing();
            return;
        }
        self.shown.clear();
        self.rejected_shown.clear();
        self.band.clear();
        let Some(r) = &self.ranked else {
            self.counts = ShownCounts::default();
            return;
        };
        let album = &self.album;
        let verdict = |face: u32| self.verdicts.get(face as usize).copied().flatten();
        let min_quality = self.min_quality;
        let passes = |face: u32| {
            album
                .faces()
                .get(face as usize)
                .is_some_and(|f| min_quality.is_none_or(|q| f.norm >= q))
        };
        let above = r.count_above(self.threshold.get());
        for (rank, m) in r.above(self.threshold.get()).iter().enumerate() {
            match verdict(m.face) {
                Some(Verdict::Accepted) => self.shown.push(rank),
                Some(Verdict::Rejected) if passes(m.face) => self.rejected_shown.push(rank),
                None if passes(m.face) => self.shown.push(rank),
                _ => {}
            }
        }
        // Accepted faces stay shown below the threshold, after those above it.
        self.shown
            .extend(self.accepted_ranks.iter().copied().filter(|&k| k >= above));
        for (offset, m) in r.matches()[above..].iter().enumerate() {
            if self.band.len() >= self.band_size {
                break;
            }
            if verdict(m.face).is_none() && passes(m.face) {
                self.band.push(above + offset);
            }
        }
        if self.band.len() < self.band_size && !r.is_complete() {
            // The listed part ran out before the band filled: list more (at least twice
            // as many each time, so this ends, at worst with the full ranking).
            self.min_listed = (r.len() * 2).max(r.len() + 4 * self.band_size);
            self.rank_listing();
            return;
        }
        let mut seen = vec![false; album.photos().len()];
        let mut photos = 0;
        for &rank in &self.shown {
            let photo = r
                .matches()
                .get(rank)
                .and_then(|m| album.faces().get(m.face as usize))
                .map(|f| f.photo as usize);
            if let Some(s) = photo.and_then(|p| seen.get_mut(p)) {
                if !*s {
                    *s = true;
                    photos += 1;
                }
            }
        }
        self.counts = ShownCounts {
            faces: self.shown.len(),
            photos,
            rejected: self.rejected_shown.len(),
            accepted: self
                .shown
                .iter()
                .filter(|&&k| {
                    r.matches()
                        .get(k)
                        .is_some_and(|m| verdict(m.face) == Some(Verdict::Accepted))
                })
                .count(),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_refuses_nan_and_keeps_infinities() {
        assert_eq!("nan".parse::<Threshold>(), Err(ThresholdError::Nan));
        assert_eq!("NaN".parse::<Threshold>(), Err(ThresholdError::Nan));
        assert!(matches!(
            "abc".parse::<Threshold>(),
            Err(ThresholdError::NotANumber(_))
        ));
        assert_eq!(
            "-inf".parse::<Threshold>().map(Threshold::get),
            Ok(f32::NEG_INFINITY)
        );
        assert_eq!(
            "inf".parse::<Threshold>().map(Threshold::get),
            Ok(f32::INFINITY)
        );
        assert_eq!(" 0.45 ".parse::<Threshold>().map(Threshold::get), Ok(0.45));
        assert!(Threshold::new(f32::NAN).is_none());
        assert!(Threshold::KEEP_ALL <= Threshold::new(f32::MIN).expect("a number"));
    }
}
