//! The standard scenario (`scenarios/bench-standard.json`) under `checkpoint`, checker on, run
//! through [`crate::sim::simulate`]; compared with the hold model at the scenario's own mean
//! pending count, measured in the same process.

use serde::Serialize;

use super::{cpu, hold, median, rss, Config};
use crate::engine::{run, Budget, Control, Handler, Scheduler};
use crate::model::world::{Event, World};
use crate::scenario::{Override, Scenario};
use crate::sim::{simulate, RunOptions};

/// The standard scenario's text (the file in `scenarios/`, built in).
pub const SCENARIO: &str = include_str!("../../scenarios/bench-standard.json");

/// The overrides that make the quick version: 2 s of hosts instead of 95 s.
pub const QUICK: [&str; 2] = ["duration=2s", "faults.0.at=1.9s"];

/// The standard figure.
#[derive(Clone, Debug, Serialize)]
pub struct StandardFigure {
    /// The scenario's name.
    pub scenario: String,
    /// Events in one run.
    pub events: u64,
    /// Host writes issued in one run.
    pub host_writes: u64,
    /// Median events per wall-clock second.
    pub events_per_s: f64,
    /// Median wall-clock seconds of one run (building the world included).
    pub seconds: f64,
    /// `events_per_s` over the hold model's events/s at `hold.pending`.
    pub ratio_to_hold: f64,
    /// Median events per on-CPU second (0 where unknown).
    pub cpu_events_per_s: f64,
    /// The same ratio on on-CPU time (0 where unknown).
    pub cpu_ratio_to_hold: f64,
    /// The hold model at the scenario's mean pending count, measured alongside.
    pub hold: hold::HoldFigure,
    /// The run's trace hash (the same in every repetition, or the bench fails).
    pub trace_hash: String,
    /// True when the checker found the run consistent.
    pub consistent: bool,
    /// Peak resident memory during the runs, bytes (0 where unknown).
    pub peak_rss_bytes: u64,
}

/// The standard scenario, full or quick, with any extra `--set`-style overrides.
pub fn scenario(quick: bool, extra: &[&str]) -> Scenario {
    let mut o: Vec<Override> = Vec::new();
    if quick {
        o.extend(
            QUICK
                .iter()
                .map(|s| Override::parse(s).expect("static override")),
        );
    }
    o.extend(
        extra
            .iter()
            .map(|s| Override::parse(s).expect("bench override")),
    );
    crate::scenario::parse("scenarios/bench-standard.json", SCENARIO, &o)
        .expect("the built-in standard scenario is valid")
}

/// Wraps the world to sum the pending count after every event.
struct Probe<'a> {
    world: &'a mut World,
    pending_sum: u128,
}

impl Handler for Probe<'_> {
    type Event = Event;

    fn handle(&mut self, event: Event, sched: &mut Scheduler<Event>) -> Control {
        let c = self.world.handle(event, sched);
        self.pending_sum += sched.pending() as u128;
        c
    }
}

/// The mean number of events pending while the hosts of `sc` write (the scenario's `duration`),
/// under `seed`: an untimed run of the same world, stopped at the end of the writes (the drain
/// and any takeover after it barely move the mean).
pub fn mean_pending(sc: &Scenario, seed: u64) -> usize {
    let mut sched = Scheduler::new();
    let mut world = World::new(sc, seed, &mut sched);
    let mut probe = Probe {
        world: &mut world,
        pending_sum: 0,
    };
    let budget = Budget {
        max_events: sc.limits.max_events,
        max_time: sc.limits.max_sim_time.as_ns(),
    };
    let o = run(&mut probe, &mut sched, sc.duration.as_ns(), budget);
    (probe.pending_sum / u128::from(o.events.max(1))) as usize
}

/// Runs `sc` `runs` times (at least once), calling `each` with the run's number (0-based)
/// before it: the first run's result and the median wall-clock and on-CPU seconds. Every run
/// must repeat the first one's trace hash.
pub fn repeat(
    sc: &Scenario,
    runs: usize,
    each: &mut dyn FnMut(usize),
) -> (crate::result::RunResult, f64, f64) {
    let (res, wall, cpu, _) = repeat_for(sc, runs, 0.0, each);
    (res, wall, cpu)
}

/// The most runs [`repeat_for`] makes to fill its time.
pub const MAX_RUNS: usize = 25;

