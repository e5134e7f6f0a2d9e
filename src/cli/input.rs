//! What `rcsim run` reads: a scenario file, `-` for a scenario on stdin, or a reproducer file
//! (its embedded scenario, with the reproducer's seed unless `--seed` says otherwise).

use std::path::Path;

use rcsim::fuzz::repro::Repro;
use rcsim::scenario::{parse_in, Override, Scenario, ScenarioError};

/// A scenario to run and the seed its source suggests (a reproducer's), if any.
pub(super) struct Input {
    /// The checked scenario, overrides applied.
    pub scenario: Scenario,
    /// The reproducer's seed, when the file was one.
    pub seed: Option<u64>,
}

/// Reads `path` (`-` for stdin) as a scenario or a reproducer and applies `overrides`.
pub(super) fn load(path: &Path, overrides: &[Override]) -> Result<Input, ScenarioError> {
    let stdin = path.as_os_str() == "-";
    let source = if stdin {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    };
    let text = if stdin {
        rcsim::scenario::read_text_from(std::io::stdin().lock())
    } else {
        rcsim::scenario::read_text(path)
    }
    .map_err(|e| ScenarioError::one(&source, e))?;
    let base = if stdin {
        Path::new("")
    } else {
        path.parent().unwrap_or(Path::new(""))
    };
    let is_repro = serde_json::from_str::<serde_json::Value>(&text)
        .is_ok_and(|v| v.get("rcsim_repro").is_some());
    if !is_repro {
        let scenario = parse_in(&source, &text, overrides, base)?;
        return Ok(Input {
            scenario,
            seed: None,
        });
    }
    let repro: Repro = serde_json::from_str(&text).map_err(|e| ScenarioError {
        source: source.clone(),
        problems: vec![format!("not a reproducer: {e}")],
    })?;
    let embedded = serde_json::to_string(&repro.scenario).unwrap_or_default();
    let scenario = parse_in(&format!("{source} (scenario)"), &embedded, overrides, base)?;
    Ok(Input {
        scenario,
        seed: Some(repro.seed),
    })
}
