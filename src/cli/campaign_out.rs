//! How a fuzz campaign ends, whether run here or merged from shards: its summary printed (with
//! its counts in words), the exit code it calls for, and its output directory made ready. Both `fuzz` and `merge` use
//! these, so they live apart from either.

use std::path::Path;

use rcsim::fuzz::campaign::Summary;
use rcsim::fuzz::outdir;

use super::{EXIT_BUDGET, EXIT_OK, EXIT_VIOLATION};

/// How many failing seeds get a line of their own while a campaign runs (and in its
/// summary); the rest are counted.
pub(super) const FAILING_LINES: u64 = 20;

/// `n` and `unit`, the unit in the plural unless `n` is 1 ("1 seed", "3 seeds").
pub(super) fn count(n: u64, unit: &str) -> String {
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// The first [`FAILING_LINES`] of `seeds`, and how many more the summary's `field` lists.
fn listed(seeds: &[u64], field: &str) -> String {
    let shown: Vec<String> = seeds
        .iter()
        .take(FAILING_LINES as usize)
        .map(u64::to_string)
        .collect();
    let more = seeds.len().saturating_sub(shown.len());
    if more > 0 {
        format!(
            "{}, ... and {more} more (all in the summary's {field})",
            shown.join(", ")
        )
    } else {
        shown.join(", ")
    }
}

/// Prints a campaign's summary, as text or JSON.
pub(super) fn print_summary(s: &Summary, json: bool, out: Option<&Path>) {
    if json {
        outln!("{}", serde_json::to_string_pretty(s).unwrap_or_default());
        return;
    }
    outln!(
        "{}: {} passed, {} failed, {} hit their budget, {} invalid{}",
        count(s.seeds, "seed"),
        s.passed,
        s.failed,
        s.budget_exhausted,
        s.invalid,
        if s.interrupted {
            " (interrupted)"
        } else if s.partial {
            " (partial)"
        } else {
            ""
        }
    );
    if !s.missing_shards.is_empty() {
        let shards: Vec<String> = s.missing_shards.iter().map(u64::to_string).collect();
        outln!(
            "  missing or unfinished shards, not in these totals: {}",
            shards.join(", ")
        );
    }
    for (k, n) in &s.violations_by_kind {
        outln!("  {k}: {}", count(*n, "seed"));
    }
    if !s.failures_by_assumption.is_empty() {
        let by: Vec<String> = s
            .failures_by_assumption
            .iter()
            .map(|(a, n)| format!("{a} {n}"))
            .collect();
        outln!("  failing seeds by assumption lifted: {}", by.join(", "));
    }
    let on: Vec<String> = s.swarm.iter().map(|(k, n)| format!("{k} {n}")).collect();
    outln!(
        "  swarm ({}): {}",
        count(s.swarm.len() as u64, "fault kind"),
        on.join(", ")
    );
    if !s.swarm_pinned_off.is_empty() {
        let off: Vec<String> = s
            .swarm_pinned_off
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        outln!(
            "  drawn but pinned off by --set ({}; seeds that ran without them): {}",
            count(s.swarm_pinned_off.len() as u64, "fault kind"),
            off.join(", ")
        );
    }
    if !s.failing_seeds.is_empty() {
        outln!(
            "  failing seeds: {}",
            listed(&s.failing_seeds, "failing_seeds")
        );
    }
    if !s.budget_seeds.is_empty() {
        outln!(
            "  seeds that hit their budget{}: {}",
            if out.is_some() {
                " (each with a reproducer)"
            } else {
                ""
            },
            listed(&s.budget_seeds, "budget_seeds")
        );
    }
    if !s.nondeterministic_seeds.is_empty() {
        outln!("  NONDETERMINISTIC seeds: {:?}", s.nondeterministic_seeds);
    }
    if s.shards.is_empty() {
        outln!(
            "  {:.0} events/s, {:.1} seeds/s on {}, {:.1} s",
            s.events_per_s,
            s.seeds_per_s,
            count(s.jobs as u64, "job"),
            s.elapsed_s
        );
    }
    if let Some(dir) = out {
        outln!(
            "  results: {}, reproducers: {}",
            dir.join("results.jsonl").display(),
            dir.join("repro").display()
        );
    }
}

/// The exit code a campaign's summary calls for.
pub(super) fn exit_code(s: &Summary) -> u8 {
    if s.failed > 0 || !s.nondeterministic_seeds.is_empty() {
        EXIT_VIOLATION
    } else if s.interrupted {
        super::interrupt::code()
    } else if s.budget_exhausted > 0 || s.invalid > 0 {
        EXIT_BUDGET
    } else {
        EXIT_OK
    }
}

/// Makes `dir` ready for a new campaign's files: it and its `repro` created if needed, and
/// refused if either is a link or not a directory (as are results or a summary there that are
/// not regular files); an earlier campaign there is refused (its reproducers would be mixed
/// with the new ones) unless `overwrite`, which removes that campaign's own files and says so.
/// With `resume`, the earlier campaign is kept, and its reproducers must be regular files (the
/// seeds it runs again write theirs anew).
pub(super) fn prepare_out(dir: &Path, overwrite: bool, resume: bool) -> Result<(), String> {
    // The directory and its `repro/` are real directories (made if missing), and the results
    // and summary there regular files: reproducers are written into `repro/` and --overwrite
    // deletes files there, never through a link to a directory elsewhere.
    outdir::prepare(dir)?;
    if resume {
        outdir::check_reproducers(dir)?;
    }
    let earlier = outdir::earlier_campaign(dir);
    if !earlier.is_empty() && !resume {
        if !overwrite {
            return Err(format!(
                "{} already holds a campaign ({}); refusing to mix a new one into it: pass \
                 --resume to continue it, --overwrite to delete those files first, or another --out",
                dir.display(),
                earlier.join(", ")
            ));
        }
        let n = outdir::clear(dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
        errln!(
            "rcsim fuzz: --overwrite: removed the earlier campaign's {n} file{} from {} ({})",
            outdir::plural(n),
            dir.display(),
            earlier.join(", ")
        );
    }
    Ok(())
}
