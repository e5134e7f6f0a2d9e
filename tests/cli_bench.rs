//! `rcsim bench --quick --json`: every figure the contract names is there and positive. Speed
//! itself is never asserted (CONTRACT.md: the benchmark is the place for speed figures).

use crate::common;

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
fn quick_bench_json_has_every_contract_figure_and_the_scaling_axes() {
    let out = rcsim(&["bench", "--quick", "--scaling", "--json"]);
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

    assert_eq!(v["campaign"]["failed"], 0, "the default campaign passes");

    let axis = |name: &str, key: &str| -> Vec<u64> {
        let points = v["scaling"][name].as_array().expect("a scaling axis");
        for p in points {
            positive(p, "events_per_s");
            assert_eq!(p["consistent"], Value::Bool(true), "{p:#}");
        }
        points
            .iter()
            .map(|p| p[key].as_u64().expect("an integer"))
            .collect()
    };
    assert_eq!(axis("pairs", "pairs"), vec![2, 16, 128]);
    assert_eq!(
        axis("writes", "target_writes"),
        vec![1_000, 10_000, 100_000]
    );
    positive(&v, "scaling.pairs_spread");
    positive(&v, "scaling.writes_spread");

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
    assert!(
        !text.contains("over pairs"),
        "scaling is measured only with --scaling"
    );
}
