//! Shrinking a failing reproducer: delta debugging over the resolved scenario. Each step tries one
//! simplification (drop a fault, a workload, a pair; shorten the run; turn distributions into
//! constants; calm the network; cut scripted writes) and keeps it when the run still fails with a
//! violation of the same kind. It stops when no simplification keeps the failure.

use serde_json::{json, Value};

use super::repro::Repro;
use crate::result::RunResult;
use crate::scenario::parse;
use crate::sim::{simulate, RunOptions};

/// How big a scenario is, to show what shrinking bought.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Size {
    /// Events the run processed.
    pub events: u64,
    /// Host writes issued.
    pub writes: u64,
    /// Pairs.
    pub pairs: u64,
    /// Faults.
    pub faults: u64,
    /// Workloads.
    pub workloads: u64,
    /// Bytes of the scenario's JSON.
    pub json_bytes: u64,
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} events, {} writes, {} pairs, {} faults, {} workloads, {} bytes of JSON",
            self.events, self.writes, self.pairs, self.faults, self.workloads, self.json_bytes
        )
    }
}

/// What shrinking did.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The smaller reproducer.
    pub repro: Repro,
    /// Size before.
    pub before: Size,
    /// Size after.
    pub after: Size,
    /// Runs tried.
    pub attempts: u64,
}

fn size_of(scenario: &Value, r: &RunResult) -> Size {
    let count = |k: &str| scenario[k].as_array().map_or(0, |a| a.len() as u64);
    Size {
        events: r.events,
        writes: r.writes.issued,
        pairs: scenario["topology"]["pairs"].as_u64().unwrap_or(0),
        faults: count("faults"),
        workloads: count("workloads"),
        json_bytes: scenario.to_string().len() as u64,
    }
}

/// Runs `scenario` under `seed`; `None` if it is not a valid scenario.
fn attempt(scenario: &Value, seed: u64) -> Option<(Value, RunResult)> {
    let sc = parse("candidate", &scenario.to_string(), &[]).ok()?;
    let r = simulate(&sc, seed, &RunOptions::default()).ok()?;
    let resolved = serde_json::to_value(&sc).ok()?;
    Some((resolved, r))
}

fn fails_with(r: &RunResult, kind: &str) -> bool {
    r.violations.iter().any(|v| v.kind == kind)
}

/// Each candidate simplification of `s`, in the order they are tried.
fn candidates(s: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let len = |k: &str| s[k].as_array().map_or(0, Vec::len);
    for i in 0..len("faults") {
        let mut c = s.clone();
        if let Some(a) = c["faults"].as_array_mut() {
            a.remove(i);
        }
        out.push(c);
    }
    if len("workloads") > 1 {
        for i in 0..len("workloads") {
            let mut c = s.clone();
            if let Some(a) = c["workloads"].as_array_mut() {
                a.remove(i);
            }
            out.push(c);
        }
    }
    if let Some(p) = s["topology"]["pairs"].as_u64().filter(|&p| p > 1) {
        out.push(drop_pair(s, p));
    }
    if let Some(c) = halve_duration(s) {
        out.push(c);
    }
    for i in 0..len("workloads") {
        let mut c = s.clone();
        if let Some(rate) = c["workloads"][i]["rate"].as_str().and_then(halve_rate) {
            c["workloads"][i]["rate"] = json!(rate);
            out.push(c);
        }
        if let Some(writes) = s["workloads"][i]["writes"]
            .as_array()
            .filter(|w| w.len() > 1)
        {
            let last = writes.len() - 1;
            let label = writes[last]["label"].clone();
            let needed = writes
                .iter()
                .any(|w| w["after"].as_array().is_some_and(|a| a.contains(&label)));
            if !needed {
                let mut c = s.clone();
                if let Some(a) = c["workloads"][i]["writes"].as_array_mut() {
                    a.pop();
                }
                out.push(c);
            }
        }
    }
    let calm = calm_network(s);
    if &calm != s {
        out.push(calm);
    }
    let constant = constants(s);
    if &constant != s {
        out.push(constant);
    }
    out
}

/// Drops the highest pair and everything that refers to it.
fn drop_pair(s: &Value, pairs: u64) -> Value {
    let mut c = s.clone();
    c["topology"]["pairs"] = json!(pairs - 1);
    let refers =
        |v: &Value| v["subsystem"].as_u64() == Some(pairs) || v["pair"].as_u64() == Some(pairs);
    for path in ["/faults", "/subsystems/overrides", "/links/overrides"] {
        if let Some(a) = c.pointer_mut(path).and_then(Value::as_array_mut) {
            a.retain(|v| !refers(v));
        }
    }
    if let Some(ws) = c["workloads"].as_array_mut() {
        for w in ws.iter_mut() {
            for key in ["volumes", "data"] {
                if let Some(a) = w[key].as_array_mut() {
                    a.retain(|v| !refers(v));
                }
            }
        }
    }
    for key in ["primary_master", "secondary_master"] {
        if c["protocol"][key].as_u64() == Some(pairs) {
            c["protocol"][key] = json!(1);
        }
    }
    c
}

fn parse_ns(v: &Value) -> Option<u64> {
    v.as_str()?
        .parse::<crate::scenario::units::Duration>()
        .ok()
        .map(|d| d.as_ns())
}

