//! Synthetic Q1 catalogs for tests and benchmarks: a root catalog, a `source`
//! collection of imagery items and a `labels` collection of label items (label
//! extension, `source` links, one GeoJSON label asset each), with a known
//! number of exact-duplicate and of overlapping footprints.
//!
//! Footprints: tile `2j` is a base tile on a grid; tile `2j + 1` is normally a
//! separate tile, but a chosen share of them instead copies tile `2j`'s bbox
//! (an exact duplicate) or is tile `2j` shifted by 5 % of its width (IoU
//! 0.95 / 1.05 ≈ 0.905, a near duplicate). Picking only odd tiles keeps the
//! counts exact: no chains, every injected pair is one pair.

use std::path::{Path, PathBuf};

use chrono::{Duration, TimeZone, Utc};
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde_json::{Value, json};

use crate::error::{Error, Result, Setting};

mod table;

/// The label extension identifier written on label items.
pub const LABEL_EXTENSION: &str = "https://stac-extensions.github.io/label/v1.0.1/schema.json";

/// Tile edge in degrees.
const TILE: f64 = 0.01;

/// The most (source, label) pairs `generate` writes: 10 million pairs are 30
/// million files, beyond any test or benchmark; more is a typo.
pub const MAX_PAIRS: usize = 10_000_000;

/// The most label classes: every label item lists every class name, so the
/// files grow with the count.
pub const MAX_CLASSES: usize = 1_000;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// The output folder (must not exist or be empty).
    pub out: PathBuf,
    /// Number of (source, label) item pairs.
    pub pairs: usize,
    /// Number of classes.
    pub classes: usize,
    /// Share of pairs whose footprint exactly duplicates another's.
    pub dup_rate: f64,
    /// Share of pairs whose footprint overlaps another's (IoU ≈ 0.905).
    pub overlap: f64,
    /// The seed.
    pub seed: u64,
    /// Put every pair on one of this many footprints (pair `i` on footprint
    /// `i % N`), like time series of a few tiles; `None` for one tile each.
    /// Excludes `dup_rate` and `overlap`.
    pub footprints: Option<usize>,
    /// Write one stac-geoparquet file at `out` instead of a JSON tree. A
    /// table has no label files beside it, so label items carry their
    /// class counts as `label:overviews` instead of a label asset.
    pub geoparquet: bool,
}

/// What was generated: the exact counts tests can assert.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GenerateSummary {
    /// The root catalog file.
    pub catalog: PathBuf,
    /// Pairs written.
    pub pairs: usize,
    /// Source items whose bbox equals an earlier source item's.
    pub exact_duplicates: usize,
    /// Source items shifted 5 % off an earlier one.
    pub overlapping: usize,
    /// Label features per class, indexed by class number.
    pub class_counts: Vec<u64>,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Plain,
    Duplicate,
    Shifted,
}

