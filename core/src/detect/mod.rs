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
/// (was: best score first).
pub const DETECTION_VERSION: u32 = 2;
pub use view::View;

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
        let mut resizer = Resizer::new();
        let mut faces = Vec::new();
        for v in plan_views(
            photo.width(),
            photo.height(),
            self.input_size,
            self.params.min_face_px,
        ) {
            self.detect_view(photo, &v, &mut resizer, &mut faces)?;
        }
        let min = self.params.min_face_px;
        faces.retain(|f| f.face_box.width().max(f.face_box.height()) >= min * 0.5);
        let mut kept = nms::suppress(faces, self.params.nms_threshold, self.params.top_k);
        reading_order(&mut kept);
        Ok(kept)
    }

    fn detect_view(
        &self,
        photo: &RgbImage,
        v: &View,
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
            yunet::decode(&heads, size, self.params.score_threshold, &mut raw);
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
            if v.is_tile && touches_inner_edge(&face_box, v, pw, ph) {
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

fn touches_inner_edge(b: &FaceBox, v: &View, pw: f32, ph: f32) -> bool {
    const MARGIN: f32 = 2.0;
    (v.x0 > 0.0 && b.x1 <= v.x0 + MARGIN)
        || (v.y0 > 0.0 && b.y1 <= v.y0 + MARGIN)
        || (v.x0 + v.width < pw && b.x2 >= v.x0 + v.width - MARGIN)
        || (v.y0 + v.height < ph && b.y2 >= v.y0 + v.height - MARGIN)
}
