//! Offline validation of a dataset, as `stac-ml validate` runs it: JSON
//! Schema validation of every catalog, collection and item, link checks, and
//! the EOTDL ingest rules.
//!
//! [`validate_path`] takes a catalog file or a dataset folder. A folder with
//! `catalog.json` is validated as a STAC catalog (Q1, or Q2 when the root has
//! `ml-dataset:name`); a folder with only `metadata.yml` gets the Q0 check
//! ([`ingest::check_metadata`]); a stac-geoparquet file, or a folder of
//! Parquet files, has every row checked as an item (`table.rs`). Unlike [`crate::catalog::load`], which stops at
//! the first structural problem, the walk here collects every problem it can
//! and keeps going: a broken child link, an unreadable item or a schema
//! violation is a [`Finding`], not an error. Only a path that cannot be read at
//! all is an [`Error`].
//!
//! What is checked, per object:
//! - **Schemas** ([`SchemaSet`]): the core schema chosen by `type` (Feature,
//!   Catalog, Collection) and `stac_version` (1.0.0 and 1.1.0 are bundled; other
//!   versions are reported as not checked), and every `stac_extensions` entry
//!   with a schema in the set (label v1.0.1, ml-aoi v0.2.0, view v1.0.0, ML-Dataset, plus
//!   `--schema` extras). Other extensions, and relative extension hrefs, are
//!   reported as not checked: a warning, or an error with
//!   [`Options::strict`]. An object that uses `label:`, `ml-aoi:` or
//!   `ml-dataset:` fields without listing that extension gets a warning, as
//!   those fields then go unchecked. A `format` violation alone (`date-time`,
//!   `iri`, ...) is a warning, an error with [`Options::strict`]: the official
//!   validators do not assert formats (see [`schemas`]).
//! - **Links** (`links.rs`): structural hrefs are local and exist; `root`
//!   reaches the root catalog, `parent` the file that links the object; an
//!   item's `collection` field names the collection that links it; item ids are
//!   unique per collection; no cycles. Missing local assets and `source`
//!   targets are warnings (assets: errors in strict mode); remote asset hrefs
//!   are counted, never fetched.
//! - **Ingest** ([`ingest`]): the dataset name, the root's `ml-dataset:name` or
//!   else its `id`, is 3–45 ASCII letters, digits and dashes. These are
//!   errors under [`Profile::Eotdl`] only; by default ([`Profile::Stac`]) the
//!   failing rules make one warning that EOTDL ingest would refuse the dataset.
//!
//! **The ML-Dataset item defect.** The official ML-Dataset schema's Item
//! branch requires a property spelled `" ml-dataset:split"` (with a leading
//! space), so no real item passes it. The bundled `schemas/ml-dataset.json`
//! requires the intended `"ml-dataset:split"`: items are validated against the
//! intended key. Everything else matches the official schema, including its
//! rejection of every `file:*` key.
//!
//! Output is deterministic: findings are sorted by path, then pointer, then
//! message, and the limits keep the first findings in that order whatever the
//! thread timing (see `report.rs`). Repeated "not checked" notices (the same
//! unknown extension on a million items) are folded into one finding on the
//! first file, with the number of objects.

mod collect;
mod incremental;
pub mod ingest;
mod links;
mod notices;
mod object;
mod report;
mod run;
pub mod schemas;
mod table;

#[cfg(test)]
mod differential;
#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use serde_json::Value;

pub use collect::Checked;
pub use incremental::Incremental;
pub use report::{Finding, Kind, Object, Quality, Report, Severity};
pub use schemas::{ObjectKind, SchemaSet};

use crate::error::{Error, Result};
use notices::Notice;
use object::schema_findings;
use report::Bounded;
use run::validate_catalog;

/// Which question validation answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// STAC validity: only schema, link and file errors fail; a failing EOTDL
    /// ingest rule is one warning saying that ingest would refuse the dataset.
    #[default]
    Stac,
    /// STAC validity plus readiness for EOTDL ingest: the ingest rules (dataset
    /// name, Q0 `metadata.yml` keys) are errors.
    Eotdl,
}

