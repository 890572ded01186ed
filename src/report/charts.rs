//! Class balance as bar charts: one chart per label property, one bar per
//! class and series (all label items, then each split).

use std::fmt::{self, Write};

use super::text::{escape, nice_step, num, truncate};
use super::{ALL, Legend, MAX_CLASSES};
use crate::balance::{PropertyBalance, property_balance};
use crate::metrics::{self, ClassesBalance};
use crate::pixel_balance::{PixelBalance, PixelClassShare};

/// Charts drawn (label properties); the rest are only named.
const MAX_PROPERTIES: usize = 20;

/// One series of bars: all label items, or one split.
struct Series<'a> {
    name: &'a str,
    colour: &'static str,
    /// The property balances of this series.
    values: Option<&'a [PropertyBalance]>,
}

/// The class-balance section: a legend of the series, then one chart per
/// label property.
pub(super) fn balance(out: &mut String, entry: &ClassesBalance, legend: &Legend) -> fmt::Result {
    out.push_str("<h2 id=\"balance\">Class balance</h2>\n");
    let properties = entry.values.as_slice();
    let sources: Vec<String> = entry.sources.iter().map(|s| format!("{} {}", s.source.name(), s.items)).collect();
    writeln!(
        out,
        "<p>Label features (or label items) per class, as a share of each split's total. Counted from: {}.</p>",
        escape(&if sources.is_empty() { "no label items".to_string() } else { sources.join(", ") })
    )?;
    if properties.is_empty() {
        out.push_str("<p>No label classes found.</p>\n");
        return Ok(());
    }
    let mut series = vec![Series { name: "all", colour: ALL, values: Some(properties) }];
    let per_split = entry.splits.as_deref().unwrap_or_default();
    for (k, name) in legend.names.iter().enumerate() {
        let values = per_split.iter().find(|s| s.split == *name).map(|s| s.values.as_slice());
        series.push(Series { name, colour: legend.colour(k), values });
    }
    out.push_str("<p class=\"legend\">");
    for s in &series {
        write!(
            out,
            "<span class=\"item\"><span class=\"swatch\" style=\"background:{}\"></span>{}</span>",
            s.colour,
            escape(if s.name == "all" && legend.split { "all label items" } else { s.name })
        )?;
    }
    out.push_str("</p>\n");
    for property in properties.iter().take(MAX_PROPERTIES) {
        chart(out, property, &series)?;
    }
    if properties.len() > MAX_PROPERTIES {
        let rest: Vec<String> = properties[MAX_PROPERTIES..].iter().map(|p| escape(&p.name)).collect();
        writeln!(out, "<p class=\"more\">{} more properties not drawn: {}</p>", rest.len(), rest.join(", "))?;
    }
    Ok(())
}

/// The pixel-balance section (raster labels): one chart of pixel shares per
/// class, all counted masks then each split.
pub(super) fn pixels(out: &mut String, entry: &PixelBalance, legend: &Legend) -> fmt::Result {
    out.push_str("<h2 id=\"pixels\">Pixel balance</h2>\n");
    writeln!(
        out,
        "<p>Pixels per class of the raster label masks, as a share of each split's pixels; nodata ({} pixels) \
         excluded. Masks counted: {}; not counted: {}.</p>",
        entry.nodata, entry.items, entry.uncounted
    )?;
    if entry.values.is_empty() {
        out.push_str("<p>No mask could be counted.</p>\n");
        return Ok(());
    }
    // A name two values share (one mask names it, another does not) is told
    // apart by its value.
    let mut seen = std::collections::BTreeMap::<&str, usize>::new();
    for class in &entry.values {
        *seen.entry(class.name.as_str()).or_default() += 1;
    }
    let label = |c: &PixelClassShare| {
        if seen.get(c.name.as_str()).is_some_and(|&n| n > 1) {
            format!("{} ({})", c.name, c.value)
        } else {
            c.name.clone()
        }
    };
    let as_property = |values: &[PixelClassShare]| {
        property_balance("pixels".into(), values.iter().map(|c| (label(c), c.pixels)).collect())
    };
    let all = [as_property(&entry.values)];
    let per_split: Vec<(String, [PropertyBalance; 1])> =
        entry.splits.iter().flatten().map(|s| (s.split.clone(), [as_property(&s.values)])).collect();
    let mut series = vec![Series { name: "all", colour: ALL, values: Some(all.as_slice()) }];
    for (k, name) in legend.names.iter().enumerate() {
        let values = per_split.iter().find(|(s, _)| s == name).map(|(_, v)| v.as_slice());
        series.push(Series { name, colour: legend.colour(k), values });
    }
    chart(out, &all[0], &series)
}

/// A class total of one series for one property.
fn class_total(values: Option<&[PropertyBalance]>, property: &str, class: &str) -> u64 {
    values
        .into_iter()
        .flatten()
        .find(|p| p.name == property)
        .into_iter()
        .flat_map(|p| &p.values)
        .find(|c| c.class == class)
        .map_or(0, |c| c.total)
}

