//! When a synthetic workload's next write or transaction arrives: at a steady rate, or shaped
//! by bursts (`on_off`) or a rate schedule.
//!
//! A shaped rate is piecewise constant, so arrivals are generated exactly by a time change
//! rather than by thinning: each gap draws an amount of "work" (an exponential of mean 1 for
//! `poisson`, exactly 1 for `fixed`) and time advances until the rate, integrated from the last
//! arrival, has accumulated that much. Within one constant piece this is the usual exponential
//! (or equal) gap of mean 1/rate; across pieces it is the inhomogeneous Poisson process of the
//! shaped rate, with no arrival while the rate is zero. Whole on/off periods are skipped in one
//! step, so a long gap costs no more than a short one. Only IEEE arithmetic and libm are used,
//! so arrivals are the same on every machine.

use rand::Rng as _;

use crate::engine::rng::Rng;
use crate::scenario::shape::Shape;
use crate::scenario::types::Arrival;
use crate::scenario::units::OpsRate;

/// The gap to the next arrival at `mean_ns` apart (the steady case).
fn gap(arrival: Arrival, mean_ns: f64, rng: &mut Rng) -> u64 {
    let g = match arrival {
        Arrival::Fixed => mean_ns,
        Arrival::Poisson => -mean_ns * libm::log(1.0 - rng.random::<f64>()),
    };
    (libm::round(g) as u64).max(1)
}

/// A rate over time, in arrivals per ns.
#[derive(Clone, Debug, PartialEq)]
enum Profile {
    /// The workload's rate throughout.
    Steady,
    /// `rate` for `on` ns, then nothing for `off` ns, repeating from time zero.
    OnOff { on: u64, off: u64, rate: f64 },
    /// `rates[i]` from `starts[i]` until `starts[i + 1]`; `starts[0]` is 0.
    Steps { starts: Vec<u64>, rates: Vec<f64> },
}

/// The arrival process of one workload.
#[derive(Clone, Debug, PartialEq)]
pub struct Arrivals {
    arrival: Arrival,
    mean_ns: f64,
    profile: Profile,
}

impl Arrivals {
    /// Arrivals spaced as `arrival` says, at `rate`, shaped by `shape` if there is one.
    pub fn new(arrival: Arrival, rate: OpsRate, shape: Option<&Shape>) -> Self {
        let per_ns = |r: OpsRate| r.per_sec() / 1e9;
        let profile = match shape {
            None => Profile::Steady,
            Some(Shape::OnOff(o)) => Profile::OnOff {
                on: o.on.as_ns().max(1),
                off: o.off.as_ns(),
                rate: per_ns(rate),
            },
            Some(Shape::Schedule(s)) => {
                let mut starts = vec![0];
                let mut rates = vec![per_ns(rate)];
                for step in &s.steps {
                    let at = step.at.as_ns();
                    // Steps are in increasing order (validated); one at 0 replaces the rate.
                    if starts.last().is_some_and(|&l| at <= l) {
                        starts.pop();
                        rates.pop();
                    }
                    starts.push(at);
                    rates.push(per_ns(step.rate));
                }
                Profile::Steps { starts, rates }
            }
        };
        Arrivals {
            arrival,
            mean_ns: rate.mean_interval_ns(),
            profile,
        }
    }

    /// The time of the next arrival after one at `now` (or after the start, `now` = 0);
    /// always later than `now`.
    pub fn next(&self, now: u64, rng: &mut Rng) -> u64 {
        match &self.profile {
            Profile::Steady => now.saturating_add(gap(self.arrival, self.mean_ns, rng)),
            Profile::OnOff { on, off, rate } => on_off(now, self.work(rng), *on, *off, *rate),
            Profile::Steps { starts, rates } => steps(now, self.work(rng), starts, rates),
        }
    }

    /// The expected number of arrivals one gap spans: exponential of mean 1, or exactly 1.
    fn work(&self, rng: &mut Rng) -> f64 {
        match self.arrival {
            Arrival::Fixed => 1.0,
            Arrival::Poisson => -libm::log(1.0 - rng.random::<f64>()),
        }
    }
}

