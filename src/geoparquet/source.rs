//! stac-geoparquet as a [`Source`]: one row per item, collections from the
//! file metadata (else from the `collection` column), read in record
//! batches, row groups in parallel, into the same compact [`Dataset`] the
//! JSON tree gives. A `source` link names its item by self href or by file
//! stem, since rows have no files of their own.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arrow_array::{Array, BinaryArray, RecordBatch, RecordBatchIterator};
use arrow_schema::DataType;
use rayon::prelude::*;
use serde_json::{Map, Value, json};

use super::files::{self, Part};
use crate::catalog::{Bbox, Dataset, ItemRecord, ItemTable, Node, NodeKind, Sources, Warnings, href, item_from_object};
use crate::error::{Error, Result};
use crate::source::Source;

/// The file metadata key of the root catalog stac-ml writes (its ML-Dataset
/// fields and quality metrics), read back as the root when present.
pub const ROOT_KEY: &str = "stac-ml:catalog";

/// A stac-geoparquet file, or a folder of Parquet files.
#[derive(Debug)]
pub struct GeoParquet {
    input: PathBuf,
    loaded: Mutex<Option<Arc<Rows>>>,
}

/// Numbers each load, so a row cache never serves another load's rows.
static LOADS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Where each item's row is, kept from loading for writing.
#[derive(Debug)]
pub struct Rows {
    /// This load's number.
    id: u64,
    /// The files.
    pub parts: Vec<Part>,
    /// Every row group in read order: (part, group, first row overall).
    pub groups: Vec<(usize, usize, usize)>,
    /// The item of each row, in read order.
    pub item_of_row: Vec<u32>,
    /// The row of each item.
    pub row_of_item: Vec<u32>,
}

impl GeoParquet {
    /// The input at `input`: a Parquet file or a folder of them.
    pub fn new(input: impl Into<PathBuf>) -> Self {
        GeoParquet { input: input.into(), loaded: Mutex::new(None) }
    }

    /// The rows of the last load.
    pub fn rows(&self) -> Result<Arc<Rows>> {
        self.loaded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| Error::Usage("the geoparquet input was not loaded".into()))
    }
}

/// What one row group gives the load besides its records, which go
/// straight into the group's slots of the dataset's records: the rows of
/// all groups are never held twice. Rows are numbered within the group.
#[derive(Default)]
struct GroupRead {
    /// Rows read so far.
    filled: usize,
    /// Each row's collection: an index into `collections`, or
    /// [`NO_COLLECTION`].
    collection: Vec<u32>,
    collections: Vec<String>,
    /// `source` hrefs by row, matched by name once every row is read;
    /// only label items have them, so a list and not a field per row.
    sources: Vec<(u32, String)>,
    /// Self hrefs that do not end in the row's id, by row.
    self_hrefs: Vec<(u32, Box<str>)>,
    warnings: Warnings,
    linked: BTreeSet<PathBuf>,
}

/// A row without a collection.
const NO_COLLECTION: u32 = u32::MAX;

impl GroupRead {
    /// Stores the next row: its record in its slot, the rest beside it.
    fn push(
        &mut self,
        part: &Part,
        slots: &mut [ItemRecord],
        record: ItemRecord,
        collection: Option<u32>,
        sources: Vec<String>,
        self_href: Option<Box<str>>,
    ) -> Result<()> {
        let row = self.filled;
        let Some(slot) = slots.get_mut(row) else {
            return Err(
                part.unreadable(&format!("a row group holds more rows than its metadata says ({})", slots.len()))
            );
        };
        *slot = record;
        self.filled += 1;
        self.collection.push(collection.unwrap_or(NO_COLLECTION));
        self.sources.extend(sources.into_iter().map(|href| (row as u32, href)));
        self.self_hrefs.extend(self_href.map(|href| (row as u32, href)));
        Ok(())
    }

    /// The number of collection `id` among the group's, in order of first use.
    fn collection_index(&mut self, id: &str) -> u32 {
        match self.collections.iter().position(|c| c == id) {
            Some(k) => k as u32,
            None => {
                self.collections.push(id.to_string());
                (self.collections.len() - 1) as u32
            }
        }
    }
}

impl Rows {
    /// The row group holding `row`: (part, group, its first row overall).
    fn group_of(&self, row: usize) -> (usize, usize, usize) {
        self.groups[self.groups.partition_point(|&(_, _, first)| first <= row) - 1]
    }
}

impl ItemTable for Rows {
    fn item_json(&self, item: usize) -> Result<Value> {
        let row = self.row_of_item[item] as usize;
        let (p, group, first) = self.group_of(row);
        let part = &self.parts[p];
        // One batch of rows at a time: a row group can hold a million rows.
        let chunk = (row - first) / files::BATCH_ROWS;
        let start = chunk * files::BATCH_ROWS;
        let rows = start..(start + files::BATCH_ROWS).min(part.group_rows(group));
        let key = (self.id, p, group, chunk);
        CACHE.with(|cache| {
            let mut cache = cache.borrow_mut();
            if cache.as_ref().is_none_or(|(k, _)| *k != key) {
                *cache = None;
                let mut values = Vec::new();
                for batch in part.read_group(group, None, Some(rows))? {
                    for (mut json, geometry) in rows_of(part, batch?)? {
                        let geometry = match geometry {
                            Some(Ok(geometry)) => geojson_of(&geometry),
                            _ => Value::Null,
                        };
                        json.insert("geometry".into(), geometry);
                        // Required by STAC and by stac-geoparquet; a writer
                        // drops the column when every row's is empty.
                        json.entry("assets").or_insert_with(|| Value::Object(Map::new()));
                        json.entry("links").or_insert_with(|| Value::Array(Vec::new()));
                        values.push(Value::Object(json));
                    }
                }
                *cache = Some((key, values));
            }
            let (_, values) = cache.as_ref().expect("filled above");
            values
                .get(row - first - start)
                .cloned()
                .ok_or_else(|| part.unreadable("a row changed while stac-ml was running"))
        })
    }

