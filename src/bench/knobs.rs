//! Knobs a user turns up, each at 1x and 10x the work (`rcsim bench --scaling`): a path linear
//! in its knob keeps events/s flat, so `slowdown` (events/s at 1x over events/s at 10x) stays
//! near 1; a quadratic one shows as about 10.
//!
//! - `pairs`: the standard scenario for 3 s with 8 and with 1024 pairs (128 with `--quick`);
//!   1024 pairs are 128 times the pairs, and their peak memory is the figure to watch.
//! - `checkpoint_interval=20us`: the standard scenario with 20 µs checkpoints for 0.1 s and 1 s.
//! - `empirical`: the uniform writer's sizes drawn from 1e5 and from 1e6 values (for the same
//!   run, so the work per sample is what grows).
//! - `script`: 20,000 and 200,000 chained scripted writes, each `after` the one before, each run
//!   as long as its writes take (250 µs a write): with one fixed length the short script's run was
//!   mostly idle timers after its last write, so the two runs did different work per event.
//! - `capacity`: the standard scenario for 2 s on 4 volumes of 4096 blocks and on 64 volumes of
//!   1 TiB (2^28 blocks of 4 KiB) per subsystem: the peak memory must not follow the capacity.
//!
//! Each point is the median of at least 3 runs, and of as many more as fill 2 s on CPU (at most
//! 25 in all), after one untimed warm-up run; with `--quick` of one run and no warm-up. Every
//! run must repeat the first one's trace hash.
//! `--quick` divides every run by 10 (the capacity pair excepted, which is short already).

use serde::Serialize;

use super::{rss, standard, Config};
use crate::scenario::dist::Dist;
use crate::scenario::types::Workload;
use crate::scenario::units::Size;
use crate::scenario::Scenario;

/// One setting of a knob, measured over `runs` identical runs.
#[derive(Clone, Debug, Serialize)]
pub struct KnobPoint {
    /// What the knob was set to.
    pub setting: String,
    /// Events in each run.
    pub events: u64,
    /// Events per wall-clock second (median run).
    pub events_per_s: f64,
    /// Events per on-CPU second (median run; 0 where unknown).
    pub cpu_events_per_s: f64,
    /// Timed runs behind the medians.
    pub runs: usize,
    /// Untimed runs before them (1, but 0 with `--quick`).
    pub warmup_runs: usize,
    /// Peak resident memory of the process during the runs, bytes (0 where unknown).
    pub peak_rss_bytes: u64,
    /// The runs' trace hash (every run repeats it).
    pub trace_hash: String,
    /// True when the checker found the runs consistent.
    pub consistent: bool,
}

/// A knob at 1x and at 10x (or more) the work.
#[derive(Clone, Debug, Serialize)]
pub struct KnobFigure {
    /// The knob.
    pub knob: String,
    /// The smaller setting.
    pub small: KnobPoint,
    /// The larger one.
    pub large: KnobPoint,
    /// Events/s at the small setting over events/s at the large one, on CPU time where known
    /// (1 is linear; the goal is at most 1.5).
    pub slowdown: f64,
}

/// The on-CPU seconds a point's runs fill at least (but with `--quick`): the 8-pair point runs
/// for a tenth of a second, and with three runs of it three bench runs within five minutes gave
/// the pairs knob 1.70x, 1.28x and 1.26x.
const MIN_CPU_S: f64 = 2.0;

