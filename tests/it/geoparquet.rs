//! stac-geoparquet in and out: the same metrics from a table as from the JSON
//! tree it came from, both ways; partitions per split; byte-identical output
//! whatever the thread count; the output checks of a single output file.

use std::path::Path;

use serde_json::Value;

use crate::util::{generate, path_str, run, run_env, tempdir};

fn metrics(input: &Path) -> Value {
    run(["metrics", &path_str(input), "--json"]).success().json()
}

fn entry<'a>(metrics: &'a Value, name: &str) -> &'a Value {
    metrics.as_array().unwrap().iter().find(|e| e["name"] == name).unwrap_or_else(|| panic!("no {name} in {metrics}"))
}

#[test]
fn q2_to_geoparquet_and_back_keeps_every_metric() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 150, 3, &["--dup-rate", "0.1", "--overlap", "0.1"]);
    let tree = dir.path().join("tree");
    let table = dir.path().join("q2.parquet");
    let back = dir.path().join("back");
    run(["q2", &path_str(&catalog), "-o", &path_str(&tree), "-q"]).success();
    let summary = run(["q2", &path_str(&catalog), "-o", &path_str(&table), "-q", "--json"]).success().json();
    assert_eq!(summary["items_written"], 300, "{summary}");
    assert!(table.is_file());
    let expected = metrics(&tree);
    assert!(entry(&expected, "spatial-duplicates")["total"].as_u64().unwrap() > 0, "{expected}");
    assert_eq!(metrics(&table), expected, "metrics of the table differ from the tree's");
    // Back to a JSON tree: the same metrics, and a valid catalog.
    run(["q2", &path_str(&table), "-o", &path_str(&back), "-q"]).success();
    assert_eq!(metrics(&back), expected, "metrics after the round trip differ");
    let validation = run(["validate", &path_str(&back.join("catalog.json")), "--json"]);
    assert_eq!(validation.code, 0, "{}", validation.stdout);
}

#[test]
fn partitions_hold_each_split_once() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 100, 1, &[]);
    let table = dir.path().join("all.parquet");
    run(["split", &path_str(&catalog), "-o", &path_str(&table), "-q"]).success();
    let parts = dir.path().join("parts");
    let summary = run(["split", &path_str(&table), "-o", &path_str(&parts), "--partition-by", "split", "-q", "--json"])
        .success()
        .json();
    let mut folders: Vec<String> =
        std::fs::read_dir(&parts).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    folders.sort();
    assert_eq!(folders, ["split=Test", "split=Training", "split=Validation"]);
    let mut total = 0;
    for split in summary["splits"].as_array().unwrap() {
        let name = split["name"].as_str().unwrap();
        let file = parts.join(format!("split={name}")).join("part-00000.parquet");
        // Each partition is a stac-geoparquet file of its own, holding its
        // split's label items and their sources, and nothing else.
        let measured = metrics(&file);
        let samples = entry(&measured, "samples");
        let rows = samples["total"].as_u64().unwrap();
        assert_eq!(rows, 2 * split["items"].as_u64().unwrap(), "{name}: {samples}");
        let filled: Vec<&Value> =
            samples["splits"].as_array().unwrap().iter().filter(|s| s["items"].as_u64() != Some(0)).collect();
        assert_eq!(filled.len(), 1, "{name}: {samples}");
        assert_eq!(filled[0]["name"], name, "{samples}");
        assert_eq!(filled[0]["items"], rows, "{samples}");
        total += rows;
    }
    assert_eq!(total, 200);
    // The folder of partitions reads back whole, with the same metrics.
    assert_eq!(metrics(&parts), metrics(&table));
}

#[test]
fn geoparquet_output_is_the_same_bytes_whatever_the_threads() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 120, 2, &[]);
    let mut outputs = Vec::new();
    for threads in ["1", "2", "4"] {
        let from_json = dir.path().join(format!("json-{threads}.parquet"));
        run_env(["q2", &path_str(&catalog), "-o", &path_str(&from_json), "-q"], &[("RAYON_NUM_THREADS", threads)])
            .success();
        let from_table = dir.path().join(format!("table-{threads}.parquet"));
        run_env(["q2", &path_str(&from_json), "-o", &path_str(&from_table), "-q"], &[("RAYON_NUM_THREADS", threads)])
            .success();
        outputs.push((std::fs::read(&from_json).unwrap(), std::fs::read(&from_table).unwrap()));
    }
    assert!(outputs.windows(2).all(|w| w[0] == w[1]), "outputs differ between thread counts");
}

