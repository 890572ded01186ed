//! Bad inputs: each gives exit code 2, no panic, and an error that names the
//! offending file or option. The catalogs are built inline in temp dirs.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::util::{generate, path_str, run, split, tempdir, write_json};

fn catalog_json(id: &str, links: Value) -> Value {
    json!({"type": "Catalog", "stac_version": "1.0.0", "id": id, "description": "test", "links": links})
}

fn collection_json(id: &str, links: Value) -> Value {
    json!({
        "type": "Collection", "stac_version": "1.0.0", "id": id, "description": "test", "license": "CC0-1.0",
        "extent": {"spatial": {"bbox": [[0, 0, 1, 1]]}, "temporal": {"interval": [[null, null]]}},
        "links": links,
    })
}

fn label_item_json(id: &str) -> Value {
    json!({
        "type": "Feature", "stac_version": "1.0.0", "id": id,
        "stac_extensions": ["https://stac-extensions.github.io/label/v1.0.1/schema.json"],
        "bbox": [0, 0, 1, 1],
        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]},
        "properties": {
            "datetime": "2020-01-01T00:00:00Z", "label:type": "vector", "label:properties": ["class"],
            "label:tasks": ["classification"], "label:description": "d",
        },
        "links": [], "assets": {},
    })
}

/// root catalog -> `labels` collection -> one item file per (file name, JSON).
fn catalog_with_items(root: &Path, items: &[(&str, Value)]) -> PathBuf {
    let catalog = root.join("catalog.json");
    write_json(&catalog, &catalog_json("root", json!([{"rel": "child", "href": "./labels/collection.json"}])));
    let links: Vec<Value> = items.iter().map(|(file, _)| json!({"rel": "item", "href": format!("./{file}")})).collect();
    write_json(&root.join("labels/collection.json"), &collection_json("labels", json!(links)));
    for (file, item) in items {
        write_json(&root.join("labels").join(file), item);
    }
    catalog
}

/// Runs `split` on `catalog` with output `DIR/out` and returns stderr,
/// asserting exit code 2.
#[track_caller]
fn split_fails(dir: &Path, catalog: &Path, extra: &[&str]) -> String {
    let out = dir.join("out");
    let stderr = split(catalog, &out, extra).usage_error();
    assert!(!out.exists(), "nothing is written on error");
    stderr
}

#[test]
fn missing_catalog_file() {
    let dir = tempdir();
    let catalog = dir.path().join("in/catalog.json");
    let stderr = split_fails(dir.path(), &catalog, &[]);
    assert!(stderr.contains(&format!("error: {}: No such file or directory", catalog.display())), "{stderr}");
}

#[test]
fn malformed_json_names_file_and_line() {
    let dir = tempdir();
    let catalog = catalog_with_items(&dir.path().join("in"), &[("a.json", label_item_json("a"))]);
    let bad = dir.path().join("in/labels/collection.json");
    std::fs::write(&bad, "{\n  \"type\": \"Collection\",\n  \"id\": \"labels\"\n  \"links\": []\n}\n").unwrap();
    let stderr = split_fails(dir.path(), &catalog, &[]);
    assert!(stderr.contains(&format!("{}: malformed JSON", bad.display())), "{stderr}");
    assert!(stderr.contains("line 4"), "{stderr}");
}

#[test]
fn malformed_item_json_names_the_item() {
    let dir = tempdir();
    let catalog = catalog_with_items(&dir.path().join("in"), &[("a.json", label_item_json("a"))]);
    let bad = dir.path().join("in/labels/a.json");
    std::fs::write(&bad, "{\"type\": \"Feature\", \"id\": }").unwrap();
    let stderr = split_fails(dir.path(), &catalog, &[]);
    assert!(stderr.contains(&format!("{}: malformed JSON", bad.display())), "{stderr}");
    assert!(stderr.contains("line 1"), "{stderr}");
}

