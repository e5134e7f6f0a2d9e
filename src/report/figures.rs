//! The charts of a protocol comparison, built from the runs' results and recorded series only:
//! each comes with a file name, a title and a sentence saying what it shows.

use super::chart::{colour, Band, Figure, Line, Panel, RoundBar, Shade, Stroke, Timeline};
use super::series::{Point, Series};
use crate::result::RunResult;

/// One protocol's runs on the scenario: every seed's result, and the first seed's series.
#[derive(Clone, Debug)]
pub struct ProtocolRuns {
    /// The protocol's name.
    pub protocol: String,
    /// One result per seed, in seed order.
    pub results: Vec<RunResult>,
    /// The recorded series of the first seed.
    pub series: Option<Series>,
}

/// What a chart is drawn with.
#[derive(Clone, Debug)]
pub enum Drawing {
    /// Stacked panels.
    Figure(Figure),
    /// The checkpoint-round timeline.
    Timeline(Timeline),
}

/// A chart ready to render: where it goes and what to say about it.
#[derive(Clone, Debug)]
pub struct ChartSpec {
    /// File stem: `STEM.png` and `STEM.svg`.
    pub stem: String,
    /// Its title (also the figure's).
    pub title: String,
    /// One or two sentences saying what it shows.
    pub caption: String,
    /// The drawing.
    pub drawing: Drawing,
}

/// A unit of simulated time for an axis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeUnit {
    /// Nanoseconds per unit.
    pub ns: f64,
    /// Its symbol.
    pub name: &'static str,
}

/// Seconds for runs of two seconds or more, else milliseconds.
pub fn time_unit(end_ns: u64) -> TimeUnit {
    if end_ns >= 2_000_000_000 {
        TimeUnit { ns: 1e9, name: "s" }
    } else {
        TimeUnit {
            ns: 1e6,
            name: "ms",
        }
    }
}

/// Nanoseconds as a short human time (`12.5 ms`).
pub fn human_ns(v: u64) -> String {
    let f = v as f64;
    let (x, u) = if v < 1_000 {
        return format!("{v} ns");
    } else if v < 1_000_000 {
        (f / 1e3, "µs")
    } else if v < 1_000_000_000 {
        (f / 1e6, "ms")
    } else {
        (f / 1e9, "s")
    };
    // Three significant figures: 258 µs, 1.68 ms, 53.2 ms.
    let s = if x < 10.0 {
        format!("{x:.2}")
    } else if x < 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.0}")
    };
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    format!("{s} {u}")
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// The median of `v` (the lower middle for an even count), or 0.
pub fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    if v.is_empty() {
        0
    } else {
        v[(v.len() - 1) / 2]
    }
}

/// Fault windows of every protocol's series, merged by label (the longest kept), as shades.
pub fn shades(runs: &[ProtocolRuns], unit: TimeUnit) -> Vec<Shade> {
    let mut out: Vec<(String, u64, u64)> = Vec::new();
    for s in runs.iter().filter_map(|r| r.series.as_ref()) {
        for f in &s.faults {
            match out.iter_mut().find(|o| o.0 == f.label) {
                Some(o) => {
                    o.1 = o.1.min(f.start_ns);
                    o.2 = o.2.max(f.end_ns);
                }
                None => out.push((f.label.clone(), f.start_ns, f.end_ns)),
            }
        }
    }
    out.into_iter()
        .map(|(label, a, b)| {
            let disaster = label == "disaster";
            Shade {
                label: if disaster {
                    "disaster to takeover".into()
                } else {
                    label
                },
                colour: if disaster {
                    colour::DISASTER
                } else {
                    colour::CRASH
                },
                from: a as f64 / unit.ns,
                to: b as f64 / unit.ns,
            }
        })
        .collect()
}

fn end_of(runs: &[ProtocolRuns]) -> u64 {
    runs.iter()
        .filter_map(|r| r.series.as_ref().map(|s| s.end_ns))
        .max()
        .unwrap_or(1)
}

fn series_line(
    r: &ProtocolRuns,
    unit: TimeUnit,
    label: String,
    stroke: Stroke,
    f: impl Fn(&Point) -> Option<f64>,
) -> Option<Line> {
    let s = r.series.as_ref()?;
    let points: Vec<(f64, Option<f64>)> = s
        .points
        .iter()
        .map(|p| (p.t_ns as f64 / unit.ns, f(p)))
        .collect();
    let with_data = points.iter().filter(|p| p.1.is_some()).count();
    Some(Line {
        label,
        colour: colour::protocol(&r.protocol),
        stroke,
        markers: with_data < 40,
        connect_gaps: false,
        points,
    })
}