#[test]
fn generated_tables_count_the_classes_of_the_generated_tree() {
    let dir = tempdir();
    let tree = generate(&dir.path().join("tree"), 200, 9, &[]);
    let table = dir.path().join("gen.parquet");
    let summary = run(["generate", "-o", &path_str(&table), "--pairs", "200", "--seed", "9"]).success().json();
    let tree_summary =
        run(["generate", "-o", &path_str(&dir.path().join("tree2")), "--pairs", "200", "--seed", "9"]).success().json();
    assert_eq!(summary["class_counts"], tree_summary["class_counts"]);
    let classes = |m: &Value| entry(m, "classes-balance")["values"].clone();
    assert_eq!(classes(&metrics(&table)), classes(&metrics(&tree)));
    // Generated twice, the same bytes.
    let again = dir.path().join("again.parquet");
    run(["generate", "-o", &path_str(&again), "--pairs", "200", "--seed", "9"]).success();
    assert_eq!(std::fs::read(&table).unwrap(), std::fs::read(&again).unwrap());
}

#[test]
fn a_table_output_is_never_the_input_and_replaced_only_when_forced() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 20, 1, &[]);
    let table = dir.path().join("t.parquet");
    run(["split", &path_str(&catalog), "-o", &path_str(&table), "-q"]).success();
    let before = std::fs::read(&table).unwrap();
    let error = run(["split", &path_str(&table), "-o", &path_str(&table), "--force", "-q"]).usage_error();
    assert!(error.contains("input"), "{error}");
    assert_eq!(std::fs::read(&table).unwrap(), before, "the input changed");
    let other = dir.path().join("o.parquet");
    run(["split", &path_str(&table), "-o", &path_str(&other), "-q"]).success();
    let error = run(["split", &path_str(&table), "-o", &path_str(&other), "-q", "--seed", "5"]).usage_error();
    assert!(error.contains("--force"), "{error}");
    run(["split", &path_str(&table), "-o", &path_str(&other), "-q", "--seed", "5", "--force"]).success();
    // Nothing else appeared beside them: no hidden temporary file left.
    let mut names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["in", "o.parquet", "t.parquet"]);
}

#[test]
fn output_flags_are_checked_before_reading() {
    let dir = tempdir();
    let missing = dir.path().join("missing.parquet");
    let out = dir.path().join("out");
    let error = run([
        "split",
        &path_str(&missing),
        "-o",
        &path_str(&out),
        "--output-format",
        "json",
        "--partition-by",
        "split",
    ])
    .usage_error();
    assert!(error.contains("--partition-by needs geoparquet output"), "{error}");
    let error =
        run(["split", &path_str(&missing), "-o", &path_str(&dir.path().join("no/such/x.parquet"))]).usage_error();
    assert!(error.contains("does not exist"), "{error}");
    assert!(!error.contains("missing.parquet"), "the input was read before the output was checked: {error}");
}

#[test]
fn a_table_input_s_label_files_are_never_an_output() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 10, 1, &[]);
    let table = dir.path().join("t.parquet");
    run(["split", &path_str(&catalog), "-o", &path_str(&table), "-q"]).success();
    let label = dir.path().join("in/labels/tile_0000001/tile_0000001.geojson");
    let before = std::fs::read(&label).unwrap();
    let error =
        run(["split", &path_str(&table), "-o", &path_str(&label), "--output-format", "geoparquet", "--force", "-q"])
            .usage_error();
    assert!(error.contains("input"), "{error}");
    assert_eq!(std::fs::read(&label).unwrap(), before, "a label file of the input changed");
}

#[test]
fn parts_with_the_same_columns_in_another_order_are_refused() {
    use parquet::arrow::ArrowWriter;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 10, 1, &[]);
    let parts = dir.path().join("parts");
    std::fs::create_dir(&parts).unwrap();
    let first = parts.join("a.parquet");
    run(["split", &path_str(&catalog), "-o", &path_str(&first), "-q"]).success();
    // The same rows with the columns reversed, as another writer may order them.
    let reader =
        ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&first).unwrap()).unwrap().build().unwrap();
    let batches: Vec<_> = reader.map(Result::unwrap).collect();
    let order: Vec<usize> = (0..batches[0].num_columns()).rev().collect();
    let reversed: Vec<_> = batches.iter().map(|b| b.project(&order).unwrap()).collect();
    let second = parts.join("b.parquet");
    let mut writer = ArrowWriter::try_new(std::fs::File::create(&second).unwrap(), reversed[0].schema(), None).unwrap();
    for batch in &reversed {
        writer.write(batch).unwrap();
    }
    writer.close().unwrap();
    let error = run(["metrics", &path_str(&parts)]).usage_error();
    assert!(error.contains("b.parquet") && error.contains("another order"), "{error}");
}
