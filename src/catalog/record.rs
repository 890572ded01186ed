//! The compact per-item state every stage shares. A loaded item keeps only what
//! splitting, metrics and writing need; the full JSON is read again when the
//! item is written, so memory grows with the record size, not the file size.

use std::path::PathBuf;

/// An axis-aligned 2-D bounding box: `[min_x, min_y, max_x, max_y]`.
pub type Bbox = [f64; 4];

/// One item of the catalog, as the analysis stages see it.
#[derive(Debug, Clone)]
pub struct ItemRecord {
    /// The item id.
    pub id: String,
    /// Index of the catalog or collection that links the item.
    pub node: usize,
    /// Absolute path of the item file.
    pub path: PathBuf,
    /// The 2-D bbox (from `bbox`, else computed from the geometry).
    pub bbox: Option<Bbox>,
    /// The footprint, kept only when it is not simply the bbox rectangle.
    pub footprint: Option<Box<geo::MultiPolygon<f64>>>,
    /// The item has a geometry (possibly just its bbox rectangle).
    pub has_geometry: bool,
    /// `datetime`, or `start_datetime` when `datetime` is null.
    pub datetime: Option<Box<str>>,
    /// Label-extension details; `Some` for label items.
    pub label: Option<Box<LabelInfo>>,
    /// Indices of the items this item's `source` links reach.
    pub sources: Vec<usize>,
    /// `source` links that reach no item of the catalog.
    pub dangling_sources: Vec<String>,
    /// An `ml-dataset:split` the item already carries.
    pub split: Option<Box<str>>,
}

impl ItemRecord {
    /// True for label items (label extension fields or identifier present).
    pub fn is_label(&self) -> bool {
        self.label.is_some()
    }
}

/// What the label extension says about a label item.
#[derive(Debug, Clone, Default)]
pub struct LabelInfo {
    /// `label:properties`; `None` for raster labels (`null`) or when absent.
    pub properties: Option<Vec<String>>,
    /// `label:tasks` as written.
    pub tasks: Vec<String>,
    /// `label:type` (`vector` or `raster`) as written.
    pub label_type: Option<String>,
    /// The item has a label asset (local or remote).
    pub has_asset: bool,
    /// Local path of the label asset, when it is local.
    pub asset: Option<PathBuf>,
    /// `label:classes` lists at least one class. The lists themselves are not
    /// kept: counts come from assets and overviews, and a million items'
    /// copies of the same class list would dominate memory.
    pub has_classes: bool,
    /// `label:overviews` counts: (property key, class, count).
    pub overview_counts: Vec<(String, String, u64)>,
    /// Classes written directly in the item's properties, one per label
    /// property: (property, class). Classification catalogs do this.
    pub item_classes: Vec<(String, String)>,
}
