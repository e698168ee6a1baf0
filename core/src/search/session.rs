//! One person's search over one album: the workflow both front ends drive.
//!
//! A [`Session`] owns the album (with the folder it was indexed under), the probe faces of
//! one person, the threshold and the quality filter. It ranks once per change of album or
//! probes; the threshold and the filter only re-cut the sorted ranking. The window and the
//! command line ask it for the matches (with absolute paths), the counts, the histogram and
//! the export request, so both give the same answer to the same question.

use std::fmt;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use image::RgbImage;

use super::{MatchView, Query, RankedMatches, SearchError};
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

/// A match above the threshold: the ranking's view (rank, records, score, quality) plus
/// the photo's absolute path.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionMatch<'a> {
    pub path: PathBuf,
    view: MatchView<'a>,
}

impl<'a> std::ops::Deref for SessionMatch<'a> {
    type Target = MatchView<'a>;

    fn deref(&self) -> &MatchView<'a> {
        &self.view
    }
}

impl SessionMatch<'_> {
    pub fn to_export(&self) -> ExportMatch {
        ExportMatch {
            photo_path: self.path.clone(),
            face_box: self.face.face_box,
            score: self.score,
            norm: self.norm,
        }
    }
}

/// How many shown matches there are: faces, and the distinct photos they are in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShownCounts {
    pub faces: usize,
    pub photos: usize,
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
        }
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

    /// The whole ranking (every album face), once there is a probe.
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

    /// Another gallery: its folder and album.
    pub fn set_gallery(&mut self, root: impl Into<PathBuf>, album: Arc<Album>) {
        self.root = root.into();
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

    /// Number of matches shown (above the threshold, through the quality filter).
    pub fn shown_len(&self) -> usize {
        self.shown.len()
    }

    /// The `i`-th shown match, best first.
    pub fn shown_match(&self, i: usize) -> Option<SessionMatch<'_>> {
        let rank = *self.shown.get(i)?;
        self.match_at_rank(rank)
    }

    /// Every shown match, best first.
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
            view,
        })
    }

    /// One pass over the embeddings: every face's similarity to the combined query.
    fn rank(&mut self) {
        self.error = None;
        self.ranked = match self.query() {
            Some(query) => match RankedMatches::compute(&query, &self.album) {
                Ok(ranked) => Some(ranked),
                Err(e) => {
                    self.error = Some(e);
                    None
                }
            },
            None => None,
        };
        self.cut();
    }

    fn cut(&mut self) {
        let mut seen = vec![false; self.album.photos().len()];
        let mut photos = 0;
        self.shown = match &self.ranked {
            Some(r) => r
                .above_filtered(self.threshold.get(), self.min_quality, &self.album)
                .inspect(|v| {
                    if let Some(s) = seen.get_mut(v.face.photo as usize) {
                        if !*s {
                            *s = true;
                            photos += 1;
                        }
                    }
                })
                .map(|v| v.rank)
                .collect(),
            None => Vec::new(),
        };
        self.counts = ShownCounts {
            faces: self.shown.len(),
            photos,
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
