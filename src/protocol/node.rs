//! What every protocol node shares: addresses, inputs, outputs and the node trait.

use super::msg::{Checkpoint, Msg};
use super::write::WriteMeta;
use crate::check::WriteId;

/// A subsystem's address: pair `i`'s primary or its counterpart secondary (0-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeId {
    /// Primary subsystem `i`.
    Primary(u16),
    /// Secondary subsystem `i`.
    Secondary(u16),
}

impl NodeId {
    /// The pair index.
    pub fn pair(self) -> u16 {
        match self {
            NodeId::Primary(i) | NodeId::Secondary(i) => i,
        }
    }

    /// `"P1"`, `"S4"`: how traces name nodes (1-based, as the patent numbers subsystems).
    pub fn label(self) -> String {
        match self {
            NodeId::Primary(i) => format!("P{}", i + 1),
            NodeId::Secondary(i) => format!("S{}", i + 1),
        }
    }
}

/// Timers a node can set; each node owns its own set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// Resend unacknowledged stream segments.
    Retransmit,
    /// The checkpoint master's next checkpoint.
    Checkpoint,
    /// The clock master's next synchronisation.
    ClockSync,
    /// The secondary master's next heartbeat.
    Heartbeat,
    /// Check that the master is still heard from.
    MasterWatch,
    /// Check that this secondary's primary is still heard from.
    PrimaryWatch,
    /// `central`: the mover's next read of every primary.
    MoverRead,
    /// `central`: the mover finished its work on one update.
    MoverService,
    /// `cycle`: the master's next cycle switch may be due.
    CycleSwitch,
    /// `cycle`: the master's coordination window may have run out.
    Coordination,
    /// `cycle`: the master's wait for the last closed cycle to commit may have run out.
    DrainTimeout,
    /// `central`: the coordinator checks on a batch whose members have not all reported.
    BatchWatch,
    /// `checkpoint`: a primary's commit-wait for the oldest write held back by clock
    /// uncertainty may be over.
    ClockWait,
}

/// Protocol milestones a node announces, for metrics and the trace; never read by the checker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Note {
    /// The checkpoint master issued a checkpoint.
    CheckpointIssued(Checkpoint),
    /// The secondary master's rendezvous completed `latency` ns after the first forward arrived.
    Rendezvous {
        /// The checkpoint.
        cp: Checkpoint,
        /// Local ns from its first forward to the last.
        latency: u64,
    },
    /// The secondary master released a checkpoint.
    Released(Checkpoint),
    /// Every secondary applied a released checkpoint.
    Applied(Checkpoint),
    /// This node became master of its site.
    BecameMaster {
        /// Its epoch.
        epoch: u32,
    },
    /// This secondary left the group.
    Resigned,
    /// This primary's buffer filled: it stopped shipping and records changed blocks.
    Suspended,
    /// This secondary is a faithful copy again after a suspension's resynchronisation.
    Resynced,
    /// This primary held a host write because its buffer was full (write pacing).
    Paced,
    /// `cycle`: this primary held host write completions for `ns` local nanoseconds.
    HostHold {
        /// How long the hold lasted.
        ns: u64,
    },
    /// `checkpoint`: a primary held a host write's completion for `ns` local nanoseconds, until
    /// its clock's error bound proved the reference time had passed the write's stamp.
    ClockWait {
        /// How long the wait lasted.
        ns: u64,
    },
    /// `cycle`: the master abandoned a switch: not every primary confirmed the hold in time.
    SwitchAbandoned,
    /// `cycle`: the master stopped waiting for the last closed cycle to commit and switches again.
    DrainOverdue,
}

/// What a node is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// Start copy (step 102): sent to every primary and secondary at time zero.
    Start,
    /// A host write completed on this primary's volume (or, for `sync`, is stored and waits).
    HostWrite(WriteMeta),
    /// A message arrived.
    Deliver {
        /// Who sent it.
        from: NodeId,
        /// What it says.
        msg: Msg,
    },
    /// A timer this node set has fired.
    Timer(Timer),
    /// This secondary finished applying a write to its volume.
    Applied(WriteMeta),
    /// The primary site is gone: the secondary site takes over.
    Takeover,
    /// This subsystem restarts after a crash or reset; its persistent state survived.
    Restart,
}

