//! A Q2 dataset as stac-geoparquet: one row per item with its split column,
//! one file or one hive partition (`split=<name>/`) per split, the
//! collections under the `stac-geoparquet` key and the root catalog (its
//! ML-Dataset fields, split provenance and quality metrics) under
//! [`ROOT_KEY`]. Rows read from stac-geoparquet are copied batch by batch
//! with only the columns stac-ml owns changed; other inputs are encoded
//! from item JSON with a schema learnt from every item first.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use geoparquet::writer::{GeoParquetRecordBatchEncoder, GeoParquetWriterOptionsBuilder};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowLeafColumn, ArrowRowGroupWriterFactory, compute_leaves,
};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use rayon::prelude::*;
use serde_json::{Map, Value, json};

use super::encode::{self, FlatRow};
use super::files;
use super::source::{GeoParquet, ROOT_KEY};
use crate::catalog::{Dataset, NodeKind, href};
use crate::error::{Error, Result};
use crate::ml_dataset::{ML_AOI_EXTENSION, ML_DATASET_EXTENSION, ml_aoi_split};
use crate::progress::Observer;
use crate::publish::Staged;
use crate::sink::{Q2Content, Sink, WriteSummary};
use crate::source::Source;

/// Rows per row group: readers fetch and skip whole groups, and the
/// engines parallelise over them.
const GROUP_ROWS: usize = 65_536;

/// Items encoded from JSON at a time.
const CHUNK: usize = 8192;

/// Rows of a table source copied per task.
const COPY_ROWS: usize = 65_536;

/// Writes Q2 datasets as stac-geoparquet.
#[derive(Debug, Clone)]
pub struct GeoParquetSink {
    /// The output file, or with `partition_by_split` the output folder.
    pub out: PathBuf,
    /// Replace an existing output.
    pub force: bool,
    /// One hive partition per split (`split=<name>/part-00000.parquet`).
    pub partition_by_split: bool,
}

impl Sink for GeoParquetSink {
    fn write(&self, content: &Q2Content<'_>, source: &dyn Source, observer: &dyn Observer) -> Result<WriteSummary> {
        let dataset = content.dataset;
        if content.format.ml_aoi() {
            for name in &content.assignment.names {
                ml_aoi_split(name)?;
            }
        }
        let out = if self.partition_by_split {
            let out = crate::publish::resolve_out(&self.out)?;
            crate::publish::check_vacant(&out, self.force)?;
            crate::publish::check_apart(dataset, &out)?;
            out
        } else {
            // For a table input, its folder may hold the output; its files,
            // label files and linked folders never (see `Dataset::table`).
            crate::publish::check_output_file(dataset, &self.out, self.force)?
        };
        let staged = if self.partition_by_split { Staged::begin(&out)? } else { Staged::begin_file(&out)? };
        let metadata = key_values(content);
        let mut table = ItemTable::new(staged.path(), self.partition_by_split, metadata);
        let written = match source.as_any().downcast_ref::<GeoParquet>() {
            Some(input) => copy_rows(input, content, &mut table, observer),
            None => encode_items(content, source, &mut table, observer),
        };
        written.and_then(|()| table.finish()).map_err(|e| staged.blame(e))?;
        staged.publish(self.force)?;
        Ok(WriteSummary { catalog: out.clone(), out, items: dataset.items.len() })
    }
}

/// The file metadata of a Q2 output: collections and the root catalog.
fn key_values(content: &Q2Content) -> Vec<KeyValue> {
    let dataset = content.dataset;
    let mut collections = Map::new();
    for node in dataset.nodes.iter().filter(|n| n.kind == NodeKind::Collection) {
        collections.insert(node.id.clone(), Value::Object(without_structural_links(&node.json)));
    }
    let mut root = without_structural_links(&dataset.root().json);
    content.patch_root(&mut root);
    vec![
        KeyValue::new("stac-geoparquet".into(), json!({"version": "1.0.0", "collections": collections}).to_string()),
        KeyValue::new(ROOT_KEY.into(), Value::Object(root).to_string()),
    ]
}

