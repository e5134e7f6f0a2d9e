//! Taking one event: the watchers (the trace among them) hear of it first, then the event takes
//! effect.

use crate::engine::{Control, Handler, Scheduler};
use crate::model::stage::Stage;
use crate::protocol::{self, Input, Msg, NodeId};

use super::faults::ApplyOutcome;
use super::{Event, World};

/// The number of nodes from which the run loop's memory hints pay, for a protocol whose nodes
/// keep a stream with every other node ([`crate::protocol::Node::meshed`]): below it the nodes'
/// stream state mostly fits in cache. Measured on bench-standard for 3 s (task clock, `perf
/// stat`): hints cost about 5% at 256 pairs (512 nodes), saved about 8% at 512 pairs and a
/// third at 1024 (293 against 420 ns an event, medians of 4); in the 8-pair standard scenario
/// they were 98 more instructions per event. For the protocols without the all-to-all tables
/// they only cost, at 1,024 pairs too: 7% for `independent` and 9% for `sync` (medians of 8),
/// 6% for `central`, 3% for `cycle` (medians of 4).
const HINT_NODES: usize = 768;

impl Handler for World {
    type Event = Event;

    /// A message's receiver starts loading what its streams will look up (with a thousand
    /// pairs that is a cache miss per link of the chain, on nearly every event).
    fn prefetch(&self, event: &Event, ahead: usize) {
        if let Event::Deliver { to, from, .. } = event {
            if let Some(node) = self.node(*to) {
                node.prefetch(*from, ahead);
            }
        }
    }

    /// Hints pay from 768 nodes (384 pairs) on, where nodes keep a stream with every other
    /// node: see the measurements at `HINT_NODES`.
    fn wants_hints(&self) -> bool {
        self.nodes.len() >= HINT_NODES && self.nodes.iter().any(|n| n.meshed())
    }

    fn handle(&mut self, event: Event, sched: &mut Scheduler<Event>) -> Control {
        let now = sched.now();
        if !self.watchers.is_empty() {
            let mut watchers = std::mem::take(&mut self.watchers);
            for w in &mut watchers {
                w.before(now, &event, self);
            }
            self.watchers = watchers;
        }
        let control = self.take(event, now, sched);
        // The state the event left holds from its time until the next event.
        self.exposure.after(now, &self.checker);
        self.lag.follow(now, self.checker.oldest_unshown_store());
        if sched.pending() > self.max_events_pending {
            self.events_over_limit = true;
        }
        if self.writes_over_limit || self.events_over_limit {
            return Control::Stop;
        }
        control
    }
}

