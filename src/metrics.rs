//! Quality metrics, typed; [`QualityMetrics`] serialises to exactly the root
//! catalog's `ml-dataset:quality-metrics` array. EOTDL's two metrics keep
//! EOTDL's shape and totals; the rest go beyond it.

use serde::Serialize;
use serde_json::Value;

use crate::balance::{self, ClassCounts, ClassSource, PropertyBalance, SplitBalance};
use crate::catalog::Dataset;
pub use crate::consistency::Consistency;
pub use crate::detection::ObjectsPerItem;
use crate::duplicates::{self, FootprintGroups};
use crate::pixel_balance::{self, PixelBalance};
pub use crate::regression::TargetDistribution;
use crate::split::SplitView;

/// Ids listed per metric line before the list is cut (the totals stay exact).
const EXAMPLES: usize = 20;

/// Options of the metrics.
#[derive(Debug, Clone, Copy)]
pub struct MetricsOptions {
    /// IoU at or above which two footprints are near duplicates.
    pub iou: f64,
}

impl MetricsOptions {
    /// Options with a near-duplicate threshold, which must lie in (0, 1].
    pub fn new(iou: f64) -> crate::Result<Self> {
        if iou > 0.0 && iou <= 1.0 {
            Ok(MetricsOptions { iou })
        } else {
            Err(crate::Error::setting(crate::Setting::Iou, format!(" must be in (0, 1], got {iou}")))
        }
    }
}

impl Default for MetricsOptions {
    fn default() -> Self {
        MetricsOptions { iou: 0.9 }
    }
}

/// Every metric of a dataset. Serialises to the `ml-dataset:quality-metrics`
/// array: one object per metric, its `name` first, in this order.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityMetrics {
    /// EOTDL's spatial duplicates.
    pub spatial_duplicates: SpatialDuplicates,
    /// Clusters of near-duplicate footprints.
    pub near_duplicates: NearDuplicates,
    /// Overlaps across splits; only when splits are known.
    pub split_leakage: Option<SplitLeakage>,
    /// Class balance.
    pub classes_balance: ClassesBalance,
    /// Pixels per class of raster label masks; only when raster label items
    /// have mask assets.
    pub pixel_balance: Option<PixelBalance>,
    /// Distribution of regression targets; only when label items carry them.
    pub target_distribution: Option<TargetDistribution>,
    /// Objects per label item; only when label GeoJSONs were counted.
    pub objects_per_item: Option<ObjectsPerItem>,
    /// Missing fields.
    pub missing_values: MissingValues,
    /// Label/source consistency; only when there are label items.
    pub label_source_consistency: Option<Consistency>,
    /// Item counts.
    pub samples: Samples,
}

