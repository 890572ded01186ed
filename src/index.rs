//! An R-tree over item envelopes, bulk-loaded once and shared by the
//! duplicate, leakage and spatial-split stages.

use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::catalog::{Bbox, Dataset};
use crate::geometry::parts;

/// An envelope in `f32` with a `u32` item number: 48 bytes a node of the
/// tree where `f64` and `usize` took 64, which at ten million items was the
/// largest thing the metrics stage held. Rounding every coordinate the same
/// monotone way keeps each pair of envelopes that touch in `f64` touching in
/// `f32`, so a query finds a superset of the touching items; callers keep
/// the hits whose bboxes [`touch`] in `f64`, which is what an `f64` tree
/// would have found.
type Entry = GeomWithData<Rectangle<[f32; 2]>, u32>;

/// `v` in `f32`, rounded to nearest and kept finite: monotone in `v`.
fn narrow(v: f64) -> f32 {
    (v as f32).clamp(f32::MIN, f32::MAX)
}

fn envelope(p: &Bbox) -> ([f32; 2], [f32; 2]) {
    ([narrow(p[0]), narrow(p[1])], [narrow(p[2]), narrow(p[3])])
}

/// True when two bboxes (either may cross the antimeridian) touch or
/// overlap, edges included.
pub fn touch(a: &Bbox, b: &Bbox) -> bool {
    parts(a).any(|p| parts(b).any(|q| p[0] <= q[2] && q[0] <= p[2] && p[1] <= q[3] && q[1] <= p[3]))
}

/// The envelopes of every item that has a bbox.
pub struct SpatialIndex {
    tree: RTree<Entry>,
}

impl SpatialIndex {
    /// Bulk-loads the envelopes of all items with a bbox.
    pub fn new(dataset: &Dataset) -> Self {
        Self::of(dataset, &(0..dataset.items.len()).collect::<Vec<_>>())
    }

    /// Bulk-loads the envelopes of the given items (those with a bbox).
    pub fn of(dataset: &Dataset, items: &[usize]) -> Self {
        Self::numbered(dataset, items.iter().map(|&i| (i as u32, i)))
    }

    /// Bulk-loads the envelopes of the given items (those with a bbox), each
    /// under its number, which [`SpatialIndex::touching`] then returns: a
    /// group's number for an index of one item per group.
    pub fn numbered(dataset: &Dataset, items: impl Iterator<Item = (u32, usize)>) -> Self {
        let entries: Vec<Entry> = items
            .filter_map(|(number, i)| dataset.items[i].bbox.map(|b| (number, b)))
            .flat_map(|(number, b)| {
                parts(&b).map(move |p| {
                    let (low, high) = envelope(&p);
                    GeomWithData::new(Rectangle::from_corners(low, high), number)
                })
            })
            .collect();
        SpatialIndex { tree: RTree::bulk_load(entries) }
    }

    /// Numbers of the items whose envelope touches `bbox` (their indices,
    /// unless built [`SpatialIndex::numbered`]), sorted, without repeats: a
    /// superset of those whose bbox does, see [`touch`].
    pub fn touching(&self, bbox: &Bbox) -> Vec<usize> {
        let mut hits: Vec<usize> = parts(bbox)
            .flat_map(|p| {
                let (low, high) = envelope(&p);
                let envelope = AABB::from_corners(low, high);
                self.tree.locate_in_envelope_intersecting(&envelope).map(|e| e.data as usize).collect::<Vec<_>>()
            })
            .collect();
        // R-tree hit order is not stable; sorting makes every caller deterministic.
        hits.sort_unstable();
        hits.dedup();
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ItemRecord;

    #[test]
    fn touching_finds_every_envelope_that_touches_in_f64() {
        // Boxes on a fine grid, so edges meet exactly or miss by less than
        // an f32 step; some cross the antimeridian.
        let mut state = 7u64;
        let mut next = move || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let boxes: Vec<Bbox> = (0..2000)
            .map(|k| {
                let x = 170.0 + (next() * 100.0).floor() / 10.0;
                let y = 40.0 + (next() * 100.0).floor() / 10.0;
                let (w, h) = (0.1 * (1.0 + (next() * 3.0).floor()), 0.1 + [0.0, 1e-12, -1e-12][k % 3]);
                let east = if x + w > 180.0 { x + w - 360.0 } else { x + w };
                [x, y, east, y + h]
            })
            .collect();
        let items: Vec<ItemRecord> =
            boxes.iter().map(|&b| ItemRecord { bbox: Some(b), ..Default::default() }).collect();
        let dataset = Dataset::of_items("root", items);
        let index = SpatialIndex::new(&dataset);
        let mut found = 0;
        for a in &boxes {
            let hits = index.touching(a);
            for (j, b) in boxes.iter().enumerate() {
                if touch(a, b) {
                    assert!(hits.binary_search(&j).is_ok(), "{a:?} touches {b:?} but was not found");
                    found += 1;
                }
            }
        }
        assert!(found > 5000, "the boxes should touch often: {found}");
    }
}
