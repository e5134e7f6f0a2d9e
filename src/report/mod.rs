//! Reports: the series recorded during a run, the charts drawn from them (PNG and SVG), the
//! summary pages comparing protocols on one scenario, and parameter sweeps. They read only the
//! runs' results and their recorded series.

pub mod chart;
pub mod comparison;
pub mod export;
pub mod faults;
pub mod figures;
pub mod over_time;
pub mod page;
pub mod series;
pub mod sweep;
pub mod sweep_axis;
pub mod timeline;
pub mod units;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::output::{ensure_dir, write_own};
use chart::{render, Rendered, SIZE};
use figures::{ChartSpec, Drawing, ProtocolRuns};
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

/// Writes `STEM.png` and `STEM.svg` of each chart into `dir`, and returns the renderings.
pub fn write_charts(dir: &Path, charts: &[ChartSpec]) -> Result<Vec<Rendered>, String> {
    let mut out = Vec::with_capacity(charts.len());
    for c in charts {
        let r = render_spec(c)?;
        for (ext, bytes) in [("png", r.png.as_slice()), ("svg", r.svg.as_bytes())] {
            let path = dir.join(format!("{}.{ext}", c.stem));
            write_own(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        out.push(r);
    }
    Ok(out)
}

/// Writes `text` to `dir/name`, creating `dir` (a link at `dir` is refused, never followed).
fn write_text(dir: &Path, name: &str, text: &str) -> Result<(), String> {
    ensure_dir(dir).map_err(|e| format!("cannot use {}: {e}", dir.display()))?;
    let path = dir.join(name);
    write_own(&path, text.as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Writes the data behind the charts: `dir/series/PROTOCOL-seedN.csv` and
/// `dir/hgrm/PROTOCOL-seedN.hgrm` for each protocol's recorded run.
pub fn write_data(dir: &Path, runs: &[ProtocolRuns]) -> Result<(), String> {
    for r in runs {
        let (Some(s), Some(first)) = (&r.series, r.results.first()) else {
            continue;
        };
        let stem = format!("{}-seed{}", r.protocol, first.seed);
        write_text(
            &dir.join("series"),
            &format!("{stem}.csv"),
            &export::series_csv(s),
        )?;
        write_text(&dir.join("hgrm"), &format!("{stem}.hgrm"), &export::hgrm(s))?;
    }
    Ok(())
}

/// Writes a protocol comparison into `dir`: every chart as PNG and SVG, the data behind them
/// (see [`write_data`]), `index.md` and the self-contained `index.html`.
pub fn write_report(dir: &Path, info: &PageInfo, runs: &[ProtocolRuns]) -> Result<(), String> {
    write_data(dir, runs)?;
    let charts = comparison::comparison(runs, info.rpo_target_ns);
    let rendered = write_charts(dir, &charts)?;
    let md = page::markdown(info, runs, &charts);
    let html = page::html(info, runs, &charts, &rendered);
    for (name, text) in [("index.md", md), ("index.html", html)] {
        let path = dir.join(name);
        write_own(&path, text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
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
