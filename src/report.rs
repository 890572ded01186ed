//! The HTML report behind `stac-ml report` and `q2 --report`: one
//! self-contained file (inline CSS and SVG, no scripts, nothing fetched) with
//! the summary, a map of item footprints coloured by split, class balance per
//! split as bar charts, the duplicate and leakage findings and the validation
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

use std::collections::HashMap;
use std::fmt::{self, Write};
use std::path::Path;

use serde_json::Value;

use crate::catalog::{Bbox, Dataset};
use crate::index::parts;
use crate::info::Info;
use crate::metrics::Splits;
use crate::validate::{Report, Severity};

/// Distinct footprints drawn one by one at most; beyond, items are
/// aggregated into grid cells.
pub const MAX_FOOTPRINTS: usize = 5000;
/// Grid cells along the longer side of the map when items are aggregated.
pub const GRID_CELLS: usize = 100;
/// Rows of a findings table before the rest is only counted.
pub const MAX_ROWS: usize = 25;
/// Classes drawn per chart; the smallest of the rest are summed into one bar.
pub const MAX_CLASSES: usize = 25;
/// Charts drawn (label properties); the rest are only named.
const MAX_PROPERTIES: usize = 20;
/// Vertices drawn per polygon ring (longer rings are thinned evenly).
const MAX_RING: usize = 200;
/// Length in SVG units of the map's longer side.
const MAP_SIZE: f64 = 1000.0;
/// Smallest side of a drawn footprint rectangle, in SVG units.
const MIN_SHAPE: f64 = 3.0;

/// Split colours, by split index (cycled beyond ten splits).
const PALETTE: [&str; 10] =
    ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf", "#393b79"];
/// The colour of items outside every split.
const UNASSIGNED: &str = "#a0a0a0";
/// The colour of the "all items" bars.
const ALL: &str = "#555555";

