//! The checkpoint protocol's knobs, as plain numbers for the state machines.

/// What the secondary group does when a member's primary is gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemberFailure {
    /// The whole group stops at the last released checkpoint (safe: nothing newer is released
    /// without the missing member's data).
    Freeze,
    /// The member leaves the group once its update in progress completes (the patent's way; the
    /// rest of the group goes on without it).
    Resign,
}

/// Where a write's time value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClockMode {
    /// Each primary's synchronised sequence clock.
    Synced,
    /// No clock: the arrival of each checkpoint at a primary delimits the interval (the patent's
    /// variation; safe only while the LAN is much faster than a host I/O cycle).
    None,
}

/// Everything the checkpoint roles need to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    /// Number of pairs in the copy set group.
    pub pairs: u16,
    /// Pair index (0-based) of the configured clock and checkpoint master.
    pub primary_master: u16,
    /// Pair index (0-based) of the configured secondary master.
    pub secondary_master: u16,
    /// Local ns between checkpoints.
    pub checkpoint_interval: u64,
    /// Local ns between clock synchronisations (and primary-master heartbeats).
    pub sync_interval: u64,
    /// Local ns between secondary-master heartbeats.
    pub heartbeat_interval: u64,
    /// Silence after which a master is presumed failed and the next one takes over.
    pub failover_timeout: u64,
    /// Silence after which a secondary presumes its primary gone.
    pub member_timeout: u64,
    /// Stream retransmission timeout.
    pub retransmit_timeout: u64,
    /// Time values from clocks, or from checkpoint arrival.
    pub clock: ClockMode,
    /// Freeze or resign when a member's primary is gone.
    pub member_failure: MemberFailure,
    /// True when secondary buffers are lost on reset.
    pub volatile_buffers: bool,
    /// A deliberate bug to run instead of the correct protocol (mutation testing).
    pub mutant: Option<super::Mutant>,
    /// The primaries' copy buffer limit and what a full buffer does (`None`: unbounded).
    pub buffer: Option<crate::protocol::shipping::BufferLimit>,
    /// How far a primary's clock may be from the clock master's at the start, before any
    /// synchronisation (ns).
    pub initial_clock_error: u64,
    /// How fast two primaries' clocks may drift apart, in parts per billion (twice the largest
    /// drift of one clock).
    pub drift_bound_ppb: u64,
    /// The most a clock may step in all without a synchronisation seeing it (ns): part of every
    /// error bound.
    pub max_clock_step: u64,
}

impl Config {
    /// True when mutant `m` is switched on.
    pub fn has(&self, m: super::Mutant) -> bool {
        self.mutant == Some(m)
    }
}
