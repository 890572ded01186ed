//! The command line as a new user meets it: flag mistakes before any data is
//! read, one output convention (`--json`, `--split-fields`, old spellings
//! with a note), dataset folders wherever a catalog is taken, `--help`.

use std::path::Path;

use serde_json::Value;

use crate::util::{generate, path_str, run, split, tempdir};

/// Every command that takes a catalog takes its dataset folder as well, and
/// prints what it prints for the catalog file.
#[test]
fn every_command_accepts_a_dataset_folder() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("gen"), 8, 1, &[]);
    let folder = path_str(catalog.parent().unwrap());
    let file = path_str(&catalog);
    let neutral = |text: &str| text.replace(&file, "ROOT");
    for args in [vec!["info", "--json"], vec!["metrics", "--json"], vec!["validate", "--json"]] {
        let by_file = run([args[0], &file, args[1]]);
        let by_folder = run([args[0], &folder, args[1]]);
        assert_eq!(by_folder.code, by_file.code, "{args:?} on the folder:\n{}", by_folder.stderr);
        assert_eq!(neutral(&by_folder.stdout), neutral(&by_file.stdout), "{args:?}");
    }
    let out = dir.path().join("q2");
    let q2 = run(["q2", &folder, "-o", &path_str(&out), "--json"]).success();
    assert_eq!(q2.json()["catalog"], Value::String(path_str(&out.join("catalog.json"))));
    let again = split(&out, &dir.path().join("split"), &["--keep-from", &path_str(&out)]).success();
    assert!(again.stdout.contains("8 items kept their previous split"), "{}", again.stdout);
    let report = dir.path().join("r.html");
    run(["report", &folder, "-o", &path_str(&report)]).success();
    assert!(std::fs::metadata(&report).unwrap().len() > 1000);
    // A folder without catalog.json says so and what to give.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let stderr = run(["info", &path_str(&empty)]).usage_error();
    assert!(stderr.contains("is a folder without catalog.json; give the path of the root catalog file"), "{stderr}");
}

/// A catalog whose every item is unreadable: loading it fails, so any flag
/// error seen must have been found before the data was read.
fn unloadable(dir: &Path) -> std::path::PathBuf {
    let catalog = generate(&dir.join("in"), 4, 1, &[]);
    for entry in walkdir(catalog.parent().unwrap()) {
        if entry.extension().is_some_and(|e| e == "json") && entry != catalog {
            std::fs::write(&entry, "{ not json").unwrap();
        }
    }
    catalog
}

fn walkdir(root: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() { stack.push(path) } else { files.push(path) }
        }
    }
    files
}

