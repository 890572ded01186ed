//! Finds the optional prerequisites of the integration tests and sets one cfg
//! flag per prerequisite found, so a test that needs a missing one is reported
//! by `cargo test` as ignored, with the reason, instead of passing silently:
//!
//! - `has_shared_testdata`: `../shared/testdata` beside the checkout;
//! - `has_chromium`: `chromium` (or `chromium-browser`) on `PATH`;
//! - `has_pystac`: `python3` on `PATH` can `import pystac`;
//! - `has_eotdl`: the EOTDL peer's python, `$EOTDL_PYTHON` or
//!   `$TMPDIR/eotdl-venv/bin/python`.
//!
//! Under `CI=true` every flag is set, so CI runs every test and a missing
//! prerequisite fails loudly. The flags change nothing in the library or the
//! binary.
//!
//! The script reruns only when an environment variable it reads or a
//! prerequisite it found changes, so python is not spawned on every build.
//! Installing a prerequisite that was missing is not seen until one of those
//! changes: `touch build.rs` (or `cargo test -- --include-ignored`, which runs
//! the ignored tests anyway) after installing one.

use std::path::{Path, PathBuf};
use std::process::Command;

const FLAGS: [&str; 4] = ["has_shared_testdata", "has_chromium", "has_pystac", "has_eotdl"];

fn main() {
    for flag in FLAGS {
        println!("cargo::rustc-check-cfg=cfg({flag})");
    }
    println!("cargo::rerun-if-changed=build.rs");
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
    let found = [
        ("has_shared_testdata", shared_testdata()),
        ("has_chromium", chromium()),
        ("has_pystac", pystac()),
        ("has_eotdl", eotdl_python()),
    ];
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

/// The file of the `pystac` package `python3` imports; watching it notices an
/// uninstall or an upgrade.
fn pystac() -> Option<PathBuf> {
    on_path(&["python3"])?;
    let output = Command::new("python3").args(["-c", "import pystac; print(pystac.__file__)"]).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let path = PathBuf::from(String::from_utf8(output.stdout).ok()?.trim());
    path.is_file().then_some(path)
}

fn eotdl_python() -> Option<PathBuf> {
    let path = std::env::var_os("EOTDL_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("eotdl-venv/bin/python"));
    path.exists().then_some(path)
}
