//! Reading a [`Fault`] from JSON: the fields go straight into the variant (see
//! [`super::super::tagged`]), through a derived twin of [`Fault`] written as serde's externally
//! tagged enum, so every message about a variant's fields is serde's own. The twin must keep the
//! variants, fields and attributes of [`Fault`]; the conversion below fails to compile if a
//! variant or a field is missing.

use serde::de::{Error, MapAccess, Unexpected};
use serde::{Deserialize, Deserializer};

use super::super::dist::Dist;
use super::super::tagged::{self, Tagged};
use super::super::units::Duration;
use super::{Fault, NetTarget, Repeat, RollingOrder, Site};

impl<'de> Deserialize<'de> for Fault {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        tagged::deserialize(d)
    }
}

impl Tagged for Fault {
    /// In the order of [`Fault`]'s variants.
    const KINDS: &'static [&'static str] = &[
        "disaster",
        "crash",
        "rolling_disaster",
        "link_outage",
        "partition",
        "latency_spike",
        "bandwidth_drop",
        "clock_step",
    ];
    fn kind<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
        tagged::variant_kind(d, Self::KINDS)
    }
    fn not_object<E: Error>(got: Unexpected<'_>) -> E {
        E::invalid_type(got, &"internally tagged enum Fault")
    }
    fn no_kind<E: Error>() -> E {
        E::missing_field("kind")
    }
    fn build<'de, M: MapAccess<'de>>(kind: usize, fields: M) -> Result<Self, M::Error> {
        let name = Self::KINDS.get(kind).copied().unwrap_or_default();
        tagged::struct_variant::<Twin, M>(name, fields).map(Fault::from)
    }
}

/// [`Fault`] as serde derives an externally tagged enum.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Twin {
    Disaster {
        at: Duration,
    },
    Crash {
        site: Site,
        subsystem: u16,
        at: Duration,
        #[serde(default)]
        down_for: Option<Duration>,
    },
    RollingDisaster {
        at: Duration,
        over: Duration,
        #[serde(default)]
        order: RollingOrder,
    },
    LinkOutage {
        pair: u16,
        at: Duration,
        #[serde(rename = "for")]
        lasts: Duration,
        #[serde(default)]
        repeat: Option<Repeat>,
    },
    Partition {
        site: Site,
        isolate: Vec<u16>,
        at: Duration,
        #[serde(rename = "for")]
        lasts: Duration,
        #[serde(default)]
        one_way: bool,
    },
    LatencySpike {
        target: NetTarget,
        #[serde(default)]
        pair: Option<u16>,
        at: Duration,
        #[serde(rename = "for")]
        lasts: Duration,
        extra: Dist<Duration>,
    },
    BandwidthDrop {
        pair: u16,
        at: Duration,
        #[serde(rename = "for")]
        lasts: Duration,
        factor: f64,
    },
    ClockStep {
        subsystem: u16,
        at: Duration,
        by: Duration,
        #[serde(default)]
        backward: bool,
    },
}

impl From<Twin> for Fault {
    fn from(t: Twin) -> Fault {
        match t {
            Twin::Disaster { at } => Fault::Disaster { at },
            Twin::Crash {
                site,
                subsystem,
                at,
                down_for,
            } => Fault::Crash {
                site,
                subsystem,
                at,
                down_for,
            },
            Twin::RollingDisaster { at, over, order } => Fault::RollingDisaster { at, over, order },
            Twin::LinkOutage {
                pair,
                at,
                lasts,
                repeat,
            } => Fault::LinkOutage {
                pair,
                at,
                lasts,
                repeat,
            },
            Twin::Partition {
                site,
                isolate,
                at,
                lasts,
                one_way,
            } => Fault::Partition {
                site,
                isolate,
                at,
                lasts,
                one_way,
            },
            Twin::LatencySpike {
                target,
                pair,
                at,
                lasts,
                extra,
            } => Fault::LatencySpike {
                target,
                pair,
                at,
                lasts,
                extra,
            },
            Twin::BandwidthDrop {
                pair,
                at,
                lasts,
                factor,
            } => Fault::BandwidthDrop {
                pair,
                at,
                lasts,
                factor,
            },
            Twin::ClockStep {
                subsystem,
                at,
                by,
                backward,
            } => Fault::ClockStep {
                subsystem,
                at,
                by,
                backward,
            },
        }
    }
}
