//! Argument definitions and dispatch for each command.

/// Prints to standard output like `print!`, never panicking (see [`stdout`]).
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::stdout(format_args!($($arg)*)) };
}

/// Prints a line to standard output like `println!`, never panicking (see [`stdout`]).
macro_rules! outln {
    () => { $crate::cli::stdout(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::cli::stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Prints a line to standard error like `eprintln!`, ignoring a stream that cannot be written.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod args_error;
mod bench;
mod campaign_out;
mod completions;
mod explore;
mod fuzz;
mod input;
mod interrupt;
mod merge;
mod merge_repro;
mod progress;
mod replay;
mod report;
mod run;
mod shard;
mod shard_files;
mod summary;
mod sweep;
mod validate;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use rcsim::scenario::types::ProtocolKind;
use rcsim::scenario::units::Duration;
use rcsim::scenario::Override;
use rcsim::sim::RunOptions;

/// Exit code: ran, every checked run was consistent.
pub const EXIT_OK: u8 = 0;
/// Exit code: ran, the checker found at least one violation.
pub const EXIT_VIOLATION: u8 = 1;
/// Exit code: bad input or usage; nothing was simulated.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: a resource limit was hit before the run finished.
pub const EXIT_BUDGET: u8 = 3;
/// Exit code of `replay` only: the trace hash or the verdict differs from the recorded one.
pub const EXIT_NOT_REPRODUCED: u8 = 4;

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
    /// Exit codes: 0 consistent, 1 violation found, 2 bad input, 3 event or time budget hit,
    /// 130 (143, 129) stopped by Ctrl-C (SIGTERM, SIGHUP), its unfinished files removed.
    Run(RunArgs),
    /// Check scenario files and say, for each, what is wrong or that it is valid.
    ///
    /// Exit codes: 0 every file valid, 2 at least one is not (all are checked).
    Validate {
        /// The scenario JSON files.
        #[arg(required = true, num_args = 1..)]
        scenarios: Vec<PathBuf>,
        /// Print one JSON object per file (file, valid, and the error or a short description).
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script, e.g. `rcsim completions bash > ~/.local/share/bash-completion/completions/rcsim`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `rcsim man > rcsim.1`, or one command's (`rcsim man fuzz`).
    Man {
        /// The command whose page to print (default: rcsim's own).
        command: Option<String>,
    },
    /// Print the JSON Schema of the scenario format (or, with --result, of the result JSON).
    Schema {
        /// Print the schema of the result JSON (`run --json`, result.json, results.jsonl lines).
        #[arg(long)]
        result: bool,
    },
    /// Run a campaign: one generated scenario per seed, checked, in parallel.
    ///
    /// Each seed draws its own scenario around the base (swarm testing: its own subset of fault
    /// kinds and its own parameters). Writes DIR/results.jsonl (seed order), DIR/summary.json and
    /// DIR/repro/seed-N.json for every failing seed, the moment it is found. Exit codes: 0 all
    /// passed, 1 a violation (or nondeterminism) found, 2 bad input, 3 some seed hit its budget,
    /// 130 interrupted (Ctrl-C; 143 for SIGTERM, 129 for SIGHUP) before anything was found.
    Fuzz(FuzzArgs),
    /// Re-run a reproducer file: same trace hash, same verdict.
    ///
    /// Exit codes: 0 consistent, 1 violation, 2 bad input (an unreadable reproducer, or one
    /// whose `protocol` disagrees with its scenario), 3 budget hit, 4 the trace hash or the
    /// verdict differs from the recorded one (whatever the verdict). With --disaster-at the run
    /// is a what-if, not a reproduction: nothing is compared, and the exit code is the run's
    /// own (0, 1 or 3). 130 (143, 129): stopped by Ctrl-C (SIGTERM, SIGHUP), its unfinished
    /// files removed.
    Replay {
        /// The reproducer (DIR/repro/seed-N.json).
        repro: PathBuf,
        /// Put the reproducer's primary-site disaster at this simulated time (e.g. 12.5ms),
        /// adding one if it has none: what would the secondary show had the site died then?
        #[arg(long, value_name = "T", value_parser = parse_duration)]
        disaster_at: Option<Duration>,
        /// Print the result JSON instead of the human summary.
        #[arg(long)]
        json: bool,
        /// Write every event as one JSON line to FILE (`-`: standard output, which --json may
        /// then not share; the human summary goes to standard error).
        #[arg(long, value_name = "FILE")]
        trace: Option<PathBuf>,
        /// Write the run's timeline in Chrome Trace Event Format to FILE (opens in Perfetto;
        /// `-` as for --trace).
        #[arg(long, value_name = "FILE")]
        chrome_trace: Option<PathBuf>,
    },
    /// Minimise a failing reproducer while it still fails the same way.
    Shrink {
        /// The reproducer to shrink.
        repro: PathBuf,
        /// Where to write the shrunk reproducer (default: REPRO with .shrunk.json; `-`: standard
        /// output, which --json may then not share, and the sizes go to standard error).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Most runs to try.
        #[arg(long, default_value_t = 400)]
        max_attempts: u64,
        /// Print the sizes before and after, the runs tried and the file as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Measure the standard performance figures: hold model, ping-pong, the standard scenario,
    /// a seed campaign on one and all cores, peak memory (medians of several runs).
    Bench(BenchArgs),
    /// Compare protocols on one scenario: charts (PNG and SVG) and a summary page (index.md,
    /// index.html) in DIR.
    ///
    /// Runs each protocol over the seeds. Exit codes: 0 every run consistent, 1 a violation was
    /// found (the report is still written), 2 bad input, 3 a run hit its event or time budget,
    /// 130 (143, 129) stopped by Ctrl-C (SIGTERM, SIGHUP) before anything was written.
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
    /// An RPO target (e.g. 10ms): drawn on the exposure chart, with the share of the time the
    /// exposure stayed within it.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    rpo_target: Option<Duration>,
    /// The directory to write the report into (created if needed; a symbolic link there, or at
    /// its series/ or hgrm/, is refused, exit 2: name the directory it points to).
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
        if let Some(t) = self.rpo_target {
            c.push_str(&format!(" --rpo-target {t}"));
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
    /// The directory to write sweep.csv, sweep.json and the charts into (default: sweep-out;
    /// created if needed; a symbolic link there is refused, exit 2).
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
    /// Also measure how the standard scenario's events/s scale with pairs (2, 16, 128) and host
    /// writes (1e5, 1e6, 1e7), and each knob a user turns up at 1x and 10x the work (8 and 1024
    /// pairs, 20 µs checkpoints, empirical values, chained script writes, volume capacity): about
    /// 2 minutes more (with --quick, a tenth to a hundredth of the work).
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
    /// Seeds to run, half-open: 0..1000 runs 1000 seeds (and 1000 means 0..1000).
    #[arg(long, value_name = "A..B", value_parser = fuzz::parse_seeds)]
    seeds: Option<std::ops::Range<u64>>,
    /// Worker threads, at least 1 (default: one per core); never more than there are seeds.
    /// Results do not depend on it.
    #[arg(long, value_name = "N", value_parser = parse_jobs)]
    jobs: Option<usize>,
    /// Run only shard K of N: the seeds whose index in the range is K-1 modulo N. `auto` takes
    /// K/N from a Slurm job array (SLURM_ARRAY_TASK_ID, _MIN, _MAX, _COUNT) or a Kubernetes
    /// Indexed Job (JOB_COMPLETION_INDEX, with --shard-count or RCSIM_SHARD_COUNT).
    #[arg(long, value_name = "K/N|auto", value_parser = shard::parse_shard)]
    shard: Option<shard::ShardArg>,
    /// With --shard auto under Kubernetes: how many shards (the Job's completions); if
    /// RCSIM_SHARD_COUNT is set too, the two must agree.
    #[arg(long, value_name = "N", value_parser = shard::parse_count)]
    shard_count: Option<u64>,
    /// Continue the interrupted campaign in --out: keep every seed its results.jsonl finished
    /// and run the rest (the same arguments are required; it starts afresh if --out is empty).
    #[arg(long)]
    resume: bool,
    /// Delete an earlier campaign's results, summary and reproducers from --out first (without
    /// it, a used --out is refused).
    #[arg(long)]
    overwrite: bool,
    /// With --merge: join shards even when some are missing or unfinished; the summary then
    /// says `partial` and lists them, and the exit code is the verdict of the seeds merged
    /// (0, 1 or 3), not 130: nothing was interrupted.
    #[arg(long)]
    allow_partial: bool,
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
    /// Write results.jsonl, summary.json and repro/ here (created if needed; a symbolic link at
    /// DIR, at repro/ or at one of those files is refused, exit 2).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// Merge the output directories of one campaign's shards into --out instead of running
    /// seeds; refused (exit 2) when a shard is missing, unfinished or from another campaign.
    /// What would make a campaign is refused beside it: a merge takes its seeds, protocol and
    /// settings from the shards.
    #[arg(
        long,
        value_name = "DIR",
        num_args = 1..,
        conflicts_with_all = [
            "scenario", "seeds", "jobs", "shard", "shard_count", "resume", "protocol", "mutant",
            "set", "outside_assumptions", "check_determinism",
        ],
    )]
    merge: Vec<PathBuf>,
}

/// Most worker threads `--jobs` accepts.
const MAX_JOBS: usize = 1024;

/// Parses `--jobs N`: 1 to [`MAX_JOBS`] worker threads in plain decimal (see
/// [`rcsim::decimal`]); 0 is refused rather than guessed at.
pub(super) fn parse_jobs(s: &str) -> Result<usize, String> {
    let n = rcsim::decimal::parse(s, "a number of worker threads")
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX))?;
    if n == 0 || n > MAX_JOBS {
        return Err(format!(
            "expected 1 to {MAX_JOBS} worker threads, got {n} (omit --jobs for one per core)"
        ));
    }
    Ok(n)
}

/// Parses `--seed N`, in plain decimal (see [`rcsim::decimal`]).
fn parse_seed(s: &str) -> Result<u64, String> {
    rcsim::decimal::parse(s, "a seed number")
}

fn parse_mutant(s: &str) -> Result<rcsim::protocol::checkpoint::Mutant, String> {
    s.parse()
}

/// Scenario overrides shared by the commands that run simulations.
#[derive(Args, Debug, Clone)]
struct ScenarioArgs {
    /// The scenario JSON file (`-` reads it from stdin), or a reproducer file (its scenario, at
    /// its seed).
    scenario: PathBuf,
    /// Seed of every random stream (default: the reproducer's seed, else the scenario's `seed`).
    #[arg(long, value_parser = parse_seed)]
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
    /// Write result.json into this directory (created if needed; a symbolic link there is
    /// refused, exit 2: name the directory it points to).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Write every event as one JSON line to FILE (`-`: standard output, which --json may then
    /// not share; the human summary goes to standard error).
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Write the run's timeline in Chrome Trace Event Format to FILE (opens in Perfetto; `-` as
    /// for --trace).
    #[arg(long, value_name = "FILE")]
    chrome_trace: Option<PathBuf>,
    /// Keep only FROM..TO of the Chrome trace (simulated durations, e.g. 1s..1.5s), so long
    /// runs stay small.
    #[arg(long, value_name = "FROM..TO", requires = "chrome_trace")]
    trace_window: Option<String>,
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

/// Writes to standard output. A stream that cannot be written (a full disk behind `> file`)
/// ends the process with exit 2 and one message on standard error, instead of the panic of
/// `println!`; a closed pipe ends it quietly (normally `SIGPIPE` has already done so).
pub fn stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let mut o = std::io::stdout().lock();
    if let Err(e) = o.write_fmt(args).and_then(|()| o.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            errln!("rcsim: cannot write to standard output: {e}");
        }
        std::process::exit(i32::from(EXIT_USAGE));
    }
}

