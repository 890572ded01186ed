//! The loading path for clean rows: each row's compact record read straight
//! from typed columns, with no JSON built at all. A batch holding anything
//! the JSON path would warn about, or a column of a type not handled here,
//! gives `None` and is loaded through the JSON path ([`super::columns`] and
//! `item_from_object`), which keeps the rules and the words of every
//! warning. So this path only has to agree with that one on clean rows; a
//! test holds the two to the same records.

use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef, Float64Array, Int64Array, ListArray, RecordBatch, StringArray, StructArray};
use arrow_schema::DataType;
use serde_json::{Map, Value};

use super::columns::{optional, string_list, strings, times_as};

use super::files::{self, Part};
use super::source::geometry_from_wkb;
use crate::catalog::{
    Interned, InternedList, ItemRecord, ItemTime, LabelInfo, footprint_of, geometry_bbox, href, linked_dir,
};

/// One row's record and what loading matches once every row is read.
pub(crate) struct Record {
    pub record: ItemRecord,
    /// `source` hrefs, as written.
    pub sources: Vec<String>,
    /// Index into [`Batch::collections`].
    pub collection: Option<u32>,
    /// A self href that does not end in the item's id.
    pub self_href: Option<Box<str>>,
}

/// The records of one batch.
pub(crate) struct Batch {
    pub records: Vec<Record>,
    /// The collection ids of the batch, in order of first use.
    pub collections: Vec<String>,
    /// Folders of linked local files other than the file's own folder.
    pub linked: Vec<PathBuf>,
}

/// The columns a record is read from: loading reads them, and a
/// `label:properties` entry naming one is read differently by the JSON path.
pub(super) const RECORD_COLUMNS: [&str; 12] = [
    "type",
    "id",
    "collection",
    "bbox",
    "links",
    "assets",
    "stac_extensions",
    "properties",
    "datetime",
    "start_datetime",
    "ml-dataset:split",
    "stac_version",
];

/// Dates the JSON conversion rewrites (stac's datetime columns): not read
/// here as class values either.
const DATE_COLUMNS: [&str; 6] = ["end_datetime", "created", "updated", "expires", "published", "unpublished"];

fn not_a_class_column(name: &str) -> bool {
    RECORD_COLUMNS.contains(&name) || DATE_COLUMNS.contains(&name)
}

