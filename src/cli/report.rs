//! `rcsim report`: every protocol over the seeds on one scenario, charts and summary pages.

use std::io::IsTerminal;
use std::path::Path;

use indicatif::ProgressBar;
use rcsim::quote::bounded;
use rcsim::report::figures::ProtocolRuns;
use rcsim::report::files::Files;
use rcsim::report::page::PageInfo;
use rcsim::report::parallel_map;
use rcsim::result::RunResult;
use rcsim::scenario::types::ProtocolKind;
use rcsim::scenario::{Override, Scenario};
use rcsim::sim::{simulate_recorded, RunOptions};

use super::{ReportArgs, EXIT_BUDGET, EXIT_OK, EXIT_USAGE, EXIT_VIOLATION};

/// Parses `A..B` (half-open, A < B) into the seeds it names.
pub(super) fn parse_seeds(s: &str) -> Result<std::ops::Range<u64>, String> {
    let (a, b) = s.split_once("..").ok_or_else(|| {
        format!(
            "--seeds {}: expected A..B, e.g. 1..5 (B excluded)",
            bounded(s)
        )
    })?;
    let (a, b) = (
        super::fuzz::seed_number(s, a)?,
        super::fuzz::seed_number(s, b)?,
    );
    if a >= b {
        return Err(format!(
            "--seeds {}: the range is empty (A..B runs seeds A to B-1, so B must exceed A)",
            bounded(s)
        ));
    }
    Ok(a..b)
}

/// Most runs one `report` or `sweep` holds in memory (values x protocols x seeds): each run's
/// result is kept for the charts and tables.
pub(super) const MAX_BATCH_RUNS: u64 = 100_000;

/// The seeds of a batch of `per_seed` runs per seed: the range given, or `default` alone. A
/// range whose runs exceed [`MAX_BATCH_RUNS`] is refused before anything is allocated.
pub(super) fn batch_seeds(
    range: Option<&std::ops::Range<u64>>,
    default: u64,
    per_seed: usize,
) -> Result<Vec<u64>, String> {
    let Some(r) = range else {
        return Ok(vec![default]);
    };
    let seeds = r.end.saturating_sub(r.start);
    let runs = seeds.saturating_mul(per_seed as u64);
    if runs > MAX_BATCH_RUNS {
        return Err(format!(
            "rcsim: --seeds {}..{}: {seeds} seeds make {runs} runs, more than the {MAX_BATCH_RUNS} \
             one command holds in memory: expected a smaller range (or `rcsim fuzz`, which \
             iterates seeds without holding them)",
            r.start, r.end
        ));
    }
    Ok(r.clone().collect())
}

/// A progress bar on stderr when it is a terminal, else a hidden one.
pub(super) fn progress(len: usize, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    super::progress::bar(len as u64, what, "runs")
}

/// The scenario under `protocol` with the user's overrides, or the message saying why not.
pub(super) fn load_for(
    path: &Path,
    overrides: &[Override],
    protocol: ProtocolKind,
) -> Result<Scenario, String> {
    let mut o = overrides.to_vec();
    o.push(Override::Set {
        path: vec!["protocol".into(), "kind".into()],
        value: serde_json::Value::String(protocol.name().into()),
    });
    rcsim::scenario::load(path, &o).map_err(|e| e.to_string())
}

/// Worker threads for a batch of runs (the batch never starts more than it has runs).
pub(super) fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The exit code of a batch: 1 if any run found a violation, else 3 if any hit a budget, else 0.
pub(super) fn batch_code<'a>(results: impl Iterator<Item = &'a RunResult>) -> u8 {
    let (mut bad, mut budget) = (false, false);
    for r in results {
        bad |= !r.consistent;
        budget |= r.budget_exhausted;
    }
    if bad {
        EXIT_VIOLATION
    } else if budget {
        EXIT_BUDGET
    } else {
        EXIT_OK
    }
}

/// Writes the files a report or a sweep (`what`) rendered into `out`, unless rendering failed
/// or a signal came while it rendered (then nothing is written): the error is the exit code.
/// Rendering the charts is the slow part, so the signal is looked at once it is over.
pub(super) fn write_rendered(
    rendered: Result<Files, String>,
    out: &Path,
    what: &str,
) -> Result<(), u8> {
    let files = rendered.map_err(|e| {
        errln!("rcsim: {e}");
        EXIT_USAGE
    })?;
    if let Some(code) = super::interrupt::stopped(what) {
        return Err(code);
    }
    files.write(out).map_err(|e| {
        errln!("rcsim: {e}");
        EXIT_USAGE
    })
}

