//! The dependent-write checker.
//!
//! Write A precedes write B when A completed at its host before B was issued, in the run's total
//! order of events (so a write issued in the same nanosecond as, but after, the completion it
//! waited for still depends on it). An image (the blocks
//! on the secondary volumes) is consistent when no write B is visible (its id, or a later write to
//! its block, is there) while some write A that precedes B is missing (its block holds something
//! older than A). Per block the checker keeps the writes in the order the primary volume stored
//! them; the image of a block is a prefix of that order. The image is inconsistent exactly when
//! the earliest-completed missing write completed before the latest-issued visible write was
//! issued, and that pair is the witness the violation names. Both extremes cost O(1) amortized:
//! writes become missing as they complete, in completion order, so a queue in that order (cleaned
//! from the front as writes appear) holds the earliest first; and a block's latest visible write
//! only grows as its image moves forward, so a running maximum holds the latest. A write stored
//! only after it completed, or a block going back to an older version, breaks these orders; those
//! rare cases fall back to a side set and to a scan of the blocks.
//!
//! With [`History::Bounded`] (the default) a write is retired once its host has seen it complete
//! and the image shows it or a later version of its block: no verdict can need it again unless a
//! secondary block goes back past it, which the checker then reports as a `rollback`. Memory
//! follows the writes in flight, not the length of the run.
//!
//! Hosts read only the secondary subsystems the model lets them read (each is readable or
//! fenced, its own state): the image judged is the union of the readable ones, at every instant
//! that set or a readable subsystem's contents change (see `readable.rs`), and the whole image
//! once more at the end of a run with a disaster, whatever the protocol left fenced.
//!
//! Rooms: this file keeps the history and the image's extremes as writes are issued, stored,
//! completed and applied; `record.rs` holds the small records every room shares, `readable.rs`
//! keeps each subsystem's part of them, `verdict.rs` judges an image and describes a violation,
//! `liveness.rs` the end-of-run stall checks, `lag.rs` the oldest write the secondary volumes have
//! not caught up with, and `measures.rs` what the result reads (latencies, RPO, the labelled
//! image).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use schemars::JsonSchema;

mod blocks;
mod lag;
mod liveness;
mod measures;
mod readable;
mod record;
#[cfg(test)]
mod tests;
mod tournament;
mod verdict;
use serde::{Deserialize, Serialize};

use blocks::{Blocks, Slot, Version};
pub use record::WriteId;
use record::{Key, Latest, Part};
use tournament::Tournament;

use super::{Label, LatencyStats, Violation};

/// Where a block lives: subsystem (0-based pair index), volume and block number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlockAddr {
    /// Pair index, 0-based (shown 1-based, as the patent numbers its subsystems).
    pub subsystem: u16,
    /// Volume within the subsystem, 0-based.
    pub volume: u16,
    /// Block within the volume, 0-based.
    pub block: u32,
}

/// The shape of the storage: how to turn a block address into a dense index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// Number of subsystem pairs.
    pub pairs: u16,
    /// Volumes in each subsystem.
    pub volumes: u16,
    /// Blocks in each volume.
    pub blocks: u32,
}

impl Geometry {
    /// Dense index of `a`.
    pub fn index(&self, a: BlockAddr) -> usize {
        (usize::from(a.subsystem) * usize::from(self.volumes) + usize::from(a.volume))
            * self.blocks as usize
            + a.block as usize
    }

    /// The address of dense index `i` (the inverse of [`Geometry::index`]).
    pub fn addr(&self, i: usize) -> BlockAddr {
        let blocks = self.blocks as usize;
        let volume = i / blocks;
        BlockAddr {
            subsystem: (volume / usize::from(self.volumes)) as u16,
            volume: (volume % usize::from(self.volumes)) as u16,
            block: (i % blocks) as u32,
        }
    }
}

/// How much of the hosts' history the checker keeps (the scenario's `checker.history`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum History {
    /// Retire each write once its host has seen it complete and the image shows it or a later
    /// version of its block, so memory follows the writes in flight. A secondary block that goes
    /// back past a retired write is reported as a `rollback` violation: judging that image would
    /// need the writes forgotten (no protocol here ever does it).
    #[default]
    Bounded,
    /// Keep every write for the whole run (about 100 bytes each), and judge exactly even images
    /// whose blocks go back to older versions.
    Full,
}

