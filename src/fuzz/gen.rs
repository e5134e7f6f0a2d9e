//! Scenario generation per seed, swarm style (as TigerBeetle's VOPR does): each seed switches on
//! its own random subset of fault kinds and draws its own parameters around a base scenario, so a
//! campaign covers combinations no hand-written scenario would. The seed alone determines the
//! scenario; the reproducer stores it whole, so replaying needs neither this code nor the base.
//!
//! By default every draw keeps the checkpoint protocol's assumptions: clock skew stays well below
//! a host write's service time (the patent's condition), the clock-free variant only runs where
//! the LAN is lossless and its delay spread is below that time, a member whose primary fails
//! freezes the group, and buffers are non-volatile. `outside_assumptions` lifts those limits.

use rand::Rng as _;
use serde_json::{json, Value};

use crate::engine::rng::Rng;
use crate::engine::{stream, ComponentId};
use crate::scenario::types::{Scenario, Workload};

/// What the generator may draw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GenOptions {
    /// Draw outside the protocol's assumptions too (large skew, lossy clock-free LANs, resign,
    /// volatile buffers), to show the checker finds what those assumptions prevent.
    pub outside_assumptions: bool,
}

/// The fault kinds a seed may switch on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Swarm {
    LanLoss,
    LanDuplicate,
    LinkLoss,
    Multipath,
    ClockDrift,
    HeavyPair,
    PrimaryMasterCrash,
    SecondaryMasterCrash,
    SecondaryReset,
    PrimaryCrash,
    Disaster,
    ClockFree,
    BoundedBuffer,
}

const SWARM: [Swarm; 13] = [
    Swarm::LanLoss,
    Swarm::LanDuplicate,
    Swarm::LinkLoss,
    Swarm::Multipath,
    Swarm::ClockDrift,
    Swarm::HeavyPair,
    Swarm::PrimaryMasterCrash,
    Swarm::SecondaryMasterCrash,
    Swarm::SecondaryReset,
    Swarm::PrimaryCrash,
    Swarm::Disaster,
    Swarm::ClockFree,
    Swarm::BoundedBuffer,
];

/// A uniform draw in [lo, hi).
fn uf(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.random::<f64>()
}

fn ns(v: u64) -> String {
    format!("{v}ns")
}

fn workload_rates(base: &Scenario) -> (f64, f64) {
    let mut dbms = 300.0;
    let mut random = 1500.0;
    for w in &base.workloads {
        match w {
            Workload::Dbms(d) => dbms = d.rate.per_sec(),
            Workload::Random(r) => random = r.rate.per_sec(),
            _ => {}
        }
    }
    (dbms, random)
}

