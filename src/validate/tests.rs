//! Validation of small catalogs written to temporary folders: one test per
//! class of finding, plus a generated catalog that must pass.

use std::path::Path;

use serde_json::json;

use super::fixtures::{self, catalog, collection, item, write};
use super::*;
use crate::ml_dataset::ML_DATASET_EXTENSION;

/// A valid catalog with one collection and the given items; returns the folder.
fn dataset(items: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fixtures::dataset(dir.path(), items);
    dir
}

fn run(dir: &Path) -> Report {
    validate_path(dir, &Options::default()).unwrap()
}

fn eotdl(dir: &Path) -> Report {
    validate_path(dir, &Options { profile: Profile::Eotdl, ..Options::default() }).unwrap()
}

fn strict(dir: &Path) -> Report {
    validate_path(dir, &Options { strict: true, ..Options::default() }).unwrap()
}

/// (file relative to `dir`, severity, kind, pointer) of every finding.
fn summary(dir: &Path, report: &Report) -> Vec<(String, Severity, Kind, String)> {
    let dir = std::fs::canonicalize(dir).unwrap();
    report
        .findings
        .iter()
        .map(|f| {
            let path = f.path.strip_prefix(&dir).unwrap_or(&f.path).display().to_string();
            (path, f.severity, f.kind, f.pointer.clone().unwrap_or_default())
        })
        .collect()
}

fn only(report: &Report) -> &Finding {
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    &report.findings[0]
}

#[test]
fn a_valid_catalog_has_no_findings() {
    let dir = dataset(&["a", "b"]);
    let report = run(dir.path());
    assert_eq!(report.findings, Vec::new());
    assert_eq!((report.errors, report.warnings, report.nodes, report.items), (0, 0, 2, 2));
    assert_eq!(report.quality, Some(Quality::Q1));
    assert!(report.is_valid());
    // A folder and its catalog.json are the same thing.
    let same = run(&dir.path().join("catalog.json"));
    assert_eq!(same.findings, report.findings);
    assert_eq!(same.root, std::fs::canonicalize(dir.path().join("catalog.json")).unwrap());
}

#[test]
fn schema_errors_carry_the_json_pointer() {
    let dir = dataset(&["a"]);
    let mut bad = item("a");
    bad["properties"]["datetime"] = json!("2020-13-01T00:00:00Z");
    write(dir.path(), "labels/a/a.json", &bad);
    let report = run(dir.path());
    let finding = only(&report);
    assert_eq!(finding.kind, Kind::Schema);
    // A format alone: the official validators accept it, so a warning.
    assert_eq!(finding.severity, Severity::Warning);
    assert_eq!(finding.pointer.as_deref(), Some("/properties/datetime"));
    assert_eq!(finding.schema.as_deref(), Some(schemas::core_url(ObjectKind::Item, "1.1.0").as_str()));
    assert!(
        finding.message.contains("date-time")
            && finding.message.ends_with("(STAC 1.1.0 item schema; a format the official validators do not assert)"),
        "{}",
        finding.message
    );
    assert!(finding.path.ends_with("labels/a/a.json"));
    assert!(report.is_valid());
    assert!(!strict(dir.path()).is_valid());
}

#[test]
fn a_missing_required_field_points_at_the_field() {
    let dir = dataset(&["a"]);
    let mut bad = item("a");
    bad["properties"].as_object_mut().unwrap().remove("datetime");
    write(dir.path(), "labels/a/a.json", &bad);
    let report = run(dir.path());
    assert!(report.errors >= 1);
    assert!(
        report.findings.iter().all(|f| {
            let field = f.message.split('"').nth(1).unwrap_or_default();
            f.kind == Kind::Schema && f.pointer.as_deref() == Some(format!("/properties/{field}").as_str())
        }),
        "{:#?}",
        report.findings
    );
}

#[test]
fn broken_child_and_item_links() {
    let dir = dataset(&["a", "b"]);
    std::fs::remove_file(dir.path().join("labels/b/b.json")).unwrap();
    let mut root = catalog("my-dataset");
    root["links"].as_array_mut().unwrap().push(json!({"rel": "child", "href": "./missing/collection.json"}));
    write(dir.path(), "catalog.json", &root);
    let report = run(dir.path());
    assert_eq!(
        summary(dir.path(), &report),
        vec![
            ("catalog.json".into(), Severity::Error, Kind::Link, "/links/2/href".into()),
            ("labels/collection.json".into(), Severity::Error, Kind::Link, "/links/3/href".into()),
        ]
    );
    assert!(
        report.findings[0].message.starts_with("child link ./missing/collection.json: "),
        "{}",
        report.findings[0].message
    );
    assert!(
        report.findings[1].message.contains("labels/b/b.json, which does not exist"),
        "{}",
        report.findings[1].message
    );
    assert_eq!(report.items, 1, "the remaining item is still checked");
}

