//! `cycle`: coordinated cycle switches with a brief host-write hold across all primaries, as
//! IBM's Global Mirror forms consistency groups and EMC's SRDF/A with multi-session consistency
//! switches cycles; one state machine per role.
//!
//! Primary side ([`primary`]): every primary tags each write with its open cycle when it
//! completes the host's write and ships it at once on its pair's stream. The master (beside the
//! primary role of pair `protocol.primary_master`) switches cycles: it asks every primary to hold
//! (complete no host write), waits until all confirm, then tells them all to switch to the next
//! cycle, which also releases the hold. A write's cycle is the one open when its host sees it
//! complete, so if write A completed before write B was issued, B's cycle is never older than
//! A's: every completion of the old cycle happened before the last primary started holding, and
//! every completion of the new cycle after the first primary switched, which is after all of them
//! held. A primary closes a cycle by slotting its end into the stream behind the cycle's last
//! write. If not every primary confirms within `max_coordination_time` the master abandons the
//! switch (release without switching) and tries again a cycle later. The next switch waits for
//! the last closed cycle to be committed at the secondary, at most `drain_timeout`, and at least
//! `min_cycle_time` goes by between switches.
//!
//! Secondary side ([`secondary`]): each secondary buffers its primary's writes by cycle and tells
//! the coordinator (the master's counterpart secondary) which cycles it has whole. When every
//! secondary has a cycle whole, the coordinator closes the image to hosts, tells them all to apply
//! every cycle up to it, opens the image once all have, and tells the master the cycle is
//! committed. At takeover only whole cycles are ever applied.

pub mod primary;
pub mod secondary;
#[cfg(test)]
mod tests;

pub use primary::Primary;
pub use secondary::Secondary;

/// Everything the cycle roles need to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Number of pairs.
    pub pairs: u16,
    /// The pair (0-based) whose primary is the master and whose secondary the coordinator.
    pub master: u16,
    /// Local ns at least between two switches.
    pub min_cycle_time: u64,
    /// Local ns the master waits for every primary to confirm a hold before abandoning.
    pub max_coordination_time: u64,
    /// Local ns the master waits for the last closed cycle to commit before switching anyway.
    pub drain_timeout: u64,
    /// Stream retransmission timeout.
    pub retransmit_timeout: u64,
    /// True when secondary buffers are lost on reset.
    pub volatile_buffers: bool,
    /// Mutant `cycle-no-hold`: the master switches without holding host writes.
    pub no_hold: bool,
}
