//! A line of a campaign's `results.jsonl` read back, typed and checked, by `fuzz --resume` and
//! `fuzz --merge`: the result of a run (a [`RunResult`], no field more or less) or why its
//! scenario was rejected, with the fault kinds in effect and the assumptions lifted, as
//! [`super::campaign::result_line`] writes it. The file may have been edited, so a line is
//! refused when any field is missing, unknown or of the wrong type, when a name is not one rcsim
//! writes, when its parts contradict each other (a consistent run that lists violations, a p99
//! above its max), or when it is not a run of the campaign it is read into (another protocol or
//! rcsim version).

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::gen::Assumption;
use super::identity::CampaignIdentity;
use super::swarm::SWARM;
use crate::result::RunResult;
use crate::scenario::types::Limits;

/// One `results.jsonl` line.
#[derive(Clone, Debug)]
pub struct ResultLine {
    /// The seed.
    pub seed: u64,
    /// Its result, or why its scenario was rejected.
    pub result: Result<RunResult, String>,
    /// What the line says of the seed's scenario beside its result.
    pub drawn: Drawn,
}

/// The fields a campaign adds to each result: what its seed drew.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drawn {
    /// The fault kinds in effect in its scenario.
    pub swarm: Vec<String>,
    /// The fault kinds it drew that a `--set` pinned away (absent when none were).
    #[serde(default)]
    pub swarm_pinned_off: Vec<String>,
    /// The assumptions it lifted (`--outside-assumptions`).
    pub assumptions_lifted: Vec<String>,
}

/// The fields of [`Drawn`], which the rest of a line does not have.
const DRAWN: [&str; 3] = ["swarm", "swarm_pinned_off", "assumptions_lifted"];

/// A rejected seed's line, less what it drew.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rejected {
    seed: u64,
    error: String,
}

impl ResultLine {
    /// Reads one line (without its newline). The error says what is wrong, starting with the
    /// JSON path of the field at fault, for a message that names the file and line first.
    pub fn parse(line: &[u8]) -> Result<Self, String> {
        let mut rest: Map<String, Value> =
            serde_json::from_slice(line).map_err(|e| format!("expected a JSON object ({e})"))?;
        let drawn: Map<String, Value> =
            DRAWN.iter().filter_map(|k| rest.remove_entry(*k)).collect();
        let (seed, result) = if rest.contains_key("error") {
            let r: Rejected = typed(rest)?;
            (r.seed, Err(r.error))
        } else {
            let r: RunResult = typed(rest)?;
            agrees(&r)?;
            (r.seed, Ok(r))
        };
        let drawn: Drawn = typed(drawn)?;
        let kinds = SWARM.map(|k| k.name());
        names(&drawn.swarm, "swarm", "fault kind", &kinds)?;
        names(
            &drawn.swarm_pinned_off,
            "swarm_pinned_off",
            "fault kind",
            &kinds,
        )?;
        let lifted = Assumption::ALL.map(Assumption::name);
        names(
            &drawn.assumptions_lifted,
            "assumptions_lifted",
            "assumption",
            &lifted,
        )?;
        Ok(ResultLine {
            seed,
            result,
            drawn,
        })
    }

    /// Checks that the line is a run of `campaign`: the protocol it runs and the rcsim version
    /// that ran it (a rejected seed's line names neither). The error starts with the JSON path
    /// of the field at fault, as [`ResultLine::parse`]'s do.
    pub fn of_campaign(&self, campaign: &CampaignIdentity) -> Result<(), String> {
        let Ok(r) = &self.result else {
            return Ok(());
        };
        let differs = |field: &str, line: &str, theirs: &str| {
            format!(
                "at `{field}`: `{}`, but the campaign's {field} is `{theirs}`; a line of \
                 another campaign",
                crate::quote::bounded(line)
            )
        };
        if r.protocol != campaign.protocol {
            return Err(differs("protocol", &r.protocol, &campaign.protocol));
        }
        if r.rcsim_version.0 != campaign.rcsim_version {
            return Err(differs(
                "rcsim_version",
                &r.rcsim_version.0,
                &campaign.rcsim_version,
            ));
        }
        Ok(())
    }

    /// True when the run broke a rule.
    pub fn failed(&self) -> bool {
        matches!(&self.result, Ok(r) if !r.consistent)
    }
}

/// `fields` as a `T`, or what is wrong at which JSON path.
fn typed<T: DeserializeOwned>(fields: Map<String, Value>) -> Result<T, String> {
    serde_path_to_error::deserialize(Value::Object(fields))
        .map_err(|e| format!("at `{}`: {}", e.path(), e.inner()))
}

