//! Item JSON into stac-geoparquet rows: properties lifted to columns, the
//! bbox as a struct, the geometry as WKB, datetimes as timestamps. The
//! schema is inferred from every item first (one pass), so items that differ
//! (a property present in some only, a number in one and text in another)
//! still make one table, which encoding batch by batch then fills.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{ArrayRef, BinaryArray, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use serde_json::{Map, Value};

/// Item fields that stay at the top level; every other key of
/// `properties` becomes a column of its own.
const TOP_LEVEL: [&str; 10] = [
    "type",
    "stac_version",
    "stac_extensions",
    "id",
    "geometry",
    "bbox",
    "properties",
    "links",
    "assets",
    "collection",
];

/// Columns that hold RFC 3339 times (stac-geoparquet writes them as timestamps).
const DATETIMES: [&str; 8] =
    ["datetime", "start_datetime", "end_datetime", "created", "updated", "expires", "published", "unpublished"];

/// One item laid out as a row: its columns as a flat JSON object, and its
/// geometry as WKB.
pub(crate) struct FlatRow {
    pub(crate) columns: Map<String, Value>,
    pub(crate) wkb: Option<Vec<u8>>,
}

/// Lays out one item. A geometry or bbox that cannot be read is left null,
/// as loading warns; empty objects are dropped, since Parquet has no empty
/// struct.
pub(crate) fn flatten(mut item: Map<String, Value>) -> FlatRow {
    let wkb = item.remove("geometry").and_then(|g| wkb_of(g).ok());
    if let Some(bbox) = item.remove("bbox")
        && let Some(bbox) = bbox_struct(&bbox)
    {
        item.insert("bbox".into(), bbox);
    }
    if let Some(Value::Object(properties)) = item.remove("properties") {
        for (key, value) in properties {
            if !TOP_LEVEL.contains(&key.as_str()) {
                item.insert(key, value);
            }
        }
    }
    item.insert("type".into(), Value::String("Feature".into()));
    drop_empty_objects(&mut item);
    FlatRow { columns: item, wkb }
}

fn wkb_of(geometry: Value) -> Result<Vec<u8>, String> {
    let geometry: geojson::Geometry = serde_json::from_value(geometry).map_err(|e| e.to_string())?;
    let geometry = geo::Geometry::<f64>::try_from(geometry).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    wkb::writer::write_geometry(&mut bytes, &geometry, &Default::default()).map_err(|e| e.to_string())?;
    Ok(bytes)
}

fn bbox_struct(bbox: &Value) -> Option<Value> {
    let numbers: Vec<&Value> = bbox.as_array()?.iter().collect();
    if !numbers.iter().all(|n| n.is_number()) {
        return None;
    }
    let names: &[&str] = match numbers.len() {
        4 => &["xmin", "ymin", "xmax", "ymax"],
        6 => &["xmin", "ymin", "zmin", "xmax", "ymax", "zmax"],
        _ => return None,
    };
    Some(Value::Object(names.iter().zip(numbers).map(|(k, v)| (k.to_string(), v.clone())).collect()))
}

fn drop_empty_objects(map: &mut Map<String, Value>) {
    map.retain(|_, value| match value {
        Value::Object(inner) => {
            drop_empty_objects(inner);
            !inner.is_empty()
        }
        Value::Array(list) => {
            for entry in list.iter_mut() {
                if let Value::Object(inner) = entry {
                    drop_empty_objects(inner);
                }
            }
            true
        }
        _ => true,
    });
}

/// The table schema, learnt from every row.
#[derive(Default)]
struct SchemaLearner {
    /// Datetime columns with a value that is not RFC 3339 stay text.
    not_times: HashMap<String, ()>,
}

impl SchemaLearner {
    /// Notes what the schema cannot learn from the JSON types alone.
    fn look(&mut self, row: &FlatRow) {
        for key in DATETIMES {
            if let Some(value) = row.columns.get(key)
                && !value.is_null()
                && value.as_str().is_none_or(|t| chrono::DateTime::parse_from_rfc3339(t).is_err())
            {
                self.not_times.insert(key.to_string(), ());
            }
        }
    }

