//! Breadth-first search with state hashing, after stateright's `bfs.rs` and TLC: a visited set of
//! 128-bit fingerprints, a parent link per unique state, one level at a time, so the first
//! violation found is one no shorter path reaches. Each level is expanded in chunks whose states
//! are expanded on `jobs` threads and merged in frontier order, so every count and the
//! counterexample are the same whatever `jobs`.

use std::time::{Duration, Instant};

use rustc_hash::FxHashSet;

use super::exec::{initial, next, Seen};
use super::judge;
use super::setup::Setup;
use super::state::State;
use super::step::{enabled, Step};
use crate::check::Violation;

/// The fingerprints of the states seen. They are xxh3 outputs already, so the Fx hash (a
/// multiply) spreads them as well as SipHash would, at a fraction of its cost.
type Visited = FxHashSet<u128>;

/// States expanded between two merges (bounds the memory successors take before dedup).
const CHUNK: usize = 2048;

/// Bounds and parallelism of one search.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Stop after this many steps from the initial state.
    pub max_depth: Option<u32>,
    /// Stop after this many unique states.
    pub max_states: Option<u64>,
    /// Threads expanding states (results do not depend on it).
    pub jobs: usize,
}

/// A violation and the steps that reach it from the initial state.
#[derive(Clone, Debug)]
pub struct Counterexample {
    /// What broke.
    pub violation: Violation,
    /// The shortest path to it.
    pub steps: Vec<Step>,
}

/// What a search found.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Successor states computed (duplicates included).
    pub explored: u64,
    /// Unique states.
    pub unique: u64,
    /// The deepest level reached (steps from the initial state).
    pub depth: u32,
    /// Wall-clock time the search took.
    pub elapsed: Duration,
    /// True when every reachable state was visited.
    pub complete: bool,
    /// The bound that stopped the search first, if one did (`max-states`, `max-depth`).
    pub bound: Option<&'static str>,
    /// The shortest counterexample, if a property broke.
    pub counterexample: Option<Counterexample>,
    /// Each sometimes-property and whether some state showed it.
    pub sometimes: Vec<(&'static str, bool)>,
}

/// One successor not seen at an earlier level, judged.
struct Succ {
    step: Step,
    state: State,
    fp: u128,
    violation: Option<Violation>,
    partial: bool,
    took_over: bool,
    rendezvous: bool,
}

/// One state expanded: how many successors it has, those not seen at an earlier level, or
/// (none enabled) its liveness verdict.
struct Expansion {
    successors: usize,
    succs: Vec<Succ>,
    liveness: Option<Violation>,
}

/// Expands `s`, dropping at once the successors `visited` (frozen while a chunk expands) holds.
fn expand(setup: &Setup, s: &State, visited: &Visited) -> Expansion {
    let mut steps = Vec::new();
    enabled(setup, s, &mut steps);
    if steps.is_empty() {
        return Expansion {
            successors: 0,
            succs: Vec::new(),
            liveness: judge::eventually(setup, s),
        };
    }
    let successors = steps.len();
    let succs = steps
        .into_iter()
        .filter_map(|step| {
            let mut seen = Seen::default();
            let state = next(setup, s, step, &mut seen);
            let fp = state.fingerprint();
            (!visited.contains(&fp)).then(|| Succ {
                step,
                fp,
                violation: judge::always(setup, &state),
                partial: judge::partial(setup, &state),
                took_over: judge::took_over(&state),
                rendezvous: seen.rendezvous,
                state,
            })
        })
        .collect();
    Expansion {
        successors,
        succs,
        liveness: None,
    }
}

