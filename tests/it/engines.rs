//! Interoperability of stac-geoparquet (issue 13): the Python engines read what
//! stac-ml writes, and stac-ml reads what they write.
//!
//! The scripts live in tests/engines/ (each says what it checks). Every test
//! compares real values: the counts per split peers read against stac-ml's own
//! `--json` summary, the metrics of the same items in JSON and in Parquet.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::{generate, path_str, run, tempdir};

/// `tests/engines/<name>`.
fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/engines").join(name)
}

/// Runs `python3 tests/engines/<name> args...`; its stdout. Fails the test
/// with both outputs when the script exits non-zero.
#[track_caller]
fn python(name: &str, args: &[&Path]) -> String {
    let path = script(name);
    assert!(path.is_file(), "{} is missing", path.display());
    let output = Command::new("python3").arg(&path).args(args).output().expect("run python3");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{name} {args:?} failed ({})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    stdout
}

/// The last line of a script's stdout, as JSON (the scripts print their
/// result there).
#[track_caller]
fn last_json_line(stdout: &str) -> Value {
    let line = stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("last line is not JSON ({e}):\n{stdout}"))
}

/// `stac-ml ARGS` (with `-q`), which must succeed and print JSON.
#[track_caller]
fn stac_ml_json(args: &[&str]) -> Value {
    let mut args: Vec<&str> = args.to_vec();
    args.push("-q");
    run(&args).success().json()
}

/// `[{"name": N, "items": C}, ...]` (a summary's or info's `splits`) as N → C.
#[track_caller]
fn named_counts(splits: &Value) -> BTreeMap<String, u64> {
    let splits = splits.as_array().unwrap_or_else(|| panic!("splits is not an array: {splits}"));
    splits
        .iter()
        .map(|s| (s["name"].as_str().expect("split name").to_string(), s["items"].as_u64().expect("split items")))
        .collect()
}

/// `{"N": C, ...}` (readback.py's and spark_partitions.py's counts) as N → C.
#[track_caller]
fn object_counts(counts: &Value) -> BTreeMap<String, u64> {
    let counts = counts.as_object().unwrap_or_else(|| panic!("counts is not an object: {counts}"));
    counts.iter().map(|(k, v)| (k.clone(), v.as_u64().expect("a count"))).collect()
}

/// `stac-ml metrics PATH --json`, entries by name, in an order-free form:
/// - the `samples` entry's collections sorted by id: their order follows the
///   input's walk (JSON) or rows (Parquet);
/// - every entry's per-split list (`splits`) sorted by split name, and
///   `split-leakage`'s pairs of splits sorted: a JSON catalog's root lists its
///   splits in order (`ml-dataset:splits`), a file written by a peer or by
///   Spark has no root and stac-ml then orders them by name.
///
/// Everything else (every count, class, item id, ratio) is compared as printed.
#[track_caller]
fn metrics(path: &Path) -> BTreeMap<String, Value> {
    let value = stac_ml_json(&["metrics", &path_str(path), "--json"]);
    let entries = value.as_array().unwrap_or_else(|| panic!("metrics --json is not an array: {value}"));
    entries
        .iter()
        .map(|entry| {
            let mut entry = entry.clone();
            if let Some(collections) = entry.get_mut("collections").and_then(Value::as_array_mut) {
                collections.sort_by_key(|c| c["id"].to_string());
            }
            if let Some(splits) = entry.get_mut("splits").and_then(Value::as_array_mut) {
                splits.sort_by_key(|s| s.get("split").or_else(|| s.get("name")).map(Value::to_string));
            }
            if entry["name"] == "split-leakage"
                && let Some(values) = entry.get_mut("values").and_then(Value::as_array_mut)
            {
                for pair in values.iter_mut() {
                    if let Some(splits) = pair.get_mut("splits").and_then(Value::as_array_mut) {
                        splits.sort_by_key(Value::to_string);
                    }
                }
                values.sort_by_key(|v| v["splits"].to_string());
            }
            (entry["name"].as_str().expect("entry name").to_string(), entry)
        })
        .collect()
}

