//! `central`: a central data mover, as IBM's XRC System Data Mover works, one state machine per
//! role.
//!
//! Primary side ([`primary`]): every primary stamps each write with its synchronised clock when
//! the write completes, completes the host's write at once, and keeps it in its sidefile. The
//! mover, hosted beside the primary role of one pair (`protocol.primary_master`, pair 1 by
//! default), reads every primary every `mover_read_interval`: a primary answers with the updates
//! of its sidefile and a progress promise (the newest time at or below which it will stamp
//! nothing more). The mover works through what it read at one update per `mover_service_time`,
//! and whenever the minimum of the primaries' promises advances it forms a consistency group of
//! every update stamped at or below it and ships the group over its own link (the hosting pair's
//! link) to the journal at the secondary site. Secondary side ([`secondary`]): the counterpart
//! secondary of the hosting pair keeps the journal and coordinates the apply: it closes the image
//! to hosts, hands each secondary its updates of the group over the secondary LAN, and opens the
//! image again once all of them have applied. After a disaster it applies every complete group
//! of its journal, drops the incomplete one, and then takes over.
//!
//! Without `idle_heartbeat` a primary's promise is the stamp of its newest update, so a primary
//! that writes nothing holds every group at its last write: the stall XRC's idle timestamps
//! exist to prevent.

pub mod primary;
pub mod secondary;
#[cfg(test)]
mod tests;

pub use primary::Primary;
pub use secondary::Secondary;

/// Everything the central roles need to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Number of pairs.
    pub pairs: u16,
    /// The pair (0-based) whose primary hosts the mover and whose secondary the journal.
    pub mover: u16,
    /// Local ns between the mover's reads of every primary.
    pub read_interval: u64,
    /// Local ns of mover work per update read and shipped.
    pub service_time: u64,
    /// Read answers carry the primary's current time, not only its newest update's stamp.
    pub idle_heartbeat: bool,
    /// Local ns between clock synchronisations with the mover's host.
    pub sync_interval: u64,
    /// Stream retransmission timeout.
    pub retransmit_timeout: u64,
    /// True when secondary buffers are lost on reset.
    pub volatile_buffers: bool,
    /// Mutant `central-no-min`: groups go up to the newest promise of any primary.
    pub no_min: bool,
}
