//! The primary subsystem's role in the checkpoint protocol.
//!
//! Every primary stamps each write with its sequence clock when the write completes, completes
//! the host's write, and ships it on its pair stream. The clock and checkpoint master (the
//! configured pair, or whoever took over after it fell silent) periodically sends every
//! copy-active primary a checkpoint (302) and answers their clock probes (208). A primary slots
//! a checkpoint into its stream when it arrives (304): every write stamped at or below the
//! checkpoint's time value was stamped before, so it is already in the stream ahead of it, and
//! from then on no write is stamped at or below that value. That holds whatever order
//! checkpoints arrive in, so even two masters at once (during a failover) cannot break it.
//!
//! Beyond the patent, the clock is an interval ([`super::clock`]): a write is stamped with the
//! latest the reference time can have been when it arrived, and its host sees it complete only
//! once the earliest the reference time can be has passed that stamp (commit-wait, as Spanner
//! does). So a write that follows another's completion is always stamped at or above it, and a
//! checkpoint that covers it covers the other, whatever the LAN's delays did to the clocks.
//! The wait is zero while the bound stays below half a write's service time.

use std::collections::VecDeque;

use super::clock::ClockBound;

use super::{checkpoint_id, master_of, ClockMode, Config, Mutant};
use crate::protocol::pairset::PairSet;
use crate::protocol::retained::Retained;
use crate::protocol::shipping::{Offer, Shipper};
use crate::protocol::stream::{StreamNode, Streams};
use crate::protocol::{
    Body, Checkpoint, Input, Node, NodeId, Note, Output, Outputs, Renaming, StreamView, Timer,
    WriteMeta,
};

/// A primary subsystem running the checkpoint protocol.
#[derive(Clone, Debug, Hash)]
pub struct Primary {
    cfg: Config,
    me: u16,
    streams: Streams,
    /// The configuration table (206): primaries known to have copy active, this one included.
    copy_active: PairSet,
    /// The epoch of the master this primary follows.
    epoch: u32,
    /// Checkpoints issued by this primary as master, in its current epoch.
    issued: u64,
    /// The highest checkpoint time value slotted into this pair's stream.
    floor: u64,
    /// The last stamp given; stamps never go backwards.
    last_stamp: u64,
    last_heard_master: u64,
    /// The local time of the outstanding clock probe, to match its answer (`naive-clock-sync`).
    probe_sent: Option<u64>,
    checkpoint_timer: bool,
    sync_timer: bool,
    shipper: Shipper,
    /// Shipped writes the secondary has not yet applied, kept when its buffers are volatile.
    retained: Retained,
    /// The estimate of the reference time and its error bound.
    clock: ClockBound,
    /// Host writes shipped but not yet completed because the reference time may not yet have
    /// passed their stamp: (stamp, write, local time the wait began), in stamp order.
    waiting: VecDeque<(u64, crate::check::WriteId, u64)>,
    wait_timer: bool,
}

impl Primary {
    /// The primary of pair `me` (0-based).
    pub fn new(me: u16, cfg: Config) -> Self {
        Primary {
            cfg,
            me,
            streams: Streams::new(cfg.retransmit_timeout, !cfg.has(Mutant::NoRetransmit)),
            copy_active: PairSet::new(),
            epoch: 0,
            issued: 0,
            floor: 0,
            last_stamp: 0,
            last_heard_master: 0,
            probe_sent: None,
            checkpoint_timer: false,
            sync_timer: false,
            shipper: Shipper::new(cfg.buffer),
            retained: Retained::new(cfg.volatile_buffers),
            clock: if me == cfg.primary_master {
                ClockBound::reference(cfg.max_clock_step)
            } else {
                ClockBound::new(
                    cfg.initial_clock_error,
                    cfg.drift_bound_ppb,
                    cfg.max_clock_step,
                )
            },
            waiting: VecDeque::new(),
            wait_timer: false,
        }
    }

    /// True when clocks are an interval (the default); false for the clock-free variant and
    /// the `naive-clock-sync` mutant.
    fn bounded(&self) -> bool {
        self.cfg.clock == ClockMode::Synced && !self.cfg.has(Mutant::NaiveClockSync)
    }