fn without_structural_links(json: &Map<String, Value>) -> Map<String, Value> {
    let mut json = json.clone();
    if let Some(Value::Array(links)) = json.get_mut("links") {
        links.retain(|l| {
            !matches!(l.get("rel").and_then(Value::as_str), Some("item" | "child" | "root" | "parent" | "self"))
        });
    }
    json
}

/// A stac-geoparquet table being written: one file, or one file per split.
pub struct ItemTable {
    dir: PathBuf,
    partitioned: bool,
    metadata: Vec<KeyValue>,
    writers: BTreeMap<String, TableFile>,
}

/// One Parquet file being written. Each batch's leaf columns are encoded
/// and compressed in parallel, a column per task (the single-threaded
/// `ArrowWriter` spent most of the write stage there), into the open row
/// group's column writers, which close and append in order when it holds
/// `GROUP_ROWS` rows: the same row groups, pages and bytes as `ArrowWriter`
/// writes, whatever the thread count, and as little held.
struct TableFile {
    path: PathBuf,
    writer: SerializedFileWriter<File>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    encoder: GeoParquetRecordBatchEncoder,
    /// The open row group's column writers, and its rows so far.
    open: Option<(Vec<ArrowColumnWriter>, usize)>,
    groups: usize,
}

impl ItemTable {
    /// A table at `path` (the file, or the folder of partitions).
    pub fn new(path: &Path, partitioned: bool, metadata: Vec<KeyValue>) -> Self {
        ItemTable { dir: path.to_path_buf(), partitioned, metadata, writers: BTreeMap::new() }
    }

    /// Appends `batch`, whose geometry column is WKB, to partition `split`
    /// (ignored unless partitioned).
    pub fn write(&mut self, split: &str, batch: &RecordBatch) -> Result<()> {
        let key = if self.partitioned { split.to_string() } else { String::new() };
        if !self.writers.contains_key(&key) {
            let path = if self.partitioned {
                let dir = self.dir.join(format!("split={}", hive_escape(&key)));
                std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
                dir.join("part-00000.parquet")
            } else {
                self.dir.clone()
            };
            let file = TableFile::create(&path, batch)?;
            self.writers.insert(key.clone(), file);
        }
        let file = self.writers.get_mut(&key).expect("inserted above");
        let encoded = file.encoder.encode_record_batch(&marked(batch)?).map_err(|e| file.failed(&e.to_string()))?;
        file.append(&encoded)
    }

    /// Closes every file with its metadata.
    pub fn finish(self) -> Result<()> {
        if self.writers.is_empty() && !self.partitioned {
            return Err(Error::not_stac(&self.dir, "no items to write"));
        }
        for (_, mut file) in self.writers {
            file.close_group()?;
            let TableFile { path, mut writer, encoder, .. } = file;
            let geo = encoder.into_keyvalue().map_err(|e| Error::not_stac(&path, e.to_string()))?;
            writer.append_key_value_metadata(geo);
            for kv in &self.metadata {
                writer.append_key_value_metadata(kv.clone());
            }
            writer.close().map_err(|e| Error::not_stac(&path, format!("cannot be written: {e}")))?;
        }
        Ok(())
    }
}

