//! Link checks for one STAC object: structural hrefs (`root`, `parent`,
//! `child`, `item`, `collection`) must be local and reach the right file, an
//! item's `collection` field must name the collection that links it, and local
//! asset and `source` hrefs should reach existing files.
//!
//! Nothing remote is ever fetched. A remote structural href is an error (the
//! catalog cannot be walked offline); remote asset hrefs are only counted.
//! `child` and `item` targets are read by the catalog walker (`run.rs`), which reports
//! the ones that do not exist.

use std::path::Path;

use serde_json::{Map, Value};

use super::report::{Finding, Kind, Severity};
use crate::catalog::href;
use crate::catalog::walk::{self, Link};

/// Where an object sits in the tree.
#[derive(Clone, Copy)]
pub(crate) struct Context<'a> {
    /// The root catalog file (`None` when a lone item is validated: its root
    /// link then only has to exist).
    pub(crate) root: Option<&'a Path>,
    /// The catalog or collection that links this object (`None` for the root).
    pub(crate) parent: Option<&'a Path>,
    /// The id of that parent, when it is a Collection and this is an item.
    pub(crate) parent_collection: Option<&'a str>,
    /// Missing local assets are errors, not warnings.
    pub(crate) strict: bool,
    /// Item files that will exist once the tree is finished, when it is
    /// checked while being written.
    pub(crate) planned: Option<&'a (dyn Fn(&Path) -> bool + Sync)>,
}

/// Rels whose hrefs define the tree and must be followed offline.
const STRUCTURAL: [&str; 5] = ["root", "parent", "child", "item", "collection"];

/// Checks the links, `collection` field and assets of the object in `path`.
/// Returns the number of remote asset hrefs (not checked).
pub(crate) fn check(path: &Path, json: &Map<String, Value>, context: &Context<'_>, out: &mut Vec<Finding>) -> usize {
    let error =
        |pointer: String, message: String| Finding::new(path, Severity::Error, Kind::Link, Some(pointer), message);
    let is_item = json.get("type").and_then(Value::as_str) == Some("Feature");
    // Files already known to exist need no `stat`.
    let known = |target: &Path| {
        Some(target) == context.root
            || Some(target) == context.parent
            || target == path
            || context.planned.is_some_and(|planned| planned(target))
    };
    // Links without a string rel and href are skipped: the core schema reports them.
    for Link { index: i, rel, href: link_href } in walk::links(json) {
        let pointer = format!("/links/{i}/href");
        if STRUCTURAL.contains(&rel) {
            if href::is_remote(link_href) {
                out.push(error(
                    pointer,
                    format!("remote {rel} link {link_href} is not followed (stac-ml works offline; make the catalog local first)"),
                ));
                continue;
            }
            let target = href::resolve(path, link_href);
            match rel {
                "root" => match context.root {
                    Some(root) if target != root => {
                        let why = if target.exists() { "is not the root catalog" } else { "does not exist" };
                        out.push(error(
                            pointer,
                            format!(
                                "root link {link_href} reaches {}, which {why}; the root catalog is {}",
                                target.display(),
                                root.display()
                            ),
                        ));
                    }
                    None if !known(&target) && !target.exists() => {
                        out.push(error(pointer, format!("root link {link_href}: {} does not exist", target.display())));
                    }
                    _ => {}
                },
                "parent" => match context.parent {
                    Some(parent) if target != parent => {
                        let why = if target.exists() { "is not" } else { "does not exist and is not" };
                        out.push(error(
                            pointer,
                            format!(
                                "parent link {link_href} reaches {}, which {why} the file that links this object ({})",
                                target.display(),
                                parent.display()
                            ),
                        ));
                    }
                    None if !known(&target) && !target.exists() => {
                        out.push(error(
                            pointer,
                            format!("parent link {link_href}: {} does not exist", target.display()),
                        ));
                    }
                    _ => {}
                },
                "collection" => {
                    if !known(&target) && !target.exists() {
                        out.push(error(
                            pointer,
                            format!("collection link {link_href}: {} does not exist", target.display()),
                        ));
                    } else if context.parent_collection.is_some()
                        && let Some(parent) = context.parent
                        && target != parent
                    {
                        out.push(Finding::new(
                            path,
                            Severity::Warning,
                            Kind::Link,
                            Some(pointer),
                            format!(
                                "collection link {link_href} reaches {}, not the collection that links this item ({})",
                                target.display(),
                                parent.display()
                            ),
                        ));
                    }
                }
                _ => {}
            }
        } else if rel == "source" && !href::is_remote(link_href) {
            let target = href::resolve(path, link_href);
            if !known(&target) && !target.exists() {
                out.push(Finding::new(
                    path,
                    Severity::Warning,
                    Kind::Link,
                    Some(pointer),
                    format!("source link {link_href}: {} does not exist", target.display()),
                ));
            }
        }
    }
    if is_item
        && let Some(expected) = context.parent_collection
        && let Some(Value::String(found)) = json.get("collection")
        && found != expected
    {
        out.push(error(
            "/collection".into(),
            format!("\"collection\" is {found:?}, but the item is linked from collection {expected:?}"),
        ));
    }
    check_assets(path, json, context.strict, out)
}

