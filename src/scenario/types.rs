//! The serde types of the scenario JSON format. Every struct rejects unknown fields, so a typo is
//! an error rather than a silent default; durations, sizes and rates are human strings.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::dist::Dist;
use super::units::{Bandwidth, Duration, OpsRate, Probability, Size};
pub use super::volume::VolumeRef;

/// A complete simulation scenario: the storage, the networks, the workload, the faults and the
/// protocol under test.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The JSON Schema this file follows (for editors: completion and checking as you type;
    /// `rcsim schema` prints it, `schema/scenario.schema.json` holds it). Ignored by rcsim.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Short name, shown in results and reports.
    pub name: String,
    /// What this scenario shows, in a sentence or two.
    pub description: String,
    /// The default seed; `--seed` overrides it.
    #[serde(default)]
    pub seed: u64,
    /// Hosts issue writes from time zero until this time.
    pub duration: Duration,
    /// How long the run goes on after `duration` (or after the takeover that follows a disaster)
    /// so that copies in flight can land.
    #[serde(default = "default_drain")]
    pub drain: Duration,
    /// How many subsystem pairs and how their volumes are laid out.
    pub topology: Topology,
    /// How fast the subsystems serve writes, ship copies and apply them.
    #[serde(default)]
    pub subsystems: Subsystems,
    /// The LAN coupling the primary subsystems.
    #[serde(default)]
    pub primary_lan: Lan,
    /// The LAN coupling the secondary subsystems.
    #[serde(default)]
    pub secondary_lan: Lan,
    /// The links between each primary and its counterpart secondary.
    #[serde(default)]
    pub links: Links,
    /// The primary subsystems' clocks.
    #[serde(default)]
    pub clocks: Clocks,
    /// What the hosts write.
    #[serde(deserialize_with = "super::tracked::vec")]
    pub workloads: Vec<Workload>,
    /// What goes wrong, and when.
    #[serde(default, deserialize_with = "super::tracked::vec")]
    pub faults: Vec<Fault>,
    /// How the secondary site takes over after a primary-site disaster.
    #[serde(default)]
    pub takeover: Takeover,
    /// The copy protocol and its knobs.
    #[serde(default)]
    pub protocol: Protocol,
    /// Resource limits; hitting one ends the run with exit code 3.
    #[serde(default)]
    pub limits: Limits,
    /// Liveness: in a run without a disaster whose faults all heal, every write completed this
    /// long before the end must be on the secondary (default: `drain`, i.e. every write the
    /// hosts completed before `duration`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness_bound: Option<Duration>,
    /// How the checker keeps the hosts' history.
    #[serde(default, skip_serializing_if = "CheckerOptions::is_default")]
    pub checker: CheckerOptions,
}

/// The checker's options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "an object such as {\"history\": \"full\"}"
)]
pub struct CheckerOptions {
    /// `bounded` (the default) forgets each write once no verdict can need it, so memory follows
    /// the writes in flight; `full` keeps every write, to judge exactly images whose blocks go
    /// back to older versions (which `bounded` reports as a `rollback` violation).
    #[serde(default)]
    pub history: crate::check::History,
}

impl CheckerOptions {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

fn default_drain() -> Duration {
    Duration::from_ms(100)
}

/// The storage layout, the same on both sites.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    /// Number of primary/secondary subsystem pairs (numbered from 1, as the patent numbers them).
    pub pairs: u16,
    /// Volumes in each subsystem (numbered from 0).
    #[serde(default = "one_u16")]
    pub volumes_per_subsystem: u16,
    /// Blocks in each volume (numbered from 0).
    #[serde(default = "default_blocks")]
    pub blocks_per_volume: u32,
}

fn one_u16() -> u16 {
    1
}

fn default_blocks() -> u32 {
    1024
}

/// The service model of one subsystem pair: host writes, shipping copies, applying copies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Service {
    /// Time a primary takes to serve one host write (until the host sees it complete).
    pub write_time: Dist<Duration>,
    /// Time a primary takes to read one write back and put it on its pair link; a heavily loaded
    /// subsystem ships late (the patent's subsystem 2).
    pub copy_time: Dist<Duration>,
    /// Time a secondary takes to apply one write to its volume.
    pub apply_time: Dist<Duration>,
    /// Writes served at once by each stage.
    pub servers: u32,
}

