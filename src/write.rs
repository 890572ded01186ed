//! Writing a Q2 catalog: a self-contained copy of the input with relative
//! structural links, one folder per catalog, collection and item, the split
//! fields patched in, and asset hrefs rewritten to reach the original files.
//!
//! Everything is written into a hidden sibling of the output folder and
//! renamed into place at the end, so a crash leaves the output absent or
//! complete; the input is only ever read.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::{Map, Value, json};

use crate::catalog::{Dataset, NodeKind, href};
use crate::error::{Error, Result};
use crate::metrics::QualityMetrics;
use crate::ml_dataset::{ML_AOI_EXTENSION, ML_DATASET_EXTENSION, Metadata, ml_aoi_split};
use crate::progress::{Observer, Silent};
use crate::publish::Staged;
use crate::sink::{Q2Content, Sink};
pub use crate::sink::{SplitFormat, WriteSummary};
use crate::source::{JsonTree, Source};
use crate::split::Assignment;
use crate::validate::Checked;

/// Checks made while a Q2 catalog is written, before it is published: every
/// item as it is written, then the finished temporary tree. An error stops
/// the publication and the temporary tree is removed.
pub trait Gate: Sync {
    /// Called once, with the empty temporary tree, before any item.
    fn begin(&self, tmp: &Path);
    /// Called with every item as written: its file in the temporary tree, its
    /// JSON, the file of the catalog or collection that links it, and that
    /// collection's id (`None` for a catalog). `planned` gives the id of
    /// every item file the finished tree will hold, written yet or not.
    fn item(&self, file: &Path, json: &Value, parent: &Path, collection: Option<&str>, planned: Checked<'_>);
    /// Called on the finished temporary tree. `written` gives the id of every
    /// item file that was passed to [`Gate::item`].
    fn finish(&self, tmp: &Path, written: Checked<'_>) -> Result<()>;
}

/// How to write, for [`write_q2`].
pub struct WriteOptions<'a> {
    /// The output folder.
    pub out: PathBuf,
    /// Replace a non-empty output folder.
    pub force: bool,
    /// Which split fields.
    pub format: SplitFormat,
    /// The root catalog's ML-Dataset fields.
    pub metadata: Metadata,
    /// How the split was made (seed, ratios, ...), recorded on the root.
    pub provenance: Value,
    /// Quality metrics; their entries replace existing entries of the same name.
    pub quality_metrics: Option<QualityMetrics>,
    /// Told of each item written.
    pub observer: Option<&'a dyn Observer>,
    /// Checks the items as they are written and the finished temporary tree
    /// before the rename.
    pub gate: Option<&'a dyn Gate>,
}

/// The Q2 catalog as a tree of JSON files: one folder per catalog,
/// collection and item, written in a hidden sibling of `out` and renamed
/// into place.
pub struct JsonTreeSink<'a> {
    /// The output folder.
    pub out: PathBuf,
    /// Replace a non-empty output folder.
    pub force: bool,
    /// Checks the items as they are written and the finished temporary tree
    /// before the rename.
    pub gate: Option<&'a dyn Gate>,
}

/// Final relative locations of every node and item under the output folder.
struct Layout {
    node_files: Vec<PathBuf>,
    item_files: Vec<PathBuf>,
}

/// Writes the Q2 catalog of a dataset loaded from a JSON tree.
pub fn write_q2(dataset: &Dataset, assignment: &Assignment, options: &WriteOptions) -> Result<WriteSummary> {
    let content = Q2Content {
        dataset,
        assignment,
        format: options.format,
        metadata: &options.metadata,
        provenance: &options.provenance,
        quality_metrics: options.quality_metrics.as_ref(),
    };
    let sink = JsonTreeSink { out: options.out.clone(), force: options.force, gate: options.gate };
    let source = JsonTree::new(&dataset.root().path);
    sink.write(&content, &source, options.observer.unwrap_or(&Silent))
}

impl Sink for JsonTreeSink<'_> {
    fn write(&self, content: &Q2Content<'_>, source: &dyn Source, observer: &dyn Observer) -> Result<WriteSummary> {
        write_tree(self, content, source, observer)
    }
}

