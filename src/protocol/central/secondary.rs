//! The secondary subsystem's role in the `central` protocol: on the hosting pair, the journal and
//! the apply coordinator; everywhere, a member that applies what the coordinator hands it.
//!
//! The coordinator passes each update the mover ships on to the secondary it belongs to as it
//! arrives (over the secondary LAN, tagged with its group's number; its own it keeps), so the data
//! is in place before its group is complete, and records in its journal which groups are complete
//! (their end has arrived) and which secondaries hold updates of them. Complete groups are applied
//! one batch at a time (every complete group at once): it tells each secondary holding updates of
//! the batch to apply every update of the batch's groups, which fences that secondary (hosts may
//! not read it) while it applies, and once all of them have reported the batch applied it tells
//! each to reset, which makes it readable again. A secondary holding nothing of the batch shows
//! the same before and after it, so it stays readable throughout. At takeover it stops listening to
//! the mover, applies what is complete in its journal, and then says the takeover is done;
//! updates of the incomplete group are never applied.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::Config;
use crate::protocol::applier::Applier;
use crate::protocol::refill::Refill;
use crate::protocol::retained::Retained;
use crate::protocol::stream::{StreamNode, Streams};
use crate::protocol::{
    Body, Checkpoint, Input, Node, NodeId, Note, Output, Outputs, StreamView, Timer, WriteMeta,
};

/// The journal and apply coordinator's state.
#[derive(Debug, Default)]
struct Coordinator {
    /// The number of the group being received (the newest complete one plus one).
    receiving: u64,
    /// Secondaries holding updates of each group not yet applied.
    touched: BTreeMap<u64, BTreeSet<u16>>,
    /// Complete groups not yet applied, oldest first.
    journal: VecDeque<Checkpoint>,
    /// The batch being applied: its last group, and the secondaries yet to report it applied.
    batch: Option<(Checkpoint, BTreeSet<u16>)>,
    /// The secondaries the batch fenced, to reset once it is applied everywhere.
    fenced: BTreeSet<u16>,
    /// A batch watch timer is armed.
    watch_armed: bool,
    /// The takeover is done: nothing more is applied.
    done: bool,
    /// With volatile buffers, every update passed on to each member (itself included) and not yet
    /// applied there: part of the journal, which survives a reset, so a member that lost its
    /// buffers gets them again.
    kept: BTreeMap<u16, Retained>,
}

/// A secondary subsystem running the `central` protocol.
pub struct Secondary {
    cfg: Config,
    me: u16,
    streams: Streams,
    /// Updates from the coordinator not yet applied, by (group, arrival).
    buffer: BTreeMap<(u64, u64), WriteMeta>,
    arrivals: u64,
    applier: Applier,
    /// A reset lost the volatile buffers: the resend awaited and the release it holds back.
    refill: Refill,
    taken_over: bool,
    coordinator: Option<Coordinator>,
}

impl Secondary {
    /// The secondary of pair `me` (0-based); the coordinator when `me` is `cfg.mover`.
    pub fn new(me: u16, cfg: Config) -> Self {
        Secondary {
            cfg,
            me,
            streams: Streams::new(cfg.retransmit_timeout, true),
            buffer: BTreeMap::new(),
            arrivals: 0,
            applier: Applier::new(),
            refill: Refill::default(),
            taken_over: false,
            coordinator: (me == cfg.mover).then(|| Coordinator {
                receiving: 1,
                ..Coordinator::default()
            }),
        }
    }

    /// Complete groups in the journal not yet applied (0 off the coordinator).
    pub fn journaled(&self) -> usize {
        self.coordinator.as_ref().map_or(0, |c| c.journal.len())
    }

    /// True while the coordinator applies a batch.
    pub fn applying(&self) -> bool {
        self.coordinator.as_ref().is_some_and(|c| c.batch.is_some())
    }

    /// Updates held and not yet applied.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Member side: an update of group `w.stamp`, from the coordinator.
    fn hold(&mut self, w: WriteMeta) {
        self.arrivals += 1;
        self.buffer.insert((w.stamp, self.arrivals), w);
    }

    /// Member side: a release fences this secondary and applies every held update of the groups
    /// up to `cp`.
    /// While a resend of lost buffers is awaited, the release waits for it (fenced all along).
    fn release(&mut self, now: u64, cp: Checkpoint, out: &mut Outputs) {
        out.push(Output::Fence(true));
        if self.refill.awaiting() {
            self.refill.defer(Some(cp));
            return;
        }
        let mut writes = Vec::new();
        while let Some(e) = self.buffer.first_entry() {
            if e.key().0 > cp.id {
                break;
            }
            writes.push(e.remove());
        }
        self.applier.start(cp, writes, out);
        self.maybe_complete(now, out);
    }

