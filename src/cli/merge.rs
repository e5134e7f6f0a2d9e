//! `rcsim fuzz --merge DIR... --out DIR`: joins the outputs of a campaign's shards into the
//! output the unsharded campaign would have written, and refuses (exit 2) anything that would
//! make the merged summary lie: a shard missing, unfinished, given twice or whose results do not
//! cover exactly the seeds it ran, shards of different campaigns, or files that are not what a
//! campaign writes. Every check is made before `--out` is touched, and a merge that fails while
//! writing removes what it wrote: the reproducers of the merged seeds go first, then
//! `results.jsonl`, then `summary.json`, so a `--out` with a summary is whole.

use std::io::Write;
use std::path::{Path, PathBuf};

use rcsim::fuzz::campaign::{Seeds, Summary};
use rcsim::fuzz::identity::{CampaignIdentity, ShardId, ShardMeasure};
use rcsim::fuzz::line::ResultLine;
use rcsim::fuzz::outdir::{RESULTS, SUMMARY};
use rcsim::output::{write_own, AtomicFile};

use super::campaign_out::{exit_code, prepare_out, print_summary};
use super::merge_repro::{self, Written};
use super::shard_files::{read_capped, Lines, MAX_SUMMARY_BYTES};
use super::EXIT_USAGE;

/// What `--merge` was asked to do.
pub(super) struct MergeArgs<'a> {
    /// The shards' output directories.
    pub dirs: &'a [PathBuf],
    /// Where the merged campaign goes.
    pub out: Option<&'a Path>,
    /// Print the summary as JSON.
    pub json: bool,
    /// Merge even when shards are missing or unfinished (the summary then says partial).
    pub allow_partial: bool,
    /// Clear an earlier campaign from `out` first.
    pub overwrite: bool,
}

/// One shard's output, read and checked.
struct Shard {
    dir: PathBuf,
    summary: Summary,
    identity: CampaignIdentity,
    /// The seeds it runs.
    seeds: Seeds,
    /// How many result lines it holds: the first `lines` of `seeds`, in order.
    lines: u64,
    /// Its `results.jsonl` ended in a line cut short.
    cut: bool,
    /// Its reproducers, checked, with their seeds: those of the seeds merged are copied.
    repros: Vec<(u64, PathBuf)>,
}

/// Reads `line` (at `at`) as the result of `expected`, the next seed of the shard `campaign`.
fn check_line(
    line: &[u8],
    at: &str,
    expected: Option<u64>,
    campaign: &CampaignIdentity,
) -> Result<ResultLine, String> {
    let r = ResultLine::parse(line).map_err(|e| format!("{at}: not a result line: {e}"))?;
    r.of_campaign(campaign)
        .map_err(|e| format!("{at}: not a result of this campaign: {e}"))?;
    let shard = campaign.shard;
    if Some(r.seed) != expected {
        let held = r.seed;
        return Err(match expected {
            Some(e) => format!(
                "{at}: holds seed {held} where shard {}/{} runs seed {e} next (a line lost, \
                 repeated or of another campaign)",
                shard.k, shard.n
            ),
            None => format!(
                "{at}: holds seed {held} after the last seed shard {}/{} runs (a line repeated \
                 or of another campaign)",
                shard.k, shard.n
            ),
        });
    }
    Ok(r)
}

fn read_shard(dir: &Path) -> Result<Shard, String> {
    let path = dir.join(SUMMARY);
    let text = read_capped(&path, true, MAX_SUMMARY_BYTES)
        .map_err(|e| format!("{e}: not a campaign's output"))?;
    let summary: Summary = serde_json::from_slice(&text)
        .map_err(|e| format!("{}: not a campaign summary: {e}", path.display()))?;
    let identity = summary.campaign.clone().ok_or_else(|| {
        format!(
            "{}: records no campaign identity (written by an older rcsim?), so it cannot be \
             checked against the other shards",
            path.display()
        )
    })?;
    identity
        .check()
        .map_err(|e| format!("{}: campaign.{e}", path.display()))?;
    let seeds = Seeds::shard(
        identity.seeds.start..identity.seeds.end,
        identity.shard.k,
        identity.shard.n,
    );
    if let Some(s) = summary
        .nondeterministic_seeds
        .iter()
        .find(|&&s| !seeds.contains(s))
    {
        return Err(format!(
            "{}: nondeterministic_seeds lists seed {s}, which shard {}/{} does not run",
            path.display(),
            identity.shard.k,
            identity.shard.n
        ));
    }
    let mut results = Lines::open(&dir.join(RESULTS))?;
    let mut lines = 0u64;
    while let Some(line) = results.next_line()? {
        let at = results.at();
        check_line(&line, &at, seeds.get(lines as usize), &identity)?;
        lines += 1;
    }
    Ok(Shard {
        repros: merge_repro::find(dir, &seeds)?,
        dir: dir.to_path_buf(),
        cut: results.cut(),
        summary,
        identity,
        seeds,
        lines,
    })
}

