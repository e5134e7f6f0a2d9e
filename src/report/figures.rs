//! The charts of a protocol comparison, built from the runs' results and recorded series only:
//! each comes with a file name, a title and a sentence saying what it shows.

use super::chart::{colour, Band, Figure, Line, Panel, Shade, Stroke};
use super::faults::FaultKind;
use super::series::{Point, Series};
use super::timeline::{RoundBar, Timeline};
use super::units::{human_ns, median, median_measured, ms, time_unit, TimeUnit};
use crate::check::latency::Percentiles;
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

/// The longest a legend entry's text gets before it is cut with `…`.
const LEGEND_CHARS: usize = 30;

/// Fault windows of every protocol's series as shades: windows with the same kind, label and
/// start are one (the longest kept: a disaster's takeover differs by protocol), each kind has
/// its colour and one legend entry naming what it hit (`link outage: link 2`).
pub fn shades(runs: &[ProtocolRuns], unit: TimeUnit) -> Vec<Shade> {
    let mut windows: Vec<(FaultKind, String, u64, u64)> = Vec::new();
    for s in runs.iter().filter_map(|r| r.series.as_ref()) {
        for f in &s.faults {
            match windows
                .iter_mut()
                .find(|o| o.0 == f.kind && o.1 == f.label && o.2 == f.start_ns)
            {
                Some(o) => o.3 = o.3.max(f.end_ns),
                None => windows.push((f.kind, f.label.clone(), f.start_ns, f.end_ns)),
            }
        }
    }
    let legend = |kind: FaultKind| {
        let mut hit: Vec<&str> = Vec::new();
        for w in windows.iter().filter(|w| w.0 == kind) {
            if !hit.contains(&w.1.as_str()) {
                hit.push(&w.1);
            }
        }
        hit.retain(|h| !h.is_empty());
        let text = if hit.is_empty() {
            kind.name().to_string()
        } else {
            format!("{}: {}", kind.name(), hit.join(", "))
        };
        if text.chars().count() > LEGEND_CHARS {
            let cut: String = text.chars().take(LEGEND_CHARS - 1).collect();
            format!("{cut}…")
        } else {
            text
        }
    };
    windows
        .iter()
        .map(|(kind, _, a, b)| Shade {
            label: legend(*kind),
            colour: colour::fault(*kind),
            from: *a as f64 / unit.ns,
            to: *b as f64 / unit.ns,
        })
        .collect()
}

/// What a time chart's shading shows, in words, for its caption: every fault kind and what it
/// hit, or nothing when no fault is drawn.
pub fn shade_note(runs: &[ProtocolRuns]) -> String {
    let mut kinds: Vec<(FaultKind, Vec<String>)> = Vec::new();
    for s in runs.iter().filter_map(|r| r.series.as_ref()) {
        for f in &s.faults {
            match kinds.iter_mut().find(|k| k.0 == f.kind) {
                Some(k) if !k.1.contains(&f.label) => k.1.push(f.label.clone()),
                Some(_) => {}
                None => kinds.push((f.kind, vec![f.label.clone()])),
            }
        }
    }
    if kinds.is_empty() {
        return String::new();
    }
    kinds.sort_by_key(|k| k.0);
    let parts: Vec<String> = kinds
        .iter()
        .map(|(k, hit)| {
            let how = if *k == FaultKind::ClockStep {
                " (a vertical line)"
            } else {
                ""
            };
            let hit: Vec<&str> = hit
                .iter()
                .map(String::as_str)
                .filter(|h| !h.is_empty())
                .collect();
            if hit.is_empty() {
                format!("{}{how}", k.name())
            } else {
                format!("{} ({}){how}", k.name(), hit.join(", "))
            }
        })
        .collect();
    format!(
        " Shaded, each kind in its own colour: {}.",
        parts.join("; ")
    )
}

pub(super) fn end_of(runs: &[ProtocolRuns]) -> u64 {
    runs.iter()
        .filter_map(|r| r.series.as_ref().map(|s| s.end_ns))
        .max()
        .unwrap_or(1)
}

