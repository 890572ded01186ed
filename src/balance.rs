//! Class balance: how many labelled features (or items) each class has,
//! overall and per split, computed with polars from the [`ClassCounts`] read
//! once per run. Which source served how many items is part of the result.

use polars::prelude::*;
use serde::Serialize;

pub use crate::class_counts::{ClassCounts, ClassSource};
use crate::split::SplitView;

/// One class of one label property.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassCount {
    /// The class.
    pub class: String,
    /// Features (or items) of that class.
    pub total: u64,
    /// Share of the property's total, two decimals; shares sum to exactly 100.
    pub percentage: f64,
}

/// The classes of one label property.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PropertyBalance {
    /// The label property (`label:properties` entry).
    pub name: String,
    /// Classes sorted by name.
    pub values: Vec<ClassCount>,
    /// Largest class total over smallest.
    #[serde(rename = "majority-minority-ratio")]
    pub ratio: f64,
    /// Shannon entropy over ln(number of classes): 1 is perfectly balanced.
    /// `None` (null) for a single class, where balance is undefined (0/0),
    /// not perfect.
    #[serde(rename = "normalized-entropy")]
    pub entropy: Option<f64>,
}

/// Class balance of one split.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SplitBalance {
    /// The split name.
    pub split: String,
    /// Per property.
    pub values: Vec<PropertyBalance>,
}

/// The whole class-balance result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Balance {
    /// Per label property, over all label items.
    pub values: Vec<PropertyBalance>,
    /// The same per split, when splits are known.
    pub splits: Vec<SplitBalance>,
    /// Label items per source of counts.
    pub sources: Vec<(ClassSource, u64)>,
}

/// Rows of (property, class, split, count), one per label feature or count.
struct Rows<'a> {
    property: Vec<&'a str>,
    class: Vec<&'a str>,
    split: Vec<&'a str>,
    count: Vec<u64>,
}

/// Sums the classes of every label item, overall and, when splits are
/// given, per split.
pub fn balance(classes: &ClassCounts, splits: Option<&SplitView>) -> Balance {
    let mut rows = Rows { property: Vec::new(), class: Vec::new(), split: Vec::new(), count: Vec::new() };
    let mut sources = std::collections::BTreeMap::new();
    for (i, counts) in classes.iter() {
        *sources.entry(counts.source).or_insert(0u64) += 1;
        let split = splits.and_then(|s| s.name_of(i)).unwrap_or_default();
        for (property, class, count) in &counts.rows {
            rows.property.push(property.as_str());
            rows.class.push(class.as_str());
            rows.split.push(split);
            rows.count.push(*count);
        }
    }
    let values = summarise(&rows, false).into_iter().next().map(|(_, v)| v).unwrap_or_default();
    let splits = match splits {
        Some(view) => {
            let by_split = summarise(&rows, true);
            view.names
                .iter()
                .map(|name| SplitBalance {
                    split: name.clone(),
                    values: by_split.iter().find(|(s, _)| s == name).map(|(_, v)| v.clone()).unwrap_or_default(),
                })
                .collect()
        }
        None => Vec::new(),
    };
    Balance { values, splits, sources: sources.into_iter().collect() }
}

/// Groups the rows with polars and sums counts per (split?, property, class).
fn summarise(rows: &Rows, by_split: bool) -> Vec<(String, Vec<PropertyBalance>)> {
    let grouped = group_counts(rows, by_split).unwrap_or_default();
    // (split, property) -> classes
    let mut tables: std::collections::BTreeMap<(String, String), Vec<(String, u64)>> = Default::default();
    for (split, property, class, total) in grouped {
        tables.entry((split, property)).or_default().push((class, total));
    }
    let mut out: Vec<(String, Vec<PropertyBalance>)> = Vec::new();
    for ((split, property), mut classes) in tables {
        classes.sort();
        let balance = property_balance(property, classes);
        match out.last_mut() {
            Some((s, list)) if *s == split => list.push(balance),
            _ => out.push((split, vec![balance])),
        }
    }
    if !by_split && out.is_empty() {
        out.push((String::new(), Vec::new()));
    }
    out
}

