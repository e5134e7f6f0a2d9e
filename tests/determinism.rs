//! Determinism: a scenario and a seed fix the whole run (trace hash, result JSON, trace file);
//! different seeds of a random scenario give different runs.

use crate::common;

use common::*;

#[test]
fn figure1_twice_gives_identical_results() {
    for protocol in ["independent", "sync"] {
        let a = rcsim(&["run", FIGURE1, "--protocol", protocol, "--json"]);
        let b = rcsim(&["run", FIGURE1, "--protocol", protocol, "--json"]);
        assert_eq!(a.code, b.code, "{protocol}");
        assert_eq!(trace_hash(&a.json()), trace_hash(&b.json()), "{protocol}");
        assert_eq!(a.stdout, b.stdout, "{protocol}: result JSON differs");
    }
}

#[test]
fn different_protocols_give_different_traces() {
    let ind = run_json(FIGURE1, &["--protocol", "independent"], EXIT_VIOLATION);
    let sync = run_json(FIGURE1, &["--protocol", "sync"], EXIT_OK);
    assert_ne!(trace_hash(&ind), trace_hash(&sync));
}

#[test]
fn trace_files_are_identical_across_runs() {
    let t = TempDir::new("trace_twice");
    let (a, b) = (t.join("a.jsonl"), t.join("b.jsonl"));
    for p in [&a, &b] {
        rcsim(&[
            "run".as_ref(),
            RANDOM_PAIRS.as_ref(),
            "--seed".as_ref(),
            "11".as_ref(),
            "--trace".as_ref(),
            p.as_os_str(),
        ])
        .assert_no_panic();
    }
    let (ta, tb) = (
        std::fs::read(&a).expect("trace a"),
        std::fs::read(&b).expect("trace b"),
    );
    assert!(!ta.is_empty());
    assert!(ta == tb, "two runs of the same seed wrote different traces");
}

#[test]
fn writing_a_trace_does_not_change_the_result() {
    let t = TempDir::new("trace_neutral");
    let path = t.join("trace.jsonl");
    let plain = run_json(RANDOM_PAIRS, &["--seed", "4"], EXIT_VIOLATION);
    let traced = run_json(
        RANDOM_PAIRS,
        &[
            "--seed",
            "4",
            "--trace",
            path.to_str().expect("utf-8 temp path"),
        ],
        EXIT_VIOLATION,
    );
    assert_eq!(plain, traced);
    assert!(!read_trace(&path).is_empty());
}

#[test]
fn random_pairs_each_seed_repeats_its_hash_and_seeds_differ() {
    let seeds = ["1", "2", "3", "42"];
    let mut hashes = Vec::new();
    for seed in seeds {
        let a = rcsim(&["run", RANDOM_PAIRS, "--seed", seed, "--json"]);
        let b = rcsim(&["run", RANDOM_PAIRS, "--seed", seed, "--json"]);
        a.assert_no_panic();
        assert_eq!(a.code, b.code, "seed {seed}");
        let (ra, rb) = (a.json(), b.json());
        assert_eq!(
            ra["seed"],
            seed.parse::<u64>().expect("seed"),
            "seed {seed}"
        );
        assert_eq!(
            trace_hash(&ra),
            trace_hash(&rb),
            "seed {seed} did not repeat"
        );
        assert_eq!(a.stdout, b.stdout, "seed {seed}: result JSON differs");
        hashes.push(trace_hash(&ra));
    }
    let mut distinct = hashes.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        seeds.len(),
        "different seeds gave the same trace hash: {hashes:?}"
    );
}

#[test]
fn random_pairs_default_seed_is_the_scenarios() {
    let r = run_json(RANDOM_PAIRS, &[], EXIT_VIOLATION);
    assert_eq!(r["seed"], 7);
    let explicit = run_json(RANDOM_PAIRS, &["--seed", "7"], EXIT_VIOLATION);
    assert_eq!(r, explicit);
}

#[test]
fn random_pairs_independent_finds_dependent_write_violations() {
    let r = run_json(RANDOM_PAIRS, &["--seed", "1"], EXIT_VIOLATION);
    assert_eq!(r["protocol"], "independent");
    assert_eq!(r["consistent"], false);
    assert_eq!(r["disaster_ns"], 80_000_000);
    let v = &r["violations"][0];
    assert_eq!(v["kind"], "dependent-write");
    assert_ne!(v["missing"], v["present"]);
    assert!(r["writes"]["issued"].as_u64().expect("issued") > 100);
}

#[test]
fn random_pairs_under_sync_never_violates() {
    for seed in ["1", "2", "3", "42"] {
        let r = run_json(
            RANDOM_PAIRS,
            &["--seed", seed, "--protocol", "sync"],
            EXIT_OK,
        );
        assert_eq!(r["protocol"], "sync");
        assert_eq!(r["consistent"], true, "seed {seed}");
        assert!(r["violations"].as_array().is_some_and(Vec::is_empty));
        assert_eq!(
            r["rpo"]["lost_writes"], 0,
            "seed {seed}: sync loses nothing"
        );
    }
}

#[test]

fn the_trace_hash_covers_write_volumes() {
    let t = TempDir::new("hash_volume");
    let two_volumes = mutate(
        r#""volumes_per_subsystem": 1"#,
        r#""volumes_per_subsystem": 2"#,
    );
    let v0 = t.write("v0.json", &two_volumes);
    let v1 = t.write(
        "v1.json",
        &two_volumes.replacen(
            r#"{ "label": "a", "subsystem": 1 }"#,
            r#"{ "label": "a", "subsystem": 1, "volume": 1 }"#,
            1,
        ),
    );
    let (t0, t1) = (t.join("v0.jsonl"), t.join("v1.jsonl"));
    let r0 = run_json(&v0, &["--trace", t0.to_str().expect("utf-8")], EXIT_OK);
    let r1 = run_json(&v1, &["--trace", t1.to_str().expect("utf-8")], EXIT_OK);
    assert_ne!(
        read_trace(&t0),
        read_trace(&t1),
        "the write went to another volume"
    );
    assert_ne!(
        trace_hash(&r0),
        trace_hash(&r1),
        "different traces, same trace_hash"
    );
}
