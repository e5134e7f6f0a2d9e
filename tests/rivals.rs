//! The rival protocols through the binary: `central` (a central data mover) and `cycle`
//! (coordinated cycle switches with a host-write hold) keep the patent's examples consistent for
//! a disaster at any time, pass small fuzz campaigns, have their mutants caught, show their
//! costs against `checkpoint` on one scenario (the direction, not the timings), and reject knobs
//! that make no sense.

use crate::common;

use common::{rcsim, TempDir, EXIT_OK, EXIT_VIOLATION, FIGURE1};
use serde_json::Value;

const EXAMPLE: &str = "scenarios/patent-example.json";
const RIVALS: &str = "scenarios/rivals.json";
const IDLE: &str = "scenarios/central-idle.json";

fn run_json(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = rcsim(&all);
    out.assert_no_panic();
    let v = out.json();
    (out.code, v)
}

fn labels(v: &Value, which: &str) -> Vec<String> {
    v["image"][which]
        .as_array()
        .expect("labels")
        .iter()
        .map(|l| l.as_str().expect("label").to_string())
        .collect()
}

#[test]
fn the_patent_examples_stay_consistent_for_a_disaster_at_any_time() {
    let cases: [(&str, &[&str]); 2] = [
        (FIGURE1, &["0.5ms", "1ms", "3ms", "10ms", "25ms", "40ms"]),
        (
            EXAMPLE,
            &["1ms", "2.5ms", "3ms", "3.8ms", "6ms", "12ms", "15ms"],
        ),
    ];
    for protocol in ["central", "cycle"] {
        for (scenario, times) in cases {
            for t in times {
                let (code, v) = run_json(&[scenario, "--protocol", protocol, "--disaster-at", t]);
                assert_eq!(
                    code, EXIT_OK,
                    "{scenario} under {protocol}, disaster at {t}: {}",
                    v["violations"]
                );
                assert!(
                    v["takeover_ns"].as_u64().is_some(),
                    "{scenario} under {protocol}: the takeover completes after a disaster at {t}"
                );
                let present = labels(&v, "present");
                let prefix = ["io1", "io2", "io3"]
                    .iter()
                    .take(present.len())
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>();
                assert_eq!(
                    present, prefix,
                    "{scenario} under {protocol} at {t}: the image is a prefix of io1, io2, io3"
                );
            }
        }
    }
}

#[test]
fn late_enough_the_example_reaches_the_secondary_whole() {
    for protocol in ["central", "cycle"] {
        let (code, v) = run_json(&[EXAMPLE, "--protocol", protocol, "--disaster-at", "15ms"]);
        assert_eq!(code, EXIT_OK);
        assert_eq!(
            labels(&v, "present"),
            vec!["io1", "io2", "io3"],
            "{protocol}"
        );
        assert!(v["checkpoints"]["applied"].as_u64().unwrap_or(0) > 0);
    }
}

fn fuzz(dir: &TempDir, extra: &[&str]) -> Value {
    let out = dir.path().to_string_lossy().to_string();
    let mut args = vec!["fuzz", "--out", out.as_str(), "--json"];
    args.extend_from_slice(extra);
    let o = rcsim(&args);
    o.assert_no_panic();
    let mut v = o.json();
    v["exit"] = o.code.into();
    v
}

#[test]
fn small_campaigns_pass_under_both_rivals() {
    for protocol in ["central", "cycle"] {
        let d = TempDir::new(&format!("rivals-fuzz-{protocol}"));
        let s = fuzz(&d, &["--seeds", "0..60", "--protocol", protocol]);
        assert_eq!(s["exit"], EXIT_OK, "{protocol}: {s}");
        assert_eq!(s["passed"], 60, "{protocol}: {s}");
        let first: Value = serde_json::from_str(
            std::fs::read_to_string(d.join("results.jsonl"))
                .expect("results")
                .lines()
                .next()
                .expect("a line"),
        )
        .expect("JSON");
        assert_eq!(first["protocol"], protocol);
    }
}

#[test]
fn each_rivals_mutant_is_caught_and_runs_its_own_protocol() {
    for (mutant, protocol) in [("central-no-min", "central"), ("cycle-no-hold", "cycle")] {
        let d = TempDir::new(&format!("rivals-mutant-{mutant}"));
        let s = fuzz(&d, &["--seeds", "0..40", "--mutant", mutant]);
        assert_eq!(s["exit"], EXIT_VIOLATION, "{mutant} not caught: {s}");
        assert!(
            s["violations_by_kind"]["dependent-write"]
                .as_u64()
                .unwrap_or(0)
                > 0
        );
        let seed = &s["failing_seeds"][0];
        let repro: Value = serde_json::from_str(
            &std::fs::read_to_string(d.join(&format!("repro/seed-{seed}.json"))).expect("repro"),
        )
        .expect("JSON");
        assert_eq!(repro["scenario"]["protocol"]["mutant"], mutant);
        assert_eq!(repro["scenario"]["protocol"]["kind"], protocol);
        let replay = rcsim(&[
            "replay",
            d.join(&format!("repro/seed-{seed}.json"))
                .to_str()
                .expect("path"),
        ]);
        replay.assert_code(EXIT_VIOLATION);
    }
}