    fn master(&self) -> u16 {
        master_of(self.epoch, self.cfg.primary_master, self.cfg.pairs)
    }

    fn is_master(&self) -> bool {
        self.master() == self.me
    }

    /// True while this primary acts as the clock and checkpoint master.
    pub fn acting_master(&self) -> bool {
        self.is_master()
    }

    /// This primary as pair `r.pair(me)`'s would be after the same history with every pair
    /// renamed by `r` (symmetry reduction in the exhaustive search). The writes it holds keep
    /// their addresses: `r` must move only pairs that no write goes to, and neither master.
    pub fn rename(&mut self, r: &Renaming) {
        self.me = r.pair(self.me);
        self.streams.rename(r);
        self.copy_active = self.copy_active.renamed(r);
    }

    /// The time value of a write completing now that arrived at local time `arrived`: with a
    /// bounded clock, the latest the reference time can have been when it arrived.
    fn stamp(&mut self, now: u64, arrived: u64) -> u64 {
        let clock = match self.cfg.clock {
            ClockMode::None => 0,
            ClockMode::Synced if self.bounded() => self.clock.latest(arrived),
            ClockMode::Synced => now,
        };
        let s = clock.max(self.floor + 1).max(self.last_stamp);
        self.last_stamp = s;
        s
    }

    /// Stamps write `w`, ships it and completes it to its host, at once or (commit-wait) once
    /// the reference time has surely passed its stamp.
    fn ship(&mut self, now: u64, w: WriteMeta, out: &mut Outputs) {
        let stamp = self.stamp(now, w.arrived);
        let stamped = WriteMeta { stamp, ..w };
        let to = self.secondary();
        self.retained.shipped(stamped);
        self.streams.send(now, to, Body::Write(stamped), out);
        if !self.bounded() || (self.waiting.is_empty() && self.clock.earliest(now) >= stamp) {
            out.push(Output::CompleteHost(w.id));
        } else {
            self.waiting.push_back((stamp, w.id, now));
            self.release_waiting(now, out);
        }
    }

    /// Completes every held write whose stamp the reference time has surely passed, and sets
    /// the timer for the next.
    fn release_waiting(&mut self, now: u64, out: &mut Outputs) {
        let earliest = self.clock.earliest(now);
        while let Some(&(stamp, id, since)) = self.waiting.front() {
            if stamp > earliest {
                break;
            }
            self.waiting.pop_front();
            out.push(Output::CompleteHost(id));
            out.push(Output::Note(Note::ClockWait {
                ns: now.saturating_sub(since),
            }));
        }
        if let (Some(&(stamp, _, _)), false) = (self.waiting.front(), self.wait_timer) {
            self.wait_timer = true;
            out.push(Output::SetTimer {
                after: self.clock.wait_until(now, stamp).max(1),
                timer: Timer::ClockWait,
            });
        }
    }

    /// Sends a clock probe to the master.
    fn probe(&mut self, now: u64, out: &mut Outputs) {
        self.probe_sent = Some(now);
        let master = NodeId::Primary(self.master());
        out.send(
            master,
            crate::protocol::Msg::Dgram(Body::ClockProbe { t0: now }),
        );
    }

    /// The secondary lost its volatile buffers: send again every write it has not reported
    /// applied, with its original stamp, then say the resend is over.
    fn resend_lost(&mut self, now: u64, loss: u64, out: &mut Outputs) {
        let to = self.secondary();
        for w in self.retained.to_resend() {
            self.streams.send(now, to, Body::Write(w), out);
        }
        self.streams.send(now, to, Body::Resent { loss }, out);
    }

    /// After acknowledgements: ships paced writes that now fit, and resynchronises a suspended
    /// buffer once the link has drained (each changed block stamped afresh, then resync-end).
    fn drain_buffer(&mut self, now: u64, out: &mut Outputs) {
        let to = self.secondary();
        let (paced, resync) = self.shipper.progress(self.streams.unacked_writes(to));
        for w in paced {
            self.ship(now, w, out);
        }
        if let Some(blocks) = resync {
            for w in blocks {
                let stamped = WriteMeta {
                    stamp: self.stamp(now, now),
                    ..w
                };
                self.retained.shipped(stamped);
                self.streams.send(now, to, Body::Write(stamped), out);
            }
            let stamp = self.last_stamp;
            self.streams.send(now, to, Body::ResyncEnd { stamp }, out);
        }
    }

