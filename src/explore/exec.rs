//! Taking a step: the world's part (channels, timers, volumes, faults, hosts) done by hand
//! around the protocol nodes, as the simulator's world does it with timing left out.

use std::collections::{BTreeMap, VecDeque};

use super::setup::Setup;
use super::state::{msg_key, CrashState, Disaster, Hosts, Role, Shared, State};
use super::step::Step;
use crate::protocol::checkpoint::{Primary, Secondary};
use crate::protocol::{Body, Input, Msg, Note, Output, Outputs, Timer, WriteMeta};

/// What a step made the nodes announce that a state does not keep: for the sometimes-properties
/// and for printing a counterexample.
#[derive(Debug, Default)]
pub struct Seen {
    /// The secondary master completed a rendezvous.
    pub rendezvous: bool,
    /// When set, what the world did in response, one line each (only while printing).
    pub log: Option<Vec<String>>,
}

impl Seen {
    fn say(&mut self, line: impl FnOnce() -> String) {
        if let Some(log) = self.log.as_mut() {
            log.push(line());
        }
    }
}

/// The state before any choice: the master's clock set (to the reference), and where the
/// clocks may be off (`Setup::clock_error` above 0) the other primaries' still to be chosen;
/// otherwise every node started (`start`).
pub fn initial(setup: &Setup) -> State {
    let n = usize::from(setup.pairs);
    let mut nodes = Vec::with_capacity(2 * n);
    for i in 0..setup.pairs {
        nodes.push(Shared::new(Role::Primary(Primary::new(i, setup.cfg))));
    }
    for i in 0..setup.pairs {
        nodes.push(Shared::new(Role::Secondary(Secondary::new(i, setup.cfg))));
    }
    let w = setup.writes.len();
    let unset = if setup.clock_error == 0 {
        Some(0)
    } else {
        None
    };
    let clocks = (0..setup.pairs)
        .map(|i| {
            if i == setup.cfg.primary_master {
                Some(0)
            } else {
                unset
            }
        })
        .collect();
    let mut s = State {
        now: 0,
        clocks,
        nodes,
        flights: BTreeMap::new(),
        timers: Vec::new(),
        applying: vec![VecDeque::new(); n],
        volumes: vec![BTreeMap::new(); n],
        fenced: vec![false; n],
        took_over: vec![false; n],
        down: vec![false; 2 * n],
        resends: vec![false; 2 * n],
        hosts: Hosts {
            issued: 0,
            completed: 0,
            preceded_by: vec![0; w],
            rank: vec![0; w],
        },
        crashes: vec![CrashState::Pending; setup.crashes.len()],
        disaster: Disaster::None,
        losses: 0,
        duplicates: 0,
        released_t: 0,
        applied_t: 0,
    };
    if s.unset_clock().is_none() {
        start(setup, &mut s);
    }
    s
}

/// Every node starts, and start copy (102-206, 402-404) runs to completion with every message
/// delivered in order and nothing lost. The clock probes a primary sends at start go
/// unanswered: in the search a message takes no time, so an answer would set every clock
/// exactly, and each primary is left with the bound it starts with instead.
fn start(setup: &Setup, s: &mut State) {
    let mut seen = Seen::default();
    let mut out = Outputs::new();
    for i in 0..setup.node_count() {
        drive(setup, s, i, Input::Start, &mut seen, &mut out);
    }
    while let Some((&(from, to), _)) = s.flights.iter().next() {
        let probe = matches!(
            s.flights[&(from, to)][0],
            Msg::Dgram(Body::ClockProbe { .. })
        );
        if probe {
            remove(s, from, to, 0);
            continue;
        }
        take(
            s,
            Step::Deliver { from, to, index: 0 },
            setup,
            &mut seen,
            &mut out,
        );
    }
}

/// The state after `step` from `s`.
pub fn next(setup: &Setup, s: &State, step: Step, seen: &mut Seen) -> State {
    let mut t = s.clone();
    let mut out = Outputs::new();
    take(&mut t, step, setup, seen, &mut out);
    t
}

