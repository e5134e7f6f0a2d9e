//! The checkpoint roles driven together by hand, without the engine or the world, through the
//! one test network ([`TestNet`]) every protocol's unit tests use: the 2N nodes, kept typed here
//! so a test can ask a secondary what it buffers, and the tests choose what is delivered,
//! dropped, duplicated, reordered, withheld or fired. Inputs in, outputs asserted.

use std::ops::{Deref, DerefMut};

use super::{checkpoint_id, ClockMode, Config, MemberFailure, Mutant, Primary, Secondary};
use crate::check::WriteId;
use crate::protocol::stream::StreamNode;
use crate::protocol::testnet::{write as w, Ev, Flight, TestNet};
use crate::protocol::{
    Body, Checkpoint, Input, Msg, Node, NodeId, Note, Outputs, Timer, WriteMeta,
};

// ----- harness -----

fn p(i: u16) -> NodeId {
    NodeId::Primary(i)
}

fn s(i: u16) -> NodeId {
    NodeId::Secondary(i)
}

/// The knobs every role test uses: checkpoints every 1000 ns, failover after 10 000 ns of
/// silence, a member presumed gone after 50 000 ns.
pub(super) fn cfg(pairs: u16) -> Config {
    Config {
        pairs,
        primary_master: 0,
        secondary_master: 0,
        checkpoint_interval: 1000,
        sync_interval: 500,
        heartbeat_interval: 500,
        failover_timeout: 10_000,
        member_timeout: 50_000,
        retransmit_timeout: 2000,
        clock: ClockMode::Synced,
        member_failure: MemberFailure::Freeze,
        volatile_buffers: false,
        mutant: None,
        buffer: None,
        initial_clock_error: 0,
        drift_bound_ppb: 0,
        max_clock_step: 0,
    }
}

/// A stream segment `from` → `to` whose payload satisfies `want`.
fn seg(from: NodeId, to: NodeId, want: impl Fn(&Body) -> bool) -> impl Fn(&Flight) -> bool {
    move |f| {
        f.from == from
            && f.to == to
            && matches!(f.msg, Msg::Seg { .. })
            && f.body().is_some_and(|b| want(&b))
    }
}

fn is_cp(cp: Checkpoint) -> impl Fn(&Body) -> bool {
    move |b| *b == Body::Checkpoint(cp)
}

fn is_write(id: WriteId) -> impl Fn(&Body) -> bool {
    move |b| matches!(b, Body::Write(x) if x.id == id)
}

fn is_forward(cp: Checkpoint) -> impl Fn(&Body) -> bool {
    move |b| *b == Body::Forward(cp)
}

fn is_release(cp: Checkpoint) -> impl Fn(&Body) -> bool {
    move |b| matches!(b, Body::Release { cp: c, .. } if *c == cp)
}

fn is_complete(cp: Checkpoint) -> impl Fn(&Body) -> bool {
    move |b| *b == Body::UpdateComplete(cp)
}

/// A checkpoint role at one subsystem, typed so a test can read its state.
enum Role {
    P(Primary),
    S(Secondary),
}

impl Node for Role {
    fn handle(&mut self, now: u64, input: Input, out: &mut Outputs) {
        match self {
            Role::P(x) => x.handle(now, input, out),
            Role::S(x) => x.handle(now, input, out),
        }
    }
}

/// The test network over the 2N checkpoint roles, with what only these tests ask of it.
struct Net(TestNet<Role>);

impl Deref for Net {
    type Target = TestNet<Role>;

    fn deref(&self) -> &TestNet<Role> {
        &self.0
    }
}

impl DerefMut for Net {
    fn deref_mut(&mut self) -> &mut TestNet<Role> {
        &mut self.0
    }
}

impl Net {
    fn new(cfg: Config) -> Self {
        let prim = (0..cfg.pairs).map(|i| (p(i), Role::P(Primary::new(i, cfg))));
        let sec = (0..cfg.pairs).map(|i| (s(i), Role::S(Secondary::new(i, cfg))));
        Net(TestNet::new(prim.chain(sec).collect()))
    }

    /// Start copy everywhere (step 102), then let the copy-active exchange finish.
    fn start(cfg: Config) -> Self {
        let mut net = Net::new(cfg);
        net.0.start();
        net.settle();
        net
    }

    fn pairs(&self) -> u16 {
        (self.nodes().count() / 2) as u16
    }

    /// Primary `i`'s state.
    fn prim(&self, i: u16) -> &Primary {
        match self.node(p(i)) {
            Role::P(x) => x,
            Role::S(_) => unreachable!("P{} is a primary", i + 1),
        }
    }

    /// Secondary `i`'s state.
    fn sec(&self, i: u16) -> &Secondary {
        match self.node(s(i)) {
            Role::S(x) => x,
            Role::P(_) => unreachable!("S{} is a secondary", i + 1),
        }
    }

    /// Every primary's state, in pair order.
    fn prims(&self) -> Vec<&Primary> {
        (0..self.pairs()).map(|i| self.prim(i)).collect()
    }

    /// Every secondary's state, in pair order.
    fn secs(&self) -> Vec<&Secondary> {
        (0..self.pairs()).map(|i| self.sec(i)).collect()
    }

    /// Each secondary's fence now, in pair order.
    fn fenced_by_pair(&self) -> Vec<bool> {
        (0..self.pairs()).map(|i| self.is_fenced(s(i))).collect()
    }

    /// Each secondary's landed writes, in pair order.
    fn applied_by_pair(&self) -> Vec<Vec<WriteId>> {
        (0..self.pairs()).map(|i| self.landed_on(s(i))).collect()
    }

    /// Fence changes since `mark`: (secondary's pair, fenced).
    fn pair_fences(&self, mark: usize) -> Vec<(u16, bool)> {
        self.fences(mark)
            .into_iter()
            .map(|(n, on)| match n {
                NodeId::Secondary(i) => (i, on),
                NodeId::Primary(i) => panic!("P{} fenced", i + 1),
            })
            .collect()
    }

    /// Applies secondary `i` has outstanding (handed to its volume, not landed).
    fn to_apply(&self, i: u16) -> usize {
        self.applying.iter().filter(|(n, _)| *n == s(i)).count()
    }

