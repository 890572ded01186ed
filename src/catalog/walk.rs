//! The one walk of a catalog's link tree, shared by loading and validation.
//!
//! From the root file, [`Walker`] follows `child` links depth first, in link
//! order, and hands each catalog or collection it reads to its caller, who
//! decides whether to take it into the tree ([`Walker::accept`]); it records
//! every `item` link of the nodes taken. The caller chooses a [`Policy`]:
//! loading stops at the first link problem with the [`Error`] it has always
//! reported, validation collects the problems as [`Problem`] values and turns
//! them into findings.
//!
//! Memory stays linear in the number of nodes: pending entries hold only the
//! link that led to them, and the ancestor chain is followed through parent
//! indices only when a file is reached a second time. A tree deeper than
//! [`MAX_DEPTH`] is refused under either policy: the Q2 output nests one
//! folder per level, so its paths (and the memory they take) would grow with
//! the square of the depth.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::href;
use super::read::FileReader;
use crate::error::{Error, Result};

/// The deepest chain of `child` links followed from the root; one more level
/// is an error. Real catalogs are a handful of levels deep.
pub const MAX_DEPTH: u32 = 256;

/// What the walk does with a link problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// The first problem ends the walk as an [`Error`]; only
    /// [`Problem::RepeatedItem`], which is harmless, is handed on.
    Stop,
    /// Every problem is handed on as a [`Step::Problem`] and the walk goes on;
    /// [`Walker::step`] and [`Walker::accept`] never fail, except on a tree
    /// deeper than [`MAX_DEPTH`].
    Collect,
}

/// One entry of an object's `links` with a string `rel` and `href`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link<'a> {
    /// Its index in `links`.
    pub index: usize,
    /// The `rel`.
    pub rel: &'a str,
    /// The `href` as written.
    pub href: &'a str,
}

/// The links of an object that have a string `rel` and `href`, in order;
/// other entries are skipped (a schema check reports them).
pub fn links(json: &Map<String, Value>) -> impl Iterator<Item = Link<'_>> {
    json.get("links").and_then(Value::as_array).into_iter().flatten().enumerate().filter_map(|(i, l)| link_at(i, l))
}

fn link_at(index: usize, link: &Value) -> Option<Link<'_>> {
    Some(Link { index, rel: link.get("rel")?.as_str()?, href: link.get("href")?.as_str()? })
}

/// Every link of the object in the file `path`, each of which must have a
/// string `rel` and `href`; the first that does not is an error.
pub fn links_strict<'a>(path: &Path, json: &'a Map<String, Value>) -> Result<Vec<Link<'a>>> {
    let Some(links) = json.get("links") else { return Ok(Vec::new()) };
    let Value::Array(links) = links else {
        return Err(Error::not_stac(path, "\"links\" is not an array"));
    };
    let mut out = Vec::with_capacity(links.len());
    for (index, link) in links.iter().enumerate() {
        let link = link_at(index, link)
            .ok_or_else(|| Error::not_stac(path, format!("links[{index}] needs string \"rel\" and \"href\"")))?;
        out.push(link);
    }
    Ok(out)
}

/// The link that led the walk to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// The node holding the link.
    pub from: usize,
    /// Its index in that node's `links`.
    pub link: usize,
    /// The href as written.
    pub href: String,
}

/// A catalog or collection file the walk read.
#[derive(Debug)]
pub struct Reached {
    /// Absolute, normalised path of the file.
    pub path: PathBuf,
    /// The parsed file (not necessarily an object).
    pub value: Value,
    /// The node whose child link led here (`None` for the root).
    pub parent: Option<usize>,
    /// That link (`None` for the root).
    pub via: Option<Via>,
}

/// An `item` link of a node taken into the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemLink {
    /// The node holding the link.
    pub node: usize,
    /// Its index in that node's `links`.
    pub link: usize,
    /// Where it resolves to.
    pub target: PathBuf,
}

