//! Criterion benchmarks of each stage on generated catalogs:
//! load (walk + parallel parse), index, split, exact and near duplicates,
//! class balance, the Q2 write, and validation (of a written Q2 catalog, and
//! of items checked in memory the way `q2` checks what it writes). Sizes stay small enough for `cargo bench`
//! to finish in minutes; `benches/e2e.sh` measures whole runs up to 1M items.

use std::path::PathBuf;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rayon::prelude::*;
use stac_ml::catalog::{self, Warnings};
use stac_ml::generate::{GenerateOptions, generate};
use stac_ml::index::SpatialIndex;
use stac_ml::ml_dataset::{AnnotationsType, InputType, Metadata, Task};
use stac_ml::split::{self, SplitOptions, SplitSpec, Strategy};
use stac_ml::write::{SplitFormat, WriteOptions, write_q2};
use stac_ml::{balance, duplicates, validate};

const SIZES: [usize; 2] = [1_000, 10_000];

fn catalog(pairs: usize) -> PathBuf {
    cached_catalog(&format!("stac-ml-bench-{pairs}"), pairs, 0.01, 0.05, None)
}

/// A generated catalog under the temp dir, made once and reused by later runs.
fn cached_catalog(name: &str, pairs: usize, dup_rate: f64, overlap: f64, footprints: Option<usize>) -> PathBuf {
    let dir = std::env::temp_dir().join(name);
    if !dir.join("catalog.json").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let options = GenerateOptions {
            out: dir.clone(),
            pairs,
            classes: 8,
            dup_rate,
            overlap,
            seed: 1,
            footprints,
            geoparquet: false,
        };
        generate(&options).expect("generate bench catalog");
    }
    dir.join("catalog.json")
}

fn options(dataset: &catalog::Dataset) -> SplitOptions {
    SplitOptions {
        spec: SplitSpec::new(vec!["Training".into(), "Validation".into(), "Test".into()], vec![80.0, 10.0, 10.0])
            .expect("valid spec"),
        seed: 0,
        strategy: Strategy::Random,
        node: dataset.node_by_id("labels").expect("labels collection"),
        keep: None,
        group_by: None,
    }
}

fn stages(c: &mut Criterion) {
    let mut group = c.benchmark_group("stages");
    group.sample_size(10);
    for pairs in SIZES {
        let path = catalog(pairs);
        let items = pairs * 2;
        group.bench_with_input(BenchmarkId::new("load", items), &path, |b, p| b.iter(|| catalog::load(p).unwrap()));
        let dataset = catalog::load(&path).unwrap();
        group.bench_with_input(BenchmarkId::new("index", items), &dataset, |b, d| b.iter(|| SpatialIndex::new(d)));
        let split_options = options(&dataset);
        group.bench_with_input(BenchmarkId::new("split-random", items), &dataset, |b, d| {
            b.iter(|| split::assign(d, &split_options, None).unwrap())
        });
        let spatial = SplitOptions { strategy: Strategy::Spatial { block_size: None }, ..options(&dataset) };
        group.bench_with_input(BenchmarkId::new("split-spatial", items), &dataset, |b, d| {
            b.iter(|| split::assign(d, &spatial, None).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("exact-duplicates", items), &dataset, |b, d| {
            b.iter(|| duplicates::exact(d))
        });
        let index = SpatialIndex::new(&dataset);
        group.bench_with_input(BenchmarkId::new("overlaps", items), &dataset, |b, d| {
            b.iter(|| duplicates::overlaps(d, &index))
        });
        // Reading the label assets, then summing their classes: the two halves
        // of what one class-balance pass did before the counts were shared.
        group.bench_with_input(BenchmarkId::new("class-counts", items), &dataset, |b, d| {
            b.iter(|| balance::ClassCounts::read(d, &mut Warnings::default()))
        });
        let classes = balance::ClassCounts::read(&dataset, &mut Warnings::default());
        group.bench_with_input(BenchmarkId::new("class-balance", items), &classes, |b, c| {
            b.iter(|| balance::balance(c, None))
        });
        let assignment = split::assign(&dataset, &split_options, None).unwrap();
        let out = std::env::temp_dir().join(format!("stac-ml-bench-out-{pairs}"));
        group.bench_with_input(BenchmarkId::new("write", items), &dataset, |b, d| {
            b.iter(|| {
                let write = WriteOptions {
                    out: out.clone(),
                    force: true,
                    format: SplitFormat::MlDataset,
                    metadata: Metadata {
                        name: "bench".into(),
                        tasks: vec![Task::Segmentation],
                        inputs_type: vec![InputType::SatelliteImagery],
                        annotations_type: AnnotationsType::Vector,
                        version: "0.1.0".into(),
                        dataset_type: None,
                    },
                    provenance: serde_json::Value::Null,
                    quality_metrics: None,
                    observer: None,
                    gate: None,
                };
                write_q2(d, &assignment, &write).unwrap()
            })
        });
        // `out` now holds the written Q2 catalog.
        let validate_options = validate::Options::default();
        let schemas = validate::SchemaSet::bundled().unwrap();
        let root = out.join("catalog.json");
        group.bench_with_input(BenchmarkId::new("validate", items), &root, |b, root| {
            b.iter(|| validate::validate_path_with(root, &validate_options, &schemas).unwrap())
        });
        // (item file, its JSON, its collection's file, the collection id)
        let written: Vec<(PathBuf, serde_json::Value, PathBuf, &str)> = dataset
            .items
            .iter()
            .map(|item| {
                let collection = dataset.nodes[item.node as usize].id.as_str();
                let folder = out.join(collection);
                let file = folder.join(&item.id).join(format!("{}.json", item.id));
                let json = catalog::read_json(&file).unwrap();
                (file, json, folder.join("collection.json"), collection)
            })
            .collect();
        group.bench_with_input(BenchmarkId::new("check-items-in-memory", items), &written, |b, written| {
            b.iter(|| {
                let incremental = validate::Incremental::new(&root, &validate_options, &schemas);
                let planned = |_: &std::path::Path| None;
                written.par_iter().for_each(|(file, json, parent, collection)| {
                    incremental.item(file, json, parent, Some(collection), &planned)
                });
                incremental
            })
        });
    }
    group.finish();
}

/// A time series of few tiles: 100,000 items (50,000 pairs) on 10
/// footprints. Near duplicates and leakage are counted per group of identical
/// footprints (250 million same-footprint pairs are never listed).
fn few_footprints(c: &mut Criterion) {
    let (pairs, footprints) = (50_000, 10);
    let path = cached_catalog(&format!("stac-ml-bench-{pairs}-on-{footprints}"), pairs, 0.0, 0.0, Some(footprints));
    let dataset = catalog::load(&path).unwrap();
    let assignment = split::assign(&dataset, &options(&dataset), None).unwrap();
    let mut group = c.benchmark_group("few-footprints");
    group.sample_size(10);
    group.bench_with_input(BenchmarkId::new("near-duplicates-and-leakage", pairs * 2), &dataset, |b, d| {
        b.iter(|| {
            let groups = duplicates::FootprintGroups::new(d);
            let clusters = groups.clusters(0.9);
            let leakage = groups.leakage(&assignment.split_of, 0.9, 20);
            (groups.pairs_at_or_above(0.9), clusters, leakage)
        })
    });
    group.finish();
}

criterion_group!(benches, stages, few_footprints);
criterion_main!(benches);
