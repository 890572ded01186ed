//! Finds the optional prerequisites of the integration tests and sets one cfg
//! flag per prerequisite found, so a test that needs a missing one is reported
//! by `cargo test` as ignored, with the reason, instead of passing silently:
//!
//! - `has_shared_testdata`: `../shared/testdata` beside the checkout;
//! - `has_chromium`: `chromium` (or `chromium-browser`) on `PATH`;
//! - `has_pystac`: `python3` on `PATH` can `import pystac`;
//! - `has_tifffile`: `python3` on `PATH` can `import tifffile, numpy,
//!   imagecodecs` (the independent reader of raster label masks);
//! - `has_duckdb`, `has_stac_geoparquet` (with `pyarrow`), `has_rustac`,
//!   `has_geopandas` (with `shapely`): `python3` can import them (the peers
//!   that read and write stac-geoparquet, tests/engines/);
//! - `has_pyspark`: `python3` can `import pyspark` and `java` is on `PATH`;
//! - `has_eotdl`: the EOTDL peer's python, `$EOTDL_PYTHON` or
//!   `$TMPDIR/eotdl-venv/bin/python`.
//!
//! Under `CI=true` every flag is set, so CI runs every test and a missing
//! prerequisite fails loudly. The flags change nothing in the library or the
//! binary.
//!
//! It also writes `$OUT_DIR/bundled_schemas.rs`: one `(URL, include_str!(...))`
//! row per entry of `schemas/index.json`, so the index is the one list of
//! what the binary embeds (`validate::schemas::BUNDLED`).
//!
//! The script reruns only when an environment variable it reads or a
//! prerequisite it found changes, so python is not spawned on every build.
//! Installing a prerequisite that was missing is not seen until one of those
//! changes: `touch build.rs` (or `cargo test -- --include-ignored`, which runs
//! the ignored tests anyway) after installing one.

use std::path::{Path, PathBuf};
use std::process::Command;

const FLAGS: [&str; 10] = [
    "has_shared_testdata",
    "has_chromium",
    "has_pystac",
    "has_tifffile",
    "has_eotdl",
    "has_duckdb",
    "has_pyspark",
    "has_stac_geoparquet",
    "has_rustac",
    "has_geopandas",
];

/// The Python flags, each with the modules `python3` must import (the last
/// one's file is watched).
const PYTHON_FLAGS: [(&str, &[&str]); 7] = [
    ("has_pystac", &["pystac"]),
    ("has_tifffile", &["numpy", "imagecodecs", "tifffile"]),
    ("has_duckdb", &["duckdb"]),
    ("has_pyspark", &["pyspark"]),
    ("has_stac_geoparquet", &["pyarrow", "stac_geoparquet"]),
    ("has_rustac", &["rustac"]),
    ("has_geopandas", &["shapely", "geopandas"]),
];

fn main() {
    for flag in FLAGS {
        println!("cargo::rustc-check-cfg=cfg({flag})");
    }
    println!("cargo::rerun-if-changed=build.rs");
    bundled_schemas();
    for var in ["CI", "PATH", "EOTDL_PYTHON", "TMPDIR", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE"] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        for flag in FLAGS {
            println!("cargo::rustc-cfg={flag}");
        }
        return;
    }
    // Only paths that exist are watched: cargo treats a missing watched path
    // as changed, which would rerun this script (and rebuild the crate) on
    // every build.
    let python = python_modules();
    let java = on_path(&["java"]);
    let mut found =
        vec![("has_shared_testdata", shared_testdata()), ("has_chromium", chromium()), ("has_eotdl", eotdl_python())];
    for (flag, _) in PYTHON_FLAGS {
        let path = python.iter().find(|(f, _)| f == flag).map(|(_, path)| path.clone());
        // Spark runs on a JVM: without `java` pyspark cannot start a session.
        let path = if flag == "has_pyspark" { path.filter(|_| java.is_some()) } else { path };
        found.push((flag, path));
    }
    if let Some(java) = &java {
        println!("cargo::rerun-if-changed={}", java.display());
    }
    for (flag, path) in found {
        if let Some(path) = path {
            println!("cargo::rustc-cfg={flag}");
            println!("cargo::rerun-if-changed={}", path.display());
        }
    }
}

fn shared_testdata() -> Option<PathBuf> {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let path = Path::new(&manifest).join("../shared/testdata");
    path.is_dir().then_some(path)
}

/// A program on `PATH`, the way a shell finds it.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths).flat_map(|dir| names.iter().map(move |name| dir.join(name))).find(|p| p.is_file())
}

fn chromium() -> Option<PathBuf> {
    let fixed = PathBuf::from("/usr/bin/chromium");
    if fixed.is_file() { Some(fixed) } else { on_path(&["chromium", "chromium-browser"]) }
}

/// Every flag of [`PYTHON_FLAGS`] whose modules `python3` imports, with the
/// file of its last module; watching it notices an uninstall or an upgrade.
/// One `python3` run tries them all.
fn python_modules() -> Vec<(String, PathBuf)> {
    if on_path(&["python3"]).is_none() {
        return Vec::new();
    }
    let checks: Vec<String> = PYTHON_FLAGS.iter().map(|(flag, modules)| format!("({flag:?}, {modules:?})")).collect();
    // A module that fails to import (missing, or a broken dependency) leaves
    // its flag out; the others still print.
    let script = format!(
        "import importlib\n\
         for flag, modules in [{}]:\n    \
         try:\n        \
         print(flag, [importlib.import_module(m) for m in modules][-1].__file__)\n    \
         except Exception:\n        \
         pass\n",
        checks.join(", ")
    );
    let Ok(output) = Command::new("python3").args(["-c", &script]).output() else {
        return Vec::new();
    };
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(flag, path)| (flag.to_string(), PathBuf::from(path.trim())))
        .filter(|(_, path)| path.is_file())
        .collect()
}

fn eotdl_python() -> Option<PathBuf> {
    let path = std::env::var_os("EOTDL_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("eotdl-venv/bin/python"));
    path.exists().then_some(path)
}

/// Writes the embedded schema list from `schemas/index.json`. A malformed
/// index stops the build with a message naming the entry.
fn bundled_schemas() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let schemas = manifest.join("schemas");
    println!("cargo::rerun-if-changed={}", schemas.display());
    let index = std::fs::read(schemas.join("index.json")).expect("schemas/index.json is readable");
    let index: Vec<serde_json::Value> = serde_json::from_slice(&index).expect("schemas/index.json is a JSON array");
    let mut rows = String::from("&[\n");
    for entry in &index {
        let (Some(url), Some(path)) = (entry["url"].as_str(), entry["path"].as_str()) else {
            panic!("schemas/index.json: {entry} needs a \"url\" and a \"path\"");
        };
        let file = schemas.join(path);
        assert!(file.is_file(), "schemas/index.json: {path} (for {url}) is not a file");
        rows.push_str(&format!("    ({url:?}, include_str!({:?})),\n", file.display().to_string()));
    }
    rows.push_str("]\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("bundled_schemas.rs"), rows).expect("OUT_DIR is writable");
}
