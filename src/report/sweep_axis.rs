//! The x axis of a sweep's charts: numeric when every swept value is a quantity (a plain number,
//! a duration, a size, a bandwidth or an operation rate), log-scaled when the values span a
//! factor of ten or more, named in words with its unit; otherwise one category per value.

use crate::scenario::units::{Bandwidth, Duration, OpsRate, Size};

/// Where a sweep's values sit on its x axis, and how the axis is named.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepAxis {
    /// Each value's x, in the axis unit; `None` for a categorical axis (value `i` at x = i).
    pub xs: Option<Vec<f64>>,
    /// Log-scaled.
    pub log: bool,
    /// The axis label: the field in words, with its unit (and "log scale" when it is).
    pub label: String,
}

/// The field at JSON path `path` in words (`links.latency` is "pair-link one-way latency").
pub fn field_words(path: &str) -> String {
    let known = [
        ("links.latency", "pair-link one-way latency"),
        ("links.bandwidth", "pair-link bandwidth"),
        ("links.paths", "paths per pair link"),
        ("disaster_at", "disaster time"),
        ("protocol.checkpoint_interval", "checkpoint interval"),
        ("protocol.retransmit_timeout", "retransmit timeout"),
        ("primary_lan.latency", "primary LAN latency"),
        ("secondary_lan.latency", "secondary LAN latency"),
        ("topology.pairs", "subsystem pairs"),
    ];
    if let Some((_, w)) = known.iter().find(|(p, _)| *p == path) {
        return (*w).to_string();
    }
    path.split('.')
        .filter(|seg| seg.parse::<u64>().is_err())
        .collect::<Vec<_>>()
        .join(" ")
        .replace('_', " ")
}

/// Parses every value with `parse`, or gives `None` if any fails.
fn all<T>(values: &[String], parse: impl Fn(&str) -> Option<T>) -> Option<Vec<T>> {
    values.iter().map(|v| parse(v.trim())).collect()
}

/// A unit of `base` (ns, bytes, bytes/s) that puts `max` between 1 and 1000: (per unit, name).
fn scaled(max: f64, units: &[(f64, &'static str)]) -> (f64, &'static str) {
    let mut pick = units[0];
    for &u in units {
        if max >= u.0 {
            pick = u;
        }
    }
    pick
}

/// The axis of a sweep over the field at `path` taking `values`.
pub fn sweep_axis(path: &str, values: &[String]) -> SweepAxis {
    let words = field_words(path);
    let numeric: Option<(Vec<f64>, &str)> = if let Some(v) = all(values, |s| s.parse::<f64>().ok())
    {
        Some((v, ""))
    } else if let Some(v) = all(values, |s| s.parse::<Duration>().ok()) {
        let ns: Vec<f64> = v.iter().map(|d| d.as_ns() as f64).collect();
        let max = ns.iter().copied().fold(0.0, f64::max);
        let (per, name) = scaled(max, &[(1.0, "ns"), (1e3, "µs"), (1e6, "ms"), (1e9, "s")]);
        Some((ns.iter().map(|x| x / per).collect(), name))
    } else if let Some(v) = all(values, |s| s.parse::<Bandwidth>().ok()) {
        let b: Vec<f64> = v.iter().map(|x| x.bytes_per_sec() as f64).collect();
        let max = b.iter().copied().fold(0.0, f64::max);
        let (per, name) = scaled(
            max,
            &[(1.0, "B/s"), (1e3, "kB/s"), (1e6, "MB/s"), (1e9, "GB/s")],
        );
        Some((b.iter().map(|x| x / per).collect(), name))
    } else if let Some(v) = all(values, |s| s.parse::<Size>().ok()) {
        let b: Vec<f64> = v.iter().map(|x| x.0 as f64).collect();
        let max = b.iter().copied().fold(0.0, f64::max);
        let (per, name) = scaled(
            max,
            &[(1.0, "bytes"), (1e3, "kB"), (1e6, "MB"), (1e9, "GB")],
        );
        Some((b.iter().map(|x| x / per).collect(), name))
    } else {
        all(values, |s| s.parse::<OpsRate>().ok())
            .map(|v| (v.iter().map(|r| r.per_sec()).collect(), "per second"))
    };
    let Some((xs, unit)) = numeric.filter(|(xs, _)| xs.iter().all(|x| x.is_finite())) else {
        return SweepAxis {
            xs: None,
            log: false,
            label: words,
        };
    };
    let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = xs.iter().copied().fold(0.0, f64::max);
    let log = lo > 0.0 && hi / lo >= 10.0;
    let label = match (unit.is_empty(), log) {
        (true, false) => words,
        (true, true) => format!("{words} (log scale)"),
        (false, false) => format!("{words} ({unit})"),
        (false, true) => format!("{words} ({unit}, log scale)"),
    };
    SweepAxis {
        xs: Some(xs),
        log,
        label,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn durations_spanning_decades_get_a_log_axis_in_words() {
        let a = sweep_axis("links.latency", &v(&["500us", "5ms", "20ms", "40ms"]));
        assert_eq!(a.xs, Some(vec![0.5, 5.0, 20.0, 40.0]));
        assert!(a.log);
        assert_eq!(a.label, "pair-link one-way latency (ms, log scale)");
    }

    #[test]
    fn close_numbers_stay_linear_and_words_replace_paths() {
        let a = sweep_axis("subsystems.servers", &v(&["1", "2", "4"]));
        assert_eq!(a.xs, Some(vec![1.0, 2.0, 4.0]));
        assert!(!a.log);
        assert_eq!(a.label, "subsystems servers");
    }

    #[test]
    fn sizes_and_bandwidths_are_quantities() {
        let a = sweep_axis("links.bandwidth", &v(&["10MB/s", "1GB/s"]));
        assert_eq!(a.xs, Some(vec![0.01, 1.0]));
        assert_eq!(a.label, "pair-link bandwidth (GB/s, log scale)");
        let b = sweep_axis("x.size", &v(&["4KB", "64KB"]));
        assert_eq!(b.xs, Some(vec![4.0, 64.0]));
        assert_eq!(b.label, "x size (kB, log scale)");
    }

    #[test]
    fn words_are_categories() {
        let a = sweep_axis("protocol.kind", &v(&["checkpoint", "sync"]));
        assert_eq!(a.xs, None);
        assert_eq!(a.label, "protocol kind");
    }
}
