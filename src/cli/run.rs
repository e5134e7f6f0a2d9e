//! `rcsim run`: one checked simulation, with its progress on stderr when that is a terminal
//! and the run is long.

use std::path::Path;

use rcsim::output::{ensure_dir, is_stdout, sole_stdout, write_own};
use rcsim::overlap::{self, Named};
use rcsim::result::RunResult;
use rcsim::scenario::types::Limits;
use rcsim::sim::{simulate, simulate_with_progress, RunOptions};

use super::progress::RunProgress;
use super::{input, interrupt, summary, RunArgs, EXIT_BUDGET, EXIT_OK, EXIT_USAGE, EXIT_VIOLATION};

/// Where a run's printed result goes, once its outputs are known to share standard output with
/// nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shown {
    /// The result JSON (`--json`) on standard output.
    Json,
    /// The human summary on standard output.
    Summary,
    /// The human summary on standard error, since a trace took standard output.
    SummaryOnStderr,
}

/// Says why a simulation of `scenario` failed: its data (a trace workload's file that changed
/// under it), or a trace output it could not write, named.
pub(super) fn simulation_failed(e: &std::io::Error, scenario: &Path, opts: &RunOptions) {
    if e.kind() == std::io::ErrorKind::InvalidData {
        errln!("{}: {e}", scenario.display());
        return;
    }
    match (opts.trace, opts.chrome_trace) {
        (Some(t), None) => errln!("rcsim: cannot write the trace file {}: {e}", t.display()),
        (None, Some(t)) => errln!("rcsim: cannot write the Chrome trace {}: {e}", t.display()),
        (Some(t), Some(c)) => errln!(
            "rcsim: cannot write the trace file {} or the Chrome trace {}: {e}",
            t.display(),
            c.display()
        ),
        (None, None) => errln!("rcsim: cannot write output: {e}"),
    }
}

/// Decides where a run's result is printed: `--json` and a trace or Chrome trace sent to `-`
/// each take standard output, and two of them would mix there, so that is refused with the
/// message saying which. The human summary yields standard output to a trace and goes to
/// standard error instead, so `--trace - | jq` reads a trace and nothing else.
pub(super) fn shown(
    json: bool,
    trace: Option<&Path>,
    chrome_trace: Option<&Path>,
) -> Result<Shown, String> {
    let taken = sole_stdout(&[
        ("--json", json),
        ("--trace -", is_stdout(trace)),
        ("--chrome-trace -", is_stdout(chrome_trace)),
    ])?;
    Ok(match (json, taken) {
        (true, _) => Shown::Json,
        (false, None) => Shown::Summary,
        (false, Some(_)) => Shown::SummaryOnStderr,
    })
}

/// Refuses a run whose trace, Chrome trace or `result.json` (`result`) would replace its input
/// (`input`, known to the user as `what`) or one another (see [`rcsim::overlap`]).
pub(super) fn distinct_outputs(
    what: &str,
    input: &Path,
    trace: Option<&Path>,
    chrome_trace: Option<&Path>,
    result: Option<&Path>,
) -> Result<(), String> {
    let outputs: Vec<Named<'_>> = [
        ("--trace", trace),
        ("--chrome-trace", chrome_trace),
        ("--out's result.json", result),
    ]
    .into_iter()
    .filter_map(|(w, p)| p.map(|p| Named::new(w, p)))
    .collect();
    overlap::check(&[Named::new(what, input)], &outputs)
}

/// Prints a run's result where [`shown`] said.
pub(super) fn print_result(result: &RunResult, how: Shown) {
    match how {
        Shown::Json => outln!(
            "{}",
            serde_json::to_string_pretty(result).unwrap_or_default()
        ),
        Shown::Summary => print_human(&summary::render(result), false),
        Shown::SummaryOnStderr => print_human(&summary::render(result), true),
    }
}

/// Prints text meant for a person: on standard output, or on standard error when a file output
/// (`-`) has taken standard output and must have it to itself.
pub(super) fn print_human(text: &str, on_stderr: bool) {
    if on_stderr {
        errln!("{}", text.trim_end());
    } else {
        out!("{text}");
    }
}

