//! Raster label items (`label:type: raster`): which asset is the class mask,
//! what each pixel value is called, which values are nodata, and the pixels
//! per class of every mask, read once per run in parallel across items.
//!
//! The loader keeps no class lists (see [`crate::catalog::LabelInfo`]), so
//! each raster label item's JSON is read again here: one small file beside
//! a mask that costs far more to decode, and nothing held for the items of
//! other kinds.
//!
//! Names come from, for each value: the asset's `classification:classes`
//! (or those of its first `raster:bands` / `bands` entry), then its
//! `file:values` (the older Radiant MLHub layout), else the value itself.
//! `label:classes` (with `name: null` for rasters) lists values only. Values
//! declared by any of them but absent from a mask are kept with 0 pixels, so
//! a class missing from the data shows. Nodata is the asset's `nodata`, else
//! its band's, else the GeoTIFF's own `GDAL_NODATA` tag; `classification`
//! entries marked `nodata: true` are nodata too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::{Map, Value};

use crate::catalog::read::FileReader;
use crate::catalog::{Dataset, ItemRecord, Warnings, href};
use crate::label_assets::{self, AssetFormat};
use crate::pixel_counts::{Counter, integral};

/// Pixels of one class in one mask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PixelClass {
    /// The pixel value.
    pub value: i64,
    /// Its name (the value itself when nothing names it).
    pub name: String,
    /// Pixels with that value; 0 for a declared class the mask lacks.
    pub pixels: u64,
}

/// One raster label item's mask, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemPixels {
    /// Classes by ascending value, nodata excluded.
    pub classes: Vec<PixelClass>,
    /// Nodata pixels.
    pub nodata: u64,
}

impl ItemPixels {
    /// The class with the most pixels (ties to the smaller value); `None`
    /// for a mask of nodata only.
    pub fn majority(&self) -> Option<&PixelClass> {
        let best = self.classes.iter().map(|c| c.pixels).max().filter(|&n| n > 0)?;
        self.classes.iter().find(|c| c.pixels == best)
    }
}

/// Every raster label item of a dataset that has a mask asset, with its
/// counted mask.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RasterLabels {
    /// Indices of the items, ascending.
    items: Vec<usize>,
    /// Their masks; `None` when the mask could not be read or is remote
    /// (the reason is a warning).
    pixels: Vec<Option<ItemPixels>>,
}

/// Where a raster label item's mask is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MaskAsset {
    /// A local file.
    Local(PathBuf),
    /// A remote href, never fetched.
    Remote(String),
}

/// What a raster label item's JSON says about its mask.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MaskDescription {
    /// The mask, if the item has one.
    pub asset: Option<MaskAsset>,
    /// Names of values.
    pub names: BTreeMap<i64, String>,
    /// Values declared as classes (present or not).
    pub declared: BTreeSet<i64>,
    /// Nodata values.
    pub nodata: BTreeSet<i64>,
    /// A nodata was declared (even one no integer pixel can hold): the
    /// file's own tag is then not consulted.
    pub nodata_declared: bool,
}

/// True for label items whose `label:type` is `raster`.
pub fn is_raster_label(item: &ItemRecord) -> bool {
    item.label.as_ref().is_some_and(|l| l.label_type.as_deref() == Some("raster"))
}

impl RasterLabels {
    /// Reads the mask of every raster label item of `dataset` (rayon's
    /// global pool: decoding is CPU-bound). A mask that cannot be read is
    /// one warning naming the file and the reason; warnings are pushed in
    /// item order, whatever the thread timing.
    pub fn read(dataset: &Dataset, warnings: &mut Warnings) -> Self {
        let candidates: Vec<usize> = (0..dataset.items.len()).filter(|&i| is_raster_label(&dataset.items[i])).collect();
        let read: Vec<Result<Option<ItemPixels>, Problem>> = candidates
            .par_iter()
            .map_init(
                || (FileReader::default(), Counter::default()),
                |(reader, counter), &i| item_pixels(dataset, i, reader, counter),
            )
            .collect();
        let (mut items, mut pixels) = (Vec::new(), Vec::new());
        for (&i, result) in candidates.iter().zip(read) {
            match result {
                // Raster-typed labels whose label asset is not a mask (a
                // GeoJSON, as EOTDL's ship use case has) are left to the
                // class balance.
                Ok(None) => continue,
                Ok(Some(counted)) => pixels.push(Some(counted)),
                Err(problem) => {
                    warnings.push(problem.kind, &problem.path, problem.message);
                    pixels.push(None);
                }
            }
            items.push(i);
        }
        RasterLabels { items, pixels }
    }