/// A link problem met on the walk.
#[derive(Debug)]
pub enum Problem {
    /// A child link leads back to a node between it and the root.
    Cycle {
        /// The link.
        via: Via,
        /// The file it reaches.
        target: PathBuf,
    },
    /// A child link reaches a file another link already reached.
    Shared {
        /// The link.
        via: Via,
        /// The file it reaches.
        target: PathBuf,
    },
    /// A child link reaches a file that does not exist.
    Missing {
        /// The link.
        via: Via,
        /// The file it reaches.
        target: PathBuf,
    },
    /// A catalog or collection file exists but cannot be read
    /// ([`Error::Io`]) or parsed ([`Error::Json`]).
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        error: Error,
    },
    /// A `child` or `item` link is remote; it is not followed.
    Remote {
        /// The node holding the link.
        node: usize,
        /// Its index in the node's `links`.
        link: usize,
    },
    /// A node links the same item file more than once; it is read once.
    RepeatedItem {
        /// The node holding the links.
        node: usize,
        /// The index of the repeated link in the node's `links`.
        link: usize,
        /// The href as written.
        href: String,
    },
}

impl Problem {
    /// The problem in words, for a child-link problem (`None` otherwise).
    pub fn message(&self) -> Option<String> {
        Some(match self {
            Problem::Cycle { via, target } => {
                format!("child link {} leads back to {}, making a cycle; not followed", via.href, target.display())
            }
            Problem::Shared { via, target } => shared_message(&via.href, target),
            Problem::Missing { via, target } => format!("child link {}: {} does not exist", via.href, target.display()),
            _ => return None,
        })
    }
}

fn shared_message(href: &str, target: &Path) -> String {
    format!("child link {href} reaches {}, which another catalog already links as a child", target.display())
}

/// What [`Walker::step`] met.
#[derive(Debug)]
pub enum Step {
    /// A catalog or collection file to take ([`Walker::accept`]) or leave.
    Node(Reached),
    /// A link problem.
    Problem(Problem),
}

/// A file waiting on the walk.
struct Pending {
    path: PathBuf,
    parent: Option<usize>,
    via: Option<Via>,
}

/// The walk itself; see the module documentation.
pub struct Walker {
    policy: Policy,
    stack: Vec<Pending>,
    /// Every file reached: its node, or `None` when it could not be read.
    seen: HashMap<PathBuf, Option<usize>>,
    /// Per node taken: (path, parent, depth).
    nodes: Vec<(PathBuf, Option<usize>, u32)>,
    items: Vec<ItemLink>,
    /// Problems found while accepting a node, handed on before the next file.
    queued: VecDeque<Problem>,
    root_value: Option<Value>,
    reader: FileReader,
}

impl Walker {
    /// A walk from `root` (absolute and normalised). `root_value` is the root
    /// file already parsed, if the caller has it.
    pub fn new(root: PathBuf, root_value: Option<Value>, policy: Policy) -> Self {
        Walker {
            policy,
            stack: vec![Pending { path: root, parent: None, via: None }],
            seen: HashMap::new(),
            nodes: Vec::new(),
            items: Vec::new(),
            queued: VecDeque::new(),
            root_value,
            reader: FileReader::default(),
        }
    }

    /// The next node or problem, `None` when the walk is over. With
    /// [`Policy::Stop`], a problem other than a repeated item link is
    /// returned as the error loading has always reported, and a file that
    /// cannot be read or parsed as its read error.
    pub fn step(&mut self) -> Result<Option<Step>> {
        if let Some(problem) = self.queued.pop_front() {
            return Ok(Some(Step::Problem(problem)));
        }
        let Some(Pending { path, parent, via }) = self.stack.pop() else { return Ok(None) };
        if let Some(&earlier) = self.seen.get(&path) {
            let via = via.expect("only the root has no link");
            let on_path = std::iter::successors(parent, |&i| self.nodes[i].1).any(|i| Some(i) == earlier);
            let problem =
                if on_path { Problem::Cycle { via, target: path } } else { Problem::Shared { via, target: path } };
            return self.hand_on(problem).map(Some);
        }
        if let (Some(parent), Some(via)) = (parent, &via)
            && self.nodes[parent].2 >= MAX_DEPTH
        {
            return Err(Error::not_stac(
                &self.nodes[parent].0,
                format!(
                    "child link {} goes deeper than {MAX_DEPTH} levels of catalogs and collections, \
                     the most stac-ml follows; flatten the tree",
                    via.href
                ),
            ));
        }
        let value = match self.root_value.take() {
            Some(value) => value,
            None => match self.reader.read_json(&path) {
                Ok(value) => value,
                Err(Error::Io { error, .. }) if error.kind() == std::io::ErrorKind::NotFound && via.is_some() => {
                    let via = via.expect("checked");
                    return self.hand_on(Problem::Missing { via, target: path }).map(Some);
                }
                Err(error) if self.policy == Policy::Stop => return Err(error),
                Err(error) => {
                    self.seen.insert(path.clone(), None);
                    return Ok(Some(Step::Problem(Problem::Unreadable { path, error })));
                }
            },
        };
        Ok(Some(Step::Node(Reached { path, value, parent, via })))
    }

