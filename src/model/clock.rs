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

/// `a * b / c`, rounded toward zero as 128-bit arithmetic gives it, where `c` is not zero: in 64
/// bits whenever the operands and the product fit, as they do for hours of elapsed time at tens
/// of parts per million, since a 128-bit division is a library call of about a hundred
/// instructions and clocks are read on most events (1.9% of the standard scenario's
/// instructions). Both widths truncate toward zero, so the result is the same bit for bit.
#[inline]
fn mul_div(a: i128, b: i128, c: i128) -> i128 {
    let narrow = (i64::try_from(a), i64::try_from(b), i64::try_from(c));
    if let (Ok(a), Ok(b), Ok(c)) = narrow {
        if let Some(q) = a.checked_mul(b).and_then(|p| p.checked_div(c)) {
            return i128::from(q);
        }
    }
    a * b / c
}

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
        let v = self.base + elapsed + mul_div(elapsed, i128::from(self.drift_ppb), BILLION);
        v.clamp(0, i128::from(u64::MAX)) as u64
    }

    /// Sets the clock to read `local` at real time `real`.
    pub fn set(&mut self, real: u64, local: u64) {
        self.base = i128::from(local);
        self.anchor = real;
    }

    /// Real nanoseconds that pass while this clock advances at least `local` nanoseconds:
    /// rounded up, so a timer set for `local` never fires before its clock has run that long.
    /// Rounded down, a fast clock's 1 ns timer took no real time at all, and a node waiting for
    /// its clock to pass a time set it again and again at the same instant for ever.
    pub fn real_span(&self, local: u64) -> u64 {
        let rate = BILLION + i128::from(self.drift_ppb);
        let v = mul_div(i128::from(local), BILLION, rate);
        let short = v * rate < i128::from(local) * BILLION;
        (v + i128::from(short)).clamp(0, i128::from(u64::MAX)) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    proptest! {
        /// The 64-bit shortcut gives exactly what 128-bit arithmetic does, including for
        /// operands and products that do not fit in 64 bits and for negative values.
        #[test]
        fn mul_div_agrees_with_128_bit_arithmetic(
            a in prop_oneof![-(1i128 << 40)..(1i128 << 40), any::<i128>().prop_map(|v| v >> 60)],
            b in -(1i128 << 40)..(1i128 << 40),
            c in prop_oneof![1i128..(1 << 40), -(1i128 << 40)..-1],
        ) {
            prop_assert_eq!(mul_div(a, b, c), a * b / c);
        }
    }

    #[test]
    fn mul_div_takes_the_wide_path_where_64_bits_overflow() {
        let a = i128::from(u64::MAX);
        assert_eq!(
            mul_div(a, BILLION, BILLION + 20_000),
            a * BILLION / (BILLION + 20_000)
        );
        assert_eq!(mul_div(i128::from(i64::MIN), -1, 1), -i128::from(i64::MIN));
        assert_eq!(mul_div(-7, 3, 2), -10);
    }

    proptest! {
        /// However the clock drifts and wherever it was set, once `real_span(span)` real
        /// nanoseconds have passed it has advanced at least `span`, and one nanosecond less
        /// would not have been enough, when it runs no slower than real time.
        #[test]
        fn a_real_span_lets_the_clock_advance_at_least_that_far(
            drift in -999_999i64..1_000_000,
            set in 0u64..(1 << 40),
            to in 0u64..(1 << 40),
            since in 0u64..(1 << 44),
            span in 0u64..(1 << 42),
        ) {
            let mut c = Clock::new(drift);
            c.set(set, to);
            let now = set + since;
            let real = c.real_span(span);
            prop_assert!(c.local(now + real) - c.local(now) >= span);
            if drift >= 0 && real > 0 {
                let rate = i128::from(1_000_000_000 + drift);
                prop_assert!(i128::from(real - 1) * rate < i128::from(span) * 1_000_000_000);
            }
        }
    }

    #[test]
    fn a_fast_clock_never_waits_no_time_at_all() {
        let c = Clock::new(90_220);
        assert_eq!(c.real_span(1), 1);
        assert_eq!(c.real_span(0), 0);
        assert_eq!(c.real_span(1_000_090_220), 1_000_000_000);
    }

    #[test]
    fn a_slow_clock_set_back_never_reads_negative() {
        let mut c = Clock::new(-1_000_000);
        c.set(10, 0);
        assert_eq!(c.local(5), 0);
    }
}
