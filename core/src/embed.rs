//! AdaFace embeddings: aligned 112×112 crops → normalised input tensor → ONNX Runtime
//! in batches → a unit identity vector plus its norm (AdaFace's quality signal).

use std::path::Path;

use image::RgbImage;
use serde::{Deserialize, Serialize};

use crate::geometry::CROP_SIZE;
use crate::models::{ColorOrder, InputConvention};
use crate::runtime::{ModelSession, Runtime, RuntimeError};

/// Faces per inference call; 8 is where throughput levels off on a 2-core CPU.
pub const DEFAULT_BATCH: usize = 8;

/// One face's embedding: the direction is the identity, the norm the quality.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceEmbedding {
    /// Unit-length vector (length = the model's output width, 512 for AdaFace).
    pub unit: Vec<f32>,
    /// L2 norm of the raw model output; AdaFace's image-quality proxy.
    pub norm: f32,
}

impl FaceEmbedding {
    /// Splits a raw model output into direction and norm; `None` for a zero or non-finite vector.
    pub fn from_raw(raw: &[f32]) -> Option<Self> {
        let norm = raw.iter().map(|v| v * v).sum::<f32>().sqrt();
        if !norm.is_finite() || norm <= f32::MIN_POSITIVE {
            return None;
        }
        Some(Self {
            unit: raw.iter().map(|v| v / norm).collect(),
            norm,
        })
    }

    /// Cosine similarity of two unit embeddings.
    pub fn cosine(&self, other: &FaceEmbedding) -> f32 {
        dot(&self.unit, &other.unit)
    }
}

pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error(
        "{path}: not a face recognizer with a [N,3,{size},{size}] input (declared {declared:?})"
    )]
    WrongInput {
        path: String,
        size: u32,
        declared: Vec<i64>,
    },
    #[error("{model}: expected output [N, D], got shape {shape:?}")]
    WrongOutput { model: String, shape: Vec<usize> },
    #[error("crop {index} is {width}×{height}, expected {size}×{size}")]
    WrongCropSize {
        index: usize,
        width: u32,
        height: u32,
        size: u32,
    },
    #[error("{model}: embedding {index} is zero or not finite")]
    DegenerateEmbedding { model: String, index: usize },
}

/// An open recognizer and the pixel convention it was trained with.
#[derive(Debug)]
pub struct Recognizer {
    session: ModelSession,
    convention: InputConvention,
    batch: usize,
}

impl Recognizer {
    pub fn open(
        runtime: &Runtime,
        path: &Path,
        convention: InputConvention,
    ) -> Result<Self, EmbedError> {
        let session = runtime.open(path)?;
        let size = CROP_SIZE as i64;
        let ok = |d: i64, want: i64| d == want || d < 0;
        let fits = matches!(session.input_shape.as_slice(),
            [_, c, h, w] if ok(*c, 3) && ok(*h, size) && ok(*w, size));
        if !fits {
            return Err(EmbedError::WrongInput {
                path: path.display().to_string(),
                size: CROP_SIZE,
                declared: session.input_shape.clone(),
            });
        }
        // A model exported with a fixed batch dimension runs one batch of exactly that size.
        let batch = match session.input_shape.first() {
            Some(&n) if n > 0 => n as usize,
            _ => DEFAULT_BATCH,
        };
        Ok(Self {
            session,
            convention,
            batch,
        })
    }

    pub fn with_batch(mut self, batch: usize) -> Self {
        if self.session.input_shape.first().is_none_or(|&n| n < 0) {
            self.batch = batch.max(1);
        }
        self
    }

    pub fn batch(&self) -> usize {
        self.batch
    }

    pub fn convention(&self) -> &InputConvention {
        &self.convention
    }

    pub fn model_path(&self) -> &Path {
        &self.session.path
    }

    /// "OpenVINO" or "ONNX Runtime": what runs the model.
    pub fn runtime_name(&self) -> &'static str {
        self.session.runtime_name()
    }

    /// Embeds aligned crops, in order, batch by batch.
    pub fn embed(&self, crops: &[RgbImage]) -> Result<Vec<FaceEmbedding>, EmbedError> {
        let mut out = Vec::with_capacity(crops.len());
        for (chunk_no, chunk) in crops.chunks(self.batch).enumerate() {
            out.extend(self.embed_batch(chunk, chunk_no * self.batch)?);
        }
        Ok(out)
    }

    fn embed_batch(
        &self,
        crops: &[RgbImage],
        first_index: usize,
    ) -> Result<Vec<FaceEmbedding>, EmbedError> {
        let plane = (CROP_SIZE * CROP_SIZE) as usize;
        let fixed = self.session.input_shape.first().is_some_and(|&n| n > 0);
        let n = if fixed { self.batch } else { crops.len() };
        let mut tensor = vec![0.0f32; n * 3 * plane];
        for (i, crop) in crops.iter().enumerate() {
            if crop.dimensions() != (CROP_SIZE, CROP_SIZE) {
                return Err(EmbedError::WrongCropSize {
                    index: first_index + i,
                    width: crop.width(),
                    height: crop.height(),
                    size: CROP_SIZE,
                });
            }
            write_input(
                crop,
                &self.convention,
                &mut tensor[i * 3 * plane..(i + 1) * 3 * plane],
            );
        }
        let model = self.session.path.display().to_string();
        let outputs = self
            .session
            .run_f32(&[n, 3, CROP_SIZE as usize, CROP_SIZE as usize], tensor)?;
        let (shape, data) = &outputs[0];
        let dim = match shape.as_slice() {
            [rows, d] if *rows == n && *d > 0 => *d,
            _ => {
                return Err(EmbedError::WrongOutput {
                    model,
                    shape: shape.clone(),
                })
            }
        };
        (0..crops.len())
            .map(|i| {
                FaceEmbedding::from_raw(&data[i * dim..(i + 1) * dim]).ok_or_else(|| {
                    EmbedError::DegenerateEmbedding {
                        model: model.clone(),
                        index: first_index + i,
                    }
                })
            })
            .collect()
    }
}

/// Writes one crop as CHW planes in the model's channel order, `(x − mean) / std`.
pub fn write_input(crop: &RgbImage, convention: &InputConvention, out: &mut [f32]) {
    let plane = (crop.width() * crop.height()) as usize;
    // Source channel (in RGB) feeding each model channel.
    let order = match convention.color_order {
        ColorOrder::Bgr => [2, 1, 0],
        ColorOrder::Rgb => [0, 1, 2],
    };
    for (c, &src) in order.iter().enumerate() {
        let (mean, inv_std) = (convention.mean[c], 1.0 / convention.std[c]);
        let dst = &mut out[c * plane..(c + 1) * plane];
        for (d, px) in dst.iter_mut().zip(crop.pixels()) {
            *d = (px.0[src] as f32 - mean) * inv_std;
        }
    }
}
