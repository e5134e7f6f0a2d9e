//! The documented maxima of every count a scenario gives, and the checked sums of its times.
//!
//! A count sizes something rcsim allocates or schedules up front (volumes of blocks, link paths,
//! a DBMS's transaction slots, an outage's repeats), so each has a maximum well above any real
//! configuration and far below what would exhaust memory. A time that is a sum of user-given
//! times (a fault's end, the run's end) must fit in 64-bit nanoseconds (about 584 years). Each
//! problem names its JSON path; README lists the same maxima.

use super::types::{Fault, Scenario, Workload};

/// Most subsystem pairs (`topology.pairs`).
pub const MAX_PAIRS: u64 = 1024;
/// Most blocks on one subsystem (`topology.volumes_per_subsystem` x `blocks_per_volume`): 4 PiB
/// of 4 KiB blocks. Volumes are sparse (memory follows the blocks written, not the capacity), so
/// this bounds only the block index arithmetic.
pub const MAX_BLOCKS_PER_SUBSYSTEM: u64 = 1 << 40;
/// Most blocks over every subsystem (pairs x volumes x blocks): a block's index fits in 50 bits.
pub const MAX_BLOCKS: u64 = 1 << 50;
/// Most paths of a pair link (`links.paths`, `links.overrides[i].paths`).
pub const MAX_PATHS: u64 = 64;
/// Most servers of a subsystem's service stage (`subsystems.servers`, overrides).
pub const MAX_SERVERS: u64 = 4096;
/// Most writes a bounded copy buffer holds (`subsystems.buffer_capacity`).
pub const MAX_BUFFER_CAPACITY: u64 = 1 << 24;
/// The most `limits.max_writes_in_flight`: a hundred million writes are about 30 GB.
pub const MAX_WRITES_IN_FLIGHT: u64 = 100_000_000;
/// The most `limits.max_events_pending`: a billion events are about 100 GB.
pub const MAX_EVENTS_PENDING: u64 = 1_000_000_000;
/// Most transactions a DBMS workload keeps in flight (`workloads[i].in_flight`).
pub const MAX_IN_FLIGHT: u64 = 65_536;
/// Most data writes of one DBMS transaction (`workloads[i].data_writes`).
pub const MAX_DATA_WRITES: u64 = 4096;
/// Most outages of one flapping link (`faults[i].repeat.count`).
pub const MAX_REPEATS: u64 = 100_000;
/// Most workloads (`workloads`).
pub const MAX_WORKLOADS: u64 = 4096;
/// Most faults (`faults`).
pub const MAX_FAULTS: u64 = 4096;

/// Collects problems with their paths.
struct Problems(Vec<String>);

impl Problems {
    fn at_most(&mut self, path: &str, value: u64, max: u64) {
        if value > max {
            self.0.push(format!(
                "at `{path}`: expected at most {max}, got {value} (rcsim's documented maximum)"
            ));
        }
    }

    fn too_late(&mut self, path: &str, what: &str) {
        self.0.push(format!(
            "at `{path}`: {what} falls after the largest time rcsim can represent \
             (18446744073709551615ns, about 584 years): expected smaller times"
        ));
    }
}

/// `a + b`, or `None` on overflow.
fn add(a: u64, b: u64) -> Option<u64> {
    a.checked_add(b)
}

