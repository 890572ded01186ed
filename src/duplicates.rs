//! Spatial duplicates and split leakage.
//!
//! - exact: EOTDL's metric, non-label items whose bbox equals an earlier
//!   item's bbox, "earlier" meaning dataset order (collection walk order, then
//!   item id);
//! - near: pairs of the same role whose footprints overlap with IoU at or
//!   above a threshold, found through the R-tree and refined on real
//!   geometries where an item has one; grouped into clusters;
//! - leakage: pairs of the same role in different splits whose footprints
//!   overlap with positive area.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::catalog::Dataset;
use crate::geometry::iou;
use crate::index::SpatialIndex;
use crate::union_find::UnionFind;

/// One exact duplicate: `item` has the same bbox as the earlier `duplicate_of`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExactDuplicate {
    /// Index of the later item.
    pub item: usize,
    /// Index of the first item with that bbox.
    pub duplicate_of: usize,
}

/// EOTDL's spatial-duplicates metric.
pub fn exact(dataset: &Dataset) -> Vec<ExactDuplicate> {
    let mut first: HashMap<[u64; 4], usize> = HashMap::new();
    let mut found = Vec::new();
    for (i, item) in dataset.items.iter().enumerate() {
        if item.is_label() {
            continue;
        }
        let Some(b) = item.bbox else { continue };
        // `+ 0.0` folds -0.0 into 0.0 so equal numbers have equal bits.
        let key = b.map(|v| (v + 0.0).to_bits());
        match first.get(&key) {
            Some(&earlier) => found.push(ExactDuplicate { item: i, duplicate_of: earlier }),
            None => {
                first.insert(key, i);
            }
        }
    }
    found
}

/// A pair of overlapping items, `a < b`, with their overlap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overlap {
    /// The first item's index.
    pub a: usize,
    /// The second item's index.
    pub b: usize,
    /// Intersection over union of their footprints.
    pub iou: f64,
}

/// Every pair of items of the same role (label or not) whose footprints
/// overlap with positive area, sorted by (a, b).
pub fn overlaps(dataset: &Dataset, index: &SpatialIndex) -> Vec<Overlap> {
    let items = &dataset.items;
    let mut pairs: Vec<Overlap> = (0..items.len())
        .into_par_iter()
        .flat_map_iter(|a| {
            let hits = match items[a].bbox {
                Some(b) => index.touching(&b),
                None => Vec::new(),
            };
            hits.into_iter().filter(move |&b| b > a && items[a].is_label() == items[b].is_label()).filter_map(
                move |b| {
                    let iou = iou(&items[a], &items[b]);
                    (iou > 0.0).then_some(Overlap { a, b, iou })
                },
            )
        })
        .collect();
    pairs.sort_by_key(|o| (o.a, o.b));
    pairs
}

/// Clusters of items joined by pairs with IoU ≥ `threshold`; each cluster
/// sorted, clusters ordered by their first item.
pub fn clusters(n: usize, pairs: &[Overlap], threshold: f64) -> Vec<Vec<usize>> {
    let mut sets = UnionFind::new(n);
    let mut involved = Vec::new();
    for pair in pairs.iter().filter(|p| p.iou >= threshold) {
        sets.union(pair.a, pair.b);
        involved.extend([pair.a, pair.b]);
    }
    involved.sort_unstable();
    involved.dedup();
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in involved {
        groups.entry(sets.find(i)).or_default().push(i);
    }
    let mut groups: Vec<Vec<usize>> = groups.into_values().collect();
    groups.sort_unstable_by_key(|g| g[0]);
    groups
}
