//! Rate shapes and hot spots through the real binary: bursts write only while on, a schedule
//! changes the rate at each step, a hot spot takes its weight of the writes, and bad shapes exit
//! 2 naming their JSON path.

use crate::common;

use common::*;
use serde_json::Value;

const MS: u64 = 1_000_000;

/// A one-pair scenario of `workload`, no faults, run for `duration`.
fn scenario(workload: &str, duration: &str) -> String {
    format!(
        r#"{{
  "name": "shape-test", "description": "a shaped workload", "seed": 5,
  "duration": "{duration}",
  "topology": {{ "pairs": 2, "blocks_per_volume": 1000 }},
  "subsystems": {{ "write_time": "10us", "apply_time": "10us", "servers": 64 }},
  "links": {{ "bandwidth": "10GB/s" }},
  "workloads": [ {workload} ],
  "protocol": {{ "kind": "independent" }}
}}"#
    )
}

/// Runs `text` and returns the events of its trace named `ev`.
fn events(test: &str, text: &str, ev: &str) -> Vec<Value> {
    let t = TempDir::new(test);
    let sc = t.write("scenario.json", text);
    let trace = t.join("events.jsonl");
    let out = rcsim(&[
        "run".as_ref(),
        sc.as_os_str(),
        "--json".as_ref(),
        "--trace".as_ref(),
        trace.as_os_str(),
    ]);
    out.assert_code(EXIT_OK).assert_no_panic();
    read_trace(&trace)
        .into_iter()
        .filter(|e| e["ev"] == ev)
        .collect()
}

fn times(events: &[Value]) -> Vec<u64> {
    events.iter().map(|e| e["t"].as_u64().expect("t")).collect()
}

fn count(ts: &[u64], from: u64, to: u64) -> usize {
    ts.iter().filter(|&&t| t >= from && t < to).count()
}

/// Within five standard deviations of a Poisson count of mean `mean`.
fn near(got: usize, mean: f64) -> bool {
    (got as f64 - mean).abs() <= 5.0 * mean.sqrt() + 1.0
}

#[test]
fn random_on_off_writes_only_in_bursts() {
    let w = r#"{ "kind": "random", "rate": "20000/s",
                 "shape": { "kind": "on_off", "on": "20ms", "off": "80ms" } }"#;
    let ts = times(&events("on_off", &scenario(w, "500ms"), "host-write"));
    assert!(
        ts.iter().all(|t| t % (100 * MS) < 20 * MS),
        "a write in a pause"
    );
    for k in 0..5 {
        let c = count(&ts, k * 100 * MS, k * 100 * MS + 20 * MS);
        assert!(near(c, 400.0), "burst {k}: {c} writes, expected about 400");
    }
}

#[test]
fn a_rate_schedule_changes_the_rate_at_each_step() {
    let w = r#"{ "kind": "random", "rate": "1000/s", "arrival": "fixed",
                 "shape": { "kind": "schedule", "steps": [
                   { "at": "0ms", "rate": "100/s" }, { "at": "50ms", "rate": "2000/s" },
                   { "at": "150ms", "rate": "500/s" } ] } }"#;
    let ts = times(&events("schedule", &scenario(w, "250ms"), "host-write"));
    assert_eq!(count(&ts, 0, 50 * MS), 4, "100/s: at 10, 20, 30 and 40ms");
    assert!(count(&ts, 50 * MS, 150 * MS).abs_diff(200) <= 1);
    assert!(count(&ts, 150 * MS, 250 * MS).abs_diff(50) <= 1);
}