/// What a node asks the world to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// Send `msg` to `to` over whatever connects the two (pair link or site LAN).
    Send {
        /// The destination.
        to: NodeId,
        /// The message.
        msg: Msg,
    },
    /// Fire `timer` after `after` nanoseconds of this node's local clock.
    SetTimer {
        /// Local nanoseconds from now.
        after: u64,
        /// Which timer.
        timer: Timer,
    },
    /// Tell the host its write completed.
    CompleteHost(WriteId),
    /// Apply a write to this secondary's volume (through its apply service).
    Apply(WriteMeta),
    /// Hosts may not (`true`) or may again (`false`) read this secondary's volumes.
    Fence(bool),
    /// This secondary has finished its part of the takeover.
    TakeoverDone,
    /// Set this primary's clock to read this value now (clock synchronisation).
    SetClock(u64),
    /// A milestone, for metrics and the trace.
    Note(Note),
}

/// A reusable buffer of outputs: the world drains it after each input, so it never reallocates
/// once warm.
#[derive(Default, Debug)]
pub struct Outputs {
    items: Vec<Output>,
}

impl Outputs {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one output.
    pub fn push(&mut self, o: Output) {
        self.items.push(o);
    }

    /// Adds a message send.
    pub fn send(&mut self, to: NodeId, msg: Msg) {
        self.items.push(Output::Send { to, msg });
    }

    /// Removes and yields everything, oldest first.
    pub fn drain(&mut self) -> std::vec::Drain<'_, Output> {
        self.items.drain(..)
    }

    /// The outputs so far (for tests and tracing).
    pub fn as_slice(&self) -> &[Output] {
        &self.items
    }

    /// True when nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// A protocol role at one subsystem.
pub trait Node {
    /// Reacts to `input` at local clock time `now`, writing reactions into `out`.
    fn handle(&mut self, now: u64, input: Input, out: &mut Outputs);

    /// Writes this node holds and has not yet handed to its volume (a secondary's buffer awaiting
    /// a release); for metrics and reports only, never for the checker.
    fn buffered(&self) -> usize {
        0
    }

    /// False while the node ignores every message it is delivered (an `independent` or `sync`
    /// secondary after the takeover): for the trace, which then shows them as dropped.
    fn takes_deliveries(&self) -> bool {
        true
    }

    /// The node's reliable streams, where it has them: for the run loop's memory hints and for
    /// the trace's account of each segment's arrival, never for judging a run.
    fn stream_view(&self) -> Option<&dyn StreamView> {
        None
    }

    /// True when the node keeps a stream with every other node of its site, as the checkpoint
    /// protocol's copy-active exchange has it (steps 202-206 and 402-404): with hundreds of
    /// pairs those tables outgrow the caches, and the run loop's memory hints pay. The other
    /// protocols' nodes talk to a few peers, and hints only cost them.
    fn meshed(&self) -> bool {
        false
    }

    /// A hint that a message from `from` is due `ahead` events from now: start loading what
    /// taking it will read (see [`crate::engine::Handler::prefetch`]). Changes nothing.
    fn prefetch(&self, from: NodeId, ahead: usize) {
        if let Some(s) = self.stream_view() {
            s.prefetch(from, ahead);
        }
    }
}

/// What the world may ask of a node's reliable streams (`crate::protocol::stream::Streams`),
/// which change nothing: memory hints, and what a segment's arrival would do, for the trace.
pub trait StreamView {
    /// Starts loading what taking a message from `from`, due `ahead` events from now, reads.
    fn prefetch(&self, from: NodeId, ahead: usize);

    /// What taking segment `seq` from `from` would do now.
    fn arrival(&self, from: NodeId, seq: u64) -> Arrival;
}

/// What a stream segment's arrival does at its receiver (see [`StreamView::arrival`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// The next in order: handed on now, and with it `releases` segments that waited behind it.
    InOrder {
        /// Segments held beyond the gap this one fills, handed on right after it.
        releases: u64,
    },
    /// Beyond a gap: held (and acknowledged selectively) until the missing ones arrive.
    BeyondGap,
    /// Received before: acknowledged again, and dropped.
    Duplicate,
}
