//! The time charts of a protocol comparison: latency, throughput, lag and exposure, buffers and
//! link use over simulated time, each with every fault shaded (one colour per kind) and a
//! caption that says what is shaded only when something is.

use plotters::style::RGBColor;

use super::chart::{colour, Figure, Line, Panel, Shade, Stroke};
use super::export::{per_second, window_ns};
use super::figures::{coinciding, series_line, ChartSpec, Drawing, ProtocolRuns};
use super::units::{
    byte_unit, human_bytes, human_ns, human_ns_or_na, median_measured, ms, TimeUnit,
};

/// What every time chart shares.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// The x axis unit.
    pub unit: TimeUnit,
    /// The fault windows, shaded on every panel.
    pub shades: Vec<Shade>,
    /// The caption's sentence on the shading ([`super::figures::shade_note`]).
    pub note: String,
    /// The RPO target drawn on the exposure panel, ns.
    pub rpo_target_ns: Option<u64>,
}

impl Ctx {
    fn x_label(&self) -> String {
        format!("simulated time ({})", self.unit.name)
    }

    fn panel(&self, y_label: &str, lines: Vec<Line>) -> Panel {
        Panel {
            x_label: self.x_label(),
            y_label: y_label.into(),
            lines,
            shades: self.shades.clone(),
            ..Panel::default()
        }
    }
}

fn interval(runs: &[ProtocolRuns]) -> u64 {
    runs.iter()
        .find_map(|r| r.series.as_ref().map(|s| s.interval_ns))
        .unwrap_or(0)
}

/// p50 and p99 host write latency per window over time.
pub fn latency(runs: &[ProtocolRuns], ctx: &Ctx) -> ChartSpec {
    let mut lines = Vec::new();
    for r in runs {
        lines.extend(series_line(
            r,
            ctx.unit,
            format!("{} p99", r.protocol),
            Stroke::Solid,
            |p| p.write_p99_ns.map(ms),
        ));
        lines.extend(series_line(
            r,
            ctx.unit,
            format!("{} p50", r.protocol),
            Stroke::Dashed,
            |p| p.write_p50_ns.map(ms),
        ));
    }
    let title = "Host write latency over time".to_string();
    ChartSpec {
        stem: "latency-over-time".into(),
        caption: format!(
            "The median (dashed) and 99th percentile (solid) latency of the host writes that \
             completed in each {} window, per protocol (log scale); gaps are windows without \
             completions.{}{}",
            human_ns(interval(runs)),
            ctx.note,
            coinciding(runs)
        ),
        drawing: Drawing::Figure(Figure {
            title: title.clone(),
            panels: vec![Panel {
                y_log: true,
                empty_note: Some("no host write completed".into()),
                ..ctx.panel("host write latency (ms, log)", lines)
            }],
        }),
        title,
    }
}

/// Host writes per second and bytes per second reaching the secondary site, per window.
pub fn throughput(runs: &[ProtocolRuns], ctx: &Ctx) -> ChartSpec {
    let peak_bytes = runs
        .iter()
        .filter_map(|r| r.series.as_ref())
        .flat_map(|s| {
            s.points
                .iter()
                .enumerate()
                .map(|(i, p)| per_second(p.replicated_bytes, window_ns(&s.points, i)))
        })
        .fold(0.0f64, f64::max);
    let (per, name) = byte_unit(peak_bytes);
    let mut writes = Vec::new();
    let mut bytes = Vec::new();
    for r in runs {
        let Some(s) = &r.series else { continue };
        let rate = |f: &dyn Fn(&super::series::Point) -> u64, scale: f64| -> Line {
            Line {
                label: r.protocol.clone(),
                colour: colour::protocol(&r.protocol),
                stroke: Stroke::Solid,
                markers: false,
                connect_gaps: false,
                points: s
                    .points
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        let v = per_second(f(p), window_ns(&s.points, i)) / scale;
                        (p.t_ns as f64 / ctx.unit.ns, Some(v))
                    })
                    .collect(),
            }
        };
        writes.push(rate(&|p| p.writes, 1.0));
        bytes.push(rate(&|p| p.replicated_bytes, per));
    }
    let totals: Vec<String> = runs
        .iter()
        .filter_map(|r| {
            let s = r.series.as_ref()?;
            let secs = s.end_ns as f64 / 1e9;
            let w: u64 = s.points.iter().map(|p| p.writes).sum();
            let b: u64 = s.points.iter().map(|p| p.replicated_bytes).sum();
            Some(format!(
                "{} {w} writes, {} replicated",
                r.protocol,
                human_bytes(b)
            ))
            .filter(|_| secs > 0.0)
        })
        .collect();
    let title = "Throughput: host writes and bytes replicated".to_string();
    ChartSpec {
        stem: "throughput".into(),
        caption: format!(
            "Top: host writes completed per second in each {} window. Bottom: bytes of host \
             writes whose copy reached the secondary site per second (decimal {name}/s; a \
             protocol that buffers at the secondary counts a write when it arrives, not when it \
             is applied). Over the run: {}.{}",
            human_ns(interval(runs)),
            totals.join("; "),
            ctx.note
        ),
        drawing: Drawing::Figure(Figure {
            title: title.clone(),
            panels: vec![
                ctx.panel("host writes per second", writes),
                ctx.panel(&format!("replicated ({name}/s)"), bytes),
            ],
        }),
        title,
    }
}

