//! The world: every model component and protocol node of one run, and the event type that moves
//! between them. It routes node outputs to the right model (a LAN, a pair link through the
//! primary's copy stage, a secondary's apply stage, a timer), feeds the checker what the hosts and
//! the secondary volumes see, and records each event in the trace.

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};

use super::clock::Clock;
use super::net::{Channel, Delivery};
use super::readable::Readability;
use super::stage::Stage;
use super::watch::Watcher;
use super::workload::{Dbms, Host, HostOut, RandomWriter, Script};
use crate::check::{Checker, Geometry, WriteId};
use crate::engine::{stream, ComponentId, Control, Handler, Scheduler};
use crate::protocol::checkpoint::Mutant;
use crate::protocol::shipping::{BufferLimit, FullPolicy};
use crate::protocol::{self, Input, Msg, Node, NodeId, Note, Output, Outputs, Timer, WriteMeta};
use crate::scenario::dist::Dist;
use crate::scenario::types::{
    BufferKind, ClockKind, Fault, MemberFailureKind, MutantKind, NetTarget, ProtocolKind,
    RollingOrder, Scenario, Site, VolumeRef, WhenFull, Workload,
};
use crate::scenario::units::Duration;
use crate::sparse::Sparse;
use crate::trace::Trace;

/// Everything that can happen in a run.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// Start copy (step 102) at every subsystem.
    Start,
    /// A workload's wake-up.
    Wake {
        /// Workload index.
        host: u16,
        /// The workload's tag.
        tag: u32,
    },
    /// A primary finished serving a host write.
    WriteServed {
        /// Pair index.
        pair: u16,
        /// The write.
        write: WriteMeta,
    },
    /// A primary's copy stage put a message on its pair link (or, for a `central` read answer,
    /// on the primary LAN to the mover).
    CopyServed {
        /// Pair index.
        pair: u16,
        /// The message.
        msg: Msg,
        /// Where it goes: the pair's secondary, or the mover's primary.
        to: NodeId,
    },
    /// A secondary finished applying a write to its volume.
    ApplyServed {
        /// Pair index.
        pair: u16,
        /// The write.
        write: WriteMeta,
        /// The secondary's incarnation when the apply started; a crash since voids it.
        incarnation: u32,
        /// When, among this secondary's applies, it started: of two applies to one block, the
        /// later-started one wins, as a controller serialises writes to a block.
        order: u64,
    },
    /// A message arrives.
    Deliver {
        /// Destination.
        to: NodeId,
        /// Sender.
        from: NodeId,
        /// Contents.
        msg: Msg,
    },
    /// A node's timer fires.
    Timer {
        /// Whose.
        node: NodeId,
        /// Which.
        timer: Timer,
    },
    /// The primary site fails.
    Disaster,
    /// The secondary site is told to take over.
    Takeover,
    /// A subsystem crashes.
    Crash {
        /// Which.
        node: NodeId,
    },
    /// A crashed subsystem comes back.
    Restart {
        /// Which.
        node: NodeId,
    },
    /// Fault `index` of the scenario starts (phase 0) or ends (phase 1); for a rolling disaster,
    /// phase k fails its k-th component.
    Fault {
        /// Index into the scenario's faults.
        index: u16,
        /// Which step of the fault.
        phase: u16,
    },
}

/// A part of the primary site that a rolling disaster takes down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Component {
    /// Pair link `i` (both directions).
    Link(u16),
    /// Primary subsystem `i`.
    Primary(u16),
    /// The primary LAN.
    PrimaryLan,
}

impl Component {
    /// Every component of an `n`-pair primary site, in the order `order` says.
    fn order(n: u16, order: &RollingOrder, rng: &mut crate::engine::rng::Rng) -> Vec<Component> {
        let links = (0..n).map(Component::Link);
        let primaries = (0..n).map(Component::Primary);
        let mut all: Vec<Component> = match order {
            RollingOrder::SubsystemsFirst => primaries.chain(links).collect(),
            RollingOrder::LinksFirst | RollingOrder::Mixed => links.chain(primaries).collect(),
        };
        all.push(Component::PrimaryLan);
        if *order == RollingOrder::Mixed {
            use rand::seq::SliceRandom;
            all.shuffle(rng);
        }
        all
    }
}

/// One pair's hardware: service stages, the link's two directions, the primary's clock.
struct Pair {
    write_stage: Stage<WriteMeta>,
    copy_stage: Stage<(Msg, NodeId)>,
    apply_stage: Stage<(WriteMeta, u64)>,
    /// Applies started so far, and the order of the apply each block now shows (by volume, then
    /// block; 0 before any; only blocks ever applied hold an entry).
    applies_started: u64,
    block_order: Sparse<u64>,
    write_time: Dist<Duration>,
    copy_time: Dist<Duration>,
    apply_time: Dist<Duration>,
    primary_rng: crate::engine::rng::Rng,
    secondary_rng: crate::engine::rng::Rng,
    forward: Channel,
    backward: Channel,
    clock: Clock,
    clock_rng: crate::engine::rng::Rng,
    /// Increments at each secondary crash, voiding applies in progress.
    secondary_incarnation: u32,
    servers: u32,
    /// Events of a crashed primary, replayed when it restarts.
    held: Vec<Event>,
    /// The first pair-stream sequence number not yet read back for shipping.
    next_fresh_seq: u64,
    /// Service ns offered to the write, copy and apply stages while the hosts wrote.
    offered: [u64; 3],
}

/// Indices of the write, copy and apply stages in [`Pair::offered`].
const WRITE: usize = 0;
const COPY: usize = 1;
const APPLY: usize = 2;

impl Pair {
    /// Counts `svc` ns offered to stage `k` at `now`, if the hosts still write then.
    fn offer(&mut self, k: usize, now: u64, svc: u64, until: u64) {
        if now < until {
            self.offered[k] = self.offered[k].saturating_add(svc);
        }
    }
}

/// Which workload issued a write, and its tag.
#[derive(Clone, Copy, Debug)]
struct Owner {
    host: u16,
    tag: u32,
}

/// The owners of the writes in flight, by id. Ids are dense and issued in increasing order, so
/// this is a window from the oldest write still in flight: O(1) and no allocation per write,
/// where a map would allocate and search.
#[derive(Debug, Default)]
struct InFlight {
    /// The id of `slots[0]`.
    base: WriteId,
    slots: VecDeque<Option<Owner>>,
}

