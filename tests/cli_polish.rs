//! The command line's small promises, through the real binary: plurals right, failing seeds
//! listed up to a limit then counted, and `validate` reading a reproducer as `run` does.

use crate::common;

use common::*;

#[test]
fn one_seed_on_one_job_reads_in_the_singular() {
    let out = rcsim(&["fuzz", "--seeds", "1", "--jobs", "1"]);
    out.assert_no_panic();
    assert!(out.stdout.starts_with("1 seed: "), "{}", out.stdout);
    assert!(out.stdout.contains(" on 1 job, "), "{}", out.stdout);
    assert!(!out.stdout.contains(" 1 jobs"), "{}", out.stdout);
}

#[test]
fn failing_seeds_past_the_limit_are_counted() {
    let out = rcsim(&["fuzz", "--seeds", "23", "--mutant", "no-uip", "--jobs", "1"]);
    out.assert_code(EXIT_VIOLATION).assert_no_panic();
    let line = out
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("failing seeds:"))
        .unwrap_or_else(|| panic!("no failing seeds line in {}", out.stdout));
    assert!(line.contains(", 19, ... and 3 more"), "{line}");
    assert!(!line.contains(" 20,"), "{line}");
}

#[test]
fn validate_reads_a_reproducer_and_counts_in_the_singular() {
    let dir = TempDir::new("polish");
    let out = dir.join("c");
    let fuzz = rcsim(&[
        "fuzz",
        "--seeds",
        "1",
        "--mutant",
        "no-uip",
        "--out",
        out.to_str().unwrap(),
    ]);
    fuzz.assert_code(EXIT_VIOLATION);
    let repro = out.join("repro/seed-0.json");
    let v = rcsim(&["validate", repro.to_str().unwrap()]);
    v.assert_code(EXIT_OK);
    assert!(
        v.stdout.contains("valid scenario `fuzz-base-seed-0`"),
        "{}",
        v.stdout
    );
    let script = rcsim(&["validate", FIGURE1]);
    script.assert_code(EXIT_OK);
    assert!(script.stdout.contains("1 workload,"), "{}", script.stdout);
}
