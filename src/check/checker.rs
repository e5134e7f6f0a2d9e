//! The dependent-write checker.
//!
//! Write A precedes write B when A completed at its host before B was issued, in the run's total
//! order of events (so a write issued in the same nanosecond as, but after, the completion it
//! waited for still depends on it). An image (the blocks
//! on the secondary volumes) is consistent when no write B is visible (its id, or a later write to
//! its block, is there) while some write A that precedes B is missing (its block holds something
//! older than A). Per block the checker keeps the writes in the order the primary volume stored
//! them; the image of a block is a prefix of that order. Two tournament trees over the blocks
//! give, in O(log blocks), the earliest-completed missing write and the latest-issued visible
//! write: the image is inconsistent exactly when the first completed before the second was
//! issued, and that pair is the witness the violation names.

use std::collections::{BTreeMap, BTreeSet};

use super::{LatencyStats, Violation};

/// A host write's unique id, assigned in issue order.
pub type WriteId = u64;

/// Where a block lives: subsystem (0-based pair index), volume and block number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
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
    /// Total blocks on one site.
    pub fn total_blocks(&self) -> usize {
        usize::from(self.pairs) * usize::from(self.volumes) * self.blocks as usize
    }

    /// Dense index of `a`.
    pub fn index(&self, a: BlockAddr) -> usize {
        (usize::from(a.subsystem) * usize::from(self.volumes) + usize::from(a.volume))
            * self.blocks as usize
            + a.block as usize
    }
}

const NEVER: u64 = u64::MAX;
/// Distinct violations kept with full detail; the rest are only counted.
pub const MAX_REPORTED: usize = 100;

/// What the hosts know of one write: 64 bytes, one per write of the run, so kept lean (labels
/// live beside it; see [`Checker`]).
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
}

/// One entry of a block's stored order.
#[derive(Clone, Copy, Debug)]
struct Version {
    /// The write.
    id: WriteId,
    /// The latest-issued write among this version and those before it. Ids are given in issue
    /// order and the history counter grows with every issue, so the latest-issued is the
    /// largest id, and its (issue order, id) key is read from its record.
    latest: WriteId,
}

/// One block: its writes in stored order and how many of them the secondary image shows.
#[derive(Default)]
struct Block {
    versions: Vec<Version>,
    visible: usize,
    /// This block's keys in the two tournaments, to update them only on change.
    visible_key: Option<(u64, WriteId)>,
    missing_key: Option<(u64, WriteId)>,
}

/// A set key: (history order, write id).
type Key = (u64, WriteId);

/// One key per block (or none) and the extreme one among them: a tournament tree over the
/// block indices, the smallest key at the root when `MAX` is false, the largest when true.
/// Changing a block's key walks one leaf-to-root path of flat array slots, where an ordered
/// set would remove, search and insert tree nodes; the extreme is the same either way, since
/// each key names a write of its own block only.
struct Tournament<const MAX: bool> {
    /// Leaves (a power of two); node `i`'s children are `2i` and `2i + 1`, leaf `b` is
    /// `leaves + b`.
    leaves: usize,
    nodes: Vec<Key>,
}

impl<const MAX: bool> Tournament<MAX> {
    /// The key no real key can be: below every key for a max-tree (history order starts at
    /// 1), above every key for a min-tree (a missing write has completed, so its order is
    /// never `NEVER`).
    const EMPTY: Key = if MAX { (0, 0) } else { (NEVER, NEVER) };

    fn new(blocks: usize) -> Self {
        let leaves = blocks.max(1).next_power_of_two();
        Tournament {
            leaves,
            nodes: vec![Self::EMPTY; 2 * leaves],
        }
    }

    fn better(a: Key, b: Key) -> Key {
        if MAX {
            a.max(b)
        } else {
            a.min(b)
        }
    }

