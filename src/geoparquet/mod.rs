//! stac-geoparquet in and out: the [`GeoParquet`] source reads a file or a
//! folder of Parquet files (one row per item) into the compact dataset every
//! analysis uses, and the [`GeoParquetSink`] writes a Q2 dataset as one file,
//! or one hive partition per split, with the collections, the root's
//! ML-Dataset fields and the quality metrics in the file metadata.

mod columns;
mod encode;
pub mod files;
mod records;
mod sink;
mod source;

pub(crate) use encode::wkb_field;
pub use files::is_parquet_input;
pub use sink::{GeoParquetSink, ItemTable, write_items};
pub use source::{GeoParquet, ROOT_KEY, Rows};