/// The scenario of `seed` around `base`, as JSON (checked by the caller like any scenario file).
pub fn generate(base: &Scenario, seed: u64, opts: GenOptions) -> Value {
    let mut rng = stream(seed, ComponentId::Other(0x00f0_22ed));
    let wild = opts.outside_assumptions;
    let on: Vec<Swarm> = SWARM
        .iter()
        .copied()
        .filter(|_| rng.random_bool(0.5))
        .collect();
    let has = |k: Swarm| on.contains(&k);

    let pairs = rng.random_range(2..=base.topology.pairs.max(2));
    let duration = base.duration.as_ns();

    // Service: a write takes at least `floor`; that is the host I/O cycle the assumptions use.
    let write_mean = base.subsystems.write_time.mean().max(20_000.0);
    let floor = (write_mean * uf(&mut rng, 0.5, 1.5)) as u64;
    let write_time = json!({"kind": "uniform", "min": ns(floor), "max": ns(floor * 2)});
    let copy_mean = base.subsystems.copy_time.mean();
    let copy_time = json!({"kind": "uniform", "min": "0ns",
        "max": ns((copy_mean * uf(&mut rng, 0.0, 2.0)) as u64)});
    let apply_mean = base.subsystems.apply_time.mean().max(1000.0);
    let apply_time = json!({"kind": "uniform", "min": ns((apply_mean * 0.5) as u64),
        "max": ns((apply_mean * 1.5) as u64)});
    let mut overrides = Vec::new();
    if has(Swarm::HeavyPair) {
        let heavy = (uf(&mut rng, 0.0, 1.0) * f64::from(pairs)) as u16 % pairs + 1;
        let delay = (floor as f64 * uf(&mut rng, 4.0, 40.0)) as u64;
        // A late shipper, not a bottleneck: many servers, so the delay does not cap throughput
        // (an overloaded pair would never catch up, which is capacity, not protocol, failing).
        overrides.push(json!({"subsystem": heavy, "copy_time": ns(delay), "servers": 256}));
    }

    // Clocks and the primary LAN: keep skew below half the I/O cycle unless told otherwise. The
    // clock-free variant assumes every checkpoint reaches every primary within an I/O cycle; a
    // primary that was down misses them, so it only meets primary crashes outside assumptions.
    let primary_crash = has(Swarm::PrimaryCrash) || has(Swarm::PrimaryMasterCrash);
    let clock_free = has(Swarm::ClockFree) && (wild || !primary_crash);
    let lan_base = base.primary_lan.latency.mean().max(1000.0);
    let (lan_min, mut lan_max) = {
        let hi = (lan_base * uf(&mut rng, 0.5, 2.0)) as u64;
        ((hi as f64 * uf(&mut rng, 0.2, 1.0)) as u64, hi)
    };
    if !wild {
        lan_max = lan_max.min(lan_min + floor / 3);
    }
    let drift = if has(Swarm::ClockDrift) {
        base.clocks.drift_ppm * uf(&mut rng, 0.0, 1.0)
    } else {
        0.0
    };
    let sync_interval = (base.clocks.sync_interval.as_ns() as f64 * uf(&mut rng, 0.5, 2.0)) as u64;
    let mut sync_error = base.clocks.sync_error.as_ns();
    if wild && rng.random_bool(0.5) {
        sync_error = (floor as f64 * uf(&mut rng, 0.5, 4.0)) as u64;
    } else {
        sync_error = sync_error.min(floor / 10);
    }
    let lan_loss = if has(Swarm::LanLoss) && (!clock_free || wild) {
        uf(&mut rng, 0.0, 0.15)
    } else {
        0.0
    };
    let lan_dup = if has(Swarm::LanDuplicate) {
        uf(&mut rng, 0.0, 0.1)
    } else {
        0.0
    };
    let slan = base.secondary_lan.latency.mean().max(1000.0);

    // Links.
    let link_median = (base.links.latency.mean().max(10_000.0) * uf(&mut rng, 0.25, 4.0)) as u64;
    let paths = if has(Swarm::Multipath) {
        rng.random_range(2..=base.links.paths.max(2))
    } else {
        1
    };
    let link_loss = if has(Swarm::LinkLoss) {
        uf(&mut rng, 0.0, 0.05)
    } else {
        0.0
    };
    let link_dup = if has(Swarm::LinkLoss) {
        uf(&mut rng, 0.0, 0.05)
    } else {
        0.0
    };
    let bandwidth = (base.links.bandwidth.0 as f64 * uf(&mut rng, 0.25, 2.0)) as u64;

    // Protocol knobs.
    let interval =
        (base.protocol.checkpoint_interval.as_ns() as f64 * uf(&mut rng, 0.3, 3.0)) as u64;
    let rto = (link_median * 3).max(2_000_000);
    let failover = (interval * 4).max(rto * 4);
    let member_failure = if wild && rng.random_bool(0.3) {
        "resign"
    } else {
        "freeze"
    };
    let capacity = has(Swarm::BoundedBuffer).then(|| rng.random_range(4..=64u32));
    let when_full = if rng.random_bool(0.5) {
        "pace"
    } else {
        "suspend"
    };
    let buffer = if wild && rng.random_bool(0.3) {
        "volatile"
    } else {
        "non-volatile"
    };

    // Workloads: a DBMS across random volumes, and independent writers.
    let (dbms_rate, random_rate) = workload_rates(base);
    let vols = base.topology.volumes_per_subsystem.max(1);
    let vol = |rng: &mut Rng| json!({"subsystem": rng.random_range(1..=pairs), "volume": rng.random_range(0..vols)});
    let log = vol(&mut rng);
    let data: Vec<Value> = (0..rng.random_range(1..=3))
        .map(|_| vol(&mut rng))
        .collect();
    let workloads = json!([
        {"kind": "dbms", "log": log, "data": data, "data_writes": 2,
         "rate": format!("{:.1}/s", dbms_rate * uf(&mut rng, 0.2, 1.5)), "in_flight": 4},
        {"kind": "random", "rate": format!("{:.1}/s", random_rate * uf(&mut rng, 0.1, 1.5)),
         "blocks": if uf(&mut rng, 0.0, 1.0) < 0.5 { json!("uniform") } else { json!({"zipf": 1.1}) }}
    ]);

    // Faults: crashes heal before the hosts stop, so liveness can be judged after them.
    let mut faults = Vec::new();
    let window = |rng: &mut Rng, longest: u64| {
        let down = rng.random_range(longest / 10..=longest);
        let at =
            rng.random_range(duration / 10..duration.saturating_sub(down).max(duration / 10 + 1));
        (at, down)
    };
    let crash_len = (failover * 3).min(duration / 3);
    let masters = (1u16, 1u16);
    if has(Swarm::PrimaryMasterCrash) {
        let (at, down) = window(&mut rng, crash_len);
        faults.push(
            json!({"kind": "crash", "site": "primary", "subsystem": masters.0,
            "at": ns(at), "down_for": ns(down)}),
        );
    }
    if has(Swarm::SecondaryMasterCrash) {
        let (at, down) = window(&mut rng, crash_len);
        faults.push(
            json!({"kind": "crash", "site": "secondary", "subsystem": masters.1,
            "at": ns(at), "down_for": ns(down)}),
        );
    }
    if has(Swarm::SecondaryReset) {
        let (at, down) = window(&mut rng, interval.max(1_000_000));
        let who = rng.random_range(1..=pairs);
        faults.push(
            json!({"kind": "crash", "site": "secondary", "subsystem": who,
            "at": ns(at), "down_for": ns(down)}),
        );
    }
    if has(Swarm::PrimaryCrash) {
        let (at, down) = window(&mut rng, crash_len);
        let who = rng.random_range(1..=pairs);
        faults.push(json!({"kind": "crash", "site": "primary", "subsystem": who,
            "at": ns(at), "down_for": ns(down)}));
    }
    if has(Swarm::Disaster) {
        let at = rng.random_range(duration / 4..=duration);
        faults.push(json!({"kind": "disaster", "at": ns(at)}));
    }
    // Long enough that a message lost a dozen times in a row (at 15% loss, about one in 10^10)
    // still lands before liveness is judged.
    let drain = base
        .drain
        .as_ns()
        .max(interval * 10 + failover * 2 + rto * 30);
    let rivals = rival_knobs(base, seed, interval, (lan_max, lan_loss), link_median);

    let mut v = json!({
        "name": format!("{}-seed-{seed}", base.name),
        "description": format!(
            "Generated by rcsim fuzz from `{}` for seed {seed}; swarm: {}.",
            base.name,
            on.iter().map(|k| format!("{k:?}")).collect::<Vec<_>>().join(", ")
        ),
        "seed": seed,
        "duration": ns(duration),
        "drain": ns(drain),
        "topology": {"pairs": pairs, "volumes_per_subsystem": vols,
                     "blocks_per_volume": base.topology.blocks_per_volume},
        "subsystems": {"write_time": write_time, "copy_time": copy_time, "apply_time": apply_time,
                       "servers": base.subsystems.servers, "buffer": buffer,
                       "buffer_capacity": capacity, "when_full": when_full,
                       "overrides": overrides},
        "primary_lan": {"latency": {"kind": "uniform", "min": ns(lan_min), "max": ns(lan_max)},
                        "loss": lan_loss, "duplicate": lan_dup},
        "secondary_lan": {"latency": {"kind": "uniform", "min": ns((slan * 0.3) as u64),
                                      "max": ns((slan * 2.0) as u64)},
                          "loss": lan_loss, "duplicate": lan_dup},
        "links": {"latency": {"kind": "lognormal", "median": ns(link_median), "sigma": 0.4},
                  "bandwidth": format!("{}B/s", bandwidth.max(1_000_000)), "loss": link_loss,
                  "duplicate": link_dup, "paths": paths},
        "clocks": {"drift_ppm": drift, "sync_interval": ns(sync_interval),
                   "sync_error": ns(sync_error)},
        "workloads": workloads,
        "faults": faults,
        "protocol": {"kind": base.protocol.kind.name(), "checkpoint_interval": ns(interval),
                     "retransmit_timeout": ns(rto), "failover_timeout": ns(failover),
                     "heartbeat_interval": ns((failover / 4).max(1)),
                     "member_timeout": ns(failover * 2),
                     "member_failure": member_failure,
                     "clock": if clock_free { "none" } else { "synced" }},
        "limits": {"max_events": base.limits.max_events, "max_sim_time": ns(base.limits.max_sim_time.as_ns())}
    });
    if let (Some(p), Value::Object(knobs)) = (v["protocol"].as_object_mut(), rivals) {
        p.extend(knobs);
    }
    v
}

