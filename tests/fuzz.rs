//! Fuzz campaigns through the binary: results in seed order whatever --jobs, shards that union
//! to the whole, reproducers that replay with the same hash, shrinking, mutants caught, and the
//! correct protocol passing where its assumptions hold.

use crate::common;

use common::{rcsim, TempDir, EXIT_OK, EXIT_USAGE, EXIT_VIOLATION};
use serde_json::Value;

fn lines(dir: &TempDir) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("results.jsonl")).expect("results.jsonl");
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn fuzz(dir: &TempDir, extra: &[&str]) -> common::Output {
    let out = dir.path().to_string_lossy().to_string();
    let mut args = vec!["fuzz", "--out", out.as_str()];
    args.extend_from_slice(extra);
    rcsim(&args)
}

#[test]
fn the_checkpoint_protocol_passes_a_small_campaign() {
    let d = TempDir::new("fuzz-pass");
    let o = fuzz(&d, &["--seeds", "0..60", "--json"]);
    o.assert_code(EXIT_OK);
    let s = o.json();
    assert_eq!(s["seeds"], 60);
    assert_eq!(s["passed"], 60, "{s}");
    let summary = d.read_json("summary.json");
    assert_eq!(summary["failed"], 0);
    assert!(summary["events_per_s"].as_f64().expect("number") > 0.0);
    assert!(summary["seeds_per_s"].as_f64().expect("number") > 0.0);
    // The campaign shows its own coverage: every fault kind the issue names is drawn.
    let swarm = summary["swarm"].as_object().expect("swarm");
    assert!(swarm.len() >= 16, "{swarm:?}");
    for kind in [
        "partition",
        "link-outage",
        "lan-latency-spike",
        "link-latency-spike",
        "heavy-tailed-lan",
        "heavy-tailed-link",
        "clock-step",
        "permanent-crash",
        "rolling-disaster",
    ] {
        assert!(
            swarm[kind].as_u64().unwrap_or(0) > 0,
            "{kind} never drawn: {swarm:?}"
        );
    }
}

#[test]
fn results_are_in_seed_order_and_independent_of_jobs() {
    let one = TempDir::new("fuzz-jobs-1");
    let two = TempDir::new("fuzz-jobs-3");
    fuzz(&one, &["--seeds", "5..25", "--jobs", "1"]);
    fuzz(&two, &["--seeds", "5..25", "--jobs", "3"]);
    let a = std::fs::read_to_string(one.join("results.jsonl")).expect("results");
    let b = std::fs::read_to_string(two.join("results.jsonl")).expect("results");
    assert_eq!(a, b, "results.jsonl must not depend on --jobs");
    let seeds: Vec<u64> = lines(&one)
        .iter()
        .map(|r| r["seed"].as_u64().expect("seed"))
        .collect();
    assert_eq!(seeds, (5..25).collect::<Vec<_>>());
}