impl TableFile {
    fn create(path: &Path, batch: &RecordBatch) -> Result<TableFile> {
        let options = GeoParquetWriterOptionsBuilder::default().set_primary_column("geometry".into()).build();
        let encoder = GeoParquetRecordBatchEncoder::try_new(&marked(batch)?.schema(), &options)
            .map_err(|e| Error::not_stac(path, format!("cannot be written as GeoParquet: {e}")))?;
        // zstd at level 1, Arrow's and pyarrow's default: level 3 took 0.7 s
        // more for a million rows, for a file no smaller (15.0 MB, not 14.4).
        let properties = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).expect("a valid level")))
            .set_max_row_group_row_count(Some(GROUP_ROWS))
            .build();
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        let schema = encoder.target_schema();
        let cannot = |e: parquet::errors::ParquetError| Error::not_stac(path, format!("cannot be written: {e}"));
        let (writer, factory) = ArrowWriter::try_new(file, schema.clone(), Some(properties))
            .and_then(|w| w.into_serialized_writer())
            .map_err(cannot)?;
        Ok(TableFile { path: path.to_path_buf(), writer, factory, schema, encoder, open: None, groups: 0 })
    }

    /// Appends `batch` to the open row group, opening and closing groups
    /// at every `GROUP_ROWS` rows.
    fn append(&mut self, batch: &RecordBatch) -> Result<()> {
        let path = self.path.clone();
        let fail = |e: parquet::errors::ParquetError| Error::not_stac(&path, format!("cannot be written: {e}"));
        let mut at = 0;
        while at < batch.num_rows() {
            if self.open.is_none() {
                let writers = self.factory.create_column_writers(self.groups).map_err(fail)?;
                self.open = Some((writers, 0));
            }
            let (writers, rows) = self.open.as_mut().expect("opened above");
            let take = (GROUP_ROWS - *rows).min(batch.num_rows() - at);
            let piece = batch.slice(at, take);
            let mut leaves: Vec<ArrowLeafColumn> = Vec::with_capacity(writers.len());
            for (field, column) in self.schema.fields().iter().zip(piece.columns()) {
                leaves.extend(compute_leaves(field, column).map_err(fail)?);
            }
            writers
                .par_iter_mut()
                .zip(leaves.par_iter())
                .try_for_each(|(writer, leaf)| writer.write(leaf))
                .map_err(fail)?;
            *rows += take;
            at += take;
            if *rows == GROUP_ROWS {
                self.close_group()?;
            }
        }
        Ok(())
    }

    /// Closes the open row group, if any, and appends it to the file.
    fn close_group(&mut self) -> Result<()> {
        let Some((writers, _)) = self.open.take() else { return Ok(()) };
        let path = self.path.clone();
        let fail = |e: parquet::errors::ParquetError| Error::not_stac(&path, format!("cannot be written: {e}"));
        let chunks: Vec<ArrowColumnChunk> = writers
            .into_par_iter()
            .map(ArrowColumnWriter::close)
            .collect::<parquet::errors::Result<_>>()
            .map_err(fail)?;
        let mut group = self.writer.next_row_group().map_err(fail)?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut group).map_err(fail)?;
        }
        group.close().map_err(fail)?;
        self.groups += 1;
        Ok(())
    }

    fn failed(&self, cause: &str) -> Error {
        Error::not_stac(&self.path, format!("cannot be written: {cause}"))
    }
}

/// The batch with its `geometry` column marked as GeoArrow WKB.
fn marked(batch: &RecordBatch) -> Result<RecordBatch> {
    stac::geoarrow::add_wkb_metadata(batch.clone(), "geometry")
        .map_err(|e| Error::Usage(format!("cannot mark the geometry column: {e}")))
}

/// Hive folder names escape what a path cannot hold.
fn hive_escape(value: &str) -> String {
    let mut out = String::new();
    for c in value.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') && !(out.is_empty() && c == '.') {
            out.push(c);
        } else {
            let mut bytes = [0u8; 4];
            for b in c.encode_utf8(&mut bytes).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    if out.is_empty() { "__HIVE_DEFAULT_PARTITION__".into() } else { out }
}

/// The name rows without a split are filed under when partitioned.
const NO_SPLIT: &str = "__HIVE_DEFAULT_PARTITION__";