/// `x` rounded to whole ns, saturating (NaN and negatives give 0).
fn ns(x: f64) -> u64 {
    libm::round(x) as u64
}

/// The next arrival after `now` under bursts of `on` ns at `rate` and pauses of `off` ns.
fn on_off(now: u64, mut work: f64, on: u64, off: u64, rate: f64) -> u64 {
    let period = on.saturating_add(off);
    // The start of the burst `now` is in, or of the next one if `now` is in a pause.
    let phase = now % period;
    let (mut start, mut into) = if phase < on {
        (now - phase, phase)
    } else {
        (now - phase + period, 0)
    };
    let left = (on - into) as f64 * rate;
    if work > left {
        work -= left;
        start = start.saturating_add(period);
        into = 0;
        let per_burst = on as f64 * rate;
        let skip = libm::floor(work / per_burst);
        work -= skip * per_burst;
        start = start.saturating_add(ns(skip).saturating_mul(period));
    }
    // Inside the burst, never at or past its end (rounding must not land in the pause).
    let offset = (into + ns(work / rate)).min(on - 1);
    let t = start.saturating_add(offset);
    if t > now {
        return t;
    }
    // Rounded onto `now`: one ns later, or the next burst if that is in a pause.
    let t = now.saturating_add(1);
    if t % period < on {
        t
    } else {
        t - t % period + period
    }
}

