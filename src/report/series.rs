//! Recorded series: what the report charts are drawn from. A [`Recorder`] watches one run (see
//! [`crate::model::world::Watcher`]) and samples it at a fixed simulated interval chosen from the run's length;
//! the state between two events does not change, so the sample at a boundary is the state just
//! before the first event past it, and sampling adds no event to the run (the trace hash is the
//! same with or without it). Memory stays bounded however long the run: at most [`MAX_POINTS`]
//! points (past that the interval doubles and neighbouring points merge), per-window latencies go
//! into fixed-size histograms, and at most [`MAX_ROUNDS`] checkpoint rounds are kept (past that
//! only every second, then fourth, ... round number).

use std::any::Any;
use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::faults::{describe_fault, FaultKind, FaultWindow};
use crate::check::{Checker, WriteId};
use crate::held::Held;
use crate::model::net::Delivery;
use crate::model::readable::Readability;
use crate::model::world::Watcher;
use crate::model::world::{Event, World};
use crate::protocol::{Body, Msg, NodeId, Note};
use crate::scenario::types::Fault;
use crate::scenario::Scenario;

/// The most points a series keeps.
pub const MAX_POINTS: usize = 1024;
/// The most checkpoint rounds a series keeps.
pub const MAX_ROUNDS: usize = 2048;
/// Points a run of the expected length gets, before any merging.
pub const TARGET_POINTS: u64 = 500;

/// One sampling window `(t_ns - interval, t_ns]`: what happened in it and the state at its end.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Point {
    /// The window's end, simulated ns.
    pub t_ns: u64,
    /// Host writes completed in the window.
    pub writes: u64,
    /// Median host write latency of the window's completions, ns.
    pub write_p50_ns: Option<u64>,
    /// 99th percentile host write latency of the window's completions, ns.
    pub write_p99_ns: Option<u64>,
    /// Writes first shown by a secondary in the window.
    pub applied: u64,
    /// Secondary lag at the window's end: age of the earliest-stored write no secondary volume
    /// has caught up with (0 when none); after a disaster, measured at the disaster.
    pub lag_ns: u64,
    /// Data exposure at the window's end: age of the oldest completed write the newest image
    /// hosts could read lacks (0 when it lacks none); after a disaster, measured at the disaster.
    pub exposure_ns: u64,
    /// Whether hosts could read the secondary image at the window's end.
    pub image_open: bool,
    /// The most secondaries fenced at once during the window.
    pub fenced_peak: u32,
    /// Per pair: writes the primary stored whose copy had not yet reached the secondary site.
    pub primary_backlog: Vec<u32>,
    /// Per pair: the bytes of those writes.
    pub primary_backlog_bytes: Vec<u64>,
    /// Bytes of host writes whose copies reached the secondary site in the window.
    pub replicated_bytes: u64,
    /// Per pair: writes the secondary held (buffered or being applied) and had not yet shown.
    pub secondary_backlog: Vec<u32>,
    /// Per pair: fraction of the window the pair link (primary to secondary) was busy sending.
    pub link_utilisation: Vec<f64>,
}

/// One checkpoint round as the protocol announced it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Round {
    /// The checkpoint number within its master's epoch (the patent's `n`).
    pub n: u64,
    /// Its unique id (epoch and number).
    pub id: u64,
    /// Its time value: every write stamped at or below precedes it.
    pub time_value: u64,
    /// When the checkpoint master issued it.
    pub issued_ns: Option<u64>,
    /// When the secondary master's rendezvous completed.
    pub rendezvous_ns: Option<u64>,
    /// When the secondary master released it.
    pub released_ns: Option<u64>,
    /// When every secondary had applied it.
    pub applied_ns: Option<u64>,
}

