//! The cycle roles driven by hand: a primary alone (told what the master says), the master and
//! every other role together through [`TestNet`], and the secondaries fed markers by hand. Inputs
//! in, outputs asserted.

use super::{Config, Primary, Secondary};
use crate::check::WriteId;
use crate::protocol::testnet::{write as w, Flight, TestNet};
use crate::protocol::{
    Body, Checkpoint, Input, Msg, Node, NodeId, Note, Output, Outputs, Timer, WriteMeta,
};

fn p(i: u16) -> NodeId {
    NodeId::Primary(i)
}

fn s(i: u16) -> NodeId {
    NodeId::Secondary(i)
}

/// Switches at least 10 000 ns apart, a 2000 ns coordination window, a 50 000 ns drain timeout.
fn cfg(pairs: u16) -> Config {
    Config {
        pairs,
        master: 0,
        min_cycle_time: 10_000,
        max_coordination_time: 2000,
        drain_timeout: 50_000,
        retransmit_timeout: 5000,
        volatile_buffers: false,
        no_hold: false,
    }
}

fn bodies_to(out: &Outputs, to: NodeId) -> Vec<Body> {
    out.as_slice()
        .iter()
        .filter_map(|o| match o {
            Output::Send {
                to: t,
                msg: Msg::Seg { body, .. },
            } if *t == to => Some(*body),
            _ => None,
        })
        .collect()
}

fn from_master(seq: u64, body: Body) -> Input {
    Input::Deliver {
        from: p(0),
        msg: Msg::Seg { seq, body },
    }
}

fn net(c: Config) -> TestNet {
    let mut nodes: Vec<(NodeId, Box<dyn Node>)> = Vec::new();
    for i in 0..c.pairs {
        nodes.push((p(i), Box::new(Primary::new(i, c))));
        nodes.push((s(i), Box::new(Secondary::new(i, c))));
    }
    let mut n = TestNet::new(nodes);
    n.start();
    n
}

fn sent_bodies(n: &TestNet, from: NodeId, pick: impl Fn(&Body) -> bool) -> Vec<(NodeId, Body)> {
    n.sent(0)
        .iter()
        .filter_map(|f| match f.msg {
            Msg::Seg { body, .. } if f.from == from && pick(&body) => Some((f.to, body)),
            _ => None,
        })
        .collect()
}

// ----- a primary alone -----

#[test]
fn writes_complete_at_once_and_ship_tagged_with_the_open_cycle() {
    let mut pr = Primary::new(1, cfg(2));
    let mut out = Outputs::new();
    pr.handle(100, Input::HostWrite(w(1, 7, 0)), &mut out);
    assert_eq!(out.as_slice()[0], Output::CompleteHost(7));
    assert_eq!(
        bodies_to(&out, s(1)),
        vec![Body::Write(WriteMeta {
            stamp: 1,
            ..w(1, 7, 0)
        })]
    );
}

#[test]
fn a_hold_delays_completion_until_the_switch_and_the_held_writes_join_the_new_cycle() {
    let mut pr = Primary::new(1, cfg(2));
    let mut out = Outputs::new();
    pr.handle(100, Input::HostWrite(w(1, 1, 0)), &mut out);
    out.drain();
    pr.handle(200, from_master(0, Body::Hold { attempt: 1 }), &mut out);
    assert_eq!(bodies_to(&out, p(0)), vec![Body::Holding { attempt: 1 }]);
    assert!(pr.holding());
    out.drain();
    pr.handle(250, Input::HostWrite(w(1, 2, 1)), &mut out);
    assert!(out.is_empty(), "stored, but not completed to the host");
    pr.handle(
        400,
        from_master(
            1,
            Body::Switch {
                attempt: 1,
                cycle: 2,
            },
        ),
        &mut out,
    );
    assert_eq!(
        bodies_to(&out, s(1)),
        vec![
            Body::CycleEnd(Checkpoint { id: 1, t: 400 }),
            Body::Write(WriteMeta {
                stamp: 2,
                ..w(1, 2, 1)
            }),
        ],
        "the old cycle ends before the held write, which belongs to the new one"
    );
    assert!(out.as_slice().contains(&Output::CompleteHost(2)));
    assert!(out
        .as_slice()
        .contains(&Output::Note(Note::HostHold { ns: 200 })));
    assert_eq!(pr.cycle(), 2);
    assert!(!pr.holding());
}

#[test]
fn an_abandoned_switch_releases_without_switching() {
    let mut pr = Primary::new(1, cfg(2));
    let mut out = Outputs::new();
    pr.handle(200, from_master(0, Body::Hold { attempt: 4 }), &mut out);
    pr.handle(250, Input::HostWrite(w(1, 2, 1)), &mut out);
    out.drain();
    pr.handle(900, from_master(1, Body::Abandon { attempt: 4 }), &mut out);
    assert!(out.as_slice().contains(&Output::CompleteHost(2)));
    assert_eq!(
        bodies_to(&out, s(1)),
        vec![Body::Write(WriteMeta {
            stamp: 1,
            ..w(1, 2, 1)
        })],
        "no cycle ended"
    );
    assert_eq!(pr.cycle(), 1);
}

