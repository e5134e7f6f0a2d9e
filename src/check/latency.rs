//! Latency percentiles in bounded memory: a histogram with three significant digits, whatever the
//! number of samples.

use hdrhistogram::Histogram;
use serde::{Deserialize, Deserializer, Serialize};

/// p50, p99 and max of a set of nanosecond latencies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Percentiles {
    /// Median, ns.
    pub p50: u64,
    /// 99th percentile, ns.
    pub p99: u64,
    /// Largest sample, ns (exact).
    pub max: u64,
}

impl Percentiles {
    /// Itself when p50 <= p99 <= max, else what is out of order.
    pub fn ordered(self) -> Result<Self, String> {
        let Percentiles { p50, p99, max } = self;
        if p50 <= p99 && p99 <= max {
            Ok(self)
        } else {
            Err(format!(
                "p50 {p50}, p99 {p99}, max {max}; expected p50 <= p99 <= max"
            ))
        }
    }
}

/// Read back (a result line of a campaign), the three must be in order, as every distribution
/// rcsim measures has them (see [`Percentiles::ordered`]).
impl<'de> Deserialize<'de> for Percentiles {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// The three fields as written, before their order is checked.
        #[derive(Deserialize)]
        #[serde(rename = "Percentiles", deny_unknown_fields)]
        struct Written {
            p50: u64,
            p99: u64,
            max: u64,
        }
        let Written { p50, p99, max } = Written::deserialize(d)?;
        Percentiles { p50, p99, max }
            .ordered()
            .map_err(serde::de::Error::custom)
    }
}

/// Accumulates nanosecond latencies without keeping them.
pub struct LatencyStats {
    hist: Histogram<u64>,
    max: u64,
}

impl Default for LatencyStats {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyStats {
    /// An empty accumulator (1 ns to ~1 hour at three significant digits).
    pub fn new() -> Self {
        let hist = Histogram::new_with_bounds(1, 3_600_000_000_000, 3)
            .expect("static histogram bounds are valid");
        LatencyStats { hist, max: 0 }
    }

    /// Records one latency; values beyond the range are clamped into it (max stays exact).
    pub fn record(&mut self, ns: u64) {
        self.max = self.max.max(ns);
        self.hist.saturating_record(ns);
    }

    /// Number of samples.
    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// The value at quantile `q` in [0, 1], or 0 with no samples.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.hist.is_empty() {
            0
        } else {
            self.hist.value_at_quantile(q).min(self.max)
        }
    }

    /// p50, p99 and max.
    pub fn percentiles(&self) -> Percentiles {
        Percentiles {
            p50: self.quantile(0.5),
            p99: self.quantile(0.99),
            max: self.max,
        }
    }

    /// p50, p99 and max, or `None` without samples: an empty distribution is not a measurement
    /// of zero, and the result JSON writes it as nulls.
    pub fn measured(&self) -> Option<Percentiles> {
        (self.count() > 0).then(|| self.percentiles())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_ramp() {
        let mut s = LatencyStats::new();
        for v in 1..=10_000u64 {
            s.record(v * 1000);
        }
        let p = s.percentiles();
        assert!((4_990_000..=5_010_000).contains(&p.p50), "{p:?}");
        assert!((9_880_000..=9_920_000).contains(&p.p99), "{p:?}");
        assert_eq!(p.max, 10_000_000);
        assert_eq!(s.count(), 10_000);
    }

    #[test]
    fn empty_is_zero() {
        assert_eq!(LatencyStats::new().percentiles(), Percentiles::default());
    }

    #[test]
    fn empty_is_unmeasured_and_one_sample_is_measured() {
        let mut s = LatencyStats::new();
        assert_eq!(s.measured(), None);
        s.record(7);
        assert_eq!(
            s.measured(),
            Some(Percentiles {
                p50: 7,
                p99: 7,
                max: 7
            })
        );
    }
}