/// Everything recorded about one run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Series {
    /// Sampling interval of `points`, ns.
    pub interval_ns: u64,
    /// Subsystem pairs.
    pub pairs: u16,
    /// Simulated time the run ended.
    pub end_ns: u64,
    /// Samples in time order.
    pub points: Vec<Point>,
    /// Checkpoint rounds in id order (every `round_stride`-th checkpoint number).
    pub rounds: Vec<Round>,
    /// Which checkpoint numbers `rounds` keeps: those divisible by this.
    pub round_stride: u64,
    /// Every fault's window (crashes, network and clock faults, the disaster to the takeover),
    /// in the order they began.
    pub faults: Vec<FaultWindow>,
    /// Time the data exposure spent within the report's RPO target, if one was given: from the
    /// start to the disaster (or the end), exactly as the result's time-weighted percentiles.
    pub rpo_within: Option<crate::check::WithinTarget>,
    /// When the primary-site disaster struck.
    pub disaster_ns: Option<u64>,
    /// When the secondary site was told to take over.
    pub takeover_declared_ns: Option<u64>,
    /// Host write latency distribution over the whole run, as HdrHistogram prints it: (latency
    /// ns, fraction of writes at or below it, writes at or below it), increasing, with rows
    /// closer together towards the tail (p50, p75, ... p99.9, ... 100%).
    pub host_latency_percentiles: Vec<(u64, f64, u64)>,
    /// Mean host write latency, ns.
    pub host_latency_mean_ns: f64,
    /// Standard deviation of host write latency, ns.
    pub host_latency_stdev_ns: f64,
    /// Host writes completed over the whole run.
    pub host_writes: u64,
}

fn histogram(sigfig: u8) -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000_000, sigfig)
        .expect("static histogram bounds are valid")
}

/// A round number 1-2-5 times a power of ten at or above `ns` (at least 1 µs).
pub fn nice_interval(ns: u64) -> u64 {
    let mut base = 1_000u64;
    loop {
        for m in [1, 2, 5] {
            let v = base.saturating_mul(m);
            if v >= ns || v == u64::MAX {
                return v;
            }
        }
        base = base.saturating_mul(10);
    }
}

/// Samples one run into a [`Series`]; attach it to the world with
/// [`crate::model::world::World::watch`].
pub struct Recorder {
    pairs: u16,
    interval: u64,
    window_start: u64,
    window_end: u64,
    /// Bytes per second each pair link carries, all paths together.
    link_rate: Vec<u64>,
    link_busy_until: Vec<u64>,
    link_busy: Vec<u64>,
    win_latency: Histogram<u64>,
    /// Writes first shown by a secondary in the current window.
    win_applied: u64,
    /// Secondaries fenced now, and the most at once in the current window.
    fenced_now: u32,
    win_fenced_peak: u32,
    all_latency: Histogram<u64>,
    /// Per pair: writes stored at the primary whose copy has not reached the secondary site,
    /// with their sizes.
    in_flight: Vec<BTreeMap<WriteId, u32>>,
    /// Per pair: the bytes of those writes.
    in_flight_bytes: Vec<u64>,
    /// Bytes of writes that reached the secondary site in the current window.
    win_replicated: u64,
    points: Vec<Point>,
    rounds: BTreeMap<u64, Round>,
    stride: u64,
    faults: Vec<FaultWindow>,
    /// Each down node: its crash window's index, and how many crashes hold it (overlapping
    /// crashes make one window, ending at the restart that brings the node back).
    open_crashes: Held<NodeId, usize>,
    /// The scenario's faults, to name the windows their events open and close.
    fault_specs: Vec<Fault>,
    /// Per scenario fault index: the window it has open.
    open_faults: BTreeMap<u16, usize>,
    disaster: Option<u64>,
    takeover_declared: Option<u64>,
}

impl Recorder {
    /// A recorder for `sc`, whose run is expected to end at `expected_end_ns`: about
    /// [`TARGET_POINTS`] windows of a round length.
    pub fn new(sc: &Scenario, expected_end_ns: u64) -> Self {
        let pairs = sc.topology.pairs;
        let interval = nice_interval(expected_end_ns / TARGET_POINTS);
        let link_rate = (1..=pairs)
            .map(|p| {
                let l = sc.links.link(p);
                l.bandwidth
                    .0
                    .max(1)
                    .saturating_mul(u64::from(l.paths.max(1)))
            })
            .collect();
        let n = usize::from(pairs);
        Recorder {
            pairs,
            interval,
            window_start: 0,
            window_end: interval,
            link_rate,
            link_busy_until: vec![0; n],
            link_busy: vec![0; n],
            win_latency: histogram(2),
            win_applied: 0,
            fenced_now: 0,
            win_fenced_peak: 0,
            all_latency: histogram(3),
            in_flight: vec![BTreeMap::new(); n],
            in_flight_bytes: vec![0; n],
            win_replicated: 0,
            points: Vec::new(),
            rounds: BTreeMap::new(),
            stride: 1,
            faults: Vec::new(),
            open_crashes: Held::default(),
            fault_specs: sc.faults.clone(),
            open_faults: BTreeMap::new(),
            disaster: None,
            takeover_declared: None,
        }
    }

