//! Reading STAC catalogs from local files.

pub mod href;
mod load;
mod record;

pub use load::{Dataset, Node, NodeKind, WarningGroup, Warnings, load, read_json, read_json_into};
pub use record::{Bbox, ItemRecord, LabelInfo};
