//! Probability distributions over integral quantities (durations, sizes).
//!
//! Scenario files describe latencies, service times and write sizes either as
//! a bare constant (`"250us"`) or as an object with a `"kind"`
//! (`{"kind": "exponential", "mean": "1ms"}`). Sampling only uses the seeded
//! generator passed in and `libm` for transcendental functions, so a run is
//! bit-for-bit reproducible on every platform.

use std::borrow::Cow;
use std::fmt;

use crate::scenario::cumulative::Cumulative;

use rand::Rng;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::scenario::units::{Duration, Size};

mod read;

/// An integral quantity a distribution can produce; lets one `Dist` type
/// serve both durations (ns) and sizes (bytes).
pub trait Quantity: Copy + fmt::Debug + fmt::Display {
    /// What the quantity is called in error messages ("duration", "size").
    const WHAT: &'static str;
    /// A typical spelling of a value, used in error messages ("250us").
    const EXAMPLE: &'static str;
    /// Wraps a raw count of base units (ns or bytes) as the quantity.
    fn from_u64(v: u64) -> Self;
    /// Returns the quantity as a raw count of base units (ns or bytes).
    fn to_u64(self) -> u64;
}

impl Quantity for Duration {
    const WHAT: &'static str = "duration";
    const EXAMPLE: &'static str = "250us";
    fn from_u64(v: u64) -> Self {
        Duration(v)
    }
    fn to_u64(self) -> u64 {
        self.0
    }
}

impl Quantity for Size {
    const WHAT: &'static str = "size";
    const EXAMPLE: &'static str = "64KiB";
    fn from_u64(v: u64) -> Self {
        Size(v)
    }
    fn to_u64(self) -> u64 {
        self.0
    }
}

/// A probability distribution over a quantity, used for latencies, service
/// times and write sizes; samples are whole numbers of the base unit.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist<Q> {
    /// Always the same value.
    Constant(Q),
    /// Every integer in `min..=max` equally likely.
    Uniform {
        /// Smallest value (inclusive).
        min: Q,
        /// Largest value (inclusive); must be `>= min`.
        max: Q,
    },
    /// Exponential with the given mean (memoryless service or think times).
    Exponential {
        /// Mean value; must be greater than zero.
        mean: Q,
    },
    /// Normal distribution truncated to `[min, max]` by rejection.
    Normal {
        /// Mean of the untruncated normal.
        mean: Q,
        /// Standard deviation of the untruncated normal.
        std_dev: Q,
        /// Smallest value produced (JSON default 0).
        min: Q,
        /// Largest value produced (JSON default `mean + 6 * std_dev`).
        max: Q,
    },
    /// Lognormal: `exp(ln(median) + sigma * N(0, 1))`, for heavy-tailed latencies.
    Lognormal {
        /// Median value; must be greater than zero.
        median: Q,
        /// Standard deviation of the underlying normal; finite and `>= 0`.
        sigma: f64,
        /// `ln(median)`, computed once by [`Dist::lognormal`] rather than on every sample (a
        /// pure-Rust logarithm is a good part of a latency draw).
        ln_median: f64,
    },
    /// A weighted choice among listed values (e.g. a measured size mix).
    Empirical {
        /// The possible values; must not be empty.
        values: Vec<Q>,
        /// One non-negative finite weight per value, not all zero.
        weights: Vec<f64>,
        /// The weights' running sums, for sampling in O(log n): build the variant with
        /// [`Dist::empirical`], which computes them.
        table: Cumulative,
    },
}

/// Rounds to the nearest integer and clamps into `0..=u64::MAX` (NaN gives 0).
fn round_to_u64(x: f64) -> u64 {
    let r = libm::round(x);
    if r.is_nan() || r <= 0.0 {
        0
    } else if r >= 18_446_744_073_709_551_615.0 {
        u64::MAX
    } else {
        r as u64
    }
}

/// One standard normal variate by Box–Muller (uses two uniform draws).
fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let u1: f64 = rng.random();
    let u2: f64 = rng.random();
    // 1 - u1 is in (0, 1], so the logarithm is finite.
    libm::sqrt(-2.0 * libm::log(1.0 - u1)) * libm::cos(std::f64::consts::TAU * u2)
}

/// Returns `(lo, hi)` in increasing order.
fn ordered(a: u64, b: u64) -> (u64, u64) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// The total weight when the empirical weights are usable as given (one
/// finite, non-negative weight per value, positive sum); `None` otherwise.
fn weights_usable(values_len: usize, weights: &[f64]) -> Option<f64> {
    if weights.len() != values_len || !weights.iter().all(|w| w.is_finite() && *w >= 0.0) {
        return None;
    }
    let total: f64 = weights.iter().sum();
    (total > 0.0 && total.is_finite()).then_some(total)
}

