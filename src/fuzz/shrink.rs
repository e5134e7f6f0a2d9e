//! Shrinking a failing reproducer: greedy delta debugging over the resolved scenario. Each step
//! tries one kind of simplification (drop pairs, renumbering the rest; drop a fault or a
//! workload; shorten the run and its drain; turn distributions into constants; calm the network;
//! slow the workloads; shrink transactions; cut scripted writes) and keeps a candidate when it
//! still validates and still fails with a violation of the same kind. Passes repeat until one
//! changes nothing, or the run budget is spent, or a signal asks it to stop: then the smallest
//! failing candidate found so far is the result, so an interrupted shrink keeps its progress.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};

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

/// Why a reproducer has nothing to shrink.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unshrinkable {
    /// Its scenario does not validate.
    Invalid,
    /// It runs to its end and the checker finds it consistent.
    Consistent,
    /// A resource limit stops it before its end, with no violation found by then (a campaign
    /// keeps such seeds' reproducers too). Shrinking one would mean running every candidate to
    /// the same limit, so it is refused with what stopped it.
    Budget {
        /// Which limit, as the result's `budget` names it (`events`, `sim_time`,
        /// `writes_in_flight`, `events_pending`).
        which: String,
        /// Events processed when it stopped.
        events: u64,
        /// Simulated nanoseconds reached when it stopped.
        sim_ns: u64,
    },
    /// A signal (or the caller's progress) stopped it before its first run, of the reproducer
    /// as it is, was done.
    Stopped,
}

/// What [`shrink`] tells its caller as it goes.
#[derive(Debug)]
pub enum Progress<'a> {
    /// Run `n` starts (1 for the reproducer as it is).
    Run(u64),
    /// A smaller case that still fails the same way: the result so far.
    Smaller(&'a Repro),
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
    /// True when a signal (or the caller's progress) stopped the shrinking before its passes
    /// were done: `repro` is the smallest failing candidate found until then (and its
    /// description is left as it was).
    pub stopped: bool,
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

/// Runs `scenario` under `seed` (`None`: it does not validate, or `stop` cut the run short).
fn attempt(scenario: &Value, seed: u64, stop: Option<&AtomicBool>) -> Option<(Value, RunResult)> {
    let sc = parse("candidate", &scenario.to_string(), &[]).ok()?;
    let opts = RunOptions {
        stop,
        ..RunOptions::default()
    };
    let r = simulate(&sc, seed, &opts).ok()?;
    let resolved = serde_json::to_value(&sc).ok()?;
    Some((resolved, r))
}

fn fails_with(r: &RunResult, kind: &str) -> bool {
    r.violations.iter().any(|v| v.kind == kind)
}

/// One kind of simplification: the candidates it offers for a scenario, best first.
type Step = fn(&Value) -> Vec<Value>;

/// The simplifications, in the order each pass tries them: the ones that remove the most first.
const STEPS: [Step; 10] = [
    pair_drops,
    fault_drops,
    workload_drops,
    shorter_duration,
    shorter_drain,
    constant_distributions,
    calmer_network,
    slower_workloads,
    smaller_transactions,
    script_cuts,
];

/// The steps that may shrink a failure of `kind`. A shorter drain judges the copy sooner, which
/// turns any copy still under way into a liveness failure: not a smaller case of this one.
fn steps_for(kind: &str) -> impl Iterator<Item = Step> + '_ {
    STEPS
        .into_iter()
        .enumerate()
        .filter(move |&(i, _)| !(kind == "liveness" && i == SHORTER_DRAIN))
        .map(|(_, step)| step)
}

/// The position of `shorter_drain` in [`STEPS`].
const SHORTER_DRAIN: usize = 4;

fn len(s: &Value, key: &str) -> usize {
    s[key].as_array().map_or(0, Vec::len)
}

/// `s` without element `i` of its array `key`.
fn without(s: &Value, key: &str, i: usize) -> Value {
    let mut c = s.clone();
    if let Some(a) = c[key].as_array_mut() {
        a.remove(i);
    }
    c
}