fn take(s: &mut State, step: Step, setup: &Setup, seen: &mut Seen, out: &mut Outputs) {
    let pairs = usize::from(setup.pairs);
    match step {
        Step::Skew { primary, offset_ns } => {
            s.clocks[usize::from(primary)] = Some(offset_ns);
            if s.unset_clock().is_none() {
                start(setup, s);
            }
        }
        Step::Deliver { from, to, index } | Step::Duplicate { from, to, index } => {
            let m = if matches!(step, Step::Duplicate { .. }) {
                s.duplicates += 1;
                s.flights[&(from, to)][usize::from(index)]
            } else {
                remove(s, from, to, index)
            };
            if s.down[usize::from(to)] {
                lost(setup, s, from.into(), &m);
            }
            let from_id = setup.node(from.into());
            drive(
                setup,
                s,
                to.into(),
                Input::Deliver {
                    from: from_id,
                    msg: m,
                },
                seen,
                out,
            );
        }
        Step::Lose { from, to, index } => {
            s.losses += 1;
            let m = remove(s, from, to, index);
            lost(setup, s, from.into(), &m);
        }
        Step::Fire { index } => {
            let (at, node, timer) = s.timers.remove(usize::from(index));
            s.now = s.now.max(at);
            drive(setup, s, node.into(), Input::Timer(timer), seen, out);
        }
        Step::Issue { write } => {
            let i = usize::from(write);
            let w = &setup.writes[i];
            // A write takes time: it arrives strictly after everything before it, so a write
            // issued after another completed is stamped later on one shared clock.
            s.now += 1;
            let h = &mut s.hosts;
            h.preceded_by[i] = h.completed;
            h.rank[i] = h.issued.count_ones() as u8 + 1;
            h.issued |= 1 << i;
            let primary = usize::from(w.meta.addr.subsystem);
            let meta = WriteMeta {
                arrived: s.local(setup, primary),
                ..w.meta
            };
            drive(setup, s, primary, Input::HostWrite(meta), seen, out);
        }
        Step::Land { secondary } => {
            let i = usize::from(secondary);
            if let Some(w) = s.applying[i].pop_front() {
                s.volumes[i].insert(w.addr, w.id);
                drive(setup, s, pairs + i, Input::Applied(w), seen, out);
            }
        }
        Step::Crash { fault } => {
            let k = usize::from(fault);
            let idx = setup.index(setup.crashes[k].node);
            s.crashes[k] = CrashState::Down;
            s.down[idx] = true;
            if idx >= pairs {
                s.applying[idx - pairs].clear();
            }
        }
        Step::Restart { fault } => {
            let k = usize::from(fault);
            let idx = setup.index(setup.crashes[k].node);
            s.crashes[k] = CrashState::Restarted;
            s.down[idx] = false;
            drive(setup, s, idx, Input::Restart, seen, out);
            if idx >= pairs && s.disaster == Disaster::Declared {
                drive(setup, s, idx, Input::Takeover, seen, out);
            }
        }
        Step::Disaster => {
            s.disaster = Disaster::Struck;
            for d in &mut s.down[..pairs] {
                *d = true;
            }
            // Primaries never run again: their memory, timers, retransmission flags and crash
            // faults, and the messages still to reach them, change nothing from here on, so
            // they go at once (messages they sent still arrive). States that differed only in
            // them are one state from here: the search's largest saving after a disaster.
            for node in &mut s.nodes[..pairs] {
                *node = Shared::gone();
            }
            for r in &mut s.resends[..pairs] {
                *r = false;
            }
            for (k, c) in setup.crashes.iter().enumerate() {
                if setup.index(c.node) < pairs {
                    s.crashes[k] = CrashState::Restarted;
                }
            }
            s.timers.retain(|&(_, node, _)| usize::from(node) >= pairs);
            s.flights.retain(|&(_, to), _| usize::from(to) >= pairs);
        }
        Step::Takeover => {
            s.disaster = Disaster::Declared;
            for i in pairs..2 * pairs {
                drive(setup, s, i, Input::Takeover, seen, out);
            }
        }
    }
}

