//! The secondary subsystem's role in the `cycle` protocol: everywhere, a member that buffers its
//! primary's writes by cycle and says which cycles it has whole; on the master's pair, the
//! coordinator that commits a cycle once every member has it whole.
//!
//! A commit tells every member to apply its buffered writes of every cycle up to the committed
//! one, which fences the member (hosts may not read it) while it applies; when all have applied,
//! the coordinator tells each to reset, which makes it readable again, and the master's primary
//! is told the cycle is committed (its drain is over). At takeover the members stop
//! listening to their primaries, and the coordinator commits whatever cycle is whole everywhere by
//! its reports, then says the takeover is done and commits nothing more.

use std::collections::{BTreeMap, BTreeSet};

use super::Config;
use crate::protocol::applier::Applier;
use crate::protocol::refill::Refill;
use crate::protocol::stream::{StreamNode, Streams};
use crate::protocol::{
    Body, Checkpoint, Input, Node, NodeId, Note, Output, Outputs, StreamView, Timer, WriteMeta,
};

/// The coordinator's state.
#[derive(Debug)]
struct Coordinator {
    /// The newest cycle each member has whole.
    have: Vec<u64>,
    committed: u64,
    /// The commit in progress and the members yet to report it applied.
    batch: Option<(Checkpoint, BTreeSet<u16>)>,
    /// The takeover is done: nothing more is committed.
    done: bool,
}

/// A secondary subsystem running the `cycle` protocol.
pub struct Secondary {
    cfg: Config,
    me: u16,
    streams: Streams,
    /// Writes received and not yet applied, by (cycle, arrival).
    buffer: BTreeMap<(u64, u64), WriteMeta>,
    arrivals: u64,
    /// The newest cycle whose end has arrived from the primary.
    have: u64,
    applier: Applier,
    /// A reset lost the volatile buffers: the resend awaited and the release it holds back.
    refill: Refill,
    taken_over: bool,
    coordinator: Option<Coordinator>,
}

impl Secondary {
    /// The secondary of pair `me` (0-based); the coordinator when `me` is `cfg.master`.
    pub fn new(me: u16, cfg: Config) -> Self {
        Secondary {
            cfg,
            me,
            streams: Streams::new(cfg.retransmit_timeout, true),
            buffer: BTreeMap::new(),
            arrivals: 0,
            have: 0,
            applier: Applier::new(),
            refill: Refill::default(),
            taken_over: false,
            coordinator: (me == cfg.master).then(|| Coordinator {
                have: vec![0; usize::from(cfg.pairs)],
                committed: 0,
                batch: None,
                done: false,
            }),
        }
    }

    /// The newest cycle this secondary has whole.
    pub fn have(&self) -> u64 {
        self.have
    }

    /// Writes buffered and not yet applied.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// The newest committed cycle (0 off the coordinator).
    pub fn committed(&self) -> u64 {
        self.coordinator.as_ref().map_or(0, |c| c.committed)
    }

    fn tell_coordinator(&mut self, now: u64, body: Body, out: &mut Outputs) {
        if self.coordinator.is_some() {
            self.on_member_word(now, self.me, body, out);
        } else {
            let to = NodeId::Secondary(self.cfg.master);
            self.streams.send(now, to, body, out);
        }
    }