/// The subsystems' service model, with per-subsystem overrides so one can be heavily loaded.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Subsystems {
    /// Time a primary takes to serve one host write (until the host sees it complete).
    #[serde(default = "default_write_time")]
    pub write_time: Dist<Duration>,
    /// Time a primary takes to read one write back and put it on its pair link.
    #[serde(default = "zero_dist")]
    pub copy_time: Dist<Duration>,
    /// Time a secondary takes to apply one write to its volume.
    #[serde(default = "default_apply_time")]
    pub apply_time: Dist<Duration>,
    /// Writes served at once by each stage.
    #[serde(default = "one_u32")]
    pub servers: u32,
    /// Whether secondaries buffer received writes in volatile or non-volatile memory.
    #[serde(default)]
    pub buffer: BufferKind,
    /// Each primary's copy buffer: how many unacknowledged messages to its secondary it holds
    /// (absent: unbounded). `checkpoint` and `independent` honour it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buffer_capacity: Option<u32>,
    /// What a full copy buffer does: `pace` host writes or `suspend` shipping.
    #[serde(default)]
    pub when_full: WhenFull,
    /// Per-subsystem replacements of any of the fields above.
    #[serde(default)]
    pub overrides: Vec<ServiceOverride>,
}

impl Default for Subsystems {
    fn default() -> Self {
        Subsystems {
            write_time: default_write_time(),
            copy_time: zero_dist(),
            apply_time: default_apply_time(),
            servers: 1,
            buffer: BufferKind::default(),
            buffer_capacity: None,
            when_full: WhenFull::default(),
            overrides: Vec::new(),
        }
    }
}

impl Subsystems {
    /// The service model of pair `pair` (from 1), overrides applied in order.
    pub fn service(&self, pair: u16) -> Service {
        let mut s = Service {
            write_time: self.write_time.clone(),
            copy_time: self.copy_time.clone(),
            apply_time: self.apply_time.clone(),
            servers: self.servers,
        };
        for o in self.overrides.iter().filter(|o| o.subsystem == pair) {
            if let Some(d) = &o.write_time {
                s.write_time = d.clone();
            }
            if let Some(d) = &o.copy_time {
                s.copy_time = d.clone();
            }
            if let Some(d) = &o.apply_time {
                s.apply_time = d.clone();
            }
            if let Some(n) = o.servers {
                s.servers = n;
            }
        }
        s
    }
}

fn default_write_time() -> Dist<Duration> {
    Dist::Constant(Duration::from_us(200))
}

fn default_apply_time() -> Dist<Duration> {
    Dist::Constant(Duration::from_us(50))
}

fn zero_dist() -> Dist<Duration> {
    Dist::Constant(Duration::from_ns(0))
}

fn one_u32() -> u32 {
    1
}

/// What a primary does when its copy buffer is full.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WhenFull {
    /// Delay host writes until acknowledgements free room (write pacing, as in XRC and SRDF/A).
    #[default]
    Pace,
    /// Stop shipping, record changed blocks, resynchronise once the link drains; meanwhile the
    /// secondary is not consistent and stays closed to hosts.
    Suspend,
}

/// Volatile buffers are lost when a secondary resets; non-volatile ones survive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BufferKind {
    /// Survives resets (the patent's recommendation).
    #[default]
    NonVolatile,
    /// Lost on reset.
    Volatile,
}

/// Replacements of the service model for one subsystem pair; fields left out keep the default.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceOverride {
    /// The pair it applies to (from 1).
    pub subsystem: u16,
    /// Replaces `write_time`.
    #[serde(default)]
    pub write_time: Option<Dist<Duration>>,
    /// Replaces `copy_time`.
    #[serde(default)]
    pub copy_time: Option<Dist<Duration>>,
    /// Replaces `apply_time`.
    #[serde(default)]
    pub apply_time: Option<Dist<Duration>>,
    /// Replaces `servers`.
    #[serde(default)]
    pub servers: Option<u32>,
}

