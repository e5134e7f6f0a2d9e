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

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use schemars::JsonSchema;

#[path = "liveness.rs"]
mod liveness;
#[path = "readable.rs"]
mod readable;
use readable::Part;
use serde::{Deserialize, Serialize};

use crate::sparse::Sparse;

/// An extreme's key: (history order, write id).
type Key = (u64, u64);
use super::{Label, LatencyStats, Violation};

/// A host write's unique id, assigned in issue order.
pub type WriteId = u64;

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

/// What the hosts know of one write: 72 bytes, one per write in flight (every write of the run
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
    size: u32,
    /// Position in its block's stored order, or `u32::MAX` before the primary stored it.
    version: u32,
    /// Its generated label (a DBMS transaction's role), if any.
    label: Label,
}

/// The latest-issued write of a run of versions: what blocks are ranked by for the latest visible
/// write, and what a violation says of the write it names, kept even after that write is retired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Latest {
    /// Its host-history order of issue.
    seq: u64,
    id: WriteId,
    /// When it was issued.
    issued: u64,
    /// Its generated label, so that a violation names it even after it was retired.
    label: Label,
}

impl Latest {
    fn key(&self) -> Key {
        (self.seq, self.id)
    }
}

/// One entry of a block's stored order.
#[derive(Clone, Copy, Debug)]
struct Version {
    /// The write.
    id: WriteId,
    /// The latest-issued write among this version and those before it (ids are given in issue
    /// order, so it is the one with the largest id).
    latest: Latest,
}

/// One block: its writes in stored order and how many of them the secondary image shows.
#[derive(Default)]
struct Block {
    /// Stored versions from `base` on (those before were retired).
    versions: VecDeque<Version>,
    /// How many versions were retired from the front.
    base: usize,
    /// Versions the image shows (a prefix of the stored order, counted from the first).
    visible: usize,
    /// The write the secondary block holds, if any.
    shown: Option<WriteId>,
    /// Its generated label.
    shown_label: Label,
    /// The latest-issued write among every version stored so far.
    last: Option<Latest>,
    /// The latest-issued write among the versions the image shows.
    visible_latest: Option<Latest>,
}

/// Loss after a disaster (or at the end of the run): writes completed at the primary site that
/// the secondary image does not show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Rpo {
    /// Completed writes missing from the image.
    pub lost_writes: u64,
    /// Their bytes.
    pub lost_bytes: u64,
    /// From the completion of the oldest lost write to the reference time (disaster or end).
    pub window_ns: u64,
}

/// Which labelled writes the image shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
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
    /// Per block ever stored or applied (memory follows the blocks written, not the capacity).
    blocks: Sparse<Block>,
    /// The latest-issued visible write and its block, if the image shows any.
    newest_visible: Option<(Latest, usize)>,
    /// (completion order, id) of writes that became missing when they completed, in that order;
    /// every missing write is here or in `missing_late`, and the front is missing (entries that
    /// stopped being missing are dropped when they reach the front).
    missing: VecDeque<Key>,
    /// Writes that became missing out of completion order: stored after they completed, or
    /// uncovered by a block going back to an older version.
    missing_late: BTreeSet<Key>,
    /// Counter ordering issues and completions as the run saw them.
    history_seq: u64,
    /// Each secondary subsystem's part of the image: readable or fenced, and its extremes.
    parts: Vec<Part>,
    /// How many subsystems are fenced (0: the whole image is readable).
    fenced: usize,
    reported: BTreeSet<(WriteId, WriteId)>,
    violations: Vec<Violation>,
    violation_count: u64,
    host_latency: LatencyStats,
    lag: LatencyStats,
    applied_writes: u64,
    held_peak: usize,
}