const NEVER: u64 = u64::MAX;
/// Records the window holds before its oldest unretired write is set aside as a straggler: far
/// more than any run here has in flight (the global scenario peaks under 4,000), so stragglers
/// are the writes really stuck, at 4 MiB of window at most.
const SPAN: usize = 1 << 16;
/// Distinct violations kept with full detail; the rest are only counted.
pub const MAX_REPORTED: usize = 100;

/// What the hosts know of one write: 80 bytes, one per write in flight (every write of the run
/// under [`History::Full`]), so kept lean (labels live beside it; see [`Checker`]).
#[derive(Clone, Copy, Debug)]
struct WriteRec {
    issued: u64,
    stored: u64,
    completed: u64,
    /// When a secondary first showed it.
    applied: u64,
    /// Host-history order of the issue and the completion (a counter over both kinds of event).
    issued_seq: u64,
    completed_seq: u64,
    addr: BlockAddr,
    /// Its block's entry in [`Checker::blocks`].
    slot: Slot,
    size: u32,
    /// Position in its block's stored order, or `u32::MAX` before the primary stored it.
    version: u32,
    /// Its generated label (a DBMS transaction's role), if any.
    label: Label,
}

/// Loss after a disaster (or at the end of the run): writes completed at the primary site that
/// the secondary image does not show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rpo {
    /// Completed writes missing from the image.
    pub lost_writes: u64,
    /// Their bytes.
    pub lost_bytes: u64,
    /// From the completion of the oldest lost write to the reference time (disaster or end).
    pub window_ns: u64,
}

/// Which labelled writes the image shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageSummary {
    /// Labels of writes visible in the image.
    pub present: Vec<String>,
    /// Labels of writes issued but not visible.
    pub absent: Vec<String>,
}

/// Judges secondary images against the hosts' history.
pub struct Checker {
    geometry: Geometry,
    history: History,
    /// Records of the writes from id `first` on; every earlier write is retired or a straggler.
    writes: VecDeque<WriteRec>,
    first: WriteId,
    /// Writes older than `first` that could not be retired when the window moved past them
    /// (one issued to a primary that never came back never completes): kept aside so that
    /// they do not hold every later write in the window.
    stragglers: BTreeMap<WriteId, WriteRec>,
    /// How many records the window holds before its oldest unretired one becomes a straggler.
    span: usize,
    /// Labels of the labelled (scripted) writes, by id.
    labels: BTreeMap<WriteId, String>,
    /// Per block ever written to (memory follows the blocks written, not the capacity).
    blocks: Blocks,
    /// The latest-issued visible write and its block, if the image shows any.
    newest_visible: Option<(Latest, usize)>,
    /// (completion order, id) of writes that became missing when they completed, in that order;
    /// every missing write is here or in `missing_late`, and the front is missing (entries that
    /// stopped being missing are dropped when they reach the front).
    missing: VecDeque<Key>,
    /// Writes that became missing out of completion order: stored after they completed, or
    /// uncovered by a block going back to an older version.
    missing_late: BTreeSet<Key>,
    /// Stored writes, in stored order, whose secondary blocks may not have caught up with them
    /// (the front has not; see `lag.rs`).
    unshown: VecDeque<WriteId>,
    /// How many entries `unshown` kept at its last compaction.
    unshown_kept: usize,
    /// Counter ordering issues and completions as the run saw them.
    history_seq: u64,
    /// Each secondary subsystem's part of the image: readable or fenced, and its extremes.
    parts: Vec<Part>,
    /// How many subsystems are fenced (0: the whole image is readable).
    fenced: usize,
    /// The extremes over the readable parts, for judging while some subsystem is fenced.
    tournament: Tournament,
    reported: BTreeSet<(WriteId, WriteId)>,
    /// False when the times fed in only order events (see [`Checker::hide_times`]).
    times_shown: bool,
    violations: Vec<Violation>,
    violation_count: u64,
    host_latency: LatencyStats,
    applied_writes: u64,
    held_peak: usize,
    /// Moves at every change to the history, the image or the readable set (see
    /// [`Checker::changes`]).
    changes: u64,
}

impl Checker {
    /// A checker for storage of this shape, keeping `history`; every subsystem starts readable,
    /// and the image empty.
    pub fn new(geometry: Geometry, history: History) -> Self {
        Self::with_span(geometry, history, SPAN)
    }