    /// The sampling interval in force, ns.
    pub fn interval(&self) -> u64 {
        self.interval
    }

    /// Closes every window that ended at or before `now`, with the world as it stood.
    fn advance(&mut self, now: u64, world: &World) {
        while self.window_end <= now {
            let end = self.window_end;
            self.close_window(end, world);
            self.window_start = end;
            self.window_end = end.saturating_add(self.interval);
        }
    }

    fn close_window(&mut self, end: u64, world: &World) {
        let q = |h: &Histogram<u64>, q: f64| (!h.is_empty()).then(|| h.value_at_quantile(q));
        let n = usize::from(self.pairs);
        let span = end.saturating_sub(self.window_start).max(1);
        let link_utilisation = (0..n)
            .map(|i| (self.link_busy[i] as f64 / span as f64).min(1.0))
            .collect();
        let exposure_ns = self.at_disaster(end, |t| world.exposure.age().value_at(t));
        let point = Point {
            t_ns: end,
            writes: self.win_latency.len(),
            write_p50_ns: q(&self.win_latency, 0.5),
            write_p99_ns: q(&self.win_latency, 0.99),
            applied: self.win_applied,
            lag_ns: self.at_disaster(end, |t| world.lag.value_at(t)),
            exposure_ns,
            image_open: world.checker.is_open(),
            fenced_peak: self.win_fenced_peak,
            primary_backlog: self.in_flight.iter().map(|s| s.len() as u32).collect(),
            primary_backlog_bytes: self.in_flight_bytes.clone(),
            replicated_bytes: self.win_replicated,
            secondary_backlog: (0..self.pairs)
                .map(|p| world.secondary_backlog(p) as u32)
                .collect(),
            link_utilisation,
        };
        self.points.push(point);
        if !self.win_latency.is_empty() {
            self.win_latency.reset();
        }
        self.win_applied = 0;
        self.win_fenced_peak = self.fenced_now;
        self.win_replicated = 0;
        if self.points.len() >= MAX_POINTS {
            self.merge();
        }
        let next_end = end.saturating_add(self.interval);
        for i in 0..n {
            self.link_busy[i] = self.link_busy_until[i].clamp(end, next_end) - end;
        }
    }

    /// Doubles the interval, merging each two neighbouring points into one: counts add up,
    /// utilisation averages, the larger p99 and max are kept, the p50 is the count-weighted mean
    /// (an approximation), and gauges are those at the merged window's end.
    fn merge(&mut self) {
        let old = std::mem::take(&mut self.points);
        let mut it = old.into_iter();
        while let Some(a) = it.next() {
            let Some(b) = it.next() else {
                self.points.push(a);
                break;
            };
            let wmean = |x: Option<u64>, nx: u64, y: Option<u64>, ny: u64| match (x, y) {
                (Some(x), Some(y)) => Some(
                    ((u128::from(x) * u128::from(nx) + u128::from(y) * u128::from(ny))
                        / u128::from((nx + ny).max(1))) as u64,
                ),
                (x, y) => x.or(y),
            };
            let max = |x: Option<u64>, y: Option<u64>| x.max(y);
            self.points.push(Point {
                t_ns: b.t_ns,
                writes: a.writes + b.writes,
                write_p50_ns: wmean(a.write_p50_ns, a.writes, b.write_p50_ns, b.writes),
                write_p99_ns: max(a.write_p99_ns, b.write_p99_ns),
                applied: a.applied + b.applied,
                lag_ns: b.lag_ns,
                exposure_ns: b.exposure_ns,
                image_open: b.image_open,
                fenced_peak: a.fenced_peak.max(b.fenced_peak),
                primary_backlog: b.primary_backlog,
                primary_backlog_bytes: b.primary_backlog_bytes,
                replicated_bytes: a.replicated_bytes + b.replicated_bytes,
                secondary_backlog: b.secondary_backlog,
                link_utilisation: a
                    .link_utilisation
                    .iter()
                    .zip(&b.link_utilisation)
                    .map(|(x, y)| (x + y) / 2.0)
                    .collect(),
            });
        }
        // MAX_POINTS is even, so every merged point ends on a multiple of the new interval and
        // the next window (from the last end, one new interval long) stays aligned.
        self.interval = self.interval.saturating_mul(2);
    }

