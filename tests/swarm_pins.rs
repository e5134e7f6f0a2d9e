//! A campaign's coverage names what ran: `--set faults=[]` leaves no fault-list kind in any
//! result line's `swarm` nor in the summary's, the kinds it pinned away are counted apart
//! (`swarm_pinned_off`, also through `--resume` and `--merge`), and a campaign without `--set`
//! reports exactly the swarm it always did (tests/data/swarm-unpinned.jsonl, written by rcsim
//! before this change).

use std::collections::BTreeMap;

use crate::common;

use common::{rcsim, TempDir, EXIT_OK, EXIT_VIOLATION};
use serde_json::Value;

/// The kinds the generator realises as entries of `faults`.
const FAULT_LIST_KINDS: [&str; 14] = [
    "primary-master-crash",
    "secondary-master-crash",
    "secondary-reset",
    "primary-crash",
    "overlapping-crashes",
    "permanent-crash",
    "disaster",
    "rolling-disaster",
    "partition",
    "link-outage",
    "bandwidth-drop",
    "lan-latency-spike",
    "link-latency-spike",
    "clock-step",
];

fn fuzz(dir: &TempDir, extra: &[&str]) -> common::Output {
    let out = dir.path().to_string_lossy().to_string();
    let mut args = vec!["fuzz", "--jobs", "2", "--out", out.as_str()];
    args.extend_from_slice(extra);
    rcsim(&args)
}