impl Cli {
    /// Parses the process's arguments as [`Parser::parse`] does (on bad input: clap's message,
    /// exit 2), but with the user text that message quotes bounded (see [`args_error`]).
    pub fn parse_bounded() -> Self {
        Self::try_parse().unwrap_or_else(|e| {
            let args: Vec<String> = std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            args_error::exit(&args_error::bound(e, &args))
        })
    }

    /// True for the commands whose memory comes in bursts that should go back to the system
    /// within milliseconds (a simulation's start-up at a thousand pairs); `explore` only grows its
    /// visited set and frees states to reuse them, which a prompt purge turns into page faults (5
    /// of its 35 seconds in system time).
    pub fn bursty(&self) -> bool {
        !matches!(self.command, Command::Explore(_))
    }
}

/// Runs the parsed command and returns its exit code.
pub fn dispatch(cli: Cli) -> u8 {
    match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Validate { scenarios, json } => validate::validate(&scenarios, json),
        Command::Completions { shell } => completions::completions(shell),
        Command::Man { command } => completions::man(command.as_deref()),
        Command::Schema { result } => {
            if result {
                outln!("{}", rcsim::result::schema_json());
            } else {
                outln!("{}", rcsim::scenario::schema_json());
            }
            EXIT_OK
        }
        Command::Report(args) => report::run(&args),
        Command::Sweep(args) => sweep::run(&args),
        Command::Explore(args) => explore::run(&args),
        Command::Fuzz(args) => fuzz::fuzz(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Replay {
            repro,
            disaster_at,
            json,
            trace,
            chrome_trace,
        } => replay::replay(
            &repro,
            disaster_at,
            json,
            &RunOptions {
                trace: trace.as_deref(),
                chrome_trace: chrome_trace.as_deref(),
                ..RunOptions::default()
            },
        ),
        Command::Shrink {
            repro,
            out,
            max_attempts,
            json,
        } => replay::shrink_cmd(&repro, out.as_ref(), max_attempts, json),
    }
}