/// Asserts two metric sets are equal, naming the first entry that differs.
#[track_caller]
fn assert_same_metrics(got: &BTreeMap<String, Value>, expected: &BTreeMap<String, Value>, what: &str) {
    assert_eq!(got.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>(), "{what}: metric entries");
    for (name, entry) in expected {
        assert_eq!(&got[name], entry, "{what}: metric entry {name} differs from the JSON catalog's");
    }
}

/// `info --json` collections as id → (items, label items).
#[track_caller]
fn collection_counts(info: &Value) -> BTreeMap<String, (u64, u64)> {
    let collections = info["collections"].as_array().unwrap_or_else(|| panic!("no collections in {info}"));
    collections
        .iter()
        .map(|c| {
            let counts = (c["items"].as_u64().expect("items"), c["label_items"].as_u64().expect("label_items"));
            (c["id"].as_str().expect("collection id").to_string(), counts)
        })
        .collect()
}

#[test]
#[cfg_attr(
    not(all(has_stac_geoparquet, has_rustac, has_geopandas, has_duckdb)),
    ignore = "needs stac-geoparquet, rustac, geopandas and duckdb: python3 -m pip install stac-geoparquet rustac geopandas duckdb"
)]
fn peers_read_back_q2_geoparquet() {
    let dir = tempdir();
    let input = generate(&dir.path().join("in"), 200, 7, &[]);
    let out = dir.path().join("q2.parquet");
    let summary = stac_ml_json(&["q2", &path_str(&input), "-o", &path_str(&out), "--seed", "7", "--json"]);
    let label_splits = named_counts(&summary["splits"]);
    assert_eq!(label_splits.values().sum::<u64>(), 200, "{summary}");

    let stdout = python("readback.py", &[&out, &input]);
    let counts = last_json_line(&stdout);
    assert_eq!(counts["rows"], 400, "{stdout}");
    // The summary counts label items; each source item follows its label item.
    assert_eq!(object_counts(&counts["collections"]["labels"]), label_splits, "{stdout}");
    assert_eq!(object_counts(&counts["collections"]["source"]), label_splits, "{stdout}");

    let info = stac_ml_json(&["info", &path_str(&out), "--json"]);
    assert_eq!(info["items"], 400, "{info}");
    assert_eq!(named_counts(&info["splits"]), object_counts(&counts["splits"]), "info against DuckDB's counts");
}

#[test]
#[cfg_attr(
    not(all(has_stac_geoparquet, has_rustac, has_geopandas, has_duckdb)),
    ignore = "needs stac-geoparquet, rustac, geopandas and duckdb: python3 -m pip install stac-geoparquet rustac geopandas duckdb"
)]
fn peers_read_back_split_partitions() {
    let dir = tempdir();
    let input = generate(&dir.path().join("in"), 200, 3, &[]);
    let out = dir.path().join("parts");
    let summary = stac_ml_json(&[
        "split",
        &path_str(&input),
        "-o",
        &path_str(&out),
        "--partition-by",
        "split",
        "--seed",
        "3",
        "--json",
    ]);
    let label_splits = named_counts(&summary["splits"]);
    for name in label_splits.keys() {
        let part = out.join(format!("split={name}")).join("part-00000.parquet");
        assert!(part.is_file(), "{} is missing", part.display());
    }

    // readback.py also checks that each row's ml-dataset:split is its folder's.
    let stdout = python("readback.py", &[&out, &input]);
    let counts = last_json_line(&stdout);
    assert_eq!(counts["rows"], 400, "{stdout}");
    assert_eq!(object_counts(&counts["collections"]["labels"]), label_splits, "{stdout}");
    assert_eq!(object_counts(&counts["collections"]["source"]), label_splits, "{stdout}");
}

