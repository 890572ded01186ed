//! Property-based tests (proptest) of the parts that meet untrusted input:
//! the href resolver, the item parser behind the public loader (and the
//! stages after it), and the id-to-folder-name mapping of the writer.
//!
//! CI runs proptest's default 256 cases per property; `PROPTEST_CASES=20000`
//! runs a longer session. Failures are not persisted to files (the shrunk
//! case is in the failure message).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Component, Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Map, Value, json};
use stac_ml::catalog::href;
use stac_ml::write::path_segment;

use crate::util::{tempdir, write_json};

/// proptest's defaults (256 cases, or `PROPTEST_CASES`), no regression files.
fn config() -> Config {
    Config { failure_persistence: None, ..Config::default() }
}

// ---------------------------------------------------------------------------
// (a) hrefs

/// A file or folder name: never `.` or `..`, never a `/` or NUL.
fn name() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z0-9]{1,6}", "[a-zA-Z0-9 _.,:%#@+~-]{1,8}", "[^/\u{0}]{1,6}",]
        .prop_filter("not . or ..", |s| s != "." && s != "..")
}

/// An absolute, normalised folder path of 0 to 5 names.
fn folder() -> impl Strategy<Value = PathBuf> {
    prop::collection::vec(name(), 0..5).prop_map(|names| {
        let mut path = PathBuf::from("/");
        path.extend(names);
        path
    })
}

/// One segment of a relative href.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![4 => name(), 2 => Just("..".to_string()), 1 => Just(".".to_string()), 1 => Just(String::new())]
}

/// The model: `.`/`..` applied to the base folder's names; `None` when the
/// href climbs above `/`.
fn model(base_dir: &Path, segments: &[String]) -> Option<PathBuf> {
    let mut names: Vec<String> =
        base_dir.components().skip(1).map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    for segment in segments {
        match segment.as_str() {
            "" | "." => {}
            ".." => {
                names.pop()?;
            }
            name => names.push(name.to_string()),
        }
    }
    let mut path = PathBuf::from("/");
    path.extend(names);
    Some(path)
}

/// Absolute, with no `.` or `..` component.
fn is_normalised(path: &Path) -> bool {
    path.is_absolute() && path.components().all(|c| matches!(c, Component::RootDir | Component::Normal(_)))
}

proptest! {
    #![proptest_config(config())]

    /// Relative hrefs that stay within `/`: resolve agrees with the model,
    /// and the result is absolute and normalised.
    #[test]
    fn resolve_normalises_relative_hrefs(
        dir in folder(),
        file in name(),
        segments in prop::collection::vec(segment(), 0..8),
        dot_prefix in any::<bool>(),
    ) {
        // Hrefs that climb above `/` are `resolve_drops_parent_components_above_the_root`'s.
        let Some(expected) = model(&dir, &segments) else { return Ok(()) };
        let base = dir.join(&file);
        let mut href = segments.join("/");
        if dot_prefix || href.starts_with('/') {
            href = format!("./{href}");
        }
        let resolved = href::resolve(&base, &href);
        prop_assert!(is_normalised(&resolved), "{href:?} from {base:?} gave {resolved:?}");
        prop_assert_eq!(&resolved, &expected, "{:?} from {:?}", href, base);
        // `file://` in front of an absolute path changes nothing.
        let absolute = format!("file://{}", resolved.display());
        prop_assert_eq!(href::resolve(&base, &absolute), resolved);
    }

    /// Every href, even one that climbs above `/`, never panics and gives an
    /// absolute path.
    #[test]
    fn resolve_never_panics(dir in folder(), file in name(), href in "\\PC{0,40}") {
        let resolved = href::resolve(&dir.join(&file), &href);
        prop_assert!(resolved.is_absolute(), "{href:?} gave {resolved:?}");
    }

    /// `relative` then `resolve` gives back the target.
    #[test]
    fn relative_round_trips(from in folder(), file in name(), target_dir in folder(), target_file in name()) {
        let from_file = from.join(&file);
        let target = target_dir.join(&target_file);
        let relative = href::relative(&from, &target);
        // `./NAME` or `../...` (`..` alone when the target is an ancestor
        // folder of `from`). A first name that starts with `..` gets no `./`:
        // `relative_prefixes_names_that_start_with_two_dots`.
        let first = relative.split('/').next().unwrap_or_default();
        prop_assert!(
            relative.starts_with("./") || first == ".." || first.starts_with(".."),
            "{:?}", relative
        );
        prop_assert_eq!(href::resolve(&from_file, &relative), target, "via {:?}", relative);
    }

    /// `is_remote` never panics, and agrees with the obvious cases.
    #[test]
    fn is_remote_never_panics(text in "\\PC{0,40}", bytes in prop::collection::vec(any::<u8>(), 0..40)) {
        href::is_remote(&text);
        href::is_remote(&String::from_utf8_lossy(&bytes));
        let local = format!("file://{text}");
        prop_assert!(!href::is_remote(&local), "{:?}", local);
        let relative = format!("./{text}");
        prop_assert!(!href::is_remote(&relative) || text.contains("://"), "{:?}", relative);
    }

    #[test]
    fn schemes_are_remote(scheme in "[a-zA-Z][a-zA-Z0-9+.-]{0,8}", rest in "\\PC{0,20}") {
        prop_assume!(!scheme.eq_ignore_ascii_case("file"));
        let url = format!("{scheme}://{rest}");
        prop_assert!(href::is_remote(&url), "{:?}", url);
    }
}

