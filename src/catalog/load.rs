//! Loading a local STAC catalog: walk `child` links from the root (catalogs
//! and collections are few, so they are kept parsed), then read every item file
//! in parallel and keep a compact [`ItemRecord`] for each.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::href;
use super::read::read_each;
use super::record::{Bbox, Interned, ItemFile, ItemRecord, ItemTime, LabelInfo, bbox_from_json, is_label_item};
use super::walk::{ItemLink, Link, Policy, Problem, Reached, Step, Walker, links_strict};
use crate::error::{Error, Result};

/// Whether a tree node is a catalog or a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// A STAC Catalog.
    Catalog,
    /// A STAC Collection.
    Collection,
}

/// A catalog or collection of the tree, kept whole.
#[derive(Debug, Clone)]
pub struct Node {
    /// Catalog or collection.
    pub kind: NodeKind,
    /// Its id.
    pub id: String,
    /// Absolute path of its file.
    pub path: PathBuf,
    /// The parsed file.
    pub json: Map<String, Value>,
    /// Index of the parent node (`None` for the root).
    pub parent: Option<usize>,
    /// Indices of child nodes, in link order.
    pub children: Vec<usize>,
    /// Indices of its items in [`Dataset::items`], sorted by item id.
    pub items: Vec<usize>,
}

/// A loaded catalog: the tree and one record per item.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Nodes in walk order; index 0 is the root.
    pub nodes: Vec<Node>,
    /// Items ordered by (node index, item id).
    pub items: Vec<ItemRecord>,
    /// What was read with trouble but read all the same.
    pub warnings: Warnings,
    /// The distinct folders of the local files items link (assets, and links
    /// other than the structural ones) that are not the item's own folder,
    /// sorted: with the node, item and label-asset paths, every place the
    /// input lives, which an output must never touch. Assets usually lie
    /// beside their item, so this stays small.
    pub linked_dirs: Vec<PathBuf>,
    /// Where the items are when they lie in tables (stac-geoparquet) rather
    /// than one file each: then an item's `path` is empty and the input is
    /// the table files, not the folders they lie in.
    pub table: Option<std::sync::Arc<dyn ItemTable>>,
}

/// Items kept as rows of table files: how to reach one again.
pub trait ItemTable: Send + Sync + std::fmt::Debug {
    /// The full STAC JSON of item `item` (properties nested, geometry as GeoJSON).
    fn item_json(&self, item: usize) -> Result<Value>;
    /// The file holding item `item`.
    fn item_file(&self, item: usize) -> &Path;
    /// Item `item`'s `stac_extensions` and its assets' hrefs, which `info`
    /// sums: by default from its JSON; a table may read just those columns.
    fn extensions_and_hrefs(&self, item: usize) -> Result<(Vec<String>, Vec<String>)> {
        Ok(extensions_and_hrefs(&self.item_json(item)?))
    }
}

/// An item's `stac_extensions` and the hrefs of its assets that have one.
pub(crate) fn extensions_and_hrefs(json: &Value) -> (Vec<String>, Vec<String>) {
    let extensions = json
        .get("stac_extensions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(String::from)
        .collect();
    let hrefs = json
        .get("assets")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|assets| assets.values())
        .filter_map(|asset| asset.get("href").and_then(Value::as_str).map(String::from))
        .collect();
    (extensions, hrefs)
}

impl Dataset {
    /// A dataset of `items` under one catalog, for tests of the analyses.
    #[cfg(test)]
    pub(crate) fn of_items(id: &str, items: Vec<ItemRecord>) -> Dataset {
        let root = Node {
            kind: NodeKind::Catalog,
            id: id.into(),
            path: format!("/{id}/catalog.json").into(),
            json: Map::new(),
            parent: None,
            children: Vec::new(),
            items: (0..items.len()).collect(),
        };
        Dataset { nodes: vec![root], items, warnings: Warnings::default(), linked_dirs: Vec::new(), table: None }
    }

    /// The root node.
    pub fn root(&self) -> &Node {
        &self.nodes[0]
    }

