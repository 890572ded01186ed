//! Offline validation of a dataset, as `stac-ml validate` runs it: JSON
//! Schema validation of every catalog, collection and item, link checks, and
//! the EOTDL ingest rules.
//!
//! [`validate_path`] takes a catalog file or a dataset folder. A folder with
//! `catalog.json` is validated as a STAC catalog (Q1, or Q2 when the root has
//! `ml-dataset:name`); a folder with only `metadata.yml` gets the Q0 check
//! ([`ingest::check_metadata`]). Unlike [`crate::catalog::load`], which stops at
//! the first structural problem, the walk here collects every problem it can
//! and keeps going: a broken child link, an unreadable item or a schema
//! violation is a [`Finding`], not an error. Only a path that cannot be read at
//! all is an [`Error`](crate::Error).
//!
//! What is checked, per object:
//! - **Schemas** ([`SchemaSet`]): the core schema chosen by `type` (Feature,
//!   Catalog, Collection) and `stac_version` (1.0.0 and 1.1.0 are bundled; other
//!   versions are reported as not checked), and every `stac_extensions` entry
//!   with a schema in the set (label v1.0.1, ml-aoi v0.2.0, ML-Dataset, plus
//!   `--schema` extras). Other extensions, and relative extension hrefs, are
//!   reported as not checked: a warning, or an error with
//!   [`Options::strict`]. An object that uses `label:`, `ml-aoi:` or
//!   `ml-dataset:` fields without listing that extension gets a warning, as
//!   those fields then go unchecked. Formats (`date-time`, `iri`, ...) are
//!   checked (see [`schemas`]).
//! - **Links** (`links.rs`): structural hrefs are local and exist; `root`
//!   reaches the root catalog, `parent` the file that links the object; an
//!   item's `collection` field names the collection that links it; item ids are
//!   unique per collection; no cycles. Missing local assets and `source`
//!   targets are warnings (assets: errors in strict mode); remote asset hrefs
//!   are counted, never fetched.
//! - **Ingest** ([`ingest`]): the dataset name, the root's `ml-dataset:name` or
//!   else its `id`, is 3–45 ASCII letters, digits and dashes.
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

pub mod ingest;
mod links;
mod report;
pub mod schemas;

#[cfg(test)]
mod differential;
#[cfg(test)]
mod tests;

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;
use serde_json::Value;

pub use report::{Finding, Kind, Quality, Report, Severity};
pub use schemas::{ObjectKind, SchemaSet};

use crate::catalog::href;
use crate::error::{Error, Result};
use report::Bounded;

/// How to validate.
#[derive(Debug, Clone)]
pub struct Options {
    /// Turn "not checked" into errors: unknown extensions, relative extension
    /// hrefs, STAC versions without a bundled schema; and missing local assets.
    pub strict: bool,
    /// Extra local schemas, (URL, file), as `--schema URL=PATH` gives them.
    pub schemas: Vec<(String, PathBuf)>,
    /// Findings kept per file; the rest are counted.
    pub max_findings_per_file: usize,
    /// Findings kept in the whole report; the rest are counted.
    pub max_findings: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { strict: false, schemas: Vec::new(), max_findings_per_file: 20, max_findings: 10_000 }
    }
}

/// Validates a catalog file, a dataset folder, or a Q0 `metadata.yml`, with
/// the bundled schemas plus [`Options::schemas`].
pub fn validate_path(path: &Path, options: &Options) -> Result<Report> {
    let schemas = if options.schemas.is_empty() {
        SchemaSet::bundled()?
    } else {
        SchemaSet::with_extra(options.schemas.clone())?
    };
    validate_path_with(path, options, &schemas)
}

