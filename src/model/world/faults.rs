//! Faults: starting and ending network and clock faults, rolling disasters, and what becomes
//! of an event a fault touches (held, dropped, superseded).

use crate::engine::Scheduler;
use crate::protocol::node::Arrival;
use crate::protocol::{Msg, NodeId};
use crate::scenario::types::{Fault, NetTarget};

use super::{Component, Event, Fate, World};

/// Whether a primary can serve: the primary site is lost, the primary is down (its events wait
/// for its restart), or it is up.
enum PrimaryState {
    Lost,
    Down,
    Up,
}

/// What becomes of a finished apply at a secondary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ApplyOutcome {
    /// The secondary crashed since the apply started: it never happened.
    Voided,
    /// A later-started apply to the same block already shows: the block keeps it.
    Superseded,
    /// The block now shows this write.
    Shows,
}

impl World {
    /// Starts (`phase` 0) or ends (1) a network or clock fault; fails the `phase`-th component
    /// of a rolling disaster.
    pub(super) fn fault(&mut self, index: u16, phase: u16, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let Some(f) = self.faults.get(usize::from(index)).cloned() else {
            return;
        };
        let on = phase == 0;
        match f {
            Fault::LinkOutage { pair, .. } => {
                let p = &mut self.pairs[usize::from(pair.saturating_sub(1))];
                p.forward.set_down(on);
                p.backward.set_down(on);
            }
            Fault::Partition {
                site,
                isolate,
                one_way,
                ..
            } => {
                let isolated: Vec<u16> = isolate.iter().map(|s| s.saturating_sub(1)).collect();
                let entry = (site, isolated, one_way);
                if on {
                    self.partitions.push(entry);
                } else if let Some(i) = self.partitions.iter().position(|e| *e == entry) {
                    self.partitions.remove(i);
                }
            }
            Fault::LatencySpike {
                target,
                pair,
                extra,
                ..
            } => {
                let extra = on.then_some(extra);
                match target {
                    NetTarget::PrimaryLan => self.primary_lan.set_extra_latency(index, extra),
                    NetTarget::SecondaryLan => self.secondary_lan.set_extra_latency(index, extra),
                    NetTarget::Link => {
                        let p = &mut self.pairs[usize::from(pair.unwrap_or(1).saturating_sub(1))];
                        p.forward.set_extra_latency(index, extra.clone());
                        p.backward.set_extra_latency(index, extra);
                    }
                }
            }
            Fault::BandwidthDrop { pair, factor, .. } => {
                let f = on.then_some(factor);
                let p = &mut self.pairs[usize::from(pair.saturating_sub(1))];
                p.forward.set_bandwidth_factor(index, f);
                p.backward.set_bandwidth_factor(index, f);
            }
            Fault::ClockStep {
                subsystem,
                by,
                backward,
                ..
            } => {
                let c = &mut self.pairs[usize::from(subsystem.saturating_sub(1))].clock;
                let local = c.local(now);
                let stepped = if backward {
                    local.saturating_sub(by.as_ns())
                } else {
                    local.saturating_add(by.as_ns())
                };
                c.set(now, stepped);
            }
            Fault::RollingDisaster { .. } => {
                let comp = self
                    .rolling
                    .get(usize::from(index))
                    .and_then(|c| c.get(usize::from(phase)))
                    .copied();
                match comp {
                    Some(Component::Link(i)) => {
                        let p = &mut self.pairs[usize::from(i)];
                        p.forward.set_down(true);
                        p.backward.set_down(true);
                    }
                    Some(Component::Primary(i)) => {
                        let d = &mut self.down[usize::from(i)];
                        *d = d.saturating_add(1);
                    }
                    Some(Component::PrimaryLan) => self.primary_lan.set_down(true),
                    None => {}
                }
            }
            Fault::Disaster { .. } | Fault::Crash { .. } => {}
        }
    }