pub(super) fn series_line(
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
pub(super) fn coinciding(runs: &[ProtocolRuns]) -> String {
    let key = |r: &ProtocolRuns| {
        r.results
            .first()
            .and_then(|x| x.latency_ns.host_write)
            .map(|p| (p.p50, p.p99))
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
pub fn latency_percentiles(runs: &[ProtocolRuns]) -> ChartSpec {
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
            let p = |f: fn(&Percentiles) -> u64| {
                median_measured(
                    r.results
                        .iter()
                        .map(|x| x.latency_ns.host_write.map(|p| f(&p))),
                )
            };
            match (p(|p| p.p50), p(|p| p.p99), p(|p| p.max)) {
                (Some(p50), Some(p99), Some(max)) => format!(
                    "{} p50 {}, p99 {}, max {}",
                    r.protocol,
                    human_ns(p50),
                    human_ns(p99),
                    human_ns(max)
                ),
                _ => format!("{} n/a (no write completed)", r.protocol),
            }
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

/// The most checkpoint rounds the timeline shows.
pub const TIMELINE_ROUNDS: usize = 40;

/// The checkpoint rounds of the first protocol that has any.
pub fn rounds(runs: &[ProtocolRuns]) -> Option<ChartSpec> {
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
    let applied_n = applied.len();
    let median_applied = human_ns(median(applied));
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
             A round not applied by the end is grey. From issue to applied everywhere took \
             {median_applied} (median of the {applied_n} shown rounds applied); {which}.",
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

/// Host write latency p99 against what a disaster loses, one point per protocol and seed: the
/// trade-off between the two in one picture.
pub fn tradeoff(runs: &[ProtocolRuns]) -> ChartSpec {
    let mut top = Vec::new();
    let mut bottom = Vec::new();
    // A run without a completed write has no latency to place it by: no point, but a note.
    let notes: Vec<String> = runs
        .iter()
        .filter_map(|r| {
            let n = r
                .results
                .iter()
                .filter(|x| x.latency_ns.host_write.is_none())
                .count();
            match n {
                0 => None,
                n if n == r.results.len() => Some(format!("{}: no write completed", r.protocol)),
                n => Some(format!(
                    "{}: no write completed in {n} of {} runs",
                    r.protocol,
                    r.results.len()
                )),
            }
        })
        .collect();
    for r in runs {
        let point = |y: fn(&RunResult) -> Option<u64>| Line {
            label: r.protocol.clone(),
            colour: colour::protocol(&r.protocol),
            stroke: Stroke::Points,
            markers: true,
            connect_gaps: false,
            points: r
                .results
                .iter()
                .filter_map(|x| {
                    let p99 = x.latency_ns.host_write?.p99;
                    Some((ms(p99.max(1)), y(x).map(ms)))
                })
                .collect(),
        };
        top.push(point(|x| Some(x.rpo.window_ns)));
        bottom.push(point(|x| x.latency_ns.exposure.map(|p| p.p99)));
    }
    let disaster = runs
        .iter()
        .flat_map(|r| &r.results)
        .any(|x| x.disaster_ns.is_some());
    let title = "Write latency against data loss, per protocol".to_string();
    let panel = |y_label: &str, lines: Vec<Line>| Panel {
        x_label: "host write latency p99 (ms, log)".into(),
        y_label: y_label.into(),
        x_log: true,
        lines,
        empty_note: Some("no write completed".into()),
        legend_notes: notes.clone(),
        ..Panel::default()
    };
    let unplaced_note = if notes.is_empty() {
        String::new()
    } else {
        format!(
            " A run without a completed write has no latency, so no point ({}).",
            notes.join("; ")
        )
    };
    ChartSpec {
        stem: "tradeoff".into(),
        caption: format!(
            "Each point is one run (one per seed): x is its 99th percentile host write latency, \
             y what a disaster loses. Top: the RPO window, from the oldest lost write's \
             completion to {}. Bottom: the data exposure p99, the loss a disaster at a random \
             moment exceeds 1% of the time (time-weighted). Down and to the left is better; \
             a synchronous copy buys a small loss with a round trip per write.{unplaced_note}",
            if disaster {
                "the disaster"
            } else {
                "the end of the run (no disaster)"
            }
        ),
        drawing: Drawing::Figure(Figure {
            title: title.clone(),
            panels: vec![
                panel("RPO window (ms)", top),
                panel("data exposure p99 (ms)", bottom),
            ],
        }),
        title,
    }
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
