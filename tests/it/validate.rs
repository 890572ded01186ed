//! `stac-ml validate`: exact verdicts on the real catalogs and single files of
//! ../shared/testdata, one small inline catalog per class of finding, the
//! output formats, and proof that nothing is fetched from the network.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};

#[path = "../../src/validate/fixtures.rs"]
mod fixtures;

use fixtures::{dataset, write};

use crate::metrics::generate_summary;
use crate::util::{
    Output, assert_same_tree, path_str, read_json, run, snapshot, stac_ml, tempdir, testdata, testdata_dir, write_json,
};

/// `validate --format json`, deserialized: the fields a CI script relies on.
#[derive(Debug, Deserialize)]
struct Report {
    root: PathBuf,
    quality: Option<String>,
    findings: Vec<Finding>,
    errors: usize,
    warnings: usize,
    omitted: usize,
    nodes: usize,
    items: usize,
    remote_assets: usize,
}

#[derive(Debug, Clone, Deserialize)]
struct Finding {
    path: PathBuf,
    pointer: Option<String>,
    message: String,
    severity: String,
    kind: String,
    schema: Option<String>,
}

impl Report {
    fn errors(&self) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.severity == "error").collect()
    }

    fn warnings(&self) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.severity == "warning").collect()
    }

    /// (file relative to `base`, severity, kind, pointer) of every finding.
    fn summary(&self, base: &Path) -> Vec<(String, String, String, String)> {
        self.findings
            .iter()
            .map(|f| {
                let path = f.path.strip_prefix(base).unwrap_or(&f.path).display().to_string();
                (path, f.severity.clone(), f.kind.clone(), f.pointer.clone().unwrap_or_default())
            })
            .collect()
    }
}

/// `stac-ml validate PATH --format json [extra...]`: (exit code, report).
/// The exit code must be 0 or 1 and agree with the error count.
#[track_caller]
fn validate(path: &Path, extra: &[&str]) -> (i32, Report) {
    let mut args = vec!["validate".to_string(), path_str(path), "--format".into(), "json".into()];
    args.extend(extra.iter().map(|s| s.to_string()));
    let output = run(&args);
    assert!(output.code == 0 || output.code == 1, "exit code {}\n{}\n{}", output.code, output.stdout, output.stderr);
    let report: Report = serde_json::from_str(&output.stdout)
        .unwrap_or_else(|e| panic!("validate --format json does not deserialize ({e}):\n{}", output.stdout));
    assert_eq!(output.code == 0, report.errors == 0, "exit code {} with {} errors", output.code, report.errors);
    if report.omitted == 0 {
        assert_eq!(report.errors, report.errors().len(), "error count vs listed errors");
        assert_eq!(report.warnings, report.warnings().len(), "warning count vs listed warnings");
    }
    (output.code, report)
}

// ---------------------------------------------------------------------------
// Real catalogs and files of ../shared/testdata.

#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared/testdata beside the checkout")]
fn pystac_test_case_1_is_valid() {
    let dir = testdata("pystac-test-case-1");
    let (code, report) = validate(&dir, &[]);
    assert_eq!(code, 0, "{:#?}", report.findings);
    assert_eq!((report.errors, report.warnings), (0, 0));
    assert_eq!(report.quality.as_deref(), Some("Q1"));
    assert_eq!((report.nodes, report.items), (7, 8));
    // Every asset is on example.com: counted, never fetched.
    assert_eq!(report.remote_assets, 12);
    assert_eq!(report.root, dir.join("catalog.json"));
    // The text format says the same.
    let text = run(["validate".to_string(), path_str(&dir)]).success();
    assert!(text.stdout.ends_with("0 errors, 0 warnings in 7 catalogs/collections and 8 items (claims Q1): valid\n"));
}

