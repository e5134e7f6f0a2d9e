//! Counterexample files: the scenario itself, the fault budgets, the violation and the steps
//! (each with how it reads), written by `rcsim explore --out FILE` and re-executed step by step
//! by `rcsim explore --replay FILE`, which needs nothing else.

use serde::{Deserialize, Serialize};
use serde_json::error::Category;

use super::exec::{initial, next, Seen};
use super::judge;
use super::setup::Setup;
use super::step::{describe, enabled, Step};
use crate::check::Violation;
use crate::scenario::Scenario;

/// One step as the file holds it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileStep {
    /// The step, as the search takes it.
    pub step: Step,
    /// How it reads (informative; replay goes by `step`).
    pub text: String,
}

/// A counterexample file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterexampleFile {
    /// The rcsim version that found it.
    pub rcsim_version: String,
    /// The scenario as the search read it (overrides and `--mutant` applied).
    pub scenario: serde_json::Value,
    /// Messages the search could lose along one path.
    pub max_losses: u8,
    /// Messages the search could duplicate along one path.
    pub max_duplicates: u8,
    /// What broke.
    pub violation: Violation,
    /// The steps from the initial state, shortest first.
    pub steps: Vec<FileStep>,
}

/// A path told step by step, and what it ends in.
#[derive(Clone, Debug)]
pub struct Narration {
    /// One line per step, each followed by indented lines for what the world did in response.
    pub lines: Vec<String>,
    /// The violation the path ends in, if it does.
    pub violation: Option<Violation>,
}

/// Re-executes `steps` from the initial state, telling each. Fails (naming the step) when a
/// step is not enabled where the path takes it, or comes after the step that reached a violation:
/// a counterexample ends there, as the search writes it.
pub fn narrate(setup: &Setup, steps: &[Step]) -> Result<Narration, String> {
    let mut s = initial(setup);
    let mut lines = Vec::new();
    let mut choices = Vec::new();
    let mut violation = judge::always(setup, &s);
    for (k, &step) in steps.iter().enumerate() {
        if let Some(v) = &violation {
            let reached = match k {
                0 => "in the initial state".to_string(),
                _ => format!("at steps[{}]", k - 1),
            };
            return Err(format!(
                "steps[{k}]: the path already reached its {} violation {reached}, where a \
                 counterexample ends; {} more step(s) follow it",
                v.kind,
                steps.len() - k
            ));
        }
        enabled(setup, &s, &mut choices);
        if !choices.contains(&step) {
            return Err(format!(
                "steps[{k}]: {step:?} is not possible at that point of the path"
            ));
        }
        lines.push(format!("{:>3}. {}", k + 1, describe(setup, &s, step)));
        let mut seen = Seen {
            log: Some(Vec::new()),
            ..Seen::default()
        };
        s = next(setup, &s, step, &mut seen);
        for l in seen.log.unwrap_or_default() {
            lines.push(format!("       {l}"));
        }
        violation = judge::always(setup, &s);
    }
    if violation.is_none() {
        enabled(setup, &s, &mut choices);
        if choices.is_empty() {
            violation = judge::eventually(setup, &s);
        }
    }
    Ok(Narration { lines, violation })
}

impl CounterexampleFile {
    /// The file for a counterexample found on `scenario`.
    pub fn new(
        scenario: &Scenario,
        setup: &Setup,
        violation: &Violation,
        steps: &[Step],
    ) -> Result<Self, String> {
        let mut s = initial(setup);
        let mut file_steps = Vec::with_capacity(steps.len());
        for &step in steps {
            file_steps.push(FileStep {
                step,
                text: describe(setup, &s, step),
            });
            s = next(setup, &s, step, &mut Seen::default());
        }
        Ok(CounterexampleFile {
            rcsim_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: serde_json::to_value(scenario).map_err(|e| e.to_string())?,
            max_losses: setup.max_losses,
            max_duplicates: setup.max_duplicates,
            violation: violation.clone(),
            steps: file_steps,
        })
    }

    /// Parses a counterexample file's `text` (named `source` in messages), refusing an unknown
    /// or missing field anywhere, a step included, with its line, column and JSON path.
    pub fn parse(source: &str, text: &str) -> Result<Self, String> {
        let mut de = serde_json::Deserializer::from_str(text);
        let located = |e: &serde_json::Error, path: &str| {
            let at = match e.classify() {
                Category::Syntax | Category::Eof => "malformed JSON".to_string(),
                Category::Data | Category::Io => format!("at `{path}`"),
            };
            format!(
                "{source}:{}:{}: not a counterexample file: {at}: {}",
                e.line(),
                e.column(),
                crate::scenario::strip_position(e)
            )
        };
        let file: Self = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| located(e.inner(), &e.path().to_string()))?;
        de.end().map_err(|e| located(&e, ""))?;
        Ok(file)
    }

    /// The steps alone.
    pub fn path(&self) -> Vec<Step> {
        self.steps.iter().map(|s| s.step).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::search::{search, Options};

    /// The patent's example under `no-rendezvous`, and the counterexample the search finds.
    fn found() -> (Scenario, Setup, Violation, Vec<Step>) {
        let text = include_str!("../../scenarios/explore-patent.json");
        let mutant =
            crate::scenario::Override::parse("protocol.mutant=no-rendezvous").expect("an override");
        let sc = crate::scenario::parse("explore-patent.json", text, &[mutant]).expect("valid");
        let setup = Setup::from_scenario(&sc, 1, 1).expect("a setup");
        let opts = Options {
            max_depth: None,
            max_states: Some(1_000_000),
            jobs: 1,
            stop: None,
        };
        let cex = search(&setup, opts)
            .counterexample
            .expect("a counterexample");
        (sc, setup, cex.violation, cex.steps)
    }

    #[test]
    fn a_path_ends_at_the_step_that_reaches_its_violation() {
        let (_, setup, violation, mut steps) = found();
        let told = narrate(&setup, &steps).expect("the path replays");
        assert_eq!(told.violation.as_ref(), Some(&violation));
        let last = steps.len();
        steps.push(steps[0]);
        let e = narrate(&setup, &steps).expect_err("a step past the violation");
        assert!(
            e.starts_with(&format!("steps[{last}]: "))
                && e.contains(&format!("at steps[{}]", last - 1)),
            "{e}"
        );
    }

    #[test]
    fn a_written_file_reads_back_and_an_unknown_field_in_a_step_is_refused() {
        let (sc, setup, violation, steps) = found();
        let file = CounterexampleFile::new(&sc, &setup, &violation, &steps).expect("a file");
        let mut v = serde_json::to_value(&file).expect("JSON");
        let back = CounterexampleFile::parse("cex.json", &v.to_string()).expect("reads back");
        assert_eq!(back.path(), steps);
        v["steps"][1]["step"]["extra"] = 1.into();
        let e = CounterexampleFile::parse("cex.json", &v.to_string()).expect_err("refused");
        assert!(
            e.contains("at `steps[1].step`") && e.contains("unknown field `extra`"),
            "{e}"
        );
        let text = serde_json::to_string(&file).expect("JSON");
        let e = CounterexampleFile::parse("cex.json", &format!("{text} []"))
            .expect_err("trailing text");
        assert!(e.contains("malformed JSON: trailing characters"), "{e}");
    }
}
