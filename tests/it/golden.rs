//! Pinned outputs: the bytes every command produces on the bundled example
//! and on each real catalog beside the checkout, as SHA-256 hashes in
//! `tests/golden/outputs.sha256`. A change of behaviour shows up as an
//! explicit change of that file (`STAC_ML_BLESS=1 cargo test golden` rewrites
//! it; review the diff before committing), never silently.
//!
//! Paths are made machine-independent before hashing: the checkout is
//! replaced by `<CHECKOUT>` and `../shared` by `<SHARED>`. Outputs go to a fixed
//! place under `target/`, so the relative hrefs from the output back to the
//! input's assets are the same on every machine.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::util::{files_under, is_ci, path_str, run};

/// The catalogs: (case name, path relative to the folder holding the checkout).
const CASES: &[(&str, &str)] = &[
    ("example", "main/testdata/example/catalog.json"),
    ("EuroSAT-small-STAC", "shared/testdata/EuroSAT-small-STAC/catalog.json"),
    ("eurosat_rgb_stac_labels", "shared/testdata/eurosat_rgb_stac_labels/catalog.json"),
    ("jaca_dataset_q2", "shared/testdata/jaca_dataset_q2/catalog.json"),
    ("jaca_dataset_stac_labels", "shared/testdata/jaca_dataset_stac_labels/catalog.json"),
    ("label-ext-multidataset", "shared/testdata/label-ext-examples/multidataset/catalog.json"),
    ("ml-dataset-example", "shared/testdata/ml-dataset-example/catalog.json"),
    ("pystac-invalid-catalog", "shared/testdata/pystac-invalid-catalog/catalog.json"),
    ("pystac-test-case-1", "shared/testdata/pystac-test-case-1/catalog.json"),
    ("stac-spec-examples-v1.1.0", "shared/testdata/stac-spec-examples-v1.1.0/catalog.json"),
    ("stac-validator-v100", "shared/testdata/stac-validator-testdata/v100/catalog.json"),
    ("rw-EuroSAT-RGB-small-STAC", "shared/realworld/EuroSAT-RGB-small-STAC/catalog.json"),
    ("rw-bids23_sentinel_2_q2", "shared/realworld/bids23_sentinel_2_q2/catalog.json"),
    ("rw-bids23_sentinel_2_stac", "shared/realworld/bids23_sentinel_2_stac/catalog.json"),
    ("rw-usecaseD-sentinel_2_q2", "shared/realworld/eotdl-usecaseD-ships/sentinel_2_q2/catalog.json"),
    ("rw-usecaseD-sentinel_2_stac", "shared/realworld/eotdl-usecaseD-ships/sentinel_2_stac/catalog.json"),
    ("rw-fair-models-registry", "shared/realworld/fair-models-registry/stac_catalog/catalog.json"),
    ("rw-groundwork-rv-od-export", "shared/realworld/groundwork-rv-od-export/catalog.json"),
    ("rw-mlhub-su-sar-moisture-content", "shared/realworld/mlhub-su-sar-moisture-content/catalog.json"),
    ("rw-pystac-invalid-shared-id", "shared/realworld/pystac-invalid-shared-id/catalog.json"),
    ("rw-pystac-test-case-2", "shared/realworld/pystac-test-case-2/catalog.json"),
    ("rw-pystac-test-case-4", "shared/realworld/pystac-test-case-4/catalog.json"),
    ("rw-pystac-test-case-6", "shared/realworld/pystac-test-case-6/catalog.json"),
    ("rw-su-sar-local-labels", "shared/realworld/su-sar-local-labels/catalog.json"),
];

/// The pinned hashes, one `<sha256>  <case>/<what>` line each.
fn pinned_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/outputs.sha256")
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Error messages name hrefs relative to the input file's folder; when the
/// target is an absolute path of another machine (`/home/...`), how many
/// `../` lead there depends on where `../shared` lies. On stderr, a run of
/// two or more `../` becomes `<UP>/`; written files keep their exact hrefs.
fn up_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("../../") {
        out.push_str(&rest[..start]);
        let mut run = &rest[start..];
        while let Some(next) = run.strip_prefix("../") {
            run = next;
        }
        out.push_str("<UP>/");
        rest = run;
    }
    out.push_str(rest);
    out
}

#[test]
fn up_runs_collapse_only_repeated_parents() {
    assert_eq!(up_runs("a ../../../../home/x b ../c"), "a <UP>/home/x b ../c");
    assert_eq!(up_runs("no parents"), "no parents");
}

/// The absolute paths replaced before hashing.
struct Roots {
    checkout: String,
    shared: String,
}