#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared/testdata beside the checkout")]
fn eurosat_small_is_invalid_for_its_array_class_names() {
    let dir = testdata("EuroSAT-small-STAC");
    let (code, report) = validate(&dir, &[]);
    assert_eq!(code, 1);
    assert_eq!(report.quality.as_deref(), Some("Q1"));
    assert_eq!((report.nodes, report.items), (3, 200));

    // Each label item writes label:classes[0].name as ["label"].
    let labels: Vec<PathBuf> = std::fs::read_dir(dir.join("labels"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.join(format!("{}.json", p.file_name().unwrap().to_str().unwrap())))
        .collect();
    assert_eq!(labels.len(), 100);
    for label in &labels {
        assert!(read_json(label)["properties"]["label:classes"][0]["name"].is_array(), "{}", label.display());
    }
    let name_errors: Vec<&Finding> = report
        .errors()
        .into_iter()
        .filter(|f| f.pointer.as_deref() == Some("/properties/label:classes/0/name"))
        .collect();
    assert_eq!(name_errors.len(), 100);
    let first = dir.join("labels/AnnualCrop_1/AnnualCrop_1.json");
    let finding = name_errors.iter().find(|f| f.path == first).expect("AnnualCrop_1's class name error");
    assert_eq!(finding.kind, "schema");
    assert_eq!(finding.schema.as_deref(), Some("https://stac-extensions.github.io/label/v1.0.1/schema.json"));
    assert!(finding.message.contains("is not of type \"string\""), "{}", finding.message);
    // The 101st error: collection summaries must be lists (STAC 1.0.0).
    let others: Vec<_> =
        report.errors().into_iter().filter(|f| !name_errors.iter().any(|n| n.path == f.path)).collect();
    assert_eq!(others.len(), 1, "{others:#?}");
    assert_eq!(others[0].path, dir.join("labels/collection.json"));
    assert_eq!(others[0].pointer.as_deref(), Some("/summaries/label:type"));
    assert_eq!(report.errors, 101);
    // 100 source items whose .tif is not in ../shared: warnings, errors with --strict.
    assert_eq!(report.warnings, 100);
    assert!(
        report.warnings().iter().all(|f| f.kind == "link" && f.pointer.as_deref().unwrap().starts_with("/assets/"))
    );
    let (code, strict) = validate(&dir, &["--strict"]);
    assert_eq!((code, strict.errors, strict.warnings), (1, 201, 0));
}

#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared/testdata beside the checkout")]
fn jaca_q2_fails_the_name_rule_and_its_summaries() {
    let dir = testdata("jaca_dataset_q2");
    let (code, report) = validate(&dir, &[]);
    assert_eq!(code, 1);
    assert_eq!(report.quality.as_deref(), Some("Q2"));
    assert_eq!(read_json(&dir.join("catalog.json"))["ml-dataset:name"], "Q2 Dataset");
    let errors: Vec<(String, String, String, String)> =
        report.summary(&dir).into_iter().filter(|f| f.1 == "error").collect();
    assert_eq!(
        errors[0],
        ("labels/collection.json".into(), "error".into(), "schema".into(), "/summaries/label:type".into())
    );
    // Each of the 12 bands of the 4 source assets gives raster v1.1.0's
    // `spatial_resolution` as an array where a number is due (the official
    // schema agrees; checked since raster is bundled).
    assert_eq!(errors.len(), 1 + 4 * 12, "{errors:?}");
    assert!(
        errors[1..].iter().all(|e| e.0.starts_with("sentinel-2-l2a/")
            && e.2 == "schema"
            && e.3.contains("/raster:bands/")
            && e.3.ends_with("/spatial_resolution")),
        "{errors:?}"
    );
    assert_eq!(report.errors, 1 + 4 * 12);
    // The name rule is EOTDL's, not STAC's: one warning, an error with --profile eotdl.
    let name = report.findings.iter().find(|f| f.kind == "ingest").expect("the name warning");
    assert_eq!((name.severity.as_str(), name.pointer.as_deref()), ("warning", Some("/ml-dataset:name")));
    assert!(name.message.contains("dataset name \"Q2 Dataset\" contains ' '"), "{}", name.message);
    let (_, eotdl) = validate(&dir, &["--profile", "eotdl"]);
    assert_eq!(eotdl.errors, report.errors + 1);
    // Warnings: EOTDL links each item twice (8), the label GeoJSONs and the
    // imagery are not in ../shared (4 + 4); every extension it lists (eo,
    // projection, raster, ...) is bundled now, so none is "not checked".
    let count = |what: &str| report.warnings().iter().filter(|f| f.message.contains(what)).count();
    assert_eq!(count("more than once"), 8);
    assert_eq!(count(".geojson does not exist"), 4);
    assert_eq!(count(".tif does not exist"), 4);
    assert_eq!(count("not checked: no bundled schema"), 0);
    assert_eq!(report.warnings, 17);
}

#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared/testdata beside the checkout")]
fn ml_dataset_example_has_a_broken_child_link() {
    let dir = testdata("ml-dataset-example");
    let (code, report) = validate(&dir, &[]);
    assert_eq!(code, 1);
    assert_eq!(report.quality.as_deref(), Some("Q2"));
    assert_eq!(report.summary(&dir), [("catalog.json".into(), "error".into(), "link".into(), "/links/1/href".into())]);
    let href = read_json(&dir.join("catalog.json"))["links"][1]["href"].as_str().unwrap().to_string();
    assert!(!dir.join(&href).exists());
    assert!(report.findings[0].message.starts_with(&format!("child link {href}: ")), "{}", report.findings[0].message);
    assert!(report.findings[0].message.ends_with("does not exist"));
    assert_eq!((report.errors, report.warnings, report.nodes, report.items), (1, 0, 1, 0));
}

#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared/testdata beside the checkout")]
fn pystac_invalid_catalog() {
    let dir = testdata("pystac-invalid-catalog");
    let (code, report) = validate(&dir, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        report.summary(&dir),
        [
            ("catalog.json".into(), "warning".into(), "ingest".into(), "/id".into()),
            ("catalog.json".into(), "error".into(), "schema".into(), "/stac_version".into()),
        ]
    );
}

/// (file under ../shared/testdata, exit code, errors, quality) of single
/// files: items are validated alone (quality `None`), a collection file as
/// the root of its own tree.
const SINGLE_FILES: [(&str, i32, usize, Option<&str>); 12] = [
    ("stac-validator-testdata/bad_data/bad_collection_1rc2.json", 1, 5, Some("Q1")),
    ("stac-validator-testdata/bad_data/bad_item_v090.json", 1, 3, None),
    ("rustac-invalid/cli_data_invalid-item.json", 1, 4, None),
    ("rustac-invalid/core_data_invalid-datetimes.json", 1, 6, None),
    ("rustac-invalid/core_data_invalid-item-datetime.json", 1, 2, None),
    ("rustac-invalid/core_data_invalid-item.json", 1, 4, None),
    ("stac-spec-examples-v1.1.0/catalog.json", 1, 1, Some("Q1")),
    ("stac-spec-examples-v1.1.0/collection.json", 1, 2, Some("Q1")),
    ("stac-spec-examples-v1.1.0/simple-item.json", 0, 0, None),
    ("stac-spec-examples-v1.1.0/core-item.json", 0, 0, None),
    ("stac-spec-examples-v1.1.0/extended-item.json", 0, 0, None),
    ("stac-spec-examples-v1.1.0/collectionless-item.json", 0, 0, None),
];

#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared/testdata beside the checkout")]
fn verdicts_on_single_files() {
    let data = testdata_dir();
    for (file, expected_code, expected_errors, quality) in SINGLE_FILES {
        let path = data.join(file);
        let (code, report) = validate(&path, &[]);
        assert_eq!((code, report.errors), (expected_code, expected_errors), "{file}: {:#?}", report.findings);
        assert_eq!(report.quality.as_deref(), quality, "{file}");
        if quality.is_none() {
            assert_eq!((report.nodes, report.items), (0, 1), "{file}: an item is validated alone");
        }
    }
}

#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared/testdata beside the checkout")]
fn why_the_invalid_single_files_fail() {
    let data = testdata_dir();
    let errors = |file: &str| -> Vec<(String, String, String)> {
        let (_, report) = validate(&data.join(file), &[]);
        report
            .errors()
            .iter()
            .map(|f| (f.kind.clone(), f.pointer.clone().unwrap_or_default(), f.message.clone()))
            .collect()
    };
    // v0.9.0 item: remote root, parent and collection links are not followed.
    let v090 = errors("stac-validator-testdata/bad_data/bad_item_v090.json");
    assert_eq!(
        v090.iter().map(|e| e.1.as_str()).collect::<Vec<_>>(),
        ["/links/1/href", "/links/2/href", "/links/3/href"]
    );
    assert!(v090.iter().all(|e| e.0 == "link" && e.2.contains("is not followed (stac-ml works offline")));
    // rustac: an empty id, and links to a collection that is not there.
    let item = errors("rustac-invalid/core_data_invalid-item.json");
    assert_eq!(item[0].1, "/id");
    assert!(item[0].2.contains("\"\" is shorter than 1 character"), "{}", item[0].2);
    // rustac: datetimes without a time zone: an error from the schemas' own
    // pattern; the `date-time` format is only a warning (not asserted officially).
    let datetimes = errors("rustac-invalid/core_data_invalid-datetimes.json");
    assert_eq!(datetimes.iter().filter(|e| e.1 == "/properties/datetime").count(), 1, "{datetimes:#?}");
    assert!(datetimes.iter().any(|e| e.2.contains("does not match \"(\\+00:00|Z)$\"")), "{datetimes:#?}");
    let (_, report) = validate(&data.join("rustac-invalid/core_data_invalid-datetimes.json"), &[]);
    assert!(report.warnings().iter().any(|f| f.message.contains("is not a \"date-time\"")));
    // The spec examples: proj-example names another collection, and the
    // simple collection's three items share one id.
    let catalog = errors("stac-spec-examples-v1.1.0/catalog.json");
    assert_eq!(catalog.len(), 1);
    assert_eq!(catalog[0].1, "/collection");
    assert!(
        catalog[0].2.contains("\"landsat-8-l1\", but the item is linked from collection \"extensions-collection\"")
    );
    let collection = errors("stac-spec-examples-v1.1.0/collection.json");
    assert!(collection.iter().all(|e| e.1 == "/id" && e.2.starts_with("duplicate item id \"20201211_223832_CS2\"")));
}

#[test]
fn a_generated_catalogs_q2_output_is_valid() {
    let dir = tempdir();
    let input = dir.path().join("gen");
    generate_summary(&input, 200, 5, &["--dup-rate", "0.05", "--overlap", "0.05"]);
    let (code, report) = validate(&input, &[]);
    assert_eq!((code, report.errors, report.quality.as_deref()), (0, 0, Some("Q1")));
    let out = dir.path().join("q2");
    run(["q2".to_string(), path_str(&input.join("catalog.json")), "-o".into(), path_str(&out)]).success();
    let (code, report) = validate(&out, &[]);
    assert_eq!(code, 0, "{:#?}", report.errors());
    assert_eq!(report.quality.as_deref(), Some("Q2"));
    assert_eq!((report.nodes, report.items), (3, 400));
    // Only warnings: the 200 imagery files generate does not write.
    assert_eq!(report.warnings, 200);
    assert!(report.warnings().iter().all(|f| f.message.contains(".tif does not exist")));
    let (code, strict) = validate(&out, &["--strict"]);
    assert_eq!((code, strict.errors), (1, 200));
}

// ---------------------------------------------------------------------------
// One small inline catalog per class of finding.

/// Applies `edit` to the JSON file `relative` under `root`.
fn edit(root: &Path, relative: &str, edit: impl FnOnce(&mut Value)) {
    let mut value = read_json(&root.join(relative));
    edit(&mut value);
    write(root, relative, &value);
}

type Row = (String, String, String, String);

fn row(path: &str, severity: &str, kind: &str, pointer: &str) -> Row {
    (path.into(), severity.into(), kind.into(), pointer.into())
}

#[test]
fn a_valid_inline_catalog_has_no_findings() {
    let dir = tempdir();
    let root = dataset(dir.path(), &["a", "b"]);
    let (code, report) = validate(&root, &[]);
    assert_eq!(code, 0);
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!((report.quality.as_deref(), report.nodes, report.items), (Some("Q1"), 2, 2));
    // A folder or its catalog.json: the same report.
    let (_, same) = validate(&root.join("catalog.json"), &[]);
    assert_eq!(same.root, report.root);
}

#[test]
fn schema_errors_carry_a_json_pointer() {
    let dir = tempdir();
    let root = dataset(dir.path(), &["a", "b"]);
    edit(&root, "labels/b/b.json", |v| v["properties"]["datetime"] = json!("yesterday"));
    edit(&root, "labels/a/a.json", |v| v["bbox"] = json!([0, 0, "one", 1]));
    let (code, report) = validate(&root, &[]);
    assert_eq!(code, 1);
    let summary = report.summary(&root);
    assert!(summary.contains(&row("labels/b/b.json", "error", "schema", "/properties/datetime")), "{summary:#?}");
    assert!(summary.contains(&row("labels/a/a.json", "error", "schema", "/bbox/2")), "{summary:#?}");
    let datetime = report.findings.iter().find(|f| f.pointer.as_deref() == Some("/properties/datetime")).unwrap();
    assert!(datetime.message.contains("\"yesterday\""), "{}", datetime.message);
    assert_eq!(datetime.schema.as_deref(), Some("https://schemas.stacspec.org/v1.1.0/item-spec/json-schema/item.json"));
}

#[test]
fn broken_child_link() {
    let dir = tempdir();
    let root = dataset(dir.path(), &["a"]);
    edit(&root, "catalog.json", |v| {
        v["links"].as_array_mut().unwrap().push(json!({"rel": "child", "href": "./gone/collection.json"}))
    });
    let (code, report) = validate(&root, &[]);
    assert_eq!(code, 1);
    assert_eq!(report.summary(&root), [row("catalog.json", "error", "link", "/links/2/href")]);
    assert!(report.findings[0].message.contains("./gone/collection.json"), "{}", report.findings[0].message);
    assert!(report.findings[0].message.ends_with("does not exist"));
}

#[test]
fn broken_item_link() {
    let dir = tempdir();
    let root = dataset(dir.path(), &["a", "b"]);
    std::fs::remove_dir_all(root.join("labels/b")).unwrap();
    let (code, report) = validate(&root, &[]);
    assert_eq!(code, 1);
    assert_eq!(report.summary(&root), [row("labels/collection.json", "error", "link", "/links/3/href")]);
    assert_eq!(report.items, 1);
}

#[test]
fn a_cycle_is_reported_not_followed() {
    let dir = tempdir();
    let root = dataset(dir.path(), &["a"]);
    edit(&root, "labels/collection.json", |v| {
        v["links"].as_array_mut().unwrap().push(json!({"rel": "child", "href": "../catalog.json"}))
    });
    let (code, report) = validate(&root, &[]);
    assert_eq!(code, 1);
    assert_eq!(report.summary(&root), [row("labels/collection.json", "error", "link", "/links/3/href")]);
    assert!(report.findings[0].message.contains("making a cycle; not followed"), "{}", report.findings[0].message);
    assert_eq!(report.nodes, 2);
}

#[test]
fn item_collection_field_must_name_its_collection() {
    let dir = tempdir();
    let root = dataset(dir.path(), &["a"]);
    edit(&root, "labels/a/a.json", |v| v["collection"] = json!("other"));
    let (code, report) = validate(&root, &[]);
    assert_eq!(code, 1);
    assert_eq!(report.summary(&root), [row("labels/a/a.json", "error", "link", "/collection")]);
    assert!(
        report.findings[0]
            .message
            .contains("\"collection\" is \"other\", but the item is linked from collection \"labels\"")
    );
}

#[test]
fn duplicate_item_ids_in_a_collection() {
    let dir = tempdir();
    let root = dataset(dir.path(), &["a", "b"]);
    edit(&root, "labels/b/b.json", |v| v["id"] = json!("a"));
    let (code, report) = validate(&root, &[]);
    assert_eq!(code, 1);
    assert_eq!(report.summary(&root), [row("labels/b/b.json", "error", "link", "/id")]);
    assert!(
        report.findings[0].message.starts_with("duplicate item id \"a\" in \"labels\""),
        "{}",
        report.findings[0].message
    );
}

#[test]
fn wrong_root_link() {
    let dir = tempdir();
    let root = dataset(dir.path(), &["a"]);
    // The collection exists but is not the root.
    edit(&root, "labels/a/a.json", |v| v["links"][0]["href"] = json!("../collection.json"));
    let (code, report) = validate(&root, &[]);
    assert_eq!(code, 1);
    assert_eq!(report.summary(&root), [row("labels/a/a.json", "error", "link", "/links/0/href")]);
    assert!(report.findings[0].message.contains("which is not the root catalog"), "{}", report.findings[0].message);
}

#[test]
fn wrong_parent_link() {
    let dir = tempdir();
    let root = dataset(dir.path(), &["a"]);
    edit(&root, "labels/a/a.json", |v| v["links"][1]["href"] = json!("../../catalog.json"));
    let (code, report) = validate(&root, &[]);
    assert_eq!(code, 1);
    assert_eq!(report.summary(&root), [row("labels/a/a.json", "error", "link", "/links/1/href")]);
    assert!(report.findings[0].message.contains("is not the file that links this object"));
}

#[test]
fn remote_structural_links_are_errors() {
    let dir = tempdir();
    let root = dataset(dir.path(), &["a"]);
    edit(&root, "catalog.json", |v| {
        v["links"]
            .as_array_mut()
            .unwrap()
            .push(json!({"rel": "child", "href": "https://example.com/c/collection.json"}))
    });
    let (code, report) = validate(&root, &[]);
    assert_eq!(code, 1);
    assert_eq!(report.summary(&root), [row("catalog.json", "error", "link", "/links/2/href")]);
    assert!(report.findings[0].message.contains("is not followed (stac-ml works offline"));
}

#[test]
fn a_missing_local_asset_is_a_warning_and_an_error_when_strict() {
    let dir = tempdir();
    let root = dataset(dir.path(), &["a"]);
    edit(&root, "labels/a/a.json", |v| {
        v["assets"] =
            json!({"image": {"href": "./a.tif"}, "there": {"href": "./a.json"}, "remote": {"href": "s3://b/a.tif"}})
    });
    let (code, report) = validate(&root, &[]);
    assert_eq!(code, 0);
    assert_eq!(report.summary(&root), [row("labels/a/a.json", "warning", "link", "/assets/image/href")]);
    assert_eq!(report.remote_assets, 1);
    let (code, report) = validate(&root, &["--strict"]);
    assert_eq!(code, 1);
    assert_eq!(report.summary(&root), [row("labels/a/a.json", "error", "link", "/assets/image/href")]);
}

const EXTENSION: &str = "https://example.com/test-extension/v1.0.0/schema.json";

#[test]
fn an_unknown_extension_is_a_warning_and_an_error_when_strict() {
    let dir = tempdir();
    let root = dataset(dir.path(), &["a", "b"]);
    for id in ["a", "b"] {
        edit(&root, &format!("labels/{id}/{id}.json"), |v| v["stac_extensions"] = json!([EXTENSION]));
    }
    let (code, report) = validate(&root, &[]);
    assert_eq!(code, 0);
    // One notice for both items, on the first.
    assert_eq!(report.summary(&root), [row("labels/a/a.json", "warning", "extension", "/stac_extensions/0")]);
    assert!(report.findings[0].message.contains("(2 objects like this)"), "{}", report.findings[0].message);
    assert!(report.findings[0].message.contains("--schema URL=PATH"));
    let (code, report) = validate(&root, &["--strict"]);
    assert_eq!(code, 1);
    assert_eq!(report.summary(&root), [row("labels/a/a.json", "error", "extension", "/stac_extensions/0")]);
}

#[test]
fn a_local_schema_checks_an_otherwise_unknown_extension() {
    let dir = tempdir();
    let root = dataset(&dir.path().join("cat"), &["a", "b"]);
    let schema = dir.path().join("test-extension.json");
    write_json(
        &schema,
        &json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "required": ["properties"],
            "properties": {"properties": {
                "type": "object",
                "required": ["test:colour"],
                "properties": {"test:colour": {"enum": ["red", "green"]}}
            }}
        }),
    );
    edit(&root, "labels/a/a.json", |v| {
        v["stac_extensions"] = json!([EXTENSION]);
        v["properties"]["test:colour"] = json!("red");
    });
    edit(&root, "labels/b/b.json", |v| v["stac_extensions"] = json!([EXTENSION]));
    let flag = format!("{EXTENSION}={}", path_str(&schema));
    let (code, report) = validate(&root, &["--schema", &flag]);
    assert_eq!(code, 1);
    assert_eq!(report.summary(&root), [row("labels/b/b.json", "error", "schema", "/properties/test:colour")]);
    assert!(
        report.findings[0].message.contains("\"test:colour\" is a required property"),
        "{}",
        report.findings[0].message
    );
    assert_eq!(report.findings[0].schema.as_deref(), Some(EXTENSION));
    // A wrong value is caught too; a right one passes.
    edit(&root, "labels/b/b.json", |v| v["properties"]["test:colour"] = json!("blue"));
    let (_, report) = validate(&root, &["--schema", &flag]);
    assert_eq!(report.summary(&root), [row("labels/b/b.json", "error", "schema", "/properties/test:colour")]);
    edit(&root, "labels/b/b.json", |v| v["properties"]["test:colour"] = json!("green"));
    let (code, report) = validate(&root, &["--schema", &flag, "--strict"]);
    assert_eq!((code, report.findings.len()), (0, 0), "{:#?}", report.findings);

    // Bad --schema values are usage errors.
    let stderr = run(["validate", &path_str(&root), "--schema", "no-equals-sign"]).usage_error();
    assert!(stderr.contains("expected URL=PATH"), "{stderr}");
    let missing = format!("{EXTENSION}={}", path_str(&dir.path().join("missing.json")));
    run(["validate", &path_str(&root), "--schema", &missing]).usage_error();
}