pub(super) fn run(args: &RunArgs) -> u8 {
    let how = match shown(
        args.json,
        args.trace.as_deref(),
        args.chrome_trace.as_deref(),
    ) {
        Ok(h) => h,
        Err(e) => {
            errln!("rcsim run: {e}");
            return EXIT_USAGE;
        }
    };
    let sa = &args.scenario;
    let (sc, repro_seed) = match input::load(&sa.scenario, &sa.overrides()) {
        Ok(i) => (i.scenario, i.seed),
        Err(e) => {
            errln!("{e}");
            return EXIT_USAGE;
        }
    };
    let result_json = args.out.as_ref().map(|d| d.join("result.json"));
    if let Err(e) = distinct_outputs(
        "the scenario file",
        &sa.scenario,
        args.trace.as_deref(),
        args.chrome_trace.as_deref(),
        result_json.as_deref(),
    ) {
        errln!("rcsim run: {e}");
        return EXIT_USAGE;
    }
    if let Some(dir) = &args.out {
        if let Err(e) = ensure_dir(dir) {
            errln!("rcsim: cannot use output directory {}: {e}", dir.display());
            return EXIT_USAGE;
        }
    }
    let seed = sa.seed.or(repro_seed).unwrap_or(sc.seed);
    let chrome_window = match args
        .trace_window
        .as_deref()
        .map(rcsim::chrome::parse_window)
    {
        None => None,
        Some(Ok(w)) => Some(w),
        Some(Err(e)) => {
            errln!("rcsim: {e}");
            return EXIT_USAGE;
        }
    };
    let opts = RunOptions {
        trace: args.trace.as_deref(),
        chrome_trace: args.chrome_trace.as_deref(),
        chrome_window,
        stop: Some(interrupt::armed()),
        ..RunOptions::default()
    };
    let progress = RunProgress::on_terminal(&format!("{} seed {seed}", sc.name));
    let outcome = match progress.clone() {
        Some(mut p) => {
            simulate_with_progress(&sc, seed, &opts, Box::new(move |e, t| p.update(e, t)))
        }
        None => simulate(&sc, seed, &opts),
    };
    if let Some(p) = &progress {
        p.finish();
    }
    if let Some(code) = interrupt::stopped("the run") {
        return code;
    }
    let result = match outcome {
        Ok(r) => r,
        Err(e) => {
            simulation_failed(&e, &sa.scenario, &opts);
            return EXIT_USAGE;
        }
    };
    let json = serde_json::to_string_pretty(&result).unwrap_or_default();
    if let Some(target) = &result_json {
        if let Err(e) = write_own(target, json.as_bytes()) {
            errln!("rcsim: cannot write {}: {e}", target.display());
            return EXIT_USAGE;
        }
    }
    print_result(&result, how);
    for o in &result.overloaded {
        errln!(
            "rcsim: warning: subsystem {}'s {} stage was offered {:.0}% of its capacity while the \
             hosts wrote: it can never catch up, and its backlog grows as long as that lasts",
            o.subsystem,
            o.stage,
            o.load * 100.0
        );
    }
    if let Some(which) = &result.budget {
        let mut limit = sc.limits.stated(which);
        limit.push_str(match which.as_str() {
            Limits::WRITES_IN_FLIGHT => " (the hosts write faster than the subsystems serve)",
            Limits::EVENTS_PENDING => {
                " (events are scheduled faster than they are taken: a checkpoint interval far \
                 below the links' latency does this)"
            }
            _ => "",
        });
        errln!(
            "rcsim: budget exhausted: {limit} was reached after {} events at {} simulated, \
             before the run finished; raise it with --set to run to the end",
            result.events,
            summary::ns(result.sim_ns)
        );
        if result.consistent {
            return EXIT_BUDGET;
        }
    }
    if result.consistent {
        EXIT_OK
    } else {
        EXIT_VIOLATION
    }
}