/// Copies the input's rows batch by batch, row groups decoded in parallel
/// and written in order, changing only the split columns and
/// `stac_extensions`.
fn copy_rows(input: &GeoParquet, content: &Q2Content, table: &mut ItemTable, observer: &dyn Observer) -> Result<()> {
    let rows = input.rows()?;
    for part in &rows.parts {
        let stamp = std::fs::metadata(&part.path).map(|m| crate::catalog::read::FileStamp::of(&m));
        if stamp.ok() != Some(part.stamp) {
            return Err(Error::InputChanged { path: part.path.clone() });
        }
    }
    // Slices of row groups, so memory does not grow with the input's
    // row-group size (pyarrow writes a million rows to a group).
    let units: Vec<(usize, usize, usize, std::ops::Range<usize>)> = rows
        .groups
        .iter()
        .flat_map(|&(p, g, first)| {
            let n = rows.parts[p].group_rows(g);
            (0..n).step_by(COPY_ROWS).map(move |s| (p, g, first + s, s..(s + COPY_ROWS).min(n)))
        })
        .collect();
    let window = rayon::current_num_threads().max(1) * 2;
    for units in units.chunks(window) {
        let done: Vec<Result<Vec<(String, RecordBatch)>>> = units
            .par_iter()
            .map(|(p, g, first, within)| {
                crate::publish::interrupted()?;
                let part = &rows.parts[*p];
                let mut out = Vec::new();
                let mut row = *first;
                for batch in part.read_group(*g, None, Some(within.clone()))? {
                    let batch = batch?;
                    let items: Vec<usize> =
                        (row..row + batch.num_rows()).map(|r| rows.item_of_row[r] as usize).collect();
                    row += batch.num_rows();
                    let batch = with_splits(part, batch, &items, content)?;
                    let batch = with_hrefs_from(part, batch)?;
                    out.extend(by_split(batch, &items, content, table.partitioned)?);
                }
                Ok(out)
            })
            .collect();
        for group in done {
            for (split, batch) in group? {
                let n = batch.num_rows();
                table.write(&split, &batch)?;
                observer.items_done(n as u64);
            }
        }
    }
    Ok(())
}

/// The batch with the split columns set and the ML-Dataset extension listed
/// on every item that has a split.
fn with_splits(part: &files::Part, batch: RecordBatch, items: &[usize], content: &Q2Content) -> Result<RecordBatch> {
    let assignment = content.assignment;
    let names: Vec<Option<&str>> = items.iter().map(|&i| assignment.name_of(i)).collect();
    let mut fields: Vec<Arc<Field>> = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    let schema = batch.schema();
    let geometry = files::primary_geometry(part);
    let mut extensions_seen = false;
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        match field.name().as_str() {
            "ml-dataset:split" | "ml-aoi:split" => continue,
            "stac_extensions" => {
                extensions_seen = true;
                let listed = extensions(column.as_ref(), &names, content).map_err(|e| part.unreadable(&e))?;
                let listed =
                    arrow_cast::cast(&listed, field.data_type()).map_err(|e| part.unreadable(&e.to_string()))?;
                fields.push(field.clone());
                columns.push(listed);
            }
            "geometry" if geometry != "geometry" => {
                return Err(Error::not_stac(
                    &part.path,
                    format!(
                        "has a column \"geometry\" besides its primary geometry column {geometry:?}; \
                         rename one: stac-geoparquet output holds the geometry as \"geometry\""
                    ),
                ));
            }
            name if name == geometry => {
                fields.push(Arc::new(Field::new("geometry", DataType::Binary, true)));
                columns.push(arrow_cast::cast(column, &DataType::Binary).map_err(|e| part.unreadable(&e.to_string()))?);
            }
            _ => {
                fields.push(field.clone());
                columns.push(column.clone());
            }
        }
    }
    if !extensions_seen {
        let empty = arrow_array::new_null_array(
            &DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
            batch.num_rows(),
        );
        let listed = extensions(empty.as_ref(), &names, content).map_err(|e| part.unreadable(&e))?;
        fields.push(Arc::new(Field::new("stac_extensions", listed.data_type().clone(), true)));
        columns.push(listed);
    }
    if content.format.ml_dataset() {
        fields.push(Arc::new(Field::new("ml-dataset:split", DataType::Utf8, true)));
        columns.push(Arc::new(StringArray::from(names.clone())));
    }
    if content.format.ml_aoi() {
        let aoi: Vec<Option<&str>> = names.iter().map(|n| n.and_then(|n| ml_aoi_split(n).ok())).collect();
        fields.push(Arc::new(Field::new("ml-aoi:split", DataType::Utf8, true)));
        columns.push(Arc::new(StringArray::from(aoi)));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| part.unreadable(&e.to_string()))
}

