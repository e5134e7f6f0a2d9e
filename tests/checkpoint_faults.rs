//! The checkpoint protocol under the faults it must survive (loss and duplication on both LANs,
//! multi-path reordering on the links, master crashes on both sites, a secondary reset during
//! update-in-progress, a disaster at a random time): over hundreds of seeds the checker finds no
//! violation, checkpoints keep being applied, and the takeover completes.

use std::path::Path;

use rcsim::scenario::units::Duration;
use rcsim::scenario::{load, Override};
use rcsim::sim::{simulate, RunOptions};

const SEEDS: u64 = 240;

fn set(path: &str, value: &str) -> Override {
    Override::parse(&format!("{path}={value}")).expect("valid override")
}

/// A small per-seed variation of scenarios/checkpoint-faults.json: where the crashes and the
/// disaster fall moves with the seed, so resets land in every phase of a round.
fn overrides(seed: u64) -> Vec<Override> {
    vec![
        set("duration", "\"300ms\""),
        set("drain", "\"100ms\""),
        set("faults.0.at", &format!("\"{}us\"", crash_at(seed, 0))),
        set("faults.1.at", &format!("\"{}us\"", crash_at(seed, 1))),
        set("faults.2.at", &format!("\"{}us\"", crash_at(seed, 2))),
        Override::DisasterAt(Duration::from_us(100_000 + mix(seed, 3) * 200)),
    ]
}

const MS: u64 = 1_000_000;

/// A number in 0..1000 drawn from the seed, different for each `k`.
fn mix(seed: u64, k: u64) -> u64 {
    (seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (k * 8)) % 1000
}

/// When fault `k` strikes, in microseconds (the master crashes early, the reset anywhere).
fn crash_at(seed: u64, k: u64) -> u64 {
    match k {
        0 => 20_000 + mix(seed, 0) * 60,
        1 => 40_000 + mix(seed, 1) * 80,
        _ => 10_000 + mix(seed, 2) * 150,
    }
}

/// When the last crash of the scenario (60 ms, 60 ms and 2 ms outages) has healed, in ns.
fn healed_at(seed: u64) -> u64 {
    let downs = [60_000, 60_000, 2_000];
    (0..3)
        .map(|k| (crash_at(seed, k) + downs[k as usize]) * 1000)
        .max()
        .unwrap_or(0)
}

#[test]
fn no_violation_and_steady_progress_under_faults() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/checkpoint-faults.json");
    let mut failures = Vec::new();
    let mut failovers = 0;
    let mut settled = 0;
    for seed in 1..=SEEDS {
        let sc = load(&path, &overrides(seed)).expect("scenario loads");
        let r = simulate(&sc, seed, &RunOptions::default()).expect("runs");
        failovers += r.checkpoint_metrics.failovers;
        let disaster = r.disaster_ns.expect("a disaster is scheduled");
        if !r.consistent {
            failures.push(format!("seed {seed}: {:?}", r.violations.first()));
        }
        if r.takeover_ns.is_none() {
            failures.push(format!("seed {seed}: takeover never completed"));
        }
        // Progress: once the crashed subsystems are back and a failover has had time to settle,
        // the image must be recent again: it lacks nothing older than a few checkpoint rounds.
        let healed = healed_at(seed);
        if disaster > healed + 80 * MS {
            settled += 1;
            if r.rpo.window_ns > 60 * MS {
                failures.push(format!(
                    "seed {seed}: {} ms of writes lost although the faults healed at {} ms",
                    r.rpo.window_ns / MS,
                    healed / MS
                ));
            }
        }
        if r.checkpoints.applied == 0 && disaster > healed + 80 * MS {
            failures.push(format!("seed {seed}: no checkpoint applied"));
        }
        if r.writes.applied == 0 {
            failures.push(format!("seed {seed}: nothing reached the secondary"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        settled >= SEEDS / 4,
        "too few seeds ran long enough after the faults to judge progress: {settled}"
    );
    assert!(
        failovers >= SEEDS,
        "the master crashes should force failovers, saw {failovers}"
    );
}
