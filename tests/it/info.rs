//! `stac-ml info`: collections and their roles, quality level, splits and
//! asset statistics, checked against what the files say.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::metrics::{entry, generate_summary};
use crate::util::{input_items, path_str, read_json, resolve, run, tempdir, testdata};

/// `stac-ml info CATALOG --json`, which must succeed.
#[track_caller]
fn info(catalog: &Path) -> Value {
    run(["info".to_string(), path_str(catalog), "--json".into()]).success().json()
}

/// The collection entry with this id.
#[track_caller]
fn collection<'a>(info: &'a Value, id: &str) -> &'a Value {
    let found: Vec<&Value> = info["collections"].as_array().unwrap().iter().filter(|c| c["id"] == id).collect();
    assert_eq!(found.len(), 1, "collections with id {id}");
    found[0]
}

/// (local files, their bytes, missing local files, remote hrefs) of the
/// assets of the items under `catalog` whose file lies in `folder`,
/// measured by the test itself.
fn asset_stats(catalog: &Path, folder: &str) -> (u64, u64, u64, u64) {
    let root = catalog.parent().unwrap().join(folder);
    let (mut files, mut bytes, mut missing, mut remote) = (0, 0, 0, 0);
    for path in input_items(catalog).into_values().filter(|p| p.starts_with(&root)) {
        for asset in read_json(&path)["assets"].as_object().unwrap().values() {
            let href = asset["href"].as_str().unwrap();
            if href.contains("://") {
                remote += 1;
            } else if let Ok(meta) = std::fs::metadata(resolve(&path, href)) {
                files += 1;
                bytes += meta.len();
            } else {
                missing += 1;
            }
        }
    }
    (files, bytes, missing, remote)
}

fn stats(value: &Value) -> (u64, u64, u64, u64) {
    let get = |k: &str| value["assets"][k].as_u64().unwrap();
    (get("files"), get("bytes"), get("missing"), get("remote"))
}

#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared/testdata beside the checkout")]
fn eurosat_small_collections_and_roles() {
    let dir = testdata("EuroSAT-small-STAC");
    let catalog = dir.join("catalog.json");
    let info = info(&catalog);
    assert_eq!(info["id"], "EuroSAT-Q1-small");
    assert_eq!(info["catalog"], path_str(&catalog));
    assert_eq!(info["quality"], "Q1");
    assert_eq!(info["items"], 200);
    assert_eq!(info["labels"], json!(["labels"]));
    assert_eq!(info["source_imagery"], json!(["source"]));
    assert_eq!(info["splits"], json!([]));
    let ids: Vec<&str> = info["collections"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["source", "labels"]);

    let source = collection(&info, "source");
    assert_eq!(source["kind"], "Collection");
    assert_eq!(source["roles"], json!(["source_imagery"]));
    assert_eq!((source["items"].as_u64(), source["label_items"].as_u64()), (Some(100), Some(0)));
    assert_eq!(source["extensions"], json!([]));
    let labels = collection(&info, "labels");
    assert_eq!(labels["roles"], json!(["labels"]));
    assert_eq!((labels["items"].as_u64(), labels["label_items"].as_u64()), (Some(100), Some(100)));
    assert_eq!(labels["extensions"], json!(["https://stac-extensions.github.io/label/v1.0.1/schema.json"]));
    assert_eq!(labels["temporal"], json!(["2000-01-01T00:00:00Z", "2000-01-01T00:00:00Z"]));

    // Imagery is not in ../shared; the label GeoJSONs are.
    assert_eq!(stats(source), asset_stats(&catalog, "source"));
    assert_eq!(stats(source), (0, 0, 100, 0));
    let (files, bytes, missing, remote) = asset_stats(&catalog, "labels");
    assert_eq!((files, missing, remote), (100, 0, 0));
    assert!(bytes > 0);
    assert_eq!(stats(labels), (files, bytes, missing, remote));
}

