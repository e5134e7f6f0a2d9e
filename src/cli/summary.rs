//! The human summary of a run, as `rcsim run` prints it.

use std::fmt::Write;

use rcsim::check::latency::Percentiles;
use rcsim::result::RunResult;

/// Nanoseconds as a short human time (`12.5ms`).
pub fn ns(v: u64) -> String {
    let f = v as f64;
    if v < 1_000 {
        format!("{v}ns")
    } else if v < 1_000_000 {
        format!("{}us", trim(f / 1e3))
    } else if v < 1_000_000_000 {
        format!("{}ms", trim(f / 1e6))
    } else {
        format!("{}s", trim(f / 1e9))
    }
}

fn trim(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// How many violations the human summary spells out; the rest are counted (`--json` has them).
pub const VIOLATIONS_SHOWN: usize = 5;

/// "1 violation", "3 violations".
fn violations(n: u64) -> String {
    format!("{n} violation{}", if n == 1 { "" } else { "s" })
}

/// The summary text.
pub fn render(r: &RunResult) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} under {} (seed {}): {} events over {} simulated",
        r.scenario,
        r.protocol,
        r.seed,
        r.events,
        ns(r.sim_ns)
    );
    if let Some(d) = r.disaster_ns {
        let _ = write!(s, "  primary-site disaster at {}", ns(d));
        match r.takeover_ns {
            Some(t) => {
                let _ = writeln!(s, "; secondary takeover complete at {}", ns(t));
            }
            None => {
                let _ = writeln!(s, "; takeover did not complete");
            }
        }
    }
    let w = &r.writes;
    let _ = writeln!(
        s,
        "  writes: {} issued, {} completed, {} shipped, {} applied",
        w.issued, w.completed, w.shipped, w.applied
    );
    let l = &r.latency_ns;
    let figures = |p: Option<Percentiles>, none: &str| match p {
        Some(p) => format!("p50 {} p99 {} max {}", ns(p.p50), ns(p.p99), ns(p.max)),
        None => format!("n/a ({none})"),
    };
    let _ = writeln!(
        s,
        "  host write latency {}; secondary lag {}",
        figures(l.host_write, "no write completed"),
        figures(l.secondary_lag, "no time before the disaster")
    );
    let c = &r.checkpoints;
    if c.issued > 0 {
        let (name, [a, b, d]) = match r.protocol.as_str() {
            "central" => ("consistency groups", ["formed", "released", "applied"]),
            "cycle" => ("cycles", ["closed", "committing", "committed"]),
            _ => ("checkpoints", ["issued", "released", "applied"]),
        };
        let _ = writeln!(
            s,
            "  {name}: {} {a}, {} {b}, {} {d}",
            c.issued, c.released, c.applied
        );
    }
    let h = &r.host_hold_ns;
    if r.cycle_metrics.holds > 0 {
        let m = &r.cycle_metrics;
        let _ = writeln!(
            s,
            "  host writes held: {} holds, p50 {} p99 {} max {}; {} switches abandoned, {} drain timeouts",
            m.holds,
            ns(h.p50),
            ns(h.p99),
            ns(h.max),
            m.abandoned,
            m.drain_timeouts
        );
    }
    let _ = writeln!(
        s,
        "  rpo: {} writes ({} bytes) lost, window {}",
        r.rpo.lost_writes,
        r.rpo.lost_bytes,
        ns(r.rpo.window_ns)
    );
    if !r.image.present.is_empty() || !r.image.absent.is_empty() {
        let _ = writeln!(
            s,
            "  image: present [{}], absent [{}]",
            r.image.present.join(", "),
            r.image.absent.join(", ")
        );
    }
    for v in r.violations.iter().take(VIOLATIONS_SHOWN) {
        let what = if v.kind == "liveness" {
            format!("{} stalled", v.missing)
        } else {
            format!("{} present without {}", v.present, v.missing)
        };
        let _ = writeln!(
            s,
            "  VIOLATION {} at {}: {what}\n    {}",
            v.kind,
            ns(v.at_ns),
            v.detail
        );
    }
    for o in &r.overloaded {
        let _ = writeln!(
            s,
            "  overloaded: subsystem {}'s {} stage at {:.0}% of its capacity",
            o.subsystem,
            o.stage,
            o.load * 100.0
        );
    }
    let shown = r.violations.len().min(VIOLATIONS_SHOWN) as u64;
    if r.violation_count > shown {
        let _ = writeln!(
            s,
            "  ... {} more, {} distinct violations in all ({} in the result JSON: --json)",
            r.violation_count - shown,
            r.violation_count,
            r.violations.len()
        );
    }
    let _ = writeln!(s, "  trace hash {}", r.trace_hash);
    let verdict = if let Some(which) = &r.budget {
        if r.consistent {
            format!("INCOMPLETE ({which} budget exhausted; no violation so far)")
        } else {
            format!(
                "INCONSISTENT ({} before the {which} budget ran out)",
                violations(r.violation_count)
            )
        }
    } else if r.consistent {
        "CONSISTENT".to_string()
    } else if r.violations.iter().all(|v| v.kind == "liveness") {
        format!(
            "STALLED ({} of liveness, the image stayed consistent)",
            violations(r.violation_count)
        )
    } else {
        format!("INCONSISTENT ({})", violations(r.violation_count))
    };
    let _ = writeln!(s, "verdict: {verdict}");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_naturally() {
        assert_eq!(ns(999), "999ns");
        assert_eq!(ns(1_500), "1.5us");
        assert_eq!(ns(12_500_000), "12.5ms");
        assert_eq!(ns(2_000_000_000), "2s");
    }
}
