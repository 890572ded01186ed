//! The label sections beyond class balance: regression targets as
//! histograms, objects per label item, and label/source consistency
//! findings. Each section appears only when its metric exists.
//!
//! Elements to look for: `<svg class="chart histogram" data-property="...">`
//! with one `<rect class="bar">` per bin; tables `class="objects"` and
//! `class="consistency"`.

use std::fmt::{self, Write};

use super::text::{escape, list, num};
use super::{ALL, MAX_ROWS};
use crate::detection::ObjectsPerItem;
use crate::metrics::{self, Consistency, QualityMetrics, TargetDistribution};
use crate::regression::TargetStats;

/// Writes every label section the metrics call for.
pub(super) fn sections(out: &mut String, metrics: &QualityMetrics) -> fmt::Result {
    if let Some(targets) = &metrics.target_distribution {
        targets_section(out, targets)?;
    }
    if let Some(objects) = &metrics.objects_per_item {
        objects_section(out, objects)?;
    }
    if let Some(consistency) = &metrics.label_source_consistency {
        consistency_section(out, consistency)?;
    }
    Ok(())
}

fn targets_section(out: &mut String, entry: &TargetDistribution) -> fmt::Result {
    writeln!(
        out,
        "<h2 id=\"targets\">Regression targets</h2>\n<p>{} label items carry numeric targets. Percentiles by linear \
         interpolation; standard deviation of the population; {} equal bins from the minimum to the maximum.</p>",
        entry.items,
        crate::regression::BINS
    )?;
    out.push_str(
        "<table class=\"targets\">\n<tr><th>property</th><th>split</th><th>n</th><th>min</th><th>p5</th>\
         <th>median</th><th>mean</th><th>p95</th><th>max</th><th>std</th></tr>\n",
    );
    let rows = entry.values.iter().map(|s| ("all", s)).chain(
        entry.splits.iter().flatten().flat_map(|split| split.values.iter().map(move |s| (split.split.as_str(), s))),
    );
    for (split, s) in rows.take(MAX_ROWS) {
        writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&s.name),
            escape(split),
            s.count,
            metrics::number(s.min),
            metrics::number(s.p5),
            metrics::number(s.p50),
            metrics::number(s.mean),
            metrics::number(s.p95),
            metrics::number(s.max),
            metrics::number(s.std)
        )?;
    }
    out.push_str("</table>\n");
    for s in entry.values.iter().take(MAX_ROWS) {
        histogram(out, s)?;
    }
    Ok(())
}

/// One histogram: a bar per bin, the bin's count above it, the edges below.
fn histogram(out: &mut String, s: &TargetStats) -> fmt::Result {
    let (width, height, left, top, bottom) = (920.0, 220.0, 40.0, 20.0, 40.0);
    let bins = s.histogram.counts.len().max(1);
    let max = s.histogram.counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let slot = (width - left - 10.0) / bins as f64;
    let plot = height - top - bottom;
    writeln!(
        out,
        "<h3>{name}</h3>\n<svg class=\"chart histogram\" data-property=\"{name}\" viewBox=\"0 0 {width} {height}\" \
         role=\"img\" aria-label=\"histogram of {name}\">",
        name = escape(&s.name)
    )?;
    for (b, &count) in s.histogram.counts.iter().enumerate() {
        let h = plot * count as f64 / max;
        let x = left + b as f64 * slot;
        let y = top + plot - h;
        writeln!(
            out,
            "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{ALL}\" data-count=\"{count}\"/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{count}</text>",
            num(x + 1.0),
            num(y),
            num((slot - 2.0).max(1.0)),
            num(h),
            num(x + slot / 2.0),
            num(y - 4.0)
        )?;
    }
    for (e, edge) in s.histogram.edges.iter().enumerate() {
        writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            num(left + e as f64 * slot),
            num(height - bottom + 16.0 + if e % 2 == 1 { 14.0 } else { 0.0 }),
            escape(&metrics::number(*edge))
        )?;
    }
    out.push_str("</svg>\n");
    Ok(())
}

fn objects_section(out: &mut String, entry: &ObjectsPerItem) -> fmt::Result {
    let s = &entry.stats;
    writeln!(
        out,
        "<h2 id=\"objects\">Objects per label item</h2>\n<p>Features of each label GeoJSON: {} label items, \
         min {}, median {}, max {}; <span class=\"{}\">{} without any object</span>.</p>",
        s.items,
        s.min,
        metrics::number(s.median),
        s.max,
        if s.empty > 0 { "warn" } else { "ok" },
        s.empty
    )?;
    if !entry.empty_items.is_empty() {
        writeln!(out, "<p>Empty label items: <span class=\"ids\">{}</span></p>", escape(&list(&entry.empty_items)))?;
    }
    out.push_str(
        "<table class=\"objects\">\n<tr><th>split</th><th>property</th><th>class</th><th>min</th><th>median</th>\
         <th>max</th><th>items without</th></tr>\n",
    );
    let rows = s.classes.iter().map(|c| ("all", c)).chain(
        entry
            .splits
            .iter()
            .flatten()
            .flat_map(|split| split.stats.classes.iter().map(move |c| (split.split.as_str(), c))),
    );
    for (split, c) in rows.take(MAX_ROWS) {
        writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td></tr>",
            escape(split),
            escape(&c.property),
            escape(&c.class),
            c.min,
            metrics::number(c.median),
            c.max,
            c.without
        )?;
    }
    out.push_str("</table>\n");
    Ok(())
}

fn consistency_section(out: &mut String, c: &Consistency) -> fmt::Result {
    writeln!(
        out,
        "<h2 id=\"consistency\">Label/source consistency</h2>\n<p>Labels compared with the items their \
         <code>source</code> links reach: more than {} of the label's area outside every source footprint, more \
         than {} days from the nearest source time.</p>",
        metrics::number(c.max_outside_share),
        metrics::number(c.max_days)
    )?;
    out.push_str("<table class=\"consistency\">\n<tr><th>finding</th><th>items</th><th>first</th></tr>\n");
    let outside: Vec<String> =
        c.outside_sources.items.iter().map(|o| format!("{} ({})", o.item, metrics::number(o.share))).collect();
    let far: Vec<String> =
        c.far_in_time.items.iter().map(|f| format!("{} ({} days)", f.item, metrics::number(f.days))).collect();
    for (name, total, ids) in [
        ("outside their sources", c.outside_sources.total, outside),
        ("far in time from their sources", c.far_in_time.total, far),
        ("label items without source link", c.without_source.total, c.without_source.items.clone()),
        ("source items no label uses", c.unused_sources.total, c.unused_sources.items.clone()),
    ] {
        writeln!(
            out,
            "<tr><td>{name}</td><td class=\"n\">{total}</td><td class=\"ids\">{}</td></tr>",
            escape(&list(&ids))
        )?;
    }
    out.push_str("</table>\n");
    Ok(())
}
