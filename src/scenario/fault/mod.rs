//! The scenario's faults: what goes wrong, when and where, and the takeover that follows a
//! disaster.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::dist::Dist;
use super::units::Duration;

mod read;

/// Something that goes wrong.
#[derive(Clone, Debug, Serialize, JsonSchema)]
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