/// The records of `batch`, or `None` when a row needs the JSON path.
pub(crate) fn read(part: &Part, batch: &RecordBatch) -> Option<Batch> {
    let rows = batch.num_rows();
    let column = |name: &str| batch.column_by_name(name);
    let ids = strict_strings(column("id")?)?;
    let collections = optional(column("collection"), strict_strings)?;
    let bbox = optional(column("bbox"), Corners::new)?;
    let datetime = optional(column("datetime"), item_times)?;
    let start = optional(column("start_datetime"), item_times)?;
    let split = optional(column("ml-dataset:split"), strict_strings)?;
    let extensions = optional(column("stac_extensions"), strict_string_list)?;
    let links = optional(column("links"), Links::new)?;
    let assets = optional(column("assets"), Assets::new)?;
    let geometry_name = files::primary_geometry(part);
    let wkb = match column(&geometry_name) {
        Some(c) => Some(arrow_cast::cast(c, &DataType::Binary).ok()?),
        None => None,
    };
    let wkb = wkb.as_ref().map(|w| w.as_binary::<i32>());
    // A `properties` struct column is merged into the item by the JSON path.
    if column("properties").is_some() {
        return None;
    }
    let labels = Labels::new(batch, geometry_name.clone())?;
    let own_dir = part.path.parent().unwrap_or(Path::new("/"));
    let mut out = Batch { records: Vec::with_capacity(rows), collections: Vec::new(), linked: Vec::new() };
    let mut linked_dirs: std::collections::BTreeSet<PathBuf> = Default::default();
    for r in 0..rows {
        if !ids.is_valid(r) || ids.value(r).is_empty() {
            return None;
        }
        let id = ids.value(r);
        let geometry = match wkb {
            Some(w) if w.is_valid(r) => Some(geometry_from_wkb(w.value(r)).ok()?),
            _ => None,
        };
        let bbox = match &bbox {
            Some(corners) => corners.at(r)?,
            None => None,
        };
        let bbox = bbox.or_else(|| geometry.as_ref().and_then(geometry_bbox));
        if bbox == Some([0.0; 4]) {
            return None;
        }
        let has_geometry = geometry.is_some();
        let footprint = geometry.and_then(|g| footprint_of(g, bbox)).map(Box::new);
        let datetime = [&datetime, &start].into_iter().find_map(|times| times.as_ref().and_then(|t| t[r]));
        let split = split.as_ref().filter(|s| s.is_valid(r)).map(|s| s.value(r).into());
        let listed_label = extensions.as_ref().is_some_and(|e| {
            e.is_valid(r)
                && e.value(r).as_string::<i32>().iter().flatten().any(|x| crate::catalog::extension::is(x, "label"))
        });
        let mut own_linked = |href: &str| {
            if let Some(dir) = linked_dir(&part.path, own_dir, href) {
                linked_dirs.insert(dir);
            }
        };
        let asset_hrefs = match &assets {
            Some(assets) => assets.hrefs(r)?,
            None => Vec::new(),
        };
        for href in &asset_hrefs {
            own_linked(href);
        }
        let mut sources = Vec::new();
        let mut self_href = None;
        if let Some(links) = &links {
            for (rel, link) in links.at(r)? {
                if !matches!(rel, "self" | "root" | "parent" | "collection" | "source") {
                    own_linked(link);
                }
                if rel == "source" {
                    sources.push(link.to_string());
                }
                if rel == "self" && self_href.is_none() {
                    self_href = Some(link);
                }
            }
        }
        let self_href = self_href.filter(|h| href::stem(h) != id).map(Into::into);
        let label = if listed_label || labels.any_valid(r) {
            let asset = match &assets {
                Some(assets) => assets.json(r),
                None => Map::new(),
            };
            Some(Box::new(labels.info(r, &asset, &part.path)?))
        } else {
            None
        };
        let collection = match &collections {
            Some(c) if c.is_valid(r) => {
                let name = c.value(r);
                let known = out.collections.iter().position(|known| known == name);
                Some(known.unwrap_or_else(|| {
                    out.collections.push(name.to_string());
                    out.collections.len() - 1
                }) as u32)
            }
            _ => None,
        };
        // Rows share their file (`Dataset::item_file`): no path of their own.
        let id = id.to_string();
        let record = ItemRecord { id, bbox, footprint, has_geometry, datetime, label, split, ..Default::default() };
        out.records.push(Record { record, sources, collection, self_href });
    }
    out.linked = linked_dirs.into_iter().collect();
    Some(out)
}

/// The `bbox` struct column's corners.
struct Corners {
    bbox: StructArray,
    corners: [Float64Array; 4],
}

impl Corners {
    fn new(column: &ArrayRef) -> Option<Self> {
        let bbox = column.as_struct_opt()?.clone();
        let corner = |name: &str| -> Option<Float64Array> {
            let cast = arrow_cast::cast(bbox.column_by_name(name)?, &DataType::Float64).ok()?;
            Some(cast.as_primitive::<Float64Type>().clone())
        };
        let corners = [corner("xmin")?, corner("ymin")?, corner("xmax")?, corner("ymax")?];
        Some(Corners { bbox, corners })
    }

    /// Row `r`'s bbox (`Some(None)` when null), or `None` when the JSON path
    /// would warn about it.
    fn at(&self, r: usize) -> Option<Option<crate::catalog::Bbox>> {
        if !self.bbox.is_valid(r) {
            return Some(None);
        }
        let mut bbox = [0.0; 4];
        for (value, corner) in bbox.iter_mut().zip(&self.corners) {
            if !corner.is_valid(r) {
                return None;
            }
            *value = corner.value(r);
        }
        (bbox.iter().all(|v| v.is_finite()) && bbox[1] <= bbox[3]).then_some(Some(bbox))
    }
}

/// The `links` column: a list of structs with `rel` and `href`.
struct Links {
    list: ListArray,
    links: StructArray,
    rel: StringArray,
    href: StringArray,
}

impl Links {
    fn new(column: &ArrayRef) -> Option<Self> {
        let list = list_of(column)?;
        let links = list.values().as_struct_opt()?.clone();
        let rel = strict_strings(links.column_by_name("rel")?)?;
        let href = strict_strings(links.column_by_name("href")?)?;
        Some(Links { list, links, rel, href })
    }

    /// Row `r`'s links as (rel, href), or `None` when one lacks either
    /// (an error, which the JSON path reports).
    fn at(&self, r: usize) -> Option<Vec<(&str, &str)>> {
        if !self.list.is_valid(r) {
            return Some(Vec::new());
        }
        let offsets = self.list.value_offsets();
        let mut out = Vec::new();
        for i in offsets[r] as usize..offsets[r + 1] as usize {
            if !self.links.is_valid(i) {
                continue;
            }
            if !self.rel.is_valid(i) || !self.href.is_valid(i) {
                return None;
            }
            out.push((self.rel.value(i), self.href.value(i)));
        }
        Some(out)
    }
}

