//! Reproducer files: the scenario exactly as generated for a seed (so replaying needs neither the
//! generator nor the base), the seed, the protocol, and the verdict expected with its trace hash.

use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::check::Violation;
use crate::output::{write_atomic, write_own};
use crate::result::RunResult;
use crate::scenario::{parse, Override, Scenario, ScenarioError};

/// The format version written into every reproducer.
pub const FORMAT: u32 = 1;

/// What `rcsim shrink` puts in place of a reproducer's `.json` to name the shrunk one beside it.
pub const SHRUNK_SUFFIX: &str = ".shrunk.json";

/// The name of the reproducer a campaign writes for `seed` into its `repro/`: `seed-N.json`.
pub fn file_name(seed: u64) -> String {
    format!("seed-{seed}.json")
}

/// The seed whose reproducer a file in a campaign's `repro/` is, by its name: `seed-N.json`
/// (see [`file_name`]) or, shrunk by `rcsim shrink`, `seed-N.shrunk.json`, with N in plain
/// decimal; `None` for any other name (the temporary file of a killed write, notes). Clearing,
/// counting and merging a campaign's reproducers all go by this one rule.
pub fn seed_of_name(name: &str) -> Option<u64> {
    let rest = name.strip_prefix("seed-")?;
    let digits = rest
        .strip_suffix(SHRUNK_SUFFIX)
        .or_else(|| rest.strip_suffix(".json"))?;
    crate::decimal::plain_u64(digits)
}

/// What a replay must see again. Read back, every field is required (as it is always written),
/// kinds must be ones the checker reports, the trace hash must be one a run can have (see
/// [`crate::trace::check_hash`]), and the fields must agree (see [`Expected::check`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    /// The verdict.
    pub consistent: bool,
    /// The kinds of violation found, sorted, without repeats.
    #[serde(deserialize_with = "known_kinds")]
    pub kinds: Vec<String>,
    /// The first violation found.
    #[serde(deserialize_with = "Option::deserialize")]
    pub first: Option<Violation>,
    /// The run's trace hash.
    #[serde(deserialize_with = "trace_hash")]
    pub trace_hash: String,
}

/// Reads `expected.kinds`, each one a kind the checker reports (its index named if not).
fn known_kinds<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    /// One kind, checked as it is read.
    #[derive(Deserialize)]
    struct Kind(#[serde(deserialize_with = "crate::check::violation::known_kind")] String);
    Ok(Vec::<Kind>::deserialize(d)?
        .into_iter()
        .map(|k| k.0)
        .collect())
}

/// Reads `expected.trace_hash`, in the one format a run writes it.
fn trace_hash<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let hash = String::deserialize(d)?;
    crate::trace::check_hash(&hash).map_err(serde::de::Error::custom)?;
    Ok(hash)
}

/// A reproducer file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repro {
    /// Format version ([`FORMAT`]).
    pub rcsim_repro: u32,
    /// The rcsim version that wrote it (trace hashes depend on it; older files lack it).
    #[serde(default)]
    pub rcsim_version: crate::version::Version,
    /// The seed of every random stream.
    pub seed: u64,
    /// The protocol that ran.
    pub protocol: String,
    /// The full scenario as it ran.
    pub scenario: Value,
    /// The verdict to reproduce.
    pub expected: Expected,
    /// The assumptions of the default campaign this seed's scenario lifted
    /// (`--outside-assumptions`), so a failure says what it went outside of.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assumptions_lifted: Vec<String>,
}

impl Expected {
    /// Checks that the fields agree as [`Expected::of`] sets them: consistent exactly when no
    /// kind is listed, the kinds sorted and each once, and the first violation there exactly
    /// when a kind is, and of a kind listed. The error starts with the JSON path at fault.
    pub fn check(&self) -> Result<(), String> {
        let n = self.kinds.len();
        if self.consistent == (n > 0) {
            return Err(format!(
                "at `expected.consistent`: {}, but `expected.kinds` lists {n}; expected false \
                 exactly when kinds is non-empty",
                self.consistent
            ));
        }
        if let Some(w) = self.kinds.windows(2).find(|w| w[0] >= w[1]) {
            return Err(format!(
                "at `expected.kinds`: `{}` before `{}`; expected the kinds sorted, each once",
                w[0], w[1]
            ));
        }
        match &self.first {
            None if n > 0 => Err(format!(
                "at `expected.first`: null, but `expected.kinds` lists {n}; expected the first \
                 violation of a failing run"
            )),
            Some(_) if n == 0 => Err("at `expected.first`: a violation, but `expected.kinds` \
                                      is empty; expected null for a consistent run"
                .into()),
            Some(v) if !self.kinds.contains(&v.kind) => Err(format!(
                "at `expected.first.kind`: `{}`, which `expected.kinds` does not list",
                v.kind
            )),
            _ => Ok(()),
        }
    }

