//! `rcsim replay` and `rcsim shrink`: re-running and minimising reproducer files.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use rcsim::fuzz::repro::Repro;
use rcsim::fuzz::shrink::{shrink, Progress, Size, Unshrinkable};
use rcsim::output::{is_stdout, sole_stdout};
use rcsim::scenario::types::Limits;
use rcsim::scenario::units::Duration;
use rcsim::scenario::Override;
use rcsim::sim::{simulate, RunOptions};

use super::{summary, EXIT_BUDGET, EXIT_NOT_REPRODUCED, EXIT_OK, EXIT_USAGE, EXIT_VIOLATION};

fn read(path: &Path) -> Result<Repro, u8> {
    Repro::read(path).map_err(|e| {
        errln!("{e}");
        EXIT_USAGE
    })
}

/// Replays the reproducer at `path`, or with `disaster_at` runs it as a what-if with the
/// disaster moved (then nothing recorded applies, and nothing is compared).
pub(super) fn replay(
    path: &Path,
    disaster_at: Option<Duration>,
    json: bool,
    opts: &RunOptions,
) -> u8 {
    let how = match super::run::shown(json, opts.trace, opts.chrome_trace) {
        Ok(h) => h,
        Err(e) => {
            errln!("rcsim replay: {e}");
            return EXIT_USAGE;
        }
    };
    if let Err(e) =
        super::run::distinct_outputs("the reproducer", path, opts.trace, opts.chrome_trace, None)
    {
        errln!("rcsim replay: {e}");
        return EXIT_USAGE;
    }
    let repro = match read(path) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let overrides: Vec<Override> = disaster_at.into_iter().map(Override::DisasterAt).collect();
    let sc = match repro.scenario_with(&path.display().to_string(), &overrides) {
        Ok(s) => s,
        Err(e) => {
            errln!("{e}");
            return EXIT_USAGE;
        }
    };
    // Armed once the reproducer is read: until then a signal ends rcsim at once.
    let opts = &RunOptions {
        stop: Some(super::interrupt::armed()),
        ..opts.clone()
    };
    let outcome = simulate(&sc, repro.seed, opts);
    if let Some(code) = super::interrupt::stopped("the replay") {
        return code;
    }
    let result = match outcome {
        Ok(r) => r,
        Err(e) => {
            super::run::simulation_failed(&e, path, opts);
            return EXIT_USAGE;
        }
    };
    super::run::print_result(&result, how);
    let same_hash = result.trace_hash == repro.expected.trace_hash;
    let same_verdict = result.consistent == repro.expected.consistent;
    // A what-if moved the disaster: its run is not the recorded one, so nothing can mismatch.
    let mismatch = disaster_at.is_none() && !(same_hash && same_verdict);
    if let Some(t) = disaster_at {
        errln!(
            "what-if: the disaster at {t}, so the recorded verdict and trace hash do not apply \
             and were not compared"
        );
    } else if !mismatch {
        errln!(
            "reproduced: same verdict and trace hash {} as recorded",
            result.trace_hash
        );
    } else {
        errln!(
            "NOT reproduced: recorded {} with trace hash {}, replay gave {} with {}",
            if repro.expected.consistent {
                "consistent"
            } else {
                "a violation"
            },
            repro.expected.trace_hash,
            if result.consistent {
                "consistent"
            } else {
                "a violation"
            },
            result.trace_hash
        );
    }
    if let Some(which) = &result.budget {
        errln!(
            "rcsim: budget exhausted ({which}) after {} events at {} simulated, before the \
             replay finished",
            result.events,
            summary::ns(result.sim_ns)
        );
    }
    if mismatch {
        EXIT_NOT_REPRODUCED
    } else if !result.consistent {
        EXIT_VIOLATION
    } else if result.budget_exhausted {
        EXIT_BUDGET
    } else {
        EXIT_OK
    }
}

