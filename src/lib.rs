//! stac-ml: curate machine-learning training datasets described as STAC
//! catalogs, offline.
//!
//! The library is the whole tool; the `stac-ml` binary only parses arguments
//! and prints. Data flows in one direction:
//! a [`source::Source`] (the JSON tree: [`catalog::load`]) reads a local
//! catalog into a compact [`catalog::Dataset`], [`split::assign`] decides
//! splits, [`metrics::compute`] measures, and a [`sink::Sink`] (the JSON tree:
//! [`write::JsonTreeSink`]) writes the Q2 catalog, which [`publish`] puts in
//! place atomically. [`pipeline::split`] and [`pipeline::q2`] run these
//! flows whole, telling a [`progress::Observer`] how far they are; q2's
//! [`gate`] refuses to publish an output it made invalid.
//!
//! ```no_run
//! use stac_ml::{catalog, split};
//! let dataset = catalog::load("catalog.json".as_ref())?;
//! let spec = split::SplitSpec::new(
//!     vec!["Training".into(), "Validation".into(), "Test".into()],
//!     vec![80.0, 10.0, 10.0],
//! )?;
//! let options = split::SplitOptions {
//!     spec,
//!     seed: 0,
//!     strategy: split::Strategy::Random,
//!     node: dataset.node_by_id("labels")?,
//!     keep: None,
//!     group_by: None,
//! };
//! let assignment = split::assign(&dataset, &options, None)?;
//! println!("{:?}", assignment.counts);
//! # Ok::<(), stac_ml::Error>(())
//! ```
#![deny(missing_docs)]

pub mod balance;
pub mod catalog;
pub mod class_counts;
pub mod consistency;
pub mod detection;
pub mod duplicates;
mod error;
pub mod escape;
pub mod gate;
pub mod generate;
pub mod geometry;
pub mod geoparquet;
pub mod hash_split;
pub mod hints;
pub mod index;
pub mod info;
pub mod input;
pub mod intern;
pub mod io_pool;
pub mod label_assets;
pub mod largest_remainder;
pub mod metrics;
pub mod ml_dataset;
mod number_text;
pub mod pipeline;
pub mod pixel_balance;
pub mod pixel_counts;
pub mod progress;
pub mod publish;
pub mod raster_labels;
pub mod regression;
pub mod report;
pub mod sink;
pub mod source;
pub mod split;
mod union_find;
pub mod validate;
pub mod write;

pub use error::{Error, Result, Setting};