impl InFlight {
    /// Records write `id`'s owner; ids come in increasing order.
    fn insert(&mut self, id: WriteId, owner: Owner) {
        if self.slots.is_empty() {
            self.base = id;
        }
        while self.base + (self.slots.len() as u64) < id {
            self.slots.push_back(None);
        }
        debug_assert_eq!(self.base + self.slots.len() as u64, id, "ids in order");
        self.slots.push_back(Some(owner));
    }

    /// Takes write `id`'s owner, if it is in flight.
    fn remove(&mut self, id: WriteId) -> Option<Owner> {
        let i = usize::try_from(id.checked_sub(self.base)?).ok()?;
        let owner = self.slots.get_mut(i)?.take();
        while matches!(self.slots.front(), Some(None)) {
            self.slots.pop_front();
            self.base += 1;
        }
        owner
    }
}

/// One run's world.
pub struct World {
    geometry: Geometry,
    pairs: Vec<Pair>,
    nodes: Vec<Box<dyn Node>>,
    primary_lan: Channel,
    secondary_lan: Channel,
    hosts: Vec<Host>,
    host_out: HostOut,
    outputs: Outputs,
    inflight: InFlight,
    labels: BTreeMap<WriteId, String>,
    next_write: WriteId,
    /// Which secondaries hosts may read: each subsystem's own state.
    readability: Readability,
    takeover_done: Vec<bool>,
    primary_alive: bool,
    /// The scenario's faults, by index, as fault events name them.
    faults: Vec<Fault>,
    /// For each rolling disaster (by fault index), the components in the order they fail.
    rolling: Vec<Vec<Component>>,
    /// LAN partitions in force: (site, isolated pair indices, one way).
    partitions: Vec<(Site, Vec<u16>, bool)>,
    down: Vec<bool>,
    takeover_declared: bool,
    takeover_delay: u64,
    /// When the hosts stop writing: stage loads are measured up to then.
    load_until: u64,
    sync_error: u64,
    /// The checker: what the hosts saw and what the secondary volumes hold.
    pub checker: Checker,
    /// The run's trace.
    pub trace: Trace,
    /// Counters for the result.
    pub stats: Stats,
    /// Rendezvous latency of each released checkpoint.
    pub rendezvous: crate::check::LatencyStats,
    /// Per pair, when its primary suspended shipping (until its secondary is resynced).
    suspended_since: Vec<Option<u64>>,
    /// Watchers attached from outside the model; they read the run, never steer it.
    watchers: Vec<Box<dyn Watcher>>,
    /// `cycle`: how long each primary held host write completions, per hold.
    pub host_hold: crate::check::LatencyStats,
    /// Data exposure of the readable image over time, until the disaster.
    pub exposure: crate::check::ExposureClock,
    /// `checkpoint`: how long primaries held host writes for clock uncertainty (commit-wait),
    /// per held write.
    pub clock_wait: crate::check::LatencyStats,
}

/// Counts the result reports.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    /// Host writes issued.
    pub issued: u64,
    /// Host writes completed.
    pub completed: u64,
    /// Write messages put on pair links (retransmissions included).
    pub shipped: u64,
    /// When the disaster struck.
    pub disaster_ns: Option<u64>,
    /// When the secondary site finished its takeover.
    pub takeover_ns: Option<u64>,
    /// Checkpoints issued by the checkpoint master.
    pub checkpoints_issued: u64,
    /// Checkpoints released by the secondary master (distinct).
    pub checkpoints_released: u64,
    /// Checkpoints applied by every secondary (distinct).
    pub checkpoints_applied: u64,
    /// Newest released and applied checkpoint ids, to count each once.
    last_released: Option<u64>,
    last_applied: Option<u64>,
    /// Total ns the secondary image was closed to hosts (some secondary fenced: update in
    /// progress, takeover), up to the end of the run.
    pub hosts_held_ns: u64,
    /// Master changes after the start.
    pub failovers: u64,
    /// Host writes held by write pacing.
    pub paced_writes: u64,
    /// Times a primary suspended shipping.
    pub suspensions: u64,
    /// Total ns from each suspension to the secondary being a faithful copy again.
    pub resync_ns: u64,
    /// `cycle`: switch attempts abandoned because not every primary confirmed the hold in time.
    pub switches_abandoned: u64,
    /// `cycle`: times the master stopped waiting for a closed cycle to commit.
    pub drain_timeouts: u64,
    /// `checkpoint`: total local ns host writes were held for clock uncertainty.
    pub clock_wait_ns: u64,
}

