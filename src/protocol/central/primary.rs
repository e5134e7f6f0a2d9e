//! The primary subsystem's role in the `central` protocol, and the mover beside it on the
//! hosting pair.
//!
//! A primary stamps each write when it completes (never at or below a promise it gave), completes
//! the host's write at once and keeps the update in its sidefile until the mover reads it. Its
//! answer to a read is every update of the sidefile, in stamp order, then a progress promise.
//!
//! The mover reads each primary every read interval (not again before the last answer has been
//! worked through, unless it is overdue), works through what arrives in order at one update per
//! service time, and after each promise forms a consistency group of every update stamped at or
//! below the minimum promise over all primaries: every update at or below that time from every
//! primary has arrived by then (each primary's answer is in stamp order and ends with its
//! promise), so a write that a grouped write depended on is grouped too, as long as clock skew
//! stays below a write's service time. It ships each group's updates and then its end on its
//! stream to the journal, at most [`JOURNAL_WINDOW`] segments in flight. Its own primary's
//! answers travel to it like any other's, through the pair's copy stage. The mover's host is also
//! the clock every other primary synchronises to. Crashes keep state; timers are re-armed on
//! restart.

use std::collections::{BTreeMap, VecDeque};

use super::Config;
use crate::protocol::stream::{StreamNode, Streams};
use crate::protocol::{
    Body, Checkpoint, Input, Msg, Node, NodeId, Note, Output, Outputs, StreamView, Timer, WriteMeta,
};

/// Journal segments the mover has in flight at most (flow control: sent, not acknowledged, and
/// not known to be held beyond a gap, so that one lost segment does not stall the window); the
/// rest of its formed groups wait in its outbox. While the journal is unreachable (its secondary
/// down, its link out) the mover keeps what it formed instead of queueing it on the link, so that
/// what waits on the link once it is back is at most a window's worth. Every primary's updates
/// share this one link, and on an in-order link with heavy-tailed delays each segment waits for
/// the slowest one ahead of it, so the round trip a window sees grows with the window: at 128
/// segments a lognormal link of sigma 1.0 and a median of 3 ms carried fewer updates a second than
/// seven pairs wrote, and the journal fell behind for good (fuzz seeds 1165, 2430, 3501, 5082,
/// 6932, 7692 and 9161 under `central`). 512 carry them with room to spare.
pub const JOURNAL_WINDOW: usize = 512;

/// What the mover has read and not yet worked through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Item {
    /// An update (costs one service time).
    Write(WriteMeta),
    /// A primary's promise (free).
    Progress { from: u16, t: u64 },
}

/// The mover's state.
#[derive(Debug)]
struct Mover {
    /// Each primary's newest promise worked through, `None` before its first answer.
    progress: Vec<Option<u64>>,
    /// When the read whose answer is not yet worked through was sent to each primary.
    reading: Vec<Option<u64>>,
    intake: VecDeque<Item>,
    /// When the update at the head of the intake is done, while one is in service.
    service_due: Option<u64>,
    /// Updates worked through and not yet in a group, by (stamp, arrival).
    pending: BTreeMap<(u64, u64), WriteMeta>,
    arrivals: u64,
    /// The time value of the newest group (or of the newest cut, if it held nothing).
    formed: u64,
    groups: u64,
    /// Formed groups' updates and ends not yet shipped (flow control), oldest first.
    outbox: VecDeque<Body>,
    /// The newest group end shipped, and when anything was last shipped to the journal.
    last_end: Checkpoint,
    last_ship: u64,
    read_timer: bool,
}

impl Mover {
    fn new(pairs: u16) -> Self {
        Mover {
            progress: vec![None; usize::from(pairs)],
            reading: vec![None; usize::from(pairs)],
            intake: VecDeque::new(),
            service_due: None,
            pending: BTreeMap::new(),
            arrivals: 0,
            formed: 0,
            groups: 0,
            outbox: VecDeque::new(),
            last_end: Checkpoint { id: 0, t: 0 },
            last_ship: 0,
            read_timer: false,
        }
    }