/// The knobs of `central` and `cycle` for `seed` (nothing for the other protocols), drawn from a
/// stream of their own so that adding them shifts no other draw: the mover's read interval and
/// service time, the shortest cycle, and now and then a coordination window or a drain timeout
/// short enough to run out (a few LAN or link delays) so that abandoned switches and overdue
/// drains are exercised too. A short window is drawn only on a lossless LAN: where a lost hold
/// waits a retransmission timeout, every switch would be abandoned (a live-lock the protocol's
/// operators avoid by keeping the window above the LAN's worst round trip, as the 50 ms default
/// does).
fn rival_knobs(
    base: &Scenario,
    seed: u64,
    interval: u64,
    (lan_max, lan_loss): (u64, f64),
    link: u64,
) -> Value {
    use crate::scenario::types::ProtocolKind;
    let mut rng = stream(seed, ComponentId::Other(0x00f0_22ee));
    let pr = &base.protocol;
    match pr.kind {
        ProtocolKind::Central => {
            let service = pr.mover_service_time.as_ns() as f64 * uf(&mut rng, 0.0, 2.0);
            json!({
                "mover_read_interval": ns(interval),
                "mover_service_time": ns(service as u64),
                "idle_heartbeat": pr.idle_heartbeat,
            })
        }
        ProtocolKind::Cycle => {
            let coordination = if rng.random_bool(0.2) && lan_loss == 0.0 {
                (lan_max as f64 * uf(&mut rng, 3.0, 10.0)) as u64
            } else {
                pr.max_coordination_time.as_ns()
            };
            let drain = if rng.random_bool(0.3) {
                (link as f64 * uf(&mut rng, 1.0, 4.0)) as u64
            } else {
                pr.drain_timeout.as_ns()
            };
            json!({
                "min_cycle_time": ns(interval),
                "max_coordination_time": ns(coordination.max(1)),
                "drain_timeout": ns(drain.max(1)),
            })
        }
        _ => json!({}),
    }
}

