//! What the checker reports when an image breaks a rule.

use serde::{Deserialize, Deserializer, Serialize};

/// A write visible in an image without one it depended on.
pub const DEPENDENT_WRITE: &str = "dependent-write";
/// An image that stopped catching up with the primaries.
pub const LIVENESS: &str = "liveness";
/// A block that went back past versions a bounded history had retired.
pub const ROLLBACK: &str = "rollback";
/// Every kind of violation the checker reports, as results and reproducers name them.
pub const KINDS: [&str; 3] = [DEPENDENT_WRITE, LIVENESS, ROLLBACK];

/// One rule broken by an image open to hosts, named so a reader can find both writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Violation {
    /// `"dependent-write"` (a write visible without one it depended on), `"liveness"` or
    /// `"rollback"`.
    #[serde(deserialize_with = "known_kind")]
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

/// Checks that `kind` is one the checker reports (one of [`KINDS`]); the error names them.
pub fn check_kind(kind: &str) -> Result<(), String> {
    if KINDS.contains(&kind) {
        Ok(())
    } else {
        Err(format!(
            "unknown violation kind `{}`, expected one of {}",
            crate::quote::bounded(kind),
            KINDS.map(|k| format!("`{k}`")).join(", ")
        ))
    }
}

/// Reads a violation kind, refusing one the checker never reports (a file read back was
/// edited, or is not rcsim's).
pub fn known_kind<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let kind = String::deserialize(d)?;
    check_kind(&kind).map_err(serde::de::Error::custom)?;
    Ok(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_kinds_and_fields_are_read() {
        let v = |kind: &str, extra: &str| {
            serde_json::from_str::<Violation>(&format!(
                r#"{{"kind":"{kind}","missing":"a","present":"b","at_ns":1,"detail":"d"{extra}}}"#
            ))
        };
        for k in KINDS {
            assert_eq!(v(k, "").expect("a known kind").kind, k);
        }
        let e = v("made-up", "").expect_err("an unknown kind").to_string();
        assert!(e.contains("`made-up`") && e.contains("`rollback`"), "{e}");
        let e = v(LIVENESS, r#","why":1"#).expect_err("an unknown field");
        assert!(e.to_string().contains("`why`"), "{e}");
    }
}
