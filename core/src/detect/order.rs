//! The order faces of one photo are numbered in: reading order of their boxes, never the
//! detector's scores (fp32 and bf16 inference can swap two close scores, which would
//! renumber the faces of a photo between machines).
//!
//! Rows first: faces sorted by the vertical centre of their box; a face whose centre lies
//! within half a box height (the larger of the two) below the centre of its row's first
//! face joins that row, else it starts the next row. Within a row, left to right by
//! horizontal centre. Measured against the row's first face rather than the previous one,
//! so a diagonal line of faces does not chain into one row.

use crate::geometry::{DetectedFace, FaceBox};

/// Sorts the faces of one photo into reading order (top row first, each row left to right).
pub fn reading_order(faces: &mut [DetectedFace]) {
    reading_order_by(faces, |f| f.face_box);
}

/// [`reading_order`] for anything with a face box.
pub fn reading_order_by<T: Clone>(items: &mut [T], face_box: impl Fn(&T) -> FaceBox) {
    let order = reading_order_indices(&items.iter().map(face_box).collect::<Vec<_>>());
    let sorted: Vec<T> = order.iter().map(|&i| items[i].clone()).collect();
    items.clone_from_slice(&sorted);
}

/// The indices of `boxes` in reading order.
pub fn reading_order_indices(boxes: &[FaceBox]) -> Vec<usize> {
    let centre = |b: &FaceBox| ((b.x1 + b.x2) * 0.5, (b.y1 + b.y2) * 0.5);
    let mut by_top: Vec<usize> = (0..boxes.len()).collect();
    // Ties broken by x so equal centres still give one order.
    by_top.sort_by(|&a, &b| {
        let (ax, ay) = centre(&boxes[a]);
        let (bx, by) = centre(&boxes[b]);
        ay.total_cmp(&by).then(ax.total_cmp(&bx))
    });
    let mut rows: Vec<Vec<usize>> = Vec::new();
    for i in by_top {
        let (_, cy) = centre(&boxes[i]);
        let joins = rows.last().is_some_and(|row| {
            let first = &boxes[row[0]];
            let half = 0.5 * first.height().max(boxes[i].height());
            cy - centre(first).1 <= half
        });
        match rows.last_mut() {
            Some(row) if joins => row.push(i),
            _ => rows.push(vec![i]),
        }
    }
    for row in &mut rows {
        row.sort_by(|&a, &b| {
            let (ax, ay) = centre(&boxes[a]);
            let (bx, by) = centre(&boxes[b]);
            ax.total_cmp(&bx).then(ay.total_cmp(&by))
        });
    }
    rows.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(x: f32, y: f32, size: f32) -> FaceBox {
        FaceBox {
            x1: x,
            y1: y,
            x2: x + size,
            y2: y + size,
        }
    }

    #[test]
    fn rows_top_to_bottom_then_left_to_right() {
        // Two rows of three, the second row's faces slightly staggered vertically and
        // given out of order; a face a little higher on the right still reads after its
        // left neighbour.
        let boxes = [
            b(400.0, 310.0, 100.0), // row 2, right
            b(10.0, 12.0, 100.0),   // row 1, left
            b(210.0, 0.0, 100.0),   // row 1, middle (a bit higher than the left one)
            b(10.0, 290.0, 100.0),  // row 2, left
            b(400.0, 30.0, 100.0),  // row 1, right (a bit lower)
            b(200.0, 300.0, 100.0), // row 2, middle
        ];
        assert_eq!(reading_order_indices(&boxes), [1, 2, 4, 3, 5, 0]);
    }

    #[test]
    fn a_diagonal_does_not_chain_into_one_row() {
        // Down and to the left, each face 40 px below the previous one: neighbours are
        // under half a height apart, but the third is 80 px below the first. Chained into
        // one row they would read right to left ([2, 1, 0]).
        let boxes = [
            b(300.0, 0.0, 100.0),
            b(200.0, 40.0, 100.0),
            b(100.0, 80.0, 100.0),
        ];
        assert_eq!(reading_order_indices(&boxes), [1, 0, 2]);
    }

    #[test]
    fn order_ignores_scores_and_input_order() {
        let faces: Vec<DetectedFace> = [(b(300.0, 0.0, 50.0), 0.9), (b(0.0, 5.0, 50.0), 0.8)]
            .into_iter()
            .map(|(face_box, score)| DetectedFace {
                face_box,
                score,
                landmarks: crate::geometry::Landmarks::from_interleaved(&[0.0; 10]),
            })
            .collect();
        let mut a = faces.clone();
        let mut swapped: Vec<DetectedFace> = faces.iter().rev().copied().collect();
        swapped[0].score = 0.1;
        reading_order(&mut a);
        reading_order(&mut swapped);
        assert_eq!(a[0].face_box, faces[1].face_box);
        assert_eq!(swapped[0].face_box, faces[1].face_box);
        assert!(reading_order_indices(&[]).is_empty());
    }
}