    /// Member: fence this secondary and apply every buffered write of the cycles up to `cp`.
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
            if self.cfg.volatile_buffers {
                // The primary keeps what it shipped until it is applied here.
                let to = NodeId::Primary(self.me);
                self.streams.send(now, to, Body::UpdateComplete(cp), out);
            }
            self.tell_coordinator(now, Body::UpdateComplete(cp), out);
        }
    }

    /// Coordinator: commit the newest cycle every member has whole, if no commit runs; at
    /// takeover, once there is none, the takeover is done.
    fn try_commit(&mut self, now: u64, out: &mut Outputs) {
        let taken_over = self.taken_over;
        let Some(c) = self.coordinator.as_mut() else {
            return;
        };
        if c.done || c.batch.is_some() {
            return;
        }
        let whole = c.have.iter().copied().min().unwrap_or(0);
        if whole <= c.committed {
            if taken_over {
                c.done = true;
                out.push(Output::TakeoverDone);
            }
            return;
        }
        let cp = Checkpoint {
            id: whole,
            t: whole,
        };
        c.batch = Some((cp, (0..self.cfg.pairs).collect()));
        out.push(Output::Note(Note::Released(cp)));
        for m in 0..self.cfg.pairs {
            if m == self.me {
                self.release(now, cp, out);
            } else {
                let body = Body::Release { epoch: 0, cp };
                self.streams.send(now, NodeId::Secondary(m), body, out);
            }
        }
    }

    /// Coordinator: what a member reports.
    fn on_member_word(&mut self, now: u64, from: u16, body: Body, out: &mut Outputs) {
        let Some(c) = self.coordinator.as_mut() else {
            return;
        };
        match body {
            Body::Forward(cp) => {
                let h = &mut c.have[usize::from(from)];
                *h = (*h).max(cp.id);
                self.try_commit(now, out);
            }
            Body::UpdateComplete(cp) => {
                let finished = match c.batch.as_mut() {
                    Some((b, pending)) if *b == cp => {
                        pending.remove(&from);
                        pending.is_empty()
                    }
                    _ => false,
                };
                if finished {
                    c.batch = None;
                    c.committed = c.committed.max(cp.id);
                    for m in 0..self.cfg.pairs {
                        if m == self.me {
                            out.push(Output::Fence(false));
                        } else {
                            let body = Body::Reset { epoch: 0, cp };
                            self.streams.send(now, NodeId::Secondary(m), body, out);
                        }
                    }
                    out.push(Output::Note(Note::Applied(cp)));
                    if !self.taken_over {
                        let to = NodeId::Primary(self.me);
                        self.streams.send(now, to, Body::Committed(cp), out);
                    }
                    self.try_commit(now, out);
                }
            }
            _ => {}
        }
    }
}

impl StreamNode for Secondary {
    fn streams(&mut self) -> &mut Streams {
        &mut self.streams
    }

    fn on_body(&mut self, now: u64, from: NodeId, body: Body, out: &mut Outputs) {
        match (from, body) {
            (NodeId::Primary(_), _) if self.taken_over => {}
            (NodeId::Primary(_), Body::Write(w)) => {
                self.arrivals += 1;
                self.buffer.insert((w.stamp, self.arrivals), w);
            }
            (NodeId::Primary(_), Body::CycleEnd(cp)) if cp.id > self.have => {
                self.have = cp.id;
                self.tell_coordinator(now, Body::Forward(cp), out);
            }
            (NodeId::Primary(_), Body::Resent { loss }) => {
                if let Some(cp) = self.refill.resent(loss) {
                    self.release(now, cp, out);
                }
            }
            (NodeId::Secondary(_), Body::Release { cp, .. }) => self.release(now, cp, out),
            (NodeId::Secondary(_), Body::Reset { .. }) => out.push(Output::Fence(false)),
            (NodeId::Secondary(j), Body::Forward(_) | Body::UpdateComplete(_)) => {
                self.on_member_word(now, j, body, out);
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
            Input::Takeover => {
                if !self.taken_over {
                    self.taken_over = true;
                    if self.coordinator.is_some() {
                        self.try_commit(now, out);
                    } else {
                        out.push(Output::TakeoverDone);
                    }
                }
            }
            Input::Restart => {
                self.streams.restart(out);
                if self.cfg.volatile_buffers {
                    // The buffers and the applies in flight are lost: ask the primary for them
                    // again; the batch that was applying waits for them, fenced.
                    self.buffer.clear();
                    let loss = self.refill.lost(self.applier.lose());
                    let to = NodeId::Primary(self.me);
                    self.streams.send(now, to, Body::Lost { loss }, out);
                } else {
                    self.applier.restart(out);
                }
                self.maybe_complete(now, out);
            }
            Input::Start | Input::HostWrite(_) | Input::Timer(_) => {}
        }
    }
}
