//! The Parquet files of a stac-geoparquet input: a file, or a folder of them
//! (hive `key=value/` folders included, as Spark and DuckDB write them),
//! opened with their metadata and checked once, so every later read can
//! trust the columns it needs and every bad file is one clear line.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder};

use crate::catalog::read::FileStamp;
use crate::error::{Error, Result};

/// Rows decoded at a time: large enough to amortise per-batch work, small
/// enough that a batch of wide rows stays a few megabytes.
pub const BATCH_ROWS: usize = 8192;

/// One Parquet file of the input.
#[derive(Debug, Clone)]
pub struct Part {
    /// The file (absolute).
    pub path: PathBuf,
    /// `key=value` folders between the input folder and the file, in order;
    /// a value of `__HIVE_DEFAULT_PARTITION__` is null.
    pub hive: Vec<(String, Option<String>)>,
    /// The file's Parquet and Arrow metadata, read once.
    pub meta: ArrowReaderMetadata,
    /// Size and modification time when opened.
    pub stamp: FileStamp,
}

impl Part {
    /// Rows in the file.
    pub fn rows(&self) -> usize {
        usize::try_from(self.meta.metadata().file_metadata().num_rows()).unwrap_or(0)
    }

    /// Row groups in the file.
    pub fn row_groups(&self) -> usize {
        self.meta.metadata().num_row_groups()
    }

    /// The file's key-value metadata entry `key`.
    pub fn key_value(&self, key: &str) -> Option<&str> {
        self.meta
            .metadata()
            .file_metadata()
            .key_value_metadata()?
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.as_deref())
    }

    /// The schema the rows are read with: the file's, and the hive columns
    /// the file does not hold as strings.
    pub fn schema(&self) -> SchemaRef {
        let file = self.meta.schema();
        let missing: Vec<&(String, Option<String>)> =
            self.hive.iter().filter(|(key, _)| file.column_with_name(key).is_none()).collect();
        if missing.is_empty() {
            return file.clone();
        }
        let mut fields: Vec<Arc<Field>> = file.fields().iter().cloned().collect();
        fields.extend(missing.iter().map(|(key, _)| Arc::new(Field::new(key, DataType::Utf8, true))));
        Arc::new(Schema::new_with_metadata(fields, file.metadata().clone()))
    }

    /// Rows in row group `group`.
    pub fn group_rows(&self, group: usize) -> usize {
        usize::try_from(self.meta.metadata().row_group(group).num_rows()).unwrap_or(0)
    }

    /// Reads row group `group` (only the rows `rows` of it, when given), in
    /// batches of [`BATCH_ROWS`], with the hive columns added. `columns`,
    /// when given, limits the file's columns read (by name; names the file
    /// lacks are ignored).
    pub fn read_group(
        &self,
        group: usize,
        columns: Option<&[&str]>,
        rows: Option<std::ops::Range<usize>>,
    ) -> Result<impl Iterator<Item = Result<RecordBatch>> + use<'_>> {
        let file = std::fs::File::open(&self.path).map_err(|e| Error::io(&self.path, e))?;
        let mut builder = ParquetRecordBatchReaderBuilder::new_with_metadata(file, self.meta.clone())
            .with_row_groups(vec![group])
            .with_batch_size(BATCH_ROWS);
        if let Some(rows) = rows {
            use parquet::arrow::arrow_reader::{RowSelection, RowSelector};
            let selection = vec![RowSelector::skip(rows.start), RowSelector::select(rows.len())];
            builder = builder.with_row_selection(RowSelection::from(selection));
        }
        if let Some(columns) = columns {
            let schema = self.meta.schema();
            let roots: Vec<usize> =
                (0..schema.fields().len()).filter(|&i| columns.contains(&schema.field(i).name().as_str())).collect();
            let mask =
                parquet::arrow::ProjectionMask::roots(self.meta.metadata().file_metadata().schema_descr(), roots);
            builder = builder.with_projection(mask);
        }
        let reader = builder.build().map_err(|e| self.unreadable(&e.to_string()))?;
        Ok(reader.map(move |batch| {
            let batch = batch.map_err(|e| self.unreadable(&e.to_string()))?;
            self.with_hive(batch)
        }))
    }

    fn with_hive(&self, batch: RecordBatch) -> Result<RecordBatch> {
        let schema = batch.schema();
        let missing: Vec<&(String, Option<String>)> =
            self.hive.iter().filter(|(key, _)| schema.column_with_name(key).is_none()).collect();
        if missing.is_empty() {
            return Ok(batch);
        }
        let rows = batch.num_rows();
        let mut fields: Vec<Arc<Field>> = schema.fields().iter().cloned().collect();
        let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
        for (key, value) in missing {
            fields.push(Arc::new(Field::new(key, DataType::Utf8, true)));
            columns.push(Arc::new(StringArray::from(vec![value.as_deref(); rows])));
        }
        RecordBatch::try_new(Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone())), columns)
            .map_err(|e| self.unreadable(&e.to_string()))
    }

    /// The error for a file whose data cannot be decoded.
    pub fn unreadable(&self, cause: &str) -> Error {
        Error::not_stac(
            &self.path,
            format!("cannot be read as Parquet ({cause}); the file may be truncated or damaged"),
        )
    }
}

