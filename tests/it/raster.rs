//! Raster labels (issue 12): pixel counts of GeoTIFF masks of every
//! supported layout and compression, written by the tests themselves; class
//! names from each source; nodata; unreadable masks as one grouped warning;
//! the `pixel-balance` entry on small catalogs and on the real cloud-cover
//! fixtures; stratified splits by majority pixel class; and a differential
//! check against tifffile + numpy.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use stac_ml::pixel_counts::Counter;

use crate::metrics::{entry, metrics_json};
use crate::tiffs::{Compression, Layout, Mask, Options, Sample};
use crate::util::{path_str, run, tempdir, write_json};

/// Four class values per sample type, the extremes included.
fn classes(sample: Sample) -> [i64; 4] {
    match sample {
        Sample::U8 => [0, 1, 2, 255],
        Sample::I8 => [-128, -1, 0, 127],
        Sample::U16 => [0, 1, 1000, 65535],
        Sample::I16 => [-32768, -1, 0, 32767],
    }
}

/// An uneven mask of odd size (37 × 23): edge tiles are padded, the last
/// strip is short, and runs of equal values alternate with noise.
fn mask(sample: Sample) -> Mask {
    let values = classes(sample);
    Mask::from_fn(37, 23, sample, |x, y| {
        let k = if y < 8 { (x / 10) as usize } else { ((x * 7 + y * 13) % 11 % 4) as usize };
        values[k % 4]
    })
}

const SAMPLES: [Sample; 4] = [Sample::U8, Sample::I8, Sample::U16, Sample::I16];
const LAYOUTS: [Layout; 5] = [
    Layout::Strips { rows: 16 },
    Layout::Strips { rows: 5 },
    Layout::Strips { rows: 23 },
    Layout::Tiles { width: 16, height: 16 },
    Layout::Tiles { width: 32, height: 16 },
];
const COMPRESSIONS: [Compression; 4] =
    [Compression::None, Compression::Deflate, Compression::Lzw, Compression::PackBits];

/// Every combination this module writes: (file name, mask, options).
fn every_mask() -> Vec<(String, Mask, Options)> {
    let mut out = Vec::new();
    for (s, sample) in SAMPLES.iter().enumerate() {
        for (l, layout) in LAYOUTS.iter().enumerate() {
            for (c, compression) in COMPRESSIONS.iter().enumerate() {
                // The predictor belongs with the dictionary coders.
                let predictors: &[bool] = match compression {
                    Compression::Deflate | Compression::Lzw => &[false, true],
                    _ => &[false],
                };
                for &predictor in predictors {
                    let options = Options {
                        layout: *layout,
                        compression: *compression,
                        predictor,
                        big_endian: (s + l + c) % 2 == 1,
                        ..Options::default()
                    };
                    let name = format!("m{s}{l}{c}{}.tif", u8::from(predictor));
                    out.push((name, mask(*sample), options));
                }
            }
        }
    }
    out
}

#[test]
fn every_layout_and_compression_counts_exactly() {
    let dir = tempdir();
    let mut counter = Counter::default();
    let all = every_mask();
    assert_eq!(all.len(), 4 * 5 * 6);
    for (name, mask, options) in &all {
        let path = dir.path().join(name);
        crate::tiffs::write(&path, mask, options);
        let counted = counter.count(&path).unwrap_or_else(|e| panic!("{name} {options:?}: {e}"));
        assert_eq!(counted.values, mask.counts(), "{name} {:?} {options:?}", mask.sample);
        assert_eq!(counted.tag_nodata, None);
    }
}

/// Masks written by the `tiff` crate's own encoder (strips, each
/// compression it offers) read back alike.
#[test]
fn masks_of_the_tiff_encoder_count_exactly() {
    use tiff::encoder::compression::DeflateLevel;
    use tiff::encoder::{Compression as C, TiffEncoder, colortype};
    let dir = tempdir();
    let mut counter = Counter::default();
    let mask8 = mask(Sample::U8);
    let mask16 = mask(Sample::U16);
    let bytes: Vec<u8> = mask8.values.iter().map(|&v| v as u8).collect();
    let words: Vec<u16> = mask16.values.iter().map(|&v| v as u16).collect();
    for (k, compression) in
        [C::Uncompressed, C::Deflate(DeflateLevel::Fast), C::Lzw, C::Packbits].into_iter().enumerate()
    {
        let path = dir.path().join(format!("e{k}.tif"));
        let file = std::fs::File::create(&path).unwrap();
        let mut encoder = TiffEncoder::new(file).unwrap().with_compression(compression);
        encoder.write_image::<colortype::Gray8>(37, 23, &bytes).unwrap();
        assert_eq!(counter.count(&path).unwrap().values, mask8.counts(), "compression {k}");
        let file = std::fs::File::create(&path).unwrap();
        let mut encoder = TiffEncoder::new(file).unwrap().with_compression(compression);
        encoder.write_image::<colortype::Gray16>(37, 23, &words).unwrap();
        assert_eq!(counter.count(&path).unwrap().values, mask16.counts(), "compression {k}");
    }
}