/// Checks that the parts of a result agree as a run's always do.
fn agrees(r: &RunResult) -> Result<(), String> {
    let listed = r.violations.len();
    if r.consistent == (listed > 0) {
        return Err(format!(
            "at `consistent`: {}, but `violations` lists {listed}; expected false exactly when \
             violations is non-empty",
            r.consistent
        ));
    }
    if r.violation_count < listed as u64 {
        return Err(format!(
            "at `violation_count`: {}, fewer than the {listed} violations listed",
            r.violation_count
        ));
    }
    if r.budget_exhausted != r.budget.is_some() {
        return Err(format!(
            "at `budget`: {}, but `budget_exhausted` is {}; expected the limit that stopped the \
             run exactly when one did",
            r.budget.as_deref().map_or("null".to_string(), |b| format!(
                "`{}`",
                crate::quote::bounded(b)
            )),
            r.budget_exhausted
        ));
    }
    if let Some(b) = r.budget.as_deref().filter(|b| !Limits::BUDGETS.contains(b)) {
        return Err(format!(
            "at `budget`: unknown budget `{}`, expected one of {}",
            crate::quote::bounded(b),
            Limits::BUDGETS.join(", ")
        ));
    }
    crate::trace::check_hash(&r.trace_hash).map_err(|e| format!("at `trace_hash`: {e}"))
}

