//! Hostile inputs through the real binary: counts past their documented maxima, sums of times
//! that overflow, special files as scenarios, seed ranges and thread counts out of reason,
//! arguments of 120 KB. Each is exit 2 with a short message naming what is wrong, never a panic,
//! an abort or a wrong verdict.

use crate::common;

use common::*;

/// `rcsim validate` and `rcsim run` on `text` both refuse it naming every fragment.
fn refused(t: &TempDir, text: &str, fragments: &[&str]) {
    let p = t.write("s.json", text);
    let p = p.to_str().expect("utf-8");
    rcsim(&["validate", p]).assert_usage_error(fragments);
    rcsim(&["run", p]).assert_usage_error(fragments);
}

#[test]
fn a_huge_path_count_is_refused_not_allocated() {
    let t = TempDir::new("paths");
    refused(
        &t,
        &mutate(
            r#""bandwidth": "100MB/s" }"#,
            r#""bandwidth": "100MB/s", "paths": 4294967295 }"#,
        ),
        &["links.paths", "at most 64"],
    );
}

#[test]
fn huge_dbms_counts_are_refused() {
    let t = TempDir::new("dbms");
    let dbms = r#"{ "kind": "dbms", "log": {"subsystem": 1}, "data": [{"subsystem": 2}], "rate": "10/s",
                    "in_flight": 4294967295, "data_writes": 4294967295 }"#;
    let start = BASE
        .find(
            r#"{
      "kind": "script""#,
        )
        .expect("workload");
    let end = BASE
        .find("\n  ],\n  \"protocol\"")
        .expect("end of workloads");
    let text = format!("{}{dbms}{}", &BASE[..start], &BASE[end..]);
    refused(
        &t,
        &text,
        &["workloads[0].in_flight", "workloads[0].data_writes"],
    );
}

#[test]
fn a_huge_repeat_count_is_refused() {
    let t = TempDir::new("repeat");
    let text = mutate(
        r#""protocol": { "kind": "independent" }"#,
        r#""protocol": { "kind": "independent" },
  "faults": [{"kind": "link_outage", "pair": 1, "at": "1ms", "for": "1ms",
              "repeat": {"every": "2ms", "count": 4294967295}}]"#,
    );
    refused(&t, &text, &["faults[0].repeat.count", "at most 100000"]);
}

#[test]
fn overflowing_sums_of_times_are_refused_naming_the_field() {
    let t = TempDir::new("overflow");
    for (fault, field) in [
        (
            r#"{"kind": "rolling_disaster", "at": "5ms", "over": "18446744073709551615ns"}"#,
            "faults[0].over",
        ),
        (
            r#"{"kind": "partition", "site": "primary", "at": "5ms", "for": "18446744073709551615ns", "isolate": [1]}"#,
            "faults[0].for",
        ),
        (
            r#"{"kind": "link_outage", "pair": 1, "at": "1ms", "for": "1ms",
                "repeat": {"every": "18446744073709551615ns", "count": 3}}"#,
            "faults[0].repeat.every",
        ),
        (
            r#"{"kind": "crash", "site": "secondary", "subsystem": 1, "at": "1ms",
                "down_for": "18446744073709551615ns"}"#,
            "faults[0].down_for",
        ),
    ] {
        let text = mutate(
            r#""protocol": { "kind": "independent" }"#,
            &format!(r#""protocol": {{ "kind": "independent" }}, "faults": [{fault}]"#),
        );
        refused(&t, &text, &[field, "largest time"]);
    }
    let text = mutate(
        r#""duration": "10ms","#,
        r#""duration": "10ms", "drain": "18446744073709551615ns","#,
    );
    refused(&t, &text, &["drain"]);
}

#[test]
fn special_files_as_scenarios_are_refused() {
    let t = TempDir::new("special");
    rcsim(&["validate", t.path().to_str().expect("utf-8")]).assert_usage_error(&["cannot read"]);
    if std::path::Path::new("/dev/zero").exists() {
        rcsim(&["run", "/dev/zero"]).assert_usage_error(&["/dev/zero", "larger than"]);
    }
}