/// The polars part: a frame of rows, grouped and summed.
fn group_counts(rows: &Rows, by_split: bool) -> PolarsResult<Vec<(String, String, String, u64)>> {
    let frame = DataFrame::new_infer_height(vec![
        Column::new("split".into(), if by_split { rows.split.clone() } else { vec![""; rows.split.len()] }),
        Column::new("property".into(), rows.property.clone()),
        Column::new("class".into(), rows.class.clone()),
        Column::new("count".into(), rows.count.clone()),
    ])?;
    // The eager sum is marked deprecated in favour of the lazy API, which
    // would add polars' `lazy` feature and minutes to every clean build.
    #[allow(deprecated)]
    let summed = frame.group_by(["split", "property", "class"])?.select(["count"]).sum()?;
    let split = summed.column("split")?.str()?.clone();
    let property = summed.column("property")?.str()?.clone();
    let class = summed.column("class")?.str()?.clone();
    let total = summed.column("count_sum")?.u64()?.clone();
    let mut out = Vec::with_capacity(summed.height());
    for i in 0..summed.height() {
        out.push((
            split.get(i).unwrap_or_default().to_string(),
            property.get(i).unwrap_or_default().to_string(),
            class.get(i).unwrap_or_default().to_string(),
            total.get(i).unwrap_or_default(),
        ));
    }
    Ok(out)
}

/// The balance of one property from its (class, total) rows, in the order
/// given: percentages, ratio and entropy.
pub fn property_balance(name: String, classes: Vec<(String, u64)>) -> PropertyBalance {
    let sum: u64 = classes.iter().map(|(_, n)| n).sum();
    let percentages = hundredths(&classes.iter().map(|(_, n)| *n).collect::<Vec<_>>());
    let max = classes.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let min = classes.iter().map(|(_, n)| *n).min().unwrap_or(0);
    let entropy = if classes.len() > 1 && sum > 0 {
        let h: f64 = classes
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(_, n)| {
                let p = *n as f64 / sum as f64;
                -p * p.ln()
            })
            .sum();
        Some(round4(h / (classes.len() as f64).ln()))
    } else {
        None
    };
    PropertyBalance {
        name,
        values: classes
            .into_iter()
            .zip(percentages)
            .map(|((class, total), p)| ClassCount { class, total, percentage: p as f64 / 100.0 })
            .collect(),
        ratio: if min > 0 { round4(max as f64 / min as f64) } else { 0.0 },
        entropy,
    }
}

fn round4(v: f64) -> f64 {
    (v * 1e4).round() / 1e4
}

/// Percentages in hundredths that sum to exactly 10000, by largest remainder
/// (EOTDL truncates, so its shares do not add up).
pub fn hundredths(counts: &[u64]) -> Vec<u64> {
    let sum: u64 = counts.iter().sum();
    if sum == 0 {
        return vec![0; counts.len()];
    }
    let exact: Vec<u128> = counts.iter().map(|&c| c as u128 * 10_000).collect();
    let floors = exact.iter().map(|e| (e / sum as u128) as u64).collect();
    let remainders: Vec<u128> = exact.iter().map(|e| e % sum as u128).collect();
    crate::largest_remainder::complete(floors, 10_000, &remainders, Ord::cmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_sum_to_exactly_100() {
        assert_eq!(hundredths(&[1, 1, 1]), vec![3334, 3333, 3333]);
        assert_eq!(hundredths(&[2, 1]), vec![6667, 3333]);
        assert_eq!(hundredths(&[0, 0]), vec![0, 0]);
        for counts in [vec![7u64, 9, 9, 5, 9], vec![1, 2, 3, 4, 5, 6, 7], vec![1_000_000, 1]] {
            assert_eq!(hundredths(&counts).iter().sum::<u64>(), 10_000);
        }
    }
}
