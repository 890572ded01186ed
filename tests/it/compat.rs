//! Interoperability: pystac reads what `split` writes.

use std::path::Path;
use std::process::Command;

use crate::util::{path_str, split, tempdir, testdata};

/// Fails the test, naming the fix, when pystac cannot be imported: build.rs
/// found it when the test was built (or CI=true asked for every test).
fn require_pystac() {
    let found = Command::new("python3").args(["-c", "import pystac"]).output().is_ok_and(|o| o.status.success());
    assert!(found, "python3 cannot import pystac (python3 -m pip install pystac)");
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
#[cfg_attr(
    not(all(has_pystac, has_shared_testdata)),
    ignore = "needs pystac (python3 -m pip install pystac) and ../shared/testdata beside the checkout"
)]
fn pystac_reads_the_eurosat_q2_catalog() {
    require_pystac();
    let input = testdata("EuroSAT-small-STAC");
    let dir = tempdir();
    let out = dir.path().join("q2");
    split(&input.join("catalog.json"), &out, &[]).success();
    let summary = pystac_read(&out.join("catalog.json"), 200);
    assert!(summary.contains("200 items, 100 label items: Training 80, Validation 10, Test 10"), "{summary}");
}

#[test]
#[cfg_attr(not(has_pystac), ignore = "pystac not installed: python3 -m pip install pystac")]
fn pystac_reads_two_named_splits() {
    require_pystac();
    let dir = tempdir();
    let input = dir.path().join("in");
    crate::util::generate(&input, 30, 2, &[]);
    let out = dir.path().join("q2");
    split(&input.join("catalog.json"), &out, &["--ratios", "0.5,0.5", "--names", "train,test"]).success();
    let summary = pystac_read(&out.join("catalog.json"), 60);
    assert!(summary.contains("60 items, 30 label items: train 15, test 15"), "{summary}: {}", path_str(&out));
}

#[test]
#[cfg_attr(not(has_pystac), ignore = "pystac not installed: python3 -m pip install pystac")]
fn pystac_reads_a_catalog_with_hostile_ids() {
    require_pystac();
    let dir = tempdir();
    let input = crate::split::hostile_ids_catalog(&dir.path().join("in"));
    let out = dir.path().join("q2");
    split(&input, &out, &[]).success();
    let summary = pystac_read(&out.join("catalog.json"), 3);
    assert!(summary.contains("3 items, 3 label items: Training 3, Validation 0, Test 0"), "{summary}");
}
