//! Reading safety (issue 14, points 5–7, 10, 16): special files are refused
//! without blocking, one file's size is capped, deep catalog chains stop with
//! a clear error, a run without threads fails cleanly, and an item changed
//! during `q2` is not published.

use std::path::Path;
use std::time::Duration;

use crate::util::{Output, generate, path_str, run, run_limited, stac_ml, tempdir};

/// Runs the binary with a generous timeout: a hang is a failure, not a stuck suite.
fn run_bounded(args: &[String]) -> Output {
    let output = stac_ml().args(args).timeout(Duration::from_secs(120)).output().expect("run stac-ml");
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn mkfifo(path: &Path) {
    std::fs::remove_file(path).ok();
    let status = std::process::Command::new("mkfifo").arg(path).status().expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Every reading command on `catalog`, expecting exit 2 (`validate`: a
/// finding, exit 1) with `needle` and `blamed` on stderr, within the timeout.
fn every_command_refuses(catalog: &Path, out: &Path, blamed: &Path, needle: &str) {
    let catalog = path_str(catalog);
    let out = path_str(out);
    let commands = [
        args(&["info", &catalog]),
        args(&["metrics", &catalog]),
        args(&["split", &catalog, "-o", &out]),
        args(&["q2", &catalog, "-o", &out]),
    ];
    for command in &commands {
        let output = run_bounded(command);
        let stderr = output.usage_error();
        assert!(stderr.contains(&path_str(blamed)), "{command:?} names {}:\n{stderr}", blamed.display());
        assert!(stderr.contains(needle), "{command:?} says {needle:?}:\n{stderr}");
        assert!(!Path::new(&out).exists(), "{command:?} left an output");
    }
    let output = run_bounded(&args(&["validate", &catalog]));
    assert_eq!(output.code, 1, "validate:\n{}", output.stderr);
    assert!(output.stdout.contains(needle) || output.stderr.contains(needle), "validate says {needle:?}: {output:?}");
}

#[test]
fn a_fifo_item_is_refused_without_blocking() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 3, 1, &[]);
    let item = dir.path().join("in/source/tile_0000001/tile_0000001.json");
    mkfifo(&item);
    every_command_refuses(&catalog, &dir.path().join("out"), &item, "is a FIFO (named pipe), not a regular file");
}

#[test]
fn a_fifo_catalog_or_keep_from_is_refused_without_blocking() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 3, 1, &[]);
    let fifo = dir.path().join("fifo.json");
    mkfifo(&fifo);
    for command in [
        args(&["info", &path_str(&fifo)]),
        args(&["validate", &path_str(&fifo)]),
        args(&[
            "split",
            &path_str(&catalog),
            "-o",
            &path_str(&dir.path().join("out")),
            "--keep-from",
            &path_str(&fifo),
        ]),
    ] {
        let stderr = run_bounded(&command).usage_error();
        assert!(stderr.contains("fifo.json") && stderr.contains("FIFO"), "{command:?}:\n{stderr}");
    }
}

#[test]
fn a_fifo_label_asset_is_a_warning_not_a_hang() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 3, 1, &[]);
    let asset = dir.path().join("in/labels/tile_0000001/tile_0000001.geojson");
    mkfifo(&asset);
    let output = run_bounded(&args(&["metrics", &path_str(&catalog)]));
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(output.stderr.contains(&path_str(&asset)) && output.stderr.contains("FIFO"), "{}", output.stderr);
}

#[test]
fn dev_zero_as_item_or_label_asset_is_refused() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 3, 1, &[]);
    let asset = dir.path().join("in/labels/tile_0000001/tile_0000001.geojson");
    std::fs::remove_file(&asset).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &asset).unwrap();
    let output = run_bounded(&args(&["metrics", &path_str(&catalog)]));
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(output.stderr.contains("is a character device, not a regular file"), "{}", output.stderr);
    let item = dir.path().join("in/source/tile_0000001/tile_0000001.json");
    std::fs::remove_file(&item).unwrap();
    std::os::unix::fs::symlink("/dev/urandom", &item).unwrap();
    every_command_refuses(&catalog, &dir.path().join("out"), &item, "is a character device, not a regular file");
}

