//! The event queue under the hold model (pop the next event, push it back at now + U[0, 2^20)
//! ns) at two sizes, against the binary heap on (time, seq) it replaced.
//!
//! `cargo bench --bench queue`

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rand::Rng as _;
use rcsim::bench::hold::SPAN;
use rcsim::engine::{rng::Rng, stream, ComponentId, EventQueue};

/// Events per measured iteration.
const STEPS: u64 = 10_000;

fn rng() -> Rng {
    stream(1, ComponentId::Other(7))
}

fn radix(pending: usize) -> (EventQueue<u32>, Rng) {
    let mut r = rng();
    let mut q = EventQueue::new();
    for i in 0..pending {
        q.push(r.random_range(0..SPAN), i as u32);
    }
    (q, r)
}

/// The queue as it was: a max-heap of reversed (time, seq, event).
type Heap = BinaryHeap<Reverse<(u64, u64, u32)>>;

fn heap(pending: usize) -> (Heap, Rng) {
    let mut r = rng();
    let mut q = BinaryHeap::new();
    for i in 0..pending {
        q.push(Reverse((r.random_range(0..SPAN), i as u64, i as u32)));
    }
    (q, r)
}

fn hold(c: &mut Criterion) {
    for pending in [1_000usize, 100_000] {
        let mut g = c.benchmark_group(format!("hold/{pending}"));
        g.throughput(Throughput::Elements(STEPS));
        g.bench_function("radix heap", |b| {
            b.iter_batched_ref(
                || radix(pending),
                |(q, r)| {
                    for _ in 0..STEPS {
                        let (t, e) = q.pop().expect("never empty");
                        q.push(t + r.random_range(0..SPAN), black_box(e));
                    }
                },
                BatchSize::LargeInput,
            )
        });
        g.bench_function("binary heap", |b| {
            b.iter_batched_ref(
                || heap(pending),
                |(q, r)| {
                    let mut seq = pending as u64;
                    for _ in 0..STEPS {
                        let Reverse((t, _, e)) = q.pop().expect("never empty");
                        seq += 1;
                        q.push(Reverse((t + r.random_range(0..SPAN), seq, black_box(e))));
                    }
                },
                BatchSize::LargeInput,
            )
        });
        g.finish();
    }
}

criterion_group!(benches, hold);
criterion_main!(benches);