/// True when `path` names a Parquet input rather than a JSON catalog: a file
/// that starts with Parquet's magic bytes, or a folder without `catalog.json`
/// holding `.parquet` files.
pub fn is_parquet_input(path: &Path) -> bool {
    if path.is_dir() {
        return !path.join("catalog.json").exists() && first_parquet(path, 0);
    }
    // Only a regular file is opened: opening a named pipe would block.
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let mut magic = [0u8; 4];
    use std::io::Read;
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == b"PAR1"
        || has_parquet_name(path)
}

fn has_parquet_name(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("geoparquet"))
}

fn first_parquet(dir: &Path, depth: usize) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    entries.flatten().any(|entry| {
        let path = entry.path();
        let name = entry.file_name();
        if hidden(&name.to_string_lossy()) {
            return false;
        }
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => depth < 16 && first_parquet(&path, depth + 1),
            Ok(kind) if kind.is_file() => has_parquet_name(&path),
            _ => false,
        }
    })
}

/// Spark, Hadoop and DuckDB keep bookkeeping files beside the data
/// (`_SUCCESS`, `.part-0.crc`, `_metadata`); they are not rows.
fn hidden(name: &str) -> bool {
    name.starts_with('_') || name.starts_with('.')
}

/// Opens the input: one file, or every Parquet file under a folder, sorted
/// by path so the row order never depends on the file system.
pub fn open(input: &Path) -> Result<Vec<Part>> {
    let root = std::fs::canonicalize(input).map_err(|e| Error::io(input, e))?;
    if !root.is_dir() {
        return Ok(vec![open_file(&root, Vec::new())?]);
    }
    let mut files = Vec::new();
    collect(&root, &mut files, 0)?;
    if files.is_empty() {
        return Err(Error::not_stac(&root, "is a folder without catalog.json and without .parquet files"));
    }
    files.sort();
    files.into_iter().map(|file| open_file(&file, hive_of(&root, &file))).collect()
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>, depth: usize) -> Result<()> {
    if depth > 16 {
        return Err(Error::not_stac(dir, "is nested more than 16 folders deep under the input; not read"));
    }
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        if hidden(&entry.file_name().to_string_lossy()) {
            continue;
        }
        // Symlinks are not followed: a folder input is what lies in it.
        let kind = entry.file_type().map_err(|e| Error::io(&path, e))?;
        if kind.is_dir() {
            collect(&path, files, depth + 1)?;
        } else if kind.is_file() && has_parquet_name(&path) {
            files.push(path);
        }
    }
    Ok(())
}

fn hive_of(root: &Path, file: &Path) -> Vec<(String, Option<String>)> {
    let Some(folder) = file.parent().and_then(|p| p.strip_prefix(root).ok()) else { return Vec::new() };
    folder
        .components()
        .filter_map(|c| {
            let segment = c.as_os_str().to_str()?;
            let (key, value) = segment.split_once('=')?;
            let value = unescape(value);
            Some((unescape(key), (value != "__HIVE_DEFAULT_PARTITION__").then_some(value)))
        })
        .collect()
}