/// A sentence naming protocols whose host write latencies match another's (their lines lie on
/// top of each other), or nothing.
fn coinciding(runs: &[ProtocolRuns]) -> String {
    let key = |r: &ProtocolRuns| {
        r.results
            .first()
            .map(|x| (x.latency_ns.host_write.p50, x.latency_ns.host_write.p99))
    };
    let mut notes = Vec::new();
    for (i, a) in runs.iter().enumerate() {
        if let Some(b) = runs[i + 1..]
            .iter()
            .find(|b| key(b).is_some() && key(b) == key(a))
        {
            notes.push(format!(
                "{}'s line lies under {}'s (the same latencies)",
                a.protocol, b.protocol
            ));
        }
    }
    if notes.is_empty() {
        String::new()
    } else {
        format!(" {}.", notes.join("; "))
    }
}

/// The widest percentile the latency plot shows: p99.999.
const HDR_X_MAX: f64 = 1e5;

/// Host write latency as an HdrHistogram percentile plot, one line per protocol (the first seed):
/// latency (log y) against `1/(1 − p)` (log x, labelled as the percentile), so the tail from p99
/// to p99.999 gets as much room as the median.
fn latency_percentiles(runs: &[ProtocolRuns]) -> ChartSpec {
    let mut lines = Vec::new();
    for r in runs {
        let Some(s) = &r.series else { continue };
        let points = s
            .host_latency_percentiles
            .iter()
            .filter(|row| row.1 < 1.0)
            .map(|&(ns, frac, _)| ((1.0 / (1.0 - frac)).min(HDR_X_MAX), Some(ms(ns))))
            .collect();
        lines.push(Line {
            label: r.protocol.clone(),
            colour: colour::protocol(&r.protocol),
            stroke: Stroke::Solid,
            markers: s.host_writes < 40,
            connect_gaps: false,
            points,
        });
    }
    let tails: Vec<String> = runs
        .iter()
        .map(|r| {
            let p = |f: fn(&RunResult) -> u64| median(r.results.iter().map(f).collect());
            format!(
                "{} p50 {}, p99 {}, max {}",
                r.protocol,
                human_ns(p(|x| x.latency_ns.host_write.p50)),
                human_ns(p(|x| x.latency_ns.host_write.p99)),
                human_ns(p(|x| x.latency_ns.host_write.max))
            )
        })
        .collect();
    let title = "Host write latency by percentile".to_string();
    ChartSpec {
        stem: "latency-percentiles".into(),
        caption: format!(
            "The latency (y, log scale) under which a given share of host writes completed (x: \
             the percentile, spaced as 1/(1 − p) so p99, p99.9 and p99.99 are as far apart as \
             p90 and p99), per protocol: a lower line means faster writes. An asynchronous \
             protocol completes a write once the primary has stored it; sync waits for the \
             secondary, so it pays the link's round trip on every write. A line ends at the \
             highest percentile its writes resolve. The same data, in HdrHistogram's format, \
             is in hgrm/. {}.{}",
            tails.join("; "),
            coinciding(runs)
        ),
        drawing: Drawing::Figure(Figure {
            title: title.clone(),
            panels: vec![Panel {
                x_label: "percentile of host writes (log scale of 1/(1 − p))".into(),
                y_label: "host write latency (ms, log)".into(),
                x_log: true,
                x_percentile: true,
                y_log: true,
                x_range: Some((1.0, HDR_X_MAX)),
                lines,
                empty_note: Some("no host write completed".into()),
                ..Panel::default()
            }],
        }),
        title,
    }
}

/// p50 and p99 host write latency per window over time.
fn latency_over_time(runs: &[ProtocolRuns], unit: TimeUnit, sh: &[Shade]) -> ChartSpec {
    let mut lines = Vec::new();
    for r in runs {
        lines.extend(series_line(
            r,
            unit,
            format!("{} p99", r.protocol),
            Stroke::Solid,
            |p| p.write_p99_ns.map(ms),
        ));
        lines.extend(series_line(
            r,
            unit,
            format!("{} p50", r.protocol),
            Stroke::Dashed,
            |p| p.write_p50_ns.map(ms),
        ));
    }
    let interval = runs
        .iter()
        .find_map(|r| r.series.as_ref().map(|s| s.interval_ns))
        .unwrap_or(0);
    let title = "Host write latency over time".to_string();
    ChartSpec {
        stem: "latency-over-time".into(),
        caption: format!(
            "The median (dashed) and 99th percentile (solid) latency of the host writes that \
             completed in each {} window, per protocol (log scale); gaps are windows without \
             completions. Shaded: fault windows; after the disaster no host writes.{}",
            human_ns(interval),
            coinciding(runs)
        ),
        drawing: Drawing::Figure(Figure {
            title: title.clone(),
            panels: vec![Panel {
                x_label: format!("simulated time ({})", unit.name),
                y_label: "host write latency (ms, log)".into(),
                y_log: true,
                lines,
                shades: sh.to_vec(),
                empty_note: Some("no host write completed".into()),
                ..Panel::default()
            }],
        }),
        title,
    }
}

