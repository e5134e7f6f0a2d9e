//! Zipf-distributed block choice: block k (1-based) of n is chosen with probability proportional
//! to 1 / k^s.
//!
//! A table of cumulative probabilities samples in a dozen comparisons but costs 8 bytes per block
//! of capacity, which a terabyte volume (2^28 blocks of 4 KiB) cannot afford. So volumes of up to
//! [`TABLE_MAX`] blocks use the table, and larger ones rejection-inversion sampling (Hörmann and
//! Derflinger, "Rejection-inversion to generate variates from monotone discrete distributions",
//! 1996; the method of Apache Commons' `RejectionInversionZipfSampler`): O(1) memory, about 1.1
//! tries per sample on average, each a few libm calls, so bit-identical on every machine. Both
//! sample the same distribution; a given seed draws different blocks under each, which is why the
//! threshold is fixed rather than tunable.

use rand::Rng as _;

use crate::engine::rng::Rng;

/// Volumes of at most this many blocks sample from a table (512 KiB at most).
pub const TABLE_MAX: u32 = 1 << 16;

/// A Zipf sampler over blocks 0..n (block 0 the most likely).
#[derive(Debug)]
pub enum Zipf {
    /// Cumulative probabilities, one per block.
    Table(Vec<f64>),
    /// Rejection-inversion, for volumes too large for a table.
    Rejection(Rejection),
}

impl Zipf {
    /// A sampler of exponent `s` (> 0) over `n` (≥ 1) blocks.
    pub fn new(n: u32, s: f64) -> Self {
        let n = n.max(1);
        if n <= TABLE_MAX {
            let mut acc = 0.0;
            let mut cdf: Vec<f64> = (1..=n)
                .map(|k| {
                    acc += 1.0 / libm::pow(f64::from(k), s);
                    acc
                })
                .collect();
            for c in cdf.iter_mut() {
                *c /= acc;
            }
            Zipf::Table(cdf)
        } else {
            Zipf::Rejection(Rejection::new(n, s))
        }
    }

    /// A block, 0-based.
    pub fn sample(&self, rng: &mut Rng) -> u32 {
        match self {
            Zipf::Table(cdf) => {
                let u = rng.random::<f64>();
                cdf.partition_point(|&c| c < u).min(cdf.len() - 1) as u32
            }
            Zipf::Rejection(r) => r.sample(rng),
        }
    }
}

/// Rejection-inversion's precomputed constants for one (n, s).
#[derive(Debug)]
pub struct Rejection {
    n: f64,
    s: f64,
    h_integral_x1: f64,
    h_integral_n: f64,
    /// The squeeze: a candidate this close to its rounding is accepted without the test.
    squeeze: f64,
}

impl Rejection {
    fn new(n: u32, s: f64) -> Self {
        let mut r = Rejection {
            n: f64::from(n),
            s,
            h_integral_x1: 0.0,
            h_integral_n: 0.0,
            squeeze: 0.0,
        };
        r.h_integral_x1 = r.h_integral(1.5) - 1.0;
        r.h_integral_n = r.h_integral(r.n + 0.5);
        r.squeeze = 2.0 - r.h_integral_inverse(r.h_integral(2.5) - r.h(2.0));
        r
    }

    fn sample(&self, rng: &mut Rng) -> u32 {
        loop {
            let u =
                self.h_integral_n + rng.random::<f64>() * (self.h_integral_x1 - self.h_integral_n);
            let x = self.h_integral_inverse(u);
            let k = libm::floor(x + 0.5).clamp(1.0, self.n);
            if k - x <= self.squeeze || u >= self.h_integral(k + 0.5) - self.h(k) {
                return k as u32 - 1;
            }
        }
    }

    /// H(x) = ((x^(1-s)) - 1) / (1 - s), or ln x at s = 1: the integral of h.
    fn h_integral(&self, x: f64) -> f64 {
        let log_x = libm::log(x);
        expm1_over_x((1.0 - self.s) * log_x) * log_x
    }

    /// h(x) = x^-s.
    fn h(&self, x: f64) -> f64 {
        libm::exp(-self.s * libm::log(x))
    }

    /// The inverse of H.
    fn h_integral_inverse(&self, x: f64) -> f64 {
        let t = (x * (1.0 - self.s)).max(-1.0);
        libm::exp(log1p_over_x(t) * x)
    }
}

/// (e^x - 1) / x, continuous at 0.
fn expm1_over_x(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        libm::expm1(x) / x
    } else {
        1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + x * 0.25))
    }
}

/// ln(1 + x) / x, continuous at 0.
fn log1p_over_x(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        libm::log1p(x) / x
    } else {
        1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{stream, ComponentId};

    /// Share of `draws` samples that land on each of the first `k` blocks.
    fn shares(z: &Zipf, k: usize, draws: u32) -> Vec<f64> {
        let mut rng = stream(7, ComponentId::Workload(0));
        let mut counts = vec![0u32; k];
        for _ in 0..draws {
            let b = z.sample(&mut rng) as usize;
            if b < k {
                counts[b] += 1;
            }
        }
        counts
            .iter()
            .map(|&c| f64::from(c) / f64::from(draws))
            .collect()
    }

    #[test]
    fn rejection_matches_the_exact_probabilities_of_the_hottest_blocks() {
        let (n, s) = (1u32 << 28, 1.1);
        let z = Zipf::new(n, s);
        assert!(
            matches!(z, Zipf::Rejection(_)),
            "a terabyte volume needs no table"
        );
        // The normaliser: sum of k^-s to n, by the integral for the tail.
        let head: f64 = (1..=1000).map(|k| libm::pow(f64::from(k), -s)).sum();
        let tail =
            (libm::pow(1000.5, 1.0 - s) - libm::pow(f64::from(n) + 0.5, 1.0 - s)) / (s - 1.0);
        let norm = head + tail;
        let got = shares(&z, 3, 200_000);
        for (k, share) in got.iter().enumerate() {
            let want = libm::pow(k as f64 + 1.0, -s) / norm;
            assert!((share - want).abs() < 0.01, "block {k}: {share} vs {want}");
        }
    }

    #[test]
    fn rejection_and_table_agree_on_a_volume_both_can_sample() {
        let table = Zipf::new(1000, 1.1);
        let rejection = Zipf::Rejection(Rejection::new(1000, 1.1));
        let (a, b) = (shares(&table, 5, 100_000), shares(&rejection, 5, 100_000));
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 0.01, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn exponent_one_and_every_block_in_range() {
        let z = Zipf::Rejection(Rejection::new(10, 1.0));
        let mut rng = stream(3, ComponentId::Workload(0));
        let mut seen = [false; 10];
        for _ in 0..20_000 {
            seen[z.sample(&mut rng) as usize] = true;
        }
        assert!(seen.iter().all(|&s| s), "{seen:?}");
    }
}
