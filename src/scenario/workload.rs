//! The scenario's workloads: what the hosts write (scripted writes, database transactions,
//! random writes, replayed traces).

use schemars::JsonSchema;
use serde::de::value::MapAccessDeserializer;
use serde::de::MapAccess;
use serde::{Deserialize, Serialize};

use super::defaults::{one_u32, zero_duration};
use super::dist::Dist;
use super::tagged::{self, Tagged};
use super::units::{Duration, OpsRate, Size};
use super::volume::VolumeRef;

/// What the hosts write.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Workload {
    /// Named writes with explicit dependencies, e.g. the patent's io1, io2, io3.
    Script(ScriptSpec),
    /// Database transactions: a log write, then data writes, then a commit write.
    Dbms(Dbms),
    /// Independent writes at a rate.
    Random(Random),
    /// The writes of a block I/O trace file (fio iolog or MSR Cambridge CSV), replayed.
    Trace(super::replay::TraceSpec),
}

// Read by `tagged`, the fields straight into the kind's type (serde's `tag` would buffer them).
impl<'de> Deserialize<'de> for Workload {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        tagged::deserialize(d)
    }
}

impl Tagged for Workload {
    const KINDS: &'static [&'static str] = &["script", "dbms", "random", "trace"];
    fn build<'de, M: MapAccess<'de>>(kind: usize, fields: M) -> Result<Self, M::Error> {
        let d = MapAccessDeserializer::new(fields);
        match kind {
            0 => ScriptSpec::deserialize(d).map(Workload::Script),
            1 => Dbms::deserialize(d).map(Workload::Dbms),
            2 => Random::deserialize(d).map(Workload::Random),
            _ => super::replay::TraceSpec::deserialize(d).map(Workload::Trace),
        }
    }
}

/// Scripted writes.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScriptSpec {
    /// The writes, each issued after the ones it names.
    pub writes: Vec<ScriptWrite>,
}

/// One scripted write.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScriptWrite {
    /// Its name, used by `after`, by violations and by the image summary.
    pub label: String,
    /// The pair it goes to (from 1).
    pub subsystem: u16,
    /// The volume within the subsystem (from 0).
    #[serde(default)]
    pub volume: u16,
    /// The block within the volume (from 0).
    #[serde(default)]
    pub block: u32,
    /// Bytes written.
    #[serde(default = "default_size")]
    pub size: Size,
    /// Earliest issue time.
    #[serde(default = "zero_duration")]
    pub at: Duration,
    /// Labels of earlier writes that must complete before this one is issued.
    #[serde(default)]
    pub after: Vec<String>,
    /// Host think time between the last of `after` completing and this write's issue.
    #[serde(default = "zero_duration")]
    pub think: Duration,
}

/// The largest write rcsim models, in bytes (a write's size is a 32-bit count): 4 GiB - 1.
pub const MAX_WRITE_SIZE: u64 = u32::MAX as u64;

/// What a write size outside `1B..=MAX_WRITE_SIZE` is told.
pub const SIZE_EXPECTED: &str = "expected a size between 1B and 4GiB";

/// The values of a write-size distribution that are no valid write size, as (path relative to
/// the size field, message): the constant, the uniform and normal bounds, every empirical value,
/// and the exponential mean or lognormal median (their rare samples past 4 GiB - 1, or below
/// 1 B, are taken as the nearest size, as a heavy tail is cut). Empty when every value is valid.
pub fn size_problems(d: &Dist<Size>) -> Vec<(String, String)> {
    let out = |v: &Size| v.0 == 0 || v.0 > MAX_WRITE_SIZE;
    let at = |rel: &str, v: &Size| (rel.to_string(), format!("{SIZE_EXPECTED}, got {v}"));
    match d {
        Dist::Constant(v) => [v]
            .into_iter()
            .filter(|v| out(v))
            .map(|v| at("", v))
            .collect(),
        Dist::Uniform { min, max } | Dist::Normal { min, max, .. } => [("min", min), ("max", max)]
            .into_iter()
            .filter(|(_, v)| out(v))
            .map(|(rel, v)| at(rel, v))
            .collect(),
        Dist::Exponential { mean: v } if out(v) => vec![at("mean", v)],
        Dist::Lognormal { median: v, .. } if out(v) => vec![at("median", v)],
        Dist::Exponential { .. } | Dist::Lognormal { .. } => Vec::new(),
        Dist::Empirical { values, .. } => values
            .iter()
            .enumerate()
            .filter(|(_, v)| out(v))
            .map(|(i, v)| at(&format!("values[{i}]"), v))
            .collect(),
    }
}

fn default_size() -> Size {
    Size(4096)
}

/// How arrivals are spaced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Arrival {
    /// Exponential gaps (a Poisson process).
    #[default]
    Poisson,
    /// Equal gaps.
    Fixed,
}

/// A DBMS committing transactions as the patent's example does.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dbms {
    /// The volume holding the log (log and commit records go there, sequentially).
    pub log: VolumeRef,
    /// The volumes holding the data base; each data write picks one.
    pub data: Vec<VolumeRef>,
    /// Data writes per transaction, issued together after the log write.
    #[serde(default = "one_u32")]
    pub data_writes: u32,
    /// Transactions started per unit of time.
    pub rate: OpsRate,
    /// How transaction starts are spaced.
    #[serde(default)]
    pub arrival: Arrival,
    /// Most transactions in progress at once; later arrivals wait.
    #[serde(default = "one_u32")]
    pub in_flight: u32,
    /// Size of each write.
    #[serde(default = "default_size_dist")]
    pub size: Dist<Size>,
    /// Host think time between the steps of a transaction.
    #[serde(default = "zero_duration")]
    pub think: Duration,
    /// How the rate of transaction starts varies over time; left out, it is steady.
    #[serde(default)]
    pub shape: Option<super::shape::Shape>,
}

fn default_size_dist() -> Dist<Size> {
    Dist::Constant(default_size())
}

/// How blocks are chosen.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum BlockChoice {
    /// Every block equally likely.
    #[default]
    Uniform,
    /// Zipf with this exponent: a few hot blocks take most writes.
    Zipf(f64),
    /// A hot spot: `weight` of the writes go to the first `fraction` of the blocks.
    Hot(super::shape::HotSpot),
}

/// Independent writes at a rate.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Random {
    /// The volumes written; empty means every volume of every subsystem.
    #[serde(default)]
    pub volumes: Vec<VolumeRef>,
    /// Writes per unit of time.
    pub rate: OpsRate,
    /// How writes are spaced.
    #[serde(default)]
    pub arrival: Arrival,
    /// How blocks are chosen within a volume.
    #[serde(default, deserialize_with = "tagged::stashed")]
    pub blocks: BlockChoice,
    /// Size of each write.
    #[serde(default = "default_size_dist")]
    pub size: Dist<Size>,
    /// How the rate varies over time; left out, it is steady.
    #[serde(default)]
    pub shape: Option<super::shape::Shape>,
}
