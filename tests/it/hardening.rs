//! Hardening: the bad-input corpus of `tests/bad_inputs/` (one folder per
//! case, listed in its README), plus cases made at test time (non-UTF-8
//! bytes, unreadable files, symlinks, deep nesting, a huge label GeoJSON).
//!
//! Every case runs `split`, `metrics`, `validate` and `q2` on a copy of the
//! case in a temp dir and checks, besides the expected exit code and message:
//! no panic, the input (and anything outside it) byte-identical afterwards,
//! and an output folder that is absent after a failure (no hidden temp
//! siblings left either) or complete and loadable after a success.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::util::{
    Entry, Output, assert_same_tree, check_tree, path_str, read_json, run, snapshot, tempdir, write_json,
};

/// `tests/bad_inputs`.
fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_inputs")
}

/// What one command should do with a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Exit 2 with an `error:` line naming every blamed file; no output.
    Fails,
    /// Exit 0 with a `warning:` line naming every blamed file; complete output.
    Warns,
    /// Exit 0 and no `warning:` line at all; complete output.
    Clean,
    /// Exit 0, warnings or not; complete output.
    Succeeds,
    /// Only the invariants: no panic, exit 0 or 2, output absent or complete.
    /// For cases whose exact outcome is pinned by an ignored bug test.
    Any,
}

use Outcome::{Any, Clean, Fails, Succeeds, Warns};

/// The expectations of one case.
#[derive(Clone, Copy)]
struct Case {
    /// Files (relative to the case folder) the messages must name.
    blame: &'static [&'static str],
    split: Outcome,
    metrics: Outcome,
    /// `validate`'s exit code: 0 valid, 1 invalid data.
    validate: i32,
    q2: Outcome,
    /// Run on the temp root (the case is copied to `ROOT/in`) before the commands.
    prepare: Option<fn(&Path)>,
    /// Text the `error:` line of a failure and `validate`'s report must hold
    /// besides the files: the column a bad stac-geoparquet file is refused for.
    mentions: &'static [&'static str],
}

/// Unreadable structure: every reader stops with exit 2 naming the file.
fn fails(blame: &'static [&'static str]) -> Case {
    Case { blame, split: Fails, metrics: Fails, validate: 1, q2: Fails, prepare: None, mentions: &[] }
}

/// A file that cannot be read as stac-geoparquet: every reader stops with
/// exit 2 and one line naming the file (and the column, in `mentions`);
/// `validate` reports it as one error and exits 1, as for an unreadable
/// `catalog.json`.
fn table_fails(blame: &'static [&'static str], mentions: &'static [&'static str]) -> Case {
    Case { mentions, ..fails(blame) }
}

/// Messy but readable: every reader warns, naming the file, and goes on.
fn warns(blame: &'static [&'static str], validate: i32) -> Case {
    Case { blame, split: Warns, metrics: Warns, validate, q2: Warns, prepare: None, mentions: &[] }
}

/// Fine: no warning, valid.
fn clean() -> Case {
    Case { blame: &[], split: Clean, metrics: Clean, validate: 0, q2: Clean, prepare: None, mentions: &[] }
}

const CATALOG: &[&str] = &["catalog.json"];
const COLLECTION: &[&str] = &["labels/collection.json"];
const BAD_ITEM: &[&str] = &["labels/bad/bad.json"];
const TABLE: &[&str] = &["items.parquet"];