    /// Where the next group may be cut: the minimum promise over all primaries (none until every
    /// primary has answered once), or with `no_min` the newest promise of any.
    fn cut(&self, no_min: bool) -> Option<u64> {
        if no_min {
            self.progress.iter().flatten().copied().max()
        } else {
            self.progress
                .iter()
                .copied()
                .collect::<Option<Vec<u64>>>()?
                .into_iter()
                .min()
        }
    }
}

/// A primary subsystem running the `central` protocol; on the hosting pair, the mover too.
pub struct Primary {
    cfg: Config,
    me: u16,
    streams: Streams,
    /// Updates completed and not yet read by the mover, in stamp order.
    sidefile: VecDeque<WriteMeta>,
    /// The newest promise given: every later write is stamped above it.
    floor: u64,
    last_stamp: u64,
    /// The local time of the outstanding clock probe.
    probe_sent: Option<u64>,
    sync_timer: bool,
    mover: Option<Mover>,
}

impl Primary {
    /// The primary of pair `me` (0-based); the mover runs beside it when `me` is `cfg.mover`.
    pub fn new(me: u16, cfg: Config) -> Self {
        Primary {
            cfg,
            me,
            streams: Streams::new(cfg.retransmit_timeout, true),
            sidefile: VecDeque::new(),
            floor: 0,
            last_stamp: 0,
            probe_sent: None,
            sync_timer: false,
            mover: (me == cfg.mover).then(|| Mover::new(cfg.pairs)),
        }
    }

    /// True when the mover runs on this node.
    pub fn hosts_mover(&self) -> bool {
        self.mover.is_some()
    }

    /// Updates waiting in this primary's sidefile.
    pub fn sidefile_len(&self) -> usize {
        self.sidefile.len()
    }

    /// Consistency groups the mover has formed (0 off the hosting pair).
    pub fn groups_formed(&self) -> u64 {
        self.mover.as_ref().map_or(0, |m| m.groups)
    }

    fn mover_node(&self) -> NodeId {
        NodeId::Primary(self.cfg.mover)
    }

    fn stamp(&mut self, now: u64) -> u64 {
        let s = now.max(self.floor + 1).max(self.last_stamp);
        self.last_stamp = s;
        s
    }

    fn arm(&mut self, out: &mut Outputs) {
        if self.mover.is_none() && !self.sync_timer {
            self.sync_timer = true;
            out.push(Output::SetTimer {
                after: self.cfg.sync_interval,
                timer: Timer::ClockSync,
            });
        }
        if let Some(m) = self.mover.as_mut() {
            if !m.read_timer {
                m.read_timer = true;
                out.push(Output::SetTimer {
                    after: self.cfg.read_interval,
                    timer: Timer::MoverRead,
                });
            }
        }
    }

    /// Answers the mover's read: every update of the sidefile, then a promise.
    fn answer_read(&mut self, now: u64, out: &mut Outputs) {
        let to = self.mover_node();
        while let Some(w) = self.sidefile.pop_front() {
            self.streams.send(now, to, Body::Write(w), out);
        }
        let t = if self.cfg.idle_heartbeat {
            now.max(self.last_stamp)
        } else {
            self.last_stamp
        };
        self.floor = self.floor.max(t);
        self.streams.send(now, to, Body::Progress { t }, out);
    }

    /// The mover's read of every primary whose last answer it has worked through, or whose
    /// answer is overdue by a retransmission timeout (reading again puts new segments on a stream
    /// whose lost ones are backing off, and the receiver's selective acknowledgement of them gets
    /// the lost ones resent at once).
    fn read_all(&mut self, now: u64, out: &mut Outputs) {
        let rto = self.cfg.retransmit_timeout;
        let Some(m) = self.mover.as_mut() else {
            return;
        };
        let due: Vec<u16> = (0..self.cfg.pairs)
            .filter(|&p| {
                m.reading[usize::from(p)].is_none_or(|sent| now.saturating_sub(sent) >= rto)
            })
            .collect();
        for &p in &due {
            m.reading[usize::from(p)] = Some(now);
        }
        for p in due {
            if p == self.me {
                self.answer_read(now, out);
            } else {
                self.streams.send(now, NodeId::Primary(p), Body::Read, out);
            }
        }
    }

