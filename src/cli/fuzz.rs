//! `rcsim fuzz`: a campaign of generated scenarios, and `--merge` of shard outputs.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use rcsim::fuzz::campaign::{self, Campaign, SeedOutcome, Summary};
use rcsim::fuzz::gen::GenOptions;
use rcsim::output::write_atomic;
use rcsim::scenario::types::ProtocolKind;
use rcsim::scenario::{parse, Override, Scenario};

use super::{FuzzArgs, EXIT_BUDGET, EXIT_OK, EXIT_USAGE, EXIT_VIOLATION};

/// Exit code when a campaign is interrupted before finding anything.
const EXIT_INTERRUPTED: u8 = 130;

fn base(path: Option<&Path>) -> Result<Scenario, String> {
    match path {
        Some(p) => rcsim::scenario::load(p, &[]).map_err(|e| e.to_string()),
        None => {
            parse("built-in fuzz base", rcsim::fuzz::DEFAULT_BASE, &[]).map_err(|e| e.to_string())
        }
    }
}

/// Parses `A..B` (half-open).
pub fn parse_seeds(s: &str) -> Result<std::ops::Range<u64>, String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| format!("--seeds {s}: expected A..B, e.g. 0..1000"))?;
    let a: u64 = a
        .parse()
        .map_err(|_| format!("--seeds {s}: `{a}` is not a seed number"))?;
    let b: u64 = b
        .parse()
        .map_err(|_| format!("--seeds {s}: `{b}` is not a seed number"))?;
    if b <= a {
        return Err(format!(
            "--seeds {s}: expected A < B (the range is half-open)"
        ));
    }
    Ok(a..b)
}

/// Parses `K/N` with 1 ≤ K ≤ N.
pub fn parse_shard(s: &str) -> Result<(u64, u64), String> {
    let bad = || format!("--shard {s}: expected K/N with 1 <= K <= N, e.g. 2/8");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let k: u64 = k.parse().map_err(|_| bad())?;
    let n: u64 = n.parse().map_err(|_| bad())?;
    if k == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

/// The progress display: a bar on a terminal, a plain line every few seconds otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    last_line: Instant,
    total: u64,
    done: u64,
    failed: u64,
}