    /// An age the result's percentiles are taken over (exposure, lag), at `t`: held at the
    /// disaster, where their clocks stop.
    fn at_disaster(&self, t: u64, value_at: impl Fn(u64) -> u64) -> u64 {
        value_at(self.disaster.map_or(t, |d| d.min(t)))
    }

    /// The readable set changed: `all` is every secondary's state now.
    pub fn readable(&mut self, all: &Readability) {
        self.fenced_now = all.fenced_count() as u32;
        self.win_fenced_peak = self.win_fenced_peak.max(self.fenced_now);
    }

    /// Before each event: close finished windows, and note faults and arrivals.
    pub fn before(&mut self, now: u64, event: &Event, world: &World) {
        self.advance(now, world);
        match *event {
            // A copy reached the secondary site: directly at its own secondary, or (`central`)
            // in the mover's journal stream.
            Event::Deliver {
                to: NodeId::Secondary(_),
                msg:
                    Msg::Seg {
                        body: Body::Write(w) | Body::Journal(w),
                        ..
                    },
                ..
            } => self.arrived(w.addr.subsystem, w.id),
            // A crash of a node already down only holds its window longer (the guard counts it).
            Event::Crash { node } if self.open_crashes.hold(node, self.faults.len()) => {
                let (kind, label) = match node {
                    NodeId::Primary(_) => (FaultKind::CrashPrimary, node.label()),
                    NodeId::Secondary(_) => (FaultKind::CrashSecondary, node.label()),
                };
                self.open(kind, label, now);
            }
            Event::Restart { node } => {
                if let Some(i) = self.open_crashes.release(&node) {
                    self.faults[i].end_ns = now;
                }
            }
            Event::Fault { index, phase } => self.fault(index, phase, now),
            Event::Disaster if self.disaster.is_none() => {
                self.disaster = Some(now);
                for (_, i) in std::mem::take(&mut self.open_faults) {
                    if self.faults[i].kind == FaultKind::RollingDisaster {
                        self.faults[i].end_ns = now;
                    }
                }
                self.open(FaultKind::Disaster, String::new(), now);
            }
            Event::Takeover if self.takeover_declared.is_none() => {
                self.takeover_declared = Some(now);
            }
            _ => {}
        }
    }

    fn open(&mut self, kind: FaultKind, label: String, now: u64) -> usize {
        self.faults.push(FaultWindow {
            kind,
            label,
            start_ns: now,
            end_ns: u64::MAX,
        });
        self.faults.len() - 1
    }

    /// Scenario fault `index` starts (phase 0) or ends (phase 1); a rolling disaster's phases
    /// are its components failing, the first opening its window.
    fn fault(&mut self, index: u16, phase: u16, now: u64) {
        let Some(f) = self.fault_specs.get(usize::from(index)) else {
            return;
        };
        let (kind, label) = describe_fault(f);
        match kind {
            FaultKind::ClockStep => {
                let i = self.open(kind, label, now);
                self.faults[i].end_ns = now;
            }
            FaultKind::RollingDisaster => {
                if phase == 0 && self.disaster.is_none() {
                    let i = self.open(kind, label, now);
                    self.open_faults.insert(index, i);
                }
            }
            _ if phase == 0 => {
                if !self.open_faults.contains_key(&index) {
                    let i = self.open(kind, label, now);
                    self.open_faults.insert(index, i);
                }
            }
            _ => {
                if let Some(i) = self.open_faults.remove(&index) {
                    self.faults[i].end_ns = now;
                }
            }
        }
    }

