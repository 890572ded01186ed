//! The classes each label item carries, read once per run and shared by
//! stratified splitting, the class-balance metric and the report.
//!
//! Counts come from, in order of preference for each label item: the
//! features of its label GeoJSON asset (EOTDL's source; SCANEO features carry
//! the class in `properties.labels[0]`), its `label:overviews` counts, or the
//! class written in its own properties (classification catalogs).
//!
//! Regression labels carry numbers, not classes: a label item whose
//! `label:tasks` include `regression`, or that has no `label:classes` and
//! whose label property values are all JSON numbers, keeps its values as
//! targets (for `regression.rs`) instead of class rows. The number of
//! features of each label GeoJSON is kept too (for `detection.rs`).
//! A label GeoJSON may be a FeatureCollection or a single Feature.
//!
//! Raster label masks are counted in pixels ([`RasterLabels`]), read in the
//! same pass; their majority pixel class is what stratified splits use.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::catalog::{Dataset, Interned, ItemRecord, Warnings, summed_counts};
use crate::raster_labels::RasterLabels;

/// Where an item's class counts came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ClassSource {
    /// Features of the label GeoJSON asset.
    LabelAssets,
    /// `label:overviews` counts.
    LabelOverviews,
    /// The class in the item's own properties.
    ItemProperties,
    /// Regression targets (numbers), not classes: see `regression.rs`.
    RegressionTargets,
    /// Nothing usable (raster labels without overviews, unreadable assets).
    #[default]
    None,
}

impl ClassSource {
    /// The name the metrics JSON gives the source.
    pub fn name(self) -> &'static str {
        match self {
            ClassSource::LabelAssets => "label-assets",
            ClassSource::LabelOverviews => "label-overviews",
            ClassSource::ItemProperties => "item-properties",
            ClassSource::RegressionTargets => "regression-targets",
            ClassSource::None => "none",
        }
    }
}

/// One label item's classes: (property, class, count) rows, one per
/// (property, class), sorted, and where they came from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ItemClasses {
    /// Where the counts came from.
    pub source: ClassSource,
    /// (label property, class, count), sorted by property then class.
    /// Shared with the item's `label:overviews` when those are the rows.
    pub rows: Arc<[(Interned, Interned, u64)]>,
    /// Features of its label GeoJSON, when that was read (whether or not
    /// they carry a class): the objects of a detection label.
    pub features: Option<u64>,
    /// Regression targets: (label property, value), one per feature (or the
    /// item's own property), in file order. Empty for class labels.
    pub targets: Box<[(Interned, f64)]>,
}

/// The classes of every label item of a dataset.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClassCounts {
    /// Indices of the label items, ascending.
    items: Vec<u32>,
    /// Their classes, in the same order.
    classes: Vec<ItemClasses>,
    /// The pixels per class of raster label masks.
    raster: RasterLabels,
}

impl ClassCounts {
    /// Reads the classes of every label item (label GeoJSON assets on the I/O
    /// pool). An unusable label asset becomes an "unreadable label asset"
    /// warning, in item order; the item then falls back to its other sources.
    pub fn read(dataset: &Dataset, warnings: &mut Warnings) -> Self {
        let items: Vec<u32> =
            (0..dataset.items.len() as u32).filter(|&i| dataset.items[i as usize].is_label()).collect();
        let read: Vec<(ItemClasses, Option<String>)> =
            crate::io_pool::install(|| items.par_iter().map(|&i| item_classes(&dataset.items[i as usize])).collect());
        let mut classes = Vec::with_capacity(read.len());
        for (&i, (counts, warning)) in items.iter().zip(read) {
            if let Some(warning) = warning {
                warnings.push("unreadable label asset", dataset.item_file(i as usize), warning);
            }
            classes.push(counts);
        }
        let raster = RasterLabels::read(dataset, warnings);
        ClassCounts { items, classes, raster }
    }

    /// The raster label items with their pixel counts.
    pub fn raster(&self) -> &RasterLabels {
        &self.raster
    }

    /// The label items with their classes, by ascending item index.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &ItemClasses)> {
        self.items.iter().map(|&i| i as usize).zip(&self.classes)
    }

    /// The classes of item `item`; `None` when it is not a label item.
    pub fn of(&self, item: usize) -> Option<&ItemClasses> {
        let item = u32::try_from(item).ok()?;
        self.items.binary_search(&item).ok().map(|k| &self.classes[k])
    }

    /// The class an item mostly carries (most pixels of a raster mask; else
    /// most features over all its label properties, ties to the smaller
    /// name), for stratified splits. `None` for items without usable counts.
    pub fn majority(&self, item: usize) -> Option<&str> {
        if let Some(class) = self.raster.majority(item) {
            return Some(class);
        }
        let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
        for (_, class, n) in self.of(item)?.rows.iter() {
            *totals.entry(class.as_str()).or_default() += n;
        }
        let best = totals.values().copied().max()?;
        totals.into_iter().find(|(_, n)| *n == best).map(|(c, _)| c)
    }
}