#[test]
fn wrong_root_and_parent_links() {
    let dir = dataset(&["a"]);
    let mut bad = item("a");
    bad["links"][0]["href"] = json!("../collection.json");
    bad["links"][1]["href"] = json!("../../catalog.json");
    write(dir.path(), "labels/a/a.json", &bad);
    let report = run(dir.path());
    assert_eq!(
        summary(dir.path(), &report),
        vec![
            ("labels/a/a.json".into(), Severity::Error, Kind::Link, "/links/0/href".into()),
            ("labels/a/a.json".into(), Severity::Error, Kind::Link, "/links/1/href".into()),
        ]
    );
    assert!(report.findings[0].message.contains("which is not the root catalog"), "{}", report.findings[0].message);
    assert!(
        report.findings[1].message.contains("which is not the file that links this object"),
        "{}",
        report.findings[1].message
    );
}

#[test]
fn collection_field_must_name_the_linking_collection() {
    let dir = dataset(&["a"]);
    let mut bad = item("a");
    bad["collection"] = json!("other");
    write(dir.path(), "labels/a/a.json", &bad);
    let report = run(dir.path());
    let finding = only(&report);
    assert_eq!((finding.kind, finding.pointer.as_deref()), (Kind::Link, Some("/collection")));
    assert_eq!(finding.message, "\"collection\" is \"other\", but the item is linked from collection \"labels\"");
}

#[test]
fn duplicate_ids_in_a_collection() {
    let dir = dataset(&["a", "b"]);
    write(dir.path(), "labels/b/b.json", &item("a"));
    let report = run(dir.path());
    let finding = only(&report);
    assert_eq!((finding.kind, finding.pointer.as_deref()), (Kind::Link, Some("/id")));
    assert!(finding.path.ends_with("labels/b/b.json"));
    assert!(finding.message.starts_with("duplicate item id \"a\" in \"labels\" (also "), "{}", finding.message);
}

#[test]
fn remote_structural_links_are_errors_and_never_fetched() {
    let dir = dataset(&["a"]);
    let mut root = catalog("my-dataset");
    root["links"].as_array_mut().unwrap().push(json!({"rel": "child", "href": "https://example.com/c.json"}));
    root["links"].as_array_mut().unwrap().push(json!({"rel": "self", "href": "https://example.com/catalog.json"}));
    write(dir.path(), "catalog.json", &root);
    let report = run(dir.path());
    let finding = only(&report);
    assert_eq!((finding.kind, finding.pointer.as_deref()), (Kind::Link, Some("/links/2/href")));
    assert!(finding.message.contains("is not followed (stac-ml works offline"), "{}", finding.message);
}

#[test]
fn cycles_are_reported_not_followed() {
    let dir = dataset(&["a"]);
    let mut labels = collection(&["a"]);
    labels["links"].as_array_mut().unwrap().push(json!({"rel": "child", "href": "../catalog.json"}));
    write(dir.path(), "labels/collection.json", &labels);
    let report = run(dir.path());
    let finding = only(&report);
    assert_eq!((finding.kind, finding.pointer.as_deref()), (Kind::Link, Some("/links/3/href")));
    assert!(finding.message.contains("making a cycle"), "{}", finding.message);
}

#[test]
fn child_link_to_an_item_and_item_link_to_a_catalog() {
    let dir = dataset(&["a"]);
    let mut root = catalog("my-dataset");
    root["links"].as_array_mut().unwrap().push(json!({"rel": "child", "href": "./labels/a/a.json"}));
    root["links"].as_array_mut().unwrap().push(json!({"rel": "item", "href": "./labels/collection.json"}));
    write(dir.path(), "catalog.json", &root);
    let report = run(dir.path());
    assert_eq!(
        summary(dir.path(), &report),
        vec![
            ("catalog.json".into(), Severity::Error, Kind::Link, "/links/2/href".into()),
            ("labels/collection.json".into(), Severity::Error, Kind::Link, "/type".into()),
        ]
    );
}