impl Progress {
    fn new(total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = ProgressBar::new(total);
            b.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:40}] {pos}/{len} seeds, {per_sec}, {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b
        });
        Progress {
            bar,
            started: Instant::now(),
            last_line: Instant::now(),
            total,
            done: 0,
            failed: 0,
        }
    }

    fn seen(&mut self, o: &SeedOutcome) {
        self.done += 1;
        let failed = matches!(&o.result, Ok(r) if !r.consistent);
        if failed {
            self.failed += 1;
        }
        match &self.bar {
            Some(b) => {
                b.set_message(format!("{} failing", self.failed));
                b.inc(1);
                if let (true, Some(p)) = (failed, &o.repro) {
                    b.println(format!(
                        "seed {} failed{}: {}",
                        o.seed,
                        lifted(o),
                        p.display()
                    ));
                }
            }
            None => {
                if failed {
                    let at = o.repro.as_ref().map(|p| p.display().to_string());
                    eprintln!(
                        "seed {} failed{}{}",
                        o.seed,
                        lifted(o),
                        at.map(|p| format!(": {p}")).unwrap_or_default()
                    );
                }
                if self.last_line.elapsed().as_secs() >= 5 {
                    self.last_line = Instant::now();
                    let rate = self.done as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
                    eprintln!(
                        "{}/{} seeds, {:.1} seeds/s, {} failing",
                        self.done, self.total, rate, self.failed
                    );
                }
            }
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// ` (lifted: a, b)` for a seed that lifted assumptions, else nothing.
fn lifted(o: &SeedOutcome) -> String {
    if o.lifted.is_empty() {
        String::new()
    } else {
        format!(" (lifted: {})", o.lifted.join(", "))
    }
}

fn print_summary(s: &Summary, json: bool, out: Option<&Path>) {
    if json {
        println!("{}", serde_json::to_string_pretty(s).unwrap_or_default());
        return;
    }
    println!(
        "{} seeds: {} passed, {} failed, {} hit their budget, {} invalid{}",
        s.seeds,
        s.passed,
        s.failed,
        s.budget_exhausted,
        s.invalid,
        if s.interrupted { " (interrupted)" } else { "" }
    );
    for (k, n) in &s.violations_by_kind {
        println!("  {k}: {n} seeds");
    }
    if !s.failures_by_assumption.is_empty() {
        let by: Vec<String> = s
            .failures_by_assumption
            .iter()
            .map(|(a, n)| format!("{a} {n}"))
            .collect();
        println!("  failing seeds by assumption lifted: {}", by.join(", "));
    }
    let drawn: Vec<String> = s.swarm.iter().map(|(k, n)| format!("{k} {n}")).collect();
    println!(
        "  swarm ({} fault kinds): {}",
        s.swarm.len(),
        drawn.join(", ")
    );
    if !s.failing_seeds.is_empty() {
        let shown: Vec<String> = s
            .failing_seeds
            .iter()
            .take(20)
            .map(u64::to_string)
            .collect();
        println!(
            "  failing seeds: {}{}",
            shown.join(", "),
            if s.failing_seeds.len() > 20 {
                ", ..."
            } else {
                ""
            }
        );
    }
    if !s.nondeterministic_seeds.is_empty() {
        println!("  NONDETERMINISTIC seeds: {:?}", s.nondeterministic_seeds);
    }
    println!(
        "  {:.0} events/s, {:.1} seeds/s on {} jobs, {:.1} s",
        s.events_per_s, s.seeds_per_s, s.jobs, s.elapsed_s
    );
    if let Some(dir) = out {
        println!(
            "  results: {}, reproducers: {}",
            dir.join("results.jsonl").display(),
            dir.join("repro").display()
        );
    }
}

fn exit_code(s: &Summary) -> u8 {
    if s.failed > 0 || !s.nondeterministic_seeds.is_empty() {
        EXIT_VIOLATION
    } else if s.interrupted {
        EXIT_INTERRUPTED
    } else if s.budget_exhausted > 0 || s.invalid > 0 {
        EXIT_BUDGET
    } else {
        EXIT_OK
    }
}

fn write_outputs(dir: &Path, lines: &[String], summary: &Summary) -> Result<(), String> {
    let mut text = lines.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    write_atomic(&dir.join("results.jsonl"), text.as_bytes())
        .map_err(|e| format!("{}: {e}", dir.join("results.jsonl").display()))?;
    let s = serde_json::to_string_pretty(summary).unwrap_or_default();
    write_atomic(&dir.join("summary.json"), s.as_bytes())
        .map_err(|e| format!("{}: {e}", dir.join("summary.json").display()))
}

/// `rcsim fuzz --merge DIR... --out DIR`: joins shard outputs into one campaign directory.
fn merge(dirs: &[PathBuf], out: Option<&Path>, json: bool) -> u8 {
    let Some(out) = out else {
        eprintln!("rcsim fuzz --merge: --out DIR is required (where the merged campaign goes)");
        return EXIT_USAGE;
    };
    let mut lines = std::collections::BTreeMap::new();
    let mut summary = Summary::default();
    if let Err(e) = std::fs::create_dir_all(out.join("repro")) {
        eprintln!("rcsim: cannot create {}: {e}", out.display());
        return EXIT_USAGE;
    }
    for d in dirs {
        match campaign::read_results(d) {
            Ok(m) => lines.extend(m),
            Err(e) => {
                eprintln!("rcsim fuzz --merge: {e}");
                return EXIT_USAGE;
            }
        }
        if let Ok(part) = std::fs::read_to_string(d.join("summary.json")) {
            if let Ok(p) = serde_json::from_str::<Summary>(&part) {
                summary.elapsed_s = summary.elapsed_s.max(p.elapsed_s);
                summary.jobs += p.jobs;
                summary.interrupted |= p.interrupted;
                summary
                    .nondeterministic_seeds
                    .extend(p.nondeterministic_seeds);
            }
        }
        if let Ok(entries) = std::fs::read_dir(d.join("repro")) {
            for e in entries.flatten() {
                let _ = std::fs::copy(e.path(), out.join("repro").join(e.file_name()));
            }
        }
    }
    for line in lines.values() {
        let Ok(r) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        summary.seeds += 1;
        summary.events += r["events"].as_u64().unwrap_or(0);
        let names = |key: &str| -> Vec<String> {
            r[key]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let (swarm, lifted) = (names("swarm"), names("assumptions_lifted"));
        summary.cover(
            swarm.iter().map(String::as_str),
            lifted.iter().map(String::as_str),
            r["consistent"] == serde_json::Value::Bool(false),
        );
        if r.get("error").is_some() {
            summary.invalid += 1;
        } else if r["consistent"] == serde_json::Value::Bool(false) {
            summary.failed += 1;
            summary.failing_seeds.push(r["seed"].as_u64().unwrap_or(0));
            let mut kinds: Vec<String> = r["violations"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v["kind"].as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            kinds.sort();
            kinds.dedup();
            for k in kinds {
                *summary.violations_by_kind.entry(k).or_default() += 1;
            }
        } else if r["budget_exhausted"] == serde_json::Value::Bool(true) {
            summary.budget_exhausted += 1;
        } else {
            summary.passed += 1;
        }
    }
    let (elapsed, jobs, interrupted) = (summary.elapsed_s, summary.jobs, summary.interrupted);
    summary.finish(elapsed, jobs, interrupted);
    let lines: Vec<String> = lines.into_values().collect();
    if let Err(e) = write_outputs(out, &lines, &summary) {
        eprintln!("rcsim: cannot write: {e}");
        return EXIT_USAGE;
    }
    print_summary(&summary, json, Some(out));
    exit_code(&summary)
}

pub(super) fn fuzz(args: &FuzzArgs) -> u8 {
    if !args.merge.is_empty() {
        return merge(&args.merge, args.out.as_deref(), args.json);
    }
    let Some(range) = args.seeds.clone() else {
        eprintln!("rcsim fuzz: --seeds A..B is required (e.g. --seeds 0..1000)");
        return EXIT_USAGE;
    };
    let mut base = match base(args.scenario.as_deref()) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_USAGE;
        }
    };
    if let Some(p) = args.protocol {
        base.protocol.kind = p.into();
    }
    let mut overrides: Vec<Override> = args.set.clone();
    if let Some(p) = args.protocol {
        overrides.push(super::protocol_override(p));
    }
    // A bug of a rival protocol runs that protocol unless told otherwise.
    if let (None, Some(m)) = (args.protocol, args.mutant) {
        let kind = ProtocolKind::ALL
            .into_iter()
            .find(|k| k.name() == m.protocol() && *k != ProtocolKind::Checkpoint);
        if let Some(kind) = kind {
            base.protocol.kind = kind;
            overrides.push(Override::Set {
                path: vec!["protocol".into(), "kind".into()],
                value: serde_json::Value::String(kind.name().into()),
            });
        }
    }
    if let Some(m) = &args.mutant {
        overrides.push(Override::Set {
            path: vec!["protocol".into(), "mutant".into()],
            value: serde_json::Value::String(m.name().into()),
        });
    }
    let seeds = match args.shard {
        Some((k, n)) => campaign::Seeds::shard(range, k, n),
        None => campaign::Seeds::all(range),
    };
    // A bad --set is bad input: try it on the first seed before starting.
    if let Some(first) = seeds.get(0) {
        let gen = GenOptions {
            outside_assumptions: args.outside_assumptions,
        };
        if let Err(e) = campaign::scenario_for(&base, first, gen, &overrides) {
            eprintln!("rcsim fuzz: {e}");
            return EXIT_USAGE;
        }
    }
    if let Some(dir) = &args.out {
        if let Err(e) = std::fs::create_dir_all(dir.join("repro")) {
            eprintln!("rcsim: cannot create {}: {e}", dir.display());
            return EXIT_USAGE;
        }
    }
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let c = Campaign {
        base,
        seeds,
        jobs,
        gen: GenOptions {
            outside_assumptions: args.outside_assumptions,
        },
        overrides,
        repro_dir: args.out.as_ref().map(|d| d.join("repro")),
        check_determinism: args.check_determinism,
    };
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }
    let started = Instant::now();
    let mut progress = Progress::new(c.seeds.len());
    let outcomes = campaign::run(&c, &stop, |o| progress.seen(o));
    progress.finish();
    let mut summary = Summary::default();
    for o in &outcomes {
        summary.add(o);
    }
    let interrupted = stop.load(Ordering::SeqCst) && (outcomes.len() as u64) < c.seeds.len();
    summary.finish(started.elapsed().as_secs_f64(), jobs, interrupted);
    for o in &outcomes {
        if let Err(e) = &o.result {
            eprintln!("seed {}: scenario rejected: {e}", o.seed);
        }
    }
    if let Some(dir) = &args.out {
        let lines: Vec<String> = outcomes.iter().map(campaign::result_line).collect();
        if let Err(e) = write_outputs(dir, &lines, &summary) {
            eprintln!("rcsim: cannot write: {e}");
            return EXIT_USAGE;
        }
    }
    print_summary(&summary, args.json, args.out.as_deref());
    exit_code(&summary)
}
