//! The choices at a state: which steps are enabled, and how a step reads in a counterexample.
//!
//! Before anything else each primary's clock offset is chosen (where clocks may disagree); the
//! nodes start once every one is.
//!
//! Time is the only thing not chosen freely: the next timer to fire is one whose deadline is
//! the earliest of all armed timers (time jumps to it), so timers are punctual while messages
//! take any time at all. Everything else (deliveries, losses, duplications, host writes,
//! applies landing, crashes, restarts, the disaster and the takeover) may happen between any
//! two timer firings, in any order.

use serde::{Deserialize, Serialize};

use super::setup::Setup;
use super::state::{CrashState, Disaster, State};
use crate::protocol::{Body, Msg, NodeId, Timer};

/// One step of the search. Indices refer to the state the step is taken from, so a list of
/// steps replays exactly from the initial state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Step {
    /// Primary `primary`'s clock reads the reference time plus `offset_ns` (within the error
    /// bound the protocol starts with). Chosen for each primary but the master, in pair order,
    /// before the nodes start.
    Skew {
        /// The pair index of the primary.
        primary: u8,
        /// Its clock's offset from the reference, in ns.
        offset_ns: i64,
    },
    /// Deliver the `index`-th message in flight from node `from` to node `to` (node indices:
    /// primaries 0..n, then secondaries).
    Deliver {
        /// Sender's node index.
        from: u8,
        /// Receiver's node index.
        to: u8,
        /// Position in the channel.
        index: u16,
    },
    /// Lose that message.
    Lose {
        /// Sender's node index.
        from: u8,
        /// Receiver's node index.
        to: u8,
        /// Position in the channel.
        index: u16,
    },
    /// Deliver a copy of that message and leave it in flight (it will arrive again).
    Duplicate {
        /// Sender's node index.
        from: u8,
        /// Receiver's node index.
        to: u8,
        /// Position in the channel.
        index: u16,
    },
    /// Fire the `index`-th armed timer (its deadline is the earliest).
    Fire {
        /// Position among the armed timers.
        index: u16,
    },
    /// The host issues the script's `write`-th write (from 0) to its primary.
    Issue {
        /// Position in the script.
        write: u8,
    },
    /// The oldest apply in progress lands on secondary `secondary`'s volume.
    Land {
        /// The pair index.
        secondary: u8,
    },
    /// The scenario's `fault`-th crash happens.
    Crash {
        /// Position among the scenario's crashes.
        fault: u8,
    },
    /// The crashed subsystem of crash `fault` restarts.
    Restart {
        /// Position among the scenario's crashes.
        fault: u8,
    },
    /// The primary site is lost.
    Disaster,
    /// The secondary site is told to take over.
    Takeover,
}

/// Writes every step enabled at `s` into `out`, in a fixed order.
pub fn enabled(setup: &Setup, s: &State, out: &mut Vec<Step>) {
    out.clear();
    if let Some(p) = s.unset_clock() {
        let e = setup.clock_error as i64;
        for offset_ns in [-e, 0, e] {
            out.push(Step::Skew {
                primary: p as u8,
                offset_ns,
            });
        }
        return;
    }
    let before_end_of_faults = s.now < setup.duration;
    for (&(from, to), msgs) in &s.flights {
        let (f, t) = (setup.node(from.into()), setup.node(to.into()));
        let lossy = setup.lossy(f, t);
        // A pair link keeps its stream in order; a datagram does not queue behind the stream
        // to be shipped, so it may overtake it.
        let ordered = setup.in_order(f, t);
        let first_seg = msgs.iter().position(|m| !matches!(m, Msg::Dgram(_)));
        for index in 0..msgs.len() {
            let overtakes = matches!(msgs[index], Msg::Dgram(_));
            if (ordered && Some(index) != first_seg && !overtakes)
                || (index > 0 && msgs[index] == msgs[index - 1])
            {
                continue;
            }
            let index = index as u16;
            out.push(Step::Deliver { from, to, index });
            if before_end_of_faults && lossy.loss && s.losses < setup.max_losses {
                out.push(Step::Lose { from, to, index });
            }
            if before_end_of_faults && lossy.duplicate && s.duplicates < setup.max_duplicates {
                out.push(Step::Duplicate { from, to, index });
            }
        }
    }
    if let Some(&(first, _, _)) = s.timers.first() {
        for (i, t) in s.timers.iter().enumerate() {
            if t.0 != first {
                break;
            }
            let resend_early = t.2 == Timer::Retransmit && segments_in_flight(s, t.1);
            if (i == 0 || s.timers[i - 1] != *t) && !resend_early {
                out.push(Step::Fire { index: i as u16 });
            }
        }
    }
    if s.disaster == Disaster::None && before_end_of_faults {
        for (i, w) in setup.writes.iter().enumerate() {
            let bit = 1u32 << i;
            let primary = usize::from(w.meta.addr.subsystem);
            if s.hosts.issued & bit == 0
                && s.hosts.completed & w.after == w.after
                && !s.down[primary]
            {
                out.push(Step::Issue { write: i as u8 });
            }
        }
    }
    for (i, q) in s.applying.iter().enumerate() {
        if !q.is_empty() && !s.down[usize::from(setup.pairs) + i] {
            out.push(Step::Land { secondary: i as u8 });
        }
    }
    for (k, c) in setup.crashes.iter().enumerate() {
        let primary_lost = matches!(c.node, NodeId::Primary(_)) && s.disaster != Disaster::None;
        let fault = k as u8;
        match s.crashes[k] {
            CrashState::Pending if before_end_of_faults && !primary_lost => {
                out.push(Step::Crash { fault })
            }
            // Like every fault, the restart comes before `duration`, so retransmissions have
            // the drain to recover what went to the crashed subsystem.
            CrashState::Down if c.restarts && !primary_lost && before_end_of_faults => {
                out.push(Step::Restart { fault })
            }
            _ => {}
        }
    }
    if setup.disaster && s.disaster == Disaster::None && before_end_of_faults {
        out.push(Step::Disaster);
    }
    if s.disaster == Disaster::Struck {
        out.push(Step::Takeover);
    }
}