/// Settings that need no data are checked first: a typo is reported, not
/// the catalog that would have taken long to load (or does not exist).
#[test]
fn flag_mistakes_come_before_the_catalog_is_read() {
    let dir = tempdir();
    let broken = unloadable(dir.path());
    let missing = dir.path().join("nowhere/catalog.json");
    let occupied = dir.path().join("occupied");
    std::fs::create_dir(&occupied).unwrap();
    std::fs::write(occupied.join("keep.txt"), "mine").unwrap();
    let inside = broken.parent().unwrap().join("out");
    let cases: Vec<(Vec<String>, String)> = vec![
        (vec!["--ratios".into(), "80,10".into(), "--names".into(), "a,b".into()], "--ratios 80,10 sum to 90".into()),
        (vec!["--ratios".into(), "60,40".into()], "2 ratios given; name the splits with --names".into()),
        (vec!["--names".into(), "a,b".into()], "2 split names (a,b) for 3 ratios".into()),
        (vec!["--annotations-type".into(), "polygons".into()], "--annotations-type: \"polygons\" is not one of".into()),
        (vec!["--tasks".into(), "counting".into()], "--tasks: \"counting\" is not one of".into()),
        (vec!["--inputs-type".into(), "sound".into()], "--inputs-type: \"sound\" is not one of".into()),
        (vec!["--type".into(), "final".into()], "--type: \"final\" is not one of".into()),
        (vec!["--block-size".into(), "1".into()], "--block-size needs --strategy spatial or hash".into()),
        (
            vec!["--strategy".into(), "spatial".into(), "--block-size".into(), "0".into()],
            "--block-size must be between 1e-6 and 360 degrees, got 0".into(),
        ),
    ];
    let elsewhere = dir.path().join("out");
    for catalog in [&broken, &missing] {
        for command in ["split", "q2"] {
            for (extra, expected) in &cases {
                let mut args = vec![command.to_string(), path_str(catalog), "-o".into(), path_str(&elsewhere)];
                args.extend(extra.iter().cloned());
                let stderr = run(&args).usage_error();
                assert!(stderr.contains(expected), "{args:?}: expected {expected:?}, got:\n{stderr}");
            }
            let iou = run([command, &path_str(catalog), "-o", &path_str(&elsewhere), "--iou", "2"]);
            if command == "q2" {
                let stderr = iou.usage_error();
                assert!(stderr.contains("--iou must be in (0, 1], got 2"), "{stderr}");
            }
            let stderr = run([command, &path_str(catalog), "-o", &path_str(&occupied)]).usage_error();
            assert!(stderr.contains("exists and is not empty; pass --force to replace it"), "{command}: {stderr}");
            assert!(!elsewhere.exists());
        }
    }
    for command in ["split", "q2"] {
        let stderr = run([command, &path_str(&broken), "-o", &path_str(&inside)]).usage_error();
        assert!(stderr.contains("is inside the input's folder"), "{command}: {stderr}");
        let stderr = run([command, &path_str(&broken), "-o", &path_str(dir.path())]).usage_error();
        assert!(stderr.contains("contains the input's folder"), "{command}: {stderr}");
    }
    assert_eq!(std::fs::read_to_string(occupied.join("keep.txt")).unwrap(), "mine");
    for command in ["metrics", "report"] {
        let mut args = vec![command.to_string(), path_str(&missing), "--iou".into(), "0".into()];
        if command == "report" {
            args.extend(["-o".into(), path_str(&dir.path().join("r.html"))]);
        }
        let stderr = run(&args).usage_error();
        assert!(stderr.contains("--iou must be in (0, 1], got 0"), "{command}: {stderr}");
    }
}

/// `--json` on every command that prints results; `--split-fields` names the
/// split fields; the old spellings still work and say what to write instead.
#[test]
fn one_output_convention_with_old_spellings_noted() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("gen"), 6, 1, &[]);
    let file = path_str(&catalog);

    let json = run(["validate", &file, "--json"]);
    let old = run(["validate", &file, "--format", "json"]);
    assert_eq!((json.code, &json.stdout), (old.code, &old.stdout));
    assert!(json.json()["findings"].is_array());
    assert!(!json.stderr.contains("deprecated"), "{}", json.stderr);
    assert!(old.stderr.contains("warning: --format json is deprecated; use --json"), "{}", old.stderr);
    let github = run(["validate", &file, "--output-format", "github"]);
    let old = run(["validate", &file, "--format", "github"]);
    assert_eq!(github.stdout, old.stdout);
    assert!(github.stdout.starts_with("::"), "{}", github.stdout);
    assert!(old.stderr.contains("--format github is deprecated; use --output-format github"), "{}", old.stderr);

    let new = split(&catalog, &dir.path().join("a"), &["--split-fields", "both", "--json"]).success();
    let old = split(&catalog, &dir.path().join("b"), &["--format", "both", "--json"]).success();
    assert!(!new.stderr.contains("deprecated"), "{}", new.stderr);
    assert!(old.stderr.contains("warning: --format is deprecated; use --split-fields both"), "{}", old.stderr);
    let a = std::fs::read_to_string(dir.path().join("a/labels/tile_0000000/tile_0000000.json")).unwrap();
    let b = std::fs::read_to_string(dir.path().join("b/labels/tile_0000000/tile_0000000.json")).unwrap();
    assert_eq!(a, b);
    assert!(a.contains("ml-aoi:split") && a.contains("ml-dataset:split"), "{a}");
    let both = split(&catalog, &dir.path().join("c"), &["--split-fields", "both", "--format", "ml-aoi"]);
    assert!(both.usage_error().contains("cannot be used with"));

    let report = dir.path().join("r.html");
    let printed = run(["report", &file, "-o", &path_str(&report), "--json", "--no-validate"]).success().json();
    assert_eq!(printed["report"], Value::String(path_str(&report)));
    assert_eq!(printed["bytes"].as_u64(), Some(std::fs::metadata(&report).unwrap().len()));
}

