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

/// A path for JSON: serde escapes whatever it holds.
pub fn display_path(p: &Path) -> String {
    p.display().to_string()
}

/// A path for the terminal: [`terminal_safe`].
pub fn shown_path(p: &Path) -> String {
    terminal_safe(&p.display().to_string())
}

/// `text` with every control character (and the invisible bidirectional overrides) written
/// as an escape like `\n`, `\x1b` or `\u{202e}`, so a hostile file name can neither
/// drive the terminal (retitle it, move the cursor) nor split or reorder a line.
pub fn terminal_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() && (c as u32) < 0x100 => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if is_invisible_control(c) => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Format characters that reorder or hide text in a terminal: bidirectional embeddings,
/// overrides and isolates, and the line and paragraph separators.
fn is_invisible_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        || matches!(c, '\u{2028}' | '\u{2029}')
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(
            terminal_safe("a\u{1b}]0;pwn\u{7}\nb\tc\r"),
            "a\\x1b]0;pwn\\x07\\nb\\tc\\r"
        );
        assert_eq!(terminal_safe("\u{9b}31m"), "\\x9b31m", "the 8-bit CSI too");
        assert_eq!(terminal_safe("evil\u{202e}gpj.exe"), "evil\\u{202e}gpj.exe");
        let plain = "Zoë/漢字 O'Brien \\ (2).jpg";
        assert_eq!(terminal_safe(plain), plain);
    }
}
