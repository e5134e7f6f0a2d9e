//! Data exposure over time, and percentiles weighted by time rather than by sample.
//!
//! A secondary image's data exposure at time `t` is `t` minus the completion time of the oldest
//! write the image hosts could read lacks (0 when it lacks none): what a disaster at `t` would
//! lose. Between events it either holds at 0 or grows by one nanosecond per nanosecond, so over a
//! run it is a sequence of flat stretches and unit-slope ramps. [`TimeWeighted`] keeps the exact
//! time spent below any value in O(1) per stretch (no sampling), and [`ExposureClock`] follows the
//! checker event by event to feed it: the p99 it gives is the exposure the image exceeded 1% of
//! the run, which is what a chart of exposure over time shows. The secondary lag (the age of the
//! earliest-stored write no secondary volume has caught up with,
//! [`Checker::oldest_unshown_store`]) is such an age too, followed by a plain [`AgeClock`].

use super::checker::Checker;
use super::latency::Percentiles;

/// Sub-buckets per power of two: values are told apart to within 1/128 (0.8%).
const SUB_BITS: u32 = 7;
const SUB: u64 = 1 << SUB_BITS;

/// The bucket holding `v`: exact below [`SUB`], then [`SUB`] buckets per power of two.
fn bucket_of(v: u64) -> usize {
    if v < SUB {
        return v as usize;
    }
    let shift = 63 - v.leading_zeros() - SUB_BITS;
    let m = v >> shift;
    (SUB + u64::from(shift) * SUB + (m - SUB)) as usize
}

/// The smallest value in bucket `b` (saturating at the top of the range).
fn bucket_floor(b: usize) -> u128 {
    let b = b as u128;
    let sub = u128::from(SUB);
    if b < sub {
        return b;
    }
    let shift = (b - sub) / sub;
    let m = sub + (b - sub) % sub;
    m << shift
}

/// Per bucket: the net count and sum of ramp starts minus ramp ends, and the time held flat there.
#[derive(Clone, Copy, Debug, Default)]
struct Cell {
    ramps: i64,
    sum: i128,
    flat: u128,
}

/// The time-weighted distribution of a quantity made of flat stretches and unit-slope ramps.
///
/// The time spent below `x` is `F(x) = Σ_ramps (r(x − start) − r(x − end)) + Σ_flat [v < x]·d`
/// with `r(y) = max(y, 0)`, i.e. `x·C(x) − S(x) + A(x)` where `C` and `S` count and sum the
/// ramps' starts minus their ends below `x`, and `A` sums the flat time below `x`. Kept per bucket,
/// `F` is exact at every bucket boundary and linear in between, so a quantile is exact to within
/// its bucket (0.8%).
#[derive(Clone, Debug, Default)]
pub struct TimeWeighted {
    cells: Vec<Cell>,
    total_ns: u128,
    max: u64,
}

impl TimeWeighted {
    /// An empty distribution.
    pub fn new() -> Self {
        Self::default()
    }

    fn cell(&mut self, v: u64) -> &mut Cell {
        let b = bucket_of(v);
        if self.cells.len() <= b {
            self.cells.resize(b + 1, Cell::default());
        }
        &mut self.cells[b]
    }

    /// The quantity held at `v` for `ns` nanoseconds.
    pub fn flat(&mut self, v: u64, ns: u64) {
        if ns == 0 {
            return;
        }
        self.cell(v).flat += u128::from(ns);
        self.total_ns += u128::from(ns);
        self.max = self.max.max(v);
    }

    /// The quantity grew from `from` at one per nanosecond for `to - from` nanoseconds.
    pub fn ramp(&mut self, from: u64, to: u64) {
        if to <= from {
            return;
        }
        let start = self.cell(from);
        start.ramps += 1;
        start.sum += i128::from(from);
        let end = self.cell(to);
        end.ramps -= 1;
        end.sum -= i128::from(to);
        self.total_ns += u128::from(to - from);
        // Integer time: the last nanosecond of the ramp holds `to - 1`.
        self.max = self.max.max(to - 1);
    }

    /// Nanoseconds recorded.
    pub fn total_ns(&self) -> u128 {
        self.total_ns
    }

    /// The smallest value the quantity stayed at or below for a share `q` in [0, 1] of the time,
    /// or 0 with nothing recorded.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total_ns == 0 {
            return 0;
        }
        let target = q.clamp(0.0, 1.0) * self.total_ns as f64;
        let (mut count, mut sum, mut flat) = (0i128, 0i128, 0u128);
        let mut prev = (0.0f64, 0.0f64);
        for (b, c) in self.cells.iter().enumerate() {
            count += i128::from(c.ramps);
            sum += c.sum;
            flat += c.flat;
            let x = bucket_floor(b + 1);
            let below = x as i128 * count - sum + flat as i128;
            let here = (x as f64, below as f64);
            if here.1 > 0.0 && here.1 >= target {
                let (x0, f0) = prev;
                let v = if here.1 > f0 {
                    x0 + (here.0 - x0) * ((target - f0) / (here.1 - f0)).clamp(0.0, 1.0)
                } else {
                    x0
                };
                // Within the bucket's own values.
                let (lo, hi) = (bucket_floor(b) as f64, bucket_floor(b + 1) as f64 - 1.0);
                return (v.floor().clamp(lo, hi) as u64).min(self.max);
            }
            prev = here;
        }
        self.max
    }

    /// p50, p99 and the largest value.
    pub fn percentiles(&self) -> Percentiles {
        Percentiles {
            p50: self.quantile(0.5),
            p99: self.quantile(0.99),
            max: self.max,
        }
    }

    /// p50, p99 and the largest value, or `None` when no time was followed (a disaster at
    /// 0 ns): a zero-length window measures nothing, and the result JSON writes it as nulls.
    pub fn measured(&self) -> Option<Percentiles> {
        (self.total_ns > 0).then(|| self.percentiles())
    }
}