    /// The file holding item `item`: its own file, or the table holding it.
    pub fn item_file(&self, item: usize) -> &Path {
        match &self.table {
            Some(table) => table.item_file(item),
            None => self.items[item].path(),
        }
    }

    /// The full JSON of item `item`, read again from its file or table.
    pub fn read_item(&self, item: usize, reader: &mut super::read::FileReader) -> Result<Value> {
        match &self.table {
            Some(table) => table.item_json(item),
            None => reader.read_json(self.items[item].path()),
        }
    }

    /// The folder holding the root catalog.
    pub fn root_dir(&self) -> &Path {
        self.nodes[0].path.parent().unwrap_or(Path::new("/"))
    }

    /// Finds the node with this id, or says which ids exist.
    pub fn node_by_id(&self, id: &str) -> Result<usize> {
        let found: Vec<usize> = (0..self.nodes.len()).filter(|&i| self.nodes[i].id == id).collect();
        match found.as_slice() {
            [one] => Ok(*one),
            [] => {
                let ids: Vec<&str> = self.nodes.iter().skip(1).map(|n| n.id.as_str()).collect();
                Err(Error::Usage(format!(
                    "unknown collection {id:?} in {}; available: {}",
                    self.root().path.display(),
                    if ids.is_empty() { "none".to_string() } else { ids.join(", ") }
                )))
            }
            _ => Err(Error::Usage(format!(
                "collection id {id:?} names {} catalogs or collections in {}; ids must be unique to be chosen",
                found.len(),
                self.root().path.display()
            ))),
        }
    }
}

/// Warnings grouped by kind, each with a count and the first few examples, so
/// a million items with the same quirk make one line, not a million.
#[derive(Debug, Clone, Default)]
pub struct Warnings {
    groups: BTreeMap<&'static str, WarningGroup>,
}

/// One kind of warning.
#[derive(Debug, Clone, Default)]
pub struct WarningGroup {
    /// How many times it happened.
    pub count: usize,
    /// The first few (file, message) pairs.
    pub examples: Vec<(PathBuf, String)>,
}

impl Warnings {
    const EXAMPLES: usize = 3;

    /// Records one warning of `kind` about `path`.
    pub fn push(&mut self, kind: &'static str, path: &Path, message: impl Into<String>) {
        let group = self.groups.entry(kind).or_default();
        group.count += 1;
        if group.examples.len() < Self::EXAMPLES {
            group.examples.push((path.to_path_buf(), message.into()));
        }
    }

    /// Adds the warnings of `other`, kept after this one's.
    pub fn absorb(&mut self, other: Warnings) {
        for (kind, group) in other.groups {
            let mine = self.groups.entry(kind).or_default();
            mine.count += group.count;
            let room = Self::EXAMPLES.saturating_sub(mine.examples.len());
            mine.examples.extend(group.examples.into_iter().take(room));
        }
    }

    /// The groups, ordered by kind.
    pub fn groups(&self) -> impl Iterator<Item = (&'static str, &WarningGroup)> {
        self.groups.iter().map(|(k, v)| (*k, v))
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// One line per example, and a count line when there were more.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for (kind, group) in self.groups() {
            for (path, message) in &group.examples {
                lines.push(format!("{}: {message}", path.display()));
            }
            if group.count > group.examples.len() {
                lines.push(format!("... {} more like this ({kind})", group.count - group.examples.len()));
            }
        }
        lines
    }
}

/// The canonical root catalog file a command was given: `path` itself, or
/// the `catalog.json` of a dataset folder. Every command that takes a
/// catalog resolves it here, so each accepts a folder alike.
pub fn root_file(path: &Path) -> Result<PathBuf> {
    let root = std::fs::canonicalize(path).map_err(|e| Error::io(path, e))?;
    if !root.is_dir() {
        return Ok(root);
    }
    let catalog = root.join("catalog.json");
    if catalog.is_file() {
        Ok(catalog)
    } else {
        Err(Error::not_stac(&root, "is a folder without catalog.json; give the path of the root catalog file"))
    }
}