/// A LAN coupling the subsystems of one site.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lan {
    /// One-way message latency.
    #[serde(default = "default_lan_latency")]
    pub latency: Dist<Duration>,
    /// Probability that a message is lost.
    #[serde(default)]
    pub loss: Probability,
    /// Probability that a message is delivered twice.
    #[serde(default)]
    pub duplicate: Probability,
}

impl Default for Lan {
    fn default() -> Self {
        Lan {
            latency: default_lan_latency(),
            loss: Probability::default(),
            duplicate: Probability::default(),
        }
    }
}

fn default_lan_latency() -> Dist<Duration> {
    Dist::Constant(Duration::from_us(50))
}

/// One pair link: latency, bandwidth, loss, and parallel paths that may reorder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Link {
    /// One-way latency of each path.
    pub latency: Dist<Duration>,
    /// Bandwidth of each path.
    pub bandwidth: Bandwidth,
    /// Probability that a message is lost.
    pub loss: Probability,
    /// Probability that a message is delivered twice.
    pub duplicate: Probability,
    /// Parallel paths; messages spread over them and may overtake one another.
    pub paths: u32,
}

/// The pair links, each independent (no central data mover), with per-pair overrides.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Links {
    /// One-way latency of each path.
    #[serde(default = "default_link_latency")]
    pub latency: Dist<Duration>,
    /// Bandwidth of each path.
    #[serde(default = "default_bandwidth")]
    pub bandwidth: Bandwidth,
    /// Probability that a message is lost.
    #[serde(default)]
    pub loss: Probability,
    /// Probability that a message is delivered twice.
    #[serde(default)]
    pub duplicate: Probability,
    /// Parallel paths; messages spread over them and may overtake one another.
    #[serde(default = "one_u32")]
    pub paths: u32,
    /// Per-pair replacements of any of the fields above.
    #[serde(default)]
    pub overrides: Vec<LinkOverride>,
}

impl Default for Links {
    fn default() -> Self {
        Links {
            latency: default_link_latency(),
            bandwidth: default_bandwidth(),
            loss: Probability::default(),
            duplicate: Probability::default(),
            paths: 1,
            overrides: Vec::new(),
        }
    }
}

impl Links {
    /// The link model of pair `pair` (from 1), overrides applied in order.
    pub fn link(&self, pair: u16) -> Link {
        let mut l = Link {
            latency: self.latency.clone(),
            bandwidth: self.bandwidth,
            loss: self.loss,
            duplicate: self.duplicate,
            paths: self.paths,
        };
        for o in self.overrides.iter().filter(|o| o.pair == pair) {
            if let Some(d) = &o.latency {
                l.latency = d.clone();
            }
            if let Some(b) = o.bandwidth {
                l.bandwidth = b;
            }
            if let Some(p) = o.loss {
                l.loss = p;
            }
            if let Some(p) = o.duplicate {
                l.duplicate = p;
            }
            if let Some(n) = o.paths {
                l.paths = n;
            }
        }
        l
    }
}

fn default_link_latency() -> Dist<Duration> {
    Dist::Constant(Duration::from_us(500))
}

fn default_bandwidth() -> Bandwidth {
    Bandwidth(125_000_000)
}

/// Replacements of the link model for one pair; fields left out keep the default.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkOverride {
    /// The pair it applies to (from 1).
    pub pair: u16,
    /// Replaces `latency`.
    #[serde(default)]
    pub latency: Option<Dist<Duration>>,
    /// Replaces `bandwidth`.
    #[serde(default)]
    pub bandwidth: Option<Bandwidth>,
    /// Replaces `loss`.
    #[serde(default)]
    pub loss: Option<Probability>,
    /// Replaces `duplicate`.
    #[serde(default)]
    pub duplicate: Option<Probability>,
    /// Replaces `paths`.
    #[serde(default)]
    pub paths: Option<u32>,
}

