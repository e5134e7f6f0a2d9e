//! The event queue: pending events in one total order, earliest time first and, among events at
//! the same time, in the order they were scheduled.
//!
//! It is a monotone radix heap keyed by the `u64` nanosecond time, in front of a short sorted
//! run. Bucket `i` (1..=64) holds the events whose time differs from `last` first at bit `i - 1`,
//! counting from the least significant; the run holds the earliest events, at or before `last`,
//! in (time, insertion) order, and pops come from its front. When the run is empty, the lowest
//! non-empty bucket refills it: a small bucket (at most [`RUN`] events) is sorted into the run
//! whole and `last` becomes its latest time; a larger one is spread over the lower buckets around
//! its earliest time, whose events start the run. Every event in a bucket is always in the
//! bucket its time and the current `last` name, and later than everything in the run, so events
//! at the same time always share a bucket and move together in the order they arrived, and the
//! sort is stable: ties keep insertion order. A push at or before `last` goes straight into the
//! run, after the events of its time already there; but a push into the middle of a long run
//! (more than [`LONG`] events, as when a small bucket spanning tens of microseconds became the
//! run and a thousand nodes then scheduled into that span), or any push into the middle of the
//! run while that heap holds events, goes instead to a binary heap served merged with the run,
//! so that it costs a logarithm rather than moving half the run. Each event moves down at most
//! 64 times and in practice once or twice, so the cost per event stays flat as the queue grows
//! (a binary heap's grows with its logarithm and its cache misses), and once warm nothing is
//! allocated.
//!
//! The simulation never schedules before now (`Scheduler::at` clamps), but the queue accepts any
//! time: an event earlier than the last one taken out goes to a small binary heap ordered by
//! (time, insertion sequence) that is served first, so the total order holds for any sequence of
//! pushes.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use super::Time;

/// Buckets: 0 unused (the run takes its place), then one per bit position of `time ^ last`.
const BUCKETS: usize = 65;

/// A bucket of at most this many events is sorted into the run whole rather than spread.
pub const RUN: usize = 16;
/// The largest bucket allocation (in bytes) kept once the bucket has been spread: above it the
/// memory goes back to the allocator, so peak memory follows the events in flight instead of
/// adding up each level's high-water mark. Below it the bucket keeps its room: a queue that
/// routinely holds a million small events (the hold benchmark's) refills its large buckets
/// again and again, and regrowing them from nothing each time cost a third more per event
/// under an allocator whose `realloc` copies.
const KEEP_BYTES: usize = 16 << 20;
/// A bucket of more than this many events is not spread over the lower buckets but cut into a
/// rung of [`BIN`]-event bins by time: the 1,024-pair start-up puts four million copy-active
/// segments in flight within 60 us, and spreading such a bucket bit by bit moved each event
/// about eight times (a quarter of the burst's instructions); a rung moves it twice.
pub const LADDER: usize = 4096;
/// A rung's bins are cut to hold this many events on average, or up to twice as many (their
/// width is a power of two).
pub const BIN: usize = 8;
/// A push into the middle of a run longer than this goes to the `late` heap instead: with 1,024
/// pairs a checkpoint's round made runs of two thousand events, and each such insert moved a
/// thousand of them (a seventh of the 1,024-pair run's instructions).
pub const LONG: usize = 32;

/// One event kept aside from the run (in `early` or `late`), with its position in the total
/// order.
struct Aside<E> {
    time: Time,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Aside<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}

impl<E> Eq for Aside<E> {}

