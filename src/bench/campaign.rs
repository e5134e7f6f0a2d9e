//! The seed campaign: a short standard scenario under many seeds, on one core and then on all
//! cores (`std::thread::scope`, seeds handed out in order by an atomic counter); the figure is
//! seeds per wall-clock second, and every seed's trace hash must match between the two.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;

use super::{cores, median, standard, Config};
use crate::scenario::Scenario;
use crate::sim::{simulate, RunOptions};

/// The campaign's scenario: the standard one cut to 250 ms of hosts.
pub const SHORT: [&str; 2] = ["duration=250ms", "faults.0.at=240ms"];

/// The campaign figure.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct CampaignFigure {
    /// Seeds in each campaign.
    pub seeds: usize,
    /// Threads of the all-cores campaign.
    pub cores: usize,
    /// Median seeds per wall-clock second on one core.
    pub seeds_per_s_one_core: f64,
    /// Median seeds per wall-clock second on all cores.
    pub seeds_per_s_all_cores: f64,
    /// All cores over one core.
    pub speedup: f64,
    /// Mean events per seed.
    pub events_per_seed: u64,
    /// True when every seed gave the same trace hash on one core and on all cores.
    pub identical: bool,
}

/// Runs seeds 1..=n of `sc` on `threads` threads; returns each seed's (hash, events) in seed
/// order and the wall-clock seconds.
pub fn campaign(sc: &Scenario, n: usize, threads: usize) -> (Vec<(String, u64)>, f64) {
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<(String, u64)>>> = Mutex::new(vec![None; n]);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let r = simulate(sc, i as u64 + 1, &RunOptions::default()).expect("no files");
                let mut o = out.lock().unwrap_or_else(|e| e.into_inner());
                o[i] = Some((r.trace_hash, r.events));
            });
        }
    });
    let secs = start.elapsed().as_secs_f64();
    let results = out
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| r.expect("every seed ran"))
        .collect();
    (results, secs)
}

/// Median seeds/s of 3 campaigns on one core and 3 on all cores, interleaved.
pub fn measure(cfg: Config) -> CampaignFigure {
    let extra: &[&str] = if cfg.quick {
        &["duration=100ms", "faults.0.at=90ms"]
    } else {
        &SHORT
    };
    let sc = standard::scenario(false, extra);
    let seeds = if cfg.quick { 4 } else { 32 };
    let threads = cores();
    let (mut one, mut all) = (Vec::new(), Vec::new());
    let mut identical = true;
    let mut events = 0u64;
    for _ in 0..3 {
        let (a, s1) = campaign(&sc, seeds, 1);
        let (b, sn) = campaign(&sc, seeds, threads);
        identical &= a == b;
        events = a.iter().map(|(_, e)| e).sum::<u64>() / seeds as u64;
        one.push(seeds as f64 / s1);
        all.push(seeds as f64 / sn);
    }
    let (one, all) = (median(&one), median(&all));
    CampaignFigure {
        seeds,
        cores: threads,
        seeds_per_s_one_core: one,
        seeds_per_s_all_cores: all,
        speedup: all / one,
        events_per_seed: events,
        identical,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_reproduce_one_core_seed_by_seed() {
        let sc = standard::scenario(false, &["duration=20ms", "faults.0.at=15ms"]);
        let (a, _) = campaign(&sc, 5, 1);
        let (b, _) = campaign(&sc, 5, 3);
        assert_eq!(a, b);
        assert_ne!(a[0].0, a[1].0, "seeds differ");
    }
}