/// The primary subsystems' clocks and how they are kept in step.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Clocks {
    /// Each clock's rate error in parts per million, drawn per subsystem in [-drift, +drift].
    #[serde(default)]
    pub drift_ppm: f64,
    /// How often the clock master sends its time to the other primaries.
    #[serde(default = "default_sync_interval")]
    pub sync_interval: Duration,
    /// Extra error of each synchronisation, drawn in [-error, +error].
    #[serde(default = "zero_duration")]
    pub sync_error: Duration,
    /// Subsystems whose clocks drift by exactly this much instead (ppm; negative runs slow).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<ClockOverride>,
    /// The most any clock steps in all (`clock_step` faults): `checkpoint` adds it to every clock
    /// error bound, since no synchronisation sees a step until the next one. A larger step is
    /// outside its assumptions.
    #[serde(default = "zero_duration", skip_serializing_if = "Duration::is_zero")]
    pub max_step: Duration,
}

/// One primary's own clock drift.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockOverride {
    /// The subsystem (from 1).
    pub subsystem: u16,
    /// Its rate error in parts per million (negative: slow).
    pub drift_ppm: f64,
}

impl Default for Clocks {
    fn default() -> Self {
        Clocks {
            drift_ppm: 0.0,
            sync_interval: default_sync_interval(),
            sync_error: zero_duration(),
            overrides: Vec::new(),
            max_step: zero_duration(),
        }
    }
}

fn default_sync_interval() -> Duration {
    Duration::from_ms(100)
}

fn zero_duration() -> Duration {
    Duration::from_ns(0)
}

/// What the hosts write. Deserialized by [`super::tracked`] so errors inside a workload keep
/// their full JSON path.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Workload {
    /// Named writes with explicit dependencies, e.g. the patent's io1, io2, io3.
    Script(ScriptSpec),
    /// Database transactions: a log write, then data writes, then a commit write.
    Dbms(Dbms),
    /// Independent writes at a rate.
    Random(Random),
    /// The writes of a block I/O trace file (fio iolog or MSR Cambridge CSV), replayed.
    Trace(super::replay::TraceSpec),
}

impl<'de> Deserialize<'de> for Workload {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let kinds = ["script", "dbms", "random", "trace"];
        super::tracked::tagged(d, &kinds, |kind, body| match kind {
            "script" => super::tracked::body(body).map(Workload::Script),
            "dbms" => super::tracked::body(body).map(Workload::Dbms),
            "trace" => super::tracked::body(body).map(Workload::Trace),
            _ => super::tracked::body(body).map(Workload::Random),
        })
    }
}

/// Scripted writes.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScriptSpec {
    /// The writes, each issued after the ones it names.
    pub writes: Vec<ScriptWrite>,
}

/// One scripted write.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScriptWrite {
    /// Its name, used by `after`, by violations and by the image summary.
    pub label: String,
    /// The pair it goes to (from 1).
    pub subsystem: u16,
    /// The volume within the subsystem (from 0).
    #[serde(default)]
    pub volume: u16,
    /// The block within the volume (from 0).
    #[serde(default)]
    pub block: u32,
    /// Bytes written.
    #[serde(default = "default_size")]
    pub size: Size,
    /// Earliest issue time.
    #[serde(default = "zero_duration")]
    pub at: Duration,
    /// Labels of earlier writes that must complete before this one is issued.
    #[serde(default)]
    pub after: Vec<String>,
    /// Host think time between the last of `after` completing and this write's issue.
    #[serde(default = "zero_duration")]
    pub think: Duration,
}

fn default_size() -> Size {
    Size(4096)
}

/// How arrivals are spaced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Arrival {
    /// Exponential gaps (a Poisson process).
    #[default]
    Poisson,
    /// Equal gaps.
    Fixed,
}

