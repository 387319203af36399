//! Splitting N VMs over several devices (pure): contiguous ranges in device order, sized in
//! proportion to each device's weight (its capacity), never more than a device's memory holds.
//! Deterministic: the same counts, weights and limits always give the same split.

use std::ops::Range;

/// VM counts per device: `n * weight / total` rounded down, the VMs left over going one each to
/// the largest remainders (ties to the earlier device). A device whose share exceeds its limit
/// gets its limit and the rest is split again among the others. `None` when the limits together
/// hold fewer than `n` VMs. All weights 0 count as equal weights.
pub fn split(n: u64, weights: &[u64], limits: &[u64]) -> Option<Vec<u64>> {
    assert_eq!(weights.len(), limits.len());
    let equal = weights.iter().all(|&w| w == 0);
    let weight = |i: usize| if equal { 1 } else { weights[i] as u128 };
    let mut counts = vec![0u64; weights.len()];
    let mut open: Vec<usize> = (0..weights.len()).filter(|&i| weight(i) > 0 && limits[i] > 0).collect();
    let mut left = n;
    while left > 0 {
        if open.is_empty() {
            return None;
        }
        let total: u128 = open.iter().map(|&i| weight(i)).sum();
        let mut share: Vec<(usize, u64, u128)> = open
            .iter()
            .map(|&i| {
                let exact = left as u128 * weight(i);
                (i, (exact / total) as u64, exact % total)
            })
            .collect();
        let mut spare = left - share.iter().map(|s| s.1).sum::<u64>();
        let mut by_remainder: Vec<usize> = (0..share.len()).collect();
        by_remainder.sort_by(|&a, &b| share[b].2.cmp(&share[a].2).then(a.cmp(&b)));
        for k in by_remainder {
            if spare == 0 {
                break;
            }
            share[k].1 += 1;
            spare -= 1;
        }
        let over: Vec<usize> = share.iter().filter(|&&(i, c, _)| counts[i] + c > limits[i]).map(|s| s.0).collect();
        if over.is_empty() {
            for (i, c, _) in share {
                counts[i] += c;
            }
            break;
        }
        for i in over {
            left -= limits[i] - counts[i];
            counts[i] = limits[i];
            open.retain(|&j| j != i);
        }
    }
    Some(counts)
}

/// Consecutive ranges of VM indices with the given sizes, in device order.
pub fn ranges(counts: &[u64]) -> Vec<Range<usize>> {
    let mut at = 0usize;
    counts
        .iter()
        .map(|&c| {
            let r = at..at + c as usize;
            at = r.end;
            r
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: u64 = u64::MAX;

    #[test]
    fn proportional_and_exact() {
        assert_eq!(split(100_000, &[1, 1, 1, 1], &[NONE; 4]), Some(vec![25_000; 4]));
        assert_eq!(split(10, &[3, 1], &[NONE; 2]), Some(vec![8, 2]), "7.5 and 2.5: the tie goes to the first");
        assert_eq!(split(7, &[1, 1, 1], &[NONE; 3]), Some(vec![3, 2, 2]));
        assert_eq!(split(1, &[1, 1, 1], &[NONE; 3]), Some(vec![1, 0, 0]));
        assert_eq!(split(0, &[1, 1], &[NONE; 2]), Some(vec![0, 0]));
        // 132 SMs at 1980 MHz against 114 at 1755 MHz.
        let c = split(100_000, &[132 * 1980, 114 * 1755], &[NONE; 2]).unwrap();
        assert_eq!(c.iter().sum::<u64>(), 100_000);
        assert_eq!(c, vec![56_641, 43_359], "261360 : 200070");
    }

    #[test]
    fn sums_to_n_for_many_shapes() {
        for n in [1u64, 2, 3, 17, 1000, 99_999, 1 << 20] {
            for weights in [vec![5u64], vec![1, 2, 3], vec![7, 7, 7, 7, 7, 7, 7, 7], vec![0, 3, 0, 1]] {
                let c = split(n, &weights, &vec![NONE; weights.len()]).unwrap();
                assert_eq!(c.iter().sum::<u64>(), n, "{n} over {weights:?}");
                for (i, &w) in weights.iter().enumerate() {
                    if w == 0 {
                        assert_eq!(c[i], 0, "zero weight gets nothing while others have weight");
                    }
                }
                assert_eq!(Some(c), split(n, &weights, &vec![NONE; weights.len()]), "deterministic");
            }
        }
    }

    #[test]
    fn limits_move_the_excess_to_the_others() {
        assert_eq!(split(100, &[1, 1, 1, 1], &[10, NONE, NONE, NONE]), Some(vec![10, 30, 30, 30]));
        assert_eq!(split(100, &[1, 1, 1], &[10, 20, NONE]), Some(vec![10, 20, 70]));
        assert_eq!(split(100, &[1, 1], &[50, 50]), Some(vec![50, 50]));
        assert_eq!(split(101, &[1, 1], &[50, 50]), None, "does not fit");
        assert_eq!(split(5, &[1, 1], &[0, NONE]), Some(vec![0, 5]), "a device that holds nothing");
    }

    #[test]
    fn all_zero_weights_split_evenly() {
        assert_eq!(split(9, &[0, 0, 0], &[NONE; 3]), Some(vec![3, 3, 3]));
    }

    #[test]
    fn ranges_are_consecutive() {
        assert_eq!(ranges(&[3, 0, 2]), vec![0..3, 3..3, 3..5]);
    }
}