    /// Sets (or with `None` clears) block `b`'s key.
    fn set(&mut self, b: usize, key: Option<Key>) {
        let mut n = self.leaves + b;
        self.nodes[n] = key.unwrap_or(Self::EMPTY);
        while n > 1 {
            n /= 2;
            let best = Self::better(self.nodes[2 * n], self.nodes[2 * n + 1]);
            if self.nodes[n] == best {
                break;
            }
            self.nodes[n] = best;
        }
    }

    /// The extreme key, if any block has one.
    fn top(&self) -> Option<&Key> {
        Some(&self.nodes[1]).filter(|&&k| k != Self::EMPTY)
    }
}

impl Tournament<false> {
    /// The smallest key, if any (as `BTreeSet::first`).
    fn first(&self) -> Option<&Key> {
        self.top()
    }
}

impl Tournament<true> {
    /// The largest key, if any (as `BTreeSet::last`).
    fn last(&self) -> Option<&Key> {
        self.top()
    }
}

/// Loss after a disaster (or at the end of the run): writes completed at the primary site that
/// the secondary image does not show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Rpo {
    /// Completed writes missing from the image.
    pub lost_writes: u64,
    /// Their bytes.
    pub lost_bytes: u64,
    /// From the completion of the oldest lost write to the reference time (disaster or end).
    pub window_ns: u64,
}

/// Which labelled writes the image shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImageSummary {
    /// Labels of writes visible in the image.
    pub present: Vec<String>,
    /// Labels of writes issued but not visible.
    pub absent: Vec<String>,
}

/// Judges secondary images against the hosts' history.
pub struct Checker {
    geometry: Geometry,
    writes: Vec<WriteRec>,
    /// Labels of the labelled (scripted) writes, by id.
    labels: BTreeMap<WriteId, String>,
    blocks: Vec<Block>,
    /// (issue order, id) of the latest-issued visible write of each block that shows any; the
    /// latest at the top.
    visible: Tournament<true>,
    /// (completion order, id) of the earliest-completed missing write of each block that lacks
    /// any; the earliest at the top.
    missing: Tournament<false>,
    /// Counter ordering issues and completions as the run saw them.
    history_seq: u64,
    open: bool,
    reported: BTreeSet<(WriteId, WriteId)>,
    violations: Vec<Violation>,
    violation_count: u64,
    host_latency: LatencyStats,
    lag: LatencyStats,
    exposure: LatencyStats,
    applied_writes: u64,
}

impl Checker {
    /// A checker for storage of this shape; the image starts open and empty.
    pub fn new(geometry: Geometry) -> Self {
        let mut blocks = Vec::new();
        blocks.resize_with(geometry.total_blocks(), Block::default);
        Checker {
            geometry,
            writes: Vec::new(),
            labels: BTreeMap::new(),
            blocks,
            visible: Tournament::new(geometry.total_blocks()),
            missing: Tournament::new(geometry.total_blocks()),
            open: true,
            history_seq: 0,
            reported: BTreeSet::new(),
            violations: Vec::new(),
            violation_count: 0,
            host_latency: LatencyStats::new(),
            lag: LatencyStats::new(),
            exposure: LatencyStats::new(),
            applied_writes: 0,
        }
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
        debug_assert_eq!(id as usize, self.writes.len(), "write ids must be dense");
        if let Some(l) = label {
            self.labels.insert(id, l.to_string());
        }
        self.history_seq += 1;
        self.writes.push(WriteRec {
            addr,
            size,
            issued_seq: self.history_seq,
            completed_seq: NEVER,
            issued: at,
            stored: NEVER,
            completed: NEVER,
            applied: NEVER,
            version: u32::MAX,
        });
    }

    /// The primary volume stored write `id` at `at`: this fixes its place in its block's order.
    pub fn stored(&mut self, id: WriteId, at: u64) {
        let rec = &mut self.writes[id as usize];
        let b = self.geometry.index(rec.addr);
        let block = &mut self.blocks[b];
        rec.stored = at;
        rec.version = block.versions.len() as u32;
        let latest = block.versions.last().map_or(id, |v| v.latest.max(id));
        block.versions.push(Version { id, latest });
    }