fn lines(dir: &TempDir) -> Vec<Value> {
    std::fs::read_to_string(dir.join("results.jsonl"))
        .expect("results.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// Seeds per kind over `key` of every line.
fn counts(lines: &[Value], key: &str) -> BTreeMap<String, u64> {
    let mut c = BTreeMap::new();
    for l in lines {
        for k in names(&l[key]) {
            *c.entry(k).or_default() += 1;
        }
    }
    c
}

fn as_counts(v: &Value) -> BTreeMap<String, u64> {
    serde_json::from_value(v.clone()).unwrap_or_default()
}

#[test]
fn an_empty_fault_list_reports_no_fault_kind_and_counts_those_pinned_off() {
    let d = TempDir::new("swarm-no-faults");
    let o = fuzz(&d, &["--seeds", "0..40", "--set", "faults=[]"]);
    o.assert_code(EXIT_OK);
    let lines = lines(&d);
    assert_eq!(lines.len(), 40);
    for l in &lines {
        let swarm = names(&l["swarm"]);
        for k in FAULT_LIST_KINDS {
            assert!(
                !swarm.iter().any(|s| s == k),
                "seed {}: {swarm:?}",
                l["seed"]
            );
        }
    }
    let s = d.read_json("summary.json");
    let swarm = as_counts(&s["swarm"]);
    let off = as_counts(&s["swarm_pinned_off"]);
    for k in FAULT_LIST_KINDS {
        assert!(
            !swarm.contains_key(k),
            "{k} in the summary's swarm: {swarm:?}"
        );
    }
    // Every fault-list kind was drawn somewhere in 40 seeds, so each is counted as pinned off,
    // and the counts are those of the lines.
    assert_eq!(
        off.keys().map(String::as_str).collect::<Vec<_>>().len(),
        FAULT_LIST_KINDS.len(),
        "{off:?}"
    );
    assert_eq!(off, counts(&lines, "swarm_pinned_off"));
    assert_eq!(swarm, counts(&lines, "swarm"));
    // The kinds the --set left alone still run, drawn as before.
    assert!(
        swarm.get("link-loss").copied().unwrap_or(0) > 0,
        "{swarm:?}"
    );
    assert!(o.stdout.contains("pinned off by --set"), "{}", o.stdout);
    assert!(o.stdout.contains("disaster "), "{}", o.stdout);
}

#[test]
fn without_a_set_the_swarm_is_what_it_always_was() {
    let golden: Vec<Value> = std::fs::read_to_string("tests/data/swarm-unpinned.jsonl")
        .expect("golden")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    // No --set, and a --set of a field no fault kind reads: the same swarm, nothing pinned off.
    for (name, extra) in [
        ("swarm-unpinned", &[][..]),
        (
            "swarm-unrelated-set",
            &["--set", "clocks.sync_error=1us"][..],
        ),
    ] {
        let d = TempDir::new(name);
        let mut args = vec!["--seeds", "0..40"];
        args.extend_from_slice(extra);
        fuzz(&d, &args).assert_code(EXIT_OK);
        let lines = lines(&d);
        let got: Vec<Value> = lines
            .iter()
            .map(|l| serde_json::json!({"seed": l["seed"], "swarm": l["swarm"]}))
            .collect();
        assert_eq!(got, golden, "{extra:?}");
        assert!(lines.iter().all(|l| l.get("swarm_pinned_off").is_none()));
        let s = d.read_json("summary.json");
        assert!(s.get("swarm_pinned_off").is_none(), "{s}");
        assert_eq!(as_counts(&s["swarm"]), counts(&golden, "swarm"));
    }
}

#[test]
fn a_reproducer_describes_the_kinds_it_ran() {
    let d = TempDir::new("swarm-repro");
    let o = fuzz(
        &d,
        &[
            "--seeds",
            "0..3",
            "--mutant",
            "no-rendezvous",
            "--set",
            "faults=[]",
        ],
    );
    o.assert_code(EXIT_VIOLATION);
    for l in lines(&d) {
        let path = d.join(&format!("repro/seed-{}.json", l["seed"]));
        let repro: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("repro")).expect("JSON");
        let description = repro["scenario"]["description"].as_str().expect("text");
        let swarm = names(&l["swarm"]).join(", ");
        assert!(
            description.contains(&format!("swarm: {swarm};")),
            "{description}"
        );
        let off = names(&l["swarm_pinned_off"]).join(", ");
        assert!(
            description.contains(&format!("pinned off by --set: {off}")),
            "{description}"
        );
        rcsim(&["replay", path.to_str().expect("UTF-8")]).assert_code(EXIT_VIOLATION);
    }
}

#[test]
fn resume_and_merge_keep_the_pinned_off_counts() {
    let set = ["--set", "faults=[]", "--set", "links.loss=0"];
    let whole = TempDir::new("swarm-whole");
    let mut args = vec!["--seeds", "0..30"];
    args.extend_from_slice(&set);
    fuzz(&whole, &args).assert_code(EXIT_OK);
    let want = whole.read_json("summary.json");
    assert!(as_counts(&want["swarm_pinned_off"]).contains_key("link-loss"));

    // Merged shards.
    let mut shards = Vec::new();
    for k in 1..=2 {
        let d = TempDir::new(&format!("swarm-shard-{k}"));
        let shard = format!("{k}/2");
        let mut args = vec!["--seeds", "0..30", "--shard", shard.as_str()];
        args.extend_from_slice(&set);
        fuzz(&d, &args).assert_code(EXIT_OK);
        shards.push(d);
    }
    let merged = TempDir::new("swarm-merged");
    let dirs: Vec<String> = shards
        .iter()
        .map(|d| d.path().to_string_lossy().to_string())
        .collect();
    let out = merged.path().to_string_lossy().to_string();
    rcsim(&["fuzz", "--merge", &dirs[0], &dirs[1], "--out", &out]).assert_code(EXIT_OK);
    let got = merged.read_json("summary.json");
    assert_eq!(got["swarm"], want["swarm"]);
    assert_eq!(got["swarm_pinned_off"], want["swarm_pinned_off"]);

    // Resumed from the first ten lines, as they are and as an older rcsim wrote them (without
    // `swarm_pinned_off`: those seeds then count none).
    let text = std::fs::read_to_string(whole.join("results.jsonl")).expect("results");
    let first: Vec<&str> = text.lines().take(10).collect();
    for older in [false, true] {
        let d = TempDir::new(&format!("swarm-resume-{older}"));
        let kept: Vec<String> = first
            .iter()
            .map(|l| {
                let mut v: Value = serde_json::from_str(l).expect("JSON");
                if older {
                    v.as_object_mut().map(|m| m.remove("swarm_pinned_off"));
                }
                format!("{v}\n")
            })
            .collect();
        std::fs::write(d.join("results.jsonl"), kept.concat()).expect("write");
        std::fs::copy(whole.join("summary.json"), d.join("summary.json")).expect("copy");
        let mut args = vec!["--seeds", "0..30", "--resume"];
        args.extend_from_slice(&set);
        fuzz(&d, &args).assert_code(EXIT_OK);
        let got = d.read_json("summary.json");
        assert_eq!(got["swarm"], want["swarm"]);
        let mut expected = as_counts(&want["swarm_pinned_off"]);
        if older {
            let old: Vec<Value> = first
                .iter()
                .map(|l| serde_json::from_str(l).expect("JSON"))
                .collect();
            for (k, n) in counts(&old, "swarm_pinned_off") {
                let left = expected.get(&k).copied().unwrap_or(0) - n;
                expected.insert(k.clone(), left);
            }
            expected.retain(|_, n| *n > 0);
        }
        assert_eq!(
            as_counts(&got["swarm_pinned_off"]),
            expected,
            "older: {older}"
        );
    }
}