    /// A host write completes on primary `pair` now.
    fn write(&mut self, pair: u16, id: WriteId, block: u32) {
        let arrived = self.now;
        self.input(
            p(pair),
            Input::HostWrite(WriteMeta {
                arrived,
                ..w(pair, id, block)
            }),
        );
    }

    /// The acting primary master issues its next checkpoint now (step 302).
    fn checkpoint(&mut self) -> Checkpoint {
        let m = (0..self.pairs())
            .find(|&i| self.prim(i).acting_master())
            .expect("a primary master");
        let mark = self.mark();
        self.fire(p(m), Timer::Checkpoint);
        self.notes(mark)
            .into_iter()
            .find_map(|(_, n)| match n {
                Note::CheckpointIssued(cp) => Some(cp),
                _ => None,
            })
            .expect("a checkpoint issued")
    }

    /// Release messages sent since `mark`: (to, checkpoint).
    fn releases(&self, mark: usize) -> Vec<(NodeId, Checkpoint)> {
        self.sends(mark)
            .into_iter()
            .filter_map(|(_, to, b)| match b {
                Body::Release { cp, .. } => Some((to, cp)),
                _ => None,
            })
            .collect()
    }

    /// Checkpoints a secondary master released since `mark`.
    fn released(&self, mark: usize) -> Vec<Checkpoint> {
        self.notes(mark)
            .into_iter()
            .filter_map(|(_, n)| match n {
                Note::Released(cp) => Some(cp),
                _ => None,
            })
            .collect()
    }

    /// Asserts that no secondary left its fence before every write in `ids` had landed on its
    /// secondary: the image never opens with a release half done.
    fn assert_unfenced_only_after(&self, mark: usize, ids: &[WriteId]) {
        let last_landed = self.log[mark..]
            .iter()
            .rposition(|e| matches!(e, Ev::Landed { w, .. } if ids.contains(&w.id)))
            .map(|i| i + mark)
            .expect("the writes landed");
        for id in ids {
            assert!(
                self.log[mark..]
                    .iter()
                    .any(|e| matches!(e, Ev::Landed { w, .. } if w.id == *id)),
                "w{id} never landed"
            );
        }
        if let Some(open) = self.first(mark, |e| matches!(e, Ev::Fence { on: false, .. })) {
            assert!(
                open > last_landed,
                "{:?} at {open} before the last of {ids:?} landed at {last_landed}",
                self.log[open]
            );
        }
    }
}

/// The copy-active exchange (steps 202-206 and 402-404) sizes each node's peer table once, at
/// start, to exactly the peers it talks to, whichever of their messages comes first: with a
/// thousand pairs, tables grown by doubling copied two thousand tables of a thousand peers into
/// fresh pages.
#[test]
fn the_copy_active_exchange_sizes_each_peer_table_exactly() {
    let c = cfg(40);
    let mut out = Outputs::new();
    let mut prim = Primary::new(3, c);
    prim.handle(0, Input::Start, &mut out);
    assert_eq!(
        prim.streams().peer_table(),
        (40, 40),
        "39 primaries and its secondary"
    );
    let mut sec = Secondary::new(3, c);
    sec.handle(0, Input::Start, &mut out);
    let copy_active = Msg::Seg {
        seq: 0,
        body: Body::CopyActive,
    };
    // Another secondary's copy-active comes before its own primary's.
    for from in [s(7), p(3)] {
        let msg = copy_active;
        sec.handle(1, Input::Deliver { from, msg }, &mut out);
    }
    assert_eq!(
        sec.streams().peer_table(),
        (40, 40),
        "its primary and 39 secondaries"
    );
}

// ----- 1. the patent's worked example -----

