//! The tables: summary and collections, duplicate and leakage findings,
//! missing values, validation findings.

use std::fmt::{self, Write};
use std::path::Path;

use super::text::{escape, list, percent};
use super::{Legend, MAX_ROWS};
use crate::info::{Info, human_bytes};
use crate::metrics::{self, MissingValues, QualityMetrics};
use crate::validate::{Report, Severity};

/// The summary table and the collections table.
pub(super) fn summary(out: &mut String, info: &Info, legend: &Legend, metrics: &QualityMetrics) -> fmt::Result {
    out.push_str("<h2 id=\"summary\">Summary</h2>\n<table class=\"summary\">\n");
    let labels: usize = info.collections.iter().map(|c| c.label_items).sum();
    write!(
        out,
        "<tr><th>id</th><td>{}</td></tr>\n<tr><th>quality level</th><td>{:?}</td></tr>\n\
         <tr><th>items</th><td>{} ({} label items)</td></tr>\n\
         <tr><th>labels</th><td>{}</td></tr>\n<tr><th>source imagery</th><td>{}</td></tr>\n",
        escape(&info.id),
        info.quality,
        info.items,
        labels,
        escape(&list(&info.labels)),
        escape(&list(&info.source_imagery)),
    )?;
    if legend.split {
        let total: usize = legend.counts.iter().sum();
        let sizes: Vec<String> = (0..legend.groups())
            .filter(|&g| g < legend.names.len() || legend.counts[g] > 0)
            .map(|g| {
                format!(
                    "<span class=\"swatch\" style=\"background:{}\"></span>{} {} ({})",
                    legend.colour(g),
                    escape(legend.name(g)),
                    legend.counts[g],
                    percent(legend.counts[g] as f64, total as f64)
                )
            })
            .collect();
        writeln!(out, "<tr><th>splits</th><td>{}</td></tr>", sizes.join(" &nbsp; "))?;
    } else {
        out.push_str("<tr><th>splits</th><td>none</td></tr>\n");
    }
    writeln!(out, "<tr><th>spatial duplicates</th><td>{}</td></tr>", metrics.spatial_duplicates.total)?;
    let near = &metrics.near_duplicates;
    writeln!(
        out,
        "<tr><th>near duplicates</th><td>{} items in {} clusters ({} pairs with IoU &ge; {})</td></tr>",
        near.total,
        near.clusters,
        near.pairs,
        metrics::number(near.iou)
    )?;
    if let Some(leak) = &metrics.split_leakage {
        writeln!(
            out,
            "<tr><th>split leakage</th><td>{} overlapping pairs across splits ({} with IoU &ge; {})</td></tr>",
            leak.total,
            leak.total_above_iou,
            metrics::number(leak.iou)
        )?;
    }
    write!(out, "<tr><th>missing values</th><td>{}</td></tr>\n</table>\n", metrics.missing_values.total)?;

    out.push_str(
        "<h3>Collections</h3>\n<table class=\"collections\">\n<tr><th>collection</th><th>roles</th><th>items</th>\
         <th>label items</th><th>time</th><th>bbox</th><th>assets</th><th>extensions</th></tr>\n",
    );
    for c in info.collections.iter().take(MAX_ROWS) {
        let time = c.temporal.as_ref().map(|[a, b]| format!("{a} .. {b}")).unwrap_or_else(|| "-".into());
        let bbox = c.spatial.map(|b| format!("{}, {}, {}, {}", b[0], b[1], b[2], b[3])).unwrap_or_else(|| "-".into());
        let mut assets = format!("{} files, {}", c.assets.files, human_bytes(c.assets.bytes));
        if c.assets.missing > 0 {
            write!(assets, ", {} missing", c.assets.missing)?;
        }
        if c.assets.remote > 0 {
            write!(assets, ", {} remote", c.assets.remote)?;
        }
        writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&c.id),
            escape(&c.roles.join(", ")),
            c.items,
            c.label_items,
            escape(&time),
            bbox,
            assets,
            c.extensions.len()
        )?;
    }
    more_row(out, info.collections.len(), 8)?;
    out.push_str("</table>\n");
    Ok(())
}