/// Secondary lag and data exposure over time.
fn lag_and_exposure(runs: &[ProtocolRuns], unit: TimeUnit, sh: &[Shade]) -> ChartSpec {
    let mut lag = Vec::new();
    let mut exposure = Vec::new();
    for r in runs {
        lag.extend(series_line(
            r,
            unit,
            format!("{} p99", r.protocol),
            Stroke::Solid,
            |p| p.lag_p99_ns.map(ms),
        ));
        exposure.extend(series_line(
            r,
            unit,
            r.protocol.clone(),
            Stroke::Solid,
            |p| Some(ms(p.exposure_ns)),
        ));
    }
    for l in exposure.iter_mut() {
        l.markers = false;
    }
    for l in lag.iter_mut() {
        // A protocol that applies in rounds has no applies in most windows: join its points.
        l.connect_gaps = true;
        l.markers = false;
    }
    let exp: Vec<String> = runs
        .iter()
        .map(|r| {
            let p99 = median(
                r.results
                    .iter()
                    .map(|x| x.latency_ns.exposure.p99)
                    .collect(),
            );
            format!("{} {}", r.protocol, human_ns(p99))
        })
        .collect();
    let title = "Secondary lag and data exposure over time".to_string();
    ChartSpec {
        stem: "lag-exposure".into(),
        caption: format!(
            "Top: how long writes took from the primary's volume to a secondary volume (99th \
             percentile of the writes applied in each window, log scale). Bottom: data exposure, \
             the age of the oldest completed write the image hosts could read still lacks: what \
             a disaster at that moment would lose. After the disaster it stays at what was lost. \
             Exposure p99: {}.",
            exp.join(", ")
        ),
        drawing: Drawing::Figure(Figure {
            title: title.clone(),
            panels: vec![
                Panel {
                    x_label: format!("simulated time ({})", unit.name),
                    y_label: "secondary lag p99 (ms, log)".into(),
                    y_log: true,
                    lines: lag,
                    shades: sh.to_vec(),
                    empty_note: Some("no write reached a secondary".into()),
                    ..Panel::default()
                },
                Panel {
                    x_label: format!("simulated time ({})", unit.name),
                    y_label: "data exposure (ms)".into(),
                    lines: exposure,
                    shades: sh.to_vec(),
                    ..Panel::default()
                },
            ],
        }),
        title,
    }
}

fn sum_u32(v: &[u32]) -> f64 {
    v.iter().map(|&x| f64::from(x)).sum()
}

/// Writes queued at the primaries and held at the secondaries.
fn buffers(runs: &[ProtocolRuns], unit: TimeUnit, sh: &[Shade]) -> ChartSpec {
    let pairs = runs
        .iter()
        .find_map(|r| r.series.as_ref().map(|s| s.pairs))
        .unwrap_or(0);
    let mut prim = Vec::new();
    let mut sec = Vec::new();
    for r in runs {
        prim.extend(series_line(
            r,
            unit,
            r.protocol.clone(),
            Stroke::Solid,
            |p| Some(sum_u32(&p.primary_backlog)),
        ));
        sec.extend(series_line(
            r,
            unit,
            r.protocol.clone(),
            Stroke::Solid,
            |p| Some(sum_u32(&p.secondary_backlog)),
        ));
    }
    for l in prim.iter_mut().chain(sec.iter_mut()) {
        l.markers = false;
    }
    let title = "Buffer occupancy at both sites".to_string();
    ChartSpec {
        stem: "buffers".into(),
        caption: format!(
            "Top: writes the primaries had stored whose copy had not yet reached the secondary \
             (queued for the copy stage or on the link), summed over the {pairs} pairs. Bottom: \
             writes the secondaries held and had not yet applied (the checkpoint protocol buffers \
             them until a checkpoint covering them is released), summed over the pairs."
        ),
        drawing: Drawing::Figure(Figure {
            title: title.clone(),
            panels: vec![
                Panel {
                    x_label: format!("simulated time ({})", unit.name),
                    y_label: "primary: writes not yet at S".into(),
                    integer_y: true,
                    lines: prim,
                    shades: sh.to_vec(),
                    ..Panel::default()
                },
                Panel {
                    x_label: format!("simulated time ({})", unit.name),
                    y_label: "secondary: writes held".into(),
                    integer_y: true,
                    lines: sec,
                    shades: sh.to_vec(),
                    ..Panel::default()
                },
            ],
        }),
        title,
    }
}