#[test]
fn item_that_is_a_json_array() {
    let dir = tempdir();
    let catalog = catalog_with_items(&dir.path().join("in"), &[("a.json", json!([1, 2, 3]))]);
    let stderr = split_fails(dir.path(), &catalog, &[]);
    let bad = dir.path().join("in/labels/a.json");
    assert!(stderr.contains(&format!("{}: expected a STAC Item object", bad.display())), "{stderr}");
}

#[test]
fn item_link_to_a_catalog() {
    let dir = tempdir();
    let catalog = catalog_with_items(&dir.path().join("in"), &[("a.json", catalog_json("a", json!([])))]);
    let stderr = split_fails(dir.path(), &catalog, &[]);
    let bad = dir.path().join("in/labels/a.json");
    assert!(
        stderr.contains(&format!(
            "{}: has type \"Catalog\"; an item link must reach a STAC Item (type \"Feature\")",
            bad.display()
        )),
        "{stderr}"
    );
}

#[test]
fn child_link_to_an_item() {
    let dir = tempdir();
    let catalog = dir.path().join("in/catalog.json");
    write_json(&catalog, &catalog_json("root", json!([{"rel": "child", "href": "./x.json"}])));
    write_json(&dir.path().join("in/x.json"), &label_item_json("x"));
    let stderr = split_fails(dir.path(), &catalog, &[]);
    let bad = dir.path().join("in/x.json");
    assert!(stderr.contains(&format!("{}: is a STAC Item", bad.display())), "{stderr}");
}

#[test]
fn broken_child_link_names_the_linking_file() {
    let dir = tempdir();
    let catalog = dir.path().join("in/catalog.json");
    write_json(&catalog, &catalog_json("root", json!([{"rel": "child", "href": "./missing/collection.json"}])));
    let stderr = split_fails(dir.path(), &catalog, &[]);
    let target = dir.path().join("in/missing/collection.json");
    assert!(
        stderr.contains(&format!(
            "{}: broken child link: ./missing/collection.json ({} does not exist)",
            catalog.display(),
            target.display()
        )),
        "{stderr}"
    );
}

#[test]
fn broken_item_link_names_the_item_file() {
    let dir = tempdir();
    let catalog = catalog_with_items(&dir.path().join("in"), &[("a.json", label_item_json("a"))]);
    let collection = dir.path().join("in/labels/collection.json");
    let links = json!([{"rel": "item", "href": "./a.json"}, {"rel": "item", "href": "./gone.json"}]);
    write_json(&collection, &collection_json("labels", links));
    let stderr = split_fails(dir.path(), &catalog, &[]);
    assert!(stderr.contains("gone.json"), "{stderr}");
}

#[test]
fn cyclic_child_link() {
    let dir = tempdir();
    let catalog = dir.path().join("in/catalog.json");
    write_json(&catalog, &catalog_json("root", json!([{"rel": "child", "href": "./child/catalog.json"}])));
    let child = dir.path().join("in/child/catalog.json");
    write_json(&child, &catalog_json("child", json!([{"rel": "child", "href": "../catalog.json"}])));
    let stderr = split_fails(dir.path(), &catalog, &[]);
    assert!(
        stderr.contains(&format!(
            "{}: cyclic child link: ../catalog.json leads back to {}",
            child.display(),
            catalog.display()
        )),
        "{stderr}"
    );
}

#[test]
fn duplicate_item_ids_in_one_collection() {
    let dir = tempdir();
    let catalog = catalog_with_items(
        &dir.path().join("in"),
        &[("a.json", label_item_json("same")), ("b.json", label_item_json("same")), ("c.json", label_item_json("c"))],
    );
    let stderr = split_fails(dir.path(), &catalog, &[]);
    let (a, b) = (dir.path().join("in/labels/a.json"), dir.path().join("in/labels/b.json"));
    assert!(
        stderr.contains(&format!(
            "{}: duplicate item id \"same\" in \"labels\" (also in {})",
            b.display(),
            a.display()
        )),
        "{stderr}"
    );
}

