//! Temporal, grouped and hash splits (issues 12 and 13), and the hints the
//! metrics give about a split, on small catalogs written here.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;

use crate::small::{Item, item, write_catalog};
use crate::util::{generate, path_str, read_json, run, split, split_env, tempdir};

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

/// Recomputes a hash split with Python's hashlib from the written catalog
/// alone: its record (seed, names, thresholds, block size) and each label
/// item's id or bbox, and checks every label item and every source item it
/// links. Prints how many label items it checked.
const HASHLIB_CHECK: &str = r#"
import hashlib, json, math, os, sys
out = sys.argv[1]
record = json.load(open(os.path.join(out, "catalog.json")))["stac-ml:split"]
seed, names, thresholds, size = record["seed"], record["names"], record["thresholds"], record["block_size"]
assert thresholds[-1] == 2**64, thresholds
labels = os.path.join(out, "labels")
checked = 0
for name in sorted(os.listdir(labels)):
    path = os.path.join(labels, name, name + ".json")
    if not os.path.isfile(path):
        continue
    item = json.load(open(path))
    if size is None:
        key = item["id"]
    else:
        w, s, e, n = item["bbox"]
        key = "%d_%d" % (math.floor((w + e) / 2 / size), math.floor((s + n) / 2 / size))
    u = int.from_bytes(hashlib.md5(("%d:%s" % (seed, key)).encode()).digest()[:8], "big")
    expected = names[next(k for k, t in enumerate(thresholds) if u < t)]
    got = item["properties"]["ml-dataset:split"]
    if got != expected:
        sys.exit("%s: %s, hashlib says %s (key %r, u %d)" % (item["id"], got, expected, key, u))
    for link in item["links"]:
        if link["rel"] == "source":
            source = json.load(open(os.path.normpath(os.path.join(labels, name, link["href"]))))
            if source["properties"]["ml-dataset:split"] != expected:
                sys.exit("source %s of %s is not in %s" % (source["id"], item["id"], expected))
    checked += 1
print("checked %d label items" % checked)
"#;

fn hashlib_check(out: &Path) -> String {
    let output = std::process::Command::new("python3")
        .args(["-c", HASHLIB_CHECK, &path_str(out)])
        .output()
        .expect("run python3");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    stdout
}

#[test]
fn hash_split_is_what_python_s_hashlib_computes() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 300, 4, &[]);
    let cases: [&[&str]; 3] = [
        &["--seed", "5"],
        &["--ratios", "70,20,10", "--block-size", "0.03"],
        &["--ratios", "0.5,0.5", "--names", "a,b", "--seed", "18446744073709551615"],
    ];
    for (n, extra) in cases.iter().enumerate() {
        let out = dir.path().join(format!("out-{n}"));
        let mut args = vec!["--strategy", "hash", "--json"];
        args.extend_from_slice(extra);
        let summary = split(&catalog, &out, &args).success().json();
        assert_eq!(hashlib_check(&out), "checked 300 label items\n", "{extra:?}");
        // Sizes only approach the ratios: the summary shows the targets beside them.
        let splits = summary["splits"].as_array().unwrap();
        let targets: Vec<u64> = splits.iter().map(|s| s["target"].as_u64().unwrap()).collect();
        let sizes: Vec<u64> = splits.iter().map(|s| s["items"].as_u64().unwrap()).collect();
        assert_eq!(targets.iter().sum::<u64>(), 300);
        assert_eq!(sizes.iter().sum::<u64>(), 300);
        assert!(sizes.iter().all(|&s| s > 0), "{extra:?}: {sizes:?}");
        assert_eq!(summary["source_items_following_labels"], 300);
        let record = &read_json(&out.join("catalog.json"))["stac-ml:split"];
        assert_eq!(record["strategy"], "hash");
        if n == 0 {
            assert_eq!(targets, [240, 30, 30]);
            assert_ne!(sizes, targets, "a hash split that hits the targets exactly would be a coincidence");
            assert_eq!(
                record["thresholds"],
                serde_json::from_str::<serde_json::Value>(
                    "[14757395258967642112,16602069666338596864,18446744073709551616]"
                )
                .unwrap()
            );
            assert_eq!(record["block_size"], json!(null));
        }
    }
    // The human summary too.
    let out = dir.path().join("text");
    let text = split(&catalog, &out, &["--strategy", "hash"]).success().stdout;
    assert!(text.starts_with("split               items     target\nTraining   "), "{text}");
}