    /// The host saw write `id` complete at `at`.
    pub fn completed(&mut self, id: WriteId, at: u64) {
        self.history_seq += 1;
        let rec = &mut self.writes[id as usize];
        rec.completed = at;
        rec.completed_seq = self.history_seq;
        self.host_latency.record(at.saturating_sub(rec.issued));
        let b = self.geometry.index(rec.addr);
        if rec.version as usize >= self.blocks[b].visible {
            self.refresh(b);
        }
    }

    /// Secondary block `addr` now holds write `id` (or, with `None`, its initial contents).
    pub fn applied(&mut self, addr: BlockAddr, id: Option<WriteId>, at: u64) {
        let b = self.geometry.index(addr);
        let visible = match id {
            Some(id) => {
                let rec = &mut self.writes[id as usize];
                if rec.applied == NEVER {
                    rec.applied = at;
                    self.applied_writes += 1;
                    self.lag.record(at.saturating_sub(rec.stored));
                }
                rec.version as usize + 1
            }
            None => 0,
        };
        self.blocks[b].visible = visible;
        self.refresh(b);
        if self.open {
            self.check(at);
        }
    }

    /// Hosts may (`true`) or may not read the secondary image from `at` on; opening checks it.
    pub fn set_open(&mut self, open: bool, at: u64) {
        let was = self.open;
        self.open = open;
        if open && !was {
            self.check(at);
        }
    }

    /// True while hosts may read the image.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Recomputes block `b`'s keys in the two tournaments (an unchanged key is left alone).
    fn refresh(&mut self, b: usize) {
        let block = &mut self.blocks[b];
        let visible_key = match block.visible {
            0 => None,
            v => {
                let latest = block.versions[v - 1].latest;
                Some((self.writes[latest as usize].issued_seq, latest))
            }
        };
        if visible_key != block.visible_key {
            self.visible.set(b, visible_key);
            block.visible_key = visible_key;
        }
        let missing_key = block.versions[block.visible..]
            .iter()
            .map(|v| (self.writes[v.id as usize].completed_seq, v.id))
            .filter(|&(c, _)| c != NEVER)
            .min();
        if missing_key != block.missing_key {
            self.missing.set(b, missing_key);
            block.missing_key = missing_key;
        }
    }

    /// Judges the image as it stands at `at`, recording a violation if it breaks the rule.
    pub fn check(&mut self, at: u64) -> bool {
        let oldest_missing = self
            .missing
            .first()
            .map(|&(_, id)| self.writes[id as usize].completed);
        self.exposure
            .record(oldest_missing.map_or(0, |c| at.saturating_sub(c)));
        let (Some(&(completed, a)), Some(&(issued, b))) =
            (self.missing.first(), self.visible.last())
        else {
            return true;
        };
        if completed >= issued {
            return true;
        }
        if self.reported.insert((a, b)) {
            self.violation_count += 1;
            if self.violations.len() < MAX_REPORTED {
                let v = self.describe(a, b, at);
                self.violations.push(v);
            }
        }
        false
    }

    fn name(&self, id: WriteId) -> String {
        match self.labels.get(&id) {
            Some(l) => l.clone(),
            None => format!("w{id}"),
        }
    }

    fn place(&self, id: WriteId) -> String {
        let a = self.writes[id as usize].addr;
        format!(
            "subsystem {} volume {} block {}",
            a.subsystem + 1,
            a.volume,
            a.block
        )
    }