/// A DBMS committing transactions as the patent's example does.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dbms {
    /// The volume holding the log (log and commit records go there, sequentially).
    pub log: VolumeRef,
    /// The volumes holding the data base; each data write picks one.
    pub data: Vec<VolumeRef>,
    /// Data writes per transaction, issued together after the log write.
    #[serde(default = "one_u32")]
    pub data_writes: u32,
    /// Transactions started per unit of time.
    pub rate: OpsRate,
    /// How transaction starts are spaced.
    #[serde(default)]
    pub arrival: Arrival,
    /// Most transactions in progress at once; later arrivals wait.
    #[serde(default = "one_u32")]
    pub in_flight: u32,
    /// Size of each write.
    #[serde(default = "default_size_dist")]
    pub size: Dist<Size>,
    /// Host think time between the steps of a transaction.
    #[serde(default = "zero_duration")]
    pub think: Duration,
    /// How the rate of transaction starts varies over time; left out, it is steady.
    #[serde(default)]
    pub shape: Option<super::shape::Shape>,
}

fn default_size_dist() -> Dist<Size> {
    Dist::Constant(default_size())
}

/// How blocks are chosen.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum BlockChoice {
    /// Every block equally likely.
    #[default]
    Uniform,
    /// Zipf with this exponent: a few hot blocks take most writes.
    Zipf(f64),
    /// A hot spot: `weight` of the writes go to the first `fraction` of the blocks.
    Hot(super::shape::HotSpot),
}

/// Independent writes at a rate.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Random {
    /// The volumes written; empty means every volume of every subsystem.
    #[serde(default)]
    pub volumes: Vec<VolumeRef>,
    /// Writes per unit of time.
    pub rate: OpsRate,
    /// How writes are spaced.
    #[serde(default)]
    pub arrival: Arrival,
    /// How blocks are chosen within a volume.
    #[serde(default)]
    pub blocks: BlockChoice,
    /// Size of each write.
    #[serde(default = "default_size_dist")]
    pub size: Dist<Size>,
    /// How the rate varies over time; left out, it is steady.
    #[serde(default)]
    pub shape: Option<super::shape::Shape>,
}

/// Something that goes wrong.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// The whole primary site fails at once: hosts, primaries, their LAN and their ends of the
    /// links. Messages already on the wire still arrive.
    Disaster {
        /// When it strikes.
        at: Duration,
    },
    /// One subsystem stops (a crash, or a reset when it comes back): it handles nothing, messages
    /// to it are lost, a primary holds its hosts' writes, a secondary loses the applies in
    /// progress (and its buffers, if volatile). Its protocol state survives.
    Crash {
        /// Which site.
        site: Site,
        /// Which subsystem (from 1).
        subsystem: u16,
        /// When it goes down.
        at: Duration,
        /// How long it stays down; left out, it never comes back.
        #[serde(default)]
        down_for: Option<Duration>,
    },
    /// The primary site fails component by component over a window (the pair links, the
    /// primaries, the primary LAN), then entirely: hosts keep writing to what survives until the
    /// end. Messages already on the wire still arrive.
    RollingDisaster {
        /// When the first component fails.
        at: Duration,
        /// How long until the last one (and the hosts) fail.
        over: Duration,
        /// In what order components fail.
        #[serde(default)]
        order: RollingOrder,
    },
    /// A pair link goes down (both directions): messages sent while it is down are lost.
    LinkOutage {
        /// The pair (from 1).
        pair: u16,
        /// When it goes down.
        at: Duration,
        /// How long it stays down.
        #[serde(rename = "for")]
        lasts: Duration,
        /// Flapping: it goes down again every `every`, `count` times in all.
        #[serde(default)]
        repeat: Option<Repeat>,
    },
    /// A site's LAN is split: messages between the isolated subsystems and the rest are lost
    /// (only those leaving the isolated ones, with `one_way`).
    Partition {
        /// Which site's LAN.
        site: Site,
        /// The subsystems cut off (from 1).
        isolate: Vec<u16>,
        /// When the split starts.
        at: Duration,
        /// How long it lasts.
        #[serde(rename = "for")]
        lasts: Duration,
        /// Only messages from the isolated subsystems are lost.
        #[serde(default)]
        one_way: bool,
    },
    /// Extra latency on a link or a LAN for a while.
    LatencySpike {
        /// Where.
        target: NetTarget,
        /// The pair, when the target is a link (from 1).
        #[serde(default)]
        pair: Option<u16>,
        /// When it starts.
        at: Duration,
        /// How long it lasts.
        #[serde(rename = "for")]
        lasts: Duration,
        /// Latency added to every message sent meanwhile.
        extra: Dist<Duration>,
    },
    /// A pair link's bandwidth drops to a fraction for a while.
    BandwidthDrop {
        /// The pair (from 1).
        pair: u16,
        /// When it starts.
        at: Duration,
        /// How long it lasts.
        #[serde(rename = "for")]
        lasts: Duration,
        /// The fraction of the bandwidth left, in (0, 1].
        factor: f64,
    },
    /// A primary's clock jumps.
    ClockStep {
        /// The subsystem (from 1).
        subsystem: u16,
        /// When.
        at: Duration,
        /// By how much.
        by: Duration,
        /// Backward instead of forward.
        #[serde(default)]
        backward: bool,
    },
}