#[test]
fn the_ingest_name_rule() {
    let cases = [
        ("ab", false),
        ("abc", true),
        ("a-b-c-123", true),
        (&"a".repeat(45) as &str, true),
        (&"a".repeat(46), false),
        ("my_dataset", false),
        ("my dataset", false),
    ];
    for (name, ok) in cases {
        let dir = tempdir();
        let root = dataset(dir.path(), &["a"]);
        edit(&root, "catalog.json", |v| v["id"] = json!(name));
        let (code, report) = validate(&root, &["--profile", "eotdl"]);
        if ok {
            assert_eq!((code, report.findings.len()), (0, 0), "{name}: {:#?}", report.findings);
        } else {
            assert_eq!(code, 1, "{name}");
            assert_eq!(report.summary(&root), [row("catalog.json", "error", "ingest", "/id")], "{name}");
            assert!(report.findings[0].message.contains("3-45 characters of letters, digits and dashes"));
        }
    }
    // ml-dataset:name, when present, is the name that counts.
    let dir = tempdir();
    let root = dataset(dir.path(), &["a"]);
    edit(&root, "catalog.json", |v| v["ml-dataset:name"] = json!("x_y"));
    let (code, report) = validate(&root, &["--profile", "eotdl"]);
    assert_eq!((code, report.quality.as_deref()), (1, Some("Q2")));
    assert!(report.summary(&root).contains(&row("catalog.json", "error", "ingest", "/ml-dataset:name")));
}

