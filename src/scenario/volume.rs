//! A reference to one primary volume, shared by the scenario types and the trace-replay mapping.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A volume on the primary site: subsystem (from 1) and volume (from 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VolumeRef {
    /// The subsystem pair (from 1).
    pub subsystem: u16,
    /// The volume within it (from 0).
    #[serde(default)]
    pub volume: u16,
}