/// The upper half of the pairs dropped at once, then each pair alone, highest first.
fn pair_drops(s: &Value) -> Vec<Value> {
    let pairs = s["topology"]["pairs"].as_u64().unwrap_or(1);
    let mut out = Vec::new();
    if pairs >= 4 {
        let mut c = s.clone();
        for p in (pairs / 2 + 1..=pairs).rev() {
            c = drop_pair(&c, p);
        }
        out.push(c);
    }
    if pairs > 1 {
        out.extend((1..=pairs).rev().map(|p| drop_pair(s, p)));
    }
    out
}

fn fault_drops(s: &Value) -> Vec<Value> {
    (0..len(s, "faults"))
        .map(|i| without(s, "faults", i))
        .collect()
}

fn workload_drops(s: &Value) -> Vec<Value> {
    match len(s, "workloads") {
        n if n > 1 => (0..n).map(|i| without(s, "workloads", i)).collect(),
        _ => Vec::new(),
    }
}

/// Halves a duration field given as a string, down to `floor` ns.
fn halved(s: &Value, key: &str, floor: u64) -> Vec<Value> {
    let Some(d) = parse_ns(&s[key]).filter(|&d| d >= 2 * floor) else {
        return Vec::new();
    };
    let mut c = s.clone();
    c[key] = json!(format!("{}ns", d / 2));
    vec![c]
}

fn shorter_duration(s: &Value) -> Vec<Value> {
    halved(s, "duration", 1_000_000)
}

/// A drain of 1 ms outright, else half the drain.
fn shorter_drain(s: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    if parse_ns(&s["drain"]).is_some_and(|d| d > 2_000_000) {
        let mut c = s.clone();
        c["drain"] = json!("1ms");
        out.push(c);
    }
    out.extend(halved(s, "drain", 500_000));
    out
}

/// Every distribution made a constant at once, then section by section.
fn constant_distributions(s: &Value) -> Vec<Value> {
    let mut out = vec![constants(s)];
    if let Some(m) = s.as_object() {
        for (k, v) in m {
            let c = constants(v);
            if &c != v {
                let mut whole = s.clone();
                whole[k] = c;
                out.push(whole);
            }
        }
    }
    out.retain(|c| c != s);
    out
}

fn calmer_network(s: &Value) -> Vec<Value> {
    let calm = calm_network(s);
    if &calm == s {
        Vec::new()
    } else {
        vec![calm]
    }
}

fn slower_workloads(s: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for i in 0..len(s, "workloads") {
        if let Some(rate) = s["workloads"][i]["rate"].as_str().and_then(halve_rate) {
            let mut c = s.clone();
            c["workloads"][i]["rate"] = json!(rate);
            out.push(c);
        }
    }
    out
}

/// A DBMS with one transaction in flight, and one data write per transaction.
fn smaller_transactions(s: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for i in 0..len(s, "workloads") {
        for key in ["in_flight", "data_writes"] {
            if s["workloads"][i][key].as_u64().is_some_and(|n| n > 1) {
                let mut c = s.clone();
                c["workloads"][i][key] = json!(1);
                out.push(c);
            }
        }
    }
    out
}