impl World {
    /// The event takes effect at `now`.
    fn take(&mut self, event: Event, now: u64, sched: &mut Scheduler<Event>) -> Control {
        match event {
            Event::Start => {
                for i in 0..self.geometry.pairs {
                    self.drive(NodeId::Primary(i), Input::Start, sched);
                    self.drive(NodeId::Secondary(i), Input::Start, sched);
                }
                for h in 0..self.hosts.len() {
                    let mut out = std::mem::take(&mut self.host_out);
                    self.hosts[h].start(&mut out);
                    self.after_host(h as u16, &mut out, sched);
                    self.host_out = out;
                }
            }
            Event::Wake { host, tag } => {
                if self.primary_alive {
                    let mut out = std::mem::take(&mut self.host_out);
                    self.hosts[usize::from(host)].wake(now, tag, &mut out);
                    self.after_host(host, &mut out, sched);
                    self.host_out = out;
                }
            }
            Event::WriteServed { pair, write } => {
                if self.primary_unavailable(pair, event) {
                    return Control::Continue;
                }
                let p = &mut self.pairs[usize::from(pair)];
                if let Some((w, t)) = p.write_stage.depart() {
                    sched.after(t, Event::WriteServed { pair, write: w });
                }
                self.checker.stored(write.id, now);
                if self.wants.stored {
                    for w in &mut self.watchers {
                        w.stored(now, pair, write.id, write.size);
                    }
                }
                self.drive(NodeId::Primary(pair), Input::HostWrite(write), sched);
            }
            Event::CopyServed { pair, msg, to } => {
                if self.primary_unavailable(pair, event) {
                    return Control::Continue;
                }
                let p = &mut self.pairs[usize::from(pair)];
                if let Some(((m, to), t)) = p.copy_stage.depart() {
                    sched.after(t, Event::CopyServed { pair, msg: m, to });
                }
                if let NodeId::Primary(_) = to {
                    let from = NodeId::Primary(pair);
                    if to == from {
                        sched.after(0, Event::Deliver { to, from, msg });
                    } else if !self.partitioned(from, to) {
                        let d = self.primary_lan.transmit(now, msg.wire_bytes());
                        Self::schedule_delivery(d, to, from, msg, sched);
                    }
                    return Control::Continue;
                }
                if matches!(
                    msg,
                    Msg::Seg {
                        body: protocol::Body::Write(_) | protocol::Body::Journal(_),
                        ..
                    }
                ) {
                    self.stats.shipped += 1;
                }
                let d = p.forward.transmit(now, msg.wire_bytes());
                if self.wants.message {
                    for w in &mut self.watchers {
                        w.message(now, NodeId::Primary(pair), NodeId::Secondary(pair), &msg, d);
                    }
                }
                Self::schedule_delivery(
                    d,
                    NodeId::Secondary(pair),
                    NodeId::Primary(pair),
                    msg,
                    sched,
                );
            }
            Event::ApplyServed {
                pair,
                write,
                incarnation,
                order,
            } => {
                let outcome = self.apply_outcome(pair, write.addr, incarnation, order);
                if outcome == ApplyOutcome::Voided {
                    return Control::Continue;
                }
                let p = &mut self.pairs[usize::from(pair)];
                if let Some(((w, next), t)) = p.apply_stage.depart() {
                    sched.after(
                        t,
                        Event::ApplyServed {
                            pair,
                            write: w,
                            incarnation,
                            order: next,
                        },
                    );
                }
                if outcome == ApplyOutcome::Shows {
                    p.block_order[usize::from(write.addr.volume) * self.geometry.blocks as usize
                        + write.addr.block as usize] = order;
                    if self.wants.applied {
                        for w in &mut self.watchers {
                            w.applied(now, pair, write.id, &self.checker);
                        }
                    }
                    self.checker.applied(write.addr, Some(write.id), now);
                }
                self.drive(NodeId::Secondary(pair), Input::Applied(write), sched);
            }
            Event::Deliver { to, from, msg } => {
                self.drive(to, Input::Deliver { from, msg }, sched);
            }
            Event::Timer { node, timer } => self.drive(node, Input::Timer(timer), sched),
            Event::Disaster => {
                if self.primary_alive {
                    self.primary_alive = false;
                    self.stats.disaster_ns = Some(now);
                    self.exposure.stop(now);
                    self.lag.stop(now);
                    sched.after(self.takeover_delay, Event::Takeover);
                }
            }
            Event::Takeover => {
                self.takeover_declared = true;
                for i in 0..self.geometry.pairs {
                    self.drive(NodeId::Secondary(i), Input::Takeover, sched);
                }
            }
            Event::Crash { node } => {
                let idx = self.node_index(node);
                self.down[idx] = self.down[idx].saturating_add(1);
                if self.down[idx] == 1 {
                    if let NodeId::Secondary(i) = node {
                        let p = &mut self.pairs[usize::from(i)];
                        p.secondary_incarnation += 1;
                        p.apply_stage = Stage::new(p.servers);
                    }
                }
            }
            Event::Fault { index, phase } => self.fault(index, phase, sched),
            Event::Restart { node } => {
                let idx = self.node_index(node);
                let was = self.down[idx];
                self.down[idx] = was.saturating_sub(1);
                if was == 1 {
                    self.drive(node, Input::Restart, sched);
                    if let NodeId::Primary(i) = node {
                        for e in std::mem::take(&mut self.pairs[usize::from(i)].held) {
                            sched.after(0, e);
                        }
                    }
                    if self.takeover_declared {
                        self.drive(node, Input::Takeover, sched);
                    }
                }
            }
        }
        if self.stats.disaster_ns.is_some()
            && self.stats.takeover_ns.is_none()
            && self.all_taken_over()
            && self.readability.fenced_count() == 0
        {
            self.stats.takeover_ns = Some(now);
            return Control::Stop;
        }
        Control::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Override;

    fn world(pairs: u16) -> World {
        world_of(pairs, "checkpoint")
    }

    fn world_of(pairs: u16, protocol: &str) -> World {
        let o = [
            Override::parse(&format!("topology.pairs={pairs}")).expect("an override"),
            Override::parse(&format!("protocol.kind={protocol}")).expect("an override"),
        ];
        let text = include_str!("../../../scenarios/bench-standard.json");
        let sc = crate::scenario::parse("bench-standard.json", text, &o).expect("valid");
        World::new(&sc, 1, &mut Scheduler::new())
    }

    #[test]
    fn of_two_overlapping_crashes_the_first_restart_leaves_the_node_down() {
        for node in [NodeId::Primary(1), NodeId::Secondary(1)] {
            let mut w = world(8);
            let mut sched = Scheduler::new();
            w.handle(Event::Crash { node }, &mut sched);
            w.handle(Event::Crash { node }, &mut sched);
            w.handle(Event::Restart { node }, &mut sched);
            assert!(!w.alive(node), "{node:?} back while a crash still holds it");
            w.handle(Event::Restart { node }, &mut sched);
            assert!(w.alive(node), "{node:?} down after both restarts");
            w.handle(Event::Restart { node }, &mut sched);
            w.handle(Event::Crash { node }, &mut sched);
            assert!(!w.alive(node), "a stray restart must not bank an extra one");
        }
    }

    /// The trace's account of a segment's arrival: taken, held beyond a gap, or dropped by a
    /// secondary that took over and ignores its primary from then on (`sync`, `independent`),
    /// while a `checkpoint` secondary still takes it into its streams.
    #[test]
    fn an_arrival_is_traced_as_what_the_receiver_does_with_it() {
        let seg = |seq| Event::Deliver {
            to: NodeId::Secondary(0),
            from: NodeId::Primary(0),
            msg: Msg::Seg {
                seq,
                body: protocol::Body::CopyActive,
            },
        };
        for kind in ["sync", "independent", "checkpoint"] {
            let mut w = world_of(8, kind);
            assert_eq!(w.fate(&seg(0)), None, "{kind}");
            assert_eq!(w.fate(&seg(3)).map(|f| f.0), Some("held"), "{kind}");
            w.handle(Event::Takeover, &mut Scheduler::new());
            let after = w.fate(&seg(0)).map(|f| f.1);
            if kind == "checkpoint" {
                assert_eq!(after, None, "{kind}");
            } else {
                assert_eq!(
                    after,
                    Some("the secondary took over: it takes nothing more")
                );
            }
        }
    }

    #[test]
    fn a_world_asks_for_hints_from_the_threshold_on_where_nodes_are_meshed() {
        assert_eq!(2 * 384, HINT_NODES);
        assert!(world(384).wants_hints());
        assert!(!world(383).wants_hints());
        assert!(!world(8).wants_hints());
        for kind in ["sync", "independent", "central", "cycle"] {
            assert!(!world_of(384, kind).wants_hints(), "{kind}");
        }
        assert!(world_of(384, "checkpoint").wants_hints());
    }
}