/// The next arrival after `now` under a rate schedule.
fn steps(now: u64, mut work: f64, starts: &[u64], rates: &[f64]) -> u64 {
    let mut i = starts.partition_point(|&s| s <= now).saturating_sub(1);
    let mut t = now;
    loop {
        let rate = rates[i];
        match starts.get(i + 1) {
            Some(&end) if work > (end - t) as f64 * rate => {
                work -= (end - t) as f64 * rate;
                t = end;
                i += 1;
            }
            _ => return t.saturating_add(ns(work / rate)).max(now.saturating_add(1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{stream, ComponentId};
    use crate::scenario::shape::{OnOff, RateStep, Schedule};
    use crate::scenario::units::Duration;

    fn rate(s: &str) -> OpsRate {
        s.parse().expect("valid rate")
    }

    /// Every arrival before `until` ns.
    fn arrivals(a: &Arrivals, until: u64, seed: u64) -> Vec<u64> {
        let mut rng = stream(seed, ComponentId::Other(7));
        let mut v = Vec::new();
        let mut t = a.next(0, &mut rng);
        while t < until {
            v.push(t);
            let n = a.next(t, &mut rng);
            assert!(n > t, "time moves on: {t} then {n}");
            t = n;
        }
        v
    }

    fn count(v: &[u64], from: u64, to: u64) -> usize {
        v.iter().filter(|&&t| t >= from && t < to).count()
    }

    /// `got` is within `sigmas` standard deviations of a Poisson count of mean `mean`.
    fn near(got: usize, mean: f64, sigmas: f64) -> bool {
        (got as f64 - mean).abs() <= sigmas * libm::sqrt(mean) + 1.0
    }

    const MS: u64 = 1_000_000;

    #[test]
    fn steady_arrivals_are_the_plain_gaps() {
        // The unshaped process is exactly what workloads drew before shapes existed.
        for arrival in [Arrival::Poisson, Arrival::Fixed] {
            let a = Arrivals::new(arrival, rate("2000/s"), None);
            let mut r1 = stream(5, ComponentId::Workload(0));
            let mut r2 = stream(5, ComponentId::Workload(0));
            let mut t = 0;
            for _ in 0..100 {
                let want = t + gap(arrival, 500_000.0, &mut r2);
                t = a.next(t, &mut r1);
                assert_eq!(t, want);
            }
        }
    }

    fn bursts(arrival: Arrival) -> Arrivals {
        let shape = Shape::OnOff(OnOff {
            on: Duration::from_ms(20),
            off: Duration::from_ms(80),
        });
        Arrivals::new(arrival, rate("10000/s"), Some(&shape))
    }

    #[test]
    fn on_off_arrives_only_in_bursts_at_the_rate() {
        let v = arrivals(&bursts(Arrival::Poisson), 2000 * MS, 1);
        assert!(
            v.iter().all(|t| t % (100 * MS) < 20 * MS),
            "an arrival in a pause"
        );
        for k in 0..20 {
            let c = count(&v, k * 100 * MS, k * 100 * MS + 20 * MS);
            assert!(
                near(c, 200.0, 5.0),
                "burst {k}: {c} arrivals, expected about 200"
            );
        }
        assert!(near(v.len(), 4000.0, 5.0), "{} in 2s", v.len());
    }

    #[test]
    fn on_off_fixed_spaces_bursts_evenly() {
        let v = arrivals(&bursts(Arrival::Fixed), 1000 * MS, 1);
        for k in 0..10 {
            let c = count(&v, k * 100 * MS, (k + 1) * 100 * MS);
            assert!((199..=201).contains(&c), "burst {k}: {c}");
        }
        assert_eq!(v[1] - v[0], 100_000, "10000/s is 100us apart");
    }

    #[test]
    fn sparse_bursts_are_skipped_in_one_step() {
        // 10/s in 1ms bursts every 100ms: one arrival per 100 bursts, 1000 in 10000s.
        let shape = Shape::OnOff(OnOff {
            on: Duration::from_ms(1),
            off: Duration::from_ms(99),
        });
        let a = Arrivals::new(Arrival::Poisson, rate("10/s"), Some(&shape));
        let v = arrivals(&a, 10_000_000 * MS, 3);
        assert!(v.iter().all(|t| t % (100 * MS) < MS));
        assert!(near(v.len(), 1000.0, 5.0), "{}", v.len());
    }

    fn schedule(arrival: Arrival) -> Arrivals {
        let step = |ms, r| RateStep {
            at: Duration::from_ms(ms),
            rate: rate(r),
        };
        let shape = Shape::Schedule(Schedule {
            steps: vec![
                step(500, "10000/s"),
                step(1000, "2000/s"),
                step(1500, "100/s"),
            ],
        });
        Arrivals::new(arrival, rate("1000/s"), Some(&shape))
    }

    #[test]
    fn a_schedule_changes_the_rate_at_each_step() {
        for seed in 1..4 {
            let v = arrivals(&schedule(Arrival::Poisson), 2500 * MS, seed);
            for (from, to, mean) in [
                (0, 500, 500.0),
                (500, 1000, 5000.0),
                (1000, 1500, 1000.0),
                (1500, 2500, 100.0),
            ] {
                let c = count(&v, from * MS, to * MS);
                assert!(
                    near(c, mean, 5.0),
                    "[{from}ms, {to}ms): {c}, expected {mean}"
                );
            }
        }
        let v = arrivals(&schedule(Arrival::Fixed), 2500 * MS, 1);
        for (from, to, n) in [(0, 500, 500), (500, 1000, 5000), (1000, 1500, 1000)] {
            let c = count(&v, from * MS, to * MS);
            assert!(
                c.abs_diff(n) <= 1,
                "fixed [{from}ms, {to}ms): {c}, expected {n}"
            );
        }
    }

    #[test]
    fn a_step_at_zero_replaces_the_workload_rate() {
        let shape = Shape::Schedule(Schedule {
            steps: vec![
                RateStep {
                    at: Duration::ZERO,
                    rate: rate("100/s"),
                },
                RateStep {
                    at: Duration::from_ms(50),
                    rate: rate("2000/s"),
                },
            ],
        });
        let a = Arrivals::new(Arrival::Fixed, rate("1000000/s"), Some(&shape));
        let v = arrivals(&a, 100 * MS, 1);
        assert_eq!(count(&v, 0, 50 * MS), 4, "100/s: at 10, 20, 30, 40ms");
        assert!(count(&v, 50 * MS, 100 * MS).abs_diff(100) <= 1);
    }

    #[test]
    fn shaped_arrivals_repeat_for_a_seed() {
        let a = schedule(Arrival::Poisson);
        assert_eq!(arrivals(&a, 2000 * MS, 9), arrivals(&a, 2000 * MS, 9));
        assert_ne!(arrivals(&a, 2000 * MS, 9), arrivals(&a, 2000 * MS, 10));
    }
}
