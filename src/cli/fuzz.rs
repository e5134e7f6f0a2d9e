//! `rcsim fuzz`: a campaign of generated scenarios, streamed to its output directory in seed
//! order, resumable after a kill.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Instant;

use indicatif::ProgressBar;
use rcsim::fuzz::campaign::{self, Campaign, SeedOutcome, Summary};
use rcsim::fuzz::gen::GenOptions;
use rcsim::fuzz::identity::{self, CampaignIdentity, CampaignOptions, SeedRange, ShardId};
use rcsim::fuzz::outdir::{self, ResultsFile};
use rcsim::fuzz::stream;
use rcsim::output::write_own;
use rcsim::overlap::{self, Named};
use rcsim::quote::bounded;
use rcsim::scenario::types::ProtocolKind;
use rcsim::scenario::{parse, Override, Scenario};

use super::campaign_out::{exit_code, prepare_out, print_summary, FAILING_LINES};
use super::shard_files::{read_capped, MAX_SUMMARY_BYTES};
use super::{merge, shard, FuzzArgs, EXIT_USAGE};

fn base(path: Option<&Path>) -> Result<Scenario, String> {
    match path {
        Some(p) => rcsim::scenario::load(p, &[]).map_err(|e| e.to_string()),
        None => {
            parse("built-in fuzz base", rcsim::fuzz::DEFAULT_BASE, &[]).map_err(|e| e.to_string())
        }
    }
}

/// Parses `A..B` (half-open), or `N` for `0..N`, each number in plain decimal.
pub fn parse_seeds(s: &str) -> Result<std::ops::Range<u64>, String> {
    let (a, b) = s.split_once("..").unwrap_or(("0", s));
    let (a, b) = (seed_number(s, a)?, seed_number(s, b)?);
    if b <= a {
        return Err(format!(
            "--seeds {}: expected A < B (the range is half-open)",
            bounded(s)
        ));
    }
    Ok(a..b)
}

/// The seed number `n`, one end of the `--seeds` argument `whole`, in plain decimal.
pub(super) fn seed_number(whole: &str, n: &str) -> Result<u64, String> {
    rcsim::decimal::parse(n, "a seed number")
        .map_err(|e| format!("--seeds {}: {e}", bounded(whole)))
}

/// The progress display: a bar on a terminal, a plain line every few seconds otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    last_line: Instant,
    total: u64,
    done: u64,
    failed: u64,
}

impl Progress {
    fn new(total: u64) -> Self {
        let bar = std::io::stderr()
            .is_terminal()
            .then(|| super::progress::bar(total, "fuzz", "seeds"));
        Progress {
            bar,
            started: Instant::now(),
            last_line: Instant::now(),
            total,
            done: 0,
            failed: 0,
        }
    }