/// One asset column of the `assets` struct.
struct Asset {
    key: String,
    asset: StructArray,
    href: Option<StringArray>,
    media_type: Option<StringArray>,
    roles: Option<ListArray>,
}

/// The `assets` column: a struct of asset structs.
struct Assets {
    assets: StructArray,
    each: Vec<Asset>,
}

impl Assets {
    fn new(column: &ArrayRef) -> Option<Self> {
        let assets = column.as_struct_opt()?.clone();
        let DataType::Struct(fields) = assets.data_type().clone() else { return None };
        let mut each = Vec::new();
        for (field, child) in fields.iter().zip(assets.columns()) {
            let asset = child.as_struct_opt()?.clone();
            let href = optional(asset.column_by_name("href"), strict_strings)?;
            let media_type = optional(asset.column_by_name("type"), strict_strings)?;
            let roles = optional(asset.column_by_name("roles"), strict_string_list)?;
            each.push(Asset { key: field.name().clone(), asset, href, media_type, roles });
        }
        Some(Assets { assets, each })
    }

    /// The assets of row `r`: a null one is a key other rows have.
    fn valid(&self, r: usize) -> Vec<&Asset> {
        if !self.assets.is_valid(r) {
            return Vec::new();
        }
        self.each.iter().filter(|a| a.asset.is_valid(r)).collect()
    }

    /// Row `r`'s asset hrefs, or `None` when an asset lacks one (the JSON
    /// path warns about it).
    fn hrefs(&self, r: usize) -> Option<Vec<&str>> {
        self.valid(r).into_iter().map(|a| a.href.as_ref().filter(|h| h.is_valid(r)).map(|h| h.value(r))).collect()
    }

    /// Row `r`'s assets as JSON with the fields the label asset is found
    /// by: href, media type and roles.
    fn json(&self, r: usize) -> Map<String, Value> {
        let mut out = Map::new();
        for asset in self.valid(r) {
            let mut entry = Map::new();
            if let Some(href) = asset.href.as_ref().filter(|h| h.is_valid(r)) {
                entry.insert("href".into(), Value::String(href.value(r).into()));
            }
            if let Some(media) = asset.media_type.as_ref().filter(|m| m.is_valid(r)) {
                entry.insert("type".into(), Value::String(media.value(r).into()));
            }
            if let Some(roles) = asset.roles.as_ref().filter(|l| l.is_valid(r)) {
                let list = roles.value(r);
                let roles = list.as_string::<i32>().iter().map(|v| v.map_or(Value::Null, |v| Value::String(v.into())));
                entry.insert("roles".into(), Value::Array(roles.collect()));
            }
            out.insert(asset.key.clone(), Value::Object(entry));
        }
        out
    }
}

/// A list column as a plain list (large lists cast).
pub(super) fn list_of(column: &ArrayRef) -> Option<ListArray> {
    match column.data_type() {
        DataType::List(_) => Some(column.as_list::<i32>().clone()),
        DataType::LargeList(f) => {
            Some(arrow_cast::cast(column, &DataType::List(f.clone())).ok()?.as_list::<i32>().clone())
        }
        _ => None,
    }
}

/// `label:classes`: a list of structs with a string `name` and a list `classes`.
struct Classes {
    list: ListArray,
    entries: StructArray,
    classes: Option<ListArray>,
}

/// `label:overviews`: a list of structs with a string `property_key` and a
/// list `counts` of structs with a string `name` and an integer `count`.
struct Overviews {
    list: ListArray,
    entries: StructArray,
    key: Option<StringArray>,
    counts: Option<ListArray>,
    count_entries: Option<StructArray>,
    names: Option<StringArray>,
    numbers: Option<Int64Array>,
}

/// The label columns of a batch.
struct Labels {
    /// Where any `label:` column holds a value, which marks a label item.
    any: Vec<Option<arrow_buffer::NullBuffer>>,
    properties: Option<ListArray>,
    tasks: Option<ListArray>,
    label_type: Option<StringArray>,
    classes: Option<Classes>,
    overviews: Option<Overviews>,
    /// `label:overview` (singular), an older form the JSON path reads and warns about.
    singular: bool,
    /// Columns a `label:properties` entry may name: strings, or `None` for
    /// other types, which the JSON path spells as it reads them.
    class_columns: Vec<(String, ArrayRef, Option<StringArray>)>,
    geometry: String,
}