/// True while a stream segment node `node` sent is still in flight: its retransmission timer
/// waits for it (a message that is not lost arrives before its sender's timeout).
fn segments_in_flight(s: &State, node: u8) -> bool {
    s.flights
        .range((node, 0)..=(node, u8::MAX))
        .any(|(_, q)| q.iter().any(|m| matches!(m, Msg::Seg { .. })))
}

/// How `step`, taken from `s`, reads in a counterexample: the patent's names, as traces print
/// them.
pub fn describe(setup: &Setup, s: &State, step: Step) -> String {
    let name = |i: u8| setup.node(i.into()).label();
    let msg = |from: u8, to: u8, index: u16| {
        s.flights
            .get(&(from, to))
            .and_then(|m| m.get(usize::from(index)))
            .map_or_else(|| "?".to_string(), |m| message(setup, m))
    };
    match step {
        Step::Skew { primary, offset_ns } => {
            let bound = time(setup.clock_error);
            let by = time(offset_ns.unsigned_abs());
            let what = match offset_ns.signum() {
                -1 => format!("runs {by} behind the master's"),
                1 => format!("runs {by} ahead of the master's"),
                _ => "reads the master's time".into(),
            };
            let reads = time(setup.clock_lead().saturating_add_signed(offset_ns));
            format!(
                "P{}'s clock {what} (it may be off by {bound}): it reads the search's time plus {reads}, the master's plus {}",
                primary + 1,
                time(setup.clock_lead())
            )
        }
        Step::Deliver { from, to, index } => {
            format!("{} -> {}: {}", name(from), name(to), msg(from, to, index))
        }
        Step::Lose { from, to, index } => format!(
            "{} -> {}: {} is lost",
            name(from),
            name(to),
            msg(from, to, index)
        ),
        Step::Duplicate { from, to, index } => format!(
            "{} -> {}: {} arrives (and will arrive again)",
            name(from),
            name(to),
            msg(from, to, index)
        ),
        Step::Fire { index } => match s.timers.get(usize::from(index)) {
            Some(&(at, node, timer)) => {
                format!("{}: {timer:?} timer fires at {}", name(node), time(at))
            }
            None => "a timer fires".into(),
        },
        Step::Issue { write } => {
            let w = &setup.writes[usize::from(write)];
            format!(
                "host writes {} to block {} of P{}",
                w.label,
                w.meta.addr.block,
                w.meta.addr.subsystem + 1
            )
        }
        Step::Land { secondary } => {
            let q = &s.applying[usize::from(secondary)];
            q.front().map_or_else(
                || "an apply lands".into(),
                |w| {
                    format!(
                        "S{}: {} lands on its volume",
                        secondary + 1,
                        setup.label(w.id)
                    )
                },
            )
        }
        Step::Crash { fault } => {
            format!("{} crashes", setup.crashes[usize::from(fault)].node.label())
        }
        Step::Restart { fault } => format!(
            "{} restarts",
            setup.crashes[usize::from(fault)].node.label()
        ),
        Step::Disaster => "disaster: the primary site is lost".into(),
        Step::Takeover => "the secondary site is told to take over".into(),
    }
}

/// A message as the trace names it, with write labels for write ids.
fn message(setup: &Setup, m: &Msg) -> String {
    let body = |b: &Body| match b {
        Body::Write(w) => format!("write {} stamp {}", setup.label(w.id), time(w.stamp)),
        Body::Checkpoint(cp) | Body::Forward(cp) | Body::UpdateComplete(cp) => {
            format!("{} n {} time {}", b.name(), cp.n(), time(cp.t))
        }
        Body::Release { cp, .. } | Body::Reset { cp, .. } => {
            format!("{} n {} time {}", b.name(), cp.n(), time(cp.t))
        }
        other => {
            let d = other.detail();
            if d.is_empty() {
                other.name().to_string()
            } else {
                format!("{} {d}", other.name())
            }
        }
    };
    match m {
        Msg::Seg { seq, body: b } => format!("{} (segment {seq})", body(b)),
        Msg::Ack { next, held } if *held == 0 => format!("ack up to segment {next}"),
        Msg::Ack { next, held } => format!("ack up to segment {next}, held {held:#b}"),
        Msg::Dgram(b) => format!("{} (datagram)", body(b)),
    }
}

/// Nanoseconds as a short human time: whole microseconds, plus the nanoseconds the search adds
/// after each host write (`1000us`, `1000us+2ns`, `7ns`).
pub fn time(ns: u64) -> String {
    let (us, rest) = (ns / 1_000, ns % 1_000);
    match (us, rest) {
        (0, r) => format!("{r}ns"),
        (u, 0) => format!("{u}us"),
        (u, r) => format!("{u}us+{r}ns"),
    }
}
