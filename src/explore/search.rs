//! Breadth-first search with state hashing, after stateright's `bfs.rs` and TLC: a visited set of
//! 128-bit fingerprints (each state's key up to renaming its interchangeable pairs: see
//! [`symmetry`](super::symmetry)), a parent link per unique state, one level at a time, so the first
//! violation found is one no shorter path reaches. Each level is expanded in chunks whose states
//! are expanded on `jobs` threads and merged in frontier order, so every count and the
//! counterexample are the same whatever `jobs`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rustc_hash::FxHashSet;

use super::exec::{initial, next, Seen};
use super::judge;
use super::setup::Setup;
use super::state::State;
use super::step::{enabled, Step};
use super::symmetry::Symmetry;
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
    /// Once set (by a signal), the search stops between two chunks of states.
    pub stop: Option<&'static AtomicBool>,
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
    /// True when [`Options::stop`] ended the search before it was complete.
    pub stopped: bool,
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
fn expand(setup: &Setup, symmetry: &Symmetry, s: &State, visited: &Visited) -> Expansion {
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
            let fp = symmetry.key(setup, &state);
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

/// Expands every state of `chunk` on up to `jobs` threads, one contiguous part each, in
/// order. Each thread drops the states it expanded, so the frontier's memory goes back in
/// parallel as it is consumed.
fn expand_all(
    setup: &Setup,
    symmetry: &Symmetry,
    chunk: Vec<(u32, State)>,
    visited: &Visited,
    jobs: usize,
) -> Vec<Vec<(u32, Expansion)>> {
    let work = |part: Vec<(u32, State)>| -> Vec<(u32, Expansion)> {
        part.into_iter()
            .map(|(pid, s)| (pid, expand(setup, symmetry, &s, visited)))
            .collect()
    };
    on_threads(split(chunk, jobs), work)
}

/// `items` cut into at most `jobs` contiguous parts of near-equal length, in order.
fn split<T>(mut items: Vec<T>, jobs: usize) -> Vec<Vec<T>> {
    let per = items.len().div_ceil(jobs.max(1)).max(1);
    let mut parts = Vec::with_capacity(jobs);
    while items.len() > per {
        parts.push(items.split_off(items.len() - per));
    }
    parts.push(items);
    parts.reverse();
    parts
}

/// `f` applied to every part, each on its own thread when there are several, results in order.
fn on_threads<T: Send, R: Send>(parts: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    if parts.len() < 2 {
        return parts.into_iter().map(&f).collect();
    }
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| scope.spawn(move || f(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a search thread panicked"))
            .collect()
    })
}

/// The successors of each part that the merge numbered (`keep[part][k]`: the `k`-th successor
/// of the part, in order, with its id, or `None` for one already seen), as (id, state), in
/// order. The states of the others are dropped on the part's own thread.
fn kept(parts: Vec<Vec<(u32, Expansion)>>, keep: Vec<Vec<Option<u32>>>) -> Vec<(u32, State)> {
    let work = |(part, keep): (Vec<(u32, Expansion)>, Vec<Option<u32>>)| -> Vec<(u32, State)> {
        part.into_iter()
            .flat_map(|(_, exp)| exp.succs)
            .zip(keep)
            .filter_map(|(s, id)| id.map(|id| (id, s.state)))
            .collect()
    };
    on_threads(parts.into_iter().zip(keep).collect(), work)
        .into_iter()
        .flatten()
        .collect()
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
    let symmetry = Symmetry::new(setup);
    let mut book = Book {
        visited: std::iter::once(symmetry.key(setup, &init)).collect(),
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
        stopped: false,
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
            if opts.stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
                outcome.stopped = true;
                break 'levels;
            }
            let mut parts = expand_all(setup, &symmetry, chunk, &book.visited, opts.jobs);
            // Numbering the new states is the one serial part: it reads fingerprints and flags
            // only, and the states move (or are dropped) on the parts' threads afterwards.
            let mut keep = Vec::with_capacity(parts.len());
            for part in &mut parts {
                let mut k = Vec::new();
                for (pid, exp) in part.iter_mut() {
                    if let Some(violation) = exp.liveness.take() {
                        outcome.counterexample = Some(Counterexample {
                            violation,
                            steps: book.path(*pid),
                        });
                        break 'levels;
                    }
                    outcome.explored += exp.successors as u64;
                    for s in &mut exp.succs {
                        if !book.visited.insert(s.fp) {
                            k.push(None);
                            continue;
                        }
                        let id = book.parents.len() as u32;
                        book.parents.push(Some((*pid, s.step)));
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
                        if let Some(violation) = s.violation.take() {
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
                        k.push(Some(id));
                    }
                }
                keep.push(k);
            }
            level.extend(kept(parts, keep));
        }
        frontier = level;
        level_no += 1;
    }
    outcome.sometimes = book.reached;
    outcome.elapsed = started.elapsed();
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_is_split_into_at_most_jobs_parts_that_keep_its_order() {
        for (n, jobs) in [(0, 2), (1, 2), (5, 2), (2048, 2), (7, 3), (3, 8), (10, 1)] {
            let items: Vec<usize> = (0..n).collect();
            let parts = split(items.clone(), jobs);
            assert!(parts.len() <= jobs.max(1), "{n} items, {jobs} jobs");
            assert_eq!(parts.concat(), items, "order kept");
            let out = on_threads(parts, |p: Vec<usize>| {
                p.iter().map(|x| x * 2).collect::<Vec<_>>()
            });
            let want: Vec<usize> = (0..n).map(|x| x * 2).collect();
            assert_eq!(out.concat(), want, "results in order");
        }
    }
}
