//! The primary subsystem's role in the `cycle` protocol, and the master beside it on its pair.
//!
//! A primary completes each host write at once and ships it tagged with its open cycle, unless it
//! is holding: then the write waits, and is completed, tagged and shipped when the hold ends (so
//! its cycle is the one open at its completion). The master runs the switch: hold everywhere,
//! wait for every confirmation (at most `max_coordination_time`, else abandon), switch and
//! release everywhere. Between switches it waits `min_cycle_time`, and for the last closed cycle
//! to be committed (at most `drain_timeout`). Crashes keep state; timers are re-armed on restart,
//! and a coordination window that ran out meanwhile is abandoned then.

use std::collections::BTreeSet;

use super::Config;
use crate::protocol::retained::Retained;
use crate::protocol::stream::{StreamNode, Streams};
use crate::protocol::{
    Body, Checkpoint, Input, Node, NodeId, Note, Output, Outputs, StreamView, Timer, WriteMeta,
};

/// Local ns by which a deadline counts as reached early, and the shortest timer: a drifting
/// clock's rounding can fire a timer a nanosecond before its local deadline, and a shorter timer
/// could fire again at the same real instant.
const TOLERANCE: u64 = 1_000;

/// True when local time `now` has reached `at` (within [`TOLERANCE`]).
fn reached(now: u64, at: u64) -> bool {
    now.saturating_add(TOLERANCE) >= at
}

/// A switch attempt in progress.
#[derive(Clone, Debug)]
struct Coordination {
    attempt: u64,
    started: u64,
    holding: BTreeSet<u16>,
}

/// The master's state.
#[derive(Debug)]
struct Master {
    attempt: u64,
    coordinating: Option<Coordination>,
    /// The cycle open now, as the master decided it.
    open: u64,
    /// No attempt starts before this local time.
    next_at: u64,
    /// The newest closed cycle and when it was closed, until it is committed.
    awaiting: Option<(u64, u64)>,
    committed: u64,
    /// The master has stopped waiting for `awaiting` to commit.
    overdue: bool,
    switch_timer: bool,
    coord_timer: bool,
    drain_timer: bool,
}

/// A primary subsystem running the `cycle` protocol; on the master's pair, the master too.
pub struct Primary {
    cfg: Config,
    me: u16,
    streams: Streams,
    /// The open cycle (from 1).
    cycle: u64,
    /// The attempt this primary holds for, and since when.
    hold: Option<(u64, u64)>,
    /// Writes stored on the volume during the hold, not yet completed to the host.
    held: Vec<WriteMeta>,
    /// With volatile secondary buffers: the writes shipped and not yet applied there, to send
    /// again when the secondary loses them.
    kept: Retained,
    master: Option<Master>,
}

impl Primary {
    /// The primary of pair `me` (0-based); the master runs beside it when `me` is `cfg.master`.
    pub fn new(me: u16, cfg: Config) -> Self {
        Primary {
            cfg,
            me,
            streams: Streams::new(cfg.retransmit_timeout, true),
            cycle: 1,
            hold: None,
            held: Vec::new(),
            kept: Retained::new(cfg.volatile_buffers),
            master: (me == cfg.master).then_some(Master {
                attempt: 0,
                coordinating: None,
                open: 1,
                next_at: 0,
                awaiting: None,
                committed: 0,
                overdue: false,
                switch_timer: false,
                coord_timer: false,
                drain_timer: false,
            }),
        }
    }

    /// The open cycle.
    pub fn cycle(&self) -> u64 {
        self.cycle
    }

    /// True while this primary holds host write completions.
    pub fn holding(&self) -> bool {
        self.hold.is_some()
    }

    /// True while the master runs a switch attempt (false off the master's pair).
    pub fn coordinating(&self) -> bool {
        self.master
            .as_ref()
            .is_some_and(|m| m.coordinating.is_some())
    }

    fn complete(&mut self, now: u64, w: WriteMeta, out: &mut Outputs) {
        out.push(Output::CompleteHost(w.id));
        let tagged = WriteMeta {
            stamp: self.cycle,
            ..w
        };
        let to = NodeId::Secondary(self.me);
        self.kept.shipped(tagged);
        self.streams.send(now, to, Body::Write(tagged), out);
    }

    /// The secondary lost its volatile buffers (loss number `loss`): send again every write it
    /// has not applied, in the order first sent, then say the resend is over.
    fn resend(&mut self, now: u64, loss: u64, out: &mut Outputs) {
        let to = NodeId::Secondary(self.me);
        for w in self.kept.to_resend() {
            self.streams.send(now, to, Body::Write(w), out);
        }
        self.streams.send(now, to, Body::Resent { loss }, out);
    }