#[test]
fn hash_split_keeps_old_assignments_as_a_catalog_grows_whatever_the_threads() {
    let dir = tempdir();
    let small = generate(&dir.path().join("small"), 80, 9, &[]);
    let large = generate(&dir.path().join("large"), 200, 9, &[]);
    let before = dir.path().join("before");
    split(&small, &before, &["--strategy", "hash", "--seed", "3"]).success();
    let after = dir.path().join("after");
    let one_thread = [("RAYON_NUM_THREADS", "1"), ("STAC_ML_IO_THREADS", "1"), ("POLARS_MAX_THREADS", "1")];
    split_env(&large, &after, &["--strategy", "hash", "--seed", "3"], &one_thread).success();
    let (before, after) = (splits_of(&before), splits_of(&after));
    assert_eq!(before.len(), 80);
    assert_eq!(after.len(), 200);
    for (id, split) in &before {
        assert_eq!(&after[id], split, "{id} moved: the 80 labels of the small catalog are among the large one's");
    }
    // The same catalog again on every thread: the same splits.
    let again = dir.path().join("again");
    split(&large, &again, &["--strategy", "hash", "--seed", "3"]).success();
    assert_eq!(splits_of(&again), after, "thread counts change nothing");
}

#[test]
fn hash_split_keys_joined_labels_by_the_smallest_id() {
    use stac_ml::hash_split::{position, split_of, thresholds};
    let halves = thresholds(&[0.5, 0.5]);
    let at = |seed: u64, key: &str| split_of(position(seed, key), &halves);
    // A seed for which "a" and "b" alone would go to different splits, and
    // "-1_0" (the cell of "c") to the second.
    let seed = (0..).find(|&s| at(s, "a") != at(s, "b") && at(s, "-1_0") == 1).unwrap();
    let dir = tempdir();
    let label =
        |id: &str, bbox: [f64; 4]| item(id, bbox).label(&["kind"], None).with("label:tasks", json!(["segmentation"]));
    let items = vec![
        label("b", [0.0, 0.0, 1.0, 1.0]).source("source", "s1"),
        label("a", [5.0, 5.0, 6.0, 6.0]).source("source", "s1").source("source", "s2"),
        // Centre x = -0.5: cell -1, not 0.
        label("c", [-1.0, 0.0, 0.0, 1.0]).source("source", "s3"),
    ];
    let sources =
        vec![item("s1", [0.0, 0.0, 1.0, 1.0]), item("s2", [0.0, 0.0, 1.0, 1.0]), item("s3", [-1.0, 0.0, 0.0, 1.0])];
    let catalog = write_catalog(&dir.path().join("in"), &[("labels", items), ("source", sources)]);
    let names = ["x", "y"];
    let seed_text = seed.to_string();
    let args = ["--strategy", "hash", "--ratios", "50,50", "--names", "x,y", "--seed", &seed_text];
    let out = dir.path().join("by-id");
    split(&catalog, &out, &args).success();
    let of = splits_of(&out);
    let a = names[at(seed, "a") as usize];
    assert_eq!((of["a"].as_str(), of["b"].as_str()), (a, a), "b joins a through s1");
    assert_eq!(of["c"], names[at(seed, "c") as usize]);
    let tree = crate::util::check_tree(&out);
    let source_splits: BTreeMap<String, String> =
        tree.items_of("source").into_iter().map(|(id, (_, item))| (id, item.split().unwrap().to_string())).collect();
    assert_eq!(source_splits, map(&[("s1", a), ("s2", a), ("s3", &of["c"])]));

    // Keyed by cell: a's cell is 5_5, c's is -1_0 (floor of -0.5).
    let out = dir.path().join("by-cell");
    let mut with_cells = args.to_vec();
    with_cells.extend(["--block-size", "1"]);
    split(&catalog, &out, &with_cells).success();
    let of = splits_of(&out);
    assert_eq!(of["c"], "y");
    assert_eq!(of["a"], names[at(seed, "5_5") as usize]);
    assert_eq!(of["b"], of["a"]);
    assert_eq!(read_json(&out.join("catalog.json"))["stac-ml:split"]["block_size"], json!(1.0));
}

