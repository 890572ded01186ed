//! `stac-ml metrics`: quality metrics of a catalog, as a table or as the JSON
//! array `q2` writes to `ml-dataset:quality-metrics`.

use stac_ml::escape::escape;
use std::io::Write;

use anyhow::Result;
use stac_ml::metrics::{self, MetricsOptions, QualityMetrics};
use stac_ml::pipeline::{self, Measured};
use stac_ml::source::JsonTree;

use super::{ExitStatus, Printer, Terminal};
use crate::cli::MetricsArgs;

/// Runs `metrics`.
pub fn run(args: MetricsArgs, printer: Printer) -> Result<ExitStatus> {
    let terminal = Terminal::new(printer);
    let measured = MetricsOptions::new(args.iou)
        .and_then(|options| pipeline::measure(&JsonTree::new(&args.catalog), options, &terminal));
    terminal.finish();
    let Measured { metrics, warnings, .. } = measured?;
    printer.warnings(&warnings);
    let mut stdout = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut stdout, &metrics)?;
        writeln!(stdout)?;
    } else {
        print_table(&mut stdout, &metrics)?;
    }
    Ok(ExitStatus::Success)
}

/// The human view of the metrics.
pub fn print_table(out: &mut impl Write, metrics: &QualityMetrics) -> std::io::Result<()> {
    writeln!(out, "{:<20} {:>10}  meaning", "metric", "total")?;
    let leakage = metrics.split_leakage.as_ref();
    let rows = [
        (
            "spatial-duplicates",
            Some(metrics.spatial_duplicates.total as u64),
            "non-label items whose bbox equals an earlier item's (EOTDL's metric)",
        ),
        (
            "near-duplicates",
            Some(metrics.near_duplicates.total as u64),
            "items in clusters of same-role footprints with IoU >= threshold",
        ),
        (
            "split-leakage",
            leakage.map(|l| l.total as u64),
            "same-role pairs in different splits whose footprints overlap",
        ),
        (
            "missing-values",
            Some(metrics.missing_values.total),
            "missing geometry, bbox, datetime, label asset or classes, dangling sources",
        ),
    ];
    for (name, total, meaning) in rows {
        if let Some(total) = total {
            writeln!(out, "{:<20} {:>10}  {meaning}", name, total.to_string())?;
        }
    }
    let samples = &metrics.samples;
    writeln!(out, "{:<20} {:>10}  items ({} label)", "samples", samples.total.to_string(), samples.roles.label)?;
    for split in samples.splits.iter().flatten() {
        writeln!(out, "  {:<18} {:>10}", escape(&split.name), split.items.to_string())?;
    }
    for v in leakage.iter().flat_map(|l| &l.values) {
        writeln!(
            out,
            "  leakage {} / {}: {} overlapping pairs, {} above IoU",
            escape(&v.splits[0]),
            escape(&v.splits[1]),
            v.intersecting,
            v.above_iou
        )?;
    }
    let balance = &metrics.classes_balance;
    let sources: Vec<String> = balance.sources.iter().map(|s| format!("{} {}", s.source.name(), s.items)).collect();
    writeln!(
        out,
        "\nclass balance (counted from: {})",
        if sources.is_empty() { "no label items".into() } else { sources.join(", ") }
    )?;
    for property in &balance.values {
        writeln!(
            out,
            "  {} (majority/minority {}, normalised entropy {})",
            escape(&property.name),
            metrics::number(property.ratio),
            metrics::number(property.entropy)
        )?;
        for class in &property.values {
            writeln!(
                out,
                "    {:<24} {:>10} {:>8.2}%",
                escape(&class.class),
                class.total.to_string(),
                class.percentage
            )?;
        }
    }
    if let Some(pixels) = &metrics.pixel_balance {
        writeln!(
            out,
            "\npixel balance (pixels, not items; {} masks counted, {} not counted, {} nodata pixels)",
            pixels.items, pixels.uncounted, pixels.nodata
        )?;
        for class in &pixels.values {
            writeln!(
                out,
                "    {:<24} {:>10} {:>8.2}%  value {}, in {} items",
                escape(&class.name),
                class.pixels.to_string(),
                class.percentage,
                class.value,
                class.items
            )?;
        }
    }
    Ok(())
}
