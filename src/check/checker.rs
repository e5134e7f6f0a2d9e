//! The dependent-write checker.
//!
//! Write A precedes write B when A completed at its host before B was issued, in the run's total
//! order of events (so a write issued in the same nanosecond as, but after, the completion it
//! waited for still depends on it). An image (the blocks
//! on the secondary volumes) is consistent when no write B is visible (its id, or a later write to
//! its block, is there) while some write A that precedes B is missing (its block holds something
//! older than A). Per block the checker keeps the writes in the order the primary volume stored
//! them; the image of a block is a prefix of that order. Two ordered sets give, in O(log blocks),
//! the earliest-completed missing write and the latest-issued visible write: the image is
//! inconsistent exactly when the first completed before the second was issued, and that pair is
//! the witness the violation names.

use std::collections::BTreeSet;

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
const NO_LABEL: u32 = u32::MAX;
/// Distinct violations kept with full detail; the rest are only counted.
pub const MAX_REPORTED: usize = 100;

/// What the hosts know of one write.
#[derive(Clone, Copy, Debug)]
struct WriteRec {
    addr: BlockAddr,
    size: u32,
    label: u32,
    issued: u64,
    stored: u64,
    completed: u64,
    applied: u64,
    /// Host-history order of the issue and the completion (a counter over both kinds of event).
    issued_seq: u64,
    completed_seq: u64,
    /// Position in its block's stored order, or `u32::MAX` before the primary stored it.
    version: u32,
}

/// One block: its writes in stored order and how many of them the secondary image shows.
#[derive(Default)]
struct Block {
    versions: Vec<WriteId>,
    /// Latest-issued write (issue order, id) among `versions[..=i]`.
    prefix_max_issued: Vec<(u64, WriteId)>,
    visible: usize,
    /// This block's entries in the two ordered sets, to remove them on change.
    visible_key: Option<(u64, WriteId)>,
    missing_key: Option<(u64, WriteId)>,
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
    labels: Vec<String>,
    blocks: Vec<Block>,
    /// (issue order, id) of the latest-issued visible write of each block that shows any.
    visible: BTreeSet<(u64, WriteId)>,
    /// (completion order, id) of the earliest-completed missing write of each block that lacks any.
    missing: BTreeSet<(u64, WriteId)>,
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
            labels: Vec::new(),
            blocks,
            visible: BTreeSet::new(),
            missing: BTreeSet::new(),
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
        let label = match label {
            Some(l) => {
                self.labels.push(l.to_string());
                (self.labels.len() - 1) as u32
            }
            None => NO_LABEL,
        };
        self.history_seq += 1;
        self.writes.push(WriteRec {
            addr,
            size,
            label,
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
        let prev = block.prefix_max_issued.last().copied().unwrap_or((0, id));
        block.versions.push(id);
        block.prefix_max_issued.push(prev.max((rec.issued_seq, id)));
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

    /// Recomputes block `b`'s entries in the two ordered sets. Each key names a write of this
    /// block only, so an unchanged key is left in place rather than removed and put back.
    fn refresh(&mut self, b: usize) {
        let block = &mut self.blocks[b];
        let visible_key = match block.visible {
            0 => None,
            v => Some(block.prefix_max_issued[v - 1]),
        };
        if visible_key != block.visible_key {
            if let Some(k) = block.visible_key {
                self.visible.remove(&k);
            }
            if let Some(k) = visible_key {
                self.visible.insert(k);
            }
            block.visible_key = visible_key;
        }
        let missing_key = block.versions[block.visible..]
            .iter()
            .map(|&w| (self.writes[w as usize].completed_seq, w))
            .filter(|&(c, _)| c != NEVER)
            .min();
        if missing_key != block.missing_key {
            if let Some(k) = block.missing_key {
                self.missing.remove(&k);
            }
            if let Some(k) = missing_key {
                self.missing.insert(k);
            }
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
        let rec = &self.writes[id as usize];
        if rec.label == NO_LABEL {
            format!("w{id}")
        } else {
            self.labels[rec.label as usize].clone()
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
                k => self.name(block.versions[k - 1]),
            }
        };
        Violation {
            kind: "dependent-write".to_string(),
            missing: self.name(missing),
            present: self.name(present),
            at_ns: at,
            detail: format!(
                "{} ({}) is visible on the secondary, but {} ({}) is not: {} completed at {} ns, \
                 before {} was issued at {} ns, and its block holds {}",
                self.name(present),
                self.place(present),
                self.name(missing),
                self.place(missing),
                self.name(missing),
                m.completed,
                self.name(present),
                p.issued,
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

    /// The labelled writes the image shows and does not show, in issue order.
    pub fn image(&self) -> ImageSummary {
        let mut s = ImageSummary::default();
        for (id, rec) in self.writes.iter().enumerate() {
            if rec.label != NO_LABEL {
                let name = self.labels[rec.label as usize].clone();
                if self.is_visible(id as WriteId) {
                    s.present.push(name);
                } else {
                    s.absent.push(name);
                }
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
}
