//! Bad input and usage (exit 2: nothing on stdout, one clear message on stderr, never a panic)
//! and resource budgets (exit 3), through the real binary. Every bad scenario is `BASE` with one
//! thing broken, written to a temp file.

use crate::common;

use std::path::PathBuf;

use common::*;

/// Writes `text` as a scenario file in a fresh temp dir and runs `rcsim run` on it.
fn run_text(test: &str, text: &str, extra: &[&str]) -> Output {
    let t = TempDir::new(test);
    let path = t.write("scenario.json", text);
    let mut args: Vec<std::ffi::OsString> = vec!["run".into(), path.into()];
    args.extend(extra.iter().map(Into::into));
    rcsim(&args)
}

#[test]
fn the_base_scenario_is_valid_and_consistent() {
    // Every test below breaks this scenario in one place; it must be fine unbroken.
    let out = run_text("base_valid", BASE, &["--json"]);
    out.assert_code(EXIT_OK);
    assert_eq!(out.json()["consistent"], true);
}

#[test]
fn malformed_json_names_the_line_and_column() {
    // Without the comma after `"seed": 3` the parser stops at the next key: line 5, column 3.
    let out = run_text("malformed", &mutate(r#""seed": 3,"#, r#""seed": 3"#), &[]);
    out.assert_usage_error(&["scenario.json", "5:3", "malformed JSON"]);
}

#[test]
fn an_empty_file_is_malformed_json() {
    run_text("empty", "", &[]).assert_usage_error(&["malformed JSON"]);
}

#[test]
fn an_unknown_field_is_named_with_its_json_path() {
    let out = run_text(
        "unknown_field",
        &mutate(r#""pairs": 2,"#, r#""pairs": 2, "pears": 3,"#),
        &[],
    );
    out.assert_usage_error(&["topology.pears", "unknown field `pears`", "pairs"]);
}

#[test]
fn an_unknown_field_in_a_distribution_is_named_with_its_json_path() {
    let out = run_text(
        "unknown_dist_field",
        &mutate(
            r#""latency": "1ms""#,
            r#""latency": {"kind": "exponential", "mean": "1ms", "meen": "2ms"}"#,
        ),
        &[],
    );
    out.assert_usage_error(&["links.latency.meen", "`meen`"]);
}

#[test]

fn an_unknown_field_in_a_script_write_is_named_with_its_full_path() {
    let out = run_text(
        "unknown_write_field",
        &mutate(
            r#"{ "label": "a", "subsystem": 1 }"#,
            r#"{ "label": "a", "subsystem": 1, "blok": 3 }"#,
        ),
        &[],
    );
    out.assert_usage_error(&["workloads[0].writes[0].blok", "`blok`"]);
}

#[test]
fn an_unknown_protocol_kind_in_the_file_is_rejected() {
    let out = run_text(
        "unknown_kind",
        &mutate(r#""kind": "independent""#, r#""kind": "teleport""#),
        &[],
    );
    out.assert_usage_error(&["protocol.kind", "teleport"]);
}

#[test]
fn a_negative_latency_is_rejected() {
    let out = run_text(
        "negative_latency",
        &mutate(r#""latency": "1ms""#, r#""latency": "-1ms""#),
        &[],
    );
    out.assert_usage_error(&["links.latency", "-1ms", "negative"]);
}

#[test]
fn a_negative_mean_inside_a_distribution_is_rejected() {
    let out = run_text(
        "negative_mean",
        &mutate(
            r#""latency": "1ms""#,
            r#""latency": {"kind": "exponential", "mean": "-1ms"}"#,
        ),
        &[],
    );
    out.assert_usage_error(&["links.latency.mean", "negative"]);
}

#[test]
fn a_probability_above_one_is_rejected() {
    let out = run_text(
        "prob_high",
        &mutate(r#""loss": 0.0"#, r#""loss": 1.5"#),
        &[],
    );
    out.assert_usage_error(&["primary_lan.loss", "between 0 and 1", "1.5"]);
}

#[test]
fn a_negative_probability_is_rejected() {
    let out = run_text(
        "prob_low",
        &mutate(r#""loss": 0.0"#, r#""loss": -0.5"#),
        &[],
    );
    out.assert_usage_error(&["primary_lan.loss", "between 0 and 1"]);
}

#[test]
fn a_write_after_an_undefined_label_is_rejected() {
    let out = run_text(
        "undefined_label",
        &mutate(r#""after": ["a"]"#, r#""after": ["zz"]"#),
        &[],
    );
    out.assert_usage_error(&["workloads[0].writes[1].after[0]", "`zz`", "not the label"]);
}

#[test]
fn a_write_after_a_later_write_is_rejected() {
    // `a` waits for `d`, which exists but comes later and depends on nothing (so no cycle).
    let text = mutate(
        r#"{ "label": "a", "subsystem": 1 }"#,
        r#"{ "label": "a", "subsystem": 1, "after": ["d"] }"#,
    )
    .replacen(
        r#"{ "label": "c", "subsystem": 1, "block": 1, "after": ["b"] }"#,
        r#"{ "label": "c", "subsystem": 1, "block": 1, "after": ["b"] },
        { "label": "d", "subsystem": 2, "block": 2 }"#,
        1,
    );
    assert!(text.contains(r#""label": "d""#));
    let out = run_text("later_label", &text, &[]);
    out.assert_usage_error(&["workloads[0].writes[0].after[0]", "`d`", "defined later"]);
}

#[test]
fn a_cycle_in_after_is_rejected() {
    // a -> c -> b -> a.
    let out = run_text(
        "cycle",
        &mutate(
            r#"{ "label": "a", "subsystem": 1 }"#,
            r#"{ "label": "a", "subsystem": 1, "after": ["c"] }"#,
        ),
        &[],
    );
    out.assert_usage_error(&["workloads[0].writes[0].after[0]", "cycle"]);
}

#[test]
fn a_write_depending_on_itself_is_rejected() {
    let out = run_text(
        "self_cycle",
        &mutate(
            r#"{ "label": "a", "subsystem": 1 }"#,
            r#"{ "label": "a", "subsystem": 1, "after": ["a"] }"#,
        ),
        &[],
    );
    out.assert_usage_error(&["workloads[0].writes[0].after[0]", "cycle"]);
}

#[test]
fn a_volume_that_does_not_exist_is_rejected() {
    let out = run_text(
        "no_volume",
        &mutate(
            r#"{ "label": "a", "subsystem": 1 }"#,
            r#"{ "label": "a", "subsystem": 1, "volume": 3 }"#,
        ),
        &[],
    );
    out.assert_usage_error(&["workloads[0].writes[0].volume", "volume 3 does not exist"]);
}

#[test]
fn a_subsystem_that_does_not_exist_is_rejected() {
    let out = run_text(
        "no_subsystem",
        &mutate(
            r#"{ "label": "a", "subsystem": 1 }"#,
            r#"{ "label": "a", "subsystem": 9 }"#,
        ),
        &[],
    );
    out.assert_usage_error(&["workloads[0].writes[0].subsystem", "subsystem 9"]);
}

#[test]
fn zero_bandwidth_is_rejected() {
    let out = run_text(
        "zero_bandwidth",
        &mutate(r#""bandwidth": "100MB/s""#, r#""bandwidth": "0MB/s""#),
        &[],
    );
    out.assert_usage_error(&["links.bandwidth", "greater than zero"]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = mutate(
        r#""bandwidth": "100MB/s""#,
        r#""bandwidth": "100MB/s", "paths": 0"#,
    )
    .replacen(r#""after": ["a"]"#, r#""after": ["zz"]"#, 1);
    let out = run_text("all_problems", &text, &[]);
    out.assert_usage_error(&["links.paths", "`zz`"]);
}

#[test]
fn a_missing_file_is_rejected() {
    let t = TempDir::new("missing_file");
    let path = t.join("no-such-scenario.json");
    rcsim(&["run".as_ref(), path.as_os_str()])
        .assert_usage_error(&["no-such-scenario.json", "cannot read"]);
}

#[test]
fn an_unknown_protocol_flag_is_rejected() {
    rcsim(&["run", FIGURE1, "--protocol", "teleport"]).assert_usage_error(&["teleport", "sync"]);
}

#[test]
fn an_unknown_subcommand_is_rejected() {
    rcsim(&["frobnicate"]).assert_usage_error(&["frobnicate"]);
}

#[test]
fn no_subcommand_is_a_usage_error() {
    rcsim::<&str>(&[]).assert_usage_error(&["Usage"]);
}

#[test]
fn run_without_a_scenario_is_a_usage_error() {
    rcsim(&["run"]).assert_usage_error(&["SCENARIO"]);
}

#[test]
fn a_bad_disaster_time_is_rejected() {
    rcsim(&["run", FIGURE1, "--disaster-at", "soon"])
        .assert_usage_error(&["--disaster-at", "soon"]);
}

#[test]
fn set_without_a_value_is_rejected() {
    rcsim(&["run", FIGURE1, "--set", "protocol.kind"]).assert_usage_error(&["PATH=VALUE"]);
}

#[test]
fn set_past_the_end_of_an_array_is_rejected() {
    rcsim(&["run", FIGURE1, "--set", "faults.4.at=1ms"])
        .assert_usage_error(&["faults.4.at", "past the end"]);
}

#[test]
fn set_of_an_unknown_field_is_rejected_with_its_path() {
    rcsim(&["run", FIGURE1, "--set", "topology.pears=3"])
        .assert_usage_error(&["topology.pears", "unknown field"]);
}

#[test]
fn set_of_an_invalid_value_is_checked_like_the_file() {
    rcsim(&["run", FIGURE1, "--set", "links.bandwidth=0MB/s"])
        .assert_usage_error(&["links.bandwidth", "greater than zero"]);
}

#[test]
fn an_out_dir_that_cannot_be_created_is_rejected() {
    let t = TempDir::new("bad_out");
    let file = t.write("a-file", "");
    let dir: PathBuf = file.join("sub");
    rcsim(&[
        "run".as_ref(),
        FIGURE1.as_ref(),
        "--out".as_ref(),
        dir.as_os_str(),
    ])
    .assert_usage_error(&["a-file"]);
}

#[test]
fn an_unwritable_trace_file_is_rejected() {
    let t = TempDir::new("bad_trace");
    let trace = t.join("no-such-dir/trace.jsonl");
    rcsim(&[
        "run".as_ref(),
        FIGURE1.as_ref(),
        "--trace".as_ref(),
        trace.as_os_str(),
    ])
    .assert_usage_error(&[]);
}

#[test]

fn an_unwritable_trace_file_is_named() {
    let t = TempDir::new("bad_trace_named");
    let trace = t.join("no-such-dir/trace.jsonl");
    rcsim(&[
        "run".as_ref(),
        FIGURE1.as_ref(),
        "--trace".as_ref(),
        trace.as_os_str(),
    ])
    .assert_usage_error(&["trace.jsonl"]);
}

// ---------------------------------------------------------------------------------------------
// Budgets: exit 3, said so on stderr
// ---------------------------------------------------------------------------------------------

/// Asserts that the `--json` run `out` was stopped by a budget: exit 3 without a panic, stderr
/// saying the budget was exhausted and naming `says`, the result marked as cut by `which`.
/// Returns the result.
fn stopped_by(out: &Output, says: &str, which: &str) -> serde_json::Value {
    out.assert_code(EXIT_BUDGET).assert_no_panic();
    assert!(out.stderr.contains("budget exhausted"), "{}", out.stderr);
    assert!(out.stderr.contains(says), "{}", out.stderr);
    let r = out.json();
    assert_eq!(r["budget_exhausted"], true);
    assert_eq!(r["budget"], which);
    r
}

#[test]
fn the_event_budget_exits_3_and_says_so() {
    let out = rcsim(&[
        "run",
        FIGURE1,
        "--protocol",
        "sync",
        "--set",
        "limits.max_events=5",
        "--json",
    ]);
    let r = stopped_by(&out, "max_events", "events");
    assert_eq!(r["events"], 5);
}

#[test]
fn the_event_budget_exits_3_on_the_base_scenario() {
    let out = run_text("budget_events", BASE, &["--set", "limits.max_events=5"]);
    out.assert_code(EXIT_BUDGET).assert_no_panic();
    assert!(out.stderr.contains("budget"), "{}", out.stderr);
}

#[test]
fn the_sim_time_budget_exits_3_and_says_so() {
    let out = run_text(
        "budget_time",
        BASE,
        &["--set", "limits.max_sim_time=1ms", "--json"],
    );
    let r = stopped_by(&out, "limits.max_sim_time", "sim_time");
    assert!(r["sim_ns"].as_u64().expect("sim_ns") <= 1_000_000);
}

#[test]
fn the_sim_time_budget_message_names_the_limit() {
    let out = run_text(
        "budget_time_msg",
        BASE,
        &["--set", "limits.max_sim_time=1ms"],
    );
    out.assert_code(EXIT_BUDGET);
    assert!(out.stderr.contains("1ms"), "{}", out.stderr);
}

#[test]
fn hosts_writing_faster_than_the_subsystems_serve_stop_at_the_in_flight_limit() {
    // A billion writes a second against service times of a millisecond: the backlog grows by
    // a million writes a millisecond, and would fill memory within seconds of wall time.
    let flood = r#"{"name": "flood", "description": "x", "seed": 1, "duration": "20ms",
        "topology": {"pairs": 2, "volumes_per_subsystem": 1, "blocks_per_volume": 64},
        "workloads": [{"kind": "random", "rate": "1000000000/s"}]}"#;
    let out = run_text(
        "budget_in_flight",
        flood,
        &["--set", "limits.max_writes_in_flight=5000", "--json"],
    );
    let r = stopped_by(
        &out,
        "limits.max_writes_in_flight = 5000",
        "writes_in_flight",
    );
    let (issued, completed) = (&r["writes"]["issued"], &r["writes"]["completed"]);
    let in_flight = issued.as_u64().expect("issued") - completed.as_u64().expect("completed");
    assert_eq!(in_flight, 5001, "stops at the first write past the limit");
    // The limit is bounded like every count.
    run_text(
        "budget_in_flight_max",
        flood,
        &["--set", "limits.max_writes_in_flight=100000001"],
    )
    .assert_usage_error(&["limits.max_writes_in_flight", "100000000"]);
}

#[test]
fn checkpoints_issued_faster_than_they_are_released_stop_at_the_pending_limit() {
    // A checkpoint every nanosecond over half-millisecond links: checkpoints pile up in flight
    // a million a millisecond, and the run once grew to 6 GB before any other limit stopped it.
    let out = rcsim(&[
        "run",
        "scenarios/patent-example.json",
        "--set",
        "duration=5ms",
        "--set",
        "faults=[]",
        "--set",
        "protocol.checkpoint_interval=1ns",
        "--set",
        "limits.max_events_pending=20000",
        "--json",
    ]);
    stopped_by(&out, "limits.max_events_pending = 20000", "events_pending");
    // The limit is bounded like every count.
    rcsim(&[
        "run",
        "scenarios/patent-example.json",
        "--set",
        "limits.max_events_pending=1000000001",
    ])
    .assert_usage_error(&["limits.max_events_pending", "1000000000"]);
}

#[test]
fn a_budget_large_enough_changes_nothing() {
    let t = TempDir::new("budget_ok");
    let base = t.write("base.json", BASE);
    let plain = run_json(&base, &[], EXIT_OK);
    let roomy = run_json(&base, &["--set", "limits.max_events=1000"], EXIT_OK);
    assert_eq!(plain, roomy);
}

#[test]
fn a_misspelt_or_misshapen_checker_option_is_named() {
    run_text("checker_typo", BASE, &["--set", "checker.history=ful"]).assert_usage_error(&[
        "checker.history",
        "unknown variant `ful`",
        "bounded",
        "full",
    ]);
    run_text("checker_shape", BASE, &["--set", "checker=full"])
        .assert_usage_error(&["`checker`", r#"{"history": "full"}"#]);
}
