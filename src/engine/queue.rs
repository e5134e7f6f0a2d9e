//! The event queue: pending events in one total order, earliest time first and, among events at
//! the same time, in the order they were scheduled.
//!
//! It is a monotone radix heap of radix 16 keyed by the `u64` nanosecond time, in front of a
//! short sorted run. Each (level, digit) bucket holds the events whose time differs from `last`
//! first at that 4-bit digit (counting from the least significant) and has that value there;
//! the run holds the earliest events, at or before `last`,
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
//! 16 times (once per level) and in practice once or twice, so the cost per event stays flat as the queue grows
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

/// Bits in a digit of a time: the heap's radix is 16.
const DIGIT_BITS: u32 = 4;
/// Digits in a time, and so levels of buckets.
const LEVELS: usize = (u64::BITS / DIGIT_BITS) as usize;
/// Buckets: one per (level, digit value), level-major; bucket 0 (level 0, digit 0) is never used,
/// as the run takes its place.
const BUCKETS: usize = LEVELS << DIGIT_BITS;
/// Words of the bit set of non-empty buckets.
const WORDS: usize = BUCKETS / 64;

/// A bucket of at most this many events is sorted into the run whole rather than spread.
pub const RUN: usize = 16;
/// The most room (in bytes) the queue keeps in empty chunks once buckets have been spread:
/// beyond it the memory goes back to the allocator, so peak memory follows the events in
/// flight instead of adding up each level's high-water mark. Below it the room is kept: a
/// queue that routinely holds a million small events (the hold benchmark's) refills its large
/// buckets again and again, and regrowing them from nothing each time cost a third more per
/// event.
const KEEP_BYTES: usize = 16 << 20;
/// A bucket holds its events in chunks of this many: a bucket that fills one starts the next
/// instead of doubling, so a burst (every copy-active segment of a thousand pairs' start-up in
/// flight at once) is never copied into room twice its size, each copy touching fresh pages
/// that the kernel must zero (a tenth of the 1,024-pair run's time went to that).
const CHUNK: usize = 4096;
/// A push into the middle of a run longer than this goes to the `late` heap instead: with 1,024
/// pairs a checkpoint's round made runs of two thousand events, and each such insert moved a
/// thousand of them (a seventh of the 1,024-pair run's instructions).
pub const LONG: usize = 32;

/// The events of one bucket in insertion order: the full chunks, then the newest events. A
/// bucket of fewer than [`CHUNK`] events is one vector, as a plain one would be.
struct Bucket<T> {
    /// Full chunks, oldest first: [`CHUNK`] events each, or more when the head was a long run's
    /// former buffer, sealed only once that filled.
    full: Vec<Vec<T>>,
    /// The newest events, fewer than [`CHUNK`] before a push.
    head: Vec<T>,
}

impl<T> Default for Bucket<T> {
    fn default() -> Self {
        Bucket {
            full: Vec::new(),
            head: Vec::new(),
        }
    }
}

impl<T> Bucket<T> {
    /// Events held.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.full.iter().map(Vec::len).sum::<usize>() + self.head.len()
    }

    /// Appends `x`, starting a chunk (from `spare` if it has one) when the head is full, and
    /// taking a spare chunk when the head has no room at all.
    #[inline]
    fn push(&mut self, x: T, spare: &mut Vec<Vec<T>>) {
        if self.head.len() == self.head.capacity() {
            self.grow(spare);
        }
        self.head.push(x);
    }

    /// The head has no room left: when full, it joins the full chunks and an empty chunk takes
    /// its place; when it never had room, a spare chunk (if any) becomes it; else it grows as
    /// a vector does.
    #[cold]
    fn grow(&mut self, spare: &mut Vec<Vec<T>>) {
        if self.head.len() >= CHUNK {
            let next = spare.pop().unwrap_or_else(|| Vec::with_capacity(CHUNK));
            self.full.push(std::mem::replace(&mut self.head, next));
        } else if self.head.capacity() == 0 {
            if let Some(room) = spare.pop() {
                self.head = room;
            }
        }
    }

    /// Events there is room for.
    #[cfg(test)]
    fn capacity(&self) -> usize {
        self.full.iter().map(Vec::capacity).sum::<usize>() + self.head.capacity()
    }
}

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
    /// Buckets by (level, digit): bucket `16 * l + d` holds the events whose time differs from
    /// `last` first at digit `l` (counting 4-bit digits from the least significant), where
    /// their digit is `d` (so `d` is above `last`'s digit there). Bucket 0 is unused.
    buckets: [Bucket<(Time, E)>; BUCKETS],
    /// Empty chunks of room for [`CHUNK`] events, from buckets spread, for buckets that fill
    /// one: at most [`KEEP_BYTES`] of them, so a spread moves its events through the same
    /// memory instead of holding the bucket beside the lower buckets it fills.
    spare: Vec<Vec<(Time, E)>>,
    /// Earliest time in each bucket (`Time::MAX` when empty); exact, since buckets only grow by
    /// pushes and empty all at once.
    mins: [Time; BUCKETS],
    /// Bit `i` (of word `i / 64`) set when bucket `i` is non-empty.
    occupied: [u64; WORDS],
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
    len: usize,
    next_seq: u64,
    /// Events moved from one bucket to a lower one (or the run) by spreads, for tests.
    #[cfg(test)]
    moves: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

