//! Coordinate types. Photo pixels and the 112×112 alignment template are different
//! spaces; keeping them apart in the types stops a landmark from being fed to the
//! wrong transform.

use serde::{Deserialize, Serialize};

/// A point in a photo's pixel coordinates, in its displayed (EXIF-applied) orientation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PixelPoint {
    pub x: f32,
    pub y: f32,
}

impl PixelPoint {
    pub const fn new(x: f32, y: f32) -> Self {
        Self { x, y }
    }
}

/// A point in the 112×112 aligned-crop template space.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TemplatePoint {
    pub x: f32,
    pub y: f32,
}

impl TemplatePoint {
    pub const fn new(x: f32, y: f32) -> Self {
        Self { x, y }
    }
}

/// Side of the aligned face crop, in pixels.
pub const CROP_SIZE: u32 = 112;

/// The AdaFace / ArcFace 112×112 template, in landmark order.
pub const TEMPLATE_112: [TemplatePoint; 5] = [
    TemplatePoint::new(38.2946, 51.6963),
    TemplatePoint::new(73.5318, 51.5014),
    TemplatePoint::new(56.0252, 71.7366),
    TemplatePoint::new(41.5493, 92.3655),
    TemplatePoint::new(70.7299, 92.2041),
];

/// An axis-aligned face box in photo pixels (`x1 < x2`, `y1 < y2`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FaceBox {
    pub x1: f32,
    pub y1: f32,
    pub x2: f32,
    pub y2: f32,
}

impl FaceBox {
    pub fn width(&self) -> f32 {
        (self.x2 - self.x1).max(0.0)
    }
    pub fn height(&self) -> f32 {
        (self.y2 - self.y1).max(0.0)
    }
    pub fn area(&self) -> f32 {
        self.width() * self.height()
    }
    pub fn iou(&self, other: &FaceBox) -> f32 {
        let ix = (self.x2.min(other.x2) - self.x1.max(other.x1)).max(0.0);
        let iy = (self.y2.min(other.y2) - self.y1.max(other.y1)).max(0.0);
        let inter = ix * iy;
        let union = self.area() + other.area() - inter;
        if union <= 0.0 {
            0.0
        } else {
            inter / union
        }
    }
    pub fn as_array(&self) -> [f32; 4] {
        [self.x1, self.y1, self.x2, self.y2]
    }
}

/// Five facial landmarks in photo pixels, in template order: image-left eye,
/// image-right eye, nose tip, image-left mouth corner, image-right mouth corner.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Landmarks(pub [PixelPoint; 5]);

impl Landmarks {
    /// From `[x1, y1, x2, y2, …, x5, y5]` (interleaved).
    pub fn from_interleaved(v: &[f32; 10]) -> Self {
        Self(std::array::from_fn(|i| {
            PixelPoint::new(v[2 * i], v[2 * i + 1])
        }))
    }
    pub fn points(&self) -> &[PixelPoint; 5] {
        &self.0
    }
}

/// One face found in a photo.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DetectedFace {
    pub face_box: FaceBox,
    pub score: f32,
    pub landmarks: Landmarks,
}
