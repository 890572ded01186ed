//! `stac-ml metrics`: quality metrics of a catalog, as a table or as the JSON
//! array `q2` writes to `ml-dataset:quality-metrics`.

use std::io::Write;

use anyhow::Result;
use serde_json::Value;
use std::path::Path;

use stac_ml::catalog::{self, Dataset, Warnings};
use stac_ml::metrics::{self, MetricsOptions, Splits};

use super::{ExitStatus, Printer};
use crate::cli::MetricsArgs;

/// Runs `metrics`.
pub fn run(args: MetricsArgs, printer: Printer) -> Result<ExitStatus> {
    let spinner = printer.spinner("loading");
    let Measured { entries, warnings, .. } = measure(&args.catalog, MetricsOptions::new(args.iou)?, &spinner, printer)?;
    spinner.finish_and_clear();
    printer.warnings(&warnings);
    let mut stdout = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut stdout, &entries)?;
        writeln!(stdout)?;
    } else {
        print_table(&mut stdout, &entries)?;
    }
    Ok(ExitStatus::Success)
}

/// A loaded catalog with its metrics, measured against the splits its items
/// already carry.
pub struct Measured {
    /// The catalog.
    pub dataset: Dataset,
    /// Split names and the split index of each item, when items carry splits.
    pub splits: Option<(Vec<String>, Vec<Option<u16>>)>,
    /// The `ml-dataset:quality-metrics` entries.
    pub entries: Vec<Value>,
    /// The loader's and the metrics' warnings.
    pub warnings: Warnings,
}

impl Measured {
    /// The splits as the metrics and the report take them.
    pub fn splits(&self) -> Option<Splits<'_>> {
        self.splits.as_ref().map(|(names, split_of)| Splits { names, split_of })
    }
}

/// Loads a catalog and computes every metric (`metrics` and `report`).
pub fn measure(
    catalog: &Path,
    options: MetricsOptions,
    spinner: &indicatif::ProgressBar,
    printer: Printer,
) -> Result<Measured> {
    let started = std::time::Instant::now();
    let mut dataset = catalog::load(catalog)?;
    printer.stage(&format!("loaded {} items", dataset.items.len()), started);
    spinner.set_message("measuring");
    let started = std::time::Instant::now();
    let splits = metrics::existing_splits(&dataset);
    let mut warnings = std::mem::take(&mut dataset.warnings);
    let split_view = splits.as_ref().map(|(names, split_of)| Splits { names, split_of });
    let entries = metrics::compute(&dataset, split_view, options, &mut warnings);
    printer.stage("measured", started);
    Ok(Measured { dataset, splits, entries, warnings })
}

/// The human view of the metric entries.
pub fn print_table(out: &mut impl Write, entries: &[Value]) -> std::io::Result<()> {
    let get = |name: &str| entries.iter().find(|e| e["name"] == name);
    writeln!(out, "{:<20} {:>10}  meaning", "metric", "total")?;
    let rows = [
        ("spatial-duplicates", "non-label items whose bbox equals an earlier item's (EOTDL's metric)"),
        ("near-duplicates", "items in clusters of same-role footprints with IoU >= threshold"),
        ("split-leakage", "same-role pairs in different splits whose footprints overlap"),
        ("missing-values", "missing geometry, bbox, datetime, label asset or classes, dangling sources"),
    ];
    for (name, meaning) in rows {
        if let Some(entry) = get(name) {
            writeln!(out, "{:<20} {:>10}  {meaning}", name, entry["total"].to_string())?;
        }
    }
    if let Some(samples) = get("samples") {
        writeln!(
            out,
            "{:<20} {:>10}  items ({} label)",
            "samples",
            samples["total"].to_string(),
            samples["roles"]["label"]
        )?;
        if let Some(Value::Array(splits)) = samples.get("splits") {
            for split in splits {
                writeln!(out, "  {:<18} {:>10}", split["name"].as_str().unwrap_or(""), split["items"].to_string())?;
            }
        }
    }
    if let Some(Value::Array(values)) = get("split-leakage").map(|e| &e["values"]) {
        for v in values {
            writeln!(
                out,
                "  leakage {} / {}: {} overlapping pairs, {} above IoU",
                v["splits"][0].as_str().unwrap_or(""),
                v["splits"][1].as_str().unwrap_or(""),
                v["intersecting"],
                v["above-iou"]
            )?;
        }
    }
    if let Some(balance) = get("classes-balance") {
        let sources: Vec<String> = balance["sources"]
            .as_array()
            .map(|list| list.iter().map(|s| format!("{} {}", s["source"].as_str().unwrap_or(""), s["items"])).collect())
            .unwrap_or_default();
        writeln!(
            out,
            "\nclass balance (counted from: {})",
            if sources.is_empty() { "no label items".into() } else { sources.join(", ") }
        )?;
        for property in balance["values"].as_array().into_iter().flatten() {
            writeln!(
                out,
                "  {} (majority/minority {}, normalised entropy {})",
                property["name"].as_str().unwrap_or(""),
                property["majority-minority-ratio"],
                property["normalized-entropy"]
            )?;
            for class in property["values"].as_array().into_iter().flatten() {
                writeln!(
                    out,
                    "    {:<24} {:>10} {:>8.2}%",
                    class["class"].as_str().unwrap_or(""),
                    class["total"].to_string(),
                    class["percentage"].as_f64().unwrap_or(0.0)
                )?;
            }
        }
    }
    Ok(())
}
