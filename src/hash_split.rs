//! The arithmetic of the hash strategy: which split a unit key lands in.
//!
//! A unit's split depends on nothing but the seed, its key and the ratios,
//! so any engine can compute it row by row, with no permutation of the whole
//! catalog: DuckDB, Spark SQL, another machine, or stac-ml on one partition
//! of a catalog, and a growing catalog keeps every old assignment.
//!
//! - `u` = the first 8 bytes of MD5(`"<seed>:<key>"`) (UTF-8, the seed in
//!   decimal), read as an unsigned big-endian 64-bit integer;
//! - `t_k` = floor(`c_k` × 2^64), `c_k` the cumulative ratio of splits 0..=k
//!   (the normalised ratios summed left to right in f64); the last split's
//!   threshold is 2^64, so every `u` lands somewhere;
//! - the unit goes to the first split k with `u < t_k` (`u` exactly at a
//!   threshold goes to the next split).
//!
//! Multiplying an f64 by 2^64 only shifts its exponent, so `c_k` × 2^64 is
//! exact and its floor is an exact integer below 2^64 (held in `u128`, as
//! is 2^64 itself); thresholds are compared as integers, never as floats.

use md5::{Digest, Md5};
use serde_json::Value;

use crate::catalog::Bbox;

/// 2^64: the last split's threshold, above every `u`.
pub const TWO_POW_64: u128 = 1 << 64;

