//! Small catalogs written by a test for itself: a root catalog with
//! collections of items, each item in `<collection>/<id>/<id>.json` with
//! its label files beside it, so every expected value can be worked out by
//! hand.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::util::write_json;

/// An item to write.
#[derive(Debug, Clone)]
pub struct Item {
    /// Its id.
    pub id: String,
    /// [west, south, east, north]; written as bbox and as a polygon geometry.
    pub bbox: [f64; 4],
    /// Its `properties` (datetime included when wanted; `null` otherwise).
    pub properties: Value,
    /// Its `assets`.
    pub assets: Value,
    /// `source` links, as (collection, item id).
    pub sources: Vec<(String, String)>,
    /// Files written beside the item: (file name, JSON content).
    pub files: Vec<(String, Value)>,
    /// Extensions listed in `stac_extensions`.
    pub extensions: Vec<String>,
}

/// The label extension's identifier.
pub const LABEL: &str = "https://stac-extensions.github.io/label/v1.0.1/schema.json";

/// An item with no datetime, no assets and no links beyond the structure.
pub fn item(id: &str, bbox: [f64; 4]) -> Item {
    Item {
        id: id.into(),
        bbox,
        properties: json!({"datetime": null}),
        assets: json!({}),
        sources: Vec::new(),
        files: Vec::new(),
        extensions: Vec::new(),
    }
}

impl Item {
    /// Sets a property.
    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.properties[key] = value;
        self
    }

    /// A vector label item over `properties`, with `label:classes` when given.
    pub fn label(mut self, properties: &[&str], classes: Option<Value>) -> Self {
        self.extensions.push(LABEL.into());
        self.properties["label:type"] = json!("vector");
        self.properties["label:description"] = json!("test labels");
        self.properties["label:properties"] = json!(properties);
        if let Some(classes) = classes {
            self.properties["label:classes"] = classes;
        }
        self
    }

    /// A label GeoJSON file beside the item under asset `key` (with `roles`
    /// and media `type` as given: `Value::Null` leaves them out).
    pub fn label_file(mut self, key: &str, file: &str, roles: Value, media: Value, content: Value) -> Self {
        let mut asset = json!({"href": format!("./{file}")});
        if !roles.is_null() {
            asset["roles"] = roles;
        }
        if !media.is_null() {
            asset["type"] = media;
        }
        self.assets[key] = asset;
        self.files.push((file.into(), content));
        self
    }

    /// The usual label asset: key `labels`, role `labels`, `labels.geojson`.
    pub fn labels(self, content: Value) -> Self {
        self.label_file("labels", "labels.geojson", json!(["labels"]), json!("application/geo+json"), content)
    }

    /// A `source` link to an item of a collection.
    pub fn source(mut self, collection: &str, id: &str) -> Self {
        self.sources.push((collection.into(), id.into()));
        self
    }
}

/// A FeatureCollection of point features, one per properties object.
pub fn features(properties: &[Value]) -> Value {
    let features: Vec<Value> = properties
        .iter()
        .map(|p| json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [0.5, 0.5]}, "properties": p}))
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

/// Writes the catalog under `root` and returns the root catalog file.
pub fn write_catalog(root: &Path, collections: &[(&str, Vec<Item>)]) -> PathBuf {
    let catalog = root.join("catalog.json");
    let children: Vec<Value> =
        collections.iter().map(|(id, _)| json!({"rel": "child", "href": format!("./{id}/collection.json")})).collect();
    let mut links = vec![json!({"rel": "root", "href": "./catalog.json"})];
    links.extend(children);
    write_json(
        &catalog,
        &json!({"type": "Catalog", "stac_version": "1.0.0", "id": "small", "description": "a test catalog", "links": links}),
    );
    for (collection, items) in collections {
        let mut links = vec![
            json!({"rel": "root", "href": "../catalog.json"}),
            json!({"rel": "parent", "href": "../catalog.json"}),
        ];
        links.extend(items.iter().map(|i| json!({"rel": "item", "href": format!("./{0}/{0}.json", i.id)})));
        write_json(
            &root.join(collection).join("collection.json"),
            &json!({
                "type": "Collection", "stac_version": "1.0.0", "id": collection, "description": "items",
                "license": "CC-BY-4.0",
                "extent": {"spatial": {"bbox": [[-180, -90, 180, 90]]}, "temporal": {"interval": [[null, null]]}},
                "links": links,
            }),
        );
        for item in items {
            let dir = root.join(collection).join(&item.id);
            let [w, s, e, n] = item.bbox;
            let mut links = vec![
                json!({"rel": "root", "href": "../../catalog.json"}),
                json!({"rel": "parent", "href": "../collection.json"}),
                json!({"rel": "collection", "href": "../collection.json"}),
            ];
            links.extend(
                item.sources
                    .iter()
                    .map(|(c, id)| json!({"rel": "source", "href": format!("../../{c}/{id}/{id}.json")})),
            );
            write_json(
                &dir.join(format!("{}.json", item.id)),
                &json!({
                    "type": "Feature", "stac_version": "1.0.0", "stac_extensions": item.extensions, "id": item.id,
                    "collection": collection,
                    "bbox": item.bbox,
                    "geometry": {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]},
                    "properties": item.properties, "links": links, "assets": item.assets,
                }),
            );
            for (name, content) in &item.files {
                write_json(&dir.join(name), content);
            }
        }
    }
    catalog
}
