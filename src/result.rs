//! The result of one checked run, with every field the product contract names.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::check::latency::Percentiles;
use crate::check::{ImageSummary, Rpo, Violation};
use crate::version::Version;

/// Write counts along the copy path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteCounts {
    /// Issued by hosts.
    pub issued: u64,
    /// Completed to hosts.
    pub completed: u64,
    /// Put on a pair link (retransmissions included).
    pub shipped: u64,
    /// Shown by a secondary volume at least once.
    pub applied: u64,
    /// The most writes the checker held at once: those in flight under the default bounded
    /// history (so it stays flat however long the run), every write under `checker.history=full`.
    pub checker_held_peak: u64,
}

/// Checkpoint rounds (zero for protocols without checkpoints).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckpointCounts {
    /// Sent by the checkpoint master.
    pub issued: u64,
    /// Released by the secondary master after its rendezvous.
    pub released: u64,
    /// Applied by every secondary.
    pub applied: u64,
}

/// How the checkpoint protocol spent its time (zero for protocols without checkpoints).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckpointMetrics {
    /// From a checkpoint's first forward reaching the secondary master to its rendezvous.
    pub rendezvous_ns: Percentiles,
    /// Total time the secondary image was closed to hosts (update in progress, takeover).
    pub hosts_held_ns: u64,
    /// Master changes on either site after the start.
    pub failovers: u64,
    /// Host writes whose completion a primary held until its clock's error bound proved the
    /// reference time had passed the write's stamp (commit-wait; see README, clock uncertainty).
    pub clock_waits: u64,
    /// How long each of those writes was held.
    pub clock_wait_ns: Percentiles,
    /// The sum of those holds.
    pub clock_wait_total_ns: u64,
}

/// The primaries' bounded copy buffers (zero when unbounded).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BufferMetrics {
    /// Host writes delayed by write pacing.
    pub paced_writes: u64,
    /// Times a primary suspended shipping.
    pub suspensions: u64,
    /// Total time from each suspension until its secondary was a faithful copy again (while it
    /// was not, the image stayed closed to hosts).
    pub resync_ns: u64,
}

/// How the `cycle` protocol's master fared (zero for other protocols).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CycleMetrics {
    /// Host-write holds (one per primary per switch attempt).
    pub holds: u64,
    /// Switch attempts abandoned: not every primary confirmed its hold within
    /// `max_coordination_time`.
    pub abandoned: u64,
    /// Times the master stopped waiting for a closed cycle to commit (`drain_timeout`).
    pub drain_timeouts: u64,
}

/// Host write latency, secondary lag and data exposure, each absent when there was nothing to
/// measure (no write completed; no time before a disaster at 0 ns): an empty distribution is not
/// a latency of zero, so the result JSON writes its `p50`, `p99` and `max` as `null`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Latencies {
    /// From issue to completion at the host.
    #[serde(serialize_with = "nullable", deserialize_with = "nullable_back")]
    #[schemars(with = "NullablePercentiles")]
    pub host_write: Option<Percentiles>,
    /// Secondary lag: the age of the earliest write a primary volume stored that no secondary
    /// volume has caught up with (shown it or a later write to its block), whichever
    /// secondaries hosts may read; weighted by time from the start to the disaster or the end,
    /// like `exposure`: p99 is the lag the copy exceeded 1% of that time.
    #[serde(serialize_with = "nullable", deserialize_with = "nullable_back")]
    #[schemars(with = "NullablePercentiles")]
    pub secondary_lag: Option<Percentiles>,
    /// Data exposure: the age of the oldest completed write the image hosts could read lacks
    /// (what a disaster at that moment would lose), weighted by time from the start to the
    /// disaster or the end: p99 is the exposure exceeded 1% of that time.
    #[serde(serialize_with = "nullable", deserialize_with = "nullable_back")]
    #[schemars(with = "NullablePercentiles")]
    pub exposure: Option<Percentiles>,
}

/// How the result JSON writes a distribution that may be empty: the figures, or each `null`
/// without a sample (so readers keep one shape and can tell "none" from "0 ns").
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NullablePercentiles {
    /// Median, ns; null without a sample.
    #[serde(deserialize_with = "Option::deserialize")]
    p50: Option<u64>,
    /// 99th percentile, ns; null without a sample.
    #[serde(deserialize_with = "Option::deserialize")]
    p99: Option<u64>,
    /// Largest sample, ns (exact); null without a sample.
    #[serde(deserialize_with = "Option::deserialize")]
    max: Option<u64>,
}

/// Serialises a [`Latencies`] field as [`NullablePercentiles`].
fn nullable<S: serde::Serializer>(p: &Option<Percentiles>, s: S) -> Result<S::Ok, S::Error> {
    NullablePercentiles {
        p50: p.map(|p| p.p50),
        p99: p.map(|p| p.p99),
        max: p.map(|p| p.max),
    }
    .serialize(s)
}