/// The position of a unit key: the first 8 bytes of MD5(`"<seed>:<key>"`)
/// as a big-endian unsigned integer.
pub fn position(seed: u64, key: &str) -> u64 {
    let digest = Md5::new().chain_update(seed.to_string()).chain_update(b":").chain_update(key).finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// The thresholds of fractions summing to 1 (as `SplitSpec`
/// keeps them): floor(`c_k` × 2^64) for the cumulative fractions `c_k`,
/// and 2^64 for the last split. Never decreasing.
pub fn thresholds(ratios: &[f64]) -> Vec<u128> {
    let mut cumulative = 0.0f64;
    let mut thresholds = Vec::with_capacity(ratios.len());
    for (k, ratio) in ratios.iter().enumerate() {
        cumulative += ratio;
        thresholds.push(if k + 1 == ratios.len() { TWO_POW_64 } else { scaled_floor(cumulative) });
    }
    thresholds
}

/// floor(`c` × 2^64), clamped to 0..=2^64. The product is exact: scaling
/// by a power of two changes only the exponent of an f64.
fn scaled_floor(c: f64) -> u128 {
    let scaled = (c * TWO_POW_64 as f64).floor();
    if scaled.is_nan() || scaled <= 0.0 {
        0
    } else if scaled >= TWO_POW_64 as f64 {
        TWO_POW_64
    } else {
        // An integral f64 below 2^64 converts exactly.
        scaled as u128
    }
}

/// The split of a position: the first whose threshold exceeds it.
pub fn split_of(position: u64, thresholds: &[u128]) -> u16 {
    let u = u128::from(position);
    let k = thresholds.iter().position(|&t| u < t).unwrap_or(thresholds.len().saturating_sub(1));
    k as u16
}

/// The key of a grid cell of `size` degrees holding the bbox's centre:
/// `"<ix>_<iy>"`, ix = floor(x / size), iy = floor(y / size), with
/// x = (west + east) / 2 and y = (south + north) / 2 in f64 (floor, not
/// truncation: -0.5 is in cell -1). The plain mean also for a bbox crossing
/// the antimeridian, as a one-line SQL expression computes it.
pub fn cell_key(bbox: &Bbox, size: f64) -> String {
    let x = (bbox[0] + bbox[2]) / 2.0;
    let y = (bbox[1] + bbox[3]) / 2.0;
    format!("{}_{}", (x / size).floor() as i64, (y / size).floor() as i64)
}

/// The key text of a property value: a string as it is, other values as
/// their JSON text (numbers as written in the item); `None` for null.
pub fn value_key(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

/// What a unit is keyed by.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyKind<'a> {
    /// The key item's id.
    Id,
    /// The grid cell of the key item's bbox centre, cells of this many degrees.
    Cell(f64),
    /// The value of this property on the key item.
    Property(&'a str),
}

/// One item of a unit, as far as its key is concerned.
#[derive(Debug, Clone, Copy)]
pub struct KeyItem<'a> {
    /// The item id.
    pub id: &'a str,
    /// True for a label item.
    pub label: bool,
    /// The item's bbox.
    pub bbox: Option<&'a Bbox>,
    /// The key text of the property keyed by, if the item has it.
    pub value: Option<&'a str>,
}

/// The order that picks a unit's key item: label items first, then the
/// smallest id in byte order.
pub fn key_order(a: &KeyItem, b: &KeyItem) -> std::cmp::Ordering {
    b.label.cmp(&a.label).then(a.id.cmp(b.id))
}

/// The key of a unit's key item. Returns the key and whether it fell back
/// to the id because the item has no bbox or lacks the property.
pub fn key_of(item: &KeyItem, kind: KeyKind) -> (String, bool) {
    match kind {
        KeyKind::Id => (item.id.to_string(), false),
        KeyKind::Cell(size) => match item.bbox {
            Some(bbox) => (cell_key(bbox, size), false),
            None => (item.id.to_string(), true),
        },
        KeyKind::Property(_) => match item.value {
            Some(value) => (value.to_string(), false),
            None => (item.id.to_string(), true),
        },
    }
}

/// A unit's key: that of its key item (its label item with the smallest id
/// in byte order; without label items, its item with the smallest id), as
/// [`key_of`] gives it. `None` for an empty unit.
pub fn unit_key<'a>(items: impl IntoIterator<Item = KeyItem<'a>>, kind: KeyKind) -> Option<(String, bool)> {
    items.into_iter().min_by(key_order).map(|item| key_of(&item, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_matches_a_known_digest() {
        // python3 -c "import hashlib; print(hashlib.md5(b'0:a').hexdigest())"
        let digest = Md5::digest(b"0:a");
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "02766c67dacc416c363571bcd463c731");
        // int(hexdigest[:16], 16): the first 8 bytes, big-endian.
        assert_eq!(position(0, "a"), 0x02766c67dacc416c);
        assert_eq!(position(0, "a"), 177448428635963756);
        assert_eq!(position(0, "tile_0000000"), 13939165299172111888);
        assert_eq!(position(42, "-1_0"), 18171438530915216214);
        // The seed is part of the text hashed.
        assert_ne!(position(1, "a"), position(0, "a"));
    }

    #[test]
    fn thresholds_are_exact_integers() {
        // int(fractions.Fraction(0.8) * 2**64), and of 0.8 + 0.1 (== 0.9 in f64).
        assert_eq!(thresholds(&[0.8, 0.1, 0.1]), [14757395258967642112, 16602069666338596864, TWO_POW_64]);
        // 0.7 + 0.2 is 0.8999999999999999 in f64: a different threshold, which
        // is why the record of a split carries the integers.
        assert_eq!(thresholds(&[0.7, 0.2, 0.1]), [12912720851596685312, 16602069666338594816, TWO_POW_64]);
        assert_eq!(thresholds(&[0.5, 0.5]), [1 << 63, TWO_POW_64]);
        assert_eq!(thresholds(&[1.0]), [TWO_POW_64]);
        // Rounding past 1 before the last split still stays within 2^64.
        assert_eq!(scaled_floor(1.0 + f64::EPSILON), TWO_POW_64);
        assert_eq!(scaled_floor(0.0), 0);
        assert_eq!(scaled_floor(f64::from_bits(1)), 0);
    }

    #[test]
    fn a_position_at_a_threshold_goes_to_the_next_split() {
        let t = thresholds(&[0.5, 0.25, 0.25]);
        let (half, three_quarters) = (1u64 << 63, 3u64 << 62);
        assert_eq!(t, [half as u128, three_quarters as u128, TWO_POW_64]);
        assert_eq!(split_of(0, &t), 0);
        assert_eq!(split_of(half - 1, &t), 0);
        assert_eq!(split_of(half, &t), 1);
        assert_eq!(split_of(three_quarters - 1, &t), 1);
        assert_eq!(split_of(three_quarters, &t), 2);
        assert_eq!(split_of(u64::MAX, &t), 2);
        assert_eq!(split_of(u64::MAX, &[TWO_POW_64]), 0);
    }

    #[test]
    fn cells_floor_negative_coordinates() {
        // x = -0.5 is in cell -1 (truncation would say 0); y = 0.5 in cell 0.
        assert_eq!(cell_key(&[-1.0, 0.0, 0.0, 1.0], 1.0), "-1_0");
        // y = -2.55, and -2.55 / 0.1 = -25.499999999999996 in f64 (as in SQL or Python).
        assert_eq!(cell_key(&[-10.25, -3.0, -10.0, -2.1], 0.1), "-102_-26");
        assert_eq!(cell_key(&[-10.25, -3.0, -10.0, -2.0], 0.1), "-102_-25");
        assert_eq!(cell_key(&[2.0, 4.0, 4.0, 6.0], 1.0), "3_5");
        // A centre on a cell edge belongs to the cell above it.
        assert_eq!(cell_key(&[0.0, -2.0, 2.0, 0.0], 1.0), "1_-1");
    }

    fn label<'a>(id: &'a str, bbox: Option<&'a Bbox>, value: Option<&'a str>) -> KeyItem<'a> {
        KeyItem { id, label: true, bbox, value }
    }

    #[test]
    fn joined_label_items_share_the_smallest_id_s_key() {
        let (near, far): (Bbox, Bbox) = ([0.0, 0.0, 1.0, 1.0], [10.0, 10.0, 11.0, 11.0]);
        let source = KeyItem { id: "A-source", label: false, bbox: Some(&near), value: Some("s") };
        let unit =
            [label("b", Some(&far), Some("x")), source, label("a", None, Some("1")), label("B", Some(&near), None)];
        let mut reversed = unit;
        reversed.reverse();
        for items in [unit, reversed] {
            // "B" < "a" < "b" in byte order; the source item never keys a unit with labels.
            assert_eq!(unit_key(items, KeyKind::Id), Some(("B".into(), false)));
            assert_eq!(unit_key(items, KeyKind::Cell(1.0)), Some(("0_0".into(), false)));
            // The key item lacks the property: its id, and it says so.
            assert_eq!(unit_key(items, KeyKind::Property("field")), Some(("B".into(), true)));
        }
        assert_eq!(unit_key(unit[1..3].iter().copied(), KeyKind::Property("field")), Some(("1".into(), false)));
        assert_eq!(unit_key(unit[1..3].iter().copied(), KeyKind::Cell(1.0)), Some(("a".into(), true)));
        // Without label items, the smallest id keys the unit.
        let plain = |id| KeyItem { id, label: false, bbox: None, value: None };
        assert_eq!(unit_key([plain("z"), plain("y")], KeyKind::Id), Some(("y".into(), false)));
        assert_eq!(unit_key([], KeyKind::Id), None);
    }

    #[test]
    fn property_values_key_as_text() {
        use serde_json::json;
        assert_eq!(value_key(&json!("north")).as_deref(), Some("north"));
        assert_eq!(value_key(&json!(12)).as_deref(), Some("12"));
        assert_eq!(value_key(&json!(true)).as_deref(), Some("true"));
        assert_eq!(value_key(&json!(["a", 1])).as_deref(), Some(r#"["a",1]"#));
        assert_eq!(value_key(&json!(null)), None);
        let number: Value = serde_json::from_str("1.50").unwrap();
        assert_eq!(value_key(&number).as_deref(), Some("1.50"), "as written in the item");
    }
}