/// An href with more `..` than the base has folders: POSIX reads `/..` as
/// `/`, but `normalize` keeps a `..` component when `pop` fails at the root
/// (and a later `..` pops it again), so the result is not normalised and two
/// hrefs to one file resolve to different paths (the loader compares paths:
/// item and source lookups, cycle detection).
#[test]
fn resolve_drops_parent_components_above_the_root() {
    let base = Path::new("/a/x.json");
    assert_eq!(href::resolve(base, "../../b"), Path::new("/b"));
    assert_eq!(href::resolve(base, "../../../b"), Path::new("/b"));
    assert_eq!(href::resolve(base, "/../b"), Path::new("/b"));
}

/// `relative` adds `./` unless the href starts with `..`, a test on the
/// text: a first name such as `..data` is left without it.
#[test]
fn relative_prefixes_names_that_start_with_two_dots() {
    assert_eq!(href::relative(Path::new("/o"), Path::new("/o/..x.tif")), "./..x.tif");
}

// ---------------------------------------------------------------------------
// (b) the item parser, through the public loader

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-200.0f64..200.0).prop_map(|f| json!(f)),
        prop::sample::select(vec![
            0.0,
            -0.0,
            1e308,
            -1e308,
            f64::MAX,
            f64::MIN,
            5e-324,
            180.0,
            -180.0,
            90.0,
            -90.0,
            1e-300
        ])
        .prop_map(|f| json!(f)),
    ]
}

const KEYS: &[&str] = &[
    "id",
    "type",
    "bbox",
    "geometry",
    "properties",
    "links",
    "assets",
    "coordinates",
    "geometries",
    "href",
    "rel",
    "roles",
    "name",
    "classes",
    "counts",
    "count",
    "property_key",
    "features",
    "label:properties",
    "label:classes",
    "label:overviews",
    "label:overview",
    "label:tasks",
    "label:type",
    "datetime",
    "start_datetime",
    "ml-dataset:split",
    "stac_extensions",
    "class",
    "labels",
];

const STRINGS: &[&str] = &[
    "Feature",
    "FeatureCollection",
    "Catalog",
    "Collection",
    "Point",
    "Polygon",
    "MultiPolygon",
    "LineString",
    "GeometryCollection",
    "source",
    "item",
    "child",
    "parent",
    "root",
    "labels",
    "class",
    "vector",
    "raster",
    "classification",
    "2020-01-01T00:00:00Z",
    "https://stac-extensions.github.io/label/v1.0.1/schema.json",
    "./labels.geojson",
    "../a/a.json",
    "https://example.invalid/x.json",
    "s3://bucket/key",
    "Training",
    "",
    "..",
    "../../../../../../../../etc",
];