#[test]
fn jobs_zero_is_refused_and_jobs_are_capped_at_the_seeds() {
    let out = rcsim(&["fuzz", "--seeds", "0..2", "--jobs", "0"]);
    out.assert_code(EXIT_USAGE).assert_no_panic();
    assert!(out.stderr.contains("--jobs"), "{}", out.stderr);
    assert!(
        out.stderr.contains("at least") || out.stderr.contains("1 to"),
        "{}",
        out.stderr
    );
    let out = rcsim(&["fuzz", "--seeds", "0..2", "--jobs", "1000", "--json"]);
    out.assert_no_panic();
    assert_eq!(out.json()["jobs"], 2, "two seeds need two workers at most");
}

#[test]
fn a_seed_range_too_large_to_hold_is_refused() {
    let t = TempDir::new("seeds");
    let out_dir = t.join("out");
    let o = out_dir.to_str().expect("utf-8");
    rcsim(&[
        "report",
        FIGURE1,
        "--seeds",
        "0..18446744073709551615",
        "--out",
        o,
    ])
    .assert_usage_error(&["--seeds", "runs"]);
    rcsim(&[
        "sweep",
        FIGURE1,
        "--vary",
        "duration=20ms,30ms",
        "--seeds",
        "0..18446744073709551615",
        "--out",
        o,
    ])
    .assert_usage_error(&["--seeds", "runs"]);
    assert!(!out_dir.exists(), "nothing is written for bad input");
}

#[test]
fn a_set_path_too_deep_to_walk_is_refused_not_a_stack_overflow() {
    let deep = vec!["a"; 60_000].join(".");
    for args in [
        vec!["run", FIGURE1, "--set", &format!("{deep}=1")],
        vec!["sweep", FIGURE1, "--vary", &format!("{deep}=1,2")],
    ] {
        rcsim(&args).assert_usage_error(&["at most"]);
    }
}

/// Refused with exit 2 and a message under 1 KB that names every fragment: a huge argument is
/// quoted by its start and its size, never whole.
fn refused_briefly(args: &[&str], fragments: &[&str]) {
    let o = rcsim(args);
    o.assert_usage_error(fragments);
    assert!(
        o.stderr.len() < 1024,
        "{} bytes:\n{}",
        o.stderr.len(),
        o.stderr
    );
}

#[test]
fn a_huge_invalid_argument_is_quoted_by_its_start_and_size() {
    let huge = "x".repeat(120_000);
    let size = "…(120000 bytes)";
    // clap quoted the value, then --set's own message quoted it again: 240 KB on one line.
    refused_briefly(
        &["run", FIGURE1, "--set", &huge],
        &["'--set <PATH=VALUE>'", "expected PATH=VALUE", size],
    );
    let o = rcsim(&["run", FIGURE1, "--set", &huge]);
    assert!(
        o.stderr
            .contains(&format!("--set {}{size}: expected PATH=VALUE", &huge[..80])),
        "{}",
        o.stderr
    );
    // A value that parses but that validation refuses: the serde message quotes it.
    refused_briefly(
        &["run", FIGURE1, "--set", &format!("topology.pairs={huge}")],
        &["topology.pairs", "expected u16", "bytes in all"],
    );
    refused_briefly(
        &["run", FIGURE1, "--disaster-at", &huge],
        &["--disaster-at", "invalid duration", size],
    );
    refused_briefly(
        &["fuzz", "--seeds", &huge],
        &["--seeds", "not a seed number", size],
    );
    refused_briefly(
        &["fuzz", "--shard", &huge, "--seeds", "4"],
        &["--shard", "K/N", size],
    );
    refused_briefly(&["fuzz", "--mutant", &huge], &["unknown mutant", size]);
    refused_briefly(
        &["run", FIGURE1, "--protocol", &huge],
        &["possible values", size],
    );
    refused_briefly(
        &[
            "sweep",
            FIGURE1,
            "--vary",
            &format!("protocol.checkpoint_interval={huge}"),
        ],
        &["protocol.checkpoint_interval", "invalid duration", size],
    );
    refused_briefly(
        &["run", FIGURE1, &format!("--{huge}")],
        &["unexpected argument", "bytes)"],
    );
    refused_briefly(&[huge.as_str()], &["unrecognized subcommand", size]);
    // A value of ordinary length is still quoted whole, as before.
    rcsim(&["run", FIGURE1, "--set", "abc"]).assert_usage_error(&[
        "invalid value 'abc' for '--set <PATH=VALUE>': --set abc: expected PATH=VALUE",
    ]);
}

