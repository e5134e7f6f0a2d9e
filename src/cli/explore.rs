//! `rcsim explore`: the exhaustive search of a small scenario, and `--replay` of the
//! counterexample file it writes.

use std::path::{Path, PathBuf};

use clap::Args;
use rcsim::explore::{narrate, search, CounterexampleFile, Options, Outcome, Setup};
use rcsim::output::{is_stdout, sole_stdout};
use rcsim::overlap::{self, Named};
use rcsim::protocol::checkpoint::Mutant;
use rcsim::scenario::{Override, Scenario};

use super::{EXIT_BUDGET, EXIT_OK, EXIT_USAGE, EXIT_VIOLATION};

/// Exit code of `--replay` when the file's path no longer ends in its recorded violation.
const EXIT_DIFFERS: u8 = 4;

/// Arguments of `rcsim explore`.
#[derive(Args, Debug)]
pub(super) struct ExploreArgs {
    /// The scenario JSON file: its topology, script workload, protocol knobs and the faults it
    /// allows (timing distributions are not read).
    #[arg(required_unless_present = "replay")]
    scenario: Option<PathBuf>,
    /// Search a deliberate bug of the checkpoint protocol instead of the protocol.
    #[arg(long, value_name = "M", value_parser = super::parse_mutant)]
    mutant: Option<Mutant>,
    /// Stop after this many steps from the initial state (exit 3 if states remain).
    #[arg(long, value_name = "D")]
    max_depth: Option<u32>,
    /// Stop after this many unique states (exit 3).
    #[arg(long, value_name = "N", default_value_t = 2_000_000)]
    max_states: u64,
    /// Threads expanding states, 1 to 1024 (default: every core); the result does not depend
    /// on it.
    #[arg(long, value_name = "N", value_parser = super::parse_jobs)]
    jobs: Option<usize>,
    /// Messages that may be lost along one path, on networks whose `loss` is above 0.
    #[arg(long, value_name = "N", default_value_t = 1)]
    max_losses: u8,
    /// Messages that may be duplicated along one path, on networks whose `duplicate` is above 0.
    #[arg(long, value_name = "N", default_value_t = 1)]
    max_duplicates: u8,
    /// Override one scenario field by its JSON path (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = Override::parse)]
    set: Vec<Override>,
    /// Tell apart states that differ only by which of several interchangeable pairs is which
    /// (by default they are one state: see README, Exhaustive search).
    #[arg(long)]
    no_symmetry: bool,
    /// Print the outcome as one JSON object (with --replay: the replay's).
    #[arg(long)]
    json: bool,
    /// Write the counterexample, if one is found, to FILE (for --replay; `-`: standard output,
    /// which --json may then not share, and the human outcome goes to standard error).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Re-execute the counterexample in FILE step by step instead of searching (the file holds
    /// the scenario, the budgets and the path, so of the options above only --json applies).
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = [
            "scenario",
            "mutant",
            "max_depth",
            "max_states",
            "jobs",
            "max_losses",
            "max_duplicates",
            "set",
            "no_symmetry",
            "out",
        ]
    )]
    replay: Option<PathBuf>,
}

