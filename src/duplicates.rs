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

use crate::catalog::{Dataset, ItemRecord};
use crate::geometry::iou;
use crate::index::{SpatialIndex, touch};
use crate::union_find::{Groups, UnionFind};

/// One exact duplicate: `item` has the same bbox as the earlier `duplicate_of`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExactDuplicate {
    /// Index of the later item.
    pub item: usize,
    /// Index of the first item with that bbox.
    pub duplicate_of: usize,
}

/// EOTDL's spatial-duplicates metric: each non-label item whose bbox equals
/// an earlier one's, in item order. Found by sorting item numbers by bbox
/// (four bytes an item) rather than hashing every bbox: the hash map of ten
/// million bboxes was the largest thing the metrics stage held.
pub fn exact(dataset: &Dataset) -> Vec<ExactDuplicate> {
    let items = &dataset.items;
    // `+ 0.0` folds -0.0 into 0.0 so equal numbers have equal bits.
    let key = |i: u32| items[i as usize].bbox.map(|b| b.map(|v| (v + 0.0).to_bits()));
    let mut order: Vec<u32> =
        (0..items.len() as u32).filter(|&i| !items[i as usize].is_label() && key(i).is_some()).collect();
    order.par_sort_unstable_by(|&a, &b| key(a).cmp(&key(b)).then(a.cmp(&b)));
    let mut found: Vec<ExactDuplicate> = order
        .chunk_by(|&a, &b| key(a) == key(b))
        .flat_map(|run| {
            let first = run[0] as usize;
            run[1..].iter().map(move |&i| ExactDuplicate { item: i as usize, duplicate_of: first })
        })
        .collect();
    found.sort_unstable_by_key(|d| d.item);
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
                    if !touch(&items[a].bbox?, &items[b].bbox?) {
                        return None;
                    }
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
    let groups = sets.groups(&involved);
    groups.iter().map(|g| g.iter().map(|&i| i as usize).collect()).collect()
}

/// Per pair of splits `(k, l)`, `k < l`: overlapping pairs of items across
/// them, and of those the pairs at or above the IoU threshold.
pub type LeakCounts = std::collections::BTreeMap<(u16, u16), (usize, usize)>;

/// Orders items by footprint: role (when `by_role`), bbox bits, then the
/// kept geometry's coordinate bits. Equal means bit-identical footprints.
fn footprint_cmp(a: &ItemRecord, b: &ItemRecord, by_role: bool) -> std::cmp::Ordering {
    // `+ 0.0` folds -0.0 into 0.0 so equal numbers have equal bits.
    let bits = |v: f64| (v + 0.0).to_bits();
    fn shape(item: &ItemRecord) -> impl Iterator<Item = u64> + '_ {
        let bits = |v: f64| (v + 0.0).to_bits();
        // The leading 1 tells a kept (even empty) footprint from none.
        item.footprint.iter().flat_map(move |footprint| {
            std::iter::once(1).chain(footprint.0.iter().flat_map(move |polygon| {
                std::iter::once(polygon.exterior())
                    .chain(polygon.interiors())
                    .flat_map(move |ring| ring.0.iter().flat_map(move |c| [bits(c.x), bits(c.y)]).chain([u64::MAX]))
            }))
        })
    }
    let role = if by_role { a.is_label().cmp(&b.is_label()) } else { std::cmp::Ordering::Equal };
    role.then_with(|| a.bbox.map(|x| x.map(bits)).cmp(&b.bbox.map(|x| x.map(bits))))
        .then_with(|| shape(a).cmp(shape(b)))
}

/// Groups the `candidates` that have a bbox by bit-identical footprint (and
/// role, when `by_role`), by sorting: no key is built, so memory stays a few
/// bytes per item.
pub(crate) fn group_footprints(items: &[ItemRecord], candidates: Vec<u32>, by_role: bool) -> Groups {
    let mut order: Vec<u32> = candidates.into_iter().filter(|&i| items[i as usize].bbox.is_some()).collect();
    let cmp = |a: u32, b: u32| footprint_cmp(&items[a as usize], &items[b as usize], by_role);
    order.par_sort_unstable_by(|&a, &b| cmp(a, b).then(a.cmp(&b)));
    let mut runs: Vec<(u32, u32)> = Vec::new();
    let mut start = 0;
    for k in 1..=order.len() {
        if k == order.len() || cmp(order[k - 1], order[k]).is_ne() {
            runs.push((start as u32, k as u32));
            start = k;
        }
    }
    runs.par_sort_unstable_by_key(|&(s, _)| order[s as usize]);
    let mut members = Vec::with_capacity(order.len());
    let mut starts = Vec::with_capacity(runs.len() + 1);
    starts.push(0);
    for (s, e) in runs {
        members.extend_from_slice(&order[s as usize..e as usize]);
        starts.push(members.len() as u32);
    }
    Groups::new(members, starts)
}

