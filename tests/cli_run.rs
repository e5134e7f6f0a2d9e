//! `rcsim run`: the Figure 1 verdicts, the result JSON, `--out`, `--trace`, `--seed`,
//! `--disaster-at` and `--set`, all through the real binary.

use crate::common;

use common::*;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Figure 1
// ---------------------------------------------------------------------------------------------

#[test]
fn figure1_independent_shows_io3_without_io2_and_exits_1() {
    let r = run_json(FIGURE1, &["--protocol", "independent"], EXIT_VIOLATION);
    assert_eq!(r["protocol"], "independent");
    assert_eq!(r["consistent"], false);
    let violations = r["violations"].as_array().expect("violations array");
    let v = violations
        .iter()
        .find(|v| v["kind"] == "dependent-write" && v["missing"] == "io2" && v["present"] == "io3")
        .unwrap_or_else(|| {
            panic!("no dependent-write io3-without-io2 violation in {violations:?}")
        });
    // io3 lands on secondary 1 at about 1.7ms, long before the disaster at 10ms.
    let at = v["at_ns"].as_u64().expect("at_ns integer");
    assert!(at > 0 && at < 10_000_000, "violation at {at} ns");
    assert!(v["detail"].as_str().is_some_and(|d| d.contains("io2")));

    let present = image(&r, "present");
    let absent = image(&r, "absent");
    assert!(present.contains(&"io1".to_string()), "{present:?}");
    assert!(present.contains(&"io3".to_string()), "{present:?}");
    assert!(absent.contains(&"io2".to_string()), "{absent:?}");
    assert!(!present.contains(&"io2".to_string()), "{present:?}");
}

#[test]
fn figure1_sync_never_shows_io3_without_io2_and_exits_0() {
    let r = run_json(FIGURE1, &["--protocol", "sync"], EXIT_OK);
    assert_eq!(r["protocol"], "sync");
    assert_eq!(r["consistent"], true);
    assert_eq!(r["violations"], Value::Array(vec![]));
    let present = image(&r, "present");
    assert!(
        !present.contains(&"io3".to_string()) || present.contains(&"io2".to_string()),
        "sync image shows io3 without io2: {present:?}"
    );
    // io2 cannot complete before the disaster (its copy takes 20ms), so under sync io3 is never
    // even issued, and io1 is safe on the secondary.
    assert!(present.contains(&"io1".to_string()), "{present:?}");
    assert!(!present.contains(&"io3".to_string()), "{present:?}");
}

#[test]
fn figure1_human_summary_names_the_violation() {
    let out = rcsim(&["run", FIGURE1, "--protocol", "independent"]);
    out.assert_code(EXIT_VIOLATION).assert_no_panic();
    assert!(
        serde_json::from_str::<Value>(&out.stdout).is_err(),
        "without --json the summary is text"
    );
    let violation_line = out
        .stdout
        .lines()
        .find(|l| l.contains("VIOLATION"))
        .unwrap_or_else(|| panic!("no VIOLATION line in:\n{}", out.stdout));
    assert!(violation_line.contains("io3"), "{violation_line}");
    assert!(violation_line.contains("io2"), "{violation_line}");
    assert!(out.stdout.contains("INCONSISTENT"), "{}", out.stdout);
}

#[test]
fn figure1_sync_human_summary_says_consistent() {
    let out = rcsim(&["run", FIGURE1, "--protocol", "sync"]);
    out.assert_code(EXIT_OK).assert_no_panic();
    assert!(!out.stdout.contains("VIOLATION"), "{}", out.stdout);
    assert!(out.stdout.contains("CONSISTENT"), "{}", out.stdout);
    assert!(!out.stdout.contains("INCONSISTENT"), "{}", out.stdout);
}

#[test]
fn figure1_scenario_file_runs_its_own_protocol_by_default() {
    // The file says `"protocol": {"kind": "independent"}`.
    let r = run_json(FIGURE1, &[], EXIT_VIOLATION);
    assert_eq!(r["protocol"], "independent");
    assert_eq!(r["scenario"], "patent-figure1");
}

#[test]

fn figure1_checkpoint_protocol_keeps_the_secondary_consistent() {
    // The patent's protocol exists precisely to prevent Figure 1's inconsistency.
    let cp = run_json(FIGURE1, &["--protocol", "checkpoint"], EXIT_OK);
    assert_eq!(cp["protocol"], "checkpoint");
    assert_eq!(cp["consistent"], true);
    let ind = run_json(FIGURE1, &["--protocol", "independent"], EXIT_VIOLATION);
    assert_ne!(
        trace_hash(&cp),
        trace_hash(&ind),
        "checkpoint and independent produced the very same event trace"
    );
}