/// Writes the catalog.
pub fn generate(options: &GenerateOptions) -> Result<GenerateSummary> {
    if options.pairs == 0 {
        return Err(Error::setting(Setting::Pairs, " must be at least 1"));
    }
    if options.pairs > MAX_PAIRS {
        return Err(Error::setting(Setting::Pairs, format!(" must be at most {MAX_PAIRS}, got {}", options.pairs)));
    }
    if options.classes == 0 {
        return Err(Error::setting(Setting::Classes, " must be at least 1"));
    }
    if options.classes > MAX_CLASSES {
        return Err(Error::setting(
            Setting::Classes,
            format!(" must be at most {MAX_CLASSES}, got {}", options.classes),
        ));
    }
    for (setting, rate) in [(Setting::DupRate, options.dup_rate), (Setting::OverlapRate, options.overlap)] {
        if !(0.0..=1.0).contains(&rate) {
            return Err(Error::setting(setting, format!(" must be between 0 and 1, got {rate}")));
        }
    }
    if let Some(footprints) = options.footprints {
        if !(1..=options.pairs).contains(&footprints) {
            return Err(Error::setting(
                Setting::Footprints,
                format!(" must be between 1 and --pairs ({}), got {footprints}", options.pairs),
            ));
        }
        if options.dup_rate > 0.0 || options.overlap > 0.0 {
            return Err(Error::setting(Setting::Footprints, " cannot be combined with --dup-rate or --overlap"));
        }
    }
    let out = &options.out;
    if options.geoparquet {
        crate::publish::check_output_path(out)?;
        if std::fs::symlink_metadata(out).is_ok() {
            return Err(Error::OutputOccupied { path: out.clone() });
        }
    } else if out.exists() && std::fs::read_dir(out).map_err(|e| Error::io(out, e))?.next().is_some() {
        return Err(Error::Output { path: out.clone(), message: "exists and is not empty".into() });
    }
    let n = options.pairs;
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut odd: Vec<usize> = (1..n).step_by(2).collect();
    odd.shuffle(&mut rng);
    let dups = ((n as f64 * options.dup_rate).round() as usize).min(odd.len());
    let shifted = ((n as f64 * options.overlap).round() as usize).min(odd.len() - dups);
    let mut kinds = vec![Kind::Plain; n];
    for &i in &odd[..dups] {
        kinds[i] = Kind::Duplicate;
    }
    for &i in &odd[dups..dups + shifted] {
        kinds[i] = Kind::Shifted;
    }
    // Per-item seeds drawn up front keep the output independent of threads.
    let seeds: Vec<u64> = (0..n).map(|_| rng.random()).collect();
    let tiles = options.footprints.unwrap_or(n);
    let columns = (tiles as f64).sqrt().ceil() as usize;
    let bbox_of = |i: usize| -> [f64; 4] {
        let base = match options.footprints {
            Some(footprints) => i % footprints,
            None => i - (i % 2) * usize::from(kinds[i] != Kind::Plain),
        };
        let (col, row) = (base % columns, base / columns);
        let (x, y) = (5.0 + col as f64 * 2.0 * TILE, 40.0 + row as f64 * 2.0 * TILE);
        let dx = if kinds[i] == Kind::Shifted { 0.05 * TILE } else { 0.0 };
        // Rounded so files show 5.03, not 5.029999999999999.
        [x + dx, y, x + dx + TILE, y + TILE].map(|v| (v * 1e9).round() / 1e9)
    };

    if options.geoparquet {
        let totals = table::write_table(out, options, &bbox_of, &seeds)?;
        return Ok(GenerateSummary {
            catalog: std::fs::canonicalize(out).unwrap_or_else(|_| out.clone()),
            pairs: n,
            exact_duplicates: options.footprints.map_or(dups, |footprints| n - footprints),
            overlapping: shifted,
            class_counts: totals,
        });
    }
    for dir in ["source", "labels"] {
        std::fs::create_dir_all(out.join(dir)).map_err(|e| Error::io(out.join(dir), e))?;
    }
    let class_counts: Vec<Vec<u64>> = crate::io_pool::install(|| {
        (0..n).into_par_iter().map(|i| write_pair(out, i, bbox_of(i), seeds[i], options.classes)).collect::<Result<_>>()
    })?;
    let mut totals = vec![0u64; options.classes];
    for counts in &class_counts {
        for (t, c) in totals.iter_mut().zip(counts) {
            *t += c;
        }
    }
    let ids: Vec<String> = (0..n).map(item_id).collect();
    let all: Vec<[f64; 4]> = (0..n).map(bbox_of).collect();
    write_collection(out, "source", "Synthetic source imagery", &ids, &all, None)?;
    write_collection(out, "labels", "Synthetic labels", &ids, &all, Some(options.classes))?;
    let mut catalog = stac::Catalog::new("synthetic-dataset", "Synthetic Q1 training dataset made by stac-ml generate");
    catalog.links = vec![
        stac::Link::root("./catalog.json").json(),
        stac::Link::child("./source/collection.json").json(),
        stac::Link::child("./labels/collection.json").json(),
    ];
    let catalog_path = out.join("catalog.json");
    write_pretty(&catalog_path, &catalog)?;
    Ok(GenerateSummary {
        catalog: catalog_path,
        pairs: n,
        exact_duplicates: options.footprints.map_or(dups, |footprints| n - footprints),
        overlapping: shifted,
        class_counts: totals,
    })
}

fn item_id(i: usize) -> String {
    format!("tile_{i:07}")
}

fn class_name(k: usize) -> String {
    format!("class_{k}")
}

fn polygon(b: [f64; 4]) -> stac::Geometry {
    let ring = vec![vec![b[0], b[1]], vec![b[2], b[1]], vec![b[2], b[3]], vec![b[0], b[3]], vec![b[0], b[1]]];
    stac::Geometry::new(geojson::GeometryValue::new_polygon(vec![ring]))
}

/// The class of each of a label's 1 to 3 shapes: the pair's only draws.
fn feature_classes(seed: u64, classes: usize) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let features = rng.random_range(1..=3usize);
    (0..features).map(|_| rng.random_range(0..classes)).collect()
}

/// One generated pair: the source item, the label item, the label GeoJSON
/// and the label's features per class.
struct Pair {
    source: Value,
    label: Value,
    features: Value,
    counts: Vec<u64>,
}

fn write_pair(out: &Path, i: usize, bbox: [f64; 4], seed: u64, classes: usize) -> Result<Vec<u64>> {
    let id = item_id(i);
    let Pair { source, label, features, counts } = pair_items(i, bbox, seed, classes);
    let dir = out.join("source").join(&id);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    write_pretty(&dir.join(format!("{id}.json")), &source)?;
    let dir = out.join("labels").join(&id);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    write_pretty(&dir.join(format!("{id}.json")), &label)?;
    write_pretty(&dir.join(format!("{id}.geojson")), &features)?;
    Ok(counts)
}