/// `--help` groups output flags apart from the ML-Dataset metadata, keeps
/// examples copyable and lists only the stages a command times.
#[test]
fn help_groups_flags_and_keeps_examples_whole() {
    let section = |help: &str, heading: &str| -> String {
        let start = help.find(&format!("\n{heading}:\n")).unwrap_or_else(|| panic!("no {heading} in:\n{help}"));
        let rest = &help[start + heading.len() + 3..];
        rest[..rest.find("\n\n").unwrap_or(rest.len())].to_string()
    };
    for command in ["split", "q2"] {
        let help = run([command, "-h"]).success().stdout;
        let output = section(&help, "Output");
        for flag in ["--output <OUTPUT>", "--force", "--json", "--output-format", "--timings"] {
            assert!(output.contains(flag), "{command}: {flag} not under Output:\n{output}");
        }
        let metadata = section(&help, "ML-Dataset metadata");
        assert!(metadata.contains("--annotations-type") && !metadata.contains("--force"), "{metadata}");
        assert!(help.contains("--split-fields <FIELDS>") && !help.contains("--format"), "{help}");
    }
    let validate = run(["validate", "--help"]).success().stdout;
    assert!(validate.contains("--json"), "{validate}");
    assert!(
        validate.lines().any(|l| l.trim() == "https://stac-extensions.github.io/sat/v1.0.0/schema.json=sat.json"),
        "the --schema example is not on one line:\n{validate}"
    );
    for (command, stages) in [("metrics", Some("load, measure")), ("split", Some("load, split")), ("info", None)] {
        let help = run([command, "-h"]).success().stdout;
        match stages {
            Some(stages) => assert!(help.contains(stages), "{command}:\n{help}"),
            None => assert!(!help.contains("--timings"), "{command}:\n{help}"),
        }
        assert!(!help.contains("validation)"), "{command} lists stages it does not have:\n{help}");
    }
}

/// `split` says what `q2` says when the input has schema errors: it
/// validates its output before publishing, as `q2` does.
#[test]
fn split_counts_validation_errors_carried_over() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("gen"), 3, 1, &[]);
    let item = dir.path().join("gen/source/tile_0000001/tile_0000001.json");
    let mut json: Value = serde_json::from_str(&std::fs::read_to_string(&item).unwrap()).unwrap();
    json["properties"]["gsd"] = Value::from(-5);
    std::fs::write(&item, serde_json::to_string(&json).unwrap()).unwrap();
    let expected = "warning: the Q2 catalog has 1 validation errors carried over from the input";
    for command in ["split", "q2"] {
        let out = dir.path().join(command);
        let output = run([command, &path_str(&catalog), "-o", &path_str(&out)]).success();
        assert!(output.stderr.contains(expected), "{command}:\n{}", output.stderr);
        assert!(out.join("catalog.json").is_file());
    }
    let skipped = split(&catalog, &dir.path().join("unchecked"), &["--no-validate"]).success();
    assert!(!skipped.stderr.contains("carried over"), "{}", skipped.stderr);
}
