//! `stac-ml generate`: deterministic synthetic catalogs with known counts.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::util::{assert_same_tree, check_tree, path_str, read_json, run, run_env, snapshot, tempdir};

fn generate_args(out: &std::path::Path, seed: &str) -> Vec<String> {
    let args = ["--pairs", "120", "--classes", "4", "--dup-rate", "0.05", "--overlap", "0.1", "--seed", seed];
    let mut all = vec!["generate".to_string(), "-o".into(), path_str(out)];
    all.extend(args.iter().map(|s| s.to_string()));
    all
}

#[test]
fn same_seed_same_files() {
    let dir = tempdir();
    let (a, b, c) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("c"));
    run(generate_args(&a, "7")).success();
    run(generate_args(&b, "7")).success();
    let first = snapshot(&a);
    assert_same_tree(&first, &snapshot(&b), "the second generated catalog");
    run(generate_args(&c, "8")).success();
    assert_ne!(first, snapshot(&c), "another seed gives other files");
}

#[test]
fn summary_counts_match_the_files() {
    let dir = tempdir();
    let out = dir.path().join("g");
    let (pairs, dup_rate, overlap) = (300usize, 0.05f64, 0.07f64);
    let args = [
        "generate".to_string(),
        "-o".into(),
        path_str(&out),
        "--pairs".into(),
        pairs.to_string(),
        "--classes".into(),
        "3".into(),
        "--dup-rate".into(),
        dup_rate.to_string(),
        "--overlap".into(),
        overlap.to_string(),
        "--seed".into(),
        "3".into(),
    ];
    let summary = run(args).success().json();
    assert_eq!(summary["pairs"], pairs);
    assert_eq!(summary["exact_duplicates"], (pairs as f64 * dup_rate).round() as u64);
    assert_eq!(summary["overlapping"], (pairs as f64 * overlap).round() as u64);
    assert_eq!(summary["catalog"], path_str(&out.join("catalog.json")));

    let tree = check_tree(&out);
    assert_eq!(tree.items.len(), 2 * pairs);
    let labels = tree.items_of("labels");
    let sources = tree.items_of("source");
    assert_eq!(labels.len(), pairs);
    assert_eq!(sources.len(), pairs);
    let mut class_counts = vec![0u64; 3];
    let mut bboxes: Vec<Vec<f64>> = Vec::new();
    for i in 0..pairs {
        let id = format!("tile_{i:07}");
        let (label_path, label) = &labels[&id];
        let (source_path, source) = &sources[&id];
        assert_eq!(label_path, &out.join(format!("labels/{id}/{id}.json")));
        assert_eq!(source_path, &out.join(format!("source/{id}/{id}.json")));
        let geojson = out.join(format!("labels/{id}/{id}.geojson"));
        let features = read_json(&geojson);
        for feature in features["features"].as_array().expect("features") {
            let class = feature["properties"]["label"].as_str().expect("class");
            let k: usize = class.strip_prefix("class_").expect("class_N").parse().expect("class number");
            class_counts[k] += 1;
        }
        let source_link = label.json["links"].as_array().unwrap().iter().find(|l| l["rel"] == "source").unwrap();
        assert_eq!(source_link["href"], format!("../../source/{id}/{id}.json"));
        bboxes.push(source.json["bbox"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect());
    }
    let expected: Vec<u64> = summary["class_counts"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    assert_eq!(class_counts, expected);

    // Exact duplicates: bboxes equal to an earlier one.
    let duplicates = (0..pairs).filter(|&i| bboxes[..i].contains(&bboxes[i])).count();
    assert_eq!(Value::from(duplicates), summary["exact_duplicates"]);
}

/// What a loaded item shows, keyed by (collection, id): bbox, date (as
/// seconds: a table's text says `+00:00` where the JSON says `Z`), and the
/// (collection, id) of the items its `source` links reach.
type Loaded = BTreeMap<(String, String), ([f64; 4], Option<i64>, Vec<(String, String)>)>;

fn loaded(dataset: &stac_ml::catalog::Dataset) -> Loaded {
    let key = |i: usize| {
        let item = &dataset.items[i];
        (dataset.nodes[item.node as usize].id.clone(), item.id.clone())
    };
    (0..dataset.items.len())
        .map(|i| {
            let item = &dataset.items[i];
            let sources = item.sources.iter().map(|&s| key(s)).collect();
            let datetime = item.datetime.map(|t| {
                chrono::DateTime::parse_from_rfc3339(&t.text()).unwrap_or_else(|e| panic!("{t:?}: {e}")).timestamp()
            });
            (key(i), (item.bbox.expect("a bbox"), datetime, sources))
        })
        .collect()
}

#[test]
fn a_generated_table_holds_the_generated_tree() {
    let dir = tempdir();
    // More pairs than one batch of the table holds, so several are built at once.
    let (pairs, classes) = (4500usize, 6usize);
    let args = ["--pairs", "4500", "--classes", "6", "--dup-rate", "0.05", "--overlap", "0.1", "--seed", "21"];
    let command = |out: &std::path::Path| {
        let mut all = vec!["generate".to_string(), "-o".into(), path_str(out)];
        all.extend(args.iter().map(|s| s.to_string()));
        all
    };
    let tree_dir = dir.path().join("tree");
    let mut tree_summary = run(command(&tree_dir)).success().json();
    tree_summary["catalog"] = Value::Null;
    let mut files = Vec::new();
    for threads in ["1", "3"] {
        let table = dir.path().join(format!("table-{threads}.parquet"));
        let mut summary = run_env(command(&table), &[("RAYON_NUM_THREADS", threads)]).success().json();
        assert_eq!(summary["catalog"], path_str(&table));
        summary["catalog"] = Value::Null;
        assert_eq!(summary, tree_summary, "the table's summary is the tree's");
        files.push(std::fs::read(&table).unwrap());
    }
    assert!(files[0] == files[1], "the table differs between thread counts");

    let table = stac_ml::input::open(&dir.path().join("table-1.parquet")).load().expect("the table loads");
    let tree = stac_ml::catalog::load(&tree_dir.join("catalog.json")).expect("the tree loads");
    assert_eq!(table.items.len(), 2 * pairs);
    assert!(table.warnings.is_empty(), "{:?}", table.warnings);
    let (from_table, from_tree) = (loaded(&table), loaded(&tree));
    assert_eq!(from_table, from_tree, "the table's items are the tree's");
    let key = |collection: &str, id: &str| (collection.to_string(), id.to_string());
    let (bbox, datetime, sources) = &from_table[&key("labels", "tile_0000000")];
    assert_eq!(*bbox, [5.0, 40.0, 5.01, 40.01]);
    let new_year = 1_577_836_800; // 2020-01-01T00:00:00Z
    assert_eq!(*datetime, Some(new_year));
    assert_eq!(sources, &vec![key("source", "tile_0000000")]);
    // Dates run through 365 days, then start over.
    let (_, datetime, sources) = &from_table[&key("source", "tile_0000365")];
    assert_eq!((*datetime, sources.len()), (Some(new_year), 0));

    // The labels' overviews count what the summary reports.
    let mut counts = vec![0u64; classes];
    for label in table.items.iter().filter_map(|item| item.label.as_ref()) {
        for (key, class, count) in label.overview_counts.iter() {
            assert_eq!(key, "label");
            counts[class.strip_prefix("class_").expect("class_N").parse::<usize>().expect("a number")] += count;
        }
    }
    let reported: Vec<u64> =
        tree_summary["class_counts"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    assert_eq!(counts, reported);
    assert_eq!(table.items.iter().filter(|item| item.label.is_some()).count(), pairs);
}

#[test]
fn zero_pairs_is_refused() {
    let dir = tempdir();
    let out = dir.path().join("g");
    let stderr = run(["generate", "-o", &path_str(&out), "--pairs", "0"]).usage_error();
    assert!(stderr.contains("--pairs must be at least 1"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn rates_outside_zero_to_one_are_refused() {
    let dir = tempdir();
    let out = dir.path().join("g");
    let stderr = run(["generate", "-o", &path_str(&out), "--dup-rate", "1.5"]).usage_error();
    assert!(stderr.contains("--dup-rate must be between 0 and 1, got 1.5"), "{stderr}");
}

#[test]
fn non_empty_output_is_refused() {
    let dir = tempdir();
    let out = dir.path().join("g");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "mine").unwrap();
    let stderr = run(["generate", "-o", &path_str(&out), "--pairs", "3"]).usage_error();
    assert!(stderr.contains(&format!("{}: exists and is not empty", out.display())), "{stderr}");
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
}
