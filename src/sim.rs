//! One checked run from a scenario: build the world, drive the engine, judge the image, report.

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::check::LatencyStats;
use crate::chrome::ChromeTrace;
use crate::engine::{run_stoppable, Budget, Scheduler, StopReason};
use crate::model::world::World;
use crate::output::AtomicFile;
use crate::report::series::{Recorder, Series};
use crate::result::{
    BufferMetrics, CheckpointCounts, CheckpointMetrics, CycleMetrics, Latencies, RunResult,
    WriteCounts,
};
use crate::scenario::types::{Fault, Limits};
use crate::scenario::Scenario;
use crate::ticker::{Report, Ticker};
use crate::trace::Trace;

/// Options of one run beyond the scenario.
#[derive(Clone, Debug, Default)]
pub struct RunOptions<'a> {
    /// Write the event trace as JSON lines here.
    pub trace: Option<&'a Path>,
    /// Write the run's timeline in Chrome Trace Event Format here.
    pub chrome_trace: Option<&'a Path>,
    /// Record the series the reports chart (see [`simulate_recorded`]).
    pub record: bool,
    /// With `record`: also count the time the data exposure stays within this RPO target, ns.
    pub rpo_target_ns: Option<u64>,
    /// Keep only what the Chrome trace shows between these simulated times, ns (`None`: all).
    pub chrome_window: Option<(u64, u64)>,
    /// Stop the run when this is set (by a signal handler, say): the run ends with an error of
    /// kind [`io::ErrorKind::Interrupted`], and the trace files it had started are removed.
    pub stop: Option<&'a AtomicBool>,
}

/// The grace a run gives the copy to catch up before its end: the scenario's `liveness_bound`,
/// or its `drain`.
fn grace(sc: &Scenario) -> u64 {
    sc.liveness_bound.unwrap_or(sc.drain).as_ns()
}

/// Liveness is judged only where it means something: every fault but the disaster healed at
/// least the grace time before the run's `end` (a fault still in force then, or one that never
/// heals, excuses a stall).
fn judges_liveness(sc: &Scenario, end: u64) -> bool {
    let deadline = end.saturating_sub(grace(sc));
    sc.faults.iter().all(|f| {
        f.site_lost_at().is_some() || f.healed_at().is_some_and(|healed| healed <= deadline)
    })
}

/// Runs `sc` under `seed`, checked, and returns its result. A workload input that fails to read
/// during the run (a trace file changed since the scenario was loaded) is an error of kind
/// [`io::ErrorKind::InvalidData`] naming the file and line; no result or trace is kept.
pub fn simulate(sc: &Scenario, seed: u64, opts: &RunOptions<'_>) -> io::Result<RunResult> {
    simulate_recorded(sc, seed, opts).map(|(r, _)| r)
}

/// Runs `sc` under `seed`, checked, and returns its result with the recorded series when
/// `opts.record` asks for them. Recording and the Chrome trace only watch: the result, the
/// trace and its hash are the same with or without them.
pub fn simulate_recorded(
    sc: &Scenario,
    seed: u64,
    opts: &RunOptions<'_>,
) -> io::Result<(RunResult, Option<Series>)> {
    simulate_inner(sc, seed, opts, None)
}

/// As [`simulate`], telling `report` every [`crate::ticker::EVERY`] events how many events
/// were handled and what simulated time was reached (for a progress display). The result and
/// trace hash are those of [`simulate`].
pub fn simulate_with_progress(
    sc: &Scenario,
    seed: u64,
    opts: &RunOptions<'_>,
    report: Report,
) -> io::Result<RunResult> {
    simulate_inner(sc, seed, opts, Some(report)).map(|(r, _)| r)
}