/// The order in which a rolling disaster takes the primary site down.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RollingOrder {
    /// Links first, then subsystems, then the LAN (replication stops before the writes do).
    #[default]
    LinksFirst,
    /// Subsystems first, then links, then the LAN.
    SubsystemsFirst,
    /// An order drawn from the seed.
    Mixed,
}

/// A flapping schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Repeat {
    /// From one outage's start to the next.
    pub every: Duration,
    /// Outages in all, the first included.
    pub count: u32,
}

/// A network a fault can target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NetTarget {
    /// A pair link (set `pair`).
    Link,
    /// The primary site's LAN.
    PrimaryLan,
    /// The secondary site's LAN.
    SecondaryLan,
}

impl Fault {
    /// When the fault strikes.
    pub fn at(&self) -> Duration {
        match self {
            Fault::Disaster { at }
            | Fault::Crash { at, .. }
            | Fault::RollingDisaster { at, .. }
            | Fault::LinkOutage { at, .. }
            | Fault::Partition { at, .. }
            | Fault::LatencySpike { at, .. }
            | Fault::BandwidthDrop { at, .. }
            | Fault::ClockStep { at, .. } => *at,
        }
    }

    /// When the primary site is finally gone, for the faults that end it.
    pub fn site_lost_at(&self) -> Option<u64> {
        match self {
            Fault::Disaster { at } => Some(at.as_ns()),
            Fault::RollingDisaster { at, over, .. } => {
                Some(at.as_ns().saturating_add(over.as_ns()))
            }
            _ => None,
        }
    }

    /// When the fault has healed for good; `None` if it never does.
    pub fn healed_at(&self) -> Option<u64> {
        match self {
            Fault::Disaster { .. } | Fault::RollingDisaster { .. } => None,
            Fault::Crash { at, down_for, .. } => down_for.map(|d| at.as_ns() + d.as_ns()),
            Fault::LinkOutage {
                at, lasts, repeat, ..
            } => {
                let flaps = repeat.map_or(0, |r| {
                    u64::from(r.count.saturating_sub(1)) * r.every.as_ns()
                });
                Some(at.as_ns() + flaps + lasts.as_ns())
            }
            Fault::Partition { at, lasts, .. }
            | Fault::LatencySpike { at, lasts, .. }
            | Fault::BandwidthDrop { at, lasts, .. } => Some(at.as_ns() + lasts.as_ns()),
            Fault::ClockStep { at, .. } => Some(at.as_ns()),
        }
    }
}

/// The primary or the secondary site.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Site {
    /// Where the hosts write.
    Primary,
    /// Where the copies go.
    Secondary,
}

/// The secondary site's takeover after a primary-site disaster.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Takeover {
    /// Time from the disaster until the secondary site is told to take over.
    #[serde(default = "default_takeover_delay")]
    pub delay: Duration,
}

impl Default for Takeover {
    fn default() -> Self {
        Takeover {
            delay: default_takeover_delay(),
        }
    }
}

fn default_takeover_delay() -> Duration {
    Duration::from_ms(10)
}

