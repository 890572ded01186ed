//! `stac-ml generate`: deterministic synthetic catalogs with known counts.

use serde_json::Value;

use crate::util::{assert_same_tree, check_tree, path_str, read_json, run, snapshot, tempdir};

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
