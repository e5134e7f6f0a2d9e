//! The secondary subsystem's role in the checkpoint protocol: member of the copy set group, and,
//! on one of them, the secondary master.
//!
//! A member buffers its primary's writes by time value and forwards each checkpoint it receives
//! to the master (408). The master's rendezvous (410) waits until every member of the group, the
//! master included, has forwarded a checkpoint, then releases it (412): each member enters
//! update-in-progress (hosts may not read it), applies its buffered writes stamped at or below the
//! checkpoint's time value in time order (414), and reports update-complete (416). When all have,
//! the master resets update-in-progress everywhere (418) and the next round may start.
//!
//! Failover: members watch the master's heartbeat; after a silence the next pair in order takes
//! over with a higher epoch, and every member reports its state to it (newest release, whether
//! it is mid-update) and forwards again the checkpoints not yet released. Releases are monotone
//! and idempotent, so a new master finishes whatever round the old one left half done. Takeover:
//! every member reports to the master, which releases the newest checkpoint any member was told
//! to release to all of them, waits until all applied it, and only then opens the image.
//!
//! Volatile buffers: a member that resets loses every write it held, released or not, and knows
//! it (update-in-progress and its release are persisted, as the patent keeps them). It stays
//! fenced, forwards no checkpoint and applies no release until its primary has sent again every
//! write it had not reported applied (the primary keeps them; see `retained.rs`), then applies
//! what it owes. Its volume is never readable torn.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::{master_of, rendezvous, Config, MemberFailure, Mutant};
use crate::check::BlockAddr;
use crate::protocol::pairset::PairSet;
use crate::protocol::stream::{StreamNode, Streams};
use crate::protocol::{
    Body, Checkpoint, Input, Msg, Node, NodeId, Note, Output, Outputs, Renaming, Status,
    StreamView, Timer, WriteMeta,
};

/// The release round the master is running, if any.
#[derive(Clone, Debug, Hash)]
struct Round {
    cp: Checkpoint,
    /// Members yet to report update-complete.
    pending: BTreeSet<u16>,
    /// True when this round is the takeover's final one: it ends with open, not reset.
    final_round: bool,
}

/// A secondary subsystem running the checkpoint protocol.
#[derive(Clone, Debug, Hash)]
pub struct Secondary {
    cfg: Config,
    me: u16,
    streams: Streams,
    /// The copy-active table (404): secondaries known to have copy active.
    copy_active: PairSet,
    epoch: u32,
    last_heard_master: u64,
    last_heard_primary: u64,

    /// Received writes not yet applied, in time-value order (stamp, arrival). A primary's
    /// stamps never go backwards and its stream is in order, so they almost always arrive in
    /// that order: a deque with a sorted insert for the rare exception.
    buffer: VecDeque<((u64, u64), WriteMeta)>,
    arrivals: u64,
    /// Checkpoints received from the primary and not yet covered by a release.
    forwarded: BTreeMap<u64, Checkpoint>,
    /// The newest checkpoint this member was told to release.
    released: Option<Checkpoint>,
    /// Update-in-progress (persisted across resets): set on release, cleared by the reset.
    uip: bool,
    /// Whether hosts are currently kept off this secondary (update in progress, or a takeover
    /// not yet complete).
    fenced: bool,
    /// Writes handed to the volume and not yet on it, sorted by id (a map by id; one release's
    /// worth at most, so a sorted vector beats a tree).
    applying: Vec<WriteMeta>,
    /// Scratch for a release: the writes it covers, in time order.
    releasing: Vec<WriteMeta>,
    /// Scratch for a release: (block key, position in `releasing`), sorted to find the newest
    /// write of each block. Sorting these 16-byte pairs instead of the writes themselves halves
    /// the sort's cost (2% of the standard scenario's instructions).
    release_order: Vec<(u64, usize)>,
    /// True until update-complete is sent for `released`.
    owe_complete: bool,
    takeover: bool,
    opened: bool,
    resigned: bool,
    /// Set while this copy is not faithful after its primary suspended shipping: until a
    /// release covers the resync's newest stamp (`u64::MAX` until the resync ends).
    resync_until: Option<u64>,
    /// Set from a reset that lost the volatile buffers until the primary's resend has ended.
    awaiting_resend: bool,
    /// Times the volatile buffers were lost (persisted): a resend answers one loss, and only
    /// the latest loss's resend refills the buffer.
    losses: u64,

