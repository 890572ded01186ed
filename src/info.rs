//! The dataset overview behind `stac-ml info`: each collection with its role
//! (labels, source imagery), item counts, extents, local asset sizes and
//! extensions, the quality level and existing splits.
//!
//! Asset sizes and extensions need every item file once more; that pass runs
//! in parallel and keeps only per-collection sums, so the loader's records
//! stay small for the commands that do not need them.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::catalog::read::read_each;
use crate::catalog::{Dataset, NodeKind, href};
use crate::error::Result;
use crate::source::Source;
use crate::split::SplitView;
use crate::validate::Quality;

/// Local asset files of a collection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AssetStats {
    /// Local asset files found.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
    /// Local asset hrefs whose file is missing.
    pub missing: u64,
    /// Remote asset hrefs (not fetched, not measured).
    pub remote: u64,
}

/// One catalog or collection that holds items.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CollectionInfo {
    /// Its id.
    pub id: String,
    /// `Catalog` or `Collection`.
    pub kind: &'static str,
    /// `labels` and/or `source_imagery`.
    pub roles: Vec<&'static str>,
    /// Items it links directly.
    pub items: usize,
    /// Of which label items.
    pub label_items: usize,
    /// Earliest and latest item datetime, compared as instants and shown in
    /// UTC (RFC 3339 with `Z`; years beyond 9999 with a `+` sign).
    pub temporal: Option<[String; 2]>,
    /// Union of the item bboxes.
    pub spatial: Option<[f64; 4]>,
    /// Local asset files.
    pub assets: AssetStats,
    /// Extensions its items declare, sorted.
    pub extensions: Vec<String>,
}

/// A split and its size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SplitInfo {
    /// The split name.
    pub name: String,
    /// Items in it.
    pub items: usize,
}

/// The whole overview.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Info {
    /// The root catalog file.
    pub catalog: String,
    /// The root id.
    pub id: String,
    /// Detected quality level.
    pub quality: Quality,
    /// Items in the catalog.
    pub items: usize,
    /// Catalogs and collections holding items, in walk order.
    pub collections: Vec<CollectionInfo>,
    /// Collection ids by role, the way Radiant MLHub listed a dataset.
    pub labels: Vec<String>,
    /// Collection ids whose items are imagery.
    pub source_imagery: Vec<String>,
    /// Existing splits (`ml-dataset:split`), if any.
    pub splits: Vec<SplitInfo>,
}

/// Per-item facts of the second pass.
#[derive(Default)]
struct ItemFacts {
    assets: AssetStats,
    extensions: Vec<String>,
}

/// Builds the overview of a dataset `source` loaded. Asset sizes and
/// extensions come from each item's JSON: its file in a JSON tree, its row
/// (read a chunk of rows per task, in row order) in a table.
pub fn info(source: &dyn Source, dataset: &Dataset) -> Result<Info> {
    let facts: Vec<Result<ItemFacts>> = if dataset.table.is_some() {
        table_facts(source, dataset)
    } else {
        read_each(&dataset.items, |_, item, reader| Ok(facts_of(item.path(), &reader.read_json(item.path())?)))
    };
    let mut per_node: Vec<(AssetStats, BTreeSet<String>)> = vec![Default::default(); dataset.nodes.len()];
    for (item, facts) in dataset.items.iter().zip(facts) {
        let facts = facts?;
        let (stats, extensions) = &mut per_node[item.node as usize];
        stats.files += facts.assets.files;
        stats.bytes += facts.assets.bytes;
        stats.missing += facts.assets.missing;
        stats.remote += facts.assets.remote;
        extensions.extend(facts.extensions);
    }
    let mut is_source_target = vec![false; dataset.nodes.len()];
    for item in dataset.items.iter().filter(|i| i.is_label()) {
        for &s in &item.sources {
            is_source_target[dataset.items[s].node as usize] = true;
        }
    }
    let mut collections = Vec::new();
    for (n, node) in dataset.nodes.iter().enumerate() {
        if node.items.is_empty() {
            continue;
        }
        let items: Vec<_> = node.items.iter().map(|&i| &dataset.items[i]).collect();
        let label_items = items.iter().filter(|i| i.is_label()).count();
        let declares_label =
            node.json.get("stac_extensions").and_then(Value::as_array).is_some_and(|l| {
                l.iter().any(|e| e.as_str().is_some_and(|e| crate::catalog::extension::is(e, "label")))
            });
        let mut roles = Vec::new();
        if label_items > 0 || declares_label {
            roles.push("labels");
        }
        if is_source_target[n] || label_items < items.len() {
            roles.push("source_imagery");
        }
        // Compared as instants, not as text: offsets and 5-digit years order
        // wrong as strings. Unparseable values are left to `validate`.
        let datetimes = items.iter().filter_map(|i| {
            let time = i.datetime?;
            time.written().map_or_else(|| time.instant(), parse_datetime)
        });
        let temporal = datetimes
            .fold(None, |range: Option<[DateTime<Utc>; 2]>, t| match range {
                None => Some([t, t]),
                Some([a, b]) => Some([a.min(t), b.max(t)]),
            })
            .map(|range| range.map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true)));
        let spatial = items
            .iter()
            .filter_map(|i| i.bbox)
            .reduce(|a, b| [a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])]);
        let (assets, extensions) = std::mem::take(&mut per_node[n]);
        collections.push(CollectionInfo {
            id: node.id.clone(),
            kind: match node.kind {
                NodeKind::Catalog => "Catalog",
                NodeKind::Collection => "Collection",
            },
            roles,
            items: items.len(),
            label_items,
            temporal,
            spatial,
            assets,
            extensions: extensions.into_iter().collect(),
        });
    }
    let by_role = |role| collections.iter().filter(|c| c.roles.contains(&role)).map(|c| c.id.clone()).collect();
    let splits = match SplitView::existing(dataset) {
        Some(view) => {
            view.names.iter().zip(view.counts()).map(|(name, items)| SplitInfo { name: name.clone(), items }).collect()
        }
        None => Vec::new(),
    };
    let root = dataset.root();
    Ok(Info {
        catalog: root.path.display().to_string(),
        id: root.id.clone(),
        quality: if root.json.contains_key("ml-dataset:name") { Quality::Q2 } else { Quality::Q1 },
        items: dataset.items.len(),
        labels: by_role("labels"),
        source_imagery: by_role("source_imagery"),
        collections,
        splits,
    })
}

