//! Face detection with YuNet: views of the photo → YuNet → decoded faces in photo
//! pixels → non-maximum suppression.

mod nms;
mod order;
mod plan;
mod view;
mod yunet;

use std::path::Path;

use fast_image_resize::Resizer;
use image::RgbImage;
use serde::{Deserialize, Serialize};

use crate::geometry::{DetectedFace, FaceBox, Landmarks};
use crate::runtime::{ModelSession, Runtime, RuntimeError};

pub use order::{reading_order, reading_order_by, reading_order_indices};
pub use plan::{plan_views, DETECTABLE_PX};

/// Version of what detection yields for a photo — which faces and in what order. Part of
/// the gallery fingerprint, so a change re-indexes galleries. 2: faces in reading order
/// (was: best score first). 3: the plain letterboxed view beside the padded one, and a
/// stricter test for faces only tiles saw.
pub const DETECTION_VERSION: u32 = 3;
pub use view::{View, ViewKind};

/// One face as one view saw it, before the views are merged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub face: DetectedFace,
    pub kind: ViewKind,
    /// Index of the view in [`plan_views`]' list.
    pub view: usize,
    /// Detector-input pixels per photo pixel in that view.
    pub scale: f32,
}

/// All views' faces of one photo.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidates {
    pub faces: Vec<Candidate>,
    /// Whether tiles looked at the photo.
    pub tiled: bool,
    /// Whether the plain view looked at it.
    pub plain_run: bool,
}

impl Candidate {
    /// The face's width as YuNet saw it, in detector-input pixels.
    pub fn input_px(&self) -> f32 {
        self.face.face_box.width() * self.scale
    }
}

/// Detector settings. The defaults are OpenCV `FaceDetectorYN`'s thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DetectorParams {
    pub score_threshold: f32,
    pub nms_threshold: f32,
    /// Faces at least this many pixels wide in the original photo are searched for.
    pub min_face_px: f32,
    pub top_k: usize,
}

impl Default for DetectorParams {
    fn default() -> Self {
        Self {
            score_threshold: 0.6,
            nms_threshold: 0.3,
            min_face_px: 20.0,
            top_k: 5000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("{path}: not a YuNet detector (missing output {missing})")]
    NotYuNet { path: String, missing: String },
}

/// A YuNet session plus the output layout read from the file.
#[derive(Debug)]
pub struct Detector {
    session: ModelSession,
    input_size: u32,
    /// Per stride: indices of the cls, obj, bbox and kps outputs.
    heads: Vec<(usize, [usize; 4])>,
    params: DetectorParams,
}

impl Detector {
    pub fn open(
        runtime: &Runtime,
        path: &Path,
        params: DetectorParams,
    ) -> Result<Self, DetectError> {
        let session = runtime.open(path)?;
        let mut heads = Vec::new();
        for stride in yunet::STRIDES {
            let mut idx = [0usize; 4];
            for (slot, name) in ["cls", "obj", "bbox", "kps"].iter().enumerate() {
                idx[slot] =
                    yunet::output_index(&session.outputs, name, stride).ok_or_else(|| {
                        DetectError::NotYuNet {
                            path: path.display().to_string(),
                            missing: format!("{name}_{stride}"),
                        }
                    })?;
            }
            heads.push((stride, idx));
        }
        // The published file is fixed at 640×640; read it from the file all the same.
        let input_size = match session.input_shape.as_slice() {
            [_, _, h, w] if *h > 0 && h == w => *h as u32,
            _ => 640,
        };
        Ok(Self {
            session,
            input_size,
            heads,
            params,
        })
    }

    pub fn params(&self) -> &DetectorParams {
        &self.params
    }

    pub fn input_size(&self) -> u32 {
        self.input_size
    }

    /// All faces in the photo, in reading order ([`reading_order`]), in photo pixels.
    pub fn detect(&self, photo: &RgbImage) -> Result<Vec<DetectedFace>, DetectError> {
        let seen = self.candidates(photo)?;
        let mut kept = merge(&seen, &self.params);
        reading_order(&mut kept);
        Ok(kept)
    }

