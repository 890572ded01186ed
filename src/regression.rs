//! The distribution of regression targets: the quality question of a
//! regression label is not class balance but how its numbers spread,
//! overall and per split (a test split whose targets sit in one tail of the
//! training distribution measures little).
//!
//! Definitions, fixed so results can be checked by hand:
//! - standard deviation: the population one (divided by n, not n - 1);
//! - percentiles: linear interpolation between closest ranks (numpy's
//!   default, Hyndman and Fan's type 7): rank h = (n - 1) p, value
//!   x[⌊h⌋] + (h - ⌊h⌋)(x[⌊h⌋ + 1] - x[⌊h⌋]) over the sorted values;
//! - histogram: [`BINS`] bins of equal width from the overall minimum to the
//!   overall maximum, each closed on the left, the last also on the right;
//!   split histograms use the overall edges so they compare bin by bin. When
//!   every value is equal there is one bin.
//!
//! Derived numbers (mean, standard deviation, percentiles, edges) are
//! rounded to 6 decimals; min and max are the values as read.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::class_counts::ClassCounts;
use crate::split::SplitView;

/// Histogram bins.
pub const BINS: usize = 10;

/// The name of the percentile definition, as the metric records it.
pub const PERCENTILE_METHOD: &str = "linear";

/// A fixed-bin histogram.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Histogram {
    /// Bin edges, one more than the counts.
    pub edges: Vec<f64>,
    /// Values per bin.
    pub counts: Vec<u64>,
}

/// The distribution of one label property's targets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetStats {
    /// The label property.
    pub name: String,
    /// Number of values.
    pub count: u64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Mean.
    pub mean: f64,
    /// Population standard deviation.
    pub std: f64,
    /// 5th percentile.
    pub p5: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Values per bin.
    pub histogram: Histogram,
}

/// The targets of one split.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SplitTargets {
    /// The split name.
    pub split: String,
    /// Per label property (a property with no value in the split is left out).
    pub values: Vec<TargetStats>,
}

/// The `target-distribution` metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetDistribution {
    /// Label items with regression targets.
    pub items: u64,
    /// The percentile definition ([`PERCENTILE_METHOD`]).
    #[serde(rename = "percentile-method")]
    pub percentile_method: &'static str,
    /// Per label property, over all items.
    pub values: Vec<TargetStats>,
    /// Per split; only when splits are known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub splits: Option<Vec<SplitTargets>>,
}

/// The target distribution of every regression label item, overall and per
/// split; `None` when no label item carries targets.
pub fn distribution(classes: &ClassCounts, splits: Option<&SplitView>) -> Option<TargetDistribution> {
    // (split index or None, property) -> values
    let mut overall: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut by_split: BTreeMap<(u16, &str), Vec<f64>> = BTreeMap::new();
    let mut items = 0;
    for (i, counts) in classes.iter() {
        if counts.targets.is_empty() {
            continue;
        }
        items += 1;
        let split = splits.and_then(|s| s.split_of[i]);
        for (property, value) in &counts.targets {
            overall.entry(property.as_str()).or_default().push(*value);
            if let Some(k) = split {
                by_split.entry((k, property.as_str())).or_default().push(*value);
            }
        }
    }
    if items == 0 {
        return None;
    }
    let mut edges_of: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let values: Vec<TargetStats> = overall
        .into_iter()
        .map(|(property, mut values)| {
            values.sort_by(f64::total_cmp);
            let edges = edges(values[0], values[values.len() - 1]);
            let stats = stats(property, &values, &edges);
            edges_of.insert(property, edges);
            stats
        })
        .collect();
    let splits = splits.map(|view| {
        (0..view.names.len())
            .map(|k| SplitTargets {
                split: view.names[k].clone(),
                values: by_split
                    .iter_mut()
                    .filter(|((s, _), _)| *s as usize == k)
                    .map(|((_, property), values)| {
                        values.sort_by(f64::total_cmp);
                        stats(property, values, &edges_of[property])
                    })
                    .collect(),
            })
            .collect()
    });
    Some(TargetDistribution { items, percentile_method: PERCENTILE_METHOD, values, splits })
}

/// The unrounded bin edges from `min` to `max`.
fn edges(min: f64, max: f64) -> Vec<f64> {
    if max <= min {
        return vec![min, max];
    }
    // Divided first: `max - min` overflows to infinity for values near ±f64::MAX.
    let width = max / BINS as f64 - min / BINS as f64;
    // The last edge is the maximum itself, not min + 10 widths, which can fall short by rounding.
    (0..BINS).map(|b| min + b as f64 * width).chain([max]).collect()
}

/// Statistics of sorted, non-empty `values` binned on `edges`.
fn stats(name: &str, values: &[f64], edges: &[f64]) -> TargetStats {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let bins = edges.len() - 1;
    let mut counts = vec![0u64; bins];
    for &v in values {
        // Bins are closed on the left; the last one also on the right.
        let bin = edges[1..bins].iter().take_while(|&&e| v >= e).count();
        counts[bin] += 1;
    }
    TargetStats {
        name: name.to_string(),
        count: values.len() as u64,
        min: values[0],
        max: values[values.len() - 1],
        mean: round6(mean),
        std: round6(variance.sqrt()),
        p5: round6(percentile(values, 0.05)),
        p50: round6(percentile(values, 0.5)),
        p95: round6(percentile(values, 0.95)),
        histogram: Histogram { edges: edges.iter().map(|&e| round6(e)).collect(), counts },
    }
}

/// The `p` quantile of sorted, non-empty `values` by linear interpolation
/// between closest ranks (type 7).
pub fn percentile(values: &[f64], p: f64) -> f64 {
    let h = (values.len() - 1) as f64 * p;
    let low = h.floor() as usize;
    let high = (low + 1).min(values.len() - 1);
    values[low] + (h - low as f64) * (values[high] - values[low])
}

fn round6(v: f64) -> f64 {
    let r = (v * 1e6).round() / 1e6;
    // -0.0 would print as "-0.0".
    if r == 0.0 { 0.0 } else { r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_linearly() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&v, 0.5), 2.5);
        assert_eq!(percentile(&v, 0.05), 1.15);
        assert!((percentile(&v, 0.95) - 3.85).abs() < 1e-12);
        assert_eq!(percentile(&[7.0], 0.95), 7.0);
    }

    #[test]
    fn histogram_bins_close_left_and_the_last_also_right() {
        let values: Vec<f64> = (0..=10).map(f64::from).collect();
        let s = stats("t", &values, &edges(0.0, 10.0));
        assert_eq!(s.histogram.edges, (0..=10).map(f64::from).collect::<Vec<_>>());
        assert_eq!(s.histogram.counts, vec![1, 1, 1, 1, 1, 1, 1, 1, 1, 2]);
        assert_eq!((s.mean, s.std, s.p50), (5.0, round6(10f64.sqrt()), 5.0));
        let same = stats("t", &[3.0, 3.0], &edges(3.0, 3.0));
        assert_eq!((same.histogram.edges, same.histogram.counts, same.std), (vec![3.0, 3.0], vec![2], 0.0));
    }
}