fn write_tree(
    sink: &JsonTreeSink,
    content: &Q2Content,
    source: &dyn Source,
    observer: &dyn Observer,
) -> Result<WriteSummary> {
    let Q2Content { dataset, assignment, .. } = *content;
    let out = prepare_out(dataset, &sink.out, sink.force)?;
    let layout = layout(dataset)?;
    if content.format.ml_aoi() {
        for name in &assignment.names {
            ml_aoi_split(name)?;
        }
    }
    let staged = Staged::begin(&out)?;
    build(&staged, &out, &layout, content, source, sink.gate, observer).map_err(|e| staged.blame(e))?;
    staged.publish(sink.force)?;
    Ok(WriteSummary { catalog: out.join(&layout.node_files[0]), out, items: dataset.items.len() })
}

/// Writes every item and node of the Q2 catalog into the hidden folder of
/// `staged`, checked by the gate.
fn build(
    staged: &Staged,
    out: &Path,
    layout: &Layout,
    content: &Q2Content,
    source: &dyn Source,
    gate: Option<&dyn Gate>,
    observer: &dyn Observer,
) -> Result<()> {
    let Q2Content { dataset, assignment, .. } = *content;
    let tmp = staged.path().to_path_buf();

    let by_path: HashMap<&Path, usize> = dataset.items.iter().enumerate().map(|(i, item)| (item.path(), i)).collect();
    // Item files of the finished tree, for the gate: (path under `tmp`) -> index.
    let files: HashMap<&Path, usize> = match gate {
        Some(_) => layout.item_files.iter().enumerate().map(|(i, file)| (file.as_path(), i)).collect(),
        None => HashMap::new(),
    };
    let written = |file: &Path| {
        let i = *files.get(file.strip_prefix(&tmp).ok()?)?;
        Some(dataset.items[i].id.as_str())
    };
    let context =
        Context { dataset, assignment, content, source, gate, layout, out, by_path: &by_path, planned: &written };

    if let Some(gate) = gate {
        gate.begin(&tmp);
    }
    crate::io_pool::install(|| {
        // A source that reads items in batches gives its own order; files
        // are written last loaded first: those are the likeliest to be
        // still in the page cache when the catalog is larger than memory.
        let order: Vec<usize> = source.item_order(dataset).unwrap_or_else(|| (0..dataset.items.len()).rev().collect());
        order.into_par_iter().try_for_each_init(Vec::new, |buffer, i| {
            // A signal stops the run between items; the guard removes the tree.
            crate::publish::interrupted()?;
            context.write_item(i, &tmp, buffer)?;
            observer.item_done();
            Ok::<(), Error>(())
        })
    })?;
    for n in 0..dataset.nodes.len() {
        crate::publish::interrupted()?;
        context.write_node(n, &tmp)?;
    }
    if let Some(gate) = gate {
        crate::publish::interrupted()?;
        gate.finish(&tmp, &written)?;
    }
    Ok(())
}

/// Makes the output path absolute and refuses unsafe or occupied ones.
fn prepare_out(dataset: &Dataset, out: &Path, force: bool) -> Result<PathBuf> {
    // Resolve the output without creating anything: the checks below must
    // run before a single folder is made, or a refused output could still
    // leave an empty folder inside the input.
    let out_abs = crate::publish::resolve_out(out)?;
    // Not only the root's folder: a collection reached through a symlink,
    // an absolute or `../` href, or the folder of a linked asset is input too.
    crate::publish::check_apart(dataset, &out_abs)?;
    crate::publish::check_vacant(&out_abs, force)?;
    let parent = out_abs.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    Ok(out_abs)
}