    /// Every view's faces at or above the score threshold, not yet merged.
    pub fn candidates(&self, photo: &RgbImage) -> Result<Candidates, DetectError> {
        let mut resizer = Resizer::new();
        let mut out = Vec::new();
        let views = plan_views(
            photo.width(),
            photo.height(),
            self.input_size,
            self.params.min_face_px,
        );
        let tiled = views.iter().any(View::is_tile);
        let threshold = self.params.score_threshold;
        let mut faces = Vec::new();
        let mut edge_hint = false;
        let mut plain_run = false;
        for (i, v) in views.iter().enumerate() {
            faces.clear();
            if v.kind == ViewKind::Plain {
                if tiled && !edge_hint {
                    continue;
                }
                plain_run = true;
            }
            // The padded view reads its faces from a lower score too, for the hint.
            let low = if v.kind == ViewKind::Padded {
                threshold.min(EDGE_HINT_SCORE)
            } else {
                threshold
            };
            self.detect_view(photo, v, low, &mut resizer, &mut faces)?;
            if v.kind == ViewKind::Padded {
                let (w, h) = (photo.width() as f32, photo.height() as f32);
                edge_hint = faces
                    .iter()
                    .any(|f| f.score < threshold && cut_by_edge(&f.face_box, w, h));
                faces.retain(|f| f.score >= threshold);
            }
            let scale = self.input_size as f32 / v.width.max(v.height);
            out.extend(faces.iter().map(|&face| Candidate {
                face,
                kind: v.kind,
                view: i,
                scale,
            }));
        }
        let min = self.params.min_face_px;
        out.retain(|c| c.face.face_box.width().max(c.face.face_box.height()) >= min * 0.5);
        Ok(Candidates {
            faces: out,
            tiled,
            plain_run,
        })
    }

    /// The faces YuNet finds in one view of [`plan_views`] at or above the score
    /// threshold, in photo pixels: for measuring the views one by one.
    pub fn detect_in_view(
        &self,
        photo: &RgbImage,
        view: &View,
    ) -> Result<Vec<DetectedFace>, DetectError> {
        let mut out = Vec::new();
        let threshold = self.params.score_threshold;
        self.detect_view(photo, view, threshold, &mut Resizer::new(), &mut out)?;
        Ok(out)
    }