/// Issue 11 #3: where a schema branches on the object's `type` (the label
/// schema's `oneOf` over Item and Collection), the errors reported are those
/// of the branch the object is, each at the pointer of the missing field.
#[test]
fn a_label_item_missing_fields_is_told_about_those_fields() {
    let label = "https://stac-extensions.github.io/label/v1.0.1/schema.json";
    let dir = tempdir();
    let root = dataset(dir.path(), &["a"]);
    edit(&root, "labels/a/a.json", |v| {
        v["stac_extensions"] = json!([label]);
        v["properties"]["label:type"] = json!("vector");
    });
    let (code, report) = validate(&root, &[]);
    assert_eq!(code, 1);
    let errors: Vec<(&str, &str)> =
        report.errors().iter().map(|f| (f.pointer.as_deref().unwrap_or(""), f.message.as_str())).collect();
    assert_eq!(
        errors,
        [
            ("/properties/label:description", "\"label:description\" is a required property (label v1.0.1 schema)"),
            ("/properties/label:properties", "\"label:properties\" is a required property (label v1.0.1 schema)"),
        ],
        "{errors:#?}"
    );
}

/// Issue 11 #5: a known alias of an extension's URL (raw repository URL,
/// `/json-schema/schema.json` path, `http`) is checked against the bundled
/// schema of the same version, with one warning that it is not canonical.
#[test]
fn extension_url_aliases_are_checked_with_one_warning() {
    let aliases = [
        "https://raw.githubusercontent.com/stac-extensions/label/v1.0.1/json-schema/schema.json",
        "http://stac-extensions.github.io/label/v1.0.1/schema.json",
        "https://stac-extensions.github.io/label/v1.0.1/json-schema/schema.json",
    ];
    for alias in aliases {
        let dir = tempdir();
        let root = dataset(dir.path(), &["a", "b"]);
        for id in ["a", "b"] {
            edit(&root, &format!("labels/{id}/{id}.json"), |v| {
                v["stac_extensions"] = json!([alias]);
                v["properties"]["label:type"] = json!("vector");
                v["properties"]["label:description"] = json!("boxes");
            });
        }
        let (code, report) = validate(&root, &[]);
        assert_eq!(code, 1, "{alias}");
        let summary = report.summary(&root);
        assert_eq!(
            summary,
            [
                row("labels/a/a.json", "error", "schema", "/properties/label:properties"),
                row("labels/a/a.json", "warning", "extension", "/stac_extensions/0"),
                row("labels/b/b.json", "error", "schema", "/properties/label:properties"),
            ],
            "{alias}: {:#?}",
            report.findings
        );
        let warning = &report.warnings()[0].message;
        assert!(
            warning.contains(alias)
                && warning.contains("https://stac-extensions.github.io/label/v1.0.1/schema.json")
                && warning.contains("2 objects"),
            "{warning}"
        );
    }
}

