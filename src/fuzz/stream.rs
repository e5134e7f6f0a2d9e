//! The campaign's worker pool with a reorder window: seeds finish in any order on any number of
//! threads, and come out in seed order as soon as every earlier seed has finished, so a campaign
//! can write `results.jsonl` as it goes (a kill loses only the seeds in flight) while holding at
//! most a window of outcomes in memory, however many seeds it runs.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Condvar, Mutex};

use super::campaign::{run_seed, Campaign, SeedOutcome};
use super::outdir;

/// Runs the whole campaign on `c.jobs` threads, calling `each` on the calling thread as outcomes
/// arrive (in completion order), and returns them all in seed order. Setting `stop` makes the
/// workers finish the seed in hand and take no more. Holds every outcome: for a campaign of any
/// size, [`run_ordered`] streams them instead. Fails as [`run_ordered`] does.
pub fn run(
    c: &Campaign,
    stop: &AtomicBool,
    each: impl FnMut(&SeedOutcome),
) -> Result<Vec<SeedOutcome>, String> {
    let mut all = Vec::new();
    run_ordered(c, stop, 0, each, |o| all.push(o))?;
    Ok(all)
}

/// How many seeds may run ahead of the oldest unfinished one: enough that a slow seed rarely
/// idles the other workers, small enough that the held outcomes stay a few megabytes.
pub fn window(jobs: usize) -> usize {
    jobs.max(1).saturating_mul(16).max(64)
}

/// The index of the next seed to hand out in order, shared by the writer and the workers: a
/// worker may not start seed `i` until `i < released + window`.
struct Released {
    next: Mutex<usize>,
    moved: Condvar,
}

