//! Building the world: pairs, LANs, hosts and protocol nodes from a scenario, and the start,
//! fault and takeover events scheduled up front.

use std::collections::BTreeMap;

use crate::check::{Checker, Geometry};
use crate::engine::{stream, ComponentId, Scheduler};
use crate::model::clock::Clock;
use crate::model::net::Channel;
use crate::model::readable::Readability;
use crate::model::stage::Stage;
use crate::model::workload::{Dbms, Host, HostOut, RandomWriter, Script};
use crate::protocol::checkpoint::Mutant;
use crate::protocol::shipping::{BufferLimit, FullPolicy};
use crate::protocol::{self, Node, NodeId, Outputs};
use crate::scenario::types::{
    BufferKind, ClockKind, Fault, MemberFailureKind, ProtocolKind, Scenario, Site, VolumeRef,
    WhenFull, Workload,
};
use crate::scenario::units::Duration;
use crate::sparse::Sparse;

use super::inflight::InFlight;
use super::{Component, Event, Pair, Stats, World};

impl World {
    /// Builds the world of `sc` under `seed`, and schedules start, faults and the takeover.
    pub fn new(sc: &Scenario, seed: u64, sched: &mut Scheduler<Event>) -> Self {
        let n = sc.topology.pairs;
        let geometry = Geometry {
            pairs: n,
            volumes: sc.topology.volumes_per_subsystem,
            blocks: sc.topology.blocks_per_volume,
        };
        let pairs = (0..n)
            .map(|i| {
                let svc = sc.subsystems.service(i + 1);
                let link = sc.links.link(i + 1);
                let bw = link.bandwidth.0;
                Pair {
                    write_stage: Stage::new(svc.servers),
                    copy_stage: Stage::new(svc.servers),
                    apply_stage: Stage::new(svc.servers),
                    write_time: svc.write_time,
                    copy_time: svc.copy_time,
                    apply_time: svc.apply_time,
                    primary_rng: stream(seed, ComponentId::PrimaryService(i)),
                    secondary_rng: stream(seed, ComponentId::SecondaryService(i)),
                    forward: Channel::link(
                        link.latency.clone(),
                        link.loss.get(),
                        link.duplicate.get(),
                        bw,
                        link.paths,
                        stream(seed, ComponentId::LinkForward(i)),
                    ),
                    backward: Channel::link(
                        link.latency,
                        link.loss.get(),
                        link.duplicate.get(),
                        bw,
                        link.paths,
                        stream(seed, ComponentId::LinkBackward(i)),
                    ),
                    clock: {
                        let mut rng = stream(seed, ComponentId::Clock(i));
                        Self::initial_clock(sc, i, &mut rng)
                    },
                    clock_rng: stream(seed, ComponentId::Clock(i)),
                    secondary_incarnation: 0,
                    applies_started: 0,
                    block_order: Sparse::new(),
                    servers: svc.servers,
                    held: Vec::new(),
                    next_fresh_seq: 0,
                    offered: [0; 3],
                }
            })
            .collect();
        let nodes = Self::nodes(sc);
        let until = sc.duration.as_ns();
        let all_volumes: Vec<VolumeRef> = (1..=n)
            .flat_map(|s| {
                (0..geometry.volumes).map(move |v| VolumeRef {
                    subsystem: s,
                    volume: v,
                })
            })
            .collect();
        let hosts = sc
            .workloads
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let rng = stream(seed, ComponentId::Workload(i as u16));
                match w {
                    Workload::Script(spec) => Host::Script(Script::new(&spec.writes)),
                    Workload::Dbms(d) => Host::Dbms(Dbms::new(d, geometry.blocks, until, rng)),
                    Workload::Random(r) => {
                        let vols = if r.volumes.is_empty() {
                            all_volumes.clone()
                        } else {
                            r.volumes.clone()
                        };
                        Host::Random(RandomWriter::new(r, vols, geometry.blocks, until, rng))
                    }
                    Workload::Trace(t) => {
                        Host::Trace(crate::model::replay::Replay::new(t, geometry.blocks, until))
                    }
                }
            })
            .collect();
        sched.at(0, Event::Start);
        let mut rolling: Vec<Vec<Component>> = Vec::new();
        for (index, f) in sc.faults.iter().enumerate() {
            let index = index as u16;
            let start = |at: Duration, sched: &mut Scheduler<Event>| {
                sched.at(at.as_ns(), Event::Fault { index, phase: 0 })
            };
            match f {
                Fault::LinkOutage {
                    at, lasts, repeat, ..
                } => {
                    let (every, count) = repeat.map_or((0, 1), |r| (r.every.as_ns(), r.count));
                    for k in 0..u64::from(count.max(1)) {
                        // Validation keeps these sums in range; saturate all the same.
                        let t = at.as_ns().saturating_add(k.saturating_mul(every));
                        sched.at(t, Event::Fault { index, phase: 0 });
                        let end = t.saturating_add(lasts.as_ns());
                        sched.at(end, Event::Fault { index, phase: 1 });
                    }
                }
                Fault::Partition { at, lasts, .. }
                | Fault::LatencySpike { at, lasts, .. }
                | Fault::BandwidthDrop { at, lasts, .. } => {
                    start(*at, sched);
                    let end = at.as_ns().saturating_add(lasts.as_ns());
                    sched.at(end, Event::Fault { index, phase: 1 });
                }
                Fault::ClockStep { at, .. } => start(*at, sched),
                Fault::RollingDisaster { at, over, order } => {
                    let mut rng = stream(seed, ComponentId::Faults);
                    let comps = Component::order(n, order, &mut rng);
                    let step = over.as_ns() / (comps.len() as u64).max(1);
                    for k in 0..comps.len() {
                        let phase = k as u16;
                        let t = at.as_ns().saturating_add(k as u64 * step);
                        sched.at(t, Event::Fault { index, phase });
                    }
                    sched.at(at.as_ns().saturating_add(over.as_ns()), Event::Disaster);
                    rolling.resize(usize::from(index) + 1, Vec::new());
                    rolling[usize::from(index)] = comps;
                }
                Fault::Disaster { .. } | Fault::Crash { .. } => {}
            }
        }
        for f in &sc.faults {
            match *f {
                Fault::Disaster { at } => sched.at(at.as_ns(), Event::Disaster),
                Fault::Crash {
                    site,
                    subsystem,
                    at,
                    down_for,
                } => {
                    let i = subsystem.saturating_sub(1);
                    let node = match site {
                        Site::Primary => NodeId::Primary(i),
                        Site::Secondary => NodeId::Secondary(i),
                    };
                    sched.at(at.as_ns(), Event::Crash { node });
                    if let Some(d) = down_for {
                        sched.at(
                            at.as_ns().saturating_add(d.as_ns()),
                            Event::Restart { node },
                        );
                    }
                }
                _ => {}
            }
        }
        World {
            geometry,
            pairs,
            nodes,
            primary_lan: Channel::lan(
                sc.primary_lan.latency.clone(),
                sc.primary_lan.loss.get(),
                sc.primary_lan.duplicate.get(),
                stream(seed, ComponentId::PrimaryLan),
            ),
            secondary_lan: Channel::lan(
                sc.secondary_lan.latency.clone(),
                sc.secondary_lan.loss.get(),
                sc.secondary_lan.duplicate.get(),
                stream(seed, ComponentId::SecondaryLan),
            ),
            hosts,
            host_out: HostOut::default(),
            outputs: Outputs::new(),
            inflight: InFlight::default(),
            labels: BTreeMap::new(),
            next_write: 0,
            readability: Readability::new(n),
            takeover_done: vec![false; usize::from(n)],
            primary_alive: true,
            faults: sc.faults.clone(),
            rolling,
            partitions: Vec::new(),
            down: vec![0; 2 * usize::from(n)],
            takeover_declared: false,
            takeover_delay: sc.takeover.delay.as_ns(),
            load_until: until,
            max_writes_in_flight: sc.limits.max_writes_in_flight,
            writes_over_limit: false,
            max_events_pending: usize::try_from(sc.limits.max_events_pending).unwrap_or(usize::MAX),
            events_over_limit: false,
            sync_error: sc.clocks.sync_error.as_ns(),
            checker: Checker::new(geometry, sc.checker.history),
            stats: Stats::default(),
            rendezvous: crate::check::LatencyStats::new(),
            suspended_since: Vec::new(),
            watchers: Vec::new(),
            wants: super::Wants::NONE,
            host_hold: crate::check::LatencyStats::new(),
            exposure: crate::check::ExposureClock::new(),
            lag: crate::check::AgeClock::default(),
            clock_wait: crate::check::LatencyStats::new(),
        }
    }

    /// Primary `pair`'s clock at the start: drift drawn in [-drift, +drift] ppm (or its own, if
    /// overridden), offset within the sync error.
    pub(super) fn initial_clock(
        sc: &Scenario,
        pair: u16,
        rng: &mut crate::engine::rng::Rng,
    ) -> Clock {
        use rand::Rng as _;
        let ppb = libm::round(sc.clocks.drift_ppm * 1000.0) as i64;
        let drawn = if ppb > 0 {
            rng.random_range(-ppb..=ppb)
        } else {
            0
        };
        let drift = sc
            .clocks
            .overrides
            .iter()
            .rev()
            .find(|o| o.subsystem == pair + 1)
            .map_or(drawn, |o| libm::round(o.drift_ppm * 1000.0) as i64);
        let mut c = Clock::new(drift);
        let err = sc.clocks.sync_error.as_ns();
        if err > 0 {
            c.set(0, rng.random_range(0..=err.saturating_mul(2)));
        }
        c
    }

    /// The protocol nodes of `sc`: primaries 0..n, then secondaries 0..n.
    pub(super) fn nodes(sc: &Scenario) -> Vec<Box<dyn Node>> {
        let n = sc.topology.pairs;
        let pr = &sc.protocol;
        let rto = pr.retransmit_timeout.as_ns();
        let buffer = buffer_limit(sc);
        let cfg = checkpoint_config(sc);
        let central = protocol::central::Config {
            pairs: n,
            mover: cfg.primary_master,
            read_interval: pr.mover_read_interval.as_ns(),
            service_time: pr.mover_service_time.as_ns(),
            idle_heartbeat: pr.idle_heartbeat,
            sync_interval: cfg.sync_interval,
            retransmit_timeout: rto,
            volatile_buffers: cfg.volatile_buffers,
            no_min: pr.mutant == Some(Mutant::CentralNoMin),
        };
        let cycle = protocol::cycle::Config {
            pairs: n,
            master: cfg.primary_master,
            min_cycle_time: pr.min_cycle_time.as_ns(),
            max_coordination_time: pr.max_coordination_time.as_ns(),
            drain_timeout: pr.drain_timeout.as_ns(),
            retransmit_timeout: rto,
            volatile_buffers: cfg.volatile_buffers,
            no_hold: pr.mutant == Some(Mutant::CycleNoHold),
        };
        let mut nodes: Vec<Box<dyn Node>> = Vec::with_capacity(2 * usize::from(n));
        for i in 0..n {
            nodes.push(match pr.kind {
                ProtocolKind::Checkpoint => Box::new(protocol::checkpoint::Primary::new(i, cfg)),
                ProtocolKind::Independent => {
                    Box::new(protocol::independent::Primary::new(i, rto, buffer))
                }
                ProtocolKind::Sync => Box::new(protocol::sync::Primary::new(i, rto)),
                ProtocolKind::Central => Box::new(protocol::central::Primary::new(i, central)),
                ProtocolKind::Cycle => Box::new(protocol::cycle::Primary::new(i, cycle)),
            });
        }
        for i in 0..n {
            nodes.push(match pr.kind {
                ProtocolKind::Checkpoint => Box::new(protocol::checkpoint::Secondary::new(i, cfg)),
                ProtocolKind::Independent => {
                    Box::new(protocol::independent::Secondary::new(i, rto))
                }
                ProtocolKind::Sync => Box::new(protocol::sync::Secondary::new(i, rto)),
                ProtocolKind::Central => Box::new(protocol::central::Secondary::new(i, central)),
                ProtocolKind::Cycle => Box::new(protocol::cycle::Secondary::new(i, cycle)),
            });
        }
        nodes
    }
}