#[test]
fn assets_missing_locally_warn_and_remote_ones_are_counted() {
    let dir = dataset(&["a"]);
    let mut with_assets = item("a");
    with_assets["assets"] = json!({
        "image": {"href": "./a.tif"},
        "remote": {"href": "https://example.com/a.tif"},
        "present": {"href": "../collection.json"}
    });
    write(dir.path(), "labels/a/a.json", &with_assets);
    let report = run(dir.path());
    let finding = only(&report);
    assert_eq!(
        (finding.severity, finding.kind, finding.pointer.as_deref()),
        (Severity::Warning, Kind::Link, Some("/assets/image/href"))
    );
    assert_eq!(report.remote_assets, 1);
    assert!(report.is_valid());
    let report = strict(dir.path());
    assert_eq!(only(&report).severity, Severity::Error);
}

#[test]
fn malformed_json_is_reported_with_its_file() {
    let dir = dataset(&["a", "b"]);
    std::fs::write(dir.path().join("labels/b/b.json"), "{\"type\": \"Feature\",").unwrap();
    let report = run(dir.path());
    let finding = only(&report);
    assert_eq!((finding.kind, finding.severity), (Kind::Json, Severity::Error));
    assert!(finding.path.ends_with("labels/b/b.json"));
    assert!(finding.message.starts_with("malformed JSON: "), "{}", finding.message);
    // A malformed root is a finding too, not an error of the call.
    std::fs::write(dir.path().join("catalog.json"), "[").unwrap();
    assert_eq!(only(&run(dir.path())).kind, Kind::Json);
}

#[test]
fn unknown_extensions_warn_and_strict_mode_makes_them_errors() {
    let dir = dataset(&["a", "b"]);
    for id in ["a", "b"] {
        let mut extended = item(id);
        extended["stac_extensions"] =
            json!(["https://stac-extensions.github.io/sat/v1.0.0/schema.json", "../schema/v1.0.0/projection.json"]);
        write(dir.path(), &format!("labels/{id}/{id}.json"), &extended);
    }
    let report = run(dir.path());
    // A relative href also breaks the core schema's `format: iri` on
    // `stac_extensions` entries: a warning, as formats are not asserted.
    assert_eq!(
        summary(dir.path(), &report),
        vec![
            ("labels/a/a.json".into(), Severity::Warning, Kind::Extension, "/stac_extensions/0".into()),
            ("labels/a/a.json".into(), Severity::Warning, Kind::Schema, "/stac_extensions/1".into()),
            ("labels/a/a.json".into(), Severity::Warning, Kind::Extension, "/stac_extensions/1".into()),
            ("labels/b/b.json".into(), Severity::Warning, Kind::Schema, "/stac_extensions/1".into()),
        ]
    );
    assert_eq!(
        report.findings[1].message,
        "\"../schema/v1.0.0/projection.json\" is not a \"iri\" (STAC 1.1.0 item schema; a format the official validators do not assert)"
    );
    assert_eq!(
        report.findings[0].message,
        "extension https://stac-extensions.github.io/sat/v1.0.0/schema.json not checked: no bundled schema \
         (give one with --schema URL=PATH) (2 objects like this)"
    );
    assert!(report.findings[2].message.contains("relative or local extension hrefs are not resolved"));
    assert_eq!(report.errors, 0);
    let report = strict(dir.path());
    assert_eq!(report.errors, 4);
    assert!(report.findings.iter().all(|f| f.severity == Severity::Error));
}

#[test]
fn extra_schemas_check_extensions_otherwise_unknown() {
    let dir = dataset(&["a"]);
    let url = "https://example.com/my-ext/v1.0.0/schema.json";
    let mut extended = item("a");
    extended["stac_extensions"] = json!([url]);
    write(dir.path(), "labels/a/a.json", &extended);
    let schema = write(
        dir.path(),
        "my-ext.json",
        &json!({"type": "object", "required": ["properties"], "properties": {"properties": {"required": ["my:field"]}}}),
    );
    let options = Options { schemas: vec![(url.into(), schema)], ..Options::default() };
    let report = validate_path(dir.path(), &options).unwrap();
    let finding = only(&report);
    assert_eq!(
        (finding.kind, finding.pointer.as_deref(), finding.schema.as_deref()),
        (Kind::Schema, Some("/properties/my:field"), Some(url))
    );
}

#[test]
fn stac_versions_without_bundled_schemas_are_not_checked() {
    let dir = dataset(&["a"]);
    let mut old = item("a");
    old["stac_version"] = json!("1.0.0-rc.2");
    write(dir.path(), "labels/a/a.json", &old);
    let report = run(dir.path());
    let finding = only(&report);
    assert_eq!(
        (finding.severity, finding.kind, finding.pointer.as_deref()),
        (Severity::Warning, Kind::Schema, Some("/stac_version"))
    );
    assert_eq!(finding.message, "not checked: no bundled schema for STAC 1.0.0-rc.2");
    assert_eq!(only(&strict(dir.path())).severity, Severity::Error);
}