/// Segment `m` from node `idx` never arrived: from now on its retransmission timer runs, and
/// one is armed a timeout from now if none is.
fn lost(setup: &Setup, s: &mut State, idx: usize, m: &Msg) {
    if !matches!(m, Msg::Seg { .. } | Msg::Ack { .. }) || s.resends[idx] {
        return;
    }
    s.resends[idx] = true;
    let at = s.now.saturating_add(setup.cfg.retransmit_timeout);
    arm(setup, s, at, idx, Timer::Retransmit);
}

/// Arms `timer` at node `idx` for `at`, unless it would fire past the search's end.
fn arm(setup: &Setup, s: &mut State, at: u64, idx: usize, timer: Timer) {
    let limit = if timer == Timer::Retransmit {
        setup.end
    } else {
        setup.duration
    };
    if at <= limit {
        let t = (at, idx as u8, timer);
        let pos = s.timers.partition_point(|x| *x <= t);
        s.timers.insert(pos, t);
    }
}

/// Removes the `index`-th message of a channel, dropping the channel once empty.
fn remove(s: &mut State, from: u8, to: u8, index: u16) -> Msg {
    let q = s
        .flights
        .get_mut(&(from, to))
        .expect("enabled step names a channel");
    let m = q.remove(usize::from(index));
    if q.is_empty() {
        s.flights.remove(&(from, to));
    }
    m
}