    /// True when no raster label item has a mask asset.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The raster label items that have a mask asset, with their masks, by
    /// ascending item index.
    pub fn iter(&self) -> impl Iterator<Item = (usize, Option<&ItemPixels>)> {
        self.items.iter().copied().zip(self.pixels.iter().map(Option::as_ref))
    }

    /// The counted mask of item `item`; `None` when it is not a raster label
    /// item or its mask could not be read.
    pub fn of(&self, item: usize) -> Option<&ItemPixels> {
        self.items.binary_search(&item).ok().and_then(|k| self.pixels[k].as_ref())
    }

    /// The name of the class with the most pixels in item `item`'s mask.
    pub fn majority(&self, item: usize) -> Option<&str> {
        self.of(item)?.majority().map(|c| c.name.as_str())
    }

    /// A set of counted masks, for tests and benches that bypass the files.
    pub fn from_parts(items: Vec<usize>, pixels: Vec<Option<ItemPixels>>) -> Self {
        assert_eq!(items.len(), pixels.len(), "one mask (or none) per item");
        RasterLabels { items, pixels }
    }
}

/// A grouped warning: its kind, the file it is about, the reason.
struct Problem {
    kind: &'static str,
    path: PathBuf,
    message: String,
}

fn item_pixels(
    dataset: &Dataset,
    i: usize,
    reader: &mut FileReader,
    counter: &mut Counter,
) -> Result<Option<ItemPixels>, Problem> {
    let item = &dataset.items[i];
    let file = dataset.item_file(i);
    let json = dataset.read_item(i, reader).map_err(|e| Problem {
        kind: "unreadable raster label",
        path: file.to_path_buf(),
        message: format!("cannot be read again for its mask: {e}"),
    })?;
    let Value::Object(json) = json else {
        return Err(Problem {
            kind: "unreadable raster label",
            path: file.to_path_buf(),
            message: "is no longer a JSON object".into(),
        });
    };
    let description = describe(file, &json);
    let path = match &description.asset {
        None => return Ok(None),
        Some(MaskAsset::Remote(href)) => {
            return Err(Problem {
                kind: "remote raster label",
                path: file.to_path_buf(),
                message: format!("label mask {href} is remote; not fetched, its pixels are not counted"),
            });
        }
        Some(MaskAsset::Local(path)) => path,
    };
    let counts = counter.count(path).map_err(|problem| Problem {
        kind: "unreadable raster label",
        path: path.clone(),
        message: format!("{problem} (label item {})", item.id),
    })?;
    Ok(Some(classify(&description, &counts.values, counts.tag_nodata)))
}

/// Splits raw (value, pixels) counts into named classes and nodata.
pub fn classify(description: &MaskDescription, values: &[(i64, u64)], tag_nodata: Option<i64>) -> ItemPixels {
    let mut nodata_values = description.nodata.clone();
    if !description.nodata_declared {
        nodata_values.extend(tag_nodata);
    }
    let mut pixels: BTreeMap<i64, u64> = description.declared.iter().map(|&v| (v, 0)).collect();
    let mut nodata = 0;
    for &(value, n) in values {
        if nodata_values.contains(&value) {
            nodata += n;
        } else {
            *pixels.entry(value).or_default() += n;
        }
    }
    let classes = pixels
        .into_iter()
        .filter(|(value, _)| !nodata_values.contains(value))
        .map(|(value, pixels)| PixelClass {
            value,
            name: description.names.get(&value).cloned().unwrap_or_else(|| value.to_string()),
            pixels,
        })
        .collect();
    ItemPixels { classes, nodata }
}