fn check_assets(path: &Path, json: &Map<String, Value>, strict: bool, out: &mut Vec<Finding>) -> usize {
    let Some(Value::Object(assets)) = json.get("assets") else { return 0 };
    let mut remote = 0;
    for (key, asset) in assets {
        let Some(asset_href) = asset.get("href").and_then(Value::as_str) else { continue };
        if href::is_remote(asset_href) {
            remote += 1;
            continue;
        }
        let target = href::resolve(path, asset_href);
        if !target.exists() {
            let severity = if strict { Severity::Error } else { Severity::Warning };
            out.push(Finding::new(
                path,
                severity,
                Kind::Link,
                Some(format!("/assets/{}/href", escape_pointer(key))),
                format!("asset {key:?}: {} does not exist", target.display()),
            ));
        }
    }
    remote
}

/// Escapes a key for use as a JSON pointer segment (RFC 6901).
pub(crate) fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(json: Value, context: &Context<'_>) -> (Vec<Finding>, usize) {
        let mut out = Vec::new();
        let remote = check(Path::new("/d/labels/a/a.json"), json.as_object().unwrap(), context, &mut out);
        (out, remote)
    }

    #[test]
    fn planned_files_count_as_existing() {
        let planned = |path: &Path| path == Path::new("/d/source/a/a.json");
        let mut context = Context {
            root: Some(Path::new("/d/catalog.json")),
            parent: Some(Path::new("/d/labels/collection.json")),
            parent_collection: None,
            strict: false,
            planned: Some(&planned),
        };
        let item = json!({
            "type": "Feature",
            "links": [
                {"rel": "source", "href": "../../source/a/a.json"},
                {"rel": "source", "href": "../../source/b/b.json"}
            ]
        });
        let (out, _) = run(item.clone(), &context);
        let pointers: Vec<&str> = out.iter().map(|f| f.pointer.as_deref().unwrap()).collect();
        assert_eq!(pointers, vec!["/links/1/href"], "only the link to a file not planned is reported");
        context.planned = None;
        assert_eq!(run(item, &context).0.len(), 2);
    }

    #[test]
    fn wrong_root_parent_collection_and_assets() {
        // The paths do not exist, on purpose.
        let context = Context {
            root: Some(Path::new("/d/catalog.json")),
            parent: Some(Path::new("/d/labels/collection.json")),
            parent_collection: Some("labels"),
            strict: false,
            planned: None,
        };
        let item = json!({
            "type": "Feature", "collection": "other",
            "links": [
                {"rel": "root", "href": "../../catalog.json"},
                {"rel": "parent", "href": "../collection.json"},
                {"rel": "self", "href": "https://example.com/a.json"},
                {"rel": "root", "href": "../catalog.json"},
                {"rel": "parent", "href": "https://example.com/c.json"},
                {"rel": "collection", "href": "../../missing/collection.json"},
                {"rel": "source", "href": "../../source/a/a.json"}
            ],
            "assets": {"image": {"href": "./a.tif"}, "remote": {"href": "s3://bucket/a.tif"}, "a/b": {"href": "x"}}
        });
        let (out, remote) = run(item, &context);
        assert_eq!(remote, 1);
        let summary: Vec<(Severity, &str)> = out.iter().map(|f| (f.severity, f.pointer.as_deref().unwrap())).collect();
        assert_eq!(
            summary,
            vec![
                (Severity::Error, "/links/3/href"),
                (Severity::Error, "/links/4/href"),
                (Severity::Error, "/links/5/href"),
                (Severity::Warning, "/links/6/href"),
                (Severity::Error, "/collection"),
                (Severity::Warning, "/assets/image/href"),
                (Severity::Warning, "/assets/a~1b/href"),
            ]
        );
        assert!(out[0].message.contains("does not exist; the root catalog is /d/catalog.json"), "{}", out[0].message);
        assert!(out[1].message.contains("stac-ml works offline"), "{}", out[1].message);
        assert!(out[4].message.contains("linked from collection \"labels\""), "{}", out[4].message);
        let strict = Context { strict: true, ..context };
        let (out, _) = run(json!({"type": "Feature", "assets": {"image": {"href": "./a.tif"}}}), &strict);
        assert_eq!(out[0].severity, Severity::Error);
    }
}
