//! Faults: starting and ending network and clock faults, rolling disasters, and what becomes
//! of an event a fault touches (held, dropped, superseded).

use crate::engine::Scheduler;
use crate::scenario::types::{Fault, NetTarget};

use super::{Component, Event, Fate, World};

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
                    NetTarget::PrimaryLan => self.primary_lan.set_extra_latency(extra),
                    NetTarget::SecondaryLan => self.secondary_lan.set_extra_latency(extra),
                    NetTarget::Link => {
                        let p = &mut self.pairs[usize::from(pair.unwrap_or(1).saturating_sub(1))];
                        p.forward.set_extra_latency(extra.clone());
                        p.backward.set_extra_latency(extra);
                    }
                }
            }
            Fault::BandwidthDrop { pair, factor, .. } => {
                let f = if on { factor } else { 1.0 };
                let p = &mut self.pairs[usize::from(pair.saturating_sub(1))];
                p.forward.set_bandwidth_factor(f);
                p.backward.set_bandwidth_factor(f);
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
                        self.down[usize::from(i)] = true;
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
        if !self.primary_alive {
            return true;
        }
        if self.down[usize::from(pair)] {
            self.pairs[usize::from(pair)].held.push(event);
            return true;
        }
        false
    }

    /// What becomes of `event`, for the trace: `None` when it takes effect, else how it does
    /// not (`held` until a restart, `dropped`, `superseded` by a later apply to its block) and
    /// why. The trace never shows as done what did not happen.
    #[inline]
    pub fn fate(&self, event: &Event) -> Fate {
        match *event {
            Event::Wake { .. } if !self.primary_alive => Some(("dropped", "primary site lost")),
            Event::WriteServed { pair, .. } | Event::CopyServed { pair, .. } => {
                if !self.primary_alive {
                    Some(("dropped", "primary site lost"))
                } else if self.down[usize::from(pair)] {
                    Some(("held", "primary down until its restart"))
                } else {
                    None
                }
            }
            Event::ApplyServed {
                pair,
                write,
                incarnation,
                order,
            } => {
                let p = &self.pairs[usize::from(pair)];
                let shown = p.block_order[usize::from(write.addr.volume)
                    * self.geometry.blocks as usize
                    + write.addr.block as usize];
                if incarnation != p.secondary_incarnation {
                    Some(("dropped", "voided by a secondary crash"))
                } else if order <= shown {
                    Some(("superseded", "a later apply already shows on its block"))
                } else {
                    None
                }
            }
            Event::Deliver { to: node, .. } | Event::Timer { node, .. } if !self.alive(node) => {
                Some(("dropped", "receiver down"))
            }
            _ => None,
        }
    }

    /// True once every secondary said its part of the takeover is done (the run then stops as
    /// soon as every secondary is readable, too).
    pub(super) fn all_taken_over(&self) -> bool {
        self.takeover_done.iter().all(|&d| d)
    }
}