    fn secondary(&self) -> NodeId {
        NodeId::Secondary(self.me)
    }

    /// Keeps the timers running: checkpoints on the master, clock probes everywhere else.
    fn arm(&mut self, out: &mut Outputs) {
        if self.is_master() && !self.checkpoint_timer {
            self.checkpoint_timer = true;
            out.push(Output::SetTimer {
                after: self.cfg.checkpoint_interval,
                timer: Timer::Checkpoint,
            });
        }
        if !self.sync_timer {
            self.sync_timer = true;
            out.push(Output::SetTimer {
                after: self.cfg.sync_interval,
                timer: Timer::ClockSync,
            });
        }
    }

    fn watch(&self, out: &mut Outputs) {
        out.push(Output::SetTimer {
            after: (self.cfg.failover_timeout / 2).max(1),
            timer: Timer::MasterWatch,
        });
    }

    /// Step 304: put checkpoint `cp` into this pair's stream, behind every write stamped at or
    /// below its time value, and stamp nothing at or below it from now on.
    fn slot(&mut self, now: u64, cp: Checkpoint, out: &mut Outputs) {
        if cp.t <= self.floor {
            return;
        }
        self.floor = cp.t;
        let to = self.secondary();
        if self.cfg.has(Mutant::EarlyCheckpoint) {
            out.send(to, crate::protocol::Msg::Dgram(Body::Checkpoint(cp)));
        } else {
            self.streams.send(now, to, Body::Checkpoint(cp), out);
        }
    }

    /// Step 302: the master issues the next checkpoint to every copy-active primary.
    fn issue_checkpoint(&mut self, now: u64, out: &mut Outputs) {
        self.issued += 1;
        let id = checkpoint_id(self.epoch, self.issued);
        let t = match self.cfg.clock {
            ClockMode::Synced if self.bounded() => self.clock.estimate(now),
            ClockMode::Synced => now,
            ClockMode::None => id,
        };
        let cp = Checkpoint { id, t };
        out.push(Output::Note(Note::CheckpointIssued(cp)));
        let peers: Vec<u16> = self.copy_active.iter().filter(|&p| p != self.me).collect();
        for p in peers {
            self.streams
                .send(now, NodeId::Primary(p), Body::Checkpoint(cp), out);
        }
        self.slot(now, cp, out);
    }

    fn adopt(&mut self, now: u64, epoch: u32) {
        if epoch > self.epoch {
            self.epoch = epoch;
            self.issued = 0;
        }
        if epoch >= self.epoch {
            self.last_heard_master = now;
        }
    }

    fn become_master(&mut self, now: u64, out: &mut Outputs) {
        out.push(Output::Note(Note::BecameMaster { epoch: self.epoch }));
        let peers: Vec<u16> = (0..self.cfg.pairs).filter(|&p| p != self.me).collect();
        for p in peers {
            self.streams.send(
                now,
                NodeId::Primary(p),
                Body::NewMaster { epoch: self.epoch },
                out,
            );
        }
        self.arm(out);
    }
}

impl StreamNode for Primary {
    fn streams(&mut self) -> &mut Streams {
        &mut self.streams
    }

