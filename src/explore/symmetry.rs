//! Symmetry reduction: pairs that nothing in the scenario tells apart are interchangeable, so
//! two states that differ only by which of them is which behave alike, and the search keeps
//! one. As in stateright and TLC, a state is keyed by the smallest fingerprint over every
//! renaming of its interchangeable pairs; the state kept is the one reached, so a
//! counterexample is still a real path from the initial state.
//!
//! Which pairs are interchangeable is the scenario's to say: see [`Setup::interchangeable_pairs`].

use super::setup::Setup;
use super::state::{Shared, State};
use crate::protocol::Renaming;

/// Every renaming among a setup's interchangeable pairs.
#[derive(Clone, Debug, Default)]
pub struct Symmetry {
    /// Every renaming that permutes pairs within their classes, the identity left out.
    renamings: Vec<Renaming>,
}

impl Symmetry {
    /// Every renaming among the pairs `setup` finds interchangeable
    /// ([`Setup::interchangeable_pairs`]).
    pub fn new(setup: &Setup) -> Self {
        let classes = setup.interchangeable.clone();
        let mut maps: Vec<Vec<u16>> = vec![(0..setup.pairs).collect()];
        for class in &classes {
            maps = maps
                .into_iter()
                .flat_map(|m| {
                    permutations(class).into_iter().map(move |perm| {
                        let mut m = m.clone();
                        for (&from, &to) in class.iter().zip(&perm) {
                            m[usize::from(from)] = to;
                        }
                        m
                    })
                })
                .collect();
        }
        let identity: Vec<u16> = (0..setup.pairs).collect();
        let renamings = maps
            .into_iter()
            .filter(|m| *m != identity)
            .filter_map(Renaming::new)
            .collect();
        Symmetry { renamings }
    }

    /// The key of `s` in the visited set: the smallest fingerprint of `s` under every renaming
    /// of its interchangeable pairs, so every state of one orbit has the same key. A node's
    /// renamed fingerprints are kept with it, so only the nodes a step touched are renamed.
    pub fn key(&self, setup: &Setup, s: &State) -> u128 {
        let mut best = s.fingerprint();
        let mut fps = vec![0; s.nodes.len()];
        for (k, r) in self.renamings.iter().enumerate() {
            for (i, node) in s.nodes.iter().enumerate() {
                fps[setup.index(r.node(setup.node(i)))] =
                    node.renamed_fingerprints(&self.renamings)[k];
            }
            best = best.min(moved_nodes(setup, s, r).fingerprint_with(&fps));
        }
        best
    }
}

/// Every ordering of `items`.
fn permutations(items: &[u16]) -> Vec<Vec<u16>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for (i, &first) in items.iter().enumerate() {
        let mut rest = items.to_vec();
        rest.remove(i);
        for mut tail in permutations(&rest) {
            tail.insert(0, first);
            out.push(tail);
        }
    }
    out
}

/// `s` with every pair renamed by `r`: each node moved to its new place and rewritten to name
/// its peers by their new numbers, and every per-node and per-pair record moved with it.
pub fn renamed(setup: &Setup, s: &State, r: &Renaming) -> State {
    let mut t = moved_nodes(setup, s, r);
    for node in &mut t.nodes {
        let mut role = node.role().clone();
        role.rename(r);
        *node = Shared::new(role);
    }
    t
}

/// `s` with every per-node and per-pair record moved to the pair's new number under `r`, the
/// nodes included but not yet rewritten (what [`renamed`] finishes, and what [`Symmetry::key`]
/// hashes with the nodes' kept renamed fingerprints in their place).
fn moved_nodes(setup: &Setup, s: &State, r: &Renaming) -> State {
    let node = |i: usize| setup.index(r.node(setup.node(i)));
    let pair = |i: usize| usize::from(r.pair(i as u16));
    let mut timers: Vec<_> = s
        .timers
        .iter()
        .map(|&(at, i, t)| (at, node(usize::from(i)) as u8, t))
        .collect();
    timers.sort_unstable();
    State {
        clocks: moved(&s.clocks, pair),
        nodes: moved(&s.nodes, node),
        flights: s
            .flights
            .iter()
            .map(|(&(f, t), m)| {
                let key = (node(usize::from(f)) as u8, node(usize::from(t)) as u8);
                (key, m.clone())
            })
            .collect(),
        timers,
        applying: moved(&s.applying, pair),
        volumes: moved(&s.volumes, pair),
        fenced: moved(&s.fenced, pair),
        took_over: moved(&s.took_over, pair),
        down: moved(&s.down, node),
        resends: moved(&s.resends, node),
        now: s.now,
        hosts: s.hosts.clone(),
        crashes: s.crashes.clone(),
        disaster: s.disaster,
        losses: s.losses,
        duplicates: s.duplicates,
        released_t: s.released_t,
        applied_t: s.applied_t,
    }
}

