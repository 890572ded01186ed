//! Quality metrics, as the entries of the root catalog's
//! `ml-dataset:quality-metrics` array. EOTDL's two metrics keep EOTDL's shape
//! and totals; the rest go beyond it.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::balance;
use crate::catalog::{Dataset, Warnings};
use crate::duplicates;
use crate::index::SpatialIndex;

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
            Err(crate::Error::Usage(format!("--iou must be in (0, 1], got {iou}")))
        }
    }
}

impl Default for MetricsOptions {
    fn default() -> Self {
        MetricsOptions { iou: 0.9 }
    }
}

/// Splits of the items: names, and a split index per item.
#[derive(Debug, Clone, Copy)]
pub struct Splits<'a> {
    /// The split names.
    pub names: &'a [String],
    /// Split index by item index.
    pub split_of: &'a [Option<u16>],
}

/// Splits already recorded in a catalog's items (`ml-dataset:split`), named in
/// the order of the root's `ml-dataset:splits`, then any others sorted.
pub fn existing_splits(dataset: &Dataset) -> Option<(Vec<String>, Vec<Option<u16>>)> {
    if dataset.items.iter().all(|i| i.split.is_none()) {
        return None;
    }
    let mut names: Vec<String> = match dataset.root().json.get("ml-dataset:splits") {
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).map(String::from).collect(),
        _ => Vec::new(),
    };
    let mut others: Vec<String> = dataset
        .items
        .iter()
        .filter_map(|i| i.split.as_deref())
        .filter(|s| !names.iter().any(|n| n == s))
        .map(String::from)
        .collect();
    others.sort();
    others.dedup();
    names.extend(others);
    let split_of = dataset
        .items
        .iter()
        .map(|i| i.split.as_deref().and_then(|s| names.iter().position(|n| n == s)).map(|k| k as u16))
        .collect();
    Some((names, split_of))
}

/// Computes every metric. Problems reading label assets become warnings.
pub fn compute(
    dataset: &Dataset,
    splits: Option<Splits>,
    options: MetricsOptions,
    warnings: &mut Warnings,
) -> Vec<Value> {
    let items = &dataset.items;
    let id = |i: usize| items[i].id.as_str();
    let mut entries = Vec::new();

    let exact = duplicates::exact(dataset);
    entries.push(json!({
        "name": "spatial-duplicates",
        "values": exact.iter().map(|d| json!({"item": id(d.item), "duplicate": id(d.duplicate_of)})).collect::<Vec<_>>(),
        "total": exact.len(),
    }));

    let index = SpatialIndex::new(dataset);
    let overlaps = duplicates::overlaps(dataset, &index);
    let clusters = duplicates::clusters(items.len(), &overlaps, options.iou);
    let near_pairs = overlaps.iter().filter(|o| o.iou >= options.iou).count();
    entries.push(json!({
        "name": "near-duplicates",
        "iou": options.iou,
        "values": clusters.iter().map(|c| json!({"items": c.iter().map(|&i| id(i)).collect::<Vec<_>>()})).collect::<Vec<_>>(),
        "pairs": near_pairs,
        "clusters": clusters.len(),
        "total": clusters.iter().map(Vec::len).sum::<usize>(),
    }));

    if let Some(splits) = splits {
        let mut per_pair: BTreeMap<(u16, u16), (usize, usize)> = BTreeMap::new();
        let mut examples = Vec::new();
        for o in &overlaps {
            let (Some(sa), Some(sb)) = (splits.split_of[o.a], splits.split_of[o.b]) else { continue };
            if sa == sb {
                continue;
            }
            let entry = per_pair.entry((sa.min(sb), sa.max(sb))).or_default();
            entry.0 += 1;
            if o.iou >= options.iou {
                entry.1 += 1;
            }
            if examples.len() < EXAMPLES {
                examples.push(json!({"a": id(o.a), "b": id(o.b), "iou": (o.iou * 1e4).round() / 1e4}));
            }
        }
        entries.push(json!({
            "name": "split-leakage",
            "iou": options.iou,
            "values": per_pair.iter().map(|(&(a, b), &(n, m))| json!({
                "splits": [splits.names[a as usize], splits.names[b as usize]],
                "intersecting": n,
                "above-iou": m,
            })).collect::<Vec<_>>(),
            "total": per_pair.values().map(|v| v.0).sum::<usize>(),
            "total-above-iou": per_pair.values().map(|v| v.1).sum::<usize>(),
            "examples": examples,
        }));
    }

    let balance = balance::balance(dataset, splits.map(|s| (s.split_of, s.names)), warnings);
    let mut entry = json!({
        "name": "classes-balance",
        "values": balance.values,
        "sources": balance.sources.iter().map(|(s, n)| json!({"source": s, "items": n})).collect::<Vec<_>>(),
    });
    if splits.is_some() {
        entry["splits"] = json!(balance.splits);
    }
    entries.push(entry);

    entries.push(missing_values(dataset));
    entries.push(samples(dataset, splits));
    entries
}

fn missing_values(dataset: &Dataset) -> Value {
    let items = &dataset.items;
    let missing = |field: &str, i: usize| {
        let item = &items[i];
        match field {
            "geometry" => !item.has_geometry,
            "bbox" => item.bbox.is_none(),
            "datetime" => item.datetime.is_none(),
            "label-asset" => item.label.as_ref().is_some_and(|l| !l.has_asset),
            "label-classes" => item.label.as_ref().is_some_and(|l| !l.has_classes),
            _ => !item.dangling_sources.is_empty(),
        }
    };
    let fields = ["geometry", "bbox", "datetime", "label-asset", "label-classes", "source-link-target"];
    let values: Vec<Value> = fields
        .iter()
        .map(|field| {
            let ids: Vec<usize> = (0..items.len()).filter(|&i| missing(field, i)).collect();
            json!({
                "field": field,
                "total": ids.len(),
                "items": ids.iter().take(EXAMPLES).map(|&i| items[i].id.as_str()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let total: u64 = values.iter().filter_map(|v| v["total"].as_u64()).sum();
    json!({"name": "missing-values", "values": values, "total": total})
}

fn samples(dataset: &Dataset, splits: Option<Splits>) -> Value {
    let items = &dataset.items;
    let collections: Vec<Value> = dataset
        .nodes
        .iter()
        .filter(|n| !n.items.is_empty())
        .map(|n| json!({"id": n.id, "items": n.items.len()}))
        .collect();
    let labels = items.iter().filter(|i| i.is_label()).count();
    let mut value = json!({
        "name": "samples",
        "total": items.len(),
        "collections": collections,
        "roles": {"label": labels, "other": items.len() - labels},
    });
    if let Some(splits) = splits {
        let mut counts = vec![0usize; splits.names.len()];
        for k in splits.split_of.iter().flatten() {
            counts[*k as usize] += 1;
        }
        value["splits"] =
            json!(splits.names.iter().zip(&counts).map(|(n, c)| json!({"name": n, "items": c})).collect::<Vec<_>>());
        value["unassigned"] = json!(splits.split_of.iter().filter(|s| s.is_none()).count());
    }
    value
}