/// Runs `sc` `runs` times, and more to fill [`MIN_CPU_S`] when `runs` is above 1, and describes
/// it by the median times (a knob's two points are compared with each other, and one run of a
/// fraction of a second on a shared machine varies by a third); every run must repeat the first
/// one's trace hash. With more than one run, one untimed run goes first: the first run at a
/// size touches the allocator's pages afresh (the 1,024-pair run took 518, 437 and 396 ns per
/// event in three runs in one process), and a point of three long runs would count that in its
/// median while one of twenty-five short runs would not.
fn point(setting: String, sc: &Scenario, runs: usize) -> KnobPoint {
    let reset = rss::reset_peak();
    let min_cpu_s = if runs > 1 { MIN_CPU_S } else { 0.0 };
    let warm = (runs > 1).then(|| standard::repeat(sc, 1, &mut |_| {}).0.trace_hash);
    let (res, wall, cpu_s, runs) = standard::repeat_for(sc, runs, min_cpu_s, &mut |_| {});
    if let Some(h) = &warm {
        assert_eq!(*h, res.trace_hash, "runs must repeat exactly");
    }
    let per = |s: f64| {
        if s > 0.0 {
            res.events as f64 / s
        } else {
            0.0
        }
    };
    KnobPoint {
        setting,
        events: res.events,
        events_per_s: per(wall),
        cpu_events_per_s: per(cpu_s),
        runs,
        warmup_runs: usize::from(warm.is_some()),
        peak_rss_bytes: if reset { rss::peak_rss_bytes() } else { 0 },
        trace_hash: res.trace_hash.clone(),
        consistent: res.consistent,
    }
}

fn figure(knob: &str, small: KnobPoint, large: KnobPoint) -> KnobFigure {
    let rate = |p: &KnobPoint| {
        if p.cpu_events_per_s > 0.0 {
            p.cpu_events_per_s
        } else {
            p.events_per_s
        }
    };
    let slowdown = if rate(&large) > 0.0 {
        rate(&small) / rate(&large)
    } else {
        0.0
    };
    KnobFigure {
        knob: knob.to_string(),
        small,
        large,
        slowdown,
    }
}

/// The standard scenario for `secs` seconds with `extra` overrides.
fn standard_for(secs: f64, extra: &[String]) -> Scenario {
    let mut o = vec![
        format!("duration={}ns", (secs * 1e9) as u64),
        format!("faults.0.at={}ns", (secs * 0.999e9) as u64),
    ];
    o.extend(extra.iter().cloned());
    let o: Vec<&str> = o.iter().map(String::as_str).collect();
    standard::scenario(false, &o)
}

/// The standard scenario for `secs` with `pairs` pairs (the standard storage spread over them).
fn with_pairs(secs: f64, pairs: u16) -> Scenario {
    let data: Vec<String> = (2..=pairs)
        .map(|p| format!("{{\"subsystem\":{p}}}"))
        .collect();
    standard_for(
        secs,
        &[
            format!("topology.pairs={pairs}"),
            format!(
                "topology.blocks_per_volume={}",
                (8 * 4096 / u32::from(pairs)).max(1)
            ),
            format!("workloads.0.data=[{}]", data.join(",")),
        ],
    )
}

/// The standard scenario whose uniform writer draws its size from `n` equally likely values.
fn with_empirical(secs: f64, n: u32) -> Scenario {
    let mut sc = standard_for(secs, &[]);
    let values: Vec<Size> = (0..n)
        .map(|i| Size(4096 + u64::from(i % 16) * 4096))
        .collect();
    let weights = (0..n).map(|i| f64::from(1 + i % 7)).collect();
    if let Some(Workload::Random(r)) = sc.workloads.get_mut(2) {
        r.size = Dist::empirical(values, weights);
    }
    sc
}

/// Simulated microseconds of a chained script's run per write.
const SCRIPT_US_PER_WRITE: u64 = 250;

/// `n` scripted writes, each after the one before, over two pairs, in a run just long enough
/// for all of them (a write and its completion take about 200 µs).
fn chained_script(n: u32) -> Scenario {
    let writes: Vec<String> = (0..n)
        .map(|i| {
            let after = if i == 0 {
                String::new()
            } else {
                format!(r#","after":["w{}"]"#, i - 1)
            };
            format!(
                r#"{{"label":"w{i}","subsystem":{},"block":{}{after}}}"#,
                1 + i % 2,
                i % 16
            )
        })
        .collect();
    let text = format!(
        r#"{{"name":"chained-script","description":"writes each after the one before",
            "duration":"{}us","topology":{{"pairs":2,"blocks_per_volume":16}},
            "workloads":[{{"kind":"script","writes":[{}]}}]}}"#,
        u64::from(n.max(4)) * SCRIPT_US_PER_WRITE,
        writes.join(",")
    );
    crate::scenario::parse("chained-script", &text, &[]).expect("a valid generated script")
}

