//! Which views of a photo the detector looks at.
//!
//! One global view of the whole photo, padded by a quarter of its size on every side
//! (a face filling the photo is otherwise missed), and one plain letterboxed view of it
//! (a large face cut by the photo's edge is otherwise missed: beside the padding's black
//! border the selfie's edge face scores 0.46, plainly letterboxed 0.83; in tiled photos the
//! detector runs it only on a hint from the padded view, `EDGE_HINT_SCORE`). When the
//! global views shrink the smallest face we promise to find below what YuNet can see,
//! tiles at a higher scale follow.

use super::view::{View, ViewKind};

/// The smallest face, in detector-input pixels, that YuNet finds reliably (measured: faces
/// with their surroundings are found from 8 px at scores ≥ 0.83).
pub const DETECTABLE_PX: f32 = 10.0;

/// Padding of the global view, as a fraction of the photo's longer side.
const GLOBAL_PAD: f32 = 0.25;

pub fn plan_views(width: u32, height: u32, input_size: u32, min_face_px: f32) -> Vec<View> {
    let (w, h) = (width as f32, height as f32);
    let long = w.max(h);
    let pad = GLOBAL_PAD * long;
    let padded = View {
        x0: -pad,
        y0: -pad,
        width: w + 2.0 * pad,
        height: h + 2.0 * pad,
        kind: ViewKind::Padded,
    };
    let plain = View {
        x0: 0.0,
        y0: 0.0,
        width: w,
        height: h,
        kind: ViewKind::Plain,
    };
    let global_scale = input_size as f32 / (long + 2.0 * pad);
    let mut views = vec![padded, plain];
    if min_face_px * global_scale >= DETECTABLE_PX {
        return views;
    }
    // Tiles at the scale that makes a `min_face_px` face detectable, never upsampling.
    let tile_scale = (DETECTABLE_PX / min_face_px.max(1.0)).min(1.0);
    let tile = input_size as f32 / tile_scale;
    if tile >= long {
        // The plain view is at that scale already.
        return views;
    }
    // Faces the global view misses are smaller than this; tiles overlap by at least that.
    let missed_max = 2.0 * DETECTABLE_PX / global_scale;
    let overlap = missed_max.min(tile / 2.0);
    let step = tile - overlap;
    let starts = |extent: f32| -> Vec<f32> {
        if extent <= tile {
            return vec![0.0];
        }
        let n = ((extent - tile) / step).ceil() as usize + 1;
        let last = extent - tile;
        (0..n).map(|i| (i as f32 * step).min(last)).collect()
    };
    for y0 in starts(h) {
        for x0 in starts(w) {
            views.push(View {
                x0,
                y0,
                width: tile.min(w),
                height: tile.min(h),
                kind: ViewKind::Tile,
            });
        }
    }
    views
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_photo_has_the_padded_and_the_plain_view() {
        let kinds: Vec<ViewKind> = plan_views(300, 200, 640, 20.0)
            .iter()
            .map(|v| v.kind)
            .collect();
        assert_eq!(kinds, [ViewKind::Padded, ViewKind::Plain]);
    }

    #[test]
    fn large_photo_is_tiled_and_tiles_cover_it() {
        let views = plan_views(4352, 2903, 640, 20.0);
        assert!(views.len() > 2);
        let tiles: Vec<&View> = views.iter().filter(|v| v.is_tile()).collect();
        // Every pixel of the photo lies in some tile.
        for (x, y) in [
            (0.0, 0.0),
            (4351.0, 2902.0),
            (2176.0, 1451.0),
            (4351.0, 0.0),
        ] {
            assert!(tiles
                .iter()
                .any(|t| x >= t.x0 && x < t.x0 + t.width && y >= t.y0 && y < t.y0 + t.height));
        }
        // A tile shows a 20 px face at a detectable size.
        let scale = 640.0 / tiles[0].width.max(tiles[0].height);
        assert!(20.0 * scale >= DETECTABLE_PX - 0.01);
    }
}
