//! The trace tells the truth: over several fault scenarios, its lines agree exactly with the
//! result's counters, nothing is traced as done at a crashed or lost primary, no message is
//! traced as delivered to a node that is down, and an apply voided by a crash is not an `apply`.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use common::*;

const SCENARIOS: [&str; 6] = [
    "scenarios/patent-figure1.json",
    "scenarios/checkpoint-faults.json",
    "scenarios/volatile-secondary-crash.json",
    "scenarios/resign-primary-failure.json",
    "scenarios/rolling-disaster.json",
    "scenarios/network-faults.json",
];

fn count(lines: &[Value], pred: impl Fn(&Value) -> bool) -> u64 {
    lines.iter().filter(|l| pred(l)).count() as u64
}

#[test]
fn trace_lines_agree_with_the_counters_under_faults() {
    let t = TempDir::new("truth");
    let mut dropped_somewhere = 0;
    for (i, sc) in SCENARIOS.iter().enumerate() {
        for protocol in ["checkpoint", "independent"] {
            let trace = t.join(&format!("trace-{i}-{protocol}.jsonl"));
            let out = rcsim(&[
                "run",
                sc,
                "--protocol",
                protocol,
                "--json",
                "--trace",
                trace.to_str().expect("utf-8"),
            ]);
            out.assert_no_panic();
            assert!(
                out.code == EXIT_OK || out.code == EXIT_VIOLATION,
                "{sc}: {}",
                out.stderr
            );
            let r = out.json();
            let lines = read_trace(&trace);
            let w = &r["writes"];
            let what = format!("{sc} under {protocol}");
            assert_eq!(
                count(&lines, |l| l["ev"] == "host-write"),
                w["issued"].as_u64().expect("issued"),
                "{what}: host-write lines against writes.issued"
            );
            assert_eq!(
                count(&lines, |l| l["ev"] == "ship"
                    && l.get("to").is_none()
                    && (l["msg"] == "write" || l["msg"] == "journal")),
                w["shipped"].as_u64().expect("shipped"),
                "{what}: ship lines of writes against writes.shipped"
            );
            let applied: BTreeSet<&str> = lines
                .iter()
                .filter(|l| l["ev"] == "apply")
                .map(|l| l["write"].as_str().expect("write"))
                .collect();
            assert_eq!(
                applied.len() as u64,
                w["applied"].as_u64().expect("applied"),
                "{what}: writes with an apply line against writes.applied"
            );
            dropped_somewhere += count(&lines, |l| {
                l["ev"] == "dropped" || l["ev"] == "held" || l["ev"] == "superseded"
            });
            assert_nothing_done_while_down(&what, &lines);
        }
    }
    assert!(
        dropped_somewhere > 0,
        "these fault scenarios must drop or hold something, or the test checks nothing"
    );
}

/// No `ship`, `write-complete` or `apply` at a node that is down or at a lost primary site, no
/// `deliver` or `timer` to a node that is down, and no line but a `deliver` that releases held
/// segments.
fn assert_nothing_done_while_down(what: &str, lines: &[Value]) {
    let mut down: BTreeMap<String, bool> = BTreeMap::new();
    let mut site_lost = false;
    for l in lines {
        let ev = l["ev"].as_str().unwrap_or_default();
        assert!(
            l["releases"].is_null() || ev == "deliver",
            "{what}: {l}: only a segment taken releases what waited behind it"
        );
        let node = l["node"].as_str().unwrap_or_default().to_string();
        match ev {
            "crash" => {
                down.insert(node, true);
            }
            "restart" => {
                down.insert(node, false);
            }
            "disaster" => site_lost = true,
            "ship" | "write-complete" | "apply" | "timer" => {
                assert!(
                    !down.get(&node).copied().unwrap_or(false),
                    "{what}: {l} at a down node"
                );
                if node.starts_with('P') || node.starts_with("primary") {
                    assert!(!site_lost, "{what}: {l} after the primary site was lost");
                }
            }
            "deliver" => {
                let to = l["to"].as_str().unwrap_or_default();
                assert!(
                    !down.get(to).copied().unwrap_or(false),
                    "{what}: {l} to a down node"
                );
            }
            _ => {}
        }
    }
}

