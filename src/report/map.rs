//! The map: item footprints (or, beyond [`MAX_FOOTPRINTS`], grid cells)
//! coloured by split, over land outlines and a graticule, in a plain lon/lat
//! projection, with leaking pairs outlined.

use std::collections::HashMap;
use std::fmt::{self, Write};

use super::text::{escape, nice_step, num};
use super::{GRID_CELLS, Legend, MAX_FOOTPRINTS, group_of};
use crate::catalog::{Bbox, Dataset};
use crate::geometry::parts;
use crate::metrics::LeakExample;
use crate::split::SplitView;

/// Natural Earth's 1:110m land (public domain, naturalearthdata.com), made
/// small: coordinates rounded to 0.1°, rings under 0.5 square degrees
/// dropped. One ring per line, `lon,lat` pairs in tenths of a degree.
const LAND: &str = include_str!("land.txt");

/// Vertices drawn per polygon ring (longer rings are thinned evenly).
const MAX_RING: usize = 200;
/// Length in SVG units of the map's longer side.
const MAP_SIZE: f64 = 1000.0;
/// Smallest side of a drawn footprint rectangle, in SVG units.
const MIN_SHAPE: f64 = 3.0;

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

pub(super) fn map(
    out: &mut String,
    dataset: &Dataset,
    splits: Option<&SplitView>,
    legend: &Legend,
    leaks: &[LeakExample],
) -> fmt::Result {
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
    land(out, &projection)?;
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
    let marked = leak_marks(out, dataset, leaks, &projection)?;
    let caption = if marked > 0 {
        format!(
            "{caption} Red dashed outlines mark where {marked} leaking pairs overlap (the first listed under Split leakage)."
        )
    } else {
        caption
    };
    graticule(out, &projection, true)?;
    out.push_str("</svg>\n");
    legend.write(out)?;
    writeln!(out, "<p class=\"caption\">{caption}</p>")
}

/// Draws the land clipped to the extent shown, under everything else.
fn land(out: &mut String, projection: &Projection) -> fmt::Result {
    let shown = projection.shown();
    let mut d = String::new();
    for line in LAND.lines() {
        let ring: Vec<(f64, f64)> = line
            .split(' ')
            .filter_map(|pair| {
                let (x, y) = pair.split_once(',')?;
                Some((x.parse::<f64>().ok()? / 10.0, y.parse::<f64>().ok()? / 10.0))
            })
            .collect();
        let ring = clip(ring, shown);
        // Land outside the extent clips to nothing or to slivers along its edge.
        let twice_area: f64 = ring.iter().zip(ring.iter().cycle().skip(1)).map(|(a, b)| a.0 * b.1 - b.0 * a.1).sum();
        if ring.len() < 3 || twice_area.abs() < 1e-9 {
            continue;
        }
        for (k, (x, y)) in ring.iter().enumerate() {
            let (x, y) = (num(projection.x(*x)), num(projection.y(*y)));
            write!(d, "{}{x} {y}", if k == 0 { 'M' } else { 'L' })?;
        }
        d.push('Z');
    }
    if !d.is_empty() {
        writeln!(out, "<path class=\"land\" d=\"{d}\"/>")?;
    }
    Ok(())
}

/// A ring clipped to a box (west, south, east, north), Sutherland–Hodgman:
/// the box is convex, so one pass per side gives the part inside.
fn clip(mut ring: Vec<(f64, f64)>, [west, south, east, north]: Bbox) -> Vec<(f64, f64)> {
    // Each side: is a point inside it, and where a segment crosses it.
    type Inside = fn((f64, f64), f64) -> bool;
    type Cross = fn((f64, f64), (f64, f64), f64) -> (f64, f64);
    let at_x: Cross = |a, b, x| (x, a.1 + (b.1 - a.1) * (x - a.0) / (b.0 - a.0));
    let at_y: Cross = |a, b, y| (a.0 + (b.0 - a.0) * (y - a.1) / (b.1 - a.1), y);
    let sides: [(Inside, Cross, f64); 4] = [
        (|p, v| p.0 >= v, at_x, west),
        (|p, v| p.0 <= v, at_x, east),
        (|p, v| p.1 >= v, at_y, south),
        (|p, v| p.1 <= v, at_y, north),
    ];
    for (inside, cross, value) in sides {
        let Some(&last) = ring.last() else { break };
        let mut clipped = Vec::with_capacity(ring.len());
        let mut previous = last;
        for &point in &ring {
            match (inside(point, value), inside(previous, value)) {
                (true, true) => clipped.push(point),
                (true, false) => clipped.extend([cross(previous, point, value), point]),
                (false, true) => clipped.push(cross(previous, point, value)),
                (false, false) => {}
            }
            previous = point;
        }
        ring = clipped;
    }
    ring
}