/// The colour of the RPO target line.
const TARGET: RGBColor = RGBColor(0, 0, 0);

/// Secondary lag and data exposure over time, with the RPO target if one was given.
pub fn lag_and_exposure(runs: &[ProtocolRuns], ctx: &Ctx) -> ChartSpec {
    let unit = ctx.unit;
    let mut lag = Vec::new();
    let mut exposure = Vec::new();
    for r in runs {
        lag.extend(series_line(
            r,
            unit,
            r.protocol.clone(),
            Stroke::Solid,
            |p| Some(ms(p.lag_ns)),
        ));
        exposure.extend(series_line(
            r,
            unit,
            r.protocol.clone(),
            Stroke::Solid,
            |p| Some(ms(p.exposure_ns)),
        ));
    }
    for l in lag.iter_mut().chain(exposure.iter_mut()) {
        l.markers = false;
    }
    let p99 = |r: &ProtocolRuns, f: fn(&crate::result::RunResult) -> Option<u64>| {
        human_ns_or_na(median_measured(r.results.iter().map(f)))
    };
    let lags: Vec<String> = runs
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r.protocol,
                p99(r, |x| x.latency_ns.secondary_lag.map(|p| p.p99))
            )
        })
        .collect();
    let exp: Vec<String> = runs
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r.protocol,
                p99(r, |x| x.latency_ns.exposure.map(|p| p.p99))
            )
        })
        .collect();
    let mut target = String::new();
    if let Some(t) = ctx.rpo_target_ns {
        let end = super::figures::end_of(runs) as f64 / unit.ns;
        exposure.push(Line {
            label: format!("target {}", human_ns(t)),
            colour: TARGET,
            stroke: Stroke::Dashed,
            markers: false,
            connect_gaps: false,
            points: vec![(0.0, Some(ms(t))), (end, Some(ms(t)))],
        });
        let within: Vec<(&str, Option<f64>)> = runs
            .iter()
            .filter_map(|r| {
                let w = r.series.as_ref()?.rpo_within?;
                Some((r.protocol.as_str(), w.fraction()))
            })
            .collect();
        target = if within.iter().all(|(_, f)| f.is_none()) {
            format!(
                " Dashed: the {} RPO target; no time passed before the disaster, so the share \
                 of time within it is n/a.",
                human_ns(t)
            )
        } else {
            let shares: Vec<String> = within
                .iter()
                .map(|(p, f)| format!("{p} {}", f.map_or("n/a".into(), percent)))
                .collect();
            format!(
                " Dashed: the {} RPO target; the exposure was within it {} of the time (to the \
                 disaster or the end, time-weighted like the p99).",
                human_ns(t),
                shares.join(", ")
            )
        };
    }
    let title = "Secondary lag and data exposure over time".to_string();
    ChartSpec {
        stem: "lag-exposure".into(),
        caption: format!(
            "Top: secondary lag, the age of the earliest write a primary volume stored that no \
             secondary volume has caught up with yet (whether or not hosts may read it): how \
             far the copy trails. Bottom: data exposure, the age of the oldest completed write \
             the image hosts could read still lacks: what a disaster at that moment would lose. \
             Both are sampled at each window's end and, after the disaster, stay at their value \
             then. Time-weighted p99 (the share of time, not of samples): lag {}; exposure {}.\
             {target}{}",
            lags.join(", "),
            exp.join(", "),
            ctx.note
        ),
        drawing: Drawing::Figure(Figure {
            title: title.clone(),
            panels: vec![
                ctx.panel("secondary lag (ms)", lag),
                ctx.panel("data exposure (ms)", exposure),
            ],
        }),
        title,
    }
}

