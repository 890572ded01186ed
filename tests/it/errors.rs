//! Bad inputs: each gives exit code 2, no panic, an error line that names the
//! offending file or option, and no output. One table drives the cases; the
//! catalogs are built inline in temp dirs.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::util::{generate, path_str, run, split, tempdir, write_json};

fn catalog_json(id: &str, links: Value) -> Value {
    json!({"type": "Catalog", "stac_version": "1.0.0", "id": id, "description": "test", "links": links})
}

fn collection_json(id: &str, links: Value) -> Value {
    json!({
        "type": "Collection", "stac_version": "1.0.0", "id": id, "description": "test", "license": "CC0-1.0",
        "extent": {"spatial": {"bbox": [[0, 0, 1, 1]]}, "temporal": {"interval": [[null, null]]}},
        "links": links,
    })
}

fn label_item_json(id: &str) -> Value {
    json!({
        "type": "Feature", "stac_version": "1.0.0", "id": id,
        "stac_extensions": ["https://stac-extensions.github.io/label/v1.0.1/schema.json"],
        "bbox": [0, 0, 1, 1],
        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]},
        "properties": {
            "datetime": "2020-01-01T00:00:00Z", "label:type": "vector", "label:properties": ["class"],
            "label:tasks": ["classification"], "label:description": "d",
        },
        "links": [], "assets": {},
    })
}

/// root catalog -> `labels` collection -> one item file per (file name, JSON).
fn catalog_with_items(root: &Path, items: &[(&str, Value)]) -> PathBuf {
    let catalog = root.join("catalog.json");
    write_json(&catalog, &catalog_json("root", json!([{"rel": "child", "href": "./labels/collection.json"}])));
    let links: Vec<Value> = items.iter().map(|(file, _)| json!({"rel": "item", "href": format!("./{file}")})).collect();
    write_json(&root.join("labels/collection.json"), &collection_json("labels", json!(links)));
    for (file, item) in items {
        write_json(&root.join("labels").join(file), item);
    }
    catalog
}

/// What one case runs `split` on, and what stderr must contain.
struct Run {
    /// The catalog path given to `split`.
    catalog: PathBuf,
    /// Arguments after `split CATALOG -o OUT`.
    extra: Vec<&'static str>,
    /// Each must appear in stderr.
    expect: Vec<String>,
}