/// The 18 steps at the end of the patent, by hand: four pairs, primary subsystem 3 the clock and
/// checkpoint master, secondary subsystem 4 the rendezvous master; messages delivered in the
/// patent's order.
#[test]
fn the_patents_worked_example_step_by_step() {
    let (a, b, c) = (100, 200, 300);
    let mut config = cfg(4);
    config.primary_master = 2;
    config.secondary_master = 3;

    // 1. DASD 1-4 exchange copy-active; P3 is the timing master, S4 the secondary master.
    let mut net = Net::start(config);
    let masters: Vec<bool> = net
        .prims()
        .into_iter()
        .map(Primary::acting_master)
        .collect();
    assert_eq!(masters, [false, false, true, false]);
    let masters: Vec<bool> = net
        .secs()
        .into_iter()
        .map(Secondary::acting_master)
        .collect();
    assert_eq!(masters, [false, false, false, true]);
    for i in 0..4 {
        let announced = net
            .sends(0)
            .into_iter()
            .filter(|&(from, _, b)| from == s(i) && b == Body::CopyActive)
            .count();
        assert_eq!(announced, 3, "S{} tells the other secondaries", i + 1);
    }
    assert!(net.fenced_by_pair().iter().all(|f| !f));

    // 2-3. io1 completes on P1 at a, io2 on P2 at b.
    net.now = a;
    net.write(0, 1, 1);
    net.now = b;
    net.write(1, 2, 2);

    // 4. P1 sends io1 with time value a; S1 buffers it without applying.
    let m0 = net.mark();
    net.deliver_where(
        "io1",
        seg(
            p(0),
            s(0),
            |x| matches!(x, Body::Write(w) if w.id == 1 && w.stamp == a),
        ),
    );
    assert_eq!(net.sec(0).buffered(), 1);

    // 5. P3 issues checkpoint n with time value b.
    let cp = net.checkpoint();
    assert_eq!(
        cp,
        Checkpoint {
            id: checkpoint_id(0, 1),
            t: b
        }
    );
    assert_eq!(cp.n(), 1);

    // 6-7. io3 completes on P1 at c and reaches S1, which buffers it too.
    net.now = c;
    net.write(0, 3, 3);
    net.deliver_where(
        "io3",
        seg(
            p(0),
            s(0),
            |x| matches!(x, Body::Write(w) if w.id == 3 && w.stamp == c),
        ),
    );
    assert_eq!(net.sec(0).buffered(), 2);
    assert!(
        net.log[m0..].iter().all(|e| !matches!(e, Ev::Apply { .. })),
        "nothing is applied before a release"
    );

    // 8-9. P1 receives checkpoint n, sends it to S1, which forwards it to S4.
    net.deliver_where("checkpoint n at P1", seg(p(2), p(0), is_cp(cp)));
    let m = net.mark();
    net.deliver_where("checkpoint n at S1", seg(p(0), s(0), is_cp(cp)));
    assert_eq!(net.sends(m), [(s(0), s(3), Body::Forward(cp))]);
    net.deliver_where("S1's forward", seg(s(0), s(3), is_forward(cp)));

    // 10. io2 with time value b reaches S2, which buffers it.
    net.deliver_where(
        "io2",
        seg(
            p(1),
            s(1),
            |x| matches!(x, Body::Write(w) if w.id == 2 && w.stamp == b),
        ),
    );
    assert_eq!(net.sec(1).buffered(), 1);

    // 11-12. P2 receives checkpoint n and sends it to S2, which forwards it to S4.
    net.deliver_where("checkpoint n at P2", seg(p(2), p(1), is_cp(cp)));
    net.deliver_where("checkpoint n at S2", seg(p(1), s(1), is_cp(cp)));
    net.deliver_where("S2's forward", seg(s(1), s(3), is_forward(cp)));

    // 13. P3 and P4 send checkpoint n to S3 and S4; S3 forwards it to S4.
    net.deliver_where("checkpoint n at S3", seg(p(2), s(2), is_cp(cp)));
    net.deliver_where("S3's forward", seg(s(2), s(3), is_forward(cp)));
    assert!(
        net.releases(0).is_empty() && net.released(0).is_empty(),
        "three forwards are not a rendezvous: S4's own is missing"
    );
    net.deliver_where("checkpoint n at P4", seg(p(2), p(3), is_cp(cp)));

    // 14. The last forward, S4's own, completes the rendezvous: release to S1, S2 and S3.
    let m14 = net.mark();
    net.deliver_where("checkpoint n at S4", seg(p(3), s(3), is_cp(cp)));
    assert_eq!(net.releases(m14), [(s(0), cp), (s(1), cp), (s(2), cp)]);
    assert!(net
        .notes(m14)
        .contains(&(s(3), Note::Rendezvous { cp, latency: 0 })));
    assert!(net.notes(m14).contains(&(s(3), Note::Released(cp))));
    assert_eq!(
        net.pair_fences(m14),
        [(3, true)],
        "S4 itself enters update-in-progress"
    );

    // 15. S3 has nothing to apply and reports update-complete at once.
    let m = net.mark();
    net.deliver_where("release at S3", seg(s(3), s(2), is_release(cp)));
    assert_eq!(net.pair_fences(m), [(2, true)]);
    assert!(net.applies(m, s(2)).is_empty());
    assert!(net
        .sends(m)
        .contains(&(s(2), s(3), Body::UpdateComplete(cp))));

    // 16. S1 enters update-in-progress and applies io1, but not io3 (c > b); update-complete
    // goes only once io1 is on the volume.
    let m = net.mark();
    net.deliver_where("release at S1", seg(s(3), s(0), is_release(cp)));
    assert_eq!(net.pair_fences(m), [(0, true)]);
    assert_eq!(net.applies(m, s(0)), [1]);
    assert_eq!(net.sec(0).buffered(), 1, "io3 stays buffered");
    assert!(net.sec(0).in_update());
    assert!(!net.sends(m).iter().any(|&(_, _, b)| is_complete(cp)(&b)));
    let m = net.mark();
    assert!(net.land(s(0)));
    assert_eq!(net.sends(m), [(s(0), s(3), Body::UpdateComplete(cp))]);

    // 17. S2 likewise applies io2.
    let m = net.mark();
    net.deliver_where("release at S2", seg(s(3), s(1), is_release(cp)));
    assert_eq!(net.pair_fences(m), [(1, true)]);
    assert_eq!(net.applies(m, s(1)), [2]);
    assert!(net.land(s(1)));

    // 18. Only when S4 has every update-complete does it reset update-in-progress.
    let m = net.mark();
    net.deliver_where("S3's update-complete", seg(s(2), s(3), is_complete(cp)));
    net.deliver_where("S1's update-complete", seg(s(0), s(3), is_complete(cp)));
    assert!(
        net.pair_fences(m).is_empty()
            && !net
                .sends(m)
                .iter()
                .any(|(_, _, b)| matches!(b, Body::Reset { .. })),
        "S2's update-complete is still missing"
    );
    assert_eq!(net.fenced_by_pair(), [true; 4]);
    let m18 = net.mark();
    net.deliver_where("S2's update-complete", seg(s(1), s(3), is_complete(cp)));
    let resets: Vec<NodeId> = net
        .sends(m18)
        .into_iter()
        .filter(|&(_, _, b)| b == Body::Reset { epoch: 0, cp })
        .map(|(_, to, _)| to)
        .collect();
    assert_eq!(resets, [s(0), s(1), s(2)]);
    assert!(net.notes(m18).contains(&(s(3), Note::Applied(cp))));
    assert_eq!(net.pair_fences(m18), [(3, false)]);
    net.settle();
    assert_eq!(net.fenced_by_pair(), [false; 4]);
    assert!(net.secs().into_iter().all(|x| !x.in_update()));

    // The image now holds io1 and io2 but not io3...
    assert_eq!(net.applied_by_pair(), [vec![1], vec![2], vec![], vec![]]);
    // ...which the next checkpoint sequence brings.
    net.now = 400;
    let next = net.checkpoint();
    net.settle();
    assert!(net.released(m18).contains(&next));
    assert_eq!(net.applied_by_pair()[0], [1, 3]);
}

// ----- 2. the rendezvous waits for every member -----

