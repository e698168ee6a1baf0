//! Greedy non-maximum suppression, as OpenCV's `NMSBoxes`.

use crate::geometry::DetectedFace;

/// Keeps the best-scoring face of each overlapping group; returns them best first.
pub fn suppress(
    mut faces: Vec<DetectedFace>,
    iou_threshold: f32,
    top_k: usize,
) -> Vec<DetectedFace> {
    faces.sort_by(|a, b| b.score.total_cmp(&a.score));
    faces.truncate(top_k);
    let mut kept: Vec<DetectedFace> = Vec::new();
    for f in faces {
        if kept
            .iter()
            .all(|k| k.face_box.iou(&f.face_box) <= iou_threshold)
        {
            kept.push(f);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::{FaceBox, Landmarks, PixelPoint};

    fn face(x: f32, score: f32) -> DetectedFace {
        DetectedFace {
            face_box: FaceBox {
                x1: x,
                y1: 0.0,
                x2: x + 10.0,
                y2: 10.0,
            },
            score,
            landmarks: Landmarks([PixelPoint::new(0.0, 0.0); 5]),
        }
    }

    #[test]
    fn overlapping_boxes_keep_the_best() {
        let kept = suppress(
            vec![face(0.0, 0.7), face(1.0, 0.9), face(50.0, 0.8)],
            0.3,
            100,
        );
        let scores: Vec<f32> = kept.iter().map(|f| f.score).collect();
        assert_eq!(scores, vec![0.9, 0.8]);
    }
}
