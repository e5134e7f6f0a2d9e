//! The prefix sums of an empirical distribution's weights, computed once so that a sample costs
//! a binary search (O(log n)) instead of a walk over every value.
//!
//! The sums are accumulated left to right in f64, exactly as a walk would, and the search finds
//! the first value whose running sum exceeds the target, so a sample is the very value the walk
//! would return: IEEE additions in a fixed order give the same bits on every machine, and trace
//! hashes do not change.

/// Running sums of the weights, or nothing when the weights are unusable (then values are drawn
/// uniformly). Derived from the weights, so it never makes two distributions differ.
#[derive(Clone, Debug, Default)]
pub struct Cumulative {
    /// `prefix[i]` = weights[0] + ... + weights[i], summed in order; empty when unusable.
    prefix: Vec<f64>,
    /// The index of the last positive weight: what rounding past the total falls back to.
    last_positive: usize,
}

impl PartialEq for Cumulative {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Cumulative {
    /// The sums of `weights` when they are usable for `len` values (one finite, non-negative
    /// weight per value with a positive finite total); empty otherwise.
    pub fn new(len: usize, weights: &[f64]) -> Self {
        if weights.len() != len || !weights.iter().all(|w| w.is_finite() && *w >= 0.0) {
            return Cumulative::default();
        }
        let mut acc = 0.0;
        let prefix: Vec<f64> = weights
            .iter()
            .map(|w| {
                acc += w;
                acc
            })
            .collect();
        if !(acc > 0.0 && acc.is_finite()) {
            return Cumulative::default();
        }
        Cumulative {
            prefix,
            last_positive: weights.iter().rposition(|&w| w > 0.0).unwrap_or(0),
        }
    }

    /// The total weight, if the weights are usable.
    pub fn total(&self) -> Option<f64> {
        self.prefix.last().copied()
    }

    /// The index drawn for `target` in `[0, total)`: the first whose running sum exceeds it
    /// (the last positive weight if rounding put `target` at the total).
    pub fn index(&self, target: f64) -> usize {
        let i = self.prefix.partition_point(|&c| c <= target);
        if i < self.prefix.len() {
            i
        } else {
            self.last_positive
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The walk the table replaces.
    fn walk(weights: &[f64], target: f64) -> usize {
        let mut acc = 0.0;
        for (i, w) in weights.iter().enumerate() {
            acc += w;
            if target < acc {
                return i;
            }
        }
        weights.iter().rposition(|&w| w > 0.0).unwrap()
    }

    #[test]
    fn the_search_draws_what_the_walk_drew() {
        let weights = [0.0, 0.1, 0.2, 0.0, 0.3, 1e-17, 0.4, 0.0];
        let c = Cumulative::new(weights.len(), &weights);
        let total = c.total().expect("usable");
        for k in 0..=10_000 {
            let target = total * f64::from(k) / 10_000.0;
            assert_eq!(c.index(target), walk(&weights, target), "{target}");
        }
    }

    #[test]
    fn unusable_weights_have_no_total() {
        assert_eq!(Cumulative::new(2, &[1.0]).total(), None);
        assert_eq!(Cumulative::new(2, &[0.0, 0.0]).total(), None);
        assert_eq!(Cumulative::new(1, &[f64::NAN]).total(), None);
        assert_eq!(Cumulative::new(2, &[1.0, 3.0]).total(), Some(4.0));
    }
}
