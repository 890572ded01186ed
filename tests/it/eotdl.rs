//! Differential test against EOTDL's own Q2 flow (../shared/peers/eotdl):
//! on the example catalogs where EOTDL works, our `spatial-duplicates` total
//! and `classes-balance` counts equal EOTDL's.
//!
//! The peer is a Python venv made by `../shared/peers/eotdl/setup.sh`
//! (`.ci/run` makes it). Its python is `$EOTDL_PYTHON`, else
//! `$TMPDIR/eotdl-venv/bin/python`. Without it (as build.rs found when the
//! tests were built) `cargo test` reports the tests as ignored; under CI they
//! run and fail.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::{path_str, run, tempdir, testdata_dir};

#[track_caller]
fn peer_python() -> PathBuf {
    let python = std::env::var_os("EOTDL_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("eotdl-venv/bin/python"));
    assert!(
        python.exists(),
        "the EOTDL peer is not installed at {} (run ../shared/peers/eotdl/setup.sh)",
        python.display()
    );
    python
}

/// Runs EOTDL's flow on a copy of `tree` and returns its quality metrics.
fn eotdl_metrics(python: &Path, tree: &Path, catalog: &str) -> Vec<Value> {
    let work = tempdir();
    let script = tree.join("../peers/eotdl/run_q2.py");
    let output = Command::new(python)
        .arg(&script)
        .arg(tree)
        .arg(catalog)
        .arg(work.path().join("run"))
        .output()
        .expect("run the EOTDL peer");
    assert!(output.status.success(), "EOTDL failed: {}", String::from_utf8_lossy(&output.stderr));
    let q2 = work.path().join("run/in/q2/catalog.json");
    let catalog: Value = serde_json::from_slice(&std::fs::read(&q2).expect("EOTDL wrote its Q2 catalog")).unwrap();
    catalog["ml-dataset:quality-metrics"].as_array().expect("EOTDL wrote quality metrics").clone()
}

fn entry<'a>(entries: &'a [Value], name: &str) -> &'a Value {
    entries.iter().find(|e| e["name"] == name).unwrap_or_else(|| panic!("no {name} entry in {entries:?}"))
}

/// property -> class -> total
fn class_totals(entry: &Value) -> BTreeMap<String, BTreeMap<String, u64>> {
    entry["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|property| {
            let classes = property["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| (c["class"].as_str().unwrap().to_string(), c["total"].as_u64().unwrap()))
                .collect();
            (property["name"].as_str().unwrap().to_string(), classes)
        })
        .collect()
}

fn compare(catalog: &str, expected_duplicates: u64) {
    let testdata = testdata_dir();
    let python = peer_python();
    let theirs = eotdl_metrics(&python, &testdata, catalog);
    let ours = run(["metrics", "--json", &path_str(&testdata.join(catalog))]).success().json();
    let ours = ours.as_array().unwrap();
    let (a, b) = (entry(ours, "spatial-duplicates"), entry(&theirs, "spatial-duplicates"));
    assert_eq!(a["total"], b["total"], "spatial-duplicates totals differ");
    assert_eq!(a["total"].as_u64(), Some(expected_duplicates));
    let (a, b) = (class_totals(entry(ours, "classes-balance")), class_totals(entry(&theirs, "classes-balance")));
    assert_eq!(a, b, "classes-balance counts differ");
    assert!(!a.is_empty());
}

#[test]
#[cfg_attr(
    not(all(has_eotdl, has_shared_testdata)),
    ignore = "needs the EOTDL peer (../shared/peers/eotdl/setup.sh; EOTDL_PYTHON) and ../shared/testdata"
)]
fn jaca_matches_eotdl() {
    compare("jaca_dataset_stac_labels/catalog.json", 3);
}

#[test]
#[cfg_attr(
    not(all(has_eotdl, has_shared_testdata)),
    ignore = "needs the EOTDL peer (../shared/peers/eotdl/setup.sh; EOTDL_PYTHON) and ../shared/testdata"
)]
fn eurosat_small_matches_eotdl() {
    compare("EuroSAT-small-STAC/catalog.json", 0);
}
