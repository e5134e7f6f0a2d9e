//! The world: every model component and protocol node of one run, and the event type that moves
//! between them. Its rooms: `build.rs` makes the world from a scenario, `route.rs` carries node
//! outputs to the right model (a LAN, a pair link through the primary's copy stage, a
//! secondary's apply stage, a timer), `hosts.rs` issues and completes host writes (the checker's
//! feed of what hosts saw), `faults.rs` injects faults and says what becomes of the events they
//! hit, and `handle.rs` takes each event in turn, telling the watchers (the trace is one).

mod build;
mod event;
mod faults;
mod handle;
mod hosts;
mod inflight;
mod route;

use std::any::Any;
use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::check::{BlockAddr, Checker, Geometry, Label, WriteId};
use crate::model::clock::Clock;
use crate::model::net::{Channel, Delivery};
use crate::model::readable::Readability;
use crate::model::stage::Stage;
use crate::model::workload::{Host, HostOut};
use crate::protocol::{self, Msg, Node, NodeId, Note, Outputs, WriteMeta};
use crate::scenario::dist::Dist;
use crate::scenario::types::{Fault, RollingOrder, Site};
use crate::scenario::units::Duration;
use crate::sparse::Sparse;

pub use build::{buffer_limit, checkpoint_config};
pub use event::{Event, Fate};
use inflight::InFlight;

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
    /// For each node (primaries, then secondaries), how many crashes (and rolling-disaster
    /// failures) hold it down: a count, so that of two overlapping crashes the shorter one's
    /// restart does not bring the node back early.
    down: Vec<u32>,
    takeover_declared: bool,
    takeover_delay: u64,
    /// When the hosts stop writing: stage loads are measured up to then.
    load_until: u64,
    /// `limits.max_writes_in_flight`: host writes issued and not completed, at most.
    max_writes_in_flight: u64,
    /// Set when the hosts had more writes in flight than that: the run stops after the event.
    writes_over_limit: bool,
    /// `limits.max_events_pending`: events scheduled at once, at most.
    max_events_pending: usize,
    /// Set when more events than that were scheduled: the run stops after the event.
    events_over_limit: bool,
    sync_error: u64,
    /// The checker: what the hosts saw and what the secondary volumes hold.
    pub checker: Checker,
    /// Counters for the result.
    pub stats: Stats,
    /// Rendezvous latency of each released checkpoint.
    pub rendezvous: crate::check::LatencyStats,
    /// Per pair, when its primary suspended shipping (until its secondary is resynced).
    suspended_since: Vec<Option<u64>>,
    /// Watchers attached from outside the model; they read the run, never steer it.
    watchers: Vec<Box<dyn Watcher>>,
    /// Which of the frequent calls any attached watcher wants.
    wants: Wants,
    /// `cycle`: how long each primary held host write completions, per hold.
    pub host_hold: crate::check::LatencyStats,
    /// Data exposure of the readable image over time, until the disaster.
    pub exposure: crate::check::ExposureClock,
    /// Secondary lag over time, until the disaster: the age of the earliest-stored write no
    /// secondary volume has caught up with, whichever secondaries hosts may read (how far the
    /// copy trails the primaries).
    pub lag: crate::check::AgeClock,
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
    /// Attaches `watcher`: from now on it is told what happens, after those attached before it.
    pub fn watch(&mut self, watcher: Box<dyn Watcher>) {
        self.wants = self.wants.or(watcher.wants());
        self.watchers.push(watcher);
    }

    /// Detaches every watcher, in the order they were attached, so their owner can finish them.
    pub fn take_watchers(&mut self) -> Vec<Box<dyn Watcher>> {
        self.wants = Wants::NONE;
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

    /// Node `id`'s protocol role, for what the world may ask of it without driving it (memory
    /// hints, the trace's account of a delivery).
    fn node(&self, id: NodeId) -> Option<&dyn Node> {
        self.nodes.get(self.node_index(id)).map(|n| &**n)
    }

    fn node_index(&self, id: NodeId) -> usize {
        match id {
            NodeId::Primary(i) => usize::from(i),
            NodeId::Secondary(i) => usize::from(self.geometry.pairs) + usize::from(i),
        }
    }

    fn alive(&self, id: NodeId) -> bool {
        let up = self.down[self.node_index(id)] == 0;
        match id {
            NodeId::Primary(_) => self.primary_alive && up,
            NodeId::Secondary(_) => up,
        }
    }

    /// True when the run stopped because the hosts had more than `limits.max_writes_in_flight`
    /// writes in flight.
    pub fn writes_over_limit(&self) -> bool {
        self.writes_over_limit
    }

    /// True when the run stopped because more than `limits.max_events_pending` events were
    /// scheduled at once.
    pub fn events_over_limit(&self) -> bool {
        self.events_over_limit
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

/// The label of write `id`: scripted (in `labels`), or generated and held by `checker`.
pub(super) fn label_of<'a>(
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
pub fn write_of(event: &Event) -> Option<WriteId> {
    {
        let id = match event {
            Event::WriteServed { write, .. } | Event::ApplyServed { write, .. } => write.id,
            Event::Deliver {
                msg:
                    Msg::Seg {
                        body: protocol::Body::Write(w) | protocol::Body::Journal(w),
                        ..
                    },
                ..
            }
            | Event::CopyServed {
                msg:
                    Msg::Seg {
                        body: protocol::Body::Write(w) | protocol::Body::Journal(w),
                        ..
                    },
                ..
            } => w.id,
            _ => return None,
        };
        Some(id)
    }
}

/// What a watcher of a run is told. The world calls its watchers at a few points (before each
/// event, when a write is stored, completed or applied, when a message is sent, when a node
/// announces a milestone, when the readable set changes); they read what happened and never steer
/// the run: no event, no random draw, nothing folded into the trace hash. The model names no
/// watcher: the recorded series and the Chrome trace implement this trait from outside, and
/// whoever attaches them takes them back at the end through [`Watcher::into_any`]. With none
/// attached, each call is one branch.
///
/// Every method defaults to doing nothing. It lives beside [`World`], which holds its watchers
/// and hands itself to them, so neither file has to import the other.
pub trait Watcher {
    /// `event` is about to be handled at `now`; `world` is as it stood since the previous event.
    fn before(&mut self, _now: u64, _event: &Event, _world: &World) {}

    /// Primary `pair` stored host write `id` of `bytes` on its volume.
    fn stored(&mut self, _now: u64, _pair: u16, _id: WriteId, _bytes: u32) {}

    /// A host saw write `id` complete at `now`, `latency` ns after issuing it.
    fn completed(&mut self, _now: u64, _id: WriteId, _latency: u64) {}

    /// A host issued write `id` of `size` bytes to `addr`, labelled `label` if scripted, or with
    /// the generated label `role`.
    fn issued(
        &mut self,
        _now: u64,
        _id: WriteId,
        _addr: BlockAddr,
        _size: u32,
        _label: Option<&str>,
        _role: Label,
    ) {
    }

    /// Secondary `pair` is about to show write `id` (the checker does not know yet).
    fn applied(&mut self, _now: u64, _pair: u16, _id: WriteId, _checker: &Checker) {}

    /// `from` put `msg` on the channel to `to` at `now`; `delivery` is what becomes of it.
    fn message(&mut self, _now: u64, _from: NodeId, _to: NodeId, _msg: &Msg, _delivery: Delivery) {}

    /// `node` announced `what` (with the protocol's [`Note`] when it came from one).
    fn note(&mut self, _now: u64, _node: NodeId, _what: &'static str, _note: Option<Note>) {}

    /// Secondary `pair` became readable (`true`) or fenced at `now`; `all` is every secondary's
    /// state after the change (the image hosts can read is the union of the readable ones).
    fn readable(&mut self, _now: u64, _pair: u16, _readable: bool, _all: &Readability) {}

    /// Which of the frequent calls this watcher wants; the world skips the others when no
    /// watcher wants them (the trace, attached to every run, wants none of them).
    fn wants(&self) -> Wants {
        Wants::ALL
    }

    /// The watcher as [`Any`], so whoever attached it can take its concrete type back.
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

/// The frequent [`Watcher`] calls a watcher wants: one per stored write, per message, per apply
/// and per completion. `before`, `issued`, `note` and `readable` always come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wants {
    /// [`Watcher::stored`].
    pub stored: bool,
    /// [`Watcher::completed`].
    pub completed: bool,
    /// [`Watcher::applied`].
    pub applied: bool,
    /// [`Watcher::message`].
    pub message: bool,
}

impl Wants {
    /// Every call.
    pub const ALL: Wants = Wants {
        stored: true,
        completed: true,
        applied: true,
        message: true,
    };
    /// None of them.
    pub const NONE: Wants = Wants {
        stored: false,
        completed: false,
        applied: false,
        message: false,
    };

    fn or(self, o: Wants) -> Wants {
        Wants {
            stored: self.stored || o.stored,
            completed: self.completed || o.completed,
            applied: self.applied || o.applied,
            message: self.message || o.message,
        }
    }
}
