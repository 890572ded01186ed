//! Interoperability: pystac reads what `split` writes.

use std::path::Path;
use std::process::Command;

use crate::util::{is_ci, path_str, shared_catalog, split, tempdir};

/// True when `python3 -c "import pystac"` works. Outside CI a missing pystac
/// skips the test; in CI (`CI=true`) it fails it.
fn pystac_available() -> bool {
    let found = Command::new("python3").args(["-c", "import pystac"]).output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(!is_ci(), "CI=true but pystac cannot be imported (python3 -m pip install pystac)");
        println!("skipped: pystac not installed");
    }
    found
}

fn pystac_read(catalog: &Path, expected_items: usize) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compat/pystac_read.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg(catalog)
        .arg(expected_items.to_string())
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "pystac_read.py failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
    stdout
}

#[test]
fn pystac_reads_the_eurosat_q2_catalog() {
    let Some(input) = shared_catalog("EuroSAT-small-STAC") else { return };
    if !pystac_available() {
        return;
    }
    let dir = tempdir();
    let out = dir.path().join("q2");
    split(&input.join("catalog.json"), &out, &[]).success();
    let summary = pystac_read(&out.join("catalog.json"), 200);
    assert!(summary.contains("200 items, 100 label items: Training 80, Validation 10, Test 10"), "{summary}");
}

#[test]
fn pystac_reads_two_named_splits() {
    if !pystac_available() {
        return;
    }
    let dir = tempdir();
    let input = dir.path().join("in");
    crate::util::generate(&input, 30, 2, &[]);
    let out = dir.path().join("q2");
    split(&input.join("catalog.json"), &out, &["--ratios", "0.5,0.5", "--names", "train,test"]).success();
    let summary = pystac_read(&out.join("catalog.json"), 60);
    assert!(summary.contains("60 items, 30 label items: train 15, test 15"), "{summary}: {}", path_str(&out));
}

#[test]
fn pystac_reads_a_catalog_with_hostile_ids() {
    if !pystac_available() {
        return;
    }
    let dir = tempdir();
    let input = crate::split::hostile_ids_catalog(&dir.path().join("in"));
    let out = dir.path().join("q2");
    split(&input, &out, &[]).success();
    let summary = pystac_read(&out.join("catalog.json"), 3);
    assert!(summary.contains("3 items, 3 label items: Training 3, Validation 0, Test 0"), "{summary}");
}