/// Hands `input` to node `idx` (unless it is down) and carries out what it asks.
fn drive(
    setup: &Setup,
    s: &mut State,
    idx: usize,
    input: Input,
    seen: &mut Seen,
    out: &mut Outputs,
) {
    if s.down[idx] {
        return;
    }
    let now = s.now;
    let local = s.local(setup, idx);
    s.nodes[idx].handle(local, input, out);
    let pairs = usize::from(setup.pairs);
    let me = setup.node(idx);
    let mut acks = Vec::new();
    for o in out.drain() {
        match o {
            Output::Send { to, msg } => {
                let ti = setup.index(to);
                if s.disaster != Disaster::None && ti < pairs {
                    continue;
                }
                if matches!(msg, Msg::Ack { .. }) {
                    acks.push((ti, msg));
                    continue;
                }
                let q = s.flights.entry((idx as u8, ti as u8)).or_default();
                if setup.in_order(me, to) {
                    q.push(msg);
                } else {
                    let k = msg_key(&msg);
                    let at = q.partition_point(|m| msg_key(m) <= k);
                    q.insert(at, msg);
                }
            }
            Output::SetTimer { after, timer } => {
                if timer != Timer::Retransmit || s.resends[idx] {
                    arm(setup, s, now.saturating_add(after), idx, timer);
                }
            }
            Output::CompleteHost(id) => {
                s.hosts.completed |= 1 << (id - 1);
                seen.say(|| format!("host: {} completes", setup.label(id)));
            }
            Output::Apply(w) => {
                s.applying[idx - pairs].push_back(w);
                seen.say(|| format!("{}: starts applying {}", me.label(), setup.label(w.id)));
            }
            Output::Fence(on) => {
                s.fenced[idx - pairs] = on;
                seen.say(|| {
                    let what = if on {
                        "update-in-progress: hosts may not read it"
                    } else {
                        "update-in-progress reset: readable"
                    };
                    format!("{}: {what}", me.label())
                });
            }
            Output::TakeoverDone => {
                s.took_over[idx - pairs] = true;
                seen.say(|| format!("{}: takeover done", me.label()));
            }
            Output::SetClock(to) => {
                // The node's clock now reads `to`: its offset from the reference changes.
                if let Some(c) = s.clocks.get_mut(idx) {
                    let base = i128::from(now) + i128::from(setup.clock_lead());
                    let offset = (i128::from(to) - base).clamp(i64::MIN.into(), i64::MAX.into());
                    *c = Some(offset as i64);
                }
            }
            Output::Note(n) => {
                match n {
                    Note::Rendezvous { .. } => seen.rendezvous = true,
                    Note::Released(cp) => s.released_t = s.released_t.max(cp.t),
                    Note::Applied(cp) => s.applied_t = s.applied_t.max(cp.t),
                    _ => {}
                }
                seen.say(|| format!("{}: {n:?}", me.label()));
            }
        }
    }
    // Acknowledgements arrive the moment they are sent (see README: a late or lost one only
    // makes its sender resend, which retransmission after a loss and duplication exercise).
    for (to, msg) in acks {
        if s.down[to] {
            lost(setup, s, to, &msg);
        }
        let mut inner = Outputs::new();
        drive(
            setup,
            s,
            to,
            Input::Deliver { from: me, msg },
            seen,
            &mut inner,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::step::enabled;

    fn setup(sync_error: &str) -> Setup {
        let text = include_str!("../../scenarios/explore-clocks.json");
        let set = crate::scenario::Override::parse(&format!("clocks.sync_error={sync_error}"))
            .expect("an override");
        let sc = crate::scenario::parse("explore-clocks.json", text, &[set]).expect("the scenario");
        Setup::from_scenario(&sc, 0, 0).expect("a setup")
    }

    #[test]
    fn each_primary_but_the_master_is_set_off_by_the_bound_before_the_nodes_start() {
        let setup = setup("10us");
        assert_eq!(setup.clock_error, 20_000, "2 x sync_error");
        let s = initial(&setup);
        let mut steps = Vec::new();
        enabled(&setup, &s, &mut steps);
        let offsets = [-20_000, 0, 20_000];
        let want: Vec<_> = offsets
            .iter()
            .map(|&offset_ns| Step::Skew {
                primary: 1,
                offset_ns,
            })
            .collect();
        assert_eq!(steps, want, "only P2's clock is chosen, at -E, 0 and +E");
        assert!(
            s.flights.is_empty() && s.timers.is_empty(),
            "not started yet"
        );
        for offset_ns in offsets {
            let t = next(&setup, &s, want[0], &mut Seen::default());
            let t = next(
                &setup,
                &t,
                Step::Skew {
                    primary: 1,
                    offset_ns,
                },
                &mut Seen::default(),
            );
            assert_eq!(t.local(&setup, 0), 40_000, "the master's clock");
            let p2 = 40_000u64.saturating_add_signed(offset_ns);
            assert_eq!(t.local(&setup, 1), p2);
            enabled(&setup, &t, &mut steps);
            assert!(
                !steps.iter().any(|s| matches!(s, Step::Skew { .. })),
                "started: {steps:?}"
            );
            assert!(
                !t.timers.is_empty(),
                "the nodes started and armed their timers"
            );
        }
    }

    #[test]
    fn a_write_is_stamped_by_its_primarys_own_clock_and_waits_out_the_bound() {
        let setup = setup("10us");
        let s = initial(&setup);
        let behind = Step::Skew {
            primary: 1,
            offset_ns: -20_000,
        };
        let mut s = next(&setup, &s, behind, &mut Seen::default());
        // io1 on the master, whose clock is the reference: it completes at once.
        s = next(&setup, &s, Step::Issue { write: 0 }, &mut Seen::default());
        assert_eq!(s.hosts.completed, 0b01);
        // io2 on P2, whose clock runs 20us behind: it waits out the bound (commit-wait).
        s = next(&setup, &s, Step::Issue { write: 1 }, &mut Seen::default());
        assert_eq!(s.hosts.completed, 0b01, "io2 waits");
        let wait = s.timers.iter().find(|t| t.2 == Timer::ClockWait);
        assert_eq!(
            wait.map(|t| (t.0, t.1)),
            Some((2 + 40_000, 1)),
            "P2 completes io2 once its clock's earliest passes the stamp: 2E later"
        );
        let stamp = |s: &State, from: u8| match s.flights[&(from, from + 2)].last() {
            Some(Msg::Seg {
                body: Body::Write(w),
                ..
            }) => w.stamp,
            other => panic!("no write in flight from {from}: {other:?}"),
        };
        // The master knows its time exactly; P2 stamps the latest the reference can be.
        assert_eq!(stamp(&s, 0), 1 + 40_000);
        // P2 reads 2 + 40us (the base) - 20us (behind) and adds its bound of 20us.
        assert_eq!(stamp(&s, 1), 2 + 40_000);
    }

    #[test]
    fn one_shared_clock_needs_no_choice() {
        let setup = setup("0s");
        let s = initial(&setup);
        assert_eq!(s.unset_clock(), None);
        assert!(!s.timers.is_empty(), "started at once");
        assert_eq!(s.local(&setup, 1), s.now);
    }
}
