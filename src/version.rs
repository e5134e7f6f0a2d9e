//! The rcsim version an output was made with: trace hashes depend on it, so every result,
//! campaign summary and reproducer carries it.

use serde::{Deserialize, Serialize};

/// This build's version (the crate's).
pub const RCSIM_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The version that produced a file; new values are this build's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct Version(pub String);

impl Default for Version {
    fn default() -> Self {
        Version(RCSIM_VERSION.to_string())
    }
}
