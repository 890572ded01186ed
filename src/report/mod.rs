//! The HTML report behind `stac-ml report` and `q2 --report`: one
//! self-contained file (inline CSS and SVG, no scripts, nothing fetched) with
//! the summary, a map of item footprints coloured by split, class balance per
//! split as bar charts (and pixel shares of raster labels), the duplicate and leakage findings and the validation
//! status.
//!
//! The output is a pure function of its inputs: no timestamps, and every list
//! is emitted in the order of the dataset or of the metric entries (never in
//! hash order). Its size is bounded whatever the catalog size: at most
//! [`MAX_FOOTPRINTS`] shapes are drawn one by one, beyond that items are
//! aggregated into a grid of at most [`GRID_CELLS`]² cells, and tables stop
//! after [`MAX_ROWS`] rows. Every string that comes from the data (ids, class
//! names, paths, messages) goes through [`escape`].
//!
//! Elements a test (or a reader's tooling) can look for: `<svg id="map">`
//! holding `class="footprint"` or `class="cell"` shapes, and one
//! `<svg class="chart" data-property="...">` per label property holding
//! `<rect class="bar">` bars.

mod charts;
mod labels;
mod map;
mod page;
mod tables;
mod text;

use std::fmt;
use std::fmt::Write;

pub use text::escape;

use crate::catalog::Dataset;
use crate::info::Info;
use crate::metrics::QualityMetrics;
use crate::split::SplitView;
use crate::validate::Report;

/// Distinct footprints drawn one by one at most; beyond, items are
/// aggregated into grid cells.
pub const MAX_FOOTPRINTS: usize = 5000;
/// Grid cells along the longer side of the map when items are aggregated.
pub const GRID_CELLS: usize = 100;
/// Rows of a findings table before the rest is only counted.
pub const MAX_ROWS: usize = 25;
/// Classes drawn per chart; the smallest of the rest are summed into one bar.
pub const MAX_CLASSES: usize = 25;

/// Split colours, by split index (cycled beyond ten splits).
const PALETTE: [&str; 10] =
    ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf", "#393b79"];
/// The colour of items outside every split.
const UNASSIGNED: &str = "#a0a0a0";
/// The colour of the "all items" bars.
const ALL: &str = "#555555";

/// The report as one HTML document.
///
/// `metrics` are what [`crate::metrics::compute`] made (the same `splits`
/// should have been given to it), `info` the overview of
/// [`crate::info::info`], `validation` the report of validating the catalog,
/// when it was validated.
pub fn html(
    dataset: &Dataset,
    info: &Info,
    metrics: &QualityMetrics,
    splits: Option<&SplitView>,
    validation: Option<&Report>,
) -> String {
    let mut out = String::with_capacity(64 * 1024);
    page::write_document(&mut out, dataset, info, metrics, splits, validation)
        .expect("writing to a String cannot fail");
    out
}

/// Split names, colours and item counts.
struct Legend {
    names: Vec<String>,
    /// Items per split, then the unassigned count last.
    counts: Vec<usize>,
    /// True when splits are known at all.
    split: bool,
}

impl Legend {
    fn new(dataset: &Dataset, splits: Option<&SplitView>) -> Self {
        let names: Vec<String> = splits.map(|s| s.names.to_vec()).unwrap_or_default();
        let mut counts = vec![0usize; names.len() + 1];
        for i in 0..dataset.items.len() {
            counts[group_of(splits, i, names.len())] += 1;
        }
        Legend { names, counts, split: splits.is_some() }
    }

    /// The number of groups: the splits and "unassigned".
    fn groups(&self) -> usize {
        self.names.len() + 1
    }

