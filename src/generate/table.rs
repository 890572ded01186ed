//! The generated pairs as one stac-geoparquet file, built straight into
//! Arrow arrays. Other inputs become rows through item JSON and a schema
//! learnt from every item, which took 90 s for a million generated items;
//! here the schema is known, so each batch's columns are filled directly.
//! The columns, their order and types are those the JSON path gives these
//! items, so a generated table reads like one converted from a tree.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{
    ArrayBuilder, BinaryBuilder, Float64Builder, Int64Builder, ListBuilder, StringBuilder, StructBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use chrono::{Duration, TimeZone, Utc};
use parquet::file::metadata::KeyValue;
use rayon::prelude::*;
use serde_json::json;

use super::{GenerateOptions, LABEL_EXTENSION, class_name, collection_json, feature_classes, item_id};
use crate::error::{Error, Result};
use crate::geoparquet::ItemTable;

/// Pairs per record batch (two rows each). Which rows make a batch depends
/// on this alone, never on the thread count, so neither does the file.
const CHUNK: usize = 4096;

/// Writes the pairs as one stac-geoparquet file at `out`; returns the class
/// totals.
pub(super) fn write_table(
    out: &Path,
    options: &GenerateOptions,
    bbox_of: &(dyn Fn(usize) -> [f64; 4] + Sync),
    seeds: &[u64],
) -> Result<Vec<u64>> {
    // The extent only: a list of every bbox would hold 320 MB at 10M pairs.
    let union = (0..options.pairs).into_par_iter().map(bbox_of).reduce(
        || [f64::MAX, f64::MAX, f64::MIN, f64::MIN],
        |a, b| [a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])],
    );
    let collections: serde_json::Map<String, serde_json::Value> = [
        ("source", collection_json("source", "Synthetic source imagery", &[union], None)?),
        ("labels", collection_json("labels", "Synthetic labels", &[union], Some(options.classes))?),
    ]
    .into_iter()
    .map(|(id, c)| (id.to_string(), c))
    .collect();
    let catalog = stac::Catalog::new("synthetic-dataset", "Synthetic Q1 training dataset made by stac-ml generate");
    let mut catalog = serde_json::to_value(catalog).map_err(|error| Error::Json { path: out.to_path_buf(), error })?;
    catalog["links"] = json!([]);
    let metadata = vec![
        KeyValue::new("stac-geoparquet".into(), json!({"version": "1.0.0", "collections": collections}).to_string()),
        KeyValue::new(crate::geoparquet::ROOT_KEY.into(), catalog.to_string()),
    ];
    let out = crate::publish::check_output_path(out)?;
    let staged = crate::publish::Staged::begin_file(&out)?;
    let table = ItemTable::new(staged.path(), false, metadata);
    let totals = write_rows(table, options, bbox_of, seeds).map_err(|e| staged.blame(e))?;
    staged.publish(false)?;
    Ok(totals)
}

/// Builds the batches a window at a time on the thread pool while a thread
/// of its own writes the finished ones in order; the bounded queue keeps a
/// few batches in memory, never the table. Parquet encoding is serial and
/// takes about 70 % of the work, so a few builders keep the writer busy and
/// more would only hold more batches.
fn write_rows(
    mut table: ItemTable,
    options: &GenerateOptions,
    bbox_of: &(dyn Fn(usize) -> [f64; 4] + Sync),
    seeds: &[u64],
) -> Result<Vec<u64>> {
    let (n, classes) = (options.pairs, options.classes);
    let names: Vec<String> = (0..classes).map(class_name).collect();
    let build = |c: usize| -> Result<(RecordBatch, Vec<u64>)> {
        crate::publish::interrupted()?;
        let range = c * CHUNK..((c + 1) * CHUNK).min(n);
        let mut columns = Columns::new(range.len() * 2);
        let mut counts = vec![0u64; classes];
        for i in range {
            let drawn = feature_classes(seeds[i], classes);
            for &k in &drawn {
                counts[k] += 1;
            }
            columns.pair(i, bbox_of(i), drawn, &names);
        }
        Ok((columns.finish(), counts))
    };
    let chunks = n.div_ceil(CHUNK);
    let window = rayon::current_num_threads().clamp(1, 4);
    let (send, receive) = std::sync::mpsc::sync_channel::<RecordBatch>(window);
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> Result<ItemTable> {
            for batch in receive {
                table.write("", &batch)?;
            }
            Ok(table)
        });
        let built = (|| -> Result<Vec<u64>> {
            let mut totals = vec![0u64; classes];
            for start in (0..chunks).step_by(window) {
                let batches: Vec<(RecordBatch, Vec<u64>)> =
                    (start..(start + window).min(chunks)).into_par_iter().map(build).collect::<Result<_>>()?;
                for (batch, counts) in batches {
                    for (t, c) in totals.iter_mut().zip(&counts) {
                        *t += c;
                    }
                    if send.send(batch).is_err() {
                        // The writer stopped on an error, which it returns.
                        return Ok(totals);
                    }
                }
            }
            Ok(totals)
        })();
        drop(send);
        let table = writer.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        let totals = built?;
        table.finish()?;
        Ok(totals)
    })
}