/// Issue 11 (local mirror): `--schema-dir DIR`, laid out `host/path`, checks
/// an extension that is not bundled instead of reporting it "not checked";
/// nothing is fetched. `--list-schemas` prints what is bundled.
#[test]
fn a_schema_dir_mirror_checks_unbundled_extensions_and_list_schemas_prints_the_bundle() {
    let url = "https://stac-extensions.github.io/test/v1.0.0/schema.json";
    let dir = tempdir();
    let root = dataset(&dir.path().join("data"), &["a"]);
    edit(&root, "labels/a/a.json", |v| v["stac_extensions"] = json!([url]));
    let mirror = dir.path().join("mirror");
    write_json(
        &mirror.join("stac-extensions.github.io/test/v1.0.0/schema.json"),
        &json!({"$schema": "http://json-schema.org/draft-07/schema#", "$id": url, "type": "object",
                "properties": {"properties": {"required": ["test:colour"]}}}),
    );
    let (code, report) = validate(&root, &[]);
    assert_eq!((code, report.warnings), (0, 1), "{:#?}", report.findings);
    let (code, report) = validate(&root, &["--schema-dir", &path_str(&mirror)]);
    assert_eq!(code, 1, "{:#?}", report.findings);
    assert_eq!(report.summary(&root), [row("labels/a/a.json", "error", "schema", "/properties/test:colour")]);
    // A missing folder is a usage error naming it.
    let missing = dir.path().join("nope");
    let output = run(["validate".to_string(), path_str(&root), "--schema-dir".into(), path_str(&missing)]);
    assert_eq!(output.code, 2);
    assert!(output.stderr.contains(&path_str(&missing)), "{}", output.stderr);

    let list = run(["validate", "--list-schemas"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    for bundled in [
        "https://stac-extensions.github.io/label/v1.0.1/schema.json",
        "https://schemas.stacspec.org/v1.1.0/item-spec/json-schema/item.json",
    ] {
        assert!(list.stdout.lines().any(|l| l.ends_with(bundled)), "{}", list.stdout);
    }
}

/// Issue 11 #6: text output folds identical findings (kind, pointer,
/// message) across files into one line with the count and the first files;
/// JSON keeps every finding; counts are singular or plural as they should be.
#[test]
fn identical_findings_fold_in_text_and_counts_read_well() {
    let dir = tempdir();
    let root = dataset(dir.path(), &["a", "b", "c", "d", "e"]);
    for id in ["a", "b", "c", "d", "e"] {
        edit(&root, &format!("labels/{id}/{id}.json"), |v| v["properties"]["datetime"] = json!("yesterday"));
    }
    let (code, report) = validate(&root, &[]);
    assert_eq!((code, report.errors, report.warnings), (1, 5, 5));
    let text = run(["validate".to_string(), path_str(&root)]);
    assert_eq!(text.code, 1);
    let lines: Vec<&str> = text.stdout.lines().collect();
    let pattern: Vec<&&str> = lines.iter().filter(|l| l.contains("does not match")).collect();
    assert_eq!(pattern.len(), 1, "{}", text.stdout);
    assert!(
        pattern[0].starts_with("  error [Schema] /properties/datetime: \"yesterday\" does not match"),
        "{}",
        pattern[0]
    );
    let files = ["labels/a/a.json", "labels/b/b.json", "labels/c/c.json"].map(|f| path_str(&root.join(f)));
    assert!(pattern[0].ends_with(&format!("(5 files: {}, … and 2 more)", files.join(", "))), "{}", pattern[0]);
    assert_eq!(lines.iter().filter(|l| l.contains("is not a \"date-time\"")).count(), 1, "{}", text.stdout);
    assert_eq!((lines.len(), lines[0]), (4, "in several files:"), "{}", text.stdout);
    assert!(text.stdout.ends_with("5 errors, 5 warnings in 2 catalogs/collections and 5 items (claims Q1): INVALID\n"));

    let dir = tempdir();
    let root = dataset(dir.path(), &["a"]);
    edit(&root, "labels/a/a.json", |v| v["properties"]["datetime"] = json!("yesterday"));
    let text = run(["validate".to_string(), path_str(&root)]);
    assert!(
        text.stdout.ends_with("1 error, 1 warning in 2 catalogs/collections and 1 item (claims Q1): INVALID\n"),
        "{}",
        text.stdout
    );
    // One file: grouped under the file as before.
    assert!(
        text.stdout.starts_with(&format!(
            "{}\n  error [Schema] /properties/datetime: ",
            path_str(&root.join("labels/a/a.json"))
        ))
    );
    let github = run(["validate".to_string(), path_str(&root), "--format".into(), "github".into()]);
    assert!(github.stdout.ends_with("\n1 error, 1 warning\n"), "{}", github.stdout);
}

/// Issue 11 #4: a `format` violation alone (a tile-template asset href is not
/// an `iri-reference`) is a warning, as the official validators do not assert
/// formats; an error with --strict. A datetime without a time zone is still an
/// error: the STAC schemas' own `pattern` requires one.
#[test]
fn a_format_violation_alone_is_a_warning_and_an_error_when_strict() {
    let dir = tempdir();
    let root = dataset(dir.path(), &["a"]);
    edit(&root, "labels/a/a.json", |v| {
        v["assets"] = json!({"tiles": {"href": "https://tiles.example.com/{z}/{x}/{y}.png"}});
    });
    let (code, report) = validate(&root, &[]);
    assert_eq!((code, report.errors, report.warnings), (0, 0, 1), "{:#?}", report.findings);
    assert_eq!(report.summary(&root), [row("labels/a/a.json", "warning", "schema", "/assets/tiles/href")]);
    assert!(report.findings[0].message.contains("iri-reference"), "{}", report.findings[0].message);
    let (code, report) = validate(&root, &["--strict"]);
    assert_eq!((code, report.errors), (1, 1), "{:#?}", report.findings);
    assert_eq!(report.summary(&root), [row("labels/a/a.json", "error", "schema", "/assets/tiles/href")]);
    // The pattern of the STAC schemas still catches a datetime without a time zone.
    edit(&root, "labels/a/a.json", |v| v["properties"]["datetime"] = json!("2025-11-13T01:18:44"));
    let (code, report) = validate(&root, &[]);
    assert_eq!(code, 1);
    assert!(report.summary(&root).contains(&row("labels/a/a.json", "error", "schema", "/properties/datetime")));
}

/// Issue 11 #1: STAC validity and EOTDL ingest readiness are two questions.
/// By default a failing ingest rule is one warning and the exit code stays 0;
/// `--profile eotdl` makes it an error.
#[test]
fn ingest_rules_are_one_warning_by_default_and_errors_with_profile_eotdl() {
    let dir = tempdir();
    let root = dataset(dir.path(), &["a"]);
    edit(&root, "catalog.json", |v| v["id"] = json!("train_tier_1"));
    let (code, report) = validate(&root, &[]);
    assert_eq!((code, report.errors, report.warnings), (0, 0, 1), "{:#?}", report.findings);
    assert_eq!(report.summary(&root), [row("catalog.json", "warning", "ingest", "/id")]);
    let message = &report.findings[0].message;
    assert!(
        message.starts_with("EOTDL ingest would refuse this dataset: dataset name \"train_tier_1\" contains '_'"),
        "{message}"
    );
    let text = run(["validate".to_string(), path_str(&root)]);
    assert_eq!(text.code, 0, "{}", text.stdout);
    assert!(text.stdout.ends_with("(claims Q1): valid\n"), "{}", text.stdout);
    let (code, report) = validate(&root, &["--profile", "eotdl"]);
    assert_eq!(code, 1);
    assert_eq!(report.summary(&root), [row("catalog.json", "error", "ingest", "/id")]);
    assert!(report.findings[0].message.starts_with("dataset name \"train_tier_1\""), "{}", report.findings[0].message);
    // A Q0 folder with several failing keys: still one warning line, every reason in it.
    let folder = dir.path().join("q0");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("metadata.yml"), "name: ab\nauthors: [a]\n").unwrap();
    let (code, report) = validate(&folder, &[]);
    assert_eq!((code, report.errors, report.warnings), (0, 0, 1), "{:#?}", report.findings);
    let message = &report.findings[0].message;
    for reason in ["\"license\"", "\"source\"", "has 2 characters"] {
        assert!(message.contains(reason), "{message}");
    }
    let (code, report) = validate(&folder, &["--profile", "eotdl"]);
    assert_eq!((code, report.errors), (1, 3));
}

#[test]
fn q0_metadata_without_a_license_is_invalid() {
    let dir = tempdir();
    let folder = dir.path().join("q0");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("metadata.yml"), "name: my-dataset\nauthors:\n  - Ada\nsource: https://example.com\n")
        .unwrap();
    let (code, report) = validate(&folder, &["--profile", "eotdl"]);
    assert_eq!(code, 1);
    assert_eq!(report.quality.as_deref(), Some("Q0"));
    assert_eq!(report.root, folder.join("metadata.yml"));
    assert_eq!(report.errors, 1);
    assert_eq!(report.findings[0].kind, "ingest");
    assert!(
        report.findings[0].message.starts_with("missing required key \"license\""),
        "{}",
        report.findings[0].message
    );
    // With the license it passes; the file itself can be given too.
    std::fs::write(
        folder.join("metadata.yml"),
        "name: my-dataset\nauthors:\n  - Ada\nlicense: CC-BY-4.0\nsource: https://example.com\n",
    )
    .unwrap();
    let (code, report) = validate(&folder.join("metadata.yml"), &["--profile", "eotdl"]);
    assert_eq!((code, report.errors, report.quality.as_deref()), (0, 0, Some("Q0")));
    // A bad name in metadata.yml is caught by the same rule.
    std::fs::write(folder.join("metadata.yml"), "name: ab\nauthors: [a]\nlicense: x\nsource: y\n").unwrap();
    let (code, report) = validate(&folder, &["--profile", "eotdl"]);
    assert_eq!(code, 1);
    assert_eq!(report.findings[0].pointer.as_deref(), Some("/name"));
}

