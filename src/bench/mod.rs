//! `rcsim bench`: the standard performance figures (the product contract's `rcsim bench`).
//!
//! Every figure is the median of several timed repetitions, and every ratio compares figures
//! measured in the same process run. Wall-clock time is read only around whole runs, never
//! inside one: the runs themselves stay deterministic (the standard scenario and each campaign
//! seed report their trace hash, and the campaign checks that all cores reproduce one core's
//! hashes).
//!
//! - `hold`: the classic hold model on the engine's queue, run loop and ChaCha RNG: pop the next
//!   event and push it back at now + U[0, 2^20) ns, with a fixed number of events pending.
//! - `pingpong`: 1000 processes each exchanging pings and pongs with 10 random peers over
//!   random delays (the shape of simcore's ping-pong example), on the same engine.
//! - `standard`: `scenarios/bench-standard.json` under `checkpoint`, checker on, through
//!   [`crate::sim::simulate`]; its events/s over hold's at the scenario's mean pending count.
//! - `campaign`: the default fuzz campaign over 1000 seeds, on one core and on all cores.
//! - `scaling` (with `--scaling`): the standard scenario's events/s with 2, 16 and 128 pairs and
//!   with 1e5, 1e6 and 1e7 host writes; and knobs at 1x and 10x the work (pairs 8 and 1024,
//!   20 µs checkpoints, empirical values, chained script writes, 64 volumes of 1 TiB).
//! - wall-clock figures (the contract's) come with on-CPU ones (`cpu_*`, the thread's CPU time
//!   from `clock_gettime`) that a busy machine does not inflate.
//! - `peak_rss_bytes`: the process's peak resident memory (VmHWM), Linux only (0 elsewhere).

pub mod campaign;
pub mod cpu;
pub mod hold;
pub mod knobs;
pub mod pingpong;
pub mod rss;
pub mod scaling;
pub mod standard;

use serde::Serialize;

/// How much to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// The smaller version that finishes in seconds, for smoke tests.
    pub quick: bool,
    /// Also measure how the standard scenario scales, and the knobs (about 2 minutes more in full).
    pub scaling: bool,
}

impl Config {
    /// Timed repetitions of each figure; the median is reported.
    pub fn repetitions(&self) -> usize {
        if self.quick {
            3
        } else {
            5
        }
    }
}

/// The machine the figures were measured on.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    /// Cores the process may use.
    pub cores: usize,
    /// CPU model (from /proc/cpuinfo), or "unknown".
    pub cpu: String,
    /// The 1-minute load average when the bench started (from /proc/loadavg; 0 where unknown):
    /// wall-clock figures are only comparable on an otherwise idle machine.
    pub load_average: f64,
}

impl Machine {
    /// The machine this process runs on.
    pub fn this() -> Self {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".to_string());
        let load_average = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|s| s.split_whitespace().next().and_then(|l| l.parse().ok()))
            .unwrap_or(0.0);
        Machine {
            cores: cores(),
            cpu,
            load_average,
        }
    }
}

/// Cores available to this process (at least 1).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Every figure of one `rcsim bench`.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// True for `--quick`.
    pub quick: bool,
    /// Timed repetitions behind each median.
    pub repetitions: usize,
    /// Where it ran.
    pub machine: Machine,
    /// The hold model at 1e3, 1e4, 1e5 and 1e6 pending events.
    pub hold: Vec<hold::HoldFigure>,
    /// The ping-pong model.
    pub pingpong: pingpong::PingPongFigure,
    /// The standard scenario.
    pub standard: standard::StandardFigure,
    /// The seed campaign.
    pub campaign: campaign::CampaignFigure,
    /// How the standard scenario scales, when asked for (`--scaling`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scaling: Option<scaling::ScalingFigure>,
    /// Peak resident memory of the whole bench process, bytes (0 where unknown).
    pub peak_rss_bytes: u64,
}

/// The median of `xs` (the mean of the middle two for an even count); 0 for none.
pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Runs every benchmark, calling `progress` with a line before each.
pub fn run(cfg: Config, progress: &mut dyn FnMut(&str)) -> Report {
    let reps = cfg.repetitions();
    let machine = Machine::this();
    let mut peak = rss::Peak::new();
    let mut holds = Vec::new();
    for pending in hold::PENDING {
        progress(&format!("hold, {pending} pending"));
        holds.push(hold::measure(pending, cfg, reps));
    }
    peak.sample();
    progress("pingpong");
    let pingpong = pingpong::measure(cfg, reps);
    peak.sample();
    progress("standard scenario");
    let standard = standard::measure(cfg, &mut peak, &mut *progress);
    progress("campaign");
    let campaign = campaign::measure(cfg);
    peak.sample();
    let scaling = cfg.scaling.then(|| scaling::measure(cfg, &mut *progress));
    peak.sample();
    Report {
        quick: cfg.quick,
        repetitions: reps,
        machine,
        hold: holds,
        pingpong,
        standard,
        campaign,
        scaling,
        peak_rss_bytes: peak.max(),
    }
}