/// A bounded copy buffer as the scenario sets it, if any.
pub fn buffer_limit(sc: &Scenario) -> Option<BufferLimit> {
    sc.subsystems.buffer_capacity.map(|c| BufferLimit {
        capacity: c as usize,
        policy: match sc.subsystems.when_full {
            WhenFull::Pace => FullPolicy::Pace,
            WhenFull::Suspend => FullPolicy::Suspend,
        },
    })
}

/// How fast, in parts per billion of a follower's local time, its clock and the reference (the
/// first master's clock, which drifts too) can move apart when each drifts at most `w` ppb from
/// real time: a follower running slow against a master running fast gains `2w / (1 - w)` per
/// local nanosecond, more than `2w`; rounded up, plus one for the arithmetic of the bound.
fn relative_drift_bound(w: u64) -> u64 {
    const BILLION: u64 = 1_000_000_000;
    let w = w.min(BILLION / 2);
    (2 * w * BILLION).div_ceil(BILLION - w) + 1
}

/// The checkpoint protocol's configuration for `sc`: the one mapping from the scenario's knobs to
/// the protocol's, for the simulator and the exhaustive search alike.
pub fn checkpoint_config(sc: &Scenario) -> protocol::checkpoint::Config {
    let pr = &sc.protocol;
    // What the primaries know of their clocks (a hardware spec, not a measurement): they start
    // within twice the sync error of each other, each drifts at most the largest drift
    // configured, and steps at most `max_step` in all.
    let widest = sc
        .clocks
        .overrides
        .iter()
        .map(|o| o.drift_ppm.abs())
        .fold(sc.clocks.drift_ppm.abs(), f64::max);
    let drift_bound_ppb = relative_drift_bound(libm::ceil(widest * 1000.0) as u64);
    protocol::checkpoint::Config {
        buffer: buffer_limit(sc),
        initial_clock_error: sc.clocks.sync_error.as_ns().saturating_mul(2),
        drift_bound_ppb,
        max_clock_step: sc.clocks.max_step.as_ns(),
        pairs: sc.topology.pairs,
        primary_master: pr.primary_master.saturating_sub(1),
        secondary_master: pr.secondary_master.saturating_sub(1),
        checkpoint_interval: pr.checkpoint_interval.as_ns(),
        sync_interval: sc.clocks.sync_interval.as_ns(),
        heartbeat_interval: pr.heartbeat_interval.as_ns(),
        failover_timeout: pr.failover_timeout.as_ns(),
        member_timeout: pr.member_timeout.as_ns(),
        retransmit_timeout: pr.retransmit_timeout.as_ns(),
        clock: match pr.clock {
            ClockKind::Synced => protocol::checkpoint::ClockMode::Synced,
            ClockKind::None => protocol::checkpoint::ClockMode::None,
        },
        member_failure: match pr.member_failure {
            MemberFailureKind::Freeze => protocol::checkpoint::MemberFailure::Freeze,
            MemberFailureKind::Resign => protocol::checkpoint::MemberFailure::Resign,
        },
        volatile_buffers: sc.subsystems.buffer == BufferKind::Volatile,
        mutant: pr.mutant,
    }
}