pub(super) fn run(args: &ReportArgs) -> u8 {
    let protocols: Vec<ProtocolKind> = if args.protocol.is_empty() {
        ProtocolKind::ALL.to_vec()
    } else {
        args.protocol.iter().map(|&p| p.into()).collect()
    };
    let overrides = args.overrides();
    let mut scenarios = Vec::new();
    for &p in &protocols {
        match load_for(&args.scenario, &overrides, p) {
            Ok(s) => scenarios.push(s),
            Err(e) => {
                errln!("{e}");
                return EXIT_USAGE;
            }
        }
    }
    let seeds = match batch_seeds(args.seeds.as_ref(), scenarios[0].seed, protocols.len()) {
        Ok(s) => s,
        Err(e) => {
            errln!("{e}");
            return EXIT_USAGE;
        }
    };
    // Armed before the directory is made: once it exists, a signal stops the report cleanly.
    let stop = super::interrupt::armed();
    if let Err(e) = rcsim::output::ensure_dir(&args.out) {
        errln!(
            "rcsim: cannot use output directory {}: {e}",
            args.out.display()
        );
        return EXIT_USAGE;
    }
    let jobs: Vec<(usize, u64, bool)> = (0..protocols.len())
        .flat_map(|p| seeds.iter().enumerate().map(move |(i, &s)| (p, s, i == 0)))
        .collect();
    let bar = progress(jobs.len(), "report");
    let tick = || bar.inc(1);
    let done = parallel_map(&jobs, threads(), &tick, |&(p, seed, record)| {
        let opts = RunOptions {
            record,
            rpo_target_ns: args.rpo_target.map(|t| t.as_ns()),
            stop: Some(stop),
            ..RunOptions::default()
        };
        simulate_recorded(&scenarios[p], seed, &opts)
    });
    bar.finish_and_clear();
    if let Some(code) = super::interrupt::stopped("the report") {
        return code;
    }
    let mut runs: Vec<ProtocolRuns> = protocols
        .iter()
        .map(|p| ProtocolRuns {
            protocol: p.name().to_string(),
            results: Vec::new(),
            series: None,
        })
        .collect();
    for (&(p, _, _), r) in jobs.iter().zip(done) {
        match r {
            Ok((result, series)) => {
                runs[p].results.push(result);
                if series.is_some() {
                    runs[p].series = series;
                }
            }
            Err(e) => {
                errln!("rcsim: a run failed to write its output: {e}");
                return EXIT_USAGE;
            }
        }
    }
    let info = PageInfo {
        scenario: scenarios[0].name.clone(),
        description: scenarios[0].description.clone(),
        command: args.command_line(),
        seeds: seeds.clone(),
        rpo_target_ns: args.rpo_target.map(|t| t.as_ns()),
    };
    if let Err(code) = write_rendered(
        rcsim::report::render_report(&info, &runs),
        &args.out,
        "the report",
    ) {
        return code;
    }
    for p in &runs {
        let bad = p.results.iter().filter(|r| !r.consistent).count();
        outln!(
            "{}: {} run(s), {}",
            p.protocol,
            p.results.len(),
            if bad == 0 {
                "all consistent".to_string()
            } else {
                format!("{bad} with violations")
            }
        );
    }
    outln!(
        "report written to {}",
        args.out.join("index.html").display()
    );
    batch_code(runs.iter().flat_map(|p| p.results.iter()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges_are_half_open() {
        assert_eq!(parse_seeds("1..4"), Ok(1..4));
        assert!(parse_seeds("4..4").unwrap_err().contains("empty"));
        assert!(parse_seeds("x..4").unwrap_err().contains("not a seed"));
        assert!(parse_seeds("+0..4").unwrap_err().contains("plain decimal"));
        assert!(parse_seeds("1.. 4").unwrap_err().contains("not a seed"));
        assert!(parse_seeds("7").unwrap_err().contains("A..B"));
    }
}
