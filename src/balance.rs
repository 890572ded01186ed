//! Class balance: how many labelled features (or items) each class has,
//! overall and per split, computed with polars.
//!
//! Counts come from, in order of preference for each label item: the
//! features of its label GeoJSON asset (EOTDL's source; SCANEO features carry
//! the class in `properties.labels[0]`), its `label:overviews` counts, or the
//! class written in its own properties (classification catalogs). Which
//! source served how many items is part of the result.

use std::io::Read;

use polars::prelude::*;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::catalog::{Dataset, ItemRecord, Warnings};

/// Where an item's class counts came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClassSource {
    /// Features of the label GeoJSON asset.
    LabelAssets,
    /// `label:overviews` counts.
    LabelOverviews,
    /// The class in the item's own properties.
    ItemProperties,
    /// Nothing usable (raster labels without overviews, unreadable assets).
    None,
}

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
    #[serde(rename = "normalized-entropy")]
    pub entropy: f64,
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
struct Rows {
    property: Vec<String>,
    class: Vec<String>,
    split: Vec<String>,
    count: Vec<u64>,
}

/// Counts classes. `split_names[split_of[i]]` names item `i`'s split.
pub fn balance(dataset: &Dataset, split_of: Option<(&[Option<u16>], &[String])>, warnings: &mut Warnings) -> Balance {
    let labels: Vec<usize> = (0..dataset.items.len()).filter(|&i| dataset.items[i].is_label()).collect();
    // Reads every label asset: file-bound work, on the I/O pool.
    let per_item: Vec<ItemCounts> =
        crate::io_pool::install(|| labels.par_iter().map(|&i| item_counts(&dataset.items[i])).collect());
    let mut rows = Rows { property: Vec::new(), class: Vec::new(), split: Vec::new(), count: Vec::new() };
    let mut sources = std::collections::BTreeMap::new();
    for (&i, ItemCounts(source, counts, warning)) in labels.iter().zip(per_item) {
        if let Some(warning) = warning {
            warnings.push("unreadable label asset", &dataset.items[i].path, warning);
        }
        *sources.entry(source).or_insert(0u64) += 1;
        let split = split_of.and_then(|(of, names)| of[i].map(|k| names[k as usize].clone())).unwrap_or_default();
        for (property, class, count) in counts {
            rows.property.push(property);
            rows.class.push(class);
            rows.split.push(split.clone());
            rows.count.push(count);
        }
    }
    let values = summarise(&rows, false).into_iter().next().map(|(_, v)| v).unwrap_or_default();
    let splits = match split_of {
        Some((_, names)) => {
            let by_split = summarise(&rows, true);
            names
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
        Column::new("split".into(), if by_split { rows.split.clone() } else { vec![String::new(); rows.split.len()] }),
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

fn property_balance(name: String, classes: Vec<(String, u64)>) -> PropertyBalance {
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
        round4(h / (classes.len() as f64).ln())
    } else {
        1.0
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
    let mut out: Vec<u64> = exact.iter().map(|e| (e / sum as u128) as u64).collect();
    let mut left = 10_000 - out.iter().sum::<u64>();
    let mut order: Vec<usize> = (0..counts.len()).collect();
    order.sort_by_key(|&k| (std::cmp::Reverse(exact[k] % sum as u128), k));
    for &k in order.iter().cycle() {
        if left == 0 {
            break;
        }
        out[k] += 1;
        left -= 1;
    }
    out
}

/// The class an item mostly carries (most features; ties to the smaller
/// name), for stratified splits. `None` for items without usable counts.
pub fn majority_class(item: &ItemRecord) -> Option<String> {
    let ItemCounts(_, rows, _) = item_counts(item);
    let mut totals: std::collections::BTreeMap<String, u64> = Default::default();
    for (_, class, n) in rows {
        *totals.entry(class).or_default() += n;
    }
    let best = totals.values().copied().max()?;
    totals.into_iter().find(|(_, n)| *n == best).map(|(c, _)| c)
}

/// One label item's (property, class, count) rows, where they came from, and
/// why its label asset could not be used, if it could not.
struct ItemCounts(ClassSource, Vec<(String, String, u64)>, Option<String>);

fn item_counts(item: &ItemRecord) -> ItemCounts {
    let Some(label) = item.label.as_deref() else { return ItemCounts(ClassSource::None, Vec::new(), None) };
    let mut warning = None;
    if let (Some(asset), Some(properties)) = (&label.asset, &label.properties) {
        match asset_counts(asset, properties) {
            Ok(rows) if !rows.is_empty() => return ItemCounts(ClassSource::LabelAssets, rows, None),
            Ok(_) => {}
            Err(message) => warning = Some(format!("{}: {message}", asset.display())),
        }
    }
    if !label.overview_counts.is_empty() {
        return ItemCounts(ClassSource::LabelOverviews, label.overview_counts.clone(), warning);
    }
    if !label.item_classes.is_empty() {
        let rows = label.item_classes.iter().map(|(p, c)| (p.clone(), c.clone(), 1)).collect();
        return ItemCounts(ClassSource::ItemProperties, rows, warning);
    }
    ItemCounts(ClassSource::None, Vec::new(), warning)
}

fn asset_counts(path: &std::path::Path, properties: &[String]) -> Result<Vec<(String, String, u64)>, String> {
    let mut bytes = Vec::new();
    std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes)).map_err(|e| e.to_string())?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| format!("malformed JSON: {e}"))?;
    let features = match value.get("features") {
        Some(Value::Array(features)) => features,
        _ => return Err("not a GeoJSON FeatureCollection".into()),
    };
    let mut rows = Vec::new();
    for feature in features {
        let Some(props) = feature.get("properties") else { continue };
        for property in properties {
            let class = match props.get(property) {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                // SCANEO writes the class list under `labels`, not under the property.
                _ => props.get("labels").and_then(|l| l.get(0)).and_then(Value::as_str).map(String::from),
            };
            if let Some(class) = class {
                rows.push((property.clone(), class, 1));
            }
        }
    }
    Ok(rows)
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