#[test]
fn remote_child_link_is_not_followed() {
    let dir = tempdir();
    let catalog = dir.path().join("in/catalog.json");
    // A reserved, unroutable host: the test passes offline and fails fast if fetched.
    let href = "https://example.invalid/collection.json";
    write_json(&catalog, &catalog_json("root", json!([{"rel": "child", "href": href}])));
    let stderr = split_fails(dir.path(), &catalog, &[]);
    assert!(
        stderr.contains(&format!(
            "{}: remote child link {href} is not followed (stac-ml works offline",
            catalog.display()
        )),
        "{stderr}"
    );
}

#[test]
fn remote_item_link_is_not_followed() {
    let dir = tempdir();
    let catalog = catalog_with_items(&dir.path().join("in"), &[("a.json", label_item_json("a"))]);
    let collection = dir.path().join("in/labels/collection.json");
    let href = "https://example.invalid/item.json";
    let links = json!([{"rel": "item", "href": "./a.json"}, {"rel": "item", "href": href}]);
    write_json(&collection, &collection_json("labels", links));
    let stderr = split_fails(dir.path(), &catalog, &[]);
    assert!(stderr.contains(&format!("{}: remote item link {href} is not followed", collection.display())), "{stderr}");
}

/// A valid generated catalog for option errors; the option is at fault.
fn valid_catalog(dir: &Path) -> PathBuf {
    generate(&dir.join("in"), 10, 1, &[])
}

#[test]
fn ratios_that_do_not_sum() {
    let dir = tempdir();
    let catalog = valid_catalog(dir.path());
    let stderr = split_fails(dir.path(), &catalog, &["--ratios", "80,10", "--names", "a,b"]);
    assert!(
        stderr.contains("--ratios 80,10 sum to 90; give percentages that sum to 100 or fractions that sum to 1"),
        "{stderr}"
    );
    let stderr = split_fails(dir.path(), &catalog, &["--ratios", "0.5,0.2,0.2"]);
    assert!(stderr.contains("--ratios 0.5,0.2,0.2 sum to 0."), "{stderr}");
}

#[test]

fn ratio_sum_is_printed_without_float_noise() {
    let dir = tempdir();
    let catalog = valid_catalog(dir.path());
    let stderr = split_fails(dir.path(), &catalog, &["--ratios", "0.5,0.2,0.2"]);
    assert!(stderr.contains("--ratios 0.5,0.2,0.2 sum to 0.9;"), "{stderr}");
}

#[test]

fn ratios_that_do_not_sum_without_names() {
    let dir = tempdir();
    let catalog = valid_catalog(dir.path());
    let stderr = split_fails(dir.path(), &catalog, &["--ratios", "80,10"]);
    assert!(stderr.contains("sum to 90"), "{stderr}");
}

#[test]
fn ratios_must_be_positive() {
    let dir = tempdir();
    let catalog = valid_catalog(dir.path());
    let stderr = split_fails(dir.path(), &catalog, &["--ratios", "50,50,0"]);
    assert!(stderr.contains("error: --ratios: 0 is not a positive number"), "{stderr}");
    let stderr = split_fails(dir.path(), &catalog, &["--ratios", "120,-10,-10"]);
    assert!(stderr.contains("is not a positive number"), "{stderr}");
}

#[test]
fn two_ratios_need_names() {
    let dir = tempdir();
    let catalog = valid_catalog(dir.path());
    let stderr = split_fails(dir.path(), &catalog, &["--ratios", "60,40"]);
    assert!(stderr.contains("2 ratios given; name the splits with --names"), "{stderr}");
    let stderr = split_fails(dir.path(), &catalog, &["--ratios", "60,40", "--names", "a,b,c"]);
    assert!(stderr.contains("3 split names (a,b,c) for 2 ratios"), "{stderr}");
    let stderr = split_fails(dir.path(), &catalog, &["--ratios", "60,40", "--names", "a,a"]);
    assert!(stderr.contains("--names: \"a\" is given twice"), "{stderr}");
}

#[test]
fn unknown_collection_lists_the_available_ids() {
    let dir = tempdir();
    let catalog = valid_catalog(dir.path());
    let stderr = split_fails(dir.path(), &catalog, &["--collection", "nope"]);
    assert!(
        stderr.contains(&format!("unknown collection \"nope\" in {}; available: source, labels", catalog.display())),
        "{stderr}"
    );
}

