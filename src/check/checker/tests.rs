//! The checker's unit tests.

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
    assert!(
        v.detail
            .contains("io2 completed at 20 ns and only then was io3 issued (at 21 ns)"),
        "{}",
        v.detail
    );
    let image = c.image();
    assert_eq!(image.present, vec!["io1", "io3"]);
    assert_eq!(image.absent, vec!["io2"]);
}

#[test]
fn times_that_only_order_events_are_left_out_of_a_violation() {
    let mut c = figure1();
    c.hide_times();
    c.applied(addr(0, 0), Some(0), 40);
    c.applied(addr(0, 1), Some(2), 41);
    let v = &c.violations()[0];
    assert!(
        v.detail
            .contains("io2 completed and only then was io3 issued, so it depends on it"),
        "{}",
        v.detail
    );
    assert!(!v.detail.contains(" ns"), "{}", v.detail);
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
    // io1, io2 and io3 were stored at 1, 12 and 22.
    assert_eq!(c.oldest_unshown_store(), Some(1));
    c.applied(addr(1, 0), Some(1), 101);
    assert_eq!(c.oldest_unshown_store(), Some(1), "io1 still lags");
    c.applied(addr(0, 0), Some(0), 102);
    assert_eq!(
        c.oldest_unshown_store(),
        Some(22),
        "io2 caught up out of order"
    );
    assert_eq!(c.host_latency().percentiles().max, 10);
    assert_eq!(c.applied_writes(), 2);
}

#[test]
fn a_later_write_to_the_block_catches_up_an_earlier_one_for_good() {
    let mut c = Checker::new(G, History::Full);
    write(&mut c, 0, addr(0, 0), "a", [0, 10]);
    write(&mut c, 1, addr(0, 0), "b", [11, 20]);
    c.applied(addr(0, 0), Some(1), 30);
    assert_eq!(c.oldest_unshown_store(), None, "b covers a");
    // The block going back does not make the copy lag again.
    c.applied(addr(0, 0), Some(0), 40);
    assert_eq!(c.oldest_unshown_store(), None);
}

#[test]
fn writes_behind_a_stranded_one_do_not_pile_up() {
    let mut c = Checker::new(G, History::Bounded);
    // Write 0 never reaches the secondary; the 10,000 after it do, each at once.
    write(&mut c, 0, addr(1, 0), "stranded", [0, 1]);
    for id in 1..10_000u64 {
        let a = addr(0, (id % 8) as u32);
        c.issued(id, a, 512, None, id * 10);
        c.stored(id, id * 10 + 1);
        c.completed(id, id * 10 + 2);
        c.applied(a, Some(id), id * 10 + 3);
    }
    assert_eq!(c.oldest_unshown_store(), Some(1));
    assert!(c.unshown.len() < 200, "{} entries held", c.unshown.len());
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
        let mut last_state = None;
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
            // What the exposure clock reads may change only when the change count moves.
            let state = (c.changes(), c.oldest_missing_completion(), c.is_open());
            if let Some((changes, lacks, open)) = last_state {
                if changes == state.0 {
                    prop_assert_eq!((lacks, open), (state.1, state.2));
                }
            }
            last_state = Some(state);
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