pub(super) fn shrink_cmd(path: &Path, out: Option<&PathBuf>, max_attempts: u64, json: bool) -> u8 {
    let out_on_stdout = is_stdout(out.map(PathBuf::as_path));
    if let Err(e) = sole_stdout(&[("--json", json), ("--out -", out_on_stdout)]) {
        errln!("rcsim shrink: {e}");
        return EXIT_USAGE;
    }
    let repro = match read(path) {
        Ok(r) => r,
        Err(code) => return code,
    };
    if let Err(e) = repro.scenario(&path.display().to_string()) {
        errln!("{e}");
        return EXIT_USAGE;
    }
    let target = out.cloned().unwrap_or_else(|| {
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        path.with_file_name(format!("{stem}{}", rcsim::fuzz::repro::SHRUNK_SUFFIX))
    });
    // Each smaller case is saved as it is found, so that a shrink killed outright leaves its
    // best so far (and a target that cannot be written is known at once); not where a second
    // write would be a second document (stdout, a FIFO or another special file).
    let saves = !out_on_stdout
        && std::fs::symlink_metadata(&target).map_or(true, |m| {
            let t = m.file_type();
            t.is_file() || t.is_dir() || t.is_symlink()
        });
    let mut save_error = None;
    let stop = super::interrupt::armed();
    let bar = super::progress::bar(max_attempts, "shrinking", "runs");
    let shrunk = shrink(&repro, max_attempts, Some(stop), &mut |p| match p {
        Progress::Run(n) => {
            bar.set_position(n - 1);
            ControlFlow::Continue(())
        }
        Progress::Smaller(r) if saves => match r.write(&target) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                save_error = Some(e);
                ControlFlow::Break(())
            }
        },
        Progress::Smaller(_) => ControlFlow::Continue(()),
    });
    bar.finish_and_clear();
    if let Some(e) = save_error {
        errln!("rcsim: cannot write {}: {e}", target.display());
        return EXIT_USAGE;
    }
    let s = match shrunk {
        Ok(s) => s,
        Err(Unshrinkable::Stopped) => {
            errln!(
                "rcsim shrink: stopped by {} before the reproducer's own run was done; nothing \
                 written",
                super::interrupt::name()
            );
            return super::interrupt::code();
        }
        Err(Unshrinkable::Budget {
            which,
            events,
            sim_ns,
        }) => {
            errln!(
                "rcsim shrink: {} hits its {which} budget ({}) after {events} events at {} \
                 simulated, with no violation found by then, so there is nothing to shrink \
                 (`rcsim replay` reruns it; a larger limit lets it finish)",
                path.display(),
                Limits::setting(&which),
                summary::ns(sim_ns)
            );
            return EXIT_BUDGET;
        }
        Err(Unshrinkable::Invalid) => {
            errln!(
                "rcsim shrink: {} does not hold a valid scenario",
                path.display()
            );
            return EXIT_USAGE;
        }
        Err(Unshrinkable::Consistent) => {
            errln!(
                "rcsim shrink: {} does not fail when replayed, so there is nothing to shrink",
                path.display()
            );
            return EXIT_USAGE;
        }
    };
    if s.stopped && s.after == s.before {
        errln!(
            "rcsim shrink: stopped by {} after {} runs, before any smaller failing case was \
             found; nothing written",
            super::interrupt::name(),
            s.attempts
        );
        return super::interrupt::code();
    }
    if let Err(e) = s.repro.write(&target) {
        errln!("rcsim: cannot write {}: {e}", target.display());
        return EXIT_USAGE;
    }
    if s.stopped {
        errln!(
            "rcsim shrink: stopped by {} after {} runs; the smallest failing case found so far \
             ({}) is written to {} (`rcsim shrink` on it goes on from there)",
            super::interrupt::name(),
            s.attempts,
            s.after,
            target.display()
        );
        return super::interrupt::code();
    }
    if json {
        let v = serde_json::json!({
            "before": size_json(&s.before),
            "after": size_json(&s.after),
            "attempts": s.attempts,
            "out": target.display().to_string(),
            "still_fails": s.repro.expected.first,
        });
        outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return EXIT_VIOLATION;
    }
    let mut text = format!("before: {}\nafter:  {}\n", s.before, s.after);
    if let Some(v) = &s.repro.expected.first {
        text.push_str(&format!(
            "still fails: {} ({} missing, {} present)\n",
            v.kind, v.missing, v.present
        ));
    }
    text.push_str(&format!(
        "{} runs tried; shrunk reproducer: {}\n",
        s.attempts,
        target.display()
    ));
    super::run::print_human(&text, out_on_stdout);
    EXIT_VIOLATION
}

/// A reproducer's size as `shrink --json` reports it.
fn size_json(s: &Size) -> serde_json::Value {
    serde_json::json!({
        "pairs": s.pairs,
        "faults": s.faults,
        "workloads": s.workloads,
        "writes": s.writes,
        "events": s.events,
        "json_bytes": s.json_bytes,
    })
}
