//! A campaign: many seeds, each a generated scenario run and checked, spread over worker threads.
//! Results come back in seed order whatever the number of workers, a reproducer is written the
//! moment a failing seed is found, and a stop flag (Ctrl-C) ends the campaign cleanly.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::effect::{in_effect, touched, InEffect};
use super::gen::{description, generate, GenOptions, Generated};
use super::identity::{CampaignIdentity, ShardMeasure};
use super::line::ResultLine;
use super::repro::Repro;
use super::swarm::names;
use crate::result::RunResult;
use crate::scenario::{parse, Override, Scenario};
use crate::sim::{simulate, RunOptions};

/// Everything a campaign needs.
#[derive(Clone, Debug)]
pub struct Campaign {
    /// The base the scenarios are drawn around.
    pub base: Scenario,
    /// The seeds to run, in order.
    pub seeds: Seeds,
    /// Worker threads.
    pub jobs: usize,
    /// What the generator may draw.
    pub gen: GenOptions,
    /// Applied to every generated scenario (`--set`, `--protocol`, `--mutant`).
    pub overrides: Vec<Override>,
    /// Where reproducers go (`DIR/repro`), if anywhere.
    pub repro_dir: Option<PathBuf>,
    /// Run every seed twice and flag any difference in trace hash.
    pub check_determinism: bool,
}

/// What one seed gave.
#[derive(Clone, Debug)]
pub struct SeedOutcome {
    /// The seed.
    pub seed: u64,
    /// Its result, or why its scenario was rejected (a generator bug, or a bad `--set`).
    pub result: Result<RunResult, String>,
    /// With `check_determinism`: the second run's trace hash when it differed.
    pub nondeterministic: Option<String>,
    /// Where its reproducer was written.
    pub repro: Option<PathBuf>,
    /// Why its reproducer could not be written (a full disk, a FIFO planted at its name), as a
    /// message naming the file: a campaign that loses a reproducer must say so.
    pub repro_error: Option<String>,
    /// The fault kinds in effect in the scenario it ran (after the campaign's `--set`s; none
    /// when its scenario was rejected).
    pub swarm: Vec<&'static str>,
    /// The fault kinds it drew that a `--set` pinned away, so that they stay in view.
    pub swarm_pinned_off: Vec<&'static str>,
    /// The assumptions its scenario lifted (`--outside-assumptions`).
    pub lifted: Vec<&'static str>,
}

/// The campaign's totals, as `summary.json` holds them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The rcsim version that ran the campaign (trace hashes depend on it).
    #[serde(default)]
    pub rcsim_version: crate::version::Version,
    /// Seeds run.
    pub seeds: u64,
    /// Seeds whose every check passed.
    pub passed: u64,
    /// Seeds with at least one violation.
    pub failed: u64,
    /// Seeds stopped by their event or time budget (never counted as passed).
    pub budget_exhausted: u64,
    /// Seeds whose scenario was rejected.
    pub invalid: u64,
    /// Violations found, by kind (a seed counts once per kind).
    pub violations_by_kind: BTreeMap<String, u64>,
    /// The failing seeds, in order.
    pub failing_seeds: Vec<u64>,
    /// The seeds stopped by their budget, in order, each with a reproducer like a failing one's
    /// (absent when none were, as in older summaries).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub budget_seeds: Vec<u64>,
    /// Seeds whose two runs differed (with `--check-determinism`).
    pub nondeterministic_seeds: Vec<u64>,
    /// The campaign's coverage: for each fault kind, the seeds whose scenario had it in effect.
    pub swarm: BTreeMap<String, u64>,
    /// For each fault kind, the seeds that drew it but ran without it, a `--set` having pinned
    /// it away (absent when none did, as in every campaign without `--set`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub swarm_pinned_off: BTreeMap<String, u64>,
    /// For each assumption `--outside-assumptions` lifted, the failing seeds that lifted it.
    pub failures_by_assumption: BTreeMap<String, u64>,
    /// Events processed in all.
    pub events: u64,
    /// Wall-clock seconds the campaign took (absent from a merged summary: see `shards`).
    #[serde(default, skip_serializing_if = "is_unmeasured")]
    pub elapsed_s: f64,
    /// Events per wall-clock second (absent from a merged summary: see `shards`).
    #[serde(default, skip_serializing_if = "is_unmeasured")]
    pub events_per_s: f64,
    /// Seeds per wall-clock second (absent from a merged summary: see `shards`).
    #[serde(default, skip_serializing_if = "is_unmeasured")]
    pub seeds_per_s: f64,
    /// Worker threads.
    pub jobs: usize,
    /// True when the campaign was stopped before its last seed (also what a campaign's summary
    /// says until it finishes, so a killed campaign's summary does not claim to be whole).
    pub interrupted: bool,
    /// Which campaign this is, for `--merge` and `--resume` (absent in older summaries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<CampaignIdentity>,
    /// Seeds kept from an earlier, interrupted process of this campaign (`--resume`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub resumed_seeds: u64,
    /// Events of the resumed seeds (not this process's work, so not in its rates).
    #[serde(skip)]
    pub resumed_events: u64,
    /// A merged summary: what each shard measured (the top-level rates are then absent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<ShardMeasure>,
    /// A merge with `--allow-partial`: the shards (1-based) missing or unfinished.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_shards: Vec<u64>,
    /// True when this summary covers only part of its campaign (`--merge --allow-partial`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
}

