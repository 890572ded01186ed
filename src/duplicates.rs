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

/// Per pair of splits `(k, l)`, `k < l`: overlapping pairs of items across
/// them, and of those the pairs at or above the IoU threshold.
pub type LeakCounts = std::collections::BTreeMap<(u16, u16), (usize, usize)>;

/// Items of the same role with bit-identical footprints (bbox, and real
/// geometry when kept): a time series of one tile is one group. Every pair
/// inside a group has the same IoU, and every pair across two groups too, so
/// pairs are counted per group instead of being listed, which keeps the
/// overlap stage linear in items when many share a footprint.
#[derive(Debug, Clone)]
pub struct FootprintGroups {
    /// Members of each group, ascending; groups ordered by their first member.
    pub members: Vec<Vec<usize>>,
    /// The IoU of two members of the group (0 when the footprint has no area).
    pub self_iou: Vec<f64>,
    /// Pairs of groups whose footprints overlap with positive area, `a < b`
    /// as group numbers, sorted.
    pub overlaps: Vec<Overlap>,
}

/// The exact identity of an item's footprint: its bbox's bits, and its kept
/// geometry's coordinates' bits (empty when only the bbox is kept).
pub(crate) type FootprintKey = ([u64; 4], Vec<u64>);

/// The [`FootprintKey`] of an item with a bbox.
pub(crate) fn footprint_key(item: &crate::catalog::ItemRecord) -> Option<FootprintKey> {
    let b = item.bbox?;
    // `+ 0.0` folds -0.0 into 0.0 so equal numbers have equal bits.
    let bits = |v: f64| (v + 0.0).to_bits();
    let shape: Vec<u64> = match &item.footprint {
        // The leading 1 tells a kept (even empty) footprint from none.
        Some(footprint) => std::iter::once(1)
            .chain(footprint.0.iter().flat_map(|polygon| {
                std::iter::once(polygon.exterior())
                    .chain(polygon.interiors())
                    .flat_map(|ring| ring.0.iter().flat_map(|c| [bits(c.x), bits(c.y)]).chain([u64::MAX]))
            }))
            .collect(),
        None => Vec::new(),
    };
    Some((b.map(bits), shape))
}