#[test]
fn unsupported_and_broken_files_give_reasons() {
    let dir = tempdir();
    let mut counter = Counter::default();
    let reason = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        Counter::default().count(&path).unwrap_err().to_string()
    };
    let empty = reason("empty.tif", b"");
    assert!(empty.starts_with("not a valid TIFF"), "{empty}");
    assert!(reason("text.tif", b"hello, world").starts_with("not a valid TIFF"));
    let whole = crate::tiffs::encode(&mask(Sample::U8), &Options::default());
    // Cut inside the strip data: the header and tags come last, so cut them off.
    let cut = reason("cut.tif", &whole[..whole.len() / 2]);
    assert!(!cut.is_empty());
    let rgb = {
        let path = dir.path().join("rgb.tif");
        let file = std::fs::File::create(&path).unwrap();
        let mut encoder = tiff::encoder::TiffEncoder::new(file).unwrap();
        encoder.write_image::<tiff::encoder::colortype::RGB8>(2, 2, &[0; 12]).unwrap();
        counter.count(&path).unwrap_err().to_string()
    };
    assert!(rgb.starts_with("is RGB(8)"), "{rgb}");
    let float = {
        let path = dir.path().join("float.tif");
        let file = std::fs::File::create(&path).unwrap();
        let mut encoder = tiff::encoder::TiffEncoder::new(file).unwrap();
        encoder.write_image::<tiff::encoder::colortype::Gray32Float>(2, 2, &[0.0; 4]).unwrap();
        counter.count(&path).unwrap_err().to_string()
    };
    assert!(float.contains("floating-point"), "{float}");
    let folder = counter.count(dir.path()).unwrap_err().to_string();
    assert!(folder.contains("not a regular file"), "{folder}");
    // An instance-id mask (a value per object) is no class mask: refused
    // rather than kept as 4,096 classes per item.
    let ids = Mask::from_fn(64, 64, Sample::U16, |x, y| i64::from(x + 64 * y));
    let instances = {
        let path = dir.path().join("instances.tif");
        crate::tiffs::write(&path, &ids, &Options::default());
        counter.count(&path).unwrap_err().to_string()
    };
    assert!(instances.contains("holds 4096 distinct values"), "{instances}");
}

/// A raster label item in a catalog.
struct LabelItem {
    id: &'static str,
    split: Option<&'static str>,
    properties: Value,
    assets: Value,
}

const LABEL_EXTENSION: &str = "https://stac-extensions.github.io/label/v1.0.1/schema.json";

fn write_catalog(root: &Path, items: &[LabelItem]) -> PathBuf {
    let mut links = vec![json!({"rel": "root", "href": "./catalog.json"})];
    for item in items {
        links.push(json!({"rel": "item", "href": format!("./{0}/{0}.json", item.id)}));
        let mut properties = json!({
            "datetime": "2020-01-01T00:00:00Z", "label:type": "raster", "label:properties": null,
            "label:description": "mask", "label:tasks": ["segmentation"]
        });
        properties.as_object_mut().unwrap().extend(item.properties.as_object().unwrap().clone());
        if let Some(split) = item.split {
            properties["ml-dataset:split"] = json!(split);
        }
        write_json(
            &root.join(item.id).join(format!("{}.json", item.id)),
            &json!({
                "type": "Feature", "stac_version": "1.1.0", "id": item.id, "stac_extensions": [LABEL_EXTENSION],
                "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]},
                "bbox": [0, 0, 1, 1], "properties": properties,
                "links": [{"rel": "root", "href": "../catalog.json"}, {"rel": "parent", "href": "../catalog.json"}],
                "assets": item.assets
            }),
        );
    }
    let catalog = root.join("catalog.json");
    write_json(
        &catalog,
        &json!({"type": "Catalog", "stac_version": "1.1.0", "id": "masks", "description": "d", "links": links}),
    );
    catalog
}