/// The bucket of `time` (at or after `last`) relative to `last`: 0 when equal, else the index of
/// the highest digit where they differ and `time`'s value there. Buckets in index order hold
/// ever later events: a lower level agrees with `last` on the digits above it, where a higher
/// level's events are larger, and within a level a larger digit is a later time.
#[inline]
fn bucket_of(time: Time, last: Time) -> usize {
    let x = time ^ last;
    if x == 0 {
        return 0;
    }
    let level = (u64::BITS - 1 - x.leading_zeros()) / DIGIT_BITS;
    let digit = (time >> (level * DIGIT_BITS)) & ((1 << DIGIT_BITS) - 1);
    ((level << DIGIT_BITS) as u64 | digit) as usize
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            run: VecDeque::new(),
            buckets: std::array::from_fn(|_| Bucket::default()),
            spare: Vec::new(),
            mins: [Time::MAX; BUCKETS],
            occupied: [0; WORDS],
            last: 0,
            floor: 0,
            early: BinaryHeap::new(),
            late: BinaryHeap::new(),
            len: 0,
            next_seq: 0,
            #[cfg(test)]
            moves: 0,
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
        self.buckets[b].push((time, event), &mut self.spare);
        self.occupied[b / 64] |= 1 << (b % 64);
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

    /// The run and `late` are empty: refills the run from the lowest non-empty bucket, sorting a
    /// small bucket in whole (`last` becomes its latest time) or spreading a large one around its
    /// earliest time (which becomes `last`). False when every bucket is empty.
    #[inline(never)]
    fn refill(&mut self) -> bool {
        let Some(b) = self.lowest() else {
            return false;
        };
        self.occupied[b / 64] &= !(1 << (b % 64));
        let min = std::mem::replace(&mut self.mins[b], Time::MAX);
        let bucket = &mut self.buckets[b];
        if bucket.full.is_empty() && bucket.head.len() <= RUN {
            let mut head = std::mem::take(&mut bucket.head);
            // A stable sort by time (in place for so few): ties keep the bucket's (insertion)
            // order. The buckets above stay as they are: the new `last` agrees with the old one
            // on every digit above `b`'s level and has `b`'s digit at that level, below the
            // digit there of any later bucket of the level, so their events keep their buckets
            // and stay later.
            head.sort_by_key(|&(t, _)| t);
            self.last = head.last().map_or(min, |&(t, _)| t);
            // The run is empty: the sorted bucket becomes the run and the run's (empty) buffer
            // the bucket's, each keeping its room, instead of copying every event across.
            let spent = std::mem::replace(&mut self.run, VecDeque::from(head));
            self.buckets[b].head = Vec::from(spent);
            return true;
        }
        let mut full = std::mem::take(&mut bucket.full);
        let mut head = std::mem::take(&mut bucket.head);
        let last = min;
        self.last = last;
        let keep = (KEEP_BYTES / (CHUNK * std::mem::size_of::<(Time, E)>())).max(1);
        for mut chunk in full.drain(..) {
            self.spread(&mut chunk, last);
            if self.spare.len() < keep {
                self.spare.push(chunk);
            }
        }
        self.buckets[b].full = full;
        self.spread(&mut head, last);
        // A chunk's room goes to the spare chunks, for whichever bucket fills next; a smaller
        // head keeps its room for the bucket's next events; a long run's buffer from an earlier
        // refill, far larger than a chunk, is freed.
        if head.capacity() == CHUNK {
            if self.spare.len() < keep {
                self.spare.push(head);
            }
        } else if head.capacity() * std::mem::size_of::<(Time, E)>() <= KEEP_BYTES {
            self.buckets[b].head = head;
        }
        true
    }

    /// Moves the events of `from`, in order, to the buckets (or the run) that their times name
    /// relative to `last`, every one of them below the bucket they came from.
    #[inline]
    fn spread(&mut self, from: &mut Vec<(Time, E)>, last: Time) {
        #[cfg(test)]
        {
            self.moves += from.len() as u64;
        }
        for (time, event) in from.drain(..) {
            let to = bucket_of(time, last);
            if to == 0 {
                self.run.push_back((time, event));
            } else {
                self.buckets[to].push((time, event), &mut self.spare);
                self.occupied[to / 64] |= 1 << (to % 64);
                if time < self.mins[to] {
                    self.mins[to] = time;
                }
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
        self.lowest().map(|b| self.mins[b])
    }

    /// The lowest non-empty bucket, which holds the earliest events of all buckets.
    #[inline]
    fn lowest(&self) -> Option<usize> {
        self.occupied
            .iter()
            .position(|&w| w != 0)
            .map(|i| i * 64 + self.occupied[i].trailing_zeros() as usize)
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

    /// Room held by the buckets and the spare chunks, in events.
    fn room<E>(q: &EventQueue<E>) -> usize {
        q.buckets.iter().map(Bucket::capacity).sum::<usize>()
            + q.spare.iter().map(Vec::capacity).sum::<usize>()
    }

    #[test]
    fn a_large_bucket_grows_by_chunks_and_its_spread_reuses_them() {
        // 20,000 events in one bucket, at times that spread over many lower buckets.
        let mut q = EventQueue::new();
        let base = 1u64 << 30;
        let n = 20_000usize;
        assert!(n > 4 * CHUNK);
        for i in 0..n as u64 {
            q.push(base + (i * 7919) % (1 << 24), i);
        }
        let before = room(&q);
        // Doubling would have made room for 32,768 and copied 16,384 events on the way.
        assert!(before <= n + CHUNK, "room for {before} events");
        let source = bucket_of(base, 0);
        assert!(q.buckets[source].capacity() >= n);
        assert!(q.pop().is_some());
        // The spread bucket keeps no room: its chunks, its head's too, are spare for any bucket.
        assert_eq!(q.buckets[source].capacity(), 0);
        let spread = q.buckets.iter().filter(|b| b.len() > 0).count();
        assert!(spread > 10, "only {spread} buckets");
        // The lower buckets fill the chunks the spread bucket empties: beyond those, only
        // their heads are new.
        let after = room(&q);
        assert!(
            after <= before + spread * CHUNK,
            "room for {after} events after the spread, {before} before"
        );
        let mut last = 0;
        while let Some((t, _)) = q.pop() {
            assert!(t >= last);
            last = t;
        }
    }

    #[test]
    fn a_burst_gives_its_memory_back_once_spread() {
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
        // One bucket (every time shares the bits above 2^18 with the first), spread at the pop.
        let base = 1 << 20;
        assert!(n <= 1 << 18);
        for i in 0..n {
            q.push(base + i, ev(i));
        }
        assert_eq!(q.pop(), Some((base, ev(0))));
        let held = room(&q);
        assert!(
            held < 3 * q.len() / 2,
            "{held} slots held for {} events after the spread",
            q.len()
        );
        for i in 1..n {
            assert_eq!(q.pop(), Some((base + i, ev(i))));
        }
    }

    #[test]
    fn a_dense_burst_moves_each_event_down_a_few_levels_only() {
        // A thousand pairs' start-up: two million messages landing 20 to 80 us out, about 35 to
        // a nanosecond. Here a radix-2 heap moves each event 6.9 times, radix 16 3.0 times.
        let mut q = EventQueue::new();
        let mut x = 1u64;
        let n = 200_000u64;
        for i in 0..n {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            q.push(20_000 + (x >> 33) % 60_000, i);
        }
        let mut last = 0;
        while let Some((t, _)) = q.pop() {
            assert!(t >= last);
            last = t;
        }
        assert!(q.moves <= 5 * n, "{} moves for {n} events", q.moves);
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

        /// A burst large enough to fill chunks and be spread in one go (more than [`CHUNK`]
        /// events), over a span from a few ns (all ties) to most of the time range, then pushes
        /// into it, before it and past it, and pops.
        #[test]
        fn large_bursts_keep_total_order(
            shift in prop_oneof![Just(0u32), Just(50), Just(58), 0u32..64],
            times in prop::collection::vec(any::<u64>(), CHUNK + 1..3 * CHUNK),
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
            let burst: Vec<Time> =
                times.iter().map(|&t| (t >> shift).saturating_add(1000)).collect();
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
    fn a_large_hold_model_matches_the_reference() {
        // 20,000 pending over about 1 ms: buckets of several chunks are spread, and most pushes
        // land just ahead of the events being served.
        use rand::{Rng as _, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut q = EventQueue::new();
        let mut r = Reference::default();
        for i in 0..20_000u32 {
            let t = rng.random_range(0..1 << 20);
            q.push(t, i);
            r.push(t, i);
        }
        for i in 0..200_000u32 {
            let (t, e) = q.pop().expect("never empty");
            assert_eq!(Some((t, e)), r.pop(), "event {i}");
            let d = match i % 7 {
                0 => 0,
                1 => rng.random_range(0..1 << 6),
                _ => rng.random_range(0..1 << 20),
            };
            q.push(t + d, e);
            r.push(t + d, e);
        }
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