    /// The expectation a result sets.
    pub fn of(r: &RunResult) -> Self {
        let mut kinds: Vec<String> = r.violations.iter().map(|v| v.kind.clone()).collect();
        kinds.sort();
        kinds.dedup();
        Expected {
            consistent: r.consistent,
            kinds,
            first: r.violations.first().cloned(),
            trace_hash: r.trace_hash.clone(),
        }
    }
}

impl Repro {
    /// A reproducer of `result`, which ran `scenario` under `seed`.
    pub fn new(seed: u64, scenario: Value, result: &RunResult) -> Self {
        Repro {
            rcsim_repro: FORMAT,
            rcsim_version: crate::version::Version::default(),
            seed,
            protocol: result.protocol.clone(),
            scenario,
            expected: Expected::of(result),
            assumptions_lifted: Vec::new(),
        }
    }

    /// Writes it to `path`, a file the user named, atomically (see [`write_atomic`]).
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        write_atomic(path, self.text()?.as_bytes())
    }

    /// Writes it to `path`, a name rcsim chose inside a campaign's `repro/`, atomically and only
    /// as a regular file (see [`write_own`]): a FIFO or link planted there is refused.
    pub fn write_own(&self, path: &Path) -> std::io::Result<()> {
        write_own(path, self.text()?.as_bytes())
    }

    /// The file's text.
    fn text(&self) -> std::io::Result<String> {
        serde_json::to_string_pretty(self).map_err(std::io::Error::other)
    }

    /// Reads and checks a reproducer file.
    pub fn read(path: &Path) -> Result<Self, ScenarioError> {
        let source = path.display().to_string();
        let fail = |p: String| ScenarioError {
            source: source.clone(),
            problems: vec![p],
        };
        let text = crate::scenario::read_text(path).map_err(fail)?;
        Self::parse(&source, &text)
    }

    /// Parses and checks reproducer `text` (named `source` in messages): its fields, its format
    /// version, that its expected verdict agrees with itself (see [`Expected::check`]), and
    /// that its top-level `protocol` names the embedded scenario's `protocol.kind` (as the file
    /// says it, before any override).
    pub fn parse(source: &str, text: &str) -> Result<Self, ScenarioError> {
        let fail = |p: String| ScenarioError {
            source: source.to_string(),
            problems: vec![p],
        };
        let mut de = serde_json::Deserializer::from_str(text);
        let repro: Repro = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let inner = e.inner();
            fail(format!(
                "{}:{}: not a reproducer: at `{}`: {}",
                inner.line(),
                inner.column(),
                e.path(),
                inner
            ))
        })?;
        de.end().map_err(|e| {
            fail(format!(
                "{}:{}: not a reproducer: text follows its JSON object (trailing characters)",
                e.line(),
                e.column()
            ))
        })?;
        if repro.rcsim_repro != FORMAT {
            return Err(fail(format!(
                "reproducer format {} is not supported (expected {FORMAT})",
                repro.rcsim_repro
            )));
        }
        repro.expected.check().map_err(fail)?;
        let kind = match repro.scenario.pointer("/protocol/kind") {
            Some(Value::String(k)) => k.clone(),
            _ => crate::scenario::protocol::ProtocolKind::default()
                .name()
                .to_string(),
        };
        if kind != repro.protocol {
            return Err(fail(format!(
                "at `protocol`: expected `{kind}`, the protocol of the embedded scenario \
                 (scenario.protocol.kind), got `{}`",
                crate::quote::bounded(&repro.protocol)
            )));
        }
        Ok(repro)
    }

    /// The scenario, checked like any scenario file; the reproducer's top-level `protocol` must
    /// name the scenario's `protocol.kind`, or the file was edited inconsistently.
    pub fn scenario(&self, source: &str) -> Result<Scenario, ScenarioError> {
        self.scenario_with(source, &[])
    }

    /// As [`Repro::scenario`], with `overrides` applied first (`replay --disaster-at`).
    pub fn scenario_with(
        &self,
        source: &str,
        overrides: &[Override],
    ) -> Result<Scenario, ScenarioError> {
        let text = serde_json::to_string(&self.scenario).unwrap_or_default();
        let sc = parse(&format!("{source} (scenario)"), &text, overrides)?;
        if sc.protocol.kind.name() != self.protocol {
            return Err(ScenarioError {
                source: source.to_string(),
                problems: vec![format!(
                    "at `protocol`: expected `{}`, the protocol of the embedded scenario \
                     (scenario.protocol.kind), got `{}`",
                    sc.protocol.kind.name(),
                    self.protocol
                )],
            });
        }
        Ok(sc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproducer_names_and_their_shrunk_twins_have_a_seed() {
        assert_eq!(seed_of_name(&file_name(0)), Some(0));
        assert_eq!(seed_of_name(&file_name(u64::MAX)), Some(u64::MAX));
        assert_eq!(seed_of_name("seed-7.shrunk.json"), Some(7));
        for name in [
            "seed-.json",
            "seed-.shrunk.json",
            "seed-07.json",
            "seed-+7.json",
            "seed-7.shrunk.shrunk.json",
            "seed-7.other.json",
            ".seed-7.json.a1B2c3.tmp",
            "seed-18446744073709551616.json",
            "notes.txt",
        ] {
            assert_eq!(seed_of_name(name), None, "{name}");
        }
    }

    /// A reproducer whose `expected` is `expected`, as text.
    fn with_expected(expected: serde_json::Value) -> String {
        serde_json::json!({"rcsim_repro": FORMAT, "seed": 0, "protocol": "checkpoint",
            "scenario": {}, "expected": expected})
        .to_string()
    }

    fn problem(expected: serde_json::Value) -> String {
        let e = Repro::parse("r.json", &with_expected(expected)).expect_err("refused");
        e.problems.join("\n")
    }

    #[test]
    fn an_expected_verdict_is_read_strictly() {
        let violation = serde_json::json!({"kind": "liveness", "missing": "image",
            "present": "", "at_ns": 5, "detail": "stuck"});
        let passing = serde_json::json!({"consistent": true, "kinds": [], "first": null,
            "trace_hash": "0123456789abcdef"});
        let failing = serde_json::json!({"consistent": false,
            "kinds": ["dependent-write", "liveness"], "first": violation,
            "trace_hash": "0123456789abcdef"});
        for ok in [&passing, &failing] {
            let r = Repro::parse("r.json", &with_expected(ok.clone())).expect("as written");
            assert_eq!(serde_json::to_value(&r.expected).expect("JSON"), *ok);
        }
        let edit = |base: &serde_json::Value, path: &str, v: serde_json::Value| {
            let mut e = base.clone();
            *e.pointer_mut(path).expect("a field") = v;
            e
        };
        let mut unknown = failing.clone();
        unknown["first"]["why"] = serde_json::json!(1);
        let mut missing = passing.clone();
        missing.as_object_mut().expect("object").remove("first");
        for (expected, fragments) in [
            (
                unknown,
                &["at `expected.first.why`", "unknown field `why`"][..],
            ),
            (missing, &["at `expected`", "missing field `first`"]),
            (
                edit(&failing, "/kinds/1", "made-up".into()),
                &["at `expected.kinds[1]`", "unknown violation kind `made-up`"],
            ),
            (
                edit(&failing, "/first/kind", "made-up".into()),
                &["at `expected.first.kind`", "unknown violation kind"],
            ),
            (
                edit(&passing, "/trace_hash", "0x12".into()),
                &["at `expected.trace_hash`", "16 lowercase hex digits"],
            ),
            (
                edit(&failing, "/trace_hash", "0123456789ABCDEF".into()),
                &["at `expected.trace_hash`", "16 lowercase hex digits"],
            ),
            (
                edit(&failing, "/consistent", true.into()),
                &["at `expected.consistent`: true, but `expected.kinds` lists 2"],
            ),
            (
                edit(&failing, "/kinds/0", "liveness".into()),
                &["at `expected.kinds`", "sorted, each once"],
            ),
            (
                edit(&failing, "/first", serde_json::Value::Null),
                &["at `expected.first`: null"],
            ),
            (
                edit(&passing, "/first", violation.clone()),
                &["at `expected.first`: a violation"],
            ),
            (
                edit(&failing, "/kinds", serde_json::json!(["dependent-write"])),
                &["at `expected.first.kind`: `liveness`"],
            ),
        ] {
            let p = problem(expected);
            for f in fragments {
                assert!(p.contains(f), "{f}: {p}");
            }
        }
    }
}