fn string() -> impl Strategy<Value = String> {
    prop_oneof![3 => prop::sample::select(STRINGS).prop_map(String::from), 1 => "\\PC{0,8}"]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![4 => prop::sample::select(KEYS).prop_map(String::from), 1 => "\\PC{0,6}"]
}

/// Any JSON value, with STAC-like keys and strings.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6).prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// Nested arrays of numbers of any depth.
fn coordinates() -> impl Strategy<Value = Value> {
    number().prop_recursive(4, 64, 5, |inner| prop::collection::vec(inner, 0..5).prop_map(Value::Array))
}

/// A position: usually two numbers, sometimes fewer or more.
fn position() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => (-180.0f64..180.0, -90.0f64..90.0).prop_map(|(x, y)| json!([x, y])),
        2 => prop::collection::vec(number(), 2..4).prop_map(Value::Array),
        1 => prop::collection::vec(number(), 0..2).prop_map(Value::Array),
    ]
}

fn positions(max: usize) -> impl Strategy<Value = Value> {
    prop::collection::vec(position(), 0..max).prop_map(Value::Array)
}

/// A ring: closed or not, degenerate or not.
fn ring() -> impl Strategy<Value = Value> {
    (positions(6), any::<bool>()).prop_map(|(ring, close)| {
        let mut ring = ring.as_array().cloned().unwrap_or_default();
        if close && let Some(first) = ring.first().cloned() {
            ring.push(first);
        }
        Value::Array(ring)
    })
}

fn rings() -> impl Strategy<Value = Value> {
    prop::collection::vec(ring(), 0..3).prop_map(Value::Array)
}

/// Geometries with the nesting their type needs (and the wrong one at
/// times), or anything.
fn geometry() -> impl Strategy<Value = Value> {
    let typed = prop_oneof![
        position().prop_map(|c| json!({"type": "Point", "coordinates": c})),
        positions(5).prop_map(|c| json!({"type": "MultiPoint", "coordinates": c})),
        positions(5).prop_map(|c| json!({"type": "LineString", "coordinates": c})),
        prop::collection::vec(positions(5), 0..3).prop_map(|c| json!({"type": "MultiLineString", "coordinates": c})),
        rings().prop_map(|c| json!({"type": "Polygon", "coordinates": c})),
        prop::collection::vec(rings(), 0..3).prop_map(|c| json!({"type": "MultiPolygon", "coordinates": c})),
        (prop::sample::select(vec!["Point", "LineString", "Polygon", "MultiPolygon", "Bogus"]), coordinates())
            .prop_map(|(t, c)| json!({"type": t, "coordinates": c})),
    ]
    .boxed();
    prop_oneof![
        5 => typed.clone(),
        1 => prop::collection::vec(typed, 0..3).prop_map(|g| json!({"type": "GeometryCollection", "geometries": g})),
        1 => value(),
    ]
}

fn bbox() -> impl Strategy<Value = Value> {
    prop_oneof![3 => prop::collection::vec(number(), 0..7).prop_map(Value::Array), 1 => value()]
}

fn link() -> impl Strategy<Value = Value> {
    let rel = prop::sample::select(vec!["source", "self", "root", "parent", "item", "child", "collection", "license"]);
    let href = prop_oneof![string().prop_map(Value::String), value()];
    prop_oneof![4 => (rel, href).prop_map(|(r, h)| json!({"rel": r, "href": h})), 1 => value()]
}

fn properties() -> impl Strategy<Value = Value> {
    let class_entry = (value(), prop::collection::vec(value(), 0..3))
        .prop_map(|(name, classes)| json!({"name": name, "classes": classes}));
    let overview = (value(), prop::collection::vec((value(), value()), 0..3)).prop_map(|(key, counts)| {
        let counts: Vec<Value> = counts.into_iter().map(|(n, c)| json!({"name": n, "count": c})).collect();
        json!({"property_key": key, "counts": counts})
    });
    let fields = (
        prop::option::of(prop_oneof![string().prop_map(Value::String), value()]),
        prop::option::of(prop_oneof![Just(json!(["class"])), value()]),
        prop::option::of(prop_oneof![prop::collection::vec(class_entry, 0..3).prop_map(Value::Array), value()]),
        prop::option::of(prop_oneof![prop::collection::vec(overview, 0..3).prop_map(Value::Array), value()]),
        prop::option::of(value()),
        prop::option::of(value()),
        prop::collection::vec((key(), value()), 0..3),
    );
    let object = fields.prop_map(|(datetime, props, classes, overviews, class, split, extra)| {
        let mut map: Map<String, Value> = extra.into_iter().collect();
        for (k, v) in [
            ("datetime", datetime),
            ("label:properties", props),
            ("label:classes", classes),
            ("label:overviews", overviews),
            ("class", class),
            ("ml-dataset:split", split),
        ] {
            if let Some(v) = v {
                map.insert(k.into(), v);
            }
        }
        Value::Object(map)
    });
    prop_oneof![4 => object, 1 => value()]
}