fn rows(values: &Value) -> Vec<(i64, String, u64, f64, u64)> {
    values
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["value"].as_i64().unwrap(),
                v["name"].as_str().unwrap().to_string(),
                v["pixels"].as_u64().unwrap(),
                v["percentage"].as_f64().unwrap(),
                v["items"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn row(value: i64, name: &str, pixels: u64, percentage: f64, items: u64) -> (i64, String, u64, f64, u64) {
    (value, name.into(), pixels, percentage, items)
}

/// Five masks, each naming its classes another way, one broken and one
/// remote: exact pixels per class, overall and per split, nodata apart, and
/// one grouped warning per kind of problem, exit 0.
#[test]
fn pixel_balance_names_nodata_splits_and_warnings() {
    let dir = tempdir();
    let root = dir.path().join("cat");
    // a: 4 × 4, classification:classes on the band, nodata 255 on the band.
    let a = Mask { width: 4, height: 4, sample: Sample::U8, values: [vec![1; 6], vec![2; 6], vec![255; 4]].concat() };
    // b: file:values names (the older layout), nodata from the file's GDAL tag.
    let b = Mask { width: 4, height: 2, sample: Sample::U8, values: [vec![1; 3], vec![0; 3], vec![7; 2]].concat() };
    // c: only label:classes values; the mask is found by its extension, not its key.
    let c = Mask { width: 2, height: 2, sample: Sample::I16, values: vec![-5, -5, 3, 3] };
    std::fs::create_dir_all(root.join("a")).unwrap();
    std::fs::create_dir_all(root.join("b")).unwrap();
    std::fs::create_dir_all(root.join("c")).unwrap();
    std::fs::create_dir_all(root.join("d")).unwrap();
    let tiled = Options {
        layout: Layout::Tiles { width: 16, height: 16 },
        compression: Compression::Deflate,
        ..Options::default()
    };
    crate::tiffs::write(&root.join("a/mask.tif"), &a, &tiled);
    let tagged =
        Options { compression: Compression::Lzw, predictor: true, gdal_nodata: Some("7".into()), ..Options::default() };
    crate::tiffs::write(&root.join("b/labels.tif"), &b, &tagged);
    crate::tiffs::write(
        &root.join("c/raster.TIF"),
        &c,
        &Options { compression: Compression::PackBits, ..Options::default() },
    );
    std::fs::write(root.join("d/labels.tif"), b"II*\0garbage").unwrap();
    let catalog = write_catalog(
        &root,
        &[
            LabelItem {
                id: "a",
                split: Some("train"),
                properties: json!({"label:classes": [{"name": null, "classes": [1, 2, 3]}]}),
                assets: json!({"labels": {"href": "./mask.tif", "type": "image/tiff; application=geotiff", "roles": ["labels"],
                    "raster:bands": [{"nodata": 255, "classification:classes": [
                        {"value": 1, "name": "water"}, {"value": 2, "name": "land"}, {"value": 3, "name": "snow"}]}]}}),
            },
            LabelItem {
                id: "b",
                split: Some("test"),
                properties: json!({"label:classes": [{"name": null, "classes": [0, 1]}]}),
                assets: json!({"labels": {"href": "labels.tif", "file:values": [
                    {"values": [0], "summary": "no water"}, {"values": [1], "summary": "water"}]}}),
            },
            LabelItem {
                id: "c",
                split: Some("train"),
                properties: json!({"label:classes": [{"name": null, "classes": [-5, 3]}]}),
                assets: json!({"doc": {"href": "readme.pdf"}, "raster": {"href": "raster.TIF"}}),
            },
            LabelItem {
                id: "d",
                split: Some("test"),
                properties: json!({}),
                assets: json!({"labels": {"href": "labels.tif"}}),
            },
            LabelItem {
                id: "e",
                split: None,
                properties: json!({}),
                assets: json!({"labels": {"href": "https://example.com/e.tif"}}),
            },
        ],
    );
    let output = run(["metrics".to_string(), path_str(&catalog), "--json".into()]).success();
    let entries: Vec<Value> = output.json().as_array().unwrap().clone();
    let names: Vec<&str> = entries.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names[3..5], ["classes-balance", "pixel-balance"], "{names:?}");
    let pixels = entry(&entries, "pixel-balance");
    // Value 3 is "snow" in a and a class of its own (no name) in c: two rows;
    // 22 counted pixels, 6 nodata (a's declared 255, b's tagged 7).
    let overall = [
        row(-5, "-5", 2, 9.09, 1),
        row(0, "no water", 3, 13.64, 1),
        row(1, "water", 9, 40.91, 2),
        row(2, "land", 6, 27.27, 1),
        row(3, "3", 2, 9.09, 1),
        row(3, "snow", 0, 0.0, 0),
    ];
    assert_eq!(rows(&pixels["values"]), overall, "{pixels:#}");
    assert_eq!(
        (pixels["nodata"].as_u64(), pixels["items"].as_u64(), pixels["uncounted"].as_u64()),
        (Some(6), Some(3), Some(2))
    );
    let splits = pixels["splits"].as_array().unwrap();
    let split_names: Vec<&str> = splits.iter().map(|s| s["split"].as_str().unwrap()).collect();
    assert_eq!(split_names, ["test", "train"]);
    assert_eq!(rows(&splits[0]["values"]), [row(0, "no water", 3, 50.0, 1), row(1, "water", 3, 50.0, 1)]);
    assert_eq!((splits[0]["nodata"].as_u64(), splits[0]["items"].as_u64()), (Some(2), Some(1)));
    let train = [
        row(-5, "-5", 2, 12.5, 1),
        row(1, "water", 6, 37.5, 1),
        row(2, "land", 6, 37.5, 1),
        row(3, "3", 2, 12.5, 1),
        row(3, "snow", 0, 0.0, 0),
    ];
    assert_eq!(rows(&splits[1]["values"]), train);
    assert_eq!((splits[1]["nodata"].as_u64(), splits[1]["items"].as_u64()), (Some(4), Some(2)));
    // One line per problem file, each naming the file and the reason.
    let d = root.join("d/labels.tif");
    assert!(output.stderr.contains(&format!("{}: ", d.display())), "{}", output.stderr);
    assert!(output.stderr.contains("(label item d)"), "{}", output.stderr);
    assert!(output.stderr.contains("label mask https://example.com/e.tif is remote; not fetched"), "{}", output.stderr);
}

/// Eight masks, four mostly water and four mostly land: stratified
/// splitting takes each item's majority pixel class, so each half of a
/// 50/50 split gets two of each.
#[test]
fn stratified_splits_by_majority_pixel_class() {
    use stac_ml::class_counts::ClassCounts;
    use stac_ml::split::{self, SplitOptions, SplitSpec, Strategy};
    let dir = tempdir();
    let root = dir.path().join("cat");
    let ids = ["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7"];
    let mut items = Vec::new();
    for (k, id) in ids.iter().enumerate() {
        std::fs::create_dir_all(root.join(id)).unwrap();
        // Water (1) is the majority of the even masks, land (2) of the odd ones.
        let majority = if k % 2 == 0 { 1 } else { 2 };
        let mask = Mask::from_fn(8, 8, Sample::U8, |x, _| if x < 5 { majority } else { 3 - majority });
        crate::tiffs::write(&root.join(id).join("labels.tif"), &mask, &Options::default());
        items.push(LabelItem {
            id,
            split: None,
            properties: json!({}),
            assets: json!({"labels": {"href": "labels.tif", "classification:classes": [
                {"value": 1, "name": "water"}, {"value": 2, "name": "land"}]}}),
        });
    }
    let catalog = write_catalog(&root, &items);
    let dataset = stac_ml::catalog::load(&catalog).unwrap();
    let mut warnings = Default::default();
    let classes = ClassCounts::read(&dataset, &mut warnings);
    assert!(warnings.is_empty(), "{:?}", warnings.lines());
    let majorities: Vec<Option<&str>> = (0..dataset.items.len()).map(|i| classes.majority(i)).collect();
    let expected: Vec<Option<&str>> = (0..8).map(|k| Some(if k % 2 == 0 { "water" } else { "land" })).collect();
    assert_eq!(majorities, expected);
    for seed in 0..5 {
        let options = SplitOptions {
            spec: SplitSpec::new(vec!["a".into(), "b".into()], vec![50.0, 50.0]).unwrap(),
            seed,
            strategy: Strategy::Stratified,
            node: 0,
            keep: None,
            group_by: None,
        };
        let assignment = split::assign(&dataset, &options, Some(&classes)).unwrap();
        for k in 0..2u16 {
            let of_class = |class: &str| {
                (0..8).filter(|&i| assignment.split_of[i] == Some(k) && classes.majority(i) == Some(class)).count()
            };
            assert_eq!((of_class("water"), of_class("land")), (2, 2), "seed {seed}, split {k}");
        }
    }
}

/// The report draws the pixel shares, one bar per class and series.
#[test]
fn the_report_draws_pixel_shares() {
    let dir = tempdir();
    let root = dir.path().join("cat");
    std::fs::create_dir_all(root.join("a")).unwrap();
    let mask = Mask { width: 2, height: 2, sample: Sample::U8, values: vec![1, 1, 1, 2] };
    crate::tiffs::write(&root.join("a/labels.tif"), &mask, &Options::default());
    let catalog = write_catalog(
        &root,
        &[LabelItem {
            id: "a",
            split: Some("train"),
            properties: json!({}),
            assets: json!({"labels": {"href": "labels.tif", "classification:classes": [
                {"value": 1, "name": "<water>"}, {"value": 2, "name": "land"}]}}),
        }],
    );
    let html = dir.path().join("report.html");
    run(["report".to_string(), path_str(&catalog), "-o".into(), path_str(&html)]).success();
    let html = std::fs::read_to_string(&html).unwrap();
    let start = html.find("<h2 id=\"pixels\">").expect("a pixel balance section");
    let section = &html[start..html[start..].find("</svg>").map_or(html.len(), |end| start + end)];
    assert!(section.contains("<svg class=\"chart\" data-property=\"pixels\""), "{section}");
    assert!(section.contains("&lt;water&gt;: 3 (75.00%)"), "{section}");
    assert!(section.contains("land: 1 (25.00%)"), "{section}");
    assert_eq!(section.matches("<rect class=\"bar\"").count(), 4, "two classes, all and train: {section}");
}

fn realworld(path: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/realworld").join(path);
    assert!(path.exists(), "{} is missing", path.display());
    path
}

/// The torchgeo cloud-cover fixtures (counts pinned with tifffile): v1 is
/// the older layout, a 2 × 2 uncompressed mask of value 1 named by
/// `file:values`, GDAL nodata 255 (absent from the pixels); v2 a 512 × 512
/// LZW mask with the horizontal predictor, values unnamed.
#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared beside the checkout")]
fn torchgeo_cloud_cover_pixel_counts() {
    let labels = "ref_cloud_cover_detection_challenge_v1_test_labels/collection.json";
    let v1 = metrics_json(&realworld(&format!("torchgeo-cloudcover-v1/{labels}")), &[]);
    let pixels = entry(&v1, "pixel-balance");
    assert_eq!(rows(&pixels["values"]), [row(0, "no cloud", 0, 0.0, 0), row(1, "cloud", 4, 100.0, 1)], "{pixels:#}");
    assert_eq!(
        (pixels["nodata"].as_u64(), pixels["items"].as_u64(), pixels["uncounted"].as_u64()),
        (Some(0), Some(1), Some(0))
    );
    let v2 = metrics_json(&realworld(&format!("torchgeo-cloudcover-v2/{labels}")), &[]);
    let pixels = entry(&v2, "pixel-balance");
    assert_eq!(rows(&pixels["values"]), [row(0, "0", 131_448, 50.14, 1), row(1, "1", 130_696, 49.86, 1)], "{pixels:#}");
    assert_eq!(pixels["nodata"], 0);
    // Its label:overviews still feed the class balance, as before.
    assert_eq!(entry(&v2, "classes-balance")["sources"], json!([{"source": "label-overviews", "items": 1}]));
}

/// tifffile + numpy (an independent reader, C codecs) count every mask of
/// every layout and compression this module writes alike, and the
/// real cloud-cover masks too.
#[test]
#[cfg_attr(not(has_tifffile), ignore = "needs python3 -m pip install tifffile numpy imagecodecs")]
fn tifffile_counts_the_same_pixels() {
    let dir = tempdir();
    let mut files: Vec<PathBuf> = Vec::new();
    for (name, mask, options) in every_mask() {
        let path = dir.path().join(name);
        crate::tiffs::write(&path, &mask, &options);
        files.push(path);
    }
    // A larger deflate mask with long runs and noise, tiled.
    let big = Mask::from_fn(
        300,
        200,
        Sample::U16,
        |x, y| if (x / 50 + y / 40) % 3 == 0 { 7 } else { i64::from((x * y) % 5) },
    );
    let options = Options {
        layout: Layout::Tiles { width: 64, height: 32 },
        compression: Compression::Deflate,
        predictor: true,
        ..Options::default()
    };
    files.push(dir.path().join("big.tif"));
    crate::tiffs::write(files.last().unwrap(), &big, &options);
    if Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/realworld").is_dir() {
        for v in ["v1", "v2"] {
            files.push(realworld(&format!(
                "torchgeo-cloudcover-{v}/ref_cloud_cover_detection_challenge_v1_test_labels/ref_cloud_cover_detection_challenge_v1_test_labels_aaaa/labels.tif"
            )));
        }
    }
    // Masks tifffile itself writes (imagecodecs' LZW and deflate, tiled with
    // edge tiles, with and without the predictor): the tiled LZW case is
    // where tiff 0.11.3 fails on its own (see pixel_counts.rs).
    let write = "import sys, numpy, tifffile\n\
        rng = numpy.random.default_rng(0)\n\
        for i in range(12):\n\
        \x20   h, w = (int(n) for n in rng.integers(10, 80, 2))\n\
        \x20   a = rng.integers(0, 4, (h, w)) * (rng.random((h, w)) < 0.5)\n\
        \x20   a = a.astype(numpy.uint8 if i % 2 == 0 else numpy.int16)\n\
        \x20   tifffile.imwrite(f'{sys.argv[1]}/tf{i}.tif', a, tile=(16, 16) if i % 3 else (32, 16),\n\
        \x20       compression='lzw' if i < 8 else 'zlib', predictor=i % 4 == 0)\n";
    let output = Command::new("python3").arg("-c").arg(write).arg(dir.path()).output().expect("run python3");
    assert!(output.status.success(), "tifffile: {}", String::from_utf8_lossy(&output.stderr));
    files.extend((0..12).map(|i| dir.path().join(format!("tf{i}.tif"))));
    let script = "import sys, json, numpy, tifffile\n\
        out = {}\n\
        for path in sys.argv[1:]:\n\
        \x20   values, counts = numpy.unique(tifffile.imread(path), return_counts=True)\n\
        \x20   out[path] = [[int(v), int(c)] for v, c in zip(values, counts)]\n\
        print(json.dumps(out))\n";
    let output = Command::new("python3").arg("-c").arg(script).args(&files).output().expect("run python3");
    assert!(output.status.success(), "tifffile: {}", String::from_utf8_lossy(&output.stderr));
    let expected: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut counter = Counter::default();
    for path in &files {
        let ours: Vec<Value> = counter.count(path).unwrap().values.iter().map(|(v, n)| json!([v, n])).collect();
        assert_eq!(Value::from(ours), expected[path_str(path)], "{}", path.display());
    }
}

