//! The run loop: pops events in total order and hands each to the world, stopping at the natural
//! end, when the world says so, when an event or simulated-time budget is exhausted, or when
//! asked to from outside (a signal, say).

use std::sync::atomic::{AtomicBool, Ordering};

use super::{EventQueue, Time};

/// Limits that stop a run that would otherwise go on too long; hitting one is exit code 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// The most events the run may process.
    pub max_events: u64,
    /// The latest simulated time the run may reach.
    pub max_time: Time,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_events: u64::MAX,
            max_time: Time::MAX,
        }
    }
}

/// What the world tells the loop after each event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Keep running.
    Continue,
    /// The run has reached its natural end.
    Stop,
}

/// Why a run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The world said the run is complete.
    Finished,
    /// No event was left to process.
    Drained,
    /// The next event lay past the natural end time.
    EndTime,
    /// The event budget was exhausted first.
    EventBudget,
    /// The simulated-time budget was exhausted first.
    TimeBudget,
    /// The stop flag was set (see [`run_stoppable`]).
    Stopped,
}

impl StopReason {
    /// True when the run stopped on a resource limit rather than at its end.
    pub fn is_budget(self) -> bool {
        matches!(self, StopReason::EventBudget | StopReason::TimeBudget)
    }
}

/// What the loop did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Events processed.
    pub events: u64,
    /// Simulated time when the run stopped.
    pub now: Time,
    /// Why it stopped.
    pub reason: StopReason,
}

/// The queue and the current time, as seen by the world while it handles an event.
pub struct Scheduler<E> {
    queue: EventQueue<E>,
    now: Time,
}

impl<E> Default for Scheduler<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Scheduler<E> {
    /// An empty scheduler at time zero.
    pub fn new() -> Self {
        Scheduler {
            queue: EventQueue::new(),
            now: 0,
        }
    }

    /// The current simulated time.
    pub fn now(&self) -> Time {
        self.now
    }

    /// Schedules `event` at absolute time `at` (never earlier than now).
    pub fn at(&mut self, at: Time, event: E) {
        self.queue.push(at.max(self.now), event);
    }

    /// Schedules `event` `delay` nanoseconds from now.
    pub fn after(&mut self, delay: Time, event: E) {
        self.queue.push(self.now.saturating_add(delay), event);
    }

    /// Number of pending events.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }
}

/// A world the loop can drive: it handles one event at a time and may schedule more.
pub trait Handler {
    /// The world's event type: a plain enum, never a boxed trait object.
    type Event;
    /// Handles `event` at `sched.now()`.
    fn handle(&mut self, event: Self::Event, sched: &mut Scheduler<Self::Event>) -> Control;

    /// A hint: `event` is due `ahead` events after the one about to be handled (0 is the next
    /// one), so the world may start loading the memory it will need then, a stage of the chain
    /// of lookups at a time (the farthest event's first link, the nearest's last). It must not
    /// change anything: results never depend on it.
    fn prefetch(&self, _event: &Self::Event, _ahead: usize) {}

    /// Whether [`Handler::prefetch`] is worth its cost for this world, asked once per run: a
    /// world whose state fits in cache gains nothing from hints and pays for them on every
    /// event.
    fn wants_hints(&self) -> bool {
        false
    }
}

/// How many events ahead of the current one the loop hints at ([`Handler::prefetch`]).
pub const LOOKAHEAD: usize = 4;

/// Events between two looks at the stop flag of [`run_stoppable`]: a look costs nothing
/// measurable at this spacing, and a run stops within a fraction of a second of the flag being
/// set even at a few hundred thousand events a second (a run writing its full trace).
pub const STOP_POLL_EVENTS: u64 = 1 << 16;

/// Runs `world` until it stops itself, the queue drains, the next event lies past `end`, or a
/// budget is hit.
pub fn run<H: Handler>(
    world: &mut H,
    sched: &mut Scheduler<H::Event>,
    end: Time,
    budget: Budget,
) -> Outcome {
    run_stoppable(world, sched, end, budget, None)
}

