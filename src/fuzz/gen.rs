//! Scenario generation per seed, swarm style (as TigerBeetle's VOPR does): each seed switches on
//! its own random subset of every fault kind the scenario format has and draws its own
//! parameters around a base scenario, so a campaign covers combinations no hand-written scenario
//! would. The seed alone determines the scenario; the reproducer stores it whole, so replaying
//! needs neither this code nor the base.
//!
//! By default every draw keeps the assumptions the protocol under test truly needs, each named
//! in [`Assumption`]; `outside_assumptions` lifts each of them on its own coin, and the seed
//! records which it lifted, so a failure names what it went outside of.

use rand::Rng as _;
use serde_json::{json, Value};

use crate::engine::rng::Rng;
use crate::engine::{stream, ComponentId};
use crate::scenario::bounds::MAX_PAIRS;
use crate::scenario::types::{ProtocolKind, Scenario, Workload};
use crate::scenario::Override;

use super::swarm::{names, Swarm, SWARM};

/// What the generator may draw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GenOptions {
    /// Draw outside the protocols' assumptions too (unbounded clock steps, noisy clock settings,
    /// busy LANs under clock-free or central, resign, volatile buffers), to show the checker
    /// finds what those assumptions prevent.
    pub outside_assumptions: bool,
}

/// A generated scenario, with the fault kinds its seed switched on and the assumptions it lifted.
#[derive(Clone, Debug, PartialEq)]
pub struct Generated {
    /// The scenario, as JSON (checked by the caller like any scenario file).
    pub scenario: Value,
    /// The fault kinds switched on (before any `--set`: see [`super::effect`] for those in
    /// effect in the scenario that ran).
    pub swarm: Vec<Swarm>,
    /// The assumptions lifted (only with `outside_assumptions`), by name.
    pub lifted: Vec<&'static str>,
}

/// An assumption the default campaign keeps (README, Fuzzing, says why each is needed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Assumption {
    /// A clock steps (a `clock_step` fault) by no more than `clocks.max_step`, the allowance
    /// every error bound includes, and no more than a tenth of a write's service time (the
    /// rivals' clocks have no bound).
    BoundedClockSteps,
    /// Setting a clock (`clocks.sync_error`) errs by under a tenth of a write's service time:
    /// `central` and the naive sync set their clocks; `checkpoint` does not.
    AccurateClockSetting,
    /// `central` and the clock-free variant: the primary LAN's delay spread stays below a third
    /// of a write's service time (no spikes, no heavy tail; for clock-free also no loss and no
    /// primary outage), since their time values are only as good as that LAN.
    CalmPrimaryLan,
    /// `member_failure: freeze` (the patent's `resign` lets a group run on without a member).
    Freeze,
    /// Non-volatile secondary buffers.
    NonVolatileBuffers,
}

impl Assumption {
    /// Every assumption, so that a name read back from a file can be checked.
    pub const ALL: [Assumption; 5] = [
        Assumption::BoundedClockSteps,
        Assumption::AccurateClockSetting,
        Assumption::CalmPrimaryLan,
        Assumption::Freeze,
        Assumption::NonVolatileBuffers,
    ];

    /// Its name, as results and summaries give it.
    pub fn name(self) -> &'static str {
        match self {
            Assumption::BoundedClockSteps => "bounded-clock-steps",
            Assumption::AccurateClockSetting => "accurate-clock-setting",
            Assumption::CalmPrimaryLan => "calm-primary-lan",
            Assumption::Freeze => "freeze",
            Assumption::NonVolatileBuffers => "non-volatile-buffers",
        }
    }
}

/// A uniform draw in [lo, hi).
fn uf(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.random::<f64>()
}

fn ns(v: u64) -> String {
    format!("{v}ns")
}

