//! Hosts and what they write. A workload is a small sans-IO machine too: it is woken (at a time it
//! asked for) or told that one of its writes completed, and answers with writes to issue and
//! wake-ups to schedule. Dependencies live here: a write is issued only after the writes it
//! depends on completed, which is what makes one write depend on another.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::Rng as _;
use rustc_hash::FxHashMap;

use super::arrivals::Arrivals;
pub use super::hostout::{HostOut, Issue};
use super::zipf::Zipf;
use crate::check::{BlockAddr, Label, Role};
use crate::engine::rng::Rng;
use crate::scenario::dist::Dist;
use crate::scenario::types::{self, BlockChoice, VolumeRef};
use crate::scenario::units::Size;

fn addr(v: VolumeRef, block: u32) -> BlockAddr {
    BlockAddr {
        subsystem: v.subsystem.saturating_sub(1),
        volume: v.volume,
        block,
    }
}

fn size_of(d: &Dist<Size>, rng: &mut Rng) -> u32 {
    d.sample(rng).clamp(1, u64::from(u32::MAX)) as u32
}

/// A scripted write, resolved.
#[derive(Debug)]
struct Step {
    addr: BlockAddr,
    size: u32,
    label: String,
    at: u64,
    think: u64,
    waiting_on: usize,
    dependents: Vec<usize>,
}

/// Named writes with explicit dependencies.
#[derive(Debug)]
pub struct Script {
    steps: Vec<Step>,
}

impl Script {
    /// Resolves the scenario's writes; `after` labels must name earlier writes (validated before).
    pub fn new(writes: &[types::ScriptWrite]) -> Self {
        let mut steps: Vec<Step> = writes
            .iter()
            .map(|w| Step {
                addr: addr(
                    VolumeRef {
                        subsystem: w.subsystem,
                        volume: w.volume,
                    },
                    w.block,
                ),
                size: w.size.0.min(u64::from(u32::MAX)) as u32,
                label: w.label.clone(),
                at: w.at.as_ns(),
                think: w.think.as_ns(),
                waiting_on: w.after.len(),
                dependents: Vec::new(),
            })
            .collect();
        // Each label's first write, so that a dependency resolves in O(1), not by a scan.
        let mut index: FxHashMap<&str, usize> = FxHashMap::default();
        for (i, w) in writes.iter().enumerate() {
            index.entry(w.label.as_str()).or_insert(i);
        }
        for (i, w) in writes.iter().enumerate() {
            for dep in &w.after {
                if let Some(&j) = index.get(dep.as_str()) {
                    steps[j].dependents.push(i);
                }
            }
        }
        Script { steps }
    }

    fn start(&mut self, out: &mut HostOut) {
        for (i, s) in self.steps.iter().enumerate() {
            if s.waiting_on == 0 {
                out.wakes.push((s.at, i as u32));
            }
        }
    }

    fn wake(&mut self, tag: u32, out: &mut HostOut) {
        let s = &self.steps[tag as usize];
        out.issues.push(Issue {
            addr: s.addr,
            size: s.size,
            label: Some(s.label.clone()),
            role: Label::NONE,
            tag,
        });
    }

    fn completed(&mut self, now: u64, tag: u32, out: &mut HostOut) {
        let deps = std::mem::take(&mut self.steps[tag as usize].dependents);
        for &d in &deps {
            let s = &mut self.steps[d];
            s.waiting_on -= 1;
            if s.waiting_on == 0 {
                // Saturating: a think time past the largest time only ever ends after the run.
                out.wakes
                    .push((s.at.max(now.saturating_add(s.think)), d as u32));
            }
        }
        self.steps[tag as usize].dependents = deps;
    }
}

/// Where a DBMS transaction is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Idle,
    Log,
    Data(u32),
    Commit,
}

/// DBMS transactions: log write, then data writes, then the commit record, as in the patent.
#[derive(Debug)]
pub struct Dbms {
    cfg: types::Dbms,
    arrivals: Arrivals,
    slots: Vec<Phase>,
    /// Slots that became idle, lowest first (each idle slot at least once; an entry whose slot
    /// is busy again is skipped): an arrival takes the lowest idle slot in O(log n) instead of
    /// scanning `in_flight` slots, which made a DBMS of 65,536 slots at a high rate a hang.
    idle: BinaryHeap<Reverse<u32>>,
    /// The transaction each slot runs (numbered from 1 in the order they began).
    txns: Vec<u64>,
    /// Transactions begun so far.
    begun: u64,
    backlog: u64,
    next_log_block: u32,
    blocks: u32,
    until: u64,
    rng: Rng,
}

