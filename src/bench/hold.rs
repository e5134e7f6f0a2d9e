//! The hold model: with `pending` events queued, pop the next and push it back at
//! now + U[0, 2^20) ns, through the engine's queue, run loop and ChaCha RNG. Its cost per event
//! is the machine's limit for any simulation with that many events pending.

use rand::Rng as _;
use serde::Serialize;

use super::cpu::{self, Timing};
use super::{median, Config};
use crate::engine::{rng::Rng, run, stream, Budget, ComponentId, Control, Handler, Scheduler};

/// The pending counts the contract names.
pub const PENDING: [usize; 4] = [1_000, 10_000, 100_000, 1_000_000];

/// Delays are uniform below this (about 1 ms).
pub const SPAN: u64 = 1 << 20;

/// One hold figure.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct HoldFigure {
    /// Events pending throughout.
    pub pending: usize,
    /// Median wall-clock nanoseconds per event (pop, handle, push).
    pub ns_per_event: f64,
    /// Median on-CPU nanoseconds per event (0 where unknown).
    pub cpu_ns_per_event: f64,
    /// Events timed in each repetition.
    pub events: u64,
}

/// The hold world: each event is pushed back a random delay later.
pub struct Hold {
    rng: Rng,
}

impl Hold {
    /// A hold world with `pending` events scheduled in [0, SPAN).
    pub fn new(pending: usize, seed: u64) -> (Self, Scheduler<u32>) {
        let mut rng = stream(seed, ComponentId::Other(1));
        let mut sched = Scheduler::new();
        for i in 0..pending {
            sched.at(rng.random_range(0..SPAN), i as u32);
        }
        (Hold { rng }, sched)
    }
}

impl Handler for Hold {
    type Event = u32;

    #[inline]
    fn handle(&mut self, event: u32, sched: &mut Scheduler<u32>) -> Control {
        sched.after(self.rng.random_range(0..SPAN), event);
        Control::Continue
    }
}

/// Runs `events` events of `world` and returns the time they took.
pub fn timed<H: Handler>(world: &mut H, sched: &mut Scheduler<H::Event>, events: u64) -> Timing {
    let budget = Budget {
        max_events: events,
        ..Budget::default()
    };
    let (o, t) = cpu::time(|| run(world, sched, u64::MAX, budget));
    debug_assert_eq!(o.events, events);
    t
}

/// Timed events per repetition at `pending`.
fn events_for(pending: usize, cfg: Config) -> u64 {
    if cfg.quick {
        100_000
    } else {
        (3 * pending as u64).max(2_000_000)
    }
}

/// The median ns per event of `reps` hold runs at `pending`, each after a warm-up that takes
/// every initial event out once (so times are spread as in the steady state).
pub fn measure(pending: usize, cfg: Config, reps: usize) -> HoldFigure {
    let events = events_for(pending, cfg);
    let warm = if cfg.quick {
        (pending as u64).min(100_000)
    } else {
        pending as u64
    };
    let ts: Vec<Timing> = (0..reps)
        .map(|r| {
            let (mut h, mut s) = Hold::new(pending, r as u64 + 1);
            timed(&mut h, &mut s, warm);
            timed(&mut h, &mut s, events)
        })
        .collect();
    let per_event =
        |f: fn(&Timing) -> f64| median(&ts.iter().map(f).collect::<Vec<_>>()) * 1e9 / events as f64;
    HoldFigure {
        pending,
        ns_per_event: per_event(|t| t.wall),
        cpu_ns_per_event: per_event(|t| t.cpu),
        events,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hold_keeps_its_pending_count_and_time_moves_forward() {
        let (mut h, mut s) = Hold::new(100, 1);
        timed(&mut h, &mut s, 1000);
        assert_eq!(s.pending(), 100);
        assert!(s.now() > 0);
    }
}