/// Loads the catalog whose root file is `path` (or the dataset folder
/// holding it as `catalog.json`; see [`root_file`]).
pub fn load(path: &Path) -> Result<Dataset> {
    let root = root_file(path)?;
    let mut warnings = Warnings::default();
    let (nodes, item_links) = walk(root.clone(), &mut warnings)?;
    // Items are numbered in `u32` wherever millions of numbers are held.
    if u32::try_from(item_links.len()).is_err() {
        let count = item_links.len();
        return Err(Error::not_stac(&root, format!("links {count} items; at most 4294967295 are supported")));
    }
    let (items, sources, linked_dirs) = read_items(&nodes, &item_links, &mut warnings)?;
    let mut dataset = Dataset { nodes, items, warnings, linked_dirs, table: None };
    resolve_sources(&mut dataset, sources);
    Ok(dataset)
}

/// `source` links of one item before resolution: (resolved path, href).
type SourcePaths = Vec<(PathBuf, String)>;

fn walk(root: PathBuf, warnings: &mut Warnings) -> Result<(Vec<Node>, Vec<ItemLink>)> {
    let mut nodes: Vec<Node> = Vec::new();
    let mut walker = Walker::new(root, None, Policy::Stop);
    while let Some(step) = walker.step()? {
        let Reached { path, value, parent, .. } = match step {
            Step::Node(reached) => reached,
            Step::Problem(Problem::RepeatedItem { node, href, .. }) => {
                warnings.push(
                    "repeated item link",
                    &nodes[node].path,
                    format!("links {href} more than once; read once"),
                );
                continue;
            }
            Step::Problem(other) => unreachable!("Policy::Stop returns {other:?} as an error"),
        };
        let Value::Object(mut json) = value else {
            return Err(Error::not_stac(&path, "expected a STAC catalog or collection object"));
        };
        let kind = node_kind(&path, &json, warnings)?;
        let id = match json.get("id") {
            Some(Value::String(id)) if !id.is_empty() => id.clone(),
            _ => return Err(Error::not_stac(&path, "has no string \"id\"")),
        };
        let index = walker.accept(&path, parent, &json)?;
        if let Some(parent) = parent {
            nodes[parent].children.push(index);
        }
        // Item links are regenerated by the writer and would otherwise be the
        // largest part of a big collection kept in memory.
        if let Some(Value::Array(links)) = json.get_mut("links") {
            links.retain(|link| link.get("rel").and_then(Value::as_str) != Some("item"));
        }
        nodes.push(Node { kind, id, path, json, parent, children: Vec::new(), items: Vec::new() });
    }
    Ok((nodes, walker.into_item_links()))
}

fn node_kind(path: &Path, json: &Map<String, Value>, warnings: &mut Warnings) -> Result<NodeKind> {
    match json.get("type").and_then(Value::as_str) {
        Some("Catalog") => Ok(NodeKind::Catalog),
        Some("Collection") => Ok(NodeKind::Collection),
        Some("Feature") => Err(Error::not_stac(path, "is a STAC Item, but a catalog or collection was expected here")),
        Some(other) => {
            Err(Error::not_stac(path, format!("has type {other:?}; expected \"Catalog\" or \"Collection\"")))
        }
        None if json.contains_key("extent") => {
            warnings.push("missing type", path, "has no \"type\"; read as a Collection (it has an extent)");
            Ok(NodeKind::Collection)
        }
        None if json.contains_key("links") => {
            warnings.push("missing type", path, "has no \"type\"; read as a Catalog");
            Ok(NodeKind::Catalog)
        }
        None => Err(Error::not_stac(path, "is not a STAC catalog or collection (no \"type\", no \"links\")")),
    }
}