/// One label item's classes, and why its label asset could not be used, if
/// it could not.
fn item_classes(item: &ItemRecord) -> (ItemClasses, Option<String>) {
    let with = |source, rows| ItemClasses { source, rows: summed_counts(rows).into(), ..ItemClasses::default() };
    let Some(label) = item.label.as_deref() else { return (with(ClassSource::None, Vec::new()), None) };
    let regression_task = label.tasks.iter().any(|t| t.eq_ignore_ascii_case("regression"));
    let mut warning = None;
    let mut features = None;
    // A GeoTIFF label asset is for the raster reader, not for this one.
    let geojson = label.asset_format != Some(crate::label_assets::AssetFormat::GeoTiff);
    if let (Some(asset), Some(properties), true) = (&label.asset, &label.properties, geojson) {
        match asset_labels(asset, properties) {
            Ok(read) => {
                features = Some(read.features);
                let numeric = !read.targets.is_empty() && read.rows.len() == read.targets.len();
                if regression_task || (!label.has_classes && numeric) {
                    let source = ClassSource::RegressionTargets;
                    let targets = read.targets.into();
                    return (ItemClasses { source, features, targets, ..ItemClasses::default() }, None);
                }
                if !read.rows.is_empty() {
                    return (ItemClasses { features, ..with(ClassSource::LabelAssets, read.rows) }, None);
                }
            }
            Err(message) => warning = Some(format!("{}: {message}", asset.display())),
        }
    }
    if regression_task {
        // The task says numbers: the item's own label property values are its targets.
        let targets: Box<[(Interned, f64)]> = label
            .item_classes
            .iter()
            // `parse` also takes "NaN" and "inf", which are no targets.
            .filter_map(|(p, v)| Some((*p, v.parse::<f64>().ok().filter(|t| t.is_finite())?)))
            .collect();
        let source = if targets.is_empty() { ClassSource::None } else { ClassSource::RegressionTargets };
        return (ItemClasses { source, features, targets, ..ItemClasses::default() }, warning);
    }
    if !label.overview_counts.is_empty() {
        let overviews = &label.overview_counts;
        // Loading sums and sorts them (each (property, class) once, in
        // order): the item's rows are these, shared rather than copied.
        let rows = if overviews.windows(2).all(|w| (w[0].0, w[0].1) < (w[1].0, w[1].1)) {
            overviews.clone()
        } else {
            summed_counts(overviews.to_vec()).into()
        };
        return (
            ItemClasses { features, source: ClassSource::LabelOverviews, rows, ..ItemClasses::default() },
            warning,
        );
    }
    if !label.item_classes.is_empty() {
        let rows = label.item_classes.iter().map(|&(p, c)| (p, c, 1)).collect();
        return (ItemClasses { features, ..with(ClassSource::ItemProperties, rows) }, warning);
    }
    (ItemClasses { features, ..with(ClassSource::None, Vec::new()) }, warning)
}

/// What one label GeoJSON holds.
struct AssetLabels {
    /// Its features.
    features: u64,
    /// (property, class, 1) per feature and label property with a value.
    rows: Vec<(Interned, Interned, u64)>,
    /// (property, value) for each of those values that is a JSON number.
    targets: Vec<(Interned, f64)>,
}

fn asset_labels(path: &std::path::Path, properties: &[Interned]) -> Result<AssetLabels, String> {
    let mut bytes = Vec::new();
    crate::catalog::read::read_file(path, &mut bytes).map_err(|e| e.to_string())?;
    let value: Value = crate::catalog::read::parse_json(&bytes).map_err(|e| format!("malformed JSON: {e}"))?;
    // Single-Feature files are common for one-sample labels (regression points).
    let features = match (value.get("type").and_then(Value::as_str), value.get("features")) {
        (_, Some(Value::Array(features))) => features.as_slice(),
        (Some("Feature"), _) => std::slice::from_ref(&value),
        _ => return Err("neither a GeoJSON FeatureCollection nor a Feature".into()),
    };
    let mut rows = Vec::new();
    let mut targets = Vec::new();
    for feature in features {
        let Some(props) = feature.get("properties") else { continue };
        for &property in properties {
            let class = match props.get(property.as_str()) {
                Some(Value::String(s)) => Some(Interned::from(s)),
                Some(Value::Number(n)) => {
                    if let Some(v) = n.as_f64().filter(|v| v.is_finite()) {
                        targets.push((property, v));
                    }
                    Some(Interned::from(&n.to_string()))
                }
                // SCANEO writes the class list under `labels`, not under the property.
                _ => props.get("labels").and_then(|l| l.get(0)).and_then(Value::as_str).map(Interned::from),
            };
            if let Some(class) = class {
                rows.push((property, class, 1));
            }
        }
    }
    Ok(AssetLabels { features: features.len() as u64, rows, targets })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(p: &str, c: &str, n: u64) -> (Interned, Interned, u64) {
        (p.into(), c.into(), n)
    }

    #[test]
    fn source_names_are_their_json() {
        for source in [
            ClassSource::LabelAssets,
            ClassSource::LabelOverviews,
            ClassSource::ItemProperties,
            ClassSource::RegressionTargets,
            ClassSource::None,
        ] {
            assert_eq!(serde_json::to_value(source).unwrap(), source.name());
        }
    }

    #[test]
    fn rows_of_one_class_are_summed() {
        let rows = vec![row("b", "x", 1), row("a", "y", 1), row("b", "x", 2), row("a", "x", 1)];
        assert_eq!(summed_counts(rows), vec![row("a", "x", 1), row("a", "y", 1), row("b", "x", 3)]);
    }

    #[test]
    fn majority_sums_properties_and_ties_to_the_smaller_name() {
        let counts = ClassCounts {
            items: vec![2, 5],
            classes: vec![
                ItemClasses {
                    source: ClassSource::LabelAssets,
                    rows: vec![row("a", "y", 2), row("b", "x", 2)].into(),
                    ..Default::default()
                },
                ItemClasses {
                    source: ClassSource::LabelOverviews,
                    rows: vec![row("a", "x", 1), row("b", "y", 3)].into(),
                    ..Default::default()
                },
            ],
            raster: RasterLabels::default(),
        };
        assert_eq!(counts.majority(2), Some("x"));
        assert_eq!(counts.majority(5), Some("y"));
        assert_eq!(counts.majority(3), None);
    }
}
