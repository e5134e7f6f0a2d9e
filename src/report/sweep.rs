//! Parameter sweeps: one row per (value, protocol, seed) run, written as CSV and JSON, and charts
//! of a metric against the varied value (the median over seeds, with the seeds' min-max band).

use std::fmt::Write;

use serde::Serialize;

use super::chart::{colour, Figure, Line, Panel, Stroke};
use super::figures::{band, ChartSpec, Drawing};
use super::files::Files;
use super::sweep_axis::{field_words, sweep_axis, SweepAxis};
use super::units::human_ns;
use crate::result::RunResult;

/// One run of a sweep.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SweepRow {
    /// The varied field's value, as given.
    pub value: String,
    /// The protocol.
    pub protocol: String,
    /// The seed.
    pub seed: u64,
    /// No violation found.
    pub consistent: bool,
    /// Distinct violations found.
    pub violations: u64,
    /// Completed writes missing after the disaster (or at the end).
    pub rpo_lost_writes: u64,
    /// Their bytes.
    pub rpo_lost_bytes: u64,
    /// From the oldest lost write's completion to the disaster (or the end), ns.
    pub rpo_window_ns: u64,
    /// Median host write latency, ns; `None` (null in JSON, an empty CSV cell) when nothing was measured.
    pub write_p50_ns: Option<u64>,
    /// 99th percentile host write latency, ns; `None` (null in JSON, an empty CSV cell) when nothing was measured.
    pub write_p99_ns: Option<u64>,
    /// 99th percentile secondary lag, ns; `None` (null in JSON, an empty CSV cell) when nothing was measured.
    pub lag_p99_ns: Option<u64>,
    /// 99th percentile data exposure, ns; `None` (null in JSON, an empty CSV cell) when nothing was measured.
    pub exposure_p99_ns: Option<u64>,
    /// Checkpoints issued.
    pub checkpoints_issued: u64,
    /// Checkpoints applied by every secondary.
    pub checkpoints_applied: u64,
    /// A resource limit stopped the run early.
    pub budget_exhausted: bool,
    /// The run's trace hash.
    pub trace_hash: String,
}

impl SweepRow {
    /// The row of `r`, run with the varied field at `value`.
    pub fn new(value: &str, r: &RunResult) -> Self {
        SweepRow {
            value: value.to_string(),
            protocol: r.protocol.clone(),
            seed: r.seed,
            consistent: r.consistent,
            violations: r.violation_count,
            rpo_lost_writes: r.rpo.lost_writes,
            rpo_lost_bytes: r.rpo.lost_bytes,
            rpo_window_ns: r.rpo.window_ns,
            write_p50_ns: r.latency_ns.host_write.map(|p| p.p50),
            write_p99_ns: r.latency_ns.host_write.map(|p| p.p99),
            lag_p99_ns: r.latency_ns.secondary_lag.map(|p| p.p99),
            exposure_p99_ns: r.latency_ns.exposure.map(|p| p.p99),
            checkpoints_issued: r.checkpoints.issued,
            checkpoints_applied: r.checkpoints.applied,
            budget_exhausted: r.budget_exhausted,
            trace_hash: r.trace_hash.clone(),
        }
    }
}

/// A sweep: the field, its values, the protocols and every run's row.
#[derive(Clone, Debug, Serialize)]
pub struct Sweep {
    /// The scenario's name.
    pub scenario: String,
    /// The varied field's JSON path (or `disaster_at`).
    pub vary: String,
    /// Its values, in the order given.
    pub values: Vec<String>,
    /// The protocols, in order.
    pub protocols: Vec<String>,
    /// The seeds.
    pub seeds: Vec<u64>,
    /// One row per run: values, then protocols, then seeds.
    pub rows: Vec<SweepRow>,
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A measurement's CSV cell: the number, or empty when nothing was measured (as the series CSVs
/// leave a window without a completion empty).
fn cell(v: Option<u64>) -> String {
    v.map_or_else(String::new, |v| v.to_string())
}

/// The CSV table: a header, then one line per row.
pub fn csv(rows: &[SweepRow]) -> String {
    let mut s = String::from(
        "value,protocol,seed,consistent,violations,rpo_lost_writes,rpo_lost_bytes,\
         rpo_window_ns,write_p50_ns,write_p99_ns,lag_p99_ns,exposure_p99_ns,\
         checkpoints_issued,checkpoints_applied,budget_exhausted,trace_hash\n",
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_field(&r.value),
            csv_field(&r.protocol),
            r.seed,
            r.consistent,
            r.violations,
            r.rpo_lost_writes,
            r.rpo_lost_bytes,
            r.rpo_window_ns,
            cell(r.write_p50_ns),
            cell(r.write_p99_ns),
            cell(r.lag_p99_ns),
            cell(r.exposure_p99_ns),
            r.checkpoints_issued,
            r.checkpoints_applied,
            r.budget_exhausted,
            r.trace_hash
        );
    }
    s
}

