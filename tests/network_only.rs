//! Network faults alone, with perfect clocks, never break the checkpoint protocol: asymmetric
//! latency spikes on either LAN (2 ms and 20 ms, with the master at different pairs, so clock
//! probes straddle a spike's edge in both directions), heavy-tailed LANs (lognormal with sigma
//! 1.0 to 1.5, a Pareto tail), spikes and heavy tails on the pair links, and partitions of either
//! LAN. Each scenario in tests/data/network-only runs over 30 seeds, with and without a disaster,
//! and every run must be consistent.

use crate::common;

use common::{rcsim, EXIT_OK};

fn scenarios() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir("tests/data/network-only")
        .expect("tests/data/network-only")
        .map(|e| e.expect("entry").path().display().to_string())
        .filter(|p| p.ends_with(".json"))
        .collect();
    v.sort();
    v
}

#[test]
fn the_network_only_set_covers_what_it_claims() {
    let names = scenarios().join(" ");
    for kind in [
        "lan-spike-2ms",
        "lan-spike-20ms",
        "lan-lognormal-1.0",
        "lan-lognormal-1.2",
        "lan-lognormal-1.5",
        "lan-pareto",
        "link-spikes",
        "link-heavy-tail",
        "secondary-lan-spikes",
        "secondary-lan-heavy-tail",
        "partition-primary-master",
        "partition-secondary",
    ] {
        assert!(names.contains(kind), "{kind} missing from {names}");
    }
}

/// Runs `scenario` over seeds 1..=30, with and without a disaster; returns what failed.
fn failures_of(scenario: &str) -> Vec<String> {
    let mut failures = Vec::new();
    for seed in 1..=30u64 {
        for disaster in [None, Some("170ms")] {
            let seed_arg = seed.to_string();
            let mut args = vec!["run", scenario, "--seed", &seed_arg, "--json"];
            if let Some(at) = disaster {
                args.extend_from_slice(&["--disaster-at", at]);
            }
            let o = rcsim(&args);
            o.assert_no_panic();
            let r = o.json();
            assert_eq!(r["protocol"], "checkpoint", "{scenario}");
            if o.code != EXIT_OK {
                failures.push(format!(
                    "{scenario} seed {seed} disaster {disaster:?}: exit {} {}",
                    o.code, r["violations"]
                ));
            }
        }
    }
    failures
}

#[test]
fn every_network_only_scenario_stays_consistent_under_checkpoint_over_30_seeds() {
    let all = scenarios();
    // A few scenarios per thread: 1,320 short runs in all.
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = all
            .chunks(all.len().div_ceil(4).max(1))
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .flat_map(|sc| failures_of(sc))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker"))
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