#[test]
fn hash_split_by_group_and_after_a_previous_split() {
    use stac_ml::hash_split::{position, split_of, thresholds};
    let dir = tempdir();
    let items = vec![
        field_item("a1", Some("north")),
        field_item("a2", Some("north")),
        field_item("b1", Some("south")),
        field_item("n1", None).with("field", json!(7)),
        field_item("c1", None),
    ];
    let catalog = write_catalog(&dir.path().join("in"), &[("labels", items)]);
    let out = dir.path().join("grouped");
    let output = split(&catalog, &out, &["--strategy", "hash", "--group-by", "field", "--seed", "2"]).success();
    assert!(
        output.stderr.contains(
            "warning: 1 units are keyed by their item's id for the hash split: their key items lack the property \"field\"\n"
        ),
        "{}",
        output.stderr
    );
    let t = thresholds(&[0.8, 0.1, 0.1]);
    let name = |key: &str| ["Training", "Validation", "Test"][split_of(position(2, key), &t) as usize].to_string();
    assert_eq!(
        splits_of(&out),
        map(&[
            ("a1", &name("north")),
            ("a2", &name("north")),
            ("b1", &name("south")),
            ("n1", &name("7")),
            ("c1", &name("c1"))
        ])
    );
    assert_eq!(read_json(&out.join("catalog.json"))["stac-ml:split"]["group_by"], "field");

    // Kept items keep their split; new ones (none here) would be hashed.
    let first = dir.path().join("first");
    split(&catalog, &first, &["--ratios", "20,40,40", "--seed", "3"]).success();
    let kept = dir.path().join("kept");
    let previous = path_str(&first.join("catalog.json"));
    split(&catalog, &kept, &["--strategy", "hash", "--keep-from", &previous]).success();
    assert_eq!(splits_of(&kept), splits_of(&first));
    assert_eq!(read_json(&kept.join("catalog.json"))["stac-ml:split"]["kept_from_previous"], true);
}

#[test]
fn hash_flags_are_checked_before_reading() {
    let dir = tempdir();
    let catalog = dir.path().join("none/catalog.json");
    let out = dir.path().join("out");
    let cases: &[(&[&str], &str)] = &[
        (
            &["--strategy", "hash", "--block-size", "0"],
            "error: --block-size must be between 1e-6 and 360 degrees, got 0\n",
        ),
        (
            &["--strategy", "hash", "--block-size", "inf"],
            "error: --block-size must be between 1e-6 and 360 degrees, got inf\n",
        ),
        (
            &["--strategy", "hash", "--block-size", "NaN"],
            "error: --block-size must be between 1e-6 and 360 degrees, got NaN\n",
        ),
        (&["--strategy", "hash", "--cutoffs", "2021-01-01"], "error: --cutoffs needs --strategy temporal\n"),
        (&["--block-size", "1"], "error: --block-size needs --strategy spatial or hash\n"),
        (
            &["--strategy", "hash", "--block-size", "1", "--group-by", "field"],
            "error: --group-by does not combine with --block-size in strategy hash: a unit is keyed by its value or by its cell\n",
        ),
        (
            &["--strategy", "hash", "--ratios", "80,10"],
            "error: --ratios 80,10 sum to 90; give percentages that sum to 100 or fractions that sum to 1\n",
        ),
    ];
    for (extra, expected) in cases {
        assert_eq!(&split(&catalog, &out, extra).usage_error(), expected, "{extra:?}");
    }
}

/// A hash split keyed by id scatters neighbours like a random one: q2 hints
/// at its leak, naming the block size and the spatial strategy, and so does
/// `metrics` on the written catalog, which records the strategy.
#[test]
fn a_leaking_hash_split_is_hinted() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 40, 2, &["--overlap", "0.3"]);
    let out = dir.path().join("out");
    let output =
        run(["q2", &path_str(&catalog), "-o", &path_str(&out), "--strategy", "hash", "--seed", "1", "--no-validate"])
            .success();
    let hint = output.stderr.lines().find(|l| l.starts_with("hint: the hash split leaks: ")).unwrap_or_else(|| {
        panic!("no leak hint: {}", output.stderr);
    });
    assert!(hint.contains("; --block-size (a grid cell larger than a footprint)"), "{hint}");
    assert!(hint.ends_with("--strategy spatial keeps every overlapping footprint in one split"), "{hint}");
    let again = run(["metrics", &path_str(&out.join("catalog.json"))]).success();
    assert!(again.stderr.contains(hint), "{}", again.stderr);
}