#[test]
fn disaster_at_keeps_a_malformed_faults_field_for_validation_to_report() {
    let t = TempDir::new("faults-object");
    let text = mutate(
        r#""protocol": { "kind": "independent" }"#,
        r#""protocol": { "kind": "independent" },
  "faults": {"kind": "crash", "subsystem": 1, "at": "1ms"}"#,
    );
    let p = t.write("s.json", &text);
    let p = p.to_str().expect("utf-8");
    rcsim(&["run", p]).assert_usage_error(&["faults"]);
    rcsim(&["run", p, "--disaster-at", "5ms"]).assert_usage_error(&["faults"]);
}

#[test]
fn a_think_time_past_the_largest_time_never_starts_the_write() {
    // io2 thinks for u64::MAX ns after io1: it must never be issued (wrapping issued it at once).
    let r = run_json(
        FIGURE1,
        &["--set", "workloads.0.writes.1.think=18446744073709551615ns"],
        EXIT_OK,
    );
    assert_eq!(r["writes"]["issued"], 1, "{}", r["writes"]);
}

/// A two-pair scenario of random writes whose workload has `extra` fields.
fn random_writes(extra: &str) -> String {
    format!(
        r#"{{"name": "rb", "description": "x", "seed": 1, "duration": "20ms",
            "topology": {{"pairs": 2, "volumes_per_subsystem": 1, "blocks_per_volume": 64}},
            "workloads": [{{"kind": "random", "rate": "1000/s"{extra}}}]}}"#
    )
}