/// The columns of one batch, filled a pair (a source row, then its label
/// row) at a time.
struct Columns {
    kind: StringBuilder,
    stac_version: StringBuilder,
    id: StringBuilder,
    collection: StringBuilder,
    /// `{image: {href, type, roles}}`, on source rows only.
    assets: StructBuilder,
    bbox: StructBuilder,
    /// `[{href, rel, type}]`: empty on source rows, the `source` link on labels.
    links: ListBuilder<StructBuilder>,
    datetime: TimestampMicrosecondBuilder,
    stac_extensions: ListBuilder<StringBuilder>,
    label_type: StringBuilder,
    label_properties: ListBuilder<StringBuilder>,
    label_description: StringBuilder,
    label_tasks: ListBuilder<StringBuilder>,
    label_methods: ListBuilder<StringBuilder>,
    /// `[{name, classes: [..]}]`
    label_classes: ListBuilder<StructBuilder>,
    /// `[{property_key, counts: [{name, count}]}]`
    label_overviews: ListBuilder<StructBuilder>,
    geometry: BinaryBuilder,
    stac_version_text: String,
}

fn text(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

fn list_of(item: DataType) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(item, true)))
}

fn strings(capacity: usize) -> StringBuilder {
    StringBuilder::with_capacity(capacity, capacity * 16)
}

fn string_list(capacity: usize) -> ListBuilder<StringBuilder> {
    ListBuilder::with_capacity(strings(capacity), capacity)
}

/// A struct builder's `i`th child, of the type it was made with.
fn child<T: ArrayBuilder>(parent: &mut StructBuilder, i: usize) -> &mut T {
    parent.field_builder::<T>(i).expect("children are made with these types")
}

impl Columns {
    fn new(rows: usize) -> Self {
        let image_fields = vec![text("href"), text("type"), Field::new("roles", list_of(DataType::Utf8), true)];
        let image = StructBuilder::new(
            image_fields.clone(),
            vec![Box::new(strings(rows)), Box::new(strings(rows)), Box::new(string_list(rows))],
        );
        let assets = StructBuilder::new(
            vec![Field::new("image", DataType::Struct(image_fields.into()), true)],
            vec![Box::new(image)],
        );
        let corners = ["xmin", "ymin", "xmax", "ymax"];
        let bbox = StructBuilder::new(
            corners.map(|name| Field::new(name, DataType::Float64, true)).to_vec(),
            corners.iter().map(|_| Box::new(Float64Builder::with_capacity(rows)) as Box<dyn ArrayBuilder>).collect(),
        );
        let link = StructBuilder::new(
            vec![text("href"), text("rel"), text("type")],
            vec![Box::new(strings(rows)), Box::new(strings(rows)), Box::new(strings(rows))],
        );
        let class_list = StructBuilder::new(
            vec![text("name"), Field::new("classes", list_of(DataType::Utf8), true)],
            vec![Box::new(strings(rows)), Box::new(string_list(rows))],
        );
        let count_fields = vec![text("name"), Field::new("count", DataType::Int64, true)];
        let counts = StructBuilder::new(
            count_fields.clone(),
            vec![Box::new(strings(rows)), Box::new(Int64Builder::with_capacity(rows))],
        );
        let overview = StructBuilder::new(
            vec![text("property_key"), Field::new("counts", list_of(DataType::Struct(count_fields.into())), true)],
            vec![Box::new(strings(rows)), Box::new(ListBuilder::new(counts))],
        );
        Columns {
            kind: strings(rows),
            stac_version: strings(rows),
            id: strings(rows),
            collection: strings(rows),
            assets,
            bbox,
            links: ListBuilder::with_capacity(link, rows),
            datetime: TimestampMicrosecondBuilder::with_capacity(rows).with_timezone("UTC"),
            stac_extensions: string_list(rows),
            label_type: strings(rows),
            label_properties: string_list(rows),
            label_description: strings(rows),
            label_tasks: string_list(rows),
            label_methods: string_list(rows),
            label_classes: ListBuilder::with_capacity(class_list, rows),
            label_overviews: ListBuilder::with_capacity(overview, rows),
            geometry: BinaryBuilder::with_capacity(rows, rows * 93),
            stac_version_text: stac::STAC_VERSION.to_string(),
        }
    }

