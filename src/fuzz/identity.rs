//! What makes a campaign the campaign it is, recorded in every shard's `summary.json`: merging
//! shards, or resuming one, is only honest between outputs of the same campaign, and this is how
//! `--merge` and `--resume` tell.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::scenario::Scenario;

/// A campaign's identity: everything its results depend on, and which part of it one process ran.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignIdentity {
    /// The whole campaign's seed range, half-open.
    pub seeds: SeedRange,
    /// Which shard this output holds (1 of 1 when unsharded).
    pub shard: ShardId,
    /// A hash (XXH3-64, hex) of the resolved base scenario the seeds are drawn around.
    pub base_hash: String,
    /// The protocol the campaign runs.
    pub protocol: String,
    /// The deliberate bug it runs, if any.
    pub mutant: Option<String>,
    /// The options that change what each seed runs.
    pub options: CampaignOptions,
    /// The rcsim version that ran it (trace hashes depend on it).
    pub rcsim_version: String,
}

/// A half-open seed range, as `--seeds A..B` gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedRange {
    /// The first seed.
    pub start: u64,
    /// One past the last seed.
    pub end: u64,
}

/// The most shards a campaign may be split into: far beyond any job array a scheduler runs
/// (Slurm's default `MaxArraySize` is 1,001), yet small enough that a merge can keep a slot per
/// shard and list every missing one.
pub const MAX_SHARDS: u64 = 100_000;

/// Shard `k` of `n`, 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardId {
    /// This shard, 1 ≤ k ≤ n.
    pub k: u64,
    /// How many shards the campaign was split into.
    pub n: u64,
}

/// The command-line options a campaign's results depend on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignOptions {
    /// `--outside-assumptions`.
    pub outside_assumptions: bool,
    /// `--check-determinism`.
    pub check_determinism: bool,
    /// Every `--set`, as given back on a command line, in order.
    pub set: Vec<String>,
}

/// What one shard measured, as the merged summary reports it (each figure one process saw).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardMeasure {
    /// `K/N`.
    pub shard: String,
    /// Seeds that shard's output holds.
    pub seeds: u64,
    /// Wall-clock seconds it ran (its last process, when resumed).
    pub elapsed_s: f64,
    /// Its seeds per wall-clock second.
    pub seeds_per_s: f64,
    /// Its events per wall-clock second.
    pub events_per_s: f64,
    /// Its worker threads.
    pub jobs: usize,
}

/// The hash recorded as [`CampaignIdentity::base_hash`].
pub fn base_hash(base: &Scenario) -> String {
    let text = serde_json::to_string(base).unwrap_or_default();
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
}

/// Where two identities first differ: the field's dotted path and both values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// The field, e.g. `protocol` or `options.set`.
    pub field: String,
    /// Its value in the first identity.
    pub ours: String,
    /// Its value in the second.
    pub theirs: String,
}

impl CampaignIdentity {
    /// Says what is wrong with an identity read from a file, starting with the field (`seeds`,
    /// `shard.k`, `shard.n`): an empty seed range, or a shard that is not 1 ≤ k ≤ n ≤ the
    /// range's length and [`MAX_SHARDS`]. Every shard of a campaign written by rcsim passes.
    pub fn check(&self) -> Result<(), String> {
        let SeedRange { start, end } = self.seeds;
        let ShardId { k, n } = self.shard;
        if end <= start {
            return Err(format!(
                "seeds is {start}..{end}: expected a non-empty half-open range A..B with A < B"
            ));
        }
        let len = end - start;
        if n == 0 || n > MAX_SHARDS || n > len {
            return Err(format!(
                "shard.n is {n}: expected 1 to {} (at most {MAX_SHARDS}, and no more shards \
                 than the {len} seeds of {start}..{end})",
                MAX_SHARDS.min(len)
            ));
        }
        if k == 0 || k > n {
            return Err(format!("shard.k is {k}: expected 1 to {n} (shard K of N)"));
        }
        Ok(())
    }