fn chart(out: &mut String, property: &PropertyBalance, series: &[Series]) -> fmt::Result {
    let name = property.name.as_str();
    let classes: Vec<(&str, u64)> = property.values.iter().map(|c| (c.class.as_str(), c.total)).collect();
    // Rows: the largest classes (in name order), the rest summed as one.
    let (shown, rest): (Vec<&str>, Vec<&str>) = if classes.len() > MAX_CLASSES {
        let mut by_size: Vec<usize> = (0..classes.len()).collect();
        by_size.sort_by_key(|&k| (std::cmp::Reverse(classes[k].1), k));
        let mut keep = vec![false; classes.len()];
        for &k in &by_size[..MAX_CLASSES - 1] {
            keep[k] = true;
        }
        let (kept, other): (Vec<usize>, Vec<usize>) = (0..classes.len()).partition(|&k| keep[k]);
        (kept.into_iter().map(|k| classes[k].0).collect(), other.into_iter().map(|k| classes[k].0).collect())
    } else {
        (classes.iter().map(|c| c.0).collect(), Vec::new())
    };
    // counts[row][series]
    let mut counts: Vec<Vec<u64>> =
        shown.iter().map(|class| series.iter().map(|s| class_total(s.values, name, class)).collect()).collect();
    if !rest.is_empty() {
        counts.push(series.iter().map(|s| rest.iter().map(|class| class_total(s.values, name, class)).sum()).collect());
    }
    let totals: Vec<u64> = (0..series.len()).map(|s| counts.iter().map(|row| row[s]).sum()).collect();
    // Series without a single count (a split with no label items) get no bars.
    let drawn: Vec<usize> = (0..series.len()).filter(|&s| totals[s] > 0).collect();
    let share = |row: usize, s: usize| counts[row][s] as f64 * 100.0 / totals[s].max(1) as f64;
    let max = (0..counts.len())
        .flat_map(|r| drawn.iter().map(move |&s| (r, s)))
        .map(|(r, s)| share(r, s))
        .fold(0.0, f64::max);
    let max = if max > 0.0 { max } else { 100.0 };

    let (label_w, bar_w, value_w, bar_h, top) = (190.0, 560.0, 170.0, 13.0, 22.0);
    let group_h = drawn.len() as f64 * (bar_h + 2.0) + 10.0;
    let width = label_w + bar_w + value_w;
    let height = top + counts.len() as f64 * group_h + 4.0;
    write!(
        out,
        "<h3>{}</h3>\n<p class=\"caption\">{} classes; majority/minority {}, normalised entropy {}</p>\n\
         <svg class=\"chart\" data-property=\"{}\" viewBox=\"0 0 {} {}\">\n<g class=\"axis\">\n",
        escape(name),
        classes.len(),
        metrics::number(property.ratio),
        property.entropy.map_or("undefined (one class)".into(), metrics::number),
        escape(name),
        num(width),
        num(height)
    )?;
    let step = nice_step(max / 5.0);
    let mut tick = 0.0;
    while tick <= max + 1e-9 {
        let x = label_w + tick / max * bar_w;
        writeln!(
            out,
            "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/><text x=\"{x}\" y=\"14\" text-anchor=\"middle\">{}%</text>",
            num(top - 4.0),
            num(height),
            num(tick),
            x = num(x)
        )?;
        tick += step;
    }
    out.push_str("</g>\n");
    for row in 0..counts.len() {
        let label = if row < shown.len() { shown[row].to_string() } else { format!("{} other classes", rest.len()) };
        let y0 = top + row as f64 * group_h;
        writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" dominant-baseline=\"middle\">{}</text>",
            num(label_w - 8.0),
            num(y0 + (group_h - 10.0) / 2.0),
            escape(&truncate(&label, 28))
        )?;
        for (k, &s) in drawn.iter().enumerate() {
            let y = y0 + k as f64 * (bar_h + 2.0);
            let pct = share(row, s);
            let w = (pct / max * bar_w).max(if counts[row][s] > 0 { 1.0 } else { 0.0 });
            writeln!(
                out,
                "<rect class=\"bar\" data-split=\"{name}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{bar_h}\" fill=\"{}\">\
                 <title>{name}, {class}: {count} ({pct:.2}%)</title></rect>\
                 <text x=\"{}\" y=\"{}\" dominant-baseline=\"middle\">{count} ({pct:.1}%)</text>",
                num(label_w),
                num(y),
                num(w),
                series[s].colour,
                num(label_w + w + 4.0),
                num(y + bar_h / 2.0),
                name = escape(series[s].name),
                class = escape(&label),
                count = counts[row][s],
            )?;
        }
    }
    out.push_str("</svg>\n");
    Ok(())
}