    /// Primary `pair` stored write `id` of `bytes`.
    pub fn stored(&mut self, pair: u16, id: WriteId, bytes: u32) {
        if let Some(s) = self.in_flight.get_mut(usize::from(pair)) {
            if s.insert(id, bytes).is_none() {
                self.in_flight_bytes[usize::from(pair)] += u64::from(bytes);
            }
        }
    }

    /// Write `id` of primary `pair` reached the secondary site (or a secondary shows it).
    fn arrived(&mut self, pair: u16, id: WriteId) {
        if let Some(s) = self.in_flight.get_mut(usize::from(pair)) {
            if let Some(bytes) = s.remove(&id) {
                self.in_flight_bytes[usize::from(pair)] -= u64::from(bytes);
                self.win_replicated += u64::from(bytes);
            }
        }
    }

    /// A host saw a write complete, `latency` ns after issuing it.
    pub fn completed(&mut self, latency: u64) {
        self.win_latency.saturating_record(latency);
        self.all_latency.saturating_record(latency);
    }

    /// A secondary is about to show write `id` at `now`.
    pub fn applied(&mut self, pair: u16, id: WriteId, checker: &Checker) {
        self.arrived(pair, id);
        if checker.applied_at(id).is_none() && checker.stored_at(id).is_some() {
            self.win_applied += 1;
        }
    }

    /// A message went on a channel; pair-link traffic from a primary counts towards utilisation.
    pub fn message(&mut self, now: u64, from: NodeId, to: NodeId, msg: &Msg, d: Delivery) {
        let (NodeId::Primary(i), NodeId::Secondary(j)) = (from, to) else {
            return;
        };
        if i != j {
            return;
        }
        let i = usize::from(i);
        let copies = if matches!(d, Delivery::Twice(..)) {
            2
        } else {
            1
        };
        let bytes = u128::from(msg.wire_bytes()) * copies;
        let dur = (bytes * 1_000_000_000).div_ceil(u128::from(self.link_rate[i])) as u64;
        let start = now.max(self.link_busy_until[i]);
        let end = start.saturating_add(dur);
        self.link_busy_until[i] = end;
        let w = self.window_end;
        self.link_busy[i] += end.min(w).saturating_sub(start.min(w));
    }

    /// A node's milestone: checkpoint rounds are recorded.
    pub fn note(&mut self, now: u64, note: Option<Note>) {
        let Some(note) = note else { return };
        let cp = match note {
            Note::CheckpointIssued(cp)
            | Note::Rendezvous { cp, .. }
            | Note::Released(cp)
            | Note::Applied(cp) => cp,
            Note::BecameMaster { .. }
            | Note::Resigned
            | Note::Suspended
            | Note::Resynced
            | Note::Paced
            | Note::HostHold { .. }
            | Note::ClockWait { .. }
            | Note::SwitchAbandoned
            | Note::DrainOverdue => return,
        };
        if !cp.n().is_multiple_of(self.stride) {
            return;
        }
        let r = self.rounds.entry(cp.id).or_insert_with(|| Round {
            n: cp.n(),
            id: cp.id,
            time_value: cp.t,
            ..Round::default()
        });
        let slot = match note {
            Note::CheckpointIssued(_) => &mut r.issued_ns,
            Note::Rendezvous { .. } => &mut r.rendezvous_ns,
            Note::Released(_) => &mut r.released_ns,
            _ => &mut r.applied_ns,
        };
        // The first time counts: a new master may repeat a release.
        slot.get_or_insert(now);
        if self.rounds.len() > MAX_ROUNDS {
            self.stride *= 2;
            let stride = self.stride;
            self.rounds.retain(|_, r| r.n.is_multiple_of(stride));
        }
    }

