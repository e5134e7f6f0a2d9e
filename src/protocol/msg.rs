//! Messages on the links and LANs. Reliable streams carry [`Body`] values in numbered segments;
//! the names are the patent's, so a trace reads like its worked example.

use super::write::WriteMeta;
use crate::check::WriteId;

/// What travels between two nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Msg {
    /// Segment `seq` of the sender's reliable ordered stream to the receiver.
    Seg {
        /// Position in the stream, from 0.
        seq: u64,
        /// The payload.
        body: Body,
    },
    /// Cumulative and selective acknowledgement: every segment below `next` has arrived, and
    /// bit `i` of `held` says segment `next + 1 + i` has arrived too.
    Ack {
        /// The next sequence number the receiver expects.
        next: u64,
        /// Segments received beyond the gap, as a bitmap.
        held: u64,
    },
    /// A datagram outside any stream: may be lost, never resent (clock sync, heartbeats).
    Dgram(Body),
}

/// A checkpoint: its identity (the master's epoch in the high 32 bits, its sequence number in
/// the low 32) and its time value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Checkpoint {
    /// Unique and increasing per master; a new master's epoch makes its ids larger.
    pub id: u64,
    /// The sequence-clock time value: every write stamped at or below it precedes it.
    pub t: u64,
}

impl Checkpoint {
    /// The checkpoint sequence number within its master's epoch (the patent's `n`).
    pub fn n(&self) -> u64 {
        self.id & 0xffff_ffff
    }
}

/// A secondary's report to its master: what it has released, whether it is mid-update, and
/// whether the site is taking over. Sent when a master changes and at takeover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Status {
    /// The epoch of the master it reports to.
    pub epoch: u32,
    /// The newest checkpoint it was told to release, if any.
    pub released: Option<Checkpoint>,
    /// True while it is in update-in-progress.
    pub uip: bool,
    /// True once it was told the secondary site takes over.
    pub takeover: bool,
}

/// The payload of a stream segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Body {
    /// Update data for one write, with its time stamp.
    Write(WriteMeta),
    /// `sync`: the secondary has applied this write.
    WriteAck(WriteId),
    /// Copy is active at the sender (steps 202-204 and 402-404).
    CopyActive,
    /// A checkpoint: master to primaries, then each primary to its secondary in its stream (302-304).
    Checkpoint(Checkpoint),
    /// A secondary hands a checkpoint it received to the secondary master (408).
    Forward(Checkpoint),
    /// The secondary master's rendezvous is complete: apply up to this checkpoint (412).
    Release {
        /// The master's epoch.
        epoch: u32,
        /// What to release.
        cp: Checkpoint,
    },
    /// A secondary finished applying a released checkpoint (416).
    UpdateComplete(Checkpoint),
    /// Every secondary has applied: leave update-in-progress (418).
    Reset {
        /// The master's epoch.
        epoch: u32,
        /// The checkpoint whose update is complete.
        cp: Checkpoint,
    },
    /// A primary asks the clock master for its time (208), noting when it asked.
    ClockProbe {
        /// The asker's clock when it sent the probe.
        t0: u64,
    },
    /// The clock master's answer: the reference time was `t` (within `err`) when it answered,
    /// so it is within `t` and `t` plus the round trip (plus `err`) when the answer arrives.
    ClockSync {
        /// The master's epoch.
        epoch: u32,
        /// The probe's `t0`, echoed so the asker can measure the round trip.
        t0: u64,
        /// The master's estimate of the reference time when it answered.
        t: u64,
        /// The master's own error bound (0 for the reference clock; NTP's root dispersion).
        err: u64,
    },
    /// The secondary master is alive.
    Heartbeat {
        /// Its epoch.
        epoch: u32,
    },
    /// A new master took over after the old one fell silent.
    NewMaster {
        /// The new epoch.
        epoch: u32,
    },
    /// A secondary's state, for a new master or the takeover.
    Status(Status),
    /// Takeover complete everywhere: open the image to hosts.
    Open {
        /// The master's epoch.
        epoch: u32,
    },
    /// The sender's primary is gone and it leaves the group (`member_failure: resign`).
    Resign,
    /// The primary's copy buffer filled and it stopped shipping (`when_full: suspend`): the
    /// secondary is no longer a faithful copy and must stay closed to hosts.
    Suspended,
    /// A secondary whose buffers are volatile reset and lost them: its primary sends again
    /// every write the secondary has not reported applied, then [`Body::Resent`].
    Lost {
        /// How many times the secondary has lost its buffers, this loss included.
        loss: u64,
    },
    /// Every write the [`Body::Lost`] numbered `loss` asked for has been sent again.
    Resent {
        /// The loss it answers.
        loss: u64,
    },
    /// The resynchronisation after a suspension is complete: every changed block has been sent
    /// again, stamped at most `stamp`.
    ResyncEnd {
        /// The newest stamp of the resent blocks.
        stamp: u64,
    },
    /// `central`: the mover asks a primary for the updates it has not yet read.
    Read,
    /// `central`: a primary's answer to a read ends here; it has sent every update stamped at or
    /// below `t` and will stamp nothing at or below `t` from now on.
    Progress {
        /// The primary's promise.
        t: u64,
    },
    /// `central`: one update of the consistency group the mover is shipping to the journal.
    Journal(WriteMeta),
    /// `central`: the mover's consistency group ends: every update stamped at or below its time
    /// value from every primary was shipped ahead of it.
    GroupEnd(Checkpoint),
    /// `cycle`: the master asks a primary to hold host write completions (attempt `attempt`).
    Hold {
        /// The switch attempt.
        attempt: u64,
    },
    /// `cycle`: a primary holds host write completions for `attempt`.
    Holding {
        /// The switch attempt.
        attempt: u64,
    },
    /// `cycle`: close the open cycle, start cycle `cycle`, and release the hold.
    Switch {
        /// The switch attempt.
        attempt: u64,
        /// The cycle that opens.
        cycle: u64,
    },
    /// `cycle`: the switch attempt is abandoned: release the hold without switching.
    Abandon {
        /// The switch attempt.
        attempt: u64,
    },
    /// `cycle`: every write of cycles up to this one's id went ahead of it in the pair's stream.
    CycleEnd(Checkpoint),
    /// `cycle`: the secondary side has committed every cycle up to this one's id.
    Committed(Checkpoint),
}