    fn release(&mut self, now: u64, out: &mut Outputs) {
        if let Some((_, since)) = self.hold.take() {
            out.push(Output::Note(Note::HostHold {
                ns: now.saturating_sub(since),
            }));
            for w in std::mem::take(&mut self.held) {
                self.complete(now, w, out);
            }
        }
    }

    /// What the master tells this primary (in-node on the master's pair).
    fn on_master_word(&mut self, now: u64, body: Body, out: &mut Outputs) {
        match body {
            Body::Hold { attempt } => {
                match self.hold.as_mut() {
                    Some(h) => h.0 = attempt,
                    None => self.hold = Some((attempt, now)),
                }
                self.tell_master(now, Body::Holding { attempt }, out);
            }
            Body::Switch { cycle, .. } => {
                if cycle > self.cycle {
                    let end = Checkpoint {
                        id: cycle - 1,
                        t: now,
                    };
                    let to = NodeId::Secondary(self.me);
                    self.streams.send(now, to, Body::CycleEnd(end), out);
                    self.cycle = cycle;
                }
                self.release(now, out);
            }
            Body::Abandon { attempt } if self.hold.is_some_and(|(a, _)| a == attempt) => {
                self.release(now, out);
            }
            _ => {}
        }
    }

    fn tell_master(&mut self, now: u64, body: Body, out: &mut Outputs) {
        if self.me == self.cfg.master {
            self.on_primary_word(now, self.me, body, out);
        } else {
            let to = NodeId::Primary(self.cfg.master);
            self.streams.send(now, to, body, out);
        }
    }

    fn tell_all(&mut self, now: u64, body: Body, out: &mut Outputs) {
        for p in 0..self.cfg.pairs {
            if p == self.me {
                self.on_master_word(now, body, out);
            } else {
                self.streams.send(now, NodeId::Primary(p), body, out);
            }
        }
    }

    // ----- master -----

    fn arm(&mut self, now: u64, which: Timer, at: u64, out: &mut Outputs) {
        let Some(m) = self.master.as_mut() else {
            return;
        };
        let flag = match which {
            Timer::CycleSwitch => &mut m.switch_timer,
            Timer::Coordination => &mut m.coord_timer,
            _ => &mut m.drain_timer,
        };
        if !*flag {
            *flag = true;
            out.push(Output::SetTimer {
                after: at.saturating_sub(now).max(TOLERANCE),
                timer: which,
            });
        }
    }

    /// Starts a switch attempt if one is due: not coordinating, the shortest cycle over, and the
    /// last closed cycle committed or waited for long enough.
    fn try_start(&mut self, now: u64, out: &mut Outputs) {
        let cfg = self.cfg;
        let Some(m) = self.master.as_mut() else {
            return;
        };
        if m.coordinating.is_some() {
            return;
        }
        if !reached(now, m.next_at) {
            let at = m.next_at;
            self.arm(now, Timer::CycleSwitch, at, out);
            return;
        }
        if let Some((closed, at)) = m.awaiting {
            if closed > m.committed && !m.overdue {
                let deadline = at.saturating_add(cfg.drain_timeout);
                if !reached(now, deadline) {
                    self.arm(now, Timer::DrainTimeout, deadline, out);
                    return;
                }
                m.overdue = true;
                out.push(Output::Note(Note::DrainOverdue));
            }
        }
        m.attempt += 1;
        let attempt = m.attempt;
        m.coordinating = Some(Coordination {
            attempt,
            started: now,
            holding: BTreeSet::new(),
        });
        if cfg.no_hold {
            self.switch(now, out);
            return;
        }
        let deadline = now.saturating_add(cfg.max_coordination_time);
        self.arm(now, Timer::Coordination, deadline, out);
        self.tell_all(now, Body::Hold { attempt }, out);
    }

    /// Every primary holds: close the open cycle and release everywhere.
    fn switch(&mut self, now: u64, out: &mut Outputs) {
        let min_cycle = self.cfg.min_cycle_time;
        let Some(m) = self.master.as_mut() else {
            return;
        };
        let Some(c) = m.coordinating.take() else {
            return;
        };
        let closed = m.open;
        m.open += 1;
        let open = m.open;
        m.next_at = now.saturating_add(min_cycle);
        m.awaiting = Some((closed, now));
        m.overdue = false;
        out.push(Output::Note(Note::CheckpointIssued(Checkpoint {
            id: closed,
            t: now,
        })));
        self.tell_all(
            now,
            Body::Switch {
                attempt: c.attempt,
                cycle: open,
            },
            out,
        );
        self.try_start(now, out);
    }