    /// Ends the recording at `now` (the run's end) and returns the series.
    pub fn finish(mut self, now: u64, world: &World) -> Series {
        self.advance(now, world);
        if now > self.window_start {
            self.close_window(now, world);
        }
        let takeover = world.stats.takeover_ns;
        for f in &mut self.faults {
            if f.end_ns == u64::MAX {
                f.end_ns = if f.kind == FaultKind::Disaster {
                    takeover.unwrap_or(now).max(f.start_ns)
                } else {
                    now
                };
            }
        }
        let total = self.all_latency.len();
        let mut percentiles: Vec<(u64, f64, u64)> = Vec::new();
        if total > 0 {
            // HdrHistogram's percentile output: 5 ticks per halving of the distance to 100%.
            for v in self.all_latency.iter_quantiles(5) {
                let value = self.all_latency.highest_equivalent(v.value_iterated_to());
                let row = (
                    value,
                    v.quantile_iterated_to(),
                    v.count_since_last_iteration(),
                );
                percentiles.push(row);
            }
            let mut seen = 0;
            for row in &mut percentiles {
                seen += row.2;
                row.2 = seen;
            }
        }
        Series {
            interval_ns: self.interval,
            pairs: self.pairs,
            end_ns: now,
            points: self.points,
            rounds: self.rounds.into_values().collect(),
            round_stride: self.stride,
            faults: self.faults,
            rpo_within: world.exposure.age().within(),
            disaster_ns: self.disaster,
            takeover_declared_ns: self.takeover_declared,
            host_latency_mean_ns: if total > 0 {
                self.all_latency.mean()
            } else {
                0.0
            },
            host_latency_stdev_ns: if total > 0 {
                self.all_latency.stdev()
            } else {
                0.0
            },
            host_latency_percentiles: percentiles,
            host_writes: total,
        }
    }
}

/// The recorder samples before each event and counts what the world tells it.
impl Watcher for Recorder {
    fn before(&mut self, now: u64, event: &Event, world: &World) {
        Recorder::before(self, now, event, world);
    }

    fn stored(&mut self, _now: u64, pair: u16, id: WriteId, bytes: u32) {
        Recorder::stored(self, pair, id, bytes);
    }

    fn completed(&mut self, _now: u64, _id: WriteId, latency: u64) {
        Recorder::completed(self, latency);
    }

    fn applied(&mut self, _now: u64, pair: u16, id: WriteId, checker: &Checker) {
        Recorder::applied(self, pair, id, checker);
    }

    fn message(&mut self, now: u64, from: NodeId, to: NodeId, msg: &Msg, delivery: Delivery) {
        Recorder::message(self, now, from, to, msg, delivery);
    }

    fn note(&mut self, now: u64, _node: NodeId, _what: &'static str, note: Option<Note>) {
        Recorder::note(self, now, note);
    }

