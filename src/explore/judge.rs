//! The properties judged on every state: the dependent-write rule on the image hosts could read
//! (always), the image reopened with every released checkpoint applied once nothing is left to
//! happen (eventually), and the sights a search that reaches nothing would miss (sometimes).
//!
//! The verdict is the checker's own (`check::Checker`, see [`always`]): write A precedes write B
//! when A completed at the host before B was issued; an image is consistent when no B is visible
//! (its block holds B or a later write to it) while some A that precedes it is missing (its
//! block holds an older write or nothing). The image is every readable secondary together: a
//! fenced or crashed secondary shows hosts nothing, so its blocks are neither visible nor
//! missing. The sometimes-property of a partial image reads the image the same way (`seen`).

use std::cell::RefCell;
use std::collections::HashMap;

use super::setup::Setup;
use super::state::{fingerprint, CrashState, Disaster, State};
use crate::check::{Checker, History, Violation};

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

/// The checker's verdict on the image hosts could read at `s` (after a takeover every secondary
/// finished: on the whole image, as the simulator judges it at the end of a run with a
/// disaster), or `None` when it is consistent.
///
/// The verdict is the simulator's own checker's (`check::Checker`), fed the state's history
/// and volumes, so the search and the simulator cannot disagree on what is consistent: the
/// writes are issued (and stored) in issue order, each completed write completes just before
/// the first write issued after it completed (or after every issue), every secondary block is
/// applied while all are fenced, and then the readable ones are opened one by one. Opening one
/// more part only adds to the image judged, so a violation recorded on the way is one of the
/// final image. Verdicts are kept per thread by the inputs they depend on (the hosts' history,
/// the volumes, which secondaries are readable): a search meets the same few images again and
/// again.
pub fn always(setup: &Setup, s: &State) -> Option<Violation> {
    let whole = took_over(s);
    let readable: Vec<bool> = (0..usize::from(setup.pairs))
        .map(|i| whole || s.readable(setup.pairs, i))
        .collect();
    let key = fingerprint(&(&s.hosts, &s.volumes, &readable));
    VERDICTS.with(|cache| {
        let mut cache = cache.borrow_mut();
        let v = cache
            .entry(key)
            .or_insert_with(|| checker_verdict(setup, s, &readable));
        v.clone().map(|v| Violation { at_ns: s.now, ..v })
    })
}

thread_local! {
    /// The checker's verdicts met so far, by the fingerprint of their inputs.
    static VERDICTS: RefCell<HashMap<u128, Option<Violation>>> = RefCell::new(HashMap::new());
}

/// Builds a checker from the state's history and volumes and asks it (see [`always`]).
fn checker_verdict(setup: &Setup, s: &State, readable: &[bool]) -> Option<Violation> {
    let h = &s.hosts;
    let mut order: Vec<usize> = (0..setup.writes.len())
        .filter(|&i| h.issued & 1 << i != 0)
        .collect();
    order.sort_by_key(|&i| h.rank[i]);
    // The checker's ids are dense in issue order, from 0.
    let mut id_of = vec![0u64; setup.writes.len()];
    for (k, &i) in order.iter().enumerate() {
        id_of[i] = k as u64;
    }
    let mut c = Checker::new(setup.geometry, History::Full);
    c.hide_times();
    for p in 0..setup.pairs {
        c.set_readable(p, false, 0);
    }
    let mut done = 0u32;
    let mut t = 0u64;
    let complete = |c: &mut Checker, i: usize, t: &mut u64| {
        *t += 1;
        c.completed(id_of[i], *t);
    };
    for &b in &order {
        for &a in &order {
            if h.preceded_by[b] & 1 << a != 0 && done & 1 << a == 0 {
                complete(&mut c, a, &mut t);
                done |= 1 << a;
            }
        }
        let w = &setup.writes[b];
        t += 1;
        c.issued(id_of[b], w.meta.addr, w.meta.size, Some(&w.label), t);
        c.stored(id_of[b], t);
    }
    for &a in &order {
        if h.completed & 1 << a != 0 && done & 1 << a == 0 {
            complete(&mut c, a, &mut t);
        }
    }
    for vol in &s.volumes {
        for (&addr, &id) in vol {
            c.applied(addr, Some(id_of[(id - 1) as usize]), t);
        }
    }
    for (p, &r) in readable.iter().enumerate() {
        if r {
            c.set_readable(p as u16, true, t);
        }
    }
    c.violations().first().cloned()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::exec::initial;

    fn setup() -> Setup {
        let text = include_str!("../../scenarios/explore-patent.json");
        let sc = crate::scenario::parse("explore-patent.json", text, &[]).expect("the scenario");
        Setup::from_scenario(&sc, 1, 1).expect("a setup")
    }

    /// io1 issued and completed, then io2 issued; secondary 2 holds io2 and secondary 1 holds
    /// what `s1` says.
    fn state(setup: &Setup, s1: Option<u64>) -> State {
        let mut s = initial(setup);
        s.hosts.issued = 0b011;
        s.hosts.completed = 0b001;
        s.hosts.preceded_by = vec![0, 0b001, 0];
        s.hosts.rank = vec![1, 2, 0];
        let io2 = setup.writes[1].meta;
        s.volumes[1].insert(io2.addr, io2.id);
        if let Some(id) = s1 {
            s.volumes[0].insert(setup.writes[0].meta.addr, id);
        }
        s
    }

    #[test]
    fn the_verdict_is_the_checkers_on_the_readable_image() {
        let setup = setup();
        let broken = state(&setup, None);
        let v = always(&setup, &broken).expect("io2 visible without io1");
        assert_eq!(
            (v.kind.as_str(), v.missing.as_str()),
            ("dependent-write", "io1")
        );
        assert_eq!(v.present, "io2");
        assert!(
            v.detail
                .contains("io1 completed and only then was io2 issued, so it depends"),
            "{}",
            v.detail
        );
        assert!(!v.detail.contains(" ns"), "no made-up times: {}", v.detail);
        assert!(!partial(&setup, &broken));
        assert!(always(&setup, &state(&setup, Some(1))).is_none());
        let mut fenced = state(&setup, None);
        fenced.fenced[0] = true;
        assert!(
            always(&setup, &fenced).is_none(),
            "a fenced secondary shows nothing"
        );
        fenced.took_over = vec![true, true];
        assert!(
            always(&setup, &fenced).is_some(),
            "after the takeover the whole image is judged"
        );
    }
}
