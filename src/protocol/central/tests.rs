//! The central roles driven by hand: a primary alone, the mover alone (a one-pair set, whose
//! only primary is its host), the journal coordinator fed segments by hand, and all of them
//! together through [`TestNet`]. Inputs in, outputs asserted.

use super::primary::JOURNAL_WINDOW;
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

/// Reads every 1000 ns, 10 ns of mover work per update, resend after 5000 ns.
fn cfg(pairs: u16) -> Config {
    Config {
        pairs,
        mover: 0,
        read_interval: 1000,
        service_time: 10,
        idle_heartbeat: true,
        sync_interval: 1_000_000,
        retransmit_timeout: 5000,
        volatile_buffers: false,
        no_min: false,
    }
}

/// The stream bodies `out` sends to `to`, in order.
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

/// Feeds `node` the segments its peer `from` sent in `out`, in order (a lossless loopback).
fn loop_back(node: &mut dyn Node, now: u64, from: NodeId, to: NodeId, sent: &Outputs) -> Outputs {
    let mut out = Outputs::new();
    for o in sent.as_slice() {
        if let Output::Send { to: t, msg } = o {
            if *t == to && matches!(msg, Msg::Seg { .. }) {
                node.handle(now, Input::Deliver { from, msg: *msg }, &mut out);
            }
        }
    }
    out
}

fn groups(out: &Outputs) -> Vec<Checkpoint> {
    out.as_slice()
        .iter()
        .filter_map(|o| match o {
            Output::Note(Note::CheckpointIssued(cp)) => Some(*cp),
            _ => None,
        })
        .collect()
}