/// A share as a percentage with one decimal (`99.3%`), never rounding a miss up to 100%.
pub fn percent(f: f64) -> String {
    let v = (f * 1000.0).floor() / 10.0;
    format!("{v:.1}%")
}

fn sum_u32(v: &[u32]) -> f64 {
    v.iter().map(|&x| f64::from(x)).sum()
}

/// Writes (and bytes) queued at the primaries and held at the secondaries.
pub fn buffers(runs: &[ProtocolRuns], ctx: &Ctx) -> ChartSpec {
    let unit = ctx.unit;
    let pairs = runs
        .iter()
        .find_map(|r| r.series.as_ref().map(|s| s.pairs))
        .unwrap_or(0);
    let peak_bytes = runs
        .iter()
        .filter_map(|r| r.series.as_ref())
        .flat_map(|s| &s.points)
        .map(|p| p.primary_backlog_bytes.iter().sum::<u64>() as f64)
        .fold(0.0f64, f64::max);
    let (per, name) = byte_unit(peak_bytes);
    let mut prim = Vec::new();
    let mut prim_bytes = Vec::new();
    let mut sec = Vec::new();
    for r in runs {
        prim.extend(series_line(
            r,
            unit,
            r.protocol.clone(),
            Stroke::Solid,
            |p| Some(sum_u32(&p.primary_backlog)),
        ));
        prim_bytes.extend(series_line(
            r,
            unit,
            r.protocol.clone(),
            Stroke::Solid,
            |p| Some(p.primary_backlog_bytes.iter().sum::<u64>() as f64 / per),
        ));
        sec.extend(series_line(
            r,
            unit,
            r.protocol.clone(),
            Stroke::Solid,
            |p| Some(sum_u32(&p.secondary_backlog)),
        ));
    }
    for l in prim.iter_mut().chain(&mut prim_bytes).chain(&mut sec) {
        l.markers = false;
    }
    let title = "Buffer occupancy at both sites".to_string();
    ChartSpec {
        stem: "buffers".into(),
        caption: format!(
            "Top: writes the primaries had stored whose copy had not yet reached the secondary \
             site (queued for the copy stage, on the link, or in central's mover), summed over \
             the {pairs} pairs; middle: the same backlog in bytes (decimal {name}). Bottom: \
             writes the secondaries held and had not yet applied (the checkpoint protocol \
             buffers them until a checkpoint covering them is released), summed over the \
             pairs.{}",
            ctx.note
        ),
        drawing: Drawing::Figure(Figure {
            title: title.clone(),
            panels: vec![
                Panel {
                    integer_y: true,
                    ..ctx.panel("primary: writes not at S", prim)
                },
                ctx.panel(&format!("primary: {name} not at S"), prim_bytes),
                Panel {
                    integer_y: true,
                    ..ctx.panel("secondary: writes held", sec)
                },
            ],
        }),
        title,
    }
}

/// Pair-link utilisation over time.
pub fn links(runs: &[ProtocolRuns], ctx: &Ctx) -> ChartSpec {
    let mut lines = Vec::new();
    for r in runs {
        lines.extend(series_line(
            r,
            ctx.unit,
            r.protocol.clone(),
            Stroke::Solid,
            |p| Some(100.0 * p.link_utilisation.iter().copied().fold(0.0f64, f64::max)),
        ));
    }
    for l in lines.iter_mut() {
        l.markers = false;
    }
    let peak = lines
        .iter()
        .flat_map(|l| l.points.iter().filter_map(|p| p.1))
        .fold(0.0f64, f64::max);
    let title = "Pair-link utilisation, busiest pair (primary to secondary)".to_string();
    ChartSpec {
        stem: "link-utilisation".into(),
        caption: format!(
            "The share of each window the busiest pair link spent sending from its primary \
             (write copies, checkpoints, acknowledgements and resends), per protocol. Near 100% \
             writes queue at the primary and the secondary falls behind. Peak: {peak:.1}%.{}",
            ctx.note
        ),
        drawing: Drawing::Figure(Figure {
            title: title.clone(),
            panels: vec![Panel {
                y_range: Some((0.0, (peak * 1.25).clamp(1.0, 100.0))),
                ..ctx.panel("link busy (%)", lines)
            }],
        }),
        title,
    }
}
