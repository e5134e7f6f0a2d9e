//! Property test: valid scenarios from `scenarios/`, mutated as an attacker would (numbers to
//! extremes, counts to u32::MAX and u64::MAX, huge and malformed times, fields removed, values
//! swapped), never make rcsim panic or abort; each either is refused with messages (exit 2) or
//! runs within its limits to a verdict (exit 0, 1 or 3). It runs the library's
//! load-validate-simulate path in-process, with small budgets so 2,000 cases stay quick.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use serde_json::{json, Value};

use rcsim::scenario::parse_in;
use rcsim::sim::{simulate, RunOptions};

/// Events a mutated run may take: enough to reach faults, small enough for 2,000 cases.
const MAX_EVENTS: u64 = 4_000;

/// Every committed scenario, as JSON (read once).
fn scenarios() -> &'static [(PathBuf, Value)] {
    static ALL: std::sync::OnceLock<Vec<(PathBuf, Value)>> = std::sync::OnceLock::new();
    ALL.get_or_init(read_scenarios)
}

fn read_scenarios() -> Vec<(PathBuf, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut v: Vec<(PathBuf, Value)> = std::fs::read_dir(&dir)
        .expect("scenarios/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read");
            let value = serde_json::from_str(&text).expect("committed scenarios are JSON");
            (p, value)
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// The JSON paths of every value in `v` (objects' keys and arrays' indexes), parents first.
fn paths(v: &Value, here: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(here.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                here.push(json!(k));
                paths(x, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                here.push(json!(i));
                paths(x, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(v: &'a mut Value, path: &[Value]) -> Option<&'a mut Value> {
    let mut cur = v;
    for step in path {
        cur = match step {
            Value::String(k) => cur.get_mut(k.as_str())?,
            Value::Number(i) => cur.get_mut(usize::try_from(i.as_u64()?).ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// The hostile values a mutation puts in place.
fn extreme(k: u8) -> Value {
    match k % 22 {
        0 => json!(0),
        1 => json!(u32::MAX),
        2 => json!(u64::MAX),
        3 => json!(-1),
        4 => json!(1e308),
        5 => json!(-1e308),
        6 => json!(0.5),
        7 => json!("18446744073709551615ns"),
        8 => json!("1e30s"),
        9 => json!("NaN"),
        10 => json!(""),
        11 => json!(null),
        12 => json!("0ns"),
        13 => json!("1ns"),
        14 => json!("584y"),
        15 => json!(65535),
        16 => json!(4294967296u64),
        17 => json!([]),
        18 => json!({}),
        19 => json!("-5ms"),
        20 => json!("inf"),
        _ => json!(true),
    }
}

/// Applies one mutation, chosen by `kind`, at the path chosen by `pick` (and `other`).
fn mutate(v: &mut Value, kind: u8, pick: usize, other: usize, value: u8) {
    let mut all = Vec::new();
    paths(v, &mut Vec::new(), &mut all);
    let path = all[pick % all.len()].clone();
    match kind % 4 {
        // Replace a value with an extreme one.
        0 | 1 => {
            if let Some(x) = at(v, &path) {
                *x = extreme(value);
            }
        }
        // Remove a field or an array element.
        2 => {
            if let Some((last, parent)) = path.split_last() {
                match (at(v, parent), last) {
                    (Some(Value::Object(m)), Value::String(k)) => {
                        m.remove(k);
                    }
                    (Some(Value::Array(a)), Value::Number(i)) => {
                        let i = i.as_u64().unwrap_or(0) as usize;
                        if i < a.len() {
                            a.remove(i);
                        }
                    }
                    _ => {}
                }
            }
        }
        // Copy one value over another, anywhere in the document.
        _ => {
            let from = all[other % all.len()].clone();
            let copied = at(v, &from).cloned();
            if let (Some(c), Some(x)) = (copied, at(v, &path)) {
                *x = c;
            }
        }
    }
}

/// Runs one mutated scenario; panics (failing the property) on anything outside the contract.
fn check(base_dir: &Path, mut v: Value) -> Result<(), TestCaseError> {
    // Tight limits keep every run short; mutations of `limits` themselves are kept if smaller.
    let cap = |x: Option<&Value>, max: u64| x.and_then(Value::as_u64).map_or(max, |n| n.min(max));
    if let Some(o) = v.as_object_mut() {
        let limits = o.get("limits").cloned().unwrap_or(json!({}));
        let events = cap(limits.get("max_events"), MAX_EVENTS);
        o.insert(
            "limits".into(),
            json!({"max_events": events, "max_sim_time": "120s"}),
        );
    } else {
        // Not an object: must be refused.
        let text = v.to_string();
        prop_assert!(parse_in("m.json", &text, &[], base_dir).is_err());
        return Ok(());
    }
    let text = v.to_string();
    match parse_in("m.json", &text, &[], base_dir) {
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(!msg.trim().is_empty(), "a refusal must say why");
        }
        Ok(sc) => {
            let r = simulate(&sc, sc.seed, &RunOptions::default());
            let r = match r {
                Ok(r) => r,
                // A trace-file workload failing during the run is bad input (exit 2).
                Err(e) => {
                    prop_assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
                    return Ok(());
                }
            };
            prop_assert!(
                r.events <= sc.limits.max_events.saturating_add(1),
                "{} events against a budget of {}",
                r.events,
                sc.limits.max_events
            );
            prop_assert_eq!(r.consistent, r.violations.is_empty());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config {
        cases: 2000,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x005e_ed13),
        max_shrink_iters: 200,
        ..Config::default()
    })]

    #[test]
    fn mutated_scenarios_never_panic_and_stay_within_limits(
        which in any::<usize>(),
        muts in prop::collection::vec((any::<u8>(), any::<usize>(), any::<usize>(), any::<u8>()), 1..4),
    ) {
        let all = scenarios();
        let (path, mut v) = all[which % all.len()].clone();
        for (kind, pick, other, value) in muts {
            mutate(&mut v, kind, pick, other, value);
        }
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        check(&dir, v)?;
    }
}
