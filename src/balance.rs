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
#[derive(Default)]
struct Rows<'a> {
    property: Vec<&'a str>,
    class: Vec<&'a str>,
    split: Vec<&'a str>,
    count: Vec<u64>,
}

/// Label items summed per polars frame: the rows of a few thousand items
/// at a time, so memory stays flat however many items there are (one frame
/// of every row took 170 MB for a million items).
const ITEMS_PER_FRAME: usize = 1 << 16;

/// Sums the classes of every label item, overall and, when splits are
/// given, per split.
pub fn balance(classes: &ClassCounts, splits: Option<&SplitView>) -> Balance {
    let mut sources = std::collections::BTreeMap::new();
    for (_, counts) in classes.iter() {
        *sources.entry(counts.source).or_insert(0u64) += 1;
    }
    let (by_split, overall) = group_counts(classes, splits, ITEMS_PER_FRAME).unwrap_or_default();
    let values = summarise(overall, false).into_iter().next().map(|(_, v)| v).unwrap_or_default();
    let splits = match splits {
        Some(view) => {
            let by_split = summarise(by_split, true);
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

/// (split, property, class, total) rows into balances per split and property.
fn summarise(grouped: Vec<(String, String, String, u64)>, by_split: bool) -> Vec<(String, Vec<PropertyBalance>)> {
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

/// The polars part: each frame of rows summed per (split, property, class),
/// the partial sums summed again, and those per (property, class) for the
/// whole. Returns (per split, overall with an empty split).
type Totals = Vec<(String, String, String, u64)>;
fn group_counts(classes: &ClassCounts, splits: Option<&SplitView>, per_frame: usize) -> PolarsResult<(Totals, Totals)> {
    let keys = ["split", "property", "class"];
    let mut partial: Option<DataFrame> = None;
    let mut items = classes.iter().peekable();
    while items.peek().is_some() {
        let mut rows = Rows::default();
        for (i, counts) in items.by_ref().take(per_frame) {
            let split = splits.and_then(|s| s.name_of(i)).unwrap_or_default();
            for (property, class, count) in counts.rows.iter() {
                rows.property.push(property.as_str());
                rows.class.push(class.as_str());
                rows.split.push(split);
                rows.count.push(*count);
            }
        }
        let frame = DataFrame::new_infer_height(vec![
            Column::new("split".into(), rows.split),
            Column::new("property".into(), rows.property),
            Column::new("class".into(), rows.class),
            Column::new("count".into(), rows.count),
        ])?;
        let summed = sum_by(&frame, &keys)?;
        partial = Some(match partial {
            // Summed again at once, so the partial sums stay as few as the keys.
            Some(mut sums) => {
                sums.vstack_mut(&summed)?;
                sum_by(&sums, &keys)?
            }
            None => summed,
        });
    }
    let Some(by_split) = partial else { return Ok(Default::default()) };
    let overall = sum_by(&by_split, &["property", "class"])?;
    Ok((totals(&by_split, true)?, totals(&overall, false)?))
}

/// `frame` grouped by `keys`, its `count` summed into `count`.
fn sum_by(frame: &DataFrame, keys: &[&str]) -> PolarsResult<DataFrame> {
    // The eager sum is marked deprecated in favour of the lazy API, which
    // would add polars' `lazy` feature and minutes to every clean build.
    #[allow(deprecated)]
    let mut summed = frame.group_by(keys.iter().copied())?.select(["count"]).sum()?;
    summed.rename("count_sum", "count".into())?;
    Ok(summed)
}

/// A summed frame's rows; the split is empty when `with_split` is false.
fn totals(frame: &DataFrame, with_split: bool) -> PolarsResult<Totals> {
    let split = if with_split { Some(frame.column("split")?.str()?.clone()) } else { None };
    let property = frame.column("property")?.str()?.clone();
    let class = frame.column("class")?.str()?.clone();
    let total = frame.column("count")?.u64()?.clone();
    let mut out = Vec::with_capacity(frame.height());
    for i in 0..frame.height() {
        out.push((
            split.as_ref().and_then(|s| s.get(i)).unwrap_or_default().to_string(),
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
    fn sums_by_frame_are_the_sums_of_one_frame() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("gen");
        let options = crate::generate::GenerateOptions {
            out: out.clone(),
            pairs: 40,
            classes: 5,
            dup_rate: 0.0,
            overlap: 0.0,
            seed: 3,
            footprints: None,
            geoparquet: false,
        };
        crate::generate::generate(&options).unwrap();
        let dataset = crate::catalog::load(&out.join("catalog.json")).unwrap();
        let classes = ClassCounts::read(&dataset, &mut Default::default());
        let spec = crate::split::SplitSpec::new(
            crate::split::SplitSpec::DEFAULT_NAMES.map(String::from).to_vec(),
            vec![60.0, 20.0, 20.0],
        )
        .unwrap();
        let split_options = crate::split::SplitOptions {
            spec,
            seed: 1,
            strategy: crate::split::Strategy::Random,
            node: dataset.node_by_id("labels").unwrap(),
            keep: None,
            group_by: None,
        };
        let assignment = crate::split::assign(&dataset, &split_options, Some(&classes)).unwrap();
        let view = assignment.view();
        let sorted = |(mut a, mut b): (Totals, Totals)| {
            a.sort();
            b.sort();
            (a, b)
        };
        let whole = sorted(group_counts(&classes, Some(&view), usize::MAX).unwrap());
        assert!(whole.0.len() > 5 && whole.1.len() == 5, "{whole:?}");
        for per_frame in [1, 3, 7] {
            assert_eq!(sorted(group_counts(&classes, Some(&view), per_frame).unwrap()), whole);
        }
        let total: u64 = whole.1.iter().map(|row| row.3).sum();
        assert_eq!(total, whole.0.iter().map(|row| row.3).sum::<u64>());
    }

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