/// Per protocol and value: the metric over the seeds that measured it, at the value's x (its
/// quantity on a numeric axis, else its index).
fn by_value(
    sw: &Sweep,
    axis: &SweepAxis,
    protocol: &str,
    f: &dyn Fn(&SweepRow) -> Option<f64>,
) -> Vec<(f64, Vec<f64>)> {
    sw.values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let x = axis.xs.as_ref().map_or(i as f64, |xs| xs[i]);
            let xs = sw
                .rows
                .iter()
                .filter(|r| r.protocol == protocol && &r.value == v)
                .filter_map(f)
                .collect();
            (x, xs)
        })
        .collect()
}

fn median_f(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    Some(v[(v.len() - 1) / 2])
}

/// A panel of `f` against the varied value: per protocol the median over the seeds that measured
/// it (no point where none did), and the seeds' min-max band when there are several.
fn metric_panel(
    sw: &Sweep,
    y_label: &str,
    y_log: bool,
    f: &dyn Fn(&SweepRow) -> Option<f64>,
) -> Panel {
    let axis = sweep_axis(&sw.vary, &sw.values);
    let mut p = Panel {
        x_label: axis.label.clone(),
        y_label: y_label.to_string(),
        y_log,
        x_log: axis.log,
        categories: axis.xs.is_none().then(|| sw.values.clone()),
        ..Panel::default()
    };
    for proto in &sw.protocols {
        let c = colour::protocol(proto);
        let data = by_value(sw, &axis, proto, f);
        if sw.seeds.len() > 1 {
            p.bands.push(band(c, &data));
        }
        p.lines.push(Line {
            label: if sw.seeds.len() > 1 {
                format!("{proto} (median)")
            } else {
                proto.clone()
            },
            colour: c,
            stroke: Stroke::Solid,
            markers: true,
            connect_gaps: false,
            points: data.iter().map(|(x, v)| (*x, median_f(v))).collect(),
        });
    }
    p
}

fn spread(sw: &Sweep) -> String {
    if sw.seeds.len() > 1 {
        format!(
            " Lines are the median over {} seeds; the shaded band spans the lowest to the \
             highest seed.",
            sw.seeds.len()
        )
    } else {
        String::new()
    }
}

/// Per protocol, the fraction of seeds whose run found a violation, against the value.
fn violation_panel(sw: &Sweep) -> Panel {
    // Bars stand side by side, one group per value: a categorical axis, named in words.
    let axis = SweepAxis {
        xs: None,
        ..sweep_axis(&sw.vary, &sw.values)
    };
    let mut p = Panel {
        x_label: field_words(&sw.vary),
        y_label: "fraction of runs inconsistent".into(),
        y_range: Some((0.0, 1.12)),
        bars: true,
        categories: Some(sw.values.clone()),
        ..Panel::default()
    };
    for proto in &sw.protocols {
        let data = by_value(sw, &axis, proto, &|r| {
            Some(if r.consistent { 0.0 } else { 1.0 })
        });
        p.lines.push(Line {
            label: proto.clone(),
            colour: colour::protocol(proto),
            stroke: Stroke::Solid,
            markers: true,
            connect_gaps: false,
            points: data
                .into_iter()
                .map(|(x, v)| {
                    (
                        x,
                        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64),
                    )
                })
                .collect(),
        });
    }
    p
}