/// Every output of every command on one catalog, by `<case>/<what>`.
fn outputs(case: &str, catalog: &Path, roots: &Roots, scratch: &Path) -> BTreeMap<String, String> {
    // Whole folder names only: a bare parent such as `/work` also occurs
    // inside unrelated absolute hrefs of the data (`.../workshops/...`).
    let normalise = |text: &str| text.replace(&roots.checkout, "<CHECKOUT>").replace(&roots.shared, "<SHARED>");
    let mut hashes = BTreeMap::new();
    let mut record = |what: &str, bytes: &[u8]| {
        hashes.insert(format!("{case}/{what}"), sha256(bytes));
    };
    let catalog_arg = path_str(catalog);
    let out = scratch.join(case);
    let _ = std::fs::remove_dir_all(&out);
    let q2 = run(["q2", &catalog_arg, "-o", &path_str(&out), "--split-fields", "both", "--report"]);
    record("q2.exit", q2.code.to_string().as_bytes());
    record("q2.stdout", normalise(&q2.stdout).as_bytes());
    record("q2.stderr", up_runs(&normalise(&q2.stderr)).as_bytes());
    if out.exists() {
        for file in files_under(&out) {
            let bytes = std::fs::read(&file).expect("read an output file");
            let text = String::from_utf8_lossy(&bytes);
            let relative = file.strip_prefix(&out).expect("under OUT").display().to_string();
            record(&format!("q2/{relative}"), normalise(&text).as_bytes());
        }
    }
    let _ = std::fs::remove_dir_all(&out);
    for (name, args) in [
        ("metrics", vec!["metrics", &catalog_arg, "--json"]),
        ("validate", vec!["validate", &catalog_arg, "--json"]),
        ("info", vec!["info", &catalog_arg, "--json"]),
    ] {
        let output = run(&args);
        record(&format!("{name}.exit"), output.code.to_string().as_bytes());
        record(&format!("{name}.stdout"), normalise(&output.stdout).as_bytes());
        record(&format!("{name}.stderr"), up_runs(&normalise(&output.stderr)).as_bytes());
    }
    hashes
}

#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared/testdata beside the checkout")]
fn every_command_output_is_pinned() {
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).canonicalize().expect("canonical checkout");
    let parent = checkout.parent().expect("the checkout has a parent").to_path_buf();
    // The checkout may be cloned under any name; cases name it `main/`.
    let resolve = |relative: &str| match relative.strip_prefix("main/") {
        Some(rest) => checkout.join(rest),
        None => parent.join(relative),
    };
    if !parent.join("shared/testdata").is_dir() {
        assert!(!is_ci(), "CI=true but ../shared/testdata is missing");
        println!("skipped: ../shared not found; only pinned outputs of ../shared cases cannot be checked");
        return;
    }
    // Under the checkout, so relative hrefs back to ../shared are the same everywhere.
    let scratch = checkout.join("target/golden-outputs");
    std::fs::create_dir_all(&scratch).expect("create the scratch folder");
    // The checkout's own folder name differs between clones: replace it first.
    let roots = Roots { checkout: path_str(&checkout), shared: path_str(&parent.join("shared")) };
    let mut actual = BTreeMap::new();
    for (case, relative) in CASES {
        let catalog = resolve(relative);
        assert!(catalog.exists(), "{} is missing", catalog.display());
        actual.extend(outputs(case, &catalog, &roots, &scratch));
    }
    let rendered: String = actual.iter().map(|(what, hash)| format!("{hash}  {what}\n")).collect();
    let pinned_path = pinned_file();
    if std::env::var("STAC_ML_BLESS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(pinned_path.parent().expect("tests/golden")).expect("create tests/golden");
        std::fs::write(&pinned_path, &rendered).expect("write the pinned hashes");
        println!("blessed {} outputs into {}", actual.len(), pinned_path.display());
        return;
    }
    let pinned_text = std::fs::read_to_string(&pinned_path)
        .unwrap_or_else(|e| panic!("read {}: {e} (create it with STAC_ML_BLESS=1)", pinned_path.display()));
    let pinned: BTreeMap<String, String> = pinned_text
        .lines()
        .filter_map(|line| line.split_once("  "))
        .map(|(hash, what)| (what.to_string(), hash.to_string()))
        .collect();
    let mut differ = Vec::new();
    for what in pinned.keys().chain(actual.keys()).collect::<std::collections::BTreeSet<_>>() {
        match (pinned.get(what), actual.get(what)) {
            (Some(a), Some(b)) if a == b => {}
            (Some(_), Some(_)) => differ.push(format!("changed: {what}")),
            (Some(_), None) => differ.push(format!("gone: {what}")),
            (None, Some(_)) => differ.push(format!("new: {what}")),
            (None, None) => unreachable!(),
        }
    }
    assert!(
        differ.is_empty(),
        "{} pinned outputs differ (if intended: STAC_ML_BLESS=1 cargo test golden, and commit the diff):\n{}",
        differ.len(),
        differ.join("\n")
    );
}