/// `metadata.yml` is read as YAML: flow style, block scalars and quoted
/// keys are understood; broken YAML and a non-mapping document are findings
/// naming the file; an alias bomb is not expanded.
#[test]
fn q0_metadata_is_parsed_as_yaml() {
    let dir = tempdir();
    let folder = dir.path().join("q0");
    std::fs::create_dir_all(&folder).unwrap();
    let metadata = folder.join("metadata.yml");
    let valid = [
        r#"{"name": "my-dataset", "authors": ["Ada"], "license": "MIT", "source": "https://example.com"}"#,
        "name: |-\n  my-dataset\nauthors: [Ada]\nlicense: >-\n  CC-BY-4.0\nsource: x\n",
        "\"name\": my-dataset\n? authors\n: - Ada\nlicense: MIT\nsource: x # a comment\n",
        "%YAML 1.2\n---\nname: &n my-dataset\nauthors: *n\nlicense: MIT\nsource: x\n...\n",
    ];
    for text in valid {
        std::fs::write(&metadata, text).unwrap();
        let (code, report) = validate(&folder, &["--profile", "eotdl"]);
        assert_eq!((code, report.errors), (0, 0), "{text:?}: {:?}", report.findings);
    }
    // The block scalar keeps its newline: not a valid name (was read as "|").
    std::fs::write(&metadata, "name: |\n  my-dataset\nauthors: a\nlicense: b\nsource: c\n").unwrap();
    let (code, report) = validate(&folder, &["--profile", "eotdl"]);
    assert_eq!((code, report.errors), (1, 1));
    assert_eq!(
        report.findings[0].message,
        r#"dataset name "my-dataset\n" contains '\n'; an EOTDL dataset name must be 3-45 characters of letters, digits and dashes"#
    );
    let invalid = [
        ("{name: [unclosed\n", "is not valid YAML"),
        ("- name\n- authors\n", "is not a mapping of keys"),
        ("name: {first: a}\nauthors: a\nlicense: b\nsource: c\n", "\"name\" must be a string"),
        ("name: ~\nauthors: a\nlicense: b\nsource: c\n", "\"name\" is empty"),
    ];
    for (text, expected) in invalid {
        std::fs::write(&metadata, text).unwrap();
        let (code, report) = validate(&folder, &["--profile", "eotdl"]);
        assert_eq!(code, 1, "{text:?}");
        assert!(report.findings.iter().any(|f| f.message.contains(expected)), "{text:?}: {:?}", report.findings);
        assert_eq!(report.root, metadata);
    }
    // A billion-laughs document parses in bounded memory: aliases are not expanded.
    let mut bomb = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..30 {
        let refs = vec![format!("*l{}", level - 1); 10].join(", ");
        bomb.push_str(&format!("l{level}: &l{level} [{refs}]\n"));
    }
    std::fs::write(&metadata, format!("name: my-dataset\nauthors: a\nlicense: b\nsource: c\n{bomb}")).unwrap();
    let (code, report) = validate(&folder, &["--profile", "eotdl"]);
    assert_eq!((code, report.errors), (0, 0), "{:?}", report.findings);
}

