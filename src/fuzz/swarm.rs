//! The swarm's fault kinds: every fault and network trait the scenario format has, each of which
//! a seed switches on or off on its own coin (see [`super::gen`]), with the names that results,
//! summaries and scenario descriptions give them.

/// A fault kind a seed may switch on. What each one writes into the generated scenario is
/// [`super::gen`]'s business; whether it is in effect in the scenario that ran is
/// [`super::effect`]'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Swarm {
    /// Loss on both sites' LANs.
    LanLoss,
    /// Duplication on both sites' LANs.
    LanDuplicate,
    /// Loss (and duplication) on the pair links.
    LinkLoss,
    /// Several paths per pair link, which reorder messages.
    Multipath,
    /// The primaries' clocks drift.
    ClockDrift,
    /// One pair ships late: its own, much longer copy time.
    HeavyPair,
    /// The primary master crashes and comes back.
    PrimaryMasterCrash,
    /// The secondary master crashes and comes back.
    SecondaryMasterCrash,
    /// A secondary resets.
    SecondaryReset,
    /// A primary crashes and comes back.
    PrimaryCrash,
    /// Two subsystems down at once, their windows overlapping.
    OverlappingCrashes,
    /// A crash that never heals.
    PermanentCrash,
    /// A primary-site disaster.
    Disaster,
    /// A rolling disaster (the primary site fails component by component).
    RollingDisaster,
    /// The patent's clock-free variant (`protocol.clock: none`).
    ClockFree,
    /// Bounded secondary copy buffers.
    BoundedBuffer,
    /// A partition of either site's LAN.
    Partition,
    /// A pair link outage, possibly flapping.
    LinkOutage,
    /// A pair link's bandwidth drops for a while.
    BandwidthDrop,
    /// A latency spike on either site's LAN.
    LanSpike,
    /// A latency spike on a pair link.
    LinkSpike,
    /// A heavy-tailed (lognormal) primary LAN.
    HeavyTailLan,
    /// Heavy-tailed pair links.
    HeavyTailLink,
    /// A primary's clock steps.
    ClockStep,
    /// The masters at any pair rather than pair 1.
    MovedMasters,
}

/// Every kind, in the order a seed draws them and results list them.
pub const SWARM: [Swarm; 25] = [
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
    Swarm::OverlappingCrashes,
    Swarm::PermanentCrash,
    Swarm::Disaster,
    Swarm::RollingDisaster,
    Swarm::ClockFree,
    Swarm::BoundedBuffer,
    Swarm::Partition,
    Swarm::LinkOutage,
    Swarm::BandwidthDrop,
    Swarm::LanSpike,
    Swarm::LinkSpike,
    Swarm::HeavyTailLan,
    Swarm::HeavyTailLink,
    Swarm::ClockStep,
    Swarm::MovedMasters,
];

impl Swarm {
    /// Its name, as results, summaries and generated descriptions give it.
    pub fn name(self) -> &'static str {
        match self {
            Swarm::LanLoss => "lan-loss",
            Swarm::LanDuplicate => "lan-duplicate",
            Swarm::LinkLoss => "link-loss",
            Swarm::Multipath => "multipath",
            Swarm::ClockDrift => "clock-drift",
            Swarm::HeavyPair => "late-shipper",
            Swarm::PrimaryMasterCrash => "primary-master-crash",
            Swarm::SecondaryMasterCrash => "secondary-master-crash",
            Swarm::SecondaryReset => "secondary-reset",
            Swarm::PrimaryCrash => "primary-crash",
            Swarm::OverlappingCrashes => "overlapping-crashes",
            Swarm::PermanentCrash => "permanent-crash",
            Swarm::Disaster => "disaster",
            Swarm::RollingDisaster => "rolling-disaster",
            Swarm::ClockFree => "clock-free",
            Swarm::BoundedBuffer => "bounded-buffer",
            Swarm::Partition => "partition",
            Swarm::LinkOutage => "link-outage",
            Swarm::BandwidthDrop => "bandwidth-drop",
            Swarm::LanSpike => "lan-latency-spike",
            Swarm::LinkSpike => "link-latency-spike",
            Swarm::HeavyTailLan => "heavy-tailed-lan",
            Swarm::HeavyTailLink => "heavy-tailed-link",
            Swarm::ClockStep => "clock-step",
            Swarm::MovedMasters => "masters-anywhere",
        }
    }
}

/// The names of `kinds`, in their order.
pub fn names(kinds: &[Swarm]) -> Vec<&'static str> {
    kinds.iter().map(|k| k.name()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_name() {
        let all: std::collections::BTreeSet<&str> = names(&SWARM).into_iter().collect();
        assert_eq!(all.len(), SWARM.len());
    }
}