/// `stac_extensions` with the split extensions added to each row that has
/// a split, as the JSON writer adds them.
fn extensions(
    column: &dyn Array,
    names: &[Option<&str>],
    content: &Q2Content,
) -> std::result::Result<ArrayRef, String> {
    let column = arrow_cast::cast(column, &DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))))
        .map_err(|e| e.to_string())?;
    let lists = column.as_any().downcast_ref::<arrow_array::ListArray>().ok_or("stac_extensions is not a list")?;
    let mut builder = ListBuilder::new(StringBuilder::new());
    let values = lists.values().as_any().downcast_ref::<StringArray>().ok_or("stac_extensions holds no strings")?;
    let mut listed: Vec<&str> = Vec::new();
    for (row, name) in names.iter().enumerate() {
        listed.clear();
        if lists.is_valid(row) {
            let range = lists.value_offsets()[row] as usize..lists.value_offsets()[row + 1] as usize;
            listed.extend(range.filter(|&i| values.is_valid(i)).map(|i| values.value(i)));
        }
        if name.is_some() {
            if content.format.ml_dataset() && !listed.contains(&ML_DATASET_EXTENSION) {
                listed.push(ML_DATASET_EXTENSION);
            }
            if content.format.ml_aoi() && !listed.contains(&ML_AOI_EXTENSION) {
                listed.push(ML_AOI_EXTENSION);
            }
        }
        if !lists.is_valid(row) && listed.is_empty() {
            builder.append_null();
        } else {
            for e in &listed {
                builder.values().append_value(e);
            }
            builder.append(true);
        }
    }
    Ok(Arc::new(builder.finish()))
}

/// A local relative href, written in `file`, as an absolute path; `None`
/// for hrefs that are remote, absolute or within the document.
fn absolute(file: &Path, href: &str) -> Option<String> {
    let local = !(href::is_remote(href)
        || href.starts_with('/')
        || href.starts_with("file://")
        || href.starts_with('#')
        || href.is_empty());
    local.then(|| href::resolve(file, href).to_string_lossy().into_owned())
}

/// [`absolute`], with `dir` the folder of `file` as text: most hrefs are
/// `./a/b` or `a/b`, joined to it as text, the path `href::resolve` would
/// give, without its walk over path components.
fn absolute_in(dir: Option<&str>, file: &Path, href: &str) -> Option<String> {
    if let Some(dir) = dir {
        let rest = href.strip_prefix("./").unwrap_or(href);
        let plain = !rest.is_empty()
            && !rest.starts_with('/')
            && !rest.contains("://")
            && !rest.contains(['#', '?', '\\'])
            && rest.split('/').all(|segment| !matches!(segment, "" | "." | ".."));
        if plain {
            let mut joined = String::with_capacity(dir.len() + 1 + rest.len());
            joined.push_str(dir);
            if !dir.ends_with('/') {
                joined.push('/');
            }
            joined.push_str(rest);
            return Some(joined);
        }
    }
    absolute(file, href)
}

/// The batch with the relative hrefs of `assets` and `links`, written from
/// `part`'s folder, made absolute: engines move rows between files and
/// folders (Spark's partitions), and a row must still reach its files.
fn with_hrefs_from(part: &files::Part, batch: RecordBatch) -> Result<RecordBatch> {
    let dir = part.path.parent().map(|d| d.to_string_lossy().into_owned());
    let rewrite = |old: &str| absolute_in(dir.as_deref(), &part.path, old);
    let schema = batch.schema();
    let mut columns = batch.columns().to_vec();
    for (i, field) in schema.fields().iter().enumerate() {
        if matches!(field.name().as_str(), "assets" | "links") {
            columns[i] = hrefs_rewritten(&columns[i], false, &rewrite).map_err(|e| part.unreadable(&e))?;
        }
    }
    RecordBatch::try_new(schema, columns).map_err(|e| part.unreadable(&e.to_string()))
}