/// What the parallel read returns for one item before sources are resolved.
pub(crate) struct Parsed {
    pub(crate) record: ItemRecord,
    /// `source` links: (resolved path, or empty with [`Sources::Names`]; href).
    pub(crate) source_paths: SourcePaths,
    /// Folders of linked local files other than the item's own folder.
    pub(crate) linked_dirs: Vec<PathBuf>,
    pub(crate) warnings: Vec<(&'static str, String)>,
}

fn read_items(
    nodes: &[Node],
    links: &[ItemLink],
    warnings: &mut Warnings,
) -> Result<(Vec<ItemRecord>, Vec<SourcePaths>, Vec<PathBuf>)> {
    let parsed: Vec<Result<Parsed>> = read_each(links, |_, link, reader| {
        let (node, path) = (link.node, &link.target);
        let bytes = reader.read(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::BrokenLink {
                from: nodes[node].path.clone(),
                rel: "item".into(),
                href: href::relative(nodes[node].path.parent().unwrap_or(Path::new("/")), path),
                target: path.clone(),
            },
            _ => Error::io(path, e),
        })?;
        let parsed = parse_item(path, node, bytes);
        parsed.map(|mut parsed| {
            if let Some(file) = parsed.record.file.as_mut() {
                file.stamp = reader.stamp();
            }
            parsed
        })
    });
    // The first error in walk order, so the message does not depend on thread timing.
    if let Some(position) = parsed.iter().position(Result::is_err) {
        return Err(parsed.into_iter().nth(position).and_then(Result::err).expect("found above"));
    }
    // Collected in place (the allocation is reused): no second copy of every record.
    let mut all: Vec<Parsed> = parsed.into_iter().flatten().collect();
    // Deterministic order whatever the thread timing: by node, then id.
    all.sort_by(|a, b| (a.record.node, &a.record.id).cmp(&(b.record.node, &b.record.id)));
    for pair in all.windows(2) {
        let (a, b) = (&pair[0].record, &pair[1].record);
        if a.node == b.node && a.id == b.id {
            return Err(Error::DuplicateId {
                path: b.path().max(a.path()).to_path_buf(),
                other: b.path().min(a.path()).to_path_buf(),
                id: b.id.clone(),
                collection: nodes[b.node as usize].id.clone(),
            });
        }
    }
    let mut sources = Vec::with_capacity(all.len());
    let mut linked_dirs = std::collections::BTreeSet::new();
    for parsed in &mut all {
        for (kind, message) in parsed.warnings.drain(..) {
            warnings.push(kind, parsed.record.path(), message);
        }
        sources.push(std::mem::take(&mut parsed.source_paths));
        linked_dirs.extend(parsed.linked_dirs.drain(..));
    }
    let records = all.into_iter().map(|parsed| parsed.record).collect();
    Ok((records, sources, linked_dirs.into_iter().collect()))
}

fn resolve_sources(dataset: &mut Dataset, sources: Vec<SourcePaths>) {
    let by_path: HashMap<&Path, usize> = dataset.items.iter().enumerate().map(|(i, item)| (item.path(), i)).collect();
    let resolved: Vec<(Vec<usize>, Vec<String>)> = sources
        .into_iter()
        .map(|paths| {
            let mut found = Vec::new();
            let mut dangling = Vec::new();
            for (path, href) in paths {
                match by_path.get(path.as_path()) {
                    Some(&i) => found.push(i),
                    None => dangling.push(href),
                }
            }
            (found, dangling)
        })
        .collect();
    for (item, (found, dangling)) in dataset.items.iter_mut().zip(resolved) {
        give_sources(item, found, dangling);
    }
    list_node_items(dataset);
}

/// Gives `item` its resolved `source` links: the items found, the hrefs not.
pub(crate) fn give_sources(item: &mut ItemRecord, found: Vec<usize>, dangling: Vec<String>) {
    // Boxed slices: exactly as long as the list, no capacity field.
    item.sources = found.into_boxed_slice();
    item.dangling_sources = (!dangling.is_empty()).then(|| Box::new(dangling.into_boxed_slice()));
}

/// Lists each node's items, in item order.
pub(crate) fn list_node_items(dataset: &mut Dataset) {
    for (i, item) in dataset.items.iter().enumerate() {
        dataset.nodes[item.node as usize].items.push(i);
    }
}