    /// Takes a node read by [`Walker::step`] into the tree, `json` being its
    /// object (an empty map when it is not one), and follows its `child` and
    /// `item` links. Returns its index: nodes are numbered in the order they
    /// are taken, the root first. With [`Policy::Stop`], a link without a
    /// string `rel` and `href`, or a remote `child` or `item` link, is an
    /// error; with [`Policy::Collect`] the first is skipped and the second
    /// handed on as [`Problem::Remote`].
    pub fn accept(&mut self, path: &Path, parent: Option<usize>, json: &Map<String, Value>) -> Result<usize> {
        let index = self.nodes.len();
        let links = match self.policy {
            Policy::Stop => links_strict(path, json)?,
            Policy::Collect => links(json).collect(),
        };
        let mut children = Vec::new();
        let mut node_items = HashSet::new();
        for link in links {
            if link.rel != "child" && link.rel != "item" {
                continue;
            }
            if href::is_remote(link.href) {
                if self.policy == Policy::Stop {
                    return Err(Error::RemoteLink {
                        from: path.to_path_buf(),
                        rel: link.rel.to_string(),
                        href: link.href.to_string(),
                    });
                }
                self.queued.push_back(Problem::Remote { node: index, link: link.index });
                continue;
            }
            let target = href::resolve(path, link.href);
            if link.rel == "child" {
                let via = Via { from: index, link: link.index, href: link.href.to_string() };
                children.push(Pending { path: target, parent: Some(index), via: Some(via) });
            } else if node_items.insert(target.clone()) {
                self.items.push(ItemLink { node: index, link: link.index, target });
            } else {
                self.queued.push_back(Problem::RepeatedItem { node: index, link: link.index, href: link.href.into() });
            }
        }
        self.seen.insert(path.to_path_buf(), Some(index));
        let depth = parent.map_or(0, |p| self.nodes[p].2 + 1);
        self.nodes.push((path.to_path_buf(), parent, depth));
        // Reversed so the stack pops children in link order.
        self.stack.extend(children.into_iter().rev());
        Ok(index)
    }

    /// The item links of every node taken, in walk order.
    pub fn into_item_links(self) -> Vec<ItemLink> {
        self.items
    }