fn assets() -> impl Strategy<Value = Value> {
    let asset = (prop_oneof![string().prop_map(Value::String), value()], prop::option::of(value()))
        .prop_map(|(href, roles)| json!({"href": href, "roles": roles.unwrap_or(json!(["labels"]))}));
    prop_oneof![
        3 => prop::collection::vec((prop_oneof![Just("labels".to_string()), key()], asset), 0..3)
            .prop_map(|a| Value::Object(a.into_iter().collect())),
        1 => value()
    ]
}

/// An item-like object: each STAC key present or not, usually plausible.
fn item() -> impl Strategy<Value = Value> {
    let parts = (
        prop::option::of(prop_oneof![8 => Just(json!("Feature")), 1 => value()]),
        prop::option::of(prop_oneof![4 => string().prop_map(Value::String), 1 => value()]),
        prop::option::of(prop_oneof![
            Just(json!(["https://stac-extensions.github.io/label/v1.0.1/schema.json"])),
            value()
        ]),
        prop::option::of(bbox()),
        prop::option::of(geometry()),
        prop::option::of(properties()),
        prop::option::of(prop_oneof![prop::collection::vec(link(), 0..4).prop_map(Value::Array), value()]),
        prop::option::of(assets()),
        prop::collection::vec((key(), value()), 0..2),
    );
    parts.prop_map(|(kind, id, extensions, bbox, geometry, properties, links, assets, extra)| {
        let mut map: Map<String, Value> = extra.into_iter().collect();
        for (k, v) in [
            ("type", kind),
            ("id", id),
            ("stac_extensions", extensions),
            ("bbox", bbox),
            ("geometry", geometry),
            ("properties", properties),
            ("links", links),
            ("assets", assets),
        ] {
            if let Some(v) = v {
                map.insert(k.into(), v);
            }
        }
        Value::Object(map)
    })
}

/// A label GeoJSON asset: features with properties, or anything.
fn label_asset() -> impl Strategy<Value = Value> {
    let feature = (value(), prop::option::of(geometry()))
        .prop_map(|(p, g)| json!({"type": "Feature", "properties": p, "geometry": g}));
    prop_oneof![
        3 => prop::collection::vec(feature, 0..4).prop_map(|f| json!({"type": "FeatureCollection", "features": f})),
        1 => value()
    ]
}

/// Pads every array of fewer than two numbers inside a geometry to two
/// numbers: such positions crash the loader (see
/// `loader_never_panics_on_short_positions`), and the main property must
/// explore past them.
fn pad_positions(value: &mut Value) {
    match value {
        Value::Array(list) if list.iter().all(Value::is_number) && list.len() < 2 => {
            while list.len() < 2 {
                list.push(json!(0.0));
            }
        }
        Value::Array(list) => list.iter_mut().for_each(pad_positions),
        Value::Object(map) => map.values_mut().for_each(pad_positions),
        _ => {}
    }
}

fn pad_item(item: &mut Value) {
    if let Some(geometry) = item.get_mut("geometry") {
        pad_positions(geometry);
    }
}