    /// Master state: the group (members not resigned), rendezvous, release round.
    group: BTreeSet<u16>,
    rendezvous: rendezvous::Table,
    master_released: Option<Checkpoint>,
    round: Option<Round>,
    takeover_reports: BTreeSet<u16>,
    heartbeat_timer: bool,
}

fn later(a: Option<Checkpoint>, b: Checkpoint) -> bool {
    a.is_none_or(|a| b.t > a.t)
}

impl Secondary {
    /// The secondary of pair `me` (0-based).
    pub fn new(me: u16, cfg: Config) -> Self {
        Secondary {
            cfg,
            me,
            streams: Streams::new(cfg.retransmit_timeout, !cfg.has(Mutant::NoRetransmit)),
            copy_active: PairSet::new(),
            epoch: 0,
            last_heard_master: 0,
            last_heard_primary: 0,
            buffer: VecDeque::new(),
            arrivals: 0,
            forwarded: BTreeMap::new(),
            released: None,
            uip: false,
            fenced: false,
            applying: Vec::new(),
            releasing: Vec::new(),
            release_order: Vec::new(),
            owe_complete: false,
            takeover: false,
            opened: false,
            resigned: false,
            resync_until: None,
            awaiting_resend: false,
            losses: 0,
            group: (0..cfg.pairs).collect(),
            rendezvous: rendezvous::Table::default(),
            master_released: None,
            round: None,
            takeover_reports: BTreeSet::new(),
            heartbeat_timer: false,
        }
    }

    fn master(&self) -> u16 {
        master_of(self.epoch, self.cfg.secondary_master, self.cfg.pairs)
    }

    fn is_master(&self) -> bool {
        self.master() == self.me
    }

    /// True while this secondary acts as the secondary master.
    pub fn acting_master(&self) -> bool {
        self.is_master()
    }

    /// This secondary as pair `r.pair(me)`'s would be after the same history with every pair
    /// renamed by `r` (symmetry reduction in the exhaustive search): its tables of members,
    /// the master's rendezvous and release round, and its streams. The writes it holds keep
    /// their addresses: `r` must move only pairs that no write goes to, and neither master.
    pub fn rename(&mut self, r: &Renaming) {
        self.me = r.pair(self.me);
        self.streams.rename(r);
        self.copy_active = self.copy_active.renamed(r);
        self.group = r.set(&self.group);
        self.rendezvous.rename(r);
        if let Some(round) = &mut self.round {
            round.pending = r.set(&round.pending);
        }
        self.takeover_reports = r.set(&self.takeover_reports);
    }

    /// True while this secondary is in update-in-progress.
    pub fn in_update(&self) -> bool {
        self.uip
    }

    /// Writes buffered and not yet applied.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Sends `body` reliably to secondary `to`, or handles it at once when `to` is this node.
    fn send_secondary(&mut self, now: u64, to: u16, body: Body, out: &mut Outputs) {
        if to == self.me {
            self.on_body(now, NodeId::Secondary(to), body, out);
        } else {
            self.streams.send(now, NodeId::Secondary(to), body, out);
        }
    }

    fn status(&self) -> Status {
        Status {
            epoch: self.epoch,
            released: self.released,
            uip: self.uip,
            takeover: self.takeover,
        }
    }

    /// Tells the (new) master everything it needs: state, and checkpoints to rendezvous on.
    fn report(&mut self, now: u64, out: &mut Outputs) {
        let master = self.master();
        let status = self.status();
        self.send_secondary(now, master, Body::Status(status), out);
        if self.resigned {
            self.send_secondary(now, master, Body::Resign, out);
        }
        if !self.takeover && !self.resigned {
            let cps: Vec<Checkpoint> = self.forwarded.values().copied().collect();
            for cp in cps {
                self.send_secondary(now, master, Body::Forward(cp), out);
            }
        }
    }

    fn adopt(&mut self, now: u64, epoch: u32, out: &mut Outputs) {
        if epoch > self.epoch {
            let was_master = self.is_master();
            self.epoch = epoch;
            self.last_heard_master = now;
            if self.is_master() && !was_master {
                self.become_master(now, out);
            } else {
                self.report(now, out);
            }
        } else if epoch == self.epoch {
            self.last_heard_master = now;
        }
    }