    fn seen(&mut self, o: &SeedOutcome) {
        self.done += 1;
        let failed = matches!(&o.result, Ok(r) if !r.consistent);
        if failed {
            self.failed += 1;
        }
        let line = (failed && self.failed <= FAILING_LINES).then(|| {
            let at = o.repro.as_ref().map(|p| format!(": {}", p.display()));
            format!(
                "seed {} failed{}{}",
                o.seed,
                lifted(o),
                at.unwrap_or_default()
            )
        });
        let more = (failed && self.failed == FAILING_LINES + 1).then(|| {
            format!(
                "more failing seeds: counted, not listed (see the summary and {})",
                outdir::REPRO
            )
        });
        match &self.bar {
            Some(b) => {
                b.set_message(format!("{} failing", self.failed));
                b.inc(1);
                for l in line.iter().chain(&more) {
                    b.println(l);
                }
            }
            None => {
                for l in line.iter().chain(&more) {
                    errln!("{l}");
                }
                if self.last_line.elapsed().as_secs() >= 5 {
                    self.last_line = Instant::now();
                    let rate = self.done as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
                    errln!(
                        "{}/{} seeds, {:.1} seeds/s, {} failing",
                        self.done,
                        self.total,
                        rate,
                        self.failed
                    );
                }
            }
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// ` (lifted: a, b)` for a seed that lifted assumptions, else nothing.
fn lifted(o: &SeedOutcome) -> String {
    if o.lifted.is_empty() {
        String::new()
    } else {
        format!(" (lifted: {})", o.lifted.join(", "))
    }
}

/// The campaign's identity from its arguments, as summary.json records it (`base_hash` is of
/// the base as given, before `--protocol` or `--mutant` changed it; `protocol` is the one its
/// seeds run, after every override).
fn identity(
    args: &FuzzArgs,
    protocol: ProtocolKind,
    base_hash: String,
    range: &std::ops::Range<u64>,
    (k, n): (u64, u64),
    overrides: &[Override],
) -> CampaignIdentity {
    CampaignIdentity {
        seeds: SeedRange {
            start: range.start,
            end: range.end,
        },
        shard: ShardId { k, n },
        base_hash,
        protocol: protocol.name().to_string(),
        mutant: args.mutant.map(|m| m.name().to_string()),
        options: CampaignOptions {
            outside_assumptions: args.outside_assumptions,
            check_determinism: args.check_determinism,
            set: overrides.iter().filter_map(Override::set_arg).collect(),
        },
        rcsim_version: env!("CARGO_PKG_VERSION").to_string(),
    }
}

/// With `--resume`: checks that `dir` holds this same campaign and counts its finished seeds
/// into `summary`; returns where to continue (nothing finished if `dir` holds no campaign yet).
fn resume_from(
    dir: &Path,
    id: &CampaignIdentity,
    seeds: &campaign::Seeds,
    summary: &mut Summary,
) -> Result<outdir::Finished, String> {
    let path = dir.join(outdir::SUMMARY);
    let absent =
        std::fs::symlink_metadata(&path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound);
    if absent && std::fs::symlink_metadata(dir.join(outdir::RESULTS)).is_err() {
        errln!(
            "rcsim fuzz --resume: {} holds no campaign yet; starting one",
            dir.display()
        );
        return Ok(outdir::Finished { seeds: 0, bytes: 0 });
    }
    // Read as any input: a regular file within the cap, never a link to a device read forever.
    let text = read_capped(&path, true, MAX_SUMMARY_BYTES).map_err(|e| {
        format!(
            "{e}, so nothing says which campaign {} holds",
            dir.join(outdir::RESULTS).display()
        )
    })?;
    let earlier = serde_json::from_slice::<Summary>(&text)
        .map_err(|e| format!("{}: not a campaign summary: {e}", path.display()))?;
    let theirs = earlier.campaign.ok_or_else(|| {
        format!(
            "{}: records no campaign identity; cannot resume it",
            path.display()
        )
    })?;
    if let Some(d) = theirs.difference(id, true) {
        return Err(format!(
            "{} holds a different campaign: `{}` was {} there and is {} now; resume with the \
             same arguments",
            dir.display(),
            d.field,
            d.ours,
            d.theirs
        ));
    }
    // The first line whose counts would overflow the totals stops the resume (bad input);
    // `finished` takes no error back from its callback, so it is kept here until it returns.
    let mut overflow = None;
    let done = outdir::finished(dir, id, seeds, |line| {
        if overflow.is_some() {
            return;
        }
        let before = summary.events;
        if let Err(e) = summary.add_line(line) {
            overflow = Some(format!("the line of seed {}: {e}", line.seed));
            return;
        }
        // What add_line just counted; resumed events are a part of the total, so this fits.
        let added = summary.events - before;
        summary.resumed_events = summary.resumed_events.saturating_add(added);
    })?;
    if let Some(e) = overflow {
        return Err(format!(
            "{}: {e}; cannot resume",
            dir.join(outdir::RESULTS).display()
        ));
    }
    summary.resumed_seeds = done.seeds as u64;
    let temps = outdir::clear_temporaries(dir)
        .map_err(|e| format!("cannot clear {}: {e}", dir.join(outdir::REPRO).display()))?;
    if temps > 0 {
        errln!(
            "rcsim fuzz --resume: removed {temps} unfinished reproducer file{} the kill left",
            outdir::plural(temps)
        );
    }
    errln!(
        "rcsim fuzz --resume: {} of {} seeds already finished in {}; running the rest",
        done.seeds,
        seeds.len(),
        dir.display()
    );
    Ok(done)
}

fn write_summary(dir: &Path, summary: &Summary) -> Result<(), String> {
    let path = dir.join(outdir::SUMMARY);
    let s = serde_json::to_string_pretty(summary).unwrap_or_default();
    write_own(&path, s.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))
}

pub(super) fn fuzz(args: &FuzzArgs) -> u8 {
    if !args.merge.is_empty() {
        return merge::merge(&merge::MergeArgs {
            dirs: &args.merge,
            out: args.out.as_deref(),
            json: args.json,
            allow_partial: args.allow_partial,
            overwrite: args.overwrite,
        });
    }
    match try_fuzz(args) {
        Ok(code) => code,
        Err(e) => {
            errln!("rcsim fuzz: {e}");
            EXIT_USAGE
        }
    }
}

fn try_fuzz(args: &FuzzArgs) -> Result<u8, String> {
    let range = args
        .seeds
        .clone()
        .ok_or("--seeds A..B is required (e.g. --seeds 0..1000, or --seeds 1000)")?;
    if args.resume && args.out.is_none() {
        return Err("--resume needs --out DIR (the campaign to continue)".into());
    }
    if args.overwrite && args.out.is_none() {
        return Err("--overwrite needs --out DIR (the campaign directory to replace)".into());
    }
    if args.resume && args.overwrite {
        return Err(
            "--resume keeps the campaign in --out and --overwrite deletes it: pick one".into(),
        );
    }
    if args.allow_partial {
        return Err("--allow-partial goes with --merge".into());
    }
    let shard = shard::resolve(args.shard, args.shard_count)?;
    // `parse_seeds` keeps end > start. More shards than seeds would leave some empty, and a
    // merge refuses such a campaign, so it is refused before it runs.
    let len = range.end - range.start;
    if shard.1 > len {
        return Err(format!(
            "--shard {}/{}: {} shards of the {len} seeds of {}..{} would leave some empty; use \
             at most {len} shards",
            shard.0, shard.1, shard.1, range.start, range.end
        ));
    }
    if let (Some(dir), Some(scenario)) = (&args.out, &args.scenario) {
        // A campaign writes (and `--overwrite` deletes) its results, summary and reproducers.
        let (results, summary) = (dir.join(outdir::RESULTS), dir.join(outdir::SUMMARY));
        let repro = dir
            .join(outdir::REPRO)
            .join(scenario.file_name().unwrap_or_default());
        let outputs = [
            Named::new("--out's results", &results),
            Named::new("--out's summary", &summary),
            Named::new("--out's reproducer", &repro),
        ];
        overlap::check(&[Named::new("the --scenario file", scenario)], &outputs)?;
    }
    let mut base = base(args.scenario.as_deref())?;
    let base_hash = identity::base_hash(&base);
    if let Some(p) = args.protocol {
        base.protocol.kind = p.into();
    }
    let mut overrides: Vec<Override> = args.set.clone();
    if let Some(p) = args.protocol {
        overrides.push(super::protocol_override(p));
    }
    // A bug of a rival protocol runs that protocol unless told otherwise.
    if let (None, Some(m)) = (args.protocol, args.mutant) {
        let kind = ProtocolKind::of_mutant(m);
        if kind != ProtocolKind::Checkpoint {
            base.protocol.kind = kind;
            overrides.push(Override::Set {
                path: vec!["protocol".into(), "kind".into()],
                value: serde_json::Value::String(kind.name().into()),
            });
        }
    }
    if let Some(m) = &args.mutant {
        overrides.push(Override::Set {
            path: vec!["protocol".into(), "mutant".into()],
            value: serde_json::Value::String(m.name().into()),
        });
    }
    let seeds = campaign::Seeds::shard(range.clone(), shard.0, shard.1);
    let gen = GenOptions {
        outside_assumptions: args.outside_assumptions,
    };
    // A bad --set is bad input: try it on the first seed before starting. Its protocol is every
    // seed's, `--set protocol.kind=...` included: the one the campaign's results name.
    let protocol = match seeds.get(0) {
        Some(first) => {
            campaign::scenario_for(&base, first, gen, &overrides)?
                .0
                .protocol
                .kind
        }
        None => base.protocol.kind,
    };
    let id = identity(args, protocol, base_hash, &range, shard, &overrides);
    let mut summary = Summary {
        campaign: Some(id.clone()),
        ..Summary::default()
    };
    // A signal stops the workers taking seeds, as does a file the campaign cannot write. Armed
    // before the output directory is touched: once it is, a signal ends the campaign with its
    // summary written, never by the signal's default action.
    let stop = super::interrupt::armed();
    let mut from = outdir::Finished { seeds: 0, bytes: 0 };
    let mut results = None;
    if let Some(dir) = &args.out {
        prepare_out(dir, args.overwrite, args.resume)?;
        if args.resume {
            from = resume_from(dir, &id, &seeds, &mut summary)?;
        }
        let file = if args.resume {
            ResultsFile::resume(dir, from.bytes)
        } else {
            ResultsFile::create(dir)
        };
        results = Some(file.map_err(|e| format!("{}: {e}", dir.join(outdir::RESULTS).display()))?);
        // Until the campaign ends, its summary says it is unfinished.
        let mut unfinished = summary.clone();
        unfinished.interrupted = true;
        write_summary(dir, &unfinished)?;
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
        .min(usize::try_from(seeds.len()).unwrap_or(usize::MAX))
        .max(1);
    let c = Campaign {
        base,
        seeds,
        jobs,
        gen,
        overrides,
        repro_dir: args.out.as_ref().map(|d| d.join(outdir::REPRO)),
        check_determinism: args.check_determinism,
    };
    let started = Instant::now();
    let mut progress = Progress::new(c.seeds.len());
    let mut write_error = None;
    stream::run_ordered(
        &c,
        stop,
        from.seeds,
        |o| progress.seen(o),
        |o| {
            summary.add(&o);
            if let Err(e) = &o.result {
                errln!("seed {}: scenario rejected: {e}", o.seed);
            }
            if let (Some(e), None) = (&o.repro_error, &write_error) {
                write_error = Some(e.clone());
                stop.store(true, Ordering::SeqCst);
            }
            if let (Some(f), None) = (results.as_mut(), &write_error) {
                if let Err(e) = f.push(&campaign::result_line(&o)) {
                    write_error = Some(format!("{}: {e}", f.path().display()));
                    stop.store(true, Ordering::SeqCst);
                }
            }
        },
    )?;
    progress.finish();
    if let Some(e) = write_error {
        return Err(format!("cannot write: {e}"));
    }
    let interrupted = stop.load(Ordering::SeqCst) && summary.seeds < c.seeds.len();
    summary.finish(started.elapsed().as_secs_f64(), jobs, interrupted);
    if let (Some(dir), Some(f)) = (&args.out, results) {
        f.finish()
            .map_err(|e| format!("{}: {e}", dir.join(outdir::RESULTS).display()))?;
        write_summary(dir, &summary)?;
    }
    print_summary(&summary, args.json, args.out.as_deref());
    Ok(exit_code(&summary))
}
