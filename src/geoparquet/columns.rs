//! The loading fast path: each row's JSON built straight from the columns,
//! holding only what a compact record needs (id, collection, bbox, the
//! times, the split, extensions, link rels and hrefs, asset hrefs). Only
//! label rows, a share of the rows, go through the full conversion for their
//! label fields and assets. A batch whose columns have unexpected types is
//! converted whole instead ([`super::source::rows_of`]).

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, TimestampMicrosecondType};
use arrow_array::{Array, ArrayRef, BooleanArray, ListArray, RecordBatch, StringArray, StructArray};
use arrow_schema::{DataType, Field, TimeUnit};
use serde_json::{Map, Value};

use super::files::{self, Part};
use super::source::{ReadGeometry, geometry_from_wkb, rows_of};
use crate::error::Result;

/// Rows as JSON objects, each with its geometry read apart.
type JsonRows = Vec<(Map<String, Value>, ReadGeometry)>;

/// Row JSON for loading, the geometry apart.
pub(crate) fn load_rows(part: &Part, batch: RecordBatch) -> Result<JsonRows> {
    match fast(part, &batch) {
        Some(rows) => rows,
        None => rows_of(part, batch),
    }
}

pub(super) fn strings(array: &ArrayRef) -> Option<StringArray> {
    let cast = arrow_cast::cast(array, &DataType::Utf8).ok()?;
    Some(cast.as_string::<i32>().clone())
}

pub(super) fn string_list(array: &ArrayRef) -> Option<ListArray> {
    let target = DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)));
    let cast = arrow_cast::cast(array, &target).ok()?;
    Some(cast.as_list::<i32>().clone())
}

/// Times as RFC 3339 text, as the full conversion writes them.
pub(super) fn times(array: &ArrayRef) -> Option<Vec<Option<String>>> {
    times_as(
        array,
        |micros| chrono::DateTime::from_timestamp_micros(micros).map(|t| t.to_rfc3339()),
        |text: &str| text.to_string(),
    )
}