/// Items of the same role with bit-identical footprints (bbox, and real
/// geometry when kept): a time series of one tile is one group. Every pair
/// inside a group has the same IoU, and every pair across two groups too, so
/// pairs are counted per group instead of being listed, which keeps the
/// overlap stage linear in items when many share a footprint.
#[derive(Debug, Clone)]
pub struct FootprintGroups {
    /// The groups.
    pub groups: Groups,
    /// The IoU of two members of the group (0 when the footprint has no area).
    pub self_iou: Vec<f64>,
    /// Pairs of groups whose footprints overlap with positive area, `a < b`
    /// as group numbers, sorted.
    pub overlaps: Vec<Overlap>,
}

impl FootprintGroups {
    /// Groups the items with a bbox and finds overlapping groups through an
    /// R-tree over one representative per group.
    pub fn new(dataset: &Dataset) -> Self {
        let items = &dataset.items;
        let groups = group_footprints(items, (0..items.len() as u32).collect(), true);
        let self_iou: Vec<f64> = (0..groups.len())
            .into_par_iter()
            .map(|g| {
                let r = groups.first(g);
                iou(&items[r], &items[r])
            })
            .collect();
        // One envelope per group, found by group number.
        let index = SpatialIndex::numbered(dataset, (0..groups.len()).map(|g| (g as u32, groups.first(g))));
        let groups_ref = &groups;
        let mut overlaps: Vec<Overlap> = (0..groups.len())
            .into_par_iter()
            .flat_map_iter(|g| {
                let a = groups_ref.first(g);
                let bbox = items[a].bbox;
                let hits = bbox.map(|b| index.touching(&b)).unwrap_or_default();
                hits.into_iter().filter(move |&h| h > g).filter_map(move |h| {
                    let b = groups_ref.first(h);
                    if items[a].is_label() != items[b].is_label() || !touch(&bbox?, &items[b].bbox?) {
                        return None;
                    }
                    let iou = iou(&items[a], &items[b]);
                    (iou > 0.0).then_some(Overlap { a: g, b: h, iou })
                })
            })
            .collect();
        overlaps.sort_by_key(|o| (o.a, o.b));
        FootprintGroups { groups, self_iou, overlaps }
    }

    /// Pairs of items with IoU at or above `threshold`, counted, not listed.
    pub fn pairs_at_or_above(&self, threshold: f64) -> usize {
        let size = |g: usize| self.groups.get(g).len();
        let within: usize = (0..self.groups.len())
            .filter(|&g| self.self_iou[g] >= threshold)
            .map(|g| size(g) * (size(g) - 1) / 2)
            .sum();
        let across: usize = self.overlaps.iter().filter(|o| o.iou >= threshold).map(|o| size(o.a) * size(o.b)).sum();
        within + across
    }