    fn become_master(&mut self, now: u64, out: &mut Outputs) {
        out.push(Output::Note(Note::BecameMaster { epoch: self.epoch }));
        self.rendezvous.clear();
        self.round = None;
        self.takeover_reports.clear();
        self.master_released = self.released;
        for p in 0..self.cfg.pairs {
            if p != self.me {
                self.streams.send(
                    now,
                    NodeId::Secondary(p),
                    Body::NewMaster { epoch: self.epoch },
                    out,
                );
            }
        }
        self.arm_heartbeat(out);
        self.report(now, out);
    }

    fn arm_heartbeat(&mut self, out: &mut Outputs) {
        if self.is_master() && !self.heartbeat_timer {
            self.heartbeat_timer = true;
            out.push(Output::SetTimer {
                after: self.cfg.heartbeat_interval,
                timer: Timer::Heartbeat,
            });
        }
    }

    fn arm_watches(&self, out: &mut Outputs) {
        out.push(Output::SetTimer {
            after: (self.cfg.failover_timeout / 2).max(1),
            timer: Timer::MasterWatch,
        });
        out.push(Output::SetTimer {
            after: (self.cfg.member_timeout / 2).max(1),
            timer: Timer::PrimaryWatch,
        });
    }

    /// Sets update-in-progress and tells the world whether hosts may read this secondary.
    fn set_uip(&mut self, on: bool, out: &mut Outputs) {
        self.uip = on;
        let uip = self.uip && !self.cfg.has(Mutant::NoUip);
        let fenced = uip
            || (self.takeover && !self.opened)
            || self.resync_until.is_some()
            || self.awaiting_resend;
        if fenced != self.fenced {
            self.fenced = fenced;
            out.push(Output::Fence(fenced));
        }
    }

    // ----- member -----

    /// A reset lost the volatile buffers: every write received and not yet on the volume, the
    /// released ones too, and the checkpoints not yet released. Stay fenced and ask the primary
    /// for them again; a release that comes meanwhile is applied once they are back.
    fn lose_buffers(&mut self, now: u64, out: &mut Outputs) {
        self.buffer.clear();
        self.applying.clear();
        self.forwarded.clear();
        self.awaiting_resend = true;
        self.losses += 1;
        let uip = self.uip;
        self.set_uip(uip, out);
        let to = NodeId::Primary(self.me);
        let loss = self.losses;
        self.streams.send(now, to, Body::Lost { loss }, out);
    }

    /// Step 412-414: enter update-in-progress and apply every buffered write stamped at or
    /// below the checkpoint's time value, in time order (only the newest write of each block).
    fn release(&mut self, now: u64, cp: Checkpoint, out: &mut Outputs) {
        if later(self.released, cp) {
            self.released = Some(cp);
            self.forwarded.retain(|_, f| f.t > cp.t);
            self.set_uip(true, out);
            if !self.awaiting_resend {
                self.apply_up_to(cp, out);
            }
        }
        self.owe_complete = true;
        self.maybe_complete(now, out);
    }

    /// Step 414: hands the volume every buffered write stamped at or below `cp`'s time value.
    fn apply_up_to(&mut self, cp: Checkpoint, out: &mut Outputs) {
        {
            let limit = if self.cfg.has(Mutant::ApplyPastCheckpoint) {
                u64::MAX
            } else {
                cp.t
            };
            // The newest write of each block, block by block: sorted by (block, time order),
            // the last of each block wins, as inserting them in time order into a map by block
            // would leave.
            let mut covered = std::mem::take(&mut self.releasing);
            let mut order = std::mem::take(&mut self.release_order);
            while self
                .buffer
                .front()
                .is_some_and(|&((stamp, _), _)| stamp <= limit)
            {
                if let Some((_, w)) = self.buffer.pop_front() {
                    order.push((block_key(w.addr), covered.len()));
                    covered.push(w);
                }
            }
            order.sort_unstable();
            for (k, &(key, i)) in order.iter().enumerate() {
                if order.get(k + 1).is_none_or(|&(next, _)| next != key) {
                    let w = covered[i];
                    self.start_apply(w);
                    out.push(Output::Apply(w));
                }
            }
            covered.clear();
            order.clear();
            self.releasing = covered;
            self.release_order = order;
        }
    }

