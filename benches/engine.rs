//! The engine loop (peek, pop, handle, push through `engine::run`) on the hold and ping-pong
//! models of `rcsim bench`.
//!
//! `cargo bench --bench engine`

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rcsim::bench::hold::{timed, Hold};
use rcsim::bench::pingpong::{PingPong, PROCESSES};

const STEPS: u64 = 50_000;

fn engine(c: &mut Criterion) {
    let mut g = c.benchmark_group("engine");
    g.throughput(Throughput::Elements(STEPS));
    for pending in [1_000usize, 100_000] {
        g.bench_function(format!("hold/{pending}"), |b| {
            b.iter_batched_ref(
                || Hold::new(pending, 1),
                |(h, s)| timed(h, s, STEPS),
                BatchSize::LargeInput,
            )
        });
    }
    g.bench_function("pingpong", |b| {
        b.iter_batched_ref(
            || PingPong::new(PROCESSES, 1),
            |(w, s)| timed(w, s, STEPS),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
