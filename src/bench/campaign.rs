//! The campaign figure: the default fuzz campaign (`rcsim fuzz --seeds 0..1000`, the built-in
//! base, the checkpoint protocol) through the same runner as `rcsim fuzz`, on one core and then
//! on all cores; the figure is seeds per wall-clock second, and every seed's trace hash must
//! match between the two.

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use serde::Serialize;

use super::{cores, median, Config};
use crate::fuzz::campaign::{Campaign, Seeds};
use crate::fuzz::gen::GenOptions;
use crate::fuzz::stream::run;
use crate::scenario::parse;

/// Seeds of the full campaign.
pub const SEEDS: u64 = 1000;
/// Seeds of the quick campaign.
pub const QUICK_SEEDS: u64 = 40;

/// The campaign figure.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct CampaignFigure {
    /// Seeds in each campaign.
    pub seeds: u64,
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
    /// Seeds that failed a check (0 expected: the default campaign passes).
    pub failed: u64,
    /// True when every seed gave the same trace hash on one core and on all cores.
    pub identical: bool,
}

/// Runs seeds `0..n` of the default campaign on `jobs` threads; returns each seed's (hash,
/// events, consistent) in seed order and the wall-clock seconds.
pub fn campaign(n: u64, jobs: usize) -> (Vec<(String, u64, bool)>, f64) {
    let base = parse("built-in fuzz base", crate::fuzz::DEFAULT_BASE, &[])
        .expect("the built-in fuzz base is valid");
    let c = Campaign {
        base,
        seeds: Seeds::all(0..n),
        jobs,
        gen: GenOptions::default(),
        overrides: Vec::new(),
        repro_dir: None,
        check_determinism: false,
    };
    let start = Instant::now();
    let outcomes = run(&c, &AtomicBool::new(false), |_| {})
        .expect("a campaign without reproducers has no directory to make");
    let secs = start.elapsed().as_secs_f64();
    let results = outcomes
        .into_iter()
        .map(|o| {
            let r = o.result.expect("the generator draws valid scenarios");
            (r.trace_hash, r.events, r.consistent)
        })
        .collect();
    (results, secs)
}

/// Median seeds/s of 3 campaigns on one core and 3 on all cores, interleaved.
pub fn measure(cfg: Config) -> CampaignFigure {
    let seeds = if cfg.quick { QUICK_SEEDS } else { SEEDS };
    let threads = cores();
    let (mut one, mut all) = (Vec::new(), Vec::new());
    let mut identical = true;
    let mut events = 0;
    let mut failed = 0;
    for _ in 0..3 {
        let (a, s1) = campaign(seeds, 1);
        let (b, sn) = campaign(seeds, threads);
        identical &= a == b;
        events = a.iter().map(|r| r.1).sum::<u64>() / seeds;
        failed = a.iter().filter(|r| !r.2).count() as u64;
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
        failed,
        identical,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_reproduce_one_core_seed_by_seed() {
        let (a, _) = campaign(6, 1);
        let (b, _) = campaign(6, 3);
        assert_eq!(a, b);
        assert_ne!(a[0].0, a[1].0, "seeds differ");
        assert!(a.iter().all(|r| r.2), "the default campaign passes");
    }
}
