//! An R-tree over item envelopes, bulk-loaded once and shared by the
//! duplicate, leakage and spatial-split stages.

use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::catalog::{Bbox, Dataset};
use crate::geometry::parts;

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// The envelopes of every item that has a bbox.
pub struct SpatialIndex {
    tree: RTree<Entry>,
}

impl SpatialIndex {
    /// Bulk-loads the envelopes of all items with a bbox.
    pub fn new(dataset: &Dataset) -> Self {
        let entries: Vec<Entry> = dataset
            .items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| item.bbox.map(|b| (i, b)))
            .flat_map(|(i, b)| {
                parts(&b).map(move |p| GeomWithData::new(Rectangle::from_corners([p[0], p[1]], [p[2], p[3]]), i))
            })
            .collect();
        SpatialIndex { tree: RTree::bulk_load(entries) }
    }

    /// Bulk-loads the envelopes of the given items (those with a bbox).
    pub fn of(dataset: &Dataset, items: &[usize]) -> Self {
        let entries: Vec<Entry> = items
            .iter()
            .filter_map(|&i| dataset.items[i].bbox.map(|b| (i, b)))
            .flat_map(|(i, b)| {
                parts(&b).map(move |p| GeomWithData::new(Rectangle::from_corners([p[0], p[1]], [p[2], p[3]]), i))
            })
            .collect();
        SpatialIndex { tree: RTree::bulk_load(entries) }
    }

    /// Indices of items whose envelope touches `bbox`, sorted, without repeats.
    pub fn touching(&self, bbox: &Bbox) -> Vec<usize> {
        let mut hits: Vec<usize> = parts(bbox)
            .flat_map(|p| {
                let envelope = AABB::from_corners([p[0], p[1]], [p[2], p[3]]);
                self.tree.locate_in_envelope_intersecting(&envelope).map(|e| e.data).collect::<Vec<_>>()
            })
            .collect();
        // R-tree hit order is not stable; sorting makes every caller deterministic.
        hits.sort_unstable();
        hits.dedup();
        hits
    }
}