/// Exactly how long a quantity made of flat stretches and unit-slope ramps (the data exposure)
/// stayed at or below a target: integer nanoseconds, no sampling, O(1) per stretch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct WithinTarget {
    /// The target, ns.
    pub target_ns: u64,
    /// Nanoseconds the quantity was at or below it.
    pub within_ns: u64,
    /// Nanoseconds followed.
    pub total_ns: u64,
}

impl WithinTarget {
    /// Nothing followed yet, against `target_ns`.
    pub fn new(target_ns: u64) -> Self {
        WithinTarget {
            target_ns,
            ..Self::default()
        }
    }

    /// The quantity held at `v` for `ns` nanoseconds.
    pub fn flat(&mut self, v: u64, ns: u64) {
        self.total_ns += ns;
        if v <= self.target_ns {
            self.within_ns += ns;
        }
    }

    /// The quantity took the values `from`, `from + 1`, ... `to - 1`, one nanosecond each.
    pub fn ramp(&mut self, from: u64, to: u64) {
        let len = to.saturating_sub(from);
        self.total_ns += len;
        let at_or_below = self
            .target_ns
            .saturating_add(1)
            .saturating_sub(from)
            .min(len);
        self.within_ns += at_or_below;
    }

    /// The share of the time followed within target, in [0, 1], or `None` with nothing
    /// followed (a disaster at 0 ns): a share of no time is not 100%.
    pub fn fraction(&self) -> Option<f64> {
        (self.total_ns > 0).then(|| self.within_ns as f64 / self.total_ns as f64)
    }
}

/// Follows an age (time since a reference instant, or 0 with no reference) between events into
/// a [`TimeWeighted`] distribution: the common part of the exposure and the lag clocks.
#[derive(Clone, Debug, Default)]
pub struct AgeClock {
    dist: TimeWeighted,
    /// Start of the stretch being followed.
    since: u64,
    /// The instant the age is measured from over that stretch, if any.
    reference: Option<u64>,
    /// Set once the stretch has been closed for good (at the disaster or the run's end).
    stopped: bool,
    /// The time spent within a target, when one was asked for.
    within: Option<WithinTarget>,
}

impl AgeClock {
    /// Also counts exactly the time the age stays at or below `target_ns` (from the start: call
    /// before the first event).
    pub fn count_within(&mut self, target_ns: u64) {
        self.within = Some(WithinTarget::new(target_ns));
    }

    /// The time counted within the target, if one was asked for.
    pub fn within(&self) -> Option<WithinTarget> {
        self.within
    }

    /// From `now` on, the age is measured from `reference` (0 with none).
    pub fn follow(&mut self, now: u64, reference: Option<u64>) {
        if self.stopped || reference == self.reference {
            return;
        }
        self.close(now);
        self.reference = reference;
    }

    fn close(&mut self, now: u64) {
        if now <= self.since {
            return;
        }
        match self.reference {
            None => {
                self.dist.flat(0, now - self.since);
                if let Some(w) = self.within.as_mut() {
                    w.flat(0, now - self.since);
                }
            }
            Some(c) => {
                let (from, to) = (self.since.saturating_sub(c), now.saturating_sub(c));
                self.dist.ramp(from, to);
                if let Some(w) = self.within.as_mut() {
                    w.ramp(from, to);
                }
            }
        }
        self.since = now;
    }

    /// The age at `t` (at or after the last call to [`AgeClock::follow`]).
    pub fn value_at(&self, t: u64) -> u64 {
        self.reference.map_or(0, |c| t.saturating_sub(c))
    }

    /// Ends the measurement at `at` (the disaster, or the end of the run): later calls change
    /// nothing, and [`AgeClock::value_at`] keeps giving the age at `at`.
    pub fn stop(&mut self, at: u64) {
        if self.stopped {
            return;
        }
        self.close(at);
        self.stopped = true;
    }

    /// Whether the measurement has ended.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// The time-weighted distribution so far.
    pub fn distribution(&self) -> &TimeWeighted {
        &self.dist
    }
}