/// As [`repeat`], and then more runs while all of them together took less than `min_cpu_s`
/// seconds on CPU (no more than [`MAX_RUNS`] in all, or `runs` where that is more), so that a
/// point of a tenth of a second is a median of many runs and one slow moment on a shared
/// machine does not move it. Also returns the number of runs.
pub fn repeat_for(
    sc: &Scenario,
    runs: usize,
    min_cpu_s: f64,
    each: &mut dyn FnMut(usize),
) -> (crate::result::RunResult, f64, f64, usize) {
    let mut walls = Vec::new();
    let mut cpus: Vec<f64> = Vec::new();
    let mut first: Option<crate::result::RunResult> = None;
    let mut r = 0;
    while r < runs.max(1) || (cpus.iter().sum::<f64>() < min_cpu_s && r < MAX_RUNS) {
        each(r);
        r += 1;
        let (res, t) = cpu::time(|| simulate(sc, sc.seed, &RunOptions::default()));
        let res = res.expect("no trace file to write");
        walls.push(t.wall);
        cpus.push(t.cpu);
        match &first {
            Some(f) => assert_eq!(f.trace_hash, res.trace_hash, "runs must repeat exactly"),
            None => first = Some(res),
        }
    }
    (
        first.expect("at least one run"),
        median(&walls),
        median(&cpus),
        r,
    )
}

/// Runs the standard scenario `reps` times (3 in full, as each run is long) and the hold model
/// at its mean pending count.
pub fn measure(
    cfg: Config,
    peak: &mut rss::Peak,
    progress: &mut dyn FnMut(&str),
) -> StandardFigure {
    let sc = scenario(cfg.quick, &[]);
    let seed = sc.seed;
    let reps = 3;
    let pending = mean_pending(&sc, seed).max(1);
    progress(&format!("standard scenario: hold at {pending} pending"));
    let hold = hold::measure(pending, cfg, cfg.repetitions());
    let reset = peak.sample_and_reset();
    let (res, seconds, cpu_seconds) = repeat(&sc, reps, &mut |r| {
        progress(&format!("standard scenario: run {} of {reps}", r + 1));
    });
    let run_peak = if reset { rss::peak_rss_bytes() } else { 0 };
    peak.sample();
    let events_per_s = res.events as f64 / seconds;
    let hold_eps = 1e9 / hold.ns_per_event;
    let cpu_events_per_s = if cpu_seconds > 0.0 {
        res.events as f64 / cpu_seconds
    } else {
        0.0
    };
    let cpu_ratio_to_hold = if hold.cpu_ns_per_event > 0.0 {
        cpu_events_per_s * hold.cpu_ns_per_event / 1e9
    } else {
        0.0
    };
    StandardFigure {
        scenario: res.scenario,
        events: res.events,
        host_writes: res.writes.issued,
        events_per_s,
        seconds,
        ratio_to_hold: events_per_s / hold_eps,
        cpu_events_per_s,
        cpu_ratio_to_hold,
        hold,
        trace_hash: res.trace_hash,
        consistent: res.consistent,
        peak_rss_bytes: run_peak,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_scenario_parses_and_its_quick_version_is_short() {
        let full = scenario(false, &[]);
        let quick = scenario(true, &[]);
        assert_eq!(full.name, "bench-standard");
        assert!(quick.duration.as_ns() < full.duration.as_ns());
    }

    #[test]
    fn repeating_for_a_time_runs_until_it_is_filled_or_the_cap() {
        let sc = scenario(true, &["duration=2ms", "faults.0.at=1ms"]);
        let mut seen = 0;
        let (_, _, _, runs) = repeat_for(&sc, 2, 0.0, &mut |_| seen += 1);
        assert_eq!((runs, seen), (2, 2));
        let mut seen = 0;
        let (_, _, _, runs) = repeat_for(&sc, 2, 1e9, &mut |_| seen += 1);
        assert_eq!((runs, seen), (MAX_RUNS, MAX_RUNS));
        let (_, _, _, runs) = repeat_for(&sc, 0, 0.0, &mut |_| {});
        assert_eq!(runs, 1);
    }

    #[test]
    fn probing_the_pending_count_does_not_change_the_run() {
        let sc = scenario(true, &["duration=50ms", "faults.0.at=40ms"]);
        let plain = simulate(&sc, 1, &RunOptions::default()).expect("runs");
        assert!(mean_pending(&sc, 1) > 0);
        let again = simulate(&sc, 1, &RunOptions::default()).expect("runs");
        assert_eq!(plain.trace_hash, again.trace_hash);
        assert!(plain.consistent);
    }
}