/// Hive folder names escape bytes such as `:` and `/` as `%XX`.
fn unescape(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = text.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn open_file(path: &Path, hive: Vec<(String, Option<String>)>) -> Result<Part> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let stat = file.metadata().map_err(|e| Error::io(path, e))?;
    if stat.len() == 0 {
        return Err(Error::not_stac(path, "is empty (0 bytes); expected a stac-geoparquet file"));
    }
    let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new()).map_err(|e| {
        let mut magic = [0u8; 4];
        use std::io::Read;
        let parquet =
            std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == b"PAR1";
        let message = if parquet {
            format!("starts as Parquet but cannot be read ({e}); the file may be truncated or damaged")
        } else {
            "is not a Parquet file (it does not start with PAR1); give a stac-geoparquet file, a folder of them, or a STAC catalog.json".to_string()
        };
        Error::not_stac(path, message)
    })?;
    let part = Part { path: path.to_path_buf(), hive, meta, stamp: FileStamp::of(&stat) };
    check_columns(&part)?;
    Ok(part)
}

/// The two columns every row needs, with types that can be read.
fn check_columns(part: &Part) -> Result<()> {
    let schema = part.schema();
    let column = |name: &str| schema.field_with_name(name).ok();
    let refuse = |message: String| Err(Error::not_stac(&part.path, message));
    match column("id").map(|f| f.data_type()) {
        None => return refuse("has no \"id\" column; a stac-geoparquet file has one row per item, with its id".into()),
        Some(t) if is_text(t) => {}
        Some(t) => return refuse(format!("column \"id\" holds {t}; expected strings (the item ids)")),
    }
    let geometry = primary_geometry(part);
    match column(&geometry).map(|f| f.data_type()) {
        None => refuse(format!(
            "has no {geometry:?} column; a stac-geoparquet file holds each item's geometry as WKB in one"
        )),
        Some(DataType::Binary | DataType::LargeBinary | DataType::BinaryView) => Ok(()),
        Some(t) => refuse(format!(
            "column {geometry:?} holds {t}; expected WKB binary (GeoParquet's \"WKB\" encoding; write native geometries as WKB first)"
        )),
    }
}

/// The geometry column: GeoParquet's `primary_column`, else `geometry`.
pub fn primary_geometry(part: &Part) -> String {
    part.key_value("geo")
        .and_then(|geo| serde_json::from_str::<serde_json::Value>(geo).ok())
        .and_then(|geo| geo.get("primary_column")?.as_str().map(String::from))
        .unwrap_or_else(|| "geometry".into())
}

fn is_text(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, value) => is_text(value),
        _ => false,
    }
}

/// Every part must have the first part's columns, with the same types: rows
/// of one dataset are analysed and written as one table.
pub fn check_same_schema(parts: &[Part]) -> Result<SchemaRef> {
    let first = parts.first().expect("open returns at least one part").schema();
    for part in &parts[1..] {
        let schema = part.schema();
        // Batches are written by position: the same columns in another
        // order would put values under the wrong names.
        let names = |s: &Schema| s.fields().iter().map(|f| f.name().clone()).collect::<Vec<_>>();
        let (ours, theirs) = (names(&schema), names(&first));
        if ours != theirs && ours.len() == theirs.len() && ours.iter().all(|n| theirs.contains(n)) {
            return Err(Error::not_stac(
                &part.path,
                format!(
                    "has the columns of {} in another order; all files of one input need the same columns in the same order",
                    parts[0].path.display()
                ),
            ));
        }
        for field in first.fields() {
            match schema.field_with_name(field.name()) {
                Err(_) => {
                    return Err(Error::not_stac(
                        &part.path,
                        format!(
                            "has no column {:?}, which {} has; all files of one input need the same columns",
                            field.name(),
                            parts[0].path.display()
                        ),
                    ));
                }
                Ok(other) if !same_type(other.data_type(), field.data_type()) => {
                    return Err(Error::not_stac(
                        &part.path,
                        format!(
                            "column {:?} holds {}, but {} in {}; all files of one input need the same column types",
                            field.name(),
                            other.data_type(),
                            field.data_type(),
                            parts[0].path.display()
                        ),
                    ));
                }
                Ok(_) => {}
            }
        }
        if let Some(extra) = schema.fields().iter().find(|f| first.field_with_name(f.name()).is_err()) {
            return Err(Error::not_stac(
                &part.path,
                format!(
                    "has column {:?}, which {} lacks; all files of one input need the same columns",
                    extra.name(),
                    parts[0].path.display()
                ),
            ));
        }
    }
    Ok(first)
}

/// Types equal but for nullability and field metadata, which writers set
/// differently for the same data.
fn same_type(a: &DataType, b: &DataType) -> bool {
    a.equals_datatype(b)
        || format!("{a:?}").replace("nullable: false", "nullable: true")
            == format!("{b:?}").replace("nullable: false", "nullable: true")
}