/// Runs `rcsim explore` and returns its exit code.
pub(super) fn run(args: &ExploreArgs) -> u8 {
    if let Some(file) = &args.replay {
        return replay(file, args.json);
    }
    let Some(path) = &args.scenario else {
        errln!("rcsim explore: a SCENARIO or --replay FILE is required");
        return EXIT_USAGE;
    };
    let out_on_stdout = is_stdout(args.out.as_deref());
    if let Err(e) = sole_stdout(&[("--json", args.json), ("--out -", out_on_stdout)]) {
        errln!("rcsim explore: {e}");
        return EXIT_USAGE;
    }
    if let Some(out) = &args.out {
        let outputs = [Named::new("--out", out)];
        if let Err(e) = overlap::check(&[Named::new("the scenario file", path)], &outputs) {
            errln!("rcsim explore: {e}");
            return EXIT_USAGE;
        }
    }
    let mut overrides = args.set.clone();
    if let Some(m) = args.mutant {
        overrides.push(Override::Set {
            path: vec!["protocol".into(), "mutant".into()],
            value: serde_json::Value::String(m.name().into()),
        });
    }
    let sc = match rcsim::scenario::load(path, &overrides) {
        Ok(s) => s,
        Err(e) => {
            errln!("{e}");
            return EXIT_USAGE;
        }
    };
    let mut setup = match Setup::from_scenario(&sc, args.max_losses, args.max_duplicates) {
        Ok(s) => s,
        Err(e) => {
            errln!("{}: {e}", path.display());
            return EXIT_USAGE;
        }
    };
    if args.no_symmetry {
        setup.interchangeable.clear();
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let opts = Options {
        max_depth: args.max_depth,
        max_states: Some(args.max_states.max(1)),
        jobs,
        stop: Some(super::interrupt::armed()),
    };
    let outcome = search(&setup, opts);
    if outcome.stopped {
        errln!(
            "rcsim explore: stopped by {} after {} unique states at depth {}, before the search \
             was complete and with no counterexample found by then; nothing written",
            super::interrupt::name(),
            outcome.unique,
            outcome.depth
        );
        return super::interrupt::code();
    }
    let mut written = None;
    if let (Some(cex), Some(out)) = (&outcome.counterexample, &args.out) {
        let file = match CounterexampleFile::new(&sc, &setup, &cex.violation, &cex.steps) {
            Ok(f) => f,
            Err(e) => {
                errln!("rcsim explore: cannot record the counterexample: {e}");
                return EXIT_USAGE;
            }
        };
        let text = serde_json::to_string_pretty(&file).unwrap_or_default();
        if let Err(e) = rcsim::output::write_atomic(out, (text + "\n").as_bytes()) {
            errln!("{}: cannot write the counterexample: {e}", out.display());
            return EXIT_USAGE;
        }
        written = Some(out.clone());
    }
    if args.json {
        outln!("{}", json(&sc, &setup, &outcome, jobs, written.as_deref()));
    } else {
        let text = human(path, &sc, &setup, &outcome, jobs, written.as_deref());
        super::run::print_human(&text, out_on_stdout);
    }
    let code = exit_code(&outcome);
    if let (EXIT_BUDGET, Some(b)) = (code, outcome.bound) {
        errln!(
            "rcsim explore: stopped by --{b} after {} unique states at depth {}, before the \
             search was complete; raise --{b} to search further",
            outcome.unique,
            outcome.depth
        );
    }
    code
}

fn exit_code(o: &Outcome) -> u8 {
    if o.counterexample.is_some() {
        EXIT_VIOLATION
    } else if o.bound.is_some() {
        EXIT_BUDGET
    } else if o.sometimes.iter().all(|&(_, r)| r) {
        EXIT_OK
    } else {
        EXIT_VIOLATION
    }
}

fn rate(o: &Outcome) -> f64 {
    o.unique as f64 / o.elapsed.as_secs_f64().max(1e-9)
}

fn mutant_name(sc: &Scenario) -> serde_json::Value {
    sc.protocol
        .mutant
        .and_then(|m| serde_json::to_value(m).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// The interchangeable pairs, numbered from 1 as the scenario numbers subsystems.
fn classes(setup: &Setup) -> Vec<Vec<u16>> {
    setup
        .interchangeable
        .iter()
        .map(|c| c.iter().map(|p| p + 1).collect())
        .collect()
}

fn json(sc: &Scenario, setup: &Setup, o: &Outcome, jobs: usize, out: Option<&Path>) -> String {
    let sometimes: serde_json::Map<String, serde_json::Value> = o
        .sometimes
        .iter()
        .map(|&(n, r)| (n.to_string(), r.into()))
        .collect();
    let v = serde_json::json!({
        "scenario": sc.name,
        "protocol": sc.protocol.kind.name(),
        "mutant": mutant_name(sc),
        "complete": o.complete,
        "bound": o.bound,
        "states": o.unique,
        "explored": o.explored,
        "depth": o.depth,
        "elapsed_s": o.elapsed.as_secs_f64(),
        "states_per_s": rate(o),
        "jobs": jobs,
        "symmetry": classes(setup),
        "sometimes": sometimes,
        "violation": o.counterexample.as_ref().map(|c| &c.violation),
        "counterexample_steps": o.counterexample.as_ref().map(|c| c.steps.len()),
        "out": out.map(|p| p.display().to_string()),
    });
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

fn human(
    path: &Path,
    sc: &Scenario,
    setup: &Setup,
    o: &Outcome,
    jobs: usize,
    out: Option<&Path>,
) -> String {
    let mut t = String::new();
    let what = match (&o.counterexample, o.bound, o.complete) {
        (Some(_), _, _) => "VIOLATION".to_string(),
        (None, Some(b), _) => format!("INCOMPLETE: stopped by --{b}"),
        (None, None, true) => "complete".to_string(),
        (None, None, false) => "incomplete".to_string(),
    };
    let mutant = mutant_name(sc);
    t.push_str(&format!(
        "explore {} ({}{}): {what}\n",
        path.display(),
        sc.protocol.kind.name(),
        mutant
            .as_str()
            .map_or(String::new(), |m| format!(", mutant {m}"))
    ));
    t.push_str(&format!(
        "  {} unique states, {} explored, depth {}, {:.2} s, {:.0} states/s with {jobs} job(s)\n",
        o.unique,
        o.explored,
        o.depth,
        o.elapsed.as_secs_f64(),
        rate(o)
    ));
    for class in classes(setup) {
        let names: Vec<String> = class.iter().map(|p| p.to_string()).collect();
        t.push_str(&format!(
            "  pairs {} are interchangeable: states that differ only by which is which are one\n",
            names.join(", ")
        ));
    }
    for &(name, reached) in &o.sometimes {
        let r = if reached { "reached" } else { "NEVER REACHED" };
        t.push_str(&format!("  sometimes {name}: {r}\n"));
    }
    if let Some(c) = &o.counterexample {
        let v = &c.violation;
        t.push_str(&format!(
            "{} violation after {} steps: {}\n",
            v.kind,
            c.steps.len(),
            v.detail
        ));
        match narrate(setup, &c.steps) {
            Ok(n) => {
                for l in n.lines {
                    t.push_str(&l);
                    t.push('\n');
                }
            }
            Err(e) => t.push_str(&format!("  (cannot narrate: {e})\n")),
        }
        if let Some(p) = out {
            t.push_str(&format!(
                "counterexample written to {} (rcsim explore --replay {})\n",
                p.display(),
                p.display()
            ));
        }
    }
    t
}

/// `--replay FILE`: re-executes the file's steps; exit 1 when it ends in the recorded
/// violation, 4 when it does not, 2 when the file is unreadable. With `json`, stdout holds the
/// outcome as one JSON object instead of the narration.
fn replay(file: &Path, json: bool) -> u8 {
    let source = file.display().to_string();
    let parsed = rcsim::scenario::read_text(file)
        .map_err(|e| format!("{source}: {e}"))
        .and_then(|text| CounterexampleFile::parse(&source, &text))
        .and_then(|cf| {
            let text = cf.scenario.to_string();
            let sc = rcsim::scenario::parse(&format!("{source}: scenario"), &text, &[])
                .map_err(|e| e.to_string())?;
            let setup = Setup::from_scenario(&sc, cf.max_losses, cf.max_duplicates)
                .map_err(|e| format!("{source}: scenario: {e}"))?;
            let n = narrate(&setup, &cf.path()).map_err(|e| format!("{source}: {e}"))?;
            Ok((cf, sc, n))
        });
    let (cf, sc, n) = match parsed {
        Ok(x) => x,
        Err(e) => {
            errln!("{e}");
            return EXIT_USAGE;
        }
    };
    let want = &cf.violation;
    let reproduced = n.violation.as_ref().is_some_and(|v| {
        v.kind == want.kind && v.missing == want.missing && v.present == want.present
    });
    if json {
        let v = serde_json::json!({
            "replay": source,
            "scenario": sc.name,
            "protocol": sc.protocol.kind.name(),
            "mutant": mutant_name(&sc),
            "counterexample_steps": cf.steps.len(),
            "reproduced": reproduced,
            "recorded": want,
            "violation": n.violation,
            "narration": n.lines,
        });
        outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        for l in &n.lines {
            outln!("{l}");
        }
        if let (true, Some(v)) = (reproduced, &n.violation) {
            outln!("{} violation: {}", v.kind, v.detail);
        }
    }
    if reproduced {
        errln!("reproduced: the path ends in the recorded violation");
        EXIT_VIOLATION
    } else {
        errln!(
            "NOT reproduced: recorded {} ({}), replay gave {}",
            want.kind,
            want.detail,
            n.violation
                .as_ref()
                .map_or("no violation".to_string(), |v| v.detail.clone())
        );
        EXIT_DIFFERS
    }
}
