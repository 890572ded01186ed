//! Reading STAC catalogs from local files: [`walk`] follows the link tree
//! (shared with validation), [`read`] reads many files in parallel (shared
//! with validation and `info`), `load` turns both into a [`Dataset`] of
//! compact [`ItemRecord`]s, and [`href`] resolves hrefs lexically.

pub mod extension;
pub mod href;
mod load;
pub mod read;
mod record;
pub mod walk;

pub use load::{Dataset, ItemTable, Node, NodeKind, WarningGroup, Warnings, load, root_file};
pub(crate) use load::{
    Sources, extensions_and_hrefs, footprint_of, geometry_bbox, give_sources, item_from_object, linked_dir,
    list_node_items,
};
pub use read::{read_json, read_json_into};
pub use record::{
    Bbox, Interned, InternedList, ItemFile, ItemRecord, ItemTime, LABEL_EXTENSION, LabelInfo, bbox_from_json,
    bbox_numbers, is_label_item, summed_counts,
};
