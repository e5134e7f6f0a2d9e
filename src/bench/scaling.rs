//! How the standard scenario's cost per event grows with its size: events/s with 2, 16 and 128
//! pairs (at 1e6 host writes), and with 1e5, 1e6 and 1e7 host writes (at 8 pairs). Linear cost
//! means flat events/s along both axes. The pairs axis keeps the host write rate and the total
//! storage of the standard scenario (131,072 blocks on each site, spread over the pairs; the DBMS
//! writes its data to every pair but the first), so it isolates what the protocol's fan-out
//! costs; the writes axis lengthens the run at the standard rate (about 18,000 host writes/s),
//! and its peak memory shows the checker's history staying bounded.

use serde::Serialize;

use super::{rss, standard, Config};

/// Host writes per simulated second of the standard scenario (1,706,197 in 95 s).
const WRITES_PER_S: f64 = 17_960.0;
/// Blocks on each site in the standard scenario (8 pairs x 4 volumes x 4096 blocks).
const SITE_BLOCKS: u32 = 8 * 4 * 4096;

/// One point of a scaling axis.
#[derive(Clone, Debug, Serialize)]
pub struct ScalePoint {
    /// Subsystem pairs.
    pub pairs: u16,
    /// Host writes the run was sized for.
    pub target_writes: u64,
    /// Host writes the run issued.
    pub host_writes: u64,
    /// Events in one run.
    pub events: u64,
    /// Median events per wall-clock second.
    pub events_per_s: f64,
    /// Median events per on-CPU second (0 where unknown).
    pub cpu_events_per_s: f64,
    /// Timed runs behind the medians.
    pub runs: usize,
    /// Peak resident memory of the process during this point's runs, bytes (0 where unknown).
    pub peak_rss_bytes: u64,
    /// The run's trace hash (the same in every run, or the bench fails).
    pub trace_hash: String,
    /// True when the checker found the run consistent.
    pub consistent: bool,
}

/// Both axes, and how far each strays from flat.
#[derive(Clone, Debug, Serialize)]
pub struct ScalingFigure {
    /// 2, 16 and 128 pairs.
    pub pairs: Vec<ScalePoint>,
    /// 1e5, 1e6 and 1e7 host writes.
    pub writes: Vec<ScalePoint>,
    /// Fastest over slowest events/s along the pairs axis (1 is perfectly linear).
    pub pairs_spread: f64,
    /// Fastest over slowest events/s along the writes axis.
    pub writes_spread: f64,
    /// The same two spreads on on-CPU time (0 where unknown).
    pub cpu_pairs_spread: f64,
    /// See `cpu_pairs_spread`.
    pub cpu_writes_spread: f64,
    /// Knobs at 1x and 10x the work (see [`super::knobs`]).
    pub knobs: Vec<super::knobs::KnobFigure>,
}

/// The overrides that size the standard scenario for `pairs` pairs and `writes` host writes.
pub fn overrides(pairs: u16, writes: u64) -> Vec<String> {
    let secs = writes as f64 / WRITES_PER_S;
    let data: Vec<String> = (2..=pairs)
        .map(|p| format!("{{\"subsystem\":{p}}}"))
        .collect();
    vec![
        format!("duration={secs:.6}s"),
        format!("faults.0.at={:.6}s", secs * 0.999),
        format!("topology.pairs={pairs}"),
        format!(
            "topology.blocks_per_volume={}",
            SITE_BLOCKS / (4 * u32::from(pairs))
        ),
        format!("workloads.0.data=[{}]", data.join(",")),
        format!("limits.max_events={}", 20 * writes + 1_000_000),
    ]
}

/// Runs the standard scenario sized for `pairs` and `writes`, `runs` times.
pub fn point(pairs: u16, writes: u64, runs: usize) -> ScalePoint {
    let o = overrides(pairs, writes);
    let extra: Vec<&str> = o.iter().map(String::as_str).collect();
    let sc = standard::scenario(false, &extra);
    let reset = rss::reset_peak();
    let (res, wall, cpu_s) = standard::repeat(&sc, runs, &mut |_| {});
    ScalePoint {
        pairs,
        target_writes: writes,
        host_writes: res.writes.issued,
        events: res.events,
        events_per_s: res.events as f64 / wall,
        cpu_events_per_s: if cpu_s > 0.0 {
            res.events as f64 / cpu_s
        } else {
            0.0
        },
        runs,
        peak_rss_bytes: if reset { rss::peak_rss_bytes() } else { 0 },
        trace_hash: res.trace_hash,
        consistent: res.consistent,
    }
}

/// Fastest over slowest of `xs` (0 if any is unknown).
fn spread(xs: impl Iterator<Item = f64> + Clone) -> f64 {
    let max = xs.clone().fold(0.0, f64::max);
    let min = xs.fold(f64::INFINITY, f64::min);
    if min > 0.0 && min.is_finite() {
        max / min
    } else {
        0.0
    }
}

/// Measures both axes (a hundredth of the writes with `--quick`), calling `progress` before
/// each point; the writes axis first, so that its peak memory is not the pairs axis's. Points
/// under 3 million host writes are the median of 3 runs, longer ones run once. Peak memory is
/// the process's since the point began (Linux resets it to the current resident size, which
/// keeps what the allocator holds from earlier points).
pub fn measure(cfg: Config, progress: &mut dyn FnMut(&str)) -> ScalingFigure {
    let scale = if cfg.quick { 100 } else { 1 };
    let runs = |writes: u64| if writes >= 1_000_000 * 3 { 1 } else { 3 };
    let mut writes = Vec::new();
    for w in [100_000u64, 1_000_000, 10_000_000] {
        let w = w / scale;
        progress(&format!("scaling: 8 pairs, {w} host writes"));
        writes.push(point(8, w, runs(w)));
    }
    let mut pairs = Vec::new();
    for p in [2u16, 16, 128] {
        let w = 1_000_000 / scale;
        progress(&format!("scaling: {p} pairs, {w} host writes"));
        pairs.push(point(p, w, runs(w)));
    }
    let knobs = super::knobs::measure(cfg, progress);
    ScalingFigure {
        knobs,
        pairs_spread: spread(pairs.iter().map(|p| p.events_per_s)),
        writes_spread: spread(writes.iter().map(|p| p.events_per_s)),
        cpu_pairs_spread: spread(pairs.iter().map(|p| p.cpu_events_per_s)),
        cpu_writes_spread: spread(writes.iter().map(|p| p.cpu_events_per_s)),
        pairs,
        writes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sized_scenarios_parse_and_run_consistently() {
        for pairs in [2, 128] {
            let p = point(pairs, 2_000, 1);
            assert!(p.consistent, "{pairs} pairs");
            assert!(
                p.host_writes > 1_000 && p.host_writes < 3_000,
                "{}",
                p.host_writes
            );
        }
    }

    #[test]
    fn spread_is_fastest_over_slowest() {
        assert_eq!(spread([2.0, 4.0, 3.0].into_iter()), 2.0);
        assert_eq!(spread([2.0, 0.0].into_iter()), 0.0);
    }
}