#[test]
#[cfg_attr(
    not(all(has_stac_geoparquet, has_rustac)),
    ignore = "needs stac-geoparquet and rustac: python3 -m pip install stac-geoparquet rustac"
)]
fn metrics_of_peer_written_geoparquet_equal_the_json_catalogs() {
    let dir = tempdir();
    // Duplicates and overlaps, so every metric has entries to compare.
    let input = generate(&dir.path().join("in"), 150, 4, &["--dup-rate", "0.1", "--overlap", "0.1"]);
    let q2 = dir.path().join("q2");
    stac_ml_json(&["q2", &path_str(&input), "-o", &path_str(&q2), "--seed", "4", "--json"]);
    let catalog = q2.join("catalog.json");
    let peers = dir.path().join("peers");
    python("write_peers.py", &[&catalog, &peers]);

    let expected = metrics(&catalog);
    assert!(expected["spatial-duplicates"]["total"].as_u64() > Some(0), "{:?}", expected["spatial-duplicates"]);
    assert!(expected["split-leakage"]["total"].as_u64() > Some(0), "{:?}", expected["split-leakage"]);
    for file in ["stac_geoparquet.parquet", "rustac.parquet"] {
        assert_same_metrics(&metrics(&peers.join(file)), &expected, file);
    }
}

#[test]
#[cfg_attr(
    not(all(has_pyspark, has_stac_geoparquet)),
    ignore = "needs pyspark (and java) and stac-geoparquet: python3 -m pip install pyspark stac-geoparquet"
)]
fn spark_partitioned_folders_read_like_the_file() {
    let dir = tempdir();
    let input = generate(&dir.path().join("in"), 100, 5, &[]);
    let out = dir.path().join("q2.parquet");
    stac_ml_json(&["q2", &path_str(&input), "-o", &path_str(&out), "--seed", "5", "--json"]);
    let spark = dir.path().join("spark");
    let stdout = python("spark_partitions.py", &[&out, &spark]);
    let written = last_json_line(&stdout);

    let info = stac_ml_json(&["info", &path_str(&out), "--json"]);
    let expected_metrics = metrics(&out);
    let splits = named_counts(&info["splits"]);
    assert_eq!(object_counts(&written["split"]["partitions"]), splits, "{stdout}");
    for by in ["split", "collection"] {
        let folder = spark.join(by);
        assert!(folder.join("_SUCCESS").is_file(), "{} is not Spark output", folder.display());
        let what = format!("spark partitionBy {by}");
        let got = stac_ml_json(&["info", &path_str(&folder), "--json"]);
        assert_eq!(got["items"], 200, "{what}: {got}");
        assert_eq!(named_counts(&got["splits"]), splits, "{what}");
        // Partitioned by collection, Spark drops the column from the files:
        // stac-ml takes it from the `collection=` folders.
        assert_eq!(collection_counts(&got), collection_counts(&info), "{what}");
        assert_same_metrics(&metrics(&folder), &expected_metrics, &what);
    }
}

/// 100,000 items (50,000 pairs) split by `--strategy hash`; hash_sql.py
/// recomputes every row's split with the README's DuckDB and Spark SQL.
#[test]
#[cfg_attr(
    not(all(has_duckdb, has_pyspark)),
    ignore = "needs duckdb and pyspark (and java): python3 -m pip install duckdb pyspark"
)]
fn readme_hash_sql_agrees_on_100k_items() {
    let dir = tempdir();
    let input = dir.path().join("x.parquet");
    let input_arg = path_str(&input);
    run(["generate", "-o", input_arg.as_str(), "--pairs", "50000", "--seed", "13"]).success();
    let out = dir.path().join("out.parquet");
    let summary = stac_ml_json(&["q2", &path_str(&input), "-o", &path_str(&out), "--strategy", "hash", "--json"]);
    assert_eq!(named_counts(&summary["splits"]).values().sum::<u64>(), 50_000, "{summary}");
    // tests/engines/hash_sql.py checks the README's SQL; it exits non-zero on
    // any row whose recomputed split differs.
    python("hash_sql.py", &[&out]);
}
