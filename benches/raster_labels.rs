//! Pixel balance of raster labels against its floor: 1,000 class masks of
//! 512 × 512 pixels (8-bit, deflate, strips), generated once under the temp
//! dir. `decompress-only` opens and inflates every strip of every mask with
//! the same decoder on the same threads and does nothing else; `pixel-balance`
//! is the whole metric: each label item's JSON read again, its mask decoded
//! and counted, names and nodata applied, and the sums per class. The target
//! is within 1.5× of the floor.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use rayon::prelude::*;
use serde_json::json;
use stac_ml::catalog::{self, Warnings};
use stac_ml::pixel_balance::pixel_balance;
use stac_ml::raster_labels::RasterLabels;
use tiff::decoder::Decoder;
use tiff::encoder::compression::DeflateLevel;
use tiff::encoder::{Compression, TiffEncoder, colortype};

const MASKS: usize = 1_000;
const SIDE: u32 = 512;

/// A mask like a land-cover label: blocks of five classes with ragged edges
/// (a deterministic hash decides the border pixels), 255 as nodata in one
/// corner.
fn mask(seed: u32) -> Vec<u8> {
    let mut pixels = Vec::with_capacity((SIDE * SIDE) as usize);
    for y in 0..SIDE {
        for x in 0..SIDE {
            let h = (x.wrapping_mul(73_856_093) ^ y.wrapping_mul(19_349_663) ^ seed.wrapping_mul(83_492_791)) >> 7;
            let (bx, by) = ((x + h % 9) / 64, (y + h % 7) / 48);
            let class = if x < 40 && y < 40 && seed.is_multiple_of(4) { 255 } else { ((bx + 2 * by + seed) % 5) as u8 };
            pixels.push(class);
        }
    }
    pixels
}

/// The generated catalog (made once, reused by later runs) and its masks.
fn masks() -> (PathBuf, Vec<PathBuf>) {
    let dir = std::env::temp_dir().join(format!("stac-ml-bench-masks-{MASKS}"));
    let catalog = dir.join("catalog.json");
    let paths: Vec<PathBuf> = (0..MASKS).map(|k| dir.join(format!("m{k:04}/mask.tif"))).collect();
    if catalog.exists() {
        return (catalog, paths);
    }
    let _ = std::fs::remove_dir_all(&dir);
    let mut links = vec![json!({"rel": "root", "href": "./catalog.json"})];
    for (k, path) in paths.iter().enumerate() {
        let id = format!("m{k:04}");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let file = std::fs::File::create(path).unwrap();
        let mut encoder =
            TiffEncoder::new(file).unwrap().with_compression(Compression::Deflate(DeflateLevel::Balanced));
        encoder.write_image::<colortype::Gray8>(SIDE, SIDE, &mask(k as u32)).unwrap();
        let item = json!({
            "type": "Feature", "stac_version": "1.1.0", "id": id,
            "stac_extensions": ["https://stac-extensions.github.io/label/v1.0.1/schema.json"],
            "geometry": null, "bbox": [k, 0, k + 1, 1],
            "properties": {"datetime": "2020-01-01T00:00:00Z", "label:type": "raster", "label:properties": null,
                "label:description": "mask", "label:classes": [{"name": null, "classes": [0, 1, 2, 3, 4]}]},
            "links": [{"rel": "root", "href": "../catalog.json"}, {"rel": "parent", "href": "../catalog.json"}],
            "assets": {"labels": {"href": "mask.tif", "type": "image/tiff; application=geotiff", "roles": ["labels"],
                "raster:bands": [{"nodata": 255, "classification:classes": [
                    {"value": 0, "name": "water"}, {"value": 1, "name": "forest"}, {"value": 2, "name": "crop"},
                    {"value": 3, "name": "urban"}, {"value": 4, "name": "bare"}]}]}}
        });
        std::fs::write(path.parent().unwrap().join(format!("{id}.json")), serde_json::to_vec(&item).unwrap()).unwrap();
        links.push(json!({"rel": "item", "href": format!("./{id}/{id}.json")}));
    }
    let root =
        json!({"type": "Catalog", "stac_version": "1.1.0", "id": "masks", "description": "bench", "links": links});
    std::fs::write(&catalog, serde_json::to_vec(&root).unwrap()).unwrap();
    (catalog, paths)
}

/// Inflates every chunk of one mask and keeps one byte so nothing is
/// optimised away: the floor of any pixel count.
fn decompress(path: &Path, buffer: &mut Vec<u8>) -> u8 {
    let file = std::fs::File::open(path).unwrap();
    let mut decoder = Decoder::new(BufReader::with_capacity(64 << 10, file)).unwrap();
    let mut last = 0;
    for chunk in 0..decoder.strip_count().unwrap() {
        let (w, h) = decoder.chunk_data_dimensions(chunk);
        buffer.resize((w * h) as usize, 0);
        decoder.read_chunk_bytes(chunk, buffer).unwrap();
        last ^= buffer[buffer.len() / 2];
    }
    last
}

fn raster(c: &mut Criterion) {
    let (catalog, paths) = masks();
    let dataset = catalog::load(&catalog).unwrap();
    let mut group = c.benchmark_group("raster-labels");
    group.sample_size(10);
    group.bench_function("decompress-only/1000", |b| {
        b.iter(|| {
            paths.par_iter().map_init(Vec::new, |buffer, path| decompress(path, buffer)).reduce(|| 0, |a, b| a ^ b)
        })
    });
    group.bench_function("pixel-balance/1000", |b| {
        b.iter(|| {
            let mut warnings = Warnings::default();
            let raster = RasterLabels::read(&dataset, &mut warnings);
            assert!(warnings.is_empty());
            pixel_balance(&raster, None).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, raster);
criterion_main!(benches);