/// Parses one item file leniently: only what cannot be read at all is an
/// error; odd but readable fields become warnings.
fn parse_item(path: &Path, node: usize, bytes: &[u8]) -> Result<Parsed> {
    let value: Value =
        crate::catalog::read::parse_json(bytes).map_err(|error| Error::Json { path: path.to_path_buf(), error })?;
    let Value::Object(mut json) = value else {
        return Err(Error::not_stac(path, "expected a STAC Item object"));
    };
    match json.get("type").and_then(Value::as_str) {
        Some("Feature") => {}
        Some(other) => {
            return Err(Error::not_stac(
                path,
                format!("has type {other:?}; an item link must reach a STAC Item (type \"Feature\")"),
            ));
        }
        None => {
            return Err(Error::not_stac(
                path,
                "has no \"type\"; an item link must reach a STAC Item (type \"Feature\")",
            ));
        }
    }
    let geometry = match json.remove("geometry") {
        None | Some(Value::Null) => None,
        Some(value) => Some(geometry_from_json(value)),
    };
    item_from_object(path, node, json, geometry, Sources::Files)
}

/// How an item's `source` links name other items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sources {
    /// Local files, resolved against the item's file; remote ones are
    /// reported and not followed (the JSON tree).
    Files,
    /// Any href, kept as written, to be matched by name (a table of items,
    /// whose rows have no file of their own).
    Names,
}

/// The record of one item from its JSON object (without `geometry`, which
/// the caller has already taken out and parsed, or failed to). `path` is
/// the item's file, or the file holding it, for messages and hrefs.
pub(crate) fn item_from_object(
    path: &Path,
    node: usize,
    json: Map<String, Value>,
    geometry: Option<std::result::Result<geo::Geometry<f64>, String>>,
    sources: Sources,
) -> Result<Parsed> {
    let id = match json.get("id") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        _ => return Err(Error::not_stac(path, "has no string \"id\"")),
    };
    let mut warnings = Vec::new();
    let geometry = match geometry {
        None => None,
        Some(Ok(geometry)) => Some(geometry),
        Some(Err(message)) => {
            warnings.push(("bad geometry", format!("geometry ignored: {message}")));
            None
        }
    };
    let bbox = match json.get("bbox") {
        None | Some(Value::Null) => None,
        Some(value) => match bbox_from_json(value) {
            Ok(bbox) => Some(bbox),
            Err(message) => {
                warnings.push(("bad bbox", format!("bbox ignored: {message}")));
                None
            }
        },
    };
    let bbox = bbox.or_else(|| geometry.as_ref().and_then(geometry_bbox));
    if let Some(b) = bbox
        && b == [0.0; 4]
    {
        warnings.push(("zero bbox", "bbox is [0, 0, 0, 0]".to_string()));
    }
    let has_geometry = geometry.is_some();
    let footprint = geometry.and_then(|g| footprint_of(g, bbox)).map(Box::new);
    let empty = Map::new();
    let properties = match json.get("properties") {
        Some(Value::Object(p)) => p,
        _ => {
            warnings.push(("missing properties", "has no \"properties\" object".to_string()));
            &empty
        }
    };
    let datetime = ["datetime", "start_datetime"]
        .iter()
        .find_map(|key| properties.get(*key).and_then(Value::as_str))
        .map(|text| ItemTime::Text(text.into()));
    let split = properties.get("ml-dataset:split").and_then(Value::as_str).map(Into::into);
    if !matches!(json.get("stac_extensions"), Some(Value::Array(_)) | None | Some(Value::Null)) {
        warnings.push(("bad field", "stac_extensions is not an array; ignored".into()));
    }
    match json.get("assets") {
        Some(Value::Object(assets)) => {
            for (key, asset) in assets {
                if !asset.get("href").is_some_and(Value::is_string) {
                    warnings.push(("bad field", format!("asset {key:?} has no string href; ignored")));
                }
            }
        }
        None | Some(Value::Null) => {}
        Some(_) => warnings.push(("bad field", "assets is not an object; ignored".into())),
    }
    let label = is_label_item(&json, properties).then(|| Box::new(label_info(path, &json, properties, &mut warnings)));
    let own_dir = path.parent().unwrap_or(Path::new("/"));
    let mut linked_dirs: Vec<PathBuf> = Vec::new();
    let mut linked = |href: &str| {
        if let Some(dir) = linked_dir(path, own_dir, href)
            && !linked_dirs.contains(&dir)
        {
            linked_dirs.push(dir);
        }
    };
    if let Some(Value::Object(assets)) = json.get("assets") {
        for href in assets.values().filter_map(|asset| asset.get("href").and_then(Value::as_str)) {
            linked(href);
        }
    }
    let mut source_paths = Vec::new();
    for Link { rel, href, .. } in links_strict(path, &json)? {
        // Sources are items, protected as such.
        if !matches!(rel, "self" | "root" | "parent" | "collection" | "source") {
            linked(href);
        }
        if rel == "source" && (sources == Sources::Names || !href::is_remote(href)) {
            let resolved = if sources == Sources::Files { href::resolve(path, href) } else { PathBuf::new() };
            source_paths.push((resolved, href.to_string()));
        } else if rel == "source" {
            warnings.push(("remote source", format!("source link {href} is remote; not followed")));
        }
    }
    // A table's rows share their file: `Dataset::item_file` finds it.
    let file =
        (sources == Sources::Files).then(|| Box::new(ItemFile { path: path.to_path_buf(), ..Default::default() }));
    let record = ItemRecord {
        id,
        node: node as u32,
        file,
        bbox,
        footprint,
        has_geometry,
        datetime,
        label,
        split,
        ..Default::default()
    };
    Ok(Parsed { record, source_paths, linked_dirs, warnings })
}