/// `array` with every string under a struct field named `href` passed
/// through `rewrite` (kept when it returns `None`).
fn hrefs_rewritten(
    array: &ArrayRef,
    is_href: bool,
    rewrite: &dyn Fn(&str) -> Option<String>,
) -> std::result::Result<ArrayRef, String> {
    use arrow_array::{LargeStringArray, ListArray, StructArray};
    let any = array.as_any();
    if is_href {
        if let Some(strings) = any.downcast_ref::<StringArray>() {
            let new: StringArray =
                strings.iter().map(|s| s.map(|s| rewrite(s).unwrap_or_else(|| s.to_string()))).collect();
            return Ok(Arc::new(new));
        }
        if let Some(strings) = any.downcast_ref::<LargeStringArray>() {
            let new: LargeStringArray =
                strings.iter().map(|s| s.map(|s| rewrite(s).unwrap_or_else(|| s.to_string()))).collect();
            return Ok(Arc::new(new));
        }
        return Ok(array.clone());
    }
    if let Some(structs) = any.downcast_ref::<StructArray>() {
        let DataType::Struct(fields) = structs.data_type() else { return Ok(array.clone()) };
        let children = fields
            .iter()
            .zip(structs.columns())
            .map(|(f, c)| hrefs_rewritten(c, f.name() == "href", rewrite))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let rebuilt =
            StructArray::try_new(fields.clone(), children, structs.nulls().cloned()).map_err(|e| e.to_string())?;
        return Ok(Arc::new(rebuilt));
    }
    if let Some(lists) = any.downcast_ref::<ListArray>() {
        let DataType::List(field) = lists.data_type() else { return Ok(array.clone()) };
        let values = hrefs_rewritten(lists.values(), false, rewrite)?;
        let rebuilt = ListArray::try_new(field.clone(), lists.offsets().clone(), values, lists.nulls().cloned())
            .map_err(|e| e.to_string())?;
        return Ok(Arc::new(rebuilt));
    }
    Ok(array.clone())
}

/// The batch whole, or split by split when partitioned.
fn by_split(
    batch: RecordBatch,
    items: &[usize],
    content: &Q2Content,
    partitioned: bool,
) -> Result<Vec<(String, RecordBatch)>> {
    if !partitioned {
        return Ok(vec![(String::new(), batch)]);
    }
    let assignment = content.assignment;
    let mut out = Vec::new();
    let keys: Vec<Option<u16>> = items.iter().map(|&i| assignment.split_of[i]).collect();
    let mut distinct: Vec<Option<u16>> = keys.clone();
    distinct.sort();
    distinct.dedup();
    for key in distinct {
        let mask = BooleanArray::from(keys.iter().map(|k| *k == key).collect::<Vec<bool>>());
        let part = arrow_select::filter::filter_record_batch(&batch, &mask)
            .map_err(|e| Error::Usage(format!("cannot partition rows: {e}")))?;
        let name = key.map_or(NO_SPLIT.to_string(), |k| assignment.names[k as usize].clone());
        out.push((name, part));
    }
    Ok(out)
}

/// Encodes items read as JSON (from any source): a first pass learns the
/// table's schema from every item, a second encodes them in chunks, in
/// dataset order.
fn encode_items(
    content: &Q2Content,
    source: &dyn Source,
    table: &mut ItemTable,
    observer: &dyn Observer,
) -> Result<()> {
    let dataset = content.dataset;
    let chunks: Vec<std::ops::Range<usize>> =
        (0..dataset.items.len()).step_by(CHUNK).map(|s| s..(s + CHUNK).min(dataset.items.len())).collect();
    let rows_of = |range: &std::ops::Range<usize>| -> Result<Vec<FlatRow>> {
        crate::io_pool::install(|| {
            range
                .clone()
                .into_par_iter()
                .map_init(Vec::new, |buffer, i| {
                    crate::publish::interrupted()?;
                    let json = source.item_json(dataset, i, buffer)?;
                    Ok(encode::flatten(row_json(dataset, content, i, json)?))
                })
                .collect()
        })
    };
    let schema = encode::learn_schema(chunks.iter().map(rows_of), |e| {
        Error::not_stac(&dataset.root().path, format!("its items cannot be written as one Parquet table: {e}"))
    })?;
    for range in &chunks {
        let rows = rows_of(range)?;
        let batch = encode::encode(&schema, &rows).map_err(|e| {
            Error::not_stac(dataset.item_file(range.start), format!("cannot be written as a Parquet row: {e}"))
        })?;
        let items: Vec<usize> = range.clone().collect();
        for (split, part) in by_split(batch, &items, content, table.partitioned)? {
            table.write(&split, &part)?;
        }
        observer.items_done(range.len() as u64);
    }
    Ok(())
}