#[test]
fn one_file_may_take_at_most_max_file_size() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 3, 1, &[]);
    let item = dir.path().join("in/source/tile_0000001/tile_0000001.json");
    let mut json = crate::util::read_json(&item);
    json["properties"]["pad"] = "x".repeat(9000).into();
    crate::util::write_json(&item, &json);
    let stderr = run(["metrics", &path_str(&catalog), "--max-file-size", "8K"]).usage_error();
    assert!(stderr.contains(&path_str(&item)), "{stderr}");
    assert!(stderr.contains("than the 8 KiB one file may take; raise the limit with --max-file-size"), "{stderr}");
    run(["metrics", &path_str(&catalog), "--max-file-size", "1M"]).success();
    let stderr = run(["metrics", &path_str(&catalog), "--max-file-size", "lots"]).stderr;
    assert!(stderr.contains("is not a size"), "{stderr}");
}

/// A chain of `depth + 1` catalogs, each the only child of the one before,
/// all in one folder (so paths stay short and only the depth grows).
fn chain(dir: &Path, depth: usize) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..=depth {
        let links = if i < depth { format!(r#"[{{"rel": "child", "href": "c{}.json"}}]"#, i + 1) } else { "[]".into() };
        let name = if i == 0 { "catalog.json".to_string() } else { format!("c{i}.json") };
        let json = format!(
            r#"{{"type": "Catalog", "id": "c{i}", "stac_version": "1.0.0", "description": "d", "links": {links}}}"#
        );
        std::fs::write(dir.join(name), json).unwrap();
    }
    dir.join("catalog.json")
}

#[test]
fn a_deep_chain_of_catalogs_stops_at_the_documented_depth_in_bounded_memory() {
    let dir = tempdir();
    // 20,000 levels: before the limit, q2 took gigabytes and overflowed a stack.
    let deep = chain(&dir.path().join("deep"), 20_000);
    let out = dir.path().join("out");
    let expected = "goes deeper than 256 levels of catalogs and collections, the most stac-ml follows";
    for command in [
        args(&["info", &path_str(&deep)]),
        args(&["validate", &path_str(&deep)]),
        args(&["metrics", &path_str(&deep)]),
        args(&["q2", &path_str(&deep), "-o", &path_str(&out), "--collection", "c1", "--tasks", "segmentation"]),
    ] {
        // 1.5 GiB of address space is plenty for a run that stops at level 256.
        let output = run_limited(1536 << 10, &command);
        let stderr = output.usage_error();
        assert!(stderr.contains(expected) && stderr.contains("c256.json"), "{command:?}:\n{stderr}");
        assert!(!out.exists());
    }
    // Exactly the limit is fine.
    let limit = chain(&dir.path().join("limit"), 256);
    run(["metrics", &path_str(&limit)]).success();
}

#[test]
fn without_threads_or_memory_every_command_fails_with_one_line() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 20, 1, &[]);
    let out = dir.path().join("out");
    // As root `ulimit -u` is not enforced, so starve the process of address
    // space instead: from too little for the first allocations, through too little for thread
    // stacks, to enough. Every step must exit 0 or 2 with one error line.
    // The address space the binary needs just to be mapped and print its
    // version (a debug build with arrow and parquet maps over 100 MB): no
    // program can report a limit below that, so the ladder starts there.
    let floor = (50_000u64..4_000_000)
        .step_by(25_000)
        .find(|&kib| run_limited(kib, &args(&["--version"])).code == 0)
        .expect("stac-ml --version runs with 4 GB of address space");
    let mut failed = 0;
    for kib in [0u64, 50_000, 100_000, 150_000, 200_000, 300_000, 500_000, 900_000].map(|extra| floor + extra) {
        for command in [
            args(&["metrics", &path_str(&catalog)]),
            args(&["q2", &path_str(&catalog), "-o", &path_str(&out), "--force"]),
        ] {
            let output = run_limited(kib, &command);
            match output.code {
                0 => {}
                2 => {
                    failed += 1;
                    let lines: Vec<&str> = output.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
                    assert!(
                        lines.len() == 1 && lines[0].starts_with("error: "),
                        "ulimit -v {kib} {command:?}: one error line expected:\n{}",
                        output.stderr
                    );
                    if command[0] == "q2" && out.exists() {
                        crate::util::check_tree(&out);
                    }
                }
                code => panic!("ulimit -v {kib} {command:?}: exit {code}\n{}", output.stderr),
            }
        }
    }
    assert!(failed > 0, "no limit was tight enough to test anything");
    run(["metrics", &path_str(&catalog)]).success();
}