    fn item_file(&self, item: usize) -> &Path {
        let (p, _, _) = self.group_of(self.row_of_item[item] as usize);
        &self.parts[p].path
    }

    fn extensions_and_hrefs(&self, item: usize) -> Result<(Vec<String>, Vec<String>)> {
        let row = self.row_of_item[item] as usize;
        let (p, group, first) = self.group_of(row);
        let part = &self.parts[p];
        let chunk = (row - first) / files::BATCH_ROWS;
        let start = chunk * files::BATCH_ROWS;
        let key = (self.id, p, group, chunk);
        let cached = FACTS.with(|cache| -> Result<Option<(Vec<String>, Vec<String>)>> {
            let mut cache = cache.borrow_mut();
            if cache.as_ref().is_none_or(|(k, _)| *k != key) {
                *cache = None;
                let schema = part.schema();
                let columns: Vec<&str> =
                    ["stac_extensions", "assets"].into_iter().filter(|c| schema.field_with_name(c).is_ok()).collect();
                let rows = start..(start + files::BATCH_ROWS).min(part.group_rows(group));
                // Columns of another shape leave `None`: each item's JSON tells,
                // without reading the columns again for every row.
                let mut values = Some(Vec::new());
                for batch in part.read_group(group, Some(&columns), Some(rows))? {
                    match (super::records::extensions_and_hrefs(&batch?), values.as_mut()) {
                        (Some(read), Some(values)) => values.extend(read),
                        _ => values = None,
                    }
                }
                *cache = Some((key, values));
            }
            let (_, values) = cache.as_ref().expect("filled above");
            Ok(values.as_ref().and_then(|v| v.get(row - first - start).cloned()))
        })?;
        match cached {
            Some(facts) => Ok(facts),
            None => Ok(crate::catalog::extensions_and_hrefs(&self.item_json(item)?)),
        }
    }
}

impl Source for GeoParquet {
    fn load(&self) -> Result<Dataset> {
        let parts = files::open(&self.input)?;
        files::check_same_schema(&parts)?;
        let mut groups = Vec::new();
        let mut first = 0;
        for (p, part) in parts.iter().enumerate() {
            // Counted from the row groups, which are what is decoded.
            for g in 0..part.row_groups() {
                groups.push((p, g, first));
                first += part.group_rows(g);
            }
        }
        let total = first;
        if u32::try_from(total).is_err() {
            return Err(Error::not_stac(&self.input, format!("has {total} rows; at most 4294967295 are supported")));
        }
        // Every row's record goes straight to its place among all rows: the
        // groups' slots are known from the metadata before anything is read.
        let mut records: Vec<ItemRecord> = Vec::new();
        records.resize_with(total, ItemRecord::default);
        let mut slots: Vec<&mut [ItemRecord]> = Vec::with_capacity(groups.len());
        let mut rest = records.as_mut_slice();
        for &(p, g, _) in &groups {
            let (head, tail) = rest.split_at_mut(parts[p].group_rows(g));
            slots.push(head);
            rest = tail;
        }
        let read: Vec<Result<GroupRead>> = slots
            .into_par_iter()
            .zip(groups.par_iter())
            .map(|(slots, &(p, g, _))| read_group(&parts[p], g, slots))
            .collect();
        // Collections numbered in order of first use, groups in read order.
        let mut collections: Vec<String> = Vec::new();
        let mut collection_of_row: Vec<u32> = Vec::with_capacity(total);
        let mut source_hrefs: Vec<(u32, String)> = Vec::new();
        let mut self_rows: Vec<(u32, Box<str>)> = Vec::new();
        let mut warnings = Warnings::default();
        let mut linked = BTreeSet::new();
        for (group, &(_, _, first)) in read.into_iter().zip(&groups) {
            let group = group?;
            let global: Vec<u32> = group
                .collections
                .iter()
                .map(|id| match collections.iter().position(|c| c == id) {
                    Some(k) => k as u32,
                    None => {
                        collections.push(id.clone());
                        (collections.len() - 1) as u32
                    }
                })
                .collect();
            collection_of_row
                .extend(group.collection.iter().map(|&c| if c == NO_COLLECTION { c } else { global[c as usize] }));
            let first = first as u32;
            source_hrefs.extend(group.sources.into_iter().map(|(row, href)| (row + first, href)));
            self_rows.extend(group.self_hrefs.into_iter().map(|(row, href)| (row + first, href)));
            warnings.absorb(group.warnings);
            linked.extend(group.linked);
        }
        let (nodes, node_of_collection) =
            nodes(&self.input, &parts, &collections, &records, &collection_of_row, &mut warnings)?;
        let node_of_row: Vec<u32> = collection_of_row
            .iter()
            .map(|&c| if c == NO_COLLECTION { 0 } else { node_of_collection[c as usize] as u32 })
            .collect();
        drop(collection_of_row);
        // Items in (node, id) order, ties in read order: the rows' order is
        // sorted as numbers, and the records are then moved into it in place.
        let key = |row: u32| (node_of_row[row as usize], &records[row as usize].id, row);
        let mut row_of_item: Vec<u32> = (0..total as u32).collect();
        row_of_item.par_sort_unstable_by(|&a, &b| key(a).cmp(&key(b)));
        let mut item_of_row = vec![0u32; total];
        for (i, &r) in row_of_item.iter().enumerate() {
            item_of_row[r as usize] = i as u32;
        }
        let id = LOADS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let table = Rows { id, parts, groups, item_of_row, row_of_item };
        for pair in table.row_of_item.windows(2) {
            let (a, b) = (pair[0] as usize, pair[1] as usize);
            if node_of_row[a] == node_of_row[b] && records[a].id == records[b].id {
                let (p, _, _) = table.group_of(b);
                return Err(Error::not_stac(
                    &table.parts[p].path,
                    format!(
                        "has item id {:?} twice in {:?} (rows {} and {}); ids must be unique within a collection",
                        records[b].id,
                        nodes[node_of_row[b] as usize].id,
                        a.min(b),
                        a.max(b)
                    ),
                ));
            }
        }
        permute(&mut records, &table.row_of_item);
        for (record, &row) in records.iter_mut().zip(&table.row_of_item) {
            record.node = node_of_row[row as usize];
        }
        drop(node_of_row);
        // A later item wins a self href named twice, as it always has.
        let mut self_items: Vec<(u32, Box<str>)> =
            self_rows.into_iter().map(|(row, href)| (table.item_of_row[row as usize], href)).collect();
        self_items.sort_unstable_by_key(|&(item, _)| item);
        let self_hrefs: HashMap<Box<str>, usize> =
            self_items.into_iter().map(|(item, href)| (href, item as usize)).collect();
        // Each item's hrefs together, in the order its links list them.
        // (item, link number within its row, href): a row's links are listed
        // together, in order.
        let mut previous = (u32::MAX, 0u32);
        let mut hrefs: Vec<(u32, u32, String)> = source_hrefs
            .into_iter()
            .map(|(row, href)| {
                let n = if previous.0 == row { previous.1 + 1 } else { 0 };
                previous = (row, n);
                (table.item_of_row[row as usize], n, href)
            })
            .collect();
        hrefs.par_sort_unstable_by_key(|&(item, k, _)| (item, k));
        let table = Arc::new(table);
        let mut dataset = Dataset {
            nodes,
            items: records,
            warnings,
            linked_dirs: linked.into_iter().collect(),
            table: Some(table.clone()),
        };
        resolve_sources(&mut dataset, hrefs, &self_hrefs);
        *self.loaded.lock().unwrap_or_else(|p| p.into_inner()) = Some(table);
        Ok(dataset)
    }