    fn readable(&mut self, _now: u64, _pair: u16, _readable: bool, all: &Readability) {
        Recorder::readable(self, all);
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{run, Budget, Scheduler};
    use crate::sim::{simulate, simulate_recorded, RunOptions};

    fn patent_example() -> Scenario {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/patent-example.json");
        let text = std::fs::read_to_string(path).expect("scenario file");
        crate::scenario::parse("patent-example", &text, &[]).expect("valid scenario")
    }

    #[test]
    fn recording_watches_without_changing_the_run() {
        let sc = patent_example();
        let plain = simulate(&sc, 1, &RunOptions::default()).expect("runs");
        let opts = RunOptions {
            record: true,
            ..RunOptions::default()
        };
        let (recorded, series) = simulate_recorded(&sc, 1, &opts).expect("runs");
        assert_eq!(plain.trace_hash, recorded.trace_hash);
        let s = series.expect("asked for a series");
        assert!(
            s.points.len() > 100 && s.points.len() <= MAX_POINTS,
            "{}",
            s.points.len()
        );
        assert!(s.points.windows(2).all(|w| w[0].t_ns < w[1].t_ns));
        assert_eq!(s.host_writes, 3);
        assert_eq!(
            s.host_latency_percentiles.last().map(|p| (p.1, p.2)),
            Some((1.0, 3))
        );
        assert!(
            s.rounds.iter().any(|r| r.applied_ns.is_some()),
            "{:?}",
            s.rounds
        );
        assert!(s.faults.iter().any(|f| f.kind == FaultKind::Disaster));
        assert!(s
            .points
            .iter()
            .any(|p| p.secondary_backlog.iter().any(|&b| b > 0)));
        let again = simulate_recorded(&sc, 1, &opts).expect("runs").1;
        assert_eq!(Some(s), again, "same input, same series");
    }

    #[test]
    fn a_run_longer_than_expected_merges_points_and_stays_bounded() {
        let sc = patent_example();
        let mut sched = Scheduler::new();
        let mut world = World::new(&sc, 1, &mut sched);
        // Expect a run 100 times shorter than it is: the interval must double until it fits.
        let rec = Recorder::new(&sc, 350_000);
        let first = rec.interval();
        world.watch(Box::new(rec));
        let out = run(&mut world, &mut sched, 35_000_000, Budget::default());
        let rec = world.take_watchers().pop().expect("attached");
        let rec = rec.into_any().downcast::<Recorder>().expect("a recorder");
        let s = rec.finish(out.now, &world);
        assert!(s.points.len() <= MAX_POINTS);
        assert!(s.interval_ns > first);
        assert!(s.points.windows(2).all(|w| w[0].t_ns < w[1].t_ns));
        assert!(s.points[..s.points.len() - 1]
            .iter()
            .all(|p| p.t_ns % s.interval_ns == 0));
        assert_eq!(s.points.iter().map(|p| p.writes).sum::<u64>(), 3);
    }

    #[test]
    fn the_checker_history_does_not_change_the_series() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/random-pairs.json");
        let text = std::fs::read_to_string(path).expect("scenario file");
        let opts = RunOptions {
            record: true,
            ..RunOptions::default()
        };
        for protocol in ["sync", "checkpoint"] {
            let series = |history: &str| {
                let o = [
                    crate::scenario::Override::parse(&format!("protocol.kind={protocol}"))
                        .expect("override"),
                    crate::scenario::Override::parse(&format!("checker.history={history}"))
                        .expect("override"),
                ];
                let sc = crate::scenario::parse("random-pairs", &text, &o).expect("valid");
                simulate_recorded(&sc, 1, &opts)
                    .expect("runs")
                    .1
                    .expect("a series")
            };
            let (bounded, full) = (series("bounded"), series("full"));
            assert!(
                bounded.host_writes > 100,
                "{protocol}: {}",
                bounded.host_writes
            );
            assert_eq!(bounded, full, "{protocol}");
        }
    }

    #[test]
    fn time_within_target_agrees_with_the_results_time_weighted_percentiles() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/network-faults.json");
        let text = std::fs::read_to_string(path).expect("scenario file");
        let sc = crate::scenario::parse("network-faults", &text, &[]).expect("valid scenario");
        let plain = simulate(&sc, 1, &RunOptions::default()).expect("runs");
        let exposure = plain.latency_ns.exposure.expect("time before the end");
        assert!(exposure.p99 > 0, "the faults hold writes back");
        let within = |t: u64| {
            let opts = RunOptions {
                record: true,
                rpo_target_ns: Some(t),
                ..RunOptions::default()
            };
            let (r, s) = simulate_recorded(&sc, 1, &opts).expect("runs");
            assert_eq!(r.trace_hash, plain.trace_hash);
            s.and_then(|s| s.rpo_within).expect("asked for a target")
        };
        // The p50 and p99 are exact to within a bucket (0.8%): the time at or below them is at
        // least that share, and the time at or below 2% less is at most that share.
        for (q, v) in [(0.5, exposure.p50), (0.99, exposure.p99)] {
            let at = within(v).fraction().expect("time followed");
            assert!(at >= q - 0.005, "q {q}: {at} within {v}");
            let below = within(v - v / 50 - 1).fraction().expect("time followed");
            assert!(
                below <= q + 0.005,
                "q {q}: {below} within {}",
                v - v / 50 - 1
            );
        }
        let all = within(exposure.max);
        assert_eq!(all.within_ns, all.total_ns);
        assert_eq!(
            all.total_ns, plain.sim_ns,
            "no disaster: followed to the end"
        );
    }

    #[test]
    fn intervals_are_round() {
        assert_eq!(nice_interval(0), 1_000);
        assert_eq!(nice_interval(1_001), 2_000);
        assert_eq!(nice_interval(40_000), 50_000);
        assert_eq!(nice_interval(120_000_000), 200_000_000);
    }
}
