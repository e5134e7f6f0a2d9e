//! The properties judged on every state: the dependent-write rule on the image hosts could read
//! (always), the image reopened with every released checkpoint applied once nothing is left to
//! happen (eventually), and the sights a search that reaches nothing would miss (sometimes).
//!
//! The rule is the checker's (see `check`): write A precedes write B when A completed at the
//! host before B was issued; an image is consistent when no B is visible (its block holds B or a
//! later write to it) while some A that precedes it is missing (its block holds an older write
//! or nothing). The image is every readable secondary together: a fenced or crashed secondary
//! shows hosts nothing, so its blocks are neither visible nor missing. The simulator's checker
//! is incremental over a timed run and keeps its own history, which a search that clones and
//! hashes states cannot share; with a handful of writes the rule is judged exactly here.

use super::setup::Setup;
use super::state::{CrashState, Disaster, State};
use crate::check::Violation;

/// What the image shows of one write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seen {
    /// Its block is on a secondary hosts cannot read.
    Hidden,
    /// Its block holds it or a later write to the block.
    Visible,
    /// Its block holds an older write, or nothing.
    Missing,
}

fn seen(setup: &Setup, s: &State, i: usize) -> Seen {
    let w = &setup.writes[i];
    let pair = usize::from(w.meta.addr.subsystem);
    if !s.readable(setup.pairs, pair) {
        return Seen::Hidden;
    }
    match s.volumes[pair].get(&w.meta.addr) {
        Some(_) if s.hosts.rank[i] == 0 => Seen::Missing,
        Some(&id) => {
            let held = (id - 1) as usize;
            if held == i || s.hosts.rank[held] > s.hosts.rank[i] {
                Seen::Visible
            } else {
                Seen::Missing
            }
        }
        None => Seen::Missing,
    }
}

/// The first dependent-write violation in the image hosts could read at `s`, if any.
pub fn always(setup: &Setup, s: &State) -> Option<Violation> {
    let n = setup.writes.len();
    for b in 0..n {
        if s.hosts.issued & 1 << b == 0 || seen(setup, s, b) != Seen::Visible {
            continue;
        }
        for a in 0..n {
            if s.hosts.preceded_by[b] & 1 << a != 0 && seen(setup, s, a) == Seen::Missing {
                let (la, lb) = (&setup.writes[a].label, &setup.writes[b].label);
                return Some(Violation {
                    kind: "dependent-write".into(),
                    missing: la.clone(),
                    present: lb.clone(),
                    at_ns: s.now,
                    detail: format!(
                        "{lb} is readable on S{} while {la}, which completed before {lb} was \
                         issued, is missing from S{}",
                        setup.writes[b].meta.addr.subsystem + 1,
                        setup.writes[a].meta.addr.subsystem + 1
                    ),
                });
            }
        }
    }
    None
}

/// At a state with no step left: the image must be open and every released checkpoint applied
/// (after a disaster: every secondary took over). States with a crash that never heals are not
/// judged, since the scenario leaves a fault there for good.
pub fn eventually(setup: &Setup, s: &State) -> Option<Violation> {
    if s.crashes.contains(&CrashState::Down) {
        return None;
    }
    let pairs = usize::from(setup.pairs);
    let closed: Vec<String> = (0..pairs)
        .filter(|&i| !s.readable(setup.pairs, i))
        .map(|i| format!("S{}", i + 1))
        .collect();
    let detail = if s.disaster != Disaster::None {
        let pending: Vec<String> = (0..pairs)
            .filter(|&i| !s.took_over[i])
            .map(|i| format!("S{}", i + 1))
            .collect();
        if pending.is_empty() && closed.is_empty() {
            return None;
        }
        format!(
            "image never reopened after the takeover: not taken over {pending:?}, closed {closed:?}"
        )
    } else {
        if closed.is_empty() && s.released_t <= s.applied_t {
            return None;
        }
        format!(
            "with nothing left to happen the image is closed on {closed:?} or a released \
             checkpoint (time {}) is not applied (newest applied: time {})",
            s.released_t, s.applied_t
        )
    };
    Some(Violation {
        kind: "liveness".into(),
        missing: String::new(),
        present: String::new(),
        at_ns: s.now,
        detail,
    })
}

/// The sometimes-properties, by name: the search must reach each somewhere.
pub const PARTIAL: &str = "an image holding every scripted write but the last";
/// See [`PARTIAL`].
pub const RENDEZVOUS: &str = "a completed rendezvous";
/// See [`PARTIAL`].
pub const TAKEOVER: &str = "a takeover";

/// The sometimes-properties `setup` asks for (a takeover only if the scenario has a disaster;
/// the partial image only with two writes or more).
pub fn sometimes(setup: &Setup) -> Vec<&'static str> {
    let mut v = Vec::new();
    if setup.writes.len() >= 2 {
        v.push(PARTIAL);
    }
    v.push(RENDEZVOUS);
    if setup.disaster {
        v.push(TAKEOVER);
    }
    v
}

/// True when the image at `s` holds every scripted write but the last, which it lacks (with
/// io1, io2, io3: io1 and io2 without io3).
pub fn partial(setup: &Setup, s: &State) -> bool {
    let n = setup.writes.len();
    n >= 2
        && (0..n - 1).all(|i| seen(setup, s, i) == Seen::Visible)
        && seen(setup, s, n - 1) == Seen::Missing
}

/// True when every secondary finished its takeover at `s`.
pub fn took_over(s: &State) -> bool {
    s.took_over.iter().all(|&t| t)
}