    /// Clusters of items joined by pairs with IoU ≥ `threshold`, as
    /// [`clusters`] gives them: each sorted, ordered by their first item.
    pub fn clusters(&self, threshold: f64) -> Vec<Vec<usize>> {
        let groups = self.groups.len();
        let mut sets = UnionFind::new(groups);
        let mut involved: Vec<bool> =
            (0..groups).map(|g| self.self_iou[g] >= threshold && self.groups.get(g).len() > 1).collect();
        for o in self.overlaps.iter().filter(|o| o.iou >= threshold) {
            sets.union(o.a, o.b);
            involved[o.a] = true;
            involved[o.b] = true;
        }
        let mut clusters: HashMap<usize, Vec<usize>> = HashMap::new();
        for g in (0..groups).filter(|&g| involved[g]) {
            clusters.entry(sets.find(g)).or_default().extend(self.groups.get(g).iter().map(|&i| i as usize));
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
        let per_pair = self.leak_counts(split_of, threshold);
        (per_pair, self.first_leaks(split_of, examples))
    }

    fn leak_counts(&self, split_of: &[Option<u16>], threshold: f64) -> LeakCounts {
        let mut per_pair = LeakCounts::new();
        // Members per split, per group, in compressed form like the groups.
        let mut counts: Vec<(u16, u32)> = Vec::new();
        let mut starts: Vec<u32> = Vec::with_capacity(self.groups.len() + 1);
        let mut splits: Vec<u16> = Vec::new();
        starts.push(0);
        for g in 0..self.groups.len() {
            splits.clear();
            splits.extend(self.groups.get(g).iter().filter_map(|&i| split_of[i as usize]));
            splits.sort_unstable();
            for chunk in splits.chunk_by(|a, b| a == b) {
                counts.push((chunk[0], chunk.len() as u32));
            }
            starts.push(counts.len() as u32);
        }
        let of = |g: usize| &counts[starts[g] as usize..starts[g + 1] as usize];
        let mut add = |g: &[(u16, u32)], h: &[(u16, u32)], same: bool, above: bool| {
            for &(k, n) in g {
                for &(l, m) in h {
                    if k == l || (same && k > l) {
                        continue;
                    }
                    let pairs = n as usize * m as usize;
                    let entry = per_pair.entry((k.min(l), k.max(l))).or_default();
                    entry.0 += pairs;
                    if above {
                        entry.1 += pairs;
                    }
                }
            }
        };
        for g in 0..self.groups.len() {
            if self.self_iou[g] > 0.0 {
                add(of(g), of(g), true, self.self_iou[g] >= threshold);
            }
        }
        for o in &self.overlaps {
            add(of(o.a), of(o.b), false, o.iou >= threshold);
        }
        per_pair
    }

    /// The first `limit` pairs of items in different splits whose footprints
    /// overlap, in (a, b) order. Every table here is four bytes a group or an
    /// item (twelve a run): at ten million items the first version, in
    /// `usize`, was the largest thing the metrics stage held.
    fn first_leaks(&self, split_of: &[Option<u16>], limit: usize) -> Vec<Overlap> {
        if limit == 0 {
            return Vec::new();
        }
        let groups = self.groups.len();
        // Per group: its neighbours, as an overlap's number or `ITSELF` when
        // its own footprint has area; compressed like the groups.
        const ITSELF: u32 = u32::MAX;
        // Every count below fits: 2^31 overlaps would take 50 GB as
        // `Overlap`s before this point.
        let neighbours_total = groups + 2 * self.overlaps.len();
        assert!(u32::try_from(neighbours_total).is_ok_and(|n| n < ITSELF), "{neighbours_total} neighbours");
        let mut starts = vec![0u32; groups + 1];
        for g in (0..groups).filter(|&g| self.self_iou[g] > 0.0) {
            starts[g + 1] += 1;
        }
        for o in &self.overlaps {
            starts[o.a + 1] += 1;
            starts[o.b + 1] += 1;
        }
        for g in 0..groups {
            starts[g + 1] += starts[g];
        }
        let mut neighbours = vec![0u32; starts[groups] as usize];
        {
            let mut next = starts.clone();
            let mut put = |g: usize, neighbour: u32| {
                neighbours[next[g] as usize] = neighbour;
                next[g] += 1;
            };
            for g in (0..groups).filter(|&g| self.self_iou[g] > 0.0) {
                put(g, ITSELF);
            }
            for (k, o) in self.overlaps.iter().enumerate() {
                put(o.a, k as u32);
                put(o.b, k as u32);
            }
        }
        let neighbour = |g: usize, n: u32| -> (usize, f64) {
            if n == ITSELF {
                return (g, self.self_iou[g]);
            }
            let o = &self.overlaps[n as usize];
            (if o.a == g { o.b } else { o.a }, o.iou)
        };
        // Per group: members by (split, item), so each split's are a run,
        // and the runs themselves, (split, start, end) in `by_split`, found
        // once: walking a large group's members per item would be quadratic.
        let mut by_split = self.groups.members().to_vec();
        let mut group_of = vec![u32::MAX; split_of.len()];
        let mut runs: Vec<(u16, u32, u32)> = Vec::new();
        let mut run_starts: Vec<u32> = Vec::with_capacity(groups + 1);
        run_starts.push(0);
        for g in 0..groups {
            let range = self.groups.range(g);
            by_split[range.clone()].sort_unstable_by_key(|&i| (split_of[i as usize], i));
            let mut at = range.start;
            for run in by_split[range.clone()].chunk_by(|x, y| split_of[*x as usize] == split_of[*y as usize]) {
                if let Some(s) = split_of[run[0] as usize] {
                    runs.push((s, at as u32, (at + run.len()) as u32));
                }
                at += run.len();
            }
            run_starts.push(runs.len() as u32);
            for &i in self.groups.get(g) {
                group_of[i as usize] = g as u32;
            }
        }
        let mut found = Vec::new();
        for a in 0..split_of.len() {
            let g = group_of[a] as usize;
            let Some(sa) = split_of[a] else { continue };
            if g == u32::MAX as usize {
                continue;
            }
            let mut candidates: Vec<(usize, f64)> = Vec::new();
            for &n in &neighbours[starts[g] as usize..starts[g + 1] as usize] {
                let (h, iou) = neighbour(g, n);
                for &(s, from, to) in &runs[run_starts[h] as usize..run_starts[h + 1] as usize] {
                    if s == sa {
                        continue;
                    }
                    let run = &by_split[from as usize..to as usize];
                    let start = run.partition_point(|&b| b as usize <= a);
                    candidates.extend(run[start..].iter().take(limit - found.len()).map(|&b| (b as usize, iou)));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{ItemRecord, LabelInfo};

    fn dataset(items: Vec<ItemRecord>) -> Dataset {
        Dataset::of_items("root", items)
    }

    #[test]
    fn bboxes_apart_in_f64_do_not_overlap_whatever_their_footprints() {
        // Two footprints that overlap, each reaching past its bbox; the
        // bboxes miss each other by less than an f32 step, so the f32 index
        // finds the pair, and only the f64 bboxes can leave it out, as an
        // f64 index would have.
        let square = |x0: f64, x1: f64| {
            let ring = geo::LineString::from(vec![(x0, 0.0), (x1, 0.0), (x1, 1.0), (x0, 1.0), (x0, 0.0)]);
            let polygon = geo::Polygon::new(ring, Vec::new());
            Some(Box::new(geo::MultiPolygon(vec![polygon])))
        };
        let gap = 1.0 + 1e-9;
        let items = vec![
            ItemRecord {
                id: "a".into(),
                bbox: Some([0.0, 0.0, 1.0, 1.0]),
                footprint: square(0.0, 1.5),
                ..Default::default()
            },
            ItemRecord {
                id: "b".into(),
                bbox: Some([gap, 0.0, 2.0, 1.0]),
                footprint: square(0.5, 2.0),
                ..Default::default()
            },
        ];
        assert_eq!(1.0f32, gap as f32);
        let dataset = dataset(items);
        assert!(FootprintGroups::new(&dataset).overlaps.is_empty());
        assert!(overlaps(&dataset, &SpatialIndex::new(&dataset)).is_empty());
    }

    #[test]
    fn exact_duplicates_name_the_first_item_with_each_bbox() {
        let boxes: [Option<[f64; 4]>; 9] = [
            Some([1.0, 1.0, 2.0, 2.0]),
            Some([0.0, 0.0, 1.0, 1.0]),
            Some([1.0, 1.0, 2.0, 2.0]),
            None,
            Some([-0.0, 0.0, 1.0, 1.0]),
            Some([1.0, 1.0, 2.0, 2.0]),
            Some([0.0, 0.0, 1.0, 1.0]),
            Some([5.0, 5.0, 6.0, 6.0]),
            None,
        ];
        let mut items: Vec<ItemRecord> = boxes
            .iter()
            .enumerate()
            .map(|(i, &bbox)| ItemRecord { id: format!("i{i}"), bbox, ..Default::default() })
            .collect();
        // A label item with a repeated bbox is neither a duplicate nor the first.
        items.insert(
            1,
            ItemRecord { bbox: boxes[0], label: Some(Box::new(LabelInfo::default())), ..Default::default() },
        );
        let found: Vec<(usize, usize)> = exact(&dataset(items)).iter().map(|d| (d.item, d.duplicate_of)).collect();
        assert_eq!(found, [(3, 0), (5, 2), (6, 0), (7, 2)]);
    }
}