/// With S2's forwards withheld from the master, nothing is released however long the others
/// wait and however many checkpoints they forward; once they get through, the rendezvous
/// completes and every buffered write is applied.
#[test]
fn the_rendezvous_waits_for_every_member() {
    let mut net = Net::start(cfg(3));
    net.now = 100;
    for i in 0..3 {
        net.write(i, u64::from(i) + 1, 1);
    }
    net.block(s(1), s(0));
    net.advance_to(30_000);

    let forwarded = |net: &Net, from: u16| {
        net.sends(0)
            .iter()
            .filter(|(f, to, b)| *f == s(from) && *to == s(0) && matches!(b, Body::Forward(_)))
            .count()
    };
    assert!(forwarded(&net, 2) >= 20, "S3 forwarded every checkpoint");
    assert!(forwarded(&net, 1) >= 20, "S2 forwarded too, but withheld");
    assert!(
        net.releases(0).is_empty(),
        "no release without S2's forward"
    );
    assert!(net.released(0).is_empty());
    assert!(net.applied_by_pair().iter().all(Vec::is_empty));
    assert!(net.fenced_by_pair().iter().all(|f| !f));

    let m = net.mark();
    net.unblock(s(1), s(0));
    net.settle();
    // S2's forwards arrive oldest first, so the oldest rendezvous completes first; the newest
    // follows once that round is over.
    let released = net.released(m);
    assert!(!released.is_empty());
    assert!(released.windows(2).all(|r| r[0].t < r[1].t), "{released:?}");
    assert!(released.last().unwrap().t >= 29_000, "{released:?}");
    assert_eq!(net.applied_by_pair(), [vec![1], vec![2], vec![3]]);
    assert_eq!(net.fenced_by_pair(), [false; 3]);
}

// ----- 3. releases are idempotent -----

/// Two pairs, primary master P1, secondary master S2: S1 is the member under test.
fn member_and_master() -> Net {
    let mut config = cfg(2);
    config.secondary_master = 1;
    Net::start(config)
}

/// Runs checkpoint `cp`'s round up to the point where S2's release to S1 is withheld, and
/// returns it.
fn release_to_s1_withheld(net: &mut Net) -> (Checkpoint, Flight) {
    net.block(s(1), s(0));
    let cp = net.checkpoint();
    net.settle();
    let rel = net.take_held("release to S1", seg(s(1), s(0), is_release(cp)));
    net.unblock(s(1), s(0));
    (cp, rel)
}

/// The same release body again, as a datagram: a repeat that the stream cannot filter out (what
/// a master re-sending the release after a failover looks like to the member).
fn again(rel: Flight) -> Flight {
    Flight {
        msg: Msg::Dgram(rel.body().unwrap()),
        ..rel
    }
}

#[test]
fn releases_are_idempotent() {
    let mut net = member_and_master();
    net.now = 100;
    net.write(0, 1, 1);
    net.write(1, 2, 1);
    net.now = 200;
    let (cp1, rel) = release_to_s1_withheld(&mut net);

    // The same segment twice: the stream hands it on once.
    let m = net.mark();
    net.flight.push_back(rel);
    net.dup_where("release to S1", seg(s(1), s(0), is_release(cp1)));
    assert_eq!(net.flight.iter().filter(|f| **f == rel).count(), 2);
    net.deliver_all();
    assert_eq!(net.applies(m, s(0)), [1]);
    // Repeated while the apply is outstanding: nothing more to apply, nothing to report yet.
    net.deliver(again(rel));
    assert_eq!(net.applies(m, s(0)), [1]);
    assert!(!net.sends(m).iter().any(|(_, _, b)| is_complete(cp1)(b)));
    assert!(net.land(s(0)));
    assert_eq!(net.to_apply(0), 0);
    let completes = |net: &Net, m| {
        net.sends(m)
            .into_iter()
            .filter(|&(from, to, b)| {
                from == s(0) && to == s(1) && matches!(b, Body::UpdateComplete(_))
            })
            .map(|(_, _, b)| b)
            .collect::<Vec<_>>()
    };
    assert_eq!(completes(&net, m), [Body::UpdateComplete(cp1)]);
    net.settle();
    assert_eq!(net.fenced_by_pair(), [false; 2]);
    assert_eq!(net.applied_by_pair()[0], [1]);

    // Repeated after the reset: answered again with update-complete, nothing applied, no
    // fence; the master, with no round running, lets it be.
    let m = net.mark();
    net.deliver(again(rel));
    assert_eq!(completes(&net, m), [Body::UpdateComplete(cp1)]);
    net.settle();
    assert!(net.applies(m, s(0)).is_empty());
    assert!(net.pair_fences(m).is_empty());
    assert!(net.releases(m).is_empty() && net.released(m).is_empty());
    assert!(!net
        .sends(m)
        .iter()
        .any(|(_, _, b)| matches!(b, Body::Reset { .. })));

    // A later round; the older release arriving in the middle of it neither applies anything
    // nor reports the later round complete early.
    net.now = 300;
    net.write(0, 3, 2);
    net.now = 400;
    let (cp2, rel2) = release_to_s1_withheld(&mut net);
    assert!(cp2.t > cp1.t);
    let m = net.mark();
    net.deliver(rel2);
    assert_eq!(net.applies(m, s(0)), [3]);
    net.deliver(again(rel));
    assert_eq!(net.applies(m, s(0)), [3]);
    assert!(completes(&net, m).is_empty(), "w3 is not on the volume yet");
    assert!(net.is_fenced(s(0)) && net.sec(0).in_update());
    assert!(net.land(s(0)));
    assert_eq!(completes(&net, m), [Body::UpdateComplete(cp2)]);
    net.settle();
    assert_eq!(net.fenced_by_pair(), [false; 2]);

    // And after the round: still harmless, and answered for the newest release.
    let m = net.mark();
    net.deliver(again(rel));
    assert_eq!(completes(&net, m), [Body::UpdateComplete(cp2)]);
    net.settle();
    assert!(net.applies(m, s(0)).is_empty() && net.pair_fences(m).is_empty());
    assert_eq!(net.applied_by_pair()[0], [1, 3]);
}

// ----- 4. a checkpoint must not overtake a write it covers -----