impl FootprintGroups {
    /// Groups the items with a bbox and finds overlapping groups through an
    /// R-tree over one representative per group.
    pub fn new(dataset: &Dataset) -> Self {
        let items = &dataset.items;
        let mut by_key: HashMap<(bool, FootprintKey), usize> = HashMap::new();
        let mut members: Vec<Vec<usize>> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let Some(key) = footprint_key(item) else { continue };
            let key = (item.is_label(), key);
            let next = members.len();
            let group = *by_key.entry(key).or_insert(next);
            if group == next {
                members.push(Vec::new());
            }
            members[group].push(i);
        }
        drop(by_key);
        let representatives: Vec<usize> = members.iter().map(|m| m[0]).collect();
        let self_iou: Vec<f64> = representatives.par_iter().map(|&r| iou(&items[r], &items[r])).collect();
        let index = SpatialIndex::of(dataset, &representatives);
        let mut group_of: HashMap<usize, usize> = HashMap::with_capacity(representatives.len());
        group_of.extend(representatives.iter().enumerate().map(|(g, &r)| (r, g)));
        let mut overlaps: Vec<Overlap> = (0..representatives.len())
            .into_par_iter()
            .flat_map_iter(|g| {
                let a = representatives[g];
                let hits = items[a].bbox.map(|b| index.touching(&b)).unwrap_or_default();
                let (items, group_of) = (items, &group_of);
                hits.into_iter().filter(move |&b| b != a && items[a].is_label() == items[b].is_label()).filter_map(
                    move |b| {
                        let h = group_of[&b];
                        if h <= g {
                            return None;
                        }
                        let iou = iou(&items[a], &items[b]);
                        (iou > 0.0).then_some(Overlap { a: g, b: h, iou })
                    },
                )
            })
            .collect();
        overlaps.sort_by_key(|o| (o.a, o.b));
        FootprintGroups { members, self_iou, overlaps }
    }

    /// Pairs of items with IoU at or above `threshold`, counted, not listed.
    pub fn pairs_at_or_above(&self, threshold: f64) -> usize {
        let within: usize = (0..self.members.len())
            .filter(|&g| self.self_iou[g] >= threshold)
            .map(|g| self.members[g].len() * (self.members[g].len() - 1) / 2)
            .sum();
        let across: usize = self
            .overlaps
            .iter()
            .filter(|o| o.iou >= threshold)
            .map(|o| self.members[o.a].len() * self.members[o.b].len())
            .sum();
        within + across
    }

    /// Clusters of items joined by pairs with IoU ≥ `threshold`, as
    /// [`clusters`] gives them: each sorted, ordered by their first item.
    pub fn clusters(&self, threshold: f64) -> Vec<Vec<usize>> {
        let groups = self.members.len();
        let mut sets = UnionFind::new(groups);
        let mut involved: Vec<bool> =
            (0..groups).map(|g| self.self_iou[g] >= threshold && self.members[g].len() > 1).collect();
        for o in self.overlaps.iter().filter(|o| o.iou >= threshold) {
            sets.union(o.a, o.b);
            involved[o.a] = true;
            involved[o.b] = true;
        }
        let mut clusters: HashMap<usize, Vec<usize>> = HashMap::new();
        for g in (0..groups).filter(|&g| involved[g]) {
            clusters.entry(sets.find(g)).or_default().extend(&self.members[g]);
        }
        let mut clusters: Vec<Vec<usize>> = clusters.into_values().collect();
        for cluster in &mut clusters {
            cluster.sort_unstable();
        }
        clusters.sort_unstable_by_key(|c| c[0]);
        clusters
    }

    /// Leakage: per pair of splits `(k, l)`, `k < l`, the overlapping pairs
    /// of items in those two splits and how many have IoU ≥ `threshold`;
    /// and the first `examples` such pairs in (a, b) order, as
    /// [`overlaps`] would list them.
    pub fn leakage(&self, split_of: &[Option<u16>], threshold: f64, examples: usize) -> (LeakCounts, Vec<Overlap>) {
        let mut per_pair = LeakCounts::new();
        // Members per split, per group.
        let counts: Vec<std::collections::BTreeMap<u16, usize>> = self
            .members
            .iter()
            .map(|m| {
                let mut c = std::collections::BTreeMap::new();
                for &i in m {
                    if let Some(s) = split_of[i] {
                        *c.entry(s).or_insert(0) += 1;
                    }
                }
                c
            })
            .collect();
        let mut add = |g: &std::collections::BTreeMap<u16, usize>,
                       h: &std::collections::BTreeMap<u16, usize>,
                       same: bool,
                       above: bool| {
            for (&k, &n) in g {
                for (&l, &m) in h {
                    if k == l || (same && k > l) {
                        continue;
                    }
                    let entry = per_pair.entry((k.min(l), k.max(l))).or_default();
                    entry.0 += n * m;
                    if above {
                        entry.1 += n * m;
                    }
                }
            }
        };
        for (g, count) in counts.iter().enumerate() {
            if self.self_iou[g] > 0.0 {
                add(count, count, true, self.self_iou[g] >= threshold);
            }
        }
        for o in &self.overlaps {
            add(&counts[o.a], &counts[o.b], false, o.iou >= threshold);
        }
        (per_pair, self.first_leaks(split_of, examples))
    }

    /// The first `limit` overlapping pairs (a < b, ascending) whose items are
    /// in different splits, found without listing same-split pairs: for each
    /// item, the candidates are the next members of each other split in its
    /// own and each overlapping group.
    fn first_leaks(&self, split_of: &[Option<u16>], limit: usize) -> Vec<Overlap> {
        if limit == 0 {
            return Vec::new();
        }
        let groups = self.members.len();
        // Per group: its overlapping groups with the IoU, itself first when its footprint has area.
        let mut neighbours: Vec<Vec<(usize, f64)>> = (0..groups)
            .map(|g| if self.self_iou[g] > 0.0 { vec![(g, self.self_iou[g])] } else { Vec::new() })
            .collect();
        for o in &self.overlaps {
            neighbours[o.a].push((o.b, o.iou));
            neighbours[o.b].push((o.a, o.iou));
        }
        // Per group, per split: members ascending.
        let by_split: Vec<std::collections::BTreeMap<u16, Vec<usize>>> = self
            .members
            .iter()
            .map(|m| {
                let mut c: std::collections::BTreeMap<u16, Vec<usize>> = Default::default();
                for &i in m {
                    if let Some(s) = split_of[i] {
                        c.entry(s).or_default().push(i);
                    }
                }
                c
            })
            .collect();
        let mut order: Vec<(usize, usize)> = Vec::new();
        for (g, m) in self.members.iter().enumerate() {
            order.extend(m.iter().map(|&i| (i, g)));
        }
        order.sort_unstable();
        let mut found = Vec::new();
        for (a, g) in order {
            let Some(sa) = split_of[a] else { continue };
            let mut candidates: Vec<(usize, f64)> = Vec::new();
            for &(h, iou) in &neighbours[g] {
                for (&s, list) in &by_split[h] {
                    if s == sa {
                        continue;
                    }
                    let start = list.partition_point(|&b| b <= a);
                    candidates.extend(list[start..].iter().take(limit - found.len()).map(|&b| (b, iou)));
                }
            }
            candidates.sort_unstable_by_key(|c| c.0);
            for (b, iou) in candidates.into_iter().take(limit - found.len()) {
                found.push(Overlap { a, b, iou });
            }
            if found.len() >= limit {
                break;
            }
        }
        found
    }
}