#[test]
fn bad_enum_values() {
    let dir = tempdir();
    let catalog = valid_catalog(dir.path());
    let stderr = split_fails(dir.path(), &catalog, &["--annotations-type", "polygons"]);
    assert!(stderr.contains("error: --annotations-type: \"polygons\" is not one of: raster, vector"), "{stderr}");
    let stderr = split_fails(dir.path(), &catalog, &["--tasks", "segmentation,counting"]);
    assert!(stderr.contains("--tasks: \"counting\" is not one of:"), "{stderr}");
    let stderr = split_fails(dir.path(), &catalog, &["--type", "final"]);
    assert!(stderr.contains("--type: \"final\" is not one of:"), "{stderr}");
}

#[test]
fn clap_errors_exit_2() {
    let output = run(["split", "--no-such-flag"]);
    assert_eq!(output.code, 2, "{output:?}");
    assert!(!output.stderr.contains("panicked"));
    let dir = tempdir();
    let catalog = valid_catalog(dir.path());
    let out = dir.path().join("out");
    let output = run(["split", &path_str(&catalog), "-o", &path_str(&out), "--format", "csv"]);
    assert_eq!(output.code, 2, "{output:?}");
    assert!(output.stderr.contains("invalid value 'csv' for '--format"), "{}", output.stderr);
}

#[test]
fn catalog_path_that_is_a_folder() {
    let dir = tempdir();
    let catalog = valid_catalog(dir.path());
    let stderr = split_fails(dir.path(), catalog.parent().unwrap(), &[]);
    assert!(stderr.contains("is a folder; give the path of its catalog.json"), "{stderr}");
}

/// Library errors name settings; the CLI words them with its flags. Every
/// mapped wording, as the whole of stderr.
#[test]
fn setting_errors_name_their_flags() {
    let dir = tempdir();
    let catalog = valid_catalog(dir.path());
    let missing = dir.path().join("none.json");
    let mut unknown_tasks = label_item_json("a");
    unknown_tasks["properties"]["label:tasks"] = json!(["regression"]);
    let no_tasks = catalog_with_items(&dir.path().join("no-tasks"), &[("a.json", unknown_tasks)]);
    let cases: Vec<(&Path, Vec<&str>, String)> = vec![
        (&catalog, vec!["--block-size", "1"], "--block-size needs --strategy spatial".into()),
        (
            &catalog,
            vec!["--ratios", "50,50"],
            "2 ratios given; name the splits with --names (the default names are for 3 splits)".into(),
        ),
        (
            &catalog,
            vec!["--keep-from", missing.to_str().unwrap()],
            format!("reading --keep-from catalog {0}: {0}: No such file or directory (os error 2)", missing.display()),
        ),
        (
            &catalog,
            vec!["--keep-from", catalog.to_str().unwrap()],
            format!("{}: --keep-from catalog has no item with ml-dataset:split", catalog.display()),
        ),
        (
            &catalog,
            vec!["--format", "ml-aoi", "--names", "a,b,c"],
            "split \"a\" has no ml-aoi equivalent (train, validate, test); use --format ml-dataset or rename the split"
                .into(),
        ),
        (
            &catalog,
            vec!["--inputs-type", "sound"],
            "--inputs-type: \"sound\" is not one of: text, image, satellite imagery, video".into(),
        ),
        (&no_tasks, vec![], "--tasks is required: the catalog's label items name no known label:tasks".into()),
    ];
    for (input, extra, expected) in cases {
        let stderr = split_fails(dir.path(), input, &extra);
        assert_eq!(stderr, format!("error: {expected}\n"), "{extra:?}");
    }
    let out = dir.path().join("g");
    for (extra, expected) in [
        (["--classes", "0"], "--classes must be at least 1"),
        (["--overlap", "2"], "--overlap must be between 0 and 1, got 2"),
    ] {
        let stderr = run(["generate", "-o", &path_str(&out), extra[0], extra[1]]).usage_error();
        assert_eq!(stderr, format!("error: {expected}\n"), "{extra:?}");
    }
}
