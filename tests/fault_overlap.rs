//! Overlapping network faults on one pair link, through the real binary and its trace: two
//! outages keep the link down until the later one ends, two latency spikes add their delays,
//! two bandwidth drops multiply their factors. One pair, fixed service times and a fixed 1 ms
//! link latency at 1 MB/s, so every delay in the trace is exact.

use crate::common;

use serde_json::Value;

use common::*;

const MS: u64 = 1_000_000;

/// One pair under `independent`, writes of 1000 B every 20 ms from 10 ms to 90 ms (`w10` ...
/// `w90`), each on its own block, so each crosses an idle link: its delay is its transfer at
/// the link's bandwidth plus the link's latency, whatever the faults add.
const SCENARIO: &str = r#"{
  "name": "fault-overlap",
  "description": "Writes every 20 ms over one pair link with fixed latency and bandwidth.",
  "seed": 3,
  "duration": "120ms",
  "topology": { "pairs": 1, "volumes_per_subsystem": 1, "blocks_per_volume": 16 },
  "subsystems": { "write_time": "100us", "copy_time": "0ns", "apply_time": "10us" },
  "links": { "latency": "1ms", "bandwidth": "1MB/s" },
  "workloads": [
    { "kind": "script", "writes": [
        { "label": "w10", "subsystem": 1, "block": 0, "at": "10ms", "size": "1000B" },
        { "label": "w30", "subsystem": 1, "block": 1, "at": "30ms", "size": "1000B" },
        { "label": "w50", "subsystem": 1, "block": 2, "at": "50ms", "size": "1000B" },
        { "label": "w70", "subsystem": 1, "block": 3, "at": "70ms", "size": "1000B" },
        { "label": "w90", "subsystem": 1, "block": 4, "at": "90ms", "size": "1000B" }
    ] }
  ],
  "protocol": { "kind": "independent" }
}"#;

/// The writes, by label.
const WRITES: [&str; 5] = ["w10", "w30", "w50", "w70", "w90"];

/// Runs [`SCENARIO`] with `faults` (a JSON array) and returns its trace.
fn trace(t: &TempDir, faults: &str) -> Vec<Value> {
    let scenario = t.write("scenario.json", SCENARIO);
    let trace = t.join("trace.jsonl");
    rcsim(&[
        "run".as_ref(),
        scenario.as_os_str(),
        "--set".as_ref(),
        format!("faults={faults}").as_ref(),
        "--trace".as_ref(),
        trace.as_os_str(),
    ])
    .assert_code(EXIT_OK)
    .assert_no_panic();
    read_trace(&trace)
}

/// The write a stream segment's `detail` (`seq 2: w50 stamp 0`) carries.
fn label_of(line: &Value) -> Option<&str> {
    let detail = line["detail"].as_str()?;
    detail.split_once(": ")?.1.split(' ').next()
}

/// When write `label` was first put on the link, and when it first arrived at its secondary.
fn crossing(lines: &[Value], label: &str) -> (u64, u64) {
    let first = |ev: &str| {
        lines
            .iter()
            .find(|l| l["ev"] == ev && l["msg"] == "write" && label_of(l) == Some(label))
            .and_then(|l| l["t"].as_u64())
            .unwrap_or_else(|| panic!("no {ev} of {label}"))
    };
    (first("ship"), first("deliver"))
}

/// Each write's delay over the link (first arrival less first send), in [`WRITES`] order.
fn delays(lines: &[Value]) -> Vec<u64> {
    WRITES
        .iter()
        .map(|w| {
            let (sent, arrived) = crossing(lines, w);
            arrived - sent
        })
        .collect()
}