impl World {
    /// Builds the world of `sc` under `seed`, and schedules start, faults and the takeover.
    pub fn new(sc: &Scenario, seed: u64, trace: Trace, sched: &mut Scheduler<Event>) -> Self {
        let n = sc.topology.pairs;
        let geometry = Geometry {
            pairs: n,
            volumes: sc.topology.volumes_per_subsystem,
            blocks: sc.topology.blocks_per_volume,
        };
        let pairs = (0..n)
            .map(|i| {
                let svc = sc.subsystems.service(i + 1);
                let link = sc.links.link(i + 1);
                let bw = link.bandwidth.0;
                Pair {
                    write_stage: Stage::new(svc.servers),
                    copy_stage: Stage::new(svc.servers),
                    apply_stage: Stage::new(svc.servers),
                    write_time: svc.write_time,
                    copy_time: svc.copy_time,
                    apply_time: svc.apply_time,
                    primary_rng: stream(seed, ComponentId::PrimaryService(i)),
                    secondary_rng: stream(seed, ComponentId::SecondaryService(i)),
                    forward: Channel::link(
                        link.latency.clone(),
                        link.loss.get(),
                        link.duplicate.get(),
                        bw,
                        link.paths,
                        stream(seed, ComponentId::LinkForward(i)),
                    ),
                    backward: Channel::link(
                        link.latency,
                        link.loss.get(),
                        link.duplicate.get(),
                        bw,
                        link.paths,
                        stream(seed, ComponentId::LinkBackward(i)),
                    ),
                    clock: {
                        let mut rng = stream(seed, ComponentId::Clock(i));
                        Self::initial_clock(sc, i, &mut rng)
                    },
                    clock_rng: stream(seed, ComponentId::Clock(i)),
                    secondary_incarnation: 0,
                    applies_started: 0,
                    block_order: Sparse::new(),
                    servers: svc.servers,
                    held: Vec::new(),
                    next_fresh_seq: 0,
                    offered: [0; 3],
                }
            })
            .collect();
        let nodes = Self::nodes(sc);
        let until = sc.duration.as_ns();
        let all_volumes: Vec<VolumeRef> = (1..=n)
            .flat_map(|s| {
                (0..geometry.volumes).map(move |v| VolumeRef {
                    subsystem: s,
                    volume: v,
                })
            })
            .collect();
        let hosts = sc
            .workloads
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let rng = stream(seed, ComponentId::Workload(i as u16));
                match w {
                    Workload::Script(spec) => Host::Script(Script::new(&spec.writes)),
                    Workload::Dbms(d) => Host::Dbms(Dbms::new(d, geometry.blocks, until, rng)),
                    Workload::Random(r) => {
                        let vols = if r.volumes.is_empty() {
                            all_volumes.clone()
                        } else {
                            r.volumes.clone()
                        };
                        Host::Random(RandomWriter::new(r, vols, geometry.blocks, until, rng))
                    }
                    Workload::Trace(t) => {
                        Host::Trace(super::replay::Replay::new(t, geometry.blocks, until))
                    }
                }
            })
            .collect();
        sched.at(0, Event::Start);
        let mut rolling: Vec<Vec<Component>> = Vec::new();
        for (index, f) in sc.faults.iter().enumerate() {
            let index = index as u16;
            let start = |at: Duration, sched: &mut Scheduler<Event>| {
                sched.at(at.as_ns(), Event::Fault { index, phase: 0 })
            };
            match f {
                Fault::LinkOutage {
                    at, lasts, repeat, ..
                } => {
                    let (every, count) = repeat.map_or((0, 1), |r| (r.every.as_ns(), r.count));
                    for k in 0..u64::from(count.max(1)) {
                        // Validation keeps these sums in range; saturate all the same.
                        let t = at.as_ns().saturating_add(k.saturating_mul(every));
                        sched.at(t, Event::Fault { index, phase: 0 });
                        let end = t.saturating_add(lasts.as_ns());
                        sched.at(end, Event::Fault { index, phase: 1 });
                    }
                }
                Fault::Partition { at, lasts, .. }
                | Fault::LatencySpike { at, lasts, .. }
                | Fault::BandwidthDrop { at, lasts, .. } => {
                    start(*at, sched);
                    let end = at.as_ns().saturating_add(lasts.as_ns());
                    sched.at(end, Event::Fault { index, phase: 1 });
                }
                Fault::ClockStep { at, .. } => start(*at, sched),
                Fault::RollingDisaster { at, over, order } => {
                    let mut rng = stream(seed, ComponentId::Faults);
                    let comps = Component::order(n, order, &mut rng);
                    let step = over.as_ns() / (comps.len() as u64).max(1);
                    for k in 0..comps.len() {
                        let phase = k as u16;
                        let t = at.as_ns().saturating_add(k as u64 * step);
                        sched.at(t, Event::Fault { index, phase });
                    }
                    sched.at(at.as_ns().saturating_add(over.as_ns()), Event::Disaster);
                    rolling.resize(usize::from(index) + 1, Vec::new());
                    rolling[usize::from(index)] = comps;
                }
                Fault::Disaster { .. } | Fault::Crash { .. } => {}
            }
        }
        for f in &sc.faults {
            match *f {
                Fault::Disaster { at } => sched.at(at.as_ns(), Event::Disaster),
                Fault::Crash {
                    site,
                    subsystem,
                    at,
                    down_for,
                } => {
                    let i = subsystem.saturating_sub(1);
                    let node = match site {
                        Site::Primary => NodeId::Primary(i),
                        Site::Secondary => NodeId::Secondary(i),
                    };
                    sched.at(at.as_ns(), Event::Crash { node });
                    if let Some(d) = down_for {
                        sched.at(
                            at.as_ns().saturating_add(d.as_ns()),
                            Event::Restart { node },
                        );
                    }
                }
                _ => {}
            }
        }
        World {
            geometry,
            pairs,
            nodes,
            primary_lan: Channel::lan(
                sc.primary_lan.latency.clone(),
                sc.primary_lan.loss.get(),
                sc.primary_lan.duplicate.get(),
                stream(seed, ComponentId::PrimaryLan),
            ),
            secondary_lan: Channel::lan(
                sc.secondary_lan.latency.clone(),
                sc.secondary_lan.loss.get(),
                sc.secondary_lan.duplicate.get(),
                stream(seed, ComponentId::SecondaryLan),
            ),
            hosts,
            host_out: HostOut::default(),
            outputs: Outputs::new(),
            inflight: InFlight::default(),
            labels: BTreeMap::new(),
            next_write: 0,
            readability: Readability::new(n),
            takeover_done: vec![false; usize::from(n)],
            primary_alive: true,
            faults: sc.faults.clone(),
            rolling,
            partitions: Vec::new(),
            down: vec![false; 2 * usize::from(n)],
            takeover_declared: false,
            takeover_delay: sc.takeover.delay.as_ns(),
            load_until: until,
            sync_error: sc.clocks.sync_error.as_ns(),
            checker: Checker::new(geometry, sc.checker.history),
            trace,
            stats: Stats::default(),
            rendezvous: crate::check::LatencyStats::new(),
            suspended_since: Vec::new(),
            watchers: Vec::new(),
            host_hold: crate::check::LatencyStats::new(),
            exposure: crate::check::ExposureClock::new(),
            clock_wait: crate::check::LatencyStats::new(),
        }
    }

    /// Attaches `watcher`: from now on it is told what happens, after those attached before it.
    pub fn watch(&mut self, watcher: Box<dyn Watcher>) {
        self.watchers.push(watcher);
    }

    /// Detaches every watcher, in the order they were attached, so their owner can finish them.
    pub fn take_watchers(&mut self) -> Vec<Box<dyn Watcher>> {
        std::mem::take(&mut self.watchers)
    }

    /// Number of subsystem pairs.
    pub fn pairs(&self) -> u16 {
        self.geometry.pairs
    }

    /// Writes secondary `pair` holds but has not yet applied: its protocol's buffer plus its
    /// apply stage (for metrics and reports only).
    pub fn secondary_backlog(&self, pair: u16) -> usize {
        let idx = self.node_index(NodeId::Secondary(pair));
        self.nodes[idx].buffered() + self.pairs[usize::from(pair)].apply_stage.occupancy()
    }

    /// Primary `pair`'s clock at the start: drift drawn in [-drift, +drift] ppm (or its own, if
    /// overridden), offset within the sync error.
    fn initial_clock(sc: &Scenario, pair: u16, rng: &mut crate::engine::rng::Rng) -> Clock {
        use rand::Rng as _;
        let ppb = libm::round(sc.clocks.drift_ppm * 1000.0) as i64;
        let drawn = if ppb > 0 {
            rng.random_range(-ppb..=ppb)
        } else {
            0
        };
        let drift = sc
            .clocks
            .overrides
            .iter()
            .rev()
            .find(|o| o.subsystem == pair + 1)
            .map_or(drawn, |o| libm::round(o.drift_ppm * 1000.0) as i64);
        let mut c = Clock::new(drift);
        let err = sc.clocks.sync_error.as_ns();
        if err > 0 {
            c.set(0, rng.random_range(0..=err.saturating_mul(2)));
        }
        c
    }

    /// The protocol nodes of `sc`: primaries 0..n, then secondaries 0..n.
    fn nodes(sc: &Scenario) -> Vec<Box<dyn Node>> {
        let n = sc.topology.pairs;
        let pr = &sc.protocol;
        let rto = pr.retransmit_timeout.as_ns();
        let buffer = sc.subsystems.buffer_capacity.map(|c| BufferLimit {
            capacity: c as usize,
            policy: match sc.subsystems.when_full {
                WhenFull::Pace => FullPolicy::Pace,
                WhenFull::Suspend => FullPolicy::Suspend,
            },
        });
        // What the primaries know of their clocks (a hardware spec, not a measurement): they start
        // within twice the sync error of each other, each drifts at most the largest drift
        // configured, and steps at most `max_step` in all.
        let widest = sc
            .clocks
            .overrides
            .iter()
            .map(|o| o.drift_ppm.abs())
            .fold(sc.clocks.drift_ppm.abs(), f64::max);
        let drift_bound_ppb = 2 * libm::ceil(widest * 1000.0) as u64 + 1;
        let cfg = protocol::checkpoint::Config {
            buffer,
            initial_clock_error: sc.clocks.sync_error.as_ns().saturating_mul(2),
            drift_bound_ppb,
            max_clock_step: sc.clocks.max_step.as_ns(),
            pairs: n,
            primary_master: pr.primary_master.saturating_sub(1),
            secondary_master: pr.secondary_master.saturating_sub(1),
            checkpoint_interval: pr.checkpoint_interval.as_ns(),
            sync_interval: sc.clocks.sync_interval.as_ns(),
            heartbeat_interval: pr.heartbeat_interval.as_ns(),
            failover_timeout: pr.failover_timeout.as_ns(),
            member_timeout: pr.member_timeout.as_ns(),
            retransmit_timeout: rto,
            clock: match pr.clock {
                ClockKind::Synced => protocol::checkpoint::ClockMode::Synced,
                ClockKind::None => protocol::checkpoint::ClockMode::None,
            },
            member_failure: match pr.member_failure {
                MemberFailureKind::Freeze => protocol::checkpoint::MemberFailure::Freeze,
                MemberFailureKind::Resign => protocol::checkpoint::MemberFailure::Resign,
            },
            volatile_buffers: sc.subsystems.buffer == BufferKind::Volatile,
            mutant: pr.mutant.map(|m| match m {
                MutantKind::NoRendezvous => Mutant::NoRendezvous,
                MutantKind::EarlyCheckpoint => Mutant::EarlyCheckpoint,
                MutantKind::NoUip => Mutant::NoUip,
                MutantKind::ApplyPastCheckpoint => Mutant::ApplyPastCheckpoint,
                MutantKind::NoRetransmit => Mutant::NoRetransmit,
                MutantKind::NaiveClockSync => Mutant::NaiveClockSync,
                MutantKind::CentralNoMin => Mutant::CentralNoMin,
                MutantKind::CycleNoHold => Mutant::CycleNoHold,
                MutantKind::EarlyReset => Mutant::EarlyReset,
                MutantKind::VolatileReplay => Mutant::VolatileReplay,
            }),
        };
        let central = protocol::central::Config {
            pairs: n,
            mover: cfg.primary_master,
            read_interval: pr.mover_read_interval.as_ns(),
            service_time: pr.mover_service_time.as_ns(),
            idle_heartbeat: pr.idle_heartbeat,
            sync_interval: cfg.sync_interval,
            retransmit_timeout: rto,
            volatile_buffers: cfg.volatile_buffers,
            no_min: pr.mutant == Some(MutantKind::CentralNoMin),
        };
        let cycle = protocol::cycle::Config {
            pairs: n,
            master: cfg.primary_master,
            min_cycle_time: pr.min_cycle_time.as_ns(),
            max_coordination_time: pr.max_coordination_time.as_ns(),
            drain_timeout: pr.drain_timeout.as_ns(),
            retransmit_timeout: rto,
            volatile_buffers: cfg.volatile_buffers,
            no_hold: pr.mutant == Some(MutantKind::CycleNoHold),
        };
        let mut nodes: Vec<Box<dyn Node>> = Vec::with_capacity(2 * usize::from(n));
        for i in 0..n {
            nodes.push(match pr.kind {
                ProtocolKind::Checkpoint => Box::new(protocol::checkpoint::Primary::new(i, cfg)),
                ProtocolKind::Independent => {
                    Box::new(protocol::independent::Primary::new(i, rto, buffer))
                }
                ProtocolKind::Sync => Box::new(protocol::sync::Primary::new(i, rto)),
                ProtocolKind::Central => Box::new(protocol::central::Primary::new(i, central)),
                ProtocolKind::Cycle => Box::new(protocol::cycle::Primary::new(i, cycle)),
            });
        }
        for i in 0..n {
            nodes.push(match pr.kind {
                ProtocolKind::Checkpoint => Box::new(protocol::checkpoint::Secondary::new(i, cfg)),
                ProtocolKind::Independent => {
                    Box::new(protocol::independent::Secondary::new(i, rto))
                }
                ProtocolKind::Sync => Box::new(protocol::sync::Secondary::new(i, rto)),
                ProtocolKind::Central => Box::new(protocol::central::Secondary::new(i, central)),
                ProtocolKind::Cycle => Box::new(protocol::cycle::Secondary::new(i, cycle)),
            });
        }
        nodes
    }

    fn node_index(&self, id: NodeId) -> usize {
        match id {
            NodeId::Primary(i) => usize::from(i),
            NodeId::Secondary(i) => usize::from(self.geometry.pairs) + usize::from(i),
        }
    }

    fn alive(&self, id: NodeId) -> bool {
        let up = !self.down[self.node_index(id)];
        match id {
            NodeId::Primary(_) => self.primary_alive && up,
            NodeId::Secondary(_) => up,
        }
    }

    /// The first workload input (a trace file) that failed to read during the run, if any.
    pub fn input_error(&self) -> Option<String> {
        self.hosts
            .iter()
            .find_map(|h| h.input_error().map(str::to_string))
    }

    /// The label of write `id`, if it has one: scripted, or generated (a DBMS transaction's
    /// role, formatted now, while the checker holds the write).
    pub fn label(&self, id: WriteId) -> Option<Cow<'_, str>> {
        label_of(&self.labels, &self.checker, id)
    }

    /// Local clock reading of `node` at real time `now`.
    fn local(&self, node: NodeId, now: u64) -> u64 {
        match node {
            NodeId::Primary(i) => self.pairs[usize::from(i)].clock.local(now),
            NodeId::Secondary(_) => now,
        }
    }

    /// Hands `input` to `node` and carries out what it asks.
    fn drive(&mut self, node: NodeId, input: Input, sched: &mut Scheduler<Event>) {
        if !self.alive(node) {
            return;
        }
        let now = sched.now();
        let local = self.local(node, now);
        let idx = self.node_index(node);
        let mut outputs = std::mem::take(&mut self.outputs);
        self.nodes[idx].handle(local, input, &mut outputs);
        for o in outputs.drain() {
            self.carry_out(node, o, sched);
        }
        self.outputs = outputs;
    }

    fn carry_out(&mut self, node: NodeId, o: Output, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        match o {
            Output::Send { to, msg } => self.send(node, to, msg, sched),
            Output::SetTimer { after, timer } => {
                let real = match node {
                    NodeId::Primary(i) => self.pairs[usize::from(i)].clock.real_span(after),
                    NodeId::Secondary(_) => after,
                };
                sched.after(real, Event::Timer { node, timer });
            }
            Output::CompleteHost(id) => self.complete_host(id, sched),
            Output::Apply(w) => {
                let p = &mut self.pairs[usize::from(node.pair())];
                let svc = p.apply_time.sample(&mut p.secondary_rng);
                p.offer(APPLY, now, svc, self.load_until);
                p.applies_started += 1;
                if let Some(((w, order), t)) = p.apply_stage.arrive((w, p.applies_started), svc) {
                    sched.after(
                        t,
                        Event::ApplyServed {
                            pair: node.pair(),
                            write: w,
                            incarnation: p.secondary_incarnation,
                            order,
                        },
                    );
                }
            }
            Output::Fence(on) => {
                debug_assert!(
                    matches!(node, NodeId::Secondary(_)),
                    "a secondary fences its own subsystem"
                );
                let pair = node.pair();
                if matches!(node, NodeId::Secondary(_)) && self.readability.set(pair, on, now) {
                    let what = if on {
                        "update-in-progress"
                    } else {
                        "update-in-progress-reset"
                    };
                    self.trace.note(now, node, what);
                    for w in &mut self.watchers {
                        w.note(now, node, what, None);
                        w.readable(now, pair, !on, &self.readability);
                    }
                    self.checker.set_readable(pair, !on, now);
                }
            }
            Output::TakeoverDone => {
                self.takeover_done[usize::from(node.pair())] = true;
                self.trace.note(now, node, "takeover-done");
                for w in &mut self.watchers {
                    w.note(now, node, "takeover-done", None);
                }
            }
            Output::SetClock(t) => {
                if let NodeId::Primary(i) = node {
                    use rand::Rng as _;
                    let err = self.sync_error;
                    let p = &mut self.pairs[usize::from(i)];
                    let noisy = if err > 0 {
                        t.saturating_add(p.clock_rng.random_range(0..=err.saturating_mul(2)))
                            .saturating_sub(err)
                    } else {
                        t
                    };
                    p.clock.set(now, noisy);
                }
            }
            Output::Note(n) => self.note(now, node, n),
        }
    }

    fn note(&mut self, now: u64, node: NodeId, n: Note) {
        let s = &mut self.stats;
        let what = match n {
            Note::CheckpointIssued(_) => {
                s.checkpoints_issued += 1;
                "checkpoint-issued"
            }
            Note::Rendezvous { latency, .. } => {
                self.rendezvous.record(latency);
                "rendezvous-complete"
            }
            Note::Released(cp) => {
                if s.last_released.is_none_or(|l| cp.id > l) {
                    s.last_released = Some(cp.id);
                    s.checkpoints_released += 1;
                }
                "released"
            }
            Note::Applied(cp) => {
                if s.last_applied.is_none_or(|l| cp.id > l) {
                    s.last_applied = Some(cp.id);
                    s.checkpoints_applied += 1;
                }
                "applied-everywhere"
            }
            Note::BecameMaster { epoch } => {
                if epoch > 0 {
                    s.failovers += 1;
                }
                "became-master"
            }
            Note::Resigned => "resigned",
            Note::Paced => {
                s.paced_writes += 1;
                "paced"
            }
            Note::Suspended => {
                s.suspensions += 1;
                let i = usize::from(node.pair());
                if self.suspended_since.len() <= i {
                    self.suspended_since.resize(i + 1, None);
                }
                self.suspended_since[i].get_or_insert(now);
                "suspended"
            }
            Note::Resynced => {
                let i = usize::from(node.pair());
                if let Some(since) = self.suspended_since.get_mut(i).and_then(Option::take) {
                    self.stats.resync_ns += now.saturating_sub(since);
                }
                "resynced"
            }
            Note::HostHold { ns } => {
                self.host_hold.record(ns);
                "host-hold-released"
            }
            Note::ClockWait { ns } => {
                self.clock_wait.record(ns);
                s.clock_wait_ns = s.clock_wait_ns.saturating_add(ns);
                "clock-wait-over"
            }
            Note::SwitchAbandoned => {
                s.switches_abandoned += 1;
                "switch-abandoned"
            }
            Note::DrainOverdue => {
                s.drain_timeouts += 1;
                "drain-overdue"
            }
        };
        self.trace.note(now, node, what);
        for w in &mut self.watchers {
            w.note(now, node, what, Some(n));
        }
    }

    fn send(&mut self, from: NodeId, to: NodeId, msg: Msg, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        if let (
            NodeId::Primary(i),
            NodeId::Primary(_),
            Msg::Seg {
                body: protocol::Body::Write(_),
                ..
            },
        ) = (from, to, msg)
        {
            // A primary's update data leaves through its copy stage whichever way it goes: for
            // `central`, to the mover (itself included, on the mover's own pair).
            let p = &mut self.pairs[usize::from(i)];
            let svc = p.copy_time.sample(&mut p.primary_rng);
            p.offer(COPY, now, svc, self.load_until);
            if let Some(((msg, to), t)) = p.copy_stage.arrive((msg, to), svc) {
                sched.after(t, Event::CopyServed { pair: i, msg, to });
            }
            return;
        }
        if from == to {
            sched.after(0, Event::Deliver { to, from, msg });
            return;
        }
        let channel = match (from, to) {
            (NodeId::Primary(i), NodeId::Secondary(j))
                if i == j && matches!(msg, Msg::Dgram(_)) =>
            {
                &mut self.pairs[usize::from(i)].forward
            }
            (NodeId::Primary(i), NodeId::Secondary(j)) if i == j => {
                let p = &mut self.pairs[usize::from(i)];
                // Reading a write back costs copy time once; a resend comes from the send buffer.
                let svc = match msg {
                    Msg::Seg {
                        seq,
                        body: protocol::Body::Write(_),
                    } if seq >= p.next_fresh_seq => {
                        p.next_fresh_seq = seq + 1;
                        p.copy_time.sample(&mut p.primary_rng)
                    }
                    _ => 0,
                };
                p.offer(COPY, now, svc, self.load_until);
                if let Some(((msg, to), t)) = p.copy_stage.arrive((msg, to), svc) {
                    sched.after(t, Event::CopyServed { pair: i, msg, to });
                }
                return;
            }
            (NodeId::Secondary(i), NodeId::Primary(j)) if i == j => {
                &mut self.pairs[usize::from(i)].backward
            }
            (NodeId::Primary(_), NodeId::Primary(_)) if !self.partitioned(from, to) => {
                &mut self.primary_lan
            }
            (NodeId::Secondary(_), NodeId::Secondary(_)) if !self.partitioned(from, to) => {
                &mut self.secondary_lan
            }
            _ => return,
        };
        let delivery = channel.transmit(now, msg.wire_bytes());
        for w in &mut self.watchers {
            w.message(now, from, to, &msg, delivery);
        }
        Self::schedule_delivery(delivery, to, from, msg, sched);
    }

    /// True when a partition in force cuts `from` off from `to`.
    fn partitioned(&self, from: NodeId, to: NodeId) -> bool {
        let site = match from {
            NodeId::Primary(_) => Site::Primary,
            NodeId::Secondary(_) => Site::Secondary,
        };
        self.partitions.iter().any(|(s, isolated, one_way)| {
            let a = isolated.contains(&from.pair());
            let b = isolated.contains(&to.pair());
            *s == site && a != b && (a || !one_way)
        })
    }

    /// Starts (`phase` 0) or ends (1) a network or clock fault; fails the `phase`-th component
    /// of a rolling disaster.
    fn fault(&mut self, index: u16, phase: u16, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let Some(f) = self.faults.get(usize::from(index)).cloned() else {
            return;
        };
        let on = phase == 0;
        match f {
            Fault::LinkOutage { pair, .. } => {
                let p = &mut self.pairs[usize::from(pair.saturating_sub(1))];
                p.forward.set_down(on);
                p.backward.set_down(on);
            }
            Fault::Partition {
                site,
                isolate,
                one_way,
                ..
            } => {
                let isolated: Vec<u16> = isolate.iter().map(|s| s.saturating_sub(1)).collect();
                let entry = (site, isolated, one_way);
                if on {
                    self.partitions.push(entry);
                } else if let Some(i) = self.partitions.iter().position(|e| *e == entry) {
                    self.partitions.remove(i);
                }
            }
            Fault::LatencySpike {
                target,
                pair,
                extra,
                ..
            } => {
                let extra = on.then_some(extra);
                match target {
                    NetTarget::PrimaryLan => self.primary_lan.set_extra_latency(extra),
                    NetTarget::SecondaryLan => self.secondary_lan.set_extra_latency(extra),
                    NetTarget::Link => {
                        let p = &mut self.pairs[usize::from(pair.unwrap_or(1).saturating_sub(1))];
                        p.forward.set_extra_latency(extra.clone());
                        p.backward.set_extra_latency(extra);
                    }
                }
            }
            Fault::BandwidthDrop { pair, factor, .. } => {
                let f = if on { factor } else { 1.0 };
                let p = &mut self.pairs[usize::from(pair.saturating_sub(1))];
                p.forward.set_bandwidth_factor(f);
                p.backward.set_bandwidth_factor(f);
            }
            Fault::ClockStep {
                subsystem,
                by,
                backward,
                ..
            } => {
                let c = &mut self.pairs[usize::from(subsystem.saturating_sub(1))].clock;
                let local = c.local(now);
                let stepped = if backward {
                    local.saturating_sub(by.as_ns())
                } else {
                    local.saturating_add(by.as_ns())
                };
                c.set(now, stepped);
            }
            Fault::RollingDisaster { .. } => {
                let comp = self
                    .rolling
                    .get(usize::from(index))
                    .and_then(|c| c.get(usize::from(phase)))
                    .copied();
                match comp {
                    Some(Component::Link(i)) => {
                        let p = &mut self.pairs[usize::from(i)];
                        p.forward.set_down(true);
                        p.backward.set_down(true);
                    }
                    Some(Component::Primary(i)) => {
                        self.down[usize::from(i)] = true;
                    }
                    Some(Component::PrimaryLan) => self.primary_lan.set_down(true),
                    None => {}
                }
            }
            Fault::Disaster { .. } | Fault::Crash { .. } => {}
        }
    }

    fn schedule_delivery(
        d: Delivery,
        to: NodeId,
        from: NodeId,
        msg: Msg,
        sched: &mut Scheduler<Event>,
    ) {
        match d {
            Delivery::Lost => {}
            Delivery::Once(t) => sched.at(t, Event::Deliver { to, from, msg }),
            Delivery::Twice(a, b) => {
                sched.at(a, Event::Deliver { to, from, msg });
                sched.at(b, Event::Deliver { to, from, msg });
            }
        }
    }

    fn complete_host(&mut self, id: WriteId, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let Some(owner) = self.inflight.remove(id) else {
            return;
        };
        self.stats.completed += 1;
        let latency = self.checker.completed(id, now);
        for w in &mut self.watchers {
            w.completed(latency);
        }
        let mut out = std::mem::take(&mut self.host_out);
        self.hosts[usize::from(owner.host)].completed(now, owner.tag, &mut out);
        self.after_host(owner.host, &mut out, sched);
        self.host_out = out;
    }

    /// Issues the writes and schedules the wake-ups a workload asked for.
    fn after_host(&mut self, host: u16, out: &mut HostOut, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        for (at, tag) in out.wakes.drain(..) {
            sched.at(at, Event::Wake { host, tag });
        }
        for issue in out.issues.drain(..) {
            let id = self.next_write;
            self.next_write += 1;
            self.stats.issued += 1;
            self.checker
                .issued(id, issue.addr, issue.size, issue.label.as_deref(), now);
            if !issue.role.is_none() {
                self.checker.set_label(id, issue.role);
            }
            self.trace.write_issued(
                now,
                id,
                issue.addr,
                issue.size,
                issue.label.as_deref(),
                issue.role,
            );
            if let Some(l) = issue.label {
                self.labels.insert(id, l);
            }
            self.inflight.insert(
                id,
                Owner {
                    host,
                    tag: issue.tag,
                },
            );
            let pair = issue.addr.subsystem;
            let p = &mut self.pairs[usize::from(pair)];
            let svc = p.write_time.sample(&mut p.primary_rng);
            p.offer(WRITE, now, svc, self.load_until);
            let w = WriteMeta {
                id,
                addr: issue.addr,
                size: issue.size,
                stamp: 0,
                arrived: p.clock.local(now),
            };
            if let Some((w, t)) = p.write_stage.arrive(w, svc) {
                sched.after(t, Event::WriteServed { pair, write: w });
            }
        }
    }

    /// True when primary `pair` cannot serve `event` now: the site is gone (the event is dropped)
    /// or the subsystem is down (the event waits for its restart).
    fn primary_unavailable(&mut self, pair: u16, event: Event) -> bool {
        if !self.primary_alive {
            return true;
        }
        if self.down[usize::from(pair)] {
            self.pairs[usize::from(pair)].held.push(event);
            return true;
        }
        false
    }

    /// What becomes of `event`, for the trace: `None` when it takes effect, else how it does
    /// not (`held` until a restart, `dropped`, `superseded` by a later apply to its block) and
    /// why. The trace never shows as done what did not happen.
    fn fate(&self, event: &Event) -> Fate {
        match *event {
            Event::Wake { .. } if !self.primary_alive => Some(("dropped", "primary site lost")),
            Event::WriteServed { pair, .. } | Event::CopyServed { pair, .. } => {
                if !self.primary_alive {
                    Some(("dropped", "primary site lost"))
                } else if self.down[usize::from(pair)] {
                    Some(("held", "primary down until its restart"))
                } else {
                    None
                }
            }
            Event::ApplyServed {
                pair,
                write,
                incarnation,
                order,
            } => {
                let p = &self.pairs[usize::from(pair)];
                let shown = p.block_order[usize::from(write.addr.volume)
                    * self.geometry.blocks as usize
                    + write.addr.block as usize];
                if incarnation != p.secondary_incarnation {
                    Some(("dropped", "voided by a secondary crash"))
                } else if order <= shown {
                    Some(("superseded", "a later apply already shows on its block"))
                } else {
                    None
                }
            }
            Event::Deliver { to: node, .. } | Event::Timer { node, .. } if !self.alive(node) => {
                Some(("dropped", "receiver down"))
            }
            _ => None,
        }
    }

    /// True once every secondary said its part of the takeover is done (the run then stops as
    /// soon as every secondary is readable, too).
    fn all_taken_over(&self) -> bool {
        self.takeover_done.iter().all(|&d| d)
    }

    /// After the run: judge the image hosts can read, and after a disaster the whole image
    /// whatever the protocol left fenced (unless a budget `cut` the run short, mid-takeover);
    /// with `judge_liveness`, an image a disaster left closed is a `liveness` violation. Returns
    /// the time the loss is measured against (the disaster, or the end of the run).
    pub fn finish(&mut self, now: u64, cut: bool, judge_liveness: bool) -> u64 {
        self.stats.hosts_held_ns = self.readability.held_ns(now);
        self.checker.check(now);
        if self.stats.disaster_ns.is_some() && !cut {
            self.checker.check_whole(now);
            if let (true, Some(since)) = (judge_liveness, self.readability.closed_since()) {
                let fenced = self.readability.fenced();
                self.checker.never_reopened(&fenced, since, now);
            }
        }
        self.stats.disaster_ns.unwrap_or(now)
    }

    /// The service stages offered more work than they can serve while the hosts wrote.
    pub fn overloaded(&self) -> Vec<crate::result::Overload> {
        let span = self.load_until.max(1) as f64;
        let mut out = Vec::new();
        for (i, p) in (1..).zip(&self.pairs) {
            for (k, stage) in ["write", "copy", "apply"].into_iter().enumerate() {
                let load = p.offered[k] as f64 / (span * f64::from(p.servers.max(1)));
                if load > 1.0 {
                    out.push(crate::result::Overload {
                        subsystem: i,
                        stage: stage.to_string(),
                        load,
                    });
                }
            }
        }
        out
    }

    /// Which secondaries hosts may read now.
    pub fn readability(&self) -> &Readability {
        &self.readability
    }
}

