//! `checkpoint`: the patent's protocol (EP 0 674 263 B1), one state machine per role.
//!
//! Primary side ([`primary`]): start copy and copy-active exchange (102, 202-206), the clock and
//! checkpoint master with clock synchronisation (208), stamping each write when it completes,
//! periodic checkpoints (302) slotted into each pair's stream after every write stamped at or
//! below their time value (304). Secondary side ([`secondary`]): copy-active tables and the
//! secondary master (402-406), buffering, forwarding checkpoints (408), the rendezvous (410,
//! its table in `rendezvous`),
//! release, update-in-progress and the apply in time order (412-414), update-complete and the
//! reset (416-418). Beyond the patent: reliable streams over lossy networks, master failover on
//! both sites by epochs, and a takeover that finishes the newest released checkpoint everywhere
//! before opening the image.

pub mod clock;
pub mod config;
pub mod mutant;
pub mod primary;
mod rendezvous;
pub mod secondary;
#[cfg(test)]
mod tests;

pub use config::{ClockMode, Config, MemberFailure};
pub use mutant::Mutant;
pub use primary::Primary;
pub use secondary::Secondary;

/// The checkpoint id of sequence number `n` in `epoch`.
pub fn checkpoint_id(epoch: u32, n: u64) -> u64 {
    u64::from(epoch) << 32 | (n & 0xffff_ffff)
}

/// The pairs in the order they take over as master: the configured master first, then the
/// following pairs, wrapping round.
pub fn master_order(first: u16, pairs: u16) -> impl Iterator<Item = u16> {
    (0..pairs).map(move |k| (first + k) % pairs.max(1))
}

/// The master of `epoch` (epoch 0 is the configured one; each failover moves one along).
pub fn master_of(epoch: u32, first: u16, pairs: u16) -> u16 {
    let pairs = pairs.max(1);
    ((u32::from(first) + epoch) % u32::from(pairs)) as u16
}