// ----- the master with everyone -----

#[test]
fn the_master_waits_the_shortest_cycle_then_holds_everywhere_before_it_switches() {
    let mut n = net(cfg(3));
    n.advance_to(9_000);
    assert!(sent_bodies(&n, p(0), |b| matches!(b, Body::Hold { .. })).is_empty());
    n.advance_to(10_000);
    let holds = sent_bodies(&n, p(0), |b| matches!(b, Body::Hold { .. }));
    assert_eq!(
        holds.len(),
        2,
        "to the other primaries (its own holds in-node)"
    );
    let switches = sent_bodies(&n, p(0), |b| matches!(b, Body::Switch { .. }));
    assert_eq!(
        switches,
        vec![
            (
                p(1),
                Body::Switch {
                    attempt: 1,
                    cycle: 2
                }
            ),
            (
                p(2),
                Body::Switch {
                    attempt: 1,
                    cycle: 2
                }
            )
        ]
    );
    // A switch is sent only after the last confirmation arrived.
    let last_holding = n.sent(0).iter().rposition(|f| {
        matches!(
            f.msg,
            Msg::Seg {
                body: Body::Holding { .. },
                ..
            }
        )
    });
    let first_switch = n.sent(0).iter().position(|f| {
        matches!(
            f.msg,
            Msg::Seg {
                body: Body::Switch { .. },
                ..
            }
        )
    });
    assert!(last_holding < first_switch);
    assert_eq!(
        n.notes_of(p(0), |x| matches!(x, Note::CheckpointIssued(_))),
        vec![Note::CheckpointIssued(Checkpoint { id: 1, t: 10_000 })]
    );
    assert_eq!(
        n.notes_of(p(1), |x| matches!(x, Note::HostHold { .. }))
            .len(),
        1
    );
    assert_eq!(
        n.notes_of(s(0), |x| matches!(x, Note::Applied(_))),
        vec![Note::Applied(Checkpoint { id: 1, t: 1 })],
        "every secondary had cycle 1 whole, so it was committed"
    );
    assert!(n.open());
}

#[test]
fn a_primary_that_does_not_confirm_in_time_gets_the_switch_abandoned() {
    let mut n = net(cfg(2));
    n.down.insert(p(1));
    n.advance_to(10_000);
    n.now = 10_100;
    n.input(p(0), Input::HostWrite(w(0, 1, 0)));
    assert!(n.completed.is_empty(), "the master's own primary holds");
    n.advance_to(12_000);
    assert_eq!(
        n.notes_of(p(0), |x| matches!(x, Note::SwitchAbandoned))
            .len(),
        1
    );
    assert_eq!(n.completed, vec![1], "released without a switch");
    assert!(n
        .notes_of(p(0), |x| matches!(x, Note::CheckpointIssued(_)))
        .is_empty());
    // Pair 2 comes back: the next attempt, a shortest cycle later, succeeds.
    n.down.remove(&p(1));
    n.input(p(1), Input::Restart);
    n.advance_to(30_000);
    n.fire(p(0), Timer::Retransmit);
    n.settle();
    n.advance_to(45_000);
    assert!(!n
        .notes_of(p(0), |x| matches!(x, Note::CheckpointIssued(_)))
        .is_empty());
}

#[test]
fn the_next_switch_waits_for_the_commit_at_most_the_drain_timeout() {
    let mut n = net(cfg(2));
    n.advance_to(10_000);
    assert_eq!(n.notes_of(s(0), |x| matches!(x, Note::Applied(_))).len(), 1);
    n.down.insert(s(1));
    n.advance_to(20_000);
    let switches = |n: &TestNet| {
        n.notes_of(p(0), |x| matches!(x, Note::CheckpointIssued(_)))
            .len()
    };
    assert_eq!(switches(&n), 2, "cycle 1 was committed: no wait");
    n.advance_to(60_000);
    assert_eq!(
        switches(&n),
        2,
        "cycle 2 is not committed: the switch waits"
    );
    n.advance_to(70_000);
    assert_eq!(switches(&n), 3, "past the drain timeout it switches anyway");
    assert_eq!(
        n.notes_of(p(0), |x| matches!(x, Note::DrainOverdue)).len(),
        1
    );
}

#[test]
fn a_restarted_master_abandons_a_window_that_ran_out_while_it_was_down() {
    let mut n = net(cfg(2));
    n.down.insert(p(1));
    n.advance_to(10_000);
    assert!(n.completed.is_empty());
    n.down.insert(p(0));
    n.advance_to(15_000);
    n.down.remove(&p(0));
    n.input(p(0), Input::Restart);
    n.settle();
    assert_eq!(
        n.notes_of(p(0), |x| matches!(x, Note::SwitchAbandoned))
            .len(),
        1
    );
    assert!(n
        .timers
        .keys()
        .any(|&(node, t)| node == p(0) && t == Timer::CycleSwitch));
}

#[test]
fn the_no_hold_mutant_switches_without_holding() {
    let mut c = cfg(2);
    c.no_hold = true;
    let mut n = net(c);
    n.advance_to(10_000);
    assert!(sent_bodies(&n, p(0), |b| matches!(b, Body::Hold { .. })).is_empty());
    assert_eq!(
        sent_bodies(&n, p(0), |b| matches!(b, Body::Switch { .. })).len(),
        1
    );
}

