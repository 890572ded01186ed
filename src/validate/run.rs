//! A validation run over a catalog tree: the shared catalog walker
//! ([`crate::catalog::walk`]) under [`Policy::Collect`], each catalog and
//! collection checked as it is reached, then every item file read and checked
//! in parallel, and the findings gathered per file.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::collect::{Checked, Gathered, Shards};
use super::notices::{Notice, Notices};
use super::object::schema_findings;
use super::report::{Bounded, Finding, Kind, Quality, Report, Severity};
use super::schemas::{ObjectKind, SchemaSet};
use super::{Options, finish, ingest, links};
use crate::catalog::read::{FileReader, read_each};
use crate::catalog::walk::{ItemLink, Policy, Problem, Reached, Step, Via, Walker};
use crate::error::{Error, Result};

/// A catalog or collection reached on the walk.
struct WalkNode {
    /// `None` when its `type` is missing or unknown.
    kind: Option<ObjectKind>,
    id: String,
    path: PathBuf,
}

/// One validation of a catalog tree: the walk, its nodes' findings, and the
/// totals.
pub(super) struct Run<'a> {
    pub(super) schemas: &'a SchemaSet,
    pub(super) options: &'a Options,
    pub(super) root: PathBuf,
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

pub(super) fn validate_catalog(root: &Path, options: &Options, schemas: &SchemaSet) -> Result<Report> {
    let mut bytes = Vec::new();
    crate::catalog::read::read_file(root, &mut bytes).map_err(|e| Error::io(root, e))?;
    let mut run = Run::new(schemas, options, root.to_path_buf());
    let value: Value = match crate::catalog::read::parse_json(&bytes) {
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
    let item_links = run.walk(value)?;
    let gathered = run.check_items(&item_links, &|_| None);
    Ok(run.finish(quality, &item_links, gathered))
}

impl<'a> Run<'a> {
    pub(super) fn new(schemas: &'a SchemaSet, options: &'a Options, root: PathBuf) -> Self {
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

    pub(super) fn per_file(&self) -> usize {
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
        for (severity, n) in omitted {
            file.count_omitted(severity, n);
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
    pub(super) fn walk(&mut self, root_value: Value) -> Result<Vec<ItemLink>> {
        let empty = Map::new();
        let mut walker = Walker::new(self.root.clone(), Some(root_value), Policy::Collect);
        while let Some(step) = walker.step()? {
            let Reached { path, value, parent, via } = match step {
                Step::Node(reached) => reached,
                Step::Problem(problem) => {
                    self.walk_problem(problem);
                    continue;
                }
            };
            let kind = value.get("type").and_then(Value::as_str).and_then(ObjectKind::from_type);
            if kind == Some(ObjectKind::Item) {
                let via = via.expect("the root is checked before the walk");
                let message = format!(
                    "child link {} reaches a STAC Item; child links must reach catalogs or collections",
                    via.href
                );
                self.link_error(&via, message);
                continue;
            }
            let index = walker.accept(&path, parent, value.as_object().unwrap_or(&empty))?;
            let id = value.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
            self.nodes.push(WalkNode { kind, id, path: path.clone() });
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
        }
        Ok(walker.into_item_links())
    }

    /// A walk problem as a finding: on the link, or on the unreadable file.
    fn walk_problem(&mut self, problem: Problem) {
        match problem {
            Problem::Cycle { ref via, .. } | Problem::Shared { ref via, .. } | Problem::Missing { ref via, .. } => {
                let message = problem.message().expect("a child-link problem");
                self.link_error(via, message);
            }
            Problem::Unreadable { path, error } => {
                let finding = match error {
                    Error::Json { error, .. } => {
                        Finding::new(path, Severity::Error, Kind::Json, None, format!("malformed JSON: {error}"))
                    }
                    other => Finding::new(path, Severity::Error, Kind::Io, None, io_message(other)),
                };
                self.unreadable.push(finding);
            }
            // The link checks of the node report remote child and item links.
            Problem::Remote { .. } => {}
            Problem::RepeatedItem { node, link, href } => {
                let finding = Finding::new(
                    &self.nodes[node].path,
                    Severity::Warning,
                    Kind::Link,
                    Some(format!("/links/{link}/href")),
                    format!("links item {href} more than once"),
                );
                self.node_findings[node].push(finding);
            }
        }
    }

    /// An error on the link that led the walk somewhere.
    fn link_error(&mut self, via: &Via, message: String) {
        let from = &self.nodes[via.from].path;
        let finding =
            Finding::new(from, Severity::Error, Kind::Link, Some(format!("/links/{}/href", via.link)), message);
        self.node_findings[via.from].push(finding);
    }

    fn check_name(&self, path: &Path, value: &Value, file: &mut Bounded) {
        let Some(json) = value.as_object() else { return };
        if let Some((name, pointer)) = ingest::dataset_name(json)
            && let Err(message) = ingest::check_name(name)
        {
            let finding = Finding::new(path, Severity::Error, Kind::Ingest, Some(pointer.into()), message);
            for finding in ingest::judge(vec![finding], self.options.profile) {
                file.push(finding);
            }
        }
    }

    /// Reads and checks every item, in parallel; items `checked` already
    /// are only counted for the duplicate-id check.
    pub(super) fn check_items(&self, item_links: &[ItemLink], checked: Checked<'_>) -> Gathered {
        let limit = self.options.max_findings;
        let shards = Shards::new(limit);
        read_each(item_links, |i, link, reader| {
            let mut gathered = Gathered::new(limit);
            match checked(&link.target) {
                Some(id) => gathered.ids.push((i, id.into())),
                None => self.check_item(i, link, reader, &mut gathered),
            }
            shards.add(gathered);
        });
        let mut gathered = Gathered::new(limit);
        shards.drain_into(&mut gathered);
        gathered
    }

    fn check_item(&self, index: usize, link: &ItemLink, reader: &mut FileReader, gathered: &mut Gathered) {
        let path = &link.target;
        let mut file = Bounded::new(self.per_file());
        match reader.read(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                gathered.broken.push(index);
                return;
            }
            Err(e) => file.push(Finding::new(path, Severity::Error, Kind::Io, None, e.to_string())),
            Ok(bytes) => match crate::catalog::read::parse_json(bytes) {
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
    pub(super) fn check_feature<'v>(
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

    pub(super) fn finish(mut self, quality: Quality, item_links: &[ItemLink], mut gathered: Gathered) -> Report {
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

/// The message of a read error, without the file name (the finding has it).
fn io_message(error: Error) -> String {
    match error {
        Error::Io { error, .. } => error.to_string(),
        other => other.to_string(),
    }
}