    /// Hands `w` to the volume: recorded in `applying` by id (replacing a write of the same id).
    fn start_apply(&mut self, w: WriteMeta) {
        match self.applying.binary_search_by_key(&w.id, |a| a.id) {
            Ok(i) => self.applying[i] = w,
            Err(i) => self.applying.insert(i, w),
        }
    }

    /// Step 416: once every write of the release is on the volume, say so to the master.
    fn maybe_complete(&mut self, now: u64, out: &mut Outputs) {
        if self.owe_complete && self.applying.is_empty() && !self.awaiting_resend {
            if let Some(cp) = self.released {
                self.owe_complete = false;
                if self.cfg.volatile_buffers {
                    // Its primary may now forget what this release covered.
                    let to = NodeId::Primary(self.me);
                    self.streams.send(now, to, Body::UpdateComplete(cp), out);
                }
                if self.cfg.has(Mutant::NoRendezvous) && !self.takeover {
                    self.set_uip(false, out);
                    return;
                }
                let master = self.master();
                self.send_secondary(now, master, Body::UpdateComplete(cp), out);
            }
        }
    }

    fn on_primary_body(&mut self, now: u64, body: Body, out: &mut Outputs) {
        self.last_heard_primary = now;
        if self.takeover || self.resigned {
            return;
        }
        match body {
            Body::CopyActive if self.copy_active.insert(self.me) => {
                for p in 0..self.cfg.pairs {
                    if p != self.me {
                        self.streams
                            .send(now, NodeId::Secondary(p), Body::CopyActive, out);
                    }
                }
            }
            Body::Write(w) => {
                self.arrivals += 1;
                let key = (w.stamp, self.arrivals);
                if self.buffer.back().is_none_or(|&(k, _)| k < key) {
                    self.buffer.push_back((key, w));
                } else {
                    let at = self.buffer.partition_point(|&(k, _)| k < key);
                    self.buffer.insert(at, (key, w));
                }
            }
            Body::Suspended => {
                self.resync_until = Some(u64::MAX);
                let uip = self.uip;
                self.set_uip(uip, out);
            }
            Body::Resent { loss } if self.awaiting_resend && loss == self.losses => {
                self.awaiting_resend = false;
                if let (true, Some(cp)) = (self.owe_complete, self.released) {
                    self.apply_up_to(cp, out);
                }
                let uip = self.uip;
                self.set_uip(uip, out);
                self.maybe_complete(now, out);
            }
            Body::ResyncEnd { stamp } => self.resync_until = Some(stamp),
            // While its primary's shipping is suspended this copy lacks writes, so it must not
            // promise any checkpoint until the resync has resent them all.
            Body::Checkpoint(cp)
                if later(self.released, cp)
                    && !self.awaiting_resend
                    && !self.forwarded.contains_key(&cp.id)
                    && self.resync_until.is_none_or(|s| s != u64::MAX && cp.t >= s) =>
            {
                self.forwarded.insert(cp.id, cp);
                if self.cfg.has(Mutant::NoRendezvous) {
                    self.release(now, cp, out);
                    return;
                }
                let master = self.master();
                self.send_secondary(now, master, Body::Forward(cp), out);
            }
            _ => {}
        }
    }

    // ----- master -----

    /// Step 410-412: release the newest checkpoint every member has forwarded, if no round runs.
    fn try_release(&mut self, now: u64, out: &mut Outputs) {
        if self.round.is_some() || !self.takeover_reports.is_empty() {
            return;
        }
        // The newest ready entry, if later than the last release (no older one can be then).
        let ready = self
            .rendezvous
            .newest_ready()
            .filter(|r| later(self.master_released, r.cp))
            .cloned();
        if let Some(r) = ready {
            out.push(Output::Note(Note::Rendezvous {
                cp: r.cp,
                latency: now.saturating_sub(r.first_at),
            }));
            self.start_round(now, r.cp, false, out);
        }
    }

