//! The data behind the charts, for other tools: a CSV of every recorded time series (one row per
//! sample, `time_ns` then one column per series with its unit in the name) and the host write
//! latency distribution in HdrHistogram's percentile output format (`.hgrm`), so pandas, gnuplot
//! or HdrHistogram's plotter can redraw any chart.

use std::fmt::Write;

use super::series::{Point, Series};

/// The CSV's columns after `time_ns`, each named with its unit.
pub const COLUMNS: [&str; 13] = [
    "window_ns",
    "host_writes",
    "host_writes_per_s",
    "write_p50_ns",
    "write_p99_ns",
    "applied_writes",
    "lag_ns",
    "exposure_ns",
    "image_open",
    "primary_backlog_writes",
    "primary_backlog_bytes",
    "secondary_backlog_writes",
    "replicated_bytes_per_s",
];

/// The busiest pair link's utilisation in the window, percent (a column of its own: a float).
pub const LINK_COLUMN: &str = "link_busy_max_percent";

/// A sample's window length: from the previous sample (or 0) to its end.
pub fn window_ns(points: &[Point], i: usize) -> u64 {
    let start = if i == 0 { 0 } else { points[i - 1].t_ns };
    points[i].t_ns.saturating_sub(start)
}

/// `count` per `window` ns, as a rate per second.
pub fn per_second(count: u64, window: u64) -> f64 {
    if window == 0 {
        0.0
    } else {
        count as f64 * 1e9 / window as f64
    }
}

fn opt(v: Option<u64>) -> String {
    v.map_or_else(String::new, |v| v.to_string())
}

/// The series as CSV: a header, then one row per sample; an empty cell where a window had
/// nothing to measure (no completions).
pub fn series_csv(s: &Series) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "time_ns,{},{LINK_COLUMN}", COLUMNS.join(","));
    for (i, p) in s.points.iter().enumerate() {
        let w = window_ns(&s.points, i);
        let link = p.link_utilisation.iter().copied().fold(0.0f64, f64::max) * 100.0;
        let _ = writeln!(
            out,
            "{},{w},{},{:.1},{},{},{},{},{},{},{},{},{},{:.1},{link:.2}",
            p.t_ns,
            p.writes,
            per_second(p.writes, w),
            opt(p.write_p50_ns),
            opt(p.write_p99_ns),
            p.applied,
            p.lag_ns,
            p.exposure_ns,
            u8::from(p.image_open),
            p.primary_backlog.iter().map(|&x| u64::from(x)).sum::<u64>(),
            p.primary_backlog_bytes.iter().sum::<u64>(),
            p.secondary_backlog
                .iter()
                .map(|&x| u64::from(x))
                .sum::<u64>(),
            per_second(p.replicated_bytes, w),
        );
    }
    out
}

/// The host write latency distribution in HdrHistogram's percentile output format (values in
/// milliseconds, as `HistogramLogProcessor` writes them): `Value Percentile TotalCount
/// 1/(1-Percentile)` rows, then the mean, standard deviation, max and counts.
pub fn hgrm(s: &Series) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>12} {:>14} {:>10} {:>14}\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    );
    let total = s.host_writes;
    for &(ns, frac, count) in &s.host_latency_percentiles {
        let inv = if frac >= 1.0 {
            String::new()
        } else {
            format!("{:>14.2}", 1.0 / (1.0 - frac))
        };
        let _ = writeln!(
            out,
            "{:>12.3} {:>14.12} {:>10} {inv}",
            ns as f64 / 1e6,
            frac,
            count
        );
    }
    let max = s.host_latency_percentiles.last().map_or(0, |p| p.0);
    let _ = writeln!(
        out,
        "#[Mean    = {:>12.3}, StdDeviation   = {:>12.3}]",
        s.host_latency_mean_ns / 1e6,
        s.host_latency_stdev_ns / 1e6
    );
    let _ = writeln!(
        out,
        "#[Max     = {:>12.3}, Total count    = {:>12}]",
        max as f64 / 1e6,
        total
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{simulate_recorded, RunOptions};

    fn recorded(protocol: &str) -> (crate::result::RunResult, Series) {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/patent-example.json");
        let text = std::fs::read_to_string(path).expect("scenario file");
        let o = [
            crate::scenario::Override::parse(&format!("protocol.kind={protocol}"))
                .expect("override"),
        ];
        let sc = crate::scenario::parse("patent-example", &text, &o).expect("valid scenario");
        let opts = RunOptions {
            record: true,
            ..RunOptions::default()
        };
        let (r, s) = simulate_recorded(&sc, 1, &opts).expect("runs");
        (r, s.expect("a series"))
    }

    #[test]
    fn every_row_has_every_column_and_central_drains_its_backlog() {
        let (_, s) = recorded("central");
        let csv = series_csv(&s);
        let mut lines = csv.lines();
        let head: Vec<&str> = lines.next().expect("header").split(',').collect();
        assert_eq!(head[0], "time_ns");
        assert_eq!(head.len(), COLUMNS.len() + 2);
        let col = |name: &str| head.iter().position(|h| *h == name).expect(name);
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        assert_eq!(rows.len(), s.points.len());
        assert!(rows.iter().all(|r| r.len() == head.len()));
        let backlog = col("primary_backlog_writes");
        assert!(rows.iter().any(|r| r[backlog] != "0"), "never any backlog");
        assert_eq!(rows.last().expect("rows")[backlog], "0");
        // Every write's bytes reached the secondary site once: 3 writes of 4 KiB.
        let replicated: u64 = s.points.iter().map(|p| p.replicated_bytes).sum();
        assert_eq!(replicated, 3 * 4096);
    }

    #[test]
    fn the_exposure_p99_is_the_charted_exposure_over_time() {
        for protocol in ["central", "checkpoint", "cycle"] {
            let (r, s) = recorded(protocol);
            let end = s.disaster_ns.unwrap_or(s.end_ns);
            // Independently: the exposure chart's samples, each standing for its window.
            let mut v: Vec<u64> = s
                .points
                .iter()
                .filter(|p| p.t_ns <= end)
                .map(|p| p.exposure_ns)
                .collect();
            v.sort_unstable();
            let k = ((0.99 * v.len() as f64).ceil() as usize).clamp(1, v.len());
            let sampled = v[k - 1];
            let p99 = r.latency_ns.exposure.expect("time before the end").p99;
            assert!(p99 > 0, "{protocol}");
            // One sampling window of slack: a sample sees the ramp at its window's end.
            let tol = s.interval_ns + p99 / 100;
            assert!(
                sampled.abs_diff(p99) <= tol,
                "{protocol}: p99 {p99}, charted {sampled}, tolerance {tol}"
            );
        }
    }

    #[test]
    fn hgrm_rows_rise_to_every_write() {
        let (_, s) = recorded("checkpoint");
        let text = hgrm(&s);
        let rows: Vec<Vec<f64>> = text
            .lines()
            .skip(2)
            .take_while(|l| !l.starts_with('#'))
            .map(|l| {
                l.split_whitespace()
                    .map(|x| x.parse().expect("a number"))
                    .collect()
            })
            .collect();
        assert!(!rows.is_empty());
        assert!(rows.windows(2).all(|w| w[0][1] <= w[1][1]));
        assert_eq!(rows.last().expect("rows")[2], 3.0);
        assert!(text.contains("Total count    =            3"));
    }
}