    /// Works through the intake: promises at once, an update per service time.
    fn serve(&mut self, now: u64, out: &mut Outputs) {
        loop {
            let Some(m) = self.mover.as_mut() else {
                return;
            };
            if m.service_due.is_some() {
                return;
            }
            match m.intake.front().copied() {
                None => return,
                Some(Item::Progress { from, t }) => {
                    m.intake.pop_front();
                    let slot = &mut m.progress[usize::from(from)];
                    *slot = Some(slot.map_or(t, |old| old.max(t)));
                    m.reading[usize::from(from)] = None;
                    self.form_group(now, out);
                }
                Some(Item::Write(w)) if self.cfg.service_time == 0 => {
                    m.intake.pop_front();
                    m.arrivals += 1;
                    m.pending.insert((w.stamp, m.arrivals), w);
                }
                Some(Item::Write(_)) => {
                    m.service_due = Some(now + self.cfg.service_time);
                    out.push(Output::SetTimer {
                        after: self.cfg.service_time,
                        timer: Timer::MoverService,
                    });
                    return;
                }
            }
        }
    }

    /// The service timer fired: the update in service is done, unless the timer fired early (a
    /// stale timer set before a restart, or local clock rounding), and then it waits on.
    fn service_done(&mut self, now: u64, out: &mut Outputs) {
        let slack = (self.cfg.service_time / 2).min(1_000);
        let Some(m) = self.mover.as_mut() else {
            return;
        };
        let Some(due) = m.service_due else {
            return;
        };
        if now.saturating_add(slack) < due {
            // At least a microsecond, so that a drifting clock's rounding cannot fire it again
            // at the same instant.
            out.push(Output::SetTimer {
                after: (due - now).max(1_000),
                timer: Timer::MoverService,
            });
            return;
        }
        m.service_due = None;
        if let Some(Item::Write(w)) = m.intake.front().copied() {
            m.intake.pop_front();
            m.arrivals += 1;
            m.pending.insert((w.stamp, m.arrivals), w);
        }
        self.serve(now, out);
    }

    /// Ships a consistency group of every update stamped at or below the cut, if it advanced.
    fn form_group(&mut self, now: u64, out: &mut Outputs) {
        let Some(m) = self.mover.as_mut() else {
            return;
        };
        let Some(cut) = m.cut(self.cfg.no_min) else {
            return;
        };

        if cut <= m.formed {
            return;
        }
        m.formed = cut;
        let mut group = Vec::new();
        while let Some(e) = m.pending.first_entry() {
            if e.key().0 > cut {
                break;
            }
            group.push(e.remove());
        }
        if group.is_empty() {
            return;
        }
        m.groups += 1;
        let cp = Checkpoint {
            id: m.groups,
            t: cut,
        };
        out.push(Output::Note(Note::CheckpointIssued(cp)));
        m.outbox.extend(group.into_iter().map(Body::Journal));
        m.outbox.push_back(Body::GroupEnd(cp));
        self.flush(now, out);
    }

    /// Ships what the outbox holds while fewer than [`JOURNAL_WINDOW`] segments to the journal
    /// are in flight.
    fn flush(&mut self, now: u64, out: &mut Outputs) {
        let journal = NodeId::Secondary(self.cfg.mover);
        let Some(m) = self.mover.as_mut() else {
            return;
        };
        while self.streams.in_flight(journal) < JOURNAL_WINDOW {
            let Some(body) = m.outbox.pop_front() else {
                break;
            };
            if let Body::GroupEnd(cp) = body {
                m.last_end = cp;
            }
            m.last_ship = now;
            self.streams.send(now, journal, body, out);
        }
    }

