//! Helpers shared by the integration tests: running the binary, temp dirs,
//! the shared test data beside the checkout, tree snapshots and checks of a
//! written Q2 catalog.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde_json::Value;
// The library's own href handling, so checks of written catalogs resolve links
// exactly as the tool does (and a test never checks a copy).
pub use stac_ml::catalog::href::{is_remote, resolve};

/// The `stac-ml` binary built for this test run.
pub fn stac_ml() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("stac-ml").expect("the stac-ml binary is built for integration tests")
}

/// A fresh temporary folder, removed when dropped. Canonical, so paths the
/// binary prints (it canonicalises) compare equal to paths the test builds.
pub fn tempdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("create a temp dir");
    let canonical = dir.path().canonicalize().expect("canonicalise the temp dir");
    assert_eq!(canonical, dir.path(), "the temp dir should already be canonical (is TMPDIR a symlink?)");
    dir
}

/// True when the environment says this is CI: missing prerequisites fail
/// instead of skipping.
pub fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// `../shared/testdata` beside the checkout, or `None` when it is absent. In
/// CI (`CI=true`) a missing folder fails the test.
pub fn shared_testdata() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata");
    match path.canonicalize() {
        Ok(path) if path.is_dir() => Some(path),
        _ if is_ci() => panic!("CI=true but {} is missing; CI must have ../shared beside the checkout", path.display()),
        _ => None,
    }
}

/// One real catalog of the shared test data, by folder name, or `None` when
/// `../shared/testdata` is absent: for tests that use it as extra input when
/// present. A test that needs it calls [`testdata`] instead.
pub fn shared_catalog(name: &str) -> Option<PathBuf> {
    let path = shared_testdata()?.join(name);
    assert!(path.exists(), "{} is missing from ../shared/testdata", path.display());
    Some(path)
}

/// `../shared/testdata` for a test that needs it; see [`testdata`].
#[track_caller]
pub fn testdata_dir() -> PathBuf {
    shared_testdata().unwrap_or_else(|| {
        panic!("../shared/testdata is not beside the checkout (this test needs it; see the ignore reason)")
    })
}

/// One real catalog of the shared test data, by folder name. The test must
/// carry `#[cfg_attr(not(has_shared_testdata), ignore = "...")]` (build.rs
/// sets the flag), so without `../shared` it is reported as ignored; when it
/// runs anyway (`--include-ignored`) a missing folder fails it.
#[track_caller]
pub fn testdata(name: &str) -> PathBuf {
    shared_catalog(name).unwrap_or_else(|| {
        panic!("../shared/testdata is not beside the checkout (this test needs it; see the ignore reason)")
    })
}

/// What a run of the binary produced.
#[derive(Debug)]
pub struct Output {
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Output {
    /// Asserts exit code 0 and returns self.
    #[track_caller]
    pub fn success(self) -> Self {
        assert_eq!(self.code, 0, "expected success\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    /// Asserts exit code 2 with an error message and no panic; returns stderr.
    #[track_caller]
    pub fn usage_error(self) -> String {
        assert_eq!(self.code, 2, "expected exit code 2\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        assert!(!self.stderr.contains("panicked"), "the binary panicked:\n{}", self.stderr);
        assert!(self.stderr.contains("error: "), "no error line on stderr:\n{}", self.stderr);
        self.stderr
    }

    /// Stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }
}

/// Runs the binary with these arguments.
pub fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run_env(args, &[])
}

/// Runs the binary with these arguments and extra environment variables.
pub fn run_env<I, S>(args: I, env: &[(&str, &str)]) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = stac_ml();
    command.args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("run stac-ml");
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// `stac-ml generate -o OUT --pairs PAIRS --seed SEED [extra...]`; returns
/// the root catalog path.
pub fn generate(out: &Path, pairs: usize, seed: u64, extra: &[&str]) -> PathBuf {
    let mut args: Vec<String> =
        vec!["generate".into(), "-o".into(), path_str(out), "--pairs".into(), pairs.to_string()];
    args.extend(["--seed".into(), seed.to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    run(&args).success();
    out.join("catalog.json")
}

/// A path as a `String` argument.
pub fn path_str(path: &Path) -> String {
    path.to_str().expect("test paths are UTF-8").to_string()
}

/// One entry of a tree snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A folder.
    Dir,
    /// A file and its bytes.
    File(Vec<u8>),
    /// A symbolic link and its target.
    Symlink(PathBuf),
}

/// Every folder, file (with its bytes) and symlink under `root`, by path
/// relative to `root`.
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, Entry> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
            let path = entry.expect("read a folder entry").path();
            let relative = path.strip_prefix(root).expect("under root").to_path_buf();
            let kind = std::fs::symlink_metadata(&path).expect("stat").file_type();
            if kind.is_symlink() {
                out.insert(relative, Entry::Symlink(std::fs::read_link(&path).expect("read link")));
            } else if kind.is_dir() {
                out.insert(relative, Entry::Dir);
                stack.push(path);
            } else {
                out.insert(relative, Entry::File(std::fs::read(&path).expect("read file")));
            }
        }
    }
    out
}

/// Asserts two snapshots are equal, naming the paths that differ.
#[track_caller]
pub fn assert_same_tree(before: &BTreeMap<PathBuf, Entry>, after: &BTreeMap<PathBuf, Entry>, what: &str) {
    let paths: BTreeSet<&PathBuf> = before.keys().chain(after.keys()).collect();
    let differ: Vec<String> = paths
        .into_iter()
        .filter(|p| before.get(*p) != after.get(*p))
        .map(|p| {
            let state = match (before.contains_key(p), after.contains_key(p)) {
                (true, false) => "removed",
                (false, true) => "added",
                _ => "changed",
            };
            format!("{state}: {}", p.display())
        })
        .take(20)
        .collect();
    assert!(differ.is_empty(), "{what} differs:\n{}", differ.join("\n"));
}

/// Every file under `root`, sorted.
pub fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = snapshot(root)
        .into_iter()
        .filter(|(_, entry)| matches!(entry, Entry::File(_)))
        .map(|(path, _)| root.join(path))
        .collect();
    files.sort();
    files
}

