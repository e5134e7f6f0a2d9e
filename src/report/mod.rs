//! Reports: the series recorded during a run, the charts drawn from them (PNG and SVG), the
//! summary pages comparing protocols on one scenario, and parameter sweeps. They read only the
//! runs' results and their recorded series.

pub mod chart;
pub mod comparison;
pub mod export;
pub mod faults;
pub mod figures;
pub mod files;
pub mod over_time;
pub mod page;
pub mod series;
pub mod sweep;
pub mod sweep_axis;
pub mod timeline;
pub mod units;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use chart::{render, Rendered, SIZE};
use figures::{ChartSpec, Drawing, ProtocolRuns};
use files::Files;
use page::PageInfo;

/// Renders one chart to SVG and PNG.
pub fn render_spec(spec: &ChartSpec) -> Result<Rendered, String> {
    match &spec.drawing {
        Drawing::Figure(f) => {
            // Each panel past the first adds 200 px.
            let extra = (f.panels.len().max(1) as u32 - 1).min(3) * 200;
            let h = SIZE.1 + extra;
            render(f, (SIZE.0, h))
        }
        Drawing::Timeline(t) => render(t, SIZE),
    }
}

/// Renders each chart into `files` as `STEM.png` and `STEM.svg`, and returns the SVGs, which
/// the pages inline.
pub fn render_charts(charts: &[ChartSpec], files: &mut Files) -> Result<Vec<String>, String> {
    let mut svgs = Vec::with_capacity(charts.len());
    for c in charts {
        let Rendered { svg, png } = render_spec(c)?;
        files.add(format!("{}.png", c.stem), png);
        files.add(format!("{}.svg", c.stem), svg.as_bytes());
        svgs.push(svg);
    }
    Ok(svgs)
}

/// The data behind the charts: `series/PROTOCOL-seedN.csv` and `hgrm/PROTOCOL-seedN.hgrm` for
/// each protocol's recorded run.
pub fn data_files(runs: &[ProtocolRuns], files: &mut Files) {
    for r in runs {
        let (Some(s), Some(first)) = (&r.series, r.results.first()) else {
            continue;
        };
        let stem = format!("{}-seed{}", r.protocol, first.seed);
        files.add(format!("series/{stem}.csv"), export::series_csv(s));
        files.add(format!("hgrm/{stem}.hgrm"), export::hgrm(s));
    }
}

/// A protocol comparison's files: every chart as PNG and SVG, the data behind them (see
/// [`data_files`]), `index.md` and the self-contained `index.html`; nothing is written yet
/// (see [`Files::write`]).
pub fn render_report(info: &PageInfo, runs: &[ProtocolRuns]) -> Result<Files, String> {
    let mut files = Files::new();
    data_files(runs, &mut files);
    let charts = comparison::comparison(runs, info.rpo_target_ns);
    let svgs = render_charts(&charts, &mut files)?;
    files.add("index.md", page::markdown(info, runs, &charts));
    files.add("index.html", page::html(info, runs, &charts, &svgs));
    Ok(files)
}

/// Runs `f` over `items` on up to `threads` threads and returns the results in item order,
/// whatever the threads' timing; `tick` is called once per finished item.
pub fn parallel_map<T, R, F>(items: &[T], threads: usize, tick: &(dyn Fn() + Sync), f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(item) = items.get(i) else { break };
        let r = f(item);
        if let Ok(mut s) = slots.lock() {
            s[i] = Some(r);
        }
        tick();
    };
    std::thread::scope(|scope| {
        // Never more threads than items; a thread the system refuses is simply not started,
        // and the calling thread takes its share of the work.
        for _ in 1..threads.clamp(1, items.len().max(1)) {
            if std::thread::Builder::new()
                .spawn_scoped(scope, work)
                .is_err()
            {
                break;
            }
        }
        work();
    });
    slots
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}