    /// or the subsystem is down (the event waits for its restart).
    pub(super) fn primary_unavailable(&mut self, pair: u16, event: Event) -> bool {
        match self.primary_state(pair) {
            PrimaryState::Lost => true,
            PrimaryState::Down => {
                self.pairs[usize::from(pair)].held.push(event);
                true
            }
            PrimaryState::Up => false,
        }
    }

    /// Whether primary `pair` can serve now: the one decision both its event handlers and
    /// [`World::fate`] read.
    fn primary_state(&self, pair: u16) -> PrimaryState {
        if !self.primary_alive {
            PrimaryState::Lost
        } else if self.down[usize::from(pair)] > 0 {
            PrimaryState::Down
        } else {
            PrimaryState::Up
        }
    }

    /// What becomes of secondary `pair`'s finished apply of a write to `addr`, started in its
    /// `incarnation` as its `order`-th: the one decision the handler acts on and
    /// [`World::fate`] reports.
    pub(super) fn apply_outcome(
        &self,
        pair: u16,
        addr: crate::check::BlockAddr,
        incarnation: u32,
        order: u64,
    ) -> ApplyOutcome {
        let p = &self.pairs[usize::from(pair)];
        let shown = p.block_order
            [usize::from(addr.volume) * self.geometry.blocks as usize + addr.block as usize];
        if incarnation != p.secondary_incarnation {
            ApplyOutcome::Voided
        } else if order <= shown {
            ApplyOutcome::Superseded
        } else {
            ApplyOutcome::Shows
        }
    }

    /// What becomes of `event`, for the trace: `None` when it takes effect, else how it does
    /// not (`held` until a restart, `dropped`, `superseded` by a later apply to its block) and
    /// why. The trace never shows as done what did not happen.
    #[inline]
    pub fn fate(&self, event: &Event) -> Fate {
        match *event {
            Event::Wake { .. } if !self.primary_alive => Some(("dropped", "primary site lost")),
            Event::WriteServed { pair, .. } | Event::CopyServed { pair, .. } => {
                match self.primary_state(pair) {
                    PrimaryState::Lost => Some(("dropped", "primary site lost")),
                    PrimaryState::Down => Some(("held", "primary down until its restart")),
                    PrimaryState::Up => None,
                }
            }
            Event::ApplyServed {
                pair,
                write,
                incarnation,
                order,
            } => match self.apply_outcome(pair, write.addr, incarnation, order) {
                ApplyOutcome::Voided => Some(("dropped", "voided by a secondary crash")),
                ApplyOutcome::Superseded => {
                    Some(("superseded", "a later apply already shows on its block"))
                }
                ApplyOutcome::Shows => None,
            },
            Event::Restart { node } if self.down[self.node_index(node)] > 1 => {
                Some(("dropped", "another crash still holds the node down"))
            }
            Event::Deliver { to: node, .. } | Event::Timer { node, .. } if !self.alive(node) => {
                Some(("dropped", "receiver down"))
            }
            Event::Deliver { to, .. } if self.node(to).is_some_and(|n| !n.takes_deliveries()) => {
                Some(("dropped", "the secondary took over: it takes nothing more"))
            }
            Event::Deliver { to, from, msg } => match self.arrival(to, from, &msg) {
                Some(Arrival::BeyondGap) => Some((
                    "held",
                    "beyond a gap in its stream: handed on when the missing segments arrive",
                )),
                Some(Arrival::Duplicate) => {
                    Some(("dropped", "a duplicate of a segment already received"))
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// What message `msg` from `from`, arriving now at `to`, does in `to`'s streams: `None` for
    /// a datagram, an acknowledgement, or a node without streams. For the trace only.
    pub fn arrival(&self, to: NodeId, from: NodeId, msg: &Msg) -> Option<Arrival> {
        let Msg::Seg { seq, .. } = *msg else {
            return None;
        };
        Some(self.node(to)?.stream_view()?.arrival(from, seq))
    }

    /// True once every secondary said its part of the takeover is done (the run then stops as
    /// soon as every secondary is readable, too).
    pub(super) fn all_taken_over(&self) -> bool {
        self.takeover_done.iter().all(|&d| d)
    }
}