const STYLE: &str = "\
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#222;margin:0;background:#fafafa}
main{max-width:1180px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:24px;margin:8px 0 2px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
.sub{color:#666;margin:0 0 8px;word-break:break-all}.caption{color:#666;margin:4px 0 8px}
nav a{margin-right:14px;color:#1f5fa8;text-decoration:none}
table{border-collapse:collapse;margin:6px 0 10px;background:#fff}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
td.ids{max-width:720px;word-break:break-all;font-family:ui-monospace,monospace;font-size:12px}
.more{color:#666;font-style:italic}
.swatch{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.legend span.item{margin-right:16px;white-space:nowrap}
svg.map{display:block;width:100%;height:auto;background:#fff;border:1px solid #ccc}
svg.map .footprint{fill-opacity:.45;stroke-width:1;vector-effect:non-scaling-stroke}
svg.map .graticule line{stroke:#e4e4e4;stroke-width:1;vector-effect:non-scaling-stroke}
svg.map .graticule text{fill:#777;font-size:12px;paint-order:stroke;stroke:#fff;stroke-width:3px}
svg.chart{display:block;width:100%;max-width:920px;height:auto;background:#fff;border:1px solid #e0e0e0}
svg.chart text{font-size:12px;fill:#333}svg.chart .axis line{stroke:#e8e8e8}svg.chart .axis text{fill:#888}
.ok{color:#1a7f37;font-weight:600}.bad{color:#c62828;font-weight:600}.warn{color:#b26a00;font-weight:600}
footer{margin-top:36px;color:#888;font-size:12px}
";

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The report as one HTML document.
///
/// `metrics` are the entries [`crate::metrics::compute`] made (the same
/// `splits` should have been given to it), `info` the overview of
/// [`crate::info::info`], `validation` the report of validating the catalog,
/// when it was validated.
pub fn html(
    dataset: &Dataset,
    info: &Info,
    metrics: &[Value],
    splits: Option<Splits>,
    validation: Option<&Report>,
) -> String {
    let mut out = String::with_capacity(64 * 1024);
    write_document(&mut out, dataset, info, metrics, splits, validation).expect("writing to a String cannot fail");
    out
}

fn write_document(
    out: &mut String,
    dataset: &Dataset,
    info: &Info,
    metrics: &[Value],
    splits: Option<Splits>,
    validation: Option<&Report>,
) -> fmt::Result {
    let entry = |name: &str| entry(metrics, name);
    let legend = Legend::new(dataset, splits);
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{id}: stac-ml report</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n\
         <h1>{id}</h1>\n<p class=\"sub\">{catalog}</p>\n\
         <nav><a href=\"#summary\">Summary</a><a href=\"#map-section\">Map</a><a href=\"#balance\">Class balance</a>\
         <a href=\"#findings\">Duplicates and leakage</a><a href=\"#missing\">Missing values</a>\
         <a href=\"#validation\">Validation</a></nav>\n",
        id = escape(&info.id),
        catalog = escape(&info.catalog),
    )?;
    summary(out, info, &legend, metrics)?;
    map(out, dataset, splits, &legend)?;
    balance(out, entry("classes-balance"), &legend)?;
    findings(out, metrics)?;
    missing(out, entry("missing-values"))?;
    validation_section(out, validation)?;
    writeln!(
        out,
        "<footer>Made by stac-ml {} from the local files only; nothing in this page is fetched.</footer>\n</main>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION")
    )
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
    fn new(dataset: &Dataset, splits: Option<Splits>) -> Self {
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
fn group_of(splits: Option<Splits>, item: usize, unassigned: usize) -> usize {
    splits.and_then(|s| s.split_of[item]).map_or(unassigned, |k| k as usize)
}

fn summary(out: &mut String, info: &Info, legend: &Legend, metrics: &[Value]) -> fmt::Result {
    let entry = |name: &str| entry(metrics, name);
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
    let total = |name: &str| entry(name).map(|e| e["total"].to_string()).unwrap_or_else(|| "-".into());
    writeln!(out, "<tr><th>spatial duplicates</th><td>{}</td></tr>", total("spatial-duplicates"))?;
    if let Some(near) = entry("near-duplicates") {
        writeln!(
            out,
            "<tr><th>near duplicates</th><td>{} items in {} clusters ({} pairs with IoU &ge; {})</td></tr>",
            near["total"], near["clusters"], near["pairs"], near["iou"]
        )?;
    }
    if let Some(leak) = entry("split-leakage") {
        writeln!(
            out,
            "<tr><th>split leakage</th><td>{} overlapping pairs across splits ({} with IoU &ge; {})</td></tr>",
            leak["total"], leak["total-above-iou"], leak["iou"]
        )?;
    }
    write!(out, "<tr><th>missing values</th><td>{}</td></tr>\n</table>\n", total("missing-values"))?;

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

// --- Map ---------------------------------------------------------------------

/// Plain lon/lat projection of the extent onto the SVG viewBox.
struct Projection {
    west: f64,
    north: f64,
    scale: f64,
    width: f64,
    height: f64,
}

impl Projection {
    /// Fits `extent` (with a margin) into a box whose longer side is [`MAP_SIZE`].
    fn new(extent: Bbox) -> Self {
        let (mut w, mut h) = (extent[2] - extent[0], extent[3] - extent[1]);
        let span = w.max(h).max(1e-4);
        // A line or a point of data still gets an area.
        let (min_w, min_h) = (span * 0.2, span * 0.2);
        let (cx, cy) = ((extent[0] + extent[2]) / 2.0, (extent[1] + extent[3]) / 2.0);
        w = w.max(min_w);
        h = h.max(min_h);
        let margin = 0.03 * w.max(h);
        w += 2.0 * margin;
        h += 2.0 * margin;
        let scale = MAP_SIZE / w.max(h);
        Projection { west: cx - w / 2.0, north: cy + h / 2.0, scale, width: w * scale, height: h * scale }
    }

    fn x(&self, lon: f64) -> f64 {
        (lon - self.west) * self.scale
    }

    fn y(&self, lat: f64) -> f64 {
        (self.north - lat) * self.scale
    }

    /// The extent shown, in degrees: west, south, east, north.
    fn shown(&self) -> Bbox {
        let (w, h) = (self.width / self.scale, self.height / self.scale);
        [self.west, self.north - h, self.west + w, self.north]
    }
}

/// A number with at most one decimal, without a trailing `.0`.
fn num(value: f64) -> String {
    let s = format!("{value:.1}");
    let s = s.strip_suffix(".0").unwrap_or(&s);
    if s == "-0" { "0".into() } else { s.to_string() }
}

fn finite(b: &Bbox) -> bool {
    b.iter().all(|v| v.is_finite())
}

/// One distinct shape drawn on the map.
struct Shape {
    group: usize,
    /// A rectangle `[x, y, w, h]` or an SVG path.
    geometry: Geometry,
    /// Up to three ids of the items drawn by it.
    ids: Vec<usize>,
    items: usize,
}

enum Geometry {
    Rect([f64; 4]),
    Path(String),
}

fn map(out: &mut String, dataset: &Dataset, splits: Option<Splits>, legend: &Legend) -> fmt::Result {
    out.push_str("<h2 id=\"map-section\">Map</h2>\n");
    let extent = dataset
        .items
        .iter()
        .filter_map(|i| i.bbox.filter(finite))
        .flat_map(|b| parts(&b))
        .reduce(|a, b| [a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])]);
    let Some(extent) = extent else {
        out.push_str("<p>No item has a bbox: nothing to draw.</p>\n<svg id=\"map\" class=\"map\" data-mode=\"empty\" viewBox=\"0 0 10 1\"></svg>\n");
        return Ok(());
    };
    let projection = Projection::new(extent);
    let unassigned = legend.names.len();
    let shapes = distinct_shapes(dataset, splits, unassigned, &projection);
    let mode = if shapes.is_some() { "footprints" } else { "cells" };
    writeln!(
        out,
        "<svg id=\"map\" class=\"map\" data-mode=\"{mode}\" viewBox=\"0 0 {} {}\" style=\"max-width:{}px\">",
        num(projection.width),
        num(projection.height),
        // At most 820 px tall on screen, and never wider than the page.
        num((820.0 * projection.width / projection.height).min(1132.0))
    )?;
    graticule(out, &projection, false)?;
    let caption = match shapes {
        Some(shapes) => {
            let drawn = shapes.len();
            // Unassigned items first, under the split ones.
            for group in std::iter::once(unassigned).chain(0..unassigned) {
                let colour = legend.colour(group);
                writeln!(
                    out,
                    "<g class=\"split\" data-split=\"{}\" fill=\"{colour}\" stroke=\"{colour}\">",
                    escape(legend.name(group))
                )?;
                for shape in shapes.iter().filter(|s| s.group == group) {
                    let mut title: Vec<&str> = shape.ids.iter().map(|&i| dataset.items[i].id.as_str()).collect();
                    title.dedup();
                    let mut title = title.join(", ");
                    if shape.items > shape.ids.len() {
                        write!(title, " and {} more", shape.items - shape.ids.len())?;
                    }
                    match &shape.geometry {
                        Geometry::Rect([x, y, w, h]) => writeln!(
                            out,
                            "<rect class=\"footprint\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}</title></rect>",
                            num(*x),
                            num(*y),
                            num(*w),
                            num(*h),
                            escape(&title)
                        )?,
                        Geometry::Path(d) => writeln!(
                            out,
                            "<path class=\"footprint\" fill-rule=\"evenodd\" d=\"{d}\"><title>{}</title></path>",
                            escape(&title)
                        )?,
                    }
                }
                out.push_str("</g>\n");
            }
            format!(
                "{} items with a bbox, drawn as {drawn} distinct footprints (items with the same footprint and split are drawn once; \
                 tiny ones are enlarged to stay visible); overlapping footprints of different splits blend \
                 (split leakage). \
                 Plain longitude/latitude projection.",
                dataset.items.iter().filter(|i| i.bbox.is_some_and(|b| finite(&b))).count()
            )
        }
        None => cells(out, dataset, splits, legend, &projection)?,
    };
    graticule(out, &projection, true)?;
    out.push_str("</svg>\n");
    legend.write(out)?;
    writeln!(out, "<p class=\"caption\">{caption}</p>")
}

/// The distinct footprints, or `None` when there are more than [`MAX_FOOTPRINTS`].
fn distinct_shapes(
    dataset: &Dataset,
    splits: Option<Splits>,
    unassigned: usize,
    projection: &Projection,
) -> Option<Vec<Shape>> {
    // Items are deduplicated by (group, bbox) when their footprint is their
    // bbox; items with their own polygon are each drawn.
    let mut seen: HashMap<(usize, [u64; 4]), usize> = HashMap::new();
    let mut shapes: Vec<Shape> = Vec::new();
    for (i, item) in dataset.items.iter().enumerate() {
        let Some(b) = item.bbox.filter(finite) else { continue };
        let group = group_of(splits, i, unassigned);
        let polygon = item.footprint.as_deref().filter(|_| b[0] <= b[2]);
        if polygon.is_none() {
            let key = (group, b.map(|v| (v + 0.0).to_bits()));
            if let Some(&s) = seen.get(&key) {
                let shape = &mut shapes[s];
                shape.items += 1;
                if shape.ids.len() < 3 {
                    shape.ids.push(i);
                }
                continue;
            }
            seen.insert(key, shapes.len());
        }
        if shapes.len() >= MAX_FOOTPRINTS {
            return None;
        }
        let geometry = match polygon {
            Some(polygon) => Geometry::Path(path(polygon, projection)),
            None => {
                let mut d = String::new();
                let pieces: Vec<[f64; 4]> = parts(&b).collect();
                if pieces.len() == 1 {
                    Geometry::Rect(rect(&pieces[0], projection))
                } else {
                    for p in &pieces {
                        let [x, y, w, h] = rect(p, projection);
                        let _ = write!(d, "M{},{}h{}v{}h{}z", num(x), num(y), num(w), num(h), num(-w));
                    }
                    Geometry::Path(d)
                }
            }
        };
        shapes.push(Shape { group, geometry, ids: vec![i], items: 1 });
    }
    Some(shapes)
}

/// A bbox as an SVG rectangle `[x, y, w, h]`, at least [`MIN_SHAPE`] units
/// on a side so tiny footprints stay visible.
fn rect(b: &Bbox, projection: &Projection) -> [f64; 4] {
    let (mut x, mut y) = (projection.x(b[0]), projection.y(b[3]));
    let (mut w, mut h) = (projection.x(b[2]) - x, projection.y(b[1]) - y);
    if w < MIN_SHAPE {
        x -= (MIN_SHAPE - w) / 2.0;
        w = MIN_SHAPE;
    }
    if h < MIN_SHAPE {
        y -= (MIN_SHAPE - h) / 2.0;
        h = MIN_SHAPE;
    }
    [x, y, w, h]
}

/// A polygon footprint as SVG path data; long rings are thinned.
fn path(polygons: &geo::MultiPolygon<f64>, projection: &Projection) -> String {
    let mut d = String::new();
    for polygon in polygons {
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            let points = &ring.0;
            if points.len() < 3 {
                continue;
            }
            let step = points.len().div_ceil(MAX_RING);
            for (k, p) in points.iter().step_by(step).enumerate() {
                let _ = write!(
                    d,
                    "{}{},{}",
                    if k == 0 { "M" } else { "L" },
                    num(projection.x(p.x)),
                    num(projection.y(p.y))
                );
            }
            d.push('z');
        }
    }
    d
}

/// Items aggregated into grid cells by their bbox centre: each cell coloured
/// by its majority split, opacity by item count. Returns the caption.
fn cells(
    out: &mut String,
    dataset: &Dataset,
    splits: Option<Splits>,
    legend: &Legend,
    projection: &Projection,
) -> Result<String, fmt::Error> {
    let (width, height) = (projection.width, projection.height);
    let cell = width.max(height) / GRID_CELLS as f64;
    let nx = ((width / cell).round() as usize).max(1);
    let ny = ((height / cell).round() as usize).max(1);
    let (cw, ch) = (width / nx as f64, height / ny as f64);
    let groups = legend.groups();
    let mut counts = vec![0u32; nx * ny * groups];
    let mut items = 0usize;
    for (i, item) in dataset.items.iter().enumerate() {
        let Some(b) = item.bbox.filter(finite) else { continue };
        let p = parts(&b).next().expect("a bbox has a part");
        let (x, y) = (projection.x((p[0] + p[2]) / 2.0), projection.y((p[1] + p[3]) / 2.0));
        let cx = ((x / cw) as usize).min(nx - 1);
        let cy = ((y / ch) as usize).min(ny - 1);
        counts[(cy * nx + cx) * groups + group_of(splits, i, legend.names.len())] += 1;
        items += 1;
    }
    let totals: Vec<u32> = counts.chunks(groups).map(|c| c.iter().sum()).collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1);
    // (group, opacity level 1..=5) of each cell; runs of equal neighbours in
    // a row become one rectangle.
    let level = |total: u32| -> u8 {
        if total == 0 {
            0
        } else {
            let share = (1.0 + total as f64).ln() / (1.0 + max as f64).ln();
            1 + ((share * 4.0).round() as u8).min(4)
        }
    };
    let mut runs: Vec<Vec<(usize, usize, usize, u8)>> = vec![Vec::new(); groups]; // (row, start, len, level)
    let mut used = 0usize;
    for row in 0..ny {
        let mut col = 0;
        while col < nx {
            let c = row * nx + col;
            let lvl = level(totals[c]);
            if lvl == 0 {
                col += 1;
                continue;
            }
            used += 1;
            let slice = &counts[c * groups..(c + 1) * groups];
            // Majority group; ties go to the lower index (splits before unassigned).
            let group = (0..groups).max_by_key(|&g| (slice[g], std::cmp::Reverse(g))).expect("at least one group");
            let mut len = 1;
            while col + len < nx {
                let next = row * nx + col + len;
                let next_slice = &counts[next * groups..(next + 1) * groups];
                let next_group = (0..groups).max_by_key(|&g| (next_slice[g], std::cmp::Reverse(g))).expect("group");
                if level(totals[next]) != lvl || next_group != group {
                    break;
                }
                used += 1;
                len += 1;
            }
            runs[group].push((row, col, len, lvl));
            col += len;
        }
    }
    for group in std::iter::once(legend.names.len()).chain(0..legend.names.len()) {
        if runs[group].is_empty() {
            continue;
        }
        writeln!(
            out,
            "<g class=\"split\" data-split=\"{}\" fill=\"{}\">",
            escape(legend.name(group)),
            legend.colour(group)
        )?;
        for &(row, start, len, lvl) in &runs[group] {
            writeln!(
                out,
                "<rect class=\"cell\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill-opacity=\"{}\"/>",
                num(start as f64 * cw),
                num(row as f64 * ch),
                num(len as f64 * cw + 0.3),
                num(ch + 0.3),
                [0.0, 0.3, 0.45, 0.6, 0.8, 1.0][lvl as usize]
            )?;
        }
        out.push_str("</g>\n");
    }
    let [west, _, east, _] = projection.shown();
    Ok(format!(
        "{items} items with a bbox, more than {MAX_FOOTPRINTS} distinct footprints: aggregated by bbox centre into {used} occupied \
         cells of {} ({nx} &times; {ny} grid). Colour: the split most items of a cell are in; opacity: item count \
         (logarithmic, at most {max} items per cell). Plain longitude/latitude projection.",
        degrees((east - west) / nx as f64, (east - west) / nx as f64),
    ))
}

/// Lines every "nice" number of degrees (`labels` false: drawn under the
/// shapes), or their labels (drawn over the shapes, with a halo).
fn graticule(out: &mut String, projection: &Projection, labels: bool) -> fmt::Result {
    let [west, south, east, north] = projection.shown();
    let step = nice_step((east - west).max(north - south) / 6.0);
    // Multiples of the step inside [from, to], without accumulating rounding.
    let ticks = |from: f64, to: f64| {
        let first = (from / step).ceil() as i64;
        let last = (to / step).floor() as i64;
        (first..=last).map(move |k| k as f64 * step)
    };
    out.push_str(if labels { "<g class=\"graticule labels\">\n" } else { "<g class=\"graticule\">\n" });
    let (width, height) = (num(projection.width), num(projection.height));
    for lon in ticks(west, east) {
        let x = projection.x(lon);
        if labels {
            let label = degrees(lon, step);
            writeln!(out, "<text x=\"{}\" y=\"{}\">{label}</text>", num(x + 3.0), num(projection.height - 4.0))?;
        } else {
            writeln!(out, "<line x1=\"{x}\" y1=\"0\" x2=\"{x}\" y2=\"{height}\"/>", x = num(x))?;
        }
    }
    for lat in ticks(south, north) {
        let y = projection.y(lat);
        if labels {
            writeln!(out, "<text x=\"3\" y=\"{}\">{}</text>", num(y - 3.0), degrees(lat, step))?;
        } else {
            writeln!(out, "<line x1=\"0\" y1=\"{y}\" x2=\"{width}\" y2=\"{y}\"/>", y = num(y))?;
        }
    }
    out.push_str("</g>\n");
    Ok(())
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let raw = raw.max(1e-9);
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * power).find(|s| *s >= raw).unwrap_or(10.0 * power)
}

/// Degrees with as many decimals as `step` needs.
fn degrees(value: f64, step: f64) -> String {
    let decimals = ((-step.log10() - 1e-9).ceil().max(0.0) as usize).min(9);
    let factor = 10f64.powi(decimals as i32);
    let rounded = (value * factor).round() / factor;
    // No "-0.0°".
    let rounded = if rounded == 0.0 { 0.0 } else { rounded };
    format!("{rounded:.decimals$}°")
}

// --- Class balance -------------------------------------------------------------

/// One series of bars: all label items, or one split.
struct Series<'a> {
    name: &'a str,
    colour: &'static str,
    /// The property balances of this series.
    values: Option<&'a Vec<Value>>,
}

fn balance(out: &mut String, entry: Option<&Value>, legend: &Legend) -> fmt::Result {
    out.push_str("<h2 id=\"balance\">Class balance</h2>\n");
    let Some(entry) = entry else {
        out.push_str("<p>Not measured.</p>\n");
        return Ok(());
    };
    let properties = entry["values"].as_array().map(Vec::as_slice).unwrap_or_default();
    let sources: Vec<String> = entry["sources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| format!("{} {}", s["source"].as_str().unwrap_or(""), s["items"]))
        .collect();
    writeln!(
        out,
        "<p>Label features (or label items) per class, as a share of each split's total. Counted from: {}.</p>",
        escape(&if sources.is_empty() { "no label items".to_string() } else { sources.join(", ") })
    )?;
    if properties.is_empty() {
        out.push_str("<p>No label classes found.</p>\n");
        return Ok(());
    }
    let mut series = vec![Series { name: "all", colour: ALL, values: entry["values"].as_array() }];
    let per_split = entry["splits"].as_array().map(Vec::as_slice).unwrap_or_default();
    for (k, name) in legend.names.iter().enumerate() {
        let values = per_split.iter().find(|s| s["split"].as_str() == Some(name)).and_then(|s| s["values"].as_array());
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
        let rest: Vec<String> =
            properties[MAX_PROPERTIES..].iter().map(|p| escape(p["name"].as_str().unwrap_or(""))).collect();
        writeln!(out, "<p class=\"more\">{} more properties not drawn: {}</p>", rest.len(), rest.join(", "))?;
    }
    Ok(())
}

/// A class total of one series for one property.
fn class_total(values: Option<&Vec<Value>>, property: &str, class: &str) -> u64 {
    values
        .into_iter()
        .flatten()
        .find(|p| p["name"].as_str() == Some(property))
        .and_then(|p| p["values"].as_array())
        .into_iter()
        .flatten()
        .find(|c| c["class"].as_str() == Some(class))
        .and_then(|c| c["total"].as_u64())
        .unwrap_or(0)
}

fn chart(out: &mut String, property: &Value, series: &[Series]) -> fmt::Result {
    let name = property["name"].as_str().unwrap_or("");
    let classes: Vec<(&str, u64)> = property["values"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| (c["class"].as_str().unwrap_or(""), c["total"].as_u64().unwrap_or(0)))
        .collect();
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
        property["majority-minority-ratio"],
        property["normalized-entropy"],
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

/// At most `max` characters, with an ellipsis when cut.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max - 1).collect();
        cut.push('…');
        cut
    }
}

// --- Findings --------------------------------------------------------------------

fn findings(out: &mut String, metrics: &[Value]) -> fmt::Result {
    let entry = |name: &str| entry(metrics, name);
    out.push_str("<h2 id=\"findings\">Duplicates and leakage</h2>\n");

    out.push_str("<h3>Spatial duplicates</h3>\n");
    match entry("spatial-duplicates") {
        Some(e) => {
            let rows = array(&e["values"]);
            writeln!(
                out,
                "<p>{} non-label items have the same bbox as an earlier item (EOTDL's metric).</p>",
                e["total"]
            )?;
            if !rows.is_empty() {
                out.push_str("<table class=\"spatial-duplicates\">\n<tr><th>item</th><th>duplicate of</th></tr>\n");
                for v in rows.iter().take(MAX_ROWS) {
                    writeln!(out, "<tr><td>{}</td><td>{}</td></tr>", text(&v["item"]), text(&v["duplicate"]))?;
                }
                more_row(out, rows.len(), 2)?;
                out.push_str("</table>\n");
            }
        }
        None => out.push_str("<p>Not measured.</p>\n"),
    }

    out.push_str("<h3>Near-duplicate clusters</h3>\n");
    match entry("near-duplicates") {
        Some(e) => {
            let rows = array(&e["values"]);
            writeln!(
                out,
                "<p>{} items in {} clusters of same-role items whose footprints overlap with IoU &ge; {} ({} pairs).</p>",
                e["total"], e["clusters"], e["iou"], e["pairs"]
            )?;
            if !rows.is_empty() {
                out.push_str("<table class=\"near-duplicates\">\n<tr><th>#</th><th>items</th><th>ids</th></tr>\n");
                for (k, v) in rows.iter().take(MAX_ROWS).enumerate() {
                    let ids = array(&v["items"]);
                    writeln!(
                        out,
                        "<tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"ids\">{}</td></tr>",
                        k + 1,
                        ids.len(),
                        id_list(ids, 10)
                    )?;
                }
                more_row(out, rows.len(), 3)?;
                out.push_str("</table>\n");
            }
        }
        None => out.push_str("<p>Not measured.</p>\n"),
    }

    out.push_str("<h3>Split leakage</h3>\n");
    match entry("split-leakage") {
        Some(e) => {
            writeln!(
                out,
                "<p>{} pairs of same-role items in different splits have overlapping footprints; {} of them with IoU &ge; {}.</p>",
                e["total"], e["total-above-iou"], e["iou"]
            )?;
            let rows = array(&e["values"]);
            if !rows.is_empty() {
                out.push_str("<table class=\"split-leakage\">\n<tr><th>splits</th><th>overlapping pairs</th><th>IoU above threshold</th></tr>\n");
                for v in rows.iter().take(MAX_ROWS) {
                    writeln!(
                        out,
                        "<tr><td>{} / {}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                        text(&v["splits"][0]),
                        text(&v["splits"][1]),
                        v["intersecting"],
                        v["above-iou"]
                    )?;
                }
                more_row(out, rows.len(), 3)?;
                out.push_str("</table>\n");
            }
            let examples = array(&e["examples"]);
            if !examples.is_empty() {
                let total = e["total"].as_u64().unwrap_or(0) as usize;
                let shown = examples.len().min(MAX_ROWS);
                writeln!(out, "<p>The first {shown} of {} leaking pairs:</p>", total.max(shown))?;
                out.push_str(
                    "<table class=\"leakage-examples\">\n<tr><th>item</th><th>overlaps item</th><th>IoU</th></tr>\n",
                );
                for v in examples.iter().take(MAX_ROWS) {
                    writeln!(
                        out,
                        "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                        text(&v["a"]),
                        text(&v["b"]),
                        v["iou"]
                    )?;
                }
                out.push_str("</table>\n");
            }
        }
        None => out.push_str("<p>No splits: leakage not measured.</p>\n"),
    }
    Ok(())
}

fn missing(out: &mut String, entry: Option<&Value>) -> fmt::Result {
    out.push_str("<h2 id=\"missing\">Missing values</h2>\n");
    let Some(entry) = entry else {
        out.push_str("<p>Not measured.</p>\n");
        return Ok(());
    };
    out.push_str("<table class=\"missing-values\">\n<tr><th>field</th><th>items</th><th>first ids</th></tr>\n");
    for v in entry["values"].as_array().into_iter().flatten() {
        let ids = array(&v["items"]);
        let total = v["total"].as_u64().unwrap_or(0) as usize;
        let mut list = id_list(ids, 5);
        if total > ids.len().min(5) {
            write!(list, " <span class=\"more\">({} in all)</span>", total)?;
        }
        writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"ids\">{}</td></tr>",
            text(&v["field"]),
            total,
            if total == 0 { String::new() } else { list }
        )?;
    }
    out.push_str("</table>\n");
    Ok(())
}

fn validation_section(out: &mut String, report: Option<&Report>) -> fmt::Result {
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

/// The metric entry of that name.
fn entry<'a>(metrics: &'a [Value], name: &str) -> Option<&'a Value> {
    metrics.iter().find(|e| e["name"] == name)
}

/// A JSON array as a slice (empty for anything else).
fn array(value: &Value) -> &[Value] {
    value.as_array().map(Vec::as_slice).unwrap_or_default()
}

/// A JSON string (or other value) as escaped text.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => escape(s),
        Value::Null => String::new(),
        other => escape(&other.to_string()),
    }
}

/// The first `max` ids, escaped and comma-separated, then "+N".
fn id_list(ids: &[Value], max: usize) -> String {
    let mut list: Vec<String> = ids.iter().take(max).map(text).collect();
    if ids.len() > max {
        list.push(format!("<span class=\"more\">+{}</span>", ids.len() - max));
    }
    list.join(", ")
}

fn list(ids: &[String]) -> String {
    if ids.is_empty() { "-".into() } else { ids.join(", ") }
}

fn percent(part: f64, whole: f64) -> String {
    if whole > 0.0 { format!("{:.1}%", part * 100.0 / whole) } else { "-".into() }
}

/// A byte count for people: `512 B`, `40.0 KB`, `1.2 GB` (powers of 1000).
pub fn human_bytes(bytes: u64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < units.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", units[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escape("plain id_01"), "plain id_01");
        assert_eq!(escape("<script>alert('x')</script>"), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
        assert_eq!(escape("a & b \"c\""), "a &amp; b &quot;c&quot;");
        assert_eq!(escape("&amp;"), "&amp;amp;");
        assert_eq!(escape("é → ü"), "é → ü");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn numbers_are_short_and_stable() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(1.25), "1.2");
        assert_eq!(num(-0.01), "0");
        assert_eq!(num(123.46), "123.5");
    }

    #[test]
    fn nice_steps_and_degree_labels() {
        assert_eq!(nice_step(0.13), 0.2);
        assert_eq!(nice_step(3.0), 5.0);
        assert_eq!(nice_step(7.0), 10.0);
        assert_eq!(degrees(40.2, 0.1), "40.2°");
        assert_eq!(degrees(-0.0001, 0.1), "0.0°");
        assert_eq!(degrees(-12.0, 5.0), "-12°");
        assert_eq!(degrees(41.5, 0.5), "41.5°");
        assert_eq!(degrees(0.0283, 0.0283), "0.03°");
    }

    #[test]
    fn projection_fits_the_longer_side_and_flips_latitude() {
        let p = Projection::new([0.0, 0.0, 2.0, 1.0]);
        assert!((p.width - MAP_SIZE).abs() < 1e-9);
        assert!(p.height < p.width);
        assert!(p.y(1.0) < p.y(0.0), "north is up");
        assert!(p.x(0.0) > 0.0 && p.x(2.0) < p.width, "a margin around the data");
        // A single point still gets an area.
        let point = Projection::new([5.0, 5.0, 5.0, 5.0]);
        assert!(point.width > 0.0 && point.height > 0.0);
    }

    /// `n` items scattered over the globe (a deterministic LCG), each in one
    /// of three splits or none: the worst case for the aggregated map.
    fn scattered(n: usize) -> (Dataset, Vec<Option<u16>>) {
        use crate::catalog::{ItemRecord, Node, NodeKind, Warnings};
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
                    path: std::path::PathBuf::new(),
                    bbox: Some([x, y, x + 0.01, y + 0.01]),
                    footprint: None,
                    has_geometry: true,
                    datetime: None,
                    label: None,
                    sources: Vec::new(),
                    dangling_sources: Vec::new(),
                    split: None,
                }
            })
            .collect();
        let split_of = (0..n).map(|_| [None, Some(0), Some(1), Some(2)][(next() * 4.0) as usize]).collect();
        let root = Node {
            kind: NodeKind::Catalog,
            id: "scattered".into(),
            path: "/scattered/catalog.json".into(),
            json: serde_json::Map::new(),
            parent: None,
            children: Vec::new(),
            items: (0..n).collect(),
        };
        (Dataset { nodes: vec![root], items, warnings: Warnings::default() }, split_of)
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

    #[test]
    fn footprints_up_to_the_cap_then_cells() {
        let names = vec!["a".to_string(), "b".into(), "c".into()];
        for (n, mode) in [(MAX_FOOTPRINTS, "footprints"), (MAX_FOOTPRINTS + 1, "cells")] {
            let (dataset, split_of) = scattered(n);
            let splits = Splits { names: &names, split_of: &split_of };
            let html = html(&dataset, &overview(n), &[], Some(splits), None);
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
        let splits = Splits { names: &names, split_of: &split_of };
        let first = html(&dataset, &overview(n), &[], Some(splits), None);
        let cells = first.matches("class=\"cell\"").count();
        assert!(cells > 0 && cells <= GRID_CELLS * GRID_CELLS, "{cells} cells");
        assert!(first.len() < 1_200_000, "{} bytes", first.len());
        assert_eq!(first, html(&dataset, &overview(n), &[], Some(splits), None), "deterministic");
    }

    #[test]
    fn truncates_long_labels() {
        assert_eq!(truncate("short", 28), "short");
        assert_eq!(truncate("abcdef", 4), "abc…");
    }
}