/// True when `sc` ends in a primary-site disaster.
pub fn has_disaster(sc: &Scenario) -> bool {
    sc.faults.iter().any(|f| f.site_lost_at().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;

    fn base() -> Scenario {
        let text = crate::fuzz::DEFAULT_BASE;
        parse("fuzz-base.json", text, &[]).expect("the base is valid")
    }

    #[test]
    fn every_generated_scenario_is_valid() {
        let b = base();
        for seed in 0..200 {
            for outside in [false, true] {
                let v = generate(
                    &b,
                    seed,
                    GenOptions {
                        outside_assumptions: outside,
                    },
                );
                let text = serde_json::to_string(&v).expect("serialises");
                if let Err(e) = parse("generated", &text, &[]) {
                    panic!("seed {seed}: {e}\n{text}");
                }
            }
        }
    }

    #[test]
    fn the_seed_alone_determines_the_scenario() {
        let b = base();
        let o = GenOptions::default();
        assert_eq!(generate(&b, 7, o), generate(&b, 7, o));
        assert_ne!(generate(&b, 7, o), generate(&b, 8, o));
    }

    #[test]
    fn seeds_switch_on_different_fault_subsets() {
        let b = base();
        let kinds: std::collections::BTreeSet<String> = (0..50)
            .map(|s| generate(&b, s, GenOptions::default())["description"].to_string())
            .collect();
        assert!(
            kinds.len() > 40,
            "swarm subsets should vary: {}",
            kinds.len()
        );
    }

    #[test]
    fn pairs_stay_within_the_base() {
        let b = base();
        for seed in 0..100 {
            let v = generate(&b, seed, GenOptions::default());
            let p = v["topology"]["pairs"].as_u64().expect("pairs");
            assert!((2..=8).contains(&p), "seed {seed}: {p} pairs");
        }
    }
}