// ---------------------------------------------------------------------------------------------
// Result JSON
// ---------------------------------------------------------------------------------------------

fn uint(r: &Value, path: &str) -> u64 {
    let mut v = r;
    for seg in path.split('.') {
        v = &v[seg];
    }
    v.as_u64()
        .unwrap_or_else(|| panic!("`{path}` should be a non-negative integer, got {v}"))
}

/// Checks every field CONTRACT.md requires of a result, with its type.
fn assert_contract_fields(r: &Value) {
    for f in ["seed", "events", "sim_ns"] {
        uint(r, f);
    }
    assert!(r["protocol"].is_string(), "protocol: {}", r["protocol"]);
    assert!(r["scenario"].is_string(), "scenario: {}", r["scenario"]);
    assert!(
        r["disaster_ns"].is_u64() || r["disaster_ns"].is_null(),
        "disaster_ns: {}",
        r.get("disaster_ns")
            .map_or("<missing>".into(), Value::to_string)
    );
    assert!(
        r.get("disaster_ns").is_some(),
        "disaster_ns must be present (null when none)"
    );
    trace_hash(r);
    let consistent = r["consistent"].as_bool().expect("consistent is a boolean");
    let violations = r["violations"].as_array().expect("violations is an array");
    assert_eq!(
        consistent,
        violations.is_empty(),
        "consistent must be false iff violations is non-empty"
    );
    for v in violations {
        for f in ["kind", "missing", "present", "detail"] {
            assert!(v[f].is_string(), "violation.{f} should be a string in {v}");
        }
        assert!(v["at_ns"].is_u64(), "violation.at_ns in {v}");
    }
    for f in ["issued", "completed", "shipped", "applied"] {
        uint(r, &format!("writes.{f}"));
    }
    for f in ["lost_writes", "lost_bytes", "window_ns"] {
        uint(r, &format!("rpo.{f}"));
    }
    for which in ["host_write", "secondary_lag"] {
        for p in ["p50", "p99", "max"] {
            uint(r, &format!("latency_ns.{which}.{p}"));
        }
        let (p50, p99, max) = (
            uint(r, &format!("latency_ns.{which}.p50")),
            uint(r, &format!("latency_ns.{which}.p99")),
            uint(r, &format!("latency_ns.{which}.max")),
        );
        assert!(p50 <= p99 && p99 <= max, "{which}: {p50} {p99} {max}");
    }
    for f in ["issued", "released", "applied"] {
        uint(r, &format!("checkpoints.{f}"));
    }
    image(r, "present");
    image(r, "absent");
}

#[test]
fn result_json_has_every_contract_field_with_a_disaster() {
    let r = run_json(FIGURE1, &["--protocol", "independent"], EXIT_VIOLATION);
    assert_contract_fields(&r);
    assert_eq!(r["seed"], 1, "figure 1's own seed");
    assert_eq!(r["disaster_ns"], 10_000_000);
    assert_eq!(r["writes"]["issued"], 3);
    assert!(uint(&r, "events") > 0);
    assert!(
        uint(&r, "sim_ns") >= 10_000_000,
        "the run covers the disaster"
    );
    // io2 never left subsystem 2 before the disaster: one 4 KiB write lost.
    assert_eq!(r["rpo"]["lost_writes"], 1);
    assert_eq!(r["rpo"]["lost_bytes"], 4096);
}

#[test]
fn result_json_has_every_contract_field_without_a_disaster() {
    let t = TempDir::new("fields_no_disaster");
    let base = t.write("base.json", BASE);
    let r = run_json(&base, &[], EXIT_OK);
    assert_contract_fields(&r);
    assert_eq!(r["disaster_ns"], Value::Null);
    assert_eq!(r["scenario"], "base");
    assert_eq!(r["seed"], 3);
    let present = image(&r, "present");
    assert_eq!(
        present,
        ["a", "b", "c"],
        "everything lands without a disaster"
    );
    assert_eq!(r["rpo"]["lost_writes"], 0);
}

#[test]
fn out_dir_result_json_equals_json_stdout() {
    let t = TempDir::new("out_dir");
    let dir = t.join("nested/results");
    let out = rcsim(&[
        "run".as_ref(),
        FIGURE1.as_ref(),
        "--json".as_ref(),
        "--out".as_ref(),
        dir.as_os_str(),
    ]);
    out.assert_code(EXIT_VIOLATION);
    let file = std::fs::read_to_string(dir.join("result.json")).expect("--out writes result.json");
    let from_file: Value = serde_json::from_str(&file).expect("result.json is JSON");
    assert_eq!(from_file, out.json());
    assert_eq!(file.trim_end(), out.stdout.trim_end(), "byte for byte");
}

