//! Campaigns whose result lines hold unmeasured figures (`null` latencies, lags and exposures):
//! shards merge and an interrupted campaign resumes into exactly the unsharded `results.jsonl`,
//! and the campaign's reproducers replay, also as a what-if that measures nothing.

use crate::common;

use std::path::Path;

use common::{rcsim, Output, TempDir, EXIT_OK, EXIT_VIOLATION};
use serde_json::Value;

/// A disaster 1 ms into every generated scenario: seeds whose first write has not completed by
/// then measure no host write latency; the rest do, and under `independent` some fail.
const EARLY_DISASTER: &str = r#"faults=[{"kind":"disaster","at":"1ms"}]"#;
/// A disaster at 0 ns: no seed measures a latency, a lag or an exposure.
const DISASTER_AT_ZERO: &str = r#"faults=[{"kind":"disaster","at":"0ms"}]"#;

const DISTRIBUTIONS: [&str; 3] = ["host_write", "secondary_lag", "exposure"];

fn s(p: &Path) -> String {
    p.to_string_lossy().to_string()
}

/// `rcsim fuzz --seeds SEEDS --protocol independent --set SET --out DIR EXTRA...`.
fn fuzz(dir: &TempDir, seeds: &str, set: &str, extra: &[&str]) -> Output {
    let out = s(dir.path());
    let mut args = vec![
        "fuzz",
        "--seeds",
        seeds,
        "--protocol",
        "independent",
        "--set",
        set,
        "--out",
        &out,
    ];
    args.extend(extra);
    rcsim(&args)
}

fn results(dir: &TempDir) -> String {
    std::fs::read_to_string(dir.join("results.jsonl")).expect("results.jsonl")
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn repro_names(dir: &TempDir) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir.join("repro")) else {
        return Vec::new();
    };
    let mut v: Vec<String> = entries
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

fn unmeasured(line: &Value, which: &str) -> bool {
    let d = &line["latency_ns"][which];
    ["p50", "p99", "max"].iter().all(|k| d[k].is_null())
}

/// Runs the campaign whole (exit `code`), in three shards merged, and cut mid-line after the
/// first unmeasured line then resumed: all three give the same `results.jsonl`, byte for byte.
/// Returns the whole campaign's directory.
fn merges_and_resumes(name: &str, seeds: &str, set: &str, code: i32) -> TempDir {
    let whole = TempDir::new(&format!("{name}-whole"));
    fuzz(&whole, seeds, set, &[]).assert_code(code);
    let text = results(&whole);
    let all = lines(&text);
    let first_null = all
        .iter()
        .position(|l| unmeasured(l, "host_write"))
        .expect("some run completed no write");
    for l in &all {
        // Independently of the latency block: a run measures no latency iff no write completed.
        assert_eq!(
            unmeasured(l, "host_write"),
            l["writes"]["completed"] == 0,
            "{l}"
        );
    }

    let shards: Vec<TempDir> = (1..=3)
        .map(|k| {
            let d = TempDir::new(&format!("{name}-shard-{k}"));
            fuzz(&d, seeds, set, &["--shard", &format!("{k}/3")]).assert_no_panic();
            d
        })
        .collect();
    let merged = TempDir::new(&format!("{name}-merged"));
    let mut args: Vec<String> = vec!["fuzz".into(), "--merge".into()];
    args.extend(shards.iter().map(|d| s(d.path())));
    args.extend(["--out".into(), s(merged.path()), "--json".into()]);
    let o = rcsim(&args);
    o.assert_code(code).assert_no_panic();
    assert_eq!(results(&merged), text);
    assert_eq!(repro_names(&merged), repro_names(&whole));
    assert_eq!(o.json()["seeds"], all.len());

    // Killed while writing the line after the first unmeasured one.
    let cut = TempDir::new(&format!("{name}-cut"));
    let kept = first_null + 1;
    assert!(kept < all.len(), "seeds are left to resume");
    let at = text.match_indices('\n').nth(first_null).expect("a line").0 + 40;
    std::fs::write(cut.join("results.jsonl"), &text[..at]).expect("write");
    std::fs::copy(whole.join("summary.json"), cut.join("summary.json")).expect("copy");
    let o = fuzz(&cut, seeds, set, &["--resume", "--json"]);
    o.assert_code(code).assert_no_panic();
    assert_eq!(o.json()["resumed_seeds"], kept, "{}", o.stderr);
    assert_eq!(results(&cut), text);
    whole
}

#[test]
fn a_campaign_where_some_runs_measure_nothing_merges_resumes_and_replays() {
    let whole = merges_and_resumes("null-some", "0..40", EARLY_DISASTER, EXIT_VIOLATION);
    let all = lines(&results(&whole));
    let none = all.iter().filter(|l| unmeasured(l, "host_write")).count();
    assert!(0 < none && none < all.len(), "{none} of {}", all.len());

    let repros = repro_names(&whole);
    assert!(!repros.is_empty(), "independent fails some seed");
    for name in &repros {
        let path = whole.join(&format!("repro/{name}"));
        let seed: u64 = name
            .trim_start_matches("seed-")
            .trim_end_matches(".json")
            .parse()
            .expect("a seed");
        let line = all
            .iter()
            .find(|l| l["seed"] == seed)
            .expect("the seed's line");
        // A dependent-write violation needs a write that completed, so no reproducer comes from
        // a run that measured nothing: the what-if below is how a replay measures nothing.
        assert!(!unmeasured(line, "host_write"), "{line}");
        let replay = rcsim(&["replay", &s(&path), "--json"]);
        replay.assert_code(EXIT_VIOLATION).assert_no_panic();
        assert!(replay.stderr.contains("reproduced"), "{}", replay.stderr);
        // The replayed result is the campaign's line (which adds campaign-only fields).
        let r = replay.json();
        for (key, v) in r.as_object().expect("an object") {
            assert_eq!(&line[key], v, "{key} of seed {seed}");
        }

        let what_if = rcsim(&["replay", &s(&path), "--disaster-at", "0", "--json"]);
        what_if.assert_code(EXIT_OK).assert_no_panic();
        let r = what_if.json();
        for d in DISTRIBUTIONS {
            assert!(unmeasured(&r, d), "{d}: {r}");
        }
        let text = rcsim(&["replay", &s(&path), "--disaster-at", "0"]);
        text.assert_code(EXIT_OK);
        assert!(
            text.stdout
                .contains("host write latency n/a (no write completed)"),
            "{}",
            text.stdout
        );
    }
}

#[test]
fn a_campaign_where_no_run_measures_anything_merges_and_resumes() {
    let whole = merges_and_resumes("null-all", "0..12", DISASTER_AT_ZERO, EXIT_OK);
    for l in lines(&results(&whole)) {
        for d in DISTRIBUTIONS {
            assert!(unmeasured(&l, d), "{d}: {l}");
        }
    }
    assert!(repro_names(&whole).is_empty());
}