/// A rate of `per_sec` as the scenario format writes it: to a tenth as it always was, or, for a
/// rate under 0.05/s that would round to an invalid "0.0/s", to the 24 decimals the format
/// allows, and no lower than the smallest rate it can write (10^-24/s: no arrival in any run).
fn rate(per_sec: f64) -> String {
    if per_sec >= 0.05 {
        return format!("{:.1}/s", per_sec.min(f64::MAX));
    }
    if per_sec < 1e-24 {
        return "0.000000000000000000000001/s".to_string();
    }
    let shortest = per_sec.to_string();
    match shortest.split_once('.') {
        Some((_, decimals)) if decimals.len() > 24 => {
            format!("{}/s", format!("{per_sec:.24}").trim_end_matches('0'))
        }
        _ => format!("{shortest}/s"),
    }
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

/// A window of at most `longest` inside the hosts' run: (start, length). At least 2 ns long at
/// most, even in a run too short to hold one (under 4 ns).
fn window(rng: &mut Rng, duration: u64, longest: u64) -> (u64, u64) {
    let longest = longest.min(duration / 2).max(2);
    let down = rng.random_range(longest / 10..=longest);
    let at = rng.random_range(duration / 10..duration.saturating_sub(down).max(duration / 10 + 1));
    (at, down)
}

/// The subsystems a partition cuts off: either master alone, any one pair, or half of them.
fn isolated(rng: &mut Rng, pairs: u16, masters: (u16, u16)) -> Vec<u16> {
    match rng.random_range(0..4u8) {
        0 => vec![masters.0],
        1 => vec![masters.1],
        2 => vec![rng.random_range(1..=pairs)],
        _ => {
            let first = rng.random_range(1..=pairs);
            (0..(pairs / 2).max(1))
                .map(|k| (first - 1 + k) % pairs + 1)
                .collect()
        }
    }
}

/// The whole number `overrides` pin at `path` (the last `--set` that reaches it), if any.
fn pinned(overrides: &[Override], path: &[&str]) -> Option<u64> {
    let mut found = None;
    for o in overrides {
        let Override::Set { path: at, value } = o else {
            continue;
        };
        if at.len() <= path.len() && at.iter().zip(path).all(|(a, b)| a == b) {
            found = path[at.len()..]
                .iter()
                .try_fold(value, |v, seg| v.get(*seg))
                .and_then(Value::as_u64);
        }
    }
    found
}

/// A pinned subsystem number if it can exist (1..=MAX_PAIRS); an impossible one is left for
/// validation to report.
fn pinned_pair(overrides: &[Override], path: &[&str]) -> Option<u16> {
    pinned(overrides, path)
        .filter(|n| (1..=MAX_PAIRS).contains(n))
        .and_then(|n| u16::try_from(n).ok())
}

/// The scenario of `seed` around `base`. Masters, fault targets and workload volumes are drawn
/// within the topology and masters that `pins` (the campaign's `--set`s, applied afterwards)
/// fix, so that pinning them leaves every seed valid; with nothing pinned, nothing changes.
pub fn generate(base: &Scenario, seed: u64, opts: GenOptions, pins: &[Override]) -> Generated {
    let mut rng = stream(seed, ComponentId::Other(0x00f0_22ed));
    let wild = opts.outside_assumptions;
    let mut lifted: Vec<Assumption> = Vec::new();
    let mut lift = |rng: &mut Rng, a: Assumption| {
        let on = wild && rng.random_bool(0.4);
        if on {
            lifted.push(a);
        }
        on
    };
    let mut on: Vec<Swarm> = SWARM
        .iter()
        .copied()
        .filter(|_| rng.random_bool(0.5))
        .collect();
    let has = |on: &[Swarm], k: Swarm| on.contains(&k);

    let pin_primary = pinned_pair(pins, &["protocol", "primary_master"]);
    let pin_secondary = pinned_pair(pins, &["protocol", "secondary_master"]);
    let drawn = rng.random_range(2..=base.topology.pairs.max(2));
    let pairs = match pinned_pair(pins, &["topology", "pairs"]) {
        Some(p) => p,
        None => drawn
            .max(pin_primary.unwrap_or(1))
            .max(pin_secondary.unwrap_or(1)),
    };
    let duration = base.duration.as_ns();
    let masters = if has(&on, Swarm::MovedMasters) {
        (rng.random_range(1..=pairs), rng.random_range(1..=pairs))
    } else {
        (1, 1)
    };
    let masters = (
        pin_primary.unwrap_or(masters.0),
        pin_secondary.unwrap_or(masters.1),
    );

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
    if has(&on, Swarm::HeavyPair) {
        let heavy = rng.random_range(1..=pairs);
        let delay = (floor as f64 * uf(&mut rng, 4.0, 40.0)) as u64;
        // A late shipper, not a bottleneck: many servers, so the delay does not cap throughput
        // (an overloaded pair would never catch up, which is capacity, not protocol, failing).
        overrides.push(json!({"subsystem": heavy, "copy_time": ns(delay), "servers": 256}));
    }

    // Clocks and the primary LAN. `central` and the clock-free variant rely on a calm primary
    // LAN (and clock-free on no primary outage); `checkpoint` bounds its clocks' error instead.
    let calm_needed = base.protocol.kind == ProtocolKind::Central || has(&on, Swarm::ClockFree);
    let calm = calm_needed && !lift(&mut rng, Assumption::CalmPrimaryLan);
    let outage = [
        Swarm::PrimaryCrash,
        Swarm::PrimaryMasterCrash,
        Swarm::OverlappingCrashes,
        Swarm::PermanentCrash,
        Swarm::RollingDisaster,
        Swarm::Partition,
    ];
    if calm {
        on.retain(|k| !matches!(k, Swarm::LanSpike | Swarm::HeavyTailLan));
        if has(&on, Swarm::ClockFree) {
            on.retain(|k| !outage.contains(k) && *k != Swarm::LanLoss);
        }
    }
    let has = |k: Swarm| on.contains(&k);
    let clock_free = has(Swarm::ClockFree);
    let lan_base = base.primary_lan.latency.mean().max(1000.0);
    let (lan_min, mut lan_max) = {
        let hi = (lan_base * uf(&mut rng, 0.5, 2.0)) as u64;
        ((hi as f64 * uf(&mut rng, 0.2, 1.0)) as u64, hi)
    };
    if calm {
        lan_max = lan_max.min(lan_min + floor / 3);
    }
    // A heavy tail as real LANs show it: a median of tens of microseconds, sigma about 1.1, so
    // one message in a hundred takes over ten times the median (several write service times).
    let primary_lan_latency = if has(Swarm::HeavyTailLan) {
        json!({"kind": "lognormal", "median": ns((uf(&mut rng, 30.0, 70.0) * 1000.0) as u64),
               "sigma": uf(&mut rng, 1.0, 1.25)})
    } else {
        json!({"kind": "uniform", "min": ns(lan_min), "max": ns(lan_max)})
    };
    let drift = if has(Swarm::ClockDrift) {
        base.clocks.drift_ppm * uf(&mut rng, 0.0, 1.0)
    } else {
        0.0
    };
    // Probes often enough that a LAN spike or tail catches some of them.
    // At least a nanosecond: a base with a tiny interval must not scale to an invalid zero.
    let sync_interval =
        ((base.clocks.sync_interval.as_ns() as f64 * uf(&mut rng, 0.25, 2.0)) as u64).max(1);
    let sync_error = if lift(&mut rng, Assumption::AccurateClockSetting) {
        (floor as f64 * uf(&mut rng, 0.5, 4.0)) as u64
    } else {
        base.clocks.sync_error.as_ns().min(floor / 10)
    };
    let lan_loss = if has(Swarm::LanLoss) {
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
    let link_sigma = if has(Swarm::HeavyTailLink) {
        uf(&mut rng, 0.7, 1.1)
    } else {
        0.4
    };
    let paths = if has(Swarm::Multipath) {
        rng.random_range(2..=base.links.paths.max(2))
    } else {
        1
    };
    let (link_loss, link_dup) = if has(Swarm::LinkLoss) {
        (uf(&mut rng, 0.0, 0.05), uf(&mut rng, 0.0, 0.05))
    } else {
        (0.0, 0.0)
    };
    let bandwidth = ((base.links.bandwidth.0 as f64 * uf(&mut rng, 0.25, 2.0)) as u64).max(1);

    // Protocol knobs.
    let interval =
        ((base.protocol.checkpoint_interval.as_ns() as f64 * uf(&mut rng, 0.3, 3.0)) as u64).max(1);
    let rto = (link_median * 3).max(2_000_000);
    let failover = (interval * 4).max(rto * 4);
    let member_failure = if lift(&mut rng, Assumption::Freeze) {
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
    // Volatile buffers are safe whenever no disaster can strike before a reset secondary's
    // primary has resent what it lost: without a disaster they are drawn in every campaign.
    let no_disaster = !has(Swarm::Disaster) && !has(Swarm::RollingDisaster);
    // `checkpoint`, `central` and `cycle` recover what a volatile reset lost (README: "Volatile
    // buffers"); `sync` and `independent` do not try.
    let recovers = matches!(
        base.protocol.kind,
        ProtocolKind::Checkpoint | ProtocolKind::Central | ProtocolKind::Cycle
    );
    let volatile_safe = no_disaster && recovers && rng.random_bool(0.5);
    let buffer = if lift(&mut rng, Assumption::NonVolatileBuffers) || volatile_safe {
        "volatile"
    } else {
        "non-volatile"
    };

    // Workloads: a DBMS across random volumes, and independent writers.
    let (dbms_rate, random_rate) = workload_rates(base);
    let vols = pinned(pins, &["topology", "volumes_per_subsystem"])
        .and_then(|v| u16::try_from(v).ok())
        .filter(|v| *v > 0)
        .unwrap_or(base.topology.volumes_per_subsystem.max(1));
    let vol = |rng: &mut Rng| json!({"subsystem": rng.random_range(1..=pairs), "volume": rng.random_range(0..vols)});
    let log = vol(&mut rng);
    // Data on subsystems other than the log's, so that each data write depends on a write
    // stamped by another subsystem's clock.
    let log_sub = log["subsystem"].as_u64().unwrap_or(1) as u16;
    // One pair (pinned) holds the data beside the log.
    let data: Vec<Value> = (0..rng.random_range(1..=3u16).min(pairs - 1).max(1))
        .map(|k| {
            json!({"subsystem": (log_sub + k) % pairs + 1,
                        "volume": rng.random_range(0..vols)})
        })
        .collect();
    let workloads = json!([
        {"kind": "dbms", "log": log, "data": data, "data_writes": 2,
         "rate": rate(dbms_rate * uf(&mut rng, 0.2, 1.5)), "in_flight": 4},
        {"kind": "random", "rate": rate(random_rate * uf(&mut rng, 0.1, 1.5)),
         "blocks": if uf(&mut rng, 0.0, 1.0) < 0.5 { json!("uniform") } else { json!({"zipf": 1.1}) }}
    ]);

    let crash_len = (failover * 3).min(duration / 3);
    let (faults, max_step) = faults(
        &mut rng,
        &on,
        Draw {
            duration,
            pairs,
            masters,
            crash_len,
            interval,
            floor,
            link_median,
        },
        &mut lift,
    );
    // Long enough that a message lost a dozen times in a row (at 15% loss, about one in 10^10)
    // still lands before liveness is judged.
    // A heavy-tailed link's slowest message (about five sigmas out, e^5.5 its median) too, and
    // a segment lost in a row on it (not a dozen times: there its round trips keep the stream's
    // timeout at the cap, and a resent segment waits twice that). On a lossy link, three
    // losses: at the generator's 5% loss at most, one segment in 160,000 is lost four times,
    // and covering two only left one false liveness stall in 100,000 seeds (seed 40919 stalled
    // 1.1 s, past a 1.06 s drain). Without loss a segment is lost only to an outage's end.
    let tail = if has(Swarm::HeavyTailLink) {
        let losses = if link_loss > 0.0 { 3 } else { 2 };
        link_median * 250 + crate::protocol::stream::worst_resend_wait(rto, losses)
    } else {
        0
    };
    let drain = base
        .drain
        .as_ns()
        .max(interval * 10 + failover * 2 + rto * 30 + tail);
    let rivals = rival_knobs(
        base,
        seed,
        interval,
        (lan_max, lan_loss == 0.0 && !has(Swarm::HeavyTailLan)),
        link_median,
    );
    let lifted: Vec<&'static str> = lifted.iter().map(|a| a.name()).collect();

    let mut v = json!({
        "name": format!("{}-seed-{seed}", base.name),
        "description": description(&base.name, seed, &on, &[], &lifted),
        "seed": seed,
        "duration": ns(duration),
        "drain": ns(drain),
        "topology": {"pairs": pairs, "volumes_per_subsystem": vols,
                     "blocks_per_volume": base.topology.blocks_per_volume},
        "subsystems": {"write_time": write_time, "copy_time": copy_time, "apply_time": apply_time,
                       "servers": base.subsystems.servers, "buffer": buffer,
                       "buffer_capacity": capacity, "when_full": when_full,
                       "overrides": overrides},
        "primary_lan": {"latency": primary_lan_latency, "loss": lan_loss, "duplicate": lan_dup},
        "secondary_lan": {"latency": {"kind": "uniform", "min": ns((slan * 0.3) as u64),
                                      "max": ns((slan * 2.0) as u64)},
                          "loss": lan_loss, "duplicate": lan_dup},
        "links": {"latency": {"kind": "lognormal", "median": ns(link_median), "sigma": link_sigma},
                  "bandwidth": format!("{}B/s", bandwidth.max(1_000_000)), "loss": link_loss,
                  "duplicate": link_dup, "paths": paths},
        "clocks": {"drift_ppm": drift, "sync_interval": ns(sync_interval),
                   "sync_error": ns(sync_error), "max_step": ns(max_step)},
        "workloads": workloads,
        "faults": faults,
        "protocol": {"kind": base.protocol.kind.name(), "checkpoint_interval": ns(interval),
                     "primary_master": masters.0, "secondary_master": masters.1,
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
    // The base's own bound on writes in flight, where it sets one (only then, so that a base
    // that does not generates what it always did).
    let in_flight = base.limits.max_writes_in_flight;
    if in_flight != crate::scenario::types::Limits::default().max_writes_in_flight {
        v["limits"]["max_writes_in_flight"] = json!(in_flight);
    }
    Generated {
        scenario: v,
        swarm: on,
        lifted,
    }
}

/// The description of the scenario of `seed` drawn around the base named `base`: the fault
/// kinds in effect (`swarm`), those the seed drew that a `--set` pinned away (`pinned_off`,
/// named only when there are some) and the assumptions lifted, so that a reproducer, which
/// stores the scenario, says what its run had.
pub fn description(
    base: &str,
    seed: u64,
    swarm: &[Swarm],
    pinned_off: &[Swarm],
    lifted: &[&str],
) -> String {
    let mut d = format!(
        "Generated by rcsim fuzz from `{base}` for seed {seed}; swarm: {}",
        names(swarm).join(", ")
    );
    if !pinned_off.is_empty() {
        d.push_str(&format!(
            "; pinned off by --set: {}",
            names(pinned_off).join(", ")
        ));
    }
    if !lifted.is_empty() {
        d.push_str(&format!("; assumptions lifted: {}", lifted.join(", ")));
    }
    d.push('.');
    d
}

/// What the fault draws depend on.
struct Draw {
    duration: u64,
    pairs: u16,
    masters: (u16, u16),
    crash_len: u64,
    interval: u64,
    floor: u64,
    link_median: u64,
}

/// The faults of the kinds switched on, and the clock step allowance (`clocks.max_step`) to
/// declare. Crashes and network faults heal before the hosts stop (but a permanent crash), so
/// liveness can be judged after them.
fn faults(
    rng: &mut Rng,
    on: &[Swarm],
    d: Draw,
    lift: &mut impl FnMut(&mut Rng, Assumption) -> bool,
) -> (Vec<Value>, u64) {
    let has = |k: Swarm| on.contains(&k);
    let mut faults = Vec::new();
    let crash = |rng: &mut Rng, site: &str, who: u16, longest: u64| {
        let (at, down) = window(rng, d.duration, longest);
        json!({"kind": "crash", "site": site, "subsystem": who, "at": ns(at), "down_for": ns(down)})
    };
    let site = |rng: &mut Rng| {
        if rng.random_bool(0.5) {
            "primary"
        } else {
            "secondary"
        }
    };
    if has(Swarm::PrimaryMasterCrash) {
        faults.push(crash(rng, "primary", d.masters.0, d.crash_len));
    }
    if has(Swarm::SecondaryMasterCrash) {
        faults.push(crash(rng, "secondary", d.masters.1, d.crash_len));
    }
    if has(Swarm::SecondaryReset) {
        let who = rng.random_range(1..=d.pairs);
        faults.push(crash(rng, "secondary", who, d.interval.max(1_000_000)));
    }
    if has(Swarm::PrimaryCrash) {
        let who = rng.random_range(1..=d.pairs);
        faults.push(crash(rng, "primary", who, d.crash_len));
    }
    if has(Swarm::OverlappingCrashes) {
        // Two different subsystems down at once, their windows overlapping.
        let (at, down) = window(rng, d.duration, d.crash_len);
        let first = rng.random_range(1..=d.pairs);
        for k in 0..2u64 {
            let s = site(rng);
            let who = (first - 1 + k as u16) % d.pairs + 1;
            let start = at + k * down / 2;
            faults.push(json!({"kind": "crash", "site": s, "subsystem": who,
                "at": ns(start), "down_for": ns(down.min(d.duration.saturating_sub(start)).max(1))}));
        }
    }
    if has(Swarm::PermanentCrash) {
        // A secondary lost for good takes its volumes with it: no image can be whole after a
        // disaster then, so with a disaster the subsystem lost is a primary.
        let disaster = has(Swarm::Disaster) || has(Swarm::RollingDisaster);
        let s = if disaster { "primary" } else { site(rng) };
        let who = rng.random_range(1..=d.pairs);
        let at = rng.random_range(d.duration / 10..d.duration);
        faults.push(json!({"kind": "crash", "site": s, "subsystem": who, "at": ns(at)}));
    }
    if has(Swarm::Partition) {
        let (at, lasts) = window(rng, d.duration, d.crash_len);
        faults.push(json!({"kind": "partition", "site": site(rng),
            "isolate": isolated(rng, d.pairs, d.masters), "at": ns(at), "for": ns(lasts),
            "one_way": rng.random_bool(0.5)}));
    }
    if has(Swarm::LinkOutage) {
        let (at, lasts) = window(rng, d.duration, d.crash_len / 2);
        let mut f = json!({"kind": "link_outage", "pair": rng.random_range(1..=d.pairs),
            "at": ns(at), "for": ns(lasts)});
        let count = rng.random_range(1..=4u64);
        let every = lasts * 2;
        // A zero-length outage (in a run of a few ns) cannot repeat: `every` must be positive.
        if count > 1 && every > 0 && at + every * (count - 1) + lasts < d.duration {
            f["repeat"] = json!({"every": ns(every), "count": count});
        }
        faults.push(f);
    }
    if has(Swarm::BandwidthDrop) {
        let (at, lasts) = window(rng, d.duration, d.duration / 3);
        faults.push(
            json!({"kind": "bandwidth_drop", "pair": rng.random_range(1..=d.pairs),
            "at": ns(at), "for": ns(lasts), "factor": uf(rng, 0.01, 0.5)}),
        );
    }
    if has(Swarm::LanSpike) {
        // Asymmetric: each message draws its own extra delay, up to several ms.
        let (at, lasts) = window(rng, d.duration, d.duration / 4);
        let target = if rng.random_bool(0.7) {
            "primary_lan"
        } else {
            "secondary_lan"
        };
        // Up to ten write service times, so one slow probe leg can set a clock off by more
        // than a write takes.
        let extra = (d.floor.max(1000) as f64 * uf(rng, 1.0, 10.0)) as u64;
        faults.push(
            json!({"kind": "latency_spike", "target": target, "at": ns(at),
            "for": ns(lasts), "extra": {"kind": "uniform", "min": "0ns", "max": ns(extra)}}),
        );
    }
    if has(Swarm::LinkSpike) {
        let (at, lasts) = window(rng, d.duration, d.duration / 4);
        let extra = (d.link_median as f64 * uf(rng, 1.0, 10.0)) as u64;
        faults.push(json!({"kind": "latency_spike", "target": "link",
            "pair": rng.random_range(1..=d.pairs), "at": ns(at), "for": ns(lasts),
            "extra": {"kind": "exponential", "mean": ns(extra.max(1))}}));
    }
    let mut max_step = 0;
    if has(Swarm::ClockStep) {
        let who = rng.random_range(1..=d.pairs);
        let at = rng.random_range(d.duration / 10..d.duration);
        let by = if lift(rng, Assumption::BoundedClockSteps) {
            (d.floor as f64 * uf(rng, 0.5, 4.0)) as u64
        } else {
            max_step = (d.floor as f64 * uf(rng, 0.0, 0.1)) as u64;
            max_step
        };
        faults.push(json!({"kind": "clock_step", "subsystem": who, "at": ns(at),
            "by": ns(by), "backward": rng.random_bool(0.5)}));
    }
    if has(Swarm::RollingDisaster) {
        let at = rng.random_range(d.duration / 4..=d.duration);
        let over = rng.random_range(1..=d.interval.max(2));
        let order = ["links_first", "subsystems_first", "mixed"][rng.random_range(0..3usize)];
        faults.push(
            json!({"kind": "rolling_disaster", "at": ns(at), "over": ns(over),
            "order": order}),
        );
    } else if has(Swarm::Disaster) {
        let at = rng.random_range(d.duration / 4..=d.duration);
        faults.push(json!({"kind": "disaster", "at": ns(at)}));
    }
    (faults, max_step)
}

/// The knobs of `central` and `cycle` for `seed` (nothing for the other protocols), drawn from a
/// stream of their own so that adding them shifts no other draw: the mover's read interval and
/// service time, the shortest cycle, and now and then a coordination window or a drain timeout
/// short enough to run out (a few LAN or link delays) so that abandoned switches and overdue
/// drains are exercised too. A short window is drawn only on a lossless LAN with bounded latency:
/// where a lost hold waits a retransmission timeout, or where a heavy-tailed LAN makes the slowest
/// of a dozen members' round trips exceed a few median delays almost every time, every switch
/// would be abandoned (a live-lock the protocol's operators avoid by keeping the window above the
/// LAN's worst round trip, as the 50 ms default does; cycle seeds 3024, 3796, 3950, 5141, 5930,
/// 8458 and 9331 drew such a window over a heavy-tailed LAN and never applied a write).
fn rival_knobs(
    base: &Scenario,
    seed: u64,
    interval: u64,
    (lan_max, lan_bounded): (u64, bool),
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
            let coordination = if rng.random_bool(0.2) && lan_bounded {
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

    #[test]
    fn every_assumption_is_listed_once() {
        for (i, a) in Assumption::ALL.into_iter().enumerate() {
            // A new assumption fails to compile here until it is given its place in `ALL`.
            let place = match a {
                Assumption::BoundedClockSteps => 0,
                Assumption::AccurateClockSetting => 1,
                Assumption::CalmPrimaryLan => 2,
                Assumption::Freeze => 3,
                Assumption::NonVolatileBuffers => 4,
            };
            assert_eq!(place, i, "{}", a.name());
        }
    }
    use crate::fuzz::effect::judged;
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
                    &[],
                )
                .scenario;
                let text = serde_json::to_string(&v).expect("serialises");
                if let Err(e) = parse("generated", &text, &[]) {
                    panic!("seed {seed}: {e}\n{text}");
                }
            }
        }
    }

    /// The default base with each field (a dotted path) replaced by its value.
    fn base_with(fields: &[(&str, Value)]) -> Scenario {
        let mut v: Value = serde_json::from_str(crate::fuzz::DEFAULT_BASE).expect("JSON");
        for (field, value) in fields {
            let mut here = &mut v;
            for seg in field.split('.') {
                here = match seg.parse::<usize>() {
                    Ok(i) => &mut here[i],
                    Err(_) => &mut here[seg],
                };
            }
            *here = value.clone();
        }
        parse("base", &v.to_string(), &[]).expect("the base is valid")
    }

    /// Every scenario drawn around `b` for seeds `0..n`, both campaigns, is valid.
    fn all_valid(b: &Scenario, n: u64) {
        for seed in 0..n {
            for outside in [false, true] {
                let opts = GenOptions {
                    outside_assumptions: outside,
                };
                let text =
                    serde_json::to_string(&generate(b, seed, opts, &[]).scenario).expect("JSON");
                if let Err(e) = parse("generated", &text, &[]) {
                    panic!("seed {seed}: {e}\n{text}");
                }
            }
        }
    }

    /// A heavy-tailed link's drain lets a segment lost three times in a row at the capped
    /// timeout (twice on a lossless link) be resent before liveness is judged.
    #[test]
    fn a_heavy_tailed_link_drains_long_enough_for_repeated_losses() {
        let opts = GenOptions {
            outside_assumptions: false,
        };
        let (mut lossy, mut lossless) = (0, 0);
        for seed in 0..300 {
            let v = generate(&base(), seed, opts, &[]).scenario;
            let sc = parse("generated", &v.to_string(), &[]).expect("valid");
            if judged(Swarm::HeavyTailLink, &sc) != Some(true) {
                continue;
            }
            let losses = if judged(Swarm::LinkLoss, &sc) == Some(true) {
                lossy += 1;
                3
            } else {
                lossless += 1;
                2
            };
            let rto = sc.protocol.retransmit_timeout.as_ns();
            let need = crate::protocol::stream::worst_resend_wait(rto, losses);
            assert!(
                sc.drain.as_ns() > need,
                "seed {seed}: drain {} for {losses} losses at rto {rto}",
                sc.drain.as_ns()
            );
        }
        assert!(
            lossy > 10 && lossless > 10,
            "{lossy} lossy, {lossless} lossless"
        );
    }

    #[test]
    fn the_bases_bound_on_writes_in_flight_is_kept_and_the_default_left_out() {
        let opts = GenOptions {
            outside_assumptions: false,
        };
        let plain = generate(&base(), 3, opts, &[]).scenario;
        assert!(plain["limits"].get("max_writes_in_flight").is_none());
        let b = base_with(&[("limits", json!({"max_writes_in_flight": 5000}))]);
        let v = generate(&b, 3, opts, &[]).scenario;
        assert_eq!(v["limits"]["max_writes_in_flight"], 5000);
    }

    #[test]
    fn a_base_of_a_few_nanoseconds_still_gives_valid_scenarios() {
        for ns in (1..=40).chain([64, 100, 1000, 12_345]) {
            all_valid(&base_with(&[("duration", json!(format!("{ns}ns")))]), 60);
        }
    }

    /// Intervals and a bandwidth the generator scales down stay above zero however small the
    /// base's are (a 1 ns checkpoint interval once scaled to an invalid 0).
    #[test]
    fn a_base_of_one_nanosecond_intervals_still_gives_valid_scenarios() {
        for kind in ["checkpoint", "central", "cycle", "sync"] {
            let b = base_with(&[
                ("protocol.kind", json!(kind)),
                ("protocol.checkpoint_interval", json!("1ns")),
                ("clocks.sync_interval", json!("1ns")),
                ("links.bandwidth", json!("1B/s")),
            ]);
            all_valid(&b, 40);
        }
    }

    #[test]
    fn a_base_of_tiny_rates_still_gives_valid_scenarios() {
        for r in ["0.001/s", "0.04/s", "0.000000001/s"] {
            let b = base_with(&[
                ("workloads.0.rate", json!(r)),
                ("workloads.1.rate", json!(r)),
            ]);
            all_valid(&b, 20);
        }
        assert_eq!(rate(1234.56), "1234.6/s");
        assert_eq!(rate(0.001), "0.001/s");
        assert_eq!(rate(1e-30), "0.000000000000000000000001/s");
    }

    #[test]
    fn pinned_topology_and_masters_keep_every_seed_valid() {
        let b = base();
        let set = |a: &str| Override::parse(a).expect("parses");
        for pins in [
            vec![set("topology.pairs=3")],
            vec![set("topology.pairs=1")],
            vec![
                set("topology.pairs=20"),
                set("topology.volumes_per_subsystem=1"),
            ],
            vec![set("topology={\"pairs\": 2, \"volumes_per_subsystem\": 5}")],
            vec![
                set("protocol.primary_master=9"),
                set("protocol.secondary_master=12"),
            ],
        ] {
            for seed in 0..100 {
                let g = generate(&b, seed, GenOptions::default(), &pins);
                let text = serde_json::to_string(&g.scenario).expect("JSON");
                if let Err(e) = parse("generated", &text, &pins) {
                    panic!("{pins:?} seed {seed}: {e}\n{text}");
                }
            }
        }
    }

    #[test]
    fn the_seed_alone_determines_the_scenario() {
        let b = base();
        let o = GenOptions::default();
        assert_eq!(generate(&b, 7, o, &[]), generate(&b, 7, o, &[]));
        assert_ne!(
            generate(&b, 7, o, &[]).scenario,
            generate(&b, 8, o, &[]).scenario
        );
    }

    #[test]
    fn seeds_switch_on_different_fault_subsets() {
        let b = base();
        let kinds: std::collections::BTreeSet<String> = (0..50)
            .map(|s| names(&generate(&b, s, GenOptions::default(), &[]).swarm).join(","))
            .collect();
        assert!(
            kinds.len() > 40,
            "swarm subsets should vary: {}",
            kinds.len()
        );
    }

    #[test]
    fn pairs_stay_within_the_base_and_masters_move() {
        let b = base();
        let mut masters = std::collections::BTreeSet::new();
        for seed in 0..100 {
            let v = generate(&b, seed, GenOptions::default(), &[]).scenario;
            let p = v["topology"]["pairs"].as_u64().expect("pairs");
            assert!((2..=16).contains(&p), "seed {seed}: {p} pairs");
            masters.insert(v["protocol"]["primary_master"].as_u64().expect("master"));
        }
        assert!(masters.len() > 4, "{masters:?}");
    }

    #[test]
    fn every_fault_kind_is_drawn_and_only_the_wild_campaign_lifts_assumptions() {
        let b = base();
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..200 {
            let g = generate(&b, seed, GenOptions::default(), &[]);
            assert!(g.lifted.is_empty(), "seed {seed}: {:?}", g.lifted);
            seen.extend(names(&g.swarm));
        }
        assert_eq!(seen.len(), SWARM.len(), "{seen:?}");
        let wild = GenOptions {
            outside_assumptions: true,
        };
        let lifted: std::collections::BTreeSet<&str> = (0..200)
            .flat_map(|s| generate(&b, s, wild, &[]).lifted)
            .collect();
        assert!(lifted.len() >= 4, "{lifted:?}");
    }
}