#[test]
fn out_dir_is_written_with_the_human_summary_too() {
    let t = TempDir::new("out_dir_summary");
    let out = rcsim(&[
        "run".as_ref(),
        FIGURE1.as_ref(),
        "--protocol".as_ref(),
        "sync".as_ref(),
        "--out".as_ref(),
        t.path().as_os_str(),
    ]);
    out.assert_code(EXIT_OK);
    assert!(out.stdout.contains("CONSISTENT"), "{}", out.stdout);
    let r: Value = serde_json::from_str(
        &std::fs::read_to_string(t.join("result.json")).expect("result.json written"),
    )
    .expect("result.json is JSON");
    assert_eq!(r["protocol"], "sync");
    assert_eq!(r["consistent"], true);
}

#[test]
fn seed_flag_is_reported_in_the_result() {
    let r = run_json(FIGURE1, &["--seed", "5"], EXIT_VIOLATION);
    assert_eq!(r["seed"], 5);
    let out = rcsim(&["run", FIGURE1, "--seed", "5"]);
    assert!(out.stdout.contains("seed 5"), "{}", out.stdout);
}

// ---------------------------------------------------------------------------------------------
// --trace
// ---------------------------------------------------------------------------------------------

#[test]
fn trace_file_is_time_ordered_json_lines() {
    let t = TempDir::new("trace_lines");
    let path = t.join("trace.jsonl");
    let out = rcsim(&[
        "run".as_ref(),
        FIGURE1.as_ref(),
        "--protocol".as_ref(),
        "independent".as_ref(),
        "--trace".as_ref(),
        path.as_os_str(),
    ]);
    out.assert_code(EXIT_VIOLATION);
    let lines = read_trace(&path);
    assert!(lines.len() > 5, "only {} trace lines", lines.len());
    let mut last = 0u64;
    for (i, l) in lines.iter().enumerate() {
        assert!(l.is_object(), "line {} is not an object: {l}", i + 1);
        let t = l["t"]
            .as_u64()
            .unwrap_or_else(|| panic!("line {}: `t` is not a number: {l}", i + 1));
        assert!(
            l["ev"].is_string(),
            "line {}: `ev` is not a string: {l}",
            i + 1
        );
        assert!(
            t >= last,
            "line {}: time went back from {last} to {t}",
            i + 1
        );
        last = t;
    }
    let disasters: Vec<&Value> = lines.iter().filter(|l| l["ev"] == "disaster").collect();
    assert_eq!(disasters.len(), 1, "one disaster event");
    assert_eq!(disasters[0]["t"], 10_000_000);
    assert!(
        lines
            .iter()
            .any(|l| l["ev"] == "deliver" && l["msg"] == "write"),
        "no deliver event carrying a write"
    );
    // The violating order is visible in the trace: io3 is applied; io2 never is.
    let applied: Vec<&str> = lines
        .iter()
        .filter(|l| l["ev"] == "apply")
        .filter_map(|l| l["write"].as_str())
        .collect();
    assert!(applied.contains(&"io3"), "{applied:?}");
    assert!(!applied.contains(&"io2"), "{applied:?}");
}

#[test]

