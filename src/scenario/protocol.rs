//! The scenario's protocol section: which copy protocol runs, its knobs and its mutants.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::defaults::one_u16;
use super::units::Duration;
pub use crate::protocol::checkpoint::Mutant;

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

    /// The protocol named `name`, as [`ProtocolKind::name`] gives it.
    pub fn named(name: &str) -> Option<ProtocolKind> {
        ProtocolKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The protocol a deliberate bug belongs to.
    pub fn of_mutant(m: Mutant) -> ProtocolKind {
        ProtocolKind::named(m.protocol()).unwrap_or_default()
    }

    /// Whether the protocol copies in rounds that a result counts as checkpoints (`checkpoint`'s
    /// checkpoints, `central`'s consistency groups, `cycle`'s cycles): `independent` and `sync`
    /// have none, so a checkpoint count does not apply to them.
    pub fn copies_in_rounds(self) -> bool {
        !matches!(self, ProtocolKind::Independent | ProtocolKind::Sync)
    }
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
    pub mutant: Option<Mutant>,
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