    fn start_round(&mut self, now: u64, cp: Checkpoint, final_round: bool, out: &mut Outputs) {
        if later(self.master_released, cp) {
            self.master_released = Some(cp);
        }
        self.rendezvous.prune_through(cp.t);
        out.push(Output::Note(Note::Released(cp)));
        self.round = Some(Round {
            cp,
            pending: self.group.clone(),
            final_round,
        });
        let epoch = self.epoch;
        let members: Vec<u16> = self.group.iter().copied().collect();
        for m in members {
            self.send_secondary(now, m, Body::Release { epoch, cp }, out);
        }
    }

    /// Ends the round once no member is pending: reset (418), or open after a takeover.
    fn finish_round(&mut self, now: u64, out: &mut Outputs) {
        let round = match self.round.take() {
            Some(r) if r.pending.is_empty() => r,
            other => {
                self.round = other;
                return;
            }
        };
        out.push(Output::Note(Note::Applied(round.cp)));
        let epoch = self.epoch;
        if round.final_round {
            for m in 0..self.cfg.pairs {
                self.send_secondary(now, m, Body::Open { epoch }, out);
            }
        } else {
            let members: Vec<u16> = self.group.iter().copied().collect();
            for m in members {
                self.send_secondary(
                    now,
                    m,
                    Body::Reset {
                        epoch,
                        cp: round.cp,
                    },
                    out,
                );
            }
            self.try_release(now, out);
        }
    }

    /// Takeover: once every member has reported, finish the newest release everywhere, then open.
    fn try_takeover(&mut self, now: u64, out: &mut Outputs) {
        if !self.group.is_subset(&self.takeover_reports)
            || self.round.as_ref().is_some_and(|r| r.final_round)
        {
            return;
        }
        self.round = None;
        match self.master_released {
            Some(cp) => self.start_round(now, cp, true, out),
            None => {
                let epoch = self.epoch;
                for m in 0..self.cfg.pairs {
                    self.send_secondary(now, m, Body::Open { epoch }, out);
                }
            }
        }
    }