fn halve_duration(s: &Value) -> Option<Value> {
    let d = parse_ns(&s["duration"])?;
    if d < 2_000_000 {
        return None;
    }
    let mut c = s.clone();
    c["duration"] = json!(format!("{}ns", d / 2));
    Some(c)
}

fn halve_rate(rate: &str) -> Option<String> {
    let r: crate::scenario::units::OpsRate = rate.parse().ok()?;
    (r.per_sec() > 2.0).then(|| format!("{}/s", r.per_sec() / 2.0))
}

/// No loss, no duplication, one path, no drift.
fn calm_network(s: &Value) -> Value {
    let mut c = s.clone();
    for lan in ["primary_lan", "secondary_lan", "links"] {
        if c[lan].is_object() {
            c[lan]["loss"] = json!(0.0);
            c[lan]["duplicate"] = json!(0.0);
        }
    }
    if c["links"].is_object() {
        c["links"]["paths"] = json!(1);
    }
    if c["clocks"].is_object() {
        c["clocks"]["drift_ppm"] = json!(0.0);
    }
    c
}

/// Every distribution replaced by a constant (its minimum, median, mean or first value).
fn constants(s: &Value) -> Value {
    match s {
        Value::Object(m) => {
            let kind = m.get("kind").and_then(Value::as_str);
            let pick = match kind {
                Some("uniform") => m.get("min"),
                Some("exponential") | Some("normal") => m.get("mean"),
                Some("lognormal") => m.get("median"),
                Some("empirical") => m.get("values").and_then(|v| v.get(0)),
                _ => None,
            };
            match pick {
                Some(v) if v.is_string() => v.clone(),
                _ => Value::Object(m.iter().map(|(k, v)| (k.clone(), constants(v))).collect()),
            }
        }
        Value::Array(a) => Value::Array(a.iter().map(constants).collect()),
        other => other.clone(),
    }
}

/// Shrinks `repro` while it still fails with a violation of the kind it first failed with,
/// trying at most `max_attempts` runs. `None` if the reproducer does not fail to begin with.
pub fn shrink(repro: &Repro, max_attempts: u64) -> Option<Shrunk> {
    let seed = repro.seed;
    let (mut best, first) = attempt(&repro.scenario, seed)?;
    let kind = first.violations.first()?.kind.clone();
    let before = size_of(&best, &first);
    let mut best_result = first;
    let mut attempts = 1;
    'outer: loop {
        for c in candidates(&best) {
            if attempts >= max_attempts {
                break 'outer;
            }
            attempts += 1;
            if let Some((resolved, r)) = attempt(&c, seed) {
                if fails_with(&r, &kind) && resolved != best {
                    best = resolved;
                    best_result = r;
                    continue 'outer;
                }
            }
        }
        break;
    }
    let after = size_of(&best, &best_result);
    Some(Shrunk {
        repro: Repro::new(seed, best, &best_result),
        before,
        after,
        attempts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_replace_distributions_only() {
        let v = json!({"latency": {"kind": "uniform", "min": "1ms", "max": "2ms"},
                       "blocks": {"zipf": 1.1}, "kind": "random"});
        let c = constants(&v);
        assert_eq!(c["latency"], json!("1ms"));
        assert_eq!(c["blocks"], json!({"zipf": 1.1}));
        assert_eq!(c["kind"], json!("random"));
    }

    #[test]
    fn dropping_a_pair_drops_what_refers_to_it() {
        let v = json!({"topology": {"pairs": 3},
            "faults": [{"kind": "crash", "site": "primary", "subsystem": 3, "at": "1ms"},
                       {"kind": "disaster", "at": "5ms"}],
            "workloads": [{"kind": "random", "volumes": [{"subsystem": 3}, {"subsystem": 1}]}],
            "protocol": {"primary_master": 3}});
        let c = drop_pair(&v, 3);
        assert_eq!(c["topology"]["pairs"], json!(2));
        assert_eq!(c["faults"].as_array().map(Vec::len), Some(1));
        assert_eq!(c["workloads"][0]["volumes"], json!([{"subsystem": 1}]));
        assert_eq!(c["protocol"]["primary_master"], json!(1));
    }

    #[test]
    fn figure1_under_independent_shrinks_and_still_fails() {
        let text = include_str!("../../scenarios/random-pairs.json");
        let sc = parse("random-pairs", text, &[]).expect("valid");
        let r = simulate(&sc, 7, &RunOptions::default()).expect("runs");
        assert!(!r.consistent, "the independent protocol fails here");
        let repro = Repro::new(7, serde_json::to_value(&sc).expect("json"), &r);
        let s = shrink(&repro, 200).expect("it fails, so it shrinks");
        assert!(!s.repro.expected.consistent);
        assert!(s.after.json_bytes <= s.before.json_bytes);
        assert!(
            s.after.events < s.before.events,
            "{} -> {}",
            s.before,
            s.after
        );
        let again = s.repro.scenario("shrunk").expect("valid");
        let r2 = simulate(&again, 7, &RunOptions::default()).expect("runs");
        assert_eq!(r2.trace_hash, s.repro.expected.trace_hash);
        assert!(!r2.consistent);
    }
}