    /// The schema of all rows `values` (each row's columns), which the caller
    /// has [looked at](Self::look) first.
    fn finish(&self, inferred: Schema) -> SchemaRef {
        let fields: Vec<Field> = inferred
            .fields()
            .iter()
            .map(|field| {
                let name = field.name().as_str();
                if DATETIMES.contains(&name)
                    && !self.not_times.contains_key(name)
                    && *field.data_type() == DataType::Utf8
                {
                    Field::new(name, DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), true)
                } else {
                    field.as_ref().clone()
                }
            })
            .collect();
        Arc::new(Schema::new(fields))
    }
}

/// The schema of every row `chunks` give, chunk by chunk (rows are dropped
/// once seen); the first error of a chunk stops, and `refused` words why
/// the rows make no one table.
pub(crate) fn learn_schema(
    chunks: impl Iterator<Item = crate::error::Result<Vec<FlatRow>>>,
    refused: impl FnOnce(String) -> crate::error::Error,
) -> crate::error::Result<SchemaRef> {
    let mut learner = SchemaLearner::default();
    let mut failure = None;
    let inferred = arrow_json::reader::infer_json_schema_from_iterator(
        chunks
            .map_while(|chunk| match chunk {
                Ok(rows) => Some(rows),
                Err(e) => {
                    failure = Some(e);
                    None
                }
            })
            .flatten()
            .map(|row| {
                learner.look(&row);
                Ok::<Value, arrow_schema::ArrowError>(Value::Object(row.columns))
            }),
    );
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(learner.finish(inferred.map_err(|e| refused(e.to_string()))?))
}

/// Rows into one record batch of `schema` (the columns) plus the WKB
/// `geometry` column.
pub(crate) fn encode(schema: &SchemaRef, rows: &[FlatRow]) -> Result<RecordBatch, String> {
    let mut text = Vec::with_capacity(rows.len() * 512);
    for row in rows {
        // Through text: serde_json's exact numbers serialise only to text.
        serde_json::to_writer(&mut text, &row.columns).map_err(|e| e.to_string())?;
        text.push(b'\n');
    }
    let mut decoder = arrow_json::ReaderBuilder::new(schema.clone())
        .with_batch_size(rows.len().max(1))
        .with_coerce_primitive(true)
        .build_decoder()
        .map_err(|e| e.to_string())?;
    let mut rest = text.as_slice();
    while !rest.is_empty() {
        let read = decoder.decode(rest).map_err(|e| e.to_string())?;
        if read == 0 {
            break;
        }
        rest = &rest[read..];
    }
    let columns_batch = match decoder.flush().map_err(|e| e.to_string())? {
        Some(batch) => batch,
        None => RecordBatch::new_empty(schema.clone()),
    };
    let geometry: ArrayRef = Arc::new(BinaryArray::from_iter(rows.iter().map(|r| r.wkb.as_deref())));
    let mut fields: Vec<Arc<Field>> = columns_batch.schema().fields().iter().cloned().collect();
    let mut columns: Vec<ArrayRef> = columns_batch.columns().to_vec();
    fields.push(Arc::new(wkb_field()));
    columns.push(geometry);
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| e.to_string())
}

/// The geometry column: WKB, marked as GeoArrow's WKB extension type so the
/// GeoParquet encoder writes its `geo` metadata.
pub(crate) fn wkb_field() -> Field {
    let metadata = HashMap::from([
        ("ARROW:extension:name".to_string(), "geoarrow.wkb".to_string()),
        ("ARROW:extension:metadata".to_string(), "{}".to_string()),
    ]);
    Field::new("geometry", DataType::Binary, true).with_metadata(metadata)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn items_become_flat_rows() {
        let item = json!({
            "type": "Feature", "id": "a", "bbox": [1, 2, 3, 4],
            "geometry": {"type": "Point", "coordinates": [1, 2]},
            "properties": {"datetime": "2020-01-01T00:00:00Z", "id": "shadowed", "label:type": "vector", "empty": {}},
            "assets": {}
        });
        let row = flatten(item.as_object().unwrap().clone());
        assert_eq!(row.columns["bbox"], json!({"xmin": 1, "ymin": 2, "xmax": 3, "ymax": 4}));
        assert_eq!(row.columns["id"], json!("a"));
        assert_eq!(row.columns["label:type"], json!("vector"));
        assert!(!row.columns.contains_key("empty") && !row.columns.contains_key("assets"));
        assert_eq!(row.wkb.as_ref().map(Vec::len), Some(21));
    }
}
