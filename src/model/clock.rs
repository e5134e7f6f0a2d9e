//! A subsystem's clock: it runs fast or slow by a drift in parts per billion and can be set, as
//! clock synchronisation does. All integer arithmetic, so every machine agrees to the nanosecond.

/// A drifting local clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    /// Local time at `anchor`.
    base: i128,
    /// Real time of the last setting.
    anchor: u64,
    /// Rate error, parts per billion (positive runs fast).
    drift_ppb: i64,
}

const BILLION: i128 = 1_000_000_000;

impl Clock {
    /// A clock that reads real time at zero and drifts by `drift_ppb`.
    pub fn new(drift_ppb: i64) -> Self {
        Clock {
            base: 0,
            anchor: 0,
            drift_ppb,
        }
    }

    /// The local reading at real time `real` (never negative).
    pub fn local(&self, real: u64) -> u64 {
        let elapsed = i128::from(real) - i128::from(self.anchor);
        let v = self.base + elapsed + elapsed * i128::from(self.drift_ppb) / BILLION;
        v.clamp(0, i128::from(u64::MAX)) as u64
    }

    /// Sets the clock to read `local` at real time `real`.
    pub fn set(&mut self, real: u64, local: u64) {
        self.base = i128::from(local);
        self.anchor = real;
    }

    /// Real nanoseconds that pass while this clock advances `local` nanoseconds.
    pub fn real_span(&self, local: u64) -> u64 {
        let v = i128::from(local) * BILLION / (BILLION + i128::from(self.drift_ppb));
        v.clamp(0, i128::from(u64::MAX)) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_perfect_clock_reads_real_time() {
        let c = Clock::new(0);
        assert_eq!(c.local(12_345), 12_345);
        assert_eq!(c.real_span(500), 500);
    }

    #[test]
    fn drift_accumulates_and_setting_removes_it() {
        let mut c = Clock::new(100_000);
        assert_eq!(c.local(1_000_000_000), 1_000_100_000);
        c.set(1_000_000_000, 1_000_000_000);
        assert_eq!(c.local(1_000_000_000), 1_000_000_000);
        assert_eq!(c.local(2_000_000_000), 2_000_100_000);
        assert_eq!(c.real_span(1_000_100_000), 1_000_000_000);
    }

    #[test]
    fn a_slow_clock_set_back_never_reads_negative() {
        let mut c = Clock::new(-1_000_000);
        c.set(10, 0);
        assert_eq!(c.local(5), 0);
    }
}