/// The copy protocols rcsim can run.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ProtocolKind {
    /// The patent's checkpoint protocol.
    #[default]
    Checkpoint,
    /// The prior art of the patent's Figure 1: each pair on its own.
    Independent,
    /// Synchronous copy: a host write completes only once the secondary has it.
    Sync,
    /// A central data mover (XRC's System Data Mover) reads every primary's timestamped updates
    /// and ships consistency groups up to the minimum of their newest timestamps.
    Central,
    /// Coordinated cycle switches with a brief host-write hold across all primaries (Global
    /// Mirror, SRDF/A with multi-session consistency).
    Cycle,
}

impl ProtocolKind {
    /// The name used on the command line and in results.
    pub fn name(self) -> &'static str {
        match self {
            ProtocolKind::Checkpoint => "checkpoint",
            ProtocolKind::Independent => "independent",
            ProtocolKind::Sync => "sync",
            ProtocolKind::Central => "central",
            ProtocolKind::Cycle => "cycle",
        }
    }

    /// Every protocol, in a fixed order.
    pub const ALL: [ProtocolKind; 5] = [
        ProtocolKind::Checkpoint,
        ProtocolKind::Independent,
        ProtocolKind::Sync,
        ProtocolKind::Central,
        ProtocolKind::Cycle,
    ];
}

/// The protocol under test and its knobs.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    /// Which protocol runs.
    #[serde(default)]
    pub kind: ProtocolKind,
    /// How long a sender waits for an acknowledgement before sending again.
    #[serde(default = "default_retransmit")]
    pub retransmit_timeout: Duration,
    /// `checkpoint`: time between checkpoints from the checkpoint master.
    #[serde(default = "default_checkpoint_interval")]
    pub checkpoint_interval: Duration,
    /// `checkpoint`: the pair (from 1) whose primary is the clock and checkpoint master.
    #[serde(default = "one_u16")]
    pub primary_master: u16,
    /// `checkpoint`: the pair (from 1) whose secondary is the secondary master.
    #[serde(default = "one_u16")]
    pub secondary_master: u16,
    /// `checkpoint`: what the group does when a member's primary is gone.
    #[serde(default)]
    pub member_failure: MemberFailureKind,
    /// `checkpoint`: where time values come from.
    #[serde(default)]
    pub clock: ClockKind,
    /// `checkpoint`: how often the secondary master says it is alive.
    #[serde(default = "default_heartbeat")]
    pub heartbeat_interval: Duration,
    /// `checkpoint`: silence after which a master is presumed failed and the next pair takes over.
    #[serde(default = "default_failover")]
    pub failover_timeout: Duration,
    /// `checkpoint`: silence after which a secondary presumes its primary gone.
    #[serde(default = "default_member_timeout")]
    pub member_timeout: Duration,
    /// `checkpoint`, `central` or `cycle`, for testing the tests: run this deliberate bug of
    /// that protocol instead of the protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutant: Option<MutantKind>,
    /// `central`: time between the mover's reads of each primary's updates.
    #[serde(default = "default_mover_read_interval")]
    pub mover_read_interval: Duration,
    /// `central`: the mover's work per update it reads and ships (its capacity is one update per
    /// this time).
    #[serde(default = "default_mover_service_time")]
    pub mover_service_time: Duration,
    /// `central`: each read answer carries the primary's current time, promising nothing older is
    /// still to come, so the mover can form groups past a primary that wrote nothing lately.
    /// Without it a silent primary stalls every group at its last write.
    #[serde(default = "yes")]
    pub idle_heartbeat: bool,
    /// `cycle`: the shortest time between two cycle switches.
    #[serde(default = "default_min_cycle_time")]
    pub min_cycle_time: Duration,
    /// `cycle`: how long the master may hold host writes while it waits for every primary to
    /// confirm the hold; past it the switch is abandoned and tried again next cycle.
    #[serde(default = "default_max_coordination_time")]
    pub max_coordination_time: Duration,
    /// `cycle`: how long the master waits for the last closed cycle to be committed at the
    /// secondary before it switches again anyway.
    #[serde(default = "default_drain_timeout")]
    pub drain_timeout: Duration,
}