fn simulate_inner(
    sc: &Scenario,
    seed: u64,
    opts: &RunOptions<'_>,
    progress: Option<Report>,
) -> io::Result<(RunResult, Option<Series>)> {
    let stopped = || io::Error::new(io::ErrorKind::Interrupted, "the run was stopped");
    if opts.stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
        return Err(stopped());
    }
    let trace = match opts.trace {
        Some(p) => Trace::with_file(AtomicFile::create(p)?),
        None => Trace::hash_only(),
    };
    let mut sched = Scheduler::new();
    let mut world = World::new(sc, seed, &mut sched);
    world.watch(Box::new(trace));
    let end = sc.duration.as_ns().saturating_add(sc.drain.as_ns());
    let end = sc
        .faults
        .iter()
        .filter_map(Fault::site_lost_at)
        .map(|lost| {
            lost.saturating_add(sc.takeover.delay.as_ns())
                .saturating_add(sc.drain.as_ns())
        })
        .fold(end, u64::max);
    let budget = Budget {
        max_events: sc.limits.max_events,
        max_time: sc.limits.max_sim_time.as_ns(),
    };
    if opts.record {
        // A run with a disaster stops soon after its takeover, well before `end`.
        let expected = sc
            .faults
            .iter()
            .filter_map(Fault::site_lost_at)
            .min()
            .map_or(end, |d| {
                d.saturating_add(d / 4)
                    .saturating_add(sc.takeover.delay.as_ns().saturating_mul(2))
                    .min(end)
            });
        world.watch(Box::new(Recorder::new(sc, expected)));
        if let Some(t) = opts.rpo_target_ns {
            world.exposure.count_within(t);
        }
    }
    if let Some(p) = opts.chrome_trace {
        let title = format!("rcsim {} {} seed {seed}", sc.name, sc.protocol.kind.name());
        world.watch(Box::new(ChromeTrace::create(
            p,
            sc.topology.pairs,
            &sc.faults,
            &title,
            opts.chrome_window,
        )?));
    }
    if let Some(report) = progress {
        world.watch(Box::new(Ticker::new(report)));
    }
    let outcome = run_stoppable(&mut world, &mut sched, end, budget, opts.stop);
    if outcome.reason == StopReason::Stopped {
        // Dropping the world drops its trace writers, whose unfinished files go with them.
        return Err(stopped());
    }
    if let Some(e) = world.input_error() {
        return Err(io::Error::new(io::ErrorKind::InvalidData, e));
    }
    world.exposure.stop(outcome.now);
    world.lag.stop(outcome.now);
    let mut series = None;
    let mut trace = None;
    for watcher in world.take_watchers() {
        let watcher = match watcher.into_any().downcast::<Recorder>() {
            Ok(r) => {
                series = Some(r.finish(outcome.now, &world));
                continue;
            }
            Err(other) => other,
        };
        let watcher = match watcher.downcast::<Trace>() {
            Ok(t) => {
                trace = Some(t);
                continue;
            }
            Err(other) => other,
        };
        if let Ok(c) = watcher.downcast::<ChromeTrace>() {
            c.finish(outcome.now)?;
        }
    }
    let mut trace = trace.expect("the trace watches every run");
    let cut = outcome.reason.is_budget() || world.writes_over_limit() || world.events_over_limit();
    let live = judges_liveness(sc, outcome.now) && !cut;
    let reference = world.finish(outcome.now, cut, live);
    if live && world.stats.disaster_ns.is_none() {
        world
            .checker
            .liveness(outcome.now.saturating_sub(grace(sc)), outcome.now);
    }
    trace.finish()?;
    let c = &world.checker;
    let pct = |s: &LatencyStats| s.percentiles();
    let result = RunResult {
        rcsim_version: crate::version::Version::default(),
        seed,
        protocol: sc.protocol.kind.name().to_string(),
        scenario: sc.name.clone(),
        events: outcome.events,
        sim_ns: outcome.now,
        disaster_ns: world.stats.disaster_ns,
        takeover_ns: world.stats.takeover_ns,
        trace_hash: trace.hash_hex(),
        consistent: c.violations().is_empty(),
        violations: c.violations().to_vec(),
        violation_count: c.violation_count(),
        writes: WriteCounts {
            issued: world.stats.issued,
            completed: world.stats.completed,
            shipped: world.stats.shipped,
            applied: c.applied_writes(),
            checker_held_peak: c.held_peak(),
        },
        rpo: c.rpo(reference),
        latency_ns: Latencies {
            host_write: c.host_latency().measured(),
            secondary_lag: world.lag.distribution().measured(),
            exposure: world.exposure.age().distribution().measured(),
        },
        checkpoints: CheckpointCounts {
            issued: world.stats.checkpoints_issued,
            released: world.stats.checkpoints_released,
            applied: world.stats.checkpoints_applied,
        },
        checkpoint_metrics: CheckpointMetrics {
            rendezvous_ns: pct(&world.rendezvous),
            hosts_held_ns: world.stats.hosts_held_ns,
            failovers: world.stats.failovers,
            clock_waits: world.clock_wait.count(),
            clock_wait_ns: pct(&world.clock_wait),
            clock_wait_total_ns: world.stats.clock_wait_ns,
        },
        buffers: BufferMetrics {
            paced_writes: world.stats.paced_writes,
            suspensions: world.stats.suspensions,
            resync_ns: world.stats.resync_ns,
        },
        host_hold_ns: pct(&world.host_hold),
        cycle_metrics: CycleMetrics {
            holds: world.host_hold.count(),
            abandoned: world.stats.switches_abandoned,
            drain_timeouts: world.stats.drain_timeouts,
        },
        image: c.image(),
        budget_exhausted: cut,
        budget: match outcome.reason {
            StopReason::EventBudget => Some(Limits::EVENTS.into()),
            StopReason::TimeBudget => Some(Limits::SIM_TIME.into()),
            _ if world.writes_over_limit() => Some(Limits::WRITES_IN_FLIGHT.into()),
            _ if world.events_over_limit() => Some(Limits::EVENTS_PENDING.into()),
            _ => None,
        },
        overloaded: world.overloaded(),
    };
    Ok((result, series))
}