    /// `problem` as a step, or as the error loading reports under [`Policy::Stop`].
    fn hand_on(&self, problem: Problem) -> Result<Step> {
        if self.policy == Policy::Collect {
            return Ok(Step::Problem(problem));
        }
        let from = |via: &Via| self.nodes[via.from].0.clone();
        Err(match problem {
            Problem::Cycle { via, target } => {
                Error::CyclicLink { from: from(&via), rel: "child".into(), href: via.href, target }
            }
            Problem::Shared { via, target } => Error::not_stac(from(&via), shared_message(&via.href, &target)),
            Problem::Missing { via, target } => {
                Error::BrokenLink { from: from(&via), rel: "child".into(), href: via.href, target }
            }
            other => return Ok(Step::Problem(other)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Writes `files` (relative path, JSON) under a temporary folder.
    fn tree(files: &[(&str, Value)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, value) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, value.to_string()).unwrap();
        }
        dir
    }

    fn catalog(id: &str, links: Value) -> Value {
        json!({"type": "Catalog", "id": id, "stac_version": "1.0.0", "description": "", "links": links})
    }

    /// What a whole walk produced: node paths (relative), problems, item links.
    #[derive(Debug, Default)]
    struct Outcome {
        nodes: Vec<String>,
        problems: Vec<Problem>,
        items: Vec<(usize, usize, String)>,
    }

    fn walk(dir: &Path, policy: Policy) -> Result<Outcome> {
        let dir = std::fs::canonicalize(dir).unwrap();
        let mut walker = Walker::new(dir.join("catalog.json"), None, policy);
        let mut outcome = Outcome::default();
        while let Some(step) = walker.step()? {
            match step {
                Step::Node(reached) => {
                    let json = reached.value.as_object().cloned().unwrap_or_default();
                    let index = walker.accept(&reached.path, reached.parent, &json)?;
                    assert_eq!(index, outcome.nodes.len());
                    outcome.nodes.push(reached.path.strip_prefix(&dir).unwrap().display().to_string());
                }
                Step::Problem(problem) => outcome.problems.push(problem),
            }
        }
        outcome.items = walker
            .into_item_links()
            .into_iter()
            .map(|l| (l.node, l.link, l.target.strip_prefix(&dir).unwrap().display().to_string()))
            .collect();
        Ok(outcome)
    }

    fn child(href: &str) -> Value {
        json!({"rel": "child", "href": href})
    }

    fn item(href: &str) -> Value {
        json!({"rel": "item", "href": href})
    }

    #[test]
    fn walks_depth_first_in_link_order() {
        let dir = tree(&[
            (
                "catalog.json",
                catalog(
                    "root",
                    json!([{"rel": "self", "href": "./catalog.json"}, child("a/a.json"), child("b/b.json")]),
                ),
            ),
            ("a/a.json", catalog("a", json!([child("c/c.json"), item("./i.json")]))),
            ("a/c/c.json", catalog("c", json!([item("../i.json")]))),
            ("b/b.json", catalog("b", json!([]))),
        ]);
        for policy in [Policy::Stop, Policy::Collect] {
            let outcome = walk(dir.path(), policy).unwrap();
            assert_eq!(outcome.nodes, ["catalog.json", "a/a.json", "a/c/c.json", "b/b.json"]);
            assert!(outcome.problems.is_empty(), "{:?}", outcome.problems);
            assert_eq!(outcome.items, [(1, 1, "a/i.json".to_string()), (2, 0, "a/i.json".to_string())]);
        }
    }

    #[test]
    fn cycle() {
        let dir = tree(&[
            ("catalog.json", catalog("root", json!([child("a/a.json")]))),
            ("a/a.json", catalog("a", json!([child("../catalog.json")]))),
        ]);
        let root = std::fs::canonicalize(dir.path()).unwrap();
        match walk(dir.path(), Policy::Stop) {
            Err(Error::CyclicLink { from, rel, href, target }) => {
                assert_eq!((from, rel.as_str(), href.as_str()), (root.join("a/a.json"), "child", "../catalog.json"));
                assert_eq!(target, root.join("catalog.json"));
            }
            other => panic!("{other:?}"),
        }
        let outcome = walk(dir.path(), Policy::Collect).unwrap();
        assert_eq!(outcome.nodes.len(), 2);
        let [problem @ Problem::Cycle { via, .. }] = outcome.problems.as_slice() else {
            panic!("{:?}", outcome.problems)
        };
        assert_eq!(via, &Via { from: 1, link: 0, href: "../catalog.json".into() });
        let message = problem.message().unwrap();
        assert!(message.starts_with("child link ../catalog.json leads back to /"), "{message}");
        assert!(message.ends_with("catalog.json, making a cycle; not followed"), "{message}");
    }

    #[test]
    fn shared_child_is_not_a_cycle() {
        let dir = tree(&[
            ("catalog.json", catalog("root", json!([child("a/a.json"), child("b/b.json")]))),
            ("a/a.json", catalog("a", json!([child("../s/s.json")]))),
            ("b/b.json", catalog("b", json!([child("../s/s.json")]))),
            ("s/s.json", catalog("s", json!([item("./i.json")]))),
        ]);
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let expected = format!(
            "child link ../s/s.json reaches {}, which another catalog already links as a child",
            root.join("s/s.json").display()
        );
        match walk(dir.path(), Policy::Stop) {
            Err(Error::NotStac { path, message }) => {
                assert_eq!(path, root.join("b/b.json"));
                assert_eq!(message, expected);
            }
            other => panic!("{other:?}"),
        }
        let outcome = walk(dir.path(), Policy::Collect).unwrap();
        assert_eq!(outcome.nodes, ["catalog.json", "a/a.json", "s/s.json", "b/b.json"]);
        let [problem @ Problem::Shared { via, .. }] = outcome.problems.as_slice() else {
            panic!("{:?}", outcome.problems)
        };
        assert_eq!(via.from, 3);
        assert_eq!(problem.message().unwrap(), expected);
        // The shared node's items are recorded once.
        assert_eq!(outcome.items, [(2, 0, "s/i.json".to_string())]);
    }

    #[test]
    fn broken_child_link() {
        let dir = tree(&[("catalog.json", catalog("root", json!([item("i.json"), child("gone/gone.json")])))]);
        let root = std::fs::canonicalize(dir.path()).unwrap();
        match walk(dir.path(), Policy::Stop) {
            Err(Error::BrokenLink { from, rel, href, target }) => {
                assert_eq!((from, rel.as_str(), href.as_str()), (root.join("catalog.json"), "child", "gone/gone.json"));
                assert_eq!(target, root.join("gone/gone.json"));
            }
            other => panic!("{other:?}"),
        }
        let outcome = walk(dir.path(), Policy::Collect).unwrap();
        let [problem @ Problem::Missing { via, .. }] = outcome.problems.as_slice() else {
            panic!("{:?}", outcome.problems)
        };
        assert_eq!(via, &Via { from: 0, link: 1, href: "gone/gone.json".into() });
        assert!(problem.message().unwrap().ends_with("gone/gone.json does not exist"));
        assert_eq!(outcome.items, [(0, 0, "i.json".to_string())]);
    }

    #[test]
    fn unreadable_child_is_seen_once() {
        let dir = tree(&[
            ("catalog.json", catalog("root", json!([child("bad.json"), child("./bad.json")]))),
            ("bad.json", json!(1)),
        ]);
        std::fs::write(dir.path().join("bad.json"), "{ not json").unwrap();
        assert!(matches!(walk(dir.path(), Policy::Stop), Err(Error::Json { .. })));
        let outcome = walk(dir.path(), Policy::Collect).unwrap();
        assert_eq!(outcome.nodes, ["catalog.json"]);
        // The second link reaches a file already reached: shared, not a cycle.
        assert!(matches!(
            outcome.problems.as_slice(),
            [Problem::Unreadable { error: Error::Json { .. }, .. }, Problem::Shared { .. }]
        ));
    }

    #[test]
    fn remote_child_link() {
        let dir = tree(&[(
            "catalog.json",
            catalog("root", json!([child("https://example.com/c.json"), child("a/a.json"), item("s3://b/i.json")])),
        )]);
        match walk(dir.path(), Policy::Stop) {
            Err(Error::RemoteLink { rel, href, .. }) => {
                assert_eq!((rel.as_str(), href.as_str()), ("child", "https://example.com/c.json"));
            }
            other => panic!("{other:?}"),
        }
        let outcome = walk(dir.path(), Policy::Collect).unwrap();
        assert!(matches!(
            outcome.problems.as_slice(),
            [Problem::Remote { node: 0, link: 0 }, Problem::Remote { node: 0, link: 2 }, Problem::Missing { .. }]
        ));
        assert!(outcome.items.is_empty());
    }

    #[test]
    fn repeated_item_link_is_recorded_once() {
        let dir = tree(&[("catalog.json", catalog("root", json!([item("./i.json"), item("i.json"), item("j.json")])))]);
        for policy in [Policy::Stop, Policy::Collect] {
            let outcome = walk(dir.path(), policy).unwrap();
            assert_eq!(outcome.items, [(0, 0, "i.json".to_string()), (0, 2, "j.json".to_string())]);
            assert!(matches!(
                outcome.problems.as_slice(),
                [Problem::RepeatedItem { node: 0, link: 1, href }] if href == "i.json"
            ));
        }
    }

    #[test]
    fn malformed_link_stops_or_is_skipped() {
        let dir = tree(&[("catalog.json", catalog("root", json!([{"rel": "child"}, item("i.json")])))]);
        match walk(dir.path(), Policy::Stop) {
            Err(Error::NotStac { message, .. }) => assert_eq!(message, "links[0] needs string \"rel\" and \"href\""),
            other => panic!("{other:?}"),
        }
        let outcome = walk(dir.path(), Policy::Collect).unwrap();
        assert_eq!(outcome.items, [(0, 1, "i.json".to_string())]);
    }
}