    /// Pair `i`: its source row and its label row, whose shapes have the
    /// classes `drawn`. `names` are the class names.
    fn pair(&mut self, i: usize, bbox: [f64; 4], mut drawn: Vec<usize>, names: &[String]) {
        let id = item_id(i);
        let start = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).single().expect("valid date");
        let datetime = (start + Duration::days((i % 365) as i64)).timestamp_micros();
        let ring =
            vec![(bbox[0], bbox[1]), (bbox[2], bbox[1]), (bbox[2], bbox[3]), (bbox[0], bbox[3]), (bbox[0], bbox[1])];
        let footprint = geo::Polygon::new(geo::LineString::from(ring), Vec::new());
        for collection in ["source", "labels"] {
            self.kind.append_value("Feature");
            self.stac_version.append_value(&self.stac_version_text);
            self.id.append_value(&id);
            self.collection.append_value(collection);
            for (k, corner) in bbox.into_iter().enumerate() {
                child::<Float64Builder>(&mut self.bbox, k).append_value(corner);
            }
            self.bbox.append(true);
            self.datetime.append_value(datetime);
            wkb::writer::write_polygon(&mut self.geometry, &footprint, &Default::default())
                .expect("writing to memory cannot fail");
            self.geometry.append_value(b"");
        }

        // The source row's own columns.
        let image = child::<StructBuilder>(&mut self.assets, 0);
        write!(child::<StringBuilder>(image, 0), "./source/{id}.tif").expect("writing to memory cannot fail");
        child::<StringBuilder>(image, 0).append_value("");
        child::<StringBuilder>(image, 1).append_value("image/tiff; application=geotiff; profile=cloud-optimized");
        let roles = child::<ListBuilder<StringBuilder>>(image, 2);
        roles.values().append_value("data");
        roles.append(true);
        image.append(true);
        self.assets.append(true);
        self.links.append(true);
        self.stac_extensions.append_null();
        self.label_type.append_null();
        self.label_properties.append_null();
        self.label_description.append_null();
        self.label_tasks.append_null();
        self.label_methods.append_null();
        self.label_classes.append_null();
        self.label_overviews.append_null();