#[test]
fn fields_of_an_unlisted_extension_warn() {
    let dir = dataset(&["a"]);
    let mut labelled = item("a");
    labelled["properties"]["label:type"] = json!("vector");
    write(dir.path(), "labels/a/a.json", &labelled);
    let finding = only(&run(dir.path())).clone();
    assert_eq!((finding.severity, finding.kind), (Severity::Warning, Kind::Extension));
    assert_eq!(finding.pointer.as_deref(), Some("/properties/label:type"));
    assert!(finding.message.contains("does not list the label extension"), "{}", finding.message);
}

#[test]
fn dataset_name_rule() {
    for (name, ok) in
        [("ab", false), ("abc", true), (&"a".repeat(45)[..], true), (&"a".repeat(46)[..], false), ("my_data", false)]
    {
        let dir = dataset(&["a"]);
        write(dir.path(), "catalog.json", &catalog(name));
        let report = eotdl(dir.path());
        if ok {
            assert_eq!(report.findings, Vec::new(), "{name}");
        } else {
            let finding = only(&report);
            assert_eq!((finding.kind, finding.pointer.as_deref()), (Kind::Ingest, Some("/id")), "{name}");
            assert!(finding.message.contains("3-45 characters of letters, digits and dashes"), "{}", finding.message);
        }
    }
}

/// A Q2 dataset: ML-Dataset fields on the root, the collection and the items.
fn q2_dataset(split_key: &str) -> tempfile::TempDir {
    let dir = dataset(&["a", "b"]);
    let mut root = catalog("my-dataset");
    let fields = root.as_object_mut().unwrap();
    fields.insert("stac_extensions".into(), json!([ML_DATASET_EXTENSION]));
    fields.insert("ml-dataset:name".into(), json!("my-q2-dataset"));
    fields.insert("ml-dataset:tasks".into(), json!(["segmentation"]));
    fields.insert("ml-dataset:inputs-type".into(), json!(["satellite imagery"]));
    fields.insert("ml-dataset:annotations-type".into(), json!("vector"));
    fields.insert("ml-dataset:version".into(), json!("0.1.0"));
    fields.insert("ml-dataset:splits".into(), json!(["Training", "Test"]));
    write(dir.path(), "catalog.json", &root);
    let mut labels = collection(&["a", "b"]);
    labels["stac_extensions"] = json!([ML_DATASET_EXTENSION]);
    labels["ml-dataset:split-items"] = json!([{"name": "Training", "items": ["a"]}, {"name": "Test", "items": ["b"]}]);
    write(dir.path(), "labels/collection.json", &labels);
    for (id, split) in [("a", "Training"), ("b", "Test")] {
        let mut q2 = item(id);
        q2["stac_extensions"] = json!([ML_DATASET_EXTENSION]);
        q2["properties"][split_key] = json!(split);
        write(dir.path(), &format!("labels/{id}/{id}.json"), &q2);
    }
    dir
}

#[test]
fn ml_dataset_items_are_validated_against_the_intended_key() {
    let dir = q2_dataset("ml-dataset:split");
    let report = run(dir.path());
    assert_eq!(report.findings, Vec::new());
    assert_eq!(report.quality, Some(Quality::Q2));
    // The official schema's key (with a leading space) alone does not pass.
    let dir = q2_dataset(" ml-dataset:split");
    let report = run(dir.path());
    assert_eq!(report.errors, 2, "{:#?}", report.findings);
    assert!(report.findings.iter().all(|f| f.schema.as_deref() == Some(ML_DATASET_EXTENSION)));
    assert!(
        report.findings[0].message.contains("\"ml-dataset:split\" is a required property"),
        "{}",
        report.findings[0].message
    );
}

