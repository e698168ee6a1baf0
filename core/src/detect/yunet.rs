//! Decoding YuNet's stride 8/16/32 heads into faces (in input-canvas pixels).
//! Per stride the anchors are the grid cells in row-major order;
//! score = sqrt(cls · obj), box centre = (c + dx, r + dy)·s, size = exp(dw, dh)·s,
//! landmark k = (c + kx, r + ky)·s.

use crate::geometry::{DetectedFace, FaceBox, Landmarks, PixelPoint};

pub const STRIDES: [usize; 3] = [8, 16, 32];

/// Output tensors of one stride, found by name in the model's outputs.
pub struct StrideHeads<'a> {
    pub stride: usize,
    pub cls: &'a [f32],
    pub obj: &'a [f32],
    pub bbox: &'a [f32],
    pub kps: &'a [f32],
}

/// Output names are `cls_8`, `obj_8`, `bbox_8`, `kps_8`, … in the published file.
pub fn output_index(outputs: &[String], head: &str, stride: usize) -> Option<usize> {
    let want = format!("{head}_{stride}");
    outputs.iter().position(|n| *n == want)
}

pub fn decode(
    heads: &StrideHeads<'_>,
    input_size: usize,
    score_threshold: f32,
    out: &mut Vec<DetectedFace>,
) {
    let s = heads.stride;
    let cols = input_size / s;
    let n = (input_size / s) * cols;
    if heads.cls.len() < n
        || heads.obj.len() < n
        || heads.bbox.len() < 4 * n
        || heads.kps.len() < 10 * n
    {
        return;
    }
    let sf = s as f32;
    for i in 0..n {
        let score = (heads.cls[i].clamp(0.0, 1.0) * heads.obj[i].clamp(0.0, 1.0)).sqrt();
        if score < score_threshold {
            continue;
        }
        let (r, c) = ((i / cols) as f32, (i % cols) as f32);
        let b = &heads.bbox[4 * i..4 * i + 4];
        let cx = (c + b[0]) * sf;
        let cy = (r + b[1]) * sf;
        let w = b[2].exp() * sf;
        let h = b[3].exp() * sf;
        let k = &heads.kps[10 * i..10 * i + 10];
        let landmarks = Landmarks(std::array::from_fn(|j| {
            PixelPoint::new((c + k[2 * j]) * sf, (r + k[2 * j + 1]) * sf)
        }));
        out.push(DetectedFace {
            face_box: FaceBox {
                x1: cx - w / 2.0,
                y1: cy - h / 2.0,
                x2: cx + w / 2.0,
                y2: cy + h / 2.0,
            },
            score,
            landmarks,
        });
    }
}
