//! Deliberate bugs in the checkpoint protocol and its rivals, each switched on by name. They exist
//! to prove that the checker and the fuzzer catch what they are for: a campaign that does not find
//! a mutant is a campaign that would not find the real bug either.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A deliberate bug in a protocol (`--mutant`), to show the checker catches it. This is the one
/// list of them: the scenario's `protocol.mutant` and the command line name these very variants
/// (kebab-case), so adding a mutant is one edit.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Mutant {
    /// Each secondary applies on its own checkpoint, without the secondary master's rendezvous.
    NoRendezvous,
    /// The checkpoint goes to the secondary on arrival, outside the pair's stream, so it can
    /// overtake earlier-stamped writes still queued to be shipped.
    EarlyCheckpoint,
    /// No update-in-progress: hosts may read a secondary while it applies.
    NoUip,
    /// A release applies every buffered write, including those stamped after its time value.
    ApplyPastCheckpoint,
    /// Lost messages are never resent.
    NoRetransmit,
    /// Clock sync without an error bound: each primary sets its clock to the master's
    /// time plus half the round trip of one probe and stamps with it, no filter, no wait.
    NaiveClockSync,
    /// `central`: the mover forms groups past the minimum of the primaries' newest timestamps.
    CentralNoMin,
    /// `cycle`: the master switches cycles without holding host writes.
    CycleNoHold,
    /// The secondary master resets each member's update-in-progress as soon as that member
    /// reports update-complete, instead of once every member has.
    EarlyReset,
    /// A secondary with volatile buffers that resets replays the writes it had handed to its
    /// volume as if they had survived, and goes on without what its buffer lost.
    VolatileReplay,
}

impl Mutant {
    /// Every mutant, in a fixed order.
    pub const ALL: [Mutant; 10] = [
        Mutant::NoRendezvous,
        Mutant::EarlyCheckpoint,
        Mutant::NoUip,
        Mutant::ApplyPastCheckpoint,
        Mutant::NoRetransmit,
        Mutant::NaiveClockSync,
        Mutant::CentralNoMin,
        Mutant::CycleNoHold,
        Mutant::EarlyReset,
        Mutant::VolatileReplay,
    ];

    /// Its command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Mutant::NoRendezvous => "no-rendezvous",
            Mutant::EarlyCheckpoint => "early-checkpoint",
            Mutant::NoUip => "no-uip",
            Mutant::ApplyPastCheckpoint => "apply-past-checkpoint",
            Mutant::NoRetransmit => "no-retransmit",
            Mutant::NaiveClockSync => "naive-clock-sync",
            Mutant::CentralNoMin => "central-no-min",
            Mutant::CycleNoHold => "cycle-no-hold",
            Mutant::EarlyReset => "early-reset",
            Mutant::VolatileReplay => "volatile-replay",
        }
    }

    /// The protocol it is a bug of, as `protocol.kind` names it.
    pub fn protocol(self) -> &'static str {
        match self {
            Mutant::CentralNoMin => "central",
            Mutant::CycleNoHold => "cycle",
            _ => "checkpoint",
        }
    }
}

impl fmt::Display for Mutant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Mutant {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Mutant::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Mutant::ALL.iter().map(|m| m.name()).collect();
                format!(
                    "unknown mutant `{}`, expected one of: {}",
                    crate::quote::bounded(s),
                    names.join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in Mutant::ALL {
            assert_eq!(m.name().parse::<Mutant>(), Ok(m));
            assert_eq!(
                serde_json::to_value(m).unwrap(),
                m.name(),
                "serde names it alike"
            );
        }
        assert!("no-such"
            .parse::<Mutant>()
            .unwrap_err()
            .contains("no-rendezvous"));
    }
}
