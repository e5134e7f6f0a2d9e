//! What the checker reports when an image breaks a rule.

use serde::{Deserialize, Serialize};

/// One rule broken by an image open to hosts, named so a reader can find both writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Violation {
    /// `"dependent-write"` (a write visible without one it depended on) or `"liveness"`.
    pub kind: String,
    /// The write that should be there and is not (its label, or `w<id>`).
    pub missing: String,
    /// The write that is there although it depended on `missing` (its label, or `w<id>`).
    pub present: String,
    /// Simulated time at which the image showed this.
    pub at_ns: u64,
    /// Why, in a sentence: where each write lives and the times that make one depend on the other.
    pub detail: String,
}