/// Pair-link utilisation over time.
fn links(runs: &[ProtocolRuns], unit: TimeUnit, sh: &[Shade]) -> ChartSpec {
    let mut lines = Vec::new();
    for r in runs {
        lines.extend(series_line(
            r,
            unit,
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
             writes queue at the primary and the secondary falls behind. Peak: {peak:.1}%."
        ),
        drawing: Drawing::Figure(Figure {
            title: title.clone(),
            panels: vec![Panel {
                x_label: format!("simulated time ({})", unit.name),
                y_label: "link busy (%)".into(),
                y_range: Some((0.0, (peak * 1.25).clamp(1.0, 100.0))),
                lines,
                shades: sh.to_vec(),
                ..Panel::default()
            }],
        }),
        title,
    }
}

/// The most checkpoint rounds the timeline shows.
pub const TIMELINE_ROUNDS: usize = 40;

/// The checkpoint rounds of the first protocol that has any.
fn rounds(runs: &[ProtocolRuns]) -> Option<ChartSpec> {
    let (r, s) = runs.iter().find_map(|r| {
        r.series
            .as_ref()
            .filter(|s| !s.rounds.is_empty())
            .map(|s| (r, s))
    })?;
    // Around the disaster if there is one (most rounds before it), else the first rounds.
    let all = &s.rounds;
    let start = match s.disaster_ns {
        Some(d) => {
            let before = all
                .iter()
                .take_while(|x| x.issued_ns.is_none_or(|t| t < d))
                .count();
            before.saturating_sub(TIMELINE_ROUNDS * 3 / 4)
        }
        None => 0,
    };
    let shown: Vec<_> = all.iter().skip(start).take(TIMELINE_ROUNDS).collect();
    let last = shown
        .iter()
        .filter_map(|x| x.applied_ns.or(x.released_ns).or(x.issued_ns))
        .max()
        .unwrap_or(s.end_ns);
    let first = shown.iter().filter_map(|x| x.issued_ns).min().unwrap_or(0);
    let span_end = match s.disaster_ns {
        Some(_) => last.max(s.faults.iter().map(|f| f.end_ns).max().unwrap_or(last)),
        None => last,
    }
    .min(s.end_ns);
    let unit = time_unit(span_end.saturating_sub(first));
    let unit = if unit.name == "s" && span_end - first < 20_000_000_000 {
        TimeUnit {
            ns: 1e6,
            name: "ms",
        }
    } else {
        unit
    };
    let bars = shown
        .iter()
        .map(|x| RoundBar {
            n: x.n,
            issued: x.issued_ns.map(|t| t as f64 / unit.ns),
            rendezvous: x.rendezvous_ns.map(|t| t as f64 / unit.ns),
            released: x.released_ns.map(|t| t as f64 / unit.ns),
            applied: x.applied_ns.map(|t| t as f64 / unit.ns),
        })
        .collect();
    let shades = shades(runs, unit);
    let applied: Vec<u64> = shown
        .iter()
        .filter_map(|x| Some(x.applied_ns? - x.issued_ns?))
        .collect();
    let title = format!("Checkpoint rounds ({})", r.protocol);
    let which = if start > 0 || shown.len() < all.len() {
        format!(
            "{} of {} rounds are shown{}",
            shown.len(),
            all.len(),
            if s.disaster_ns.is_some() {
                ", those around the disaster"
            } else {
                ", the first ones"
            }
        )
    } else {
        format!("all {} rounds are shown", shown.len())
    };
    Some(ChartSpec {
        stem: "checkpoint-rounds".into(),
        caption: format!(
            "Each row is one checkpoint: issued by the checkpoint master, its rendezvous at the \
             secondary master once every secondary has forwarded it, its release, and the moment \
             every secondary has applied the writes it covers (update in progress in between). \
             A round not applied by the end is grey. From issue to applied everywhere took {} \
             (median); {which}.",
            human_ns(median(applied))
        ),
        drawing: Drawing::Timeline(Timeline {
            title: title.clone(),
            x_label: format!("simulated time ({})", unit.name),
            rounds: bars,
            shades,
            end: span_end as f64 / unit.ns,
        }),
        title,
    })
}

/// Every chart of a protocol comparison, in page order.
pub fn comparison(runs: &[ProtocolRuns]) -> Vec<ChartSpec> {
    let unit = time_unit(end_of(runs));
    let sh = shades(runs, unit);
    let mut out = vec![
        latency_percentiles(runs),
        latency_over_time(runs, unit, &sh),
        lag_and_exposure(runs, unit, &sh),
        buffers(runs, unit, &sh),
        links(runs, unit, &sh),
    ];
    out.extend(rounds(runs));
    out
}

/// A band of (x, min, max) from per-x samples.
pub fn band(colour: plotters::style::RGBColor, xs: &[(f64, Vec<f64>)]) -> Band {
    Band {
        colour,
        points: xs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(x, v)| {
                let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                (*x, lo, hi)
            })
            .collect(),
    }
}