fn journal_ids(out: &Outputs) -> Vec<WriteId> {
    bodies_to(out, s(0))
        .into_iter()
        .filter_map(|b| match b {
            Body::Journal(w) => Some(w.id),
            _ => None,
        })
        .collect()
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

// ----- a primary alone -----

#[test]
fn a_primary_completes_at_once_and_answers_a_read_with_its_sidefile_then_a_promise() {
    let mut pr = Primary::new(1, cfg(2));
    let mut out = Outputs::new();
    pr.handle(0, Input::Start, &mut out);
    out.drain();
    pr.handle(100, Input::HostWrite(w(1, 7, 0)), &mut out);
    assert_eq!(
        out.as_slice(),
        &[Output::CompleteHost(7)],
        "nothing shipped before a read"
    );
    assert_eq!(pr.sidefile_len(), 1);
    out.drain();
    let read = Input::Deliver {
        from: p(0),
        msg: Msg::Seg {
            seq: 0,
            body: Body::Read,
        },
    };
    pr.handle(200, read, &mut out);
    let answer = bodies_to(&out, p(0));
    assert!(matches!(answer[0], Body::Write(x) if x.id == 7 && x.stamp == 100));
    assert_eq!(answer[1], Body::Progress { t: 200 });
    assert_eq!(pr.sidefile_len(), 0);
    out.drain();
    pr.handle(150, Input::HostWrite(w(1, 8, 0)), &mut out);
    let again = Input::Deliver {
        from: p(0),
        msg: Msg::Seg {
            seq: 1,
            body: Body::Read,
        },
    };
    pr.handle(900, again, &mut out);
    let stamp = bodies_to(&out, p(0)).into_iter().find_map(|b| match b {
        Body::Write(x) => Some(x.stamp),
        _ => None,
    });
    assert_eq!(
        stamp,
        Some(201),
        "a clock behind the promise still stamps above it"
    );
}

#[test]
fn without_idle_heartbeat_the_promise_is_the_newest_stamp() {
    let mut c = cfg(2);
    c.idle_heartbeat = false;
    let mut pr = Primary::new(1, c);
    let mut out = Outputs::new();
    pr.handle(100, Input::HostWrite(w(1, 7, 0)), &mut out);
    for (seq, now) in [(0, 500), (1, 5000)] {
        out.drain();
        let read = Input::Deliver {
            from: p(0),
            msg: Msg::Seg {
                seq,
                body: Body::Read,
            },
        };
        pr.handle(now, read, &mut out);
        assert_eq!(
            bodies_to(&out, p(0)).last(),
            Some(&Body::Progress { t: 100 }),
            "silence promises nothing new"
        );
    }
}

// ----- the mover alone (one pair: its host is its only primary) -----

/// A one-pair mover that has read `writes` (written at 100, 101, ...) and been answered.
fn mover_with(c: Config, writes: &[WriteId]) -> (Primary, Outputs) {
    let mut m = Primary::new(0, c);
    let mut out = Outputs::new();
    m.handle(0, Input::Start, &mut out);
    for (k, &id) in writes.iter().enumerate() {
        m.handle(
            100 + k as u64,
            Input::HostWrite(w(0, id, id as u32)),
            &mut out,
        );
    }
    out.drain();
    m.handle(1000, Input::Timer(Timer::MoverRead), &mut out);
    let answer = std::mem::take(&mut out);
    let out = loop_back(&mut m, 1000, p(0), p(0), &answer);
    (m, out)
}

#[test]
fn the_mover_works_through_one_update_per_service_time_then_ships_the_group() {
    let mut c = cfg(1);
    c.service_time = 100;
    let (mut m, mut out) = mover_with(c, &[1, 2, 3]);
    assert!(
        groups(&out).is_empty(),
        "nothing grouped before the work is done"
    );
    let service = |o: &Outputs| {
        o.as_slice()
            .iter()
            .filter(|o| {
                matches!(
                    o,
                    Output::SetTimer {
                        timer: Timer::MoverService,
                        ..
                    }
                )
            })
            .count()
    };
    assert_eq!(service(&out), 1, "one update in service at a time");
    out.drain();
    m.handle(1020, Input::Timer(Timer::MoverService), &mut out);
    assert!(
        matches!(
            out.as_slice(),
            [Output::SetTimer {
                timer: Timer::MoverService,
                after: 1000,
            }]
        ),
        "a timer that fires early waits on: {:?}",
        out.as_slice()
    );
    for t in [1100, 1200] {
        out.drain();
        m.handle(t, Input::Timer(Timer::MoverService), &mut out);
        assert!(groups(&out).is_empty());
    }
    out.drain();
    m.handle(1300, Input::Timer(Timer::MoverService), &mut out);
    assert_eq!(groups(&out), vec![Checkpoint { id: 1, t: 1000 }]);
    assert_eq!(journal_ids(&out), vec![1, 2, 3]);
    assert_eq!(
        bodies_to(&out, s(0)).last(),
        Some(&Body::GroupEnd(Checkpoint { id: 1, t: 1000 }))
    );
    assert_eq!(m.groups_formed(), 1);
}

#[test]
fn the_mover_holds_back_groups_beyond_its_window_until_the_journal_acknowledges() {
    let mut c = cfg(1);
    c.service_time = 0;
    let total = JOURNAL_WINDOW as u64 + 72;
    let ids: Vec<WriteId> = (0..total).collect();
    let (mut m, out) = mover_with(c, &ids);
    let shipped = journal_ids(&out);
    assert_eq!(shipped.len(), JOURNAL_WINDOW, "the window's worth, no more");
    let mut more = Outputs::new();
    let ack = Msg::Ack {
        next: JOURNAL_WINDOW as u64,
        held: 0,
    };
    m.handle(
        1500,
        Input::Deliver {
            from: s(0),
            msg: ack,
        },
        &mut more,
    );
    let rest = journal_ids(&more);
    assert_eq!(rest, (JOURNAL_WINDOW as u64..total).collect::<Vec<_>>());
    let last = bodies_to(&more, s(0)).last().copied();
    assert_eq!(
        last,
        Some(Body::GroupEnd(Checkpoint { id: 1, t: 1000 })),
        "the group's end follows its last update"
    );
}

#[test]
fn a_quiet_journal_stream_with_unacknowledged_segments_is_probed() {
    let c = cfg(1);
    let (mut m, mut out) = mover_with(c, &[1]);
    for t in [1010, 1020] {
        m.handle(t, Input::Timer(Timer::MoverService), &mut out);
    }
    let end = Body::GroupEnd(Checkpoint { id: 1, t: 1000 });
    assert_eq!(
        bodies_to(&out, s(0)),
        vec![
            Body::Journal(WriteMeta {
                stamp: 100,
                ..w(0, 1, 1)
            }),
            end
        ]
    );
    out.drain();
    m.handle(3000, Input::Timer(Timer::MoverRead), &mut out);
    assert!(
        !bodies_to(&out, s(0)).contains(&end),
        "not yet quiet for a timeout"
    );
    out.drain();
    m.handle(7000, Input::Timer(Timer::MoverRead), &mut out);
    assert!(
        bodies_to(&out, s(0)).contains(&end),
        "the newest end goes again"
    );
}

#[test]
fn a_restarted_mover_rearms_its_read_and_service_timers() {
    let mut c = cfg(1);
    c.service_time = 100;
    let (mut m, _) = mover_with(c, &[1, 2]);
    let mut out = Outputs::new();
    m.handle(5000, Input::Restart, &mut out);
    let timers: Vec<Timer> = out
        .as_slice()
        .iter()
        .filter_map(|o| match o {
            Output::SetTimer { timer, .. } => Some(*timer),
            _ => None,
        })
        .collect();
    assert!(timers.contains(&Timer::MoverRead), "{timers:?}");
    assert!(timers.contains(&Timer::MoverService), "{timers:?}");
}

// ----- every role together -----

#[test]
fn a_group_goes_up_to_the_minimum_promise_and_lands_with_the_image_closed() {
    let mut n = net(cfg(2));
    n.now = 100;
    n.input(p(0), Input::HostWrite(w(0, 1, 0)));
    n.now = 150;
    n.input(p(1), Input::HostWrite(w(1, 2, 0)));
    assert_eq!(n.completed, vec![1, 2], "host writes complete at once");
    n.advance_to(1000);
    n.settle();
    n.advance_to(1100);
    let issued = n.notes_of(p(0), |x| matches!(x, Note::CheckpointIssued(_)));
    assert_eq!(issued.len(), 1);
    assert_eq!(n.landed_on(s(0)), vec![1]);
    assert_eq!(n.landed_on(s(1)), vec![2]);
    assert!(n.open(), "the image opens once the group is applied");
    assert_eq!(n.notes_of(s(0), |x| matches!(x, Note::Applied(_))).len(), 1);
    // The first write to reach a secondary closed the image first.
    assert!(n.sent(0).iter().any(|f| f.from == s(0)
        && f.to == s(1)
        && matches!(
            f.msg,
            Msg::Seg {
                body: Body::Release { .. },
                ..
            }
        )));
}

#[test]
fn a_silent_primary_stalls_every_group_without_idle_heartbeat() {
    for heartbeat in [false, true] {
        let mut c = cfg(2);
        c.idle_heartbeat = heartbeat;
        let mut n = net(c);
        n.now = 100;
        n.input(p(0), Input::HostWrite(w(0, 1, 0)));
        n.now = 200;
        n.input(p(1), Input::HostWrite(w(1, 2, 0)));
        n.advance_to(1500);
        n.input(p(0), Input::HostWrite(w(0, 3, 1)));
        n.advance_to(20_000);
        let landed = n.landed_on(s(0));
        if heartbeat {
            assert_eq!(
                landed,
                vec![1, 3],
                "promises carry the group past pair 2's silence"
            );
        } else {
            assert_eq!(landed, vec![1], "w3 waits for pair 2 to write again");
            assert_eq!(n.landed_on(s(1)), vec![2]);
        }
    }
}

#[test]
fn groups_wait_for_every_primary_but_the_no_min_mutant_does_not() {
    for no_min in [false, true] {
        let mut c = cfg(2);
        c.no_min = no_min;
        let mut n = net(c);
        n.down.insert(p(1));
        n.now = 100;
        n.input(p(0), Input::HostWrite(w(0, 1, 0)));
        n.advance_to(5000);
        let formed = n
            .notes_of(p(0), |x| matches!(x, Note::CheckpointIssued(_)))
            .len();
        if no_min {
            assert_eq!(formed, 1, "the mutant groups past the silent primary");
            assert_eq!(n.landed_on(s(0)), vec![1]);
        } else {
            assert_eq!(formed, 0, "pair 2 has promised nothing");
            assert!(n.landed_on(s(0)).is_empty());
        }
    }
}

// ----- the journal coordinator fed by hand -----

/// Feeds the coordinator `bodies` from the mover as consecutive segments from `seq`.
fn feed(n: &mut TestNet, seq: &mut u64, bodies: &[Body]) {
    for &body in bodies {
        let msg = Msg::Seg { seq: *seq, body };
        *seq += 1;
        n.flight.push_back(Flight {
            from: p(0),
            to: s(0),
            msg,
        });
    }
    n.settle();
}

fn stamped(pair: u16, id: WriteId, stamp: u64) -> WriteMeta {
    WriteMeta {
        stamp,
        ..w(pair, id, id as u32)
    }
}

fn secondaries(c: Config) -> TestNet {
    let nodes: Vec<(NodeId, Box<dyn Node>)> = (0..c.pairs)
        .map(|i| (s(i), Box::new(Secondary::new(i, c)) as Box<dyn Node>))
        .collect();
    TestNet::new(nodes)
}

#[test]
fn updates_go_ahead_to_their_secondary_but_land_only_when_their_group_is_complete() {
    let mut n = secondaries(cfg(3));
    let mut seq = 0;
    feed(
        &mut n,
        &mut seq,
        &[
            Body::Journal(stamped(0, 1, 10)),
            Body::Journal(stamped(2, 2, 20)),
        ],
    );
    let passed: Vec<Flight> = n
        .sent(0)
        .into_iter()
        .filter(|f| f.from == s(0) && f.to == s(2))
        .collect();
    assert!(
        matches!(passed[0].msg, Msg::Seg { body: Body::Write(x), .. } if x.id == 2 && x.stamp == 1),
        "passed on at once, tagged with its group"
    );
    assert!(n.landed_on(s(2)).is_empty() && n.landed_on(s(0)).is_empty());
    n.applying.clear();
    feed(
        &mut n,
        &mut seq,
        &[Body::GroupEnd(Checkpoint { id: 1, t: 20 })],
    );
    assert_eq!(n.landed_on(s(0)), vec![1]);
    assert_eq!(n.landed_on(s(2)), vec![2]);
    assert!(n.open());
    assert_eq!(
        n.notes_of(s(0), |x| matches!(x, Note::Released(_) | Note::Applied(_)))
            .len(),
        2
    );
    assert!(
        !n.sent(0).iter().any(|f| f.to == s(1)
            && matches!(
                f.msg,
                Msg::Seg {
                    body: Body::Release { .. },
                    ..
                }
            )),
        "a secondary with nothing in the batch is not asked"
    );
}

#[test]
fn a_member_is_fenced_from_its_release_until_every_member_has_applied() {
    let mut n = secondaries(cfg(2));
    let mut seq = 0;
    feed(&mut n, &mut seq, &[Body::Journal(stamped(1, 5, 10))]);
    n.down.insert(s(1));
    feed(
        &mut n,
        &mut seq,
        &[Body::GroupEnd(Checkpoint { id: 1, t: 10 })],
    );
    assert!(
        n.open(),
        "secondary 2 has not had the release: it still shows the last group, readable"
    );
    n.down.remove(&s(1));
    n.input(s(1), Input::Restart);
    n.fire(s(0), Timer::Retransmit);
    n.settle();
    n.now = 20_000;
    n.fire(s(0), Timer::Retransmit);
    n.settle();
    assert_eq!(n.landed_on(s(1)), vec![5]);
    assert!(n.open());
}

#[test]
fn a_lost_release_is_sent_again_by_the_batch_watch() {
    let mut n = secondaries(cfg(2));
    let mut seq = 0;
    feed(&mut n, &mut seq, &[Body::Journal(stamped(1, 5, 10))]);
    n.flight.push_back(Flight {
        from: p(0),
        to: s(0),
        msg: Msg::Seg {
            seq,
            body: Body::GroupEnd(Checkpoint { id: 1, t: 10 }),
        },
    });
    let first = n.flight.pop_front().expect("the end");
    n.input(
        first.to,
        Input::Deliver {
            from: first.from,
            msg: first.msg,
        },
    );
    let lost = n.drop_where(|f| f.to == s(1));
    assert_eq!(lost, 1, "the release to secondary 2 is lost");
    n.settle();
    assert!(n.open(), "nothing applies yet, so nothing is fenced");
    n.now = 10_000;
    n.fire(s(0), Timer::BatchWatch);
    n.settle();
    // The repeat arrives beyond the gap the lost release left; its acknowledgement shows the
    // release lost a round trip after it was sent, so it is resent at once, not at the timer.
    assert_eq!(n.landed_on(s(1)), vec![5]);
    assert!(n.open(), "the repeated release got the batch applied");
}

#[test]
fn at_takeover_complete_groups_are_applied_and_the_incomplete_one_never() {
    let mut n = secondaries(cfg(2));
    let mut seq = 0;
    feed(
        &mut n,
        &mut seq,
        &[
            Body::Journal(stamped(1, 1, 10)),
            Body::GroupEnd(Checkpoint { id: 1, t: 10 }),
            Body::Journal(stamped(1, 2, 20)),
            Body::Journal(stamped(0, 3, 21)),
        ],
    );
    for i in [0, 1] {
        n.input(s(i), Input::Takeover);
    }
    n.settle();
    assert_eq!(n.taken_over.len(), 2);
    assert_eq!(n.landed_on(s(1)), vec![1]);
    assert!(n.landed_on(s(0)).is_empty());
    feed(
        &mut n,
        &mut seq,
        &[Body::GroupEnd(Checkpoint { id: 2, t: 21 })],
    );
    assert_eq!(
        n.landed_on(s(1)),
        vec![1],
        "the mover is not listened to after the takeover"
    );
}

#[test]
fn a_member_applies_only_the_groups_released_and_again_after_a_reset() {
    let mut m = Secondary::new(1, cfg(2));
    let mut out = Outputs::new();
    for (seq, body) in [
        (0, Body::Write(stamped(1, 1, 1))),
        (1, Body::Write(stamped(1, 2, 2))),
        (
            2,
            Body::Release {
                epoch: 0,
                cp: Checkpoint { id: 1, t: 10 },
            },
        ),
    ] {
        let msg = Msg::Seg { seq, body };
        m.handle(0, Input::Deliver { from: s(0), msg }, &mut out);
    }
    let applies: Vec<WriteId> = out
        .as_slice()
        .iter()
        .filter_map(|o| match o {
            Output::Apply(x) => Some(x.id),
            _ => None,
        })
        .collect();
    assert_eq!(applies, vec![1], "group 2's update waits for its release");
    out.drain();
    m.handle(5, Input::Restart, &mut out);
    assert!(out
        .as_slice()
        .iter()
        .any(|o| matches!(o, Output::Apply(x) if x.id == 1)));
    out.drain();
    m.handle(6, Input::Applied(stamped(1, 1, 1)), &mut out);
    assert_eq!(
        bodies_to(&out, s(0)),
        vec![Body::UpdateComplete(Checkpoint { id: 1, t: 10 })]
    );
}
