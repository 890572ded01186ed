//! Every kind of label (issue 12): regression targets, objects per item,
//! label asset discovery, label/source consistency and the hints, on small
//! catalogs written here (every expected value worked out by hand) and on
//! the real catalogs of ../shared/realworld.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::metrics::{entry, metrics_json};
use crate::small::{Item, features, item, write_catalog};
use crate::util::{path_str, run, tempdir};

/// A real catalog of ../shared/realworld (beside ../shared/testdata, which
/// the ignore flag checks).
fn realworld(relative: &str) -> PathBuf {
    let path = crate::util::testdata_dir().join("../realworld").join(relative);
    assert!(path.exists(), "{} is missing", path.display());
    path
}

/// A single-Feature GeoJSON with one property.
fn feature(property: &str, value: Value) -> Value {
    json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [0.5, 0.5]}, "properties": {property: value}})
}

fn moisture(id: &str, value: f64, split: &str) -> Item {
    item(id, [0.0, 0.0, 1.0, 1.0])
        .label(&["moisture"], None)
        .with("ml-dataset:split", json!(split))
        .labels(feature("moisture", json!(value)))
}

#[test]
fn regression_targets_from_single_feature_geojsons() {
    let dir = tempdir();
    let items = vec![
        moisture("a", 10.0, "train"),
        moisture("b", 20.0, "train"),
        moisture("c", 30.0, "test"),
        moisture("d", 40.0, "test"),
    ];
    let catalog = write_catalog(dir.path(), &[("labels", items)]);
    let entries = metrics_json(&catalog, &[]);
    let targets = entry(&entries, "target-distribution");
    let edges: Vec<f64> = (0..=10).map(|k| 10.0 + 3.0 * k as f64).collect();
    assert_eq!(
        targets,
        &json!({
            "name": "target-distribution", "items": 4, "percentile-method": "linear",
            "values": [{
                "name": "moisture", "count": 4, "min": 10.0, "max": 40.0, "mean": 25.0, "std": 11.18034,
                "p5": 11.5, "p50": 25.0, "p95": 38.5,
                "histogram": {"edges": edges, "counts": [1, 0, 0, 1, 0, 0, 1, 0, 0, 1]},
            }],
            // Splits the root does not list are ordered by name.
            "splits": [
                {"split": "test", "values": [{
                    "name": "moisture", "count": 2, "min": 30.0, "max": 40.0, "mean": 35.0, "std": 5.0,
                    "p5": 30.5, "p50": 35.0, "p95": 39.5,
                    "histogram": {"edges": edges, "counts": [0, 0, 0, 0, 0, 0, 1, 0, 0, 1]},
                }]},
                {"split": "train", "values": [{
                    "name": "moisture", "count": 2, "min": 10.0, "max": 20.0, "mean": 15.0, "std": 5.0,
                    "p5": 10.5, "p50": 15.0, "p95": 19.5,
                    "histogram": {"edges": edges, "counts": [1, 0, 0, 1, 0, 0, 0, 0, 0, 0]},
                }]},
            ],
        })
    );
    // Not reported as missing classes, and not counted as classes.
    let balance = entry(&entries, "classes-balance");
    assert_eq!(balance["values"], json!([]));
    assert_eq!(balance["sources"], json!([{"source": "regression-targets", "items": 4}]));
    let missing = entry(&entries, "missing-values");
    let classes = missing["values"].as_array().unwrap().iter().find(|v| v["field"] == "label-classes").unwrap();
    assert_eq!(classes["total"], 0);
    // Nor as detection labels.
    assert!(entries.iter().all(|e| e["name"] != "objects-per-item"), "{entries:?}");
}

#[test]
fn a_regression_task_takes_targets_from_item_properties() {
    let dir = tempdir();
    let yield_item = |id: &str, value: Value| {
        item(id, [0.0, 0.0, 1.0, 1.0])
            .label(&["yield"], Some(json!([{"name": "yield", "classes": ["ignored"]}])))
            .with("label:tasks", json!(["regression"]))
            .with("yield", value)
    };
    let items = vec![yield_item("a", json!(2.5)), yield_item("b", json!("3.5")), yield_item("c", json!(-1))];
    let catalog = write_catalog(dir.path(), &[("labels", items)]);
    let entries = metrics_json(&catalog, &[]);
    let values = &entry(&entries, "target-distribution")["values"][0];
    assert_eq!(
        (&values["count"], &values["min"], &values["max"], &values["p50"]),
        (&json!(3), &json!(-1.0), &json!(3.5), &json!(2.5))
    );
    assert_eq!(entry(&entries, "classes-balance")["values"], json!([]));
}