/// As [`run`], and also stops ([`StopReason::Stopped`]) when `stop` is set: it is looked at
/// before the first event and every [`STOP_POLL_EVENTS`] events after, on the same comparison as
/// the event budget, so the loop pays nothing more per event.
pub fn run_stoppable<H: Handler>(
    world: &mut H,
    sched: &mut Scheduler<H::Event>,
    end: Time,
    budget: Budget,
    stop: Option<&AtomicBool>,
) -> Outcome {
    let mut events = 0u64;
    let hints = world.wants_hints();
    // The event count at which the loop next looks up from its work: the event budget, or
    // sooner when there is a stop flag to look at.
    let mut look_at = match stop {
        Some(_) => 0,
        None => budget.max_events,
    };
    let reason = loop {
        let Some(next) = sched.queue.peek_time() else {
            break StopReason::Drained;
        };
        if next > end {
            break StopReason::EndTime;
        }
        if next > budget.max_time {
            break StopReason::TimeBudget;
        }
        if events >= look_at {
            if events >= budget.max_events {
                break StopReason::EventBudget;
            }
            if stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
                break StopReason::Stopped;
            }
            look_at = events
                .saturating_add(STOP_POLL_EVENTS)
                .min(budget.max_events);
        }
        let Some((time, event)) = sched.queue.pop() else {
            break StopReason::Drained;
        };
        sched.now = time;
        events += 1;
        if hints {
            for ahead in 0..LOOKAHEAD {
                match sched.queue.upcoming(ahead) {
                    Some(e) => world.prefetch(e, ahead),
                    None => break,
                }
            }
        }
        if world.handle(event, sched) == Control::Stop {
            break StopReason::Finished;
        }
    };
    if reason == StopReason::EndTime {
        sched.now = sched.now.max(end);
    }
    Outcome {
        events,
        now: sched.now,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Re-schedules each event `period` later, `left` times, recording what it saw.
    struct Ticker {
        seen: Vec<(Time, u32)>,
        period: Time,
        stop_at: Option<u32>,
    }

    impl Handler for Ticker {
        type Event = u32;
        fn handle(&mut self, event: u32, sched: &mut Scheduler<u32>) -> Control {
            self.seen.push((sched.now(), event));
            if Some(event) == self.stop_at {
                return Control::Stop;
            }
            sched.after(self.period, event + 1);
            Control::Continue
        }
    }

    fn ticker(stop_at: Option<u32>) -> (Ticker, Scheduler<u32>) {
        let mut s = Scheduler::new();
        s.at(0, 0);
        (
            Ticker {
                seen: Vec::new(),
                period: 10,
                stop_at,
            },
            s,
        )
    }

    #[test]
    fn stops_past_end_time() {
        let (mut t, mut s) = ticker(None);
        let o = run(&mut t, &mut s, 35, Budget::default());
        assert_eq!(o.reason, StopReason::EndTime);
        assert_eq!(o.events, 4);
        assert_eq!(o.now, 35);
        assert!(!o.reason.is_budget());
    }

    #[test]
    fn event_budget_is_reported() {
        let (mut t, mut s) = ticker(None);
        let budget = Budget {
            max_events: 3,
            ..Budget::default()
        };
        let o = run(&mut t, &mut s, 1000, budget);
        assert_eq!(o.reason, StopReason::EventBudget);
        assert_eq!(o.events, 3);
        assert!(o.reason.is_budget());
    }

    #[test]
    fn time_budget_is_reported() {
        let (mut t, mut s) = ticker(None);
        let budget = Budget {
            max_time: 25,
            ..Budget::default()
        };
        let o = run(&mut t, &mut s, 1000, budget);
        assert_eq!(o.reason, StopReason::TimeBudget);
        assert_eq!(t.seen.last(), Some(&(20, 2)));
    }

    /// Sets the flag when it handles event `at`, as a signal arriving mid-run would.
    struct Interrupter<'a> {
        flag: &'a AtomicBool,
        at: u32,
    }

    impl Handler for Interrupter<'_> {
        type Event = u32;
        fn handle(&mut self, event: u32, sched: &mut Scheduler<u32>) -> Control {
            if event == self.at {
                self.flag.store(true, Ordering::Relaxed);
            }
            sched.after(1, event + 1);
            Control::Continue
        }
    }

    #[test]
    fn a_stop_flag_is_seen_within_the_poll_spacing_and_before_the_first_event() {
        let flag = AtomicBool::new(false);
        let mut w = Interrupter { flag: &flag, at: 5 };
        let mut s = Scheduler::new();
        s.at(0, 0);
        let o = run_stoppable(&mut w, &mut s, Time::MAX, Budget::default(), Some(&flag));
        assert_eq!(o.reason, StopReason::Stopped);
        assert_eq!(
            o.events, STOP_POLL_EVENTS,
            "seen at the first look after event 5"
        );
        assert!(!o.reason.is_budget());
        let o = run_stoppable(&mut w, &mut s, Time::MAX, Budget::default(), Some(&flag));
        assert_eq!((o.reason, o.events), (StopReason::Stopped, 0));
        // The event budget still stops the run on the event it names, between two looks.
        flag.store(false, Ordering::Relaxed);
        let budget = Budget {
            max_events: STOP_POLL_EVENTS + 3,
            ..Budget::default()
        };
        let mut w = Interrupter {
            flag: &flag,
            at: u32::MAX,
        };
        let o = run_stoppable(&mut w, &mut s, Time::MAX, budget, Some(&flag));
        assert_eq!(
            (o.reason, o.events),
            (StopReason::EventBudget, budget.max_events)
        );
    }

    #[test]
    fn world_can_finish_the_run() {
        let (mut t, mut s) = ticker(Some(2));
        let o = run(&mut t, &mut s, 1000, Budget::default());
        assert_eq!(o.reason, StopReason::Finished);
        assert_eq!(o.events, 3);
    }

    /// Records each hint with the event handled next, to check which events are hinted at.
    #[derive(Default)]
    struct Hinted {
        hints: std::cell::RefCell<Vec<(usize, u32)>>,
        seen: Vec<(u32, Vec<(usize, u32)>)>,
    }

    impl Handler for Hinted {
        type Event = u32;
        fn handle(&mut self, event: u32, _: &mut Scheduler<u32>) -> Control {
            self.seen.push((event, self.hints.take()));
            Control::Continue
        }
        fn prefetch(&self, event: &u32, ahead: usize) {
            self.hints.borrow_mut().push((ahead, *event));
        }
        fn wants_hints(&self) -> bool {
            true
        }
    }

    #[test]
    fn the_loop_hints_at_the_events_that_follow_in_order() {
        let mut h = Hinted::default();
        let mut s = Scheduler::new();
        for e in 0..10 {
            s.at(5, e);
        }
        let o = run(&mut h, &mut s, 100, Budget::default());
        assert_eq!(o.events, 10);
        for (event, hints) in &h.seen {
            let expected: Vec<(usize, u32)> = (0..LOOKAHEAD)
                .map(|a| (a, event + 1 + a as u32))
                .filter(|&(_, e)| e < 10)
                .collect();
            assert_eq!(hints, &expected, "before event {event}");
        }
    }

    #[test]
    fn a_world_that_wants_no_hints_gets_none() {
        struct Quiet(Hinted);
        impl Handler for Quiet {
            type Event = u32;
            fn handle(&mut self, event: u32, s: &mut Scheduler<u32>) -> Control {
                self.0.handle(event, s)
            }
            fn prefetch(&self, event: &u32, ahead: usize) {
                self.0.prefetch(event, ahead);
            }
        }
        let mut q = Quiet(Hinted::default());
        let mut s = Scheduler::new();
        for e in 0..10 {
            s.at(5, e);
        }
        run(&mut q, &mut s, 100, Budget::default());
        assert_eq!(q.0.seen.len(), 10);
        assert!(q.0.seen.iter().all(|(_, hints)| hints.is_empty()));
    }

    #[test]
    fn empty_queue_drains() {
        let mut t = Ticker {
            seen: Vec::new(),
            period: 1,
            stop_at: None,
        };
        let mut s = Scheduler::new();
        let o = run(&mut t, &mut s, 10, Budget::default());
        assert_eq!(o.reason, StopReason::Drained);
        assert_eq!(o.events, 0);
    }
}
