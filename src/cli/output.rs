//! The command line's JSON contract. Other tools parse it: change it only additively.

use std::path::Path;

use facesorter_core::embed::FaceEmbedding;
use facesorter_core::geometry::{DetectedFace, FaceBox};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct FaceJson {
    #[serde(rename = "box")]
    pub face_box: [f32; 4],
    pub score: f32,
    pub landmarks: [[f32; 2]; 5],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embedding: Option<Vec<f32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub norm: Option<f32>,
}

impl FaceJson {
    pub fn detected(face: &DetectedFace) -> Self {
        Self {
            face_box: face.face_box.as_array(),
            score: face.score,
            landmarks: face.landmarks.0.map(|p| [p.x, p.y]),
            embedding: None,
            norm: None,
        }
    }

    pub fn with_embedding(mut self, e: &FaceEmbedding) -> Self {
        self.embedding = Some(e.unit.clone());
        self.norm = Some(e.norm);
        self
    }
}

#[derive(Debug, Serialize)]
pub struct ImageJson {
    pub image: String,
    pub width: u32,
    pub height: u32,
    pub faces: Vec<FaceJson>,
}

/// Printed in place of an image's object when it failed, so each input still has a line.
#[derive(Debug, Serialize)]
pub struct ImageErrorJson {
    pub image: String,
    pub error: String,
}

#[derive(Debug, Serialize)]
pub struct CompareJson {
    pub images: Vec<String>,
    pub faces: Vec<usize>,
    /// `null` where a photo had no usable face.
    pub matrix: Vec<Vec<Option<f32>>>,
}

pub fn display_path(p: &Path) -> String {
    p.display().to_string()
}

pub fn box_text(b: &FaceBox) -> String {
    format!("[{:.0}, {:.0}, {:.0}, {:.0}]", b.x1, b.y1, b.x2, b.y2)
}

/// Prints one JSON value on its own line; serialising our own structs cannot fail.
pub fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string(value) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("facesorter: cannot serialise output: {e}"),
    }
}