/// Two overlapping crashes of one secondary and of one primary: each node restarts once, when
/// the longer crash ends; the shorter crash's restart is traced as `dropped`, and nothing is
/// done at either node in between.
#[test]
fn of_overlapping_crashes_the_longer_one_decides_the_restart() {
    let t = TempDir::new("overlap");
    let trace = t.join("trace.jsonl");
    let chrome = t.join("chrome.json");
    let faults = r#"faults=[
        {"kind":"crash","site":"secondary","subsystem":1,"at":"100ms","down_for":"100ms"},
        {"kind":"crash","site":"secondary","subsystem":1,"at":"120ms","down_for":"10ms"},
        {"kind":"crash","site":"primary","subsystem":2,"at":"150ms","down_for":"20ms"},
        {"kind":"crash","site":"primary","subsystem":2,"at":"140ms","down_for":"80ms"}]"#;
    let out = rcsim(&[
        "run",
        "scenarios/checkpoint-faults.json",
        "--set",
        faults,
        "--trace",
        trace.to_str().expect("utf-8"),
        "--chrome-trace",
        chrome.to_str().expect("utf-8"),
    ]);
    out.assert_code(EXIT_OK);
    // The Chrome trace draws one crash slice per node, over the whole time it was down (us).
    let chrome: Value =
        serde_json::from_str(&std::fs::read_to_string(&chrome).expect("chrome")).expect("JSON");
    let slices: Vec<(String, f64, f64)> = chrome["traceEvents"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["name"].as_str().is_some_and(|n| n.starts_with("crash ")))
        .map(|e| {
            let f = |k: &str| e[k].as_f64().expect("number");
            (
                e["name"].as_str().expect("name").to_string(),
                f("ts"),
                f("dur"),
            )
        })
        .collect();
    assert_eq!(
        slices,
        [
            ("crash S1".to_string(), 100_000.0, 100_000.0),
            ("crash P2".to_string(), 140_000.0, 80_000.0)
        ]
    );
    let lines = read_trace(&trace);
    let at = |ev: &str, node: &str| -> Vec<u64> {
        lines
            .iter()
            .filter(|l| l["ev"] == ev && l["node"] == node)
            .map(|l| l["t"].as_u64().expect("t"))
            .collect()
    };
    let dropped_restart = |node: &str| -> Vec<u64> {
        lines
            .iter()
            .filter(|l| l["ev"] == "dropped" && l["was"] == "restart" && l["node"] == node)
            .map(|l| l["t"].as_u64().expect("t"))
            .collect()
    };
    const MS: u64 = 1_000_000;
    assert_eq!(at("crash", "S1"), [100 * MS, 120 * MS]);
    assert_eq!(at("restart", "S1"), [200 * MS]);
    assert_eq!(dropped_restart("S1"), [130 * MS]);
    assert_eq!(at("crash", "P2"), [140 * MS, 150 * MS]);
    assert_eq!(at("restart", "P2"), [220 * MS]);
    assert_eq!(dropped_restart("P2"), [170 * MS]);
    assert_nothing_done_while_down("overlapping crashes", &lines);
}

/// A stream segment that arrives beyond a gap is traced as `held`, not `deliver`, and the one
/// that fills the gap says how many it `releases`: replaying the trace's lines, every stream
/// hands its segments on in exactly consecutive order, each held one is released once, and a
/// segment received twice is traced as `dropped`.
#[test]
fn segments_held_beyond_a_gap_are_traced_as_held_until_released() {
    let t = TempDir::new("held-segments");
    let trace = t.join("trace.jsonl");
    rcsim(&[
        "run",
        "scenarios/bench-standard.json",
        "--set",
        "duration=400ms",
        "--set",
        "faults=[]",
        "--trace",
        trace.to_str().unwrap(),
    ])
    .assert_code(EXIT_OK);
    let seq_of = |l: &Value| -> u64 {
        let d = l["detail"].as_str().expect("detail");
        let n = d
            .strip_prefix("seq ")
            .expect("a segment's detail starts with its seq");
        n.split(':').next().unwrap().parse().expect("seq")
    };
    let mut next: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut held: BTreeSet<(String, String, u64)> = BTreeSet::new();
    let (mut held_lines, mut released, mut duplicates) = (0, 0, 0);
    for line in std::fs::read_to_string(&trace).unwrap().lines() {
        let l: Value = serde_json::from_str(line).unwrap();
        let arrived = l["ev"] == "deliver" || l["was"] == "deliver";
        if !arrived || !l["detail"].as_str().unwrap_or("").starts_with("seq ") {
            continue;
        }
        let (from, to) = (l["from"].as_str().unwrap(), l["to"].as_str().unwrap());
        let key = (from.to_string(), to.to_string());
        let seq = seq_of(&l);
        let expected = next.entry(key.clone()).or_insert(0);
        match (l["ev"].as_str().unwrap(), l["why"].as_str().unwrap_or("")) {
            ("deliver", _) => {
                assert_eq!(seq, *expected, "{l}: handed on out of order");
                let releases = l["releases"].as_u64().unwrap_or(0);
                for s in seq + 1..=seq + releases {
                    assert!(
                        held.remove(&(key.0.clone(), key.1.clone(), s)),
                        "{l}: releases seq {s}, which was not held"
                    );
                }
                released += releases;
                *expected = seq + 1 + releases;
            }
            ("held", _) => {
                assert!(
                    seq > *expected,
                    "{l}: held, but next in order is {expected}"
                );
                assert!(held.insert((key.0, key.1, seq)), "{l}: held twice");
                held_lines += 1;
            }
            ("dropped", why) if why.contains("duplicate") => {
                assert!(
                    seq < *expected || held.contains(&(key.0, key.1, seq)),
                    "{l}: a duplicate of a segment not yet received"
                );
                duplicates += 1;
            }
            _ => panic!("{l}: an unexpected fate for an arriving segment"),
        }
    }
    assert!(
        held_lines > 10 && released > 10 && duplicates > 0,
        "1% loss must hold, release and duplicate segments: {held_lines} held, \
         {released} released, {duplicates} duplicates"
    );
}