    fn describe(&self, missing: WriteId, present: WriteId, at: u64) -> Violation {
        let m = &self.writes[missing as usize];
        let p = &self.writes[present as usize];
        let held = {
            let block = &self.blocks[self.geometry.index(m.addr)];
            match block.visible {
                0 => "its initial contents".to_string(),
                k => self.name(block.versions[k - 1].id),
            }
        };
        Violation {
            kind: "dependent-write".to_string(),
            missing: self.name(missing),
            present: self.name(present),
            at_ns: at,
            detail: format!(
                "{} ({}) is visible on the secondary, but {} ({}) is not: {} completed at {} ns \
                 and only then was {} issued (at {} ns), so it depends on it; {}'s block holds {}",
                self.name(present),
                self.place(present),
                self.name(missing),
                self.place(missing),
                self.name(missing),
                m.completed,
                self.name(present),
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

    /// Data exposure, sampled whenever an open image is judged: how long ago the oldest write
    /// the image lacks completed (zero when it lacks none), i.e. the age of the newest consistent
    /// point the hosts could recover to.
    pub fn exposure(&self) -> &LatencyStats {
        &self.exposure
    }

    /// Secondary lag (stored on the primary to first shown on the secondary).
    pub fn lag(&self) -> &LatencyStats {
        &self.lag
    }

    /// When the host issued write `id`, if it exists (for metrics and reports).
    pub fn issued_at(&self, id: WriteId) -> Option<u64> {
        self.writes.get(id as usize).map(|r| r.issued)
    }

    /// When the primary volume stored write `id`, if it has (for metrics and reports).
    pub fn stored_at(&self, id: WriteId) -> Option<u64> {
        self.writes
            .get(id as usize)
            .map(|r| r.stored)
            .filter(|&t| t != NEVER)
    }

    /// When a secondary volume first showed write `id`, if one has (for metrics and reports).
    pub fn applied_at(&self, id: WriteId) -> Option<u64> {
        self.writes
            .get(id as usize)
            .map(|r| r.applied)
            .filter(|&t| t != NEVER)
    }

    /// Completion time of the earliest-completed write the image lacks, if it lacks any: the
    /// image's data exposure at time `t` is `t` minus this (for metrics and reports).
    pub fn oldest_missing_completion(&self) -> Option<u64> {
        self.missing
            .first()
            .map(|&(_, id)| self.writes[id as usize].completed)
    }

    fn is_visible(&self, id: WriteId) -> bool {
        let rec = &self.writes[id as usize];
        rec.version != u32::MAX
            && (rec.version as usize) < self.blocks[self.geometry.index(rec.addr)].visible
    }

    /// What the image has lost: writes completed at the host by `reference` that it does not show.
    pub fn rpo(&self, reference: u64) -> Rpo {
        let mut rpo = Rpo::default();
        let mut oldest = NEVER;
        for (id, rec) in self.writes.iter().enumerate() {
            if rec.completed <= reference && !self.is_visible(id as WriteId) {
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

    /// Liveness: every write completed at its host by `deadline` must be visible at `now`. If one
    /// is not, records a `liveness` violation naming the oldest such write (and the newest write
    /// the image does show) and returns false.
    pub fn liveness(&mut self, deadline: u64, now: u64) -> bool {
        let stuck = self
            .writes
            .iter()
            .enumerate()
            .filter(|(id, r)| r.completed <= deadline && !self.is_visible(*id as WriteId))
            .min_by_key(|(_, r)| r.completed)
            .map(|(id, _)| id as WriteId);
        let Some(a) = stuck else {
            return true;
        };
        let stuck_count = self
            .writes
            .iter()
            .enumerate()
            .filter(|(id, r)| r.completed <= deadline && !self.is_visible(*id as WriteId))
            .count();
        let newest = self.visible.last().map(|&(_, id)| self.name(id));
        let m = &self.writes[a as usize];
        self.violation_count += 1;
        self.violations.push(Violation {
            kind: "liveness".to_string(),
            missing: self.name(a),
            present: newest.clone().unwrap_or_default(),
            at_ns: now,
            detail: format!(
                "{} ({}) completed at {} ns and is still not on the secondary at {} ns, past the \
                 liveness deadline for writes completed by {} ns; {} such writes in all; newest \
                 visible write: {}",
                self.name(a),
                self.place(a),
                m.completed,
                now,
                deadline,
                stuck_count,
                newest.as_deref().unwrap_or("none")
            ),
        });
        false
    }

    /// Records a `liveness` violation that is about the whole image rather than one write (a
    /// takeover that never completed), explained by `detail`.
    pub fn stalled(&mut self, now: u64, detail: String) {
        self.violation_count += 1;
        self.violations.push(Violation {
            kind: "liveness".to_string(),
            missing: "takeover".to_string(),
            present: String::new(),
            at_ns: now,
            detail,
        });
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
        let mut c = Checker::new(G);
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
        c.set_open(false, 35);
        c.applied(addr(0, 1), Some(2), 41);
        assert!(c.violations().is_empty());
        c.applied(addr(1, 0), Some(1), 42);
        c.applied(addr(0, 0), Some(0), 43);
        c.set_open(true, 44);
        assert!(c.violations().is_empty());
    }

    #[test]
    fn opening_an_inconsistent_image_is_a_violation() {
        let mut c = figure1();
        c.set_open(false, 35);
        c.applied(addr(0, 1), Some(2), 41);
        assert!(c.violations().is_empty());
        c.set_open(true, 44);
        assert_eq!(c.violations().len(), 1);
        assert_eq!(c.violations()[0].at_ns, 44);
    }

    #[test]
    fn issue_in_the_same_nanosecond_after_completion_still_depends() {
        let mut c = Checker::new(G);
        write(&mut c, 0, addr(1, 0), "io2", [0, 10]);
        write(&mut c, 1, addr(0, 0), "io3", [10, 20]);
        c.applied(addr(0, 0), Some(1), 30);
        assert_eq!(c.violations().len(), 1);
        assert_eq!(c.violations()[0].missing, "io2");
    }

    #[test]
    fn concurrent_writes_do_not_depend_on_each_other() {
        let mut c = Checker::new(G);
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
        let mut c = Checker::new(G);
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
        let mut c = Checker::new(G);
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
    fn a_write_never_completed_is_never_required() {
        let mut c = Checker::new(G);
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
        assert_eq!(v.present, "io1");
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
            /// Close or open the image.
            Open(bool),
            /// Judge the image now.
            Check,
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                4 => (0u8..4, any::<bool>()).prop_map(|(b, l)| Op::Issue(b, l)),
                4 => (0u8..8).prop_map(Op::Store),
                4 => (0u8..8).prop_map(Op::Complete),
                5 => (0u8..4, 0u8..10).prop_map(|(b, v)| Op::Apply(b, v)),
                1 => any::<bool>().prop_map(Op::Open),
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
            open: bool,
            found: Vec<(usize, usize, u64)>,
        }

        impl Judge {
            fn judge(&mut self, at: u64) {
                let missing = (0..self.writes.len())
                    .filter(|&i| {
                        let w = &self.writes[i];
                        w.stored && w.completed_seq.is_some() && w.version >= self.visible[w.block]
                    })
                    .min_by_key(|&i| (self.writes[i].completed_seq, i));
                let present = (0..self.writes.len())
                    .filter(|&i| {
                        let w = &self.writes[i];
                        w.stored && w.version < self.visible[w.block]
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

        fn replay(ops: &[Op]) -> Result<(), TestCaseError> {
            let addr = |b: usize| BlockAddr {
                subsystem: (b / 2) as u16,
                volume: 0,
                block: (b % 2) as u32,
            };
            let mut c = Checker::new(G);
            let mut j = Judge {
                order: vec![Vec::new(); 4],
                visible: vec![0; 4],
                open: true,
                ..Judge::default()
            };
            let mut labelled = BTreeMap::new();
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
                        c.applied(addr(b), shown.map(|id| id as u64), at);
                        j.visible[b] = shown.map_or(0, |id| j.writes[id].version + 1);
                        if j.open {
                            j.judge(at);
                        }
                    }
                    Op::Open(open) => {
                        c.set_open(open, at);
                        if open && !j.open {
                            j.judge(at);
                        }
                        j.open = open;
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
                replay(&ops)?;
            }
        }
    }
}