/// Every count above its maximum and every sum of times that overflows, as problems.
pub fn problems(s: &Scenario) -> Vec<String> {
    let mut p = Problems(Vec::new());
    let t = &s.topology;
    p.at_most("topology.pairs", t.pairs.into(), MAX_PAIRS);
    let per = u64::from(t.volumes_per_subsystem) * u64::from(t.blocks_per_volume);
    p.at_most("topology.blocks_per_volume", per, MAX_BLOCKS_PER_SUBSYSTEM);
    if per <= MAX_BLOCKS_PER_SUBSYSTEM {
        p.at_most(
            "topology.blocks_per_volume",
            per * u64::from(t.pairs),
            MAX_BLOCKS,
        );
    }
    p.at_most(
        "subsystems.servers",
        s.subsystems.servers.into(),
        MAX_SERVERS,
    );
    if let Some(c) = s.subsystems.buffer_capacity {
        p.at_most("subsystems.buffer_capacity", c.into(), MAX_BUFFER_CAPACITY);
    }
    for (i, o) in s.subsystems.overrides.iter().enumerate() {
        if let Some(n) = o.servers {
            p.at_most(
                &format!("subsystems.overrides[{i}].servers"),
                n.into(),
                MAX_SERVERS,
            );
        }
    }
    p.at_most(
        "limits.max_writes_in_flight",
        s.limits.max_writes_in_flight,
        MAX_WRITES_IN_FLIGHT,
    );
    p.at_most(
        "limits.max_events_pending",
        s.limits.max_events_pending,
        MAX_EVENTS_PENDING,
    );
    p.at_most("links.paths", s.links.paths.into(), MAX_PATHS);
    for (i, o) in s.links.overrides.iter().enumerate() {
        if let Some(n) = o.paths {
            p.at_most(&format!("links.overrides[{i}].paths"), n.into(), MAX_PATHS);
        }
    }
    p.at_most("workloads", s.workloads.len() as u64, MAX_WORKLOADS);
    for (i, w) in s.workloads.iter().enumerate() {
        if let Workload::Dbms(d) = w {
            p.at_most(
                &format!("workloads[{i}].in_flight"),
                d.in_flight.into(),
                MAX_IN_FLIGHT,
            );
            p.at_most(
                &format!("workloads[{i}].data_writes"),
                d.data_writes.into(),
                MAX_DATA_WRITES,
            );
        }
    }
    p.at_most("faults", s.faults.len() as u64, MAX_FAULTS);
    let duration = s.duration.as_ns();
    let drain = s.drain.as_ns();
    if add(duration, drain).is_none() {
        p.too_late("drain", "the end of the run (duration + drain)");
    }
    if 2u128 * u128::from(s.clocks.sync_error.as_ns()) > u128::from(u64::MAX) {
        p.too_late("clocks.sync_error", "twice the sync error");
    }
    for (i, f) in s.faults.iter().enumerate() {
        let fp = format!("faults[{i}]");
        let at = f.at().as_ns();
        match f {
            Fault::Crash { down_for, .. } => {
                if down_for.is_some_and(|d| add(at, d.as_ns()).is_none()) {
                    p.too_late(&format!("{fp}.down_for"), "the restart (at + down_for)");
                }
            }
            Fault::LinkOutage { lasts, repeat, .. } => {
                if let Some(r) = repeat {
                    p.at_most(&format!("{fp}.repeat.count"), r.count.into(), MAX_REPEATS);
                    let last_start = u64::from(r.count.saturating_sub(1))
                        .checked_mul(r.every.as_ns())
                        .and_then(|k| add(at, k));
                    match last_start {
                        None => p.too_late(
                            &format!("{fp}.repeat.every"),
                            "the last outage's start (at + (count - 1) x every)",
                        ),
                        Some(s) if add(s, lasts.as_ns()).is_none() => p.too_late(
                            &format!("{fp}.for"),
                            "the last outage's end (its start + for)",
                        ),
                        Some(_) => {}
                    }
                } else if add(at, lasts.as_ns()).is_none() {
                    p.too_late(&format!("{fp}.for"), "the outage's end (at + for)");
                }
            }
            Fault::Partition { lasts, .. }
            | Fault::LatencySpike { lasts, .. }
            | Fault::BandwidthDrop { lasts, .. } => {
                if add(at, lasts.as_ns()).is_none() {
                    p.too_late(&format!("{fp}.for"), "the fault's end (at + for)");
                }
            }
            Fault::ClockStep { .. } => {}
            Fault::RollingDisaster { over, .. } => {
                if add(at, over.as_ns()).is_none() {
                    p.too_late(&format!("{fp}.over"), "the disaster's end (at + over)");
                }
            }
            Fault::Disaster { .. } => {}
        }
        if let Some(lost) = site_lost_checked(f) {
            let end = add(lost, s.takeover.delay.as_ns()).and_then(|t| add(t, drain));
            if end.is_none() {
                p.too_late(
                    "takeover.delay",
                    &format!("the end of the run after {fp} (disaster + takeover.delay + drain)"),
                );
            }
        }
    }
    p.0
}

/// When the primary site is finally gone, for the faults that end it; `None` also on overflow
/// (reported on its own).
fn site_lost_checked(f: &Fault) -> Option<u64> {
    match f {
        Fault::Disaster { at } => Some(at.as_ns()),
        Fault::RollingDisaster { at, over, .. } => add(at.as_ns(), over.as_ns()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    /// The validation tests' scenario with `extra` top-level fields and `workload`.
    fn problems(extra: &str, workload: &str) -> String {
        crate::scenario::validate::tests::problems(workload, extra)
    }

    const RANDOM: &str = r#"{"kind": "random", "rate": "10/s"}"#;

    #[test]
    fn huge_counts_are_named_with_their_maximum() {
        let m = problems(r#", "links": {"paths": 4294967295}"#, RANDOM);
        assert!(m.contains("links.paths") && m.contains("at most 64"), "{m}");
        let m = problems(
            "",
            r#"{"kind": "dbms", "log": {"subsystem": 1}, "data": [{"subsystem": 2}], "rate": "10/s",
                "in_flight": 4294967295, "data_writes": 4294967295}"#,
        );
        assert!(m.contains("workloads[0].in_flight"), "{m}");
        assert!(m.contains("workloads[0].data_writes"), "{m}");
    }

    #[test]
    fn overflowing_fault_times_name_the_field() {
        let m = problems(
            r#", "faults": [{"kind": "rolling_disaster", "at": "1ms", "over": "18446744073709551615ns"}]"#,
            RANDOM,
        );
        assert!(m.contains("faults[0].over"), "{m}");
        let m = problems(
            r#", "faults": [{"kind": "link_outage", "pair": 1, "at": "1ms", "for": "1ms",
                             "repeat": {"every": "18446744073709551615ns", "count": 3}}]"#,
            RANDOM,
        );
        assert!(m.contains("faults[0].repeat.every"), "{m}");
    }

    #[test]
    fn an_ordinary_scenario_is_within_bounds() {
        assert_eq!(problems("", RANDOM), "");
    }
}