/// Tags below this are transaction slots; this tag is the arrival clock.
const ARRIVAL_TAG: u32 = u32::MAX;

impl Dbms {
    /// A DBMS issuing until `until` ns on volumes of `blocks` blocks.
    pub fn new(cfg: &types::Dbms, blocks: u32, until: u64, rng: Rng) -> Self {
        Dbms {
            slots: vec![Phase::Idle; cfg.in_flight.max(1) as usize],
            idle: (0..cfg.in_flight.max(1)).map(Reverse).collect(),
            txns: vec![0; cfg.in_flight.max(1) as usize],
            begun: 0,
            arrivals: Arrivals::new(cfg.arrival, cfg.rate, cfg.shape.as_ref()),
            cfg: cfg.clone(),
            backlog: 0,
            next_log_block: 0,
            blocks: blocks.max(1),
            until,
            rng,
        }
    }

    fn start(&mut self, out: &mut HostOut) {
        let first = self.arrivals.next(0, &mut self.rng);
        if first < self.until {
            out.wakes.push((first, ARRIVAL_TAG));
        }
    }

    /// Issues the log record of `slot`'s transaction in `role` (its first or its commit).
    fn log_write(&mut self, slot: u32, role: Role, out: &mut HostOut) {
        let block = self.next_log_block;
        self.next_log_block = (self.next_log_block + 1) % self.blocks;
        let size = size_of(&self.cfg.size, &mut self.rng);
        let label = Label::txn(self.txns[slot as usize], role);
        out.issue(addr(self.cfg.log, block), size, label, slot);
    }

    fn begin(&mut self, slot: u32, out: &mut HostOut) {
        self.begun += 1;
        self.txns[slot as usize] = self.begun;
        self.slots[slot as usize] = Phase::Log;
        self.log_write(slot, Role::Log, out);
    }

    fn wake(&mut self, now: u64, tag: u32, out: &mut HostOut) {
        if tag == ARRIVAL_TAG {
            match self.take_idle() {
                Some(slot) => self.begin(slot, out),
                None => self.backlog += 1,
            }
            let next = self.arrivals.next(now, &mut self.rng);
            if next < self.until {
                out.wakes.push((next, ARRIVAL_TAG));
            }
            return;
        }
        self.step(now, tag, out);
    }

    /// The lowest idle slot, taken out of `idle`.
    fn take_idle(&mut self) -> Option<u32> {
        while let Some(Reverse(slot)) = self.idle.pop() {
            if self.slots[slot as usize] == Phase::Idle {
                return Some(slot);
            }
        }
        None
    }

    /// Issues the next step of the transaction in `slot` (after think time, if any).
    fn step(&mut self, now: u64, slot: u32, out: &mut HostOut) {
        match self.slots[slot as usize] {
            Phase::Log => {
                let n = self.cfg.data_writes.max(1);
                self.slots[slot as usize] = Phase::Data(n);
                let txn = self.txns[slot as usize];
                for k in 1..=n {
                    let v = self.cfg.data[self.rng.random_range(0..self.cfg.data.len())];
                    let block = self.rng.random_range(0..self.blocks);
                    let size = size_of(&self.cfg.size, &mut self.rng);
                    let label = Label::txn(txn, Role::Data(k.min(u32::from(u16::MAX)) as u16));
                    out.issue(addr(v, block), size, label, slot);
                }
            }
            Phase::Data(_) => {
                self.slots[slot as usize] = Phase::Commit;
                self.log_write(slot, Role::Commit, out);
            }
            Phase::Commit | Phase::Idle => {
                let was_idle = self.slots[slot as usize] == Phase::Idle;
                self.slots[slot as usize] = Phase::Idle;
                if self.backlog > 0 && now < self.until {
                    self.backlog -= 1;
                    self.begin(slot, out);
                } else if !was_idle {
                    self.idle.push(Reverse(slot));
                }
            }
        }
    }

    fn completed(&mut self, now: u64, slot: u32, out: &mut HostOut) {
        let phase = &mut self.slots[slot as usize];
        if let Phase::Data(left) = phase {
            *left -= 1;
            if *left > 0 {
                return;
            }
        }
        let think = self.cfg.think.as_ns();
        if think > 0 && !matches!(self.slots[slot as usize], Phase::Commit) {
            out.wakes.push((now.saturating_add(think), slot));
        } else {
            self.step(now, slot, out);
        }
    }
}

