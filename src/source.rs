//! Where a dataset comes from. A [`Source`] produces the compact
//! [`Dataset`] the analysis stages work on and, when an output is written,
//! the full JSON of each item once more, one at a time: the dataset keeps only
//! what analysis needs, so memory stays flat however large the catalog.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::catalog::{self, Dataset};
use crate::error::{Error, Result};

/// An input format.
pub trait Source: Sync {
    /// Reads the input into a dataset.
    fn load(&self) -> Result<Dataset>;

    /// The full JSON of item `item` of `dataset` (which this source loaded).
    /// `buffer` is scratch space the caller keeps per thread, so streaming
    /// many items allocates little; it may be called from several threads.
    fn item_json(&self, dataset: &Dataset, item: usize, buffer: &mut Vec<u8>) -> Result<Value>;

    /// The input's location as given, when it is a path, so an output can be
    /// checked against it before anything is loaded.
    fn location(&self) -> Option<&Path> {
        None
    }

    /// The order in which items are cheapest to read, when it is not any
    /// order (a table read in batches); `None` means any order.
    fn item_order(&self, _dataset: &Dataset) -> Option<Vec<usize>> {
        None
    }

    /// This source as itself, so a sink that knows a source's own form
    /// (a table sink and a table source) can copy it without item JSON.
    fn as_any(&self) -> &dyn std::any::Any;
}

/// A STAC catalog as a tree of JSON files linked from a root `catalog.json`.
#[derive(Debug, Clone)]
pub struct JsonTree {
    catalog: PathBuf,
}

impl JsonTree {
    /// The catalog whose root file is `catalog`.
    pub fn new(catalog: impl Into<PathBuf>) -> Self {
        JsonTree { catalog: catalog.into() }
    }

    /// The root file.
    pub fn path(&self) -> &Path {
        &self.catalog
    }
}

impl Source for JsonTree {
    fn load(&self) -> Result<Dataset> {
        catalog::load(&self.catalog)
    }

    /// Refuses an item file whose size or modification time differs from
    /// when it was loaded: its split and metrics were computed from the old
    /// content, so writing the new one would publish an inconsistent tree.
    fn item_json(&self, dataset: &Dataset, item: usize, buffer: &mut Vec<u8>) -> Result<Value> {
        let record = &dataset.items[item];
        let (value, stamp) = catalog::read::read_json_stamped(record.path(), buffer)?;
        if Some(stamp) != record.file.as_ref().map(|file| file.stamp) {
            return Err(Error::InputChanged { path: record.path().to_path_buf() });
        }
        Ok(value)
    }

    fn location(&self) -> Option<&Path> {
        Some(&self.catalog)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
