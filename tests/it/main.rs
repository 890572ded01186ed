//! The integration tests: one binary (see `[[test]]` in Cargo.toml), one
//! module per command or concern.

mod cli;
mod compat;
mod crash;
mod engines;
mod eotdl;
mod errors;
mod escaping;
mod fuzz;
mod generate;
mod geoparquet;
mod geoparquet_checks;
mod golden;
mod hardening;
mod info;
mod labels;
mod metrics;
mod output_safety;
mod q2;
mod raster;
mod reading;
mod report;
mod small;
mod split;
mod strategies;
mod tiffs;
mod util;
mod validate;
