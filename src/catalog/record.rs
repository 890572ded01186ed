//! The compact per-item state every stage shares. A loaded item keeps only what
//! splitting, metrics and writing need; the full JSON is read again when the
//! item is written, so memory grows with the record size, not the file size.

use std::path::{Path, PathBuf};

pub use crate::intern::{Interned, InternedList};
use serde_json::{Map, Value};

/// An axis-aligned 2-D bounding box: `[min_x, min_y, max_x, max_y]`.
pub type Bbox = [f64; 4];

/// One item of the catalog, as the analysis stages see it.
#[derive(Debug, Clone, Default)]
pub struct ItemRecord {
    /// The item id.
    pub id: String,
    /// Index of the catalog or collection that links the item (u32, which
    /// packs beside `has_geometry`).
    pub node: u32,
    /// The item's own file, for items of a JSON tree; `None` for rows of a
    /// table, which share their file ([`super::Dataset::item_file`]). Boxed:
    /// a table's ten million rows then spend 8 bytes here, not 40.
    pub file: Option<Box<ItemFile>>,
    /// The 2-D bbox (from `bbox`, else computed from the geometry).
    pub bbox: Option<Bbox>,
    /// The footprint, kept only when it is not simply the bbox rectangle.
    pub footprint: Option<Box<geo::MultiPolygon<f64>>>,
    /// The item has a geometry (possibly just its bbox rectangle).
    pub has_geometry: bool,
    /// `datetime`, or `start_datetime` when `datetime` is null.
    pub datetime: Option<ItemTime>,
    /// Label-extension details; `Some` for label items.
    pub label: Option<Box<LabelInfo>>,
    /// Indices of the items this item's `source` links reach.
    pub sources: Box<[usize]>,
    /// `source` links that reach no item of the catalog; `None` when all
    /// do (almost always), so an item spends 8 bytes here, not 16.
    pub dangling_sources: Option<Box<Box<[String]>>>,
    /// An `ml-dataset:split` the item already carries (a few names, so
    /// interned).
    pub split: Option<Interned>,
}

/// An item's time. A table's timestamp column gives microseconds, kept as
/// the number: ten million distinct times would otherwise be ten million
/// strings. Text as written (a JSON tree, a text column) is interned, since
/// the items of one acquisition share it.
#[derive(Clone, Copy)]
pub enum ItemTime {
    /// Microseconds since the Unix epoch (UTC), within chrono's range.
    Micros(i64),
    /// The text as written.
    Text(Interned),
}

impl ItemTime {
    /// The time from a timestamp; `None` outside the range chrono handles.
    pub fn from_micros(micros: i64) -> Option<Self> {
        chrono::DateTime::from_timestamp_micros(micros).map(|_| ItemTime::Micros(micros))
    }

    /// The time as text: as written, or an instant as RFC 3339 the way the
    /// JSON of a table's row writes it (chrono's `to_rfc3339`).
    pub fn text(&self) -> std::borrow::Cow<'static, str> {
        match self {
            ItemTime::Text(text) => text.as_str().into(),
            ItemTime::Micros(micros) => {
                chrono::DateTime::from_timestamp_micros(*micros).map(|t| t.to_rfc3339()).unwrap_or_default().into()
            }
        }
    }

    /// The text as written, for a time read as text.
    pub fn written(&self) -> Option<&'static str> {
        match self {
            ItemTime::Text(text) => Some(text.as_str()),
            ItemTime::Micros(_) => None,
        }
    }

    /// The instant: a timestamp's, or the text's when it is RFC 3339.
    pub fn instant(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        match self {
            ItemTime::Micros(micros) => chrono::DateTime::from_timestamp_micros(*micros),
            ItemTime::Text(text) => {
                chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&chrono::Utc))
            }
        }
    }
}

impl std::fmt::Debug for ItemTime {
    // As text, so a row read from its timestamp and from its JSON print alike.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.text(), f)
    }
}

/// An item file, as loading found it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemFile {
    /// Absolute path of the item file.
    pub path: PathBuf,
    /// Size and modification time of the file when it was loaded, to detect
    /// a change before the item is written out.
    pub stamp: super::read::FileStamp,
}

impl ItemRecord {
    /// `source` links that reach no item of the catalog.
    pub fn dangling(&self) -> &[String] {
        self.dangling_sources.as_deref().map_or(&[], |list| list)
    }

    /// Absolute path of the item's own file; empty for a table row.
    pub fn path(&self) -> &Path {
        self.file.as_ref().map_or(Path::new(""), |file| &file.path)
    }
    /// True for label items (label extension fields or identifier present).
    pub fn is_label(&self) -> bool {
        self.label.is_some()
    }
}

/// What the label extension says about a label item. Its strings are
/// interned ([`Interned`]): a million label items name the same few classes,
/// properties and tasks, so each is held once (8 bytes a use) instead of once
/// per item.
#[derive(Debug, Clone, Default)]
pub struct LabelInfo {
    /// `label:properties`; `None` for raster labels (`null`) or when absent.
    pub properties: Option<InternedList>,
    /// `label:tasks` as written.
    pub tasks: InternedList,
    /// `label:type` (`vector` or `raster`) as written.
    pub label_type: Option<Interned>,
    /// The item has a label asset (local or remote).
    pub has_asset: bool,
    /// Local path of the label asset, when it is local.
    pub asset: Option<Box<Path>>,
    /// The label asset's format, when its media type or extension tells
    /// (see [`crate::label_assets`]).
    pub asset_format: Option<crate::label_assets::AssetFormat>,
    /// `label:classes` lists at least one class. The lists themselves are not
    /// kept: counts come from assets and overviews, and a million items'
    /// copies of the same class list would dominate memory.
    pub has_classes: bool,
    /// `label:overviews` counts: (property key, class, count), summed per
    /// (property, class) and sorted ([`summed_counts`]); shared with the
    /// item's class counts, which read them as they are.
    pub overview_counts: std::sync::Arc<[(Interned, Interned, u64)]>,
    /// Classes written directly in the item's properties, one per label
    /// property: (property, class). Classification catalogs do this.
    pub item_classes: Box<[(Interned, Interned)]>,
}

