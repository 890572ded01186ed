//! `stac-ml metrics`: exact metric values on the real catalogs of
//! ../shared/testdata (cross-checked against the files where they can be
//! recounted) and on generated catalogs whose duplicates, overlaps and class
//! counts are known from `generate`'s summary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::util::{input_items, is_remote, path_str, read_json, resolve, run, tempdir, testdata, write_json};

/// `stac-ml metrics CATALOG --json [extra...]`, which must succeed.
#[track_caller]
pub fn metrics_json(catalog: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["metrics".to_string(), path_str(catalog), "--json".into()];
    args.extend(extra.iter().map(|s| s.to_string()));
    let json = run(&args).success().json();
    json.as_array().unwrap_or_else(|| panic!("metrics --json is not an array: {json}")).clone()
}

/// The metric entry named `name`; exactly one must exist.
#[track_caller]
pub fn entry<'a>(entries: &'a [Value], name: &str) -> &'a Value {
    let found: Vec<&Value> = entries.iter().filter(|e| e["name"] == name).collect();
    assert_eq!(found.len(), 1, "entries named {name}: {found:?}");
    found[0]
}

/// `stac-ml generate -o OUT --pairs PAIRS --seed SEED [extra...]`; returns
/// the summary it prints.
#[track_caller]
pub fn generate_summary(out: &Path, pairs: usize, seed: u64, extra: &[&str]) -> Value {
    let mut args = vec!["generate".to_string(), "-o".into(), path_str(out), "--pairs".into(), pairs.to_string()];
    args.extend(["--seed".to_string(), seed.to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    run(&args).success().json()
}

/// The `--pairs 1000 --dup-rate 0.02 --overlap 0.05 --seed 4` catalog of the
/// issue, in `dir/gen`; returns (root catalog, summary).
pub fn issue_catalog(dir: &Path) -> (PathBuf, Value) {
    let out = dir.join("gen");
    let summary = generate_summary(&out, 1000, 4, &["--dup-rate", "0.02", "--overlap", "0.05"]);
    assert_eq!(summary["exact_duplicates"], 20, "{summary}");
    assert_eq!(summary["overlapping"], 50, "{summary}");
    (out.join("catalog.json"), summary)
}

/// `[(class, total)]` of the property `property` in a classes-balance
/// `values` list.
#[track_caller]
pub fn class_totals(values: &Value, property: &str) -> Vec<(String, u64)> {
    let found: Vec<&Value> =
        values.as_array().expect("classes-balance values").iter().filter(|p| p["name"] == property).collect();
    assert_eq!(found.len(), 1, "property {property} in {values}");
    found[0]["values"]
        .as_array()
        .expect("classes")
        .iter()
        .map(|c| (c["class"].as_str().expect("class").to_string(), c["total"].as_u64().expect("total")))
        .collect()
}

/// The `item` ids the near-duplicates entry lists, per cluster.
pub fn clusters(near: &Value) -> Vec<Vec<String>> {
    near["values"]
        .as_array()
        .expect("near-duplicates values")
        .iter()
        .map(|c| c["items"].as_array().expect("items").iter().map(|i| i.as_str().expect("id").to_string()).collect())
        .collect()
}

/// Recounts classes the way EOTDL does, straight from the files: every
/// feature of each label item's local `labels` GeoJSON asset, by its
/// `label:properties` value (or SCANEO's `labels[0]`). Returns
/// (property, class) -> features, and the number of label items counted.
fn recount_label_assets(catalog: &Path) -> (BTreeMap<(String, String), u64>, usize) {
    let mut counts = BTreeMap::new();
    let mut items = 0;
    for path in input_items(catalog).values() {
        let item = read_json(path);
        let Some(properties) = item["properties"]["label:properties"].as_array() else { continue };
        let href = item["assets"]["labels"]["href"].as_str().expect("a labels asset");
        assert!(!is_remote(href), "{}: remote label asset", path.display());
        items += 1;
        let geojson = read_json(&resolve(path, href));
        for feature in geojson["features"].as_array().expect("features") {
            for property in properties.iter().map(|p| p.as_str().expect("property name")) {
                let value = &feature["properties"][property];
                let class = match value.as_str() {
                    Some(s) => s.to_string(),
                    None => feature["properties"]["labels"][0].as_str().expect("a class").to_string(),
                };
                *counts.entry((property.to_string(), class)).or_default() += 1;
            }
        }
    }
    (counts, items)
}

/// Percentages of a property as hundredths, which must sum to exactly 10000.
#[track_caller]
fn hundredths(values: &Value, property: &str) -> Vec<u64> {
    let property = values.as_array().unwrap().iter().find(|p| p["name"] == property).expect("property");
    let out: Vec<u64> = property["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["percentage"].as_f64().expect("percentage") * 100.0).round() as u64)
        .collect();
    assert_eq!(out.iter().sum::<u64>(), 10_000, "percentages of {property} do not sum to 100");
    out
}

#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared/testdata beside the checkout")]
fn jaca_spatial_duplicates_and_grass_balance() {
    let dir = testdata("jaca_dataset_stac_labels");
    let catalog = dir.join("catalog.json");
    let entries = metrics_json(&catalog, &[]);
    let names: Vec<&str> = entries.iter().map(|e| e["name"].as_str().unwrap()).collect();
    // No splits in the input: no split-leakage entry.
    assert_eq!(
        names,
        [
            "spatial-duplicates",
            "near-duplicates",
            "classes-balance",
            "objects-per-item",
            "missing-values",
            "label-source-consistency",
            "samples"
        ]
    );

    // Items in walk order (sentinel-2-l2a is the first child), then by id:
    // every later imagery tile repeats Jaca_1's bbox.
    let duplicates = entry(&entries, "spatial-duplicates");
    assert_eq!(
        duplicates["values"],
        json!([
            {"item": "Jaca_2", "duplicate": "Jaca_1"},
            {"item": "Jaca_3", "duplicate": "Jaca_1"},
            {"item": "Jaca_4", "duplicate": "Jaca_1"},
        ])
    );
    assert_eq!(duplicates["total"], 3);
    let bbox = |id: &str| read_json(&dir.join(format!("sentinel-2-l2a/{id}/{id}.json")))["bbox"].clone();
    for id in ["Jaca_2", "Jaca_3", "Jaca_4"] {
        assert_eq!(bbox(id), bbox("Jaca_1"), "{id}");
    }

    // The same four footprints per role: two clusters of four, 6 + 6 pairs.
    let near = entry(&entries, "near-duplicates");
    let four: Vec<String> = (1..=4).map(|i| format!("Jaca_{i}")).collect();
    assert_eq!(clusters(near), vec![four.clone(), four]);
    assert_eq!(
        (near["pairs"].as_u64(), near["clusters"].as_u64(), near["total"].as_u64()),
        (Some(12), Some(2), Some(8))
    );

    let balance = entry(&entries, "classes-balance");
    assert_eq!(
        balance["values"],
        json!([{
            "name": "label",
            "values": [{"class": "grass", "total": 19, "percentage": 100.0}],
            "majority-minority-ratio": 1.0,
            // One class: balance is undefined, not perfect.
            "normalized-entropy": null,
        }])
    );
    assert_eq!(balance["sources"], json!([{"source": "label-assets", "items": 4}]));
    let (recount, items) = recount_label_assets(&catalog);
    assert_eq!(items, 4);
    assert_eq!(recount, BTreeMap::from([(("label".to_string(), "grass".to_string()), 19)]));

    assert_eq!(entry(&entries, "missing-values")["total"], 0);
    let samples = entry(&entries, "samples");
    assert_eq!(samples["total"], 8);
    assert_eq!(samples["roles"], json!({"label": 4, "other": 4}));
    assert_eq!(samples["collections"], json!([{"id": "sentinel-2-l2a", "items": 4}, {"id": "labels", "items": 4}]));
}

#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared/testdata beside the checkout")]
fn eurosat_small_ten_classes_of_ten() {
    let dir = testdata("EuroSAT-small-STAC");
    let catalog = dir.join("catalog.json");
    let entries = metrics_json(&catalog, &[]);
    assert_eq!(entry(&entries, "spatial-duplicates")["values"], json!([]));
    assert_eq!(entry(&entries, "spatial-duplicates")["total"], 0);
    assert_eq!(entry(&entries, "near-duplicates")["pairs"], 0);
    assert_eq!(entry(&entries, "near-duplicates")["total"], 0);

    let balance = entry(&entries, "classes-balance");
    let classes = [
        "AnnualCrop",
        "Forest",
        "HerbaceousVegetation",
        "Highway",
        "Industrial",
        "Pasture",
        "PermanentCrop",
        "Residential",
        "River",
        "SeaLake",
    ];
    let expected: Vec<(String, u64)> = classes.iter().map(|c| (c.to_string(), 10)).collect();
    assert_eq!(class_totals(&balance["values"], "label"), expected);
    assert_eq!(hundredths(&balance["values"], "label"), vec![1000; 10]);
    for class in balance["values"][0]["values"].as_array().unwrap() {
        assert_eq!(class["percentage"], json!(10.0), "{class}");
    }
    assert_eq!(balance["values"][0]["majority-minority-ratio"], json!(1.0));
    assert_eq!(balance["values"][0]["normalized-entropy"], json!(1.0));
    assert_eq!(balance["sources"], json!([{"source": "label-assets", "items": 100}]));
    let (recount, items) = recount_label_assets(&catalog);
    assert_eq!(items, 100);
    let recount: Vec<(String, u64)> = recount.into_iter().map(|((_, class), n)| (class, n)).collect();
    assert_eq!(recount, expected);

    let samples = entry(&entries, "samples");
    assert_eq!(samples["total"], 200);
    assert_eq!(samples["roles"], json!({"label": 100, "other": 100}));
    assert_eq!(entry(&entries, "missing-values")["total"], 0);
}

#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared/testdata beside the checkout")]
fn multidataset_classes_come_from_label_overviews() {
    let dir = testdata("label-ext-examples/multidataset");
    let catalog = dir.join("catalog.json");
    let entries = metrics_json(&catalog, &[]);
    let balance = entry(&entries, "classes-balance");
    // Every label asset is remote: the counts come from label:overviews.
    assert_eq!(balance["sources"], json!([{"source": "label-overviews", "items": 5}]));

    // Recount label:overviews from the item files.
    let mut expected: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut label_items = 0;
    for path in input_items(&catalog).values() {
        let item = read_json(path);
        let Some(overviews) = item["properties"]["label:overviews"].as_array() else { continue };
        label_items += 1;
        for overview in overviews {
            let property = overview["property_key"].as_str().expect("property_key").to_string();
            for count in overview["counts"].as_array().expect("counts") {
                let class = count["name"].as_str().expect("class name").to_string();
                *expected.entry(property.clone()).or_default().entry(class).or_default() +=
                    count["count"].as_u64().expect("count");
            }
        }
    }
    assert_eq!(label_items, 5);
    let got: BTreeMap<String, BTreeMap<String, u64>> = balance["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let name = p["name"].as_str().unwrap().to_string();
            (name.clone(), class_totals(&balance["values"], &name).into_iter().collect())
        })
        .collect();
    assert_eq!(got, expected);
    // What the files hold, spelled out: 27 + 39 + 8 SpaceNet buildings and
    // 4440 + 1612 Zanzibar buildings.
    assert_eq!(class_totals(&balance["values"], "OBJECTID_1"), vec![("0".to_string(), 74)]);
    assert_eq!(class_totals(&balance["values"], "building"), vec![("yes".to_string(), 6052)]);
    assert_eq!(hundredths(&balance["values"], "building"), vec![10_000]);

    let samples = entry(&entries, "samples");
    assert_eq!(samples["total"], 5);
    assert_eq!(samples["roles"], json!({"label": 5, "other": 0}));
    assert_eq!(
        samples["collections"],
        json!([{"id": "zanzibar-collection", "items": 2}, {"id": "spacenet-buildings-collection", "items": 3}])
    );
}

#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared/testdata beside the checkout")]
fn pystac_test_case_1_samples_and_roles() {
    let dir = testdata("pystac-test-case-1");
    let entries = metrics_json(&dir.join("catalog.json"), &[]);
    let samples = entry(&entries, "samples");
    assert_eq!(samples["total"], 8);
    assert_eq!(samples["roles"], json!({"label": 4, "other": 4}));
    let areas = ["area-1-1", "area-1-2", "area-2-1", "area-2-2"];
    let expected: Vec<Value> = areas.iter().map(|a| json!({"id": a, "items": 2})).collect();
    assert_eq!(samples["collections"], json!(expected));

    // Every area has the same footprint: each later imagery item duplicates
    // the first, and each role is one cluster of four.
    let duplicates = entry(&entries, "spatial-duplicates");
    let expected: Vec<Value> =
        areas[1..].iter().map(|a| json!({"item": format!("{a}-imagery"), "duplicate": "area-1-1-imagery"})).collect();
    assert_eq!(duplicates["values"], json!(expected));
    assert_eq!(duplicates["total"], 3);
    let near = entry(&entries, "near-duplicates");
    let imagery: Vec<String> = areas.iter().map(|a| format!("{a}-imagery")).collect();
    let labels: Vec<String> = areas.iter().map(|a| format!("{a}-labels")).collect();
    assert_eq!(clusters(near), vec![imagery, labels]);
    assert_eq!(near["pairs"], 12);

    // Remote label assets and no overviews: no classes can be counted.
    let balance = entry(&entries, "classes-balance");
    assert_eq!(balance["values"], json!([]));
    assert_eq!(balance["sources"], json!([{"source": "none", "items": 4}]));
}

#[test]
fn generated_duplicates_match_the_generate_summary() {
    let dir = tempdir();
    let (catalog, summary) = issue_catalog(dir.path());
    let exact = summary["exact_duplicates"].as_u64().unwrap() as usize;
    let overlapping = summary["overlapping"].as_u64().unwrap() as usize;

    // Which odd tiles were made duplicates or shifted, read from the files.
    let bbox = |i: usize| -> Vec<f64> {
        let id = format!("tile_{i:07}");
        serde_json::from_value(read_json(&catalog.with_file_name(format!("source/{id}/{id}.json")))["bbox"].clone())
            .expect("bbox")
    };
    let (mut copied, mut shifted) = (Vec::new(), Vec::new());
    for odd in (1..1000).step_by(2) {
        let (a, b) = (bbox(odd - 1), bbox(odd));
        if a == b {
            copied.push(odd);
        } else if a[1] == b[1] && a[0] < b[0] && b[0] < a[2] {
            shifted.push(odd);
        }
    }
    assert_eq!((copied.len(), shifted.len()), (exact, overlapping));
    let id = |i: usize| format!("tile_{i:07}");

    let entries = metrics_json(&catalog, &[]);
    let duplicates = entry(&entries, "spatial-duplicates");
    assert_eq!(duplicates["total"], exact);
    let expected: Vec<Value> = copied.iter().map(|&i| json!({"item": id(i), "duplicate": id(i - 1)})).collect();
    assert_eq!(duplicates["values"], json!(expected));

    // IoU 0.9: the copies (1.0) and the 5 % shifts (0.905), in each role.
    let near = entry(&entries, "near-duplicates");
    assert_eq!(near["iou"], 0.9);
    assert_eq!(near["pairs"], 2 * (exact + overlapping));
    assert_eq!(near["clusters"], 2 * (exact + overlapping));
    assert_eq!(near["total"], 4 * (exact + overlapping));
    let mut both: Vec<usize> = copied.iter().chain(&shifted).copied().collect();
    both.sort();
    let pairs = |odds: &[usize]| -> Vec<Vec<String>> { odds.iter().map(|&i| vec![id(i - 1), id(i)]).collect() };
    // Source items come first in walk order, then labels; clusters are ordered by first item.
    let expected = [pairs(&both), pairs(&both)].concat();
    assert_eq!(clusters(near), expected);

    // IoU 0.95: only the exact copies.
    let entries = metrics_json(&catalog, &["--iou", "0.95"]);
    let near = entry(&entries, "near-duplicates");
    assert_eq!(near["iou"], 0.95);
    assert_eq!(near["pairs"], 2 * exact);
    assert_eq!(near["clusters"], 2 * exact);
    assert_eq!(clusters(near), [pairs(&copied), pairs(&copied)].concat());
    // The exact metric does not depend on the threshold.
    assert_eq!(entry(&entries, "spatial-duplicates")["total"], exact);
}

#[test]
fn generated_class_balance_and_samples_match_the_summary() {
    let dir = tempdir();
    let (catalog, summary) = issue_catalog(dir.path());
    let entries = metrics_json(&catalog, &[]);
    let balance = entry(&entries, "classes-balance");
    let expected: Vec<(String, u64)> = summary["class_counts"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(k, n)| (format!("class_{k}"), n.as_u64().unwrap()))
        .collect();
    assert_eq!(expected.len(), 5, "generate's default is 5 classes");
    assert_eq!(class_totals(&balance["values"], "label"), expected);
    hundredths(&balance["values"], "label");
    assert_eq!(balance["sources"], json!([{"source": "label-assets", "items": 1000}]));
    let (recount, _) = recount_label_assets(&catalog);
    let recount: Vec<(String, u64)> = recount.into_iter().map(|((_, class), n)| (class, n)).collect();
    assert_eq!(recount, expected);

    let samples = entry(&entries, "samples");
    assert_eq!(samples["total"], 2000);
    assert_eq!(samples["roles"], json!({"label": 1000, "other": 1000}));
    assert_eq!(samples["collections"], json!([{"id": "source", "items": 1000}, {"id": "labels", "items": 1000}]));
    assert!(samples.get("splits").is_none(), "no splits in a generated catalog: {samples}");
    assert_eq!(entry(&entries, "missing-values")["total"], 0);
}

#[test]
fn the_table_shows_the_same_totals() {
    let dir = tempdir();
    let (catalog, summary) = issue_catalog(dir.path());
    let out = run(["metrics".to_string(), path_str(&catalog)]).success();
    let row = |name: &str| -> String {
        let line = out.stdout.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("no {name} row"));
        line.split_whitespace().nth(1).expect("a total").to_string()
    };
    assert_eq!(row("spatial-duplicates"), summary["exact_duplicates"].to_string());
    assert_eq!(row("near-duplicates"), "280");
    assert_eq!(row("samples"), "2000");
    let class_1 = out.stdout.lines().find(|l| l.trim_start().starts_with("class_1 ")).expect("a class_1 row");
    assert_eq!(class_1.split_whitespace().collect::<Vec<_>>(), ["class_1", "430", "21.51%"]);
}

#[test]
fn a_bad_iou_is_a_usage_error() {
    let dir = tempdir();
    let (catalog, _) = issue_catalog(dir.path());
    for iou in ["0", "-0.5", "1.5", "NaN"] {
        let stderr =
            run(["metrics".to_string(), path_str(&catalog), "--json".into(), format!("--iou={iou}")]).usage_error();
        assert!(stderr.contains("--iou must be in (0, 1]"), "{iou}: {stderr}");
    }
    run(["metrics", &path_str(&catalog), "--iou", "abc"]).usage_error();
    // The bounds themselves: 1 is allowed.
    let entries = metrics_json(&catalog, &["--iou", "1"]);
    assert_eq!(entry(&entries, "near-duplicates")["pairs"], 40);
}

/// A label item whose `labels` asset is remote has a label asset; only items
/// without one should be counted under missing-values `label-asset`.
#[test]
fn a_remote_label_asset_is_not_a_missing_label_asset() {
    let dir = tempdir();
    let root = dir.path().join("cat");
    write_json(
        &root.join("catalog.json"),
        &json!({
            "type": "Catalog", "stac_version": "1.1.0", "id": "remote-labels", "description": "d",
            "links": [{"rel": "root", "href": "./catalog.json"}, {"rel": "item", "href": "./a/a.json"}]
        }),
    );
    write_json(
        &root.join("a/a.json"),
        &json!({
            "type": "Feature", "stac_version": "1.1.0", "id": "a",
            "stac_extensions": ["https://stac-extensions.github.io/label/v1.0.1/schema.json"],
            "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]},
            "bbox": [0, 0, 1, 1],
            "properties": {
                "datetime": "2020-01-01T00:00:00Z", "label:type": "vector", "label:properties": ["label"],
                "label:description": "d", "label:classes": [{"name": "label", "classes": ["x"]}]
            },
            "links": [{"rel": "root", "href": "../catalog.json"}, {"rel": "parent", "href": "../catalog.json"}],
            "assets": {"labels": {"href": "https://example.com/a.geojson", "roles": ["labels"]}}
        }),
    );
    let entries = metrics_json(&root.join("catalog.json"), &[]);
    let missing = entry(&entries, "missing-values");
    let label_asset = missing["values"].as_array().unwrap().iter().find(|v| v["field"] == "label-asset").unwrap();
    assert_eq!(label_asset["total"], 0, "{missing}");
}

/// Near duplicates and split leakage counted per group of identical
/// footprints (issue 14 point 8) equal a brute-force count over every pair:
/// 3,000 items on 3 footprints, and a catalog with overlapping (shifted)
/// footprints across groups.
#[test]
fn grouped_footprints_match_brute_force() {
    use stac_ml::geometry::iou;
    use stac_ml::split::{SplitOptions, SplitSpec, Strategy, assign};
    let dir = tempdir();
    let cases: [(&str, &[&str]); 2] = [
        ("few", &["--pairs", "1500", "--footprints", "3"]),
        ("shifted", &["--pairs", "400", "--dup-rate", "0.2", "--overlap", "0.3"]),
    ];
    for (name, extra) in cases {
        let out = dir.path().join(name);
        let mut args = vec!["generate".to_string(), "-o".into(), path_str(&out), "--classes".into(), "2".into()];
        args.extend(extra.iter().map(|s| s.to_string()));
        run(&args).success();
        let dataset = stac_ml::catalog::load(&out.join("catalog.json")).unwrap();
        let classes = stac_ml::balance::ClassCounts::read(&dataset, &mut stac_ml::catalog::Warnings::default());
        let spec = SplitSpec::new(vec!["a".into(), "b".into(), "c".into()], vec![60.0, 20.0, 20.0]).unwrap();
        let node = dataset.node_by_id("labels").unwrap();
        let options = SplitOptions { spec, seed: 3, strategy: Strategy::Random, node, keep: None, group_by: None };
        let assignment = assign(&dataset, &options, None).unwrap();
        let threshold = 0.5;
        let metrics = stac_ml::metrics::compute(
            &dataset,
            &classes,
            Some(&assignment.view()),
            stac_ml::metrics::MetricsOptions::new(threshold).unwrap(),
        );

        // Brute force: every pair of same-role items.
        let items = &dataset.items;
        let mut pairs = Vec::new();
        let mut parent: Vec<usize> = (0..items.len()).collect();
        fn find(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        for a in 0..items.len() {
            for b in a + 1..items.len() {
                if items[a].is_label() != items[b].is_label() {
                    continue;
                }
                let value = iou(&items[a], &items[b]);
                if value > 0.0 {
                    pairs.push((a, b, value));
                }
            }
        }
        let above: Vec<_> = pairs.iter().filter(|p| p.2 >= threshold).collect();
        let mut involved = BTreeMap::new();
        for &&(a, b, _) in &above {
            let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
            parent[ra.max(rb)] = ra.min(rb);
            involved.insert(a, ());
            involved.insert(b, ());
        }
        let mut clusters: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for &i in involved.keys() {
            clusters.entry(find(&mut parent, i)).or_default().push(i);
        }
        let mut clusters: Vec<Vec<usize>> = clusters.into_values().collect();
        clusters.sort_by_key(|c| c[0]);
        let clusters: Vec<Vec<String>> =
            clusters.iter().map(|c| c.iter().map(|&i| items[i].id.clone()).collect()).collect();
        let near = &metrics.near_duplicates;
        assert_eq!(near.pairs, above.len(), "{name}: pairs");
        assert_eq!(near.clusters, clusters.len(), "{name}: clusters");
        let got: Vec<&Vec<String>> = near.values.iter().map(|c| &c.items).collect();
        assert!(got == clusters.iter().collect::<Vec<_>>(), "{name}: cluster members differ");

        let split_of = &assignment.split_of;
        let leaks: Vec<_> =
            pairs.iter().filter(|p| matches!((split_of[p.0], split_of[p.1]), (Some(x), Some(y)) if x != y)).collect();
        let leakage = metrics.split_leakage.as_ref().unwrap();
        assert_eq!(leakage.total, leaks.len(), "{name}: leaking pairs");
        assert_eq!(leakage.total_above_iou, leaks.iter().filter(|p| p.2 >= threshold).count(), "{name}");
        let mut per_pair: BTreeMap<(u16, u16), usize> = BTreeMap::new();
        for p in &leaks {
            let (x, y) = (split_of[p.0].unwrap(), split_of[p.1].unwrap());
            *per_pair.entry((x.min(y), x.max(y))).or_default() += 1;
        }
        let got: Vec<usize> = leakage.values.iter().map(|v| v.intersecting).collect();
        assert_eq!(got, per_pair.values().copied().collect::<Vec<_>>(), "{name}: per split pair");
        let examples: Vec<(String, String)> = leakage.examples.iter().map(|e| (e.a.clone(), e.b.clone())).collect();
        let expected: Vec<(String, String)> =
            leaks.iter().take(examples.len().max(1)).map(|p| (items[p.0].id.clone(), items[p.1].id.clone())).collect();
        assert!(!examples.is_empty(), "{name}: no leak examples");
        assert_eq!(examples, expected, "{name}: the first leaking pairs");
    }
}
