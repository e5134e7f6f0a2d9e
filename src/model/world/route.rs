//! Routing: hands inputs to protocol nodes and carries out what they ask (messages through
//! copy stages, links and LANs; timers; applies; fences; notes).

use crate::engine::Scheduler;
use crate::model::net::Delivery;
use crate::protocol::{self, Input, Msg, NodeId, Note, Output};
use crate::scenario::types::Site;

use super::{Event, World, APPLY, COPY};

impl World {
    /// Hands `input` to `node` and carries out what it asks.
    pub(super) fn drive(&mut self, node: NodeId, input: Input, sched: &mut Scheduler<Event>) {
        if !self.alive(node) {
            return;
        }
        let now = sched.now();
        let local = self.local(node, now);
        let idx = self.node_index(node);
        let mut outputs = std::mem::take(&mut self.outputs);
        self.nodes[idx].handle(local, input, &mut outputs);
        for o in outputs.drain() {
            self.carry_out(node, o, sched);
        }
        self.outputs = outputs;
    }

    pub(super) fn carry_out(&mut self, node: NodeId, o: Output, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        match o {
            Output::Send { to, msg } => self.send(node, to, msg, sched),
            Output::SetTimer { after, timer } => {
                let real = match node {
                    NodeId::Primary(i) => self.pairs[usize::from(i)].clock.real_span(after),
                    NodeId::Secondary(_) => after,
                };
                sched.after(real, Event::Timer { node, timer });
            }
            Output::CompleteHost(id) => self.complete_host(id, sched),
            Output::Apply(w) => {
                let p = &mut self.pairs[usize::from(node.pair())];
                let svc = p.apply_time.sample(&mut p.secondary_rng);
                p.offer(APPLY, now, svc, self.load_until);
                p.applies_started += 1;
                if let Some(((w, order), t)) = p.apply_stage.arrive((w, p.applies_started), svc) {
                    sched.after(
                        t,
                        Event::ApplyServed {
                            pair: node.pair(),
                            write: w,
                            incarnation: p.secondary_incarnation,
                            order,
                        },
                    );
                }
            }
            Output::Fence(on) => {
                debug_assert!(
                    matches!(node, NodeId::Secondary(_)),
                    "a secondary fences its own subsystem"
                );
                let pair = node.pair();
                if matches!(node, NodeId::Secondary(_)) && self.readability.set(pair, on, now) {
                    let what = if on {
                        "update-in-progress"
                    } else {
                        "update-in-progress-reset"
                    };
                    for w in &mut self.watchers {
                        w.note(now, node, what, None);
                        w.readable(now, pair, !on, &self.readability);
                    }
                    self.checker.set_readable(pair, !on, now);
                }
            }
            Output::TakeoverDone => {
                self.takeover_done[usize::from(node.pair())] = true;
                for w in &mut self.watchers {
                    w.note(now, node, "takeover-done", None);
                }
            }
            Output::SetClock(t) => {
                if let NodeId::Primary(i) = node {
                    use rand::Rng as _;
                    let err = self.sync_error;
                    let p = &mut self.pairs[usize::from(i)];
                    let noisy = if err > 0 {
                        t.saturating_add(p.clock_rng.random_range(0..=err.saturating_mul(2)))
                            .saturating_sub(err)
                    } else {
                        t
                    };
                    p.clock.set(now, noisy);
                }
            }
            Output::Note(n) => self.note(now, node, n),
        }
    }

    pub(super) fn note(&mut self, now: u64, node: NodeId, n: Note) {
        let s = &mut self.stats;
        let what = match n {
            Note::CheckpointIssued(_) => {
                s.checkpoints_issued += 1;
                "checkpoint-issued"
            }
            Note::Rendezvous { latency, .. } => {
                self.rendezvous.record(latency);
                "rendezvous-complete"
            }
            Note::Released(cp) => {
                if s.last_released.is_none_or(|l| cp.id > l) {
                    s.last_released = Some(cp.id);
                    s.checkpoints_released += 1;
                }
                "released"
            }
            Note::Applied(cp) => {
                if s.last_applied.is_none_or(|l| cp.id > l) {
                    s.last_applied = Some(cp.id);
                    s.checkpoints_applied += 1;
                }
                "applied-everywhere"
            }
            Note::BecameMaster { epoch } => {
                if epoch > 0 {
                    s.failovers += 1;
                }
                "became-master"
            }
            Note::Resigned => "resigned",
            Note::Paced => {
                s.paced_writes += 1;
                "paced"
            }
            Note::Suspended => {
                s.suspensions += 1;
                let i = usize::from(node.pair());
                if self.suspended_since.len() <= i {
                    self.suspended_since.resize(i + 1, None);
                }
                self.suspended_since[i].get_or_insert(now);
                "suspended"
            }
            Note::Resynced => {
                let i = usize::from(node.pair());
                if let Some(since) = self.suspended_since.get_mut(i).and_then(Option::take) {
                    self.stats.resync_ns += now.saturating_sub(since);
                }
                "resynced"
            }
            Note::HostHold { ns } => {
                self.host_hold.record(ns);
                "host-hold-released"
            }
            Note::ClockWait { ns } => {
                self.clock_wait.record(ns);
                s.clock_wait_ns = s.clock_wait_ns.saturating_add(ns);
                "clock-wait-over"
            }
            Note::SwitchAbandoned => {
                s.switches_abandoned += 1;
                "switch-abandoned"
            }
            Note::DrainOverdue => {
                s.drain_timeouts += 1;
                "drain-overdue"
            }
        };
        for w in &mut self.watchers {
            w.note(now, node, what, Some(n));
        }
    }