#[test]
fn workload_sizes_are_refused_not_clamped() {
    let t = TempDir::new("sizes");
    for (size, at) in [
        (r#""0B""#, "workloads[0].size`"),
        (r#""5GiB""#, "workloads[0].size`"),
        (
            r#"{"kind": "empirical", "values": ["4KiB", "5GiB"], "weights": [1, 1]}"#,
            "workloads[0].size.values[1]`",
        ),
    ] {
        refused(
            &t,
            &random_writes(&format!(r#", "size": {size}"#)),
            &[at, "between 1B and 4GiB"],
        );
    }
}

#[test]
fn empirical_weights_summing_to_infinity_are_called_that() {
    let t = TempDir::new("weights");
    let size =
        r#", "size": {"kind": "empirical", "values": ["4KiB", "8KiB"], "weights": [1e308, 1e308]}"#;
    let p = t.write("s.json", &random_writes(size));
    let out = rcsim(&["run", p.to_str().expect("utf-8")]);
    out.assert_usage_error(&["workloads[0].size", "infinity"]);
    assert!(!out.stderr.contains("sum to zero"), "{}", out.stderr);
}

#[test]
fn an_empty_topology_is_reported_alone_not_as_a_cascade() {
    for set in [
        "topology.pairs=0",
        "topology.volumes_per_subsystem=0",
        "topology.blocks_per_volume=0",
    ] {
        let out = rcsim(&["run", FIGURE1, "--set", set]);
        out.assert_usage_error(&[set.split('=').next().expect("path")]);
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    }
}

#[test]
fn fuzz_draws_valid_scenarios_around_a_tiny_duration_or_rate() {
    let t = TempDir::new("fuzz-base");
    for extra in [
        random_writes("").replace("20ms", "3ns"),
        random_writes("").replace("20ms", "10ns"),
        random_writes("").replace("1000/s", "0.001/s"),
    ] {
        let p = t.write("fb.json", &extra);
        let out = rcsim(&[
            "fuzz",
            "--scenario",
            p.to_str().expect("utf-8"),
            "--seeds",
            "0..20",
            "--jobs",
            "1",
            "--json",
        ]);
        out.assert_code(EXIT_OK).assert_no_panic();
        assert_eq!(out.json()["invalid"], 0, "{extra}\n{}", out.stdout);
    }
}

#[test]
fn fuzz_set_topology_pairs_is_respected_by_every_draw() {
    let out = rcsim(&[
        "fuzz",
        "--seeds",
        "0..3",
        "--protocol",
        "independent",
        "--set",
        "topology.pairs=3",
        "--jobs",
        "1",
        "--json",
    ]);
    out.assert_no_panic();
    assert!(
        out.code == EXIT_OK || out.code == EXIT_VIOLATION,
        "{}",
        out.stderr
    );
    assert_eq!(out.json()["invalid"], 0, "{}", out.stdout);
}

#[test]
fn duplicate_keys_inside_a_workload_are_refused_not_last_wins() {
    let t = TempDir::new("duplicates");
    refused(
        &t,
        &random_writes(r#", "rate": "5/s""#),
        &["workloads[0]", "duplicate field `rate`"],
    );
}

#[test]
fn a_duplicate_key_is_refused_with_overrides_too() {
    // Overrides edit the file as a JSON value before it is read as a scenario: that value must
    // refuse a repeated key as the plain read does, not keep the last one.
    let t = TempDir::new("duplicates-set");
    let text = random_writes("").replace(r#""pairs": 2,"#, r#""pairs": 2, "pairs": 3,"#);
    let p = t.write("s.json", &text);
    let p = p.to_str().expect("utf-8");
    for args in [vec!["run", p], vec!["run", p, "--set", "seed=2"]] {
        rcsim(&args).assert_usage_error(&["topology", "duplicate field `pairs`"]);
    }
}

#[test]
fn seeds_shards_and_indices_are_read_in_plain_decimal_only() {
    let plain = "plain decimal digits (no sign, no leading zero)";
    let example = "scenarios/patent-example.json";
    for (args, what) in [
        (
            &["fuzz", "--seeds", "+0..00"][..],
            "`+0` is not a seed number",
        ),
        (&["fuzz", "--seeds", "0..010"], "`010` is not a seed number"),
        (&["fuzz", "--seeds", "00"], "`00` is not a seed number"),
        (
            &["fuzz", "--seeds", "0..4", "--shard", "01/2"],
            "--shard 01/2",
        ),
        (
            &["run", example, "--seed", "+1"],
            "`+1` is not a seed number",
        ),
        (
            &["run", example, "--set", "faults.00.at=1ms"],
            "`00` indexes an array",
        ),
    ] {
        rcsim(args).assert_usage_error(&[what, plain]);
    }
    // The same numbers written plainly are taken.
    rcsim(&["run", example, "--seed", "1", "--set", "faults.0.at=1ms"]).assert_code(EXIT_OK);
}

#[test]
fn a_huge_number_is_echoed_in_a_few_characters() {
    let t = TempDir::new("drift");
    let text = mutate(
        r#""protocol": { "kind": "independent" }"#,
        r#""clocks": { "drift_ppm": 1e308, "overrides": [{ "subsystem": 1, "drift_ppm": -1.5e300 }] },
  "protocol": { "kind": "independent" }"#,
    );
    let p = t.write("s.json", &text);
    let out = rcsim(&["validate", p.to_str().expect("utf-8")]);
    out.assert_usage_error(&[
        "at `clocks.drift_ppm`: expected a drift between 0 and 1000 ppm, got 1e308\n",
        "at `clocks.overrides[0].drift_ppm`: expected a drift between -1000 and 1000 ppm, got \
         -1.5e300\n",
    ]);
    assert!(out.stderr.lines().all(|l| l.len() < 200), "{}", out.stderr);
    for (set, fragment) in [
        (
            "primary_lan.loss=1e308",
            "expected a probability between 0 and 1, got 1e308\n",
        ),
        (
            r#"primary_lan.latency={"kind":"lognormal","median":"1ms","sigma":-1e300}"#,
            "sigma must be a finite number >= 0, got -1e300\n",
        ),
    ] {
        let out = rcsim(&["run", "scenarios/patent-example.json", "--set", set]);
        out.assert_usage_error(&[fragment]);
        assert!(out.stderr.len() < 300, "{}", out.stderr);
    }
}