/// Sums (property, class, count) rows of the same (property, class), sorted
/// by property then class: a label GeoJSON yields one row per feature, an
/// overview may list a class twice, and the counts are held for the whole
/// run.
pub fn summed_counts(mut rows: Vec<(Interned, Interned, u64)>) -> Vec<(Interned, Interned, u64)> {
    rows.sort_unstable_by_key(|row| (row.0, row.1));
    let mut out: Vec<(Interned, Interned, u64)> = Vec::with_capacity(rows.len().min(16));
    for row in rows {
        match out.last_mut() {
            Some(last) if last.0 == row.0 && last.1 == row.1 => last.2 = last.2.saturating_add(row.2),
            _ => out.push(row),
        }
    }
    out
}

/// The label extension's identifier prefix, any version.
pub const LABEL_EXTENSION: &str = "https://stac-extensions.github.io/label/";

/// True for a label item: its `stac_extensions` list the label extension
/// (canonically or through a known alias, see [`super::extension`]), or
/// its `properties` hold `label:` fields. `properties` is the item's
/// properties object (an empty map when it has none).
pub fn is_label_item(json: &Map<String, Value>, properties: &Map<String, Value>) -> bool {
    let lists_extension = match json.get("stac_extensions") {
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).any(|e| super::extension::is(e, "label")),
        _ => false,
    };
    lists_extension || properties.keys().any(|k| k.starts_with("label:"))
}

/// The 2-D part of a bbox of 4 or 6 numbers (`[west, south, east, north]`),
/// its shape only: no check of what the numbers mean.
pub fn bbox_numbers(value: &Value) -> Result<Bbox, String> {
    let Value::Array(list) = value else { return Err("not an array".into()) };
    let numbers: Option<Vec<f64>> = list.iter().map(Value::as_f64).collect();
    let Some(n) = numbers else { return Err("has a value that is not a number".into()) };
    match n.len() {
        4 => Ok([n[0], n[1], n[2], n[3]]),
        6 => Ok([n[0], n[1], n[3], n[4]]),
        len => Err(format!("has {len} numbers; expected 4 or 6")),
    }
}

/// A bbox as loading keeps it: [`bbox_numbers`], finite, and its south not
/// north of its north. West > east is allowed: it crosses the antimeridian.
pub fn bbox_from_json(value: &Value) -> Result<Bbox, String> {
    let bbox = bbox_numbers(value)?;
    if bbox.iter().any(|v| !v.is_finite()) {
        return Err("has a non-finite number".into());
    }
    if bbox[1] > bbox[3] {
        return Err(format!("south {} is north of north {}", bbox[1], bbox[3]));
    }
    Ok(bbox)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bbox_shapes() {
        assert_eq!(bbox_from_json(&json!([1, 2, 3, 4])).unwrap(), [1.0, 2.0, 3.0, 4.0]);
        assert_eq!(bbox_from_json(&json!([1, 2, 0, 3, 4, 9])).unwrap(), [1.0, 2.0, 3.0, 4.0]);
        assert!(bbox_from_json(&json!([1, 2, 3])).is_err());
        assert!(bbox_from_json(&json!([1, 5, 3, 4])).is_err());
        assert!(bbox_from_json(&json!(["1", 2, 3, 4])).is_err());
        // The shape alone: a south north of its north is still four numbers.
        assert_eq!(bbox_numbers(&json!([1, 5, 3, 4])).unwrap(), [1.0, 5.0, 3.0, 4.0]);
    }

    #[test]
    fn a_record_stays_small() {
        // Ten million of them are held at once: every byte here is 10 MB.
        assert!(std::mem::size_of::<ItemRecord>() <= 144, "{}", std::mem::size_of::<ItemRecord>());
        // Half the items of a training set are label items.
        assert!(std::mem::size_of::<LabelInfo>() <= 80, "{}", std::mem::size_of::<LabelInfo>());
    }

    #[test]
    fn label_items() {
        let empty = Map::new();
        let listed = json!({"stac_extensions": ["https://stac-extensions.github.io/label/v1.0.1/schema.json"]});
        assert!(is_label_item(listed.as_object().unwrap(), &empty));
        let alias = json!({"stac_extensions": ["https://raw.githubusercontent.com/stac-extensions/label/v1.0.0/json-schema/schema.json"]});
        assert!(is_label_item(alias.as_object().unwrap(), &empty));
        let other = json!({"stac_extensions": ["https://stac-extensions.github.io/eo/v1.0.0/schema.json"]});
        assert!(!is_label_item(other.as_object().unwrap(), &empty));
        let fields = json!({"label:type": "vector"});
        assert!(is_label_item(other.as_object().unwrap(), fields.as_object().unwrap()));
    }
}
