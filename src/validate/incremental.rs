//! Validation of a tree whose items are checked while they are produced.

use std::path::Path;

use serde_json::Value;

use super::collect::{Checked, Gathered, Shards};
use super::report::{Bounded, Quality, Report};
use super::run::Run;
use super::{Options, SchemaSet};
use crate::error::Result;

/// Validation of a catalog tree whose items are checked one by one while they
/// are produced, before the tree is walked: `q2` checks each item as it writes
/// it, so validating its output reads back only catalogs and collections.
///
/// [`Incremental::item`] takes an item's JSON, its file and the file that
/// links it; [`Incremental::finish`] then walks the tree from the root like
/// [`validate_path`](super::validate_path) does, reading only the item files it is not told were
/// checked. The report is the same as [`validate_path`](super::validate_path)'s on the same tree.
pub struct Incremental<'a> {
    run: Run<'a>,
    /// Item results of [`Incremental::item`].
    shards: Shards,
}

impl<'a> Incremental<'a> {
    /// `root` is the root catalog file as the walk will reach it; it need not
    /// exist yet, and paths given to [`Incremental::item`] must be spelled the
    /// way links from it resolve (absolute and normalised).
    pub fn new(root: &Path, options: &'a Options, schemas: &'a SchemaSet) -> Self {
        Incremental { run: Run::new(schemas, options, root.to_path_buf()), shards: Shards::new(options.max_findings) }
    }

    /// Checks one item: `path` is its file, `parent` the catalog or collection
    /// file that links it, `collection` that collection's id (`None` for a
    /// catalog). `planned` names the item files the finished tree will hold:
    /// links to them count as reaching a file even before it is written.
    pub fn item(&self, path: &Path, value: &Value, parent: &Path, collection: Option<&str>, planned: Checked<'_>) {
        let mut file = Bounded::new(self.run.per_file());
        let mut gathered = Gathered::new(self.run.options.max_findings);
        self.run.check_feature(path, value, (parent, collection), Some(planned), &mut file, &mut gathered);
        gathered.findings.absorb(file);
        self.shards.add(gathered);
    }

    /// Walks the finished tree and reports, like [`validate_path`](super::validate_path). `checked`
    /// gives the id of every item file passed to [`Incremental::item`].
    pub fn finish(&self, checked: Checked<'_>) -> Result<Report> {
        let root = &self.run.root;
        let value = crate::catalog::read_json(root)?;
        let mut run = Run::new(self.run.schemas, self.run.options, root.clone());
        let quality = if value.get("ml-dataset:name").is_some() { Quality::Q2 } else { Quality::Q1 };
        let item_links = run.walk(value)?;
        let mut gathered = run.check_items(&item_links, checked);
        self.shards.drain_into(&mut gathered);
        Ok(run.finish(quality, &item_links, gathered))
    }
}
