//! Serde defaults shared by several parts of the scenario format.

use super::units::Duration;

/// One: the default count of servers, subsystems and the like.
pub(super) fn one_u16() -> u16 {
    1
}

/// One: the default of 32-bit counts.
pub(super) fn one_u32() -> u32 {
    1
}

/// Zero time: the default of optional delays.
pub(super) fn zero_duration() -> Duration {
    Duration::from_ns(0)
}
