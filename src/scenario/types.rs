//! The serde types of the scenario JSON format. Every struct rejects unknown fields, so a typo is
//! an error rather than a silent default; durations, sizes and rates are human strings.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::defaults::{one_u16, one_u32, zero_duration};
use super::dist::Dist;
pub use super::fault::{Fault, NetTarget, Repeat, RollingOrder, Site, Takeover};
pub use super::protocol::{ClockKind, MemberFailureKind, Mutant, Protocol, ProtocolKind};
use super::units::{Bandwidth, Duration, Probability};
pub use super::volume::VolumeRef;
pub use super::workload::{Arrival, BlockChoice, Dbms, Random, ScriptSpec, ScriptWrite, Workload};

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
    pub workloads: Vec<Workload>,
    /// What goes wrong, and when.
    #[serde(default)]
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
    /// The most host writes one run may have issued and not yet completed at once. Hosts that
    /// write faster than their subsystems serve grow a backlog of about 300 bytes a write for
    /// as long as they write; past this many the run stops as for any other limit (exit 3).
    #[serde(default = "default_max_writes_in_flight")]
    pub max_writes_in_flight: u64,
    /// The most events one run may hold scheduled at once (messages in flight, timers, host
    /// wake-ups). A protocol that schedules faster than time takes events away (checkpoints
    /// every nanosecond over a millisecond link) grows its queue by about a hundred bytes an
    /// event, and its senders' unacknowledged copies with it, for as long as that lasts; past
    /// this many the run stops as for any other limit (exit 3). A thousand pairs' start-up
    /// holds about 2.2 million; at the default, 5 million, checkpoints every nanosecond peaked
    /// at 1.6 GB.
    #[serde(default = "default_max_events_pending")]
    pub max_events_pending: u64,
}

impl Limits {
    /// Every budget a run's result may name as the limit that stopped it (`budget`), one per
    /// limit: a result read back naming another was not written by rcsim.
    pub const BUDGETS: [&'static str; 4] = [
        Self::EVENTS,
        Self::SIM_TIME,
        Self::WRITES_IN_FLIGHT,
        Self::EVENTS_PENDING,
    ];

    /// The budget `limits.max_events` sets, as a result names it.
    pub const EVENTS: &'static str = "events";
    /// The budget `limits.max_sim_time` sets, as a result names it.
    pub const SIM_TIME: &'static str = "sim_time";
    /// The budget `limits.max_writes_in_flight` sets, as a result names it.
    pub const WRITES_IN_FLIGHT: &'static str = "writes_in_flight";
    /// The budget `limits.max_events_pending` sets, as a result names it.
    pub const EVENTS_PENDING: &'static str = "events_pending";

    /// The setting behind a budget as a run's result names it (one of [`Limits::BUDGETS`]), for
    /// messages that say what to raise.
    pub fn setting(which: &str) -> &'static str {
        match which {
            Self::EVENTS => "limits.max_events",
            Self::WRITES_IN_FLIGHT => "limits.max_writes_in_flight",
            Self::EVENTS_PENDING => "limits.max_events_pending",
            _ => "limits.max_sim_time",
        }
    }

    /// That setting with its value here, as `limits.max_events = 100000000`.
    pub fn stated(&self, which: &str) -> String {
        let setting = Limits::setting(which);
        match which {
            Self::EVENTS => format!("{setting} = {}", self.max_events),
            Self::WRITES_IN_FLIGHT => format!("{setting} = {}", self.max_writes_in_flight),
            Self::EVENTS_PENDING => format!("{setting} = {}", self.max_events_pending),
            _ => format!("{setting} = {}", self.max_sim_time),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_events: default_max_events(),
            max_sim_time: default_max_time(),
            max_writes_in_flight: default_max_writes_in_flight(),
            max_events_pending: default_max_events_pending(),
        }
    }
}

fn default_max_writes_in_flight() -> u64 {
    1_000_000
}

fn default_max_events_pending() -> u64 {
    5_000_000
}

fn default_max_events() -> u64 {
    100_000_000
}

fn default_max_time() -> Duration {
    Duration::from_secs(24 * 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_budget_names_its_setting_and_value() {
        assert_eq!(Limits::setting("events"), "limits.max_events");
        assert_eq!(Limits::setting("sim_time"), "limits.max_sim_time");
        let l = Limits {
            max_events: 7,
            max_writes_in_flight: 9,
            max_events_pending: 11,
            ..Limits::default()
        };
        assert_eq!(l.stated("events"), "limits.max_events = 7");
        assert_eq!(l.stated("events_pending"), "limits.max_events_pending = 11");
        assert_eq!(
            l.stated("writes_in_flight"),
            "limits.max_writes_in_flight = 9"
        );
        assert_eq!(l.stated("sim_time"), "limits.max_sim_time = 86400s");
        let settings: std::collections::BTreeSet<&str> =
            Limits::BUDGETS.iter().map(|b| Limits::setting(b)).collect();
        assert_eq!(
            settings.len(),
            Limits::BUDGETS.len(),
            "one setting per budget"
        );
    }
}
