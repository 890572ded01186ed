//! `stac-ml metrics`: quality metrics of a catalog, as a table or as the JSON
//! array `q2` writes to `ml-dataset:quality-metrics`.

use stac_ml::escape::escape;
use std::io::Write;

use anyhow::Result;
use stac_ml::class_counts::ClassSource;
use stac_ml::input;
use stac_ml::metrics::{self, MetricsOptions, QualityMetrics, TargetDistribution};
use stac_ml::pipeline::{self, Measured};

use super::{ExitStatus, Printer, Terminal};
use crate::cli::MetricsArgs;

/// Runs `metrics`.
pub fn run(args: MetricsArgs, printer: Printer) -> Result<ExitStatus> {
    let terminal = Terminal::new(printer);
    let measured = MetricsOptions::new(args.iou)
        .and_then(|options| pipeline::measure(input::open(&args.catalog).as_ref(), options, &terminal));
    terminal.finish();
    let Measured { metrics, warnings, hints, .. } = measured?;
    printer.warnings(&warnings);
    printer.hints(&hints);
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
        (
            "consistency",
            metrics.label_source_consistency.as_ref().map(|c| c.total as u64),
            "labels off their sources in space or time, labels without source, unused sources",
        ),
        (
            "empty labels",
            metrics.objects_per_item.as_ref().map(|o| o.stats.empty),
            "label items whose label GeoJSON has no feature",
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
        "\nclass balance (counted from: {}){}",
        if sources.is_empty() { "no label items".into() } else { sources.join(", ") },
        counted_as(balance.sources.iter().map(|s| s.source))
    )?;
    for property in &balance.values {
        writeln!(
            out,
            "  {} (majority/minority {}, normalised entropy {})",
            escape(&property.name),
            metrics::number(property.ratio),
            property.entropy.map_or("undefined (one class)".into(), metrics::number)
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
    if let Some(targets) = &metrics.target_distribution {
        print_targets(out, targets)?;
    }
    if let Some(objects) = &metrics.objects_per_item {
        let s = &objects.stats;
        writeln!(
            out,
            "\nobjects per label item ({} items): min {}, median {}, max {}; {} without any object",
            s.items,
            s.min,
            metrics::number(s.median),
            s.max,
            s.empty
        )?;
        for id in &objects.empty_items {
            writeln!(out, "  empty: {}", escape(id))?;
        }
    }
    if let Some(c) = &metrics.label_source_consistency {
        writeln!(
            out,
            "\nlabel/source consistency: {} outside their sources (> {} of area), {} far in time (> {} days), {} without source link, {} unused source items",
            c.outside_sources.total,
            metrics::number(c.max_outside_share),
            c.far_in_time.total,
            metrics::number(c.max_days),
            c.without_source.total,
            c.unused_sources.total
        )?;
    }
    Ok(())
}

/// What the class counts count, from the sources that served them: features
/// of label GeoJSONs (and overviews) are not items.
fn counted_as(sources: impl Iterator<Item = ClassSource>) -> &'static str {
    let (mut features, mut items) = (false, false);
    for source in sources {
        match source {
            ClassSource::LabelAssets | ClassSource::LabelOverviews => features = true,
            ClassSource::ItemProperties => items = true,
            _ => {}
        }
    }
    match (features, items) {
        (true, true) => "; counts are features, or items for item-properties",
        (true, false) => "; counts are features, not items",
        (false, true) => "; counts are items",
        (false, false) => "",
    }
}

fn print_targets(out: &mut impl Write, targets: &TargetDistribution) -> std::io::Result<()> {
    writeln!(
        out,
        "\nregression targets ({} label items; percentiles by {} interpolation)",
        targets.items, targets.percentile_method
    )?;
    let line = |out: &mut dyn Write, indent: &str, s: &stac_ml::regression::TargetStats| {
        writeln!(
            out,
            "{indent}{} n={} min {} max {} mean {} std {} p5 {} p50 {} p95 {}",
            escape(&s.name),
            s.count,
            metrics::number(s.min),
            metrics::number(s.max),
            metrics::number(s.mean),
            metrics::number(s.std),
            metrics::number(s.p5),
            metrics::number(s.p50),
            metrics::number(s.p95)
        )
    };
    for s in &targets.values {
        line(out, "  ", s)?;
        let counts: Vec<String> = s.histogram.counts.iter().map(u64::to_string).collect();
        writeln!(
            out,
            "    histogram {}..{}: {}",
            metrics::number(s.histogram.edges[0]),
            metrics::number(*s.histogram.edges.last().unwrap_or(&s.max)),
            counts.join(" ")
        )?;
    }
    for split in targets.splits.iter().flatten() {
        for s in &split.values {
            line(out, &format!("  [{}] ", escape(&split.split)), s)?;
        }
    }
    Ok(())
}