/// Header bytes of every message on the wire.
pub const HEADER_BYTES: u32 = 64;

impl Msg {
    /// The name a trace shows for this message, as the patent names it.
    pub fn name(&self) -> &'static str {
        match self {
            Msg::Seg { body, .. } => body.name(),
            Msg::Ack { .. } => "ack",
            Msg::Dgram(body) => body.name(),
        }
    }

    /// Bytes on the wire, which the link's bandwidth turns into transfer time.
    pub fn wire_bytes(&self) -> u32 {
        match self {
            Msg::Seg {
                body: Body::Write(w) | Body::Journal(w),
                ..
            } => HEADER_BYTES + w.size,
            _ => HEADER_BYTES,
        }
    }
}

impl Msg {
    /// Three words that identify this message's contents, folded into the trace hash.
    pub fn digest(&self) -> [u64; 3] {
        match self {
            Msg::Ack { next, held } => [1, *next, *held],
            Msg::Seg { seq, body } => {
                let [k, a, b] = body.digest();
                [2 | k << 8, *seq ^ a.rotate_left(32), b]
            }
            Msg::Dgram(body) => {
                let [k, a, b] = body.digest();
                [3 | k << 8, a, b]
            }
        }
    }
}

fn cp_words(cp: &Checkpoint) -> (u64, u64) {
    (cp.id, cp.t)
}

impl Body {
    /// A kind number and two words of contents, for the trace hash.
    pub fn digest(&self) -> [u64; 3] {
        match self {
            Body::Write(w) => [1, w.id, w.stamp],
            Body::WriteAck(id) => [2, *id, 0],
            Body::CopyActive => [3, 0, 0],
            Body::Checkpoint(cp) => {
                let (a, b) = cp_words(cp);
                [4, a, b]
            }
            Body::Forward(cp) => {
                let (a, b) = cp_words(cp);
                [5, a, b]
            }
            Body::Release { epoch, cp } => [6 | u64::from(*epoch) << 8, cp.id, cp.t],
            Body::UpdateComplete(cp) => [7, cp.id, cp.t],
            Body::Reset { epoch, cp } => [8 | u64::from(*epoch) << 8, cp.id, cp.t],
            Body::ClockSync { epoch, t0, t, err } => {
                [9 | u64::from(*epoch) << 8, *t0, *t ^ err.rotate_left(32)]
            }
            Body::ClockProbe { t0 } => [15, *t0, 0],
            Body::Heartbeat { epoch } => [10 | u64::from(*epoch) << 8, 0, 0],
            Body::NewMaster { epoch } => [11 | u64::from(*epoch) << 8, 0, 0],
            Body::Status(s) => [
                12 | u64::from(s.epoch) << 8 | u64::from(s.uip) << 4 | u64::from(s.takeover) << 5,
                s.released.map_or(u64::MAX, |c| c.id),
                s.released.map_or(0, |c| c.t),
            ],
            Body::Open { epoch } => [13 | u64::from(*epoch) << 8, 0, 0],
            Body::Resign => [14, 0, 0],
            Body::Suspended => [26, 0, 0],
            Body::ResyncEnd { stamp } => [27, *stamp, 0],
            Body::Lost { loss } => [28, *loss, 0],
            Body::Resent { loss } => [29, *loss, 0],
            Body::Read => [16, 0, 0],
            Body::Progress { t } => [17, *t, 0],
            Body::Journal(w) => [18, w.id, w.stamp],
            Body::GroupEnd(cp) => [19, cp.id, cp.t],
            Body::Hold { attempt } => [20, *attempt, 0],
            Body::Holding { attempt } => [21, *attempt, 0],
            Body::Switch { attempt, cycle } => [22, *attempt, *cycle],
            Body::Abandon { attempt } => [23, *attempt, 0],
            Body::CycleEnd(cp) => [24, cp.id, cp.t],
            Body::Committed(cp) => [25, cp.id, cp.t],
        }
    }

