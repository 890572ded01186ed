//! Validation of a stac-geoparquet input (a Parquet file, or a folder of
//! them): every row as the STAC Item it represents (its JSON as
//! [`GeoParquet`] gives it: properties nested, geometry as GeoJSON,
//! datetimes as RFC 3339 strings), the collections of the `stac-geoparquet`
//! file metadata as Collections, and the root catalog stac-ml writes under
//! [`ROOT_KEY`] as a Catalog. Findings name the Parquet file and the object
//! in it ([`Object`]).
//!
//! Rows are checked in chunks in row order, in parallel; each thread keeps
//! only the row group it is reading, so memory stays flat however many rows.
//! A file that cannot be read as stac-geoparquet (not Parquet, truncated, a
//! missing or wrongly typed `id` or geometry column, parts with different
//! columns) is one error naming the file, as an unreadable `catalog.json` is.
//! Rows have no files of their own, so their links and asset hrefs are not
//! checked: one warning says so. For the same reason rows carry no
//! `collection` link: the `collection` column and the file metadata stand for
//! it (see [`link_collection`]).

use std::collections::BTreeSet;
use std::path::Path;

use rayon::prelude::*;
use serde_json::Value;

use super::collect::Gathered;
use super::notices::Notices;
use super::object::schema_findings;
use super::report::{Bounded, Finding, Kind, Object, Quality, Report, Severity};
use super::schemas::{ObjectKind, SchemaSet};
use super::{Options, finish, ingest};
use crate::catalog::href;
use crate::error::{Error, Result};
use crate::geoparquet::{GeoParquet, ROOT_KEY};
use crate::source::Source;

/// Rows checked per parallel task: one batch of a row group.
const CHUNK: usize = crate::geoparquet::files::BATCH_ROWS;

/// The one notice about links, on the input.
pub(super) const LINKS_NOT_CHECKED: &str = "links and asset hrefs of the rows are not checked: \
     the items of a stac-geoparquet table have no files of their own";

/// Validates the stac-geoparquet file or folder `input`.
pub(super) fn validate_table(input: &Path, options: &Options, schemas: &SchemaSet) -> Result<Report> {
    let source = GeoParquet::new(input);
    let dataset = match source.load() {
        Ok(dataset) => dataset,
        Err(error) => return unreadable(input, error, options),
    };
    let rows = source.rows()?;
    let limit = options.max_findings;
    let mut collected = Bounded::new(limit);
    let mut notices = Notices::default();
    let mut nodes = 0;

    // The collections of the file metadata, each id once, and the root.
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut root: Option<Value> = None;
    for part in &rows.parts {
        let path = part.path.as_path();
        if let Some(text) = part.key_value("stac-geoparquet") {
            match serde_json::from_str::<Value>(text) {
                Ok(meta) => {
                    let mut found: Vec<&Value> = Vec::new();
                    if let Some(Value::Object(map)) = meta.get("collections") {
                        found.extend(map.values());
                    }
                    found.extend(meta.get("collection").filter(|c| c.is_object()));
                    for collection in found {
                        let id = collection.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
                        if !seen.insert(id.clone()) {
                            continue;
                        }
                        nodes += 1;
                        let object = Object { kind: ObjectKind::Collection, id };
                        let mut file = Bounded::new(options.max_findings_per_file);
                        check(schemas, options, path, collection, &object, &mut file, &mut notices);
                        collected.absorb(file);
                    }
                }
                Err(e) => collected.push(metadata_error(path, "stac-geoparquet", &e)),
            }
        }
        if root.is_none()
            && let Some(text) = part.key_value(ROOT_KEY)
        {
            match serde_json::from_str::<Value>(text) {
                Ok(value) => {
                    nodes += 1;
                    let id = value.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
                    let object = Object { kind: ObjectKind::Catalog, id };
                    let mut file = Bounded::new(options.max_findings_per_file);
                    check(schemas, options, path, &value, &object, &mut file, &mut notices);
                    if let Some(json) = value.as_object()
                        && let Some((name, pointer)) = ingest::dataset_name(json)
                        && let Err(message) = ingest::check_name(name)
                    {
                        let finding = Finding::new(path, Severity::Error, Kind::Ingest, Some(pointer.into()), message);
                        for finding in ingest::judge(vec![finding], options.profile) {
                            file.push(Finding { object: Some(object.clone()), ..finding });
                        }
                    }
                    collected.absorb(file);
                    root = Some(value);
                }
                Err(e) => collected.push(metadata_error(path, ROOT_KEY, &e)),
            }
        }
    }
    let quality = match &root {
        Some(root) if root.get("ml-dataset:name").is_some() => Quality::Q2,
        _ => Quality::Q1,
    };

    // Every row, in row order, a chunk per task.
    let order = source.item_order(&dataset).unwrap_or_else(|| (0..dataset.items.len()).collect());
    let gathered = order
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut gathered = Gathered::new(limit);
            let mut buffer = Vec::new();
            for &i in chunk {
                let record = &dataset.items[i];
                let file_path = dataset.item_file(i);
                let object = Object { kind: ObjectKind::Item, id: record.id.clone() };
                let mut file = Bounded::new(options.max_findings_per_file);
                gathered.items += 1;
                match source.item_json(&dataset, i, &mut buffer) {
                    Ok(mut value) => {
                        link_collection(&mut value, file_path, &seen);
                        gathered.remote_assets += remote_assets(&value);
                        check(schemas, options, file_path, &value, &object, &mut file, &mut gathered.notices);
                    }
                    Err(error) => {
                        let finding = Finding::new(file_path, Severity::Error, Kind::Io, None, message(&error));
                        file.push(Finding { object: Some(object), ..finding });
                    }
                }
                gathered.findings.absorb(file);
            }
            gathered
        })
        .reduce(
            || Gathered::new(limit),
            |mut a, b| {
                a.merge(b);
                a
            },
        );
    collected.absorb(gathered.findings);
    notices.merge(gathered.notices);
    for finding in notices.into_findings() {
        collected.push(finding);
    }
    let input = std::fs::canonicalize(input).unwrap_or_else(|_| input.to_path_buf());
    collected.push(Finding::new(&input, Severity::Warning, Kind::Link, None, LINKS_NOT_CHECKED));
    Ok(finish(input, Some(quality), collected, nodes, gathered.items, gathered.remote_assets))
}