/// Each script's last write, when no other write waits for it.
fn script_cuts(s: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for i in 0..len(s, "workloads") {
        if let Some(writes) = s["workloads"][i]["writes"]
            .as_array()
            .filter(|w| w.len() > 1)
        {
            let label = writes[writes.len() - 1]["label"].clone();
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
    out
}

/// Drops pair `p` (from 1): everything that names it goes, and every higher subsystem or pair
/// number moves down by one, in faults, overrides, workloads and the masters.
fn drop_pair(s: &Value, p: u64) -> Value {
    let mut c = s.clone();
    let pairs = c["topology"]["pairs"].as_u64().unwrap_or(1);
    c["topology"]["pairs"] = json!(pairs.saturating_sub(1));
    for key in ["primary_master", "secondary_master"] {
        if let Some(m) = c["protocol"][key].as_u64() {
            c["protocol"][key] = json!(match m {
                m if m == p => 1,
                m if m > p => m - 1,
                m => m,
            });
        }
    }
    renumber(&mut c, p);
    c
}

/// Renumbers the subsystem and pair numbers in `v` past dropped pair `p`, removing from every
/// array the elements that name `p`; says whether `v` itself names `p` (so its container
/// drops it).
fn renumber(v: &mut Value, p: u64) -> bool {
    let Some(m) = v.as_object_mut() else {
        return false;
    };
    let mut names = false;
    for (k, x) in m.iter_mut() {
        match (k.as_str(), x) {
            ("subsystem" | "pair", n @ Value::Number(_)) => match n.as_u64() {
                Some(k) if k == p => names = true,
                Some(k) if k > p => *n = json!(k - 1),
                _ => {}
            },
            ("isolate", Value::Array(a)) => {
                a.retain(|e| e.as_u64() != Some(p));
                for e in a.iter_mut() {
                    if let Some(n) = e.as_u64().filter(|&n| n > p) {
                        *e = json!(n - 1);
                    }
                }
                names |= a.is_empty();
            }
            (_, Value::Array(a)) => a.retain_mut(|e| !renumber(e, p)),
            (_, o @ Value::Object(_)) => names |= renumber(o, p),
            _ => {}
        }
    }
    names
}

fn parse_ns(v: &Value) -> Option<u64> {
    v.as_str()?
        .parse::<crate::scenario::units::Duration>()
        .ok()
        .map(|d| d.as_ns())
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
/// trying at most `max_attempts` runs. Each pass tries every kind of simplification, keeping
/// each one that still fails (and trying that kind again on the result); passes repeat until
/// one changes nothing. The shrunk scenario's `description` says what it was shrunk from.
/// An error if the reproducer does not fail to begin with, saying why.
///
/// `progress` hears of every run before it starts and of every smaller failing case as it is
/// found (so a caller can save each, and a shrink killed outright still leaves its best so far);
/// it answers [`ControlFlow::Break`] to stop the shrinking there (a save that failed). Once
/// `stop` is set the run under way ends and no other starts. Either way the result is the
/// smallest failing case found until then (see [`Shrunk::stopped`]).
pub fn shrink(
    repro: &Repro,
    max_attempts: u64,
    stop: Option<&AtomicBool>,
    progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
) -> Result<Shrunk, Unshrinkable> {
    let seed = repro.seed;
    let mut halted = progress(Progress::Run(1)).is_break();
    let asked = || stop.is_some_and(|s| s.load(Ordering::Relaxed));
    if halted {
        return Err(Unshrinkable::Stopped);
    }
    let (mut best, first) = match attempt(&repro.scenario, seed, stop) {
        Some(a) => a,
        None if asked() => return Err(Unshrinkable::Stopped),
        None => return Err(Unshrinkable::Invalid),
    };
    let Some(kind) = first.violations.first().map(|v| v.kind.clone()) else {
        return Err(match &first.budget {
            Some(which) => Unshrinkable::Budget {
                which: which.clone(),
                events: first.events,
                sim_ns: first.sim_ns,
            },
            None => Unshrinkable::Consistent,
        });
    };
    let before = size_of(&best, &first);
    let mut best_result = first;
    let mut attempts = 1;
    'passes: loop {
        let mut changed = false;
        for step in steps_for(&kind) {
            'again: loop {
                for c in step(&best) {
                    if attempts >= max_attempts || asked() {
                        break 'passes;
                    }
                    attempts += 1;
                    if progress(Progress::Run(attempts)).is_break() {
                        halted = true;
                        break 'passes;
                    }
                    if let Some((resolved, r)) = attempt(&c, seed, stop) {
                        if fails_with(&r, &kind) && resolved != best {
                            best = resolved;
                            best_result = r;
                            let so_far = Repro::new(seed, best.clone(), &best_result);
                            if progress(Progress::Smaller(&so_far)).is_break() {
                                halted = true;
                                break 'passes;
                            }
                            changed = true;
                            continue 'again;
                        }
                    }
                }
                break;
            }
        }
        if !changed {
            break;
        }
    }
    let after = size_of(&best, &best_result);
    let stopped = halted || asked();
    if after != before && !stopped {
        let mut described = best.clone();
        described["description"] = json!(format!(
            "Shrunk by rcsim shrink from `{}` at seed {seed} ({before}) to {after}. It was: {}",
            repro.scenario["name"].as_str().unwrap_or("?"),
            repro.scenario["description"].as_str().unwrap_or("")
        ));
        // The description does not enter the run, but the recorded verdict comes from running
        // exactly what is written.
        if let Some((resolved, r)) = attempt(&described, seed, stop) {
            if fails_with(&r, &kind) {
                best = resolved;
                best_result = r;
            }
        }
    }
    Ok(Shrunk {
        repro: Repro::new(seed, best, &best_result),
        before,
        after,
        attempts,
        stopped: stopped || asked(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Override;

    #[test]
    fn a_liveness_failure_is_never_shrunk_by_a_shorter_drain() {
        let s = json!({"drain": "1s"});
        assert!(
            !STEPS[SHORTER_DRAIN](&s).is_empty(),
            "SHORTER_DRAIN names shorter_drain"
        );
        assert_eq!(STEPS[SHORTER_DRAIN](&s), shorter_drain(&s));
        assert_eq!(steps_for("liveness").count(), STEPS.len() - 1);
        assert!(steps_for("liveness").all(|step| step(&s) != shorter_drain(&s)));
        assert_eq!(steps_for("dependent-write").count(), STEPS.len());
    }

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
    fn dropping_a_middle_pair_renumbers_the_ones_above_it() {
        let v = json!({"topology": {"pairs": 4},
            "faults": [{"kind": "link_outage", "pair": 4, "at": "1ms", "for": "1ms"},
                       {"kind": "partition", "site": "primary", "isolate": [2, 3], "at": "1ms",
                        "for": "1ms"},
                       {"kind": "partition", "site": "primary", "isolate": [2], "at": "1ms",
                        "for": "1ms"}],
            "workloads": [{"kind": "dbms", "log": {"subsystem": 3}, "data": [{"subsystem": 2}]},
                          {"kind": "dbms", "log": {"subsystem": 2}, "data": [{"subsystem": 1}]}],
            "subsystems": {"overrides": [{"subsystem": 2}, {"subsystem": 4}]},
            "protocol": {"primary_master": 4, "secondary_master": 1}});
        let c = drop_pair(&v, 2);
        assert_eq!(c["topology"]["pairs"], json!(3));
        assert_eq!(c["faults"][0]["pair"], json!(3));
        assert_eq!(c["faults"][1]["isolate"], json!([2]));
        assert_eq!(
            c["faults"].as_array().map(Vec::len),
            Some(2),
            "an empty partition goes"
        );
        assert_eq!(c["workloads"][0]["log"], json!({"subsystem": 2}));
        assert_eq!(
            c["workloads"].as_array().map(Vec::len),
            Some(1),
            "its log was on pair 2"
        );
        assert_eq!(c["subsystems"]["overrides"], json!([{"subsystem": 3}]));
        assert_eq!(c["protocol"]["primary_master"], json!(3));
        assert_eq!(c["protocol"]["secondary_master"], json!(1));
    }

    #[test]
    fn a_run_without_a_violation_says_whether_it_ended_or_hit_its_budget() {
        let text = include_str!("../../scenarios/random-pairs.json");
        let set = |s: &str| Override::parse(s).expect("override");
        let checkpoint = set("protocol.kind=checkpoint");
        let sc = parse("random-pairs", text, std::slice::from_ref(&checkpoint)).expect("valid");
        let r = simulate(&sc, 7, &RunOptions::default()).expect("runs");
        assert!(r.consistent, "the patent's protocol holds here");
        let repro = Repro::new(7, serde_json::to_value(&sc).expect("json"), &r);
        assert_eq!(
            shrink(&repro, 200, None, &mut |_| ControlFlow::Continue(())).err(),
            Some(Unshrinkable::Consistent)
        );

        let cut = parse(
            "random-pairs",
            text,
            &[checkpoint, set("limits.max_events=500")],
        )
        .expect("valid");
        let r = simulate(&cut, 7, &RunOptions::default()).expect("runs");
        assert!(r.budget_exhausted && r.violations.is_empty());
        let repro = Repro::new(7, serde_json::to_value(&cut).expect("json"), &r);
        assert_eq!(
            shrink(&repro, 200, None, &mut |_| ControlFlow::Continue(())).err(),
            Some(Unshrinkable::Budget {
                which: "events".into(),
                events: 500,
                sim_ns: r.sim_ns,
            })
        );
    }

    #[test]
    fn a_stopped_shrink_keeps_the_smallest_failing_case_found() {
        let text = include_str!("../../scenarios/random-pairs.json");
        let sc = parse("random-pairs", text, &[]).expect("valid");
        let r = simulate(&sc, 7, &RunOptions::default()).expect("runs");
        let repro = Repro::new(7, serde_json::to_value(&sc).expect("json"), &r);
        let stop = AtomicBool::new(true);
        assert_eq!(
            shrink(&repro, 200, Some(&stop), &mut |_| ControlFlow::Continue(())).err(),
            Some(Unshrinkable::Stopped),
            "stopped before the reproducer's own run"
        );

        // The signal comes as the fifth run starts: that run ends at once, no other starts.
        let stop = AtomicBool::new(false);
        let mut seen = Vec::new();
        let mut smaller = Vec::new();
        let s = shrink(&repro, 200, Some(&stop), &mut |p| {
            match p {
                Progress::Run(n) => {
                    seen.push(n);
                    if n == 5 {
                        stop.store(true, Ordering::Relaxed);
                    }
                }
                Progress::Smaller(r) => smaller.push(r.clone()),
            }
            ControlFlow::Continue(())
        })
        .expect("it fails, so it shrinks");
        assert_eq!(seen, [1, 2, 3, 4, 5]);
        let last = smaller
            .last()
            .expect("a smaller case was found in four runs");
        assert_eq!(last.expected.trace_hash, s.repro.expected.trace_hash);
        assert_eq!(
            last.scenario, s.repro.scenario,
            "the last one heard of is the result"
        );
        assert!(s.stopped);
        assert_eq!(s.attempts, 5);
        assert!(
            s.after.pairs < s.before.pairs,
            "{} -> {}",
            s.before,
            s.after
        );
        assert_replays_failing(&s.repro);
        assert!(
            !s.repro.scenario["description"]
                .as_str()
                .unwrap_or("")
                .starts_with("Shrunk"),
            "the description is left as it was"
        );

        // A caller whose save failed stops it at the first smaller case, which is the result.
        let mut first = None;
        let s = shrink(&repro, 200, None, &mut |p| match p {
            Progress::Smaller(r) => {
                first = Some(r.clone());
                ControlFlow::Break(())
            }
            Progress::Run(_) => ControlFlow::Continue(()),
        })
        .expect("it fails, so it shrinks");
        assert!(s.stopped);
        assert_eq!(Some(s.repro), first);

        let unstopped =
            shrink(&repro, 200, None, &mut |_| ControlFlow::Continue(())).expect("shrinks");
        assert!(!unstopped.stopped && unstopped.attempts > 5);
    }

    #[test]
    fn figure1_under_independent_shrinks_and_still_fails() {
        let text = include_str!("../../scenarios/random-pairs.json");
        let sc = parse("random-pairs", text, &[]).expect("valid");
        let r = simulate(&sc, 7, &RunOptions::default()).expect("runs");
        assert!(!r.consistent, "the independent protocol fails here");
        let repro = Repro::new(7, serde_json::to_value(&sc).expect("json"), &r);
        let s = shrink(&repro, 200, None, &mut |_| ControlFlow::Continue(()))
            .expect("it fails, so it shrinks");
        assert!(!s.repro.expected.consistent);
        assert!(s.after.json_bytes <= s.before.json_bytes);
        assert!(
            s.after.events < s.before.events,
            "{} -> {}",
            s.before,
            s.after
        );
        assert_replays_failing(&s.repro);
    }

    /// `repro` replays to the trace hash it records, and fails.
    fn assert_replays_failing(repro: &Repro) {
        let again = repro.scenario("shrunk").expect("valid");
        let r = simulate(&again, repro.seed, &RunOptions::default()).expect("runs");
        assert_eq!(r.trace_hash, repro.expected.trace_hash);
        assert!(!r.consistent, "what is kept still fails");
    }
}