/// [`validate_path`] with a schema set built beforehand ([`Options::schemas`]
/// is ignored).
pub fn validate_path_with(path: &Path, options: &Options, schemas: &SchemaSet) -> Result<Report> {
    let path = std::fs::canonicalize(path).map_err(|e| Error::io(path, e))?;
    if path.is_dir() {
        let catalog = path.join("catalog.json");
        if catalog.is_file() {
            return validate_catalog(&catalog, options, schemas);
        }
        let metadata = path.join("metadata.yml");
        if metadata.is_file() {
            return validate_metadata(&metadata, options);
        }
        return Err(Error::not_stac(&path, "holds neither catalog.json (a Q1/Q2 dataset) nor metadata.yml (Q0)"));
    }
    match path.extension().and_then(|e| e.to_str()) {
        Some("yml" | "yaml") => validate_metadata(&path, options),
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
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut collected = Bounded::new(options.max_findings);
    for finding in ingest::check_metadata(path, &text) {
        collected.push(finding);
    }
    Ok(finish(path.to_path_buf(), Some(Quality::Q0), collected, 0, 0, 0))
}

fn finish(
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

/// A "not checked" notice, folded across objects by (kind, severity, message).
#[derive(Debug, Clone)]
struct Notice {
    kind: Kind,
    severity: Severity,
    message: String,
    path: PathBuf,
    pointer: Option<String>,
}

impl Notice {
    fn into_finding(self) -> Finding {
        Finding::new(self.path, self.severity, self.kind, self.pointer, self.message)
    }
}

/// What makes two notices the same: (kind, severity, message).
type NoticeKey = (Kind, Severity, String);
/// A group of notices: how many, and the smallest (path, pointer) among them.
type NoticeGroup = (usize, PathBuf, Option<String>);

/// Notices folded: one group per [`NoticeKey`].
#[derive(Debug, Default)]
struct Notices {
    groups: BTreeMap<NoticeKey, NoticeGroup>,
}

impl Notices {
    fn add(&mut self, notice: Notice) {
        self.add_group((notice.kind, notice.severity, notice.message), 1, notice.path, notice.pointer);
    }

    fn add_group(&mut self, key: NoticeKey, count: usize, path: PathBuf, pointer: Option<String>) {
        match self.groups.entry(key) {
            Entry::Vacant(entry) => {
                entry.insert((count, path, pointer));
            }
            Entry::Occupied(mut entry) => {
                let group = entry.get_mut();
                group.0 += count;
                if (&path, &pointer) < (&group.1, &group.2) {
                    group.1 = path;
                    group.2 = pointer;
                }
            }
        }
    }

    fn merge(&mut self, other: Notices) {
        for (key, (count, path, pointer)) in other.groups {
            self.add_group(key, count, path, pointer);
        }
    }

    fn into_findings(self) -> impl Iterator<Item = Finding> {
        self.groups.into_iter().map(|((kind, severity, message), (count, path, pointer))| {
            let message = if count > 1 { format!("{message} ({count} objects like this)") } else { message };
            Finding::new(path, severity, kind, pointer, message)
        })
    }
}

/// Extensions whose fields stac-ml recognises by prefix: (field prefix, a
/// string every identifier of the extension contains, name).
const PREFIXED: [(&str, &str, &str); 3] = [
    ("label:", "stac-extensions.github.io/label/", "label"),
    ("ml-aoi:", "stac-extensions.github.io/ml-aoi/", "ml-aoi"),
    ("ml-dataset:", "earthpulse/ml-dataset", "ML-Dataset"),
];

/// A bbox of 4 or 6 numbers whose south lies north of its north, or whose
/// latitudes leave [-90, 90]. West > east is allowed: it crosses the antimeridian.
fn bbox_problem(bbox: &Value) -> Option<String> {
    let numbers: Vec<f64> = bbox.as_array()?.iter().map(Value::as_f64).collect::<Option<_>>()?;
    let (south, north) = match numbers.len() {
        4 => (numbers[1], numbers[3]),
        6 => (numbers[1], numbers[4]),
        _ => return None,
    };
    if south > north {
        Some(format!("bbox south {south} is north of its north {north}"))
    } else if !(-90.0..=90.0).contains(&south) || !(-90.0..=90.0).contains(&north) {
        Some(format!("bbox latitudes {south}, {north} are outside [-90, 90]"))
    } else {
        None
    }
}

#[allow(clippy::too_many_arguments)]
fn schema_findings(
    schemas: &SchemaSet,
    path: &Path,
    value: &Value,
    strict: bool,
    limit: usize,
    out: &mut Vec<Finding>,
    notices: &mut Vec<Notice>,
    omitted: &mut Vec<usize>,
) {
    let not_checked = if strict { Severity::Error } else { Severity::Warning };
    let error = |pointer: &str, message: String| {
        Finding::new(path, Severity::Error, Kind::Schema, Some(pointer.to_string()), message)
    };
    let Some(json) = value.as_object() else {
        out.push(error("", "is not a JSON object, so not a STAC object".into()));
        return;
    };
    // The schemas check the bbox's shape, not its meaning (RFC 7946 §5).
    if let Some(message) = json.get("bbox").and_then(bbox_problem) {
        out.push(error("/bbox", message));
    }
    let mut validate = |url: &str, out: &mut Vec<Finding>| match schemas.errors(url, value, limit) {
        Ok((errors, total)) => {
            let name = schemas::label(url);
            omitted.push(total - errors.len());
            out.extend(errors.into_iter().map(|e| Finding {
                path: path.to_path_buf(),
                pointer: Some(e.pointer),
                message: format!("{} ({name} schema)", e.message),
                severity: Severity::Error,
                kind: Kind::Schema,
                schema: Some(url.to_string()),
            }));
        }
        Err(e) => out.push(error("", e.to_string())),
    };
    let kind = match json.get("type") {
        Some(Value::String(t)) => match ObjectKind::from_type(t) {
            Some(kind) => Some(kind),
            None => {
                out.push(error(
                    "/type",
                    format!(
                        "\"type\" is {t:?}, not \"Feature\", \"Catalog\" or \"Collection\"; core schema not checked"
                    ),
                ));
                None
            }
        },
        _ => {
            out.push(error("/type", "has no string \"type\", so no core schema can be chosen".into()));
            None
        }
    };
    if let Some(kind) = kind {
        match json.get("stac_version") {
            Some(Value::String(version)) => {
                let url = schemas::core_url(kind, version);
                if schemas.contains(&url) {
                    validate(&url, out);
                } else {
                    notices.push(Notice {
                        kind: Kind::Schema,
                        severity: not_checked,
                        message: format!("not checked: no bundled schema for STAC {version}"),
                        path: path.to_path_buf(),
                        pointer: Some("/stac_version".into()),
                    });
                }
            }
            _ => out.push(error("/stac_version", "has no string \"stac_version\"; core schema not checked".into())),
        }
    }
    let mut listed = BTreeSet::new();
    if let Some(Value::Array(extensions)) = json.get("stac_extensions") {
        for (i, extension) in extensions.iter().enumerate() {
            let Some(url) = extension.as_str() else { continue }; // the core schema reports it
            if !listed.insert(url) {
                continue;
            }
            if schemas.contains(url) {
                validate(url, out);
                continue;
            }
            let message = if href::is_remote(url) {
                format!("extension {url} not checked: no bundled schema (give one with --schema URL=PATH)")
            } else {
                format!(
                    "extension {url} not checked: relative or local extension hrefs are not resolved; list the schema URL"
                )
            };
            notices.push(Notice {
                kind: Kind::Extension,
                severity: not_checked,
                message,
                path: path.to_path_buf(),
                pointer: Some(format!("/stac_extensions/{i}")),
            });
        }
    }
    let properties = json.get("properties").and_then(Value::as_object);
    for (prefix, marker, name) in PREFIXED {
        if listed.iter().any(|url| url.contains(marker)) {
            continue;
        }
        let top = json.keys().find(|k| k.starts_with(prefix)).map(|k| format!("/{}", links::escape_pointer(k)));
        let nested = || {
            properties?
                .keys()
                .find(|k| k.starts_with(prefix))
                .map(|k| format!("/properties/{}", links::escape_pointer(k)))
        };
        if let Some(pointer) = top.or_else(nested) {
            notices.push(Notice {
                kind: Kind::Extension,
                severity: Severity::Warning,
                message: format!("uses {prefix}* fields but stac_extensions does not list the {name} extension, so they are not checked"),
                path: path.to_path_buf(),
                pointer: Some(pointer),
            });
        }
    }
}

/// A catalog or collection reached on the walk.
struct WalkNode {
    /// `None` when its `type` is missing or unknown.
    kind: Option<ObjectKind>,
    id: String,
    path: PathBuf,
    parent: Option<usize>,
}

/// A catalog or collection waiting on the walk: (its path, its parent node,
/// the link that led to it: (node, index in that node's `links`, href)).
type Pending = (PathBuf, Option<usize>, Option<(usize, usize, String)>);

/// An item link: (node index, index in the node's `links`, resolved path).
struct ItemLink {
    node: usize,
    link: usize,
    target: PathBuf,
}

/// Everything gathered while checking items, merged across threads.
struct Gathered {
    findings: Bounded,
    notices: Notices,
    /// (item link index, item id) of every item read.
    ids: Vec<(usize, Box<str>)>,
    /// Item links whose file does not exist.
    broken: Vec<usize>,
    remote_assets: usize,
    items: usize,
}

impl Gathered {
    fn new(limit: usize) -> Self {
        Gathered {
            findings: Bounded::new(limit),
            notices: Notices::default(),
            ids: Vec::new(),
            broken: Vec::new(),
            remote_assets: 0,
            items: 0,
        }
    }

    fn merge(&mut self, other: Gathered) {
        self.findings.absorb(other.findings);
        self.notices.merge(other.notices);
        self.ids.extend(other.ids);
        self.broken.extend(other.broken);
        self.remote_assets += other.remote_assets;
        self.items += other.items;
    }
}

struct Run<'a> {
    schemas: &'a SchemaSet,
    options: &'a Options,
    root: PathBuf,
    nodes: Vec<WalkNode>,
    /// Per-node findings, kept per file.
    node_findings: Vec<Bounded>,
    /// Findings about files that could not be read or parsed.
    unreadable: Bounded,
    notices: Notices,
    remote_assets: usize,
    /// The root is a single item, not a catalog.
    lone: bool,
}

fn validate_catalog(root: &Path, options: &Options, schemas: &SchemaSet) -> Result<Report> {
    let bytes = std::fs::read(root).map_err(|e| Error::io(root, e))?;
    let mut run = Run::new(schemas, options, root.to_path_buf());
    let value: Value = match serde_json::from_slice(&bytes) {
        Ok(value) => value,
        Err(error) => {
            let mut collected = Bounded::new(options.max_findings);
            collected.push(Finding::new(root, Severity::Error, Kind::Json, None, format!("malformed JSON: {error}")));
            return Ok(finish(root.to_path_buf(), Some(Quality::Q1), collected, 0, 0, 0));
        }
    };
    if value.get("type").and_then(Value::as_str) == Some("Feature") {
        run.lone = true;
        return Ok(run.lone_item(value));
    }
    let quality = if value.get("ml-dataset:name").is_some() { Quality::Q2 } else { Quality::Q1 };
    let item_links = run.walk(value);
    let gathered = run.check_items(&item_links, &|_| None);
    Ok(run.finish(quality, &item_links, gathered))
}

/// The id of an item file that was checked already, or `None` to read it.
pub type Checked<'a> = &'a (dyn Fn(&Path) -> Option<&'a str> + Sync);

/// Validation of a catalog tree whose items are checked one by one while they
/// are produced, before the tree is walked: `q2` checks each item as it writes
/// it, so validating its output reads back only catalogs and collections.
///
/// [`Incremental::item`] takes an item's JSON, its file and the file that
/// links it; [`Incremental::finish`] then walks the tree from the root like
/// [`validate_path`] does, reading only the item files it is not told were
/// checked. The report is the same as [`validate_path`]'s on the same tree.
pub struct Incremental<'a> {
    run: Run<'a>,
    /// Item results, sharded by thread to keep lock waits short.
    shards: Vec<Mutex<Gathered>>,
}

impl<'a> Incremental<'a> {
    /// `root` is the root catalog file as the walk will reach it; it need not
    /// exist yet, and paths given to [`Incremental::item`] must be spelled the
    /// way links from it resolve (absolute and normalised).
    pub fn new(root: &Path, options: &'a Options, schemas: &'a SchemaSet) -> Self {
        // The I/O pool has at most 32 threads unless told otherwise; more
        // threads than shards only share locks.
        let shards = (0..32).map(|_| Mutex::new(Gathered::new(options.max_findings))).collect();
        Incremental { run: Run::new(schemas, options, root.to_path_buf()), shards }
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
        let shard = rayon::current_thread_index().unwrap_or(0) % self.shards.len();
        self.shards[shard].lock().unwrap_or_else(|e| e.into_inner()).merge(gathered);
    }

    /// Walks the finished tree and reports, like [`validate_path`]. `checked`
    /// gives the id of every item file passed to [`Incremental::item`].
    pub fn finish(&self, checked: Checked<'_>) -> Result<Report> {
        let root = &self.run.root;
        let bytes = std::fs::read(root).map_err(|e| Error::io(root, e))?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|error| Error::Json { path: root.clone(), error })?;
        let mut run = Run::new(self.run.schemas, self.run.options, root.clone());
        let quality = if value.get("ml-dataset:name").is_some() { Quality::Q2 } else { Quality::Q1 };
        let item_links = run.walk(value);
        let mut gathered = run.check_items(&item_links, checked);
        for shard in &self.shards {
            let mut slot = shard.lock().unwrap_or_else(|e| e.into_inner());
            // Taken out: `finish` runs once, after the last item.
            gathered.merge(std::mem::replace(&mut *slot, Gathered::new(0)));
        }
        Ok(run.finish(quality, &item_links, gathered))
    }
}

