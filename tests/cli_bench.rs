//! `rcsim bench --quick --json`: every figure the contract names is there and positive. Speed
//! itself is never asserted (CONTRACT.md: the benchmark is the place for speed figures).

mod common;

use common::{rcsim, EXIT_OK};
use serde_json::Value;

fn positive(v: &Value, path: &str) -> f64 {
    let mut here = v;
    for seg in path.split('.') {
        here = &here[seg];
    }
    let x = here
        .as_f64()
        .unwrap_or_else(|| panic!("`{path}` is missing or not a number in {v:#}"));
    assert!(x > 0.0, "`{path}` = {x} is not positive");
    x
}

#[test]
fn quick_bench_json_has_every_contract_figure() {
    let out = rcsim(&["bench", "--quick", "--json"]);
    out.assert_code(EXIT_OK);
    let v = out.json();

    let hold = v["hold"].as_array().expect("hold is an array");
    let pending: Vec<u64> = hold
        .iter()
        .map(|h| h["pending"].as_u64().expect("pending is an integer"))
        .collect();
    assert_eq!(pending, vec![1_000, 10_000, 100_000, 1_000_000]);
    for h in hold {
        positive(h, "ns_per_event");
    }

    positive(&v, "pingpong.events");
    positive(&v, "pingpong.events_per_s");

    positive(&v, "standard.events");
    positive(&v, "standard.events_per_s");
    positive(&v, "standard.ratio_to_hold");
    assert_eq!(v["standard"]["consistent"], Value::Bool(true));

    positive(&v, "campaign.seeds");
    let cores = positive(&v, "campaign.cores");
    assert!(cores >= 1.0);
    positive(&v, "campaign.seeds_per_s_one_core");
    positive(&v, "campaign.seeds_per_s_all_cores");
    assert_eq!(
        v["campaign"]["identical"],
        Value::Bool(true),
        "all cores reproduce one core's trace hashes"
    );

    if cfg!(target_os = "linux") {
        positive(&v, "peak_rss_bytes");
    } else {
        assert!(v["peak_rss_bytes"].is_u64());
    }
}

#[test]
fn quick_bench_table_names_each_workload() {
    let out = rcsim(&["bench", "--quick"]);
    out.assert_code(EXIT_OK);
    let text = &out.stdout;
    for word in ["hold", "pingpong", "standard", "campaign", "peak memory"] {
        assert!(text.contains(word), "`{word}` missing from\n{text}");
    }
}