/// The folder of the local file `href` (written in the file `path`) names,
/// when it is not `own_dir`, the folder of `path`.
pub(crate) fn linked_dir(path: &Path, own_dir: &Path, href: &str) -> Option<PathBuf> {
    if href::is_remote(href) || href.starts_with('#') || href.is_empty() {
        return None;
    }
    let target = href::resolve(path, href);
    target.parent().filter(|dir| *dir != own_dir).map(Path::to_path_buf)
}

fn label_info(
    path: &Path,
    json: &Map<String, Value>,
    properties: &Map<String, Value>,
    warnings: &mut Vec<(&'static str, String)>,
) -> LabelInfo {
    let mut info = LabelInfo::default();
    match properties.get("label:properties") {
        Some(Value::Array(list)) => {
            info.properties = Some(list.iter().filter_map(Value::as_str).map(Interned::from).collect());
        }
        Some(Value::Null) => {}
        Some(_) => warnings.push(("bad label field", "label:properties is neither an array nor null".into())),
        None => warnings.push(("bad label field", "label item without label:properties".into())),
    }
    if let Some(Value::Array(tasks)) = properties.get("label:tasks") {
        info.tasks = tasks.iter().filter_map(Value::as_str).map(Interned::from).collect();
    }
    info.label_type = properties.get("label:type").and_then(Value::as_str).map(Interned::from);
    if properties.get("label:classes").is_some_and(|c| !c.is_array()) {
        warnings.push(("bad label field", "label:classes is not an array; ignored".into()));
    }
    if let Some(Value::Array(classes)) = properties.get("label:classes") {
        for entry in classes {
            if !entry.is_object() {
                warnings.push(("bad label field", format!("label:classes entry {entry} is not an object; ignored")));
                continue;
            }
            // Older tools write the name as a one-element array.
            if entry.get("name").is_some_and(Value::is_array) {
                warnings
                    .push(("old label field", "label:classes name is an array, not a string (an older form)".into()));
            }
            if entry.get("classes").and_then(Value::as_array).is_some_and(|c| !c.is_empty()) {
                info.has_classes = true;
            }
        }
    }
    let overviews = match (properties.get("label:overviews"), properties.get("label:overview")) {
        (Some(o), _) => Some(o),
        (None, Some(o)) => {
            warnings.push(("old label field", "label:overview (singular) read as label:overviews".into()));
            Some(o)
        }
        _ => None,
    };
    let overviews: Vec<&Value> = match overviews {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(single @ Value::Object(_)) => vec![single],
        _ => Vec::new(),
    };
    let mut counts = Vec::new();
    for overview in overviews {
        let key = Interned::from(&overview.get("property_key").and_then(scalar_string).unwrap_or_default());
        if let Some(Value::Array(entries)) = overview.get("counts") {
            for count in entries {
                if let (Some(name), Some(n)) =
                    (count.get("name").and_then(scalar_string), count.get("count").and_then(Value::as_u64))
                {
                    counts.push((key, Interned::from(&name), n));
                }
            }
        }
    }
    info.overview_counts = crate::catalog::summed_counts(counts).into();
    if let Some(props) = &info.properties {
        let mut classes = Vec::new();
        for prop in props {
            if let Some(class) = properties.get(prop.as_str()).and_then(scalar_string) {
                classes.push((*prop, Interned::from(&class)));
            }
        }
        info.item_classes = classes.into();
    }
    if let Some(Value::Object(assets)) = json.get("assets")
        && let Some(found) = crate::label_assets::find(assets, info.label_type.as_deref())
    {
        info.has_asset = true;
        info.asset_format = found.format;
        if let Some(assumption) = found.assumption() {
            warnings.push(("assumed label asset", assumption));
        }
        if let Some(href) = found.href
            && !href::is_remote(href)
        {
            let mut asset = href::resolve(path, href);
            asset.shrink_to_fit();
            info.asset = Some(asset.into_boxed_path());
        }
    }
    info
}

fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn geometry_from_json(value: Value) -> std::result::Result<geo::Geometry<f64>, String> {
    // The geojson crate indexes positions without checking their length.
    positions_ok(&value)?;
    let geometry: geojson::Geometry = serde_json::from_value(value).map_err(|e| e.to_string())?;
    geo::Geometry::<f64>::try_from(geometry).map_err(|e| e.to_string())
}

/// Checks that every position of a geometry has at least two finite numbers.
fn positions_ok(geometry: &Value) -> std::result::Result<(), String> {
    fn walk(value: &Value, depth: usize) -> std::result::Result<(), String> {
        let Value::Array(list) = value else { return Err("coordinates are not arrays".into()) };
        if depth > 8 {
            return Err("coordinates are nested too deeply".into());
        }
        if list.first().is_some_and(Value::is_array) {
            return list.iter().try_for_each(|v| walk(v, depth + 1));
        }
        if list.len() < 2 || !list.iter().all(|v| v.as_f64().is_some_and(f64::is_finite)) {
            return Err(format!("position {value} needs at least two finite numbers"));
        }
        Ok(())
    }
    if let Some(Value::Array(geometries)) = geometry.get("geometries") {
        return geometries.iter().try_for_each(positions_ok);
    }
    match geometry.get("coordinates") {
        Some(coordinates) => walk(coordinates, 0),
        None => Err("geometry has no coordinates".into()),
    }
}

pub(crate) fn geometry_bbox(geometry: &geo::Geometry<f64>) -> Option<Bbox> {
    use geo::BoundingRect;
    geometry.bounding_rect().map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
}

/// The footprint worth keeping: polygons that are not simply the bbox
/// rectangle (most tiles are, and then the bbox says it all).
pub(crate) fn footprint_of(geometry: geo::Geometry<f64>, bbox: Option<Bbox>) -> Option<geo::MultiPolygon<f64>> {
    use geo::{Area, BoundingRect};
    let polygons = match geometry {
        geo::Geometry::Polygon(p) => geo::MultiPolygon(vec![p]),
        geo::Geometry::MultiPolygon(mp) => mp,
        geo::Geometry::Rect(r) => geo::MultiPolygon(vec![r.to_polygon()]),
        // Points and lines have no area to overlap: the bbox stands in.
        _ => return None,
    };
    let rect = polygons.bounding_rect()?;
    let rect_area = rect.width() * rect.height();
    let is_rectangle = rect_area > 0.0 && (polygons.unsigned_area() - rect_area).abs() <= rect_area * 1e-9;
    let matches_bbox = bbox.is_some_and(|b| b == [rect.min().x, rect.min().y, rect.max().x, rect.max().y]);
    if is_rectangle && matches_bbox { None } else { Some(polygons) }
}