    /// Says that the times this checker is fed only put events in order (the exhaustive search
    /// makes them up), so a violation's detail states the order it judged by, not the times.
    pub fn hide_times(&mut self) {
        self.times_shown = false;
    }

    /// As [`Checker::new`], setting stragglers aside once the window holds `span` records.
    fn with_span(geometry: Geometry, history: History, span: usize) -> Self {
        Checker {
            geometry,
            history,
            writes: VecDeque::new(),
            first: 0,
            stragglers: BTreeMap::new(),
            span: span.max(1),
            labels: BTreeMap::new(),
            blocks: Blocks::new(),
            newest_visible: None,
            missing: VecDeque::new(),
            missing_late: BTreeSet::new(),
            unshown: VecDeque::new(),
            unshown_kept: 0,
            parts: (0..geometry.pairs).map(|_| Part::new()).collect(),
            fenced: 0,
            tournament: Tournament::new(geometry.pairs as usize),
            history_seq: 0,
            reported: BTreeSet::new(),
            times_shown: true,
            violations: Vec::new(),
            violation_count: 0,
            host_latency: LatencyStats::new(),
            applied_writes: 0,
            held_peak: 0,
            changes: 0,
        }
    }

    /// Write `id`'s record, unless it was retired.
    fn rec(&self, id: WriteId) -> Option<&WriteRec> {
        match id.checked_sub(self.first) {
            Some(i) => self.writes.get(i as usize),
            None => self.stragglers.get(&id),
        }
    }

    fn rec_mut(&mut self, id: WriteId) -> &mut WriteRec {
        let rec = match id.checked_sub(self.first) {
            Some(i) => self.writes.get_mut(i as usize),
            None => self.stragglers.get_mut(&id),
        };
        rec.expect("the host history names a write only while it is in flight")
    }

    /// A write's record while it is in flight: every call that names a live write uses this.
    fn live(&self, id: WriteId) -> &WriteRec {
        self.rec(id)
            .expect("the host history names a write only while it is in flight")
    }

    /// Writes the checker holds a record of (all of them under [`History::Full`]).
    pub fn writes_held(&self) -> usize {
        self.writes.len() + self.stragglers.len()
    }

    /// A count that moves whenever the hosts' history, the image or the readable set changes:
    /// whatever is derived from those alone (the image's exposure, after every event) can be
    /// left as it is while the count stands still.
    pub fn changes(&self) -> u64 {
        self.changes
    }

    /// The most writes the checker has held at once.
    pub fn held_peak(&self) -> u64 {
        self.held_peak as u64
    }

    /// A host issued write `id` (ids are dense and in issue order) to `addr` at time `at`.
    pub fn issued(
        &mut self,
        id: WriteId,
        addr: BlockAddr,
        size: u32,
        label: Option<&str>,
        at: u64,
    ) {
        self.changes += 1;
        debug_assert_eq!(
            id,
            self.first + self.writes.len() as u64,
            "write ids must be dense"
        );
        if let Some(l) = label {
            self.labels.insert(id, l.to_string());
        }
        self.history_seq += 1;
        let slot = self.blocks.slot(self.geometry.index(addr));
        self.writes.push_back(WriteRec {
            addr,
            slot,
            size,
            issued_seq: self.history_seq,
            completed_seq: NEVER,
            issued: at,
            stored: NEVER,
            completed: NEVER,
            applied: NEVER,
            version: u32::MAX,
            label: Label::NONE,
        });
        self.held_peak = self.held_peak.max(self.writes_held());
    }

    /// The primary volume stored write `id` at `at`: this fixes its place in its block's order.
    pub fn stored(&mut self, id: WriteId, at: u64) {
        self.changes += 1;
        let (b, k) = {
            let rec = self.live(id);
            (self.geometry.index(rec.addr), rec.slot)
        };
        let rec = self.rec_mut(id);
        rec.stored = at;
        let me = Latest {
            seq: rec.issued_seq,
            id,
            issued: rec.issued,
            label: rec.label,
        };
        let block = self.blocks.at_mut(k);
        let version = block.base + block.versions.len();
        let latest = match block.last {
            Some(l) if l.id > id => l,
            _ => me,
        };
        block.last = Some(latest);
        let visible = block.visible;
        self.blocks.push_version(k, Version { id, latest });
        let rec = self.rec_mut(id);
        rec.version = version as u32;
        if rec.completed_seq != NEVER && version >= visible {
            let key = (rec.completed_seq, id);
            self.missing_late.insert(key);
            let s = self.part_of(b);
            self.parts[s].missing_late.insert(key);
            self.tournament.touch(s);
        }
        self.lag_stored(id);
    }