/// Rewrites one item file (a new id, same everything else) when the writing
/// stage begins, as another program editing the input during a run would.
struct EditsWhenWriting {
    item: std::path::PathBuf,
}

impl stac_ml::progress::Observer for EditsWhenWriting {
    fn begin_items(&self, activity: &'static str, _total: u64) {
        if activity == "writing" {
            let mut json = crate::util::read_json(&self.item);
            json["id"] = "renamed-meanwhile".into();
            crate::util::write_json(&self.item, &json);
        }
    }
}

#[test]
fn an_item_changed_during_q2_is_not_published() {
    use stac_ml::pipeline::{MetadataOverrides, Q2Options, SplitRunOptions, SplitSettings, StrategyKind};
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 6, 1, &[]);
    let item = dir.path().join("in/labels/tile_0000003/tile_0000003.json");
    let out = dir.path().join("out");
    let options = Q2Options {
        run: SplitRunOptions {
            split: SplitSettings {
                collection: "labels".into(),
                ratios: vec![80.0, 10.0, 10.0],
                names: None,
                seed: 0,
                strategy: StrategyKind::Random,
                block_size: None,
                keep_from: None,
                cutoffs: None,
                undated: None,
                group_by: None,
            },
            metadata: MetadataOverrides::default(),
            format: Default::default(),
            output: Default::default(),
            out: out.clone(),
            force: false,
            validate: true,
        },
        iou: 0.5,
        report: false,
    };
    let observer = EditsWhenWriting { item: item.clone() };
    let source = stac_ml::source::JsonTree::new(&catalog);
    match stac_ml::pipeline::q2(&source, &options, &observer) {
        Err(stac_ml::Error::InputChanged { path }) => assert_eq!(path, item),
        Err(other) => panic!("expected InputChanged, got {other}"),
        Ok(_) => panic!("q2 published a catalog whose item changed after it was loaded"),
    }
    assert!(!out.exists(), "nothing is published");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no hidden temp folder is left: {leftovers:?}");
    // The same run without the edit publishes.
    stac_ml::pipeline::q2(&source, &options, &stac_ml::progress::Silent).unwrap();
    assert!(out.join("catalog.json").exists());
}

/// `ulimit -u`: as user `nobody` (root ignores RLIMIT_NPROC), with room for
/// no thread at all up to a few, every command exits 0 or 2 with one line.
#[test]
fn without_processes_to_spare_every_command_fails_with_one_line() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 6, 1, &[]);
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let as_nobody = |limit: u32, args: &[&str]| {
        // bash: dash's `ulimit` has no -u.
        std::process::Command::new("bash")
            .arg("-c")
            .arg(format!("ulimit -u {limit} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_stac-ml"))
            .args(args)
            .uid(65534)
            .gid(65534)
            .output()
    };
    let catalog = path_str(&catalog);
    match as_nobody(1000, &["info", &catalog]) {
        Ok(output) if output.status.success() => {}
        other => {
            println!(
                "note: cannot run stac-ml as nobody here ({other:?}); ulimit -u is checked through ulimit -v only"
            );
            return;
        }
    }
    let mut failed = 0;
    for limit in [1, 2, 3, 4, 6, 8] {
        let output = as_nobody(limit, &["metrics", &catalog]).expect("run bash as nobody");
        let stderr = String::from_utf8_lossy(&output.stderr);
        match output.status.code() {
            Some(0) => {}
            Some(2) => {
                failed += 1;
                let lines: Vec<&str> = stderr.lines().collect();
                assert!(
                    lines.len() == 1 && lines[0].starts_with("error: cannot start"),
                    "ulimit -u {limit}: one error line expected:\n{stderr}"
                );
            }
            code => panic!("ulimit -u {limit}: exit {code:?}\n{stderr}"),
        }
    }
    assert!(failed > 0, "ulimit -u 1 leaves no room for a thread, so it must fail");
}