fn layout(dataset: &Dataset) -> Result<Layout> {
    let mut node_dirs: Vec<PathBuf> = vec![PathBuf::new(); dataset.nodes.len()];
    let mut node_files = vec![PathBuf::new(); dataset.nodes.len()];
    let mut item_files = vec![PathBuf::new(); dataset.items.len()];
    for (n, node) in dataset.nodes.iter().enumerate() {
        let mut taken: HashSet<String> = HashSet::new();
        let mut claim = |segment: String, what: &str, id: &str| -> Result<String> {
            if taken.insert(segment.to_lowercase()) {
                Ok(segment)
            } else {
                Err(Error::not_stac(
                    &node.path,
                    format!(
                        "{what} id {id:?} would be written to folder {segment:?}, which another child already uses"
                    ),
                ))
            }
        };
        let file = match node.kind {
            NodeKind::Catalog => "catalog.json",
            NodeKind::Collection => "collection.json",
        };
        node_files[n] = node_dirs[n].join(file);
        for &child in &node.children {
            let id = &dataset.nodes[child].id;
            let segment = claim(path_segment(id), "child", id)?;
            node_dirs[child] = node_dirs[n].join(segment);
        }
        for &i in &node.items {
            let id = &dataset.items[i].id;
            let segment = claim(path_segment(id), "item", id)?;
            item_files[i] = node_dirs[n].join(&segment).join(format!("{segment}.json"));
        }
    }
    Ok(Layout { node_files, item_files })
}

/// A file-name-safe form of an id. Safe ids are kept as they are; others get
/// unsafe characters replaced and a hash of the id appended, so two different
/// ids never share a folder and no id can climb out of the output (`..`, `/`).
pub fn path_segment(id: &str) -> String {
    let safe = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '.');
    // A safe id that looks like a cleaned name (`...-` + 16 hex digits) is
    // hashed too, or `a/b` (cleaned to `a_b-<hash>`) and that literal id
    // would share a folder.
    let bytes = id.as_bytes();
    let looks_hashed = bytes.len() > 17
        && bytes[bytes.len() - 17] == b'-'
        && bytes[bytes.len() - 16..].iter().all(u8::is_ascii_hexdigit);
    if !id.is_empty() && id.len() <= 120 && !id.starts_with('.') && id.chars().all(safe) && !looks_hashed {
        return id.to_string();
    }
    // At most 80 bytes (not characters: file names are limited in bytes).
    let mut cleaned = String::new();
    for c in id.chars().map(|c| if safe(c) { c } else { '_' }) {
        if cleaned.len() + c.len_utf8() > 80 {
            break;
        }
        cleaned.push(c);
    }
    let cleaned = cleaned.trim_start_matches('.');
    // FNV-1a: stable across platforms and releases, unlike std's hasher.
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
    format!("{cleaned}-{hash:016x}")
}

struct Context<'a> {
    dataset: &'a Dataset,
    assignment: &'a Assignment,
    content: &'a Q2Content<'a>,
    source: &'a dyn Source,
    gate: Option<&'a dyn Gate>,
    layout: &'a Layout,
    out: &'a Path,
    by_path: &'a HashMap<&'a Path, usize>,
    /// The id of each item file the finished tree will hold, by its path in
    /// the temporary tree (only when there is a gate).
    planned: Checked<'a>,
}