/// Reads a raster label item's mask asset, class names and nodata from its
/// JSON (`item_path` resolves relative hrefs).
pub fn describe(item_path: &Path, json: &Map<String, Value>) -> MaskDescription {
    let mut description = MaskDescription::default();
    let properties = json.get("properties").and_then(Value::as_object);
    if let Some(Value::Array(entries)) = properties.and_then(|p| p.get("label:classes")) {
        for entry in entries {
            for class in entry.get("classes").and_then(Value::as_array).into_iter().flatten() {
                description.declared.extend(integer(class));
            }
        }
    }
    let Some((_, asset)) = json.get("assets").and_then(Value::as_object).and_then(mask_asset) else {
        return description;
    };
    description.asset = asset.get("href").and_then(Value::as_str).map(|href| {
        if href::is_remote(href) {
            MaskAsset::Remote(href.to_string())
        } else {
            MaskAsset::Local(href::resolve(item_path, href))
        }
    });
    // The first band of a single-band mask carries what the asset may not.
    let band = ["raster:bands", "bands"].iter().find_map(|key| asset.get(*key)?.as_array()?.first());
    let classification = asset.get("classification:classes").or_else(|| band?.get("classification:classes"));
    for class in classification.and_then(Value::as_array).into_iter().flatten() {
        let Some(value) = class.get("value").and_then(integer) else { continue };
        if class.get("nodata").and_then(Value::as_bool) == Some(true) {
            description.nodata.insert(value);
            description.nodata_declared = true;
            continue;
        }
        description.declared.insert(value);
        let name = ["name", "description"].iter().find_map(|key| class.get(*key)?.as_str());
        if let Some(name) = name {
            description.names.entry(value).or_insert_with(|| name.to_string());
        }
    }
    for entry in asset.get("file:values").and_then(Value::as_array).into_iter().flatten() {
        let Some(summary) = entry.get("summary").and_then(Value::as_str) else { continue };
        for value in entry.get("values").and_then(Value::as_array).into_iter().flatten().filter_map(integer) {
            description.declared.insert(value);
            description.names.entry(value).or_insert_with(|| summary.to_string());
        }
    }
    if let Some(nodata) = asset.get("nodata").or_else(|| band?.get("nodata")) {
        description.nodata_declared = true;
        description.nodata.extend(number(nodata).and_then(integral));
    }
    description
}

/// The mask among an item's assets: its label asset as
/// [`label_assets::find`] picks it for a raster label (keyed or roled
/// `labels`, else a GeoTIFF by media type or extension), unless it says it
/// is something else (a GeoJSON). A `labels` asset of unknown format is
/// taken at its word, and a non-TIFF one is reported as unsupported: falling
/// back to another GeoTIFF would count the source image as a mask.
pub fn mask_asset(assets: &Map<String, Value>) -> Option<(&String, &Value)> {
    let found = label_assets::find(assets, Some("raster"))?;
    match found.format {
        Some(AssetFormat::GeoTiff) | None => assets.get_key_value(found.key),
        Some(_) => None,
    }
}