    fn detect_view(
        &self,
        photo: &RgbImage,
        v: &View,
        threshold: f32,
        resizer: &mut Resizer,
        out: &mut Vec<DetectedFace>,
    ) -> Result<(), DetectError> {
        let size = self.input_size as usize;
        let Some((tensor, mapping)) = view::render_bgr_nchw(photo, v, self.input_size, resizer)
        else {
            return Ok(());
        };
        let outputs = self.session.run_f32(&[1, 3, size, size], tensor)?;
        let mut raw = Vec::new();
        for &(stride, [c, o, b, k]) in &self.heads {
            let heads = yunet::StrideHeads {
                stride,
                cls: &outputs[c].1,
                obj: &outputs[o].1,
                bbox: &outputs[b].1,
                kps: &outputs[k].1,
            };
            yunet::decode(&heads, size, threshold, &mut raw);
        }
        let (pw, ph) = (photo.width() as f32, photo.height() as f32);
        for f in raw {
            let p1 = mapping.to_photo(f.face_box.x1, f.face_box.y1);
            let p2 = mapping.to_photo(f.face_box.x2, f.face_box.y2);
            let face_box = FaceBox {
                x1: p1.x,
                y1: p1.y,
                x2: p2.x,
                y2: p2.y,
            };
            if v.is_tile() && touches_inner_edge(&face_box, v, pw, ph) {
                // A face cut by the tile border; the neighbouring tile sees it whole.
                continue;
            }
            let landmarks = Landmarks(f.landmarks.0.map(|p| mapping.to_photo(p.x, p.y)));
            out.push(DetectedFace {
                face_box,
                score: f.score,
                landmarks,
            });
        }
        Ok(())
    }
}

/// A face box reaching the photo's edge (within 1% of the photo): cut by it.
fn cut_by_edge(b: &FaceBox, w: f32, h: f32) -> bool {
    let m = 0.01 * w.max(h);
    b.x1 <= m || b.y1 <= m || b.x2 >= w - m || b.y2 >= h - m
}

fn touches_inner_edge(b: &FaceBox, v: &View, pw: f32, ph: f32) -> bool {
    const MARGIN: f32 = 2.0;
    (v.x0 > 0.0 && b.x1 <= v.x0 + MARGIN)
        || (v.y0 > 0.0 && b.y1 <= v.y0 + MARGIN)
        || (v.x0 + v.width < pw && b.x2 >= v.x0 + v.width - MARGIN)
        || (v.y0 + v.height < ph && b.y2 >= v.y0 + v.height - MARGIN)
}

/// In tiled photos the plain view runs only when the padded view saw something this
/// face-like, below the threshold, cut by the photo's edge: the plain view is there for
/// such faces (the selfie's scores 0.46 padded, 0.83 plain), and elsewhere the edge
/// tiles see faces cut by the edge at a higher scale. Saves most plain views of large
/// photos (the benchmark `benches/detect.rs` counts them).
pub const EDGE_HINT_SCORE: f32 = 0.3;

/// A face at least this wide in a view's input is seen well enough to be judged by its
/// score alone (detector-input pixels). Measured on real faces pasted into 24-megapixel
/// scenes (`tests/detect_large.rs`): tiles score every face of 36 px or more in the photo
/// (18 px in the tile) at 0.88 or more, while faces of 20–30 px score 0.52–0.88.
pub const SURE_PX: f32 = 18.0;

/// The score a face only tiles saw needs when it is at least [`SURE_PX`] wide in the tile.
/// On those scenes, with 500 non-face pieces of real photos (clothes, hands, hair, the
/// backs of heads) pasted among 120 faces of 40–80 px, tiles alone reported 32 false
/// faces at 0.60–0.82 (all 45–136 px wide, 22–68 px in the tile), none at 0.85; every
/// real face scored 0.88 or more. Smaller faces keep the plain threshold: they are what
/// the tiles are there for, and no false face that small reached it.
pub const TILE_ONLY_SCORE: f32 = 0.85;

/// Merges the views' faces into one list, best first.
///
/// - The padded view's faces are trusted at the score threshold.
/// - The plain view's too, unless tiles look at the photo and the face is smaller than
///   [`SURE_PX`] in the plain view: the tiles see such a face at a higher scale and report
///   it themselves (in 24-megapixel scenes the plain view's 7–10 px faces were false ones
///   at 0.61–0.74).
/// - A face only tiles saw (overlapping no trusted face of the whole-photo views) and at
///   least [`SURE_PX`] wide in its tile needs [`TILE_ONLY_SCORE`].
pub fn merge(seen: &Candidates, params: &DetectorParams) -> Vec<DetectedFace> {
    let (candidates, tiled) = (&seen.faces, seen.tiled);
    let trusted_whole = |c: &Candidate| match c.kind {
        ViewKind::Padded => true,
        ViewKind::Plain => !tiled || c.input_px() >= SURE_PX,
        ViewKind::Tile => false,
    };
    let whole: Vec<FaceBox> = candidates
        .iter()
        .filter(|c| trusted_whole(c))
        .map(|c| c.face.face_box)
        .collect();
    let seen_whole = |b: &FaceBox| whole.iter().any(|g| g.iou(b) > params.nms_threshold);
    let faces: Vec<DetectedFace> = candidates
        .iter()
        .filter(|c| match c.kind {
            ViewKind::Tile => {
                seen_whole(&c.face.face_box)
                    || c.input_px() < SURE_PX
                    || c.face.score >= TILE_ONLY_SCORE
            }
            _ => trusted_whole(c),
        })
        .map(|c| c.face)
        .collect();
    nms::suppress(faces, params.nms_threshold, params.top_k)
}