impl Labels {
    fn new(batch: &RecordBatch, geometry: String) -> Option<Self> {
        let schema = batch.schema();
        let named = |name: &str| batch.column_by_name(name);
        let any = super::columns::label_validity(batch);
        let classes = match named("label:classes") {
            None => None,
            Some(c) => {
                let list = list_of(c)?;
                let entries = list.values().as_struct_opt()?.clone();
                if entries.column_by_name("name").is_some_and(|n| !is_string(n.data_type())) {
                    return None;
                }
                let classes = optional(entries.column_by_name("classes"), list_of)?;
                Some(Classes { list, entries, classes })
            }
        };
        let overviews = match named("label:overviews") {
            None => None,
            Some(c) => {
                let list = list_of(c)?;
                let entries = list.values().as_struct_opt()?.clone();
                let key = optional(entries.column_by_name("property_key"), strict_strings)?;
                let counts = optional(entries.column_by_name("counts"), list_of)?;
                let count_entries = match &counts {
                    Some(c) => Some(c.values().as_struct_opt()?.clone()),
                    None => None,
                };
                let names = match &count_entries {
                    Some(e) => optional(e.column_by_name("name"), strict_strings)?,
                    None => None,
                };
                let numbers = match &count_entries {
                    Some(e) => optional(e.column_by_name("count"), integers)?,
                    None => None,
                };
                Some(Overviews { list, entries, key, counts, count_entries, names, numbers })
            }
        };
        let class_columns = schema
            .fields()
            .iter()
            .zip(batch.columns())
            .filter(|(f, _)| !f.name().starts_with("label:") && !not_a_class_column(f.name()))
            .map(|(f, c)| (f.name().clone(), c.clone(), strict_strings(c)))
            .collect();
        Some(Labels {
            any,
            properties: optional(named("label:properties"), strict_string_list)?,
            tasks: optional(named("label:tasks"), strict_string_list)?,
            label_type: optional(named("label:type"), strict_strings)?,
            classes,
            overviews,
            singular: named("label:overview").is_some(),
            class_columns,
            geometry,
        })
    }

    fn any_valid(&self, r: usize) -> bool {
        self.any.iter().any(|c| c.as_ref().is_none_or(|v| v.is_valid(r)))
    }

    /// Row `r`'s label details, or `None` when the JSON path would warn.
    fn info(&self, r: usize, assets: &Map<String, Value>, path: &Path) -> Option<LabelInfo> {
        // Without the column the JSON path warns, or may not see a label item.
        let properties = self.properties.as_ref()?;
        if self.singular {
            return None;
        }
        let mut info = LabelInfo::default();
        let texts = |list: &ListArray| -> InternedList {
            list.value(r).as_string::<i32>().iter().flatten().map(Interned::from).collect()
        };
        if properties.is_valid(r) {
            info.properties = Some(texts(properties));
        }
        if let Some(tasks) = self.tasks.as_ref().filter(|t| t.is_valid(r)) {
            info.tasks = texts(tasks);
        }
        info.label_type = self.label_type.as_ref().filter(|t| t.is_valid(r)).map(|t| Interned::from(t.value(r)));
        if let Some(classes) = self.classes.as_ref().filter(|c| c.list.is_valid(r)) {
            let offsets = classes.list.value_offsets();
            for i in offsets[r] as usize..offsets[r + 1] as usize {
                if !classes.entries.is_valid(i) {
                    return None;
                }
                if let Some(list) = classes.classes.as_ref().filter(|l| l.is_valid(i))
                    && list.value_length(i) > 0
                {
                    info.has_classes = true;
                }
            }
        }
        if let Some(o) = self.overviews.as_ref().filter(|o| o.list.is_valid(r)) {
            let mut counts = Vec::new();
            let offsets = o.list.value_offsets();
            for i in offsets[r] as usize..offsets[r + 1] as usize {
                if !o.entries.is_valid(i) {
                    continue;
                }
                let key = Interned::from(o.key.as_ref().filter(|k| k.is_valid(i)).map_or("", |k| k.value(i)));
                let (Some(lists), Some(entries)) = (&o.counts, &o.count_entries) else { continue };
                if !lists.is_valid(i) {
                    continue;
                }
                let (Some(names), Some(numbers)) = (&o.names, &o.numbers) else { continue };
                let inner = lists.value_offsets();
                for j in inner[i] as usize..inner[i + 1] as usize {
                    if entries.is_valid(j) && names.is_valid(j) && numbers.is_valid(j) && numbers.value(j) >= 0 {
                        counts.push((key, Interned::from(names.value(j)), numbers.value(j) as u64));
                    }
                }
            }
            info.overview_counts = crate::catalog::summed_counts(counts).into();
        }
        if let Some(props) = &info.properties {
            let mut classes = Vec::new();
            for prop in props.iter() {
                match self.class_columns.iter().find(|(name, _, _)| name == prop.as_str()) {
                    Some((_, _, Some(values))) if values.is_valid(r) => {
                        classes.push((*prop, Interned::from(values.value(r))));
                    }
                    Some((_, _, Some(_))) => {}
                    Some((_, column, None)) if column.logical_nulls().is_none_or(|n| n.is_valid(r)) => return None,
                    Some(_) => {}
                    None if prop.starts_with("label:")
                        || not_a_class_column(prop)
                        || prop.as_str() == self.geometry =>
                    {
                        return None;
                    }
                    None => {}
                }
            }
            info.item_classes = classes.into();
        }
        if let Some(found) = crate::label_assets::find(assets, info.label_type.as_deref()) {
            if found.assumption().is_some() {
                return None;
            }
            info.has_asset = true;
            info.asset_format = found.format;
            if let Some(href) = found.href
                && !href::is_remote(href)
            {
                let mut asset = href::resolve(path, href);
                asset.shrink_to_fit();
                info.asset = Some(asset.into_boxed_path());
            }
        }
        Some(info)
    }
}