#[cfg(test)]
mod tests {
    use super::relative_drift_bound;
    use crate::model::clock::Clock;
    use proptest::prelude::*;

    proptest! {
        /// A follower drifting `-w` and a master drifting `+w` (the worst pair) never move apart
        /// by more than the bound allows for the follower's own elapsed time, nor the other way
        /// round; `2w + 1`, the bound before the reference became the master's clock, does not
        /// hold at the largest drifts.
        #[test]
        fn the_drift_bound_covers_a_slow_follower_against_a_fast_master(
            w in 0u64..=1_000_000,
            real in 0u64..(1 << 45),
        ) {
            let bound = relative_drift_bound(w);
            let drift = i64::try_from(w).expect("small");
            for (follower, master) in [(-drift, drift), (drift, -drift)] {
                let (f, m) = (Clock::new(follower), Clock::new(master));
                let (local, reference) = (f.local(real), m.local(real));
                let allowed = (u128::from(local) * u128::from(bound)).div_ceil(1_000_000_000);
                prop_assert!(u128::from(local.abs_diff(reference)) <= allowed + 1);
            }
        }
    }

    #[test]
    fn twice_the_drift_falls_short_against_a_drifting_reference() {
        let w = 1_000_000;
        let hour = 3_600_000_000_000u64;
        let (f, m) = (Clock::new(-(w as i64)), Clock::new(w as i64));
        let (local, reference) = (f.local(hour), m.local(hour));
        let old = u128::from(local) * u128::from(2 * w + 1) / 1_000_000_000;
        assert!(u128::from(reference - local) > old + 1_000);
        let new = u128::from(local) * u128::from(relative_drift_bound(w)) / 1_000_000_000;
        assert!(u128::from(reference - local) <= new);
    }
}