/// Expands every state of `chunk` on up to `jobs` threads, in order. Each thread drops the
/// states it expanded, so the frontier's memory goes back in parallel as it is consumed.
fn expand_all(
    setup: &Setup,
    mut chunk: Vec<(u32, State)>,
    visited: &Visited,
    jobs: usize,
) -> Vec<(u32, Expansion)> {
    let work = |part: Vec<(u32, State)>| -> Vec<(u32, Expansion)> {
        part.into_iter()
            .map(|(pid, s)| (pid, expand(setup, &s, visited)))
            .collect()
    };
    if jobs <= 1 || chunk.len() < 2 {
        return work(chunk);
    }
    let per = chunk.len().div_ceil(jobs);
    let mut parts = Vec::with_capacity(jobs);
    while chunk.len() > per {
        parts.push(chunk.split_off(chunk.len() - per));
    }
    parts.push(chunk);
    parts.reverse();
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| scope.spawn(move || work(part)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("an expansion thread panicked"))
            .collect()
    })
}

/// The bookkeeping of a search in progress.
struct Book {
    visited: Visited,
    /// Per unique state: its parent and the step from it (the initial state has none).
    parents: Vec<Option<(u32, Step)>>,
    reached: Vec<(&'static str, bool)>,
}

impl Book {
    fn path(&self, mut id: u32) -> Vec<Step> {
        let mut steps = Vec::new();
        while let Some((p, step)) = self.parents[id as usize] {
            steps.push(step);
            id = p;
        }
        steps.reverse();
        steps
    }

    fn reach(&mut self, name: &str) {
        for r in &mut self.reached {
            if r.0 == name {
                r.1 = true;
            }
        }
    }
}

/// Searches every state `setup` can reach, breadth first, within `opts`.
pub fn search(setup: &Setup, opts: Options) -> Outcome {
    let started = Instant::now();
    let init = initial(setup);
    let mut book = Book {
        visited: std::iter::once(init.fingerprint()).collect(),
        parents: vec![None],
        reached: judge::sometimes(setup)
            .into_iter()
            .map(|n| (n, false))
            .collect(),
    };
    let mut outcome = Outcome {
        explored: 0,
        unique: 1,
        depth: 0,
        elapsed: Duration::ZERO,
        complete: false,
        bound: None,
        counterexample: judge::always(setup, &init).map(|violation| Counterexample {
            violation,
            steps: Vec::new(),
        }),
        sometimes: Vec::new(),
    };
    if judge::partial(setup, &init) {
        book.reach(judge::PARTIAL);
    }
    let mut frontier = vec![(0u32, init)];
    let mut level_no = 0u32;
    'levels: while outcome.counterexample.is_none() {
        if frontier.is_empty() {
            outcome.complete = true;
            break;
        }
        if opts.max_depth.is_some_and(|d| level_no >= d) {
            outcome.bound = Some("max-depth");
            break;
        }
        let mut level = Vec::new();
        let mut states = std::mem::take(&mut frontier).into_iter();
        loop {
            let chunk: Vec<_> = states.by_ref().take(CHUNK).collect();
            if chunk.is_empty() {
                break;
            }
            let expansions = expand_all(setup, chunk, &book.visited, opts.jobs);
            for (pid, exp) in expansions {
                if let Some(violation) = exp.liveness {
                    outcome.counterexample = Some(Counterexample {
                        violation,
                        steps: book.path(pid),
                    });
                    break 'levels;
                }
                outcome.explored += exp.successors as u64;
                for s in exp.succs {
                    if !book.visited.insert(s.fp) {
                        continue;
                    }
                    let id = book.parents.len() as u32;
                    book.parents.push(Some((pid, s.step)));
                    outcome.unique += 1;
                    outcome.depth = level_no + 1;
                    if s.partial {
                        book.reach(judge::PARTIAL);
                    }
                    if s.rendezvous {
                        book.reach(judge::RENDEZVOUS);
                    }
                    if s.took_over {
                        book.reach(judge::TAKEOVER);
                    }
                    if let Some(violation) = s.violation {
                        outcome.counterexample = Some(Counterexample {
                            violation,
                            steps: book.path(id),
                        });
                        break 'levels;
                    }
                    if opts.max_states.is_some_and(|m| outcome.unique >= m) {
                        outcome.bound = Some("max-states");
                        break 'levels;
                    }
                    level.push((id, s.state));
                }
            }
        }
        frontier = level;
        level_no += 1;
    }
    outcome.sometimes = book.reached;
    outcome.elapsed = started.elapsed();
    outcome
}
