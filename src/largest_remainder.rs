//! Largest-remainder rounding: whole shares that sum exactly to a total.
//!
//! Split targets (items per split) and class percentages (hundredths per
//! class) both round quotas this way, so neither drops nor invents a unit.

use std::cmp::Ordering;

/// Completes `floors` (the quotas rounded down) to sum to `total`: the units
/// left over go one each to the largest `remainders` (compared with
/// `compare`), the earlier index first on ties, cycling again if more units
/// are left than there are shares.
///
/// The caller computes the remainders in its own arithmetic (exact integers
/// for percentages, floating point for split quotas), so this function never
/// changes how a quota rounds.
pub fn complete<R>(
    mut floors: Vec<u64>,
    total: u64,
    remainders: &[R],
    compare: impl Fn(&R, &R) -> Ordering,
) -> Vec<u64> {
    debug_assert_eq!(floors.len(), remainders.len());
    let mut left = total - floors.iter().sum::<u64>().min(total);
    if floors.is_empty() {
        return floors;
    }
    let mut order: Vec<usize> = (0..floors.len()).collect();
    // Largest remainder first; `sort_by` is stable, so ties keep index order.
    order.sort_by(|&a, &b| compare(&remainders[b], &remainders[a]));
    for &k in order.iter().cycle() {
        if left == 0 {
            break;
        }
        floors[k] += 1;
        left -= 1;
    }
    floors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(counts: &[u64], total: u64) -> Vec<u64> {
        let sum: u64 = counts.iter().sum();
        let floors = counts.iter().map(|c| c * total / sum).collect();
        let remainders: Vec<u64> = counts.iter().map(|c| c * total % sum).collect();
        complete(floors, total, &remainders, Ord::cmp)
    }

    #[test]
    fn sums_exactly() {
        for counts in [vec![1u64, 1, 1], vec![7, 9, 9, 5, 9], vec![1, 2, 3, 4, 5, 6, 7], vec![1_000_000, 1]] {
            for total in [1, 7, 100, 10_000] {
                assert_eq!(exact(&counts, total).iter().sum::<u64>(), total, "{counts:?} to {total}");
            }
        }
    }

    #[test]
    fn ties_go_to_the_earlier_share() {
        assert_eq!(exact(&[1, 1, 1], 10_000), vec![3334, 3333, 3333]);
        assert_eq!(exact(&[1, 1, 1], 2), vec![1, 1, 0]);
        let floats = [0.5, 0.25, 0.5];
        assert_eq!(complete(vec![0, 0, 0], 1, &floats, f64::total_cmp), vec![1, 0, 0]);
        assert_eq!(complete(vec![0, 0, 0], 2, &floats, f64::total_cmp), vec![1, 0, 1]);
    }

    #[test]
    fn more_units_than_shares_cycle() {
        assert_eq!(complete(vec![0, 0], 5, &[0u8, 1], Ord::cmp), vec![2, 3]);
        assert_eq!(complete(Vec::new(), 3, &[] as &[u8], Ord::cmp), Vec::<u64>::new());
    }
}
