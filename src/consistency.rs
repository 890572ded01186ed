//! Label/source consistency: a label that does not lie on its source
//! image, or was drawn long before or after it, is a silent defect no schema
//! catches. Each label item is compared with the items its `source` links
//! reach (never with every item: the links say which pairs matter, so the
//! cost grows with the links, not with their square).
//!
//! Findings and their thresholds:
//! - `outside-sources`: the share of a label item's footprint area (its
//!   geometry, else its bbox; planar, in square degrees, computed with `geo`)
//!   that no source footprint covers is above [`MAX_OUTSIDE_SHARE`]. A label
//!   without area (a point or a line) is outside when a corner of its bbox
//!   lies in no source footprint (share 1.0). Footprints crossing the
//!   antimeridian are not compared.
//! - `far-in-time`: the label item's time (`datetime`, else
//!   `start_datetime`) is more than [`MAX_DAYS`] days from the nearest of its
//!   sources' times. Items without a time are not compared.
//! - `without-source`: label items without any `source` link (links that
//!   reach nothing are `missing-values`' `source-link-target`).
//! - `unused-sources`: non-label items that no label item links as `source`.

use geo::{Area, BooleanOps, Intersects};
use rayon::prelude::*;
use serde::Serialize;

use crate::catalog::{Dataset, ItemRecord};

/// The share of a label's area outside its sources above which it is a
/// finding: 1%, well above the rounding of reprojected footprints.
pub const MAX_OUTSIDE_SHARE: f64 = 0.01;

/// Days between a label and its nearest source above which it is a finding:
/// about a month, longer than a revisit cycle and shorter than a season.
pub const MAX_DAYS: f64 = 30.0;

/// A label item partly outside its sources.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outside {
    /// The label item's id.
    pub item: String,
    /// Share of its area outside every source footprint, four decimals.
    pub share: f64,
}

/// A label item far in time from its sources.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FarInTime {
    /// The label item's id.
    pub item: String,
    /// Days to the nearest source's time, two decimals.
    pub days: f64,
}

/// One finding: its total and the first examples.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding<T> {
    /// How many items.
    pub total: usize,
    /// The first few.
    pub items: Vec<T>,
}

impl<T> Finding<T> {
    fn new(all: Vec<T>, examples: usize) -> Self {
        let total = all.len();
        Finding { total, items: all.into_iter().take(examples).collect() }
    }
}

/// The `label-source-consistency` metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Consistency {
    /// [`MAX_OUTSIDE_SHARE`].
    #[serde(rename = "max-outside-share")]
    pub max_outside_share: f64,
    /// [`MAX_DAYS`].
    #[serde(rename = "max-days")]
    pub max_days: f64,
    /// Label items partly outside their sources.
    #[serde(rename = "outside-sources")]
    pub outside_sources: Finding<Outside>,
    /// Label items far in time from their sources.
    #[serde(rename = "far-in-time")]
    pub far_in_time: Finding<FarInTime>,
    /// Ids of label items without a source link.
    #[serde(rename = "without-source")]
    pub without_source: Finding<String>,
    /// Ids of non-label items no label item uses.
    #[serde(rename = "unused-sources")]
    pub unused_sources: Finding<String>,
    /// Sum of the four totals.
    pub total: usize,
}

/// Checks every label item against its sources; `None` when the dataset has
/// no label items. Lists stop after `examples` entries; totals are exact.
pub fn check(dataset: &Dataset, examples: usize) -> Option<Consistency> {
    let items = &dataset.items;
    let labels: Vec<usize> = (0..items.len()).filter(|&i| items[i].is_label()).collect();
    if labels.is_empty() {
        return None;
    }
    // (outside share, days) per label item, in item order whatever the threads do.
    let compared: Vec<(usize, Option<f64>, Option<f64>)> = labels
        .par_iter()
        .map(|&i| {
            let item = &items[i];
            let sources: Vec<&ItemRecord> = item.sources.iter().map(|&s| &items[s]).collect();
            (i, outside_share(item, &sources), days_apart(item, &sources))
        })
        .collect();
    let outside = compared
        .iter()
        .filter_map(|&(i, share, _)| {
            let share = share.filter(|s| *s > MAX_OUTSIDE_SHARE)?;
            Some(Outside { item: items[i].id.clone(), share: (share * 1e4).round() / 1e4 })
        })
        .collect();
    let far = compared
        .iter()
        .filter_map(|&(i, _, days)| {
            let days = days.filter(|d| *d > MAX_DAYS)?;
            Some(FarInTime { item: items[i].id.clone(), days: (days * 100.0).round() / 100.0 })
        })
        .collect();
    let without = labels
        .iter()
        .filter(|&&i| items[i].sources.is_empty() && items[i].dangling().is_empty())
        .map(|&i| items[i].id.clone())
        .collect();
    let mut used = vec![false; items.len()];
    for &i in &labels {
        for &s in &items[i].sources {
            used[s] = true;
        }
    }
    let unused = (0..items.len()).filter(|&i| !items[i].is_label() && !used[i]).map(|i| items[i].id.clone()).collect();
    let outside_sources = Finding::new(outside, examples);
    let far_in_time = Finding::new(far, examples);
    let without_source = Finding::new(without, examples);
    let unused_sources = Finding::new(unused, examples);
    let total = outside_sources.total + far_in_time.total + without_source.total + unused_sources.total;
    Some(Consistency {
        max_outside_share: MAX_OUTSIDE_SHARE,
        max_days: MAX_DAYS,
        outside_sources,
        far_in_time,
        without_source,
        unused_sources,
        total,
    })
}