/// Checks that the shards are one campaign, each shard once and each whole, and says which are
/// missing or unfinished (an error unless `allow_partial`).
fn check(shards: &[Shard], allow_partial: bool) -> Result<Vec<u64>, String> {
    let first = &shards[0];
    for s in &shards[1..] {
        if let Some(d) = first.identity.difference(&s.identity, false) {
            return Err(format!(
                "{} and {} are shards of different campaigns: `{}` is {} in one and {} in the \
                 other",
                first.dir.display(),
                s.dir.display(),
                d.field,
                d.ours,
                d.theirs
            ));
        }
    }
    // Sorted by k, so a shard given twice is next to itself.
    for pair in shards.windows(2) {
        if pair[0].identity.shard.k == pair[1].identity.shard.k {
            return Err(format!(
                "shard {}/{} is given twice: {} and {}",
                pair[0].identity.shard.k,
                pair[0].identity.shard.n,
                pair[0].dir.display(),
                pair[1].dir.display()
            ));
        }
    }
    let n = first.identity.shard.n;
    let mut given = shards.iter().peekable();
    let mut incomplete = Vec::new();
    let mut problems = Vec::new();
    // n <= MAX_SHARDS (checked when read), so this loop and the lists it makes are bounded.
    for k in 1..=n {
        let Some(s) = given.next_if(|s| s.identity.shard.k == k) else {
            incomplete.push(k);
            problems.push(format!("shard {k}/{n} is missing"));
            continue;
        };
        let expected = s.seeds.len();
        let problem = if s.summary.interrupted || s.summary.seeds != expected {
            Some(format!(
                "shard {k}/{n} ({}) did not finish: {} of {expected} seeds",
                s.dir.display(),
                s.summary.seeds
            ))
        } else if s.lines != expected {
            Some(format!(
                "shard {k}/{n}: {} holds {} of the {expected} seeds its summary says it ran{}",
                s.dir.join(RESULTS).display(),
                s.lines,
                if s.cut {
                    " (its last line is cut short)"
                } else {
                    ""
                }
            ))
        } else {
            None
        };
        if let Some(p) = problem {
            incomplete.push(k);
            problems.push(p);
        }
    }
    if !problems.is_empty() && !allow_partial {
        return Err(format!(
            "{}; merging would report a campaign that did not run (finish them with \
             `fuzz --resume --out DIR`, or pass --allow-partial)",
            problems.join("; ")
        ));
    }
    for p in &problems {
        errln!("rcsim fuzz --merge: {p} (--allow-partial: the summary says partial)");
    }
    Ok(incomplete)
}