/// Corrupted masks (bytes overwritten at deterministic places, files cut
/// short) are reasons or counts, never a panic.
#[test]
fn corrupted_masks_never_panic() {
    let mut state = 7u64;
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let mut counter = Counter::default();
    let layouts = [Layout::Strips { rows: 5 }, Layout::Tiles { width: 16, height: 16 }];
    let mut outcomes = [0usize; 2];
    for (k, compression) in COMPRESSIONS.iter().enumerate() {
        for (l, layout) in layouts.iter().enumerate() {
            let sample = SAMPLES[(k + l) % 4];
            let options =
                Options { layout: *layout, compression: *compression, predictor: k % 2 == 1, ..Options::default() };
            let whole = crate::tiffs::encode(&mask(sample), &options);
            for _ in 0..300 {
                let mut bytes = whole.clone();
                for _ in 0..1 + next() % 4 {
                    let at = next() % bytes.len();
                    bytes[at] = next() as u8;
                }
                if next() % 5 == 0 {
                    bytes.truncate(next() % bytes.len());
                }
                let result = counter.count_reader(std::io::Cursor::new(bytes));
                outcomes[usize::from(result.is_ok())] += 1;
            }
        }
    }
    // Both outcomes occur: the corruption reaches tags and pixel data alike.
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
}