#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared/realworld beside the checkout")]
fn su_sar_local_labels_are_regression_targets() {
    let entries = metrics_json(&realworld("su-sar-local-labels/catalog.json"), &[]);
    let values = &entry(&entries, "target-distribution")["values"];
    assert_eq!(
        values,
        &json!([{
            "name": "percent(t)", "count": 8, "min": 52.0, "max": 203.0, "mean": 105.395833, "std": 46.605312,
            "p5": 57.775, "p50": 85.5, "p95": 180.95,
            "histogram": {
                "edges": [52.0, 67.1, 82.2, 97.3, 112.4, 127.5, 142.6, 157.7, 172.8, 187.9, 203.0],
                "counts": [1, 3, 1, 0, 0, 2, 0, 0, 0, 1],
            },
        }])
    );
    let missing = entry(&entries, "missing-values");
    assert_eq!(missing["values"][4], json!({"field": "label-classes", "total": 0, "items": []}));
    // The same catalog with its labels still on the retired blob store: the
    // values cannot be read, so nothing says these are regression labels.
    let remote = metrics_json(&realworld("mlhub-su-sar-moisture-content/catalog.json"), &[]);
    assert!(remote.iter().all(|e| e["name"] != "target-distribution"));
    assert_eq!(entry(&remote, "missing-values")["values"][4]["total"], 8);
}

#[test]
fn objects_per_item_overall_per_class_and_per_split() {
    let dir = tempdir();
    let boat = json!({"kind": "boat"});
    let ship = json!({"kind": "ship"});
    let detection = |id: &str, objects: &[Value], split: &str| {
        item(id, [0.0, 0.0, 1.0, 1.0])
            .label(&["kind"], Some(json!([{"name": "kind", "classes": ["boat", "ship"]}])))
            .with("label:tasks", json!(["detection"]))
            .with("ml-dataset:split", json!(split))
            .labels(features(objects))
    };
    let items = vec![
        detection("a", &[boat.clone(), boat.clone(), boat.clone()], "train"),
        detection("b", &[boat.clone(), ship.clone(), ship.clone()], "train"),
        detection("c", &[], "test"),
    ];
    let catalog = write_catalog(dir.path(), &[("labels", items)]);
    let entries = metrics_json(&catalog, &[]);
    assert_eq!(
        entry(&entries, "objects-per-item"),
        &json!({
            "name": "objects-per-item", "items": 3, "min": 0, "median": 3.0, "max": 3, "empty": 1,
            "classes": [
                {"property": "kind", "class": "boat", "min": 0, "median": 1.0, "max": 3, "without": 1},
                {"property": "kind", "class": "ship", "min": 0, "median": 0.0, "max": 2, "without": 2},
            ],
            "empty-items": ["c"],
            "splits": [
                {"split": "test", "items": 1, "min": 0, "median": 0.0, "max": 0, "empty": 1, "classes": []},
                {"split": "train", "items": 2, "min": 3, "median": 3.0, "max": 3, "empty": 0, "classes": [
                    {"property": "kind", "class": "boat", "min": 1, "median": 2.0, "max": 3, "without": 0},
                    {"property": "kind", "class": "ship", "min": 0, "median": 1.0, "max": 2, "without": 1},
                ]},
            ],
        })
    );
    // The text view names the empty item and says what the class counts count.
    let text = run(["metrics", &path_str(&catalog)]).success().stdout;
    assert!(
        text.contains("objects per label item (3 items): min 0, median 3.0, max 3; 1 without any object"),
        "{text}"
    );
    assert!(text.contains("  empty: c\n"), "{text}");
    assert!(
        text.contains("class balance (counted from: label-assets 2, none 1); counts are features, not items"),
        "{text}"
    );
}