/// Independent writes at a rate over some volumes.
#[derive(Debug)]
pub struct RandomWriter {
    volumes: Vec<VolumeRef>,
    arrivals: Arrivals,
    size: Dist<Size>,
    blocks: u32,
    /// A Zipf block choice, if the writer skews its blocks so.
    zipf: Option<Zipf>,
    /// A hot spot: how many blocks are hot, and the share of writes they take.
    hot: Option<(u32, f64)>,
    until: u64,
    rng: Rng,
}

impl RandomWriter {
    /// A writer over `volumes` (already expanded), issuing until `until` ns.
    pub fn new(
        cfg: &types::Random,
        volumes: Vec<VolumeRef>,
        blocks: u32,
        until: u64,
        rng: Rng,
    ) -> Self {
        let zipf = match cfg.blocks {
            BlockChoice::Uniform | BlockChoice::Hot(_) => None,
            BlockChoice::Zipf(s) => Some(Zipf::new(blocks, s)),
        };
        let hot = match &cfg.blocks {
            BlockChoice::Hot(h) => Some((h.hot_blocks(blocks.max(1)), h.weight)),
            _ => None,
        };
        RandomWriter {
            volumes,
            arrivals: Arrivals::new(cfg.arrival, cfg.rate, cfg.shape.as_ref()),
            size: cfg.size.clone(),
            blocks: blocks.max(1),
            zipf,
            hot,
            until,
            rng,
        }
    }

    fn schedule(&mut self, now: u64, out: &mut HostOut) {
        let next = self.arrivals.next(now, &mut self.rng);
        if next < self.until {
            out.wakes.push((next, 0));
        }
    }

    fn wake(&mut self, now: u64, out: &mut HostOut) {
        let v = self.volumes[self.rng.random_range(0..self.volumes.len())];
        let block = if let Some((hot, weight)) = self.hot {
            // The hot blocks take `weight` of the writes, the others the rest, each uniformly.
            if hot >= self.blocks || self.rng.random::<f64>() < weight {
                self.rng.random_range(0..hot)
            } else {
                self.rng.random_range(hot..self.blocks)
            }
        } else if let Some(z) = &self.zipf {
            z.sample(&mut self.rng)
        } else {
            self.rng.random_range(0..self.blocks)
        };
        let size = size_of(&self.size, &mut self.rng);
        out.issue(addr(v, block), size, Label::NONE, 0);
        self.schedule(now, out);
    }
}

/// Any workload.
#[derive(Debug)]
pub enum Host {
    /// Scripted writes.
    Script(Script),
    /// DBMS transactions.
    Dbms(Dbms),
    /// Independent random writes.
    Random(RandomWriter),
    /// A replayed trace file.
    Trace(super::replay::Replay),
}

impl Host {
    /// Called once at time zero.
    pub fn start(&mut self, out: &mut HostOut) {
        match self {
            Host::Script(s) => s.start(out),
            Host::Dbms(d) => d.start(out),
            Host::Random(r) => r.schedule(0, out),
            Host::Trace(t) => t.start(out),
        }
    }

    /// A wake-up this workload asked for.
    pub fn wake(&mut self, now: u64, tag: u32, out: &mut HostOut) {
        match self {
            Host::Script(s) => s.wake(tag, out),
            Host::Dbms(d) => d.wake(now, tag, out),
            Host::Random(r) => r.wake(now, out),
            Host::Trace(t) => t.wake(now, out),
        }
    }

    /// One of this workload's writes completed.
    pub fn completed(&mut self, now: u64, tag: u32, out: &mut HostOut) {
        match self {
            Host::Script(s) => s.completed(now, tag, out),
            Host::Dbms(d) => d.completed(now, tag, out),
            Host::Random(_) => {}
            Host::Trace(t) => t.completed(now, out),
        }
    }