/// One array entry: the metric's name as an internal tag, so it comes first.
#[derive(Serialize)]
#[serde(tag = "name", rename_all = "kebab-case")]
enum Entry<'a> {
    SpatialDuplicates(&'a SpatialDuplicates),
    NearDuplicates(&'a NearDuplicates),
    SplitLeakage(&'a SplitLeakage),
    ClassesBalance(&'a ClassesBalance),
    PixelBalance(&'a PixelBalance),
    TargetDistribution(&'a TargetDistribution),
    ObjectsPerItem(&'a ObjectsPerItem),
    MissingValues(&'a MissingValues),
    LabelSourceConsistency(&'a Consistency),
    Samples(&'a Samples),
}

impl QualityMetrics {
    fn entries(&self) -> Vec<Entry<'_>> {
        let mut entries =
            vec![Entry::SpatialDuplicates(&self.spatial_duplicates), Entry::NearDuplicates(&self.near_duplicates)];
        entries.extend(self.split_leakage.as_ref().map(Entry::SplitLeakage));
        entries.push(Entry::ClassesBalance(&self.classes_balance));
        entries.extend(self.pixel_balance.as_ref().map(Entry::PixelBalance));
        entries.extend(self.target_distribution.as_ref().map(Entry::TargetDistribution));
        entries.extend(self.objects_per_item.as_ref().map(Entry::ObjectsPerItem));
        entries.push(Entry::MissingValues(&self.missing_values));
        entries.extend(self.label_source_consistency.as_ref().map(Entry::LabelSourceConsistency));
        entries.push(Entry::Samples(&self.samples));
        entries
    }

    /// The entries as JSON objects, for merging into an existing
    /// `ml-dataset:quality-metrics` array by name.
    pub fn to_entries(&self) -> Vec<Value> {
        self.entries().iter().map(|e| serde_json::to_value(e).expect("metrics serialise to JSON")).collect()
    }
}

impl Serialize for QualityMetrics {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.entries())
    }
}

/// `spatial-duplicates`: non-label items whose bbox equals an earlier item's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpatialDuplicates {
    /// Each duplicate with the first item of its bbox.
    pub values: Vec<SpatialDuplicate>,
    /// Number of duplicates.
    pub total: usize,
}

/// One spatial duplicate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpatialDuplicate {
    /// The later item's id.
    pub item: String,
    /// The id of the first item with the same bbox.
    pub duplicate: String,
}

/// `near-duplicates`: clusters of same-role footprints with IoU at or above
/// the threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearDuplicates {
    /// The IoU threshold.
    pub iou: f64,
    /// The clusters.
    pub values: Vec<Cluster>,
    /// Pairs at or above the threshold.
    pub pairs: usize,
    /// Number of clusters.
    pub clusters: usize,
    /// Items in clusters.
    pub total: usize,
}

/// One cluster of near duplicates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cluster {
    /// Ids of its items, in dataset order.
    pub items: Vec<String>,
}

/// `split-leakage`: same-role pairs in different splits whose footprints
/// overlap.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SplitLeakage {
    /// The IoU threshold.
    pub iou: f64,
    /// Per pair of splits that leak.
    pub values: Vec<PairLeakage>,
    /// Overlapping pairs across splits.
    pub total: usize,
    /// Of those, pairs at or above the threshold.
    #[serde(rename = "total-above-iou")]
    pub total_above_iou: usize,
    /// The first few overlapping pairs.
    pub examples: Vec<LeakExample>,
}

/// Leakage between two splits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairLeakage {
    /// The two split names, in split order.
    pub splits: [String; 2],
    /// Overlapping pairs.
    pub intersecting: usize,
    /// Of those, pairs at or above the threshold.
    #[serde(rename = "above-iou")]
    pub above_iou: usize,
}

/// One overlapping pair across splits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeakExample {
    /// The first item's id.
    pub a: String,
    /// The second item's id.
    pub b: String,
    /// Their IoU, four decimals.
    pub iou: f64,
}

/// `classes-balance`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassesBalance {
    /// Per label property, over all label items.
    pub values: Vec<PropertyBalance>,
    /// Label items per source of counts.
    pub sources: Vec<SourceCount>,
    /// Per split; only when splits are known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub splits: Option<Vec<SplitBalance>>,
}

/// How many label items one source of counts served.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceCount {
    /// The source.
    pub source: ClassSource,
    /// Label items.
    pub items: u64,
}

/// `missing-values`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissingValues {
    /// One line per field.
    pub values: Vec<MissingField>,
    /// Sum of the lines' totals.
    pub total: u64,
}

/// Items missing one field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissingField {
    /// The field: geometry, bbox, datetime, label-asset, label-classes or
    /// source-link-target.
    pub field: &'static str,
    /// Items missing it.
    pub total: usize,
    /// The first few of their ids.
    pub items: Vec<String>,
}

/// `samples`: item counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Samples {
    /// All items.
    pub total: usize,
    /// Items per collection that holds items.
    pub collections: Vec<CollectionSamples>,
    /// Label and other items.
    pub roles: Roles,
    /// Items per split; only when splits are known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub splits: Option<Vec<SplitSamples>>,
    /// Items in no split; only when splits are known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unassigned: Option<usize>,
}

/// Items of one collection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CollectionSamples {
    /// The collection (or catalog) id.
    pub id: String,
    /// Its own items.
    pub items: usize,
}

/// Items by role.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Roles {
    /// Label items.
    pub label: usize,
    /// Other items.
    pub other: usize,
}

/// Items of one split.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SplitSamples {
    /// The split name.
    pub name: String,
    /// Its items.
    pub items: usize,
}

/// A number as the metrics JSON writes it (`1.0`, not `1`), for the views
/// of the metrics that print numbers beside that JSON.
pub fn number(value: f64) -> String {
    serde_json::to_string(&value).unwrap_or_else(|_| "null".into())
}