impl Context<'_> {
    fn final_path(&self, relative: &Path) -> PathBuf {
        self.out.join(relative)
    }

    /// An href from `from_file` (final location) to the output file `target`.
    fn href_to(&self, from_file: &Path, target: &Path) -> String {
        href::relative(from_file.parent().unwrap_or(Path::new("/")), &self.final_path(target))
    }

    /// Rewrites a non-structural local href so it still reaches its target.
    fn rewrite_href(&self, original_file: &Path, new_file: &Path, value: &str) -> Option<String> {
        if href::is_remote(value) || value.starts_with('/') || value.starts_with("file://") || value.starts_with('#') {
            return None;
        }
        let target = href::resolve(original_file, value);
        let new_dir = new_file.parent().unwrap_or(Path::new("/"));
        Some(match self.by_path.get(target.as_path()) {
            Some(&i) => href::relative(new_dir, &self.final_path(&self.layout.item_files[i])),
            None => href::relative(new_dir, &target),
        })
    }

    fn rewrite_links(&self, json: &mut Map<String, Value>, original: &Path, new_file: &Path, structural: &[&str]) {
        let Some(Value::Array(links)) = json.get_mut("links") else { return };
        links.retain(|link| {
            let rel = link.get("rel").and_then(Value::as_str).unwrap_or("");
            rel != "self" && !structural.contains(&rel)
        });
        for link in links.iter_mut() {
            let Some(old) = link.get("href").and_then(Value::as_str) else { continue };
            if let Some(new) = self.rewrite_href(original, new_file, old) {
                link["href"] = Value::String(new);
            }
        }
    }

    /// Rows of a table have no files: their `source` links named the
    /// source item (see [`crate::geoparquet`]) and now lead to its file.
    fn link_sources_by_name(&self, json: &mut Map<String, Value>, i: usize, new_file: &Path) {
        let Some(Value::Array(links)) = json.get_mut("links") else { return };
        let sources = &self.dataset.items[i].sources;
        for link in links.iter_mut().filter(|l| l.get("rel").and_then(Value::as_str) == Some("source")) {
            let Some(href) = link.get("href").and_then(Value::as_str) else { continue };
            let stem = href::stem(href);
            if let Some(&j) = sources.iter().find(|&&j| self.dataset.items[j].id == stem) {
                link["href"] = Value::String(self.href_to(new_file, &self.layout.item_files[j]));
            }
        }
    }

    fn write_item(&self, i: usize, tmp: &Path, buffer: &mut Vec<u8>) -> Result<()> {
        let item = &self.dataset.items[i];
        let file = self.dataset.item_file(i);
        let Value::Object(mut json) = self.source.item_json(self.dataset, i, buffer)? else {
            return Err(Error::not_stac(file, "expected a STAC Item object"));
        };
        let relative = &self.layout.item_files[i];
        let new_file = self.final_path(relative);
        let node = &self.dataset.nodes[item.node as usize];
        let node_file = &self.layout.node_files[item.node as usize];

        self.rewrite_links(&mut json, file, &new_file, &["root", "parent", "collection"]);
        if self.dataset.table.is_some() {
            self.link_sources_by_name(&mut json, i, &new_file);
        }
        let mut structural = vec![
            link("root", self.href_to(&new_file, &self.layout.node_files[0])),
            link("parent", self.href_to(&new_file, node_file)),
        ];
        if node.kind == NodeKind::Collection {
            structural.push(link("collection", self.href_to(&new_file, node_file)));
            json.insert("collection".into(), Value::String(node.id.clone()));
        } else {
            json.remove("collection");
        }
        prepend_links(&mut json, structural);

        if let Some(Value::Object(assets)) = json.get_mut("assets") {
            for asset in assets.values_mut() {
                let Some(old) = asset.get("href").and_then(Value::as_str) else { continue };
                if let Some(new) = self.rewrite_href(file, &new_file, old) {
                    asset["href"] = Value::String(new);
                }
            }
        }

        let split = self.assignment.name_of(i);
        let format = self.content.format;
        if !json.get("properties").is_some_and(Value::is_object) {
            json.insert("properties".into(), Value::Object(Map::new()));
        }
        let properties = json["properties"].as_object_mut().expect("made an object above");
        properties.remove("ml-dataset:split");
        properties.remove("ml-aoi:split");
        if let Some(name) = split {
            if format.ml_dataset() {
                properties.insert("ml-dataset:split".into(), Value::String(name.to_string()));
            }
            if format.ml_aoi() {
                properties.insert("ml-aoi:split".into(), Value::String(ml_aoi_split(name)?.to_string()));
            }
            if format.ml_dataset() {
                crate::ml_dataset::add_extension(&mut json, ML_DATASET_EXTENSION);
            }
            if format.ml_aoi() {
                crate::ml_dataset::add_extension(&mut json, ML_AOI_EXTENSION);
            }
        }

        let target = tmp.join(relative);
        let dir = target.parent().expect("item files sit in a folder");
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let json = Value::Object(json);
        // `buffer` still holds the item file as read: its numbers keep their text.
        write_json_as_read(&target, &json, buffer)?;
        if let Some(gate) = self.gate {
            let collection = (node.kind == NodeKind::Collection).then_some(node.id.as_str());
            gate.item(&target, &json, &tmp.join(node_file), collection, self.planned);
        }
        Ok(())
    }

    fn write_node(&self, n: usize, tmp: &Path) -> Result<()> {
        let node = &self.dataset.nodes[n];
        let relative = &self.layout.node_files[n];
        let new_file = self.final_path(relative);
        let mut json = node.json.clone();
        self.rewrite_links(&mut json, &node.path, &new_file, &["root", "parent", "child", "item"]);
        let mut structural = vec![link("root", self.href_to(&new_file, &self.layout.node_files[0]))];
        if let Some(parent) = node.parent {
            structural.push(link("parent", self.href_to(&new_file, &self.layout.node_files[parent])));
        }
        for &child in &node.children {
            structural.push(link("child", self.href_to(&new_file, &self.layout.node_files[child])));
        }
        for &i in &node.items {
            structural.push(link("item", self.href_to(&new_file, &self.layout.item_files[i])));
        }
        prepend_links(&mut json, structural);

        let split_items = self.split_items(n);
        json.remove("ml-dataset:split-items");
        if !split_items.is_empty() && self.content.format.ml_dataset() {
            json.insert("ml-dataset:split-items".into(), Value::Array(split_items));
            crate::ml_dataset::add_extension(&mut json, ML_DATASET_EXTENSION);
        }
        if n == 0 {
            self.patch_root(&mut json);
        }
        let target = tmp.join(relative);
        let dir = target.parent().expect("node files sit in a folder");
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        // The node file is read again only for the spelling of its numbers;
        // if it cannot be, the values are still right, spelt serde's way.
        let mut input = Vec::new();
        let is_json = node.path.extension().is_some_and(|e| e == "json");
        if !is_json || crate::catalog::read::read_file(&node.path, &mut input).is_err() {
            input.clear();
        }
        write_json_as_read(&target, &Value::Object(json), &input)
    }

    /// `ml-dataset:split-items` for a node that holds split members.
    fn split_items(&self, n: usize) -> Vec<Value> {
        let node = &self.dataset.nodes[n];
        if !node.items.iter().any(|&i| self.assignment.member[i]) {
            return Vec::new();
        }
        (0..self.assignment.names.len())
            .map(|k| {
                // Node items are sorted by id already.
                let ids: Vec<&str> = node
                    .items
                    .iter()
                    .filter(|&&i| self.assignment.member[i] && self.assignment.split_of[i] == Some(k as u16))
                    .map(|&i| self.dataset.items[i].id.as_str())
                    .collect();
                json!({"name": self.assignment.names[k], "items": ids})
            })
            .collect()
    }

    fn patch_root(&self, json: &mut Map<String, Value>) {
        self.content.patch_root(json);
    }
}