    /// The coordination window ran out: release everywhere without switching.
    fn abandon(&mut self, now: u64, out: &mut Outputs) {
        let min_cycle = self.cfg.min_cycle_time;
        let Some(m) = self.master.as_mut() else {
            return;
        };
        let Some(c) = m.coordinating.take() else {
            return;
        };
        m.next_at = now.saturating_add(min_cycle);
        out.push(Output::Note(Note::SwitchAbandoned));
        self.tell_all(now, Body::Abandon { attempt: c.attempt }, out);
        self.try_start(now, out);
    }

    /// The coordination timer fired: abandon if the window ran out, else wait on.
    fn check_window(&mut self, now: u64, out: &mut Outputs) {
        let limit = self.cfg.max_coordination_time;
        let started = match self.master.as_ref().and_then(|m| m.coordinating.as_ref()) {
            Some(c) => c.started,
            None => return,
        };
        let deadline = started.saturating_add(limit);
        if reached(now, deadline) {
            self.abandon(now, out);
        } else {
            self.arm(now, Timer::Coordination, deadline, out);
        }
    }

    /// What a primary (or the secondary coordinator) tells the master.
    fn on_primary_word(&mut self, now: u64, from: u16, body: Body, out: &mut Outputs) {
        let pairs = usize::from(self.cfg.pairs);
        let Some(m) = self.master.as_mut() else {
            return;
        };
        match body {
            Body::Holding { attempt } => {
                let all = match m.coordinating.as_mut() {
                    Some(c) if c.attempt == attempt => {
                        c.holding.insert(from);
                        c.holding.len() == pairs
                    }
                    _ => false,
                };
                if all {
                    self.switch(now, out);
                }
            }
            Body::Committed(cp) => {
                m.committed = m.committed.max(cp.id);
                self.try_start(now, out);
            }
            _ => {}
        }
    }
}

impl StreamNode for Primary {
    fn streams(&mut self) -> &mut Streams {
        &mut self.streams
    }

    fn on_body(&mut self, now: u64, from: NodeId, body: Body, out: &mut Outputs) {
        match from {
            NodeId::Primary(p) if p == self.cfg.master => self.on_master_word(now, body, out),
            NodeId::Primary(p) => self.on_primary_word(now, p, body, out),
            NodeId::Secondary(s) if s == self.me => match body {
                Body::Lost { loss } => self.resend(now, loss, out),
                Body::UpdateComplete(cp) => self.kept.applied_through(cp.id),
                _ => self.on_primary_word(now, s, body, out),
            },
            NodeId::Secondary(_) => {}
        }
    }
}

impl Node for Primary {
    fn stream_view(&self) -> Option<&dyn StreamView> {
        Some(&self.streams)
    }

    fn handle(&mut self, now: u64, input: Input, out: &mut Outputs) {
        match input {
            Input::Start => {
                if let Some(m) = self.master.as_mut() {
                    m.next_at = now.saturating_add(self.cfg.min_cycle_time);
                }
                self.try_start(now, out);
            }
            Input::HostWrite(w) => {
                if self.hold.is_some() {
                    self.held.push(w);
                } else {
                    self.complete(now, w, out);
                }
            }
            Input::Deliver { from, msg } => {
                self.deliver(now, from, msg, out);
            }
            Input::Timer(Timer::Retransmit) => self.streams.on_timer(now, out),
            Input::Timer(Timer::CycleSwitch) => {
                if let Some(m) = self.master.as_mut() {
                    m.switch_timer = false;
                }
                self.try_start(now, out);
            }
            Input::Timer(Timer::DrainTimeout) => {
                if let Some(m) = self.master.as_mut() {
                    m.drain_timer = false;
                }
                self.try_start(now, out);
            }
            Input::Timer(Timer::Coordination) => {
                if let Some(m) = self.master.as_mut() {
                    m.coord_timer = false;
                }
                self.check_window(now, out);
            }
            Input::Restart => {
                self.streams.restart(out);
                if let Some(m) = self.master.as_mut() {
                    m.switch_timer = false;
                    m.coord_timer = false;
                    m.drain_timer = false;
                }
                self.check_window(now, out);
                self.try_start(now, out);
            }
            Input::Timer(_) | Input::Applied(_) | Input::Takeover => {}
        }
    }
}