impl<'a> Run<'a> {
    fn new(schemas: &'a SchemaSet, options: &'a Options, root: PathBuf) -> Self {
        Run {
            schemas,
            options,
            root,
            nodes: Vec::new(),
            node_findings: Vec::new(),
            unreadable: Bounded::new(options.max_findings),
            notices: Notices::default(),
            remote_assets: 0,
            lone: false,
        }
    }

    fn per_file(&self) -> usize {
        self.options.max_findings_per_file
    }

    /// A root that is a single item: its schemas, links and assets.
    fn lone_item(mut self, value: Value) -> Report {
        let mut file = Bounded::new(self.per_file());
        let mut notices = Vec::new();
        let outcome = self.check_object(&self.root, &value, None, None, &mut file, &mut notices);
        self.remote_assets += outcome;
        for notice in notices {
            self.notices.add(notice);
        }
        let mut collected = Bounded::new(self.options.max_findings);
        collected.absorb(file);
        for finding in std::mem::take(&mut self.notices).into_findings() {
            collected.push(finding);
        }
        finish(self.root, None, collected, 0, 1, self.remote_assets)
    }

    /// Schema and link checks of one object into its file's findings;
    /// returns the number of remote asset hrefs.
    fn check_object(
        &self,
        path: &Path,
        value: &Value,
        parent: Option<(&Path, Option<&str>)>,
        planned: Option<Checked<'_>>,
        file: &mut Bounded,
        notices: &mut Vec<Notice>,
    ) -> usize {
        let mut out = Vec::new();
        let mut omitted = Vec::new();
        let strict = self.options.strict;
        schema_findings(self.schemas, path, value, strict, self.per_file(), &mut out, notices, &mut omitted);
        for n in omitted {
            file.count_omitted(Severity::Error, n);
        }
        let mut remote = 0;
        if let Some(json) = value.as_object() {
            let planned = planned.map(|planned| move |target: &Path| planned(target).is_some());
            let context = links::Context {
                root: (!self.lone).then_some(self.root.as_path()),
                parent: parent.map(|(p, _)| p),
                parent_collection: parent.and_then(|(_, c)| c),
                planned: planned.as_ref().map(|f| f as &(dyn Fn(&Path) -> bool + Sync)),
                strict,
            };
            remote = links::check(path, json, &context, &mut out);
        }
        for finding in out {
            file.push(finding);
        }
        remote
    }

