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
    if !is_repro(&text) {
        let scenario = parse_in(&source, &text, overrides, base)?;
        return Ok(Input {
            scenario,
            seed: None,
        });
    }
    let repro = Repro::parse(&source, &text)?;
    let embedded = serde_json::to_string(&repro.scenario).unwrap_or_default();
    let scenario = parse_in(&format!("{source} (scenario)"), &embedded, overrides, base)?;
    Ok(Input {
        scenario,
        seed: Some(repro.seed),
    })
}

/// Whether `text` is a JSON object with a top-level `rcsim_repro` key: read without building the
/// document, whose values (a scenario may be tens of megabytes) are skipped.
fn is_repro(text: &str) -> bool {
    serde_json::from_str::<HasReproKey>(text).is_ok_and(|h| h.0)
}

/// Whether a JSON value is an object with an `rcsim_repro` key.
struct HasReproKey(bool);

impl<'de> serde::Deserialize<'de> for HasReproKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(HasReproKeyVisitor)
    }
}

/// Looks through an object's keys for `rcsim_repro`; any other value has none.
struct HasReproKeyVisitor;

impl<'de> serde::de::Visitor<'de> for HasReproKeyVisitor {
    type Value = HasReproKey;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<HasReproKey, A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            found |= key == "rcsim_repro";
            map.next_value::<serde::de::IgnoredAny>()?;
        }
        Ok(HasReproKey(found))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<HasReproKey, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(HasReproKey(false))
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<HasReproKey, E> {
        Ok(HasReproKey(false))
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<HasReproKey, E> {
        Ok(HasReproKey(false))
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<HasReproKey, E> {
        Ok(HasReproKey(false))
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<HasReproKey, E> {
        Ok(HasReproKey(false))
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<HasReproKey, E> {
        Ok(HasReproKey(false))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<HasReproKey, E> {
        Ok(HasReproKey(false))
    }
}

#[cfg(test)]
mod tests {
    use super::is_repro;

    #[test]
    fn a_reproducer_is_told_by_its_top_level_key() {
        assert!(is_repro(
            r#"{"seed": 1, "rcsim_repro": 1, "scenario": {"a": [1, 2]}}"#
        ));
        assert!(!is_repro(
            r#"{"name": "t", "workloads": [{"rcsim_repro": 1}]}"#
        ));
        assert!(!is_repro(r#"[{"rcsim_repro": 1}]"#));
        assert!(!is_repro(r#""rcsim_repro""#));
        assert!(!is_repro(r#"{"rcsim_repro": 1,"#));
    }
}