impl Checker {
    /// A checker for storage of this shape, keeping `history`; every subsystem starts readable,
    /// and the image empty.
    pub fn new(geometry: Geometry, history: History) -> Self {
        Self::with_span(geometry, history, SPAN)
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
            blocks: Sparse::new(),
            newest_visible: None,
            missing: VecDeque::new(),
            missing_late: BTreeSet::new(),
            parts: (0..geometry.pairs).map(|_| Part::new()).collect(),
            fenced: 0,
            history_seq: 0,
            reported: BTreeSet::new(),
            violations: Vec::new(),
            violation_count: 0,
            host_latency: LatencyStats::new(),
            lag: LatencyStats::new(),
            applied_writes: 0,
            held_peak: 0,
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
        debug_assert_eq!(
            id,
            self.first + self.writes.len() as u64,
            "write ids must be dense"
        );
        if let Some(l) = label {
            self.labels.insert(id, l.to_string());
        }
        self.history_seq += 1;
        self.writes.push_back(WriteRec {
            addr,
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
        let b = self.geometry.index(self.live(id).addr);
        let rec = self.rec_mut(id);
        rec.stored = at;
        let me = Latest {
            seq: rec.issued_seq,
            id,
            issued: rec.issued,
            label: rec.label,
        };
        let block = &mut self.blocks[b];
        let version = block.base + block.versions.len();
        let latest = match block.last {
            Some(l) if l.id > id => l,
            _ => me,
        };
        block.last = Some(latest);
        block.versions.push_back(Version { id, latest });
        let visible = self.blocks[b].visible;
        let rec = self.rec_mut(id);
        rec.version = version as u32;
        if rec.completed_seq != NEVER && version >= visible {
            let key = (rec.completed_seq, id);
            self.missing_late.insert(key);
            let s = self.part_of(b);
            self.parts[s].missing_late.insert(key);
        }
    }

    /// The host saw write `id` complete at `at`; returns its latency (issue to completion), for
    /// observers that cannot ask later (the write may be retired at once).
    pub fn completed(&mut self, id: WriteId, at: u64) -> u64 {
        self.history_seq += 1;
        let seq = self.history_seq;
        let rec = self.rec_mut(id);
        rec.completed = at;
        rec.completed_seq = seq;
        let (issued, addr, version) = (rec.issued, rec.addr, rec.version);
        let latency = at.saturating_sub(issued);
        self.host_latency.record(latency);
        let b = self.geometry.index(addr);
        if version == u32::MAX {
            return latency;
        }
        if version as usize >= self.blocks[b].visible {
            self.missing.push_back((seq, id));
            let s = self.part_of(b);
            self.parts[s].missing.push_back((seq, id));
        } else {
            self.retire(b);
        }
        latency
    }

    /// Secondary block `addr` now holds write `id` (or, with `None`, its initial contents).
    pub fn applied(&mut self, addr: BlockAddr, id: Option<WriteId>, at: u64) {
        let b = self.geometry.index(addr);
        let base = self.blocks[b].base;
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
                    let stored = rec.stored;
                    self.applied_writes += 1;
                    self.lag.record(at.saturating_sub(stored));
                }
                v + 1
            }
            (Some(_), None) => 0,
            (None, _) if id == self.blocks[b].shown => self.blocks[b].visible,
            (None, _) => {
                self.rollback(b, id, at);
                return;
            }
        };
        let was = std::mem::replace(&mut self.blocks[b].visible, visible);
        self.blocks[b].shown = id;
        self.blocks[b].shown_label = id.map_or(Label::NONE, |w| self.label(w));
        if visible < was {
            self.uncover(b, visible..was);
        }
        self.update_newest_visible(b);
        self.drop_found(b);
        self.retire(b);
        let s = self.part_of(b);
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