#[test]
fn q0_metadata_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("metadata.yml"), "name: my-dataset\nauthors:\n  - Ada\nlicense: MIT\n").unwrap();
    let report = eotdl(dir.path());
    assert_eq!(report.quality, Some(Quality::Q0));
    let finding = only(&report);
    assert_eq!((finding.kind, finding.severity), (Kind::Ingest, Severity::Error));
    assert!(finding.message.starts_with("missing required key \"source\""), "{}", finding.message);
    std::fs::remove_file(dir.path().join("metadata.yml")).unwrap();
    let err = validate_path(dir.path(), &Options::default()).unwrap_err().to_string();
    assert!(
        err.ends_with(
            "holds neither catalog.json (a Q1/Q2 dataset), nor metadata.yml (Q0), nor .parquet files (stac-geoparquet)"
        ),
        "{err}"
    );
    let missing = dir.path().join("nope");
    let err = validate_path(&missing, &Options::default()).unwrap_err().to_string();
    assert!(err.starts_with(&missing.display().to_string()), "{err}");
}

#[test]
fn a_lone_item_can_be_validated() {
    let dir = dataset(&["a"]);
    let report = run(&dir.path().join("labels/a/a.json"));
    assert_eq!(report.findings, Vec::new());
    assert_eq!((report.quality, report.items, report.nodes), (None, 1, 0));
}

#[test]
fn limits_keep_the_first_findings_and_count_the_rest() {
    let ids: Vec<String> = (0..30).map(|i| format!("i{i:02}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let dir = dataset(&refs);
    for id in &refs {
        let mut bad = item(id);
        bad["bbox"] = json!("nope");
        bad["properties"]["datetime"] = json!("yesterday");
        bad["links"][0]["href"] = json!("../root.json");
        write(dir.path(), &format!("labels/{id}/{id}.json"), &bad);
    }
    let full = run(dir.path());
    assert_eq!(full.omitted, 0);
    let errors_per_item = full.errors / 30;
    assert!(errors_per_item >= 3, "{:#?}", full.findings);
    let options = Options { max_findings_per_file: 2, max_findings: 25, ..Options::default() };
    let first = validate_path(dir.path(), &options).unwrap();
    let again = validate_path(dir.path(), &options).unwrap();
    assert_eq!(first.findings, again.findings);
    assert_eq!(first.findings.len(), 25);
    assert_eq!(first.errors, full.errors, "every finding is counted");
    assert_eq!(first.warnings, full.warnings, "every finding is counted");
    assert_eq!(first.omitted, full.errors + full.warnings - 25);
    // Two per file, in sort order, from the first files in path order.
    assert_eq!(first.findings[..2], full.findings[..2]);
    assert!(first.findings[2].path.ends_with("i01/i01.json"), "{:?}", first.findings[2].path);
    let mut sorted = first.findings.clone();
    sorted.sort();
    assert_eq!(sorted, first.findings);
}

#[test]
fn a_generated_catalog_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("generated");
    crate::generate::generate(&crate::generate::GenerateOptions {
        out: out.clone(),
        pairs: 20,
        classes: 3,
        dup_rate: 0.0,
        overlap: 0.0,
        seed: 1,
        footprints: None,
        geoparquet: false,
    })
    .unwrap();
    let report = run(&out);
    assert_eq!(report.errors, 0, "{:#?}", report.findings);
    assert_eq!((report.nodes, report.items), (3, 40));
    // The image assets of the source items dangle on purpose.
    assert_eq!(report.warnings, 20);
    assert!(
        report.findings.iter().all(|f| f.kind == Kind::Link && f.pointer.as_deref() == Some("/assets/image/href")),
        "{:#?}",
        report.findings
    );
    let report = strict(&out);
    assert_eq!((report.errors, report.warnings), (20, 0));
}

/// Throughput on a generated catalog: `cargo test --lib validate::tests::throughput -- --ignored --nocapture`
/// (pairs from `STAC_ML_PAIRS`, default 5000).
#[test]
#[ignore = "a measurement, not a check"]
fn throughput() {
    let pairs = std::env::var("STAC_ML_PAIRS").ok().and_then(|p| p.parse().ok()).unwrap_or(5000);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("generated");
    let options = crate::generate::GenerateOptions {
        out: out.clone(),
        pairs,
        classes: 3,
        dup_rate: 0.1,
        overlap: 0.1,
        seed: 1,
        footprints: None,
        geoparquet: false,
    };
    crate::generate::generate(&options).unwrap();
    let start = std::time::Instant::now();
    let schemas = SchemaSet::bundled().unwrap();
    let built = start.elapsed();
    let report = validate_path_with(&out, &Options::default(), &schemas).unwrap();
    let total = start.elapsed();
    assert_eq!(report.errors, 0);
    println!(
        "{} items + {} nodes in {:.2?} (schema set {:.2?}): {:.0} items/s, {} threads",
        report.items,
        report.nodes,
        total,
        built,
        report.items as f64 / total.as_secs_f64(),
        rayon::current_num_threads()
    );
}