/// `v` with the item at `i` moved to `to(i)`.
fn moved<T: Clone>(v: &[T], to: impl Fn(usize) -> usize) -> Vec<T> {
    let mut out = v.to_vec();
    for (i, x) in v.iter().enumerate() {
        out[to(i)] = x.clone();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::exec::{initial, next, Seen};
    use crate::explore::step::{enabled, Step};

    fn setup(sets: &[&str]) -> Setup {
        let text = include_str!("../../scenarios/explore-symmetry.json");
        let sets: Vec<_> = sets
            .iter()
            .map(|s| crate::scenario::Override::parse(s).expect("an override"))
            .collect();
        let sc = crate::scenario::parse("explore-symmetry.json", text, &sets).expect("a scenario");
        Setup::from_scenario(&sc, 1, 1).expect("a setup")
    }

    #[test]
    fn only_pairs_nothing_tells_apart_are_interchangeable() {
        assert_eq!(setup(&[]).interchangeable, vec![vec![2, 3]]);
        assert_eq!(Symmetry::new(&setup(&[])).renamings.len(), 1, "one swap");
        let none = |sets: &[&str]| setup(sets).interchangeable.is_empty();
        assert!(none(&["protocol.secondary_master=3"]), "a master");
        assert!(none(&["workloads.0.writes.1.subsystem=4"]), "a write");
        assert!(none(&[
            r#"faults=[{"kind":"crash","site":"secondary","subsystem":3,"at":"1ms"}]"#
        ]));
        assert!(
            none(&["protocol.failover_timeout=1ms"]),
            "a master may fail over"
        );
        assert!(
            none(&[r#"links.overrides=[{"pair":4,"loss":0.1}]"#]),
            "a lossier link"
        );
        let lossy = setup(&["links.loss=0.1"]);
        assert_eq!(lossy.interchangeable, vec![vec![2, 3]], "links alike");
        let three = setup(&[
            "protocol.secondary_master=1",
            "workloads.0.writes.1.subsystem=1",
        ]);
        assert_eq!(three.interchangeable, vec![vec![1, 2, 3]]);
        assert_eq!(
            Symmetry::new(&three).renamings.len(),
            5,
            "3! orderings but the identity"
        );
    }

    /// `step`, taken at `s`, with its pairs renamed by `r`, as taken at `t` (the renamed
    /// state): the same kind of step on the renamed nodes.
    fn renamed_step(setup: &Setup, s: &State, t: &State, r: &Renaming, step: Step) -> Step {
        let node = |i: u8| setup.index(r.node(setup.node(usize::from(i)))) as u8;
        match step {
            Step::Deliver { from, to, index } => Step::Deliver {
                from: node(from),
                to: node(to),
                index,
            },
            Step::Lose { from, to, index } => Step::Lose {
                from: node(from),
                to: node(to),
                index,
            },
            Step::Duplicate { from, to, index } => Step::Duplicate {
                from: node(from),
                to: node(to),
                index,
            },
            Step::Fire { index } => {
                let (at, i, timer) = s.timers[usize::from(index)];
                let want = (at, node(i), timer);
                let index = t.timers.iter().position(|x| *x == want);
                Step::Fire {
                    index: index.expect("the renamed timer is armed") as u16,
                }
            }
            Step::Land { secondary } => Step::Land {
                secondary: r.pair(u16::from(secondary)) as u8,
            },
            Step::Skew { primary, offset_ns } => Step::Skew {
                primary: r.pair(u16::from(primary)) as u8,
                offset_ns,
            },
            other => other,
        }
    }

    /// The property symmetry reduction rests on: renaming commutes with every step. Along a
    /// walk through the search's own states, the same walk with pairs 3 and 4 swapped in every
    /// step reaches exactly the renamed state, each renamed step is enabled there, and a state
    /// and its renaming have one key.
    #[test]
    fn renaming_commutes_with_every_step() {
        let setup = setup(&[]);
        let symmetry = Symmetry::new(&setup);
        let swap = Renaming::new(vec![0, 1, 3, 2]).expect("a permutation");
        let key = |x: &State| symmetry.key(&setup, x);
        let mut told_apart = 0;
        for walk in 0..24usize {
            let mut s = initial(&setup);
            let mut t = renamed(&setup, &s, &swap);
            let (mut steps, mut there) = (Vec::new(), Vec::new());
            for i in 0..200usize {
                let at = format!("walk {walk}, step {i}");
                assert_eq!(
                    renamed(&setup, &s, &swap).fingerprint(),
                    t.fingerprint(),
                    "{at}"
                );
                assert_eq!(key(&s), key(&t), "{at}");
                let fresh = renamed(&setup, &s, &swap).fingerprint();
                assert_eq!(
                    key(&s),
                    s.fingerprint().min(fresh),
                    "{at}: the kept fingerprints"
                );
                told_apart += usize::from(s.fingerprint() != t.fingerprint());
                enabled(&setup, &s, &mut steps);
                enabled(&setup, &t, &mut there);
                assert_eq!(steps.len(), there.len(), "{at}");
                if steps.is_empty() {
                    break;
                }
                // A different spread of choices on every walk.
                let step = steps[(i * (2 * walk + 1) + walk * walk) % steps.len()];
                let moved = renamed_step(&setup, &s, &t, &swap, step);
                assert!(there.contains(&moved), "{at}: {moved:?} not enabled");
                s = next(&setup, &s, step, &mut Seen::default());
                t = next(&setup, &t, moved, &mut Seen::default());
            }
        }
        assert!(
            told_apart > 100,
            "the walks reached states the swap changes: {told_apart}"
        );
    }
}