fn is_unmeasured(x: &f64) -> bool {
    *x == 0.0
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Counts one more. A count of seeds cannot reach `u64::MAX` (no campaign runs that many), so
/// it saturates instead of wrapping: a count is never smaller than what it counted.
fn bump(n: &mut u64) {
    *n = n.saturating_add(1);
}

impl Summary {
    /// Counts a seed's fault kinds (those in effect and those pinned off), and if it failed, the
    /// assumptions it lifted.
    pub fn cover<'a>(
        &mut self,
        swarm: impl IntoIterator<Item = &'a str>,
        pinned_off: impl IntoIterator<Item = &'a str>,
        lifted: impl IntoIterator<Item = &'a str>,
        failed: bool,
    ) {
        for k in swarm {
            bump(self.swarm.entry(k.to_string()).or_default());
        }
        for k in pinned_off {
            bump(self.swarm_pinned_off.entry(k.to_string()).or_default());
        }
        if failed {
            for a in lifted {
                bump(
                    self.failures_by_assumption
                        .entry(a.to_string())
                        .or_default(),
                );
            }
        }
    }

    /// Adds one seed's outcome. A run's events cannot approach `u64::MAX` in any campaign's
    /// lifetime, so their total saturates rather than fail a campaign that ran.
    pub fn add(&mut self, o: &SeedOutcome) {
        bump(&mut self.seeds);
        if o.nondeterministic.is_some() {
            self.nondeterministic_seeds.push(o.seed);
        }
        let failed = matches!(&o.result, Ok(r) if !r.consistent);
        self.cover(
            o.swarm.iter().copied(),
            o.swarm_pinned_off.iter().copied(),
            o.lifted.iter().copied(),
            failed,
        );
        match &o.result {
            Err(_) => bump(&mut self.invalid),
            Ok(r) => {
                self.events = self.events.saturating_add(r.events);
                let kinds = r.violations.iter().map(|v| v.kind.as_str()).collect();
                self.verdict(o.seed, kinds, !r.consistent, r.budget_exhausted);
            }
        }
    }

    /// Counts a run's violation kinds (a seed once per kind) and its verdict: failed, stopped
    /// by its budget, or passed. One rule for seeds run here and lines read back.
    fn verdict(&mut self, seed: u64, mut kinds: Vec<&str>, failed: bool, budget: bool) {
        kinds.sort_unstable();
        kinds.dedup();
        for k in kinds {
            bump(self.violations_by_kind.entry(k.to_string()).or_default());
        }
        if failed {
            bump(&mut self.failed);
            self.failing_seeds.push(seed);
        } else if budget {
            bump(&mut self.budget_exhausted);
            self.budget_seeds.push(seed);
        } else {
            bump(&mut self.passed);
        }
    }

    /// Adds one seed as its `results.jsonl` line holds it (for `--resume` and `--merge`). The
    /// line comes from a file anyone may have edited, so a line whose `events` would carry the
    /// total past `u64::MAX` is refused (the error says so) rather than wrapped or clamped into a
    /// total that lies; the summary is then left unchanged.
    pub fn add_line(&mut self, line: &ResultLine) -> Result<(), String> {
        if let Ok(r) = &line.result {
            self.events = self.events.checked_add(r.events).ok_or_else(|| {
                format!(
                    "`events` is {}, which carries the campaign's total of {} past the largest \
                     count ({})",
                    r.events,
                    self.events,
                    u64::MAX
                )
            })?;
        }
        bump(&mut self.seeds);
        let d = &line.drawn;
        self.cover(
            d.swarm.iter().map(String::as_str),
            d.swarm_pinned_off.iter().map(String::as_str),
            d.assumptions_lifted.iter().map(String::as_str),
            line.failed(),
        );
        match &line.result {
            Err(_) => bump(&mut self.invalid),
            Ok(r) => {
                let kinds = r.violations.iter().map(|v| v.kind.as_str()).collect();
                self.verdict(line.seed, kinds, !r.consistent, r.budget_exhausted);
            }
        }
        Ok(())
    }

    /// Sets the rates from the elapsed wall-clock time (of this process's seeds only).
    pub fn finish(&mut self, elapsed_s: f64, jobs: usize, interrupted: bool) {
        self.elapsed_s = elapsed_s;
        self.jobs = jobs;
        self.interrupted = interrupted;
        if elapsed_s > 0.0 {
            let events = self.events.saturating_sub(self.resumed_events);
            let seeds = self.seeds.saturating_sub(self.resumed_seeds);
            self.events_per_s = events as f64 / elapsed_s;
            self.seeds_per_s = seeds as f64 / elapsed_s;
        }
        self.failing_seeds.sort_unstable();
        self.budget_seeds.sort_unstable();
        self.nondeterministic_seeds.sort_unstable();
    }
}