    fn colour(&self, group: usize) -> &'static str {
        if group == self.names.len() { UNASSIGNED } else { PALETTE[group % PALETTE.len()] }
    }

    fn name(&self, group: usize) -> &str {
        if group == self.names.len() {
            if self.split { "unassigned" } else { "items (no splits)" }
        } else {
            &self.names[group]
        }
    }

    fn write(&self, out: &mut String) -> fmt::Result {
        out.push_str("<p class=\"legend\">");
        for g in 0..self.groups() {
            if self.counts[g] == 0 && g == self.names.len() {
                continue;
            }
            write!(
                out,
                "<span class=\"item\"><span class=\"swatch\" style=\"background:{}\"></span>{} ({})</span>",
                self.colour(g),
                escape(self.name(g)),
                self.counts[g]
            )?;
        }
        out.push_str("</p>\n");
        Ok(())
    }
}

/// The legend group of an item: its split index, or `unassigned` (the number
/// of splits).
fn group_of(splits: Option<&SplitView>, item: usize, unassigned: usize) -> usize {
    splits.and_then(|s| s.split_of[item]).map_or(unassigned, |k| k as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` items scattered over the globe (a deterministic LCG), each in one
    /// of three splits or none: the worst case for the aggregated map.
    fn scattered(n: usize) -> (Dataset, Vec<Option<u16>>) {
        use crate::catalog::ItemRecord;
        let mut state = 42u64;
        let mut next = move || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let items: Vec<ItemRecord> = (0..n)
            .map(|i| {
                let (x, y) = (-180.0 + 359.0 * next(), -60.0 + 139.0 * next());
                ItemRecord {
                    id: format!("item_{i:07}"),
                    node: 0,
                    file: None,
                    bbox: Some([x, y, x + 0.01, y + 0.01]),
                    footprint: None,
                    has_geometry: true,
                    datetime: None,
                    label: None,
                    sources: Box::default(),
                    dangling_sources: None,
                    split: None,
                }
            })
            .collect();
        let split_of = (0..n).map(|_| [None, Some(0), Some(1), Some(2)][(next() * 4.0) as usize]).collect();
        (Dataset::of_items("scattered", items), split_of)
    }

    fn overview(n: usize) -> Info {
        Info {
            catalog: "/scattered/catalog.json".into(),
            id: "scattered".into(),
            quality: crate::validate::Quality::Q1,
            items: n,
            collections: Vec::new(),
            labels: Vec::new(),
            source_imagery: Vec::new(),
            splits: Vec::new(),
        }
    }

    fn measured(dataset: &Dataset, splits: &SplitView) -> QualityMetrics {
        let classes = crate::balance::ClassCounts::default();
        crate::metrics::compute(dataset, &classes, Some(splits), crate::metrics::MetricsOptions::default())
    }

    #[test]
    fn footprints_up_to_the_cap_then_cells() {
        let names = vec!["a".to_string(), "b".into(), "c".into()];
        for (n, mode) in [(MAX_FOOTPRINTS, "footprints"), (MAX_FOOTPRINTS + 1, "cells")] {
            let (dataset, split_of) = scattered(n);
            let splits = SplitView { names: names.as_slice().into(), split_of: split_of.into() };
            let html = html(&dataset, &overview(n), &measured(&dataset, &splits), Some(&splits), None);
            assert!(html.contains(&format!("data-mode=\"{mode}\"")), "{n} items: {mode}");
            let footprints = html.matches("class=\"footprint\"").count();
            assert_eq!(footprints, if mode == "footprints" { n } else { 0 });
        }
    }

    #[test]
    fn size_is_bounded_whatever_the_item_count() {
        // 300 000 scattered items fill every cell of the grid: the largest map there is.
        let n = 300_000;
        let (dataset, split_of) = scattered(n);
        let names = vec!["Training".to_string(), "Validation".into(), "Test".into()];
        let splits = SplitView { names: names.as_slice().into(), split_of: split_of.into() };
        let metrics = measured(&dataset, &splits);
        let first = html(&dataset, &overview(n), &metrics, Some(&splits), None);
        let cells = first.matches("class=\"cell\"").count();
        assert!(cells > 0 && cells <= GRID_CELLS * GRID_CELLS, "{cells} cells");
        assert!(first.len() < 1_200_000, "{} bytes", first.len());
        assert_eq!(first, html(&dataset, &overview(n), &metrics, Some(&splits), None), "deterministic");
    }
}