/// One row of the table: builds its input under a fresh folder and returns
/// the runs to make; `valid` is a shared valid catalog for option errors.
type Case = (&'static str, fn(&Path, &Path) -> Vec<Run>);

fn run_on(catalog: &Path, extra: &[&'static str], expect: &[&str]) -> Run {
    Run {
        catalog: catalog.to_path_buf(),
        extra: extra.to_vec(),
        expect: expect.iter().map(|s| s.to_string()).collect(),
    }
}

const CASES: &[Case] = &[
    ("missing catalog file", |dir, _| {
        let catalog = dir.join("in/catalog.json");
        vec![run_on(&catalog, &[], &[&format!("error: {}: No such file or directory", catalog.display())])]
    }),
    ("malformed JSON names file and line", |dir, _| {
        let catalog = catalog_with_items(&dir.join("in"), &[("a.json", label_item_json("a"))]);
        let bad = dir.join("in/labels/collection.json");
        std::fs::write(&bad, "{\n  \"type\": \"Collection\",\n  \"id\": \"labels\"\n  \"links\": []\n}\n").unwrap();
        vec![run_on(&catalog, &[], &[&format!("{}: malformed JSON", bad.display()), "line 4"])]
    }),
    ("malformed item JSON names the item", |dir, _| {
        let catalog = catalog_with_items(&dir.join("in"), &[("a.json", label_item_json("a"))]);
        let bad = dir.join("in/labels/a.json");
        std::fs::write(&bad, "{\"type\": \"Feature\", \"id\": }").unwrap();
        vec![run_on(&catalog, &[], &[&format!("{}: malformed JSON", bad.display()), "line 1"])]
    }),
    ("item that is a JSON array", |dir, _| {
        let catalog = catalog_with_items(&dir.join("in"), &[("a.json", json!([1, 2, 3]))]);
        let bad = dir.join("in/labels/a.json");
        vec![run_on(&catalog, &[], &[&format!("{}: expected a STAC Item object", bad.display())])]
    }),
    ("item link to a catalog", |dir, _| {
        let catalog = catalog_with_items(&dir.join("in"), &[("a.json", catalog_json("a", json!([])))]);
        let bad = dir.join("in/labels/a.json");
        let message =
            format!("{}: has type \"Catalog\"; an item link must reach a STAC Item (type \"Feature\")", bad.display());
        vec![run_on(&catalog, &[], &[&message])]
    }),
    ("child link to an item", |dir, _| {
        let catalog = dir.join("in/catalog.json");
        write_json(&catalog, &catalog_json("root", json!([{"rel": "child", "href": "./x.json"}])));
        let bad = dir.join("in/x.json");
        write_json(&bad, &label_item_json("x"));
        vec![run_on(&catalog, &[], &[&format!("{}: is a STAC Item", bad.display())])]
    }),
    ("broken child link names the linking file", |dir, _| {
        let catalog = dir.join("in/catalog.json");
        write_json(&catalog, &catalog_json("root", json!([{"rel": "child", "href": "./missing/collection.json"}])));
        let target = dir.join("in/missing/collection.json");
        let message = format!(
            "{}: broken child link: ./missing/collection.json ({} does not exist)",
            catalog.display(),
            target.display()
        );
        vec![run_on(&catalog, &[], &[&message])]
    }),
    ("broken item link names the item file", |dir, _| {
        let catalog = catalog_with_items(&dir.join("in"), &[("a.json", label_item_json("a"))]);
        let links = json!([{"rel": "item", "href": "./a.json"}, {"rel": "item", "href": "./gone.json"}]);
        write_json(&dir.join("in/labels/collection.json"), &collection_json("labels", links));
        vec![run_on(&catalog, &[], &["gone.json"])]
    }),
    ("cyclic child link", |dir, _| {
        let catalog = dir.join("in/catalog.json");
        write_json(&catalog, &catalog_json("root", json!([{"rel": "child", "href": "./child/catalog.json"}])));
        let child = dir.join("in/child/catalog.json");
        write_json(&child, &catalog_json("child", json!([{"rel": "child", "href": "../catalog.json"}])));
        let message =
            format!("{}: cyclic child link: ../catalog.json leads back to {}", child.display(), catalog.display());
        vec![run_on(&catalog, &[], &[&message])]
    }),
    ("duplicate item ids in one collection", |dir, _| {
        let items = [
            ("a.json", label_item_json("same")),
            ("b.json", label_item_json("same")),
            ("c.json", label_item_json("c")),
        ];
        let catalog = catalog_with_items(&dir.join("in"), &items);
        let (a, b) = (dir.join("in/labels/a.json"), dir.join("in/labels/b.json"));
        let message = format!("{}: duplicate item id \"same\" in \"labels\" (also in {})", b.display(), a.display());
        vec![run_on(&catalog, &[], &[&message])]
    }),
    ("remote child link is not followed", |dir, _| {
        let catalog = dir.join("in/catalog.json");
        // A reserved, unroutable host: the case passes offline and fails fast if fetched.
        let href = "https://example.invalid/collection.json";
        write_json(&catalog, &catalog_json("root", json!([{"rel": "child", "href": href}])));
        let message = format!("{}: remote child link {href} is not followed (stac-ml works offline", catalog.display());
        vec![run_on(&catalog, &[], &[&message])]
    }),
    ("remote item link is not followed", |dir, _| {
        let catalog = catalog_with_items(&dir.join("in"), &[("a.json", label_item_json("a"))]);
        let collection = dir.join("in/labels/collection.json");
        let href = "https://example.invalid/item.json";
        let links = json!([{"rel": "item", "href": "./a.json"}, {"rel": "item", "href": href}]);
        write_json(&collection, &collection_json("labels", links));
        let message = format!("{}: remote item link {href} is not followed", collection.display());
        vec![run_on(&catalog, &[], &[&message])]
    }),
    ("catalog path that is a folder without catalog.json", |dir, _| {
        std::fs::create_dir_all(dir.join("empty")).unwrap();
        vec![run_on(
            &dir.join("empty"),
            &[],
            &["is a folder without catalog.json; give the path of the root catalog file"],
        )]
    }),
    ("ratios that do not sum", |_, valid| {
        let message = "--ratios 80,10 sum to 90; give percentages that sum to 100 or fractions that sum to 1";
        vec![
            run_on(valid, &["--ratios", "80,10", "--names", "a,b"], &[message]),
            run_on(valid, &["--ratios", "0.5,0.2,0.2"], &["--ratios 0.5,0.2,0.2 sum to 0."]),
        ]
    }),
    ("ratio sum is printed without float noise", |_, valid| {
        vec![run_on(valid, &["--ratios", "0.5,0.2,0.2"], &["--ratios 0.5,0.2,0.2 sum to 0.9;"])]
    }),
    ("ratios that do not sum without names", |_, valid| vec![run_on(valid, &["--ratios", "80,10"], &["sum to 90"])]),
    ("ratios must be positive", |_, valid| {
        vec![
            run_on(valid, &["--ratios", "50,50,0"], &["error: --ratios: 0 is not a positive number"]),
            run_on(valid, &["--ratios", "120,-10,-10"], &["is not a positive number"]),
        ]
    }),
    ("two ratios need names", |_, valid| {
        vec![
            run_on(valid, &["--ratios", "60,40"], &["2 ratios given; name the splits with --names"]),
            run_on(valid, &["--ratios", "60,40", "--names", "a,b,c"], &["3 split names (a,b,c) for 2 ratios"]),
            run_on(valid, &["--ratios", "60,40", "--names", "a,a"], &["--names: \"a\" is given twice"]),
        ]
    }),
    ("unknown collection lists the available ids", |_, valid| {
        let message = format!("unknown collection \"nope\" in {}; available: source, labels", valid.display());
        vec![run_on(valid, &["--collection", "nope"], &[&message])]
    }),
    ("bad enum values", |_, valid| {
        vec![
            run_on(
                valid,
                &["--annotations-type", "polygons"],
                &["error: --annotations-type: \"polygons\" is not one of: raster, vector"],
            ),
            run_on(valid, &["--tasks", "segmentation,counting"], &["--tasks: \"counting\" is not one of:"]),
            run_on(valid, &["--type", "final"], &["--type: \"final\" is not one of:"]),
        ]
    }),
    ("unknown flag", |_, valid| vec![run_on(valid, &["--no-such-flag"], &["--no-such-flag"])]),
    ("bad --format value", |_, valid| {
        vec![run_on(valid, &["--format", "csv"], &["invalid value 'csv' for '--format"])]
    }),
];

/// Why one run broke the rule (exit 2, no panic, an error line, each expected
/// text, nothing written), or `None` when it kept it.
fn check(run: &Run, out: &Path) -> Option<String> {
    let output = split(&run.catalog, out, &run.extra);
    let mut wrong = Vec::new();
    if output.code != 2 {
        wrong.push(format!("exit code {} instead of 2", output.code));
    }
    if output.stderr.contains("panicked") {
        wrong.push("the binary panicked".to_string());
    }
    if !output.stderr.contains("error: ") {
        wrong.push("no error line on stderr".to_string());
    }
    for text in &run.expect {
        if !output.stderr.contains(text.as_str()) {
            wrong.push(format!("stderr lacks {text:?}"));
        }
    }
    if out.exists() {
        wrong.push(format!("{} was written", out.display()));
    }
    (!wrong.is_empty()).then(|| {
        format!(
            "split {} -o {} {}: {}\nstdout:\n{}\nstderr:\n{}",
            run.catalog.display(),
            out.display(),
            run.extra.join(" "),
            wrong.join("; "),
            output.stdout,
            output.stderr
        )
    })
}

/// Every case runs (on threads: each is a process start), and the failure
/// lists each failing case by name with its output.
#[test]
fn bad_inputs_exit_2_and_name_the_culprit() {
    let dir = tempdir();
    let valid = generate(&dir.path().join("valid"), 10, 1, &[]);
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = CASES
            .iter()
            .enumerate()
            .map(|(n, (name, build))| {
                let (dir, valid) = (dir.path().join(format!("case-{n}")), &valid);
                scope.spawn(move || {
                    std::fs::create_dir_all(&dir).expect("create the case folder");
                    let runs = build(&dir, valid);
                    assert!(!runs.is_empty(), "case {name} makes no run");
                    let problems: Vec<String> = runs
                        .iter()
                        .enumerate()
                        .filter_map(|(r, run)| check(run, &dir.join(format!("out-{r}"))))
                        .collect();
                    (!problems.is_empty()).then(|| format!("case {name:?}:\n{}", problems.join("\n")))
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().expect("a case panicked while building its input")).collect()
    });
    assert!(failures.is_empty(), "{} of {} cases failed:\n\n{}", failures.len(), CASES.len(), failures.join("\n\n"));
}

fn valid_catalog(dir: &Path) -> PathBuf {
    generate(&dir.join("in"), 10, 1, &[])
}

fn split_fails(dir: &Path, catalog: &Path, extra: &[&str]) -> String {
    let out = dir.join("out");
    let stderr = split(catalog, &out, extra).usage_error();
    assert!(!out.exists(), "nothing is written on error");
    stderr
}

/// An unknown flag with no catalog at all still exits 2 without a panic.
#[test]
fn clap_errors_exit_2() {
    let output = run(["split", "--no-such-flag"]);
    assert_eq!(output.code, 2, "{output:?}");
    assert!(!output.stderr.contains("panicked"));
    assert!(output.stderr.contains("error: "), "{}", output.stderr);
}

/// Library errors name settings; the CLI words them with its flags. Every
/// mapped wording, as the whole of stderr.
#[test]
fn setting_errors_name_their_flags() {
    let dir = tempdir();
    let catalog = valid_catalog(dir.path());
    let missing = dir.path().join("none.json");
    let mut unknown_tasks = label_item_json("a");
    unknown_tasks["properties"]["label:tasks"] = json!(["regression"]);
    let no_tasks = catalog_with_items(&dir.path().join("no-tasks"), &[("a.json", unknown_tasks)]);
    let cases: Vec<(&Path, Vec<&str>, String)> = vec![
        (&catalog, vec!["--block-size", "1"], "--block-size needs --strategy spatial or hash".into()),
        (
            &catalog,
            vec!["--ratios", "50,50"],
            "2 ratios given; name the splits with --names (the default names are for 3 splits)".into(),
        ),
        (
            &catalog,
            vec!["--keep-from", missing.to_str().unwrap()],
            format!("reading --keep-from catalog {0}: {0}: No such file or directory (os error 2)", missing.display()),
        ),
        (
            &catalog,
            vec!["--keep-from", catalog.to_str().unwrap()],
            format!("{}: --keep-from catalog has no item with ml-dataset:split", catalog.display()),
        ),
        (
            &catalog,
            vec!["--split-fields", "ml-aoi", "--names", "a,b,c"],
            "split \"a\" has no ml-aoi equivalent (train, validate, test); use --split-fields ml-dataset or rename the split"
                .into(),
        ),
        (
            &catalog,
            vec!["--inputs-type", "sound"],
            "--inputs-type: \"sound\" is not one of: text, image, satellite imagery, video".into(),
        ),
        (&no_tasks, vec![], "--tasks is required: the catalog's label items name no known label:tasks".into()),
        (
            &catalog,
            vec!["--ratios", "70,30", "--names", "a,b,c"],
            "3 split names (a,b,c) for 2 ratios; give one name per ratio with --names".into(),
        ),
        (&catalog, vec!["--names", "a,,b"], "--names: a split name is empty".into()),
        (
            &catalog,
            vec!["--ratios", "80,10"],
            "--ratios 80,10 sum to 90; give percentages that sum to 100 or fractions that sum to 1".into(),
        ),
    ];
    for (input, extra, expected) in cases {
        let stderr = split_fails(dir.path(), input, &extra);
        assert_eq!(stderr, format!("error: {expected}\n"), "{extra:?}");
    }
    let out = dir.path().join("g");
    for (extra, expected) in [
        (["--classes", "0"], "--classes must be at least 1"),
        (["--overlap", "2"], "--overlap must be between 0 and 1, got 2"),
        (["--pairs", "1000000000000"], "--pairs must be at most 10000000, got 1000000000000"),
        (["--classes", "18446744073709551615"], "--classes must be at most 1000, got 18446744073709551615"),
    ] {
        let stderr = run(["generate", "-o", &path_str(&out), extra[0], extra[1]]).usage_error();
        assert_eq!(stderr, format!("error: {expected}\n"), "{extra:?}");
        assert!(!out.exists(), "no partial folder for {extra:?}");
    }
}