fn latency(v: &Value, which: &str, q: &str) -> u64 {
    v["latency_ns"][which][q].as_u64().expect("a latency")
}

#[test]
fn cycle_holds_host_writes_and_central_lags_behind_checkpoint() {
    for seed in ["1", "2", "3"] {
        let run = |protocol: &str| {
            let (code, v) = run_json(&[RIVALS, "--protocol", protocol, "--seed", seed]);
            assert_eq!(code, EXIT_OK, "{protocol} seed {seed}: {}", v["violations"]);
            v
        };
        let checkpoint = run("checkpoint");
        let central = run("central");
        let cycle = run("cycle");

        assert!(cycle["host_hold_ns"]["p50"].as_u64().unwrap_or(0) > 0);
        assert!(cycle["cycle_metrics"]["holds"].as_u64().unwrap_or(0) > 0);
        assert_eq!(
            checkpoint["host_hold_ns"]["max"], 0,
            "checkpoint holds nothing"
        );
        assert_eq!(central["host_hold_ns"]["max"], 0, "central holds nothing");
        assert!(
            latency(&cycle, "host_write", "p99") > latency(&checkpoint, "host_write", "p99"),
            "seed {seed}: cycle's hold shows in host write latency: {} vs {}",
            latency(&cycle, "host_write", "p99"),
            latency(&checkpoint, "host_write", "p99")
        );
        assert_eq!(
            latency(&central, "host_write", "p99"),
            latency(&checkpoint, "host_write", "p99"),
            "seed {seed}: neither delays a host write"
        );
        assert!(
            latency(&central, "secondary_lag", "p50")
                > latency(&checkpoint, "secondary_lag", "p50"),
            "seed {seed}: central's extra hop shows in the lag: {} vs {}",
            latency(&central, "secondary_lag", "p50"),
            latency(&checkpoint, "secondary_lag", "p50")
        );
    }
}

#[test]
fn a_slow_mover_falls_behind() {
    let lag = |service: &str| {
        let set = format!("protocol.mover_service_time=\"{service}\"");
        let (code, v) = run_json(&[RIVALS, "--protocol", "central", "--set", &set]);
        assert_eq!(code, EXIT_OK);
        latency(&v, "secondary_lag", "p50")
    };
    assert!(lag("300us") > lag("10us"), "a busier mover lags further");
}

#[test]
fn without_idle_timestamps_a_silent_primary_stalls_the_mover() {
    let (code, v) = run_json(&[IDLE]);
    assert_eq!(code, EXIT_OK, "{}", v["violations"]);
    let (code, v) = run_json(&[IDLE, "--set", "protocol.idle_heartbeat=false"]);
    assert_eq!(code, EXIT_VIOLATION);
    assert_eq!(
        v["violations"][0]["kind"], "liveness",
        "{}",
        v["violations"]
    );
}

#[test]
fn a_crash_of_the_mover_or_master_heals_and_a_later_disaster_still_takes_over() {
    let crash = concat!(
        r#"faults=[{"kind":"crash","site":"primary","subsystem":1,"#,
        r#""at":"100ms","down_for":"30ms"},"#,
        r#"{"kind":"crash","site":"secondary","subsystem":1,"at":"160ms","down_for":"20ms"},"#,
        r#"{"kind":"disaster","at":"280ms"}]"#
    );
    for protocol in ["central", "cycle"] {
        let (code, v) = run_json(&[RIVALS, "--protocol", protocol, "--set", crash]);
        assert_eq!(code, EXIT_OK, "{protocol}: {}", v["violations"]);
        assert!(v["takeover_ns"].as_u64().is_some(), "{protocol}");
        let window = v["rpo"]["window_ns"].as_u64().expect("window");
        assert!(
            window < 60_000_000,
            "{protocol}: caught up after the crashes healed, lost {window} ns"
        );
    }
}

#[test]
fn rival_knobs_that_make_no_sense_are_usage_errors() {
    rcsim(&["run", RIVALS, "--set", "protocol.mutant=\"central-no-min\""])
        .assert_usage_error(&["protocol.mutant", "central"]);
    // A checkpoint mutant does nothing under any other protocol: refused too, in a run and in
    // a campaign, rather than reported as a pass.
    for protocol in ["sync", "independent", "central", "cycle"] {
        rcsim(&[
            "run",
            RIVALS,
            "--protocol",
            protocol,
            "--set",
            "protocol.mutant=\"no-uip\"",
        ])
        .assert_usage_error(&["protocol.mutant", "`checkpoint` protocol", protocol]);
    }
    rcsim(&[
        "fuzz",
        "--seeds",
        "0..3",
        "--mutant",
        "no-rendezvous",
        "--protocol",
        "sync",
    ])
    .assert_usage_error(&["protocol.mutant", "`checkpoint` protocol"]);
    rcsim(&[
        "run",
        RIVALS,
        "--protocol",
        "cycle",
        "--set",
        "protocol.min_cycle_time=\"0ns\"",
    ])
    .assert_usage_error(&["protocol.min_cycle_time"]);
    rcsim(&["run", RIVALS, "--protocol", "rings"]).assert_code(common::EXIT_USAGE);
}
