//! Which asset of a label item holds its labels.
//!
//! The label extension says the asset with key or role `labels`; real
//! exports do not always follow it (a labelling platform keys its GeoJSON
//! `data` with role `data`). When no asset is keyed or roled `labels`, the
//! label item's GeoJSON or GeoTIFF asset is assumed instead, recognised by
//! its media type or, failing that, by its file extension; the caller warns
//! that it was assumed. The format is decided here once, so the vector and
//! the raster readers each take only the assets they can read.

use serde_json::{Map, Value};

/// The file formats a label asset is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetFormat {
    /// GeoJSON (`application/geo+json`, `.geojson`).
    GeoJson,
    /// GeoTIFF (`image/tiff`, `.tif`, `.tiff`).
    GeoTiff,
}

impl AssetFormat {
    /// The format's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            AssetFormat::GeoJson => "GeoJSON",
            AssetFormat::GeoTiff => "GeoTIFF",
        }
    }
}

/// How the label asset was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoundBy {
    /// Its key or one of its roles is `labels`, as the label extension says.
    Labels,
    /// Assumed: its media type (`type`) names a label format.
    MediaType,
    /// Assumed: its file extension names a label format.
    Extension,
}

/// The label asset of one label item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelAsset<'a> {
    /// The asset's key.
    pub key: &'a str,
    /// Its href, when it has a string one.
    pub href: Option<&'a str>,
    /// Its format, when its media type or file extension tells.
    pub format: Option<AssetFormat>,
    /// How it was found.
    pub found_by: FoundBy,
}

impl LabelAsset<'_> {
    /// The warning text for an assumed asset; `None` when the asset is keyed
    /// or roled `labels`.
    pub fn assumption(&self) -> Option<String> {
        let format = self.format.map_or("", AssetFormat::name);
        let why = match self.found_by {
            FoundBy::Labels => return None,
            FoundBy::MediaType => "its media type",
            FoundBy::Extension => "its file extension",
        };
        Some(format!("no asset is keyed or roled \"labels\"; assumed asset {:?} ({format}, by {why})", self.key))
    }
}

/// The format an asset's media type names, if it names one.
fn format_by_media_type(asset: &Value) -> Option<AssetFormat> {
    let media = asset.get("type")?.as_str()?.to_ascii_lowercase();
    // Parameters such as `; application=geotiff` or `; profile=cloud-optimized` do not change the format.
    let essence = media.split(';').next().unwrap_or_default().trim();
    match essence {
        "application/geo+json" => Some(AssetFormat::GeoJson),
        "image/tiff" | "image/geotiff" => Some(AssetFormat::GeoTiff),
        _ => None,
    }
}

/// The format an asset's href extension names, if it names one (the query
/// and fragment of a URL are ignored).
fn format_by_extension(asset: &Value) -> Option<AssetFormat> {
    let href = asset.get("href")?.as_str()?;
    let path = href.split(['?', '#']).next().unwrap_or_default().to_ascii_lowercase();
    if path.ends_with(".geojson") {
        Some(AssetFormat::GeoJson)
    } else if path.ends_with(".tif") || path.ends_with(".tiff") {
        Some(AssetFormat::GeoTiff)
    } else {
        None
    }
}

/// An asset's format and how it was recognised: its media type first, then
/// its file extension.
pub fn format_of(asset: &Value) -> Option<(AssetFormat, FoundBy)> {
    format_by_media_type(asset)
        .map(|f| (f, FoundBy::MediaType))
        .or_else(|| format_by_extension(asset).map(|f| (f, FoundBy::Extension)))
}

fn is_labels(key: &str, asset: &Value) -> bool {
    key == "labels"
        || asset
            .get("roles")
            .and_then(Value::as_array)
            .is_some_and(|roles| roles.iter().any(|r| r.as_str() == Some("labels")))
}

/// The label asset of a label item's `assets`: the first keyed or roled
/// `labels`; else the first GeoJSON or GeoTIFF asset, preferring the format
/// `label:type` implies (`vector`: GeoJSON, `raster`: GeoTIFF), in the order
/// the assets are written. `None` when there is neither.
pub fn find<'a>(assets: &'a Map<String, Value>, label_type: Option<&str>) -> Option<LabelAsset<'a>> {
    let href = |asset: &'a Value| asset.get("href").and_then(Value::as_str);
    if let Some((key, asset)) = assets.iter().find(|(key, asset)| is_labels(key, asset)) {
        return Some(LabelAsset {
            key,
            href: href(asset),
            format: format_of(asset).map(|(f, _)| f),
            found_by: FoundBy::Labels,
        });
    }
    let preferred = match label_type {
        Some("raster") => Some(AssetFormat::GeoTiff),
        Some("vector") => Some(AssetFormat::GeoJson),
        _ => None,
    };
    let candidates: Vec<(&'a String, &'a Value, AssetFormat, FoundBy)> = assets
        .iter()
        .filter_map(|(key, asset)| format_of(asset).map(|(format, by)| (key, asset, format, by)))
        .collect();
    let chosen = candidates
        .iter()
        .find(|c| Some(c.2) == preferred)
        .or_else(|| if preferred.is_none() { candidates.first() } else { None })?;
    Some(LabelAsset { key: chosen.0, href: href(chosen.1), format: Some(chosen.2), found_by: chosen.3 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn assets(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn labels_key_or_role_wins() {
        let a = assets(json!({
            "data": {"href": "d.geojson", "type": "application/geo+json"},
            "mask": {"href": "m.tif", "roles": ["labels"]},
        }));
        let found = find(&a, Some("vector")).unwrap();
        assert_eq!((found.key, found.found_by, found.format), ("mask", FoundBy::Labels, Some(AssetFormat::GeoTiff)));
        assert_eq!(found.assumption(), None);
    }

    #[test]
    fn a_geojson_is_assumed_by_media_type_then_extension() {
        let a = assets(json!({
            "image": {"href": "i.png", "type": "image/png"},
            "data": {"href": "./data/x.geojson", "roles": ["data"], "type": "application/geo+json"},
        }));
        let found = find(&a, Some("vector")).unwrap();
        assert_eq!((found.key, found.href, found.found_by), ("data", Some("./data/x.geojson"), FoundBy::MediaType));
        assert_eq!(
            found.assumption().unwrap(),
            r#"no asset is keyed or roled "labels"; assumed asset "data" (GeoJSON, by its media type)"#
        );
        let b = assets(json!({"x": {"href": "X.GeoJSON?download=1"}}));
        assert_eq!(find(&b, None).unwrap().found_by, FoundBy::Extension);
    }

    #[test]
    fn label_type_prefers_its_format() {
        let a = assets(json!({
            "vec": {"href": "v.geojson"},
            "ras": {"href": "r.tif", "type": "image/tiff; application=geotiff"},
        }));
        assert_eq!(find(&a, Some("raster")).unwrap().key, "ras");
        assert_eq!(find(&a, Some("vector")).unwrap().key, "vec");
        assert_eq!(find(&a, None).unwrap().key, "vec");
        // A vector label item whose only candidate is a GeoTIFF has no assumed label asset.
        let only_tiff = assets(json!({"ras": {"href": "r.tiff"}}));
        assert_eq!(find(&only_tiff, Some("vector")), None);
        assert_eq!(find(&assets(json!({"doc": {"href": "a.pdf"}})), None), None);
    }
}