    /// Recomputes block `b`'s latest visible write and, from it, its subsystem's and the image's.
    fn update_newest_visible(&mut self, b: usize) {
        let block = &self.blocks[b];
        let latest = match block.visible {
            0 => None,
            v if v > block.base => Some(block.versions[v - 1 - block.base].latest),
            _ => block.visible_latest,
        };
        let before = std::mem::replace(&mut self.blocks[b].visible_latest, latest);
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
                && r.version as usize >= self.blocks[self.geometry.index(r.addr)].visible
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
                kind: "rollback".to_string(),
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
    fn retire(&mut self, b: usize) {
        if self.history == History::Full {
            return;
        }
        while self.blocks[b].base < self.blocks[b].visible {
            let Some(&front) = self.blocks[b].versions.front() else {
                break;
            };
            if self.live(front.id).completed == NEVER {
                break;
            }
            if front.id < self.first {
                self.stragglers.remove(&front.id);
            }
            let block = &mut self.blocks[b];
            block.versions.pop_front();
            block.base += 1;
        }
        while let Some(rec) = self.writes.front() {
            let retired = rec.version != u32::MAX
                && (rec.version as usize) < self.blocks[self.geometry.index(rec.addr)].base;
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

    /// Judges the image hosts can read as it stands at `at` (the union of the readable
    /// subsystems), recording a violation if it breaks the rule.
    pub fn check(&mut self, at: u64) -> bool {
        if self.fenced > 0 {
            let (missing, present) = self.readable_extremes();
            return self.judge(missing, present, at);
        }
        self.judge(self.earliest_missing(), self.newest_visible, at)
    }

    /// Judges the whole image (every secondary, readable or fenced) as it stands at `at`: what
    /// hosts get once the secondary site is theirs after a disaster, whatever the protocol left.
    pub fn check_whole(&mut self, at: u64) -> bool {
        self.judge(self.earliest_missing(), self.newest_visible, at)
    }

    /// Records a violation when the earliest-completed `missing` write completed before the
    /// latest-issued `present` one was issued.
    fn judge(&mut self, missing: Option<Key>, present: Option<(Latest, usize)>, at: u64) -> bool {
        let (Some((completed, a)), Some((newest, slot))) = (missing, present) else {
            return true;
        };
        let (issued, b) = newest.key();
        if completed >= issued {
            return true;
        }
        if self.reported.insert((a, b)) {
            self.violation_count += 1;
            if self.violations.len() < MAX_REPORTED {
                let v = self.describe(a, (newest, slot), at);
                self.violations.push(v);
            }
        }
        false
    }

    /// The generated label of write `id` (set with [`Checker::set_label`]), while it is held.
    pub fn label(&self, id: WriteId) -> Label {
        self.rec(id).map_or(Label::NONE, |r| r.label)
    }

    /// Gives the write just issued as `id` its generated label (a DBMS transaction's role).
    pub fn set_label(&mut self, id: WriteId, label: Label) {
        self.rec_mut(id).label = label;
    }

    /// How violations name write `id`: its scripted label, its generated one, or `w<id>`.
    pub(super) fn name(&self, id: WriteId) -> String {
        self.name_as(id, self.label(id))
    }

    /// As [`Checker::name`], for a write whose generated label is known to be `label` (the
    /// checker may have retired its record).
    fn name_as(&self, id: WriteId, label: Label) -> String {
        match self.labels.get(&id) {
            Some(l) => l.clone(),
            None => label.name(id),
        }
    }

    /// The name of what block `b` of the secondary holds.
    fn held_name(&self, b: usize) -> String {
        let block = &self.blocks[b];
        block.shown.map_or_else(
            || "its initial contents".to_string(),
            |w| self.name_as(w, block.shown_label),
        )
    }

    fn place_of(&self, a: BlockAddr) -> String {
        format!(
            "subsystem {} volume {} block {}",
            a.subsystem + 1,
            a.volume,
            a.block
        )
    }

    /// The violation whose missing write is `missing` and whose present write is `present`
    /// (the latest-issued visible one, and its block).
    fn describe(&self, missing: WriteId, present: (Latest, usize), at: u64) -> Violation {
        let m = self.live(missing);
        let (p, slot) = present;
        let held = self.held_name(self.geometry.index(m.addr));
        Violation {
            kind: "dependent-write".to_string(),
            missing: self.name(missing),
            present: self.name_as(p.id, p.label),
            at_ns: at,
            detail: format!(
                "{} ({}) is visible on the secondary, but {} ({}) is not: {} completed at {} ns \
                 and only then was {} issued (at {} ns), so it depends on it; {}'s block holds {}",
                self.name_as(p.id, p.label),
                self.place_of(self.geometry.addr(slot)),
                self.name(missing),
                self.place_of(m.addr),
                self.name(missing),
                m.completed,
                self.name_as(p.id, p.label),
                p.issued,
                self.name(missing),
                held
            ),
        }
    }

    /// Violations found so far (at most [`MAX_REPORTED`], in the order found).
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Distinct (missing, present) pairs found, including those beyond the reported ones.
    pub fn violation_count(&self) -> u64 {
        self.violation_count
    }

    /// Writes shown by the secondary at least once.
    pub fn applied_writes(&self) -> u64 {
        self.applied_writes
    }

    /// Host write latency (issue to completion).
    pub fn host_latency(&self) -> &LatencyStats {
        &self.host_latency
    }

    /// Secondary lag (stored on the primary to first shown on the secondary).
    pub fn lag(&self) -> &LatencyStats {
        &self.lag
    }

    /// When the primary volume stored write `id`, if it has and the checker still holds it (for
    /// metrics and reports: a write is held at least until a secondary first shows it).
    pub fn stored_at(&self, id: WriteId) -> Option<u64> {
        self.rec(id).map(|r| r.stored).filter(|&t| t != NEVER)
    }

    /// When a secondary volume first showed write `id`, if one has and the checker still holds
    /// it (for metrics and reports).
    pub fn applied_at(&self, id: WriteId) -> Option<u64> {
        self.rec(id).map(|r| r.applied).filter(|&t| t != NEVER)
    }

    /// Completion time of the earliest-completed write the image lacks, if it lacks any: the
    /// image's data exposure at time `t` is `t` minus this (for metrics and reports).
    pub fn oldest_missing_completion(&self) -> Option<u64> {
        self.earliest_missing()
            .map(|(_, id)| self.live(id).completed)
    }

    /// Whether the image shows write `id` (a retired write is shown, or covered).
    fn is_visible(&self, id: WriteId) -> bool {
        let Some(rec) = self.rec(id) else {
            return id < self.first;
        };
        rec.version != u32::MAX
            && (rec.version as usize) < self.blocks[self.geometry.index(rec.addr)].visible
    }

    /// The writes the checker holds, with their ids.
    fn held(&self) -> impl Iterator<Item = (WriteId, &WriteRec)> {
        let stragglers = self.stragglers.iter().map(|(&id, r)| (id, r));
        stragglers.chain((self.first..).zip(self.writes.iter()))
    }

    /// What the image has lost: writes completed at the host by `reference` that it does not show.
    pub fn rpo(&self, reference: u64) -> Rpo {
        let mut rpo = Rpo::default();
        let mut oldest = NEVER;
        for (id, rec) in self.held() {
            if rec.completed <= reference && !self.is_visible(id) {
                rpo.lost_writes += 1;
                rpo.lost_bytes += u64::from(rec.size);
                oldest = oldest.min(rec.completed);
            }
        }
        if oldest != NEVER {
            rpo.window_ns = reference.saturating_sub(oldest);
        }
        rpo
    }

    /// The labelled writes the image shows and does not show, in issue order.
    pub fn image(&self) -> ImageSummary {
        let mut s = ImageSummary::default();
        for (&id, name) in &self.labels {
            if self.is_visible(id) {
                s.present.push(name.clone());
            } else {
                s.absent.push(name.clone());
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const G: Geometry = Geometry {
        pairs: 2,
        volumes: 1,
        blocks: 8,
    };

    fn addr(subsystem: u16, block: u32) -> BlockAddr {
        BlockAddr {
            subsystem,
            volume: 0,
            block,
        }
    }

    /// Issues, stores and completes a write in one step: [issued, completed].
    fn write(c: &mut Checker, id: WriteId, a: BlockAddr, label: &str, span: [u64; 2]) {
        c.issued(id, a, 4096, Some(label), span[0]);
        c.stored(id, span[0] + 1);
        c.completed(id, span[1]);
    }

    /// The patent's Figure 1: io1 on subsystem 1, then io2 on subsystem 2, then io3 on subsystem 1.
    fn figure1() -> Checker {
        let mut c = Checker::new(G, History::Bounded);
        write(&mut c, 0, addr(0, 0), "io1", [0, 10]);
        write(&mut c, 1, addr(1, 0), "io2", [11, 20]);
        write(&mut c, 2, addr(0, 1), "io3", [21, 30]);
        c
    }

    #[test]
    fn prefix_images_are_consistent() {
        let mut c = figure1();
        c.applied(addr(0, 0), Some(0), 40);
        c.applied(addr(1, 0), Some(1), 41);
        c.applied(addr(0, 1), Some(2), 42);
        assert!(c.violations().is_empty());
        assert_eq!(c.image().present, vec!["io1", "io2", "io3"]);
        assert_eq!(c.rpo(100), Rpo::default());
    }

    #[test]
    fn io3_without_io2_is_a_violation_naming_both() {
        let mut c = figure1();
        c.applied(addr(0, 0), Some(0), 40);
        c.applied(addr(0, 1), Some(2), 41);
        assert_eq!(c.violations().len(), 1);
        let v = &c.violations()[0];
        assert_eq!(v.kind, "dependent-write");
        assert_eq!(v.missing, "io2");
        assert_eq!(v.present, "io3");
        assert_eq!(v.at_ns, 41);
        assert!(
            v.detail.contains("subsystem 2 volume 0 block 0"),
            "{}",
            v.detail
        );
        let image = c.image();
        assert_eq!(image.present, vec!["io1", "io3"]);
        assert_eq!(image.absent, vec!["io2"]);
    }

    #[test]
    fn a_closed_image_is_not_judged_until_it_opens() {
        let mut c = figure1();
        c.set_readable(0, false, 35);
        c.set_readable(1, false, 35);
        c.applied(addr(0, 1), Some(2), 41);
        assert!(c.violations().is_empty());
        c.applied(addr(1, 0), Some(1), 42);
        c.applied(addr(0, 0), Some(0), 43);
        c.set_readable(1, true, 44);
        c.set_readable(0, true, 44);
        assert!(c.violations().is_empty());
    }

    #[test]
    fn opening_an_inconsistent_image_is_a_violation() {
        let mut c = figure1();
        c.set_readable(0, false, 35);
        c.applied(addr(0, 1), Some(2), 41);
        assert!(c.violations().is_empty());
        c.set_readable(0, true, 44);
        assert_eq!(c.violations().len(), 1);
        assert_eq!(c.violations()[0].at_ns, 44);
    }

    #[test]
    fn issue_in_the_same_nanosecond_after_completion_still_depends() {
        let mut c = Checker::new(G, History::Bounded);
        write(&mut c, 0, addr(1, 0), "io2", [0, 10]);
        write(&mut c, 1, addr(0, 0), "io3", [10, 20]);
        c.applied(addr(0, 0), Some(1), 30);
        assert_eq!(c.violations().len(), 1);
        assert_eq!(c.violations()[0].missing, "io2");
    }

    #[test]
    fn concurrent_writes_do_not_depend_on_each_other() {
        let mut c = Checker::new(G, History::Bounded);
        c.issued(0, addr(0, 0), 4096, Some("x"), 0);
        c.issued(1, addr(1, 0), 4096, Some("y"), 5);
        c.stored(0, 6);
        c.stored(1, 7);
        c.completed(0, 10);
        c.completed(1, 12);
        c.applied(addr(1, 0), Some(1), 20);
        assert!(c.violations().is_empty(), "y was issued before x completed");
    }

    #[test]
    fn an_overwrite_covers_the_older_write() {
        let mut c = Checker::new(G, History::Bounded);
        write(&mut c, 0, addr(0, 0), "old", [0, 10]);
        write(&mut c, 1, addr(0, 0), "new", [11, 20]);
        write(&mut c, 2, addr(1, 0), "after", [21, 30]);
        c.applied(addr(0, 0), Some(1), 40);
        c.applied(addr(1, 0), Some(2), 41);
        assert!(c.violations().is_empty(), "old is covered by new");
        assert_eq!(c.image().present, vec!["old", "new", "after"]);
    }

    #[test]
    fn an_overwrite_going_back_exposes_the_missing_newer_write() {
        let mut c = Checker::new(G, History::Full);
        write(&mut c, 0, addr(0, 0), "old", [0, 10]);
        write(&mut c, 1, addr(0, 0), "new", [11, 20]);
        write(&mut c, 2, addr(1, 0), "after", [21, 30]);
        c.applied(addr(1, 0), Some(2), 40);
        c.applied(addr(0, 0), Some(0), 41);
        assert_eq!(c.violations().len(), 2, "{:?}", c.violations());
        assert_eq!(c.violations()[1].missing, "new");
        assert_eq!(c.violations()[1].present, "after");
    }

    #[test]
    fn a_bounded_history_reports_going_back_past_a_retired_write() {
        let mut c = Checker::new(G, History::Bounded);
        write(&mut c, 0, addr(0, 0), "old", [0, 10]);
        write(&mut c, 1, addr(0, 0), "new", [11, 20]);
        c.applied(addr(0, 0), Some(1), 40);
        assert_eq!(
            c.writes_held(),
            0,
            "both writes are shown or covered, and completed"
        );
        c.applied(addr(0, 0), Some(1), 41);
        assert!(
            c.violations().is_empty(),
            "showing the same write again is no change"
        );
        c.applied(addr(0, 0), Some(0), 42);
        let v = &c.violations()[0];
        assert_eq!(
            (v.kind.as_str(), v.missing.as_str(), v.present.as_str()),
            ("rollback", "new", "old")
        );
        assert!(v.detail.contains("checker.history=full"), "{}", v.detail);
        assert_eq!(
            c.image().present,
            vec!["old", "new"],
            "retired writes count as shown"
        );
        c.applied(addr(0, 0), Some(1), 43);
        assert_eq!(
            c.violation_count(),
            1,
            "moving forward again is no second rollback"
        );
    }

    #[test]
    fn a_bounded_history_holds_only_writes_in_flight() {
        let mut c = Checker::new(G, History::Bounded);
        for id in 0..1000 {
            let a = addr((id % 2) as u16, (id % 8) as u32);
            c.issued(id, a, 4096, None, 10 * id);
            c.stored(id, 10 * id + 1);
            c.completed(id, 10 * id + 2);
            if id >= 3 {
                let shown = id - 3;
                c.applied(
                    addr((shown % 2) as u16, (shown % 8) as u32),
                    Some(shown),
                    10 * id + 3,
                );
            }
        }
        assert!(c.violations().is_empty());
        assert_eq!(c.writes_held(), 3, "only the three writes not yet applied");
        assert_eq!(c.rpo(100_000).lost_writes, 3);
    }

    #[test]
    fn a_write_that_never_completes_does_not_hold_every_later_one() {
        let mut c = Checker::with_span(G, History::Bounded, 8);
        c.issued(0, addr(1, 7), 4096, Some("stuck"), 0);
        for id in 1..1000 {
            let a = addr(0, (id % 8) as u32);
            c.issued(id, a, 4096, None, 10 * id);
            c.stored(id, 10 * id + 1);
            c.completed(id, 10 * id + 2);
            c.applied(a, Some(id), 10 * id + 3);
        }
        assert!(c.violations().is_empty());
        assert!(c.writes_held() <= 9 + 1, "held {}", c.writes_held());
        assert_eq!(c.image().absent, vec!["stuck"]);
        c.stored(0, 20_000);
        c.completed(0, 20_001);
        assert_eq!(
            c.rpo(30_000).lost_writes,
            1,
            "the straggler is still judged"
        );
        c.applied(addr(1, 7), Some(0), 20_002);
        assert_eq!(c.writes_held(), 0, "and retired once shown");
        assert_eq!(c.image().present, vec!["stuck"]);
    }

    #[test]
    fn a_write_never_completed_is_never_required() {
        let mut c = Checker::new(G, History::Bounded);
        c.issued(0, addr(0, 0), 4096, Some("pending"), 0);
        c.stored(0, 1);
        write(&mut c, 1, addr(1, 0), "later", [50, 60]);
        c.applied(addr(1, 0), Some(1), 70);
        assert!(c.violations().is_empty());
        assert_eq!(
            c.rpo(100),
            Rpo::default(),
            "an uncompleted write is not lost"
        );
    }

    #[test]
    fn rpo_counts_completed_missing_writes() {
        let mut c = figure1();
        c.applied(addr(0, 0), Some(0), 40);
        let rpo = c.rpo(100);
        assert_eq!(rpo.lost_writes, 2);
        assert_eq!(rpo.lost_bytes, 8192);
        assert_eq!(rpo.window_ns, 80, "io2 completed at 20");
    }

    #[test]
    fn liveness_flags_the_oldest_write_left_behind() {
        let mut c = figure1();
        c.applied(addr(0, 0), Some(0), 40);
        assert!(c.liveness(15, 100), "io2 completed after the deadline");
        assert!(!c.liveness(25, 100));
        let v = c.violations().last().expect("a liveness violation");
        assert_eq!(v.kind, "liveness");
        assert_eq!(v.missing, "io2");
        assert!(
            v.detail.contains("copy stalled since 20 ns"),
            "{}",
            v.detail
        );
        assert!(
            v.detail.contains("newest visible write: io1"),
            "{}",
            v.detail
        );
        assert!(v.detail.contains("1 such writes"), "{}", v.detail);
    }

    #[test]
    fn each_pair_is_reported_once() {
        let mut c = figure1();
        c.applied(addr(0, 1), Some(2), 41);
        c.applied(addr(0, 1), Some(2), 42);
        c.check(43);
        assert_eq!(c.violation_count(), 1);
    }

    #[test]
    fn lag_and_latency_are_measured() {
        let mut c = figure1();
        c.applied(addr(0, 0), Some(0), 101);
        assert_eq!(c.lag().percentiles().max, 100);
        assert_eq!(c.host_latency().percentiles().max, 10);
        assert_eq!(c.applied_writes(), 1);
    }

    /// A brute-force judge of the same rule, from first principles: every write kept, every
    /// image judged by looking at every pair. The checker must agree with it on any history,
    /// so a change to the checker's bookkeeping (or its memory) cannot change a verdict.
    mod oracle {
        use super::*;
        use proptest::prelude::*;
        use std::collections::BTreeMap;

        const G: Geometry = Geometry {
            pairs: 2,
            volumes: 1,
            blocks: 2,
        };

        /// One step of a random host history and secondary image.
        #[derive(Clone, Debug)]
        pub enum Op {
            /// Issue a write to block `b` (of 4), labelled if `label`.
            Issue(u8, bool),
            /// Store the `k`-th issued write not yet stored.
            Store(u8),
            /// Complete the `k`-th stored write not yet completed.
            Complete(u8),
            /// Secondary block `b` shows its `v`-th stored version (any, older ones too), or,
            /// past the end, its initial contents.
            Apply(u8, u8),
            /// Fence (`false`) or unfence subsystem `s` (of 2).
            Readable(u8, bool),
            /// Judge the image now.
            Check,
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                4 => (0u8..4, any::<bool>()).prop_map(|(b, l)| Op::Issue(b, l)),
                4 => (0u8..8).prop_map(Op::Store),
                4 => (0u8..8).prop_map(Op::Complete),
                5 => (0u8..4, 0u8..10).prop_map(|(b, v)| Op::Apply(b, v)),
                2 => (0u8..2, any::<bool>()).prop_map(|(s, r)| Op::Readable(s, r)),
                1 => Just(Op::Check),
            ]
        }

        #[derive(Clone, Copy, Default)]
        struct W {
            block: usize,
            issued_seq: u64,
            completed_seq: Option<u64>,
            completed: u64,
            stored: bool,
            version: usize,
            size: u64,
        }

        /// What the oracle concludes: (missing, present, at) of each distinct pair, in order.
        #[derive(Default)]
        struct Judge {
            writes: Vec<W>,
            order: Vec<Vec<usize>>,
            visible: Vec<usize>,
            seq: u64,
            readable: [bool; 2],
            found: Vec<(usize, usize, u64)>,
        }

        impl Judge {
            /// Judges the image made of the readable subsystems (blocks 0-1 are subsystem 0's).
            fn judge(&mut self, at: u64) {
                let readable = |w: &W| self.readable[w.block / 2];
                let missing = (0..self.writes.len())
                    .filter(|&i| {
                        let w = &self.writes[i];
                        readable(w)
                            && w.stored
                            && w.completed_seq.is_some()
                            && w.version >= self.visible[w.block]
                    })
                    .min_by_key(|&i| (self.writes[i].completed_seq, i));
                let present = (0..self.writes.len())
                    .filter(|&i| {
                        let w = &self.writes[i];
                        readable(w) && w.stored && w.version < self.visible[w.block]
                    })
                    .max_by_key(|&i| (self.writes[i].issued_seq, i));
                if let (Some(a), Some(b)) = (missing, present) {
                    if self.writes[a].completed_seq < Some(self.writes[b].issued_seq)
                        && !self.found.iter().any(|&(x, y, _)| (x, y) == (a, b))
                    {
                        self.found.push((a, b, at));
                    }
                }
            }
        }

        fn name(id: usize, labelled: &BTreeMap<usize, String>) -> String {
            labelled
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("w{id}"))
        }

        /// Replays `ops` against the checker keeping `history` and against the judge. With
        /// `forward`, an apply that would take a block back to an older version is skipped.
        fn replay(ops: &[Op], history: History, forward: bool) -> Result<(), TestCaseError> {
            let addr = |b: usize| BlockAddr {
                subsystem: (b / 2) as u16,
                volume: 0,
                block: (b % 2) as u32,
            };
            // A span of 3 sets writes aside as stragglers all the time.
            let mut c = Checker::with_span(G, history, 3);
            let mut j = Judge {
                order: vec![Vec::new(); 4],
                visible: vec![0; 4],
                readable: [true; 2],
                ..Judge::default()
            };
            let mut labelled = BTreeMap::new();
            let mut went_back = Vec::new();
            for (t, op) in ops.iter().enumerate() {
                let at = t as u64 * 10;
                match *op {
                    Op::Issue(b, label) => {
                        let id = j.writes.len();
                        let l = label.then(|| format!("L{id}"));
                        if let Some(l) = &l {
                            labelled.insert(id, l.clone());
                        }
                        let size = 512 * (1 + id as u32 % 3);
                        c.issued(id as u64, addr(b as usize), size, l.as_deref(), at);
                        j.seq += 1;
                        j.writes.push(W {
                            block: b as usize,
                            issued_seq: j.seq,
                            size: u64::from(size),
                            ..W::default()
                        });
                    }
                    Op::Store(k) => {
                        let unstored: Vec<usize> = (0..j.writes.len())
                            .filter(|&i| !j.writes[i].stored)
                            .collect();
                        if let Some(&id) = unstored.get(k as usize % unstored.len().max(1)) {
                            c.stored(id as u64, at);
                            let w = &mut j.writes[id];
                            w.stored = true;
                            w.version = j.order[w.block].len();
                            j.order[w.block].push(id);
                        }
                    }
                    Op::Complete(k) => {
                        let pending: Vec<usize> = (0..j.writes.len())
                            .filter(|&i| j.writes[i].stored && j.writes[i].completed_seq.is_none())
                            .collect();
                        if let Some(&id) = pending.get(k as usize % pending.len().max(1)) {
                            c.completed(id as u64, at);
                            j.seq += 1;
                            j.writes[id].completed_seq = Some(j.seq);
                            j.writes[id].completed = at;
                        }
                    }
                    Op::Apply(b, v) => {
                        let b = b as usize;
                        let shown = j.order[b].get(v as usize).copied();
                        let visible = shown.map_or(0, |id| j.writes[id].version + 1);
                        if forward && visible < j.visible[b] {
                            continue;
                        }
                        if visible < j.visible[b] && history == History::Bounded {
                            went_back.push(at);
                        }
                        c.applied(addr(b), shown.map(|id| id as u64), at);
                        j.visible[b] = shown.map_or(0, |id| j.writes[id].version + 1);
                        if j.readable[b / 2] {
                            j.judge(at);
                        }
                    }
                    Op::Readable(s, readable) => {
                        c.set_readable(u16::from(s), readable, at);
                        if j.readable[usize::from(s)] != readable {
                            j.readable[usize::from(s)] = readable;
                            j.judge(at);
                        }
                    }
                    Op::Check => {
                        c.check(at);
                        j.judge(at);
                    }
                }
            }
            let want: Vec<(String, String, u64)> = j
                .found
                .iter()
                .map(|&(a, b, at)| (name(a, &labelled), name(b, &labelled), at))
                .collect();
            let got: Vec<(String, String, u64)> = c
                .violations()
                .iter()
                .map(|v| (v.missing.clone(), v.present.clone(), v.at_ns))
                .collect();
            if let Some(r) = c.violations().iter().position(|v| v.kind == "rollback") {
                let at = c.violations()[r].at_ns;
                prop_assert!(
                    went_back.contains(&at),
                    "a rollback is reported only when a block went back"
                );
                let before = want.iter().take_while(|w| w.2 < at).count();
                prop_assert_eq!(&got[..r], &want[..before.min(r)]);
                return Ok(());
            }
            prop_assert_eq!(got, want);
            prop_assert_eq!(c.violation_count(), j.found.len() as u64);
            let reference = ops.len() as u64 * 5;
            let lost: Vec<&W> = j
                .writes
                .iter()
                .filter(|w| {
                    w.completed_seq.is_some()
                        && w.completed <= reference
                        && !(w.stored && w.version < j.visible[w.block])
                })
                .collect();
            let rpo = c.rpo(reference);
            prop_assert_eq!(rpo.lost_writes, lost.len() as u64);
            prop_assert_eq!(rpo.lost_bytes, lost.iter().map(|w| w.size).sum::<u64>());
            let oldest = lost.iter().map(|w| w.completed).min();
            prop_assert_eq!(rpo.window_ns, oldest.map_or(0, |o| reference - o));
            let image = c.image();
            for (id, l) in &labelled {
                let w = &j.writes[*id];
                let shown = w.stored && w.version < j.visible[w.block];
                prop_assert_eq!(image.present.contains(l), shown);
                prop_assert_eq!(image.absent.contains(l), !shown);
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(384))]

            /// Random histories, with images that go back to older versions and to the initial
            /// contents: the checker's violations (pairs, order, times), count, RPO and image
            /// are the brute-force judge's.
            #[test]
            fn checker_agrees_with_brute_force(ops in prop::collection::vec(op(), 0..120)) {
                replay(&ops, History::Full, false)?;
            }

            /// The bounded history gives the same verdicts, RPO and image as the judge whenever
            /// blocks only move forward, which is how every protocol here applies.
            #[test]
            fn bounded_history_agrees_when_images_move_forward(ops in prop::collection::vec(op(), 0..120)) {
                replay(&ops, History::Bounded, true)?;
            }

            /// On any history the bounded checker agrees with the judge until it reports a
            /// `rollback`, and reports one only when a block really went back.
            #[test]
            fn bounded_history_reports_rollbacks_it_cannot_judge(ops in prop::collection::vec(op(), 0..120)) {
                replay(&ops, History::Bounded, false)?;
            }
        }
    }
}