/// Outlines where the listed leaking pairs overlap (the intersection of
/// their bboxes); returns how many were drawn.
fn leak_marks(
    out: &mut String,
    dataset: &Dataset,
    leaks: &[LeakExample],
    projection: &Projection,
) -> Result<usize, fmt::Error> {
    if leaks.is_empty() {
        return Ok(0);
    }
    let mut by_id: HashMap<&str, Bbox> = HashMap::new();
    for item in &dataset.items {
        if let Some(b) = item.bbox.filter(|b| finite(b) && b[0] <= b[2]) {
            by_id.entry(item.id.as_str()).or_insert(b);
        }
    }
    let mut drawn = 0;
    out.push_str("<g class=\"leaks\">\n");
    for leak in leaks {
        let (Some(a), Some(b)) = (by_id.get(leak.a.as_str()), by_id.get(leak.b.as_str())) else { continue };
        let overlap = [a[0].max(b[0]), a[1].max(b[1]), a[2].min(b[2]), a[3].min(b[3])];
        if overlap[0] > overlap[2] || overlap[1] > overlap[3] {
            continue;
        }
        let [x, y, w, h] = rect(&overlap, projection);
        writeln!(
            out,
            "<rect class=\"leak\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>leak: {} / {}</title></rect>",
            num(x),
            num(y),
            num(w),
            num(h),
            escape(&leak.a),
            escape(&leak.b)
        )?;
        drawn += 1;
    }
    out.push_str("</g>\n");
    Ok(drawn)
}

/// The distinct footprints, or `None` when there are more than [`MAX_FOOTPRINTS`].
fn distinct_shapes(
    dataset: &Dataset,
    splits: Option<&SplitView>,
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
    splits: Option<&SplitView>,
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

/// Degrees with as many decimals as `step` needs.
fn degrees(value: f64, step: f64) -> String {
    let decimals = ((-step.log10() - 1e-9).ceil().max(0.0) as usize).min(9);
    let factor = 10f64.powi(decimals as i32);
    let rounded = (value * factor).round() / factor;
    // No "-0.0°".
    let rounded = if rounded == 0.0 { 0.0 } else { rounded };
    format!("{rounded:.decimals$}°")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rings_are_clipped_to_the_extent_and_land_to_the_map() {
        let square = vec![(-10.0, -10.0), (10.0, -10.0), (10.0, 10.0), (-10.0, 10.0)];
        let clipped = clip(square.clone(), [0.0, 0.0, 20.0, 20.0]);
        let mut corners: Vec<(f64, f64)> = clipped.clone();
        corners.sort_by(|a, b| a.partial_cmp(b).unwrap());
        corners.dedup();
        assert_eq!(corners, [(0.0, 0.0), (0.0, 10.0), (10.0, 0.0), (10.0, 10.0)]);
        assert!(clip(square, [50.0, 50.0, 60.0, 60.0]).is_empty());
        // Europe has land; the middle of the Pacific has none.
        let mut out = String::new();
        land(&mut out, &Projection::new([0.0, 40.0, 10.0, 50.0])).unwrap();
        assert!(out.starts_with("<path class=\"land\" d=\"M"), "{out}");
        let mut out = String::new();
        land(&mut out, &Projection::new([-150.0, -10.0, -149.0, -9.0])).unwrap();
        assert_eq!(out, "");
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
}