    fn on_body(&mut self, now: u64, from: NodeId, body: Body, out: &mut Outputs) {
        match (from, body) {
            (NodeId::Primary(p), Body::CopyActive) => {
                self.copy_active.insert(p);
            }
            (NodeId::Primary(_), Body::Checkpoint(cp)) => {
                self.adopt(now, (cp.id >> 32) as u32);
                self.slot(now, cp, out);
            }
            (NodeId::Primary(p), Body::ClockProbe { t0 }) if self.is_master() => {
                let (t, err) = if self.bounded() {
                    (self.clock.estimate(now), self.clock.error(now))
                } else {
                    (now, 0)
                };
                let answer = Body::ClockSync {
                    epoch: self.epoch,
                    t0,
                    t,
                    err,
                };
                out.send(NodeId::Primary(p), crate::protocol::Msg::Dgram(answer));
            }
            (NodeId::Primary(_), Body::ClockSync { epoch, t0, t, err }) => {
                self.adopt(now, epoch);
                if self.bounded() {
                    // Any master's answer to any of this primary's probes bounds the reference
                    // time (a late or duplicated one only loosely): keep the best.
                    if self.clock.sample(t0, now, t, err) {
                        self.release_waiting(now, out);
                    }
                    return;
                }
                let answered = self.probe_sent == Some(t0);
                if answered && epoch == self.epoch && self.cfg.clock == ClockMode::Synced {
                    self.probe_sent = None;
                    let half_rtt = now.saturating_sub(t0) / 2;
                    out.push(Output::SetClock(t + half_rtt));
                }
            }
            (NodeId::Secondary(_), Body::UpdateComplete(cp)) => self.retained.applied_through(cp.t),
            (NodeId::Secondary(_), Body::Lost { loss }) => self.resend_lost(now, loss, out),
            (NodeId::Primary(_), Body::NewMaster { epoch }) => {
                let was = self.is_master();
                self.adopt(now, epoch);
                if !was && self.is_master() {
                    self.arm(out);
                }
            }
            _ => {}
        }
    }
}

impl Node for Primary {
    fn stream_view(&self) -> Option<&dyn StreamView> {
        Some(&self.streams)
    }

    fn meshed(&self) -> bool {
        true
    }