/// Checks that every one of `given` (the list at `field`) is one of `known`, a `what`.
fn names(given: &[String], field: &str, what: &str, known: &[&str]) -> Result<(), String> {
    match given
        .iter()
        .enumerate()
        .find(|(_, n)| !known.contains(&n.as_str()))
    {
        None => Ok(()),
        Some((i, n)) => Err(format!(
            "at `{field}[{i}]`: unknown {what} `{}`, expected one of {}",
            crate::quote::bounded(n),
            known.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(text: &str) -> String {
        ResultLine::parse(text.as_bytes()).expect_err(text)
    }

    #[test]
    fn a_rejected_seed_reads_back() {
        let l = ResultLine::parse(
            br#"{"seed":3,"error":"bad","swarm":["disaster"],"assumptions_lifted":["freeze"]}"#,
        )
        .expect("a rejected seed's line");
        assert_eq!((l.seed, l.result.clone().err()), (3, Some("bad".into())));
        assert_eq!(l.drawn.swarm, vec!["disaster".to_string()]);
        assert!(!l.failed());
    }

    #[test]
    fn a_line_missing_or_adding_fields_or_naming_the_unknown_is_refused() {
        let e = rejected(r#"{"seed":0}"#);
        assert!(e.contains("missing field `rcsim_version`"), "{e}");
        let e = rejected(r#"{"seed":0,"error":"x","swarm":[],"assumptions_lifted":[],"why":1}"#);
        assert!(e.contains("unknown field `why`"), "{e}");
        let e = rejected(r#"{"seed":0,"error":"x","assumptions_lifted":[]}"#);
        assert!(e.contains("missing field `swarm`"), "{e}");
        let e =
            rejected(r#"{"seed":0,"error":"x","swarm":["lan-loss","x"],"assumptions_lifted":[]}"#);
        assert!(
            e.starts_with("at `swarm[1]`: unknown fault kind `x`"),
            "{e}"
        );
        let e = rejected(r#"{"seed":0,"error":"x","swarm":[],"assumptions_lifted":["y"]}"#);
        assert!(
            e.starts_with("at `assumptions_lifted[0]`: unknown assumption"),
            "{e}"
        );
        let e = rejected(r#"{"seed":-1,"error":"x","swarm":[],"assumptions_lifted":[]}"#);
        assert!(e.starts_with("at `seed`"), "{e}");
        let e = rejected("[1]");
        assert!(e.starts_with("expected a JSON object"), "{e}");
    }

    /// The line a campaign writes for a run of the patent's example that `edit` changed.
    fn line_of(edit: impl FnOnce(&mut crate::result::RunResult)) -> String {
        let text = include_str!("../../scenarios/patent-example.json");
        let sc = crate::scenario::parse("patent-example", text, &[]).expect("valid");
        let mut r = crate::sim::simulate(&sc, 1, &crate::sim::RunOptions::default()).expect("runs");
        edit(&mut r);
        crate::fuzz::campaign::result_line(&crate::fuzz::campaign::SeedOutcome {
            seed: 1,
            result: Ok(r),
            nondeterministic: None,
            repro: None,
            repro_error: None,
            swarm: vec!["lan-loss"],
            swarm_pinned_off: vec!["disaster"],
            lifted: vec!["freeze"],
        })
    }

    #[test]
    fn what_a_campaign_writes_reads_back_whole() {
        let line = line_of(|_| {});
        let l = ResultLine::parse(line.as_bytes()).expect("a campaign's own line");
        let r = l.result.as_ref().expect("a run");
        assert_eq!(
            serde_json::to_value(r).expect("JSON")["trace_hash"],
            serde_json::from_str::<Value>(&line).expect("JSON")["trace_hash"]
        );
        assert_eq!(
            (l.seed, l.drawn.swarm_pinned_off.as_slice()),
            (1, &["disaster".to_string()][..])
        );
        assert!(!l.failed());
    }

    #[test]
    fn a_result_whose_parts_contradict_each_other_is_refused() {
        let violation = crate::check::Violation {
            kind: crate::check::violation::LIVENESS.into(),
            missing: "image".into(),
            present: String::new(),
            at_ns: 5,
            detail: "stuck".into(),
        };
        let listed = violation.clone();
        let e = rejected(&line_of(|r| r.violations.push(listed)));
        assert!(
            e.starts_with("at `consistent`: true, but `violations` lists 1"),
            "{e}"
        );
        let e = rejected(&line_of(|r| r.consistent = false));
        assert!(e.starts_with("at `consistent`: false"), "{e}");
        let e = rejected(&line_of(|r| {
            r.consistent = false;
            r.violations.push(violation);
        }));
        assert!(
            e.starts_with("at `violation_count`: 0, fewer than the 1"),
            "{e}"
        );
        let e = rejected(&line_of(|r| r.budget_exhausted = true));
        assert!(e.starts_with("at `budget`: null"), "{e}");
        let e = rejected(&line_of(|r| r.trace_hash = "ABC".into()));
        assert!(e.starts_with("at `trace_hash`"), "{e}");
        let mut v: Value = serde_json::from_str(&line_of(|_| {})).expect("JSON");
        v["events"] = Value::from(-1);
        let e = rejected(&v.to_string());
        assert!(
            e.starts_with("at `events`: invalid value: integer `-1`"),
            "{e}"
        );
        let mut v: Value = serde_json::from_str(&line_of(|_| {})).expect("JSON");
        v["latency_ns"]["exposure"]["p99"] = Value::Null;
        let e = rejected(&v.to_string());
        assert!(e.starts_with("at `latency_ns.exposure`"), "{e}");
    }

    #[test]
    fn an_unknown_budget_or_percentiles_out_of_order_are_refused() {
        let e = rejected(&line_of(|r| {
            r.budget_exhausted = true;
            r.budget = Some("coffee".into());
        }));
        assert!(
            e.starts_with("at `budget`: unknown budget `coffee`, expected one of events,"),
            "{e}"
        );
        for budget in Limits::BUDGETS {
            let line = line_of(|r| {
                r.budget_exhausted = true;
                r.budget = Some(budget.into());
            });
            ResultLine::parse(line.as_bytes()).expect("a budget rcsim names");
        }
        let e = rejected(&line_of(|r| {
            let p = r.latency_ns.host_write.as_mut().expect("writes completed");
            p.p50 = p.p99 + 1;
        }));
        assert!(e.starts_with("at `latency_ns.host_write`: p50 "), "{e}");
        assert!(e.ends_with("expected p50 <= p99 <= max"), "{e}");
        let e = rejected(&line_of(|r| {
            let p = r.latency_ns.exposure.as_mut().expect("time followed");
            p.p99 = p.max + 1;
        }));
        assert!(e.starts_with("at `latency_ns.exposure`"), "{e}");
        let e = rejected(&line_of(|r| r.host_hold_ns.p50 = 1));
        assert!(
            e.starts_with("at `host_hold_ns`: p50 1, p99 0, max 0"),
            "{e}"
        );
    }

    #[test]
    fn a_run_of_another_protocol_or_version_is_not_of_the_campaign() {
        let campaign = super::super::identity::example(1, "checkpoint");
        let read = |line: String| ResultLine::parse(line.as_bytes()).expect("a whole line");
        read(line_of(|_| {}))
            .of_campaign(&campaign)
            .expect("the campaign's own line");
        let e = read(line_of(|r| r.protocol = "sync".into()))
            .of_campaign(&campaign)
            .expect_err("another protocol");
        assert!(
            e.starts_with("at `protocol`: `sync`, but the campaign's protocol is `checkpoint`"),
            "{e}"
        );
        let e = read(line_of(|r| r.rcsim_version.0 = "0.0.1".into()))
            .of_campaign(&campaign)
            .expect_err("another version");
        assert!(e.starts_with("at `rcsim_version`: `0.0.1`"), "{e}");
        let skipped = br#"{"seed":1,"error":"bad","swarm":[],"assumptions_lifted":[]}"#;
        ResultLine::parse(skipped)
            .expect("a rejected seed")
            .of_campaign(&campaign)
            .expect("a rejected seed's line names no run to disagree");
    }
}