/// root catalog -> `labels` collection -> a valid item `a` and the fuzzed
/// item `f` (with its label asset `f/labels.geojson`).
fn write_catalog(root: &Path, item: &Value, asset: &Value) -> PathBuf {
    let catalog = root.join("catalog.json");
    write_json(
        &catalog,
        &json!({"type": "Catalog", "stac_version": "1.0.0", "id": "root", "description": "fuzz",
                "links": [{"rel": "child", "href": "./labels/collection.json"}]}),
    );
    write_json(
        &root.join("labels/collection.json"),
        &json!({"type": "Collection", "stac_version": "1.0.0", "id": "labels", "description": "fuzz",
                "license": "CC0-1.0", "extent": {},
                "links": [{"rel": "item", "href": "./a/a.json"}, {"rel": "item", "href": "./f/f.json"}]}),
    );
    write_json(
        &root.join("labels/a/a.json"),
        &json!({"type": "Feature", "stac_version": "1.0.0", "id": "a",
                "stac_extensions": ["https://stac-extensions.github.io/label/v1.0.1/schema.json"],
                "bbox": [0.0, 0.0, 1.0, 1.0],
                "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
                "properties": {"datetime": "2020-01-01T00:00:00Z", "label:properties": ["class"], "class": "x",
                               "label:type": "vector", "label:tasks": ["classification"]},
                "links": [], "assets": {}}),
    );
    write_json(&root.join("labels/f/f.json"), item);
    write_json(&root.join("labels/f/labels.geojson"), asset);
    catalog
}

/// Loads the catalog and runs every stage after it; panics become `Err`.
fn load_and_run(catalog: &Path, out: &Path) -> Result<(), String> {
    let message = |e: Box<dyn std::any::Any + Send>| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    };
    let loaded =
        catch_unwind(|| stac_ml::catalog::load(catalog)).map_err(|e| format!("load panicked: {}", message(e)))?;
    let Ok(dataset) = loaded else { return Ok(()) };
    for item in &dataset.items {
        if let Some(b) = item.bbox
            && (!b.iter().all(|v| v.is_finite()) || b[1] > b[3])
        {
            return Err(format!("{}: bbox {b:?}", item.path().display()));
        }
    }
    catch_unwind(AssertUnwindSafe(|| {
        use stac_ml::metrics::{MetricsOptions, compute};
        use stac_ml::split::{SplitOptions, SplitSpec, Strategy, assign};
        let mut warnings = dataset.warnings.clone();
        let classes = stac_ml::balance::ClassCounts::read(&dataset, &mut warnings);
        compute(&dataset, &classes, None, MetricsOptions::default());
        stac_ml::info::info(&stac_ml::source::JsonTree::new(catalog), &dataset).ok();
        let node = dataset.node_by_id("labels").expect("the labels collection");
        for strategy in [Strategy::Random, Strategy::Stratified, Strategy::Spatial { block_size: Some(1.0) }] {
            let spec = SplitSpec::new(vec!["a".into(), "b".into()], vec![50.0, 50.0]).expect("a valid spec");
            let random = strategy == Strategy::Random;
            let options = SplitOptions { spec, seed: 1, strategy, node, keep: None, group_by: None };
            let Ok(assignment) = assign(&dataset, &options, Some(&classes)) else { continue };
            compute(&dataset, &classes, Some(&assignment.view()), MetricsOptions::default());
            if random {
                write(&dataset, &assignment, out);
            }
        }
    }))
    .map_err(|e| format!("a stage after load panicked: {}", message(e)))
}

/// Writes the Q2 catalog; an `Err` is fine, a panic is not.
fn write(dataset: &stac_ml::catalog::Dataset, assignment: &stac_ml::split::Assignment, out: &Path) {
    try_write(dataset, assignment, out).ok();
}

/// Writes the Q2 catalog.
fn try_write(
    dataset: &stac_ml::catalog::Dataset,
    assignment: &stac_ml::split::Assignment,
    out: &Path,
) -> stac_ml::Result<stac_ml::write::WriteSummary> {
    use stac_ml::ml_dataset::{AnnotationsType, InputType, Metadata, Task};
    use stac_ml::write::{WriteOptions, write_q2};
    let metadata = Metadata {
        name: "fuzz".into(),
        tasks: vec![Task::ImageClassification],
        inputs_type: vec![InputType::SatelliteImagery],
        annotations_type: AnnotationsType::Vector,
        version: "0.1.0".into(),
        dataset_type: None,
    };
    let options = WriteOptions {
        out: out.to_path_buf(),
        force: true,
        format: stac_ml::write::SplitFormat::Both,
        metadata,
        provenance: json!({}),
        quality_metrics: None,
        observer: None,
        gate: None,
    };
    write_q2(dataset, assignment, &options)
}

