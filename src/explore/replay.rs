//! Counterexample files: the scenario itself, the fault budgets, the violation and the steps
//! (each with how it reads), written by `rcsim explore --out FILE` and re-executed step by step
//! by `rcsim explore --replay FILE`, which needs nothing else.

use serde::{Deserialize, Serialize};

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

/// Re-executes `steps` from the initial state, telling each; stops at the first violation.
/// Fails (naming the step) when a step is not enabled where the path takes it.
pub fn narrate(setup: &Setup, steps: &[Step]) -> Result<Narration, String> {
    let mut s = initial(setup);
    let mut lines = Vec::new();
    let mut choices = Vec::new();
    let mut violation = judge::always(setup, &s);
    for (k, &step) in steps.iter().enumerate() {
        if violation.is_some() {
            break;
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

    /// The steps alone.
    pub fn path(&self) -> Vec<Step> {
        self.steps.iter().map(|s| s.step).collect()
    }
}