/// A time column's rows: a timestamp as its microseconds (no text is made,
/// where the JSON path formats every row), text interned, a run of equal
/// texts looked up once.
fn item_times(column: &ArrayRef) -> Option<Vec<Option<ItemTime>>> {
    let mut last: Option<(&str, Interned)> = None;
    let mut text_of = |text: &str| match last {
        Some((held, interned)) if held == text => interned,
        _ => {
            let interned = Interned::new(text);
            last = Some((interned.as_str(), interned));
            interned
        }
    };
    times_as(column, ItemTime::from_micros, |text| ItemTime::Text(text_of(text)))
}

fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// A column of strings only (no other type cast to text, whose spelling
/// would differ from the JSON path's).
fn strict_strings(column: &ArrayRef) -> Option<StringArray> {
    if is_string(column.data_type()) { strings(column) } else { None }
}

/// A list column of strings only (a string column is not read as a list
/// of one, as a cast would: the JSON path sees a string).
fn strict_string_list(column: &ArrayRef) -> Option<ListArray> {
    match column.data_type() {
        DataType::List(f) | DataType::LargeList(f) if is_string(f.data_type()) => string_list(column),
        _ => None,
    }
}

/// A column of integers as i64 (none beyond its range, which a cast would
/// turn into nulls).
fn integers(column: &ArrayRef) -> Option<Int64Array> {
    if !column.data_type().is_integer() {
        return None;
    }
    if let Some(unsigned) = column.as_primitive_opt::<arrow_array::types::UInt64Type>()
        && unsigned.iter().flatten().any(|v| v > i64::MAX as u64)
    {
        return None;
    }
    let cast = arrow_cast::cast(column, &DataType::Int64).ok()?;
    Some(cast.as_primitive::<Int64Type>().clone())
}

/// Each row's `stac_extensions` and asset hrefs (assets without one left
/// out, as the item's JSON would show them), or `None` when a column is not
/// of the expected shape.
pub(crate) fn extensions_and_hrefs(batch: &RecordBatch) -> Option<Vec<(Vec<String>, Vec<String>)>> {
    let extensions = optional(batch.column_by_name("stac_extensions"), strict_string_list)?;
    let assets = optional(batch.column_by_name("assets"), Assets::new)?;
    Some(
        (0..batch.num_rows())
            .map(|r| {
                let listed = extensions.as_ref().filter(|e| e.is_valid(r)).map_or_else(Vec::new, |e| {
                    e.value(r).as_string::<i32>().iter().flatten().map(String::from).collect()
                });
                let hrefs = assets.as_ref().map_or_else(Vec::new, |a| {
                    a.valid(r)
                        .into_iter()
                        .filter_map(|asset| {
                            asset.href.as_ref().filter(|h| h.is_valid(r)).map(|h| h.value(r).to_string())
                        })
                        .collect()
                });
                (listed, hrefs)
            })
            .collect(),
    )
}