/// The duplicate and leakage findings.
pub(super) fn findings(out: &mut String, metrics: &QualityMetrics) -> fmt::Result {
    out.push_str("<h2 id=\"findings\">Duplicates and leakage</h2>\n");

    out.push_str("<h3>Spatial duplicates</h3>\n");
    let spatial = &metrics.spatial_duplicates;
    writeln!(out, "<p>{} non-label items have the same bbox as an earlier item (EOTDL's metric).</p>", spatial.total)?;
    if !spatial.values.is_empty() {
        out.push_str("<table class=\"spatial-duplicates\">\n<tr><th>item</th><th>duplicate of</th></tr>\n");
        for v in spatial.values.iter().take(MAX_ROWS) {
            writeln!(out, "<tr><td>{}</td><td>{}</td></tr>", escape(&v.item), escape(&v.duplicate))?;
        }
        more_row(out, spatial.values.len(), 2)?;
        out.push_str("</table>\n");
    }

    out.push_str("<h3>Near-duplicate clusters</h3>\n");
    let near = &metrics.near_duplicates;
    writeln!(
        out,
        "<p>{} items in {} clusters of same-role items whose footprints overlap with IoU &ge; {} ({} pairs).</p>",
        near.total,
        near.clusters,
        metrics::number(near.iou),
        near.pairs
    )?;
    if !near.values.is_empty() {
        out.push_str("<table class=\"near-duplicates\">\n<tr><th>#</th><th>items</th><th>ids</th></tr>\n");
        for (k, v) in near.values.iter().take(MAX_ROWS).enumerate() {
            writeln!(
                out,
                "<tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"ids\">{}</td></tr>",
                k + 1,
                v.items.len(),
                id_list(&v.items, 10)
            )?;
        }
        more_row(out, near.values.len(), 3)?;
        out.push_str("</table>\n");
    }

    out.push_str("<h3>Split leakage</h3>\n");
    match &metrics.split_leakage {
        Some(e) => {
            writeln!(
                out,
                "<p>{} pairs of same-role items in different splits have overlapping footprints; {} of them with IoU &ge; {}.</p>",
                e.total,
                e.total_above_iou,
                metrics::number(e.iou)
            )?;
            if !e.values.is_empty() {
                out.push_str("<table class=\"split-leakage\">\n<tr><th>splits</th><th>overlapping pairs</th><th>IoU above threshold</th></tr>\n");
                for v in e.values.iter().take(MAX_ROWS) {
                    writeln!(
                        out,
                        "<tr><td>{} / {}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                        escape(&v.splits[0]),
                        escape(&v.splits[1]),
                        v.intersecting,
                        v.above_iou
                    )?;
                }
                more_row(out, e.values.len(), 3)?;
                out.push_str("</table>\n");
            }
            if !e.examples.is_empty() {
                let shown = e.examples.len().min(MAX_ROWS);
                writeln!(out, "<p>The first {shown} of {} leaking pairs:</p>", e.total.max(shown))?;
                out.push_str(
                    "<table class=\"leakage-examples\">\n<tr><th>item</th><th>overlaps item</th><th>IoU</th></tr>\n",
                );
                for v in e.examples.iter().take(MAX_ROWS) {
                    writeln!(
                        out,
                        "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                        escape(&v.a),
                        escape(&v.b),
                        metrics::number(v.iou)
                    )?;
                }
                out.push_str("</table>\n");
            }
        }
        None => out.push_str("<p>No splits: leakage not measured.</p>\n"),
    }
    Ok(())
}

/// The missing-values table.
pub(super) fn missing(out: &mut String, entry: &MissingValues) -> fmt::Result {
    out.push_str("<h2 id=\"missing\">Missing values</h2>\n");
    out.push_str("<table class=\"missing-values\">\n<tr><th>field</th><th>items</th><th>first ids</th></tr>\n");
    for v in &entry.values {
        let mut list = id_list(&v.items, 5);
        if v.total > v.items.len().min(5) {
            write!(list, " <span class=\"more\">({} in all)</span>", v.total)?;
        }
        writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"ids\">{}</td></tr>",
            escape(v.field),
            v.total,
            if v.total == 0 { String::new() } else { list }
        )?;
    }
    out.push_str("</table>\n");
    Ok(())
}

/// The validation status and its findings.
pub(super) fn validation_section(out: &mut String, report: Option<&Report>) -> fmt::Result {
    out.push_str("<h2 id=\"validation\">Validation</h2>\n");
    let Some(report) = report else {
        out.push_str("<p id=\"validation-status\">Not run.</p>\n");
        return Ok(());
    };
    let (class, status) = if !report.is_valid() {
        ("bad", "invalid")
    } else if report.warnings > 0 {
        ("warn", "valid, with warnings")
    } else {
        ("ok", "valid")
    };
    writeln!(
        out,
        "<p id=\"validation-status\"><span class=\"{class}\">{status}</span>{}: {} errors, {} warnings; {} catalogs and collections, \
         {} items checked offline against the bundled schemas, links and EOTDL's ingest rules{}.</p>",
        report.quality.map(|q| format!(" at level {q:?}")).unwrap_or_default(),
        report.errors,
        report.warnings,
        report.nodes,
        report.items,
        if report.remote_assets > 0 {
            format!("; {} remote asset hrefs not checked", report.remote_assets)
        } else {
            String::new()
        }
    )?;
    if report.findings.is_empty() {
        return Ok(());
    }
    let base = report.root.parent().unwrap_or(Path::new("/"));
    out.push_str("<table class=\"validation\">\n<tr><th>severity</th><th>kind</th><th>file</th><th>where</th><th>message</th></tr>\n");
    for f in report.findings.iter().take(MAX_ROWS) {
        let file = f.path.strip_prefix(base).unwrap_or(&f.path);
        writeln!(
            out,
            "<tr><td class=\"{}\">{}</td><td>{}</td><td class=\"ids\">{}</td><td class=\"ids\">{}</td><td>{}</td></tr>",
            if f.severity == Severity::Error { "bad" } else { "warn" },
            if f.severity == Severity::Error { "error" } else { "warning" },
            format!("{:?}", f.kind).to_lowercase(),
            escape(&file.display().to_string()),
            escape(f.pointer.as_deref().unwrap_or("")),
            escape(&f.message)
        )?;
    }
    more_row(out, report.errors + report.warnings, 5)?;
    out.push_str("</table>\n");
    Ok(())
}

// --- Small helpers ---------------------------------------------------------------

/// A "N more" row when a table of `total` rows was cut at [`MAX_ROWS`].
fn more_row(out: &mut String, total: usize, columns: usize) -> fmt::Result {
    if total > MAX_ROWS {
        writeln!(out, "<tr><td class=\"more\" colspan=\"{columns}\">{} more</td></tr>", total - MAX_ROWS)?;
    }
    Ok(())
}

/// The first `max` ids, escaped and comma-separated, then "+N".
fn id_list(ids: &[String], max: usize) -> String {
    let mut list: Vec<String> = ids.iter().map(|id| escape(id)).take(max).collect();
    if ids.len() > max {
        list.push(format!("<span class=\"more\">+{}</span>", ids.len() - max));
    }
    list.join(", ")
}