    /// Walks `child` links from the root, checking every catalog and
    /// collection; returns the item links to read.
    fn walk(&mut self, root_value: Value) -> Vec<ItemLink> {
        let mut item_links = Vec::new();
        // Files already reached: their node, or `None` when unreadable.
        let mut seen: HashMap<PathBuf, Option<usize>> = HashMap::new();
        let mut stack: Vec<Pending> = vec![(self.root.clone(), None, None)];
        let mut root_value = Some(root_value);
        while let Some((path, parent, via)) = stack.pop() {
            let link_error = |run: &mut Self, message: String| {
                let (from, link, _) = via.as_ref().expect("only the root has no link");
                let finding = Finding::new(
                    &run.nodes[*from].path,
                    Severity::Error,
                    Kind::Link,
                    Some(format!("/links/{link}/href")),
                    message,
                );
                run.node_findings[*from].push(finding);
            };
            if let Some(&earlier) = seen.get(&path) {
                let href = &via.as_ref().expect("only the root has no link").2;
                let on_path = std::iter::successors(parent, |&i| self.nodes[i].parent).any(|i| Some(i) == earlier);
                let message = if on_path {
                    format!("child link {href} leads back to {}, making a cycle; not followed", path.display())
                } else {
                    format!(
                        "child link {href} reaches {}, which another catalog already links as a child",
                        path.display()
                    )
                };
                link_error(self, message);
                continue;
            }
            let value = match root_value.take() {
                Some(value) => value,
                None => match self.read_node(&path) {
                    Ok(value) => value,
                    Err(NodeProblem::Missing) => {
                        let href = &via.as_ref().expect("only the root has no link").2;
                        link_error(self, format!("child link {href}: {} does not exist", path.display()));
                        continue;
                    }
                    Err(NodeProblem::Finding(finding)) => {
                        self.unreadable.push(finding);
                        seen.insert(path, None);
                        continue;
                    }
                },
            };
            let kind = value.get("type").and_then(Value::as_str).and_then(ObjectKind::from_type);
            if kind == Some(ObjectKind::Item) {
                link_error(
                    self,
                    format!(
                        "child link {} reaches a STAC Item; child links must reach catalogs or collections",
                        via.as_ref().map_or("", |v| v.2.as_str())
                    ),
                );
                continue;
            }
            let index = self.nodes.len();
            seen.insert(path.clone(), Some(index));
            let id = value.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
            self.nodes.push(WalkNode { kind, id, path: path.clone(), parent });
            self.node_findings.push(Bounded::new(self.per_file()));
            let mut file = Bounded::new(self.per_file());
            let mut notices = Vec::new();
            let parent_path = parent.map(|p| self.nodes[p].path.clone());
            self.remote_assets += self.check_object(
                &path,
                &value,
                parent_path.as_deref().map(|p| (p, None)),
                None,
                &mut file,
                &mut notices,
            );
            if parent.is_none() {
                self.check_name(&path, &value, &mut file);
            }
            self.node_findings[index].absorb(file);
            for notice in notices {
                self.notices.add(notice);
            }
            let mut children = Vec::new();
            let mut node_items = HashSet::new();
            if let Some(Value::Array(links)) = value.get("links") {
                for (i, link) in links.iter().enumerate() {
                    let (Some(rel @ ("child" | "item")), Some(link_href)) =
                        (link.get("rel").and_then(Value::as_str), link.get("href").and_then(Value::as_str))
                    else {
                        continue;
                    };
                    if href::is_remote(link_href) {
                        continue; // reported by the link checks
                    }
                    let target = href::resolve(&path, link_href);
                    if rel == "child" {
                        children.push((target, Some(index), Some((index, i, link_href.to_string()))));
                    } else if node_items.insert(target.clone()) {
                        item_links.push(ItemLink { node: index, link: i, target });
                    } else {
                        self.node_findings[index].push(Finding::new(
                            &path,
                            Severity::Warning,
                            Kind::Link,
                            Some(format!("/links/{i}/href")),
                            format!("links item {link_href} more than once"),
                        ));
                    }
                }
            }
            // Reversed so the stack pops children in link order.
            stack.extend(children.into_iter().rev());
        }
        item_links
    }