    /// A short human description of the contents, for the JSON-lines trace.
    pub fn detail(&self) -> String {
        match self {
            Body::Write(w) => format!("w{} stamp {}", w.id, w.stamp),
            Body::WriteAck(id) => format!("w{id}"),
            Body::CopyActive => String::new(),
            Body::Checkpoint(cp) | Body::Forward(cp) | Body::UpdateComplete(cp) => {
                format!("n {} time {}", cp.n(), cp.t)
            }
            Body::Release { epoch, cp } | Body::Reset { epoch, cp } => {
                format!("n {} time {} epoch {epoch}", cp.n(), cp.t)
            }
            Body::ClockSync {
                epoch,
                t0,
                t,
                err: 0,
            } => {
                format!("time {t} for probe {t0} epoch {epoch}")
            }
            Body::ClockSync { epoch, t0, t, err } => {
                format!("time {t} within {err} for probe {t0} epoch {epoch}")
            }
            Body::ClockProbe { t0 } => format!("sent at {t0}"),
            Body::Heartbeat { epoch } | Body::NewMaster { epoch } | Body::Open { epoch } => {
                format!("epoch {epoch}")
            }
            Body::Status(s) => format!(
                "epoch {} released {} uip {} takeover {}",
                s.epoch,
                s.released
                    .map_or("none".to_string(), |c| format!("n {} time {}", c.n(), c.t)),
                s.uip,
                s.takeover
            ),
            Body::ResyncEnd { stamp } => format!("resent up to stamp {stamp}"),
            Body::Lost { loss } | Body::Resent { loss } => format!("loss {loss}"),
            Body::Resign | Body::Suspended | Body::Read => String::new(),
            Body::Progress { t } => format!("time {t}"),
            Body::Journal(w) => format!("w{} stamp {}", w.id, w.stamp),
            Body::GroupEnd(cp) => format!("group {} time {}", cp.id, cp.t),
            Body::Hold { attempt } | Body::Holding { attempt } | Body::Abandon { attempt } => {
                format!("attempt {attempt}")
            }
            Body::Switch { attempt, cycle } => format!("attempt {attempt} to cycle {cycle}"),
            Body::CycleEnd(cp) | Body::Committed(cp) => format!("cycle {}", cp.id),
        }
    }

    /// The name a trace shows.
    pub fn name(&self) -> &'static str {
        match self {
            Body::Write(_) => "write",
            Body::WriteAck(_) => "write-ack",
            Body::CopyActive => "copy-active",
            Body::Checkpoint(_) => "checkpoint",
            Body::Forward(_) => "forward",
            Body::Release { .. } => "release",
            Body::UpdateComplete(_) => "update-complete",
            Body::Reset { .. } => "reset",
            Body::ClockSync { .. } => "clock-sync",
            Body::ClockProbe { .. } => "clock-probe",
            Body::Heartbeat { .. } => "heartbeat",
            Body::NewMaster { .. } => "new-master",
            Body::Status(_) => "status",
            Body::Open { .. } => "open",
            Body::Resign => "resign",
            Body::Suspended => "suspended",
            Body::ResyncEnd { .. } => "resync-end",
            Body::Lost { .. } => "lost",
            Body::Resent { .. } => "resent",
            Body::Read => "read",
            Body::Progress { .. } => "progress",
            Body::Journal(_) => "journal",
            Body::GroupEnd(_) => "group-end",
            Body::Hold { .. } => "hold",
            Body::Holding { .. } => "holding",
            Body::Switch { .. } => "switch",
            Body::Abandon { .. } => "abandon",
            Body::CycleEnd(_) => "cycle-end",
            Body::Committed(_) => "committed",
        }
    }
}