/// How to validate.
#[derive(Debug, Clone)]
pub struct Options {
    /// Whether EOTDL's ingest rules are errors ([`Profile::Eotdl`]) or one
    /// warning ([`Profile::Stac`]).
    pub profile: Profile,
    /// Turn "not checked" into errors: unknown extensions, relative extension
    /// hrefs, STAC versions without a bundled schema; `format` violations; and
    /// missing local assets.
    pub strict: bool,
    /// Extra local schemas, (URL, file), as `--schema URL=PATH` gives them.
    pub schemas: Vec<(String, PathBuf)>,
    /// A local mirror of schemas laid out `host/path` (`--schema-dir`), used
    /// for URLs that are neither bundled nor in [`Options::schemas`]. Never fetched.
    pub schema_dir: Option<PathBuf>,
    /// Findings kept per file; the rest are counted.
    pub max_findings_per_file: usize,
    /// Findings kept in the whole report; the rest are counted.
    pub max_findings: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            profile: Profile::Stac,
            strict: false,
            schemas: Vec::new(),
            schema_dir: None,
            max_findings_per_file: 20,
            max_findings: 10_000,
        }
    }
}

/// Validates a catalog file, a dataset folder, or a Q0 `metadata.yml`, with
/// the bundled schemas plus [`Options::schemas`].
pub fn validate_path(path: &Path, options: &Options) -> Result<Report> {
    let schemas = match &options.schema_dir {
        Some(mirror) => SchemaSet::with_mirror(options.schemas.clone(), mirror)?,
        None if options.schemas.is_empty() => SchemaSet::bundled()?,
        None => SchemaSet::with_extra(options.schemas.clone())?,
    };
    validate_path_with(path, options, &schemas)
}

/// [`validate_path`] with a schema set built beforehand ([`Options::schemas`]
/// and [`Options::schema_dir`] are ignored).
pub fn validate_path_with(path: &Path, options: &Options, schemas: &SchemaSet) -> Result<Report> {
    let path = std::fs::canonicalize(path).map_err(|e| Error::io(path, e))?;
    if path.is_dir() {
        if path.join("catalog.json").is_file() {
            return validate_catalog(&crate::catalog::root_file(&path)?, options, schemas);
        }
        let metadata = path.join("metadata.yml");
        if metadata.is_file() {
            return validate_metadata(&metadata, options);
        }
        if crate::geoparquet::is_parquet_input(&path) {
            return table::validate_table(&path, options, schemas);
        }
        return Err(Error::not_stac(
            &path,
            "holds neither catalog.json (a Q1/Q2 dataset), nor metadata.yml (Q0), nor .parquet files (stac-geoparquet)",
        ));
    }
    match path.extension().and_then(|e| e.to_str()) {
        Some("yml" | "yaml") => validate_metadata(&path, options),
        _ if crate::geoparquet::is_parquet_input(&path) => table::validate_table(&path, options, schemas),
        _ => validate_catalog(&path, options, schemas),
    }
}

/// Checks the schemas and extensions of one parsed STAC object: the core
/// schema and the listed extensions. No link checks. Findings are unsorted
/// and unlimited except for `limit` violations per schema.
pub fn check_object(schemas: &SchemaSet, path: &Path, value: &Value, strict: bool, limit: usize) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut notices = Vec::new();
    let mut omitted = Vec::new();
    schema_findings(schemas, path, value, strict, limit, &mut out, &mut notices, &mut omitted);
    out.extend(notices.into_iter().map(Notice::into_finding));
    out
}

fn validate_metadata(path: &Path, options: &Options) -> Result<Report> {
    let mut bytes = Vec::new();
    crate::catalog::read::read_file(path, &mut bytes).map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| Error::io(path, std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error())))?;
    let mut collected = Bounded::new(options.max_findings);
    for finding in ingest::judge(ingest::check_metadata(path, &text), options.profile) {
        collected.push(finding);
    }
    Ok(finish(path.to_path_buf(), Some(Quality::Q0), collected, 0, 0, 0))
}

pub(super) fn finish(
    root: PathBuf,
    quality: Option<Quality>,
    collected: Bounded,
    nodes: usize,
    items: usize,
    remote_assets: usize,
) -> Report {
    let (errors, warnings, omitted) = (collected.errors, collected.warnings, collected.omitted);
    Report { root, quality, findings: collected.into_sorted(), errors, warnings, omitted, nodes, items, remote_assets }
}
