//! A primary's clock as an interval, not a point (beyond the patent, as NTP's error bound and
//! Spanner's TrueTime do): each primary estimates the reference time (the clock master's) and
//! knows how far off that estimate can be. The bound is the half round trip of its best sample
//! (the answer left the master somewhere inside the round trip), plus what the master itself may
//! be off (a master that took over after a failover carries its own bound, NTP's root
//! dispersion), plus the drift bound times the time since the sample, plus the steps the clock
//! may take unseen (`max_step`). The best sample is the one whose bound, carried forward to now,
//! is smallest: a sample taken in a quiet moment stays better than any taken during a latency
//! spike until drift has eaten the difference, so no delay pattern on the LAN can widen the
//! bound beyond what drift allows, only fail to narrow it.
//!
//! The protocol never sets its hardware clock: it keeps the offset to the reference, so a noisy
//! setting cannot add an error the bound does not know.

/// One clock's estimate of the reference time and its error bound, in local nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClockBound {
    /// Reference time minus local time, as of the best sample.
    offset: i128,
    /// The bound at `at`.
    err: u64,
    /// Local time of the best sample.
    at: u64,
    /// How fast the bound grows: parts per billion of local time (both clocks' drift).
    drift_ppb: u64,
    /// Steps the clock may take that no sample has seen yet.
    max_step: u64,
}

impl ClockBound {
    /// A clock that starts within `initial` of the reference at local time zero (the reference
    /// clock itself has `initial` 0), drifting at most `drift_ppb` relative to it and stepping at
    /// most `max_step` in all.
    pub fn new(initial: u64, drift_ppb: u64, max_step: u64) -> Self {
        ClockBound {
            offset: 0,
            err: initial.saturating_add(max_step),
            at: 0,
            drift_ppb,
            max_step,
        }
    }

    /// The reference clock itself (the first clock master's): its own time is the reference
    /// time, exact however long it runs, but for the steps it may take (`max_step`). Drift is
    /// relative to it, so it has none; a bound that grew with its running time made every host
    /// write of an hours-long run wait for the master's imagined error (40 ppm of the time
    /// since the start: 218 ms after 93 minutes). It never takes a sample: none can beat it.
    pub fn reference(max_step: u64) -> Self {
        ClockBound::new(0, 0, max_step)
    }

    /// The bound carried from `at` to local time `local` (backwards too: drift works both ways).
    pub fn error(&self, local: u64) -> u64 {
        let span = u128::from(local.abs_diff(self.at));
        let grown = (span * u128::from(self.drift_ppb)).div_ceil(1_000_000_000);
        self.err
            .saturating_add(u64::try_from(grown).unwrap_or(u64::MAX))
    }

    /// The estimate of the reference time at local time `local`.
    pub fn estimate(&self, local: u64) -> u64 {
        (i128::from(local) + self.offset).clamp(0, i128::from(u64::MAX)) as u64
    }

    /// The latest the reference time can be at local time `local`.
    pub fn latest(&self, local: u64) -> u64 {
        self.estimate(local).saturating_add(self.error(local))
    }

    /// The earliest the reference time can be at local time `local`.
    pub fn earliest(&self, local: u64) -> u64 {
        self.estimate(local).saturating_sub(self.error(local))
    }

    /// Takes the answer to a probe sent at local `t0` and received at local `t1`: the master's
    /// estimate `t` and its own bound `master_err`. Keeps it if its bound at `t1` beats the best
    /// sample's carried forward; returns true if it did.
    pub fn sample(&mut self, t0: u64, t1: u64, t: u64, master_err: u64) -> bool {
        let Some(rtt) = t1.checked_sub(t0) else {
            return false;
        };
        let half = rtt.div_ceil(2);
        // The round trip itself is measured by a drifting clock.
        let drift = (u128::from(rtt) * u128::from(self.drift_ppb)).div_ceil(1_000_000_000);
        let err = half
            .saturating_add(u64::try_from(drift).unwrap_or(u64::MAX))
            .saturating_add(master_err)
            .saturating_add(self.max_step);
        if err >= self.error(t1) {
            return false;
        }
        self.offset = i128::from(t) + i128::from(rtt / 2) - i128::from(t1);
        self.err = err;
        self.at = t1;
        true
    }

    /// Local nanoseconds until `earliest` reaches `target` (0 if it already has): the bound grows
    /// while the estimate advances, so the gap closes at 1 - drift per nanosecond.
    pub fn wait_until(&self, local: u64, target: u64) -> u64 {
        let gap = target.saturating_sub(self.earliest(local));
        if gap == 0 {
            return 0;
        }
        let rate = 1_000_000_000u128
            .saturating_sub(u128::from(self.drift_ppb))
            .max(1);
        let d = (u128::from(gap) * 1_000_000_000).div_ceil(rate);
        u64::try_from(d).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_clock_is_exact_up_to_its_steps() {
        let c = ClockBound::reference(0);
        assert_eq!((c.earliest(500), c.latest(500)), (500, 500));
        let s = ClockBound::reference(30);
        assert_eq!((s.earliest(500), s.latest(500)), (470, 530));
        let hours = 10 * 3_600 * 1_000_000_000;
        assert_eq!(
            s.error(hours),
            30,
            "time alone never widens the reference's bound"
        );
        let mut r = ClockBound::reference(30);
        assert!(
            !r.sample(hours, hours + 10, hours + 5, 0),
            "no sample beats it"
        );
    }

    #[test]
    fn a_sample_bounds_the_clock_by_half_its_round_trip_and_drift_widens_it() {
        let mut c = ClockBound::new(1_000_000, 100_000, 0);
        assert!(c.sample(1000, 1200, 5000, 0));
        assert_eq!(c.estimate(1200), 5100);
        assert_eq!(c.error(1200), 101);
        assert_eq!(c.error(1_001_200), 101 + 100);
    }

    #[test]
    fn a_worse_sample_does_not_replace_a_better_one() {
        let mut c = ClockBound::new(1_000_000, 0, 0);
        assert!(c.sample(0, 100, 1000, 0));
        assert!(!c.sample(200, 4200, 9999, 0), "a 4 us round trip is worse");
        assert_eq!(c.estimate(4200), 5150);
        assert!(c.sample(5000, 5010, 6000, 0));
        assert_eq!(c.error(5010), 5);
    }

    #[test]
    fn the_masters_own_bound_adds_up() {
        let mut c = ClockBound::new(u64::MAX / 4, 0, 7);
        assert!(c.sample(0, 100, 1000, 40));
        assert_eq!(c.error(100), 50 + 40 + 7);
    }

    #[test]
    fn the_wait_closes_the_gap_even_as_the_bound_grows() {
        let c = ClockBound::new(10, 200_000, 0);
        let d = c.wait_until(1000, 1100);
        assert!(c.earliest(1000 + d) >= 1100);
        assert!(d < 120, "no more than the gap and its drift: {d}");
        assert_eq!(c.wait_until(1000, 900), 0);
    }

    #[test]
    fn whatever_the_delays_the_bound_holds() {
        // A follower 3 us ahead of the reference, answers delayed asymmetrically.
        let skew = 3000u64;
        let mut c = ClockBound::new(10_000, 0, 0);
        for (out, back) in [(10u64, 5000u64), (4000, 20), (1, 1), (900, 3)] {
            let t0 = 100_000 + skew;
            let t_ref = 100_000 + out;
            let t1 = t_ref + back + skew;
            c.sample(t0, t1, t_ref, 0);
            let real = t1 - skew;
            assert!(
                c.earliest(t1) <= real && real <= c.latest(t1),
                "{out}/{back}"
            );
        }
    }
}