    fn check_name(&self, path: &Path, value: &Value, file: &mut Bounded) {
        let Some(json) = value.as_object() else { return };
        if let Some((name, pointer)) = ingest::dataset_name(json)
            && let Err(message) = ingest::check_name(name)
        {
            file.push(Finding::new(path, Severity::Error, Kind::Ingest, Some(pointer.into()), message));
        }
    }

    fn read_node(&self, path: &Path) -> std::result::Result<Value, NodeProblem> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(NodeProblem::Missing),
            Err(e) => {
                return Err(NodeProblem::Finding(Finding::new(path, Severity::Error, Kind::Io, None, e.to_string())));
            }
        };
        serde_json::from_slice(&bytes).map_err(|error| {
            NodeProblem::Finding(Finding::new(
                path,
                Severity::Error,
                Kind::Json,
                None,
                format!("malformed JSON: {error}"),
            ))
        })
    }

    /// Reads and checks every item, in parallel; items `checked` already
    /// are only counted for the duplicate-id check.
    fn check_items(&self, item_links: &[ItemLink], checked: Checked<'_>) -> Gathered {
        let limit = self.options.max_findings;
        // Reads every item file: file-bound work, on the I/O pool.
        crate::io_pool::install(|| {
            item_links
                .par_iter()
                .enumerate()
                .fold(
                    || (Gathered::new(limit), Vec::new()),
                    |(mut gathered, mut buffer), (i, link)| {
                        match checked(&link.target) {
                            Some(id) => gathered.ids.push((i, id.into())),
                            None => self.check_item(i, link, &mut buffer, &mut gathered),
                        }
                        (gathered, buffer)
                    },
                )
                .map(|(gathered, _)| gathered)
                .reduce(
                    || Gathered::new(limit),
                    |mut a, b| {
                        a.merge(b);
                        a
                    },
                )
        })
    }

    fn check_item(&self, index: usize, link: &ItemLink, buffer: &mut Vec<u8>, gathered: &mut Gathered) {
        let path = &link.target;
        let mut file = Bounded::new(self.per_file());
        buffer.clear();
        let read = std::fs::File::open(path).and_then(|mut f| f.read_to_end(buffer));
        match read {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                gathered.broken.push(index);
                return;
            }
            Err(e) => file.push(Finding::new(path, Severity::Error, Kind::Io, None, e.to_string())),
            Ok(_) => match serde_json::from_slice::<Value>(buffer) {
                Err(error) => {
                    file.push(Finding::new(
                        path,
                        Severity::Error,
                        Kind::Json,
                        None,
                        format!("malformed JSON: {error}"),
                    ));
                }
                Ok(value) => {
                    let node = &self.nodes[link.node];
                    let collection = (node.kind == Some(ObjectKind::Collection)).then_some(node.id.as_str());
                    if let Some(id) =
                        self.check_feature(path, &value, (&node.path, collection), None, &mut file, gathered)
                    {
                        gathered.ids.push((index, id.into()));
                    }
                }
            },
        }
        gathered.findings.absorb(file);
    }

    /// Checks an object linked as an item from `parent` (its file, and its
    /// id when it is a collection); returns the item's id.
    fn check_feature<'v>(
        &self,
        path: &Path,
        value: &'v Value,
        parent: (&Path, Option<&str>),
        planned: Option<Checked<'_>>,
        file: &mut Bounded,
        gathered: &mut Gathered,
    ) -> Option<&'v str> {
        gathered.items += 1;
        match value.get("type").and_then(Value::as_str) {
            Some("Feature") => {
                let mut notices = Vec::new();
                gathered.remote_assets += self.check_object(path, value, Some(parent), planned, file, &mut notices);
                for notice in notices {
                    gathered.notices.add(notice);
                }
                value.get("id").and_then(Value::as_str)
            }
            other => {
                let what = other.map_or_else(|| "an object without \"type\"".to_string(), |t| format!("a {t:?}"));
                file.push(Finding::new(
                    path,
                    Severity::Error,
                    Kind::Link,
                    Some("/type".into()),
                    format!(
                        "is linked as an item from {} but is {what}, not a STAC Item (\"Feature\")",
                        parent.0.display()
                    ),
                ));
                None
            }
        }
    }

    fn finish(mut self, quality: Quality, item_links: &[ItemLink], mut gathered: Gathered) -> Report {
        // Broken item links belong to the file that holds them.
        gathered.broken.sort_unstable();
        for &i in &gathered.broken {
            let link = &item_links[i];
            self.node_findings[link.node].push(Finding::new(
                &self.nodes[link.node].path,
                Severity::Error,
                Kind::Link,
                Some(format!("/links/{}/href", link.link)),
                format!("item link reaches {}, which does not exist", link.target.display()),
            ));
        }
        // Duplicate ids within one catalog or collection.
        gathered.ids.sort_unstable_by(|(a, a_id), (b, b_id)| {
            (item_links[*a].node, a_id, &item_links[*a].target).cmp(&(
                item_links[*b].node,
                b_id,
                &item_links[*b].target,
            ))
        });
        let mut collected = Bounded::new(self.options.max_findings);
        for pair in gathered.ids.windows(2) {
            let ((a, a_id), (b, b_id)) = (&pair[0], &pair[1]);
            let node = item_links[*a].node;
            if node == item_links[*b].node && a_id == b_id {
                collected.push(Finding::new(
                    &item_links[*b].target,
                    Severity::Error,
                    Kind::Link,
                    Some("/id".into()),
                    format!(
                        "duplicate item id {a_id:?} in {:?} (also {})",
                        self.nodes[node].id,
                        item_links[*a].target.display()
                    ),
                ));
            }
        }
        collected.absorb(gathered.findings);
        collected.absorb(self.unreadable);
        for file in self.node_findings {
            collected.absorb(file);
        }
        self.notices.merge(gathered.notices);
        for finding in self.notices.into_findings() {
            collected.push(finding);
        }
        let nodes = self.nodes.len();
        finish(self.root, Some(quality), collected, nodes, gathered.items, self.remote_assets + gathered.remote_assets)
    }
}

/// Why a catalog or collection file could not be used.
enum NodeProblem {
    /// It does not exist (reported on the link that names it).
    Missing,
    /// It could not be read or parsed.
    Finding(Finding),
}