#[test]
fn a_label_asset_is_assumed_by_media_type_or_extension_with_one_warning() {
    let dir = tempdir();
    let by_type = |id: &str| {
        item(id, [0.0, 0.0, 1.0, 1.0])
            .label(&["kind"], Some(json!([{"name": "kind", "classes": ["boat"]}])))
            .label_file(
                "data",
                "export.json",
                json!(["data"]),
                json!("application/geo+json"),
                features(&[json!({"kind": "boat"})]),
            )
    };
    let by_extension = item("e", [0.0, 0.0, 1.0, 1.0])
        .label(&["kind"], Some(json!([{"name": "kind", "classes": ["boat"]}])))
        .label_file(
            "annotations",
            "boats.geojson",
            Value::Null,
            Value::Null,
            features(&vec![json!({"kind": "boat"}); 2]),
        );
    let items = vec![by_type("a"), by_type("b"), by_type("c"), by_type("d"), by_extension];
    let catalog = write_catalog(dir.path(), &[("labels", items)]);
    let output = run(["metrics", &path_str(&catalog), "--json"]).success();
    let entries = output.json();
    let entries = entries.as_array().unwrap();
    let balance = entry(entries, "classes-balance");
    assert_eq!(balance["values"][0]["values"], json!([{"class": "boat", "total": 6, "percentage": 100.0}]));
    assert_eq!(balance["values"][0]["normalized-entropy"], Value::Null, "one class: balance is undefined");
    let missing = entry(entries, "missing-values");
    assert_eq!(missing["values"][3]["total"], 0, "label-asset: {missing}");
    // One group of warnings: the first three items, then a count.
    let warned: Vec<&str> = output.stderr.lines().filter(|l| l.contains("assumed asset")).collect();
    assert_eq!(warned.len(), 3, "{}", output.stderr);
    assert!(
        warned[0].ends_with(
            r#"a.json: no asset is keyed or roled "labels"; assumed asset "data" (GeoJSON, by its media type)"#
        ),
        "{}",
        output.stderr
    );
    assert!(output.stderr.contains("... 2 more like this (assumed label asset)"), "{}", output.stderr);
}

