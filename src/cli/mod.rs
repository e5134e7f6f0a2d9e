//! Argument definitions and dispatch for each command.

mod bench;
mod explore;
mod fuzz;
mod replay;
mod report;
mod run;
mod summary;
mod sweep;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use rcsim::scenario::types::ProtocolKind;
use rcsim::scenario::units::Duration;
use rcsim::scenario::Override;

/// Exit code: ran, every checked run was consistent.
pub const EXIT_OK: u8 = 0;
/// Exit code: ran, the checker found at least one violation.
pub const EXIT_VIOLATION: u8 = 1;
/// Exit code: bad input or usage; nothing was simulated.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: a resource limit was hit before the run finished.
pub const EXIT_BUDGET: u8 = 3;

/// Deterministic simulator of asynchronous remote data copying with checkpoint-based consistency
/// (EP 0 674 263 B1) and its rivals, under faults.
#[derive(Parser, Debug)]
#[command(name = "rcsim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run one simulation and check the secondary image.
    ///
    /// Exit codes: 0 consistent, 1 violation found, 2 bad input, 3 event or time budget hit.
    Run(RunArgs),
    /// Check a scenario file and say what is wrong, or that it is valid.
    Validate {
        /// The scenario JSON file.
        scenario: PathBuf,
    },
    /// Print the JSON Schema of the scenario format.
    Schema,
    /// Run a campaign: one generated scenario per seed, checked, in parallel.
    ///
    /// Each seed draws its own scenario around the base (swarm testing: its own subset of fault
    /// kinds and its own parameters). Writes DIR/results.jsonl (seed order), DIR/summary.json and
    /// DIR/repro/seed-N.json for every failing seed, the moment it is found. Exit codes: 0 all
    /// passed, 1 a violation (or nondeterminism) found, 2 bad input, 3 some seed hit its budget,
    /// 130 interrupted (Ctrl-C) before anything was found.
    Fuzz(FuzzArgs),
    /// Re-run a reproducer file: same trace hash, same verdict.
    Replay {
        /// The reproducer (DIR/repro/seed-N.json).
        repro: PathBuf,
        /// Print the result JSON instead of the human summary.
        #[arg(long)]
        json: bool,
    },
    /// Minimise a failing reproducer while it still fails the same way.
    Shrink {
        /// The reproducer to shrink.
        repro: PathBuf,
        /// Where to write the shrunk reproducer (default: REPRO with .shrunk.json).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Most runs to try.
        #[arg(long, default_value_t = 400)]
        max_attempts: u64,
    },
    /// Measure the standard performance figures: hold model, ping-pong, the standard scenario,
    /// a seed campaign on one and all cores, peak memory (medians of several runs).
    Bench(BenchArgs),
    /// Compare protocols on one scenario: charts (PNG and SVG) and a summary page (index.md,
    /// index.html) in DIR.
    ///
    /// Runs each protocol over the seeds. Exit codes: 0 every run consistent, 1 a violation was
    /// found (the report is still written), 2 bad input, 3 a run hit its event or time budget.
    Report(ReportArgs),
    /// Sweep one scenario field over values: one run per value, protocol and seed, written as
    /// DIR/sweep.csv, DIR/sweep.json and charts.
    ///
    /// Exit codes as for report.
    Sweep(SweepArgs),
    /// Search every order of events of a small scenario with the same protocol nodes.
    ///
    /// Breadth first with state hashing: a counterexample is a shortest one, written to --out
    /// for --replay. Exit codes: 0 complete and safe (every sometimes-property reached), 1 a
    /// counterexample (or a sometimes-property never reached), 2 bad input, 3 a bound stopped
    /// the search first; with --replay, 1 the recorded violation again, 4 not.
    Explore(explore::ExploreArgs),
}

/// Arguments of `rcsim report`.
#[derive(Args, Debug)]
struct ReportArgs {
    /// The scenario JSON file.
    scenario: PathBuf,
    /// Protocols to compare, comma-separated (default: every implemented one).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "P,...")]
    protocol: Vec<ProtocolArg>,
    /// Seeds A..B (B excluded; default: the scenario's seed).
    #[arg(long, value_name = "A..B", value_parser = report::parse_seeds)]
    seeds: Option<std::ops::Range<u64>>,
    /// Put the primary-site disaster at this simulated time (e.g. 12.5ms), adding one if needed.
    #[arg(long, value_name = "T", value_parser = parse_duration)]
    disaster_at: Option<Duration>,
    /// Override one scenario field by its JSON path (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = Override::parse)]
    set: Vec<Override>,
    /// The directory to write the report into (created if needed).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

impl ReportArgs {
    fn overrides(&self) -> Vec<Override> {
        let mut o = self.set.clone();
        if let Some(t) = self.disaster_at {
            o.push(Override::DisasterAt(t));
        }
        o
    }