    fn handle(&mut self, now: u64, input: Input, out: &mut Outputs) {
        match input {
            Input::Start => {
                self.copy_active.insert(self.me);
                self.last_heard_master = now;
                // Every other primary and this pair's secondary.
                self.streams.expect_peers(usize::from(self.cfg.pairs));
                for p in 0..self.cfg.pairs {
                    if p != self.me {
                        self.streams
                            .send(now, NodeId::Primary(p), Body::CopyActive, out);
                    }
                }
                let to = self.secondary();
                self.streams.send(now, to, Body::CopyActive, out);
                if self.is_master() {
                    out.push(Output::Note(Note::BecameMaster { epoch: self.epoch }));
                } else if self.bounded() {
                    self.probe(now, out);
                }
                self.arm(out);
                self.watch(out);
            }
            Input::HostWrite(w) => {
                let to = self.secondary();
                match self.shipper.offer(w, self.streams.unacked_writes(to)) {
                    Offer::Ship => self.ship(now, w, out),
                    Offer::Held => out.push(Output::Note(Note::Paced)),
                    Offer::Recorded => out.push(Output::CompleteHost(w.id)),
                    Offer::Suspend => {
                        out.push(Output::Note(Note::Suspended));
                        self.streams.send(now, to, Body::Suspended, out);
                        out.push(Output::CompleteHost(w.id));
                    }
                }
            }
            Input::Deliver { from, msg } => {
                self.deliver(now, from, msg, out);
                self.drain_buffer(now, out);
            }
            Input::Timer(Timer::Retransmit) => self.streams.on_timer(now, out),
            Input::Timer(Timer::Checkpoint) => {
                self.checkpoint_timer = false;
                if self.is_master() {
                    self.issue_checkpoint(now, out);
                    self.arm(out);
                }
            }
            Input::Timer(Timer::ClockSync) => {
                self.sync_timer = false;
                if !self.is_master() && self.cfg.clock == ClockMode::Synced {
                    self.probe(now, out);
                }
                self.arm(out);
            }
            Input::Timer(Timer::ClockWait) => {
                self.wait_timer = false;
                self.release_waiting(now, out);
            }
            Input::Timer(Timer::MasterWatch) => {
                if !self.is_master()
                    && now.saturating_sub(self.last_heard_master) > self.cfg.failover_timeout
                {
                    self.epoch += 1;
                    self.issued = 0;
                    self.last_heard_master = now;
                    if self.is_master() {
                        self.become_master(now, out);
                    }
                }
                self.watch(out);
            }
            Input::Timer(_) | Input::Applied(_) | Input::Takeover => {}
            Input::Restart => {
                self.checkpoint_timer = false;
                self.sync_timer = false;
                self.wait_timer = false;
                self.release_waiting(now, out);
                self.last_heard_master = now;
                self.streams.restart(out);
                self.arm(out);
                self.watch(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::checkpoint::tests::cfg;
    use crate::protocol::testnet::write;
    use crate::protocol::Msg;

    fn w(id: u64) -> WriteMeta {
        write(1, id, 0)
    }

    /// The bodies sent on the pair stream to the secondary, in order.
    fn to_secondary(out: &Outputs, me: u16) -> Vec<Body> {
        out.as_slice()
            .iter()
            .filter_map(|o| match o {
                Output::Send {
                    to,
                    msg: Msg::Seg { body, .. },
                } if *to == NodeId::Secondary(me) => Some(*body),
                _ => None,
            })
            .collect()
    }

    fn checkpoint_from_master(cp: Checkpoint) -> Input {
        Input::Deliver {
            from: NodeId::Primary(0),
            msg: Msg::Seg {
                seq: 0,
                body: Body::Checkpoint(cp),
            },
        }
    }

    #[test]
    fn start_announces_copy_active_to_peers_and_secondary() {
        let mut p = Primary::new(1, cfg(3));
        let mut out = Outputs::new();
        p.handle(0, Input::Start, &mut out);
        let dests: Vec<NodeId> = out
            .as_slice()
            .iter()
            .filter_map(|o| match o {
                Output::Send {
                    to,
                    msg:
                        Msg::Seg {
                            body: Body::CopyActive,
                            ..
                        },
                } => Some(*to),
                _ => None,
            })
            .collect();
        assert_eq!(
            dests,
            vec![NodeId::Primary(0), NodeId::Primary(2), NodeId::Secondary(1)]
        );
        assert!(!p.acting_master(), "pair 0 is the configured master");
    }

    #[test]
    fn writes_are_stamped_completed_at_once_and_shipped() {
        let mut p = Primary::new(1, cfg(2));
        let mut out = Outputs::new();
        p.handle(0, Input::Start, &mut out);
        out.drain();
        p.handle(700, arriving(5, 700), &mut out);
        assert_eq!(completed(&out), vec![5]);
        let Body::Write(sent) = to_secondary(&out, 1)[0] else {
            panic!("expected a write")
        };
        assert_eq!(sent.stamp, 700);
    }

    #[test]
    fn a_checkpoint_follows_earlier_writes_and_later_writes_stamp_above_it() {
        let mut p = Primary::new(1, cfg(2));
        let mut out = Outputs::new();
        p.handle(0, Input::Start, &mut out);
        out.drain();
        p.handle(100, arriving(1, 100), &mut out);
        let cp = Checkpoint { id: 1, t: 500 };
        p.handle(400, checkpoint_from_master(cp), &mut out);
        p.handle(450, arriving(2, 450), &mut out);
        let stream = to_secondary(&out, 1);
        assert!(matches!(stream[0], Body::Write(x) if x.id == 1 && x.stamp == 100));
        assert_eq!(stream[1], Body::Checkpoint(cp));
        let Body::Write(second) = stream[2] else {
            panic!("expected a write")
        };
        assert!(
            second.stamp > 500,
            "a clock behind the master must not stamp at or below the checkpoint: {}",
            second.stamp
        );
    }

    #[test]
    fn a_stale_or_duplicate_checkpoint_is_not_slotted_twice() {
        let mut p = Primary::new(1, cfg(2));
        let mut out = Outputs::new();
        p.handle(0, Input::Start, &mut out);
        out.drain();
        let cp = Checkpoint { id: 2, t: 900 };
        p.handle(1000, checkpoint_from_master(cp), &mut out);
        p.handle(1001, checkpoint_from_master(cp), &mut out);
        p.handle(
            1002,
            checkpoint_from_master(Checkpoint { id: 1, t: 800 }),
            &mut out,
        );
        let cps = to_secondary(&out, 1)
            .into_iter()
            .filter(|b| matches!(b, Body::Checkpoint(_)))
            .count();
        assert_eq!(cps, 1);
    }

    #[test]
    fn the_master_issues_checkpoints_to_copy_active_primaries_and_itself() {
        let mut m = Primary::new(0, cfg(3));
        let mut out = Outputs::new();
        m.handle(0, Input::Start, &mut out);
        for p in [1, 2] {
            m.handle(
                1,
                Input::Deliver {
                    from: NodeId::Primary(p),
                    msg: Msg::Seg {
                        seq: 0,
                        body: Body::CopyActive,
                    },
                },
                &mut out,
            );
        }
        out.drain();
        m.handle(1000, Input::Timer(Timer::Checkpoint), &mut out);
        let cp = Checkpoint {
            id: checkpoint_id(0, 1),
            t: 1000,
        };
        let sends: Vec<NodeId> = out
            .as_slice()
            .iter()
            .filter_map(|o| match o {
                Output::Send {
                    to,
                    msg:
                        Msg::Seg {
                            body: Body::Checkpoint(c),
                            ..
                        },
                } if *c == cp => Some(*to),
                _ => None,
            })
            .collect();
        assert_eq!(
            sends,
            vec![NodeId::Primary(1), NodeId::Primary(2), NodeId::Secondary(0)]
        );
        assert!(out
            .as_slice()
            .contains(&Output::Note(Note::CheckpointIssued(cp))));
        assert!(out.as_slice().iter().any(|o| matches!(
            o,
            Output::SetTimer {
                timer: Timer::Checkpoint,
                ..
            }
        )));
    }

    #[test]
    fn naive_clock_sync_probes_the_master_and_adds_half_the_round_trip() {
        let mut c = cfg(2);
        c.mutant = Some(Mutant::NaiveClockSync);
        let mut p = Primary::new(1, c);
        let mut out = Outputs::new();
        p.handle(0, Input::Start, &mut out);
        out.drain();
        p.handle(500, Input::Timer(Timer::ClockSync), &mut out);
        assert!(out.as_slice().contains(&Output::Send {
            to: NodeId::Primary(0),
            msg: Msg::Dgram(Body::ClockProbe { t0: 500 })
        }));
        out.drain();
        let answer = |t0| Input::Deliver {
            from: NodeId::Primary(0),
            msg: Msg::Dgram(Body::ClockSync {
                epoch: 0,
                t0,
                t: 2000,
                err: 0,
            }),
        };
        p.handle(700, answer(500), &mut out);
        assert_eq!(out.as_slice(), &[Output::SetClock(2100)]);
        out.drain();
        p.handle(800, answer(500), &mut out);
        assert!(out.is_empty(), "a duplicate answer is ignored");
    }

    fn arriving(id: u64, arrived: u64) -> Input {
        Input::HostWrite(WriteMeta { arrived, ..w(id) })
    }

    fn completed(out: &Outputs) -> Vec<u64> {
        out.as_slice()
            .iter()
            .filter_map(|o| match o {
                Output::CompleteHost(id) => Some(*id),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn an_uncertain_clock_stamps_late_and_holds_the_host_until_the_stamp_has_passed() {
        let mut c = cfg(2);
        c.initial_clock_error = 1000;
        let mut p = Primary::new(1, c);
        let mut out = Outputs::new();
        p.handle(0, Input::Start, &mut out);
        assert!(
            out.as_slice().contains(&Output::Send {
                to: NodeId::Primary(0),
                msg: Msg::Dgram(Body::ClockProbe { t0: 0 })
            }),
            "a follower probes at once"
        );
        out.drain();
        // Arrived at 5000, completes at 5300: stamped 6000, the latest the reference could be.
        p.handle(5300, arriving(7, 5000), &mut out);
        let Body::Write(sent) = to_secondary(&out, 1)[0] else {
            panic!("shipped at once")
        };
        assert_eq!(sent.stamp, 6000);
        assert!(
            completed(&out).is_empty(),
            "held: the reference may be 4300"
        );
        let wait = out.as_slice().iter().find_map(|o| match o {
            Output::SetTimer {
                after,
                timer: Timer::ClockWait,
            } => Some(*after),
            _ => None,
        });
        assert_eq!(wait, Some(1700));
        out.drain();
        // A 40 ns round trip narrows the bound to 20 ns: the write may complete.
        p.handle(
            5340,
            Input::Deliver {
                from: NodeId::Primary(0),
                msg: Msg::Dgram(Body::ClockSync {
                    epoch: 0,
                    t0: 5300,
                    t: 6200,
                    err: 0,
                }),
            },
            &mut out,
        );
        assert_eq!(completed(&out), vec![7]);
        assert!(out
            .as_slice()
            .contains(&Output::Note(Note::ClockWait { ns: 40 })));
    }

    #[test]
    fn the_clock_master_stays_exact_however_long_it_runs() {
        let mut c = cfg(2);
        c.drift_bound_ppb = 40_000;
        c.max_clock_step = 3;
        let mut m = Primary::new(0, c);
        let mut out = Outputs::new();
        m.handle(0, Input::Start, &mut out);
        out.drain();
        let hours = 5 * 3_600 * 1_000_000_000;
        m.handle(
            hours,
            Input::Deliver {
                from: NodeId::Primary(1),
                msg: Msg::Dgram(Body::ClockProbe { t0: 7 }),
            },
            &mut out,
        );
        assert!(out.as_slice().contains(&Output::Send {
            to: NodeId::Primary(1),
            msg: Msg::Dgram(Body::ClockSync {
                epoch: 0,
                t0: 7,
                t: hours,
                err: 3,
            })
        }));
        out.drain();
        m.handle(hours + 300, arriving(9, hours), &mut out);
        let Body::Write(sent) = to_secondary(&out, 0)[0] else {
            panic!("shipped at once")
        };
        assert_eq!(
            sent.stamp,
            hours + 3,
            "stamped by its own time and steps alone"
        );
        assert_eq!(completed(&out), vec![9], "nothing to wait for");
    }

    #[test]
    fn a_precise_clock_completes_at_once() {
        let mut p = Primary::new(1, cfg(2));
        let mut out = Outputs::new();
        p.handle(0, Input::Start, &mut out);
        out.drain();
        p.handle(5300, arriving(7, 5000), &mut out);
        assert_eq!(completed(&out), vec![7]);
    }

    #[test]
    fn the_master_answers_probes_with_its_clock() {
        let mut m = Primary::new(0, cfg(2));
        let mut out = Outputs::new();
        m.handle(0, Input::Start, &mut out);
        out.drain();
        m.handle(
            900,
            Input::Deliver {
                from: NodeId::Primary(1),
                msg: Msg::Dgram(Body::ClockProbe { t0: 850 }),
            },
            &mut out,
        );
        assert_eq!(
            out.as_slice(),
            &[Output::Send {
                to: NodeId::Primary(1),
                msg: Msg::Dgram(Body::ClockSync {
                    epoch: 0,
                    t0: 850,
                    t: 900,
                    err: 0
                })
            }]
        );
    }

    #[test]
    fn a_silent_master_is_replaced_by_the_next_pair() {
        let mut p = Primary::new(1, cfg(3));
        let mut out = Outputs::new();
        p.handle(0, Input::Start, &mut out);
        out.drain();
        p.handle(20_000, Input::Timer(Timer::MasterWatch), &mut out);
        assert!(p.acting_master());
        assert!(out
            .as_slice()
            .contains(&Output::Note(Note::BecameMaster { epoch: 1 })));
        out.drain();
        p.handle(21_000, Input::Timer(Timer::Checkpoint), &mut out);
        assert!(out
            .as_slice()
            .contains(&Output::Note(Note::CheckpointIssued(Checkpoint {
                id: checkpoint_id(1, 1),
                t: 21_000
            }))));
    }

    #[test]
    fn clock_free_stamps_count_checkpoint_arrivals() {
        let mut c = cfg(2);
        c.clock = ClockMode::None;
        let mut p = Primary::new(1, c);
        let mut out = Outputs::new();
        p.handle(0, Input::Start, &mut out);
        out.drain();
        p.handle(5, Input::HostWrite(w(1)), &mut out);
        p.handle(
            6,
            checkpoint_from_master(Checkpoint { id: 1, t: 1 }),
            &mut out,
        );
        p.handle(7, Input::HostWrite(w(2)), &mut out);
        let stamps: Vec<u64> = to_secondary(&out, 1)
            .into_iter()
            .filter_map(|b| match b {
                Body::Write(x) => Some(x.stamp),
                _ => None,
            })
            .collect();
        assert_eq!(stamps, vec![1, 2]);
    }
}