    fn maybe_complete(&mut self, now: u64, out: &mut Outputs) {
        if let Some(cp) = self.applier.take_complete() {
            if self.coordinator.is_some() {
                self.on_complete(now, self.me, cp, out);
            } else {
                let to = NodeId::Secondary(self.cfg.mover);
                self.streams.send(now, to, Body::UpdateComplete(cp), out);
            }
        }
    }

    /// Coordinator: an update from the mover goes on to its secondary at once, tagged with the
    /// number of the group it belongs to.
    fn pass_on(&mut self, now: u64, w: WriteMeta, out: &mut Outputs) {
        let Some(c) = self.coordinator.as_mut() else {
            return;
        };
        let group = c.receiving;
        let member = w.addr.subsystem;
        c.touched.entry(group).or_default().insert(member);
        let tagged = WriteMeta { stamp: group, ..w };
        if self.cfg.volatile_buffers {
            c.kept
                .entry(member)
                .or_insert_with(|| Retained::new(true))
                .shipped(tagged);
        }
        if member == self.me {
            self.hold(tagged);
        } else {
            let to = NodeId::Secondary(member);
            self.streams.send(now, to, Body::Write(tagged), out);
        }
    }

    /// Coordinator: apply every complete group of the journal, if no batch is applying; at
    /// takeover, once nothing is left, the takeover is done.
    fn try_apply(&mut self, now: u64, out: &mut Outputs) {
        let taken_over = self.taken_over;
        let Some(c) = self.coordinator.as_mut() else {
            return;
        };
        if c.done || c.batch.is_some() {
            return;
        }
        let Some(cp) = c.journal.back().copied() else {
            if taken_over {
                c.done = true;
                out.push(Output::TakeoverDone);
            }
            return;
        };
        c.journal.clear();
        let later = c.touched.split_off(&(cp.id + 1));
        let members: BTreeSet<u16> = std::mem::replace(&mut c.touched, later)
            .into_values()
            .flatten()
            .collect();
        c.batch = Some((cp, members.clone()));
        c.fenced = members.clone();
        if !c.watch_armed {
            c.watch_armed = true;
            out.push(Output::SetTimer {
                after: 2 * self.cfg.retransmit_timeout,
                timer: Timer::BatchWatch,
            });
        }
        out.push(Output::Note(Note::Released(cp)));
        for m in members {
            if m == self.me {
                self.release(now, cp, out);
            } else {
                let body = Body::Release { epoch: 0, cp };
                self.streams.send(now, NodeId::Secondary(m), body, out);
            }
        }
        self.check_batch(now, out);
    }

    /// Coordinator: the batch watch fired. Members still pending are sent the release again:
    /// once the hosts stop writing, a stream carries nothing else, and a release or report lost
    /// at its tail would wait out the stream's exponential backoff; a repeated release is new
    /// traffic (its receiver's acknowledgement gets anything lost resent at once) and asks for
    /// the report again (a member that already applied the batch answers at once).
    fn batch_watch(&mut self, now: u64, out: &mut Outputs) {
        let Some(c) = self.coordinator.as_mut() else {
            return;
        };
        c.watch_armed = false;
        let Some((cp, pending)) = c.batch.clone() else {
            return;
        };
        c.watch_armed = true;
        out.push(Output::SetTimer {
            after: 2 * self.cfg.retransmit_timeout,
            timer: Timer::BatchWatch,
        });
        for m in pending {
            if m != self.me {
                let body = Body::Release { epoch: 0, cp };
                self.streams.send(now, NodeId::Secondary(m), body, out);
            }
        }
    }

    /// Coordinator: member `from` applied batch `cp`.
    fn on_complete(&mut self, now: u64, from: u16, cp: Checkpoint, out: &mut Outputs) {
        if let Some(c) = self.coordinator.as_mut() {
            if let Some(k) = c.kept.get_mut(&from) {
                k.applied_through(cp.id);
            }
            if let Some((b, pending)) = c.batch.as_mut() {
                if *b == cp {
                    pending.remove(&from);
                }
            }
        }
        self.check_batch(now, out);
    }

    /// Coordinator: once no member is pending, reset every member the batch fenced and go on.
    fn check_batch(&mut self, now: u64, out: &mut Outputs) {
        let Some(c) = self.coordinator.as_mut() else {
            return;
        };
        match c.batch.take() {
            Some((cp, pending)) if pending.is_empty() => {
                let fenced = std::mem::take(&mut c.fenced);
                for m in fenced {
                    if m == self.me {
                        out.push(Output::Fence(false));
                    } else {
                        let body = Body::Reset { epoch: 0, cp };
                        self.streams.send(now, NodeId::Secondary(m), body, out);
                    }
                }
                out.push(Output::Note(Note::Applied(cp)));
                self.try_apply(now, out);
            }
            other => c.batch = other,
        }
    }
}