#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared/realworld beside the checkout")]
fn groundwork_export_counts_its_data_asset() {
    let catalog = realworld("groundwork-rv-od-export/catalog.json");
    let output = run(["metrics", &path_str(&catalog), "--json"]).success();
    let entries = output.json();
    let entries = entries.as_array().unwrap();
    let balance = entry(entries, "classes-balance");
    assert_eq!(balance["values"][0]["name"], "default");
    assert_eq!(balance["values"][0]["values"], json!([{"class": "boat", "total": 8, "percentage": 100.0}]));
    assert_eq!(balance["sources"], json!([{"source": "label-assets", "items": 1}]));
    let objects = entry(entries, "objects-per-item");
    assert_eq!(
        (&objects["items"], &objects["min"], &objects["max"], &objects["empty"]),
        (&json!(1), &json!(8), &json!(8), &json!(0))
    );
    assert!(
        output
            .stderr
            .contains(r#"no asset is keyed or roled "labels"; assumed asset "data" (GeoJSON, by its media type)"#),
        "{}",
        output.stderr
    );
}

#[test]
fn labels_are_checked_against_their_sources() {
    let dir = tempdir();
    let at = |i: Item, time: &str| i.with("datetime", json!(time));
    let sources = vec![
        at(item("s1", [0.0, 0.0, 1.0, 1.0]), "2020-01-01T00:00:00Z"),
        at(item("s2", [0.0, 0.0, 1.0, 1.0]), "2020-01-01T00:00:00Z"),
        at(item("s3", [5.0, 5.0, 6.0, 6.0]), "2020-01-01T00:00:00Z"),
    ];
    let label = |id: &str, bbox, time: &str| at(item(id, bbox).label(&["kind"], None), time);
    let labels = vec![
        label("on", [0.0, 0.0, 1.0, 1.0], "2020-01-02T00:00:00Z").source("source", "s1"),
        label("half-off", [0.5, 0.0, 1.5, 1.0], "2020-01-01T00:00:00Z").source("source", "s1"),
        label("late", [0.0, 0.0, 1.0, 1.0], "2020-03-01T00:00:00Z").source("source", "s2"),
        label("alone", [0.0, 0.0, 1.0, 1.0], "2020-01-01T00:00:00Z"),
    ];
    let catalog = write_catalog(dir.path(), &[("source", sources), ("labels", labels)]);
    let entries = metrics_json(&catalog, &[]);
    assert_eq!(
        entry(&entries, "label-source-consistency"),
        &json!({
            "name": "label-source-consistency", "max-outside-share": 0.01, "max-days": 30.0,
            "outside-sources": {"total": 1, "items": [{"item": "half-off", "share": 0.5}]},
            "far-in-time": {"total": 1, "items": [{"item": "late", "days": 60.0}]},
            "without-source": {"total": 1, "items": ["alone"]},
            "unused-sources": {"total": 1, "items": ["s3"]},
            "total": 4,
        })
    );
}

#[test]
fn a_point_label_off_its_source_is_wholly_outside() {
    let dir = tempdir();
    let sources = vec![item("s", [0.0, 0.0, 1.0, 1.0])];
    let labels = vec![
        item("in", [0.5, 0.5, 0.5, 0.5]).label(&["v"], None).source("source", "s"),
        item("out", [2.0, 2.0, 2.0, 2.0]).label(&["v"], None).source("source", "s"),
    ];
    let catalog = write_catalog(dir.path(), &[("source", sources), ("labels", labels)]);
    let entries = metrics_json(&catalog, &[]);
    let consistency = entry(&entries, "label-source-consistency");
    assert_eq!(consistency["outside-sources"], json!({"total": 1, "items": [{"item": "out", "share": 1.0}]}));
    assert_eq!(consistency["far-in-time"]["total"], 0, "no times: nothing compared");
}

#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared/realworld beside the checkout")]
fn eotdl_use_cases_labels_lie_on_their_sources() {
    for relative in ["eotdl-usecaseD-ships/sentinel_2_stac/catalog.json", "bids23_sentinel_2_stac/catalog.json"] {
        let entries = metrics_json(&realworld(relative), &[]);
        let consistency = entry(&entries, "label-source-consistency");
        assert_eq!(consistency["outside-sources"]["total"], 0, "{relative}: {consistency}");
        assert_eq!(consistency["far-in-time"]["total"], 0, "{relative}: {consistency}");
        assert_eq!(consistency["without-source"]["total"], 0, "{relative}: {consistency}");
        assert_eq!(consistency["unused-sources"]["total"], 0, "{relative}: {consistency}");
    }
}

#[test]
fn the_report_draws_targets_objects_and_consistency() {
    let dir = tempdir();
    let detection = item("boats", [0.0, 0.0, 1.0, 1.0])
        .label(&["kind"], Some(json!([{"name": "kind", "classes": ["boat"]}])))
        .labels(features(&[json!({"kind": "boat"}), json!({"kind": "boat"})]))
        .source("source", "image");
    let items = vec![moisture("a", 10.0, "train"), moisture("b", 20.0, "test"), detection];
    let catalog = write_catalog(
        &dir.path().join("in"),
        &[("source", vec![item("image", [0.0, 0.0, 1.0, 1.0])]), ("labels", items)],
    );
    let html_file = dir.path().join("report.html");
    run(["report", &path_str(&catalog), "-o", &path_str(&html_file), "--no-validate"]).success();
    let html = std::fs::read_to_string(&html_file).unwrap();
    assert!(html.contains(r#"<svg class="chart histogram" data-property="moisture""#), "no histogram");
    // One bar per bin; the two values sit in the first and the last bin.
    let histogram = &html[html.find("chart histogram").unwrap()..];
    let histogram = &histogram[..histogram.find("</svg>").unwrap()];
    assert_eq!(histogram.matches(r#"<rect class="bar""#).count(), 10);
    assert_eq!(histogram.matches(r#"data-count="1""#).count(), 2);
    assert!(html.contains(r#"<h2 id="objects">Objects per label item</h2>"#));
    assert!(
        html.contains("Features of each label GeoJSON: 1 label items, min 2, median 2.0, max 2;"),
        "objects summary"
    );
    assert!(html.contains(r#"<table class="consistency">"#));
    // The moisture items have no source link: named in the consistency table.
    assert!(
        html.contains(
            "<tr><td>label items without source link</td><td class=\"n\">2</td><td class=\"ids\">a, b</td></tr>"
        ),
        "consistency rows"
    );
}
