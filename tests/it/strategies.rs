//! Temporal and grouped splits (issue 12), and the hints the metrics give
//! about a split, on small catalogs written here.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;

use crate::small::{Item, item, write_catalog};
use crate::util::{path_str, read_json, run, split, tempdir};

/// The split of each item of the output's `labels` collection, from its
/// `ml-dataset:split-items`.
fn splits_of(out: &Path) -> BTreeMap<String, String> {
    let collection = read_json(&out.join("labels/collection.json"));
    let mut of = BTreeMap::new();
    for entry in collection["ml-dataset:split-items"].as_array().expect("split-items") {
        for id in entry["items"].as_array().unwrap() {
            of.insert(id.as_str().unwrap().to_string(), entry["name"].as_str().unwrap().to_string());
        }
    }
    of
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

fn dated(id: &str, datetime: Option<&str>) -> Item {
    let base = item(id, [0.0, 0.0, 1.0, 1.0]).label(&["kind"], None).with("label:tasks", json!(["segmentation"]));
    match datetime {
        Some(t) => base.with("datetime", json!(t)),
        None => base,
    }
}

fn timed_catalog(root: &Path, undated: bool) -> std::path::PathBuf {
    let mut items = vec![
        dated("a", Some("2020-01-01T00:00:00Z")),
        dated("b", Some("2020-06-01T12:00:00+02:00")),
        // Exactly at the first cutoff: the second split.
        dated("c", Some("2021-01-01T00:00:00Z")),
        dated("d", Some("2021-06-01T00:00:00Z")),
        // No datetime, a start_datetime: that decides.
        dated("e", None).with("start_datetime", json!("2022-03-01T00:00:00Z")),
    ];
    if undated {
        items.push(dated("f", None));
    }
    write_catalog(&root.join("in"), &[("labels", items)])
}

const TEMPORAL: [&str; 6] =
    ["--strategy", "temporal", "--cutoffs", "2021-01-01,2022-01-01", "--names", "train,val,test"];

#[test]
fn temporal_split_by_cutoffs() {
    let dir = tempdir();
    let catalog = timed_catalog(dir.path(), false);
    let out = dir.path().join("out");
    split(&catalog, &out, &TEMPORAL).success();
    assert_eq!(splits_of(&out), map(&[("a", "train"), ("b", "train"), ("c", "val"), ("d", "val"), ("e", "test")]));
    let record = &read_json(&out.join("catalog.json"))["stac-ml:split"];
    assert_eq!(record["strategy"], "temporal");
    assert_eq!(record["cutoffs"], json!(["2021-01-01T00:00:00Z", "2022-01-01T00:00:00Z"]));
    assert_eq!(record["ratios"], json!(null));
    assert_eq!(record["undated"], json!(null));
}

#[test]
fn undated_items_are_refused_by_name_or_placed_where_asked() {
    let dir = tempdir();
    let catalog = timed_catalog(dir.path(), true);
    let out = dir.path().join("out");
    let stderr = split(&catalog, &out, &TEMPORAL).usage_error();
    let file = dir.path().join("in/labels/f/f.json");
    assert_eq!(
        stderr,
        format!(
            "error: {}: item \"f\" has no datetime or start_datetime in RFC 3339 with a time zone; --strategy temporal needs one (or place undated items with --undated SPLIT)\n",
            file.display()
        )
    );
    assert!(!out.exists());
    let mut args = TEMPORAL.to_vec();
    args.extend(["--undated", "val"]);
    split(&catalog, &out, &args).success();
    assert_eq!(splits_of(&out)["f"], "val");
    assert_eq!(read_json(&out.join("catalog.json"))["stac-ml:split"]["undated"], "val");
}

#[test]
fn temporal_flags_are_checked_before_reading() {
    let dir = tempdir();
    // The catalog does not exist: each error is about the flags.
    let catalog = dir.path().join("none/catalog.json");
    let out = dir.path().join("out");
    let cases: &[(&[&str], &str)] = &[
        (&["--cutoffs", "2021-01-01"], "error: --cutoffs needs --strategy temporal\n"),
        (&["--strategy", "temporal"], "error: --cutoffs is needed by strategy temporal\n"),
        (
            &["--strategy", "temporal", "--cutoffs", "2021-01-01"],
            "error: --names are needed: 1 cutoffs make 2 splits (the default names are for 3)\n",
        ),
        (
            &["--strategy", "temporal", "--cutoffs", "2021-01-01", "--names", "a,b,c"],
            "error: --cutoffs: 1 cutoffs make 2 splits, but 3 split names are given; give one name more than cutoffs\n",
        ),
        (
            &["--strategy", "temporal", "--cutoffs", "2022-01-01,2021-01-01"],
            "error: --cutoffs: \"2021-01-01\" is not after the cutoff before it; give them in increasing order\n",
        ),
        (
            &["--strategy", "temporal", "--cutoffs", "2021-13-01,2022-01-01"],
            "error: --cutoffs: \"2021-13-01\" is not a date (YYYY-MM-DD) or an RFC 3339 date-time\n",
        ),
        (
            &["--strategy", "temporal", "--cutoffs", "2021-01-01,2022-01-01", "--ratios", "50,25,25"],
            "error: --ratios do not apply to strategy temporal: the cutoffs decide\n",
        ),
        (
            &["--strategy", "temporal", "--cutoffs", "2021-01-01,2022-01-01", "--undated", "Later"],
            "error: --undated: \"Later\" is not among the split names Training,Validation,Test\n",
        ),
        (
            &["--strategy", "temporal", "--cutoffs", "2021-01-01,2022-01-01", "--group-by", "field"],
            "error: --group-by does not combine with strategy temporal\n",
        ),
        (&["--undated", "Test"], "error: --undated needs --strategy temporal\n"),
    ];
    for (extra, expected) in cases {
        assert_eq!(&split(&catalog, &out, extra).usage_error(), expected, "{extra:?}");
    }
}

#[test]
fn temporal_split_keeps_previous_splits() {
    let dir = tempdir();
    let catalog = timed_catalog(dir.path(), false);
    let first = dir.path().join("first");
    split(&catalog, &first, &["--ratios", "20,40,40", "--names", "train,val,test", "--seed", "3"]).success();
    let before = splits_of(&first);
    let out = dir.path().join("out");
    let mut args = TEMPORAL.to_vec();
    let previous = path_str(&first.join("catalog.json"));
    args.extend(["--keep-from", &previous]);
    split(&catalog, &out, &args).success();
    assert_eq!(splits_of(&out), before, "every item kept its previous split");
}

fn field_item(id: &str, field: Option<&str>) -> Item {
    let base = item(id, [0.0, 0.0, 1.0, 1.0]).label(&["kind"], None).with("label:tasks", json!(["segmentation"]));
    match field {
        Some(f) => base.with("field", json!(f)),
        None => base,
    }
}

#[test]
fn group_by_keeps_a_property_value_in_one_split() {
    let dir = tempdir();
    let items = vec![
        field_item("a1", Some("north")),
        field_item("a2", Some("north")),
        field_item("a3", Some("north")),
        field_item("b1", Some("south")),
        field_item("b2", Some("south")),
        field_item("c1", None),
    ];
    let catalog = write_catalog(&dir.path().join("in"), &[("labels", items)]);
    for (strategy, seed) in [("random", "0"), ("random", "7"), ("stratified", "1"), ("spatial", "2")] {
        let out = dir.path().join(format!("out-{strategy}-{seed}"));
        let output = split(
            &catalog,
            &out,
            &["--group-by", "field", "--strategy", strategy, "--seed", seed, "--ratios", "50,50", "--names", "x,y"],
        )
        .success();
        let of = splits_of(&out);
        assert_eq!(of.len(), 6);
        assert!(of["a1"] == of["a2"] && of["a2"] == of["a3"], "{strategy}: {of:?}");
        assert_eq!(of["b1"], of["b2"], "{strategy}: {of:?}");
        assert!(
            output
                .stderr
                .contains("warning: 1 of 6 items lack the property \"field\"; each of them is a group of its own\n"),
            "{}",
            output.stderr
        );
        let record = &read_json(&out.join("catalog.json"))["stac-ml:split"];
        assert_eq!(record["group_by"], "field");
    }
    // A top-level field groups too: every item shares its collection.
    let out = dir.path().join("by-collection");
    split(&catalog, &out, &["--group-by", "collection", "--ratios", "50,50", "--names", "x,y"]).success();
    let of = splits_of(&out);
    assert!(of.values().all(|s| *s == of["a1"]), "{of:?}");
}

#[test]
fn hints_name_missing_classes_and_leaks() {
    let dir = tempdir();
    // Four overlapping tiles, one of them the only "rare" one, split 50/50 at random.
    let class_item = |id: &str, class: &str, x: f64| {
        item(id, [x, 0.0, x + 1.0, 1.0])
            .label(&["kind"], None)
            .with("label:tasks", json!(["classification"]))
            .with("kind", json!(class))
    };
    let items = vec![
        class_item("a", "common", 0.0),
        class_item("b", "common", 0.5),
        class_item("c", "common", 1.0),
        class_item("d", "rare", 1.5),
    ];
    let catalog = write_catalog(&dir.path().join("in"), &[("labels", items)]);
    let out = dir.path().join("out");
    let output =
        run(["q2", &path_str(&catalog), "-o", &path_str(&out), "--ratios", "50,50", "--names", "x,y", "--no-validate"])
            .success();
    let hints: Vec<&str> = output.stderr.lines().filter(|l| l.starts_with("hint: ")).collect();
    assert_eq!(hints.len(), 2, "{}", output.stderr);
    assert!(
        hints[0].starts_with("hint: label property \"kind\": 1 class is missing from some split: \"rare\" (none in "),
        "{hints:?}"
    );
    assert!(hints[0].ends_with("; --strategy stratified splits each class in the ratios"), "{hints:?}");
    assert!(hints[1].starts_with("hint: the random split leaks: "), "{hints:?}");
    assert!(hints[1].ends_with("--strategy spatial keeps overlapping footprints in one split"), "{hints:?}");
    // The spatial strategy leaks nothing, so it gets no leak hint.
    let spatial = dir.path().join("spatial");
    let output = run([
        "q2",
        &path_str(&catalog),
        "-o",
        &path_str(&spatial),
        "--ratios",
        "50,50",
        "--names",
        "x,y",
        "--strategy",
        "spatial",
        "--no-validate",
    ])
    .success();
    assert!(!output.stderr.contains("leaks"), "{}", output.stderr);
    // metrics on the written catalog knows it was split at random.
    let again = run(["metrics", &path_str(&out.join("catalog.json"))]).success();
    assert!(again.stderr.contains("hint: the random split leaks"), "{}", again.stderr);
    assert!(again.stdout.contains("normalised entropy"), "{}", again.stdout);
}
