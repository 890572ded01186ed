//! Footprint geometry: bbox parts across the antimeridian and the
//! intersection over union of two items' footprints, shared by the spatial
//! index, duplicates, spatial splits and the report's map.

use geo::{Area, BooleanOps};

use crate::catalog::{Bbox, ItemRecord};

/// The parts of a bbox as plain rectangles: one, or two when it crosses the
/// antimeridian (west > east).
pub fn parts(b: &Bbox) -> impl Iterator<Item = [f64; 4]> + use<> {
    let crossing = b[0] > b[2];
    let first = if crossing { [b[0], b[1], 180.0, b[3]] } else { *b };
    let second = crossing.then_some([-180.0, b[1], b[2], b[3]]);
    std::iter::once(first).chain(second)
}

/// Intersection over union of two items' footprints (their real geometry
/// when they have one, else their bbox).
pub fn iou(a: &ItemRecord, b: &ItemRecord) -> f64 {
    let (Some(ba), Some(bb)) = (a.bbox, b.bbox) else { return 0.0 };
    if a.footprint.is_none() && b.footprint.is_none() {
        return rect_iou(&ba, &bb);
    }
    let pa = polygon_of(a, &ba);
    let pb = polygon_of(b, &bb);
    let intersection = pa.intersection(&pb).unsigned_area();
    if intersection <= 0.0 {
        return 0.0;
    }
    let union = pa.unsigned_area() + pb.unsigned_area() - intersection;
    if union > 0.0 { intersection / union } else { 0.0 }
}

/// An item's footprint as polygons: its real geometry when it has one, else
/// its bbox (one rectangle, or two across the antimeridian).
pub fn polygon_of(item: &ItemRecord, bbox: &Bbox) -> geo::MultiPolygon<f64> {
    match &item.footprint {
        Some(footprint) => (**footprint).clone(),
        None => geo::MultiPolygon(
            parts(bbox)
                .map(|p| geo::Rect::new(geo::coord! {x: p[0], y: p[1]}, geo::coord! {x: p[2], y: p[3]}).to_polygon())
                .collect(),
        ),
    }
}

fn rect_area(b: &[f64; 4]) -> f64 {
    (b[2] - b[0]).max(0.0) * (b[3] - b[1]).max(0.0)
}

fn rect_iou(a: &Bbox, b: &Bbox) -> f64 {
    let mut intersection = 0.0;
    for pa in parts(a) {
        for pb in parts(b) {
            intersection += rect_area(&[pa[0].max(pb[0]), pa[1].max(pb[1]), pa[2].min(pb[2]), pa[3].min(pb[3])]);
        }
    }
    if intersection <= 0.0 {
        return 0.0;
    }
    let area = |b: &Bbox| parts(b).map(|p| rect_area(&p)).sum::<f64>();
    let union = area(a) + area(b) - intersection;
    if union > 0.0 { intersection / union } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rectangle_iou() {
        assert_eq!(rect_iou(&[0.0, 0.0, 1.0, 1.0], &[0.0, 0.0, 1.0, 1.0]), 1.0);
        assert_eq!(rect_iou(&[0.0, 0.0, 1.0, 1.0], &[1.0, 0.0, 2.0, 1.0]), 0.0);
        let shifted = rect_iou(&[0.0, 0.0, 1.0, 1.0], &[0.05, 0.0, 1.05, 1.0]);
        assert!((shifted - 0.95 / 1.05).abs() < 1e-12);
        // Antimeridian: [170, -180..-170] overlaps [175, 180] by half of the latter's... area.
        let crossing = rect_iou(&[170.0, 0.0, -170.0, 1.0], &[175.0, 0.0, 180.0, 1.0]);
        assert!((crossing - 5.0 / 20.0).abs() < 1e-12);
    }
}