    fn item_json(&self, _dataset: &Dataset, item: usize, _buffer: &mut Vec<u8>) -> Result<Value> {
        self.rows()?.item_json(item)
    }

    fn location(&self) -> Option<&Path> {
        Some(&self.input)
    }

    fn item_order(&self, dataset: &Dataset) -> Option<Vec<usize>> {
        let rows = self.rows().ok()?;
        debug_assert_eq!(rows.item_of_row.len(), dataset.items.len());
        Some(rows.item_of_row.iter().map(|&i| i as usize).collect())
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

type RowGroupCache = Option<((u64, usize, usize, usize), Vec<Value>)>;

type FactsCache = Option<((u64, usize, usize, usize), Option<Vec<(Vec<String>, Vec<String>)>>)>;

thread_local! {
    /// The extensions and asset hrefs of the rows last asked for on this thread.
    static FACTS: RefCell<FactsCache> = const { RefCell::new(None) };
    /// The decoded rows of the row group last asked for on this thread:
    /// items are written in row order, so each group is decoded once.
    static CACHE: RefCell<RowGroupCache> = const { RefCell::new(None) };
}

/// Puts `values` in `order` (the value at `order[i]` moves to `i`) in
/// place, one cycle of the permutation at a time, so the records are never
/// held twice.
fn permute<T>(values: &mut [T], order: &[u32]) {
    debug_assert_eq!(values.len(), order.len());
    let mut placed = vec![false; values.len()];
    for start in 0..values.len() {
        let mut at = start;
        while !placed[at] {
            placed[at] = true;
            let from = order[at] as usize;
            if from == start {
                break;
            }
            values.swap(at, from);
            at = from;
        }
    }
}

/// Reads row group `g` of `part`, its records into `slots` (one a row).
fn read_group(part: &Part, g: usize, slots: &mut [ItemRecord]) -> Result<GroupRead> {
    let mut out = GroupRead::default();
    let columns = load_columns(part, g)?;
    let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
    for batch in part.read_group(g, Some(&columns), None)? {
        let batch = batch?;
        if !out.typed(part, &batch, slots)? {
            out.json(part, batch, slots)?;
        }
    }
    if out.filled != slots.len() {
        return Err(part.unreadable(&format!(
            "row group {g} holds {} rows; its metadata says {}",
            out.filled,
            slots.len()
        )));
    }
    Ok(out)
}

impl GroupRead {
    /// Adds the rows of `batch` read straight from its columns; false,
    /// adding nothing, when a row needs the JSON path.
    fn typed(&mut self, part: &Part, batch: &RecordBatch, slots: &mut [ItemRecord]) -> Result<bool> {
        let Some(read) = super::records::read(part, batch) else { return Ok(false) };
        let local: Vec<u32> = read.collections.iter().map(|id| self.collection_index(id)).collect();
        for r in read.records {
            let collection = r.collection.map(|c| local[c as usize]);
            self.push(part, slots, r.record, collection, r.sources, r.self_href)?;
        }
        self.linked.extend(read.linked);
        Ok(true)
    }

    /// Adds the rows of `batch` read as JSON, the path that knows every warning.
    fn json(&mut self, part: &Part, batch: RecordBatch, slots: &mut [ItemRecord]) -> Result<()> {
        for (mut json, geometry) in super::columns::load_rows(part, batch)? {
            // Only some properties were read: an item has properties all the same.
            if !json.contains_key("properties") {
                json.insert("properties".into(), Value::Object(Map::new()));
            }
            let collection = json.get("collection").and_then(Value::as_str).map(|id| self.collection_index(id));
            let id = json.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
            let self_href = json.get("links").and_then(Value::as_array).and_then(|links| {
                links
                    .iter()
                    .find(|l| l.get("rel").and_then(Value::as_str) == Some("self"))
                    .and_then(|l| l.get("href")?.as_str())
                    .filter(|href| href::stem(href) != id)
                    .map(Into::into)
            });
            let mut parsed = item_from_object(&part.path, 0, json, geometry, Sources::Names).map_err(|e| match e {
                Error::NotStac { path, message } => Error::not_stac(&path, format!("a row {message}")),
                other => other,
            })?;
            for (kind, message) in parsed.warnings.drain(..) {
                self.warnings.push(kind, &part.path, format!("item {id:?}: {message}"));
            }
            self.linked.extend(parsed.linked_dirs.drain(..));
            let record = parsed.record;
            let sources = parsed.source_paths.into_iter().map(|(_, href)| href).collect();
            self.push(part, slots, record, collection, sources, self_href)?;
        }
        Ok(())
    }
}

/// The columns loading reads from row group `g`: what the compact record
/// keeps, the label fields, and the properties label items name as their
/// class fields (read first, from `label:properties` alone). Assets and
/// links are kept whole: label assets and `source` links live there.
fn load_columns(part: &Part, g: usize) -> Result<Vec<String>> {
    let schema = part.schema();
    let geometry = files::primary_geometry(part);
    let mut columns: BTreeSet<String> = schema
        .fields()
        .iter()
        .map(|f| f.name())
        .filter(|name| {
            super::records::RECORD_COLUMNS.contains(&name.as_str()) || name.starts_with("label:") || **name == geometry
        })
        .cloned()
        .collect();
    if schema.field_with_name("label:properties").is_ok() {
        for batch in part.read_group(g, Some(&["label:properties"]), None)? {
            let batch = batch?;
            let Some(column) = batch.column_by_name("label:properties") else { continue };
            // Not a list of strings: loading warns about it, row by row.
            let Ok(list) = arrow_cast::cast(
                column,
                &DataType::List(Arc::new(arrow_schema::Field::new("item", DataType::Utf8, true))),
            ) else {
                continue;
            };
            let Some(list) = list.as_any().downcast_ref::<arrow_array::ListArray>() else { continue };
            let Some(names) = list.values().as_any().downcast_ref::<arrow_array::StringArray>() else { continue };
            columns.extend(names.iter().flatten().filter(|n| schema.field_with_name(n).is_ok()).map(String::from));
        }
    }
    Ok(columns.into_iter().collect())
}

/// A geometry read from WKB, or why it could not be.
pub(crate) type ReadGeometry = Option<std::result::Result<geo::Geometry<f64>, String>>;

/// Each row of `batch` as item JSON (properties nested, as in a STAC file)
/// without its geometry, and the geometry read from WKB.
pub(crate) fn rows_of(part: &Part, batch: RecordBatch) -> Result<Vec<(Map<String, Value>, ReadGeometry)>> {
    let geometry_name = files::primary_geometry(part);
    let schema = batch.schema();
    let mut geometries = vec![None; batch.num_rows()];
    let mut batch = batch;
    if let Ok(index) = schema.index_of(&geometry_name) {
        let column =
            arrow_cast::cast(batch.column(index), &DataType::Binary).map_err(|e| part.unreadable(&e.to_string()))?;
        let wkb = column.as_any().downcast_ref::<BinaryArray>().expect("cast to binary");
        for (slot, value) in geometries.iter_mut().zip(wkb.iter()) {
            *slot = value.map(geometry_from_wkb);
        }
        batch.remove_column(index);
    }
    // Other binary columns: `proj:geometry` is WKB, read here as GeoJSON (as
    // the spec says; an empty or unreadable one is left out); any other is
    // not JSON and is left out of the item.
    let mut projections: Vec<Option<Value>> = Vec::new();
    let binary: Vec<(usize, String)> = batch
        .schema()
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(f.data_type(), DataType::Binary | DataType::LargeBinary | DataType::BinaryView))
        .map(|(i, f)| (i, f.name().clone()))
        .collect();
    for (index, name) in binary.iter().rev() {
        if name == "proj:geometry" {
            let column = arrow_cast::cast(batch.column(*index), &DataType::Binary)
                .map_err(|e| part.unreadable(&e.to_string()))?;
            let wkb = column.as_any().downcast_ref::<BinaryArray>().expect("cast to binary");
            projections =
                wkb.iter().map(|v| v.and_then(|v| geometry_from_wkb(v).ok()).map(|g| geojson_of(&g))).collect();
        }
        batch.remove_column(*index);
    }
    let batch = plain_strings(batch).map_err(|e| part.unreadable(&e))?;
    let schema = batch.schema();
    let rows = stac::geoarrow::json::from_record_batch_reader(RecordBatchIterator::new([Ok(batch)], schema))
        .map_err(|e| Error::not_stac(&part.path, format!("has rows that cannot be read as STAC items: {e}")))?;
    let mut rows: Vec<(Map<String, Value>, ReadGeometry)> = rows.into_iter().zip(geometries).collect();
    for ((json, _), projection) in rows.iter_mut().zip(projections) {
        if let Some(projection) = projection
            && let Value::Object(properties) = json.entry("properties").or_insert_with(|| Value::Object(Map::new()))
        {
            properties.insert("proj:geometry".into(), projection);
        }
    }
    Ok(rows)
}

/// String views (DuckDB, Polars) as plain strings, which the JSON conversion reads.
fn plain_strings(batch: RecordBatch) -> std::result::Result<RecordBatch, String> {
    let schema = batch.schema();
    if !schema.fields().iter().any(|f| matches!(f.data_type(), DataType::Utf8View | DataType::BinaryView)) {
        return Ok(batch);
    }
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        let target = match field.data_type() {
            DataType::Utf8View => DataType::Utf8,
            DataType::BinaryView => DataType::Binary,
            other => other.clone(),
        };
        columns.push(arrow_cast::cast(column, &target).map_err(|e| e.to_string())?);
        fields.push(field.as_ref().clone().with_data_type(target));
    }
    RecordBatch::try_new(Arc::new(arrow_schema::Schema::new(fields)), columns).map_err(|e| e.to_string())
}