/// Spikes of 3 ms (20-60 ms) and 5 ms (40-80 ms): a write sent while both are in force takes
/// both extras, one sent under one takes that one's, and the first spike's end leaves the
/// second's in force.
#[test]
fn overlapping_latency_spikes_on_a_link_add_their_delays() {
    let t = TempDir::new("spikes");
    let calm = delays(&trace(&t, "[]"));
    let spiked = delays(&trace(
        &t,
        r#"[{"kind":"latency_spike","target":"link","pair":1,"at":"20ms","for":"40ms","extra":"3ms"},
            {"kind":"latency_spike","target":"link","pair":1,"at":"40ms","for":"40ms","extra":"5ms"}]"#,
    ));
    assert!(
        calm.iter().all(|&d| d == calm[0]),
        "identical writes over an idle link take the same time: {calm:?}"
    );
    let extra: Vec<u64> = spiked.iter().zip(&calm).map(|(s, c)| s - c).collect();
    assert_eq!(extra, [0, 3 * MS, 8 * MS, 5 * MS, 0], "delays {spiked:?}");
}

/// Drops to 50% (20-60 ms) and 25% (40-80 ms) of 1 MB/s: a write sent while both are in force
/// goes at 12.5%, eight times as long on the wire; under one drop two or four times as long.
#[test]
fn overlapping_bandwidth_drops_on_a_link_multiply_their_factors() {
    let t = TempDir::new("drops");
    let wire = |delays: Vec<u64>| -> Vec<u64> { delays.iter().map(|d| d - MS).collect() };
    let calm = wire(delays(&trace(&t, "[]")));
    let narrowed = wire(delays(&trace(
        &t,
        r#"[{"kind":"bandwidth_drop","pair":1,"at":"20ms","for":"40ms","factor":0.5},
            {"kind":"bandwidth_drop","pair":1,"at":"40ms","for":"40ms","factor":0.25}]"#,
    )));
    // 1000 B and the message's header at 1 MB/s: a microsecond a byte.
    let base = calm[0];
    assert!(base >= 1000 * 1000, "{calm:?}");
    assert_eq!(calm, [base; 5]);
    assert_eq!(narrowed, [base, 2 * base, 8 * base, 4 * base, base]);
}

/// Outages 20-40 ms and 25-65 ms: nothing crosses the link in either direction from the first
/// outage's start until the later one ends, though the primary keeps sending after the first
/// ends; the writes sent meanwhile arrive after 65 ms, resent.
#[test]
fn of_overlapping_link_outages_the_later_end_brings_the_link_back() {
    let t = TempDir::new("outages");
    let lines = trace(
        &t,
        r#"[{"kind":"link_outage","pair":1,"at":"20ms","for":"20ms"},
            {"kind":"link_outage","pair":1,"at":"25ms","for":"40ms"}]"#,
    );
    let crosses = |l: &Value| {
        let (from, to) = (l["from"].as_str(), l["to"].as_str());
        let arrived = l["ev"] == "deliver" || l["was"] == "deliver";
        let sites = |a: &str, b: &str| a.starts_with('P') != b.starts_with('P');
        arrived && from.zip(to).is_some_and(|(a, b)| sites(a, b))
    };
    let arrivals: Vec<u64> = lines
        .iter()
        .filter(|l| crosses(l))
        .map(|l| l["t"].as_u64().expect("t"))
        .collect();
    let during: Vec<u64> = arrivals
        .iter()
        .copied()
        .filter(|t| (20 * MS..=65 * MS).contains(t))
        .collect();
    assert!(
        during.is_empty(),
        "arrivals while a link outage was in force: {during:?}"
    );
    let sent_alone: Vec<u64> = lines
        .iter()
        .filter(|l| l["ev"] == "ship" && l["msg"] == "write")
        .map(|l| l["t"].as_u64().expect("t"))
        .filter(|t| (40 * MS..65 * MS).contains(t))
        .collect();
    assert!(
        !sent_alone.is_empty(),
        "the primary must send while only the later outage holds, or this checks nothing"
    );
    for w in ["w30", "w50"] {
        let (_, arrived) = crossing(&lines, w);
        assert!(
            arrived > 65 * MS,
            "{w} arrived at {arrived} ns, before the link came back"
        );
    }
    let (sent, arrived) = crossing(&lines, "w90");
    assert_eq!(
        arrived - sent,
        delays(&trace(&t, "[]"))[4],
        "after both outages the link is as before"
    );
}