/// Measures every knob, calling `progress` before each.
pub fn measure(cfg: Config, progress: &mut dyn FnMut(&str)) -> Vec<KnobFigure> {
    let q = if cfg.quick { 10.0 } else { 1.0 };
    let qn = |n: u32| if cfg.quick { n / 10 } else { n };
    let mut figs = Vec::new();
    let runs = if cfg.quick { 1 } else { 3 };

    let big = if cfg.quick { 128 } else { 1024 };
    progress(&format!("knobs: pairs 8 and {big}"));
    let secs = 3.0 / q;
    figs.push(figure(
        "pairs",
        point("8 pairs".into(), &with_pairs(secs, 8), runs),
        point(format!("{big} pairs"), &with_pairs(secs, big), runs),
    ));

    progress("knobs: 20 us checkpoints");
    let cp = |secs: f64| standard_for(secs, &["protocol.checkpoint_interval=20us".to_string()]);
    figs.push(figure(
        "checkpoint_interval=20us",
        point(format!("{} s", 0.1 / q), &cp(0.1 / q), runs),
        point(format!("{} s", 1.0 / q), &cp(1.0 / q), runs),
    ));

    progress("knobs: empirical sizes");
    let (lo, hi) = (qn(100_000), qn(1_000_000));
    figs.push(figure(
        "empirical",
        point(format!("{lo} values"), &with_empirical(1.0 / q, lo), runs),
        point(format!("{hi} values"), &with_empirical(1.0 / q, hi), runs),
    ));

    progress("knobs: chained script");
    let (lo, hi) = (qn(20_000), qn(200_000));
    figs.push(figure(
        "script",
        point(format!("{lo} chained writes"), &chained_script(lo), runs),
        point(format!("{hi} chained writes"), &chained_script(hi), runs),
    ));

    progress("knobs: 64 volumes of 1 TiB");
    figs.push(figure(
        "capacity",
        point("4 x 4096 blocks".into(), &standard_for(2.0, &[]), runs),
        point(
            "64 x 1 TiB".into(),
            &standard_for(
                2.0,
                &[
                    "topology.volumes_per_subsystem=64".to_string(),
                    format!("topology.blocks_per_volume={}", 1u32 << 28),
                ],
            ),
            runs,
        ),
    ));
    figs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_scenarios_are_valid_and_sized() {
        assert_eq!(with_pairs(0.01, 64).topology.pairs, 64);
        let Some(Workload::Random(r)) = with_empirical(0.01, 1000).workloads.get(2).cloned() else {
            panic!("the standard scenario's third workload is a random writer");
        };
        assert!(matches!(r.size, Dist::Empirical { ref values, .. } if values.len() == 1000));
        let p = point("100 chained".into(), &chained_script(100), 2);
        assert!(
            (2..=standard::MAX_RUNS).contains(&p.runs),
            "{} runs",
            p.runs
        );
        assert!(p.consistent);
        assert!(p.events > 100, "{}", p.events);
        assert_eq!(p.warmup_runs, 1, "a timed point runs once untimed first");
        let quick = point("100 chained".into(), &chained_script(100), 1);
        assert_eq!((quick.runs, quick.warmup_runs), (1, 0));
    }

    /// Both runs of the script knob complete every write, and ten times the writes make about
    /// ten times the events: the runs do the same work per event, not mostly idle timers in one.
    #[test]
    fn a_chained_script_runs_as_long_as_its_writes() {
        let run = |n: u32| {
            let sc = chained_script(n);
            let r = crate::sim::simulate(&sc, 1, &crate::sim::RunOptions::default()).expect("runs");
            assert_eq!(r.writes.completed, u64::from(n), "every write completes");
            r.events
        };
        let (small, large) = (run(1_000), run(10_000));
        let ratio = large as f64 / small as f64;
        assert!((9.0..11.0).contains(&ratio), "{small} against {large}");
    }
}
