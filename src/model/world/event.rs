//! The event type that moves between the world's components, and what the trace says of an event
//! that does not take effect. A leaf of the world, so the trace can name events without naming the
//! world that handles them.

use crate::protocol::{Msg, NodeId, Timer, WriteMeta};

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

/// How an event that does not take effect is traced: its kind (`held`, `dropped`,
/// `superseded`) and why; `None` when it takes effect.
pub type Fate = Option<(&'static str, &'static str)>;