        // The label row's.
        let image = child::<StructBuilder>(&mut self.assets, 0);
        child::<StringBuilder>(image, 0).append_null();
        child::<StringBuilder>(image, 1).append_null();
        child::<ListBuilder<StringBuilder>>(image, 2).append_null();
        image.append_null();
        self.assets.append_null();
        let link = self.links.values();
        write!(child::<StringBuilder>(link, 0), "./source/{id}.json").expect("writing to memory cannot fail");
        child::<StringBuilder>(link, 0).append_value("");
        child::<StringBuilder>(link, 1).append_value("source");
        child::<StringBuilder>(link, 2).append_value("application/json");
        link.append(true);
        self.links.append(true);
        self.stac_extensions.append_value([Some(LABEL_EXTENSION)]);
        self.label_type.append_value("vector");
        self.label_properties.append_value([Some("label")]);
        self.label_description.append_value("Synthetic land-cover shapes");
        self.label_tasks.append_value([Some("segmentation")]);
        self.label_methods.append_value([Some("manual")]);
        let classes = self.label_classes.values();
        child::<StringBuilder>(classes, 0).append_value("label");
        child::<ListBuilder<StringBuilder>>(classes, 1).append_value(names.iter().map(Some));
        classes.append(true);
        self.label_classes.append(true);
        let overview = self.label_overviews.values();
        child::<StringBuilder>(overview, 0).append_value("label");
        let counts = child::<ListBuilder<StructBuilder>>(overview, 1);
        // Counted class by class, in class order, as label:overviews lists them.
        drawn.sort_unstable();
        for run in drawn.chunk_by(|a, b| a == b) {
            let count = counts.values();
            child::<StringBuilder>(count, 0).append_value(&names[run[0]]);
            child::<Int64Builder>(count, 1).append_value(run.len() as i64);
            count.append(true);
        }
        counts.append(true);
        overview.append(true);
        self.label_overviews.append(true);
    }

    /// The batch, its columns in the order the JSON path gives them.
    fn finish(mut self) -> RecordBatch {
        let columns: Vec<(&str, ArrayRef)> = vec![
            ("type", Arc::new(self.kind.finish())),
            ("stac_version", Arc::new(self.stac_version.finish())),
            ("id", Arc::new(self.id.finish())),
            ("collection", Arc::new(self.collection.finish())),
            ("assets", Arc::new(self.assets.finish())),
            ("bbox", Arc::new(self.bbox.finish())),
            ("links", Arc::new(self.links.finish())),
            ("datetime", Arc::new(self.datetime.finish())),
            ("stac_extensions", Arc::new(self.stac_extensions.finish())),
            ("label:type", Arc::new(self.label_type.finish())),
            ("label:properties", Arc::new(self.label_properties.finish())),
            ("label:description", Arc::new(self.label_description.finish())),
            ("label:tasks", Arc::new(self.label_tasks.finish())),
            ("label:methods", Arc::new(self.label_methods.finish())),
            ("label:classes", Arc::new(self.label_classes.finish())),
            ("label:overviews", Arc::new(self.label_overviews.finish())),
        ];
        let mut fields: Vec<Field> =
            columns.iter().map(|(name, array)| Field::new(*name, array.data_type().clone(), true)).collect();
        let mut arrays: Vec<ArrayRef> = columns.into_iter().map(|(_, array)| array).collect();
        fields.push(crate::geoparquet::wkb_field());
        arrays.push(Arc::new(self.geometry.finish()));
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).expect("the columns are of one length")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batch's rows as JSON, without the geometry (WKB has no JSON form).
    fn rows(batch: &RecordBatch) -> Vec<serde_json::Value> {
        let keep: Vec<usize> = (0..batch.num_columns() - 1).collect();
        let mut writer = arrow_json::ArrayWriter::new(Vec::new());
        writer.write(&batch.project(&keep).unwrap()).unwrap();
        writer.finish().unwrap();
        serde_json::from_slice(&writer.into_inner()).unwrap()
    }

    #[test]
    fn a_pair_is_a_source_row_then_a_label_row() {
        use geo_traits::to_geo::ToGeoGeometry;
        let names: Vec<String> = (0..4).map(class_name).collect();
        let mut columns = Columns::new(2);
        let bbox = [5.0, 40.0, 5.01, 40.01];
        columns.pair(366, bbox, vec![3, 1, 3], &names);
        let batch = columns.finish();
        let common = json!({
            "type": "Feature", "stac_version": "1.1.0", "id": "tile_0000366",
            "bbox": {"xmin": 5.0, "ymin": 40.0, "xmax": 5.01, "ymax": 40.01},
            "datetime": "2020-01-02T00:00:00Z",
        });
        let with = |fields: serde_json::Value| {
            let mut row = common.clone();
            row.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
            row
        };
        let source = with(json!({
            "collection": "source",
            "assets": {"image": {
                "href": "./source/tile_0000366.tif",
                "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                "roles": ["data"],
            }},
            "links": [],
        }));
        let label = with(json!({
            "collection": "labels",
            "links": [{"href": "./source/tile_0000366.json", "rel": "source", "type": "application/json"}],
            "stac_extensions": [LABEL_EXTENSION],
            "label:type": "vector",
            "label:properties": ["label"],
            "label:description": "Synthetic land-cover shapes",
            "label:tasks": ["segmentation"],
            "label:methods": ["manual"],
            "label:classes": [{"name": "label", "classes": ["class_0", "class_1", "class_2", "class_3"]}],
            // Each drawn class once, in class order, with its count.
            "label:overviews": [{"property_key": "label", "counts": [
                {"name": "class_1", "count": 1}, {"name": "class_3", "count": 2},
            ]}],
        }));
        assert_eq!(rows(&batch), vec![source, label]);

        let geometry = batch.column_by_name("geometry").unwrap();
        let geometry = geometry.as_any().downcast_ref::<arrow_array::BinaryArray>().unwrap();
        // The tree's GeoJSON ring: from the lower left, counter-clockwise.
        let ring = vec![(5.0, 40.0), (5.01, 40.0), (5.01, 40.01), (5.0, 40.01), (5.0, 40.0)];
        let footprint = geo::Polygon::new(geo::LineString::from(ring), Vec::new());
        for row in 0..2 {
            let read = wkb::reader::read_wkb(geometry.value(row)).unwrap().try_to_geometry().unwrap();
            assert_eq!(read, geo::Geometry::Polygon(footprint.clone()));
        }
        assert_eq!(batch.schema().field(batch.num_columns() - 1), &crate::geoparquet::wkb_field());
    }
}