/// A seed's scenario as it runs: generated, overridden and checked.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The scenario.
    pub scenario: Scenario,
    /// The same, as the JSON that a reproducer stores.
    pub json: serde_json::Value,
    /// The fault kinds in effect in it, and those the seed drew that a `--set` pinned away.
    pub effect: InEffect,
}

/// The scenario of `seed`, generated and checked, with the JSON that a reproducer stores.
pub fn scenario_for(
    base: &Scenario,
    seed: u64,
    gen: GenOptions,
    overrides: &[Override],
) -> Result<(Scenario, serde_json::Value), String> {
    let r = scenario_of(
        &base.name,
        &generate(base, seed, gen, overrides),
        seed,
        overrides,
    )?;
    Ok((r.scenario, r.json))
}

/// `g`, drawn for `seed` around the base named `base`, with `overrides` applied and checked.
/// Its description names the fault kinds in effect (the same as drawn when no `--set` touched
/// them), unless a `--set` wrote the description itself.
fn scenario_of(
    base: &str,
    g: &Generated,
    seed: u64,
    overrides: &[Override],
) -> Result<Resolved, String> {
    let text = serde_json::to_string(&g.scenario).map_err(|e| e.to_string())?;
    let mut sc = parse(&format!("seed {seed}"), &text, overrides).map_err(|e| e.to_string())?;
    let effect = in_effect(&g.swarm, &sc, overrides);
    if !touched(overrides, &["description"]) {
        sc.description = description(base, seed, &effect.swarm, &effect.pinned_off, &g.lifted);
    }
    let json = serde_json::to_value(&sc).map_err(|e| e.to_string())?;
    Ok(Resolved {
        scenario: sc,
        json,
        effect,
    })
}

