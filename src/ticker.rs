//! A watcher that tells a callback how far a run has got: every [`EVERY`] events, the events
//! handled and the simulated time reached. It reads only the run and steers nothing, so a run
//! with it attached gives the same result and trace hash; the callback (the command line's
//! progress display) may read the wall clock, the simulation never does. A run without it pays
//! nothing.

use std::any::Any;

use crate::model::world::Watcher;
use crate::model::world::{Event, World};

/// Events between two reports: rare enough to cost nothing measurable, frequent enough (a few
/// hundred a second at this simulator's speed) for a display to look live.
pub const EVERY: u64 = 1 << 14;

/// The callback: (events handled so far, simulated ns reached).
pub type Report = Box<dyn FnMut(u64, u64)>;

/// Counts events and reports every [`EVERY`] of them.
pub struct Ticker {
    events: u64,
    report: Report,
}

impl Ticker {
    /// A ticker calling `report`.
    pub fn new(report: Report) -> Self {
        Ticker { events: 0, report }
    }
}

impl Watcher for Ticker {
    fn before(&mut self, now: u64, _event: &Event, _world: &World) {
        self.events += 1;
        if self.events.is_multiple_of(EVERY) {
            (self.report)(self.events, now);
        }
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::scenario::parse;
    use crate::sim::{simulate, simulate_with_progress, RunOptions};

    #[test]
    fn progress_is_reported_and_changes_nothing() {
        let text = include_str!("../scenarios/global.json");
        let sc = parse("global", text, &[]).expect("valid");
        let plain = simulate(&sc, 1, &RunOptions::default()).expect("runs");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let report: Report = Box::new(move |events, now| log.lock().unwrap().push((events, now)));
        let watched = simulate_with_progress(&sc, 1, &RunOptions::default(), report).expect("runs");
        assert_eq!(watched.trace_hash, plain.trace_hash);
        assert_eq!(watched.events, plain.events);
        let seen = seen.lock().unwrap();
        assert!(plain.events > 4 * EVERY, "a long enough run");
        assert_eq!(seen.len() as u64, plain.events / EVERY, "{seen:?}");
        assert!(seen
            .windows(2)
            .all(|w| w[0].1 <= w[1].1 && w[0].0 + EVERY == w[1].0));
    }
}