    fn on_master_body(&mut self, now: u64, from: u16, body: Body, out: &mut Outputs) {
        match body {
            Body::Forward(cp) if later(self.master_released, cp) => {
                self.rendezvous.forward(cp, from, now, &self.group);
                self.try_release(now, out);
            }
            Body::UpdateComplete(cp) => {
                if let Some(round) = self.round.as_mut() {
                    if cp.t >= round.cp.t {
                        round.pending.remove(&from);
                        let early = (self.cfg.has(Mutant::EarlyReset) && !round.final_round)
                            .then_some(round.cp);
                        if let Some(cp) = early {
                            let epoch = self.epoch;
                            self.send_secondary(now, from, Body::Reset { epoch, cp }, out);
                        }
                        self.finish_round(now, out);
                    }
                }
            }
            Body::Status(s) => {
                if let Some(r) = s.released {
                    if later(self.master_released, r) {
                        self.master_released = Some(r);
                    }
                }
                if s.takeover {
                    self.takeover_reports.insert(from);
                    self.try_takeover(now, out);
                } else if let (true, Some(target)) = (s.uip, self.master_released) {
                    if self.round.as_ref().is_none_or(|r| r.cp.t < target.t) {
                        self.start_round(now, target, false, out);
                    }
                }
            }
            Body::Resign => {
                self.group.remove(&from);
                self.rendezvous.recount(&self.group);
                self.takeover_reports.remove(&from);
                if let Some(round) = self.round.as_mut() {
                    round.pending.remove(&from);
                }
                self.finish_round(now, out);
                self.try_release(now, out);
                if !self.takeover_reports.is_empty() {
                    self.try_takeover(now, out);
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
        let NodeId::Secondary(from) = from else {
            self.on_primary_body(now, body, out);
            return;
        };
        match body {
            Body::CopyActive => {
                self.copy_active.insert(from);
            }
            Body::Heartbeat { epoch } | Body::NewMaster { epoch } => self.adopt(now, epoch, out),
            Body::Release { epoch, cp } => {
                self.adopt(now, epoch, out);
                if epoch == self.epoch && !self.resigned {
                    self.release(now, cp, out);
                }
            }
            Body::Reset { epoch, cp } => {
                self.adopt(now, epoch, out);
                let current = self.released.is_some_and(|r| r.t <= cp.t);
                if epoch == self.epoch && current && self.applying.is_empty() {
                    if self.resync_until.is_some_and(|s| cp.t >= s) {
                        self.resync_until = None;
                        out.push(Output::Note(Note::Resynced));
                    }
                    self.set_uip(false, out);
                }
            }
            Body::Open { epoch } => {
                self.adopt(now, epoch, out);
                if epoch == self.epoch && self.takeover && !self.opened && self.applying.is_empty()
                {
                    self.opened = true;
                    self.resync_until = None;
                    self.buffer.clear();
                    self.forwarded.clear();
                    self.set_uip(false, out);
                    out.push(Output::TakeoverDone);
                }
            }
            Body::Status(s) if s.epoch > self.epoch => {
                self.adopt(now, s.epoch, out);
                if self.is_master() {
                    self.on_master_body(now, from, body, out);
                }
            }
            Body::Forward(_) | Body::UpdateComplete(_) | Body::Status(_) | Body::Resign
                if self.is_master() =>
            {
                self.on_master_body(now, from, body, out);
            }
            _ => {}
        }
    }
}

impl Node for Secondary {
    fn stream_view(&self) -> Option<&dyn StreamView> {
        Some(&self.streams)
    }

    fn meshed(&self) -> bool {
        true
    }

    fn buffered(&self) -> usize {
        Secondary::buffered(self)
    }

    fn handle(&mut self, now: u64, input: Input, out: &mut Outputs) {
        match input {
            Input::Start => {
                // Its primary and every other secondary (the copy-active exchange, 402-404),
                // whose messages may come before its own primary's copy-active.
                self.streams.expect_peers(usize::from(self.cfg.pairs));
                self.last_heard_master = now;
                self.last_heard_primary = now;
                if self.is_master() {
                    out.push(Output::Note(Note::BecameMaster { epoch: self.epoch }));
                }
                self.arm_heartbeat(out);
                self.arm_watches(out);
            }
            Input::Deliver { from, msg } => {
                self.deliver(now, from, msg, out);
            }
            Input::Applied(w) => {
                if let Ok(i) = self.applying.binary_search_by_key(&w.id, |a| a.id) {
                    self.applying.remove(i);
                }
                self.maybe_complete(now, out);
            }
            Input::Timer(Timer::Retransmit) => self.streams.on_timer(now, out),
            Input::Timer(Timer::Heartbeat) => {
                self.heartbeat_timer = false;
                if self.is_master() {
                    for p in 0..self.cfg.pairs {
                        if p != self.me {
                            out.send(
                                NodeId::Secondary(p),
                                Msg::Dgram(Body::Heartbeat { epoch: self.epoch }),
                            );
                        }
                    }
                    self.arm_heartbeat(out);
                }
            }
            Input::Timer(Timer::MasterWatch) => {
                if !self.is_master()
                    && now.saturating_sub(self.last_heard_master) > self.cfg.failover_timeout
                {
                    let next = self.epoch + 1;
                    self.adopt(now, next, out);
                }
                out.push(Output::SetTimer {
                    after: (self.cfg.failover_timeout / 2).max(1),
                    timer: Timer::MasterWatch,
                });
            }
            Input::Timer(Timer::PrimaryWatch) => {
                let silent = now.saturating_sub(self.last_heard_primary) > self.cfg.member_timeout;
                if silent
                    && self.cfg.member_failure == MemberFailure::Resign
                    && !self.resigned
                    && !self.takeover
                    && !self.uip
                {
                    self.resigned = true;
                    out.push(Output::Note(Note::Resigned));
                    let master = self.master();
                    self.send_secondary(now, master, Body::Resign, out);
                }
                out.push(Output::SetTimer {
                    after: (self.cfg.member_timeout / 2).max(1),
                    timer: Timer::PrimaryWatch,
                });
            }
            Input::Timer(_) => {}
            Input::Takeover => {
                if !self.takeover {
                    self.takeover = true;
                    let uip = self.uip;
                    self.set_uip(uip, out);
                    self.report(now, out);
                }
            }
            Input::Restart => {
                self.heartbeat_timer = false;
                self.last_heard_master = now;
                self.last_heard_primary = now;
                self.streams.restart(out);
                self.arm_heartbeat(out);
                self.arm_watches(out);
                if self.cfg.volatile_buffers && !self.cfg.has(Mutant::VolatileReplay) {
                    self.lose_buffers(now, out);
                    return;
                }
                if self.cfg.volatile_buffers {
                    self.buffer.clear();
                }
                let again: Vec<WriteMeta> = self.applying.clone();
                for w in again {
                    out.push(Output::Apply(w));
                }
                self.maybe_complete(now, out);
            }
            Input::HostWrite(_) => {}
        }
    }
}

/// `addr` as one integer that sorts as `BlockAddr` does (subsystem, then volume, then block).
fn block_key(addr: BlockAddr) -> u64 {
    u64::from(addr.subsystem) << 48 | u64::from(addr.volume) << 32 | u64::from(addr.block)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::WriteId;
    use crate::protocol::checkpoint::tests::cfg;
    use proptest::prelude::*;

    proptest! {
        /// The release sorts block keys in place of addresses: both must order blocks alike.
        #[test]
        fn a_block_key_sorts_as_its_address(
            a in (any::<u16>(), any::<u16>(), any::<u32>()),
            b in (any::<u16>(), any::<u16>(), any::<u32>()),
        ) {
            let addr = |(subsystem, volume, block)| BlockAddr { subsystem, volume, block };
            let (x, y) = (addr(a), addr(b));
            prop_assert_eq!(block_key(x).cmp(&block_key(y)), x.cmp(&y));
        }
    }

    /// A master whose group has a member that never forwards releases nothing, however many
    /// checkpoints the others forward, until that member resigns: then the newest at once.
    #[test]
    fn a_silent_member_holds_every_release_until_it_resigns() {
        let mut m = Secondary::new(0, cfg(3));
        let mut out = Outputs::new();
        for id in 1..=200u64 {
            let cp = Checkpoint { id, t: id * 1000 };
            for from in [0u16, 1] {
                m.on_master_body(id * 1000, from, Body::Forward(cp), &mut out);
            }
        }
        assert!(
            m.round.is_none(),
            "nothing released without pair 2's forwards"
        );
        assert_eq!(m.rendezvous.len(), 200);
        m.on_master_body(300_000, 2, Body::Resign, &mut out);
        assert_eq!(m.round.as_ref().map(|r| r.cp.id), Some(200), "the newest");
        assert_eq!(m.rendezvous.len(), 0, "the release covers every entry");
    }

    fn write(id: WriteId, block: u32, stamp: u64) -> Body {
        Body::Write(WriteMeta {
            id,
            addr: BlockAddr {
                subsystem: 1,
                volume: 0,
                block,
            },
            size: 512,
            stamp,
            arrived: 0,
        })
    }

    fn applied(out: &Outputs) -> Vec<WriteId> {
        out.as_slice()
            .iter()
            .filter_map(|o| match o {
                Output::Apply(w) => Some(w.id),
                _ => None,
            })
            .collect()
    }

    /// The buffer keeps time-value order even when stamps arrive out of order: a release applies
    /// exactly the writes stamped at or below it, the newest of each block, block by block.
    #[test]
    fn release_applies_in_time_order_whatever_the_arrival_order() {
        let mut s = Secondary::new(1, cfg(2));
        let mut out = Outputs::new();
        let from_primary = NodeId::Primary(1);
        let bodies = [
            write(1, 0, 50),
            write(2, 1, 30),
            write(3, 2, 40),
            write(4, 1, 20),
            write(5, 2, 45),
            write(6, 0, 30),
        ];
        for (seq, body) in bodies.into_iter().enumerate() {
            let msg = Msg::Seg {
                seq: seq as u64,
                body,
            };
            s.handle(
                0,
                Input::Deliver {
                    from: from_primary,
                    msg,
                },
                &mut out,
            );
        }
        assert_eq!(s.buffered(), 6);
        out.drain();
        let cp = Checkpoint { id: 1, t: 40 };
        let release = Msg::Seg {
            seq: 0,
            body: Body::Release { epoch: 0, cp },
        };
        s.handle(
            1,
            Input::Deliver {
                from: NodeId::Secondary(0),
                msg: release,
            },
            &mut out,
        );
        // Block 0: w6 (30); block 1: w2 (30) over w4 (20); block 2: w3 (40). w1 (50) and
        // w5 (45) wait for a later checkpoint.
        assert_eq!(applied(&out), vec![6, 2, 3]);
        assert_eq!(s.buffered(), 2);
    }
}
