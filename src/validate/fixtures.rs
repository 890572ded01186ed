//! Small valid catalogs for validation tests, shared by the unit tests
//! (`src/validate/tests.rs`) and the integration tests (`tests/it/validate.rs`
//! includes this file with `#[path]`), so both build the same fixtures from
//! one source: a catalog, one `labels` collection, and one item per id.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// Writes `value` as pretty JSON to `relative` under `dir`, creating folders.
pub fn write(dir: &Path, relative: &str, value: &Value) -> PathBuf {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    path
}

/// The root catalog, linking `labels/collection.json`.
pub fn catalog(id: &str) -> Value {
    json!({
        "type": "Catalog", "stac_version": "1.1.0", "id": id, "description": "A test dataset",
        "links": [
            {"rel": "root", "href": "./catalog.json"},
            {"rel": "child", "href": "./labels/collection.json"}
        ]
    })
}

/// The `labels` collection, linking `./{id}/{id}.json` for each item id.
pub fn collection(items: &[&str]) -> Value {
    let mut links =
        vec![json!({"rel": "root", "href": "../catalog.json"}), json!({"rel": "parent", "href": "../catalog.json"})];
    links.extend(items.iter().map(|i| json!({"rel": "item", "href": format!("./{i}/{i}.json")})));
    json!({
        "type": "Collection", "stac_version": "1.1.0", "id": "labels", "description": "Labels",
        "license": "CC-BY-4.0",
        "extent": {
            "spatial": {"bbox": [[0, 0, 1, 1]]},
            "temporal": {"interval": [["2020-01-01T00:00:00Z", null]]}
        },
        "links": links
    })
}

/// A valid item of the `labels` collection.
pub fn item(id: &str) -> Value {
    json!({
        "type": "Feature", "stac_version": "1.1.0", "id": id, "collection": "labels",
        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]},
        "bbox": [0, 0, 1, 1],
        "properties": {"datetime": "2020-01-01T00:00:00Z"},
        "links": [
            {"rel": "root", "href": "../../catalog.json"},
            {"rel": "parent", "href": "../collection.json"},
            {"rel": "collection", "href": "../collection.json"}
        ],
        "assets": {}
    })
}

/// Writes a valid catalog `my-dataset` into `root` with one collection
/// holding `items`; returns `root` canonicalised, as findings name files.
pub fn dataset(root: &Path, items: &[&str]) -> PathBuf {
    write(root, "catalog.json", &catalog("my-dataset"));
    write(root, "labels/collection.json", &collection(items));
    for id in items {
        write(root, &format!("labels/{id}/{id}.json"), &item(id));
    }
    root.canonicalize().unwrap()
}