/// One `#[test]` per case folder, named after it (`-` becomes `_`).
macro_rules! cases {
    ($($(#[$meta:meta])* $name:ident => $case:expr;)*) => {
        $(
            #[test]
            $(#[$meta])*
            fn $name() {
                run_case(&stringify!($name).replace('_', "-"), $case);
            }
        )*
        /// Every case folder the table covers.
        const CASES: &[&str] = &[$(stringify!($name)),*];
    };
}

cases! {
    control_valid => clean();
    // Malformed, truncated and empty JSON.
    catalog_malformed_json => fails(CATALOG);
    catalog_truncated => fails(CATALOG);
    catalog_empty_file => fails(CATALOG);
    collection_malformed_json => fails(COLLECTION);
    collection_truncated => fails(COLLECTION);
    collection_empty_file => fails(COLLECTION);
    item_malformed_json => fails(BAD_ITEM);
    item_truncated => fails(BAD_ITEM);
    item_empty_file => fails(BAD_ITEM);
    item_json_array => fails(BAD_ITEM);
    item_non_utf8 => Case { prepare: Some(write_non_utf8_item), ..fails(BAD_ITEM) };
    nan_bare_literal => fails(BAD_ITEM);
    huge_coordinates_overflow => fails(BAD_ITEM);
    // Wrong types of fields the loader needs.
    catalog_id_number => fails(CATALOG);
    collection_id_number => fails(COLLECTION);
    item_id_number => fails(BAD_ITEM);
    item_id_empty => fails(BAD_ITEM);
    catalog_links_not_array => fails(CATALOG);
    item_links_not_array => fails(BAD_ITEM);
    link_without_href => fails(COLLECTION);
    href_number => fails(CATALOG);
    catalog_wrong_type => fails(CATALOG);
    item_missing_type => fails(BAD_ITEM);
    // Wrong types of fields read leniently: warned about and ignored.
    bbox_string => warns(BAD_ITEM, 1);
    bbox_three_numbers => warns(BAD_ITEM, 1);
    bbox_strings => warns(BAD_ITEM, 1);
    geometry_wrong_type => warns(BAD_ITEM, 1);
    geometry_unknown_type => warns(BAD_ITEM, 1);
    geometry_garbage_coordinates => warns(BAD_ITEM, 1);
    properties_not_object => warns(BAD_ITEM, 1);
    label_properties_string => warns(BAD_ITEM, 1);
    nan_infinity_strings => warns(BAD_ITEM, 1);
    // A LineString/Polygon/Multi* position with one number: geojson's
    // conversion to geo indexes position[1] and panics in the loader.
    geometry_short_position => warns(BAD_ITEM, 1);
    // Wrong types read leniently without a warning (see `wrong_typed_fields_warn`).
    label_classes_not_array => Case { validate: 1, ..succeeds() };
    label_classes_garbage_entries => Case { validate: 1, ..succeeds() };
    stac_extensions_not_array => Case { validate: 1, ..succeeds() };
    asset_href_number => Case { validate: 1, ..succeeds() };
    // q2's own ML-Dataset check refuses the array (exit 2, naming its temp copy
    // of the item, see `q2_blames_input_files_not_its_temp_copy`).
    assets_not_object => Case { validate: 1, q2: Any, ..succeeds() };
    // Structure.
    missing_child_file => fails(&["catalog.json", "labels/collection.json"]);
    missing_item_file => fails(&["labels/collection.json", "labels/bad/bad.json"]);
    cyclic_child_links => fails(COLLECTION);
    self_child_link => fails(COLLECTION);
    diamond_child_links => fails(CATALOG);
    only_self_link => Case { metrics: Clean, validate: 0, ..fails(CATALOG) };
    remote_child_https => fails(CATALOG);
    remote_item_s3 => fails(COLLECTION);
    item_link_to_catalog => fails(BAD_ITEM);
    child_link_to_item => fails(&["labels/a/a.json"]);
    root_is_item => fails(CATALOG);
    duplicate_item_ids => fails(&["labels/bad/bad.json", "labels/a/a.json"]);
    // "a" and "A" would share a folder on case-insensitive file systems.
    case_colliding_ids => Case { metrics: Clean, validate: 0, ..fails(COLLECTION) };
    repeated_item_links => warns(COLLECTION, 0);
    symlink_outside => Case { prepare: Some(link_item_outside), ..clean() };
    // Ids and values.
    ids_with_path_separators => clean();
    null_geometry => clean();
    bbox_south_north_swapped => warns(BAD_ITEM, 1);
    bbox_antimeridian => clean();
    bbox_3d => clean();
    // Latitudes beyond ±90 are read (the loader is lenient) but invalid.
    // split and q2 validate their output: they warn of the errors carried over.
    huge_coordinates => Case { validate: 1, split: Succeeds, q2: Succeeds, ..clean() };
    huge_coordinates_positive => Case { validate: 1, split: Succeeds, q2: Succeeds, ..clean() };
    zero_bbox => warns(BAD_ITEM, 0);
    remote_source_link => warns(BAD_ITEM, 0);
    dangling_source_link => clean();
    label_asset_missing => Case { split: Clean, ..warns(BAD_ITEM, 0) };
    label_asset_malformed => Case { split: Clean, ..warns(BAD_ITEM, 0) };
    // Valid STAC (file extension fields on an asset) that q2 refuses: see
    // `q2_accepts_file_extension_fields_on_assets`.
    asset_file_extension_fields => Case { split: Succeeds, q2: Any, ..clean() };
    // stac-geoparquet instead of a JSON tree: the case folder is the input.
    geoparquet_control_valid => clean();
    geoparquet_not_parquet => table_fails(TABLE, &["is not a Parquet file"]);
    geoparquet_truncated => table_fails(TABLE, &["truncated"]);
    geoparquet_empty_file => table_fails(TABLE, &[]);
    geoparquet_missing_id => table_fails(TABLE, &["\"id\""]);
    geoparquet_missing_geometry => table_fails(TABLE, &["\"geometry\""]);
    geoparquet_id_int64 => table_fails(TABLE, &["\"id\"", "Int64"]);
    geoparquet_geometry_string => table_fails(TABLE, &["\"geometry\"", "Utf8"]);
    geoparquet_mixed_schemas => table_fails(&["part=b/y.parquet", "part=a/x.parquet"], &["\"label:description\""]);
}

/// Exit 0, warnings allowed.
fn succeeds() -> Case {
    Case { blame: &[], split: Succeeds, metrics: Succeeds, validate: 0, q2: Succeeds, prepare: None, mentions: &[] }
}

/// The case folders that only hold the base of a case made at test time by
/// its own test (not by the table).
const MADE_AT_TEST_TIME: &[&str] = &["unreadable-item"];

/// Copies a folder tree (files and folders only; the corpus has no symlinks).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read corpus folder") {
        let entry = entry.expect("folder entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// The temp root of one case: `ROOT/in` is the case's catalog tree.
struct Scene {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Scene {
    fn new(case: &str) -> Scene {
        let dir = tempdir();
        let root = dir.path().to_path_buf();
        let source = corpus().join(case);
        assert!(source.is_dir(), "case folder {} is missing", source.display());
        copy_tree(&source, &root.join("in"));
        Scene { _dir: dir, root }
    }

    fn input(&self) -> PathBuf {
        self.root.join("in")
    }

    /// What the commands are given: `catalog.json`, or the case folder itself
    /// when it has none (a stac-geoparquet case: Parquet files).
    fn catalog(&self) -> PathBuf {
        let catalog = self.input().join("catalog.json");
        if catalog.exists() || !self.input().is_dir() { catalog } else { self.input() }
    }
}

/// Everything under `root` except the named top-level entries.
fn snapshot_except(root: &Path, skip: &[&str]) -> BTreeMap<PathBuf, Entry> {
    snapshot(root).into_iter().filter(|(path, _)| !skip.iter().any(|s| path.starts_with(s))).collect()
}

/// Runs every command on one case of the corpus.
fn run_case(name: &str, case: Case) {
    let scene = Scene::new(name);
    if let Some(prepare) = case.prepare {
        prepare(&scene.root);
    }
    let blame: Vec<PathBuf> = case.blame.iter().map(|b| scene.input().join(b)).collect();
    check_case(name, &scene.root, &scene.catalog(), &case, &blame);
}

/// The checks of [`run_case`], for any catalog under `root`.
fn check_case(name: &str, root: &Path, catalog: &Path, case: &Case, blame: &[PathBuf]) {
    let before = snapshot(root);
    let outputs = ["out-split", "out-q2"];
    let mentions = case.mentions;
    check_writer(name, "split", root, catalog, case.split, blame, mentions);
    check_reader(name, catalog, case.metrics, blame, mentions);
    check_validate(name, catalog, case.validate, blame, mentions);
    check_writer(name, "q2", root, catalog, case.q2, blame, mentions);
    // The input, and whatever else sat beside it, is untouched; nothing but
    // the outputs was added (no hidden temp folder, nothing escaped OUT).
    assert_same_tree(&before, &snapshot_except(root, &outputs), &format!("case {name}: the temp root after all runs"));
}

/// Asserts what every run must hold, whatever its outcome.
#[track_caller]
fn no_panic(context: &str, output: &Output) {
    assert!(!output.stderr.contains("panicked"), "{context}: panicked\n{}", output.stderr);
    assert!(
        output.code == 0 || output.code == 1 || output.code == 2,
        "{context}: exit code {}\n{output:?}",
        output.code
    );
}

/// Checks the exit code and messages of a `split`/`metrics`/`q2` run.
#[track_caller]
fn check_outcome(context: &str, output: &Output, outcome: Outcome, blame: &[PathBuf], mentions: &[&str]) {
    no_panic(context, output);
    let warnings: Vec<&str> = output.stderr.lines().filter(|l| l.starts_with("warning: ")).collect();
    let names_all = |text: &str| blame.iter().all(|b| text.contains(&path_str(b)));
    match outcome {
        Fails => {
            assert_eq!(output.code, 2, "{context}: expected exit 2\n{output:?}");
            let errors: Vec<&str> = output.stderr.lines().filter(|l| l.starts_with("error: ")).collect();
            assert_eq!(errors.len(), 1, "{context}: expected one error line\n{}", output.stderr);
            let error = errors[0];
            assert!(names_all(error), "{context}: the error does not name {blame:?}:\n{error}");
            assert!(
                mentions.iter().all(|m| error.contains(m)),
                "{context}: the error does not say {mentions:?}:\n{error}"
            );
        }
        Warns => {
            assert_eq!(output.code, 0, "{context}: expected exit 0\n{output:?}");
            assert!(
                warnings.iter().any(|w| names_all(w)),
                "{context}: no warning line names {blame:?}:\n{}",
                output.stderr
            );
        }
        Clean => {
            assert_eq!(output.code, 0, "{context}: expected exit 0\n{output:?}");
            assert!(warnings.is_empty(), "{context}: unexpected warnings:\n{}", output.stderr);
        }
        Succeeds => assert_eq!(output.code, 0, "{context}: expected exit 0\n{output:?}"),
        Any => assert!(output.code == 0 || output.code == 2, "{context}: exit code {}\n{output:?}", output.code),
    }
}

/// `split` or `q2` to `ROOT/out-COMMAND`: the outcome, then the output is
/// absent after a failure or a complete catalog after a success.
fn check_writer(
    name: &str,
    command: &str,
    root: &Path,
    catalog: &Path,
    outcome: Outcome,
    blame: &[PathBuf],
    mentions: &[&str],
) {
    let context = format!("case {name}: {command}");
    let out = root.join(format!("out-{command}"));
    let output = run([command, &path_str(catalog), "-o", &path_str(&out)]);
    check_outcome(&context, &output, outcome, blame, mentions);
    assert_no_temp_siblings(&context, &out);
    if output.code == 0 {
        assert_complete(&context, &out, catalog);
    } else {
        assert!(!out.exists(), "{context}: {} exists after a failure", out.display());
    }
}

/// No `.OUT.stac-ml-*` folder beside `out`.
#[track_caller]
fn assert_no_temp_siblings(context: &str, out: &Path) {
    let name = out.file_name().expect("a named output").to_string_lossy().into_owned();
    let stray: Vec<String> = std::fs::read_dir(out.parent().expect("a parent"))
        .expect("read the output's parent")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!(".{name}.stac-ml-")))
        .collect();
    assert!(stray.is_empty(), "{context}: hidden temp folders left beside the output: {stray:?}");
}

/// The written catalog is complete: well-formed (see `check_tree`), loadable
/// by `info`, with as many items as the input.
#[track_caller]
fn assert_complete(context: &str, out: &Path, input: &Path) {
    let root = out.join("catalog.json");
    assert!(root.is_file(), "{context}: {} missing after a success", root.display());
    let tree = check_tree(out);
    let info = run(["info", &path_str(&root), "--json"]);
    assert_eq!(info.code, 0, "{context}: info on the output failed\n{info:?}");
    let written = info.json()["items"].as_u64().expect("info reports items");
    assert_eq!(written as usize, tree.items.len(), "{context}: info and the tree disagree");
    let read = run(["info", &path_str(input), "--json"]);
    if read.code == 0 {
        assert_eq!(read.json()["items"], written, "{context}: items in the input and in the output");
    }
}

fn check_reader(name: &str, catalog: &Path, outcome: Outcome, blame: &[PathBuf], mentions: &[&str]) {
    let context = format!("case {name}: metrics");
    let output = run(["metrics", &path_str(catalog), "--json"]);
    check_outcome(&context, &output, outcome, blame, mentions);
    if output.code == 0 {
        let entries = output.json();
        assert!(entries.as_array().is_some_and(|e| !e.is_empty()), "{context}: no metric entries");
    }
}

fn check_validate(name: &str, catalog: &Path, expected: i32, blame: &[PathBuf], mentions: &[&str]) {
    let context = format!("case {name}: validate");
    let output = run(["validate", &path_str(catalog)]);
    no_panic(&context, &output);
    assert_eq!(output.code, expected, "{context}: exit code\n{output:?}");
    if expected == 1 {
        // The report names files by path or, for a link, by its href: the
        // file name is what both share.
        for file in blame {
            let file_name = file.file_name().expect("a file").to_string_lossy();
            assert!(
                output.stdout.contains(&*file_name),
                "{context}: the report does not name {}\n{}",
                file.display(),
                output.stdout
            );
        }
        for text in mentions {
            assert!(output.stdout.contains(text), "{context}: the report does not say {text}\n{}", output.stdout);
        }
    }
}

/// `labels/bad/bad.json` with a string holding bytes that are not UTF-8.
fn write_non_utf8_item(root: &Path) {
    let path = root.join("in/labels/bad/bad.json");
    let text = std::fs::read_to_string(&path).expect("read the base item");
    let mut bytes = Vec::new();
    let (head, tail) = text.split_once("\"land cover\"").expect("the base item has a description");
    bytes.extend_from_slice(head.as_bytes());
    bytes.extend_from_slice(b"\"land \xff\xfe cover \xc3\x28\"");
    bytes.extend_from_slice(tail.as_bytes());
    std::fs::write(&path, bytes).expect("write non-UTF-8 bytes");
    assert!(std::str::from_utf8(&std::fs::read(&path).unwrap()).is_err());
}

/// `labels/bad/bad.json` as a symlink to `ROOT/outside/bad.json`, a file
/// outside the catalog's tree.
fn link_item_outside(root: &Path) {
    let base = read_json(&root.join("in/labels/a/a.json"));
    let mut item = base.clone();
    item["id"] = json!("bad");
    item["properties"]["class"] = json!("forest");
    write_json(&root.join("outside/bad.json"), &item);
    let link = root.join("in/labels/bad/bad.json");
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink("../../../outside/bad.json", &link).expect("create the symlink");
    assert!(link.is_file(), "the symlink resolves");
}

#[test]
fn the_table_covers_every_case_folder_and_the_readme_lists_them() {
    let table: BTreeSet<String> = CASES.iter().map(|c| c.replace('_', "-")).collect();
    let folders: BTreeSet<String> = std::fs::read_dir(corpus())
        .expect("read tests/bad_inputs")
        .map(|e| e.expect("entry"))
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let expected: BTreeSet<String> =
        folders.iter().filter(|f| !MADE_AT_TEST_TIME.contains(&f.as_str())).cloned().collect();
    assert_eq!(table, expected, "the table and the case folders differ");
    let readme = std::fs::read_to_string(corpus().join("README.md")).expect("tests/bad_inputs/README.md");
    for folder in &folders {
        assert!(readme.contains(&format!("`{folder}`")), "README.md does not list {folder}");
    }
    for generated in ["deep-nesting-200", "huge-label-geojson", "unreadable-item"] {
        assert!(readme.contains(&format!("`{generated}`")), "README.md does not list {generated}");
    }
    assert!(table.len() >= 40, "at least 40 cases");
}

// ---------------------------------------------------------------------------
// Cases made at test time.

/// Who runs the binary.
#[derive(Debug, Clone, Copy)]
enum Runner {
    /// This process's user.
    Me,
    /// Another user (the test runs as root): uid and gid.
    User(u32),
}

impl Runner {
    fn run(self, args: &[String]) -> Output {
        self.try_run(args).expect("run stac-ml")
    }

    fn try_run(self, args: &[String]) -> std::io::Result<Output> {
        match self {
            Runner::Me => Ok(run(args)),
            Runner::User(id) => {
                use std::os::unix::process::CommandExt;
                let output =
                    std::process::Command::new(env!("CARGO_BIN_EXE_stac-ml")).args(args).uid(id).gid(id).output()?;
                Ok(Output {
                    code: output.status.code().unwrap_or(-1),
                    stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
                    stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
                })
            }
        }
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("stat").permissions().mode() & 0o7777
}

/// Runs the four commands as `runner`, with the checks of [`check_case`]
/// except the snapshot (the caller's: an unreadable file cannot be read back).
fn run_commands(runner: Runner, name: &str, root: &Path, case: &Case, blame: &[PathBuf]) {
    let catalog = path_str(&root.join("in/catalog.json"));
    for command in ["split", "q2"] {
        let context = format!("case {name} ({runner:?}): {command}");
        let out = root.join(format!("out-{command}"));
        let outcome = if command == "split" { case.split } else { case.q2 };
        let output = runner.run(&[command.into(), catalog.clone(), "-o".into(), path_str(&out)]);
        check_outcome(&context, &output, outcome, blame, &[]);
        assert_no_temp_siblings(&context, &out);
        if output.code == 0 {
            assert!(out.join("catalog.json").is_file(), "{context}: no root catalog after a success");
            check_tree(&out);
            std::fs::remove_dir_all(&out).expect("remove the output");
        } else {
            assert!(!out.exists(), "{context}: {} exists after a failure", out.display());
        }
    }
    let context = format!("case {name} ({runner:?}): metrics");
    let output = runner.run(&["metrics".into(), catalog.clone()]);
    check_outcome(&context, &output, case.metrics, blame, &[]);
    let context = format!("case {name} ({runner:?}): validate");
    let output = runner.run(&["validate".into(), catalog.clone()]);
    no_panic(&context, &output);
    assert_eq!(output.code, case.validate, "{context}: exit code\n{output:?}");
    for file in blame {
        let file_name = file.file_name().unwrap().to_string_lossy();
        assert!(output.stdout.contains(&*file_name), "{context}: the report does not name {file_name}\n{output:?}");
    }
}

/// `labels/bad/bad.json` with mode 000. Root reads it anyway (the file
/// permission does not stop it), so as root the commands succeed; the test
/// then runs them as `nobody` too, where the file is really unreadable.
#[test]
fn unreadable_item() {
    let scene = Scene::new("unreadable-item");
    let bad = scene.input().join("labels/bad/bad.json");
    let before = snapshot(&scene.root);
    set_mode(&bad, 0o000);
    let unreadable = Case { validate: 1, ..fails(BAD_ITEM) };
    let blame = vec![bad.clone()];
    if std::fs::File::open(&bad).is_ok() {
        println!("note: this test runs as a user that reads a mode-000 file (root): expecting success as this user");
        run_commands(Runner::Me, "unreadable-item", &scene.root, &clean(), &[]);
        // As nobody the file is unreadable. The temp root must let nobody in
        // and write the outputs there; a probe with the file readable checks
        // that nobody can run the binary and reach the catalog at all.
        set_mode(&scene.root, 0o777);
        let nobody = Runner::User(65534);
        let catalog = path_str(&scene.catalog());
        set_mode(&bad, 0o644);
        let probe = nobody.try_run(&["info".into(), catalog.clone()]);
        set_mode(&bad, 0o000);
        match probe {
            Ok(output) if output.code == 0 => {
                run_commands(nobody, "unreadable-item", &scene.root, &unreadable, &blame);
                let output = nobody.run(&["metrics".into(), catalog]);
                assert!(output.stderr.contains("Permission denied"), "as nobody: {output:?}");
                println!("note: as nobody (uid 65534) every command failed on the unreadable item, as expected");
            }
            other => println!(
                "note: cannot run stac-ml as nobody here ({other:?}); the unreadable file was checked as root only"
            ),
        }
        set_mode(&scene.root, 0o700);
    } else {
        run_commands(Runner::Me, "unreadable-item", &scene.root, &unreadable, &blame);
    }
    assert_eq!(mode(&bad), 0o000, "the input file's mode was changed");
    set_mode(&bad, 0o644);
    assert_same_tree(&before, &snapshot(&scene.root), "unreadable-item: the temp root after all runs");
}

const LABEL_EXT: &str = "https://stac-extensions.github.io/label/v1.0.1/schema.json";

fn catalog_json(id: &str, links: Vec<Value>) -> Value {
    json!({"type": "Catalog", "stac_version": "1.0.0", "id": id, "description": "hardening test", "links": links})
}

fn collection_json(id: &str, links: Vec<Value>) -> Value {
    json!({
        "type": "Collection", "stac_version": "1.0.0", "stac_extensions": [LABEL_EXT], "id": id,
        "description": "labels", "license": "CC0-1.0",
        "extent": {"spatial": {"bbox": [[-180, -90, 180, 90]]}, "temporal": {"interval": [["2020-01-01T00:00:00Z", null]]}},
        "links": links,
    })
}

fn link(rel: &str, href: &str) -> Value {
    json!({"rel": rel, "href": href, "type": "application/json"})
}

/// A vector label item with class `class` in property `class`; `root` is the
/// href of the root catalog from the item's folder.
fn label_item_json(id: &str, bbox: [f64; 4], class: &str, root: &str) -> Value {
    let [w, s, e, n] = bbox;
    json!({
        "type": "Feature", "stac_version": "1.0.0", "stac_extensions": [LABEL_EXT], "id": id,
        "geometry": {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]},
        "bbox": bbox,
        "properties": {
            "datetime": "2020-01-01T00:00:00Z", "label:type": "vector", "label:properties": ["class"],
            "label:description": "land cover", "label:tasks": ["classification"], "class": class,
        },
        "links": [link("root", root), link("parent", "../collection.json"), link("collection", "../collection.json")],
        "assets": {},
        "collection": "labels",
    })
}

/// A `labels` collection in `dir` with one item per (id, bbox, class).
fn write_labels(dir: &Path, root_href: &str, parent_href: &str, items: &[(&str, [f64; 4], &str)]) {
    let mut links = vec![link("root", root_href), link("parent", parent_href)];
    for (id, bbox, class) in items {
        links.push(link("item", &format!("./{id}/{id}.json")));
        let item_root = format!("../{root_href}");
        write_json(&dir.join(id).join(format!("{id}.json")), &label_item_json(id, *bbox, class, &item_root));
    }
    write_json(&dir.join("collection.json"), &collection_json("labels", links));
}

/// A chain of 200 catalogs, the `labels` collection under the last one.
#[test]
fn deep_nesting_200() {
    const DEPTH: usize = 200;
    let dir = tempdir();
    let input = dir.path().join("in");
    let mut folder = input.clone();
    for level in 0..DEPTH {
        let id = if level == 0 { "root".to_string() } else { format!("level-{level:03}") };
        let root_href = if level == 0 { "./catalog.json".to_string() } else { "../".repeat(level) + "catalog.json" };
        let mut links = vec![link("root", &root_href)];
        if level > 0 {
            links.push(link("parent", "../catalog.json"));
        }
        let child = if level + 1 < DEPTH {
            format!("./level-{:03}/catalog.json", level + 1)
        } else {
            "./labels/collection.json".into()
        };
        links.push(link("child", &child));
        write_json(&folder.join("catalog.json"), &catalog_json(&id, links));
        if level + 1 < DEPTH {
            folder = folder.join(format!("level-{:03}", level + 1));
        }
    }
    let root_href = "../".repeat(DEPTH) + "catalog.json";
    let items = [("a", [5.0, 40.0, 5.01, 40.01], "water"), ("b", [5.02, 40.0, 5.03, 40.01], "forest")];
    write_labels(&folder.join("labels"), &root_href, "../catalog.json", &items);
    check_case("deep-nesting-200", dir.path(), &input.join("catalog.json"), &clean(), &[]);
    // Rerun split to look at the output: the nesting is kept.
    let out = dir.path().join("out");
    run(["split", &path_str(&input.join("catalog.json")), "-o", &path_str(&out)]).success();
    let nested: PathBuf = (1..DEPTH).map(|l| format!("level-{l:03}")).collect();
    let collection = out.join(nested).join("labels/collection.json");
    assert!(collection.is_file(), "{} missing", collection.display());
    assert_eq!(check_tree(&out).nodes.len(), DEPTH + 1);
}

/// `labels/bad/bad.json` gets a label GeoJSON asset of about `bytes` bytes,
/// alternating classes `water` and `forest`; returns the number of features.
fn write_big_label_asset(root: &Path, bytes: usize) -> usize {
    use std::io::Write;
    let item_path = root.join("in/labels/bad/bad.json");
    let mut item = read_json(&item_path);
    item["assets"] = json!({"labels": {"href": "./bad.geojson", "type": "application/geo+json", "roles": ["labels"]}});
    write_json(&item_path, &item);
    let file = std::fs::File::create(root.join("in/labels/bad/bad.geojson")).expect("create the GeoJSON");
    let mut writer = std::io::BufWriter::new(file);
    writer.write_all(b"{\"type\": \"FeatureCollection\", \"features\": [\n").unwrap();
    let mut written = 0;
    let mut features = 0;
    while written < bytes {
        let class = if features % 2 == 0 { "water" } else { "forest" };
        let x = 5.02 + (features % 1000) as f64 * 1e-5;
        let line = format!(
            "{}{{\"type\": \"Feature\", \"properties\": {{\"class\": \"{class}\"}}, \"geometry\": {{\"type\": \"Point\", \"coordinates\": [{x:.5}, 40.005]}}}}\n",
            if features == 0 { "" } else { "," }
        );
        writer.write_all(line.as_bytes()).unwrap();
        written += line.len();
        features += 1;
    }
    writer.write_all(b"]}\n").unwrap();
    writer.flush().unwrap();
    features
}

/// A label GeoJSON of `bytes`: every command copes, and `classes-balance`
/// counts every feature (plus item `a`, counted from its properties).
fn huge_label_geojson(bytes: usize) {
    let scene = Scene::new("control-valid");
    let features = write_big_label_asset(&scene.root, bytes);
    let started = std::time::Instant::now();
    check_case("huge-label-geojson", &scene.root, &scene.catalog(), &clean(), &[]);
    let metrics = run(["metrics", &path_str(&scene.catalog()), "--json"]).success().json();
    println!("{} MB label GeoJSON, {features} features: all commands in {:?}", bytes >> 20, started.elapsed());
    let balance = metrics.as_array().unwrap().iter().find(|e| e["name"] == "classes-balance").expect("classes-balance");
    let classes = &balance["values"][0]["values"];
    let total = |class: &str| {
        classes.as_array().unwrap().iter().find(|c| c["class"] == class).map(|c| c["total"].as_u64().unwrap())
    };
    assert_eq!(total("water"), Some((features as u64).div_ceil(2) + 1), "{balance}");
    assert_eq!(total("forest"), Some(features as u64 / 2), "{balance}");
}

#[test]
fn huge_label_geojson_5mb() {
    huge_label_geojson(5 << 20);
}

#[test]
#[ignore = "slow: ~100 MB label GeoJSON, run with --ignored"]
fn huge_label_geojson_100mb() {
    huge_label_geojson(100 << 20);
}

// ---------------------------------------------------------------------------
// Defects found by the corpus, pinned by ignored tests.

/// The loader reads `label:classes`, `stac_extensions`, `assets` and asset
/// `href`s, but wrong types there are ignored without the warning that the
/// README promises ("read what they can and warn about the rest") and that
/// wrong bboxes, geometries, properties and `label:properties` get.
#[test]
fn wrong_typed_fields_warn() {
    let mut silent = Vec::new();
    for name in [
        "label-classes-not-array",
        "label-classes-garbage-entries",
        "stac-extensions-not-array",
        "assets-not-object",
        "asset-href-number",
    ] {
        let scene = Scene::new(name);
        let output = run(["split", &path_str(&scene.catalog()), "-o", &path_str(&scene.root.join("out"))]);
        let bad = path_str(&scene.input().join("labels/bad/bad.json"));
        if !output.stderr.lines().any(|l| l.starts_with("warning: ") && l.contains(&bad)) {
            silent.push(name);
        }
    }
    assert!(silent.is_empty(), "no warning about the wrong-typed field in: {silent:?}");
}

/// `file:size` and `file:checksum` on an asset are valid STAC (the file
/// extension; `validate` says valid), and `split` writes them through, but q2
/// refuses its own output: the bundled ML-Dataset schema (as upstream) forbids
/// `file:*` keys in item assets, and q2 counts every ML-Dataset schema error
/// as its own fault.
#[test]
fn q2_accepts_file_extension_fields_on_assets() {
    let scene = Scene::new("asset-file-extension-fields");
    let output = run(["q2", &path_str(&scene.catalog()), "-o", &path_str(&scene.root.join("out"))]);
    assert_eq!(output.code, 0, "{output:?}");
}

/// When q2's check of its own output fails, the message names the file as it
/// would have been published, not one in the hidden temp folder, which is gone
/// by the time the user reads it. The trigger: an input item carrying an
/// `ml-dataset:` field of the wrong type, which q2 copies into its output.
#[test]
fn q2_blames_input_files_not_its_temp_copy() {
    let scene = Scene::new("control-valid");
    let item = scene.input().join("labels/a/a.json");
    let mut json = crate::util::read_json(&item);
    json["properties"]["ml-dataset:version"] = serde_json::json!(2);
    std::fs::write(&item, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
    let output = run(["q2", &path_str(&scene.catalog()), "-o", &path_str(&scene.root.join("out"))]);
    assert_eq!(output.code, 2, "{output:?}");
    assert!(!output.stderr.contains(".stac-ml-tmp-"), "the error names the temp folder:\n{}", output.stderr);
    assert!(
        output.stderr.contains("out/labels/a/a.json"),
        "the error does not name the output file:\n{}",
        output.stderr
    );
}

/// The loader warns that a bbox with south above north is ignored; validate
/// calls the same item valid (the JSON schema cannot say it, the STAC spec
/// does: only west > east is allowed, for the antimeridian).
#[test]
fn validate_flags_south_above_north() {
    let scene = Scene::new("bbox-south-north-swapped");
    let output = run(["validate", &path_str(&scene.catalog())]);
    assert!(output.stdout.contains("bad.json"), "no finding for bad.json:\n{}", output.stdout);
}

/// With `--strategy spatial --block-size`, items whose bbox centres share a
/// grid cell land in one split. The centre of a bbox crossing the antimeridian
/// is computed as `(west + east) / 2`, near 0°: such an item lands in a cell
/// on the Greenwich meridian instead of beside its neighbours at 180°.
#[test]
fn spatial_blocks_place_antimeridian_items_by_their_true_centre() {
    let dir = tempdir();
    let input = dir.path().join("in");
    // x crosses 180° (179.0 .. -179.8, true centre 179.6); n sits beside it in
    // cell 179 without overlapping it; fillers far away, one per cell.
    let mut items: Vec<(String, [f64; 4], &str)> =
        vec![("x".into(), [179.0, 0.0, -179.8, 0.1], "water"), ("n".into(), [179.1, 0.5, 179.2, 0.6], "water")];
    for k in 0..8 {
        let lon = -150.0 + 30.0 * k as f64;
        items.push((format!("f{k}"), [lon, 10.0, lon + 0.1, 10.1], "forest"));
    }
    let items: Vec<(&str, [f64; 4], &str)> = items.iter().map(|(id, b, c)| (id.as_str(), *b, *c)).collect();
    write_json(
        &input.join("catalog.json"),
        &catalog_json("root", vec![link("root", "./catalog.json"), link("child", "./labels/collection.json")]),
    );
    write_labels(&input.join("labels"), "../catalog.json", "../catalog.json", &items);
    let mut apart = Vec::new();
    for seed in 0..16 {
        let out = dir.path().join(format!("out-{seed}"));
        let args = ["--strategy", "spatial", "--block-size", "1", "--ratios", "50,50", "--names", "a,b"];
        let mut all = vec!["split".to_string(), path_str(&input.join("catalog.json")), "-o".into(), path_str(&out)];
        all.extend(args.iter().map(|s| s.to_string()));
        all.extend(["--seed".to_string(), seed.to_string()]);
        run(&all).success();
        let split_of =
            |id: &str| read_json(&out.join(format!("labels/{id}/{id}.json")))["properties"]["ml-dataset:split"].clone();
        if split_of("x") != split_of("n") {
            apart.push(seed);
        }
    }
    assert!(apart.is_empty(), "x and n share grid cell (179, 0) but were split apart with seeds {apart:?}");
}

/// Runs `args` with stdout a pipe whose read end is closed at once.
fn run_with_closed_stdout(args: &[&str]) -> (i32, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_stac-ml"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn stac-ml");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait for stac-ml");
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// `stac-ml ... | head` is not a failure (README, main.rs): text output.
#[test]
fn closed_stdout_is_not_an_error_for_text_output() {
    let scene = Scene::new("control-valid");
    let catalog = path_str(&scene.catalog());
    for args in [vec!["metrics", &catalog], vec!["info", &catalog], vec!["validate", &catalog]] {
        let (code, stderr) = run_with_closed_stdout(&args);
        assert_eq!((code, stderr.as_str()), (0, ""), "{args:?}");
    }
}

/// The same with `--json`: the I/O error comes wrapped in a serde_json error,
/// whose `source()` skips the io::Error, so main.rs's broken-pipe check misses
/// it and prints `error: Broken pipe (os error 32)` with exit 2.
#[test]
fn closed_stdout_is_not_an_error_for_json_output() {
    let scene = Scene::new("control-valid");
    let catalog = path_str(&scene.catalog());
    let mut failed = Vec::new();
    for args in [vec!["metrics", &catalog, "--json"], vec!["info", &catalog, "--json"]] {
        let (code, stderr) = run_with_closed_stdout(&args);
        if (code, stderr.as_str()) != (0, "") {
            failed.push(format!("{args:?}: exit {code}, {stderr}"));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

/// An output path that reaches into the input through a symlink is refused
/// like the plain path, and nothing is written into the input.
#[test]
fn output_through_a_symlink_into_the_input_is_refused() {
    let scene = Scene::new("control-valid");
    std::os::unix::fs::symlink("in", scene.root.join("link")).unwrap();
    let before = snapshot(&scene.input());
    for out in ["link/out", "link/labels", "link"] {
        let output = run(["split", &path_str(&scene.catalog()), "-o", &path_str(&scene.root.join(out)), "--force"]);
        let stderr = output.usage_error();
        assert!(stderr.contains(&path_str(&scene.input())), "{out}: {stderr}");
    }
    assert_same_tree(&before, &snapshot(&scene.input()), "the input");
}

// ---------------------------------------------------------------------------
// Determinism across thread counts.

/// `q2` of a generated catalog (`pairs` image/label pairs with duplicates and
/// overlaps) with each thread count in `threads`, for the random and the
/// spatial strategy: every output is byte-identical to the first.
fn same_output_whatever_the_threads(pairs: usize, threads: &[usize]) {
    let dir = tempdir();
    let started = std::time::Instant::now();
    let catalog = crate::util::generate(&dir.path().join("in"), pairs, 11, &["--dup-rate", "0.05", "--overlap", "0.1"]);
    for strategy in ["random", "spatial"] {
        let mut first: Option<(usize, BTreeMap<PathBuf, Entry>)> = None;
        for &n in threads {
            // Siblings, so relative hrefs to the input are the same.
            let out = dir.path().join(format!("{strategy}-{n}"));
            let args = ["q2", &path_str(&catalog), "-o", &path_str(&out), "--strategy", strategy, "--seed", "3"];
            let output = crate::util::run_env(args, &[("RAYON_NUM_THREADS", &n.to_string())]);
            assert_eq!(output.code, 0, "q2 --strategy {strategy} with {n} threads: {output:?}");
            let tree = snapshot(&out);
            match &first {
                None => first = Some((n, tree)),
                Some((m, expected)) => assert_same_tree(
                    expected,
                    &tree,
                    &format!("q2 --strategy {strategy}: the output with {n} threads, against {m} threads,"),
                ),
            }
        }
    }
    println!("{pairs} pairs, threads {threads:?}: {:?}", started.elapsed());
}

#[test]
fn q2_output_is_the_same_whatever_the_threads_1000_pairs() {
    same_output_whatever_the_threads(1000, &[1, 2]);
}

#[test]
#[ignore = "slow: 10k items, 4 q2 runs in a debug build; run with --ignored"]
fn q2_output_is_the_same_whatever_the_threads_10k_items() {
    same_output_whatever_the_threads(5000, &[1, 2]);
}
