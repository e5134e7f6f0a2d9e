//! A short version of the standard scenario (`scenarios/bench-standard.json` cut to 200 ms of
//! hosts), checker on, through `sim::simulate`; the full one is `rcsim bench`'s.
//!
//! `cargo bench --bench standard`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rcsim::bench::standard::scenario;
use rcsim::sim::{simulate, RunOptions};

fn standard(c: &mut Criterion) {
    let sc = scenario(false, &["duration=200ms", "faults.0.at=190ms"]);
    let events = simulate(&sc, 1, &RunOptions::default())
        .expect("runs")
        .events;
    let mut g = c.benchmark_group("standard");
    g.throughput(Throughput::Elements(events));
    g.sample_size(20);
    g.bench_function("200ms", |b| {
        b.iter(|| simulate(&sc, 1, &RunOptions::default()).expect("runs"))
    });
    g.finish();
}

criterion_group!(benches, standard);
criterion_main!(benches);