impl Released {
    fn wait_for(&self, i: usize, window: usize, stop: &AtomicBool) {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        while i >= next.saturating_add(window) && !stop.load(Ordering::SeqCst) {
            next = self
                .moved
                .wait_timeout(next, std::time::Duration::from_millis(100))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn set(&self, n: usize) {
        *self.next.lock().unwrap_or_else(|e| e.into_inner()) = n;
        self.moved.notify_all();
    }
}

/// Runs the seeds of `c` from index `from` on `c.jobs` threads. `each` sees every outcome the
/// moment it finishes (completion order, for progress); `ordered` gets them in seed order, each
/// as soon as all earlier ones are in. Setting `stop` makes the workers finish the seed in hand
/// and take no more; the seeds taken are always a prefix, so every one of them reaches `ordered`.
///
/// The reproducers' directory `c.repro_dir`, if any, is made ready first (see
/// [`outdir::prepare_repro`]), so a caller need not have made it; a link or file there fails
/// the campaign, with a message naming it, before any seed runs.
pub fn run_ordered(
    c: &Campaign,
    stop: &AtomicBool,
    from: usize,
    mut each: impl FnMut(&SeedOutcome),
    mut ordered: impl FnMut(SeedOutcome),
) -> Result<(), String> {
    if let Some(dir) = &c.repro_dir {
        outdir::prepare_repro(dir)?;
    }
    let total = usize::try_from(c.seeds.len()).unwrap_or(usize::MAX);
    let jobs = c.jobs.max(1).min(total.saturating_sub(from).max(1));
    let window = window(jobs);
    let next = AtomicUsize::new(from);
    let released = Released {
        next: Mutex::new(from),
        moved: Condvar::new(),
    };
    let (tx, rx) = mpsc::channel::<(usize, SeedOutcome)>();
    std::thread::scope(|scope| {
        // A thread the system refuses is not started; with none at all, the calling thread
        // runs the seeds itself, in order.
        let mut started = 0;
        for _ in 0..jobs {
            let tx = tx.clone();
            let (next, released) = (&next, &released);
            let worker = move || loop {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(seed) = c.seeds.get(i) else {
                    break;
                };
                released.wait_for(i, window, stop);
                if tx.send((i, run_seed(c, seed))).is_err() {
                    break;
                }
            };
            if std::thread::Builder::new()
                .spawn_scoped(scope, worker)
                .is_err()
            {
                break;
            }
            started += 1;
        }
        if started == 0 {
            let mut i = from;
            while let (false, Some(seed)) = (stop.load(Ordering::SeqCst), c.seeds.get(i)) {
                let o = run_seed(c, seed);
                each(&o);
                ordered(o);
                i += 1;
            }
        }
        drop(tx);
        let mut held: BTreeMap<usize, SeedOutcome> = BTreeMap::new();
        let mut due = from;
        for (i, o) in rx {
            each(&o);
            held.insert(i, o);
            while let Some(o) = held.remove(&due) {
                ordered(o);
                due += 1;
            }
            released.set(due);
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::campaign::Seeds;
    use crate::fuzz::gen::GenOptions;
    use crate::scenario::parse;

    fn campaign(jobs: usize, seeds: std::ops::Range<u64>) -> Campaign {
        Campaign {
            base: parse("base", crate::fuzz::DEFAULT_BASE, &[]).expect("valid base"),
            seeds: Seeds::all(seeds),
            jobs,
            gen: GenOptions::default(),
            overrides: Vec::new(),
            repro_dir: None,
            check_determinism: false,
        }
    }

    #[test]
    fn outcomes_come_out_in_seed_order_from_any_start() {
        let c = campaign(3, 10..40);
        let mut seen = Vec::new();
        let mut order = Vec::new();
        run_ordered(
            &c,
            &AtomicBool::new(false),
            5,
            |o| seen.push(o.seed),
            |o| order.push(o.seed),
        )
        .expect("no reproducers' directory to make");
        assert_eq!(order, (15..40).collect::<Vec<_>>());
        seen.sort_unstable();
        assert_eq!(seen, order);
    }

    /// A fresh directory under the system's temporary one.
    fn temp(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("rcsim-stream-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    }

    /// A campaign of `seeds` under `independent`, whose seeds all fail, writing reproducers to
    /// `repro_dir`.
    fn failing(seeds: std::ops::Range<u64>, repro_dir: std::path::PathBuf) -> Campaign {
        use crate::scenario::{types::ProtocolKind, Override};
        let mut c = campaign(2, seeds);
        c.base.protocol.kind = ProtocolKind::Independent;
        c.overrides.push(Override::Set {
            path: vec!["protocol".into(), "kind".into()],
            value: "independent".into(),
        });
        c.repro_dir = Some(repro_dir);
        c
    }

    #[test]
    fn a_library_campaign_makes_its_reproducers_directory() {
        let d = temp("made");
        let repro = d.join("out").join("repro");
        let c = failing(0..2, repro.clone());
        let all = run(&c, &AtomicBool::new(false), |_| {}).expect("runs");
        assert!(all.iter().all(|o| o.repro_error.is_none()), "{all:?}");
        assert!(repro.join("seed-0.json").is_file());
        assert!(repro.join("seed-1.json").is_file());
        std::fs::remove_dir_all(&d).expect("clean up");
    }

    #[cfg(unix)]
    #[test]
    fn a_linked_reproducers_directory_is_refused_before_any_seed_runs() {
        let d = temp("linked");
        std::fs::create_dir(d.join("victim")).expect("mkdir");
        std::os::unix::fs::symlink(d.join("victim"), d.join("repro")).expect("symlink");
        let c = failing(0..2, d.join("repro"));
        let mut ran = 0;
        let e = run(&c, &AtomicBool::new(false), |_| ran += 1).expect_err("refused");
        assert!(e.contains("repro") && e.contains("symbolic link"), "{e}");
        assert_eq!(ran, 0);
        let left = std::fs::read_dir(d.join("victim")).expect("dir").count();
        assert_eq!(left, 0, "nothing written through the link");
        std::fs::remove_dir_all(&d).expect("clean up");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_at_a_reproducers_name_is_refused_not_waited_on() {
        let d = temp("fifo");
        let fifo = d.join("seed-1.json");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        let c = failing(0..2, d.clone());
        let all = run(&c, &AtomicBool::new(false), |_| {}).expect("runs");
        assert!(all[0].repro_error.is_none());
        let e = all[1]
            .repro_error
            .as_deref()
            .expect("seed 1 has no reproducer");
        assert!(e.contains("seed-1.json") && e.contains("FIFO"), "{e}");
        std::fs::remove_dir_all(&d).expect("clean up");
    }

    #[test]
    fn the_window_grows_with_the_workers() {
        assert_eq!(window(1), 64);
        assert_eq!(window(8), 128);
    }
}
