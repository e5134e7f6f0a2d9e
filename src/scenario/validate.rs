//! Semantic checks that the types alone cannot express: references to subsystems, volumes and
//! blocks that exist, dependencies on defined earlier writes, sane counts, trace files that parse.
//! Every problem names its JSON path and what was expected; all problems are reported at once.

use std::collections::BTreeMap;

use crate::quote::number;

use super::types::{Fault, NetTarget, ProtocolKind, Scenario, ScriptSpec, VolumeRef, Workload};

/// Collects problems with their paths.
struct Problems {
    list: Vec<String>,
}

impl Problems {
    fn add(&mut self, path: &str, what: String) {
        self.list.push(format!("at `{path}`: {what}"));
    }

    fn at_least(&mut self, path: &str, value: u64, min: u64) {
        if value < min {
            self.add(path, format!("expected at least {min}, got {value}"));
        }
    }
}

/// Every semantic problem of `s`, empty when it is valid.
pub fn check(s: &Scenario) -> Vec<String> {
    let mut p = Problems { list: Vec::new() };
    let t = &s.topology;
    p.at_least("topology.pairs", t.pairs.into(), 1);
    p.at_least(
        "topology.volumes_per_subsystem",
        t.volumes_per_subsystem.into(),
        1,
    );
    p.at_least("topology.blocks_per_volume", t.blocks_per_volume.into(), 1);
    if s.duration.as_ns() == 0 {
        p.add("duration", "expected a duration greater than zero".into());
    }
    // With no pairs, volumes or blocks, every reference to one would be reported too: that
    // cascade would bury the cause, so the references go unchecked until the topology is fixed.
    let topology_ok = t.pairs > 0 && t.volumes_per_subsystem > 0 && t.blocks_per_volume > 0;
    let pair_in_range = |p: &mut Problems, path: &str, pair: u16| {
        if !topology_ok {
            false
        } else if pair == 0 || pair > t.pairs {
            p.add(
                path,
                format!(
                    "subsystem {pair} does not exist: expected 1..={} (topology.pairs)",
                    t.pairs
                ),
            );
            false
        } else {
            true
        }
    };
    let volume_ok = |p: &mut Problems, path: &str, v: VolumeRef| {
        if pair_in_range(p, &format!("{path}.subsystem"), v.subsystem)
            && v.volume >= t.volumes_per_subsystem
        {
            p.add(
                &format!("{path}.volume"),
                format!(
                    "volume {} does not exist: expected 0..{} (topology.volumes_per_subsystem)",
                    v.volume, t.volumes_per_subsystem
                ),
            );
        }
    };

    // Two entries for one subsystem (or pair) would have the later silently replace the earlier.
    let once_each =
        |p: &mut Problems, list: &str, field: &str, ids: &mut dyn Iterator<Item = u16>| {
            let mut first = std::collections::BTreeMap::new();
            for (i, id) in ids.enumerate() {
                let j = *first.entry(id).or_insert(i);
                if j != i {
                    p.add(
                        &format!("{list}[{i}].{field}"),
                        format!(
                            "{field} {id} already has an entry at {list}[{j}]: expected one entry \
                         per {field} (merge the two)"
                        ),
                    );
                }
            }
        };
    once_each(
        &mut p,
        "subsystems.overrides",
        "subsystem",
        &mut s.subsystems.overrides.iter().map(|o| o.subsystem),
    );
    once_each(
        &mut p,
        "links.overrides",
        "pair",
        &mut s.links.overrides.iter().map(|o| o.pair),
    );
    once_each(
        &mut p,
        "clocks.overrides",
        "subsystem",
        &mut s.clocks.overrides.iter().map(|o| o.subsystem),
    );
    p.at_least("subsystems.servers", s.subsystems.servers.into(), 1);
    if let Some(c) = s.subsystems.buffer_capacity {
        p.at_least("subsystems.buffer_capacity", c.into(), 2);
    }
    for (i, o) in s.subsystems.overrides.iter().enumerate() {
        let path = format!("subsystems.overrides[{i}]");
        pair_in_range(&mut p, &format!("{path}.subsystem"), o.subsystem);
        if o.servers == Some(0) {
            p.add(
                &format!("{path}.servers"),
                "expected at least 1, got 0".into(),
            );
        }
    }
    p.at_least("links.paths", s.links.paths.into(), 1);
    for (i, o) in s.links.overrides.iter().enumerate() {
        let path = format!("links.overrides[{i}]");
        pair_in_range(&mut p, &format!("{path}.pair"), o.pair);
        if o.paths == Some(0) {
            p.add(
                &format!("{path}.paths"),
                "expected at least 1, got 0".into(),
            );
        }
    }
    let drift = s.clocks.drift_ppm;
    if !drift.is_finite() || !(0.0..=1000.0).contains(&drift) {
        p.add(
            "clocks.drift_ppm",
            format!(
                "expected a drift between 0 and 1000 ppm, got {}",
                number(drift)
            ),
        );
    }
    for (i, o) in s.clocks.overrides.iter().enumerate() {
        pair_in_range(
            &mut p,
            &format!("clocks.overrides[{i}].subsystem"),
            o.subsystem,
        );
        if !o.drift_ppm.is_finite() || o.drift_ppm.abs() > 1000.0 {
            p.add(
                &format!("clocks.overrides[{i}].drift_ppm"),
                format!(
                    "expected a drift between -1000 and 1000 ppm, got {}",
                    number(o.drift_ppm)
                ),
            );
        }
    }
    if s.clocks.sync_interval.as_ns() == 0 {
        p.add(
            "clocks.sync_interval",
            "expected a duration greater than zero".into(),
        );
    }
    let pr = &s.protocol;
    for (path, d) in [
        ("protocol.retransmit_timeout", pr.retransmit_timeout),
        ("protocol.checkpoint_interval", pr.checkpoint_interval),
        ("protocol.heartbeat_interval", pr.heartbeat_interval),
        ("protocol.failover_timeout", pr.failover_timeout),
        ("protocol.member_timeout", pr.member_timeout),
        ("protocol.mover_read_interval", pr.mover_read_interval),
        ("protocol.min_cycle_time", pr.min_cycle_time),
        ("protocol.max_coordination_time", pr.max_coordination_time),
        ("protocol.drain_timeout", pr.drain_timeout),
    ] {
        if d.as_ns() == 0 {
            p.add(path, "expected a duration greater than zero".into());
        }
    }
    pair_in_range(&mut p, "protocol.primary_master", pr.primary_master);
    pair_in_range(&mut p, "protocol.secondary_master", pr.secondary_master);
    if let Some(m) = pr.mutant {
        let (of, kind) = (ProtocolKind::of_mutant(m), pr.kind);
        if of != kind {
            p.add(
                "protocol.mutant",
                format!(
                    "this mutant is a bug of the `{}` protocol: expected protocol.kind `{}`, got `{}`",
                    of.name(),
                    of.name(),
                    kind.name()
                ),
            );
        }
    }

    if s.workloads.is_empty() {
        p.add("workloads", "expected at least one workload".into());
    }
    for (i, w) in s.workloads.iter().enumerate() {
        let path = format!("workloads[{i}]");
        match w {
            Workload::Script(ScriptSpec { writes }) => {
                let mut index: BTreeMap<&str, usize> = BTreeMap::new();
                for (j, w) in writes.iter().enumerate() {
                    if index.insert(&w.label, j).is_some() {
                        p.add(
                            &format!("{path}.writes[{j}].label"),
                            format!("label `{}` is used twice: expected unique labels", w.label),
                        );
                    }
                }
                for (j, w) in writes.iter().enumerate() {
                    let wp = format!("{path}.writes[{j}]");
                    let v = VolumeRef {
                        subsystem: w.subsystem,
                        volume: w.volume,
                    };
                    volume_ok(&mut p, &wp, v);
                    if topology_ok && w.block >= t.blocks_per_volume {
                        p.add(
                            &format!("{wp}.block"),
                            format!(
                                "block {} does not exist: expected 0..{} (topology.blocks_per_volume)",
                                w.block, t.blocks_per_volume
                            ),
                        );
                    }
                    if w.size.0 == 0 || w.size.0 > super::workload::MAX_WRITE_SIZE {
                        p.add(&format!("{wp}.size"), super::workload::SIZE_EXPECTED.into());
                    }
                    for (k, dep) in w.after.iter().enumerate() {
                        let dp = format!("{wp}.after[{k}]");
                        match index.get(dep.as_str()) {
                            None => p.add(&dp, format!("`{dep}` is not the label of any write")),
                            Some(&d) if d == j => {
                                p.add(&dp, format!("`{dep}` cannot depend on itself (a cycle)"))
                            }
                            Some(&d) if d > j => {
                                let what = if reaches(writes, &index, d, j) {
                                    format!("`{dep}` depends back on `{}`: a cycle", w.label)
                                } else {
                                    format!(
                                        "`{dep}` is defined later: a write may only depend on earlier writes"
                                    )
                                };
                                p.add(&dp, what);
                            }
                            Some(_) => {}
                        }
                    }
                }
            }
            Workload::Dbms(d) => {
                volume_ok(&mut p, &format!("{path}.log"), d.log);
                if d.data.is_empty() {
                    p.add(
                        &format!("{path}.data"),
                        "expected at least one data volume".into(),
                    );
                }
                for (j, v) in d.data.iter().enumerate() {
                    volume_ok(&mut p, &format!("{path}.data[{j}]"), *v);
                }
                p.at_least(&format!("{path}.in_flight"), d.in_flight.into(), 1);
                p.at_least(&format!("{path}.data_writes"), d.data_writes.into(), 1);
                sizes(&mut p, &path, &d.size);
                for (rel, what) in d.shape.iter().flat_map(super::shape::problems) {
                    p.add(&format!("{path}.shape.{rel}"), what);
                }
            }
            Workload::Random(r) => {
                sizes(&mut p, &path, &r.size);
                for (j, v) in r.volumes.iter().enumerate() {
                    volume_ok(&mut p, &format!("{path}.volumes[{j}]"), *v);
                }
                if let super::types::BlockChoice::Zipf(e) = r.blocks {
                    if !e.is_finite() || e <= 0.0 {
                        p.add(
                            &format!("{path}.blocks.zipf"),
                            format!("expected a positive exponent, got {}", number(e)),
                        );
                    }
                }
                if let super::types::BlockChoice::Hot(h) = &r.blocks {
                    for (rel, what) in super::shape::hot_problems(h) {
                        p.add(&format!("{path}.blocks.hot.{rel}"), what);
                    }
                }
                for (rel, what) in r.shape.iter().flat_map(super::shape::problems) {
                    p.add(&format!("{path}.shape.{rel}"), what);
                }
            }
            Workload::Trace(t) => {
                for (j, m) in t.map.iter().enumerate() {
                    volume_ok(&mut p, &format!("{path}.map[{j}]"), m.volume_ref());
                }
                let own = super::replay::problems(t);
                if own.is_empty() {
                    if let Err(e) = super::replay::check_file(t) {
                        p.add(&format!("{path}.file"), e.to_string());
                    }
                }
                for (rel, what) in own {
                    p.add(&format!("{path}.{rel}"), what);
                }
            }
        }
    }
    for (i, f) in s.faults.iter().enumerate() {
        let fp = format!("faults[{i}]");
        match f {
            Fault::Crash { subsystem, .. } | Fault::ClockStep { subsystem, .. } => {
                pair_in_range(&mut p, &format!("{fp}.subsystem"), *subsystem);
            }
            Fault::LinkOutage { pair, repeat, .. } => {
                pair_in_range(&mut p, &format!("{fp}.pair"), *pair);
                if let Some(r) = repeat {
                    p.at_least(&format!("{fp}.repeat.count"), r.count.into(), 1);
                    if r.every.as_ns() == 0 {
                        p.add(
                            &format!("{fp}.repeat.every"),
                            "expected a duration greater than zero".into(),
                        );
                    }
                }
            }
            Fault::BandwidthDrop { pair, factor, .. } => {
                pair_in_range(&mut p, &format!("{fp}.pair"), *pair);
                if !(factor.is_finite() && *factor > 0.0 && *factor <= 1.0) {
                    p.add(
                        &format!("{fp}.factor"),
                        format!("expected a fraction in (0, 1], got {}", number(*factor)),
                    );
                }
            }
            Fault::Partition { isolate, .. } => {
                if isolate.is_empty() {
                    p.add(
                        &format!("{fp}.isolate"),
                        "expected at least one subsystem".into(),
                    );
                }
                for (j, s) in isolate.iter().enumerate() {
                    pair_in_range(&mut p, &format!("{fp}.isolate[{j}]"), *s);
                }
            }
            Fault::LatencySpike { target, pair, .. } => match (target, pair) {
                (NetTarget::Link, Some(n)) => {
                    pair_in_range(&mut p, &format!("{fp}.pair"), *n);
                }
                (NetTarget::Link, None) => p.add(
                    &format!("{fp}.pair"),
                    "expected the pair whose link it hits".into(),
                ),
                (_, Some(_)) => p.add(
                    &format!("{fp}.pair"),
                    "a LAN spike takes no pair: expected no `pair` field".into(),
                ),
                (_, None) => {}
            },
            Fault::Disaster { .. } | Fault::RollingDisaster { .. } => {}
        }
    }
    let disasters = s
        .faults
        .iter()
        .filter(|f| f.site_lost_at().is_some())
        .count();
    p.list.extend(super::bounds::problems(s));
    if disasters > 1 {
        p.add(
            "faults",
            format!("expected at most one primary-site disaster, got {disasters}"),
        );
    }
    p.list
}

