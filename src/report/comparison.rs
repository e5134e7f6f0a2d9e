//! The charts of a protocol comparison in page order: the summary figures and the time charts
//! together, all drawn on one time unit and one set of fault shades.

use super::figures::{self, ChartSpec, ProtocolRuns};
use super::over_time::{buffers, lag_and_exposure, latency, links, throughput, Ctx};
use super::units::time_unit;

/// Every chart of a protocol comparison, in page order; `rpo_target_ns` draws the target on
/// the exposure panel.
pub fn comparison(runs: &[ProtocolRuns], rpo_target_ns: Option<u64>) -> Vec<ChartSpec> {
    let unit = time_unit(figures::end_of(runs));
    let ctx = Ctx {
        unit,
        shades: figures::shades(runs, unit),
        note: figures::shade_note(runs),
        rpo_target_ns,
    };
    let mut out = vec![
        figures::tradeoff(runs),
        figures::latency_percentiles(runs),
        latency(runs, &ctx),
        throughput(runs, &ctx),
        lag_and_exposure(runs, &ctx),
        buffers(runs, &ctx),
        links(runs, &ctx),
    ];
    out.extend(figures::rounds(runs));
    out
}