/// Each row's time, from a timestamp column (as microseconds) or a text
/// one; `None` for a column of another type.
pub(super) fn times_as<T>(
    array: &ArrayRef,
    mut from_micros: impl FnMut(i64) -> Option<T>,
    mut from_text: impl FnMut(&str) -> T,
) -> Option<Vec<Option<T>>> {
    match array.data_type() {
        DataType::Timestamp(_, _) => {
            let target = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
            let cast = arrow_cast::cast(array, &target).ok()?;
            let micros = cast.as_primitive::<TimestampMicrosecondType>();
            Some(micros.iter().map(|t| t.and_then(&mut from_micros)).collect())
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null => {
            Some(strings(array)?.iter().map(|s| s.map(&mut from_text)).collect())
        }
        _ => None,
    }
}

/// A column read by `read` when present: `Some(None)` when absent, `None`
/// when present but not readable so (the batch then takes the full path).
pub(super) fn optional<T>(column: Option<&ArrayRef>, read: impl Fn(&ArrayRef) -> Option<T>) -> Option<Option<T>> {
    match column {
        Some(c) => Some(Some(read(c)?)),
        None => Some(None),
    }
}

fn fast(part: &Part, batch: &RecordBatch) -> Option<Result<JsonRows>> {
    let rows = batch.num_rows();
    let column = |name: &str| batch.column_by_name(name);
    let ids = strings(column("id")?)?;
    let collections = optional(column("collection"), strings)?;
    let bbox = match column("bbox") {
        None => None,
        Some(c) => {
            let bbox = c.as_struct_opt()?;
            let corner = |name: &str| -> Option<arrow_array::Float64Array> {
                let cast = arrow_cast::cast(bbox.column_by_name(name)?, &DataType::Float64).ok()?;
                Some(cast.as_primitive::<Float64Type>().clone())
            };
            Some((bbox.clone(), [corner("xmin")?, corner("ymin")?, corner("xmax")?, corner("ymax")?]))
        }
    };
    let datetime = optional(column("datetime"), times)?;
    let start = optional(column("start_datetime"), times)?;
    let split = optional(column("ml-dataset:split"), strings)?;
    let extensions = optional(column("stac_extensions"), string_list)?;
    let links = optional(column("links"), rel_hrefs)?;
    let assets = optional(column("assets"), asset_hrefs)?;
    let geometry_name = files::primary_geometry(part);
    let geometries: Vec<ReadGeometry> = match column(&geometry_name) {
        Some(c) => {
            let wkb = arrow_cast::cast(c, &DataType::Binary).ok()?;
            wkb.as_binary::<i32>().iter().map(|v| v.map(geometry_from_wkb)).collect()
        }
        None => vec![None; rows],
    };
    // Label rows: the label extension listed, or a label field set.
    let schema = batch.schema();
    let label_columns = label_validity(batch);
    let is_label: Vec<bool> = (0..rows)
        .map(|r| {
            label_columns.iter().any(|c| c.as_ref().is_none_or(|v| v.is_valid(r)))
                || extensions.as_ref().is_some_and(|e| {
                    e.is_valid(r)
                        && e.value(r)
                            .as_string::<i32>()
                            .iter()
                            .flatten()
                            .any(|x| crate::catalog::extension::is(x, "label"))
                })
        })
        .collect();
    // Label fields read directly: lists of strings and a string.
    let label_lists: Vec<(&str, ListArray)> = ["label:properties", "label:tasks"]
        .into_iter()
        .filter_map(|name| Some((name, column(name)?)))
        .map(|(name, c)| Some((name, string_list(c)?)))
        .collect::<Option<_>>()?;
    let label_type = optional(column("label:type"), strings)?;
    // The nested label fields, assets and class properties of label rows,
    // fully converted.
    let mut labelled = if is_label.iter().any(|&l| l) {
        let keep: Vec<usize> = schema
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                let name = f.name().as_str();
                let direct = matches!(
                    name,
                    "id" | "collection"
                        | "bbox"
                        | "links"
                        | "datetime"
                        | "start_datetime"
                        | "ml-dataset:split"
                        | "stac_extensions"
                        | "type"
                        | "stac_version"
                        | "label:properties"
                        | "label:tasks"
                        | "label:type"
                );
                // Other label fields (descriptions, methods) are not kept.
                let nested = matches!(name, "label:classes" | "label:overviews" | "label:overview");
                !direct && *name != geometry_name && (nested || !name.starts_with("label:"))
            })
            .map(|(i, _)| i)
            .collect();
        let projected = batch.project(&keep).ok()?;
        let mask = BooleanArray::from(is_label.clone());
        let only = arrow_select::filter::filter_record_batch(&projected, &mask).ok()?;
        match rows_of(part, only) {
            Ok(rows) => rows.into_iter().map(|(json, _)| json).collect::<Vec<_>>().into_iter(),
            Err(e) => return Some(Err(e)),
        }
    } else {
        Vec::new().into_iter()
    };
    let mut out = Vec::with_capacity(rows);
    for (r, geometry) in geometries.into_iter().enumerate() {
        let mut json = if is_label[r] { labelled.next()? } else { Map::new() };
        if !ids.is_valid(r) {
            json.insert("id".into(), Value::Null);
        } else {
            json.insert("id".into(), Value::String(ids.value(r).to_string()));
        }
        if let Some(c) = &collections
            && c.is_valid(r)
        {
            json.insert("collection".into(), Value::String(c.value(r).to_string()));
        }
        if let Some((bbox, [x0, y0, x1, y1])) = &bbox
            && bbox.is_valid(r)
        {
            let number = |a: &arrow_array::Float64Array| {
                if a.is_valid(r) {
                    serde_json::Number::from_f64(a.value(r)).map_or(Value::Null, Value::Number)
                } else {
                    Value::Null
                }
            };
            json.insert("bbox".into(), Value::Array(vec![number(x0), number(y0), number(x1), number(y1)]));
        }
        let properties = json.entry("properties").or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(properties) = properties else { return None };
        for (key, values) in [("datetime", &datetime), ("start_datetime", &start)] {
            if let Some(values) = values {
                properties.insert(key.into(), values[r].clone().map_or(Value::Null, Value::String));
            }
        }
        if let Some(split) = &split
            && split.is_valid(r)
        {
            properties.insert("ml-dataset:split".into(), Value::String(split.value(r).to_string()));
        }
        if is_label[r] {
            for (name, lists) in &label_lists {
                if lists.is_valid(r) {
                    let values = lists.value(r);
                    let values = values.as_string::<i32>();
                    let list = values.iter().map(|v| v.map_or(Value::Null, |v| Value::String(v.into()))).collect();
                    properties.insert((*name).into(), Value::Array(list));
                } else {
                    properties.insert((*name).into(), Value::Null);
                }
            }
            if let Some(t) = &label_type
                && t.is_valid(r)
            {
                properties.insert("label:type".into(), Value::String(t.value(r).into()));
            }
        }
        if let Some(e) = &extensions
            && e.is_valid(r)
        {
            let listed = e.value(r);
            let listed: Vec<Value> =
                listed.as_string::<i32>().iter().map(|x| x.map_or(Value::Null, |x| Value::String(x.into()))).collect();
            json.insert("stac_extensions".into(), Value::Array(listed));
        }
        if let Some(links) = &links {
            json.insert("links".into(), links(r));
        }
        if !is_label[r]
            && let Some(assets) = &assets
        {
            json.insert("assets".into(), assets(r));
        }
        json.insert("type".into(), Value::String("Feature".into()));
        out.push((json, geometry));
    }
    Some(Ok(out))
}