impl Secondary {
    /// A reset lost the volatile buffers: the updates held and the applies in flight. A member
    /// asks the coordinator for them again and holds back the batch it was applying (it stays
    /// fenced) until they are back; the coordinator refills its own from the journal at once.
    fn lose_buffers(&mut self, now: u64, out: &mut Outputs) {
        self.buffer.clear();
        let owed = self.applier.lose();
        let me = self.me;
        let Some(c) = self.coordinator.as_ref() else {
            let loss = self.refill.lost(owed);
            let to = NodeId::Secondary(self.cfg.mover);
            self.streams.send(now, to, Body::Lost { loss }, out);
            return;
        };
        let again = c.kept.get(&me).map(Retained::to_resend).unwrap_or_default();
        for w in again {
            self.hold(w);
        }
        if let Some(cp) = owed {
            self.release(now, cp, out);
        }
    }

    /// Coordinator: member `to` lost its buffers (loss number `loss`): send it again every
    /// update it has not applied, in the order first sent, then say the resend is over.
    fn resend(&mut self, now: u64, to: u16, loss: u64, out: &mut Outputs) {
        let Some(c) = self.coordinator.as_ref() else {
            return;
        };
        let again = c.kept.get(&to).map(Retained::to_resend).unwrap_or_default();
        let to = NodeId::Secondary(to);
        for w in again {
            self.streams.send(now, to, Body::Write(w), out);
        }
        self.streams.send(now, to, Body::Resent { loss }, out);
    }
}

impl StreamNode for Secondary {
    fn streams(&mut self) -> &mut Streams {
        &mut self.streams
    }

    fn on_body(&mut self, now: u64, from: NodeId, body: Body, out: &mut Outputs) {
        match (from, body) {
            (NodeId::Primary(_), _) if self.taken_over => {}
            (NodeId::Primary(_), Body::Journal(w)) => self.pass_on(now, w, out),
            (NodeId::Primary(_), Body::GroupEnd(cp)) => {
                if let Some(c) = self.coordinator.as_mut() {
                    if cp.id == c.receiving {
                        c.receiving += 1;
                        c.journal.push_back(cp);
                    }
                }
                self.try_apply(now, out);
            }
            (NodeId::Secondary(_), Body::Write(w)) => self.hold(w),
            (NodeId::Secondary(_), Body::Release { cp, .. }) => self.release(now, cp, out),
            (NodeId::Secondary(_), Body::Reset { .. }) => out.push(Output::Fence(false)),
            (NodeId::Secondary(j), Body::UpdateComplete(cp)) => self.on_complete(now, j, cp, out),
            (NodeId::Secondary(j), Body::Lost { loss }) => self.resend(now, j, loss, out),
            (NodeId::Secondary(_), Body::Resent { loss }) => {
                if let Some(cp) = self.refill.resent(loss) {
                    self.release(now, cp, out);
                }
            }
            _ => {}
        }
    }
}

impl Node for Secondary {
    fn stream_view(&self) -> Option<&dyn StreamView> {
        Some(&self.streams)
    }

    fn handle(&mut self, now: u64, input: Input, out: &mut Outputs) {
        match input {
            Input::Deliver { from, msg } => {
                self.deliver(now, from, msg, out);
            }
            Input::Applied(w) => {
                self.applier.landed(w);
                self.maybe_complete(now, out);
            }
            Input::Timer(Timer::Retransmit) => self.streams.on_timer(now, out),
            Input::Timer(Timer::BatchWatch) => self.batch_watch(now, out),
            Input::Takeover => {
                if !self.taken_over {
                    self.taken_over = true;
                    if self.coordinator.is_some() {
                        self.try_apply(now, out);
                    } else {
                        out.push(Output::TakeoverDone);
                    }
                }
            }
            Input::Restart => {
                self.streams.restart(out);
                if let Some(c) = self.coordinator.as_mut() {
                    c.watch_armed = c.batch.is_some();
                    if c.watch_armed {
                        out.push(Output::SetTimer {
                            after: 2 * self.cfg.retransmit_timeout,
                            timer: Timer::BatchWatch,
                        });
                    }
                }
                if self.cfg.volatile_buffers {
                    self.lose_buffers(now, out);
                } else {
                    self.applier.restart(out);
                }
                self.maybe_complete(now, out);
            }
            Input::Start | Input::HostWrite(_) | Input::Timer(_) => {}
        }
    }
}