fn link(rel: &str, href: String) -> Value {
    json!({"rel": rel, "href": href, "type": "application/json"})
}

fn prepend_links(json: &mut Map<String, Value>, mut structural: Vec<Value>) {
    let rest = match json.remove("links") {
        Some(Value::Array(rest)) => rest,
        _ => Vec::new(),
    };
    structural.extend(rest);
    json.insert("links".into(), Value::Array(structural));
}

/// Pretty JSON with a final newline, the way pystac writes catalogs.
pub(crate) fn write_json(path: &Path, value: &Value) -> Result<()> {
    write_json_as_read(path, value, &[])
}

/// [`write_json`] for a value parsed from `input` (and edited): numbers keep
/// the text they had in `input` ([`crate::number_text`]).
fn write_json_as_read(path: &Path, value: &Value, input: &[u8]) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|error| Error::Json { path: path.to_path_buf(), error })?;
    let mut bytes = crate::number_text::respell(bytes, input);
    bytes.push(b'\n');
    let mut file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    file.write_all(&bytes).map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_never_escape() {
        assert_eq!(path_segment("Jaca_1"), "Jaca_1");
        for id in ["..", ".", "a/b", "../x", "a\\b", "", ".hidden", "x\0y"] {
            let s = path_segment(id);
            assert!(!s.contains('/') && !s.contains('\\') && !s.starts_with('.') && !s.is_empty(), "{id:?} -> {s:?}");
        }
        assert_ne!(path_segment("a/b"), path_segment("a_b"));
        assert_ne!(path_segment("a/b"), path_segment("a\\b"));
        assert!(path_segment(&"x".repeat(500)).len() < 120);
    }
}
