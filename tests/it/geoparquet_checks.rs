//! `info` and `validate` on stac-geoparquet: the same dataset as a JSON tree
//! and as a table gives the same overview and the same verdict; every row is
//! validated as the item it represents, and findings name the Parquet file and
//! the item.

use std::path::Path;

use serde_json::{Value, json};

use crate::util::{generate, path_str, read_json, run, tempdir, write_json};

/// `stac-ml validate PATH --format json`: (exit code, report).
fn validate(path: &Path) -> (i32, Value) {
    let output = run(["validate", &path_str(path), "--format", "json"]);
    assert!(!output.stderr.contains("panicked"), "{output:?}");
    (output.code, output.json())
}

/// The report's error findings.
fn errors(report: &Value) -> Vec<&Value> {
    report["findings"].as_array().unwrap().iter().filter(|f| f["severity"] == "error").collect()
}

/// `q2 CATALOG -o PARTS --partition-by split`: one stac-geoparquet file per split.
fn write_partitions(catalog: &Path, parts: &Path) {
    run(["q2", &path_str(catalog), "-o", &path_str(parts), "--output-format", "geoparquet", "--partition-by", "split"])
        .success();
}

/// What of `info --json` does not depend on where the dataset is stored.
fn overview(info: &Value) -> Value {
    let mut info = info.clone();
    info.as_object_mut().unwrap().remove("catalog");
    info
}

#[test]
fn info_reads_geoparquet_like_the_json_tree() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 12, 5, &[]);
    let tree = dir.path().join("out");
    let table = dir.path().join("out.parquet");
    run(["q2", &path_str(&catalog), "-o", &path_str(&tree)]).success();
    run(["q2", &path_str(&catalog), "-o", &path_str(&table)]).success();
    let from_tree = run(["info", &path_str(&tree.join("catalog.json")), "--json"]).success().json();
    let from_table = run(["info", &path_str(&table), "--json"]).success().json();
    // The node paths of a table are the Parquet file.
    assert_eq!(from_table["catalog"], path_str(&std::fs::canonicalize(&table).unwrap()));
    assert_eq!(from_table["quality"], "Q2");
    assert_eq!(from_table["items"], from_tree["items"]);
    assert!(from_table["items"].as_u64().unwrap() >= 24, "{from_table}");
    // Collections (from the file metadata), roles, extents, assets, splits.
    assert_eq!(overview(&from_table), overview(&from_tree));

    // A folder of Parquet files (hive partitions) reads the same.
    let parts = dir.path().join("parts");
    write_partitions(&catalog, &parts);
    let from_parts = run(["info", &path_str(&parts), "--json"]).success().json();
    assert_eq!(from_parts["items"], from_tree["items"]);
    assert_eq!(from_parts["splits"], from_tree["splits"]);
    let text = run(["info", &path_str(&table)]).success().stdout;
    assert!(text.contains(&path_str(&std::fs::canonicalize(&table).unwrap())), "{text}");
}

#[test]
fn validate_geoparquet_written_by_q2() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 12, 5, &[]);
    let table = dir.path().join("out.parquet");
    run(["q2", &path_str(&catalog), "-o", &path_str(&table)]).success();
    let (code, report) = validate(&table);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["errors"], 0, "{report:#}");
    assert_eq!(report["quality"], "Q2");
    let (_, tree) = validate(&catalog);
    assert_eq!(report["items"], tree["items"], "every row is checked as an item");
    // Links are not checked, said once on the input, not per row.
    let links: Vec<&Value> = report["findings"].as_array().unwrap().iter().filter(|f| f["kind"] == "link").collect();
    assert_eq!(links.len(), 1, "{report:#}");
    assert_eq!(links[0]["severity"], "warning");
    assert_eq!(links[0]["path"], path_str(&std::fs::canonicalize(&table).unwrap()));
    assert!(links[0]["message"].as_str().unwrap().contains("not checked"), "{}", links[0]);

    // A folder of partitions, one file per split.
    let parts = dir.path().join("parts");
    write_partitions(&catalog, &parts);
    let (code, report) = validate(&parts);
    assert_eq!((code, &report["errors"]), (0, &json!(0)), "{report:#}");
    assert_eq!(report["items"], tree["items"]);
}

/// One item made invalid (a negative `gsd`, which the core schema forbids):
/// the JSON tree and the same data as stac-geoparquet give the same verdict
/// and the same number of errors; the table's finding names the file and
/// the item.
#[test]
fn validate_gives_the_same_verdict_on_json_and_geoparquet() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 8, 3, &[]);
    let (code, report) = validate(&catalog);
    assert_eq!((code, &report["errors"]), (0, &json!(0)), "the generated catalog is valid: {report:#}");
    let tree = std::fs::read_dir(catalog.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .flat_map(|p| std::fs::read_dir(p).unwrap().map(|e| e.unwrap().path()))
        .find(|p| p.is_dir())
        .expect("an item folder");
    let item_path = std::fs::read_dir(&tree)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"));
    let item_path = item_path.expect("an item file");
    let mut item = read_json(&item_path);
    let id = item["id"].as_str().unwrap().to_string();
    item["properties"]["gsd"] = json!(-10.0);
    write_json(&item_path, &item);

    let table = dir.path().join("bad.parquet");
    run(["split", &path_str(&catalog), "-o", &path_str(&table), "--no-validate"]).success();
    let (tree_code, tree_report) = validate(&catalog);
    let (table_code, table_report) = validate(&table);
    assert_eq!(tree_code, 1, "{tree_report:#}");
    assert_eq!(table_code, 1, "{table_report:#}");
    assert_eq!(tree_report["errors"], table_report["errors"], "{tree_report:#}\n{table_report:#}");
    let found = errors(&table_report);
    assert!(!found.is_empty());
    for finding in found {
        assert_eq!(finding["path"], path_str(&std::fs::canonicalize(&table).unwrap()));
        assert_eq!(finding["object"], json!({"kind": "item", "id": id}), "{finding}");
        assert_eq!(finding["pointer"], "/properties/gsd", "{finding}");
    }
    // The text report names the file and the item.
    let text = run(["validate", &path_str(&table)]);
    assert_eq!(text.code, 1);
    let place = format!("{}: item {id:?}", path_str(&std::fs::canonicalize(&table).unwrap()));
    assert!(text.stdout.lines().any(|l| l == place), "no line {place:?}:\n{}", text.stdout);
    assert!(text.stdout.contains("INVALID"), "{}", text.stdout);
}
