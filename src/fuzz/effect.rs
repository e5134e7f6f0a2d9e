//! Which fault kinds are in effect in the scenario a seed actually ran, after the campaign's
//! `--set`s: the campaign's coverage report (`swarm` in results and summaries) must name what
//! ran, not what the generator drew before `--set faults=[]` or `--set links.loss=0` took it away.
//!
//! Each kind names the scenario fields that decide it ([`fields`]). A kind whose fields no
//! `--set` touched is in effect exactly when the seed drew it: those fields are as the generator
//! wrote them for that draw, so a campaign without `--set` reports what it always did. A kind
//! whose fields a `--set` touched is judged from the resolved scenario by its predicate
//! ([`judged`]): pinned away, it is off (and named in `swarm_pinned_off` if it was drawn); pinned
//! on, it is on even on seeds that did not draw it.

use crate::scenario::dist::Dist;
use crate::scenario::fault::{Fault, NetTarget};
use crate::scenario::protocol::ClockKind;
use crate::scenario::types::{Protocol, Scenario};
use crate::scenario::Override;

use super::swarm::{Swarm, SWARM};

/// The smallest lognormal sigma counted as heavy-tailed: the least either heavy-tail kind draws
/// (the generator's ordinary links have 0.4).
pub const HEAVY_SIGMA: f64 = 0.7;

/// A seed's fault kinds as they stand in the scenario that ran.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InEffect {
    /// The kinds in effect, in the order of [`SWARM`].
    pub swarm: Vec<Swarm>,
    /// The kinds the seed drew that a `--set` pinned away, in the order of [`SWARM`].
    pub pinned_off: Vec<Swarm>,
}

/// The kinds of `drawn` (a seed's draw) and of the campaign's `overrides` in effect in `sc`, the
/// seed's scenario with those overrides applied. See the module's doc for the rule.
pub fn in_effect(drawn: &[Swarm], sc: &Scenario, overrides: &[Override]) -> InEffect {
    let mut out = InEffect::default();
    for k in SWARM {
        let was_drawn = drawn.contains(&k);
        let on = if fields(k).iter().any(|f| touched(overrides, f)) {
            judged(k, sc).unwrap_or(false)
        } else {
            was_drawn
        };
        if on {
            out.swarm.push(k);
        } else if was_drawn {
            out.pinned_off.push(k);
        }
    }
    out
}

/// True when some override reaches the field at `field` (a dotted path split into segments):
/// it sets that field, a part of it, or an object or array holding it. `--disaster-at` edits
/// the fault list.
pub fn touched(overrides: &[Override], field: &[&str]) -> bool {
    overrides.iter().any(|o| match o {
        Override::Set { path, .. } => path.iter().zip(field).all(|(a, b)| a == b),
        Override::DisasterAt(_) => field.first() == Some(&"faults"),
    })
}

/// The scenario fields that decide whether `k` is in effect: those the generator writes for it,
/// and those that can change what they mean (per-pair and per-subsystem overrides).
pub fn fields(k: Swarm) -> &'static [&'static [&'static str]] {
    match k {
        Swarm::LanLoss => &[&["primary_lan", "loss"], &["secondary_lan", "loss"]],
        Swarm::LanDuplicate => &[
            &["primary_lan", "duplicate"],
            &["secondary_lan", "duplicate"],
        ],
        Swarm::LinkLoss => &[
            &["links", "loss"],
            &["links", "duplicate"],
            &["links", "overrides"],
        ],
        Swarm::Multipath => &[&["links", "paths"], &["links", "overrides"]],
        Swarm::ClockDrift => &[&["clocks", "drift_ppm"], &["clocks", "overrides"]],
        Swarm::HeavyPair => &[&["subsystems", "overrides"]],
        Swarm::ClockFree => &[&["protocol", "clock"]],
        Swarm::BoundedBuffer => &[&["subsystems", "buffer_capacity"]],
        Swarm::HeavyTailLan => &[&["primary_lan", "latency"]],
        Swarm::HeavyTailLink => &[&["links", "latency"], &["links", "overrides"]],
        Swarm::MovedMasters => &[
            &["protocol", "primary_master"],
            &["protocol", "secondary_master"],
        ],
        Swarm::PrimaryMasterCrash
        | Swarm::SecondaryMasterCrash
        | Swarm::SecondaryReset
        | Swarm::PrimaryCrash
        | Swarm::OverlappingCrashes
        | Swarm::PermanentCrash
        | Swarm::Disaster
        | Swarm::RollingDisaster
        | Swarm::Partition
        | Swarm::LinkOutage
        | Swarm::BandwidthDrop
        | Swarm::LanSpike
        | Swarm::LinkSpike
        | Swarm::ClockStep => &[&["faults"]],
    }
}