/// One item as a row of the table: the split fields and extensions set as
/// the JSON writer sets them, every link kept (as stac-geoparquet keeps
/// them) and local relative hrefs made absolute, so they still reach their
/// files wherever an engine moves the row.
fn row_json(dataset: &Dataset, content: &Q2Content, i: usize, json: Value) -> Result<Map<String, Value>> {
    let item = &dataset.items[i];
    let file = dataset.item_file(i);
    let Value::Object(mut json) = json else { return Err(Error::not_stac(file, "expected a STAC Item object")) };
    let node = &dataset.nodes[item.node as usize];
    if node.kind == NodeKind::Collection {
        json.insert("collection".into(), Value::String(node.id.clone()));
    } else {
        json.remove("collection");
    }
    let rewrite = |href: &str| absolute(file, href);
    if let Some(Value::Array(links)) = json.get_mut("links") {
        for link in links.iter_mut() {
            if let Some(new) = link.get("href").and_then(Value::as_str).and_then(rewrite) {
                link["href"] = Value::String(new);
            }
        }
    }
    if let Some(Value::Object(assets)) = json.get_mut("assets") {
        for asset in assets.values_mut() {
            if let Some(new) = asset.get("href").and_then(Value::as_str).and_then(rewrite) {
                asset["href"] = Value::String(new);
            }
        }
    }
    if !json.get("properties").is_some_and(Value::is_object) {
        json.insert("properties".into(), Value::Object(Map::new()));
    }
    let properties = json["properties"].as_object_mut().expect("made an object above");
    properties.remove("ml-dataset:split");
    properties.remove("ml-aoi:split");
    if let Some(name) = content.assignment.name_of(i) {
        if content.format.ml_dataset() {
            properties.insert("ml-dataset:split".into(), Value::String(name.to_string()));
        }
        if content.format.ml_aoi() {
            properties.insert("ml-aoi:split".into(), Value::String(ml_aoi_split(name)?.to_string()));
        }
        if content.format.ml_dataset() {
            crate::ml_dataset::add_extension(&mut json, ML_DATASET_EXTENSION);
        }
        if content.format.ml_aoi() {
            crate::ml_dataset::add_extension(&mut json, ML_AOI_EXTENSION);
        }
    }
    Ok(json)
}

/// Writes items made elsewhere (by `generate`) as one stac-geoparquet file
/// at `path`, with `metadata`: the schema is learnt from every item, which
/// `items` makes twice (once to learn, once to encode), chunk by chunk.
pub fn write_items(
    path: &Path,
    chunks: usize,
    items: &(dyn Fn(usize) -> Result<Vec<Map<String, Value>>> + Sync),
    metadata: Vec<KeyValue>,
) -> Result<()> {
    let flat = |c: usize| -> Result<Vec<FlatRow>> { Ok(items(c)?.into_iter().map(encode::flatten).collect()) };
    let schema =
        encode::learn_schema((0..chunks).map(flat), |e| Error::not_stac(path, format!("cannot be written: {e}")))?;
    let mut table = ItemTable::new(path, false, metadata);
    for c in 0..chunks {
        let rows: Vec<FlatRow> = items(c)?.into_par_iter().map(encode::flatten).collect();
        let batch =
            encode::encode(&schema, &rows).map_err(|e| Error::not_stac(path, format!("cannot be written: {e}")))?;
        table.write("", &batch)?;
    }
    table.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_hrefs_are_joined_as_resolve_would() {
        for file in ["/data/x/items.parquet", "/items.parquet"] {
            let file = Path::new(file);
            let dir = file.parent().map(|d| d.to_string_lossy().into_owned());
            for href in [
                "./a.tif",
                "a.tif",
                "./source/a.tif",
                "s/t/u.json",
                "../up.tif",
                "./a/../b.tif",
                "a//b.tif",
                "/abs.tif",
                "https://x.org/a.tif",
                "file:///a.tif",
                "#frag",
                "",
                "./",
                "a.tif?x=1",
                "c:d.tif",
                "./.hidden",
            ] {
                assert_eq!(absolute_in(dir.as_deref(), file, href), absolute(file, href), "{href}");
            }
        }
    }
}