impl Handler for World {
    type Event = Event;

    fn handle(&mut self, event: Event, sched: &mut Scheduler<Event>) -> Control {
        let now = sched.now();
        self.exposure.before(now, &self.checker);
        if !self.watchers.is_empty() {
            let mut watchers = std::mem::take(&mut self.watchers);
            for w in &mut watchers {
                w.before(now, &event, self);
            }
            self.watchers = watchers;
        }
        let fate = self.fate(&event);
        let label = if self.trace.writes_lines() {
            write_of(&event).and_then(|id| label_of(&self.labels, &self.checker, id))
        } else {
            None
        };
        self.trace.event(now, &event, label.as_deref(), fate);
        match event {
            Event::Start => {
                for i in 0..self.geometry.pairs {
                    self.drive(NodeId::Primary(i), Input::Start, sched);
                    self.drive(NodeId::Secondary(i), Input::Start, sched);
                }
                for h in 0..self.hosts.len() {
                    let mut out = std::mem::take(&mut self.host_out);
                    self.hosts[h].start(&mut out);
                    self.after_host(h as u16, &mut out, sched);
                    self.host_out = out;
                }
            }
            Event::Wake { host, tag } => {
                if self.primary_alive {
                    let mut out = std::mem::take(&mut self.host_out);
                    self.hosts[usize::from(host)].wake(now, tag, &mut out);
                    self.after_host(host, &mut out, sched);
                    self.host_out = out;
                }
            }
            Event::WriteServed { pair, write } => {
                if self.primary_unavailable(pair, event) {
                    return Control::Continue;
                }
                let p = &mut self.pairs[usize::from(pair)];
                if let Some((w, t)) = p.write_stage.depart() {
                    sched.after(t, Event::WriteServed { pair, write: w });
                }
                self.checker.stored(write.id, now);
                for w in &mut self.watchers {
                    w.stored(now, pair, write.id, write.size);
                }
                self.drive(NodeId::Primary(pair), Input::HostWrite(write), sched);
            }
            Event::CopyServed { pair, msg, to } => {
                if self.primary_unavailable(pair, event) {
                    return Control::Continue;
                }
                let p = &mut self.pairs[usize::from(pair)];
                if let Some(((m, to), t)) = p.copy_stage.depart() {
                    sched.after(t, Event::CopyServed { pair, msg: m, to });
                }
                if let NodeId::Primary(_) = to {
                    let from = NodeId::Primary(pair);
                    if to == from {
                        sched.after(0, Event::Deliver { to, from, msg });
                    } else if !self.partitioned(from, to) {
                        let d = self.primary_lan.transmit(now, msg.wire_bytes());
                        Self::schedule_delivery(d, to, from, msg, sched);
                    }
                    return Control::Continue;
                }
                if matches!(
                    msg,
                    Msg::Seg {
                        body: protocol::Body::Write(_) | protocol::Body::Journal(_),
                        ..
                    }
                ) {
                    self.stats.shipped += 1;
                }
                let d = p.forward.transmit(now, msg.wire_bytes());
                for w in &mut self.watchers {
                    w.message(now, NodeId::Primary(pair), NodeId::Secondary(pair), &msg, d);
                }
                Self::schedule_delivery(
                    d,
                    NodeId::Secondary(pair),
                    NodeId::Primary(pair),
                    msg,
                    sched,
                );
            }
            Event::ApplyServed {
                pair,
                write,
                incarnation,
                order,
            } => {
                let p = &mut self.pairs[usize::from(pair)];
                if incarnation != p.secondary_incarnation {
                    return Control::Continue;
                }
                if let Some(((w, next), t)) = p.apply_stage.depart() {
                    sched.after(
                        t,
                        Event::ApplyServed {
                            pair,
                            write: w,
                            incarnation,
                            order: next,
                        },
                    );
                }
                let shown = &mut p.block_order[usize::from(write.addr.volume)
                    * self.geometry.blocks as usize
                    + write.addr.block as usize];
                if order > *shown {
                    *shown = order;
                    for w in &mut self.watchers {
                        w.applied(now, pair, write.id, &self.checker);
                    }
                    self.checker.applied(write.addr, Some(write.id), now);
                }
                self.drive(NodeId::Secondary(pair), Input::Applied(write), sched);
            }
            Event::Deliver { to, from, msg } => {
                self.drive(to, Input::Deliver { from, msg }, sched);
            }
            Event::Timer { node, timer } => self.drive(node, Input::Timer(timer), sched),
            Event::Disaster => {
                if self.primary_alive {
                    self.primary_alive = false;
                    self.stats.disaster_ns = Some(now);
                    self.exposure.stop(now);
                    sched.after(self.takeover_delay, Event::Takeover);
                }
            }
            Event::Takeover => {
                self.takeover_declared = true;
                for i in 0..self.geometry.pairs {
                    self.drive(NodeId::Secondary(i), Input::Takeover, sched);
                }
            }
            Event::Crash { node } => {
                let idx = self.node_index(node);
                if !self.down[idx] {
                    self.down[idx] = true;
                    if let NodeId::Secondary(i) = node {
                        let p = &mut self.pairs[usize::from(i)];
                        p.secondary_incarnation += 1;
                        p.apply_stage = Stage::new(p.servers);
                    }
                }
            }
            Event::Fault { index, phase } => self.fault(index, phase, sched),
            Event::Restart { node } => {
                let idx = self.node_index(node);
                if self.down[idx] {
                    self.down[idx] = false;
                    self.drive(node, Input::Restart, sched);
                    if let NodeId::Primary(i) = node {
                        for e in std::mem::take(&mut self.pairs[usize::from(i)].held) {
                            sched.after(0, e);
                        }
                    }
                    if self.takeover_declared {
                        self.drive(node, Input::Takeover, sched);
                    }
                }
            }
        }
        if self.stats.disaster_ns.is_some()
            && self.stats.takeover_ns.is_none()
            && self.all_taken_over()
            && self.readability.fenced_count() == 0
        {
            self.stats.takeover_ns = Some(now);
            return Control::Stop;
        }
        Control::Continue
    }
}