impl<E> PartialOrd for Aside<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Aside<E> {
    /// Reversed so that `BinaryHeap` (a max-heap) pops the earliest (time, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// Pending events in a total order: earliest time first, ties broken by insertion sequence.
pub struct EventQueue<E> {
    /// The earliest events but for those in `early` and `late`, none later than `last`, in
    /// (time, insertion) order.
    run: VecDeque<(Time, E)>,
    /// Buckets 1..=64 (index 0 unused): events whose time differs from `last` first at bit i-1.
    buckets: Vec<Vec<(Time, E)>>,
    /// Earliest time in each bucket (`Time::MAX` when empty); exact, since buckets only grow by
    /// pushes and empty all at once.
    mins: [Time; BUCKETS],
    /// Bit `i` set when bucket `i` (1..=64) is non-empty.
    occupied: u128,
    /// The buckets' reference time: everything in them is later, nothing in the run is.
    last: Time,
    /// The time of the last event popped from the run or `late`: nothing may be put in either
    /// before it.
    floor: Time,
    /// Events pushed earlier than `floor`, served before everything else.
    early: BinaryHeap<Aside<E>>,
    /// Events pushed into the middle of a long run (or while this heap was not empty), served
    /// merged with the run. Each was pushed after every run event of its time, so on a tie the
    /// run's goes first; and each is earlier than the run's last event, so the run empties
    /// only after it does, and is refilled only when both are empty.
    late: BinaryHeap<Aside<E>>,
    /// A large bucket cut by time into bins of `2^rung_shift` ns from `rung_lo` on, each in
    /// insertion order; bins before `rung_next` have gone to the run. Every event in a bin is
    /// later than the run's and `late`'s, and none is later than `last`.
    rung: Vec<Vec<(Time, E)>>,
    /// The start of bin 0.
    rung_lo: Time,
    /// The log2 of a bin's width in ns.
    rung_shift: u32,
    /// The next bin to go to the run: always a non-empty one while any remain.
    rung_next: usize,
    /// The start of bin `rung_next` (`Time::MAX` once the rung is used up): a push at or after
    /// it, and not after `last`, goes into its bin.
    rung_floor: Time,
    len: usize,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

/// The bucket of `time` relative to `last`: 0 when equal, else the bit length of their xor.
#[inline]
fn bucket_of(time: Time, last: Time) -> usize {
    (u64::BITS - (time ^ last).leading_zeros()) as usize
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            run: VecDeque::new(),
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            mins: [Time::MAX; BUCKETS],
            occupied: 0,
            last: 0,
            floor: 0,
            early: BinaryHeap::new(),
            late: BinaryHeap::new(),
            rung: Vec::new(),
            rung_lo: 0,
            rung_shift: 0,
            rung_next: 0,
            rung_floor: Time::MAX,
            len: 0,
            next_seq: 0,
        }
    }

    /// Schedules `event` at `time`; among events at the same time it runs after those already
    /// queued.
    #[inline]
    pub fn push(&mut self, time: Time, event: E) {
        self.len += 1;
        let seq = self.next_seq;
        self.next_seq += 1;
        if time < self.floor {
            self.early.push(Aside { time, seq, event });
            return;
        }
        if time <= self.last {
            if time >= self.rung_floor {
                // Appended, so that its bin stays in insertion order among equal times. (With
                // no rung, only `Time::MAX` gets here, and there is no bin.)
                let bin = ((time - self.rung_lo) >> self.rung_shift) as usize;
                if let Some(bin) = self.rung.get_mut(bin) {
                    bin.push((time, event));
                    return;
                }
            }
            // After every event at or before `time` (ties in insertion order): at the run's back
            // if none there is later; in its middle while it is short and `late` empty; else
            // into `late`, which then takes every such push until it empties, so that no run
            // event is ever pushed after a `late` one of its time.
            match self.run.back() {
                Some(&(back, _)) if back > time => {
                    if self.run.len() > LONG || !self.late.is_empty() {
                        self.late.push(Aside { time, seq, event });
                    } else {
                        let at = self.run.partition_point(|&(t, _)| t <= time);
                        self.run.insert(at, (time, event));
                    }
                }
                _ => self.run.push_back((time, event)),
            }
            return;
        }
        let b = bucket_of(time, self.last);
        self.buckets[b].push((time, event));
        self.occupied |= 1 << b;
        if time < self.mins[b] {
            self.mins[b] = time;
        }
    }