#[test]
fn dbms_transactions_follow_their_shape() {
    // Transactions start (host-wake with the arrival tag) only in bursts.
    let w = r#"{ "kind": "dbms", "log": { "subsystem": 1 }, "data": [ { "subsystem": 2 } ],
                 "rate": "5000/s", "in_flight": 64,
                 "shape": { "kind": "on_off", "on": "10ms", "off": "40ms" } }"#;
    let wakes = events("dbms_on_off", &scenario(w, "500ms"), "host-wake");
    let starts: Vec<u64> = times(
        &wakes
            .into_iter()
            .filter(|e| e["tag"] == u64::from(u32::MAX))
            .collect::<Vec<_>>(),
    );
    assert!(
        starts.iter().all(|t| t % (50 * MS) < 10 * MS),
        "a start in a pause"
    );
    assert!(near(starts.len(), 500.0), "{} starts", starts.len());
}

#[test]
fn a_hot_spot_takes_its_weight_of_the_writes() {
    let w = r#"{ "kind": "random", "rate": "50000/s",
                 "blocks": { "hot": { "fraction": 0.1, "weight": 0.9 } } }"#;
    let writes = events("hot", &scenario(w, "200ms"), "host-write");
    let n = writes.len();
    assert!(near(n, 10_000.0), "{n} writes");
    let hot = writes
        .iter()
        .filter(|e| e["block"].as_u64().expect("block") < 100)
        .count();
    let share = hot as f64 / n as f64;
    assert!((share - 0.9).abs() < 0.02, "{hot} of {n} on the hot 10%");
}

#[test]
fn shaped_runs_repeat_for_a_seed() {
    let w = r#"{ "kind": "random", "rate": "5000/s",
                 "shape": { "kind": "on_off", "on": "5ms", "off": "5ms" },
                 "blocks": { "hot": { "fraction": 0.2, "weight": 0.7 } } }"#;
    let t = TempDir::new("repeat");
    let sc = t.write("scenario.json", &scenario(w, "100ms"));
    let a = run_json(&sc, &[], EXIT_OK);
    let b = run_json(&sc, &[], EXIT_OK);
    assert_eq!(trace_hash(&a), trace_hash(&b));
    let c = run_json(&sc, &["--seed", "6"], EXIT_OK);
    assert_ne!(trace_hash(&a), trace_hash(&c));
}

fn bad(test: &str, workload: &str, fragments: &[&str]) {
    let t = TempDir::new(test);
    let sc = t.write("scenario.json", &scenario(workload, "10ms"));
    rcsim(&["validate".as_ref(), sc.as_os_str()]).assert_usage_error(fragments);
}

#[test]
fn bad_shapes_exit_2_naming_their_path() {
    bad(
        "bad_on",
        r#"{ "kind": "random", "rate": "1/s", "shape": { "kind": "on_off", "on": "2 weeks", "off": "1ms" } }"#,
        &["workloads[0].shape.on", "invalid duration"],
    );
    bad(
        "bad_field",
        r#"{ "kind": "random", "rate": "1/s", "shape": { "kind": "on_off", "on": "1ms", "of": "1ms" } }"#,
        &["workloads[0].shape.of", "unknown field `of`"],
    );
    bad(
        "bad_kind",
        r#"{ "kind": "dbms", "log": { "subsystem": 1 }, "data": [ { "subsystem": 2 } ], "rate": "1/s", "shape": { "kind": "sine" } }"#,
        &["workloads[0].shape.kind", "on_off, schedule"],
    );
    bad(
        "bad_order",
        r#"{ "kind": "random", "rate": "1/s", "shape": { "kind": "schedule", "steps": [ { "at": "5ms", "rate": "1/s" }, { "at": "1ms", "rate": "2/s" } ] } }"#,
        &["workloads[0].shape.steps[1].at", "increasing order"],
    );
    bad(
        "bad_zero_on",
        r#"{ "kind": "random", "rate": "1/s", "shape": { "kind": "on_off", "on": "0ms", "off": "1ms" } }"#,
        &["workloads[0].shape.on", "longer than zero"],
    );
    bad(
        "bad_hot",
        r#"{ "kind": "random", "rate": "1/s", "blocks": { "hot": { "fraction": 1.5, "weight": 0.9 } } }"#,
        &["workloads[0].blocks.hot.fraction", "at most 1"],
    );
}