#[test]
fn a_checkpoint_overtaking_a_write_waits_for_it() {
    let mut net = member_and_master();
    net.now = 100;
    net.write(0, 1, 1);
    net.now = 200;
    let cp = net.checkpoint();

    // A second path carries the checkpoint ahead of the write it covers.
    net.move_before(seg(p(0), s(0), is_cp(cp)), seg(p(0), s(0), is_write(1)));
    let Msg::Seg { seq: cp_seq, .. } = net.flight[0].msg else {
        panic!("the checkpoint first")
    };
    let m = net.mark();
    net.deliver_where("the early checkpoint", seg(p(0), s(0), is_cp(cp)));
    assert!(
        net.sends(m).is_empty(),
        "no forward while the write ahead of it is missing"
    );
    assert!(
        net.log[m..].contains(&Ev::Send(Flight {
            from: s(0),
            to: p(0),
            msg: Msg::Ack {
                next: cp_seq - 1,
                held: 1,
            }
        })),
        "the receiver acknowledges the gap and says it holds the checkpoint"
    );
    assert_eq!(net.sec(0).buffered(), 0);

    // The write fills the gap: both are handed on in stream order.
    let m = net.mark();
    net.deliver_where("the late write", seg(p(0), s(0), is_write(1)));
    assert_eq!(net.sec(0).buffered(), 1);
    assert_eq!(net.sends(m), [(s(0), s(1), Body::Forward(cp))]);
    net.settle();
    assert_eq!(net.released(m), [cp]);
    assert_eq!(
        net.applied_by_pair()[0],
        [1],
        "the release includes the write"
    );

    // Lost rather than late: the checkpoint waits for the write's retransmission. The
    // acknowledgement that holds the checkpoint, a round trip after the write was sent, tells
    // the primary the write was lost, and it resends it at once rather than at its timer.
    net.now = 300;
    net.write(0, 2, 2);
    net.now = 400;
    let cp2 = net.checkpoint();
    assert_eq!(net.drop_where(seg(p(0), s(0), is_write(2))), 1);
    let m = net.mark();
    net.settle();
    let at = |pred: &dyn Fn(&Flight) -> bool| {
        net.log[m..]
            .iter()
            .position(|e| matches!(e, Ev::Send(f) if pred(f)))
    };
    let resent = at(&seg(p(0), s(0), is_write(2))).expect("the lost write is resent");
    let forward = at(&seg(s(0), s(1), is_forward(cp2))).expect("the checkpoint goes on");
    assert!(resent < forward, "the checkpoint waited for the write");
    assert_eq!(net.released(m), [cp2]);
    assert_eq!(net.applied_by_pair()[0], [1, 2]);
}

// ----- 5. update-in-progress survives a reset -----

#[test]
fn update_in_progress_survives_a_restart() {
    let mut net = member_and_master();
    net.now = 100;
    net.write(0, 1, 1);
    net.write(0, 2, 2);
    net.now = 200;
    let cp = net.checkpoint();
    net.now = 300;
    net.write(0, 3, 3);
    net.deliver_all();
    assert_eq!(net.to_apply(0), 2, "S1 is applying w1 and w2");
    assert!(net.land(s(0)));

    // S1 resets with w2 still in its apply service, which the reset loses.
    net.applying.retain(|(n, _)| *n != s(0));
    let m = net.mark();
    net.input(s(0), Input::Restart);
    assert_eq!(
        net.applies(m, s(0)),
        [2],
        "the pending apply is issued again, and only it"
    );
    assert!(net.sec(0).in_update());
    assert!(net.is_fenced(s(0)), "still fenced");
    assert!(net.pair_fences(m).is_empty());
    assert_eq!(
        net.sec(0).buffered(),
        1,
        "w3 survived in non-volatile buffers"
    );
    net.deliver_all();
    assert!(
        !net.sends(m).iter().any(|(_, _, b)| is_complete(cp)(b)),
        "no update-complete before w2 lands"
    );
    assert!(net.released(0).contains(&cp));
    assert!(!net.notes(0).contains(&(s(1), Note::Applied(cp))));
    assert!(net.is_fenced(s(0)));

    assert!(net.land(s(0)));
    assert!(net
        .sends(m)
        .contains(&(s(0), s(1), Body::UpdateComplete(cp))));
    net.settle();
    assert!(net.notes(m).contains(&(s(1), Note::Applied(cp))));
    assert_eq!(net.fenced_by_pair(), [false; 2]);
    assert!(!net.sec(0).in_update());
    assert_eq!(net.applied_by_pair()[0], [1, 2]);
}

// ----- 6. secondary master failover -----

/// The secondary site's timers and everyone's retransmissions; the primaries' checkpoints and
/// clock work stay in the test's hands.
fn secondary_timers(node: NodeId, timer: Timer) -> bool {
    matches!(node, NodeId::Secondary(_)) || timer == Timer::Retransmit
}

/// The patent's four pairs, S4 the secondary master. Writes w1-w4 (one per pair) are covered by
/// checkpoint R, whose release reaches S2 only (and S4 itself); w5 and w6 are covered by R2,
/// which every member forwards while R's round is still open. Then S4 falls silent. Returns the
/// network, the mark before R, R and R2.
fn master_silent_after_a_partial_release() -> (Net, usize, Checkpoint, Checkpoint) {
    let mut config = cfg(4);
    config.primary_master = 2;
    config.secondary_master = 3;
    let mut net = Net::start(config);
    let m0 = net.mark();
    net.now = 100;
    for i in 0..4 {
        net.write(i, u64::from(i) + 1, 1);
    }
    net.now = 200;
    net.block(s(3), s(0));
    net.block(s(3), s(2));
    let r = net.checkpoint();
    net.settle();
    assert_eq!(net.released(m0), [r]);
    assert_eq!(net.fenced_by_pair(), [false, true, false, true]);
    assert_eq!(net.applied_by_pair(), [vec![], vec![2], vec![], vec![4]]);

    net.now = 300;
    net.write(0, 5, 2);
    net.write(2, 6, 2);
    net.now = 400;
    let r2 = net.checkpoint();
    net.settle();
    assert_eq!(net.released(m0), [r], "R's round is still open");
    for i in 0..3 {
        assert!(net.sends(m0).contains(&(s(i), s(3), Body::Forward(r2))));
    }

    net.cut(s(3));
    net.unblock(s(3), s(0));
    net.unblock(s(3), s(2));
    (net, m0, r, r2)
}