/// Computes every metric from the dataset, its label items' classes and, when
/// known, its splits.
pub fn compute(
    dataset: &Dataset,
    classes: &ClassCounts,
    splits: Option<&SplitView>,
    options: MetricsOptions,
) -> QualityMetrics {
    let items = &dataset.items;
    let id = |i: usize| items[i].id.clone();

    let exact = duplicates::exact(dataset);
    let spatial_duplicates = SpatialDuplicates {
        values: exact.iter().map(|d| SpatialDuplicate { item: id(d.item), duplicate: id(d.duplicate_of) }).collect(),
        total: exact.len(),
    };

    // Grouped by identical footprint: many items on one tile cost one group.
    let groups = FootprintGroups::new(dataset);
    let clusters = groups.clusters(options.iou);
    let near_duplicates = NearDuplicates {
        iou: options.iou,
        values: clusters.iter().map(|c| Cluster { items: c.iter().map(|&i| id(i)).collect() }).collect(),
        pairs: groups.pairs_at_or_above(options.iou),
        clusters: clusters.len(),
        total: clusters.iter().map(Vec::len).sum(),
    };

    let split_leakage = splits.map(|splits| {
        let (per_pair, first) = groups.leakage(&splits.split_of, options.iou, EXAMPLES);
        let examples =
            first.iter().map(|o| LeakExample { a: id(o.a), b: id(o.b), iou: (o.iou * 1e4).round() / 1e4 }).collect();
        let name = |k: u16| splits.names[k as usize].clone();
        SplitLeakage {
            iou: options.iou,
            values: per_pair
                .iter()
                .map(|(&(a, b), &(n, m))| PairLeakage { splits: [name(a), name(b)], intersecting: n, above_iou: m })
                .collect(),
            total: per_pair.values().map(|v| v.0).sum(),
            total_above_iou: per_pair.values().map(|v| v.1).sum(),
            examples,
        }
    });

    let balance = balance::balance(classes, splits);
    let classes_balance = ClassesBalance {
        values: balance.values,
        sources: balance.sources.into_iter().map(|(source, items)| SourceCount { source, items }).collect(),
        splits: splits.map(|_| balance.splits),
    };

    QualityMetrics {
        spatial_duplicates,
        near_duplicates,
        split_leakage,
        classes_balance,
        pixel_balance: pixel_balance::pixel_balance(classes.raster(), splits),
        target_distribution: crate::regression::distribution(classes, splits),
        objects_per_item: crate::detection::objects_per_item(dataset, classes, splits, EXAMPLES),
        missing_values: missing_values(dataset, classes),
        label_source_consistency: crate::consistency::check(dataset, EXAMPLES),
        samples: samples(dataset, splits),
    }
}

fn missing_values(dataset: &Dataset, classes: &ClassCounts) -> MissingValues {
    let items = &dataset.items;
    // Regression labels have numbers, not classes: no label:classes is expected of them.
    let regression = |i: usize| classes.of(i).is_some_and(|c| c.source == ClassSource::RegressionTargets);
    let missing = |field: &str, i: usize| {
        let item = &items[i];
        match field {
            "geometry" => !item.has_geometry,
            "bbox" => item.bbox.is_none(),
            "datetime" => item.datetime.is_none(),
            "label-asset" => item.label.as_ref().is_some_and(|l| !l.has_asset),
            "label-classes" => item.label.as_ref().is_some_and(|l| !l.has_classes) && !regression(i),
            _ => !item.dangling().is_empty(),
        }
    };
    let fields = ["geometry", "bbox", "datetime", "label-asset", "label-classes", "source-link-target"];
    let values: Vec<MissingField> = fields
        .iter()
        .map(|&field| {
            let ids: Vec<usize> = (0..items.len()).filter(|&i| missing(field, i)).collect();
            MissingField {
                field,
                total: ids.len(),
                items: ids.iter().take(EXAMPLES).map(|&i| items[i].id.clone()).collect(),
            }
        })
        .collect();
    let total = values.iter().map(|v| v.total as u64).sum();
    MissingValues { values, total }
}