pub(crate) fn geometry_from_wkb(bytes: &[u8]) -> std::result::Result<geo::Geometry<f64>, String> {
    use geo::CoordsIter;
    use geo_traits::to_geo::ToGeoGeometry;
    let wkb = wkb::reader::read_wkb(bytes).map_err(|e| format!("not WKB: {e}"))?;
    let geometry = wkb.try_to_geometry().ok_or("an empty geometry")?;
    if !geometry.coords_iter().all(|c| c.x.is_finite() && c.y.is_finite()) {
        return Err("has a coordinate that is not a finite number".into());
    }
    Ok(geometry)
}

fn geojson_of(geometry: &geo::Geometry<f64>) -> Value {
    serde_json::to_value(geojson::Geometry::from(geometry)).unwrap_or(Value::Null)
}

/// The root and the collections. The root is the catalog stac-ml wrote
/// (under [`ROOT_KEY`]) or one made for the input; collections come from
/// the `stac-geoparquet` metadata, else are made from the `collection`
/// column with a warning.
/// Also returns the node of each collection id of `collections`.
fn nodes(
    input: &Path,
    parts: &[Part],
    collections: &[String],
    records: &[ItemRecord],
    collection_of_row: &[u32],
    warnings: &mut Warnings,
) -> Result<(Vec<Node>, Vec<usize>)> {
    let input = std::fs::canonicalize(input).unwrap_or_else(|_| input.to_path_buf());
    // In the metadata's order, as a JSON tree keeps its links' order.
    let mut described: Vec<(String, Map<String, Value>)> = Vec::new();
    let mut root_json = None;
    for part in parts {
        if let Some(text) = part.key_value("stac-geoparquet") {
            match serde_json::from_str::<Value>(text) {
                Ok(meta) => {
                    let mut found: Vec<Value> = Vec::new();
                    if let Some(Value::Object(map)) = meta.get("collections") {
                        found.extend(map.values().cloned());
                    }
                    if let Some(single @ Value::Object(_)) = meta.get("collection") {
                        found.push(single.clone());
                    }
                    for collection in found {
                        if let Value::Object(c) = collection
                            && let Some(id) = c.get("id").and_then(Value::as_str)
                            && !described.iter().any(|(known, _)| known == id)
                        {
                            described.push((id.to_string(), c));
                        }
                    }
                }
                Err(e) => warnings.push(
                    "bad metadata",
                    &part.path,
                    format!("stac-geoparquet metadata is not JSON ({e}); ignored"),
                ),
            }
        }
        if root_json.is_none()
            && let Some(text) = part.key_value(ROOT_KEY)
        {
            match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(root)) => root_json = Some(root),
                _ => warnings.push(
                    "bad metadata",
                    &part.path,
                    format!("{ROOT_KEY} metadata is not a JSON object; ignored"),
                ),
            }
        }
        if part.key_value("geo").is_none() {
            warnings.push(
                "no geo metadata",
                &part.path,
                "has no GeoParquet \"geo\" metadata; its geometry column is read as WKB in WGS 84",
            );
        }
        if part.schema().field_with_name("bbox").is_err() {
            warnings.push(
                "no bbox column",
                &part.path,
                "has no \"bbox\" column; bboxes are computed from the geometries",
            );
        }
    }
    let used: BTreeSet<&str> = collections.iter().map(String::as_str).collect();
    let mut ids: Vec<String> = described.iter().map(|(id, _)| id.clone()).collect();
    ids.extend(used.iter().filter(|id| !described.iter().any(|(known, _)| known == *id)).map(|id| id.to_string()));
    let stem_name = input.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "catalog".into());
    let mut root = root_json.unwrap_or_else(|| {
        json!({
            "type": "Catalog",
            "id": stem_name,
            "stac_version": "1.0.0",
            "description": format!("The items of {}", input.display()),
            "links": []
        })
        .as_object()
        .cloned()
        .expect("an object")
    });
    strip_structural(&mut root);
    let root_id = root.get("id").and_then(Value::as_str).unwrap_or("catalog").to_string();
    let mut nodes = vec![Node {
        kind: NodeKind::Catalog,
        id: root_id,
        path: input.clone(),
        json: root,
        parent: None,
        children: Vec::new(),
        items: Vec::new(),
    }];
    let mut index: HashMap<String, usize> = HashMap::new();
    for id in ids {
        let json = match described.iter().position(|(known, _)| *known == id).map(|i| described.remove(i).1) {
            Some(mut json) => {
                strip_structural(&mut json);
                json
            }
            None => {
                warnings.push(
                    "collection without metadata",
                    &input,
                    format!(
                        "collection {id:?} is not described in the file metadata; a minimal collection is made for it"
                    ),
                );
                let k = collections.iter().position(|c| *c == id).map_or(NO_COLLECTION, |k| k as u32);
                let rows = records.iter().zip(collection_of_row).filter(|&(_, &c)| c == k);
                minimal_collection(&id, rows.map(|(record, _)| record))
            }
        };
        let n = nodes.len();
        index.insert(id.clone(), n);
        nodes[0].children.push(n);
        nodes.push(Node {
            kind: NodeKind::Collection,
            id,
            path: input.clone(),
            json,
            parent: Some(0),
            children: Vec::new(),
            items: Vec::new(),
        });
    }
    let node_of_collection = collections.iter().map(|c| index.get(c).copied().unwrap_or(0)).collect();
    Ok((nodes, node_of_collection))
}