/// The sweep's charts.
pub fn charts(sw: &Sweep) -> Vec<ChartSpec> {
    let ms = |v: u64| v as f64 / 1e6;
    let words = field_words(&sw.vary);
    let rpo_title = format!("Data lost at the disaster against {words}");
    let lat_title = format!("Write latency and secondary lag against {words}");
    let bad_title = format!("Runs with a consistency violation against {words}");
    let worst = sw.rows.iter().max_by_key(|r| r.rpo_window_ns);
    vec![
        ChartSpec {
            stem: "sweep-rpo".into(),
            title: rpo_title.clone(),
            caption: format!(
                "Top: completed writes missing from the secondary image after the disaster's \
                 takeover (or at the end of the run). Bottom: the RPO window, from the oldest \
                 lost write's completion to the disaster.{} Largest window: {}.",
                spread(sw),
                worst.map_or("none".into(), |r| format!(
                    "{} under {} at {}",
                    human_ns(r.rpo_window_ns),
                    r.protocol,
                    r.value
                ))
            ),
            drawing: Drawing::Figure(Figure {
                title: rpo_title,
                panels: vec![
                    Panel {
                        integer_y: true,
                        ..metric_panel(sw, "lost writes", false, &|r| {
                            Some(r.rpo_lost_writes as f64)
                        })
                    },
                    metric_panel(sw, "RPO window (ms)", false, &|r| Some(ms(r.rpo_window_ns))),
                ],
            }),
        },
        ChartSpec {
            stem: "sweep-latency".into(),
            title: lat_title.clone(),
            caption: format!(
                "Top: 99th percentile host write latency (log scale). Bottom: 99th percentile \
                 secondary lag, from the primary's volume to the secondary's (log scale).{}",
                spread(sw)
            ),
            drawing: Drawing::Figure(Figure {
                title: lat_title,
                panels: vec![
                    metric_panel(sw, "write latency p99 (ms, log)", true, &|r| {
                        r.write_p99_ns.map(ms)
                    }),
                    metric_panel(sw, "secondary lag p99 (ms, log)", true, &|r| {
                        r.lag_p99_ns.map(ms)
                    }),
                ],
            }),
        },
        ChartSpec {
            stem: "sweep-violations".into(),
            title: bad_title.clone(),
            caption: format!(
                "The fraction of the {} seed(s) whose secondary image broke dependent-write \
                 order at some instant hosts could read it, per protocol and value.",
                sw.seeds.len()
            ),
            drawing: Drawing::Figure(Figure {
                title: bad_title,
                panels: vec![violation_panel(sw)],
            }),
        },
    ]
}

/// The sweep's files: `sweep.csv`, `sweep.json`, the charts, `index.md` and the
/// self-contained `index.html` (SVGs inline, as `rcsim report` writes it); nothing is written
/// yet (see [`Files::write`]).
pub fn render_sweep(sw: &Sweep, command: &str) -> Result<Files, String> {
    let mut files = Files::new();
    files.add("sweep.csv", csv(&sw.rows));
    let json = serde_json::to_string_pretty(sw).map_err(|e| e.to_string())?;
    files.add("sweep.json", json);
    let specs = charts(sw);
    let svgs = super::render_charts(&specs, &mut files)?;
    let mut md = format!(
        "# rcsim sweep: {} against {}\n\nValues: {}. Protocols: {}. Seeds: {}. Regenerate \
         with:\n\n```sh\n{command}\n```\n\nEvery run is a row of [sweep.csv](sweep.csv) and \
         [sweep.json](sweep.json).\n\n",
        sw.scenario,
        sw.vary,
        sw.values.join(", "),
        sw.protocols.join(", "),
        sw.seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    for c in &specs {
        let _ = write!(
            md,
            "## {}\n\n![{}]({}.png)\n\n{} ([SVG]({}.svg))\n\n",
            c.title, c.title, c.stem, c.caption, c.stem
        );
    }
    files.add("index.md", md);
    files.add("index.html", sweep_html(sw, command, &specs, &svgs));
    Ok(files)
}

/// The sweep's page as one self-contained HTML file.
fn sweep_html(sw: &Sweep, command: &str, specs: &[ChartSpec], svgs: &[String]) -> String {
    use super::page::{esc, inline_svg, STYLE};
    let title = format!(
        "rcsim sweep: {} against {} ({})",
        sw.scenario,
        field_words(&sw.vary),
        sw.vary
    );
    let seeds: Vec<String> = sw.seeds.iter().map(u64::to_string).collect();
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{t}</title>\n\
         <style>{STYLE}</style>\n</head>\n<body>\n<h1>{t}</h1>\n<p>Values: {}. Protocols: {}. \
         Seeds: {}. Every run is a row of <a href=\"sweep.csv\">sweep.csv</a> and \
         <a href=\"sweep.json\">sweep.json</a>. Regenerate with:</p>\n<pre>{}</pre>\n",
        esc(&sw.values.join(", ")),
        esc(&sw.protocols.join(", ")),
        esc(&seeds.join(", ")),
        esc(command),
        t = esc(&title),
    );
    for (c, svg) in specs.iter().zip(svgs) {
        let _ = writeln!(
            h,
            "<figure id=\"{}\">\n<h2>{}</h2>\n{}\n<figcaption>{}</figcaption>\n</figure>",
            esc(&c.stem),
            esc(&c.title),
            inline_svg(svg),
            esc(&c.caption)
        );
    }
    h.push_str("</body>\n</html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        assert_eq!(csv_field("10ms"), "10ms");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
    }
}