proptest! {
    #![proptest_config(config())]

    /// The loader returns Ok or Err for any item file, never panics, and an
    /// Ok record's bbox is finite with south <= north; metrics, splits and
    /// the writer after it never panic either.
    #[test]
    fn loader_never_panics(mut item in item(), asset in label_asset()) {
        pad_item(&mut item);
        let dir = tempdir();
        let catalog = write_catalog(&dir.path().join("in"), &item, &asset);
        let result = load_and_run(&catalog, &dir.path().join("out"));
        prop_assert!(result.is_ok(), "{}\nitem: {}", result.unwrap_err(), item);
    }

    /// The same with positions of fewer than two numbers left as they are.
    #[test]
    fn loader_never_panics_on_short_positions(item in item(), asset in label_asset()) {
        let dir = tempdir();
        let catalog = write_catalog(&dir.path().join("in"), &item, &asset);
        let result = load_and_run(&catalog, &dir.path().join("out"));
        prop_assert!(result.is_ok(), "{}\nitem: {}", result.unwrap_err(), item);
    }
}

/// The smallest case `loader_never_panics_on_short_positions` finds.
#[test]
fn loader_survives_a_one_number_position() {
    let dir = tempdir();
    let item = json!({"type": "Feature", "id": "f", "geometry": {"type": "LineString", "coordinates": [[1.0]]}});
    let catalog = write_catalog(&dir.path().join("in"), &item, &json!({}));
    load_and_run(&catalog, &dir.path().join("out")).unwrap();
}

// ---------------------------------------------------------------------------
// (c) ids as folder names

/// Ids: arbitrary text, text with separators and dots, long runs of
/// multi-byte letters (which stay in the cleaned name).
fn id() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,40}",
        any::<String>(),
        "[a-z./\\\\\u{0}]{0,12}",
        "[.]{0,3}[a-zA-Z0-9_-]{0,130}",
        ("[中𝐀]{60,130}", "[/ .]{0,2}").prop_map(|(a, b)| format!("{a}{b}")),
    ]
}

/// What every folder name must be, whatever the id.
fn check_segment(id: &str, segment: &str) -> Result<(), TestCaseError> {
    prop_assert!(!segment.is_empty(), "{id:?} -> empty");
    prop_assert!(!segment.contains(['/', '\\', '\0']), "{id:?} -> {segment:?}");
    prop_assert!(segment != "." && segment != ".." && !segment.starts_with('.'), "{id:?} -> {segment:?}");
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn segments_are_safe_folder_names(id in id()) {
        check_segment(&id, &path_segment(&id))?;
    }

    #[test]
    fn distinct_ids_give_distinct_segments(a in id(), b in id()) {
        if a == b {
            return Ok(());
        }
        prop_assert_ne!(path_segment(&a), path_segment(&b), "{:?} and {:?}", a, b);
    }

    /// Linux (and most file systems) limit a name to 255 bytes; the item file
    /// is `SEGMENT.json`.
    #[test]
    fn segments_fit_in_a_file_name(id in id()) {
        let segment = path_segment(&id);
        prop_assert!(segment.len() + ".json".len() <= 255, "{:?} -> {} bytes", id, segment.len());
    }
}

/// The deterministic case behind `segments_fit_in_a_file_name`: 80
/// four-byte letters and a slash give a 337-byte name, and the writer fails
/// with "File name too long" (exit 2) on an id that is valid STAC.
#[test]
fn a_long_multibyte_id_fits_in_a_file_name() {
    let id = format!("{}/x", "𝐀".repeat(100));
    let segment = path_segment(&id);
    assert!(segment.len() + ".json".len() <= 255, "{} bytes: {segment}", segment.len());
}