/// Links that point into a file tree mean nothing inside one file: the
/// writer makes new ones.
fn strip_structural(json: &mut Map<String, Value>) {
    if let Some(Value::Array(links)) = json.get_mut("links") {
        links.retain(|l| {
            !matches!(l.get("rel").and_then(Value::as_str), Some("item" | "child" | "root" | "parent" | "self"))
        });
    }
}

fn minimal_collection<'a>(id: &str, records: impl Iterator<Item = &'a ItemRecord>) -> Map<String, Value> {
    let mut bbox: Option<Bbox> = None;
    let (mut start, mut end): (Option<Cow<str>>, Option<Cow<str>>) = (None, None);
    for record in records {
        if let Some(b) = record.bbox {
            bbox = Some(match bbox {
                None => b,
                Some(a) => [a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])],
            });
        }
        if let Some(t) = record.datetime.map(|t| t.text()) {
            if start.as_ref().is_none_or(|s| t < *s) {
                start = Some(t.clone());
            }
            if end.as_ref().is_none_or(|e| t > *e) {
                end = Some(t);
            }
        }
    }
    json!({
        "type": "Collection",
        "id": id,
        "stac_version": "1.0.0",
        "description": format!("The items of collection {id}"),
        "license": "other",
        "extent": {
            "spatial": {"bbox": [bbox.unwrap_or([-180.0, -90.0, 180.0, 90.0])]},
            "temporal": {"interval": [[start, end]]}
        },
        "links": []
    })
    .as_object()
    .cloned()
    .expect("an object")
}

