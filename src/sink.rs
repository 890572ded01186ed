//! Where a Q2 dataset goes. A [`Sink`] publishes the content of a Q2 catalog
//! (the input's records, the split assignment, the ML-Dataset metadata and
//! the quality metrics) in one output format, streaming each item's full JSON
//! once from the [`Source`] it was loaded from. The JSON tree writer
//! (`JsonTreeSink` in the `write` module) is the first implementation.

use std::path::PathBuf;

use serde_json::{Map, Value, json};

use crate::catalog::Dataset;
use crate::error::Result;
use crate::metrics::QualityMetrics;
use crate::ml_dataset::{ML_DATASET_EXTENSION, Metadata};
use crate::progress::Observer;
use crate::source::Source;
use crate::split::Assignment;

/// Which split fields to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SplitFormat {
    /// `ml-dataset:split` (EOTDL's Q2).
    #[default]
    MlDataset,
    /// `ml-aoi:split` only.
    MlAoi,
    /// Both.
    Both,
}

impl SplitFormat {
    /// Whether `ml-dataset:split` fields are written.
    pub fn ml_dataset(self) -> bool {
        matches!(self, SplitFormat::MlDataset | SplitFormat::Both)
    }

    /// Whether `ml-aoi:split` fields are written.
    pub fn ml_aoi(self) -> bool {
        matches!(self, SplitFormat::MlAoi | SplitFormat::Both)
    }
}

/// The output's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// A tree of JSON files under a root `catalog.json`.
    #[default]
    JsonTree,
    /// stac-geoparquet: one file, or one hive partition per split.
    GeoParquet {
        /// One `split=<name>/` folder per split.
        partition_by_split: bool,
    },
}

impl OutputFormat {
    /// The format an output path implies: a `.parquet` name means
    /// stac-geoparquet.
    pub fn of_path(out: &std::path::Path) -> OutputFormat {
        if out.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("geoparquet")) {
            OutputFormat::GeoParquet { partition_by_split: false }
        } else {
            OutputFormat::JsonTree
        }
    }
}

/// What a Q2 output holds, whatever its format.
#[derive(Debug, Clone, Copy)]
pub struct Q2Content<'a> {
    /// The input's records.
    pub dataset: &'a Dataset,
    /// The split of every item.
    pub assignment: &'a Assignment,
    /// Which split fields to write.
    pub format: SplitFormat,
    /// The root catalog's ML-Dataset fields.
    pub metadata: &'a Metadata,
    /// How the split was made (seed, ratios, ...), recorded on the root.
    pub provenance: &'a Value,
    /// Quality metrics; their entries replace existing entries of the same name.
    pub quality_metrics: Option<&'a QualityMetrics>,
}

impl Q2Content<'_> {
    /// Puts the ML-Dataset fields, the split provenance and the quality
    /// metrics on the root catalog `json`, whatever the output format.
    pub(crate) fn patch_root(&self, json: &mut Map<String, Value>) {
        let m = &self.metadata;
        if self.format.ml_dataset() || self.format.ml_aoi() {
            crate::ml_dataset::add_extension(json, ML_DATASET_EXTENSION);
        }
        json.insert("ml-dataset:name".into(), json!(m.name));
        json.insert("ml-dataset:tasks".into(), json!(m.tasks));
        json.insert("ml-dataset:inputs-type".into(), json!(m.inputs_type));
        json.insert("ml-dataset:annotations-type".into(), json!(m.annotations_type));
        json.insert("ml-dataset:version".into(), json!(m.version));
        match m.dataset_type {
            Some(t) => json.insert("ml-dataset:type".into(), json!(t)),
            None => json.remove("ml-dataset:type"),
        };
        json.insert("ml-dataset:splits".into(), json!(self.assignment.names));
        json.insert("stac-ml:split".into(), self.provenance.clone());
        if let Some(metrics) = self.quality_metrics {
            let mut entries: Vec<Value> = match json.remove("ml-dataset:quality-metrics") {
                Some(Value::Array(existing)) => existing,
                _ => Vec::new(),
            };
            for entry in metrics.to_entries() {
                let name = entry.get("name");
                match entries.iter_mut().position(|e| e.get("name") == name) {
                    Some(slot) => entries[slot] = entry,
                    None => entries.push(entry),
                }
            }
            json.insert("ml-dataset:quality-metrics".into(), Value::Array(entries));
        }
    }
}

/// What was written.
#[derive(Debug, Clone)]
pub struct WriteSummary {
    /// The output folder (absolute).
    pub out: PathBuf,
    /// The root catalog file written.
    pub catalog: PathBuf,
    /// Items written.
    pub items: usize,
}

/// An output format for Q2 datasets.
pub trait Sink {
    /// Writes and publishes `content`, reading each item's full JSON once
    /// from `source`, reporting each item written to `observer`.
    fn write(&self, content: &Q2Content<'_>, source: &dyn Source, observer: &dyn Observer) -> Result<WriteSummary>;
}