/// Follows the data exposure of the image hosts could read, event by event, into a
/// [`TimeWeighted`] distribution. While hosts may read the image, it lacks what the checker says
/// it lacks; while the image is closed (an update in progress), hosts would still get the last
/// open image, which lacks what it lacked then and whatever completed since and is not yet shown.
#[derive(Clone, Debug, Default)]
pub struct ExposureClock {
    age: AgeClock,
    /// What the image lacked the last time it was open.
    last_open: Option<u64>,
    /// The checker's change count at the last call: while it stands still, so does the
    /// exposure's reference, and the call has nothing to do.
    seen: Option<u64>,
}

impl ExposureClock {
    /// A clock at time 0 with nothing missing.
    pub fn new() -> Self {
        Self::default()
    }

    /// The state of `checker` holds from `now` on (call after each event, with the event's
    /// time: the state it left holds until the next).
    pub fn after(&mut self, now: u64, checker: &Checker) {
        if self.age.is_stopped() || self.seen == Some(checker.changes()) {
            return;
        }
        self.seen = Some(checker.changes());
        let lacks = checker.oldest_missing_completion();
        let reference = if checker.is_open() {
            self.last_open = lacks;
            lacks
        } else {
            match (self.last_open, lacks) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        };
        self.age.follow(now, reference);
    }

    /// The exposure so far: its value, its distribution, whether it has stopped.
    pub fn age(&self) -> &AgeClock {
        &self.age
    }

    /// Also counts the time the exposure stays within the RPO target `target_ns` (see
    /// [`AgeClock::count_within`]).
    pub fn count_within(&mut self, target_ns: u64) {
        self.age.count_within(target_ns);
    }

    /// Ends the measurement at `at` (see [`AgeClock::stop`]).
    pub fn stop(&mut self, at: u64) {
        self.age.stop(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The value at every nanosecond, sorted: the brute-force time-weighted distribution.
    fn brute(pieces: &[(bool, u64, u64)]) -> Vec<u64> {
        let mut all = Vec::new();
        for &(ramp, v, d) in pieces {
            for i in 0..d {
                all.push(if ramp { v + i } else { v });
            }
        }
        all.sort_unstable();
        all
    }

    fn brute_quantile(sorted: &[u64], q: f64) -> u64 {
        let k = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[k - 1]
    }

    #[test]
    fn buckets_are_ordered_and_invertible() {
        let mut prev = 0;
        for v in (0..5000u64).chain([1 << 20, (1 << 20) + 12345, u64::MAX / 3, u64::MAX]) {
            let b = bucket_of(v);
            assert!(b >= prev || v > 5000, "{v}");
            prev = b;
            assert!(bucket_floor(b) <= u128::from(v), "{v}");
            assert!(bucket_floor(b + 1) > u128::from(v), "{v}");
        }
    }

    #[test]
    fn matches_a_brute_force_percentile() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for case in 0..40 {
            let mut tw = TimeWeighted::new();
            let mut pieces = Vec::new();
            for _ in 0..rng.random_range(1..30) {
                let ramp = rng.random_bool(0.7);
                let v = rng.random_range(0..50_000u64);
                let d = rng.random_range(0..20_000u64);
                if ramp {
                    tw.ramp(v, v + d);
                } else {
                    tw.flat(v, d);
                }
                pieces.push((ramp, v, d));
            }
            let sorted = brute(&pieces);
            if sorted.is_empty() {
                assert_eq!(tw.quantile(0.99), 0);
                continue;
            }
            assert_eq!(tw.total_ns(), sorted.len() as u128);
            for q in [0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0] {
                let want = brute_quantile(&sorted, q);
                let got = tw.quantile(q);
                let tol = want / 100 + 2;
                assert!(
                    got.abs_diff(want) <= tol,
                    "case {case} q {q}: got {got}, brute force {want}"
                );
            }
            assert_eq!(tw.percentiles().max, *sorted.last().expect("non-empty"));
        }
    }

    #[test]
    fn a_rare_long_exposure_shows_in_the_p99() {
        // Exposure 0 for 97 ms, then a 3 ms ramp: 3% of the time above 0.
        let mut tw = TimeWeighted::new();
        tw.flat(0, 97_000_000);
        tw.ramp(0, 3_000_000);
        let p = tw.percentiles();
        assert_eq!(p.p50, 0);
        assert!((1_950_000..=2_050_000).contains(&p.p99), "{p:?}");
        assert_eq!(p.max, 2_999_999);
    }

    #[test]
    fn empty_is_zero() {
        assert_eq!(TimeWeighted::new().percentiles(), Percentiles::default());
        assert_eq!(TimeWeighted::new().measured(), None);
    }

    #[test]
    fn time_within_target_matches_a_brute_force_sum() {
        let mut seed = 12345u64;
        let mut next = |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        for _ in 0..50 {
            let target = next(3_000);
            let mut w = WithinTarget::new(target);
            let (mut within, mut total) = (0u64, 0u64);
            for _ in 0..next(20) {
                let (v, d) = (next(4_000), next(3_000));
                if next(2) == 0 {
                    w.flat(v, d);
                    within += if v <= target { d } else { 0 };
                } else {
                    w.ramp(v, v + d);
                    within += (v..v + d).filter(|x| *x <= target).count() as u64;
                }
                total += d;
            }
            assert_eq!((w.within_ns, w.total_ns), (within, total));
        }
    }
}