#[test]
fn a_dependent_write_never_lands_in_an_older_cycle_than_the_one_it_depends_on() {
    let mut n = net(cfg(2));
    n.advance_to(19_999);
    // The second switch starts: the master's own primary holds at once, pair 2 once asked. A
    // is stored at pair 1 during the hold, so it completes only after the switch...
    n.now = 20_000;
    n.fire(p(0), Timer::CycleSwitch);
    n.input(p(0), Input::HostWrite(w(0, 1, 0)));
    assert!(n.completed.is_empty());
    n.settle();
    assert_eq!(n.completed, vec![1]);
    // ... in the new cycle, so B, issued after A completed, can be in no older one.
    n.input(p(1), Input::HostWrite(w(1, 2, 0)));
    let tags: Vec<(WriteId, u64)> = n
        .sent(0)
        .iter()
        .filter_map(|f| match f.msg {
            Msg::Seg {
                body: Body::Write(x),
                ..
            } => Some((x.id, x.stamp)),
            _ => None,
        })
        .collect();
    assert_eq!(tags, vec![(1, 3), (2, 3)]);
}

// ----- the secondaries fed markers by hand -----

fn secondaries(c: Config) -> TestNet {
    let nodes: Vec<(NodeId, Box<dyn Node>)> = (0..c.pairs)
        .map(|i| (s(i), Box::new(Secondary::new(i, c)) as Box<dyn Node>))
        .collect();
    TestNet::new(nodes)
}

/// Feeds secondary `i` its primary's segments `bodies`, from `seq`.
fn feed(n: &mut TestNet, i: u16, seq: &mut u64, bodies: &[Body]) {
    for &body in bodies {
        let msg = Msg::Seg { seq: *seq, body };
        *seq += 1;
        n.flight.push_back(Flight {
            from: p(i),
            to: s(i),
            msg,
        });
    }
    n.settle();
}

fn tagged(pair: u16, id: WriteId, cycle: u64) -> Body {
    Body::Write(WriteMeta {
        stamp: cycle,
        ..w(pair, id, id as u32)
    })
}

fn end(cycle: u64) -> Body {
    Body::CycleEnd(Checkpoint { id: cycle, t: 0 })
}

#[test]
fn a_cycle_is_committed_once_every_secondary_has_it_whole() {
    let mut n = secondaries(cfg(2));
    let (mut a, mut b) = (0, 0);
    feed(
        &mut n,
        0,
        &mut a,
        &[tagged(0, 1, 1), end(1), tagged(0, 3, 2)],
    );
    feed(&mut n, 1, &mut b, &[tagged(1, 2, 1)]);
    assert!(
        n.landed_on(s(0)).is_empty(),
        "secondary 2 lacks cycle 1's end"
    );
    feed(&mut n, 1, &mut b, &[end(1)]);
    assert_eq!(n.landed_on(s(0)), vec![1], "cycle 2's write waits");
    assert_eq!(n.landed_on(s(1)), vec![2]);
    assert!(n.open());
    let committed: Vec<Flight> = n
        .sent(0)
        .into_iter()
        .filter(|f| {
            f.to == p(0)
                && matches!(
                    f.msg,
                    Msg::Seg {
                        body: Body::Committed(_),
                        ..
                    }
                )
        })
        .collect();
    assert_eq!(committed.len(), 1, "the master hears the drain is over");
}

#[test]
fn the_image_is_closed_while_a_commit_applies() {
    let mut n = secondaries(cfg(2));
    for i in [0, 1] {
        for (seq, body) in [(0, tagged(i, u64::from(i) + 1, 1)), (1, end(1))] {
            n.flight.push_back(Flight {
                from: p(i),
                to: s(i),
                msg: Msg::Seg { seq, body },
            });
        }
    }
    n.deliver_all();
    assert_eq!(n.applying.len(), 2, "both secondaries apply cycle 1");
    assert!(!n.open(), "closed while the applies are in flight");
    n.settle();
    assert!(n.open());
}

#[test]
fn at_takeover_only_whole_cycles_are_applied() {
    let mut n = secondaries(cfg(2));
    let (mut a, mut b) = (0, 0);
    feed(
        &mut n,
        0,
        &mut a,
        &[tagged(0, 1, 1), end(1), tagged(0, 3, 2), end(2)],
    );
    feed(
        &mut n,
        1,
        &mut b,
        &[tagged(1, 2, 1), end(1), tagged(1, 4, 2)],
    );
    for i in [0, 1] {
        n.input(s(i), Input::Takeover);
    }
    n.settle();
    assert_eq!(n.taken_over.len(), 2);
    assert_eq!(n.landed_on(s(0)), vec![1]);
    assert_eq!(n.landed_on(s(1)), vec![2]);
    feed(&mut n, 1, &mut b, &[end(2)]);
    assert_eq!(
        n.landed_on(s(0)),
        vec![1],
        "nothing from the primaries counts after the takeover"
    );
}