/// Maximum number of Box–Muller draws before a truncated normal is clamped.
const NORMAL_MAX_TRIES: usize = 64;

impl<Q: Quantity> Dist<Q> {
    /// A weighted choice among `values` (one weight per value), its sampling table built.
    pub fn empirical(values: Vec<Q>, weights: Vec<f64>) -> Self {
        let table = Cumulative::new(values.len(), &weights);
        Dist::Empirical {
            values,
            weights,
            table,
        }
    }

    /// A lognormal of this `median` and `sigma`, with `ln(median)` precomputed.
    pub fn lognormal(median: Q, sigma: f64) -> Self {
        Dist::Lognormal {
            median,
            sigma,
            ln_median: libm::log(median.to_u64() as f64),
        }
    }

    /// A distribution that always yields `q`; the common case of a fixed value.
    pub fn constant(q: Q) -> Self {
        Dist::Constant(q)
    }

    /// Draws one value (in ns or bytes) using only `rng`, so equal seeds give
    /// equal sequences; never panics, even on a distribution that fails
    /// [`Dist::validate`] (the result is then well-defined but unspecified).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        match self {
            Dist::Constant(q) => q.to_u64(),
            Dist::Uniform { min, max } => {
                let (lo, hi) = ordered(min.to_u64(), max.to_u64());
                rng.random_range(lo..=hi)
            }
            Dist::Exponential { mean } => {
                let u: f64 = rng.random();
                round_to_u64(-(mean.to_u64() as f64) * libm::log(1.0 - u))
            }
            Dist::Normal {
                mean,
                std_dev,
                min,
                max,
            } => {
                let (lo, hi) = ordered(min.to_u64(), max.to_u64());
                let (m, s) = (mean.to_u64() as f64, std_dev.to_u64() as f64);
                let mut x = m;
                for _ in 0..NORMAL_MAX_TRIES {
                    x = m + s * standard_normal(rng);
                    let r = libm::round(x);
                    if r >= lo as f64 && r <= hi as f64 {
                        break;
                    }
                }
                round_to_u64(x).clamp(lo, hi)
            }
            Dist::Lognormal {
                sigma, ln_median, ..
            } => {
                let z = standard_normal(rng);
                round_to_u64(libm::exp(ln_median + sigma * z))
            }
            Dist::Empirical { values, table, .. } => {
                let Some(last) = values.last() else {
                    return 0;
                };
                let u: f64 = rng.random();
                let Some(total) = table.total() else {
                    let idx = (u * values.len() as f64) as usize;
                    return values.get(idx).unwrap_or(last).to_u64();
                };
                values.get(table.index(u * total)).unwrap_or(last).to_u64()
            }
        }
    }

    /// The analytic mean in base units, for sizing and reports (normal: the
    /// untruncated mean; lognormal: `median * exp(sigma^2 / 2)`).
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Constant(q) => q.to_u64() as f64,
            Dist::Uniform { min, max } => (min.to_u64() as f64 + max.to_u64() as f64) / 2.0,
            Dist::Exponential { mean } | Dist::Normal { mean, .. } => mean.to_u64() as f64,
            Dist::Lognormal { median, sigma, .. } => {
                median.to_u64() as f64 * libm::exp(sigma * sigma / 2.0)
            }
            Dist::Empirical {
                values, weights, ..
            } => {
                if values.is_empty() {
                    return 0.0;
                }
                match weights_usable(values.len(), weights) {
                    Some(total) => {
                        values
                            .iter()
                            .zip(weights)
                            .map(|(v, w)| v.to_u64() as f64 * w)
                            .sum::<f64>()
                            / total
                    }
                    None => {
                        values.iter().map(|v| v.to_u64() as f64).sum::<f64>() / values.len() as f64
                    }
                }
            }
        }
    }

    /// Checks the parameter constraints (e.g. uniform `min <= max`); called
    /// on deserialization and useful for distributions built in code.
    pub fn validate(&self) -> Result<(), String> {
        let fail = |kind: &str, problem: String| -> Result<(), String> {
            Err(format!("invalid {kind} distribution: {problem}"))
        };
        match self {
            Dist::Constant(_) => Ok(()),
            Dist::Uniform { min, max } | Dist::Normal { min, max, .. }
                if min.to_u64() > max.to_u64() =>
            {
                let kind = if matches!(self, Dist::Uniform { .. }) {
                    "uniform"
                } else {
                    "normal"
                };
                fail(
                    kind,
                    format!("min ({min}) must not exceed max ({max}); expected min <= max"),
                )
            }
            Dist::Uniform { .. } | Dist::Normal { .. } => Ok(()),
            Dist::Exponential { mean } if mean.to_u64() == 0 => fail(
                "exponential",
                format!("mean must be greater than 0, got {mean}"),
            ),
            Dist::Exponential { .. } => Ok(()),
            Dist::Lognormal { median, .. } if median.to_u64() == 0 => fail(
                "lognormal",
                format!("median must be greater than 0, got {median}"),
            ),
            Dist::Lognormal { sigma, .. } if !(sigma.is_finite() && *sigma >= 0.0) => fail(
                "lognormal",
                format!(
                    "sigma must be a finite number >= 0, got {}",
                    crate::quote::number(*sigma)
                ),
            ),
            Dist::Lognormal { .. } => Ok(()),
            Dist::Empirical {
                values, weights, ..
            } => {
                if values.is_empty() {
                    return fail(
                        "empirical",
                        "values must not be empty; expected at least one value".to_owned(),
                    );
                }
                if weights.len() != values.len() {
                    return fail(
                        "empirical",
                        format!(
                            "weights has {} entries but values has {}; expected one weight per value",
                            weights.len(),
                            values.len()
                        ),
                    );
                }
                if let Some((i, w)) = weights
                    .iter()
                    .enumerate()
                    .find(|(_, w)| !(w.is_finite() && **w >= 0.0))
                {
                    return fail(
                        "empirical",
                        format!("weights[{i}] is {w}; expected a finite number >= 0"),
                    );
                }
                if weights_usable(values.len(), weights).is_none() {
                    let problem = if weights.iter().sum::<f64>().is_infinite() {
                        "weights sum to more than the largest number (infinity); expected \
                         smaller weights"
                    } else {
                        "weights must not sum to zero; expected at least one positive weight"
                    };
                    return fail("empirical", problem.to_owned());
                }
                Ok(())
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Serialization
// ---------------------------------------------------------------------------

impl<Q: Quantity + Serialize> Serialize for Dist<Q> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Dist::Constant(q) => q.serialize(s),
            Dist::Uniform { min, max } => {
                let mut st = s.serialize_struct("Dist", 3)?;
                st.serialize_field("kind", "uniform")?;
                st.serialize_field("min", min)?;
                st.serialize_field("max", max)?;
                st.end()
            }
            Dist::Exponential { mean } => {
                let mut st = s.serialize_struct("Dist", 2)?;
                st.serialize_field("kind", "exponential")?;
                st.serialize_field("mean", mean)?;
                st.end()
            }
            Dist::Normal {
                mean,
                std_dev,
                min,
                max,
            } => {
                let mut st = s.serialize_struct("Dist", 5)?;
                st.serialize_field("kind", "normal")?;
                st.serialize_field("mean", mean)?;
                st.serialize_field("std_dev", std_dev)?;
                st.serialize_field("min", min)?;
                st.serialize_field("max", max)?;
                st.end()
            }
            Dist::Lognormal { median, sigma, .. } => {
                let mut st = s.serialize_struct("Dist", 3)?;
                st.serialize_field("kind", "lognormal")?;
                st.serialize_field("median", median)?;
                st.serialize_field("sigma", sigma)?;
                st.end()
            }
            Dist::Empirical {
                values, weights, ..
            } => {
                let mut st = s.serialize_struct("Dist", 3)?;
                st.serialize_field("kind", "empirical")?;
                st.serialize_field("values", values)?;
                st.serialize_field("weights", weights)?;
                st.end()
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------

impl<Q: Quantity + JsonSchema> JsonSchema for Dist<Q> {
    fn schema_name() -> Cow<'static, str> {
        format!("{}Dist", Q::schema_name()).into()
    }

    fn schema_id() -> Cow<'static, str> {
        format!("{}::Dist<{}>", module_path!(), Q::schema_id()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let q = generator.subschema_for::<Q>();
        let description = format!(
            "A {} distribution: a bare string such as {:?} is a constant; otherwise an \
             object whose \"kind\" is constant, uniform, exponential, normal, lognormal \
             or empirical.",
            Q::WHAT,
            Q::EXAMPLE
        );
        json_schema!({
            "description": description,
            "oneOf": [
                q,
                {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["kind", "value"],
                    "properties": { "kind": { "const": "constant" }, "value": q }
                },
                {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["kind", "min", "max"],
                    "properties": { "kind": { "const": "uniform" }, "min": q, "max": q }
                },
                {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["kind", "mean"],
                    "properties": { "kind": { "const": "exponential" }, "mean": q }
                },
                {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["kind", "mean", "std_dev"],
                    "properties": {
                        "kind": { "const": "normal" },
                        "mean": q,
                        "std_dev": q,
                        "min": q,
                        "max": q
                    }
                },
                {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["kind", "median", "sigma"],
                    "properties": {
                        "kind": { "const": "lognormal" },
                        "median": q,
                        "sigma": { "type": "number", "minimum": 0 }
                    }
                },
                {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["kind", "values"],
                    "properties": {
                        "kind": { "const": "empirical" },
                        "values": { "type": "array", "items": q, "minItems": 1 },
                        "weights": {
                            "type": "array",
                            "items": { "type": "number", "minimum": 0 }
                        }
                    }
                }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use serde::Deserialize;

    const N: usize = 200_000;

    fn ms(v: u64) -> Duration {
        Duration::from_ms(v)
    }

    fn us(v: u64) -> Duration {
        Duration::from_us(v)
    }

    fn samples<Q: Quantity>(d: &Dist<Q>, seed: u64, n: usize) -> Vec<u64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n).map(|_| d.sample(&mut rng)).collect()
    }

    fn sample_mean(xs: &[u64]) -> f64 {
        xs.iter().map(|&x| x as f64).sum::<f64>() / xs.len() as f64
    }

    fn assert_mean_close<Q: Quantity>(d: &Dist<Q>) -> Vec<u64> {
        let xs = samples(d, 7, N);
        let (got, want) = (sample_mean(&xs), d.mean());
        let rel = (got - want).abs() / want;
        assert!(
            rel < 0.02,
            "{d:?}: sample mean {got} vs analytic {want} ({rel})"
        );
        xs
    }

    fn parse(json: &str) -> Result<Dist<Duration>, (String, String)> {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Wrapper {
            latency: Dist<Duration>,
        }
        let de = &mut serde_json::Deserializer::from_str(json);
        serde_path_to_error::deserialize::<_, Wrapper>(de)
            .map(|w| w.latency)
            .map_err(|e| (e.path().to_string(), e.inner().to_string()))
    }

    fn parse_err(json: &str) -> (String, String) {
        match parse(json) {
            Ok(d) => panic!("{json} unexpectedly parsed as {d:?}"),
            Err(e) => e,
        }
    }

    fn normal(mean: Duration, std_dev: Duration, min: Duration, max: Duration) -> Dist<Duration> {
        Dist::Normal {
            mean,
            std_dev,
            min,
            max,
        }
    }

    fn lognormal() -> Dist<Duration> {
        Dist::lognormal(ms(1), 0.5)
    }

    fn empirical() -> Dist<Size> {
        Dist::empirical(
            vec![Size(4096), Size(65_536), Size(1 << 20)],
            vec![1.0, 2.0, 7.0],
        )
    }

    #[test]
    fn constant_always_returns_value() {
        let d = Dist::constant(us(250));
        let xs = assert_mean_close(&d);
        assert!(xs.iter().all(|&x| x == 250_000));
        assert_eq!(d.mean(), 250_000.0);
    }

    #[test]
    fn uniform_mean_and_bounds() {
        let d = Dist::Uniform {
            min: ms(1),
            max: ms(3),
        };
        assert_eq!(d.mean(), 2_000_000.0);
        let xs = assert_mean_close(&d);
        assert!(xs.iter().all(|x| (1_000_000..=3_000_000).contains(x)));
        // A tiny range hits both ends with about equal frequency.
        let d = Dist::Uniform {
            min: Duration(5),
            max: Duration(7),
        };
        let xs = samples(&d, 7, N);
        for v in 5..=7 {
            let f = xs.iter().filter(|&&x| x == v).count() as f64 / N as f64;
            assert!((f - 1.0 / 3.0).abs() < 0.01, "{v}: {f}");
        }
        let point = Dist::Uniform {
            min: ms(2),
            max: ms(2),
        };
        assert!(samples(&point, 7, 100).iter().all(|&x| x == 2_000_000));
    }

    #[test]
    fn exponential_mean() {
        let d = Dist::Exponential { mean: ms(1) };
        assert_eq!(d.mean(), 1e6);
        let xs = assert_mean_close(&d);
        // Median of an exponential is mean * ln 2.
        let below = xs
            .iter()
            .filter(|&&x| (x as f64) < 1e6 * libm::log(2.0))
            .count();
        assert!((below as f64 / N as f64 - 0.5).abs() < 0.01);
    }

    #[test]
    fn normal_mean_with_negligible_truncation() {
        let d = normal(ms(10), ms(1), Duration(0), ms(16));
        assert_eq!(d.mean(), 1e7);
        let xs = assert_mean_close(&d);
        let var = xs.iter().map(|&x| (x as f64 - 1e7).powi(2)).sum::<f64>() / N as f64;
        assert!(
            (libm::sqrt(var) / 1e6 - 1.0).abs() < 0.02,
            "std dev {}",
            libm::sqrt(var)
        );
    }

    #[test]
    fn normal_truncation_keeps_samples_in_bounds() {
        let (lo, hi) = (us(500), us(1200));
        let d = normal(ms(1), ms(1), lo, hi);
        let xs = samples(&d, 7, N);
        assert!(xs.iter().all(|&x| (500_000..=1_200_000).contains(&x)));
        assert!(xs.contains(&500_000) || xs.iter().any(|&x| x < 510_000));
        assert!(xs.iter().any(|&x| x > 1_190_000));
        // Unreachable window: rejection gives up after 64 tries and clamps.
        let d = normal(ms(10), us(1), Duration(0), ms(1));
        assert!(samples(&d, 7, 1000).iter().all(|&x| x == 1_000_000));
    }

    #[test]
    fn lognormal_mean() {
        let d = lognormal();
        let want = 1e6 * libm::exp(0.125);
        assert!((d.mean() - want).abs() < 1e-6);
        let xs = assert_mean_close(&d);
        let below = xs.iter().filter(|&&x| x < 1_000_000).count() as f64 / N as f64;
        assert!((below - 0.5).abs() < 0.01, "median fraction {below}");
        let degenerate = Dist::lognormal(ms(3), 0.0);
        assert!(samples(&degenerate, 7, 100).iter().all(|&x| x == 3_000_000));
    }

    #[test]
    fn empirical_frequencies_follow_weights() {
        let d = empirical();
        let want = (4096.0 + 2.0 * 65_536.0 + 7.0 * 1_048_576.0) / 10.0;
        assert!((d.mean() - want).abs() < 1e-6);
        let xs = assert_mean_close(&d);
        for (v, p) in [(4096, 0.1), (65_536, 0.2), (1 << 20, 0.7)] {
            let f = xs.iter().filter(|&&x| x == v).count() as f64 / N as f64;
            assert!((f - p).abs() < 0.01, "{v}: {f} vs {p}");
        }
        let zero_weight = Dist::empirical(vec![Size(1), Size(2)], vec![0.0, 1.0]);
        assert!(samples(&zero_weight, 7, 1000).iter().all(|&x| x == 2));
    }

    #[test]
    fn invalid_programmatic_dists_do_not_panic() {
        let bad: Vec<Dist<Duration>> = vec![
            Dist::Uniform {
                min: ms(3),
                max: ms(1),
            },
            normal(ms(1), ms(1), ms(5), ms(2)),
            Dist::Exponential { mean: Duration(0) },
            Dist::lognormal(Duration(0), f64::NAN),
            Dist::empirical(vec![], vec![]),
            Dist::empirical(vec![ms(1), ms(2)], vec![-1.0]),
        ];
        for d in &bad {
            assert!(d.validate().is_err(), "{d:?}");
            let _ = samples(d, 7, 100);
            let _ = d.mean();
        }
    }

    #[test]
    fn same_seed_gives_identical_sequences() {
        let dists: Vec<Dist<Duration>> = vec![
            Dist::constant(ms(1)),
            Dist::Uniform {
                min: ms(1),
                max: ms(3),
            },
            Dist::Exponential { mean: ms(1) },
            normal(ms(10), ms(1), Duration(0), ms(16)),
            lognormal(),
        ];
        for d in &dists {
            assert_eq!(samples(d, 7, 1000), samples(d, 7, 1000), "{d:?}");
            if !matches!(d, Dist::Constant(_)) {
                assert_ne!(samples(d, 7, 1000), samples(d, 8, 1000), "{d:?}");
            }
        }
        assert_eq!(
            samples(&empirical(), 7, 1000),
            samples(&empirical(), 7, 1000)
        );
    }

    /// Golden values: any change to the sampling code, rand, or libm that
    /// alters a simulation's random stream shows up here.
    #[test]
    fn golden_first_samples_for_seed_42() {
        let first5 = |d: &Dist<Duration>| samples(d, 42, 5);
        assert_eq!(first5(&Dist::constant(us(250))), GOLDEN_CONSTANT);
        assert_eq!(
            first5(&Dist::Uniform {
                min: ms(1),
                max: ms(3)
            }),
            GOLDEN_UNIFORM
        );
        assert_eq!(
            first5(&Dist::Exponential { mean: ms(1) }),
            GOLDEN_EXPONENTIAL
        );
        assert_eq!(
            first5(&normal(ms(10), ms(1), Duration(0), ms(16))),
            GOLDEN_NORMAL
        );
        assert_eq!(
            first5(&normal(ms(1), ms(1), us(500), us(1200))),
            GOLDEN_NORMAL_TRUNCATED
        );
        assert_eq!(first5(&lognormal()), GOLDEN_LOGNORMAL);
        assert_eq!(samples(&empirical(), 42, 5), GOLDEN_EMPIRICAL);
    }

    const GOLDEN_CONSTANT: [u64; 5] = [250_000; 5];
    const GOLDEN_UNIFORM: [u64; 5] = [2_363_793, 2_900_551, 1_855_033, 2_254_721, 1_577_188];
    const GOLDEN_EXPONENTIAL: [u64; 5] = [1_145_378, 3_001_256, 557_771, 987_144, 340_512];
    const GOLDEN_NORMAL: [u64; 5] = [11_440_254, 9_264_318, 10_485_237, 10_284_969, 10_123_084];
    const GOLDEN_NORMAL_TRUNCATED: [u64; 5] = [1_123_084, 751_853, 979_218, 1_113_307, 1_129_399];
    const GOLDEN_LOGNORMAL: [u64; 5] = [2_054_694, 692_227, 1_274_582, 1_153_135, 1_063_475];
    const GOLDEN_EMPIRICAL: [u64; 5] = [1_048_576, 1_048_576, 1_048_576, 1_048_576, 65_536];

    #[test]
    fn parses_every_kind_and_round_trips() {
        let cases: Vec<(&str, Dist<Duration>, &str)> = vec![
            (r#""250us""#, Dist::constant(us(250)), r#""250us""#),
            (
                r#"{"kind": "constant", "value": "1.5ms"}"#,
                Dist::constant(us(1500)),
                r#""1500us""#,
            ),
            (
                r#"{"min": "1ms", "max": "3ms", "kind": "uniform"}"#,
                Dist::Uniform {
                    min: ms(1),
                    max: ms(3),
                },
                r#"{"kind":"uniform","min":"1ms","max":"3ms"}"#,
            ),
            (
                r#"{"kind": "exponential", "mean": "1ms"}"#,
                Dist::Exponential { mean: ms(1) },
                r#"{"kind":"exponential","mean":"1ms"}"#,
            ),
            (
                r#"{"kind": "normal", "mean": "10ms", "std_dev": "1ms"}"#,
                normal(ms(10), ms(1), Duration(0), ms(16)),
                r#"{"kind":"normal","mean":"10ms","std_dev":"1ms","min":"0ns","max":"16ms"}"#,
            ),
            (
                r#"{"kind": "normal", "mean": "1ms", "std_dev": "1ms", "min": "500us", "max": "1.2ms"}"#,
                normal(ms(1), ms(1), us(500), us(1200)),
                r#"{"kind":"normal","mean":"1ms","std_dev":"1ms","min":"500us","max":"1200us"}"#,
            ),
            (
                r#"{"kind": "lognormal", "median": "1ms", "sigma": 0.5}"#,
                lognormal(),
                r#"{"kind":"lognormal","median":"1ms","sigma":0.5}"#,
            ),
            (
                r#"{"kind": "empirical", "values": ["1ms", "2ms"]}"#,
                Dist::empirical(vec![ms(1), ms(2)], vec![1.0, 1.0]),
                r#"{"kind":"empirical","values":["1ms","2ms"],"weights":[1.0,1.0]}"#,
            ),
            (
                r#"{"kind": "empirical", "values": ["1ms", "2ms"], "weights": [3, 0]}"#,
                Dist::empirical(vec![ms(1), ms(2)], vec![3.0, 0.0]),
                r#"{"kind":"empirical","values":["1ms","2ms"],"weights":[3.0,0.0]}"#,
            ),
        ];
        for (input, want, canonical) in cases {
            let got = parse(&format!(r#"{{"latency": {input}}}"#)).expect(input);
            assert_eq!(got, want, "{input}");
            let out = serde_json::to_string(&got).expect("serialize");
            assert_eq!(out, canonical, "{input}");
            let back: Dist<Duration> = serde_json::from_str(&out).expect(&out);
            assert_eq!(back, want, "{out}");
        }
        let sizes: Dist<Size> = serde_json::from_str(
            r#"{"kind":"empirical","values":["4KiB","1MiB"],"weights":[9,1]}"#,
        )
        .expect("size dist");
        assert_eq!(
            sizes,
            Dist::empirical(vec![Size(4096), Size(1 << 20)], vec![9.0, 1.0])
        );
    }

    #[test]
    fn semantic_errors_name_the_problem_and_path() {
        let cases = [
            (
                r#"{"kind": "uniform", "min": "5ms", "max": "2ms"}"#,
                "invalid uniform distribution: min (5ms) must not exceed max (2ms); expected min <= max",
            ),
            (
                r#"{"kind": "normal", "mean": "1ms", "std_dev": "1ms", "min": "5ms", "max": "2ms"}"#,
                "invalid normal distribution: min (5ms) must not exceed max (2ms); expected min <= max",
            ),
            (
                r#"{"kind": "exponential", "mean": "0"}"#,
                "invalid exponential distribution: mean must be greater than 0, got 0ns",
            ),
            (
                r#"{"kind": "lognormal", "median": "1ms", "sigma": -0.5}"#,
                "invalid lognormal distribution: sigma must be a finite number >= 0, got -0.5",
            ),
            (
                r#"{"kind": "lognormal", "median": "0ms", "sigma": 0.5}"#,
                "invalid lognormal distribution: median must be greater than 0, got 0ns",
            ),
            (
                r#"{"kind": "empirical", "values": []}"#,
                "invalid empirical distribution: values must not be empty; expected at least one value",
            ),
            (
                r#"{"kind": "empirical", "values": ["1ms", "2ms", "3ms"], "weights": [1, 2]}"#,
                "invalid empirical distribution: weights has 2 entries but values has 3; \
                 expected one weight per value",
            ),
            (
                r#"{"kind": "empirical", "values": ["1ms", "2ms"], "weights": [1, -1]}"#,
                "invalid empirical distribution: weights[1] is -1; expected a finite number >= 0",
            ),
            (
                r#"{"kind": "empirical", "values": ["1ms", "2ms"], "weights": [0, 0]}"#,
                "invalid empirical distribution: weights must not sum to zero; \
                 expected at least one positive weight",
            ),
            (
                r#"{"kind": "empirical", "values": ["1ms", "2ms"], "weights": [1e308, 1e308]}"#,
                "invalid empirical distribution: weights sum to more than the largest number \
                 (infinity); expected smaller weights",
            ),
        ];
        for (input, message) in cases {
            let (path, msg) = parse_err(&format!(r#"{{"latency": {input}}}"#));
            assert_eq!(path, "latency", "{input}");
            assert!(msg.starts_with(message), "{input}: {msg}");
        }
    }

    #[test]
    fn structural_errors_point_at_the_offending_key() {
        let (path, msg) =
            parse_err(r#"{"latency": {"kind": "normal", "maen": "1ms", "std_dev": "1ms"}}"#);
        assert_eq!(path, "latency.maen");
        assert!(
            msg.starts_with(
                "unknown field `maen` for kind \"normal\" (did you mean `mean`?); \
                 expected one of `kind`, `mean`, `std_dev`, `min`, `max`"
            ),
            "{msg}"
        );

        let (path, msg) = parse_err(r#"{"latency": {"maen": "1ms", "kind": "normal"}}"#);
        assert_eq!(path, "latency.maen");
        assert!(
            msg.starts_with(
                "unknown field `maen` (did you mean `mean`?); expected one of `kind`, `value`"
            ),
            "{msg}"
        );

        let (path, msg) =
            parse_err(r#"{"latency": {"kind": "exponential", "mean": "1ms", "std_dev": "1ms"}}"#);
        assert_eq!(path, "latency.std_dev");
        assert!(
            msg.starts_with(
                "unknown field `std_dev` for kind \"exponential\"; expected one of `kind`, `mean`"
            ),
            "{msg}"
        );

        let (path, msg) =
            parse_err(r#"{"latency": {"std_dev": "1ms", "mean": "1ms", "kind": "exponential"}}"#);
        assert_eq!(path, "latency");
        assert!(msg.starts_with("field `std_dev` is not allowed for kind \"exponential\"; expected one of `kind`, `mean`"), "{msg}");

        let (path, msg) = parse_err(r#"{"latency": {"kind": "gausian", "mean": "1ms"}}"#);
        assert_eq!(path, "latency.kind");
        assert!(
            msg.starts_with(
                "unknown distribution kind \"gausian\"; expected one of \"constant\", \"uniform\", \
                 \"exponential\", \"normal\", \"lognormal\", \"empirical\""
            ),
            "{msg}"
        );
        let (_, msg) = parse_err(r#"{"latency": {"kind": "exponentail", "mean": "1ms"}}"#);
        assert!(msg.contains("(did you mean \"exponential\"?)"), "{msg}");

        let (path, msg) = parse_err(r#"{"latency": {"kind": 3}}"#);
        assert_eq!(path, "latency.kind");
        assert!(
            msg.contains("expected a distribution kind, one of \"constant\""),
            "{msg}"
        );

        let (path, msg) = parse_err(r#"{"latency": {"mean": "1ms"}}"#);
        assert_eq!(path, "latency");
        assert!(
            msg.starts_with(
                "missing field `kind`; expected an object with \"kind\" set to one of \"constant\""
            ),
            "{msg}"
        );

        let (path, msg) = parse_err(r#"{"latency": {"kind": "uniform", "min": "1ms"}}"#);
        assert_eq!(path, "latency");
        assert!(
            msg.starts_with(
                "missing field `max` for kind \"uniform\"; expected fields `kind`, `min`, `max`"
            ),
            "{msg}"
        );

        let (path, msg) =
            parse_err(r#"{"latency": {"kind": "uniform", "min": "1ms", "min": "2ms"}}"#);
        assert_eq!(path, "latency.min");
        assert!(msg.starts_with("duplicate field `min`"), "{msg}");
    }

    #[test]
    fn value_errors_point_inside_the_object() {
        let (path, msg) = parse_err(r#"{"latency": {"kind": "exponential", "mean": 250}}"#);
        assert_eq!(path, "latency.mean");
        assert!(
            msg.starts_with("expected a duration string such as \"250us\", got number 250"),
            "{msg}"
        );

        let (path, msg) =
            parse_err(r#"{"latency": {"kind": "empirical", "values": ["1ms", "5xs"]}}"#);
        assert_eq!(path, "latency.values[1]");
        assert!(
            msg.contains("unknown unit \"xs\"; expected one of ns"),
            "{msg}"
        );

        let (path, msg) =
            parse_err(r#"{"latency": {"kind": "lognormal", "median": "1ms", "sigma": "0.5"}}"#);
        assert_eq!(path, "latency.sigma");
        assert!(msg.contains("expected f64"), "{msg}");

        let (path, msg) = parse_err(r#"{"latency": "-1ms"}"#);
        assert_eq!(path, "latency");
        assert!(msg.contains("expected a non-negative duration"), "{msg}");

        let (path, msg) = parse_err(r#"{"latency": 250}"#);
        assert_eq!(path, "latency");
        assert!(
            msg.starts_with(
                "expected a duration string such as \"250us\" or a distribution object with a \
                 \"kind\" field, got number 250"
            ),
            "{msg}"
        );

        let (path, msg) = parse_err(r#"{"latency": [1]}"#);
        assert_eq!(path, "latency");
        assert!(
            msg.contains("expected a duration string such as \"250us\" or a distribution object"),
            "{msg}"
        );

        let de = &mut serde_json::Deserializer::from_str(
            r#"["1ms", {"kind": "uniform", "min": "2ms", "max": "1ms"}]"#,
        );
        let err = serde_path_to_error::deserialize::<_, Vec<Dist<Duration>>>(de).unwrap_err();
        assert_eq!(err.path().to_string(), "[1]");
    }

    #[test]
    fn schema_lists_every_kind() {
        let schema = serde_json::to_value(schemars::schema_for!(Dist<Duration>)).expect("schema");
        let one_of = schema["oneOf"].as_array().expect("oneOf");
        assert_eq!(one_of.len(), 7);
        let kinds: Vec<&str> = one_of[1..]
            .iter()
            .filter_map(|s| s["properties"]["kind"]["const"].as_str())
            .collect();
        assert_eq!(
            kinds,
            [
                "constant",
                "uniform",
                "exponential",
                "normal",
                "lognormal",
                "empirical"
            ]
        );
        assert!(one_of[1..]
            .iter()
            .all(|s| s["additionalProperties"] == false));
        let text = schema.to_string();
        assert!(text.contains("Duration"), "{text}");
        assert_eq!(<Dist<Size>>::schema_name(), "SizeDist");
    }
}