/// After [`master_silent_after_a_partial_release`], S1 takes over with epoch 1, learns of R from
/// S2's status, finishes R on every member (S4 included, once it is heard again) before anyone
/// leaves update-in-progress, then releases R2, which the members forwarded again.
#[test]
fn a_new_secondary_master_finishes_a_half_done_release() {
    let (mut net, m0, r, r2) = master_silent_after_a_partial_release();

    // The others' master watches run out.
    let m = net.mark();
    net.advance_where(20_000, secondary_timers);
    let masters: Vec<(NodeId, Note)> = net
        .notes(m)
        .into_iter()
        .filter(|(_, n)| matches!(n, Note::BecameMaster { .. }))
        .collect();
    assert_eq!(masters, [(s(0), Note::BecameMaster { epoch: 1 })]);
    assert!(net.sec(0).acting_master() && !net.sec(1).acting_master());
    for i in [1, 2] {
        let reported = net.sends(m).into_iter().any(|(from, to, b)| {
            from == s(i) && to == s(0) && matches!(b, Body::Status(st) if st.epoch == 1)
        });
        assert!(reported, "S{} reports to the new master", i + 1);
        assert!(
            net.sends(m).contains(&(s(i), s(0), Body::Forward(r2))),
            "S{} forwards again what was not released",
            i + 1
        );
    }
    let status_of_s2 = net.sends(m).into_iter().find_map(|(from, _, b)| match b {
        Body::Status(st) if from == s(1) => Some(st),
        _ => None,
    });
    assert_eq!(
        status_of_s2.map(|st| (st.released, st.uip)),
        Some((Some(r), true))
    );
    assert!(net
        .releases(m)
        .iter()
        .any(|&(to, cp)| to == s(2) && cp == r));
    assert!(net
        .sends(m)
        .contains(&(s(0), s(2), Body::Release { epoch: 1, cp: r })));
    assert_eq!(net.applied_by_pair(), [vec![1], vec![2], vec![3], vec![4]]);
    assert_eq!(
        net.fenced_by_pair(),
        [true; 4],
        "R's round waits for S4: nobody opens"
    );
    assert!(net.pair_fences(m).iter().all(|&(_, on)| on));
    assert!(!net.released(m).contains(&r2));

    // S4 is heard again: it follows the new master, completes R, and the next rendezvous (with
    // S4's forward) releases R2.
    net.heal(s(3));
    net.advance_where(40_000, secondary_timers);
    assert!(!net.sec(3).acting_master());
    assert!(net.released(m).contains(&r2));
    assert_eq!(net.fenced_by_pair(), [false; 4]);
    assert_eq!(
        net.applied_by_pair(),
        [vec![1, 5], vec![2], vec![3, 6], vec![4]]
    );
    net.assert_unfenced_only_after(m0, &[1, 2, 3, 4]);
}

// ----- 7. takeover -----

/// Three pairs, S3 the secondary master. Checkpoint R (covering w1-w3, one per pair) is released:
/// S2 and S3 applied it, S1's release is withheld. R2 (covering w4-w6) has a complete rendezvous
/// but is not released, since R's round is still open. Returns the network, the mark before R,
/// R and R2.
fn released_but_not_reset() -> (Net, usize, Checkpoint, Checkpoint) {
    let mut config = cfg(3);
    config.secondary_master = 2;
    let mut net = Net::start(config);
    let m0 = net.mark();
    net.now = 100;
    for i in 0..3 {
        net.write(i, u64::from(i) + 1, 1);
    }
    net.now = 200;
    net.block(s(2), s(0));
    let r = net.checkpoint();
    net.settle();
    assert_eq!(net.fenced_by_pair(), [false, true, true]);
    assert_eq!(net.applied_by_pair(), [vec![], vec![2], vec![3]]);
    net.now = 300;
    for i in 0..3 {
        net.write(i, u64::from(i) + 4, 2);
    }
    net.now = 400;
    let r2 = net.checkpoint();
    net.settle();
    for i in 0..2 {
        assert!(net.sends(m0).contains(&(s(i), s(2), Body::Forward(r2))));
    }
    assert_eq!(net.released(m0), [r]);
    (net, m0, r, r2)
}

/// After [`released_but_not_reset`], the takeover reaches every secondary at once. It finishes R
/// on every secondary, discards R2 and everything after it, and opens the image only once every
/// secondary holds R.
#[test]
fn takeover_finishes_the_released_checkpoint_and_discards_the_rest() {
    let (mut net, m0, r, r2) = released_but_not_reset();
    assert!(r2.t > r.t);
    let m = net.mark();
    for i in 0..3 {
        net.input(s(i), Input::Takeover);
    }
    assert_eq!(
        net.fenced_by_pair(),
        [true; 3],
        "no host reads a secondary mid-takeover"
    );
    net.unblock(s(2), s(0));
    net.settle();

    let mut done: Vec<u16> = net.log[m..]
        .iter()
        .filter_map(|e| match e {
            Ev::TakeoverDone {
                node: NodeId::Secondary(s),
            } => Some(*s),
            _ => None,
        })
        .collect();
    done.sort_unstable();
    assert_eq!(done, [0, 1, 2], "once each");
    assert_eq!(net.applied_by_pair(), [vec![1], vec![2], vec![3]]);
    for id in 4..=6 {
        assert!(
            !net.log
                .iter()
                .any(|e| matches!(e, Ev::Apply { w, .. } if w.id == id)),
            "w{id} is past the released checkpoint"
        );
    }
    assert!(
        net.released(m0).iter().all(|&cp| cp == r),
        "R2 is never released"
    );
    assert_eq!(net.fenced_by_pair(), [false; 3]);
    assert!(net
        .secs()
        .into_iter()
        .all(|x| x.buffered() == 0 && !x.in_update()));
    net.assert_unfenced_only_after(m0, &[1, 2, 3]);
    let last_done = net
        .log
        .iter()
        .rposition(|e| matches!(e, Ev::TakeoverDone { .. }))
        .unwrap();
    let first_done = net
        .first(m, |e| matches!(e, Ev::TakeoverDone { .. }))
        .unwrap();
    let last_landed = net
        .log
        .iter()
        .rposition(|e| matches!(e, Ev::Landed { .. }))
        .unwrap();
    assert!(first_done > last_landed && last_done > last_landed);
}