    /// Why this workload could not read its input during the run, if it could not.
    pub fn input_error(&self) -> Option<&str> {
        match self {
            Host::Trace(t) => t.error(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{stream, ComponentId};
    use crate::scenario::shape::{HotSpot, OnOff, Shape};
    use crate::scenario::types::Arrival;
    use crate::scenario::units::{Duration, OpsRate};

    fn sw(label: &str, sub: u16, after: &[&str]) -> types::ScriptWrite {
        types::ScriptWrite {
            label: label.into(),
            subsystem: sub,
            volume: 0,
            block: 0,
            size: Size(4096),
            at: Duration::from_ns(0),
            after: after.iter().map(|s| s.to_string()).collect(),
            think: Duration::from_us(10),
        }
    }

    #[test]
    fn script_issues_each_write_after_its_dependencies() {
        let mut h = Host::Script(Script::new(&[
            sw("io1", 1, &[]),
            sw("io2", 2, &["io1"]),
            sw("io3", 1, &["io2"]),
        ]));
        let mut out = HostOut::default();
        h.start(&mut out);
        assert_eq!(out.wakes, vec![(0, 0)]);
        out.wakes.clear();
        h.wake(0, 0, &mut out);
        assert_eq!(out.issues[0].label.as_deref(), Some("io1"));
        assert_eq!(out.issues[0].addr.subsystem, 0);
        out.issues.clear();
        h.completed(500, 0, &mut out);
        assert_eq!(
            out.wakes,
            vec![(10_500, 1)],
            "io2 waits for io1 plus think time"
        );
    }

    #[test]
    fn a_think_time_past_the_largest_time_saturates_instead_of_wrapping() {
        let mut first = sw("io1", 1, &[]);
        first.think = Duration::from_ns(0);
        let mut second = sw("io2", 2, &["io1"]);
        second.think = Duration::from_ns(u64::MAX);
        let mut h = Host::Script(Script::new(&[first, second]));
        let mut out = HostOut::default();
        h.completed(200_000, 0, &mut out);
        assert_eq!(out.wakes, vec![(u64::MAX, 1)]);
        let mut d = dbms(u64::MAX);
        let mut out = HostOut::default();
        d.wake(1_000_000, ARRIVAL_TAG, &mut out);
        out.wakes.clear();
        d.completed(1_100_000, 0, &mut out);
        assert_eq!(out.wakes, vec![(u64::MAX, 0)]);
    }

    fn dbms(think: u64) -> Host {
        dbms_of(think, 1, 2)
    }

    fn dbms_of(think: u64, in_flight: u32, data_writes: u32) -> Host {
        let cfg = types::Dbms {
            log: VolumeRef {
                subsystem: 1,
                volume: 0,
            },
            data: vec![VolumeRef {
                subsystem: 2,
                volume: 0,
            }],
            data_writes,
            rate: "1000/s".parse::<OpsRate>().expect("valid rate"),
            arrival: Arrival::Fixed,
            in_flight,
            size: Dist::Constant(Size(512)),
            think: Duration::from_ns(think),
            shape: None,
        };
        Host::Dbms(Dbms::new(
            &cfg,
            64,
            10_000_000,
            stream(1, ComponentId::Workload(0)),
        ))
    }

    #[test]
    fn dbms_transaction_is_log_then_data_then_commit() {
        let mut h = dbms(0);
        let mut out = HostOut::default();
        h.start(&mut out);
        assert_eq!(out.wakes, vec![(1_000_000, ARRIVAL_TAG)]);
        out.wakes.clear();
        h.wake(1_000_000, ARRIVAL_TAG, &mut out);
        assert_eq!(out.issues.len(), 1, "log write first");
        assert_eq!(out.issues[0].addr.subsystem, 0);
        assert_eq!(out.issues[0].addr.block, 0);
        out.issues.clear();
        h.completed(1_100_000, 0, &mut out);
        assert_eq!(out.issues.len(), 2, "then both data writes together");
        assert!(out.issues.iter().all(|i| i.addr.subsystem == 1));
        out.issues.clear();
        h.completed(1_200_000, 0, &mut out);
        assert!(out.issues.is_empty(), "commit waits for every data write");
        h.completed(1_300_000, 0, &mut out);
        assert_eq!(out.issues.len(), 1, "commit record");
        assert_eq!(out.issues[0].addr.subsystem, 0);
        assert_eq!(out.issues[0].addr.block, 1, "log is sequential");
    }

    /// An arrival takes the lowest idle slot, whichever order slots became idle in (as the scan
    /// it replaced did, so every run is unchanged).
    #[test]
    fn a_dbms_arrival_takes_the_lowest_idle_slot() {
        let mut h = dbms_of(0, 4, 1);
        let mut out = HostOut::default();
        for t in 1..=4 {
            h.wake(t, ARRIVAL_TAG, &mut out);
        }
        let tags: Vec<u32> = out.issues.iter().map(|i| i.tag).collect();
        assert_eq!(tags, [0, 1, 2, 3], "four log writes, one per slot");
        // Slot 0 finishes first, then slot 2: log, data, commit each.
        for slot in [0, 2] {
            for t in 10..13 {
                h.completed(t, slot, &mut out);
            }
        }
        out.issues.clear();
        for t in 20..23 {
            h.wake(t, ARRIVAL_TAG, &mut out);
        }
        let tags: Vec<u32> = out.issues.iter().map(|i| i.tag).collect();
        assert_eq!(tags, [0, 2], "lowest first; the third waits in the backlog");
    }

    #[test]
    fn dbms_backlog_waits_for_a_free_slot() {
        let mut h = dbms(0);
        let mut out = HostOut::default();
        h.wake(1, ARRIVAL_TAG, &mut out);
        h.wake(2, ARRIVAL_TAG, &mut out);
        assert_eq!(
            out.issues.len(),
            1,
            "one slot: the second transaction waits"
        );
        out.issues.clear();
        h.completed(3, 0, &mut out);
        out.issues.clear();
        h.completed(4, 0, &mut out);
        h.completed(5, 0, &mut out);
        out.issues.clear();
        h.completed(6, 0, &mut out);
        assert_eq!(
            out.issues.len(),
            1,
            "the waiting transaction starts its log write"
        );
    }

    /// The writes a random writer choosing `blocks` among 1000 issues over `n` wake-ups.
    fn random_writes(blocks: BlockChoice, n: u64) -> HostOut {
        let cfg = types::Random {
            volumes: vec![],
            rate: "1000/s".parse::<OpsRate>().expect("valid rate"),
            arrival: Arrival::Poisson,
            blocks,
            size: Dist::Constant(Size(512)),
            shape: None,
        };
        let vols = vec![VolumeRef {
            subsystem: 1,
            volume: 0,
        }];
        let mut r = RandomWriter::new(
            &cfg,
            vols,
            1000,
            u64::MAX,
            stream(3, ComponentId::Workload(1)),
        );
        let mut out = HostOut::default();
        for t in 0..n {
            r.wake(t, &mut out);
        }
        out
    }

    #[test]
    fn zipf_prefers_low_blocks() {
        let out = random_writes(BlockChoice::Zipf(1.2), 5000);
        let hot = out.issues.iter().filter(|i| i.addr.block < 10).count();
        assert!(hot > 2500, "{hot} of 5000 writes on the 10 hottest blocks");
        assert!(out.issues.iter().all(|i| i.addr.block < 1000));
    }

    #[test]
    fn a_hot_spot_takes_its_weight_of_the_writes() {
        let n = 20_000;
        let hot_spot = HotSpot {
            fraction: 0.1,
            weight: 0.9,
        };
        let out = random_writes(BlockChoice::Hot(hot_spot), n);
        let hot = out.issues.iter().filter(|i| i.addr.block < 100).count();
        // 90% of 20000, within five standard deviations (sqrt(20000 * 0.9 * 0.1) = 42).
        assert!(
            hot.abs_diff(18_000) < 215,
            "{hot} of {n} writes on the 100 hot blocks"
        );
        let cold = out.issues.iter().filter(|i| i.addr.block >= 100);
        assert!(cold.clone().all(|i| i.addr.block < 1000));
        assert!(
            cold.clone().any(|i| i.addr.block >= 900),
            "cold writes spread to the end"
        );
    }

    #[test]
    fn dbms_transactions_start_only_in_bursts() {
        let cfg = types::Dbms {
            log: VolumeRef {
                subsystem: 1,
                volume: 0,
            },
            data: vec![VolumeRef {
                subsystem: 2,
                volume: 0,
            }],
            data_writes: 1,
            rate: "5000/s".parse::<OpsRate>().expect("valid rate"),
            arrival: Arrival::Poisson,
            in_flight: 5000,
            size: Dist::Constant(Size(512)),
            think: Duration::from_ns(0),
            shape: Some(Shape::OnOff(OnOff {
                on: Duration::from_ms(10),
                off: Duration::from_ms(40),
            })),
        };
        let until = 1_000_000_000;
        let mut d = Dbms::new(&cfg, 64, until, stream(4, ComponentId::Workload(0)));
        let mut out = HostOut::default();
        d.start(&mut out);
        let mut starts = Vec::new();
        while let Some((t, tag)) = out.wakes.pop() {
            assert_eq!(tag, ARRIVAL_TAG);
            starts.push(t);
            d.wake(t, tag, &mut out);
        }
        assert!(
            starts.iter().all(|t| t % 50_000_000 < 10_000_000),
            "a start in a pause"
        );
        // 5000/s during 10ms of every 50ms for 1s: 1000 starts, within five standard deviations.
        assert!(starts.len().abs_diff(1000) < 160, "{} starts", starts.len());
        assert_eq!(out.issues.len(), starts.len(), "each start is a log write");
    }
}