/// An id that is itself the folder name of another id is kept as it is, so
/// the two share a folder and the writer refuses the catalog ("would be
/// written to folder ..., which another child already uses").
#[test]
fn an_id_equal_to_another_ids_folder_name_gets_its_own() {
    let hashed = path_segment("a/b");
    assert_ne!(path_segment(&hashed), hashed, "{hashed:?} and \"a/b\" share a folder");
}

// ---------------------------------------------------------------------------
// (c) numbers stac-ml does not own are written back as read

/// The text of a JSON number: integers of up to 41 digits (beyond 64 bits),
/// fractions with trailing zeros, exponents in either case with or without
/// a sign, negative zero.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "-?(0|[1-9][0-9]{0,40})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,2})?",
        prop::sample::select(vec!["1E2", "1.0", "-0.0", "-0", "0.10", "123456789012345678901234567890", "1e-7"])
            .prop_map(String::from),
    ]
}

proptest! {
    #![proptest_config(config())]

    /// Numbers in item properties and assets and in collection fields, which
    /// stac-ml does not write, keep their exact text through the Q2 writer,
    /// exponents as spelt included (issue 14 point 12).
    #[test]
    fn numbers_survive_q2_as_written(numbers in prop::collection::vec(number_text(), 1..8)) {
        let dir = tempdir();
        let root = dir.path().join("in");
        let catalog = write_catalog(&root, &json!({}), &json!({"type": "FeatureCollection", "features": []}));
        let fields = |prefix: &str| {
            numbers.iter().enumerate().map(|(k, n)| format!("\"{prefix}{k}\": {n}")).collect::<Vec<_>>().join(", ")
        };
        let item = format!(
            r#"{{"type": "Feature", "stac_version": "1.0.0", "id": "f", "stac_extensions": [],
                "bbox": [0.0, 0.0, 1.0, 1.0],
                "geometry": {{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}},
                "properties": {{"datetime": "2020-01-01T00:00:00Z", {}, "x:list": [{}]}},
                "links": [], "assets": {{"data": {{"href": "./data.tif", {}}}}}}}"#,
            fields("x:p"),
            numbers.join(", "),
            fields("x:a"),
        );
        std::fs::write(root.join("labels/f/f.json"), &item).unwrap();
        // The collection carries them too: nodes are rewritten as well.
        let collection = format!(
            r#"{{"type": "Collection", "stac_version": "1.0.0", "id": "labels", "description": "fuzz",
                "license": "CC0-1.0", "extent": {{}}, {},
                "links": [{{"rel": "item", "href": "./a/a.json"}}, {{"rel": "item", "href": "./f/f.json"}}]}}"#,
            fields("x:c"),
        );
        std::fs::write(root.join("labels/collection.json"), &collection).unwrap();
        let dataset = stac_ml::catalog::load(&catalog).expect("the catalog loads");
        let node = dataset.node_by_id("labels").expect("the labels collection");
        let spec = stac_ml::split::SplitSpec::new(vec!["train".into(), "test".into()], vec![50.0, 50.0]).unwrap();
        let options = stac_ml::split::SplitOptions {
            spec, seed: 1, strategy: stac_ml::split::Strategy::Random, node, keep: None, group_by: None,
        };
        let assignment = stac_ml::split::assign(&dataset, &options, None).expect("assigned");
        let out = dir.path().join("out");
        try_write(&dataset, &assignment, &out).expect("the Q2 catalog is written");
        let written = std::fs::read_to_string(out.join("labels/f/f.json")).expect("the item is written");
        let collection = std::fs::read_to_string(out.join("labels/collection.json")).expect("the collection is written");
        for (k, n) in numbers.iter().enumerate() {
            for prefix in ["x:p", "x:a"] {
                let field = format!("\"{prefix}{k}\": {n}");
                prop_assert!(written.contains(&field), "{field} is not in the output:\n{written}");
            }
            let field = format!("\"x:c{k}\": {n}");
            prop_assert!(collection.contains(&field), "{field} is not in the collection:\n{collection}");
        }
        let compact: String = written.split_whitespace().collect();
        let list = format!("\"x:list\":[{}]", numbers.join(","));
        prop_assert!(compact.contains(&list), "{list} is not in the output:\n{written}");
    }
}