/// Whether `k` is in effect in `sc`, judged from the scenario alone; `None` for the kinds that
/// cannot be told apart there without guessing.
///
/// Those are the healing crashes (`primary-master-crash`, `secondary-master-crash`,
/// `secondary-reset`, `primary-crash`, `overlapping-crashes`): each is a `crash` fault, and a
/// primary crash that happened to hit the master, or two of them that happened to overlap, look
/// just like the kinds drawn for that. Such a kind counts only while no `--set` touches the
/// fault list, so a pinned fault list never claims a crash kind the campaign cannot vouch for.
/// The others read as follows: a loss above zero on either LAN or on any pair link (`link-loss`
/// also draws the links' duplication, which alone does not count), a duplication above zero on
/// either LAN; more
/// than one path on any link; a clock that drifts (its own override, else the common drift,
/// to the nanosecond per second the model uses); a pair with its own copy time; the fault of that
/// kind in the list (a `disaster` fault for `disaster`: a disaster drawn beside a rolling one is
/// realised as the rolling one only); the clock-free variant; a bound on the copy buffers; a
/// lognormal latency with sigma of at least [`HEAVY_SIGMA`]; a master away from its default pair.
pub fn judged(k: Swarm, sc: &Scenario) -> Option<bool> {
    let pairs = 1..=sc.topology.pairs;
    let any_fault = |f: fn(&Fault) -> bool| sc.faults.iter().any(f);
    Some(match k {
        Swarm::LanLoss => sc.primary_lan.loss.get() > 0.0 || sc.secondary_lan.loss.get() > 0.0,
        Swarm::LanDuplicate => {
            sc.primary_lan.duplicate.get() > 0.0 || sc.secondary_lan.duplicate.get() > 0.0
        }
        Swarm::LinkLoss => pairs.into_iter().any(|p| sc.links.link(p).loss.get() > 0.0),
        Swarm::Multipath => pairs.into_iter().any(|p| sc.links.link(p).paths > 1),
        Swarm::HeavyTailLink => pairs
            .into_iter()
            .any(|p| heavy_tailed(&sc.links.link(p).latency)),
        Swarm::ClockDrift => pairs.into_iter().any(|p| drifts(sc, p)),
        Swarm::HeavyPair => sc
            .subsystems
            .overrides
            .iter()
            .any(|o| o.copy_time.is_some()),
        Swarm::PermanentCrash => any_fault(|f| matches!(f, Fault::Crash { down_for: None, .. })),
        Swarm::Disaster => any_fault(|f| matches!(f, Fault::Disaster { .. })),
        Swarm::RollingDisaster => any_fault(|f| matches!(f, Fault::RollingDisaster { .. })),
        Swarm::Partition => any_fault(|f| matches!(f, Fault::Partition { .. })),
        Swarm::LinkOutage => any_fault(|f| matches!(f, Fault::LinkOutage { .. })),
        Swarm::BandwidthDrop => any_fault(|f| matches!(f, Fault::BandwidthDrop { .. })),
        Swarm::ClockStep => any_fault(|f| matches!(f, Fault::ClockStep { .. })),
        Swarm::LanSpike => any_fault(
            |f| matches!(f, Fault::LatencySpike { target, .. } if *target != NetTarget::Link),
        ),
        Swarm::LinkSpike => any_fault(
            |f| matches!(f, Fault::LatencySpike { target, .. } if *target == NetTarget::Link),
        ),
        Swarm::ClockFree => sc.protocol.clock == ClockKind::None,
        Swarm::BoundedBuffer => sc.subsystems.buffer_capacity.is_some(),
        Swarm::HeavyTailLan => heavy_tailed(&sc.primary_lan.latency),
        Swarm::MovedMasters => {
            let default = Protocol::default();
            sc.protocol.primary_master != default.primary_master
                || sc.protocol.secondary_master != default.secondary_master
        }
        Swarm::PrimaryMasterCrash
        | Swarm::SecondaryMasterCrash
        | Swarm::SecondaryReset
        | Swarm::PrimaryCrash
        | Swarm::OverlappingCrashes => return None,
    })
}

/// True for a lognormal latency with sigma of at least [`HEAVY_SIGMA`].
fn heavy_tailed<Q>(d: &Dist<Q>) -> bool {
    matches!(d, Dist::Lognormal { sigma, .. } if *sigma >= HEAVY_SIGMA)
}

/// True when the clock of primary `pair` drifts, as the model sets it up: its last override,
/// else the common drift, each rounded to whole parts per billion.
fn drifts(sc: &Scenario, pair: u16) -> bool {
    let ppb = |ppm: f64| libm::round(ppm * 1000.0);
    match sc
        .clocks
        .overrides
        .iter()
        .rev()
        .find(|o| o.subsystem == pair)
    {
        Some(o) => ppb(o.drift_ppm) != 0.0,
        None => ppb(sc.clocks.drift_ppm) > 0.0,
    }
}

#[cfg(test)]
mod tests;