/// After [`released_but_not_reset`], the takeover reaches the master first; R's round then ends
/// normally (S1's release gets through) while S1 and S2 have not yet reported. R2's rendezvous is
/// complete, but once a takeover has begun nothing newer than R may be released.
#[test]
fn takeover_reaching_the_master_first_releases_nothing_newer() {
    let (mut net, m0, r, r2) = released_but_not_reset();
    net.input(s(2), Input::Takeover);
    net.unblock(s(2), s(0));
    let m = net.mark();
    net.settle();
    assert!(
        net.sends(m)
            .iter()
            .any(|(_, _, b)| matches!(b, Body::Reset { cp, .. } if *cp == r)),
        "R's round ended during the takeover"
    );
    assert!(!net.released(m0).contains(&r2), "R2 is not released");
    assert_eq!(net.applied_by_pair(), [vec![1], vec![2], vec![3]]);
    net.input(s(0), Input::Takeover);
    net.input(s(1), Input::Takeover);
    net.settle();
    assert_eq!(net.applied_by_pair(), [vec![1], vec![2], vec![3]]);
    assert!(!net.released(m0).contains(&r2));
    let done = net
        .log
        .iter()
        .filter(|e| matches!(e, Ev::TakeoverDone { .. }))
        .count();
    assert_eq!(done, 3);
    assert_eq!(net.fenced_by_pair(), [false; 3]);
    net.assert_unfenced_only_after(m0, &[1, 2, 3]);
}

/// The takeover reaches the secondaries while their master is changing: S1 takes over as
/// master and is told of the takeover before it has heard from anyone, and does not know of R
/// (only S2 and the silent S4 applied it). It must wait for every member's report, learn R,
/// finish it everywhere, release nothing newer (R2 has a complete rendezvous by then), and only
/// then open.
#[test]
fn takeover_during_a_failover_waits_for_every_members_report() {
    let (mut net, m0, r, r2) = master_silent_after_a_partial_release();
    net.now = 15_000;
    let m = net.mark();
    net.fire(s(0), Timer::MasterWatch);
    assert!(net.sec(0).acting_master());
    net.input(s(0), Input::Takeover);
    assert!(
        net.pair_fences(m).iter().all(|&(_, on)| on)
            && net.log[m..]
                .iter()
                .all(|e| !matches!(e, Ev::TakeoverDone { .. })),
        "the new master alone cannot open the image"
    );
    net.input(s(1), Input::Takeover);
    net.input(s(2), Input::Takeover);
    net.settle();
    assert_eq!(net.fenced_by_pair(), [true; 4]);
    assert!(
        net.log
            .iter()
            .all(|e| !matches!(e, Ev::TakeoverDone { .. })),
        "S4 has not reported"
    );

    // S4 is heard again, follows the new master, and then gets the takeover too.
    net.heal(s(3));
    net.advance_where(20_000, secondary_timers);
    net.input(s(3), Input::Takeover);
    net.advance_where(30_000, secondary_timers);

    let mut done: Vec<u16> = net
        .log
        .iter()
        .filter_map(|e| match e {
            Ev::TakeoverDone {
                node: NodeId::Secondary(s),
            } => Some(*s),
            _ => None,
        })
        .collect();
    done.sort_unstable();
    assert_eq!(done, [0, 1, 2, 3]);
    assert_eq!(net.applied_by_pair(), [vec![1], vec![2], vec![3], vec![4]]);
    assert!(!net.released(m0).contains(&r2), "R2 is never released");
    assert!(net.released(m).contains(&r));
    assert_eq!(net.fenced_by_pair(), [false; 4]);
    net.assert_unfenced_only_after(m0, &[1, 2, 3, 4]);
}

// ----- 8. a member whose primary is gone -----

/// Three pairs, checkpoints every 1000 ns; P3 falls silent at 5 500 ns and a write on P2 comes at
/// 100 000 ns. Returns the network at 120 000 ns, the mark at the silence, and the last
/// checkpoint S3 forwarded.
fn silent_primary(policy: MemberFailure) -> (Net, usize, Checkpoint) {
    let mut config = cfg(3);
    config.member_failure = policy;
    let mut net = Net::start(config);
    net.advance_to(5_500);
    assert!(net.released(0).len() >= 4, "the group runs");
    let m = net.mark();
    net.cut(p(2));
    net.advance_to(100_000);
    net.write(1, 10, 1);
    net.advance_to(120_000);
    let last = net
        .sends(0)
        .into_iter()
        .filter_map(|(from, _, b)| match b {
            Body::Forward(cp) if from == s(2) => Some(cp),
            _ => None,
        })
        .max()
        .expect("S3 forwarded");
    (net, m, last)
}

#[test]
fn with_resign_a_member_whose_primary_is_silent_leaves_the_group() {
    let (net, m, last) = silent_primary(MemberFailure::Resign);
    let resigned: Vec<(NodeId, Note)> = net
        .notes(m)
        .into_iter()
        .filter(|(_, n)| *n == Note::Resigned)
        .collect();
    assert_eq!(resigned, [(s(2), Note::Resigned)]);
    let resign_at = net
        .first(m, |e| {
            matches!(e, Ev::Send(f) if f.from == s(2) && f.to == s(0) && f.body() == Some(Body::Resign))
        })
        .expect("S3 resigns to the master");
    // Until then the group waited for S3; after, it goes on without it.
    assert!(net.released(m)[..].iter().all(|cp| cp.t > last.t));
    let before = net.released(0);
    let before: Vec<Checkpoint> = before.into_iter().filter(|cp| cp.t <= last.t).collect();
    assert_eq!(before.last(), Some(&last));
    assert!(
        net.releases(m).iter().all(|&(to, _)| to != s(2)),
        "no release goes to a resigned member"
    );
    assert!(
        net.first(m, |e| matches!(
            e,
            Ev::Note {
                note: Note::Released(_),
                ..
            }
        ))
        .unwrap()
            > resign_at
    );
    let newest = net.released(m).into_iter().max().expect("releases go on");
    assert!(newest.t >= 119_000, "{newest:?}");
    assert_eq!(
        net.applied_by_pair()[1],
        [10],
        "P2's late write reaches S2's volume"
    );
    assert_eq!(net.fenced_by_pair(), [false; 3]);
}