    /// Removes and returns the earliest event with its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(Time, E)> {
        if !self.early.is_empty() || !self.late.is_empty() {
            return self.pop_aside();
        }
        if self.run.is_empty() && !self.refill() {
            return None;
        }
        let (time, event) = self.run.pop_front()?;
        self.len -= 1;
        self.floor = time;
        Some((time, event))
    }

    /// [`EventQueue::pop`] while `early` or `late` holds events: out of line, so that the usual
    /// pop stays small enough to inline into the run loop.
    #[inline(never)]
    fn pop_aside(&mut self) -> Option<(Time, E)> {
        if let Some(e) = self.early.pop() {
            self.len -= 1;
            return Some((e.time, e.event));
        }
        let late_first = self
            .late
            .peek()
            .is_some_and(|l| self.run.front().is_none_or(|&(t, _)| l.time < t));
        let (time, event) = if late_first {
            self.late.pop().map(|e| (e.time, e.event))?
        } else {
            self.run.pop_front()?
        };
        self.len -= 1;
        self.floor = time;
        Some((time, event))
    }

    /// The run and `late` are empty: refills the run from the rung's next bin, sorted, or else
    /// from the lowest non-empty bucket: a small bucket is sorted in whole (`last` becomes its
    /// latest time), a larger one spread around its earliest time (which becomes `last`), and
    /// one larger still cut into a rung (`last` becomes its latest time). False when nothing is
    /// pending there.
    #[inline(never)]
    fn refill(&mut self) -> bool {
        if let Some(bin) = self.rung.get_mut(self.rung_next) {
            let mut bin = std::mem::take(bin);
            self.rung_next += 1;
            self.skip_empty_bins();
            // Stable: ties keep the bin's insertion order.
            bin.sort_by_key(|&(t, _)| t);
            self.run.extend(bin);
            return true;
        }
        if self.occupied == 0 {
            return false;
        }
        let b = self.occupied.trailing_zeros() as usize;
        self.occupied &= !(1 << b);
        let min = std::mem::replace(&mut self.mins[b], Time::MAX);
        let mut from = std::mem::take(&mut self.buckets[b]);
        if from.len() <= RUN {
            // A stable sort by time (in place for so few): ties keep the bucket's (insertion)
            // order. The buckets above stay as they are: the new `last` agrees with the old one
            // on every bit from `b - 1` up, so their events keep their buckets and stay later.
            from.sort_by_key(|&(t, _)| t);
            self.last = from.last().map_or(min, |&(t, _)| t);
            self.run.extend(from.drain(..));
            self.buckets[b] = from;
            return true;
        }
        let cut = from.len() > LADDER;
        if cut {
            self.cut_rung(&mut from, min);
        } else {
            let last = min;
            self.last = last;
            for (time, event) in from.drain(..) {
                let to = bucket_of(time, last);
                if to == 0 {
                    self.run.push_back((time, event));
                } else {
                    // `to < b`: the bucket being spread is never a target.
                    self.buckets[to].push((time, event));
                    self.occupied |= 1 << to;
                    if time < self.mins[to] {
                        self.mins[to] = time;
                    }
                }
            }
        }
        if from.capacity() * std::mem::size_of::<(Time, E)>() > KEEP_BYTES {
            // A burst (every copy-active segment of a thousand pairs' start-up in flight at
            // once) left a bucket far larger than the run needs again: hand its memory back
            // rather than hold it beside the bins it was cut into.
            from = Vec::new();
        }
        self.buckets[b] = from;
        // A rung's first bin is yet to come; a spread's earliest events are in the run.
        !cut || self.refill()
    }

    /// Cuts the lowest bucket's events `from` (earliest `min`) into a rung of bins of [`BIN`] to
    /// twice that many events each on average, every bin sized exactly in one allocation; `last` becomes their
    /// latest time. The buckets above stay as they are, as for a small bucket sorted whole.
    fn cut_rung(&mut self, from: &mut Vec<(Time, E)>, min: Time) {
        let max = from.iter().map(|&(t, _)| t).max().unwrap_or(min);
        let span = max - min;
        let bins = (from.len() / BIN).max(1) as u64;
        // The narrowest power-of-two width that needs no more than `bins + 1` bins: a bin holds
        // `BIN` to `2 * BIN` events on average.
        let width = (span / bins + 1)
            .checked_next_power_of_two()
            .unwrap_or(1 << 63);
        let shift = width.trailing_zeros();
        let n = (span >> shift) as usize + 1;
        let mut counts = vec![0usize; n];
        for &(t, _) in from.iter() {
            counts[((t - min) >> shift) as usize] += 1;
        }
        debug_assert!(self.rung.iter().all(Vec::is_empty));
        self.rung.clear();
        self.rung
            .extend(counts.iter().map(|&c| Vec::with_capacity(c)));
        for (time, event) in from.drain(..) {
            self.rung[((time - min) >> shift) as usize].push((time, event));
        }
        self.rung_lo = min;
        self.rung_shift = shift;
        self.rung_next = 0;
        self.last = max;
        self.skip_empty_bins();
    }

    /// Moves `rung_next` past empty bins and sets `rung_floor` to the start of the bin it then
    /// names; once no bin is left the rung is done and its memory, if large, goes back.
    fn skip_empty_bins(&mut self) {
        while self.rung.get(self.rung_next).is_some_and(Vec::is_empty) {
            self.rung_next += 1;
        }
        if self.rung_next < self.rung.len() {
            self.rung_floor = self.rung_lo + ((self.rung_next as u64) << self.rung_shift);
        } else {
            self.rung_floor = Time::MAX;
            self.rung.clear();
            self.rung_next = 0;
            if self.rung.capacity() * std::mem::size_of::<Vec<(Time, E)>>() > KEEP_BYTES {
                self.rung = Vec::new();
            }
        }
    }

    /// The event `k` places after the next one, when it is known without work (it is in the
    /// sorted run); for hints only, as a push or a `late` event may still come before it.
    #[inline]
    pub fn upcoming(&self, k: usize) -> Option<&E> {
        if !self.early.is_empty() {
            return None;
        }
        self.run.get(k).map(|(_, e)| e)
    }

    /// The time of the earliest pending event, if any.
    #[inline]
    pub fn peek_time(&self) -> Option<Time> {
        if let Some(e) = self.early.peek() {
            return Some(e.time);
        }
        let run = self.run.front().map(|&(t, _)| t);
        let late = self.late.peek().map(|e| e.time);
        if let Some(t) = run.into_iter().chain(late).min() {
            return Some(t);
        }
        if let Some(bin) = self.rung.get(self.rung_next) {
            return bin.iter().map(|&(t, _)| t).min();
        }
        if self.occupied == 0 {
            return None;
        }
        Some(self.mins[self.occupied.trailing_zeros() as usize])
    }

    /// Number of pending events.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is pending.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Reverse;

    #[test]
    fn pops_in_time_order() {
        let mut q = EventQueue::new();
        q.push(30, 'c');
        q.push(10, 'a');
        q.push(20, 'b');
        assert_eq!(q.pop(), Some((10, 'a')));
        assert_eq!(q.pop(), Some((20, 'b')));
        assert_eq!(q.pop(), Some((30, 'c')));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn a_large_bucket_is_cut_into_a_rung_of_exactly_sized_bins() {
        // 20,000 events in one bucket over 2^24 ns: cut into bins of about `BIN` events, each
        // allocated once to its size, and popped in order.
        let mut q = EventQueue::new();
        let base = 1u64 << 30;
        let n = 20_000u64;
        assert!(n as usize > LADDER);
        for i in 0..n {
            q.push(base + (i * 7919) % (1 << 24), i);
        }
        assert!(q.pop().is_some());
        assert!(q.buckets.iter().all(Vec::is_empty), "the bucket was spread");
        let bins = q.rung.len();
        assert!(
            (n as usize / (2 * BIN)..=n as usize / BIN + 1).contains(&bins),
            "{bins} bins"
        );
        for (i, bin) in q.rung.iter().enumerate().skip(q.rung_next) {
            assert_eq!(bin.capacity(), bin.len(), "bin {i} grew by doubling");
        }
        let mut last = 0;
        let mut popped = 1;
        while let Some((t, _)) = q.pop() {
            assert!(t >= last);
            last = t;
            popped += 1;
        }
        assert_eq!(popped, n);
        assert!(q.rung.is_empty() && q.rung_floor == Time::MAX);
    }

    #[test]
    fn a_burst_gives_its_memory_back_once_cut() {
        // Events of 248 bytes, as large as a world's carrying a message and then some: 64 MiB
        // of them, four times what a bucket keeps.
        type Big = [u64; 31];
        let mut q: EventQueue<Big> = EventQueue::new();
        let n = (4 * KEEP_BYTES / std::mem::size_of::<(Time, Big)>()) as u64;
        let ev = |i: u64| -> Big {
            let mut e = [0; 31];
            e[0] = i;
            e
        };
        // One bucket (every time shares the bits above 2^18 with the first), cut at the pop.
        let base = 1 << 20;
        assert!(n <= 1 << 18);
        for i in 0..n {
            q.push(base + i, ev(i));
        }
        let held = |q: &EventQueue<Big>| -> usize {
            let bins: usize = q.rung.iter().map(Vec::capacity).sum();
            q.buckets.iter().map(Vec::capacity).sum::<usize>() + bins + q.run.capacity()
        };
        assert_eq!(q.pop(), Some((base, ev(0))));
        assert!(
            held(&q) < 3 * q.len() / 2,
            "{} slots held for {} events after the cut",
            held(&q),
            q.len()
        );
        for i in 1..n {
            assert_eq!(q.pop(), Some((base + i, ev(i))));
            if i == n / 2 {
                // Bins already served hold nothing: what is held is what is pending.
                let bins: usize = q.rung.iter().map(Vec::capacity).sum();
                assert_eq!(
                    bins,
                    q.len() - q.run.len(),
                    "bins served are not given back"
                );
            }
        }
    }

    #[test]
    fn ties_break_by_insertion_order() {
        let mut q = EventQueue::new();
        for i in 0..100u32 {
            q.push(5, i);
        }
        q.push(1, 1000);
        assert_eq!(q.pop(), Some((1, 1000)));
        for i in 0..100u32 {
            assert_eq!(q.pop(), Some((5, i)), "tie {i} out of insertion order");
        }
    }

    #[test]
    fn interleaved_pushes_keep_total_order() {
        let mut q = EventQueue::new();
        q.push(10, 0u32);
        q.push(10, 1);
        assert_eq!(q.pop(), Some((10, 0)));
        q.push(10, 2);
        q.push(9, 3);
        assert_eq!(q.peek_time(), Some(9));
        assert_eq!(q.pop(), Some((9, 3)));
        assert_eq!(q.pop(), Some((10, 1)));
        assert_eq!(q.pop(), Some((10, 2)));
        assert!(q.is_empty());
    }

    #[test]
    fn extreme_times_are_ordered() {
        let mut q = EventQueue::new();
        q.push(u64::MAX, 0u32);
        q.push(0, 1);
        q.push(u64::MAX, 2);
        q.push(1 << 63, 3);
        assert_eq!(q.pop(), Some((0, 1)));
        assert_eq!(q.pop(), Some((1 << 63, 3)));
        q.push(u64::MAX, 4);
        assert_eq!(q.pop(), Some((u64::MAX, 0)));
        assert_eq!(q.pop(), Some((u64::MAX, 2)));
        assert_eq!(q.pop(), Some((u64::MAX, 4)));
        assert_eq!(q.pop(), None);
        assert_eq!(q.peek_time(), None);
    }

    /// The reference: a binary heap on (time, insertion sequence), as the queue was before.
    #[derive(Default)]
    struct Reference {
        heap: BinaryHeap<Reverse<(Time, u64, u32)>>,
        seq: u64,
    }

    impl Reference {
        fn push(&mut self, time: Time, event: u32) {
            self.heap.push(Reverse((time, self.seq, event)));
            self.seq += 1;
        }
        fn pop(&mut self) -> Option<(Time, u32)> {
            self.heap.pop().map(|Reverse((t, _, e))| (t, e))
        }
        fn peek_time(&self) -> Option<Time> {
            self.heap.peek().map(|Reverse((t, _, _))| *t)
        }
    }

    /// One step of a random schedule, relative to the time of the last event popped.
    #[derive(Clone, Debug)]
    enum Op {
        /// Push at the current time (a zero delay: the FIFO lane).
        PushNow,
        /// Push this far ahead; small values make many ties.
        PushAfter(u64),
        /// Push at an absolute time, possibly in the past (the early lane).
        PushAt(u64),
        /// Pop one event.
        Pop,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => Just(Op::PushNow),
            4 => (0u64..4).prop_map(Op::PushAfter),
            3 => (0u64..1 << 12).prop_map(Op::PushAfter),
            1 => any::<u64>().prop_map(|d| Op::PushAfter(d >> (d % 64))),
            1 => (0u64..1 << 14).prop_map(Op::PushAt),
            6 => Just(Op::Pop),
        ]
    }

    /// Replays `ops` on the queue and the reference; every pop, peek and length must agree.
    fn agree(ops: &[Op]) -> Result<(), TestCaseError> {
        agree_after(&[], ops)
    }

    /// As [`agree`], after pushing a burst of events at `burst`'s times.
    fn agree_after(burst: &[Time], ops: &[Op]) -> Result<(), TestCaseError> {
        let mut q = EventQueue::new();
        let mut r = Reference::default();
        let mut now = 0u64;
        for (i, &t) in burst.iter().enumerate() {
            q.push(t, u32::MAX - i as u32);
            r.push(t, u32::MAX - i as u32);
        }
        for (i, op) in ops.iter().enumerate() {
            let id = i as u32;
            match *op {
                Op::PushNow => {
                    q.push(now, id);
                    r.push(now, id);
                }
                Op::PushAfter(d) => {
                    let t = now.saturating_add(d);
                    q.push(t, id);
                    r.push(t, id);
                }
                Op::PushAt(t) => {
                    q.push(t, id);
                    r.push(t, id);
                }
                Op::Pop => {
                    let got = q.pop();
                    prop_assert_eq!(got, r.pop(), "pop at step {}", i);
                    if let Some((t, _)) = got {
                        now = t;
                    }
                }
            }
            prop_assert_eq!(q.peek_time(), r.peek_time(), "peek at step {}", i);
            prop_assert_eq!(q.len(), r.heap.len());
            prop_assert_eq!(q.is_empty(), r.heap.is_empty());
        }
        while let Some(want) = r.pop() {
            prop_assert_eq!(q.pop(), Some(want));
        }
        prop_assert_eq!(q.pop(), None);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Random pushes (many ties, many at the current time, some in the past) and pops give
        /// exactly the reference's order.
        #[test]
        fn same_total_order_as_a_binary_heap(ops in prop::collection::vec(op(), 0..400)) {
            agree(&ops)?;
        }

        /// Many more pushes than pops, mostly just ahead of now: runs grow far past `LONG`,
        /// so pushes into them go to the `late` heap and back out merged with the run.
        #[test]
        fn long_runs_keep_total_order(
            ops in prop::collection::vec(
                prop_oneof![
                    8 => (0u64..64).prop_map(Op::PushAfter),
                    1 => Just(Op::PushNow),
                    1 => (0u64..1 << 10).prop_map(Op::PushAt),
                    2 => Just(Op::Pop),
                ],
                0..600,
            )
        ) {
            agree(&ops)?;
        }

        /// A burst too large to spread (a rung) over a span from a few ns (all ties) to most of
        /// the time range, then pushes into it, before it and past it, and pops.
        #[test]
        fn bursts_cut_into_a_rung_keep_total_order(
            shift in prop_oneof![Just(0u32), Just(50), Just(58), 0u32..64],
            times in prop::collection::vec(any::<u64>(), LADDER + 1..3 * LADDER),
            ops in prop::collection::vec(
                prop_oneof![
                    3 => Just(Op::PushNow),
                    3 => (0u64..1 << 8).prop_map(Op::PushAfter),
                    2 => any::<u64>().prop_map(|d| Op::PushAfter(d >> (d % 64))),
                    1 => any::<u64>().prop_map(|t| Op::PushAt(t >> 6)),
                    8 => Just(Op::Pop),
                ],
                0..3000,
            )
        ) {
            let burst: Vec<Time> = times.iter().map(|&t| (t >> shift).saturating_add(1000)).collect();
            agree_after(&burst, &ops)?;
        }

        /// Only ties: every event at one of three times, pushed while popping.
        #[test]
        fn ties_keep_insertion_order(
            ops in prop::collection::vec(
                prop_oneof![Just(Op::PushNow), (0u64..3).prop_map(Op::PushAfter), Just(Op::Pop)],
                0..400,
            )
        ) {
            agree(&ops)?;
        }
    }

    #[test]
    fn pushes_into_a_long_run_keep_total_order() {
        // Sixteen events 1 us apart form one small bucket, sorted whole into the run, so `last`
        // lies 15 us ahead; then hundreds of pushes land inside the run, many tied with its
        // events, far past `LONG`.
        let mut q = EventQueue::new();
        let mut r = Reference::default();
        let base = 1 << 20;
        for i in 0..16u32 {
            let t = base + u64::from(i) * 1000;
            q.push(t, i);
            r.push(t, i);
        }
        assert_eq!(q.pop(), r.pop());
        let mut aside = 0;
        for i in 16..600u32 {
            let t = base + u64::from(i * 7919 % 16) * 1000 + u64::from(i % 3);
            q.push(t, i);
            r.push(t, i);
            aside = aside.max(q.late.len());
            assert_eq!(q.peek_time(), r.peek_time(), "peek after push {i}");
            if i % 5 == 0 {
                assert_eq!(q.pop(), r.pop(), "pop after push {i}");
            }
        }
        assert!(aside > 100, "only {aside} events went beside the run");
        while let Some(want) = r.pop() {
            assert_eq!(q.pop(), Some(want));
        }
        assert_eq!(q.pop(), None);
        assert!(q.late.is_empty() && q.run.is_empty());
    }

    #[test]
    fn a_short_run_takes_no_push_while_late_holds_events() {
        // The run becomes 15 events 1 us apart; 40 pushes just after its front fill it to 33
        // and put the rest into `late`; popping the 18 earliest shortens the run to 15 while
        // `late` still holds later events. A push tied with one of those must go to `late` too,
        // or it would pop before the older event of its time.
        let mut q = EventQueue::new();
        let mut r = Reference::default();
        let base = 1 << 20;
        let push = |q: &mut EventQueue<u32>, r: &mut Reference, t: Time, id: u32| {
            q.push(t, id);
            r.push(t, id);
        };
        for i in 0..16u32 {
            push(&mut q, &mut r, base + u64::from(i) * 1000, i);
        }
        assert_eq!(q.pop(), r.pop());
        for j in 0..40u32 {
            push(&mut q, &mut r, base + 500 + u64::from(j), 100 + j);
        }
        assert_eq!(q.late.len(), 40 - (LONG + 1 - 15));
        for _ in 0..(LONG + 1 - 15) {
            assert_eq!(q.pop(), r.pop());
        }
        assert!(q.run.len() <= LONG && !q.late.is_empty());
        push(&mut q, &mut r, base + 520, 999);
        while let Some(want) = r.pop() {
            assert_eq!(q.pop(), Some(want));
        }
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn hold_model_matches_the_reference_through_rungs() {
        // 20,000 pending over about 1 ms: the buckets that refill are cut into rungs, and most
        // pushes land inside the rung being served.
        use rand::{Rng as _, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut q = EventQueue::new();
        let mut r = Reference::default();
        for i in 0..20_000u32 {
            let t = rng.random_range(0..1 << 20);
            q.push(t, i);
            r.push(t, i);
        }
        let mut cut = 0;
        for i in 0..200_000u32 {
            let (t, e) = q.pop().expect("never empty");
            assert_eq!(Some((t, e)), r.pop(), "event {i}");
            cut = cut.max(q.rung.len());
            let d = match i % 7 {
                0 => 0,
                1 => rng.random_range(0..1 << 6),
                _ => rng.random_range(0..1 << 20),
            };
            q.push(t + d, e);
            r.push(t + d, e);
        }
        assert!(cut > LADDER / BIN, "no rung was cut ({cut} bins at most)");
    }

    #[test]
    fn hold_model_matches_the_reference() {
        use rand::{Rng as _, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let mut q = EventQueue::new();
        let mut r = Reference::default();
        for i in 0..2000u32 {
            let t = rng.random_range(0..1 << 20);
            q.push(t, i);
            r.push(t, i);
        }
        for i in 0..50_000u32 {
            let (t, e) = q.pop().expect("never empty");
            assert_eq!(Some((t, e)), r.pop(), "event {i}");
            let d = if i % 7 == 0 {
                0
            } else {
                rng.random_range(0..1 << 20)
            };
            q.push(t + d, e);
            r.push(t + d, e);
        }
    }
}