/// Matches `hrefs` ((item, link number, href), sorted) to items: by self
/// href, else by the file stem as an id. Ids are found in one list of item
/// numbers sorted by (id, item), four bytes an item, where a hash map of
/// every id took tens of bytes; a search per collection instead would cost
/// hrefs × collections.
fn resolve_sources(dataset: &mut Dataset, hrefs: Vec<(u32, u32, String)>, self_hrefs: &HashMap<Box<str>, usize>) {
    let items = &dataset.items;
    // Items are in (node, id) order: a run of ids per node, which the
    // standard sort merges in linear time; ties keep item order.
    let mut by_id: Vec<u32> = (0..items.len() as u32).collect();
    by_id.sort_by(|&a, &b| items[a as usize].id.cmp(&items[b as usize].id));
    let named = |id: &str| -> Vec<usize> {
        let start = by_id.partition_point(|&j| items[j as usize].id.as_str() < id);
        by_id[start..].iter().map(|&j| j as usize).take_while(|&j| items[j].id == id).collect()
    };
    // Each href's item (or none), found in parallel: four bytes an href, not
    // a list per item beside the hrefs.
    const DANGLING: u32 = u32::MAX;
    let targets: Vec<u32> = hrefs
        .par_iter()
        .map(|(i, _, href)| {
            let i = *i as usize;
            let target = self_hrefs.get(href.as_str()).copied().or_else(|| {
                let named: Vec<usize> = named(href::stem(href)).into_iter().filter(|&j| j != i).collect();
                // Ids repeat across collections (a label and its image
                // often share one): the collection the href passes
                // through decides, else the item's own collection.
                let segments: Vec<&str> = href.split('/').collect();
                let node_named = |j: &usize| segments.contains(&dataset.nodes[items[*j].node as usize].id.as_str());
                let own = |j: &usize| items[*j].node == items[i].node;
                match named.as_slice() {
                    [one] => Some(*one),
                    _ => named.iter().copied().find(node_named).or_else(|| named.iter().copied().find(own)),
                }
            });
            target.map_or(DANGLING, |j| j as u32)
        })
        .collect();
    let mut hrefs = hrefs.into_iter().zip(targets).peekable();
    while let Some(((item, _, href), target)) = hrefs.next() {
        let (mut found, mut dangling) = (Vec::new(), Vec::new());
        let mut place = |href: String, target: u32| match target {
            DANGLING => dangling.push(href),
            j => found.push(j as usize),
        };
        place(href, target);
        while let Some(((_, _, href), target)) = hrefs.next_if(|((next, _, _), _)| *next == item) {
            place(href, target);
        }
        crate::catalog::give_sources(&mut dataset.items[item as usize], found, dangling);
    }
    crate::catalog::list_node_items(dataset);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each batch read both ways: the typed path must give the JSON path's
    /// rows exactly, or step aside. Returns how many batches it read.
    fn typed_matches_json(path: &Path) -> usize {
        let parts = files::open(path).unwrap();
        let mut typed_batches = 0;
        for part in &parts {
            for g in 0..part.row_groups() {
                let columns = load_columns(part, g).unwrap();
                let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
                for batch in part.read_group(g, Some(&columns), None).unwrap() {
                    let batch = batch.unwrap();
                    let mut typed = GroupRead::default();
                    let mut typed_slots = vec![ItemRecord::default(); batch.num_rows()];
                    if !typed.typed(part, &batch, &mut typed_slots).unwrap() {
                        assert!(typed.filled == 0 && typed.collections.is_empty());
                        continue;
                    }
                    typed_batches += 1;
                    let mut json = GroupRead::default();
                    let mut json_slots = vec![ItemRecord::default(); batch.num_rows()];
                    json.json(part, batch, &mut json_slots).unwrap();
                    assert!(json.warnings.is_empty(), "a batch with warnings was read typed");
                    let show = |read: &GroupRead, slots: &[ItemRecord]| -> Vec<String> {
                        slots
                            .iter()
                            .enumerate()
                            .map(|(r, record)| {
                                let c = read.collection[r];
                                let collection = (c != NO_COLLECTION).then(|| read.collections[c as usize].clone());
                                let sources: Vec<&String> =
                                    read.sources.iter().filter(|(row, _)| *row as usize == r).map(|(_, h)| h).collect();
                                let own: Vec<&Box<str>> = read
                                    .self_hrefs
                                    .iter()
                                    .filter(|(row, _)| *row as usize == r)
                                    .map(|(_, h)| h)
                                    .collect();
                                format!("{record:?} {sources:?} {collection:?} {own:?}")
                            })
                            .collect()
                    };
                    assert_eq!(typed.filled, json.filled);
                    assert_eq!(show(&typed, &typed_slots), show(&json, &json_slots));
                    assert_eq!(typed.linked, json.linked);
                }
            }
        }
        typed_batches
    }

    #[test]
    fn permute_moves_each_value_to_its_place() {
        // Every permutation of five, and a long one made of many cycles.
        let mut orders: Vec<Vec<u32>> = Vec::new();
        let mut current: Vec<u32> = (0..5).collect();
        loop {
            orders.push(current.clone());
            // The next permutation in lexicographic order.
            let Some(k) = (0..current.len() - 1).rev().find(|&k| current[k] < current[k + 1]) else { break };
            let l = (k + 1..current.len()).rev().find(|&l| current[k] < current[l]).unwrap();
            current.swap(k, l);
            current[k + 1..].reverse();
        }
        assert_eq!(orders.len(), 120);
        orders.push((0..1000u32).map(|i| (i * 7919) % 1000).collect());
        for order in orders {
            let mut values: Vec<String> = (0..order.len()).map(|i| format!("v{i}")).collect();
            permute(&mut values, &order);
            let expected: Vec<String> = order.iter().map(|&o| format!("v{o}")).collect();
            assert_eq!(values, expected, "order {order:?}");
        }
    }

    fn table_of(path: &Path, items: Vec<Value>) {
        let items: Vec<Map<String, Value>> = items.into_iter().map(|v| v.as_object().unwrap().clone()).collect();
        super::super::write_items(path, 1, &|_| Ok(items.clone()), Vec::new()).unwrap();
    }

    fn item(id: &str, collection: &str, extra: Value) -> Value {
        let mut item = json!({
            "type": "Feature", "stac_version": "1.1.0", "id": id, "collection": collection,
            "bbox": [0.0, 0.0, 1.0, 1.0],
            "geometry": {"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]},
            "properties": {"datetime": "2020-01-01T00:00:00Z"},
            "links": [], "assets": {"image": {"href": "./img/a.tif", "type": "image/tiff", "roles": ["data"]}}
        });
        let (Value::Object(target), Value::Object(extra)) = (&mut item, extra) else { unreachable!() };
        for (k, v) in extra {
            match (k.as_str(), v) {
                ("properties", Value::Object(p)) => target["properties"].as_object_mut().unwrap().extend(p),
                (_, v) => {
                    target.insert(k, v);
                }
            }
        }
        item
    }

    #[test]
    fn typed_rows_are_the_json_rows() {
        let dir = tempfile::tempdir().unwrap();
        // Label items of every shape the typed path reads, beside plain ones.
        let label = "https://stac-extensions.github.io/label/v1.0.1/schema.json";
        let table = dir.path().join("hand.parquet");
        table_of(
            &table,
            vec![
                item(
                    "s1",
                    "src",
                    json!({"links": [{"rel": "self", "href": "../elsewhere/x.json"}],
                    "properties": {"start_datetime": "2019-01-01T00:00:00Z", "ml-dataset:split": "train"}}),
                ),
                item(
                    "s2",
                    "src",
                    json!({"bbox": [0.0, 0.0, 2.0, 2.0], "links": [{"rel": "license", "href": "../docs/l.txt"}]}),
                ),
                item(
                    "l1",
                    "lab",
                    json!({"stac_extensions": [label],
                    "links": [{"rel": "source", "href": "../src/s1.json"}, {"rel": "source", "href": "https://x.org/s9.json"}],
                    "assets": {"labels": {"href": "./masks/l1.tif", "type": "image/tiff", "roles": ["labels"]}},
                    "properties": {"label:properties": ["kind"], "label:tasks": ["classification"], "label:type": "raster",
                        "kind": "water",
                        "label:classes": [{"name": "kind", "classes": ["water", "land"]}],
                        "label:overviews": [{"property_key": "kind", "counts": [{"name": "water", "count": 3}]}]}}),
                ),
                item(
                    "l2",
                    "lab",
                    json!({"stac_extensions": [label], "assets": {},
                    "properties": {"label:properties": null, "label:type": "vector",
                        "label:classes": [{"name": "kind", "classes": []}]}}),
                ),
            ],
        );
        assert_eq!(typed_matches_json(&table), 1);
        // A generated table: overviews, source links, footprints that are not rectangles.
        let generated = dir.path().join("gen.parquet");
        crate::generate::generate(&crate::generate::GenerateOptions {
            out: generated.clone(),
            pairs: 300,
            classes: 4,
            dup_rate: 0.0,
            overlap: 0.0,
            seed: 3,
            footprints: Some(7),
            geoparquet: true,
        })
        .unwrap();
        assert!(typed_matches_json(&generated) > 0);
        // A row to warn about sends its batch to the JSON path.
        let warned = dir.path().join("warned.parquet");
        table_of(&warned, vec![item("a", "src", json!({})), item("b", "src", json!({"bbox": [0.0, 0.0, 0.0, 0.0]}))]);
        assert_eq!(typed_matches_json(&warned), 0);
    }

    /// A table of two point items written straight from Arrow columns, with
    /// `extra` columns beside the required ones.
    fn arrow_table(path: &Path, extra: Vec<(&str, arrow_array::ArrayRef)>) {
        use arrow_array::{ArrayRef, BinaryArray, StringArray};
        let point = |x: f64, y: f64| {
            let mut wkb = vec![1u8, 1, 0, 0, 0];
            wkb.extend(x.to_le_bytes());
            wkb.extend(y.to_le_bytes());
            wkb
        };
        let mut columns: Vec<(&str, ArrayRef)> = vec![
            ("id", Arc::new(StringArray::from(vec!["a", "b"]))),
            ("collection", Arc::new(StringArray::from(vec!["c", "c"]))),
            ("geometry", Arc::new(BinaryArray::from_iter_values([point(1.0, 2.0), point(3.0, 4.0)]))),
        ];
        columns.extend(extra);
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        let file = std::fs::File::create(path).unwrap();
        let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
    }

    #[test]
    fn typed_rows_read_what_other_writers_write() {
        use arrow_array::{ArrayRef, NullArray, StringArray, StructArray};
        let dir = tempfile::tempdir().unwrap();
        // A label column of the null type (as DuckDB writes an empty one) marks no row.
        let nulls = dir.path().join("nulls.parquet");
        arrow_table(&nulls, vec![("label:description", Arc::new(NullArray::new(2)) as ArrayRef)]);
        assert_eq!(typed_matches_json(&nulls), 1);
        let dataset = GeoParquet::new(&nulls).load().unwrap();
        assert!(dataset.items.iter().all(|i| !i.is_label()));
        // Roles written as a string, not a list: the JSON path sees a string,
        // so the typed path steps aside.
        let roles: ArrayRef = Arc::new(StringArray::from(vec!["labels", "data"]));
        let href: ArrayRef = Arc::new(StringArray::from(vec!["./a.tif", "./b.tif"]));
        let asset = StructArray::try_from(vec![("href", href), ("roles", roles)]).unwrap();
        let assets = StructArray::try_from(vec![("labels", Arc::new(asset) as ArrayRef)]).unwrap();
        let stringly = dir.path().join("stringly.parquet");
        arrow_table(&stringly, vec![("assets", Arc::new(assets) as ArrayRef)]);
        assert_eq!(typed_matches_json(&stringly), 0);
    }

    #[test]
    fn source_links_of_rows_find_their_items() {
        let dir = tempfile::tempdir().unwrap();
        let table = dir.path().join("links.parquet");
        let label = json!(["https://stac-extensions.github.io/label/v1.0.1/schema.json"]);
        let links = |hrefs: &[&str]| {
            let links: Vec<Value> = hrefs.iter().map(|h| json!({"href": h, "rel": "source"})).collect();
            json!({"stac_extensions": label, "links": links})
        };
        table_of(
            &table,
            vec![
                item("x", "images", json!({})),
                item("x", "labels", json!({})),
                item("z", "images", json!({"links": [{"href": "https://host/scenes/zz.json", "rel": "self"}]})),
                // The collection the href passes through decides between the two x.
                item("l1", "labels", links(&["../images/x.json"])),
                // No collection named: the item's own.
                item("l2", "labels", links(&["x.json"])),
                // A self href names its item whatever its stem; nothing is named "nowhere".
                item("l3", "labels", links(&["https://host/scenes/zz.json", "nowhere.json"])),
                // An item is not its own source.
                item("l4", "labels", links(&["l4.json", "../images/x.json"])),
            ],
        );
        let dataset = GeoParquet::new(&table).load().unwrap();
        let name = |j: usize| {
            let item = &dataset.items[j];
            format!("{}/{}", dataset.nodes[item.node as usize].id, item.id)
        };
        let sources = |id: &str| {
            let i = dataset.items.iter().position(|i| i.id == id).unwrap();
            let item = &dataset.items[i];
            (item.sources.iter().map(|&j| name(j)).collect::<Vec<_>>(), item.dangling().to_vec())
        };
        let none: Vec<String> = Vec::new();
        assert_eq!(sources("l1"), (vec!["images/x".to_string()], none.clone()));
        assert_eq!(sources("l2"), (vec!["labels/x".to_string()], none.clone()));
        assert_eq!(sources("l3"), (vec!["images/z".to_string()], vec!["nowhere.json".to_string()]));
        assert_eq!(sources("l4"), (vec!["images/x".to_string()], vec!["l4.json".to_string()]));
        assert_eq!(sources("z"), (Vec::new(), none));
    }

    #[test]
    fn stems_name_items() {
        assert_eq!(href::stem("../source-12/source-12.json"), "source-12");
        assert_eq!(href::stem("https://example.com/items/a.json?x=1"), "a");
        assert_eq!(href::stem("b"), "b");
    }
}