#[test]
fn with_freeze_the_group_stops_at_the_silent_members_last_forward() {
    let (net, m, last) = silent_primary(MemberFailure::Freeze);
    assert!(!net.notes(0).iter().any(|(_, n)| *n == Note::Resigned));
    assert!(!net.sends(0).iter().any(|(_, _, b)| *b == Body::Resign));
    assert!(
        net.released(m).is_empty(),
        "nothing released after the silence"
    );
    assert_eq!(net.released(0).into_iter().max(), Some(last));
    assert!(net.releases(0).iter().all(|&(_, cp)| cp.t <= last.t));
    let newer = net
        .sends(m)
        .into_iter()
        .any(|(from, _, b)| from == s(1) && matches!(b, Body::Forward(cp) if cp.t > 100_000));
    assert!(newer, "S2 still forwards checkpoints: only S3 is missing");
    assert!(
        net.applied_by_pair()[1].is_empty(),
        "P2's late write is never released"
    );
    assert_eq!(net.fenced_by_pair(), [false; 3]);
}

// ----- 9. clock-free mode -----

/// Without clocks, a write's time value is the number of the checkpoints its primary has seen:
/// a write completing after the master issued checkpoint 1 but before checkpoint 1 reached its
/// primary belongs to checkpoint 1.
#[test]
fn clock_free_stamps_follow_checkpoint_arrivals() {
    let mut config = cfg(2);
    config.clock = ClockMode::None;
    config.secondary_master = 1;
    let mut net = Net::start(config);
    let m0 = net.mark();
    net.now = 100;
    let cp1 = net.checkpoint();
    assert_eq!(cp1.t, cp1.id);
    net.now = 150;
    net.write(1, 1, 1);
    net.deliver_where("checkpoint 1 at P2", seg(p(0), p(1), is_cp(cp1)));
    net.now = 160;
    net.write(1, 2, 2);
    net.now = 170;
    net.write(0, 3, 1);
    let stamps: Vec<(WriteId, u64)> = net
        .sends(m0)
        .into_iter()
        .filter_map(|(_, _, b)| match b {
            Body::Write(x) => Some((x.id, x.stamp)),
            _ => None,
        })
        .collect();
    assert_eq!(stamps, [(1, cp1.t), (2, cp1.t + 1), (3, cp1.t + 1)]);

    let m = net.mark();
    net.settle();
    assert_eq!(net.released(m), [cp1]);
    assert_eq!(net.applied_by_pair(), [vec![], vec![1]]);
    net.now = 200;
    let cp2 = net.checkpoint();
    assert_eq!(cp2.t, cp1.t + 1);
    net.settle();
    assert_eq!(net.applied_by_pair(), [vec![3], vec![1, 2]]);
}

// ----- beyond the brief: gaps these tests found -----

/// A resignation once reached only the master of the moment, so after a failover the new
/// master's group still held the resigned member and no later rendezvous completed. A member
/// now repeats its resignation to every new master it reports to.
#[test]
fn a_resignation_survives_a_secondary_master_failover() {
    let mut config = cfg(3);
    config.member_failure = MemberFailure::Resign;
    let mut net = Net::start(config);
    net.advance_to(5_500);
    net.cut(p(2));
    net.advance_to(80_000);
    assert!(net.notes(0).contains(&(s(2), Note::Resigned)));
    let m = net.mark();
    assert!(!net.released(0).is_empty());

    // S1, the master, falls silent; S2 takes over; S1 comes back as a member.
    net.cut(s(0));
    net.advance_to(100_000);
    net.heal(s(0));
    net.advance_to(130_000);
    assert!(net
        .notes(m)
        .contains(&(s(1), Note::BecameMaster { epoch: 1 })));
    let forwarded = |from: u16| {
        net.sends(m).into_iter().any(|(f, to, b)| {
            f == s(from) && to == s(1) && matches!(b, Body::Forward(cp) if cp.t >= 120_000)
        })
    };
    assert!(forwarded(0), "S1 forwards to the new master");
    assert!(
        net.sends(m).iter().any(|(f, to, b)| *f == p(1)
            && *to == s(1)
            && matches!(b, Body::Checkpoint(cp) if cp.t >= 120_000)),
        "S2, the master, has the checkpoints too"
    );
    let newest = net.released(m).into_iter().max();
    assert!(
        newest.is_some_and(|cp| cp.t >= 120_000),
        "the group of S1 and S2 still releases; newest since the failover: {newest:?}"
    );
}

/// Volatile buffers lost in a reset: the member knows it lost them, stays fenced and asks its
/// primary, which kept every write it shipped until the member reported it applied, to send them
/// again; the release that follows applies w1 beside w2, which depends on it.
#[test]
fn volatile_buffers_lost_in_a_reset_are_sent_again_before_any_release() {
    let net = volatile_reset(None);
    assert!(
        net.applied_by_pair()[1].contains(&2) && net.applied_by_pair()[0].contains(&1),
        "expected w1 and w2 applied: {:?}",
        net.applied_by_pair()
    );
}

/// The `volatile-replay` mutant (the behaviour before buffers were modelled truthfully): the
/// reset member goes on forwarding checkpoints that cover the writes it lost, which the pair
/// stream had acknowledged and nobody sends again, and the group releases w2 without w1.
#[test]
fn the_volatile_replay_mutant_releases_a_write_without_its_predecessor() {
    let net = volatile_reset(Some(Mutant::VolatileReplay));
    assert!(
        net.applied_by_pair()[1].contains(&2) && !net.applied_by_pair()[0].contains(&1),
        "expected w2 on S2 without w1 on S1: {:?}",
        net.applied_by_pair()
    );
}

/// S1, with volatile buffers, holds w1 and resets; then w2 (after w1) and a checkpoint.
fn volatile_reset(mutant: Option<Mutant>) -> Net {
    let mut config = cfg(2);
    config.secondary_master = 1;
    config.volatile_buffers = true;
    config.mutant = mutant;
    let mut net = Net::start(config);
    net.now = 100;
    net.write(0, 1, 1);
    net.deliver_all();
    assert_eq!(net.sec(0).buffered(), 1);
    net.input(s(0), Input::Restart);
    assert_eq!(net.sec(0).buffered(), 0, "the reset lost w1");
    // w2 is issued after w1 completed: it depends on w1.
    net.now = 150;
    net.write(1, 2, 1);
    net.now = 200;
    net.checkpoint();
    net.advance_where(20_000, secondary_timers);
    // A checkpoint that reached S1 before its writes were back is not forwarded: the next one is.
    net.now = 30_000;
    net.checkpoint();
    net.advance_where(60_000, secondary_timers);
    net
}