    /// The first field in which `other` is a different campaign; the shard number `k` counts
    /// only when `same_shard` (a resume must continue the same shard; a merge joins different
    /// ones).
    pub fn difference(&self, other: &CampaignIdentity, same_shard: bool) -> Option<Difference> {
        let mut a = serde_json::to_value(self).unwrap_or(Value::Null);
        let mut b = serde_json::to_value(other).unwrap_or(Value::Null);
        if !same_shard {
            a["shard"]["k"] = Value::Null;
            b["shard"]["k"] = Value::Null;
        }
        first_difference("", &a, &b)
    }
}

/// The order in which fields are compared, so the most telling difference is named first (a
/// different protocol, not the hash it also changes).
const ORDER: [&str; 7] = [
    "protocol",
    "mutant",
    "seeds",
    "shard",
    "options",
    "rcsim_version",
    "base_hash",
];

fn rank(key: &str) -> usize {
    ORDER.iter().position(|k| *k == key).unwrap_or(ORDER.len())
}

fn first_difference(path: &str, a: &Value, b: &Value) -> Option<Difference> {
    if let (Value::Object(x), Value::Object(y)) = (a, b) {
        let mut keys: Vec<(&String, &Value)> = x.iter().collect();
        keys.sort_by_key(|(k, _)| rank(k));
        for (k, v) in keys {
            let sub = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if let Some(d) = first_difference(&sub, v, y.get(k).unwrap_or(&Value::Null)) {
                return Some(d);
            }
        }
        return None;
    }
    (a != b).then(|| Difference {
        field: path.to_string(),
        ours: a.to_string(),
        theirs: b.to_string(),
    })
}

/// For tests: shard `k` of 4 of a campaign of seeds 0..100 running `protocol` on this build.
#[cfg(test)]
pub(crate) fn example(k: u64, protocol: &str) -> CampaignIdentity {
    CampaignIdentity {
        seeds: SeedRange { start: 0, end: 100 },
        shard: ShardId { k, n: 4 },
        base_hash: "00".into(),
        protocol: protocol.into(),
        mutant: None,
        options: CampaignOptions {
            outside_assumptions: false,
            check_determinism: false,
            set: vec!["--set duration=1s".into()],
        },
        rcsim_version: crate::version::RCSIM_VERSION.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::example as id;
    use super::*;

    #[test]
    fn shards_of_one_campaign_differ_only_in_their_number() {
        assert_eq!(
            id(1, "checkpoint").difference(&id(3, "checkpoint"), false),
            None
        );
        let d = id(1, "checkpoint")
            .difference(&id(3, "checkpoint"), true)
            .expect("a resume must keep its shard");
        assert_eq!(d.field, "shard.k");
    }

    #[test]
    fn an_impossible_shard_or_range_is_named() {
        assert_eq!(id(4, "checkpoint").check(), Ok(()));
        for (k, n, field) in [
            (0, 1, "shard.k"),
            (2, 1, "shard.k"),
            (1, 0, "shard.n"),
            (1, 101, "shard.n"),
            (1, 1 << 62, "shard.n"),
        ] {
            let mut bad = id(1, "checkpoint");
            bad.shard = ShardId { k, n };
            let e = bad.check().expect_err("impossible shard");
            assert!(e.contains(field), "{k}/{n}: {e}");
        }
        let mut empty = id(1, "checkpoint");
        empty.seeds = SeedRange { start: 5, end: 5 };
        assert!(empty.check().expect_err("empty").starts_with("seeds "));
        let mut huge = id(1, "checkpoint");
        huge.seeds = SeedRange {
            start: 0,
            end: u64::MAX,
        };
        huge.shard = ShardId {
            k: 1,
            n: MAX_SHARDS + 1,
        };
        assert!(huge.check().expect_err("too many").contains("shard.n"));
    }

    #[test]
    fn a_mixed_field_is_named() {
        let d = id(1, "checkpoint")
            .difference(&id(2, "sync"), false)
            .expect("different protocols");
        assert_eq!(
            (d.field.as_str(), d.ours.as_str(), d.theirs.as_str()),
            ("protocol", "\"checkpoint\"", "\"sync\"")
        );
        let mut other = id(2, "checkpoint");
        other.options.set.clear();
        assert_eq!(
            id(1, "checkpoint")
                .difference(&other, false)
                .expect("different options")
                .field,
            "options.set"
        );
    }
}