    /// The host saw write `id` complete at `at`; returns its latency (issue to completion), for
    /// observers that cannot ask later (the write may be retired at once).
    pub fn completed(&mut self, id: WriteId, at: u64) -> u64 {
        self.changes += 1;
        self.history_seq += 1;
        let seq = self.history_seq;
        let rec = self.rec_mut(id);
        rec.completed = at;
        rec.completed_seq = seq;
        let (issued, addr, k, version) = (rec.issued, rec.addr, rec.slot, rec.version);
        let latency = at.saturating_sub(issued);
        self.host_latency.record(latency);
        let b = self.geometry.index(addr);
        if version == u32::MAX {
            return latency;
        }
        if version as usize >= self.blocks.at(k).visible {
            self.missing.push_back((seq, id));
            let s = self.part_of(b);
            self.parts[s].missing.push_back((seq, id));
            self.tournament.touch(s);
        } else {
            self.retire(k);
        }
        latency
    }

    /// Secondary block `addr` now holds write `id` (or, with `None`, its initial contents).
    pub fn applied(&mut self, addr: BlockAddr, id: Option<WriteId>, at: u64) {
        self.changes += 1;
        let b = self.geometry.index(addr);
        let k = self.blocks.slot(b);
        let base = self.blocks.at(k).base;
        let version = match id {
            Some(id) => self
                .rec(id)
                .map(|r| r.version as usize)
                .filter(|&v| v >= base),
            None => Some(0).filter(|_| base == 0),
        };
        let visible = match (version, id) {
            (Some(v), Some(id)) => {
                debug_assert!(
                    v != u32::MAX as usize,
                    "a secondary shows only stored writes"
                );
                let rec = self.rec_mut(id);
                if rec.applied == NEVER {
                    rec.applied = at;
                    self.applied_writes += 1;
                }
                v + 1
            }
            (Some(_), None) => 0,
            (None, _) if id == self.blocks.at(k).shown => self.blocks.at(k).visible,
            (None, _) => {
                self.rollback(b, id, at);
                return;
            }
        };
        let shown_label = id.map_or(Label::NONE, |w| self.label(w));
        let block = self.blocks.at_mut(k);
        let was = std::mem::replace(&mut block.visible, visible);
        block.shown = id;
        block.shown_label = shown_label;
        self.lag_applied(k, visible);
        if visible < was {
            self.uncover(b, visible..was);
        }
        self.update_newest_visible(b, k);
        self.drop_found(b);
        self.retire(k);
        let s = self.part_of(b);
        self.tournament.touch(s);
        if self.parts[s].readable {
            self.check(at);
        }
    }

    /// Block `b` went back: its completed versions in `versions` are missing again.
    fn uncover(&mut self, b: usize, versions: std::ops::Range<usize>) {
        let base = self.blocks[b].base;
        for v in versions {
            let id = self.blocks[b].versions[v - base].id;
            let seq = self.live(id).completed_seq;
            if seq != NEVER {
                self.missing_late.insert((seq, id));
                let s = self.part_of(b);
                self.parts[s].missing_late.insert((seq, id));
            }
        }
    }