/// How an event that does not take effect is traced: its kind (`held`, `dropped`,
/// `superseded`) and why; `None` when it takes effect.
pub type Fate = Option<(&'static str, &'static str)>;

/// The label of write `id`: scripted (in `labels`), or generated and held by `checker`.
fn label_of<'a>(
    labels: &'a BTreeMap<WriteId, String>,
    checker: &Checker,
    id: WriteId,
) -> Option<Cow<'a, str>> {
    match labels.get(&id) {
        Some(l) => Some(Cow::Borrowed(l)),
        None => {
            let role = checker.label(id);
            (!role.is_none()).then(|| Cow::Owned(role.to_string()))
        }
    }
}

/// The write an event carries, if any.
fn write_of(event: &Event) -> Option<WriteId> {
    {
        let id = match event {
            Event::WriteServed { write, .. } | Event::ApplyServed { write, .. } => write.id,
            Event::Deliver {
                msg:
                    Msg::Seg {
                        body: protocol::Body::Write(w),
                        ..
                    },
                ..
            }
            | Event::CopyServed {
                msg:
                    Msg::Seg {
                        body: protocol::Body::Write(w),
                        ..
                    },
                ..
            } => w.id,
            _ => return None,
        };
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(tag: u32) -> Owner {
        Owner { host: 0, tag }
    }

    #[test]
    fn in_flight_window_acts_as_a_map_of_increasing_ids() {
        let mut f = InFlight::default();
        for id in 10..20 {
            f.insert(id, owner(id as u32));
        }
        assert_eq!(f.remove(9).map(|o| o.tag), None);
        assert_eq!(f.remove(12).map(|o| o.tag), Some(12));
        assert_eq!(f.remove(12).map(|o| o.tag), None, "removed once");
        assert_eq!(f.remove(10).map(|o| o.tag), Some(10));
        assert_eq!(f.remove(11).map(|o| o.tag), Some(11));
        assert_eq!(f.base, 13, "the window starts at the oldest in flight");
        for id in 13..20 {
            assert_eq!(f.remove(id).map(|o| o.tag), Some(id as u32));
        }
        assert!(f.slots.is_empty());
        f.insert(25, owner(25));
        assert_eq!(f.remove(20).map(|o| o.tag), None);
        assert_eq!(f.remove(25).map(|o| o.tag), Some(25));
        assert_eq!(f.remove(26).map(|o| o.tag), None);
    }
}
