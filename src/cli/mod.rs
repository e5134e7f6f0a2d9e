//! Argument definitions and dispatch for each command.

mod bench;
mod run;
mod summary;

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
    /// Measure the standard performance figures: hold model, ping-pong, the standard scenario,
    /// a seed campaign on one and all cores, peak memory (medians of several runs).
    Bench(BenchArgs),
}

#[derive(Args, Debug)]
struct BenchArgs {
    /// Print the figures as one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// A smaller version that finishes in seconds, for smoke tests.
    #[arg(long)]
    quick: bool,
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
}

impl From<ProtocolArg> for ProtocolKind {
    fn from(p: ProtocolArg) -> Self {
        match p {
            ProtocolArg::Checkpoint => ProtocolKind::Checkpoint,
            ProtocolArg::Independent => ProtocolKind::Independent,
            ProtocolArg::Sync => ProtocolKind::Sync,
        }
    }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    s.parse()
}

impl ScenarioArgs {
    /// The overrides these arguments imply, in the order they apply.
    fn overrides(&self) -> Vec<Override> {
        let mut o = self.set.clone();
        if let Some(p) = self.protocol {
            o.push(Override::Set {
                path: vec!["protocol".into(), "kind".into()],
                value: serde_json::Value::String(ProtocolKind::from(p).name().into()),
            });
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
        Command::Bench(args) => bench::run(&args),
    }
}