/// Reads and parses a JSON file.
#[track_caller]
pub fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

/// Writes a JSON value to `path`, creating its folder.
pub fn write_json(path: &Path, value: &Value) {
    std::fs::create_dir_all(path.parent().expect("a file in a folder")).expect("create folder");
    std::fs::write(path, serde_json::to_vec_pretty(value).expect("serialise")).expect("write json");
}

/// The (rel, href) pairs of a STAC object's links.
pub fn links(json: &Value) -> Vec<(String, String)> {
    json["links"]
        .as_array()
        .map(|links| {
            links
                .iter()
                .map(|l| (l["rel"].as_str().unwrap_or("").to_string(), l["href"].as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// The STAC rels that make up the tree.
pub const STRUCTURAL: [&str; 5] = ["root", "parent", "child", "item", "collection"];

/// One item [`check_tree`] found.
#[derive(Debug, Clone)]
pub struct Item {
    /// The item id.
    pub id: String,
    /// The file of the catalog or collection linking it.
    pub parent: PathBuf,
    /// The parsed item.
    pub json: Value,
}

impl Item {
    /// `properties["ml-dataset:split"]`.
    pub fn split(&self) -> Option<&str> {
        self.json["properties"]["ml-dataset:split"].as_str()
    }
}

/// What [`check_tree`] found in a written catalog.
#[derive(Debug, Default)]
pub struct Tree {
    /// Items by file path (ids repeat across collections: labels and sources).
    pub items: BTreeMap<PathBuf, Item>,
    /// Catalog and collection files, in walk order.
    pub nodes: Vec<PathBuf>,
}

impl Tree {
    /// The items linked by the catalog or collection whose id is `id`.
    #[track_caller]
    pub fn items_of(&self, id: &str) -> BTreeMap<String, (PathBuf, Item)> {
        let node = self.node(id);
        self.items
            .iter()
            .filter(|(_, item)| item.parent == node)
            .map(|(path, item)| (item.id.clone(), (path.clone(), item.clone())))
            .collect()
    }

    /// The file of the catalog or collection whose id is `id`.
    #[track_caller]
    pub fn node(&self, id: &str) -> PathBuf {
        let found: Vec<&PathBuf> = self.nodes.iter().filter(|n| read_json(n)["id"] == id).collect();
        assert_eq!(found.len(), 1, "catalogs or collections with id {id}: {found:?}");
        found[0].clone()
    }
}

/// Checks the structure of the catalog written under `out`:
/// - every structural link is relative and reaches an existing file under `out`;
/// - every JSON file under `out` is reached from the root through child/item links;
/// - every item is linked exactly once, and its `parent` link leads back to
///   the catalog or collection that links it.
#[track_caller]
pub fn check_tree(out: &Path) -> Tree {
    let out = out.canonicalize().expect("output exists");
    let root = out.join("catalog.json");
    assert!(root.is_file(), "{} missing", root.display());
    let mut tree = Tree::default();
    let mut linked: BTreeMap<PathBuf, usize> = BTreeMap::new();
    let mut stack = vec![root.clone()];
    let mut visited = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for file in files_under(&out) {
        let json = read_json(&file);
        for (rel, href) in links(&json) {
            if !STRUCTURAL.contains(&rel.as_str()) {
                continue;
            }
            assert!(
                !href.starts_with('/') && !is_remote(&href) && !href.starts_with("file:"),
                "{}: {rel} link {href} is not relative",
                file.display()
            );
            let target = resolve(&file, &href);
            assert!(target.starts_with(&out), "{}: {rel} link {href} leaves the output", file.display());
            assert!(target.is_file(), "{}: {rel} link {href} does not resolve to a file", file.display());
            if rel == "root" {
                assert_eq!(target, root, "{}: root link {href}", file.display());
            }
        }
    }
    while let Some(node) = stack.pop() {
        assert!(visited.insert(node.clone()), "{} reached twice", node.display());
        tree.nodes.push(node.clone());
        let json = read_json(&node);
        assert!(
            matches!(json["type"].as_str(), Some("Catalog" | "Collection")),
            "{} is not a catalog or collection",
            node.display()
        );
        for (rel, href) in links(&json) {
            let target = resolve(&node, &href);
            match rel.as_str() {
                "child" => stack.push(target),
                "item" => {
                    *linked.entry(target.clone()).or_default() += 1;
                    let item = read_json(&target);
                    assert_eq!(item["type"], "Feature", "{} is not an item", target.display());
                    let id = item["id"].as_str().expect("item id").to_string();
                    let parents: Vec<PathBuf> = links(&item)
                        .into_iter()
                        .filter(|(r, _)| r == "parent")
                        .map(|(_, h)| resolve(&target, &h))
                        .collect();
                    assert_eq!(parents, vec![node.clone()], "{}: parent links", target.display());
                    if json["type"] == "Collection" {
                        assert_eq!(item["collection"], json["id"], "{}: collection field", target.display());
                    }
                    assert!(ids.insert((node.clone(), id.clone())), "{}: item id {id} linked twice", node.display());
                    tree.items.insert(target, Item { id, parent: node.clone(), json: item });
                }
                _ => {}
            }
        }
    }
    for (item, count) in &linked {
        assert_eq!(*count, 1, "{} is linked {count} times", item.display());
    }
    for file in files_under(&out) {
        if file.extension() == Some(OsStr::new("json")) {
            assert!(
                visited.contains(&file) || linked.contains_key(&file),
                "{} is not reached from the root catalog",
                file.display()
            );
        }
    }
    tree
}

/// `ml-dataset:split-items` of a catalog or collection file: split name to ids.
pub fn split_items(node: &Value) -> BTreeMap<String, Vec<String>> {
    node["ml-dataset:split-items"]
        .as_array()
        .expect("ml-dataset:split-items is an array")
        .iter()
        .map(|entry| {
            let name = entry["name"].as_str().expect("split name").to_string();
            let ids = entry["items"]
                .as_array()
                .expect("split items")
                .iter()
                .map(|id| id.as_str().expect("item id").to_string())
                .collect();
            (name, ids)
        })
        .collect()
}

/// `stac-ml split INPUT -o OUT [extra...]`.
pub fn split(input: &Path, out: &Path, extra: &[&str]) -> Output {
    split_env(input, out, extra, &[])
}

/// `stac-ml split INPUT -o OUT [extra...]` with extra environment variables.
pub fn split_env(input: &Path, out: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = vec!["split".to_string(), path_str(input), "-o".into(), path_str(out)];
    args.extend(extra.iter().map(|s| s.to_string()));
    run_env(&args, env)
}

/// Every item of an input catalog reached through child and item links, by
/// (catalog or collection id, item id). A simple walk for checking outputs
/// against inputs; it assumes a well-formed local catalog.
pub fn input_items(catalog: &Path) -> BTreeMap<(String, String), PathBuf> {
    let mut items = BTreeMap::new();
    let mut stack = vec![catalog.canonicalize().expect("input catalog exists")];
    while let Some(node) = stack.pop() {
        let json = read_json(&node);
        let node_id = json["id"].as_str().expect("node id").to_string();
        for (rel, href) in links(&json) {
            match rel.as_str() {
                "child" => stack.push(resolve(&node, &href)),
                "item" => {
                    let path = resolve(&node, &href);
                    let id = read_json(&path)["id"].as_str().expect("item id").to_string();
                    items.insert((node_id.clone(), id), path);
                }
                _ => {}
            }
        }
    }
    items
}

/// Runs `stac-ml ARGS` under `ulimit -v KIB` (virtual memory, KiB).
pub fn run_limited(kib: u64, args: &[String]) -> Output {
    let bin = assert_cmd::cargo::cargo_bin("stac-ml");
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
        .arg(bin)
        .args(args)
        .output()
        .expect("run sh");
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `stac-ml ARGS` and returns its exit code and its peak resident
/// memory in KiB: the last `VmHWM` (a high-water mark) read from
/// `/proc/PID/status` while it runs. `getrusage`/`wait4` would not do: a
/// child's `ru_maxrss` starts from the RSS of the test process it was
/// forked from.
pub fn run_peak_kib(args: &[String]) -> (i32, u64) {
    run_peak_kib_env(args, &[])
}

/// [`run_peak_kib`] with extra environment variables.
pub fn run_peak_kib_env(args: &[String], env: &[(&str, &str)]) -> (i32, u64) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("stac-ml"))
        .args(args)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start stac-ml");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Some(status) = child.try_wait().expect("wait for stac-ml") {
            return (status.code().unwrap_or(-1), peak);
        }
        let hwm = std::fs::read_to_string(&status_file).ok().and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?.to_string();
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        });
        peak = peak.max(hwm.unwrap_or(0));
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}