/// The share of the label's footprint no source footprint covers; `None`
/// when it cannot be compared (no sources, a footprint without bbox or
/// crossing the antimeridian, on either side).
pub fn outside_share(label: &ItemRecord, sources: &[&ItemRecord]) -> Option<f64> {
    let bbox = label.bbox.filter(|b| b[0] <= b[2])?;
    // A source that cannot be drawn (no bbox, or one crossing the
    // antimeridian) may be the one covering the label: no verdict then.
    if sources.iter().any(|s| !s.bbox.is_some_and(|b| b[0] <= b[2])) {
        return None;
    }
    // Most tiles are their bbox rectangles: answer those without polygon
    // operations, which a million label items would otherwise pay for.
    let rectangles: Option<Vec<[f64; 4]>> =
        sources.iter().map(|s| s.bbox.filter(|b| b[0] <= b[2] && s.footprint.is_none())).collect();
    if let (None, Some(rectangles)) = (&label.footprint, &rectangles) {
        let contains = |r: &[f64; 4]| r[0] <= bbox[0] && r[1] <= bbox[1] && r[2] >= bbox[2] && r[3] >= bbox[3];
        let area = (bbox[2] - bbox[0]) * (bbox[3] - bbox[1]);
        if rectangles.iter().any(contains) {
            return Some(0.0);
        }
        if let [one] = rectangles.as_slice()
            && area > 0.0
        {
            let width = (one[2].min(bbox[2]) - one[0].max(bbox[0])).max(0.0);
            let height = (one[3].min(bbox[3]) - one[1].max(bbox[1])).max(0.0);
            return Some((1.0 - width * height / area).clamp(0.0, 1.0));
        }
    }
    let mut covers: Option<geo::MultiPolygon<f64>> = None;
    for source in sources {
        let Some(b) = source.bbox.filter(|b| b[0] <= b[2]) else { continue };
        let polygon = crate::geometry::polygon_of(source, &b);
        covers = Some(match covers {
            Some(union) => union.union(&polygon),
            None => polygon,
        });
    }
    let covers = covers?;
    let footprint = crate::geometry::polygon_of(label, &bbox);
    let area = footprint.unsigned_area();
    if area > 0.0 {
        let outside = footprint.difference(&covers).unsigned_area();
        return Some((outside / area).clamp(0.0, 1.0));
    }
    // A point or line label: is each corner of its bbox on a source?
    let corners = [geo::point! {x: bbox[0], y: bbox[1]}, geo::point! {x: bbox[2], y: bbox[3]}];
    Some(if corners.iter().all(|c| covers.intersects(c)) { 0.0 } else { 1.0 })
}

/// Days from the label's time to the nearest source time; `None` when either
/// side has no readable time.
pub fn days_apart(label: &ItemRecord, sources: &[&ItemRecord]) -> Option<f64> {
    let at = |item: &ItemRecord| item.datetime?.instant().map(|t| t.timestamp_millis());
    let label_at = at(label)?;
    sources
        .iter()
        .filter_map(|s| at(s))
        .map(|t| (label_at - t).unsigned_abs() as f64 / 86_400_000.0)
        .min_by(f64::total_cmp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ItemRecord;

    fn record(bbox: [f64; 4], footprint: Option<geo::MultiPolygon<f64>>) -> ItemRecord {
        ItemRecord {
            id: "x".into(),
            node: 0,
            file: None,
            bbox: Some(bbox),
            footprint: footprint.map(Box::new),
            has_geometry: true,
            datetime: None,
            label: None,
            sources: Box::default(),
            dangling_sources: None,
            split: None,
        }
    }

    /// The rectangle shortcut and the polygon operations agree.
    #[test]
    fn a_source_that_cannot_be_drawn_leaves_the_label_uncompared() {
        let label = record([179.2, 0.0, 179.8, 1.0], None);
        let elsewhere = record([0.0, 0.0, 1.0, 1.0], None);
        assert_eq!(outside_share(&label, &[&elsewhere]), Some(1.0));
        // It may be this source, across the antimeridian, that covers the label.
        let across = record([179.0, 0.0, -179.0, 1.0], None);
        assert_eq!(outside_share(&label, &[&elsewhere, &across]), None);
    }

    #[test]
    fn rectangles_and_polygons_give_the_same_share() {
        let label = record([0.5, 0.0, 1.5, 1.0], None);
        let source = record([0.0, 0.0, 1.0, 1.0], None);
        assert_eq!(outside_share(&label, &[&source]), Some(0.5));
        // The same square as a real geometry takes the polygon path.
        let polygon = geo::MultiPolygon(vec![geo::Rect::new((0.0, 0.0), (1.0, 1.0)).to_polygon()]);
        let as_polygon = record([0.0, 0.0, 1.0, 1.0], Some(polygon));
        assert!((outside_share(&label, &[&as_polygon]).unwrap() - 0.5).abs() < 1e-12);
        // Two sources that together cover the label: nothing outside.
        let right = record([1.0, 0.0, 2.0, 1.0], None);
        assert!(outside_share(&label, &[&source, &right]).unwrap() < 1e-12);
        assert_eq!(outside_share(&label, &[]), None);
    }
}
