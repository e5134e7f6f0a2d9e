//! Numbers as a reader reads them: times and sizes in short human units, axis units chosen from
//! a range, the median of a set. Every chart, caption and table of the reports formats through
//! these, so a figure reads the same wherever it appears.

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
    three_figures(x, u)
}

/// Nanoseconds as (fractional) milliseconds, for an axis.
pub fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// Bytes as a short human size in decimal units (`512 B`, `1.5 kB`, `12.3 MB`).
pub fn human_bytes(v: u64) -> String {
    if v < 1_000 {
        return format!("{v} B");
    }
    let (x, u) = if v < 1_000_000 {
        (v as f64 / 1e3, "kB")
    } else if v < 1_000_000_000 {
        (v as f64 / 1e6, "MB")
    } else {
        (v as f64 / 1e9, "GB")
    };
    three_figures(x, u)
}

/// A decimal byte unit for an axis whose largest value is `max`: (bytes per unit, its name).
pub fn byte_unit(max: f64) -> (f64, &'static str) {
    if max >= 1e9 {
        (1e9, "GB")
    } else if max >= 1e6 {
        (1e6, "MB")
    } else if max >= 1e3 {
        (1e3, "kB")
    } else {
        (1.0, "bytes")
    }
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

/// The median of the values measured (the lower middle for an even count), skipping the runs
/// that measured nothing; `None` when none did.
pub fn median_measured(v: impl IntoIterator<Item = Option<u64>>) -> Option<u64> {
    let v: Vec<u64> = v.into_iter().flatten().collect();
    (!v.is_empty()).then(|| median(v))
}

/// A duration that may not have been measured: human units, or "n/a".
pub fn human_ns_or_na(v: Option<u64>) -> String {
    v.map_or_else(|| "n/a".into(), human_ns)
}

/// `x` (at least 1) to three significant figures, trailing zeros dropped, then `unit`: 258 µs,
/// 1.68 ms, 53.2 ms, 1.5 kB.
fn three_figures(x: f64, unit: &str) -> String {
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
    format!("{s} {unit}")
}