/// The collection link a table stands for: a row names its collection in
/// the `collection` column and the file metadata describes it, so rows carry
/// no `collection` link (they have no file to link from). The core schema
/// forbids `collection` without one: a row naming a collection the metadata
/// describes is checked with a link to its Parquet file added. A row naming
/// a collection nowhere described keeps the schema's error.
fn link_collection(value: &mut Value, file: &Path, described: &BTreeSet<String>) {
    let Some(json) = value.as_object_mut() else { return };
    if !json.get("collection").and_then(Value::as_str).is_some_and(|c| described.contains(c)) {
        return;
    }
    let Some(Value::Array(links)) = json.get_mut("links") else { return };
    if links.iter().any(|l| l.get("rel").and_then(Value::as_str) == Some("collection")) {
        return;
    }
    let href = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    links.push(serde_json::json!({"rel": "collection", "href": href, "type": "application/vnd.apache.parquet"}));
}

/// Schema checks of one object of the table into `file`; its "not checked"
/// notices into `notices`.
fn check(
    schemas: &SchemaSet,
    options: &Options,
    path: &Path,
    value: &Value,
    object: &Object,
    file: &mut Bounded,
    notices: &mut Notices,
) {
    let mut out = Vec::new();
    let mut found = Vec::new();
    let mut omitted = Vec::new();
    let limit = options.max_findings_per_file;
    schema_findings(schemas, path, value, options.strict, limit, &mut out, &mut found, &mut omitted);
    for (severity, n) in omitted {
        file.count_omitted(severity, n);
    }
    for finding in out {
        file.push(Finding { object: Some(object.clone()), ..finding });
    }
    for mut notice in found {
        notice.object = Some(object.clone());
        notices.add(notice);
    }
}

/// Remote asset hrefs of an item: counted, never fetched.
fn remote_assets(value: &Value) -> usize {
    let Some(Value::Object(assets)) = value.get("assets") else { return 0 };
    assets.values().filter_map(|a| a.get("href").and_then(Value::as_str)).filter(|h| href::is_remote(h)).count()
}

fn metadata_error(path: &Path, key: &str, error: &serde_json::Error) -> Finding {
    Finding::new(
        path,
        Severity::Error,
        Kind::Json,
        None,
        format!("the {key:?} file metadata is malformed JSON: {error}"),
    )
}

/// The message of an error, without the file name (the finding has it).
fn message(error: &Error) -> String {
    match error {
        Error::NotStac { message, .. } => message.clone(),
        Error::Io { error, .. } => error.to_string(),
        Error::Json { error, .. } => format!("malformed JSON: {error}"),
        other => other.to_string(),
    }
}

/// An input that cannot be read as stac-geoparquet: one error naming the
/// file, as for an unreadable `catalog.json`. Errors of the file system
/// (missing, permission denied) stop validation, as they do for JSON.
fn unreadable(input: &Path, error: Error, options: &Options) -> Result<Report> {
    let (path, kind) = match &error {
        Error::NotStac { path, .. } => (path.clone(), Kind::Io),
        Error::Json { path, .. } => (path.clone(), Kind::Json),
        _ => return Err(error),
    };
    let mut collected = Bounded::new(options.max_findings);
    collected.push(Finding::new(path, Severity::Error, kind, None, message(&error)));
    let input = std::fs::canonicalize(input).unwrap_or_else(|_| input.to_path_buf());
    Ok(finish(input, Some(Quality::Q1), collected, 0, 0, 0))
}