    /// The command that regenerates this report, as the page shows it.
    fn command_line(&self) -> String {
        let mut c = format!("rcsim report {}", self.scenario.display());
        if !self.protocol.is_empty() {
            let names: Vec<&str> = self
                .protocol
                .iter()
                .map(|&p| ProtocolKind::from(p).name())
                .collect();
            c.push_str(&format!(" --protocol {}", names.join(",")));
        }
        if let Some(r) = &self.seeds {
            c.push_str(&format!(" --seeds {}..{}", r.start, r.end));
        }
        if let Some(t) = self.disaster_at {
            c.push_str(&format!(" --disaster-at {t}"));
        }
        for arg in self.set.iter().filter_map(Override::set_arg) {
            c.push_str(&format!(" {arg}"));
        }
        c.push_str(&format!(" --out {}", self.out.display()));
        c
    }
}

/// Arguments of `rcsim sweep`.
#[derive(Args, Debug)]
struct SweepArgs {
    /// The scenario JSON file.
    scenario: PathBuf,
    /// The field to vary and its values: a JSON path as --set takes (or `disaster_at`, the
    /// disaster's time as --disaster-at takes), `=`, and comma-separated values.
    #[arg(long, value_name = "PATH=V1,V2,...")]
    vary: String,
    /// Seeds A..B (B excluded; default: the scenario's seed).
    #[arg(long, value_name = "A..B", value_parser = report::parse_seeds)]
    seeds: Option<std::ops::Range<u64>>,
    /// Protocols, comma-separated (default: every implemented one).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "P,...")]
    protocol: Vec<ProtocolArg>,
    /// Override one scenario field by its JSON path (repeatable), before the varied one.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = Override::parse)]
    set: Vec<Override>,
    /// The directory to write sweep.csv, sweep.json and the charts into (default: sweep-out).
    #[arg(long, value_name = "DIR", default_value = "sweep-out")]
    out: PathBuf,
}

/// Arguments of `rcsim bench`.
#[derive(Args, Debug)]
struct BenchArgs {
    /// Print the figures as one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// A smaller version that finishes in seconds, for smoke tests.
    #[arg(long)]
    quick: bool,
    /// Also measure how the standard scenario's events/s scale with pairs (2, 16, 128) and
    /// host writes (1e5, 1e6, 1e7): about 25 s more (with --quick, a hundredth of the writes).
    #[arg(long)]
    scaling: bool,
}

/// Arguments of `rcsim fuzz`.
#[derive(Args, Debug)]
struct FuzzArgs {
    /// The base scenario the seeds are drawn around (default: the built-in fuzz base,
    /// scenarios/fuzz-base.json).
    #[arg(long, value_name = "BASE")]
    scenario: Option<PathBuf>,
    /// Seeds to run, half-open: 0..1000 runs 1000 seeds.
    #[arg(long, value_name = "A..B", value_parser = fuzz::parse_seeds)]
    seeds: Option<std::ops::Range<u64>>,
    /// Worker threads (default: every core). Results do not depend on it.
    #[arg(long)]
    jobs: Option<usize>,
    /// Run only shard K of N: the seeds whose index in the range is K-1 modulo N.
    #[arg(long, value_name = "K/N", value_parser = fuzz::parse_shard)]
    shard: Option<(u64, u64)>,
    /// Protocol to run (default: the base's).
    #[arg(long, value_enum)]
    protocol: Option<ProtocolArg>,
    /// Run a deliberate bug of a protocol, to see the campaign catch it (a bug of `central` or
    /// `cycle` selects that protocol unless --protocol is given).
    #[arg(long, value_name = "NAME", value_parser = parse_mutant)]
    mutant: Option<rcsim::protocol::checkpoint::Mutant>,
    /// Pin a field of every generated scenario by its JSON path (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = Override::parse)]
    set: Vec<Override>,
    /// Also draw outside the checkpoint protocol's assumptions (clock skew beyond a write's
    /// service time, lossy clock-free LANs, resign, volatile buffers).
    #[arg(long)]
    outside_assumptions: bool,
    /// Run every seed twice and fail on any difference in trace hash.
    #[arg(long)]
    check_determinism: bool,
    /// Write results.jsonl, summary.json and repro/ here.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// Merge the output directories of shards into --out instead of running seeds.
    #[arg(long, value_name = "DIR", num_args = 1..)]
    merge: Vec<PathBuf>,
}

fn parse_mutant(s: &str) -> Result<rcsim::protocol::checkpoint::Mutant, String> {
    s.parse()
}

/// Scenario overrides shared by the commands that run simulations.
#[derive(Args, Debug, Clone)]
struct ScenarioArgs {
    /// The scenario JSON file.
    scenario: PathBuf,
    /// Seed of every random stream (default: the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Protocol to run instead of the scenario's `protocol.kind`.
    #[arg(long, value_enum)]
    protocol: Option<ProtocolArg>,
    /// Put the primary-site disaster at this simulated time (e.g. 12.5ms), adding one if needed.
    #[arg(long, value_name = "T", value_parser = parse_duration)]
    disaster_at: Option<Duration>,
    /// Override one scenario field by its JSON path, e.g. --set topology.pairs=4 (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = Override::parse)]
    set: Vec<Override>,
}

#[derive(Args, Debug)]
struct RunArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// Write result.json into this directory (created if needed).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Write every event as one JSON line to FILE.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Write the run's timeline in Chrome Trace Event Format to FILE (opens in Perfetto).
    #[arg(long, value_name = "FILE")]
    chrome_trace: Option<PathBuf>,
    /// Print the result JSON instead of the human summary.
    #[arg(long)]
    json: bool,
}

