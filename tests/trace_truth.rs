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

/// No `ship`, `write-complete` or `apply` at a node that is down or at a lost primary site, and
/// no `deliver` or `timer` to a node that is down.
fn assert_nothing_done_while_down(what: &str, lines: &[Value]) {
    let mut down: BTreeMap<String, bool> = BTreeMap::new();
    let mut site_lost = false;
    for l in lines {
        let ev = l["ev"].as_str().unwrap_or_default();
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