/// The report as a human table.
pub fn table(r: &Report) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let inv = |x: f64| if x > 0.0 { 1e9 / x } else { 0.0 };
    let _ = writeln!(
        s,
        "rcsim bench{} on {} ({} cores, load average {:.2} at the start); medians of {} runs",
        if r.quick { " --quick" } else { "" },
        r.machine.cpu,
        r.machine.cores,
        r.machine.load_average,
        r.repetitions
    );
    let _ = writeln!(
        s,
        "\n{:<40} {:>10} {:>12} {:>14} {:>14}",
        "workload", "ns/event", "cpu ns/event", "events/s", "cpu events/s"
    );
    let mut row = |name: String, wall_ns: f64, cpu_ns: f64| {
        let _ = writeln!(
            s,
            "{name:<40} {wall_ns:>10.1} {cpu_ns:>12.1} {:>14.0} {:>14.0}",
            inv(wall_ns),
            inv(cpu_ns)
        );
    };
    for h in &r.hold {
        row(
            format!("hold, {} pending", h.pending),
            h.ns_per_event,
            h.cpu_ns_per_event,
        );
    }
    let p = &r.pingpong;
    row(
        format!("pingpong, {} processes x {} peers", p.processes, p.peers),
        p.ns_per_event,
        inv(p.cpu_events_per_s),
    );
    let st = &r.standard;
    row(
        format!("standard, {} events", st.events),
        inv(st.events_per_s),
        inv(st.cpu_events_per_s),
    );
    row(
        format!("hold at standard's {} mean pending", st.hold.pending),
        st.hold.ns_per_event,
        st.hold.cpu_ns_per_event,
    );
    let _ = writeln!(
        s,
        "\nstandard / hold: {:.3} (on-CPU {:.3}); {} host writes, trace hash {}, {}, peak RSS {}",
        st.ratio_to_hold,
        st.cpu_ratio_to_hold,
        st.host_writes,
        st.trace_hash,
        if st.consistent {
            "consistent"
        } else {
            "INCONSISTENT"
        },
        mib(st.peak_rss_bytes)
    );
    let c = &r.campaign;
    let _ = writeln!(
        s,
        "campaign: {} seeds (mean {} events): {:.1} seeds/s on 1 core, {:.1} seeds/s on {} cores \
         ({:.2}x), same hashes: {}, failed: {}",
        c.seeds,
        c.events_per_seed,
        c.seeds_per_s_one_core,
        c.seeds_per_s_all_cores,
        c.cores,
        c.speedup,
        c.identical,
        c.failed
    );
    if let Some(sc) = &r.scaling {
        scaling_table(&mut s, sc);
    }
    let _ = writeln!(s, "peak memory: {}", mib(r.peak_rss_bytes));
    s
}

/// The scaling axes as rows of pairs, host writes, events, events/s and peak memory.
fn scaling_table(s: &mut String, sc: &scaling::ScalingFigure) {
    use std::fmt::Write as _;
    let _ = writeln!(
        s,
        "\n{:<8} {:>12} {:>12} {:>14} {:>14} {:>6} {:>12}",
        "pairs", "host writes", "events", "events/s", "cpu events/s", "runs", "peak RSS"
    );
    for p in sc.writes.iter().chain(&sc.pairs) {
        let _ = writeln!(
            s,
            "{:<8} {:>12} {:>12} {:>14.0} {:>14.0} {:>6} {:>12}",
            p.pairs,
            p.host_writes,
            p.events,
            p.events_per_s,
            p.cpu_events_per_s,
            p.runs,
            mib(p.peak_rss_bytes)
        );
    }
    let _ = writeln!(
        s,
        "fastest / slowest: {:.2} over pairs, {:.2} over writes (on-CPU {:.2} and {:.2})",
        sc.pairs_spread, sc.writes_spread, sc.cpu_pairs_spread, sc.cpu_writes_spread
    );
    let _ = writeln!(
        s,
        "\n{:<26} {:<20} {:>10} {:>5} {:>14} {:>12} {:>9}",
        "knob", "setting", "events", "runs", "cpu events/s", "peak RSS", "slowdown"
    );
    for k in &sc.knobs {
        for (p, slowdown) in [
            (&k.small, String::new()),
            (&k.large, format!("{:.2}", k.slowdown)),
        ] {
            let _ = writeln!(
                s,
                "{:<26} {:<20} {:>10} {:>5} {:>14.0} {:>12} {:>9}",
                k.knob,
                p.setting,
                p.events,
                p.runs,
                p.cpu_events_per_s,
                mib(p.peak_rss_bytes),
                slowdown
            );
        }
    }
}

fn mib(bytes: u64) -> String {
    if bytes == 0 {
        "unknown".to_string()
    } else {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_knob_table_shows_each_point_with_its_runs_and_the_slowdown() {
        let point = |setting: &str, events: u64, runs: usize| knobs::KnobPoint {
            setting: setting.to_string(),
            events,
            events_per_s: 1.0,
            cpu_events_per_s: 2_000_000.0,
            runs,
            warmup_runs: 1,
            peak_rss_bytes: 3 << 20,
            trace_hash: String::new(),
            consistent: true,
        };
        let sc = scaling::ScalingFigure {
            pairs: Vec::new(),
            writes: Vec::new(),
            pairs_spread: 1.0,
            writes_spread: 1.0,
            cpu_pairs_spread: 1.0,
            cpu_writes_spread: 1.0,
            knobs: vec![knobs::KnobFigure {
                knob: "pairs".to_string(),
                small: point("8", 339_494, 3),
                large: point("1024", 7_582_164, 1),
                slowdown: 1.704,
            }],
        };
        let mut s = String::new();
        scaling_table(&mut s, &sc);
        let rows: Vec<Vec<&str>> = s
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .filter(|w| w.len() > 1 && w[0] == "pairs" && w[1].parse::<u32>().is_ok())
            .collect();
        assert_eq!(rows.len(), 2, "{s}");
        assert_eq!(rows[0][1..5], ["8", "339494", "3", "2000000"]);
        assert_eq!(rows[1][1..5], ["1024", "7582164", "1", "2000000"]);
        assert_eq!(rows[1].last(), Some(&"1.70"));
        assert!(s.contains("runs"), "{s}");
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }
}