#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared/testdata beside the checkout")]
fn jaca_q2_quality_and_splits_as_the_files_say() {
    let dir = testdata("jaca_dataset_q2");
    let catalog = dir.join("catalog.json");
    let info = info(&catalog);
    assert_eq!(info["quality"], "Q2");
    assert_eq!(info["labels"], json!(["labels"]));
    assert_eq!(info["source_imagery"], json!(["sentinel-2-l2a"]));
    // EOTDL links every item twice; each is counted once.
    assert_eq!(info["items"], 8);

    // Recount ml-dataset:split over the items, in the root's split order.
    let root = read_json(&catalog);
    let names: Vec<String> =
        root["ml-dataset:splits"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect();
    assert_eq!(names, ["Training", "Validation", "Test"]);
    let mut counts: BTreeMap<String, u64> = names.iter().map(|n| (n.clone(), 0)).collect();
    for path in input_items(&catalog).values() {
        if let Some(split) = read_json(path)["properties"]["ml-dataset:split"].as_str() {
            *counts.get_mut(split).expect("a split the root names") += 1;
        }
    }
    let expected: Vec<Value> = names.iter().map(|n| json!({"name": n, "items": counts[n]})).collect();
    assert_eq!(info["splits"], json!(expected));
    // EOTDL's output dropped Jaca_3: three items in Training, none elsewhere.
    assert_eq!(
        info["splits"],
        json!([{"name": "Training", "items": 3}, {"name": "Validation", "items": 0}, {"name": "Test", "items": 0}])
    );
}

#[test]
fn a_q2_output_reports_its_splits_and_assets() {
    let dir = tempdir();
    let input = dir.path().join("gen");
    let pairs = 120;
    generate_summary(&input, pairs, 3, &["--dup-rate", "0.05", "--overlap", "0.05"]);

    // The generated catalog: .tif hrefs point nowhere, .geojson files exist.
    let before = info(&input.join("catalog.json"));
    assert_eq!(before["quality"], "Q1");
    assert_eq!(before["splits"], json!([]));
    let source = collection(&before, "source");
    assert_eq!(stats(source), (0, 0, pairs as u64, 0));
    let labels = collection(&before, "labels");
    let (files, bytes, missing, remote) = stats(labels);
    assert_eq!((files, missing, remote), (pairs as u64, 0, 0));
    assert!(bytes > 0);
    assert_eq!(stats(labels), asset_stats(&input.join("catalog.json"), "labels"));

    let out = dir.path().join("q2");
    let summary =
        run(["q2".to_string(), path_str(&input.join("catalog.json")), "-o".into(), path_str(&out), "--json".into()])
            .success()
            .json();
    let after = info(&out.join("catalog.json"));
    assert_eq!(after["quality"], "Q2");
    assert_eq!(after["items"], 2 * pairs);
    // info counts every item with a split: each label item of the summary
    // and the source item that follows it.
    let expected: Vec<Value> = summary["splits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| json!({"name": s["name"], "items": 2 * s["items"].as_u64().unwrap()}))
        .collect();
    assert_eq!(after["splits"], json!(expected));
    let samples = entry(summary["quality_metrics"].as_array().unwrap(), "samples");
    assert_eq!(after["splits"], samples["splits"]);
    assert_eq!(
        after["splits"].as_array().unwrap().iter().map(|s| s["items"].as_u64().unwrap()).collect::<Vec<_>>(),
        [192, 24, 24]
    );
    // The output's asset hrefs still reach the same files.
    assert_eq!(stats(collection(&after, "source")), (0, 0, pairs as u64, 0));
    assert_eq!(stats(collection(&after, "labels")), (files, bytes, 0, 0));
    let ml_dataset = "https://raw.githubusercontent.com/earthpulse/ml-dataset/main/json-schema/schema.json";
    assert_eq!(collection(&after, "source")["extensions"], json!([ml_dataset]));
}

#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared/testdata beside the checkout")]
fn the_text_view() {
    let dir = testdata("jaca_dataset_q2");
    let out = run(["info".to_string(), path_str(&dir.join("catalog.json"))]).success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].starts_with("jaca-dataset-extensions (Q2, 8 items)"), "{}", out.stdout);
    assert_eq!(lines[1], "labels:         labels");
    assert_eq!(lines[2], "source imagery: sentinel-2-l2a");
    let split = lines.iter().find(|l| l.starts_with("split Training")).expect("a Training line");
    assert_eq!(split.split_whitespace().collect::<Vec<_>>(), ["split", "Training", "3"]);
}

#[test]
fn info_on_a_missing_catalog_is_a_usage_error() {
    let dir = tempdir();
    let stderr = run(["info", &path_str(&dir.path().join("nope.json")), "--json"]).usage_error();
    assert!(stderr.contains("nope.json"), "{stderr}");
}

/// The temporal extent compares instants, not strings: `01:00+02:00` is
/// before `00:00:00.500Z` of the same day, and a 5-digit year is after 9999.
/// Shown in UTC.
#[test]
fn temporal_extent_compares_instants() {
    use crate::util::write_json;
    let catalog_json = |links: Value| json!({"type": "Catalog", "stac_version": "1.0.0", "id": "root", "description": "d", "links": links});
    let collection_json = |links: Value| {
        json!({
            "type": "Collection", "stac_version": "1.0.0", "id": "c", "description": "d", "license": "CC0-1.0",
            "extent": {"spatial": {"bbox": [[0, 0, 1, 1]]}, "temporal": {"interval": [[null, null]]}},
            "links": links,
        })
    };
    let dir = tempdir();
    let root = dir.path();
    let datetimes = [
        "2020-01-06T01:00:00+02:00",
        "2020-01-06T00:00:00.500Z",
        "9999-12-31T23:59:59Z",
        "+10000-01-01T00:00:00Z",
        "2020-01-05T23:30:00Z",
    ];
    let links: Vec<Value> =
        (0..datetimes.len()).map(|i| json!({"rel": "item", "href": format!("./item{i}.json")})).collect();
    write_json(&root.join("catalog.json"), &catalog_json(json!([{"rel": "child", "href": "./c/collection.json"}])));
    write_json(&root.join("c/collection.json"), &collection_json(json!(links)));
    for (i, datetime) in datetimes.iter().enumerate() {
        let item = json!({
            "type": "Feature", "stac_version": "1.0.0", "stac_extensions": [], "id": format!("item{i}"),
            "bbox": [0, 0, 1, 1],
            "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]},
            "properties": {"datetime": datetime}, "links": [], "assets": {},
        });
        write_json(&root.join(format!("c/item{i}.json")), &item);
    }
    let overview = info(&root.join("catalog.json"));
    assert_eq!(collection(&overview, "c")["temporal"], json!(["2020-01-05T23:00:00Z", "+10000-01-01T00:00:00Z"]));

    // Without the 5-digit years: the earliest is the offset one, the latest
    // the fractional one, both in UTC.
    let two = &links[..2];
    write_json(&root.join("c/collection.json"), &collection_json(json!(two)));
    let overview = info(&root.join("catalog.json"));
    assert_eq!(collection(&overview, "c")["temporal"], json!(["2020-01-05T23:00:00Z", "2020-01-06T00:00:00.500Z"]));
}