/// Protocol names as the command line takes them.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ProtocolArg {
    /// The patent's checkpoint protocol.
    Checkpoint,
    /// Figure 1 prior art: each pair on its own.
    Independent,
    /// Synchronous copy.
    Sync,
    /// A central data mover (XRC's System Data Mover).
    Central,
    /// Coordinated cycle switches with a host-write hold (Global Mirror, SRDF/A MSC).
    Cycle,
}

impl From<ProtocolArg> for ProtocolKind {
    fn from(p: ProtocolArg) -> Self {
        match p {
            ProtocolArg::Checkpoint => ProtocolKind::Checkpoint,
            ProtocolArg::Independent => ProtocolKind::Independent,
            ProtocolArg::Sync => ProtocolKind::Sync,
            ProtocolArg::Central => ProtocolKind::Central,
            ProtocolArg::Cycle => ProtocolKind::Cycle,
        }
    }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    s.parse()
}

/// The override that selects protocol `p`.
fn protocol_override(p: ProtocolArg) -> Override {
    Override::Set {
        path: vec!["protocol".into(), "kind".into()],
        value: serde_json::Value::String(ProtocolKind::from(p).name().into()),
    }
}

impl ScenarioArgs {
    /// The overrides these arguments imply, in the order they apply.
    fn overrides(&self) -> Vec<Override> {
        let mut o = self.set.clone();
        if let Some(p) = self.protocol {
            o.push(protocol_override(p));
        }
        if let Some(t) = self.disaster_at {
            o.push(Override::DisasterAt(t));
        }
        o
    }
}

/// Runs the parsed command and returns its exit code.
pub fn dispatch(cli: Cli) -> u8 {
    match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Validate { scenario } => match rcsim::scenario::load(&scenario, &[]) {
            Ok(s) => {
                println!(
                    "{}: valid scenario `{}` ({} pairs, {} workloads, {} faults, protocol {})",
                    scenario.display(),
                    s.name,
                    s.topology.pairs,
                    s.workloads.len(),
                    s.faults.len(),
                    s.protocol.kind.name()
                );
                EXIT_OK
            }
            Err(e) => {
                eprintln!("{e}");
                EXIT_USAGE
            }
        },
        Command::Schema => {
            println!("{}", rcsim::scenario::schema_json());
            EXIT_OK
        }
        Command::Report(args) => report::run(&args),
        Command::Sweep(args) => sweep::run(&args),
        Command::Explore(args) => explore::run(&args),
        Command::Fuzz(args) => fuzz::fuzz(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Replay { repro, json } => replay::replay(&repro, json),
        Command::Shrink {
            repro,
            out,
            max_attempts,
        } => replay::shrink_cmd(&repro, out.as_ref(), max_attempts),
    }
}