    pub(super) fn send(
        &mut self,
        from: NodeId,
        to: NodeId,
        msg: Msg,
        sched: &mut Scheduler<Event>,
    ) {
        let now = sched.now();
        if let (
            NodeId::Primary(i),
            NodeId::Primary(_),
            Msg::Seg {
                body: protocol::Body::Write(_),
                ..
            },
        ) = (from, to, msg)
        {
            // A primary's update data leaves through its copy stage whichever way it goes: for
            // `central`, to the mover (itself included, on the mover's own pair).
            let p = &mut self.pairs[usize::from(i)];
            let svc = p.copy_time.sample(&mut p.primary_rng);
            p.offer(COPY, now, svc, self.load_until);
            if let Some(((msg, to), t)) = p.copy_stage.arrive((msg, to), svc) {
                sched.after(t, Event::CopyServed { pair: i, msg, to });
            }
            return;
        }
        if from == to {
            sched.after(0, Event::Deliver { to, from, msg });
            return;
        }
        let channel = match (from, to) {
            (NodeId::Primary(i), NodeId::Secondary(j))
                if i == j && matches!(msg, Msg::Dgram(_)) =>
            {
                &mut self.pairs[usize::from(i)].forward
            }
            (NodeId::Primary(i), NodeId::Secondary(j)) if i == j => {
                let p = &mut self.pairs[usize::from(i)];
                // Reading a write back costs copy time once; a resend comes from the send buffer.
                let svc = match msg {
                    Msg::Seg {
                        seq,
                        body: protocol::Body::Write(_),
                    } if seq >= p.next_fresh_seq => {
                        p.next_fresh_seq = seq + 1;
                        p.copy_time.sample(&mut p.primary_rng)
                    }
                    _ => 0,
                };
                p.offer(COPY, now, svc, self.load_until);
                if let Some(((msg, to), t)) = p.copy_stage.arrive((msg, to), svc) {
                    sched.after(t, Event::CopyServed { pair: i, msg, to });
                }
                return;
            }
            (NodeId::Secondary(i), NodeId::Primary(j)) if i == j => {
                &mut self.pairs[usize::from(i)].backward
            }
            (NodeId::Primary(_), NodeId::Primary(_)) if !self.partitioned(from, to) => {
                &mut self.primary_lan
            }
            (NodeId::Secondary(_), NodeId::Secondary(_)) if !self.partitioned(from, to) => {
                &mut self.secondary_lan
            }
            _ => return,
        };
        let delivery = channel.transmit(now, msg.wire_bytes());
        if self.wants.message {
            for w in &mut self.watchers {
                w.message(now, from, to, &msg, delivery);
            }
        }
        Self::schedule_delivery(delivery, to, from, msg, sched);
    }

    /// True when a partition in force cuts `from` off from `to`.
    pub(super) fn partitioned(&self, from: NodeId, to: NodeId) -> bool {
        let site = match from {
            NodeId::Primary(_) => Site::Primary,
            NodeId::Secondary(_) => Site::Secondary,
        };
        self.partitions.iter().any(|(s, isolated, one_way)| {
            let a = isolated.contains(&from.pair());
            let b = isolated.contains(&to.pair());
            *s == site && a != b && (a || !one_way)
        })
    }

    pub(super) fn schedule_delivery(
        d: Delivery,
        to: NodeId,
        from: NodeId,
        msg: Msg,
        sched: &mut Scheduler<Event>,
    ) {
        match d {
            Delivery::Lost => {}
            Delivery::Once(t) => sched.at(t, Event::Deliver { to, from, msg }),
            Delivery::Twice(a, b) => {
                sched.at(a, Event::Deliver { to, from, msg });
                sched.at(b, Event::Deliver { to, from, msg });
            }
        }
    }
}