#[test]
fn shards_union_to_the_whole_campaign() {
    let whole = TempDir::new("fuzz-whole");
    fuzz(&whole, &["--seeds", "0..30", "--protocol", "independent"]);
    let mut shard_dirs = Vec::new();
    for k in 1..=3 {
        let d = TempDir::new(&format!("fuzz-shard-{k}"));
        let shard = format!("{k}/3");
        fuzz(
            &d,
            &[
                "--seeds",
                "0..30",
                "--shard",
                &shard,
                "--protocol",
                "independent",
            ],
        );
        assert_eq!(lines(&d).len(), 10);
        shard_dirs.push(d);
    }
    let merged = TempDir::new("fuzz-merged");
    let mut args: Vec<String> = vec!["fuzz".into(), "--merge".into()];
    args.extend(
        shard_dirs
            .iter()
            .map(|d| d.path().to_string_lossy().to_string()),
    );
    args.push("--out".into());
    args.push(merged.path().to_string_lossy().to_string());
    let o = rcsim(&args);
    o.assert_no_panic();
    assert_eq!(
        std::fs::read_to_string(merged.join("results.jsonl")).expect("merged"),
        std::fs::read_to_string(whole.join("results.jsonl")).expect("whole"),
    );
    let repros = |d: &TempDir| {
        let mut v: Vec<String> = std::fs::read_dir(d.join("repro"))
            .expect("repro dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(repros(&merged), repros(&whole));
}

#[test]
fn independent_is_caught_and_its_reproducer_replays_and_shrinks() {
    let d = TempDir::new("fuzz-independent");
    let o = fuzz(
        &d,
        &["--seeds", "0..40", "--protocol", "independent", "--json"],
    );
    o.assert_code(EXIT_VIOLATION);
    let s = o.json();
    let first = s["failing_seeds"][0].as_u64().expect("a failing seed");
    let repro = d.join(&format!("repro/seed-{first}.json"));
    let recorded: Value =
        serde_json::from_str(&std::fs::read_to_string(&repro).expect("repro")).expect("JSON");
    assert_eq!(recorded["seed"], first);
    assert_eq!(recorded["protocol"], "independent");
    assert!(recorded["scenario"]["topology"]["pairs"].as_u64().is_some());

    let replay = rcsim(&["replay", repro.to_str().expect("path"), "--json"]);
    replay.assert_code(EXIT_VIOLATION);
    assert_eq!(
        replay.json()["trace_hash"],
        recorded["expected"]["trace_hash"],
        "replay must give the recorded trace hash"
    );
    assert!(replay.stderr.contains("reproduced"), "{}", replay.stderr);

    let shrunk = d.join("shrunk.json");
    let sh = rcsim(&[
        "shrink",
        repro.to_str().expect("path"),
        "--out",
        shrunk.to_str().expect("path"),
    ]);
    sh.assert_code(EXIT_VIOLATION);
    assert!(
        sh.stdout.contains("before:") && sh.stdout.contains("after:"),
        "{}",
        sh.stdout
    );
    let small: Value =
        serde_json::from_str(&std::fs::read_to_string(&shrunk).expect("shrunk")).expect("JSON");
    assert!(
        small["scenario"].to_string().len() < recorded["scenario"].to_string().len(),
        "the shrunk scenario is smaller"
    );
    let again = rcsim(&["replay", shrunk.to_str().expect("path"), "--json"]);
    again.assert_code(EXIT_VIOLATION);
    assert_eq!(again.json()["trace_hash"], small["expected"]["trace_hash"]);
}

#[test]
fn every_mutant_is_caught() {
    for (m, seeds) in [
        ("no-rendezvous", "0..40"),
        ("early-checkpoint", "0..40"),
        ("no-uip", "0..40"),
        ("apply-past-checkpoint", "0..40"),
        ("no-retransmit", "0..40"),
        ("early-reset", "0..40"),
        ("volatile-replay", "0..40"),
        ("naive-clock-sync", "0..130"),
    ] {
        let d = TempDir::new(&format!("fuzz-mutant-{m}"));
        let o = fuzz(&d, &["--seeds", seeds, "--mutant", m, "--json"]);
        o.assert_code(EXIT_VIOLATION);
        assert!(
            o.json()["failed"].as_u64().expect("count") > 0,
            "{m} not caught"
        );
        let recorded: Value = serde_json::from_str(
            &std::fs::read_to_string(
                d.join(&format!("repro/seed-{}.json", o.json()["failing_seeds"][0])),
            )
            .expect("repro"),
        )
        .expect("JSON");
        assert_eq!(recorded["scenario"]["protocol"]["mutant"], m);
    }
}

#[test]
fn determinism_check_runs_each_seed_twice() {
    let d = TempDir::new("fuzz-determinism");
    let o = fuzz(&d, &["--seeds", "0..10", "--check-determinism", "--json"]);
    o.assert_code(EXIT_OK);
    assert_eq!(o.json()["nondeterministic_seeds"], serde_json::json!([]));
}

#[test]
fn outside_the_assumptions_the_generator_finds_violations() {
    let d = TempDir::new("fuzz-outside");
    let o = fuzz(
        &d,
        &["--seeds", "0..200", "--outside-assumptions", "--json"],
    );
    o.assert_code(EXIT_VIOLATION);
    assert!(
        o.json()["violations_by_kind"]["dependent-write"]
            .as_u64()
            .unwrap_or(0)
            > 0
    );
}

#[test]
fn bad_fuzz_arguments_are_usage_errors() {
    let d = TempDir::new("fuzz-bad");
    fuzz(&d, &["--seeds", "9..3"]).assert_usage_error(&["--seeds", "A < B"]);
    fuzz(&d, &["--seeds", "0..5", "--shard", "4/3"]).assert_usage_error(&["--shard"]);
    fuzz(&d, &["--seeds", "0..2", "--shard", "1/3"]).assert_usage_error(&["1/3", "at most 2"]);
    fuzz(&d, &["--seeds", "0..5", "--shard", "1/100001"]).assert_usage_error(&["--shard"]);
    fuzz(&d, &["--seeds", "0..5", "--mutant", "nope"]).assert_code(EXIT_USAGE);
    fuzz(&d, &["--seeds", "0..5", "--set", "topology.pairs=\"x\""])
        .assert_usage_error(&["topology.pairs"]);
    rcsim(&["replay", "/no/such/repro.json"]).assert_usage_error(&["/no/such/repro.json"]);
}

#[test]
fn sync_never_violates_whatever_the_faults() {
    // Parallel apply servers once let an older write to a block land after a newer one; a
    // controller serialises writes to a block, and so does the model now.
    let d = TempDir::new("fuzz-sync");
    let o = fuzz(&d, &["--seeds", "0..150", "--protocol", "sync", "--json"]);
    o.assert_code(EXIT_OK);
    assert_eq!(o.json()["failed"], 0);
}

/// A campaign of a hundred million seeds of `protocol` into `d`, its JSON summary piped, to
/// stop with a signal.
#[cfg(unix)]
fn endless_campaign(d: &TempDir, protocol: &str) -> std::process::Child {
    let out = d.path().to_string_lossy().to_string();
    common::signalable(&[
        "fuzz",
        "--seeds",
        "0..100000000",
        "--protocol",
        protocol,
        "--out",
        &out,
        "--json",
    ])
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::null())
    .spawn()
    .expect("starts")
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_cleanly_and_keeps_what_was_found() {
    let d = TempDir::new("fuzz-interrupt");
    let child = endless_campaign(&d, "independent");
    // Let it find something, then interrupt it as a terminal's Ctrl-C would.
    while !d.join("repro").exists()
        || std::fs::read_dir(d.join("repro")).map_or(0, |r| r.count()) < 3
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    common::signal(&child, libc::SIGINT);
    let output = child.wait_with_output().expect("it stops");
    assert_eq!(output.status.code(), Some(EXIT_VIOLATION));
    let s: Value = serde_json::from_slice(&output.stdout).expect("a JSON summary");
    assert_eq!(s["interrupted"], true);
    let seeds = s["seeds"].as_u64().expect("seeds");
    assert!((3..100_000_000).contains(&seeds));
    assert_eq!(
        lines(&d).len() as u64,
        seeds,
        "every seed run is in results.jsonl"
    );
    assert!(s["failed"].as_u64().expect("failed") >= 3);
}

/// The handler is armed before the campaign touches its output directory: a signal the moment
/// the unfinished summary appears ends the campaign with its own exit code and a summary that
/// says it was interrupted, never by the signal's default action.
#[cfg(unix)]
#[test]
fn a_signal_as_the_output_appears_is_handled() {
    let d = TempDir::new("fuzz-early-signal");
    let child = endless_campaign(&d, "sync");
    while !d.join("summary.json").exists() {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    common::signal(&child, libc::SIGINT);
    let output = child.wait_with_output().expect("it stops");
    assert_eq!(output.status.code(), Some(130));
    let s: Value = serde_json::from_slice(&output.stdout).expect("a JSON summary");
    assert_eq!(s["interrupted"], true);
    assert_eq!(lines(&d).len() as u64, s["seeds"].as_u64().expect("seeds"));
}

/// SIGTERM (a scheduler's, a supervisor's) stops a campaign as Ctrl-C does: the seeds run are
/// all in results.jsonl, the summary says interrupted, no temporary file is left, and the exit
/// code is SIGTERM's own.
#[cfg(unix)]
#[test]
fn sigterm_stops_a_campaign_cleanly_with_its_own_exit_code() {
    let d = TempDir::new("fuzz-sigterm");
    let child = endless_campaign(&d, "sync");
    while std::fs::read_to_string(d.join("results.jsonl")).map_or(0, |t| t.lines().count()) < 3 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    common::signal(&child, libc::SIGTERM);
    let output = child.wait_with_output().expect("it stops");
    assert_eq!(output.status.code(), Some(143));
    let s: Value = serde_json::from_slice(&output.stdout).expect("a JSON summary");
    assert_eq!(s["interrupted"], true);
    assert_eq!(lines(&d).len() as u64, s["seeds"].as_u64().expect("seeds"));
    let tmp = |dir: &std::path::Path| {
        std::fs::read_dir(dir)
            .expect("read dir")
            .filter(|e| {
                e.as_ref()
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .count()
    };
    assert_eq!(
        tmp(d.path()) + tmp(&d.join("repro")),
        0,
        "no temporary file left"
    );
}

/// A seed its budget stops is exit 3, is named in the summary (`budget_seeds`, and the printed
/// line) and leaves a reproducer, as a failing seed does: a run that never ends is a finding, and
/// without it the generated scenario would be nowhere. The reproducer replays to the same hash
/// and stops at the same budget (exit 3). Seeds that pass leave none.
#[test]
fn a_seed_stopped_by_its_budget_leaves_a_reproducer_that_replays() {
    let d = TempDir::new("fuzz-budget");
    // Every generated seed runs for far more than 2,000 events.
    let o = fuzz(&d, &["--seeds", "0..2", "--set", "limits.max_events=2000"]);
    o.assert_code(common::EXIT_BUDGET);
    assert!(
        o.stdout
            .contains("seeds that hit their budget (each with a reproducer): 0, 1"),
        "{}",
        o.stdout
    );
    let summary = d.read_json("summary.json");
    assert_eq!(
        summary["budget_seeds"],
        serde_json::json!([0, 1]),
        "{summary}"
    );
    let repro = d.join("repro").join("seed-1.json");
    let r = rcsim(&["replay", repro.to_str().expect("utf-8"), "--json"]);
    r.assert_code(common::EXIT_BUDGET);
    assert!(r.stderr.contains("reproduced"), "{}", r.stderr);
    assert_eq!(r.json()["budget_exhausted"], true);
    // It has no violation to keep, and shrink says it stopped at its budget, with the limit's
    // exit code, instead of calling it a run that does not fail.
    let s = rcsim(&["shrink", repro.to_str().expect("utf-8")]);
    s.assert_code(common::EXIT_BUDGET);
    assert!(
        s.stderr
            .contains("hits its events budget (limits.max_events) after 2000 events"),
        "{}",
        s.stderr
    );
    assert!(!s.stderr.contains("does not fail"), "{}", s.stderr);

    // Without --out nothing is written, and the line says no more than that the seeds stopped.
    let nowhere = rcsim(&["fuzz", "--seeds", "0..2", "--set", "limits.max_events=2000"]);
    nowhere.assert_code(common::EXIT_BUDGET);
    assert!(
        nowhere.stdout.contains("seeds that hit their budget: 0, 1"),
        "{}",
        nowhere.stdout
    );

    let passing = TempDir::new("fuzz-budget-none");
    fuzz(&passing, &["--seeds", "0..2"]).assert_code(EXIT_OK);
    let written = std::fs::read_dir(passing.join("repro"))
        .expect("repro/")
        .count();
    assert_eq!(written, 0, "a passing seed leaves no reproducer");
    let summary = passing.read_json("summary.json");
    assert!(summary.get("budget_seeds").is_none(), "{summary}");
}
