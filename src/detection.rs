//! Objects per label item: what object-detection users ask of a vector
//! label set beyond class shares — how many objects an image has, and how
//! many images have none. Counted over the label items whose label GeoJSON
//! was read (regression labels excluded), overall, per class and per split.
//!
//! The median is the same linear-interpolation percentile as
//! [`crate::regression`] (the mean of the two middle counts when there is an
//! even number of items). Per class, an item without an object of the class
//! counts as 0.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalog::Dataset;
use crate::class_counts::{ClassCounts, ClassSource};
use crate::split::SplitView;

/// Objects of one class per item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassObjects {
    /// The label property.
    pub property: String,
    /// The class.
    pub class: String,
    /// Fewest objects of the class in one item.
    pub min: u64,
    /// Median objects of the class per item.
    pub median: f64,
    /// Most objects of the class in one item.
    pub max: u64,
    /// Items without an object of the class.
    pub without: u64,
}

/// Objects per item over a set of items.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectStats {
    /// Label items counted.
    pub items: u64,
    /// Fewest objects in one item.
    pub min: u64,
    /// Median objects per item.
    pub median: f64,
    /// Most objects in one item.
    pub max: u64,
    /// Items without any object.
    pub empty: u64,
    /// Per (property, class), sorted.
    pub classes: Vec<ClassObjects>,
}

/// The objects of one split.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SplitObjects {
    /// The split name.
    pub split: String,
    /// Its counts (all zero when it holds no counted item).
    #[serde(flatten)]
    pub stats: ObjectStats,
}

/// The `objects-per-item` metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectsPerItem {
    /// Over every counted label item.
    #[serde(flatten)]
    pub stats: ObjectStats,
    /// The first ids of label items without any object (a finding of its own:
    /// an empty label file is often an export that went wrong).
    #[serde(rename = "empty-items")]
    pub empty_items: Vec<String>,
    /// Per split; only when splits are known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub splits: Option<Vec<SplitObjects>>,
}

/// One counted label item: (item index, features, its class rows).
type Counted<'a> = (usize, u64, &'a [(crate::catalog::Interned, crate::catalog::Interned, u64)]);

/// Objects per label item; `None` when no label GeoJSON was counted.
pub fn objects_per_item(
    dataset: &Dataset,
    classes: &ClassCounts,
    splits: Option<&SplitView>,
    examples: usize,
) -> Option<ObjectsPerItem> {
    let counted: Vec<Counted> = classes
        .iter()
        .filter(|(_, c)| c.source != ClassSource::RegressionTargets)
        .filter_map(|(i, c)| Some((i, c.features?, &c.rows[..])))
        .collect();
    if counted.is_empty() {
        return None;
    }
    let empty_items =
        counted.iter().filter(|(_, n, _)| *n == 0).take(examples).map(|(i, ..)| dataset.items[*i].id.clone()).collect();
    let splits = splits.map(|view| {
        (0..view.names.len())
            .map(|k| {
                let members: Vec<_> = counted.iter().filter(|(i, ..)| view.split_of[*i] == Some(k as u16)).collect();
                SplitObjects { split: view.names[k].clone(), stats: stats(members.into_iter()) }
            })
            .collect()
    });
    Some(ObjectsPerItem { stats: stats(counted.iter()), empty_items, splits })
}

fn stats<'a>(items: impl Iterator<Item = &'a Counted<'a>>) -> ObjectStats {
    let mut totals: Vec<u64> = Vec::new();
    // Only the non-zero counts per class are kept: the zeros are implied by
    // the item count, so many classes over many items cost what the rows cost.
    let mut per_class: BTreeMap<(&str, &str), Vec<u64>> = BTreeMap::new();
    for (_, features, rows) in items {
        totals.push(*features);
        for (property, class, n) in rows.iter() {
            per_class.entry((property.as_str(), class.as_str())).or_default().push(*n);
        }
    }
    let n = totals.len() as u64;
    totals.sort_unstable();
    let classes = per_class
        .into_iter()
        .map(|((property, class), mut counts)| {
            counts.sort_unstable();
            let zeros = n - counts.len() as u64;
            let at = |rank: usize| if (rank as u64) < zeros { 0 } else { counts[rank - zeros as usize] };
            ClassObjects {
                property: property.to_string(),
                class: class.to_string(),
                min: at(0),
                median: median(n as usize, at),
                max: at(n as usize - 1),
                without: zeros,
            }
        })
        .collect();
    ObjectStats {
        items: n,
        min: totals.first().copied().unwrap_or(0),
        median: median(totals.len(), |r| totals[r]),
        max: totals.last().copied().unwrap_or(0),
        empty: totals.iter().take_while(|&&t| t == 0).count() as u64,
        classes,
    }
}

/// The median of `n` sorted values given by rank; 0 for none.
fn median(n: usize, at: impl Fn(usize) -> u64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let h = (n - 1) as f64 * 0.5;
    let low = h.floor() as usize;
    let high = (low + 1).min(n - 1);
    at(low) as f64 + (h - low as f64) * (at(high) as f64 - at(low) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_implied_zeros() {
        assert_eq!(median(0, |_| 0), 0.0);
        assert_eq!(median(3, |r| [1, 4, 9][r]), 4.0);
        assert_eq!(median(4, |r| [0, 2, 3, 10][r]), 2.5);
        let u = crate::catalog::Interned::from;
        let a = vec![(u("p"), u("boat"), 3)];
        let b = vec![(u("p"), u("boat"), 1), (u("p"), u("ship"), 2)];
        let items = [(0, 3, a.as_slice()), (1, 3, b.as_slice()), (2, 0, &[][..])];
        let s = stats(items.iter());
        assert_eq!((s.items, s.min, s.median, s.max, s.empty), (3, 0, 3.0, 3, 1));
        let boat = &s.classes[0];
        assert_eq!((boat.min, boat.median, boat.max, boat.without), (0, 1.0, 3, 1));
        let ship = &s.classes[1];
        assert_eq!((ship.class.as_str(), ship.min, ship.median, ship.max, ship.without), ("ship", 0, 0.0, 2, 2));
    }
}