    /// At a read tick: if the journal stream has been quiet for a retransmission timeout with
    /// segments still unacknowledged, ship the newest group end again. Once the hosts stop
    /// writing nothing else goes to the journal, and a segment lost at the tail would wait out
    /// the stream's exponential backoff; the repeat (which the journal ignores) is new traffic
    /// whose acknowledgement gets anything lost resent at once.
    fn probe_journal(&mut self, now: u64, out: &mut Outputs) {
        let journal = NodeId::Secondary(self.cfg.mover);
        let rto = self.cfg.retransmit_timeout;
        let Some(m) = self.mover.as_mut() else {
            return;
        };
        let quiet = now.saturating_sub(m.last_ship) >= rto;
        if quiet && self.streams.unacked(journal) > 0 {
            m.last_ship = now;
            let probe = Body::GroupEnd(m.last_end);
            self.streams.send(now, journal, probe, out);
        }
    }
}

impl StreamNode for Primary {
    fn streams(&mut self) -> &mut Streams {
        &mut self.streams
    }

    fn on_body(&mut self, now: u64, from: NodeId, body: Body, out: &mut Outputs) {
        let NodeId::Primary(p) = from else {
            return;
        };
        match body {
            Body::Read if p == self.cfg.mover => self.answer_read(now, out),
            Body::Write(w) => {
                if let Some(m) = self.mover.as_mut() {
                    m.intake.push_back(Item::Write(w));
                }
            }
            Body::Progress { t } => {
                if let Some(m) = self.mover.as_mut() {
                    m.intake.push_back(Item::Progress { from: p, t });
                }
            }
            Body::ClockProbe { t0 } if self.mover.is_some() => {
                let answer = Body::ClockSync {
                    err: 0,
                    epoch: 0,
                    t0,
                    t: now,
                };
                out.send(from, Msg::Dgram(answer));
            }
            Body::ClockSync { t0, t, .. } if self.probe_sent == Some(t0) => {
                self.probe_sent = None;
                out.push(Output::SetClock(t + now.saturating_sub(t0) / 2));
            }
            _ => {}
        }
    }
}

impl Node for Primary {
    fn stream_view(&self) -> Option<&dyn StreamView> {
        Some(&self.streams)
    }

    fn handle(&mut self, now: u64, input: Input, out: &mut Outputs) {
        match input {
            Input::Start => self.arm(out),
            Input::HostWrite(w) => {
                let stamped = WriteMeta {
                    stamp: self.stamp(now),
                    ..w
                };
                out.push(Output::CompleteHost(w.id));
                self.sidefile.push_back(stamped);
            }
            Input::Deliver { from, msg } => {
                self.deliver(now, from, msg, out);
                self.serve(now, out);
                if let NodeId::Secondary(_) = from {
                    // The journal acknowledged: the window may have opened.
                    self.flush(now, out);
                }
            }
            Input::Timer(Timer::Retransmit) => self.streams.on_timer(now, out),
            Input::Timer(Timer::ClockSync) => {
                self.sync_timer = false;
                self.probe_sent = Some(now);
                out.send(self.mover_node(), Msg::Dgram(Body::ClockProbe { t0: now }));
                self.arm(out);
            }
            Input::Timer(Timer::MoverRead) => {
                if let Some(m) = self.mover.as_mut() {
                    m.read_timer = false;
                }
                self.read_all(now, out);
                self.probe_journal(now, out);
                self.arm(out);
            }
            Input::Timer(Timer::MoverService) => self.service_done(now, out),
            Input::Restart => {
                self.sync_timer = false;
                self.streams.restart(out);
                if let Some(m) = self.mover.as_mut() {
                    m.read_timer = false;
                    m.service_due = None;
                }
                self.arm(out);
                self.serve(now, out);
            }
            Input::Timer(_) | Input::Applied(_) | Input::Takeover => {}
        }
    }
}
