//! `rcsim explore` through the binary: the patent's reduced example is searched to the end and
//! found safe, every checkpoint mutant yields a counterexample that `--replay` reproduces, the
//! result does not depend on `--jobs`, a bound gives exit 3 and bad input exit 2, and
//! interchangeable pairs are searched once without changing any verdict.

use crate::common;

use common::{rcsim, TempDir, EXIT_BUDGET, EXIT_OK, EXIT_VIOLATION};
use serde_json::Value;

const PATENT: &str = "scenarios/explore-patent.json";
const CLOCKS: &str = "scenarios/explore-clocks.json";
const SYMMETRY: &str = "scenarios/explore-symmetry.json";

fn explore(args: &[&str], code: i32) -> Value {
    let mut all = vec!["explore"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = rcsim(&all);
    out.assert_code(code).assert_no_panic();
    out.json()
}

/// Searches `scenario` under `mutant`, writing the counterexample to `dir/MUTANT.json`: the
/// search's outcome, the file's path, and the file read back.
fn counterexample(dir: &TempDir, scenario: &str, mutant: &str) -> (Value, String, Value) {
    let out = dir.join(&format!("{mutant}.json"));
    let out = out.to_str().unwrap().to_string();
    let found = explore(
        &[scenario, "--mutant", mutant, "--out", &out],
        EXIT_VIOLATION,
    );
    let file = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    (found, out, file)
}

/// `--replay` of the counterexample file `out` ends in its recorded violation again.
fn assert_replays(out: &str) {
    let r = rcsim(&["explore", "--replay", out]);
    r.assert_code(EXIT_VIOLATION).assert_no_panic();
    assert!(r.stderr.contains("reproduced"), "{out}: {}", r.stderr);
}

#[test]
fn the_patent_example_is_searched_to_the_end_and_safe() {
    let v = explore(&[PATENT, "--jobs", "2"], EXIT_OK);
    assert_eq!(v["complete"], true);
    assert!(v["states"].as_u64().unwrap() >= 10_000, "{v}");
    assert!(v["violation"].is_null());
    for (name, reached) in v["sometimes"].as_object().unwrap() {
        assert_eq!(reached, true, "sometimes-property never reached: {name}");
    }
}

#[test]
fn clocks_off_within_their_bound_are_searched_and_the_naive_sync_is_caught() {
    let v = explore(&[CLOCKS, "--jobs", "2"], EXIT_OK);
    assert_eq!(v["complete"], true);
    assert!(v["states"].as_u64().unwrap() >= 10_000, "{v}");
    for (name, reached) in v["sometimes"].as_object().unwrap() {
        assert_eq!(reached, true, "sometimes-property never reached: {name}");
    }
    let dir = TempDir::new("explore-clocks");
    let out = dir.join("naive.json");
    let out = out.to_str().unwrap();
    let v = explore(
        &[CLOCKS, "--mutant", "naive-clock-sync", "--out", out],
        EXIT_VIOLATION,
    );
    assert_eq!(v["violation"]["kind"], "dependent-write", "{v}");
    assert_eq!(v["violation"]["missing"], "io1", "{v}");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    let first = &file["steps"][0];
    assert_eq!(first["step"]["kind"], "skew", "{first}");
    assert_eq!(
        first["step"]["offset_ns"], -20_000,
        "P2's clock behind: {first}"
    );
    assert!(
        first["text"].as_str().unwrap().contains("behind"),
        "{first}"
    );
    assert_replays(out);
    // With one shared clock the naive sync has nothing to get wrong: the clocks' error is what
    // the search needs to catch it.
    let shared = explore(
        &[
            CLOCKS,
            "--mutant",
            "naive-clock-sync",
            "--set",
            "clocks.sync_error=0s",
        ],
        EXIT_OK,
    );
    assert_eq!(shared["complete"], true, "{shared}");
}

#[test]
fn a_clock_offset_outside_the_bound_does_not_replay() {
    let dir = TempDir::new("explore-skew-edit");
    let (_, _, mut file) = counterexample(&dir, CLOCKS, "naive-clock-sync");
    file["steps"][0]["step"]["offset_ns"] = (-40_000).into();
    let edited = dir.write("edited.json", &file.to_string());
    let r = rcsim(&["explore", "--replay", edited.to_str().unwrap()]);
    r.assert_code(2).assert_no_panic();
    assert!(r.stderr.contains("steps[0]"), "{}", r.stderr);
}

#[test]
fn every_checkpoint_mutant_has_a_counterexample_that_replays() {
    let dir = TempDir::new("explore-mutants");
    for m in [
        "no-rendezvous",
        "early-checkpoint",
        "no-uip",
        "apply-past-checkpoint",
        "early-reset",
    ] {
        let (v, out, file) = counterexample(&dir, PATENT, m);
        assert_eq!(v["violation"]["kind"], "dependent-write", "{m}: {v}");
        assert!(v["counterexample_steps"].as_u64().unwrap() > 0);
        assert_eq!(file["violation"], v["violation"], "{m}");
        let r = rcsim(&["explore", "--replay", &out]);
        r.assert_code(EXIT_VIOLATION).assert_no_panic();
        assert!(
            r.stdout.contains("dependent-write violation"),
            "{m}: {}",
            r.stdout
        );
        assert!(r.stderr.contains("reproduced"), "{m}: {}", r.stderr);
    }
}

#[test]
fn an_edited_counterexample_no_longer_reproduces() {
    let dir = TempDir::new("explore-edit");
    let (_, _, mut file) = counterexample(&dir, PATENT, "no-uip");
    file["steps"].as_array_mut().unwrap().pop();
    let edited = dir.write("edited.json", &file.to_string());
    let r = rcsim(&["explore", "--replay", edited.to_str().unwrap()]);
    r.assert_code(4).assert_no_panic();
}

#[test]
fn a_counterexample_file_is_read_strictly() {
    let dir = TempDir::new("explore-strict");
    let (_, _, file) = counterexample(&dir, PATENT, "no-uip");
    let mut typo = file.clone();
    typo["steps"][1]["step"]["indx"] = 0.into();
    let typo = dir.write("typo.json", &typo.to_string());
    rcsim(&["explore", "--replay", typo.to_str().unwrap()]).assert_usage_error(&[
        "typo.json:1:",
        "at `steps[1].step`",
        "unknown field `indx`",
    ]);
    let mut longer = file.clone();
    let steps = longer["steps"].as_array_mut().unwrap();
    let n = steps.len();
    steps.push(steps[n - 1].clone());
    let longer = dir.write("longer.json", &longer.to_string());
    rcsim(&["explore", "--replay", longer.to_str().unwrap()]).assert_usage_error(&[
        "longer.json",
        &format!(
            "steps[{n}]: the path already reached its dependent-write violation at steps[{}]",
            n - 1
        ),
    ]);
}

#[test]
fn a_replay_answers_in_json_on_request_and_refuses_the_search_options() {
    let dir = TempDir::new("explore-replay-json");
    let (found, out, mut file) = counterexample(&dir, PATENT, "no-uip");
    let out = out.as_str();
    let v = explore(&["--replay", out], EXIT_VIOLATION);
    assert_eq!(v["reproduced"], true, "{v}");
    assert_eq!(v["mutant"], "no-uip", "{v}");
    for k in ["violation", "counterexample_steps", "scenario", "protocol"] {
        assert_eq!(v[k], found[k], "{k}");
    }
    assert_eq!(v["recorded"], found["violation"]);
    let steps = found["counterexample_steps"].as_u64().unwrap() as usize;
    assert!(v["narration"].as_array().unwrap().len() >= steps, "{v}");
    file["steps"].as_array_mut().unwrap().pop();
    let short = dir.write("short.json", &file.to_string());
    let v = explore(&["--replay", short.to_str().unwrap()], 4);
    assert_eq!(v["reproduced"], false, "{v}");
    assert!(v["violation"].is_null(), "{v}");
    let other = dir.join("other.json");
    let other = other.to_str().unwrap();
    for (flag, value) in [
        ("--mutant", Some("no-uip")),
        ("--max-depth", Some("3")),
        ("--max-states", Some("10")),
        ("--jobs", Some("2")),
        ("--max-losses", Some("0")),
        ("--max-duplicates", Some("0")),
        ("--set", Some("seed=1")),
        ("--no-symmetry", None),
        ("--out", Some(other)),
    ] {
        let mut args = vec!["explore", "--replay", out, flag];
        args.extend(value);
        rcsim(&args).assert_usage_error(&["--replay", flag]);
    }
    assert!(!dir.join("other.json").exists());
}

#[test]
fn the_result_does_not_depend_on_jobs_and_a_bound_exits_3() {
    let a = explore(
        &[PATENT, "--jobs", "1", "--max-states", "3000"],
        EXIT_BUDGET,
    );
    let b = explore(
        &[PATENT, "--jobs", "2", "--max-states", "3000"],
        EXIT_BUDGET,
    );
    assert_eq!(a["complete"], false);
    assert_eq!(a["bound"], "max-states");
    for k in ["states", "explored", "depth"] {
        assert_eq!(a[k], b[k], "{k} differs with --jobs");
    }
    let one = explore(
        &[PATENT, "--mutant", "no-uip", "--jobs", "1"],
        EXIT_VIOLATION,
    );
    let two = explore(
        &[PATENT, "--mutant", "no-uip", "--jobs", "2"],
        EXIT_VIOLATION,
    );
    for k in ["states", "explored", "counterexample_steps", "violation"] {
        assert_eq!(one[k], two[k], "{k} differs with --jobs");
    }
    let d = explore(&[PATENT, "--max-depth", "3"], EXIT_BUDGET);
    assert_eq!(d["bound"], "max-depth");
}

#[test]
fn what_the_search_cannot_model_is_bad_input() {
    rcsim(&["explore", PATENT, "--protocol", "independent"]).assert_code(2);
    rcsim(&["explore", PATENT, "--set", "protocol.kind=independent"])
        .assert_usage_error(&["protocol.kind", "checkpoint"]);
    rcsim(&[
        "explore",
        PATENT,
        "--set",
        r#"workloads=[{"kind":"random","rate":"100/s"}]"#,
    ])
    .assert_usage_error(&["workloads[0]", "script"]);
    rcsim(&["explore", PATENT, "--mutant", "cycle-no-hold"]).assert_usage_error(&["cycle"]);
    let dir = TempDir::new("explore-bad");
    let junk = dir.write("junk.json", "{\"steps\": 3}");
    rcsim(&["explore", "--replay", junk.to_str().unwrap()])
        .assert_usage_error(&["not a counterexample file"]);
}

#[cfg(unix)]
#[test]
fn the_counterexample_file_never_follows_a_symlink() {
    let dir = TempDir::new("explore-symlink");
    let victim = dir.write("victim.txt", "keep me");
    let link = dir.join("cex.json");
    std::os::unix::fs::symlink(&victim, &link).expect("symlink");
    let link = link.to_str().unwrap();
    rcsim(&[
        "explore",
        PATENT,
        "--mutant",
        "no-rendezvous",
        "--out",
        link,
    ])
    .assert_usage_error(&["cex.json", "symbolic link"]);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
}

/// Symmetry reduction must shrink the search where pairs are interchangeable and change no
/// verdict: the same sometimes-properties, and for every mutant a counterexample of the same
/// (shortest) length that replays, since the path kept is a real one.
#[test]
fn interchangeable_pairs_are_searched_once_and_no_verdict_changes() {
    let sym = explore(&[SYMMETRY, "--jobs", "2"], EXIT_OK);
    let all = explore(&[SYMMETRY, "--jobs", "2", "--no-symmetry"], EXIT_OK);
    assert_eq!(sym["symmetry"], serde_json::json!([[3, 4]]), "{sym}");
    assert_eq!(all["symmetry"], serde_json::json!([]), "{all}");
    assert_eq!(sym["complete"], true);
    assert_eq!(all["complete"], true);
    assert_eq!(sym["sometimes"], all["sometimes"]);
    assert_eq!(sym["depth"], all["depth"]);
    let (s, a) = (
        sym["states"].as_u64().unwrap(),
        all["states"].as_u64().unwrap(),
    );
    assert!(s >= 10_000, "{sym}");
    // A swap of two pairs at most halves the states (the states it fixes stay one each).
    assert!(s < a && 2 * s >= a, "{s} with symmetry, {a} without");
    // Where nothing is interchangeable nothing changes.
    let patent = explore(&[CLOCKS, "--jobs", "2"], EXIT_OK);
    assert_eq!(patent["symmetry"], serde_json::json!([]), "{patent}");

    let dir = TempDir::new("explore-symmetry");
    for m in ["no-rendezvous", "no-uip", "early-reset"] {
        let out = dir.join(&format!("{m}.json"));
        let out = out.to_str().unwrap();
        let sym = explore(&[SYMMETRY, "--mutant", m, "--out", out], EXIT_VIOLATION);
        let all = explore(&[SYMMETRY, "--mutant", m, "--no-symmetry"], EXIT_VIOLATION);
        assert_eq!(
            sym["counterexample_steps"], all["counterexample_steps"],
            "{m}: the shortest counterexample is as short under symmetry"
        );
        assert_eq!(sym["violation"]["kind"], all["violation"]["kind"], "{m}");
        assert_replays(out);
    }
    // A master that may fail over (a new master is the next pair in order) tells the pairs
    // apart: no symmetry then.
    let v = explore(
        &[
            SYMMETRY,
            "--set",
            "protocol.failover_timeout=1ms",
            "--max-states",
            "10",
        ],
        EXIT_BUDGET,
    );
    assert_eq!(v["symmetry"], serde_json::json!([]), "{v}");
}

#[test]
fn a_bound_is_named_on_stderr_and_stdout_is_unchanged() {
    for json in [false, true] {
        for (flag, value) in [("--max-states", "1000"), ("--max-depth", "3")] {
            let mut args = vec!["explore", PATENT, flag, value];
            if json {
                args.push("--json");
            }
            let out = rcsim(&args);
            out.assert_code(EXIT_BUDGET).assert_no_panic();
            let lines: Vec<&str> = out.stderr.lines().collect();
            assert_eq!(lines.len(), 1, "{args:?}: {}", out.stderr);
            assert!(
                lines[0].contains(&format!("stopped by {flag}")),
                "{}",
                lines[0]
            );
            if json {
                assert_eq!(out.json()["bound"], flag.trim_start_matches("--"));
            } else {
                let want = format!("INCOMPLETE: stopped by {flag}");
                assert!(out.stdout.contains(&want), "{}", out.stdout);
            }
        }
    }
}

#[test]
fn a_counterexample_on_stdout_shares_it_with_nothing() {
    let out = rcsim(&["explore", PATENT, "--mutant", "no-uip", "--out", "-"]);
    out.assert_code(EXIT_VIOLATION).assert_no_panic();
    let file: Value =
        serde_json::from_str(&out.stdout).expect("stdout is the counterexample alone");
    assert!(file["steps"].is_array(), "{}", out.stdout);
    assert!(out.stderr.contains("VIOLATION"), "{}", out.stderr);
    rcsim(&["explore", PATENT, "--json", "--out", "-"])
        .assert_usage_error(&["--json and --out -", "standard output"]);
}

#[cfg(unix)]
#[test]
fn an_endless_replay_file_is_refused_not_read_forever() {
    rcsim(&["explore", "--replay", "/dev/zero"]).assert_usage_error(&["/dev/zero", "larger than"]);
}

#[test]
fn a_job_count_outside_1_to_1024_is_refused_before_any_thread_starts() {
    for n in ["0", "1025", "100000", "4294967295", "18446744073709551615"] {
        rcsim(&["explore", PATENT, "--jobs", n, "--max-states", "100"])
            .assert_usage_error(&["--jobs", "expected 1 to 1024 worker threads"]);
    }
    for n in ["+2", "02", " 2", "2 "] {
        rcsim(&["explore", PATENT, "--jobs", n, "--max-states", "100"]).assert_usage_error(&[
            "--jobs",
            "not a number of worker threads",
            "no leading zero",
        ]);
    }
}