/// Reports the values of workload `path`'s write-size distribution that are no valid size.
fn sizes(p: &mut Problems, path: &str, size: &super::dist::Dist<super::units::Size>) {
    for (rel, what) in super::workload::size_problems(size) {
        let at = if rel.is_empty() {
            format!("{path}.size")
        } else {
            format!("{path}.size.{rel}")
        };
        p.add(&at, what);
    }
}

/// True when write `from` depends, directly or not, on write `to`.
fn reaches(
    writes: &[super::types::ScriptWrite],
    index: &BTreeMap<&str, usize>,
    from: usize,
    to: usize,
) -> bool {
    let mut stack = vec![from];
    let mut seen = vec![false; writes.len()];
    while let Some(i) = stack.pop() {
        if i == to {
            return true;
        }
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        stack.extend(writes[i].after.iter().filter_map(|d| index.get(d.as_str())));
    }
    false
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::scenario::parse;

    /// The message parsing a small scenario with `workload` (and `extra` top-level fields)
    /// gives, or "" if it parses: what the scenario checks' tests assert on.
    pub(crate) fn problems(workload: &str, extra: &str) -> String {
        let text = format!(
            r#"{{"name": "t", "description": "d", "duration": "10ms",
                "topology": {{"pairs": 2, "blocks_per_volume": 16}}{extra},
                "workloads": [{workload}]}}"#
        );
        match parse("t.json", &text, &[]) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    const OK_RANDOM: &str = r#"{"kind": "random", "rate": "10/s"}"#;

    #[test]
    fn a_missing_subsystem_is_named() {
        let m = problems(
            r#"{"kind": "script", "writes": [{"label": "a", "subsystem": 3}]}"#,
            "",
        );
        assert!(m.contains("workloads[0].writes[0].subsystem"), "{m}");
        assert!(m.contains("expected 1..=2"), "{m}");
    }

    #[test]
    fn a_missing_volume_and_block_are_named() {
        let m = problems(
            r#"{"kind": "script", "writes": [{"label": "a", "subsystem": 1, "volume": 1, "block": 99}]}"#,
            "",
        );
        assert!(m.contains("writes[0].volume"), "{m}");
        assert!(m.contains("writes[0].block"), "{m}");
    }

    #[test]
    fn dependencies_must_be_defined_and_earlier() {
        let undefined = problems(
            r#"{"kind": "script", "writes": [{"label": "a", "subsystem": 1, "after": ["zz"]}]}"#,
            "",
        );
        assert!(
            undefined.contains("`zz` is not the label of any write"),
            "{undefined}"
        );
        let later = problems(
            r#"{"kind": "script", "writes": [{"label": "a", "subsystem": 1, "after": ["b"]},
                                              {"label": "b", "subsystem": 1}]}"#,
            "",
        );
        assert!(later.contains("defined later"), "{later}");
        let cycle = problems(
            r#"{"kind": "script", "writes": [{"label": "a", "subsystem": 1, "after": ["b"]},
                                              {"label": "b", "subsystem": 1, "after": ["a"]}]}"#,
            "",
        );
        assert!(cycle.contains("a cycle"), "{cycle}");
    }

    #[test]
    fn probability_outside_unit_interval_is_rejected() {
        let m = problems(OK_RANDOM, r#", "primary_lan": {"loss": 1.5}"#);
        assert!(m.contains("primary_lan.loss"), "{m}");
        assert!(m.contains("between 0 and 1"), "{m}");
    }

    #[test]
    fn zero_bandwidth_and_negative_latency_are_rejected() {
        let bw = problems(OK_RANDOM, r#", "links": {"bandwidth": "0MB/s"}"#);
        assert!(bw.contains("links.bandwidth"), "{bw}");
        let lat = problems(OK_RANDOM, r#", "links": {"latency": "-1ms"}"#);
        assert!(lat.contains("links.latency"), "{lat}");
    }

    #[test]
    fn a_subsystem_or_pair_overridden_twice_is_named() {
        let m = problems(
            OK_RANDOM,
            r#", "subsystems": {"overrides": [{"subsystem": 1, "copy_time": "20ms"},
                {"subsystem": 1, "copy_time": "0ns"}]}"#,
        );
        assert!(m.contains("subsystems.overrides[1].subsystem"), "{m}");
        assert!(m.contains("subsystems.overrides[0]"), "{m}");
        let m = problems(
            OK_RANDOM,
            r#", "links": {"overrides": [{"pair": 1, "paths": 2}, {"pair": 1, "paths": 3}]}"#,
        );
        assert!(m.contains("links.overrides[1].pair"), "{m}");
        let m = problems(
            OK_RANDOM,
            r#", "clocks": {"overrides": [{"subsystem": 1, "drift_ppm": 5},
                {"subsystem": 1, "drift_ppm": -5}]}"#,
        );
        assert!(m.contains("clocks.overrides[1].subsystem"), "{m}");
    }

    #[test]
    fn overrides_must_name_existing_pairs() {
        let m = problems(
            OK_RANDOM,
            r#", "subsystems": {"overrides": [{"subsystem": 9, "copy_time": "5ms"}]}"#,
        );
        assert!(m.contains("subsystems.overrides[0].subsystem"), "{m}");
    }

    #[test]
    fn workload_sizes_outside_1b_to_4gib_are_named() {
        for (size, at) in [
            (r#""0B""#, "workloads[0].size`"),
            (r#""5GiB""#, "workloads[0].size`"),
            (
                r#"{"kind": "uniform", "min": "0B", "max": "4KiB"}"#,
                "workloads[0].size.min`",
            ),
            (
                r#"{"kind": "empirical", "values": ["4KiB", "8GiB"], "weights": [1, 1]}"#,
                "workloads[0].size.values[1]`",
            ),
        ] {
            let m = problems(
                &format!(r#"{{"kind": "random", "rate": "10/s", "size": {size}}}"#),
                "",
            );
            assert!(m.contains(at) && m.contains("between 1B and 4GiB"), "{m}");
        }
        let m = problems(
            r#"{"kind": "dbms", "log": {"subsystem": 1}, "data": [{"subsystem": 2}],
                "rate": "10/s", "size": "0B"}"#,
            "",
        );
        assert!(m.contains("workloads[0].size`"), "{m}");
        let ok = r#"{"kind": "random", "rate": "10/s", "size": "4294967295B"}"#;
        assert_eq!(problems(ok, ""), "");
    }

    #[test]
    fn an_empty_topology_is_the_one_problem_reported() {
        let m = problems(
            r#"{"kind": "script", "writes": [{"label": "a", "subsystem": 1, "block": 3}]}"#,
            r#", "protocol": {"primary_master": 1}"#,
        );
        assert_eq!(m, "");
        for topology in [
            r#""pairs": 0, "blocks_per_volume": 16"#,
            r#""pairs": 2, "volumes_per_subsystem": 0"#,
            r#""pairs": 2, "blocks_per_volume": 0"#,
        ] {
            let text = format!(
                r#"{{"name": "t", "description": "d", "duration": "10ms",
                    "topology": {{{topology}}},
                    "workloads": [{{"kind": "script",
                                   "writes": [{{"label": "a", "subsystem": 1, "block": 3}}]}}]}}"#
            );
            let m = parse("t.json", &text, &[]).unwrap_err().to_string();
            assert_eq!(m.lines().count(), 1, "{m}");
            assert!(m.contains("at `topology."), "{m}");
        }
    }

    #[test]
    fn a_valid_scenario_has_no_problems() {
        assert_eq!(problems(OK_RANDOM, ""), "");
    }
}