#[test]
fn a_folder_with_neither_catalog_nor_metadata_is_a_usage_error() {
    let dir = tempdir();
    let stderr = run(["validate", &path_str(dir.path())]).usage_error();
    assert!(stderr.contains("neither catalog.json"), "{stderr}");
    run(["validate", &path_str(&dir.path().join("missing.json"))]).usage_error();
}

// ---------------------------------------------------------------------------
// Output formats.

#[test]
fn json_and_github_formats() {
    let dir = tempdir();
    let root = dataset(dir.path(), &["a", "b"]);
    edit(&root, "labels/a/a.json", |v| {
        v["properties"]["datetime"] = json!("yesterday");
        v["assets"] = json!({"image": {"href": "./a, b.tif"}});
    });
    edit(&root, "catalog.json", |v| v["id"] = json!("my_dataset"));
    let (code, report) = validate(&root, &[]);
    assert_eq!(code, 1);
    assert_eq!(report.omitted, 0);
    // The missing asset, the EOTDL name rule, and two formats (iri-reference, date-time).
    assert!(report.errors >= 1 && report.warnings == 4, "{report:#?}");
    for finding in &report.findings {
        assert!(finding.path.is_absolute() && finding.path.starts_with(&root), "{}", finding.path.display());
        assert!(finding.pointer.as_deref().is_some_and(|p| p.starts_with('/')), "{finding:?}");
        assert!(matches!(finding.severity.as_str(), "error" | "warning"));
        assert!(
            matches!(finding.kind.as_str(), "schema" | "link" | "ingest" | "extension" | "io" | "json"),
            "{}",
            finding.kind
        );
        assert!(!finding.message.is_empty());
    }
    // Exactly one JSON value on stdout.
    let raw = run(["validate", &path_str(&root), "--format", "json"]);
    let mut stream = serde_json::Deserializer::from_str(&raw.stdout).into_iter::<Value>();
    assert!(stream.next().unwrap().unwrap().is_object());
    assert!(stream.next().is_none(), "more than one JSON value on stdout");

    let github = run(["validate", &path_str(&root), "--format", "github"]);
    assert_eq!(github.code, 1);
    let lines: Vec<&str> = github.stdout.lines().collect();
    let (summary, annotations) = lines.split_last().unwrap();
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    assert_eq!(
        *summary,
        format!(
            "{} error{}, {} warning{}",
            report.errors,
            plural(report.errors),
            report.warnings,
            plural(report.warnings)
        )
    );
    assert_eq!(annotations.len(), report.findings.len());
    for (line, finding) in annotations.iter().zip(&report.findings) {
        let prefix = format!("::{} file=", finding.severity);
        assert!(line.starts_with(&prefix), "{line}");
        assert!(line.starts_with("::error file=") || line.starts_with("::warning file="), "{line}");
    }
    // The comma in the asset path is escaped so GitHub does not split the property there.
    let asset = annotations.iter().find(|l| l.starts_with("::warning") && l.contains("does not exist")).unwrap();
    assert!(asset.contains("/labels/a/a.json,title=Link /assets/image/href::"), "{asset}");
    assert!(asset.contains("a, b.tif does not exist"), "{asset}");
}

