//! Which source reads an input path: stac-geoparquet for a Parquet file or
//! a folder of them, else the JSON tree.

use std::path::Path;

use crate::geoparquet::{GeoParquet, is_parquet_input};
use crate::source::{JsonTree, Source};

/// The source for `input`.
pub fn open(input: &Path) -> Box<dyn Source> {
    if is_parquet_input(input) { Box::new(GeoParquet::new(input)) } else { Box::new(JsonTree::new(input)) }
}
