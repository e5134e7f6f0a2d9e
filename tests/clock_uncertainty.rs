//! Clock uncertainty as an interval: with perfect clocks and only network faults on the primary
//! LAN (an asymmetric latency spike, a heavy-tailed delay), the checkpoint protocol keeps every
//! image consistent over 30 seeds, while today's probe without an error bound
//! (`naive-clock-sync`) breaks dependent-write order on the same scenarios.

use crate::common;

use common::{rcsim, EXIT_OK, EXIT_VIOLATION};
use serde_json::Value;

const NETWORK_ONLY: [&str; 2] = [
    "scenarios/lan-spike-clocks.json",
    "scenarios/heavy-tail-lan.json",
];

fn run(scenario: &str, seed: u64, extra: &[&str]) -> (i32, Value) {
    let seed = seed.to_string();
    let mut args = vec!["run", scenario, "--seed", &seed, "--json"];
    args.extend_from_slice(extra);
    let o = rcsim(&args);
    o.assert_no_panic();
    (o.code, o.json())
}

#[test]
fn network_faults_alone_never_break_the_checkpoint_protocol() {
    for scenario in NETWORK_ONLY {
        for seed in 1..=30 {
            let (code, r) = run(scenario, seed, &[]);
            assert_eq!(code, EXIT_OK, "{scenario} seed {seed}: {}", r["violations"]);
            assert_eq!(r["protocol"], "checkpoint");
        }
    }
}

#[test]
fn the_naive_clock_sync_breaks_on_the_same_scenarios() {
    for scenario in NETWORK_ONLY {
        let failing = (1..=30)
            .filter(|&seed| {
                let (code, r) = run(
                    scenario,
                    seed,
                    &["--set", "protocol.mutant=naive-clock-sync"],
                );
                code == EXIT_VIOLATION && r["violations"][0]["kind"] == "dependent-write"
            })
            .count();
        assert!(failing > 0, "{scenario}: naive-clock-sync never caught");
    }
}

#[test]
fn a_large_initial_skew_is_ridden_out_and_only_the_naive_sync_shows_it() {
    let (code, r) = run("scenarios/clock-skew.json", 1, &[]);
    assert_eq!(code, EXIT_OK, "{}", r["violations"]);
    let (code, _) = run(
        "scenarios/clock-skew.json",
        1,
        &["--set", "protocol.mutant=naive-clock-sync"],
    );
    assert_eq!(code, EXIT_VIOLATION);
}

#[test]
fn an_uncertain_clock_makes_hosts_wait_and_the_result_says_how_long() {
    // Steps of up to 1 ms allowed: every bound includes them, so each write's host waits about
    // twice that, less its service time.
    let (code, r) = run(
        "scenarios/lan-spike-clocks.json",
        1,
        &["--set", "clocks.max_step=1ms"],
    );
    assert_eq!(code, EXIT_OK, "{}", r["violations"]);
    let m = &r["checkpoint_metrics"];
    assert!(m["clock_waits"].as_u64().expect("count") > 100, "{m}");
    let p50 = m["clock_wait_ns"]["p50"].as_u64().expect("p50");
    assert!((1_500_000..2_100_000).contains(&p50), "{m}");
    assert!(m["clock_wait_total_ns"].as_u64().expect("total") > 100 * 1_500_000);
    let (_, calm) = run("scenarios/lan-spike-clocks.json", 1, &[]);
    assert_eq!(calm["checkpoint_metrics"]["clock_waits"], 0);
}