/// Runs one seed: generate, simulate, check, and write a reproducer if it failed or its budget
/// stopped it (a run that never ends is a finding too, and its scenario is otherwise nowhere).
pub fn run_seed(c: &Campaign, seed: u64) -> SeedOutcome {
    let g = generate(&c.base, seed, c.gen, &c.overrides);
    let outcome = |result, effect: &InEffect| SeedOutcome {
        seed,
        result,
        nondeterministic: None,
        repro: None,
        repro_error: None,
        swarm: names(&effect.swarm),
        swarm_pinned_off: names(&effect.pinned_off),
        lifted: g.lifted.clone(),
    };
    let Resolved {
        scenario: sc,
        json,
        effect,
    } = match scenario_of(&c.base.name, &g, seed, &c.overrides) {
        Ok(x) => x,
        Err(e) => return outcome(Err(e), &InEffect::default()),
    };
    let result = match simulate(&sc, seed, &RunOptions::default()) {
        Ok(r) => r,
        Err(e) => return outcome(Err(e.to_string()), &effect),
    };
    let nondeterministic = if c.check_determinism {
        match simulate(&sc, seed, &RunOptions::default()) {
            Ok(again) if again.trace_hash == result.trace_hash => None,
            Ok(again) => Some(again.trace_hash),
            Err(e) => Some(e.to_string()),
        }
    } else {
        None
    };
    let (mut repro, mut repro_error) = (None, None);
    if let Some(dir) = &c.repro_dir {
        if !result.consistent || nondeterministic.is_some() || result.budget_exhausted {
            let path = dir.join(super::repro::file_name(seed));
            let mut r = Repro::new(seed, json, &result);
            r.assumptions_lifted = g.lifted.iter().map(|a| a.to_string()).collect();
            match r.write_own(&path) {
                Ok(()) => repro = Some(path),
                Err(e) => repro_error = Some(format!("{}: {e}", path.display())),
            }
        }
    }
    SeedOutcome {
        nondeterministic,
        repro,
        repro_error,
        ..outcome(Ok(result), &effect)
    }
}

/// The seeds a campaign runs: those of a half-open range whose index is k-1 modulo n (shard k of
/// n; 1 of 1 is the whole range). Computed on demand, so a range of billions costs nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seeds {
    range: std::ops::Range<u64>,
    k: u64,
    n: u64,
}

impl Seeds {
    /// Shard `k` of `n` (1-based) of `range`.
    pub fn shard(range: std::ops::Range<u64>, k: u64, n: u64) -> Self {
        let n = n.max(1);
        Seeds {
            range,
            k: k.clamp(1, n),
            n,
        }
    }

    /// Every seed of `range`.
    pub fn all(range: std::ops::Range<u64>) -> Self {
        Self::shard(range, 1, 1)
    }