/// Where each `label:` column holds a value. Logical nulls: a column of the
/// null type has no null buffer, yet holds no value.
pub(super) fn label_validity(batch: &RecordBatch) -> Vec<Option<arrow_buffer::NullBuffer>> {
    let schema = batch.schema();
    schema
        .fields()
        .iter()
        .zip(batch.columns())
        .filter(|(f, _)| f.name().starts_with("label:"))
        .map(|(_, c)| c.logical_nulls())
        .collect()
}

type RowValue = Box<dyn Fn(usize) -> Value>;

/// Each row's links as `[{"rel", "href"}]`, from a list of structs.
fn rel_hrefs(column: &ArrayRef) -> Option<RowValue> {
    let list = super::records::list_of(column)?;
    let structs = list.values().as_struct_opt()?;
    let rel = strings(structs.column_by_name("rel")?)?;
    let href = strings(structs.column_by_name("href")?)?;
    let valid = structs.nulls().cloned();
    Some(Box::new(move |r| {
        if !list.is_valid(r) {
            return Value::Array(Vec::new());
        }
        let (start, end) = (list.value_offsets()[r] as usize, list.value_offsets()[r + 1] as usize);
        Value::Array(
            (start..end)
                .filter(|&i| valid.as_ref().is_none_or(|v| v.is_valid(i)))
                .map(|i| {
                    let mut link = Map::new();
                    link.insert(
                        "rel".into(),
                        if rel.is_valid(i) { Value::String(rel.value(i).into()) } else { Value::Null },
                    );
                    link.insert(
                        "href".into(),
                        if href.is_valid(i) { Value::String(href.value(i).into()) } else { Value::Null },
                    );
                    Value::Object(link)
                })
                .collect(),
        )
    }))
}

/// Each row's assets as `{key: {"href"}}`, from a struct of structs.
fn asset_hrefs(column: &ArrayRef) -> Option<RowValue> {
    let assets: StructArray = column.as_struct_opt()?.clone();
    let DataType::Struct(fields) = assets.data_type().clone() else { return None };
    let mut keys = Vec::new();
    for (field, child) in fields.iter().zip(assets.columns()) {
        let asset = child.as_struct_opt()?.clone();
        let href = match asset.column_by_name("href") {
            Some(h) => Some(strings(h)?),
            None => None,
        };
        keys.push((field.name().clone(), asset, href));
    }
    Some(Box::new(move |r| {
        let mut map = Map::new();
        if assets.is_valid(r) {
            for (key, asset, href) in &keys {
                if !asset.is_valid(r) {
                    continue;
                }
                let mut entry = Map::new();
                if let Some(href) = href
                    && href.is_valid(r)
                {
                    entry.insert("href".into(), Value::String(href.value(r).into()));
                }
                map.insert(key.clone(), Value::Object(entry));
            }
        }
        Value::Object(map)
    }))
}