/// The items of pair `i` in the JSON tree. (A table's rows are built in
/// [`table`], with links by collection and id and `label:overviews`.)
fn pair_items(i: usize, bbox: [f64; 4], seed: u64, classes: usize) -> Pair {
    let id = item_id(i);
    let start = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).single().expect("valid date");
    let datetime = start + Duration::days((i % 365) as i64);

    let mut source = stac::Item::new(&id);
    source.geometry = Some(polygon(bbox));
    source.bbox = Some(stac::Bbox::TwoDimensional(bbox));
    source.properties.datetime = Some(datetime);
    source.collection = Some("source".into());
    source.links = vec![
        stac::Link::root("../../catalog.json").json(),
        stac::Link::collection("../collection.json").json(),
        stac::Link::parent("../collection.json").json(),
    ];
    let mut image = stac::Asset::new(format!("./{id}.tif")).role("data");
    image.r#type = Some("image/tiff; application=geotiff; profile=cloud-optimized".into());
    source.assets.insert("image".into(), image);

    // 1-3 labelled shapes inside the tile.
    let drawn = feature_classes(seed, classes);
    let mut counts = vec![0u64; classes];
    let mut shapes = Vec::with_capacity(drawn.len());
    for (f, &k) in drawn.iter().enumerate() {
        counts[k] += 1;
        let w = (bbox[2] - bbox[0]) / 4.0;
        let x = bbox[0] + w * f as f64;
        let shape = [x, bbox[1] + w, x + w, bbox[1] + 2.0 * w].map(|v| (v * 1e9).round() / 1e9);
        shapes.push(json!({
            "type": "Feature",
            "properties": {"label": class_name(k)},
            "geometry": serde_json::to_value(polygon(shape)).expect("geometry serialises"),
        }));
    }
    let mut label = stac::Item::new(&id);
    label.extensions = vec![LABEL_EXTENSION.into()];
    label.geometry = Some(polygon(bbox));
    label.bbox = Some(stac::Bbox::TwoDimensional(bbox));
    label.properties.datetime = Some(datetime);
    let fields = &mut label.properties.additional_fields;
    fields.insert("label:type".into(), json!("vector"));
    fields.insert("label:properties".into(), json!(["label"]));
    fields.insert("label:description".into(), json!("Synthetic land-cover shapes"));
    fields.insert("label:tasks".into(), json!(["segmentation"]));
    fields.insert("label:methods".into(), json!(["manual"]));
    fields.insert(
        "label:classes".into(),
        json!([{"name": "label", "classes": (0..classes).map(class_name).collect::<Vec<_>>()}]),
    );
    label.collection = Some("labels".into());
    label.links = vec![
        stac::Link::new(format!("../../source/{id}/{id}.json"), "source").json(),
        stac::Link::root("../../catalog.json").json(),
        stac::Link::collection("../collection.json").json(),
        stac::Link::parent("../collection.json").json(),
    ];
    let mut asset = stac::Asset::new(format!("./{id}.geojson")).role("labels");
    asset.r#type = Some("application/geo+json".into());
    label.assets.insert("labels".into(), asset);
    let value = |item: &stac::Item| serde_json::to_value(item).expect("an item serialises");
    Pair {
        source: value(&source),
        label: value(&label),
        features: json!({"type": "FeatureCollection", "features": shapes}),
        counts,
    }
}

fn write_collection(
    out: &Path,
    id: &str,
    description: &str,
    ids: &[String],
    bboxes: &[[f64; 4]],
    classes: Option<usize>,
) -> Result<()> {
    let mut collection = collection_json(id, description, bboxes, classes)?;
    let mut links = vec![stac::Link::root("../catalog.json").json(), stac::Link::parent("../catalog.json").json()];
    links.extend(ids.iter().map(|i| stac::Link::item(format!("./{i}/{i}.json")).json()));
    collection["links"] = serde_json::to_value(links).map_err(|error| Error::Json { path: out.join(id), error })?;
    write_pretty(&out.join(id).join("collection.json"), &collection)
}

/// A generated collection without links.
fn collection_json(id: &str, description: &str, bboxes: &[[f64; 4]], classes: Option<usize>) -> Result<Value> {
    let mut collection = stac::Collection::new(id, description);
    collection.license = "CC-BY-4.0".into();
    let union = bboxes.iter().fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |a, b| {
        [a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])]
    });
    collection.extent.spatial.bbox = vec![stac::Bbox::TwoDimensional(union)];
    let start = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).single();
    let end = Utc.with_ymd_and_hms(2020, 12, 30, 0, 0, 0).single();
    collection.extent.temporal.interval = vec![[start, end]];
    if let Some(classes) = classes {
        collection.extensions = vec![LABEL_EXTENSION.into()];
        let mut summaries = serde_json::Map::new();
        summaries.insert("label:type".into(), json!(["vector"]));
        summaries.insert(
            "label:classes".into(),
            json!([{"name": "label", "classes": (0..classes).map(class_name).collect::<Vec<_>>()}]),
        );
        collection.summaries = Some(summaries);
    }
    serde_json::to_value(collection).map_err(|error| Error::Json { path: PathBuf::from(id), error })
}

fn write_pretty<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    let value: Value = serde_json::to_value(value).map_err(|error| Error::Json { path: path.to_path_buf(), error })?;
    crate::write::write_json(path, &value)
}