/// Streams the shards' lines into `out` in seed order: seed index i is shard (i mod n)+1's next
/// line, so memory stays flat however many seeds there are. Each shard gives the lines its scan
/// counted, checked again as they are read (the files may have changed since). The file appears
/// only once whole.
fn join_results(
    shards: &[Shard],
    out: &Path,
    summary: &mut Summary,
    written: &mut Written,
) -> Result<(), String> {
    let path = out.join(RESULTS);
    let mut file = AtomicFile::create_own(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut readers = shards
        .iter()
        .map(|s| Lines::open(&s.dir.join(RESULTS)).map(|l| (s, l, 0u64)))
        .collect::<Result<Vec<_>, _>>()?;
    // Seed index j is shard (j mod n) + 1's, so seed order is round by round, the shards
    // present in the order of k within each round (shards absent under --allow-partial take no
    // turn, so the rounds cost what the shards present hold, not the campaign's size).
    let mut order: Vec<usize> = (0..shards.len()).collect();
    order.sort_by_key(|&i| shards[i].identity.shard.k);
    // Each shard's lines are a prefix of its own seeds and the shards are distinct, so the
    // total is at most the campaign's seed count: it fits.
    let mut left: u64 = shards.iter().map(|s| s.lines).sum();
    let mut turn = order.iter().cycle();
    while left > 0 {
        let Some(&w) = turn.next() else {
            break;
        };
        let (s, lines, read) = &mut readers[w];
        if *read == s.lines {
            continue;
        }
        let expected = s.seeds.get(*read as usize);
        let Some(line) = lines.next_line()? else {
            return Err(format!(
                "{}: ended before its line {} (changed during the merge?)",
                s.dir.join(RESULTS).display(),
                *read + 1
            ));
        };
        let at = lines.at();
        let r = check_line(&line, &at, expected, &s.identity)?;
        summary.add_line(&r).map_err(|e| format!("{at}: {e}"))?;
        file.write_all(&line)
            .and_then(|()| file.write_all(b"\n"))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        *read += 1;
        left -= 1;
    }
    file.commit()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    written.push(path);
    Ok(())
}

/// Refuses an `out` that is one of the shards' directories: preparing it (with --overwrite,
/// clearing it) would destroy the shard being merged.
fn refuse_a_shard_as_out(shards: &[Shard], out: &Path) -> Result<(), String> {
    // An `out` that does not exist yet cannot be a shard's directory.
    let Ok(target) = std::fs::canonicalize(out) else {
        return Ok(());
    };
    match shards
        .iter()
        .find(|s| std::fs::canonicalize(&s.dir).is_ok_and(|d| d == target))
    {
        Some(s) => Err(format!(
            "--out {} is the shard {} being merged; the merged campaign goes elsewhere",
            out.display(),
            s.dir.display()
        )),
        None => Ok(()),
    }
}

/// The merged summary as far as the shards' own summaries give it (jobs, timings, the
/// campaign's identity, what is missing), checked before anything is written; the counts of
/// the results are added as their lines are joined.
fn shard_totals(shards: &[Shard], missing: &[u64]) -> Result<Summary, String> {
    let mut summary = Summary::default();
    for s in shards {
        let p = &s.summary;
        summary.jobs = summary.jobs.checked_add(p.jobs).ok_or_else(|| {
            format!(
                "{}: `jobs` is {}, which carries the shards' total past the largest count",
                s.dir.join(SUMMARY).display(),
                p.jobs
            )
        })?;
        summary
            .nondeterministic_seeds
            .extend(&p.nondeterministic_seeds);
        summary.shards.push(ShardMeasure {
            shard: format!("{}/{}", s.identity.shard.k, s.identity.shard.n),
            seeds: s.lines,
            elapsed_s: p.elapsed_s,
            seeds_per_s: p.seeds_per_s,
            events_per_s: p.events_per_s,
            jobs: p.jobs,
        });
    }
    summary.nondeterministic_seeds.sort_unstable();
    summary.nondeterministic_seeds.dedup();
    let mut identity = shards[0].identity.clone();
    identity.shard = ShardId { k: 1, n: 1 };
    summary.campaign = Some(identity);
    // A partial merge is not an interruption: nothing was stopped, some shards are absent. Its
    // exit code is the verdict of the seeds it holds (see `exit_code`), never 130.
    summary.partial = !missing.is_empty();
    summary.missing_shards = missing.to_vec();
    Ok(summary)
}

/// Runs `--merge` and returns the exit code.
pub(super) fn merge(a: &MergeArgs) -> u8 {
    match try_merge(a) {
        Ok(code) => code,
        Err(e) => {
            errln!("rcsim fuzz --merge: {e}");
            EXIT_USAGE
        }
    }
}

fn try_merge(a: &MergeArgs) -> Result<u8, String> {
    let out = a
        .out
        .ok_or("--out DIR is required (where the merged campaign goes)")?;
    let mut shards = a
        .dirs
        .iter()
        .map(|d| read_shard(d))
        .collect::<Result<Vec<_>, _>>()?;
    shards.sort_by_key(|s| s.identity.shard.k);
    let missing = check(&shards, a.allow_partial)?;
    refuse_a_shard_as_out(&shards, out)?;
    let mut summary = shard_totals(&shards, &missing)?;
    prepare_out(out, a.overwrite, false)?;
    let mut written = Written::default();
    for s in &shards {
        // A seed is merged when its line is: one of the first `lines` seeds the shard runs.
        let next = s.seeds.get(s.lines as usize);
        let merged = |seed: u64| next.is_none_or(|n| seed < n);
        merge_repro::copy(&s.repros, merged, out, &mut written)?;
    }
    join_results(&shards, out, &mut summary, &mut written)?;
    summary.failing_seeds.sort_unstable();
    summary.budget_seeds.sort_unstable();
    let text = serde_json::to_string_pretty(&summary).unwrap_or_default();
    write_own(&out.join(SUMMARY), text.as_bytes())
        .map_err(|e| format!("{}: {e}", out.join(SUMMARY).display()))?;
    written.keep();
    print_summary(&summary, a.json, Some(out));
    if !a.json {
        for m in &summary.shards {
            outln!(
                "  shard {}: {}, {:.1} seeds/s, {:.0} events/s on {}, {:.1} s",
                m.shard,
                super::campaign_out::count(m.seeds, "seed"),
                m.seeds_per_s,
                m.events_per_s,
                super::campaign_out::count(m.jobs as u64, "job"),
                m.elapsed_s
            );
        }
    }
    Ok(exit_code(&summary))
}
