//! `rcsim fuzz --merge DIR... --out DIR`: joins the outputs of a campaign's shards into the
//! output the unsharded campaign would have written, and refuses (exit 2) anything that would
//! make the merged summary lie: a shard missing, unfinished or given twice, or shards of
//! different campaigns.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use rcsim::fuzz::campaign::{Seeds, Summary};
use rcsim::fuzz::identity::{CampaignIdentity, ShardId, ShardMeasure};
use rcsim::fuzz::outdir::{ResultsFile, REPRO, RESULTS, SUMMARY};
use rcsim::output::write_atomic;

use super::campaign_out::{exit_code, prepare_out, print_summary};
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
    lines: Option<std::io::Lines<BufReader<File>>>,
}

fn read_shard(dir: &Path) -> Result<Shard, String> {
    let path = dir.join(SUMMARY);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "{}: cannot read ({e}): not a campaign's output",
            path.display()
        )
    })?;
    let summary: Summary = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a campaign summary: {e}", path.display()))?;
    let identity = summary.campaign.clone().ok_or_else(|| {
        format!(
            "{}: records no campaign identity (written by an older rcsim?), so it cannot be \
             checked against the other shards",
            path.display()
        )
    })?;
    let results = dir.join(RESULTS);
    let file =
        File::open(&results).map_err(|e| format!("{}: cannot read: {e}", results.display()))?;
    Ok(Shard {
        dir: dir.to_path_buf(),
        summary,
        identity,
        lines: Some(BufReader::new(file).lines()),
    })
}

/// Checks that the shards are one campaign, each shard once, and says which are missing or
/// unfinished (an error unless `allow_partial`).
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
    let n = first.identity.shard.n;
    let mut by_k: Vec<Option<&Shard>> = vec![None; usize::try_from(n).unwrap_or(usize::MAX)];
    for s in shards {
        let slot = &mut by_k[(s.identity.shard.k - 1) as usize];
        if let Some(other) = slot {
            return Err(format!(
                "shard {}/{n} is given twice: {} and {}",
                s.identity.shard.k,
                other.dir.display(),
                s.dir.display()
            ));
        }
        *slot = Some(s);
    }
    let range = first.identity.seeds.start..first.identity.seeds.end;
    let mut incomplete = Vec::new();
    let mut problems = Vec::new();
    for (i, slot) in by_k.iter().enumerate() {
        let k = i as u64 + 1;
        match slot {
            None => {
                incomplete.push(k);
                problems.push(format!("shard {k}/{n} is missing"));
            }
            Some(s) => {
                let expected = Seeds::shard(range.clone(), k, n).len();
                if s.summary.interrupted || s.summary.seeds != expected {
                    incomplete.push(k);
                    problems.push(format!(
                        "shard {k}/{n} ({}) did not finish: {} of {expected} seeds",
                        s.dir.display(),
                        s.summary.seeds
                    ));
                }
            }
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
/// line, so memory stays flat however many seeds there are.
fn join_results(
    shards: &mut [Shard],
    out: &Path,
    summary: &mut Summary,
) -> Result<ResultsFile, String> {
    let id = &shards[0].identity;
    let n = id.shard.n;
    let all = Seeds::all(id.seeds.start..id.seeds.end);
    let mut slot: Vec<Option<usize>> = vec![None; usize::try_from(n).unwrap_or(usize::MAX)];
    for (i, s) in shards.iter().enumerate() {
        slot[(s.identity.shard.k - 1) as usize] = Some(i);
    }
    let mut file = ResultsFile::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut i = 0usize;
    while let Some(seed) = all.get(i) {
        if shards.iter().all(|s| s.lines.is_none()) {
            break;
        }
        let which = slot[(i as u64 % n) as usize];
        i += 1;
        let Some(s) = which.map(|w| &mut shards[w]) else {
            continue;
        };
        let Some(lines) = s.lines.as_mut() else {
            continue;
        };
        let line = match lines.next() {
            Some(Ok(l)) => l,
            Some(Err(e)) => return Err(format!("{}: {e}", s.dir.join(RESULTS).display())),
            None => {
                s.lines = None;
                continue;
            }
        };
        let v: serde_json::Value = serde_json::from_str(&line)
            .map_err(|e| format!("{}: not a result line ({e})", s.dir.join(RESULTS).display()))?;
        if v["seed"].as_u64() != Some(seed) {
            return Err(format!(
                "{}: holds seed {} where shard {}/{n} runs seed {seed} next",
                s.dir.join(RESULTS).display(),
                v["seed"],
                s.identity.shard.k
            ));
        }
        summary.add_line(&v).map_err(|e| {
            format!(
                "{}: the line of seed {seed}: {e}",
                s.dir.join(RESULTS).display()
            )
        })?;
        file.push(&line)
            .map_err(|e| format!("{}: {e}", file.path().display()))?;
    }
    Ok(file)
}

fn copy_reproducers(shards: &[Shard], out: &Path) -> Result<(), String> {
    std::fs::create_dir_all(out.join(REPRO))
        .map_err(|e| format!("cannot create {}: {e}", out.join(REPRO).display()))?;
    for s in shards {
        let Ok(entries) = std::fs::read_dir(s.dir.join(REPRO)) else {
            continue;
        };
        for e in entries.flatten() {
            let to = out.join(REPRO).join(e.file_name());
            std::fs::copy(e.path(), &to)
                .map_err(|err| format!("cannot copy {}: {err}", e.path().display()))?;
        }
    }
    Ok(())
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
    prepare_out(out, a.overwrite, false)?;
    let mut summary = Summary::default();
    let results = join_results(&mut shards, out, &mut summary)?;
    results
        .finish()
        .map_err(|e| format!("{}: {e}", out.join(RESULTS).display()))?;
    copy_reproducers(&shards, out)?;
    for s in &shards {
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
            seeds: p.seeds,
            elapsed_s: p.elapsed_s,
            seeds_per_s: p.seeds_per_s,
            events_per_s: p.events_per_s,
            jobs: p.jobs,
        });
    }
    summary.nondeterministic_seeds.sort_unstable();
    summary.failing_seeds.sort_unstable();
    let mut identity = shards[0].identity.clone();
    identity.shard = ShardId { k: 1, n: 1 };
    summary.campaign = Some(identity);
    // A partial merge is not an interruption: nothing was stopped, some shards are absent. Its
    // exit code is the verdict of the seeds it holds (see `exit_code`), never 130.
    summary.partial = !missing.is_empty();
    summary.missing_shards = missing;
    let text = serde_json::to_string_pretty(&summary).unwrap_or_default();
    write_atomic(&out.join(SUMMARY), text.as_bytes())
        .map_err(|e| format!("{}: {e}", out.join(SUMMARY).display()))?;
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