/// Reads a [`Latencies`] field back from [`NullablePercentiles`], each figure required as it is
/// always written: all three numbers, in order (see [`Percentiles::ordered`]), or all three
/// `null` (no sample); a mix is no distribution rcsim writes.
fn nullable_back<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Percentiles>, D::Error> {
    match NullablePercentiles::deserialize(d)? {
        NullablePercentiles {
            p50: Some(p50),
            p99: Some(p99),
            max: Some(max),
        } => Percentiles { p50, p99, max }
            .ordered()
            .map(Some)
            .map_err(serde::de::Error::custom),
        NullablePercentiles {
            p50: None,
            p99: None,
            max: None,
        } => Ok(None),
        _ => Err(serde::de::Error::custom(
            "expected p50, p99 and max all numbers, or all null (no sample)",
        )),
    }
}

/// The JSON Schema of the result JSON (`rcsim schema --result`), pretty-printed. Every field is
/// always written (an absent time, budget or percentile as `null`), so every property of the
/// result and of each object in it is required, the optional ones as well: schemars lists an
/// `Option` field as not required, and marking it required there drops its `null`. The objects
/// stay open to more properties (the product contract welcomes more fields, and a reader of
/// results must take those a later version adds), though rcsim reads its own files back
/// strictly, refusing fields it never writes.
pub fn schema_json() -> String {
    let mut schema = serde_json::to_value(schemars::schema_for!(RunResult)).unwrap_or_default();
    required_and_open(&mut schema);
    if let Some(defs) = schema
        .get_mut("$defs")
        .and_then(serde_json::Value::as_object_mut)
    {
        defs.values_mut().for_each(required_and_open);
    }
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

/// Lists every property of the object schema `schema` as required and drops its closing
/// `additionalProperties: false` (a schema without properties is left as it is).
fn required_and_open(schema: &mut serde_json::Value) {
    if let Some(obj) = schema
        .as_object_mut()
        .filter(|o| o.contains_key("properties"))
    {
        obj.remove("additionalProperties");
        let properties: Vec<String> = obj
            .get("properties")
            .and_then(serde_json::Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        let required = obj
            .entry("required")
            .or_insert_with(|| serde_json::Value::Array(Vec::new()));
        if let Some(list) = required.as_array_mut() {
            for p in properties {
                if !list.iter().any(|r| r.as_str() == Some(p.as_str())) {
                    list.push(serde_json::Value::String(p));
                }
            }
        }
    }
}

/// One run's verdict and measurements.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunResult {
    /// The rcsim version that ran it (trace hashes depend on it).
    pub rcsim_version: Version,
    /// The seed.
    pub seed: u64,
    /// The protocol's name.
    pub protocol: String,
    /// The scenario's name.
    pub scenario: String,
    /// Events processed.
    pub events: u64,
    /// Simulated nanoseconds covered.
    pub sim_ns: u64,
    /// When the primary-site disaster struck, if it did.
    #[serde(deserialize_with = "Option::deserialize")]
    pub disaster_ns: Option<u64>,
    /// When the secondary site finished taking over, if it did.
    #[serde(deserialize_with = "Option::deserialize")]
    pub takeover_ns: Option<u64>,
    /// Hash of the full ordered event trace, 16 hex digits.
    pub trace_hash: String,
    /// False iff `violations` is non-empty.
    pub consistent: bool,
    /// Rules the secondary image broke while open to hosts or after takeover.
    pub violations: Vec<Violation>,
    /// Distinct violations found (more than listed when the list was capped).
    pub violation_count: u64,
    /// Write counts.
    pub writes: WriteCounts,
    /// What was lost at the disaster or the end of the run.
    pub rpo: Rpo,
    /// Latency percentiles.
    pub latency_ns: Latencies,
    /// Checkpoint rounds.
    pub checkpoints: CheckpointCounts,
    /// Rendezvous latency, host hold time, failovers.
    pub checkpoint_metrics: CheckpointMetrics,
    /// Write pacing and suspensions of the copy buffers.
    pub buffers: BufferMetrics,
    /// `cycle`: how long each primary held host write completions, per hold (zero elsewhere).
    pub host_hold_ns: Percentiles,
    /// `cycle`: holds, abandoned switches, drain timeouts.
    pub cycle_metrics: CycleMetrics,
    /// Which labelled writes the final image shows.
    pub image: ImageSummary,
    /// True when a resource limit stopped the run before its end.
    pub budget_exhausted: bool,
    /// Which limit, if any: `"events"`, `"sim_time"`, `"writes_in_flight"` or `"events_pending"`.
    #[serde(deserialize_with = "Option::deserialize")]
    pub budget: Option<String>,
    /// Service stages offered more work than they can serve while the hosts wrote (load above
    /// 1.0): they can never catch up, so their backlog and the lag grow for as long as it lasts.
    pub overloaded: Vec<Overload>,
}

/// A service stage loaded past its capacity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Overload {
    /// The subsystem, numbered from 1.
    pub subsystem: u16,
    /// `"write"` (host writes at the primary), `"copy"` (shipping) or `"apply"` (at the secondary).
    pub stage: String,
    /// Service time offered while the hosts wrote, over the stage's capacity in that time.
    pub load: f64,
}
