//! `rcsim shrink` on a mutant's failure from a multi-pair swarm seed: fewer pairs (renumbered),
//! fewer faults, events and writes, a description saying what it was shrunk from, and a
//! reproducer that replays to the same failure. All through the real binary.

use crate::common;

use common::*;

#[test]
fn a_multi_pair_mutant_failure_shrinks_to_fewer_pairs_and_still_replays() {
    let dir = TempDir::new("shrink");
    let out = dir.join("campaign");
    let out = out.to_str().unwrap();
    let fuzz = rcsim(&[
        "fuzz",
        "--seeds",
        "1",
        "--mutant",
        "no-rendezvous",
        "--jobs",
        "1",
        "--out",
        out,
    ]);
    fuzz.assert_code(EXIT_VIOLATION).assert_no_panic();
    let repro = format!("{out}/repro/seed-0.json");
    let original: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&repro).unwrap()).unwrap();
    let pairs = original["scenario"]["topology"]["pairs"].as_u64().unwrap();
    assert!(
        pairs > 2,
        "seed 0 is a multi-pair swarm seed ({pairs} pairs)"
    );

    let shrunk = dir.join("shrunk.json");
    let s = rcsim(&[
        "shrink",
        &repro,
        "--json",
        "--out",
        shrunk.to_str().unwrap(),
    ]);
    s.assert_code(EXIT_VIOLATION).assert_no_panic();
    let v = s.json();
    let (before, after) = (&v["before"], &v["after"]);
    assert_eq!(before["pairs"].as_u64(), Some(pairs));
    for what in ["pairs", "events", "writes"] {
        assert!(
            after[what].as_u64() < before[what].as_u64(),
            "fewer {what}: {v}"
        );
    }
    assert!(after["faults"].as_u64() <= before["faults"].as_u64(), "{v}");
    assert!(v["attempts"].as_u64().unwrap() > 20, "it kept going: {v}");
    assert_eq!(v["still_fails"]["kind"], "dependent-write");

    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&shrunk).unwrap()).unwrap();
    let sc = &file["scenario"];
    assert_eq!(sc["topology"]["pairs"], after["pairs"]);
    let description = sc["description"].as_str().unwrap();
    assert!(
        description.starts_with("Shrunk by rcsim shrink from `fuzz-base-seed-0`"),
        "{description}"
    );
    let masters = ["primary_master", "secondary_master"];
    for m in masters {
        assert!(
            sc["protocol"][m].as_u64() <= sc["topology"]["pairs"].as_u64(),
            "{m} renumbered"
        );
    }
    let valid = rcsim(&["validate", shrunk.to_str().unwrap()]);
    valid.assert_code(EXIT_OK);

    let replay = rcsim(&["replay", shrunk.to_str().unwrap(), "--json"]);
    replay.assert_code(EXIT_VIOLATION).assert_no_panic();
    let r = replay.json();
    assert_eq!(r["violations"][0]["kind"], "dependent-write");
    assert_eq!(r["trace_hash"], file["expected"]["trace_hash"]);
}