// ---------------------------------------------------------------------------
// No network.

/// Runs the binary with a wall-clock guard: a hang (a network fetch that
/// never answers) fails the test instead of blocking it.
fn run_with_guard(args: &[String], guard: Duration) -> Output {
    let mut child = Command::new(stac_ml().get_program())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn stac-ml");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("poll stac-ml").is_some() {
            break;
        }
        if start.elapsed() > guard {
            child.kill().expect("kill stac-ml");
            child.wait().expect("reap stac-ml");
            panic!("stac-ml {args:?} still running after {guard:?}: is it fetching something?");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("collect output");
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

#[test]
fn remote_hrefs_are_reported_never_fetched() {
    let dir = tempdir();
    let root = dataset(dir.path(), &["a"]);
    // 10.255.255.1 is unroutable: a fetch would hang until a timeout.
    edit(&root, "catalog.json", |v| {
        let links = v["links"].as_array_mut().unwrap();
        links.push(json!({"rel": "child", "href": "http://10.255.255.1/child/collection.json"}));
        links.push(json!({"rel": "child", "href": "https://example.invalid/other/catalog.json"}));
    });
    edit(&root, "labels/a/a.json", |v| {
        v["assets"] = json!({
            "image": {"href": "http://10.255.255.1/a.tif"},
            "labels": {"href": "https://example.invalid/a.geojson"}
        });
        v["links"].as_array_mut().unwrap().push(json!({"rel": "source", "href": "http://10.255.255.1/s.json"}));
    });
    let args = ["validate".to_string(), path_str(&root), "--format".into(), "json".into()];
    let output = run_with_guard(&args, Duration::from_secs(20));
    assert_eq!(output.code, 1, "{}", output.stderr);
    let report: Report = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(
        report.summary(&root),
        [row("catalog.json", "error", "link", "/links/2/href"), row("catalog.json", "error", "link", "/links/3/href")]
    );
    assert!(report.findings.iter().all(|f| f.message.contains("is not followed")));
    assert_eq!(report.remote_assets, 2, "both remote assets counted as not checked");
    assert_eq!((report.nodes, report.items), (2, 1));
}

/// True when `unshare -rn` can run a command in a namespace without network.
fn unshare_works() -> Result<(), String> {
    match Command::new("unshare").args(["-rn", "true"]).stderr(Stdio::piped()).output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!("`unshare -rn true` failed: {}", String::from_utf8_lossy(&out.stderr).trim())),
        Err(e) => Err(format!("`unshare` cannot run: {e}")),
    }
}

/// Runs the binary inside `unshare -rn` (a user and network namespace with
/// only a loopback interface, down).
fn run_offline(args: &[String]) -> Output {
    let output =
        Command::new("unshare").arg("-rn").arg(stac_ml().get_program()).args(args).output().expect("run unshare");
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared/testdata beside the checkout")]
fn same_results_without_a_network() {
    if let Err(why) = unshare_works() {
        println!("skipped: {why}");
        return;
    }
    let jaca = testdata("jaca_dataset_stac_labels");
    let pystac = testdata("pystac-test-case-1");
    let q2_input = testdata("jaca_dataset_q2");
    for dir in [&jaca, &pystac, &q2_input] {
        for format in ["text", "json", "github"] {
            let args = ["validate".to_string(), path_str(dir), "--format".into(), format.into()];
            let online = run(&args);
            let offline = run_offline(&args);
            assert_eq!((offline.code, &offline.stdout), (online.code, &online.stdout), "{} {format}", dir.display());
        }
    }
    let tmp = tempdir();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let q2 = |out: &Path| ["q2".to_string(), path_str(&jaca.join("catalog.json")), "-o".into(), path_str(out)];
    let online = run(q2(&a));
    let offline = run_offline(&q2(&b));
    assert_eq!(online.code, 0, "{}", online.stderr);
    assert_eq!(offline.code, online.code, "{}", offline.stderr);
    assert_eq!(offline.stdout.replace(&path_str(&b), "OUT"), online.stdout.replace(&path_str(&a), "OUT"));
    assert_same_tree(&snapshot(&a), &snapshot(&b), "the q2 output written without a network");
}