fn trace_names_each_write_the_same_way_throughout() {
    let t = TempDir::new("trace_names");
    let path = t.join("trace.jsonl");
    rcsim(&[
        "run".as_ref(),
        FIGURE1.as_ref(),
        "--trace".as_ref(),
        path.as_os_str(),
    ])
    .assert_code(EXIT_VIOLATION);
    let lines = read_trace(&path);
    let names = |ev: &str| -> Vec<String> {
        lines
            .iter()
            .filter(|l| l["ev"] == ev)
            .filter_map(|l| l["write"].as_str().map(str::to_string))
            .collect()
    };
    let issued = names("host-write");
    for w in names("write-complete") {
        assert!(
            issued.contains(&w),
            "`{w}` completes but no host-write names it (host-writes: {issued:?})"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// --disaster-at and --set
// ---------------------------------------------------------------------------------------------

#[test]
fn disaster_at_30ms_lets_io2_land_but_the_violation_still_counts() {
    // io2's copy takes 20ms on loaded subsystem 2: shipped at ~20.4ms, applied at ~21.5ms, so with
    // the disaster at 30ms the final image holds all three writes and nothing is lost. Yet from
    // ~1.7ms to ~21.5ms the secondary showed io3 without io2 while it was open, and a takeover in
    // that window would have exposed it: the checker judges every instant, not only the final
    // image, so the run is still inconsistent and exits 1.
    let r = run_json(
        FIGURE1,
        &["--protocol", "independent", "--disaster-at", "30ms"],
        EXIT_VIOLATION,
    );
    assert_eq!(r["disaster_ns"], 30_000_000);
    let present = image(&r, "present");
    for w in ["io1", "io2", "io3"] {
        assert!(present.contains(&w.to_string()), "{w} missing: {present:?}");
    }
    assert!(image(&r, "absent").is_empty());
    assert_eq!(r["rpo"]["lost_writes"], 0);
    assert_eq!(r["consistent"], false);
    let v = &r["violations"][0];
    assert_eq!(v["kind"], "dependent-write");
    assert_eq!(v["missing"], "io2");
    assert_eq!(v["present"], "io3");
    assert!(v["at_ns"].as_u64().expect("at_ns") < 30_000_000);
}

#[test]
fn disaster_at_adds_a_disaster_when_the_scenario_has_none() {
    let t = TempDir::new("disaster_add");
    let base = t.write("base.json", BASE);
    let before = run_json(&base, &[], EXIT_OK);
    assert_eq!(before["disaster_ns"], Value::Null);
    let after = run_json(&base, &["--disaster-at", "2.5ms"], EXIT_OK);
    assert_eq!(after["disaster_ns"], 2_500_000);
    let out = rcsim(&[
        "run".as_ref(),
        base.as_os_str(),
        "--disaster-at".as_ref(),
        "2.5ms".as_ref(),
    ]);
    assert!(out.stdout.contains("disaster at 2.5ms"), "{}", out.stdout);
}

#[test]
fn set_protocol_kind_sync_behaves_like_protocol_sync() {
    let by_set = run_json(FIGURE1, &["--set", "protocol.kind=sync"], EXIT_OK);
    let by_flag = run_json(FIGURE1, &["--protocol", "sync"], EXIT_OK);
    assert_eq!(by_set["protocol"], "sync");
    assert_eq!(by_set, by_flag);
}

#[test]
fn set_changes_the_scenario_before_it_runs() {
    // With the disaster at 0.5ms, before io3 completes and is shipped (0.6ms), io3 never reaches
    // the secondary: no violation. (At 1ms io3 is already on the wire and still lands.)
    let r = run_json(FIGURE1, &["--set", "faults.0.at=500us"], EXIT_OK);
    assert_eq!(r["disaster_ns"], 500_000);
    assert_eq!(r["consistent"], true);
    assert_eq!(image(&r, "present"), ["io1"]);
}

#[test]
fn set_with_a_value_of_the_wrong_type_exits_2_naming_the_path() {
    rcsim(&["run", FIGURE1, "--set", "topology.pairs=\"x\""])
        .assert_usage_error(&["topology.pairs"]);
}

#[test]
fn bounded_and_full_checker_history_give_the_same_result() {
    for (scenario, protocol, code) in [
        ("scenarios/patent-figure1.json", "independent", 1),
        ("scenarios/random-pairs.json", "independent", 1),
        ("scenarios/network-faults.json", "checkpoint", 0),
        ("scenarios/rolling-disaster.json", "checkpoint", 0),
    ] {
        let path = common::root().join(scenario);
        let run = |history: &str| {
            let set = format!("checker.history={history}");
            let mut r = common::run_json(&path, &["--protocol", protocol, "--set", &set], code);
            let held = r["writes"]
                .as_object_mut()
                .and_then(|w| w.remove("checker_held_peak"))
                .and_then(|h| h.as_u64())
                .expect("writes.checker_held_peak");
            (r, held)
        };
        let ((bounded, held_bounded), (full, held_full)) = (run("bounded"), run("full"));
        assert_eq!(bounded, full, "{scenario} under {protocol}");
        assert_eq!(
            held_full,
            full["writes"]["issued"].as_u64().unwrap(),
            "the full history holds every write"
        );
        assert!(held_bounded <= held_full);
    }
}

#[test]
fn the_checker_holds_only_the_writes_in_flight_however_long_the_run() {
    let path = common::root().join("scenarios/bench-standard.json");
    let run = |secs: u32| {
        let d = format!("duration={secs}s");
        let at = format!("faults.0.at={}.9s", secs - 1);
        let r = common::run_json(&path, &["--set", &d, "--set", &at], 0);
        let w = &r["writes"];
        (
            w["issued"].as_u64().unwrap(),
            w["checker_held_peak"].as_u64().unwrap(),
        )
    };
    let (short_issued, short_held) = run(1);
    let (long_issued, long_held) = run(4);
    assert!(
        long_issued > 3 * short_issued,
        "{long_issued} vs {short_issued}"
    );
    assert!(
        long_held < 2 * short_held && long_held < long_issued / 100,
        "held {long_held} of {long_issued} writes (a 1 s run held {short_held})"
    );
}
