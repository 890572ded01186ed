//! Pixel balance of raster labels: pixels per class over every counted
//! mask, overall and per split, with the number of items holding each class
//! and the nodata pixels set apart. The `pixel-balance` metric entry.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::balance::hundredths;
use crate::raster_labels::RasterLabels;
use crate::split::SplitView;

/// `pixel-balance`: present when raster label items have mask assets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PixelBalance {
    /// Per class, over all counted masks.
    pub values: Vec<PixelClassShare>,
    /// Nodata pixels, over all counted masks.
    pub nodata: u64,
    /// Raster label items whose mask was counted.
    pub items: usize,
    /// Raster label items whose mask was not counted (unreadable,
    /// unsupported or remote; each reason is a warning).
    pub uncounted: usize,
    /// Per split; only when splits are known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub splits: Option<Vec<SplitPixels>>,
}

/// One class of the pixel balance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PixelClassShare {
    /// The pixel value.
    pub value: i64,
    /// Its name (the value itself when the catalog names none).
    pub name: String,
    /// Pixels of the class.
    pub pixels: u64,
    /// Share of all non-nodata pixels, two decimals; shares sum to exactly 100.
    pub percentage: f64,
    /// Items whose mask holds at least one pixel of the class.
    pub items: usize,
}

/// The pixel balance of one split.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SplitPixels {
    /// The split name.
    pub split: String,
    /// Per class, over the split's counted masks.
    pub values: Vec<PixelClassShare>,
    /// Nodata pixels of the split.
    pub nodata: u64,
    /// Counted masks in the split.
    pub items: usize,
}

/// Sums of one group of masks: per (value, name), pixels and items.
#[derive(Default)]
struct Sums {
    classes: BTreeMap<(i64, String), (u64, usize)>,
    nodata: u64,
    items: usize,
}

impl Sums {
    fn shares(self) -> (Vec<PixelClassShare>, u64, usize) {
        let pixels: Vec<u64> = self.classes.values().map(|(p, _)| *p).collect();
        let values = self
            .classes
            .into_iter()
            .zip(hundredths(&pixels))
            .map(|(((value, name), (pixels, items)), h)| PixelClassShare {
                value,
                name,
                pixels,
                percentage: h as f64 / 100.0,
                items,
            })
            .collect();
        (values, self.nodata, self.items)
    }
}

/// The pixel balance of the counted masks, per split when `splits` are
/// given; `None` when no raster label item has a mask asset, so catalogs
/// without masks keep their metrics unchanged.
pub fn pixel_balance(raster: &RasterLabels, splits: Option<&SplitView>) -> Option<PixelBalance> {
    if raster.is_empty() {
        return None;
    }
    let groups = splits.map_or(0, |s| s.names.len());
    let mut all = Sums::default();
    let mut per_split: Vec<Sums> = (0..groups).map(|_| Sums::default()).collect();
    let mut uncounted = 0;
    for (item, pixels) in raster.iter() {
        let Some(pixels) = pixels else {
            uncounted += 1;
            continue;
        };
        let split = splits.and_then(|s| s.split_of[item]).map(usize::from);
        for sums in std::iter::once(&mut all).chain(split.and_then(|k| per_split.get_mut(k))) {
            sums.items += 1;
            sums.nodata += pixels.nodata;
            for class in &pixels.classes {
                let entry = sums.classes.entry((class.value, class.name.clone())).or_default();
                entry.0 += class.pixels;
                entry.1 += usize::from(class.pixels > 0);
            }
        }
    }
    let (values, nodata, items) = all.shares();
    let splits = splits.map(|view| {
        view.names
            .iter()
            .zip(per_split)
            .map(|(name, sums)| {
                let (values, nodata, items) = sums.shares();
                SplitPixels { split: name.clone(), values, nodata, items }
            })
            .collect()
    });
    Some(PixelBalance { values, nodata, items, uncounted, splits })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raster_labels::{ItemPixels, PixelClass};

    fn mask(classes: &[(i64, &str, u64)], nodata: u64) -> Option<ItemPixels> {
        let classes =
            classes.iter().map(|&(value, name, pixels)| PixelClass { value, name: name.into(), pixels }).collect();
        Some(ItemPixels { classes, nodata })
    }

    #[test]
    fn sums_shares_items_and_splits() {
        let raster = RasterLabels::from_parts(
            vec![0, 2, 3, 5],
            vec![
                mask(&[(0, "clear", 3), (1, "cloud", 1)], 2),
                mask(&[(0, "clear", 0), (1, "cloud", 2)], 0),
                None,
                mask(&[(1, "cloud", 3)], 1),
            ],
        );
        let names = vec!["train".to_string(), "test".into()];
        let split_of = vec![Some(0), None, Some(1), Some(0), None, Some(1)];
        let view = SplitView { names: names.as_slice().into(), split_of: split_of.into() };
        let balance = pixel_balance(&raster, Some(&view)).unwrap();
        let rows = |v: &[PixelClassShare]| -> Vec<(i64, String, u64, f64, usize)> {
            v.iter().map(|c| (c.value, c.name.clone(), c.pixels, c.percentage, c.items)).collect()
        };
        assert_eq!(rows(&balance.values), [(0, "clear".into(), 3, 33.33, 1), (1, "cloud".into(), 6, 66.67, 3)]);
        assert_eq!((balance.nodata, balance.items, balance.uncounted), (3, 3, 1));
        let splits = balance.splits.unwrap();
        assert_eq!(splits[0].split, "train");
        assert_eq!(rows(&splits[0].values), [(0, "clear".into(), 3, 75.0, 1), (1, "cloud".into(), 1, 25.0, 1)]);
        assert_eq!((splits[0].nodata, splits[0].items), (2, 1));
        // Item 3 is in no split; item 2 (no clear pixel) and item 5 are in test.
        assert_eq!(rows(&splits[1].values), [(0, "clear".into(), 0, 0.0, 0), (1, "cloud".into(), 5, 100.0, 2)]);
        assert_eq!((splits[1].nodata, splits[1].items), (1, 2));
        assert_eq!(pixel_balance(&RasterLabels::default(), None), None);
    }
}