/// A JSON number (or numeric string: STAC writes `"nan"` and some tools
/// write numbers as text) as f64.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn integer(value: &Value) -> Option<i64> {
    number(value).and_then(integral)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn described(item: Value) -> MaskDescription {
        describe(Path::new("/data/item/item.json"), item.as_object().unwrap())
    }

    #[test]
    fn names_come_from_classification_then_file_values_then_the_value() {
        let d = described(json!({
            "properties": {"label:classes": [{"name": null, "classes": [0, 1, "2", 3]}]},
            "assets": {"mask": {"href": "mask.tif", "type": "image/tiff; application=geotiff",
                "raster:bands": [{"nodata": 255, "classification:classes": [
                    {"value": 1, "name": "cloud"}, {"value": 9, "description": "shadow"},
                    {"value": 254, "name": "fill", "nodata": true}]}],
                "file:values": [{"values": [0], "summary": "clear"}, {"values": [1], "summary": "ignored"}]}}
        }));
        assert_eq!(d.asset, Some(MaskAsset::Local("/data/item/mask.tif".into())));
        assert_eq!(d.declared, [0, 1, 2, 3, 9].into());
        assert_eq!(d.nodata, [254, 255].into());
        let names: Vec<(i64, &str)> = d.names.iter().map(|(v, n)| (*v, n.as_str())).collect();
        assert_eq!(names, [(0, "clear"), (1, "cloud"), (9, "shadow")]);
        let pixels = classify(&d, &[(0, 5), (1, 7), (4, 1), (255, 3), (254, 1)], Some(4));
        let got: Vec<(i64, &str, u64)> = pixels.classes.iter().map(|c| (c.value, c.name.as_str(), c.pixels)).collect();
        // The declared nodata wins over the file's tag: 4 is a class here.
        assert_eq!(got, [(0, "clear", 5), (1, "cloud", 7), (2, "2", 0), (3, "3", 0), (4, "4", 1), (9, "shadow", 0)]);
        assert_eq!(pixels.nodata, 4);
        assert_eq!(pixels.majority().map(|c| c.value), Some(1));
    }

    #[test]
    fn the_file_tag_is_nodata_only_when_the_catalog_says_nothing() {
        let d = described(json!({"assets": {"labels": {"href": "https://example.com/m.tif"}}}));
        assert_eq!(d.asset, Some(MaskAsset::Remote("https://example.com/m.tif".into())));
        assert_eq!(classify(&d, &[(1, 4), (255, 2)], Some(255)).nodata, 2);
        // A NaN nodata is declared but matches no integer pixel.
        let d = described(json!({"assets": {"labels": {"href": "m.tif", "nodata": "nan"}}}));
        assert!(d.nodata_declared && d.nodata.is_empty());
        assert_eq!(classify(&d, &[(1, 4), (255, 2)], Some(255)).nodata, 0);
    }

    #[test]
    fn the_mask_is_the_label_asset_else_the_first_geotiff() {
        let pick = |assets: Value| mask_asset(assets.as_object().unwrap()).map(|(k, _)| k.clone());
        assert_eq!(pick(json!({"a": {"href": "a.tif"}, "labels": {"href": "l"}})), Some("labels".into()));
        // The label asset, even when it is no TIFF (then reported as unsupported).
        assert_eq!(pick(json!({"a": {"href": "a.tif"}, "labels": {"href": "l.png"}})), Some("labels".into()));
        let geojson =
            json!({"labels": {"href": "../x/l.geojson", "type": "application/geo+json", "roles": ["labels"]}});
        assert_eq!(pick(geojson), None);
        assert_eq!(pick(json!({"a": {"href": "a.tif"}, "b": {"href": "b", "roles": ["labels"]}})), Some("b".into()));
        assert_eq!(pick(json!({"doc": {"href": "d.pdf"}, "m": {"href": "m.TIFF?x=1"}})), Some("m".into()));
        assert_eq!(pick(json!({"m": {"href": "m", "type": "image/tiff"}})), Some("m".into()));
        assert_eq!(pick(json!({"doc": {"href": "d.pdf"}})), None);
    }

    #[test]
    fn majority_ties_to_the_smaller_value_and_nodata_only_has_none() {
        let class = |value, pixels| PixelClass { value, name: value.to_string(), pixels };
        let tied = ItemPixels { classes: vec![class(2, 5), class(7, 5), class(9, 1)], nodata: 0 };
        assert_eq!(tied.majority().map(|c| c.value), Some(2));
        let empty = ItemPixels { classes: vec![class(2, 0)], nodata: 10 };
        assert_eq!(empty.majority(), None);
    }
}