/// A deliberate bug in a protocol (`--mutant`), to show the checker catches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MutantKind {
    /// Each secondary applies on its own checkpoint, without the rendezvous.
    NoRendezvous,
    /// Checkpoints overtake earlier-stamped writes still queued for shipping.
    EarlyCheckpoint,
    /// Hosts may read a secondary while it applies.
    NoUip,
    /// Releases apply writes stamped after the checkpoint's time value.
    ApplyPastCheckpoint,
    /// Lost messages are never resent.
    NoRetransmit,
    /// Clock sync without an error bound: half the round trip of one probe, no filter, no wait.
    NaiveClockSync,
    /// `central`: the mover forms groups up to the newest timestamp of any primary instead of
    /// the minimum over all of them.
    CentralNoMin,
    /// `cycle`: the master switches cycles without holding host writes.
    CycleNoHold,
    /// The secondary master resets each member's update-in-progress as soon as that member has
    /// applied, not once every member has.
    EarlyReset,
    /// A reset secondary with volatile buffers replays the writes it had handed to its volume as
    /// if they had survived, and goes on without what its buffer lost.
    VolatileReplay,
}

impl MutantKind {
    /// The protocol this deliberate bug belongs to.
    pub fn protocol(self) -> ProtocolKind {
        match self {
            MutantKind::CentralNoMin => ProtocolKind::Central,
            MutantKind::CycleNoHold => ProtocolKind::Cycle,
            _ => ProtocolKind::Checkpoint,
        }
    }
}

impl Default for Protocol {
    fn default() -> Self {
        Protocol {
            kind: ProtocolKind::default(),
            retransmit_timeout: default_retransmit(),
            checkpoint_interval: default_checkpoint_interval(),
            primary_master: 1,
            secondary_master: 1,
            member_failure: MemberFailureKind::default(),
            clock: ClockKind::default(),
            heartbeat_interval: default_heartbeat(),
            failover_timeout: default_failover(),
            member_timeout: default_member_timeout(),
            mutant: None,
            mover_read_interval: default_mover_read_interval(),
            mover_service_time: default_mover_service_time(),
            idle_heartbeat: true,
            min_cycle_time: default_min_cycle_time(),
            max_coordination_time: default_max_coordination_time(),
            drain_timeout: default_drain_timeout(),
        }
    }
}

fn yes() -> bool {
    true
}

fn default_mover_read_interval() -> Duration {
    Duration::from_ms(10)
}

fn default_mover_service_time() -> Duration {
    Duration::from_us(10)
}

fn default_min_cycle_time() -> Duration {
    Duration::from_ms(10)
}

fn default_max_coordination_time() -> Duration {
    Duration::from_ms(50)
}

fn default_drain_timeout() -> Duration {
    Duration::from_ms(100)
}

fn default_retransmit() -> Duration {
    Duration::from_ms(5)
}

fn default_checkpoint_interval() -> Duration {
    Duration::from_ms(10)
}

fn default_heartbeat() -> Duration {
    Duration::from_ms(10)
}

fn default_failover() -> Duration {
    Duration::from_ms(100)
}

fn default_member_timeout() -> Duration {
    Duration::from_ms(200)
}

/// What the secondary group does when a member's primary is gone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberFailureKind {
    /// The whole group stops at the last released checkpoint.
    #[default]
    Freeze,
    /// The member leaves the group once its update in progress completes (the patent's way).
    Resign,
}

/// Where the checkpoint protocol's time values come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    /// Synchronised sequence clocks at every primary.
    #[default]
    Synced,
    /// No clocks: each checkpoint's arrival at a primary delimits the interval.
    None,
}

/// Resource limits on one run.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// The most events one run may process.
    #[serde(default = "default_max_events")]
    pub max_events: u64,
    /// The latest simulated time one run may reach.
    #[serde(default = "default_max_time")]
    pub max_sim_time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_events: default_max_events(),
            max_sim_time: default_max_time(),
        }
    }
}

fn default_max_events() -> u64 {
    100_000_000
}

fn default_max_time() -> Duration {
    Duration::from_secs(24 * 3600)
}
