//! `rcsim replay` keeps the contract's exit codes: 1 for the recorded violation, 4 whenever the
//! trace hash or the verdict differs from the recorded one, 2 for a reproducer whose `protocol`
//! disagrees with its scenario, 3 for a budget stop; with `--disaster-at`, a what-if with the
//! run's own code; `shrink` of an invalid one says why.

use crate::common;

use serde_json::{json, Value};

use common::*;

/// A reproducer of seed 0 under `independent` (which fails it), as JSON.
fn repro(t: &TempDir) -> Value {
    let dir = t.join("campaign");
    let out = rcsim(&[
        "fuzz",
        "--protocol",
        "independent",
        "--seeds",
        "0..1",
        "--out",
        dir.to_str().expect("utf-8"),
    ]);
    out.assert_code(EXIT_VIOLATION).assert_no_panic();
    let text = std::fs::read_to_string(dir.join("repro/seed-0.json")).expect("reproducer");
    serde_json::from_str(&text).expect("JSON")
}

fn replay(t: &TempDir, name: &str, r: &Value) -> Output {
    let p = t.write(name, &serde_json::to_string_pretty(r).expect("JSON"));
    let out = rcsim(&["replay", p.to_str().expect("utf-8"), "--json"]);
    out.assert_no_panic();
    out
}

#[test]
fn replay_exit_codes_follow_the_contract() {
    let t = TempDir::new("replay");
    let r = repro(&t);
    replay(&t, "same.json", &r).assert_code(EXIT_VIOLATION);

    // The scenario edited to a protocol that passes: a different verdict and hash is exit 4,
    // not the new verdict's 0.
    let mut edited = r.clone();
    edited["scenario"]["protocol"]["kind"] = json!("sync");
    edited["protocol"] = json!("sync");
    let out = replay(&t, "sync.json", &edited);
    out.assert_code(4);
    assert!(out.stderr.contains("NOT reproduced"), "{}", out.stderr);

    // Only the scenario's protocol edited: the file contradicts itself, so it is bad input.
    let mut half = r.clone();
    half["scenario"]["protocol"]["kind"] = json!("sync");
    replay(&t, "half.json", &half).assert_usage_error(&["protocol", "independent", "sync"]);

    // Same verdict, another trace hash: exit 4.
    let mut hash = r.clone();
    hash["expected"]["trace_hash"] = json!("0000000000000000");
    replay(&t, "hash.json", &hash).assert_code(4);

    // A budget stop that reproduces exactly: exit 3.
    let mut budget = edited.clone();
    budget["scenario"]["limits"] = json!({"max_events": 5});
    let first = replay(&t, "budget.json", &budget);
    let result = first.json();
    assert_eq!(result["budget_exhausted"], true, "{result}");
    budget["expected"]["trace_hash"] = result["trace_hash"].clone();
    budget["expected"]["consistent"] = result["consistent"].clone();
    budget["expected"]["kinds"] = json!([]);
    budget["expected"]["first"] = Value::Null;
    let out = replay(&t, "budget.json", &budget);
    out.assert_code(EXIT_BUDGET);
    assert!(out.stderr.contains("budget"), "{}", out.stderr);
}

#[test]
fn replay_with_disaster_at_is_a_what_if_with_the_runs_own_exit_code() {
    let t = TempDir::new("replay-what-if");
    let r = repro(&t);
    let mut sync = r.clone();
    sync["scenario"]["protocol"]["kind"] = json!("sync");
    sync["protocol"] = json!("sync");
    for (name, file, code) in [("independent", &r, None), ("sync", &sync, Some(EXIT_OK))] {
        let p = t.write(
            &format!("{name}.json"),
            &serde_json::to_string(file).expect("JSON"),
        );
        let out = rcsim(&[
            "replay",
            p.to_str().expect("utf-8"),
            "--disaster-at",
            "7ms",
            "--json",
        ]);
        out.assert_no_panic();
        let result = out.json();
        assert_eq!(result["disaster_ns"], 7_000_000, "{name}: {result}");
        let want = code.unwrap_or(if result["consistent"] == true {
            EXIT_OK
        } else {
            EXIT_VIOLATION
        });
        out.assert_code(want);
        assert!(out.stderr.contains("what-if"), "{name}: {}", out.stderr);
        assert!(!out.stderr.contains("NOT reproduced"), "{}", out.stderr);
    }
}

#[test]
fn shrink_of_an_invalid_reproducer_says_why() {
    let t = TempDir::new("shrink");
    let mut r = repro(&t);
    r["scenario"]["topology"]["pairs"] = json!(0);
    let p = t.write("bad.json", &serde_json::to_string(&r).expect("JSON"));
    rcsim(&["shrink", p.to_str().expect("utf-8")]).assert_usage_error(&["topology.pairs"]);
}

#[test]
fn a_malformed_expected_verdict_is_bad_input_for_replay_run_and_validate() {
    let t = TempDir::new("replay-expected");
    let r = repro(&t);
    let mut cases: Vec<(Value, &[&str])> = Vec::new();
    // Not a hash a run can have: bad input, not a verdict that failed to reproduce (exit 4).
    let mut hash = r.clone();
    hash["expected"]["trace_hash"] = json!("not-a-hash");
    cases.push((hash, &["expected.trace_hash", "16 lowercase hex digits"]));
    let mut inner = r.clone();
    inner["expected"]["first"]["note"] = json!("edited");
    cases.push((inner, &["expected.first.note", "unknown field `note`"]));
    let mut kind = r.clone();
    kind["expected"]["kinds"] = json!(["made-up"]);
    cases.push((
        kind,
        &["expected.kinds[0]", "unknown violation kind `made-up`"],
    ));
    let mut verdict = r.clone();
    verdict["expected"]["consistent"] = json!(true);
    cases.push((verdict, &["expected.consistent", "expected false"]));
    for (i, (file, fragments)) in cases.iter().enumerate() {
        let p = t.write(
            &format!("bad-{i}.json"),
            &serde_json::to_string_pretty(file).expect("JSON"),
        );
        let p = p.to_str().expect("utf-8");
        for args in [vec!["replay", p], vec!["run", p], vec!["validate", p]] {
            rcsim(&args).assert_usage_error(fragments);
        }
    }
    // Text after the reproducer's object: not a file the fuzzer wrote.
    let text = serde_json::to_string_pretty(&r).expect("JSON") + "\n{\"x\": 1}\n";
    let p = t.write("trailing.json", &text);
    let p = p.to_str().expect("utf-8");
    for args in [vec!["replay", p], vec!["run", p], vec!["validate", p]] {
        rcsim(&args).assert_usage_error(&["trailing.json", "trailing characters"]);
    }
}