    /// Recomputes block `b`'s (in slot `k`) latest visible write and, from it, its subsystem's and
    /// the image's.
    fn update_newest_visible(&mut self, b: usize, k: Slot) {
        let block = self.blocks.at(k);
        let latest = match block.visible {
            0 => None,
            v if v > block.base => Some(block.versions[v - 1 - block.base].latest),
            _ => block.visible_latest,
        };
        let before = std::mem::replace(&mut self.blocks.at_mut(k).visible_latest, latest);
        let grew = match (before, latest) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(x), Some(y)) => y.key() >= x.key(),
        };
        let s = self.part_of(b);
        if grew {
            let l = latest.expect("a grown key");
            let part = &mut self.parts[s];
            if part.newest.is_none_or(|(n, _)| l.key() > n.key()) {
                part.newest = Some((l, b));
            }
            if self.newest_visible.is_none_or(|(n, _)| l.key() > n.key()) {
                self.newest_visible = Some((l, b));
            }
            return;
        }
        if self.parts[s].newest.is_some_and(|(_, nb)| nb == b) {
            // Keys are unique (a block's latest is one of its own writes): the table's order
            // cannot change the maximum.
            self.parts[s].newest = self
                .blocks
                .iter()
                .filter(|&(i, _)| self.part_of(i) == s)
                .filter_map(|(i, k)| k.visible_latest.map(|l| (l, i)))
                .max_by_key(|(l, _)| l.key());
        }
        if self.newest_visible.is_some_and(|(_, nb)| nb == b) {
            self.newest_visible = self
                .parts
                .iter()
                .filter_map(|p| p.newest)
                .max_by_key(|(l, _)| l.key());
        }
    }

    /// Whether the write of `key` is missing: completed, stored, and not shown by its block.
    fn is_missing(&self, key: Key) -> bool {
        self.rec(key.1).is_some_and(|r| {
            r.version != u32::MAX
                && r.completed_seq != NEVER
                && r.version as usize >= self.blocks.at(r.slot).visible
        })
    }

    /// Drops entries that stopped being missing from the front of both missing sets, the
    /// image's and block `b`'s subsystem's (only a change to one of its blocks can make one of its
    /// writes stop being missing), so that each front is the earliest missing write it holds.
    fn drop_found(&mut self, b: usize) {
        while let Some(&k) = self.missing.front() {
            if self.is_missing(k) {
                break;
            }
            self.missing.pop_front();
        }
        while let Some(&k) = self.missing_late.first() {
            if self.is_missing(k) {
                break;
            }
            self.missing_late.pop_first();
        }
        let s = self.part_of(b);
        while let Some(&k) = self.parts[s].missing.front() {
            if self.is_missing(k) {
                break;
            }
            self.parts[s].missing.pop_front();
        }
        while let Some(&k) = self.parts[s].missing_late.first() {
            if self.is_missing(k) {
                break;
            }
            self.parts[s].missing_late.pop_first();
        }
    }

    /// The subsystem (pair index) of dense block index `b`.
    fn part_of(&self, b: usize) -> usize {
        b / (usize::from(self.geometry.volumes) * self.geometry.blocks as usize).max(1)
    }

    /// The earliest-completed missing write's (completion order, id).
    fn earliest_missing(&self) -> Option<Key> {
        match (self.missing.front(), self.missing_late.first()) {
            (Some(&a), Some(&b)) => Some(a.min(b)),
            (a, b) => a.or(b).copied(),
        }
    }

    /// Records that block `b` went back to `id`, past versions [`History::Bounded`] retired.
    fn rollback(&mut self, b: usize, id: Option<WriteId>, at: u64) {
        let newer = self.held_name(b);
        let older = id.map_or_else(|| "its initial contents".to_string(), |w| self.name(w));
        self.violation_count += 1;
        if self.violations.len() < MAX_REPORTED {
            let detail = format!(
                "{} went back from {newer} to {older}, an older version, after the checker had \
                 retired the versions in between (a bounded history); replay with \
                 --set checker.history=full to judge such images exactly",
                self.place_of(self.geometry.addr(b)),
            );
            self.violations.push(Violation {
                kind: crate::check::violation::ROLLBACK.to_string(),
                missing: newer,
                present: older,
                at_ns: at,
                detail,
            });
        }
    }

    /// Under [`History::Bounded`], retires block `b`'s versions that no verdict can need again
    /// (completed, and shown or covered by a later shown version), then the records of every
    /// write retired in issue order.
    fn retire(&mut self, k: Slot) {
        if self.history == History::Full {
            return;
        }
        while self.blocks.at(k).base < self.blocks.at(k).visible {
            let Some(&front) = self.blocks.at(k).versions.front() else {
                break;
            };
            if self.live(front.id).completed == NEVER {
                break;
            }
            if front.id < self.first {
                self.stragglers.remove(&front.id);
            }
            self.blocks.retire_version(k);
        }
        while let Some(rec) = self.writes.front() {
            let retired =
                rec.version != u32::MAX && (rec.version as usize) < self.blocks.at(rec.slot).base;
            if !retired && self.writes.len() <= self.span {
                break;
            }
            let rec = self.writes.pop_front().expect("a front record");
            if !retired {
                self.stragglers.insert(self.first, rec);
            }
            self.first += 1;
        }
    }
}