fn samples(dataset: &Dataset, splits: Option<&SplitView>) -> Samples {
    let items = &dataset.items;
    let labels = items.iter().filter(|i| i.is_label()).count();
    Samples {
        total: items.len(),
        collections: dataset
            .nodes
            .iter()
            .filter(|n| !n.items.is_empty())
            .map(|n| CollectionSamples { id: n.id.clone(), items: n.items.len() })
            .collect(),
        roles: Roles { label: labels, other: items.len() - labels },
        splits: splits.map(|s| {
            s.names.iter().zip(s.counts()).map(|(name, items)| SplitSamples { name: name.clone(), items }).collect()
        }),
        unassigned: splits.map(|s| s.split_of.iter().filter(|s| s.is_none()).count()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(splits: bool) -> QualityMetrics {
        QualityMetrics {
            spatial_duplicates: SpatialDuplicates {
                values: vec![SpatialDuplicate { item: "b".into(), duplicate: "a".into() }],
                total: 1,
            },
            near_duplicates: NearDuplicates {
                iou: 1.0,
                values: vec![Cluster { items: vec!["a".into(), "b".into()] }],
                pairs: 1,
                clusters: 1,
                total: 2,
            },
            split_leakage: splits.then(|| SplitLeakage {
                iou: 0.9,
                values: vec![PairLeakage { splits: ["x".into(), "y".into()], intersecting: 1, above_iou: 0 }],
                total: 1,
                total_above_iou: 0,
                examples: vec![LeakExample { a: "a".into(), b: "c".into(), iou: 0.5 }],
            }),
            classes_balance: ClassesBalance {
                values: Vec::new(),
                sources: vec![SourceCount { source: ClassSource::LabelAssets, items: 2 }],
                splits: splits.then(Vec::new),
            },
            pixel_balance: None,
            target_distribution: None,
            objects_per_item: None,
            missing_values: MissingValues {
                values: vec![MissingField { field: "bbox", total: 0, items: Vec::new() }],
                total: 0,
            },
            label_source_consistency: None,
            samples: Samples {
                total: 3,
                collections: vec![CollectionSamples { id: "c".into(), items: 3 }],
                roles: Roles { label: 1, other: 2 },
                splits: splits.then(|| vec![SplitSamples { name: "x".into(), items: 2 }]),
                unassigned: splits.then_some(1),
            },
        }
    }

    #[test]
    fn serialises_as_named_entries_in_order() {
        let names = |m: &QualityMetrics| -> Vec<String> {
            m.to_entries().iter().map(|e| e["name"].as_str().unwrap().to_string()).collect()
        };
        let all =
            ["spatial-duplicates", "near-duplicates", "split-leakage", "classes-balance", "missing-values", "samples"];
        assert_eq!(names(&example(true)), all);
        assert_eq!(names(&example(false)), [all[0], all[1], all[3], all[4], all[5]]);
        // The name comes first, the optional fields only with splits, and a
        // whole-number threshold keeps its decimal point.
        let text = serde_json::to_string(&example(false)).unwrap();
        assert!(
            text.starts_with(r#"[{"name":"spatial-duplicates","values":[{"item":"b","duplicate":"a"}],"total":1}"#)
        );
        assert!(text.contains(r#"{"name":"near-duplicates","iou":1.0,"#), "{text}");
        assert!(text.ends_with(
            r#"{"name":"samples","total":3,"collections":[{"id":"c","items":3}],"roles":{"label":1,"other":2}}]"#
        ));
        assert_eq!(number(1.0), "1.0");
    }

    #[test]
    fn pixel_balance_follows_class_balance_when_present() {
        let mut metrics = example(false);
        metrics.pixel_balance =
            Some(PixelBalance { values: Vec::new(), nodata: 0, items: 0, uncounted: 1, splits: None });
        let names: Vec<String> = metrics.to_entries().iter().map(|e| e["name"].as_str().unwrap().to_string()).collect();
        assert_eq!(names[2..4], ["classes-balance", "pixel-balance"]);
        assert!(
            serde_json::to_string(&metrics)
                .unwrap()
                .contains(r#"{"name":"pixel-balance","values":[],"nodata":0,"items":0,"uncounted":1}"#)
        );
    }

    #[test]
    fn entries_and_direct_serialisation_agree() {
        for splits in [false, true] {
            let metrics = example(splits);
            let direct = serde_json::to_string(&metrics).unwrap();
            assert_eq!(direct, serde_json::to_string(&metrics.to_entries()).unwrap());
        }
    }
}