/// A byte count for people: `512 B`, `40.0 KB`, `1.2 GB` (powers of 1000).
pub fn human_bytes(bytes: u64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < units.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", units[unit]) }
}

/// An RFC 3339 datetime as a UTC instant. Years beyond 9999 (which RFC 3339
/// cannot write) are read when signed (`+10000-01-01T00:00:00Z`, as chrono
/// writes them) or written with more than four digits.
pub fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let signed = if digits > 4 { format!("+{text}") } else { text.to_string() };
    let zoned = match signed.strip_suffix(['Z', 'z']) {
        Some(rest) => format!("{rest}+00:00"),
        None => signed,
    };
    DateTime::parse_from_str(&zoned, "%Y-%m-%dT%H:%M:%S%.f%:z").ok().map(|t| t.with_timezone(&Utc))
}

/// The facts of every item of a table, in item order; rows are read in row
/// order, a chunk per task, so each row group is decoded about once, and
/// only its extensions and asset hrefs.
fn table_facts(source: &dyn Source, dataset: &Dataset) -> Vec<Result<ItemFacts>> {
    use rayon::prelude::*;
    let Some(table) = &dataset.table else { return Vec::new() };
    let order = source.item_order(dataset).unwrap_or_else(|| (0..dataset.items.len()).collect());
    let read: Vec<(usize, Result<ItemFacts>)> = order
        .par_chunks(crate::geoparquet::files::BATCH_ROWS)
        .flat_map_iter(|chunk| {
            chunk
                .iter()
                .map(|&i| {
                    let facts = table.extensions_and_hrefs(i).map(|(extensions, hrefs)| ItemFacts {
                        assets: asset_stats(dataset.item_file(i), hrefs.iter().map(String::as_str)),
                        extensions,
                    });
                    (i, facts)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let mut facts: Vec<Option<Result<ItemFacts>>> = (0..dataset.items.len()).map(|_| None).collect();
    for (i, result) in read {
        facts[i] = Some(result);
    }
    facts.into_iter().map(|f| f.expect("the order holds every item once")).collect()
}

/// Local files, bytes, missing and remote assets of the hrefs written in
/// the file `path`.
fn asset_stats<'a>(path: &Path, hrefs: impl Iterator<Item = &'a str>) -> AssetStats {
    let mut stats = AssetStats::default();
    for target in hrefs {
        if href::is_remote(target) {
            stats.remote += 1;
            continue;
        }
        match std::fs::metadata(href::resolve(path, target)) {
            Ok(meta) if meta.is_file() => {
                stats.files += 1;
                stats.bytes += meta.len();
            }
            _ => stats.missing += 1,
        }
    }
    stats
}

/// Extensions and local asset files of one item; relative asset hrefs start
/// from its file (the Parquet file, for a table's row).
fn facts_of(path: &Path, value: &Value) -> ItemFacts {
    let (extensions, hrefs) = crate::catalog::extensions_and_hrefs(value);
    ItemFacts { assets: asset_stats(path, hrefs.iter().map(String::as_str)), extensions }
}