    /// How many seeds there are.
    pub fn len(&self) -> u64 {
        let span = self.range.end.saturating_sub(self.range.start);
        span.saturating_sub(self.k - 1).div_ceil(self.n)
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when `seed` is one of these seeds.
    pub fn contains(&self, seed: u64) -> bool {
        self.range.contains(&seed) && (seed - self.range.start) % self.n == self.k - 1
    }

    /// The `i`-th seed, in order.
    pub fn get(&self, i: usize) -> Option<u64> {
        let i = i as u64;
        (i < self.len()).then(|| self.range.start + self.k - 1 + i * self.n)
    }
}

/// The seeds of `range` that shard `k` of `n` (1-based) runs, listed.
pub fn shard(range: std::ops::Range<u64>, k: u64, n: u64) -> Vec<u64> {
    let s = Seeds::shard(range, k, n);
    (0..s.len() as usize).filter_map(|i| s.get(i)).collect()
}

/// The JSON line `results.jsonl` holds for one outcome: the result (or the error), the fault
/// kinds in effect in its scenario (`swarm`), those its seed drew that a `--set` pinned away
/// (`swarm_pinned_off`, only when there are some, so that a campaign without `--set` writes
/// what it always did) and the assumptions it lifted (`assumptions_lifted`).
pub fn result_line(o: &SeedOutcome) -> String {
    let mut v = match &o.result {
        Ok(r) => serde_json::to_value(r).unwrap_or_default(),
        Err(e) => serde_json::json!({"seed": o.seed, "error": e}),
    };
    if let Some(m) = v.as_object_mut() {
        m.insert("swarm".into(), serde_json::json!(o.swarm));
        if !o.swarm_pinned_off.is_empty() {
            m.insert(
                "swarm_pinned_off".into(),
                serde_json::json!(o.swarm_pinned_off),
            );
        }
        m.insert("assumptions_lifted".into(), serde_json::json!(o.lifted));
    }
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_computed_not_stored() {
        let s = Seeds::shard(0..10_000_000_000, 3, 4);
        assert_eq!(s.len(), 2_500_000_000);
        assert_eq!(s.get(0), Some(2));
        assert_eq!(s.get(1), Some(6));
        assert_eq!(s.get(2_499_999_999), Some(9_999_999_998));
        assert_eq!(s.get(2_500_000_000), None);
        assert_eq!(Seeds::shard(0..3, 3, 4).len(), 1);
        assert!(Seeds::shard(0..2, 3, 4).is_empty());
        assert!(s.contains(6) && !s.contains(7) && !s.contains(10_000_000_002));
    }

    /// The line a campaign writes for seed 0 of the patent's example, its `events` set.
    fn line_with_events(events: u64) -> ResultLine {
        let text = include_str!("../../scenarios/patent-example.json");
        let sc = parse("patent-example", text, &[]).expect("valid");
        let mut r = simulate(&sc, 0, &RunOptions::default()).expect("runs");
        r.events = events;
        let o = SeedOutcome {
            seed: 0,
            result: Ok(r),
            nondeterministic: None,
            repro: None,
            repro_error: None,
            swarm: Vec::new(),
            swarm_pinned_off: Vec::new(),
            lifted: Vec::new(),
        };
        ResultLine::parse(result_line(&o).as_bytes()).expect("its own line reads back")
    }

    #[test]
    fn a_line_that_would_wrap_the_events_total_is_refused() {
        let line = line_with_events(u64::MAX);
        let mut s = Summary::default();
        s.add_line(&line).expect("the first fits");
        let e = s.add_line(&line).expect_err("the second wraps");
        assert!(e.contains("`events`"), "{e}");
        assert_eq!((s.seeds, s.events), (1, u64::MAX), "left unchanged");
    }

    #[test]
    fn lines_count_their_pinned_off_kinds_and_older_lines_none() {
        let mut s = Summary::default();
        let pinned = br#"{"seed": 0, "error": "x", "swarm": ["lan-loss"],
            "swarm_pinned_off": ["disaster", "clock-step"], "assumptions_lifted": []}"#;
        let older = br#"{"seed": 1, "error": "x", "swarm": ["lan-loss", "disaster"],
            "assumptions_lifted": []}"#;
        for line in [&pinned[..], &older[..]] {
            let line = ResultLine::parse(line).expect("a line");
            s.add_line(&line).expect("fits");
        }
        assert_eq!((s.seeds, s.invalid), (2, 2));
        let count = |m: &BTreeMap<String, u64>, k: &str| m.get(k).copied().unwrap_or(0);
        assert_eq!(count(&s.swarm, "lan-loss"), 2);
        assert_eq!(count(&s.swarm, "disaster"), 1);
        assert_eq!(count(&s.swarm_pinned_off, "disaster"), 1);
        assert_eq!(count(&s.swarm_pinned_off, "clock-step"), 1);
        let text = serde_json::to_string(&Summary::default()).expect("JSON");
        assert!(
            !text.contains("swarm_pinned_off"),
            "absent when none: {text}"
        );
        let back: Summary = serde_json::from_str(&text).expect("an older summary reads");
        assert!(back.swarm_pinned_off.is_empty());
    }

    #[test]
    fn shards_partition_the_range() {
        let all: Vec<u64> = (10..30).collect();
        let mut union: Vec<u64> = (1..=3).flat_map(|k| shard(10..30, k, 3)).collect();
        union.sort_unstable();
        assert_eq!(union, all);
        assert_eq!(shard(10..20, 2, 4), vec![11, 15, 19]);
    }

    #[test]
    fn a_resolved_scenario_round_trips_through_its_json() {
        let text = crate::fuzz::DEFAULT_BASE;
        let base = parse("base", text, &[]).expect("valid base");
        for seed in 0..30 {
            let (sc, json) = scenario_for(&base, seed, GenOptions::default(), &[])
                .expect("generated scenarios are valid");
            let again = parse("again", &json.to_string(), &[]).expect("round trip");
            assert_eq!(
                serde_json::to_value(&again).expect("serialises"),
                serde_json::to_value(&sc).expect("serialises"),
                "seed {seed}"
            );
        }
    }
}
