//! The scenario format: serde types, loading with precise error messages (file, line:column or
//! JSON path, what was expected), command-line overrides, semantic validation and the JSON Schema.

pub mod bounds;
pub mod cumulative;
mod defaults;
pub mod dist;
pub mod doc;
pub mod fault;
pub mod iotrace;
pub mod overrides;
pub mod protocol;
pub mod replay;
pub mod shape;
pub mod stash;
pub mod tagged;
pub mod tracked;
pub mod types;
pub mod units;
pub mod validate;
pub mod volume;
pub mod workload;

use std::fmt;
use std::path::Path;

pub use overrides::Override;
pub use types::Scenario;

/// Why a scenario could not be used; every message names where and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file (or source) the scenario came from.
    pub source: String,
    /// One line per problem.
    pub problems: Vec<String>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}: {}", self.source, crate::quote::elided(p))?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

impl ScenarioError {
    /// An error with a single problem about `source`.
    pub fn one(source: &str, problem: String) -> Self {
        ScenarioError {
            source: source.to_string(),
            problems: vec![problem],
        }
    }
}

/// Largest scenario or reproducer file rcsim reads (64 MiB): a larger one, or an endless one
/// such as `/dev/zero`, is refused after reading this much.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Reads a whole UTF-8 text file of at most [`MAX_FILE_BYTES`], or says why not.
pub fn read_text(path: &Path) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read the file: {e}"))?;
    read_text_from(file)
}

/// Reads a whole UTF-8 text stream (a file, standard input) of at most [`MAX_FILE_BYTES`], or
/// says why not; a stream that goes on past that (`/dev/zero`) is refused, not read forever.
/// A stream that starts with a UTF-8 byte-order mark (as some Windows editors save) is refused
/// by name: JSON text has none, and the parser would only say it expected a value.
pub fn read_text_from(stream: impl std::io::Read) -> Result<String, String> {
    let bytes = crate::output::read_at_most(stream, MAX_FILE_BYTES)
        .map_err(|e| format!("cannot read the file: {e}"))?
        .ok_or_else(|| {
            format!("the file is larger than {MAX_FILE_BYTES} bytes: expected a JSON scenario")
        })?;
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        return Err(
            "1:1: the file starts with a UTF-8 byte-order mark; remove it (JSON text \
                    has none)"
                .into(),
        );
    }
    String::from_utf8(bytes).map_err(|e| format!("the file is not UTF-8 text: {e}"))
}

/// Reads and checks the scenario at `path`, applying `overrides` in order; files it names
/// (trace files) are taken relative to the scenario file's directory.
pub fn load(path: &Path, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
    let source = path.display().to_string();
    let text = read_text(path).map_err(|e| ScenarioError::one(&source, e))?;
    let base = path.parent().unwrap_or(Path::new(""));
    parse_in(&source, &text, overrides, base)
}

/// Parses and checks scenario `text` (named `source` in messages), applying `overrides`; files
/// it names are taken relative to the working directory.
pub fn parse(source: &str, text: &str, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
    parse_in(source, text, overrides, Path::new(""))
}

/// Like [`parse`], with the files the scenario names taken relative to `base`.
pub fn parse_in(
    source: &str,
    text: &str,
    overrides: &[Override],
    base: &Path,
) -> Result<Scenario, ScenarioError> {
    serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(|e| {
        ScenarioError::one(
            source,
            format!(
                "{}:{}: malformed JSON: {}",
                e.line(),
                e.column(),
                strip_position(&e)
            ),
        )
    })?;
    let mut scenario = if overrides.is_empty() {
        let mut de = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize::<_, Scenario>(&mut de).map_err(|e| {
            let inner = e.inner();
            let (path, msg) = tracked::located(&e.path().to_string(), &strip_position(inner));
            ScenarioError::one(
                source,
                format!("{}:{}: at `{path}`: {msg}", inner.line(), inner.column()),
            )
        })?
    } else {
        // Reread so that a key repeated anywhere in the file is refused as it is without
        // overrides, rather than resolved last-wins before the overrides apply.
        let mut doc = doc::read(text).map_err(|e| {
            let inner = e.inner();
            ScenarioError::one(
                source,
                format!(
                    "{}:{}: at `{}`: {}",
                    inner.line(),
                    inner.column(),
                    e.path(),
                    strip_position(inner)
                ),
            )
        })?;
        for o in overrides {
            o.apply(&mut doc)
                .map_err(|p| ScenarioError::one(source, p))?;
        }
        let edited = doc.into_stash();
        let read = |d: stash::StashDe<'_, '_, serde_json::Error>| {
            serde_path_to_error::deserialize::<_, Scenario>(d)
        };
        edited.read(read).map_err(|e| {
            let (path, msg) = tracked::located(&e.path().to_string(), &e.inner().to_string());
            ScenarioError::one(source, format!("at `{path}` (after overrides): {msg}"))
        })?
    };
    resolve_paths(&mut scenario, base);
    let problems = validate::check(&scenario);
    if problems.is_empty() {
        Ok(scenario)
    } else {
        Err(ScenarioError {
            source: source.to_string(),
            problems,
        })
    }
}

/// Makes the relative file names inside `scenario` relative to `base` instead.
fn resolve_paths(scenario: &mut Scenario, base: &Path) {
    for w in &mut scenario.workloads {
        if let types::Workload::Trace(t) = w {
            t.resolve(base);
        }
    }
}

/// `e`'s message without the " at line L column C" serde_json appends: rcsim's messages give
/// the position first, as `file:line:column`.
pub fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The JSON Schema of the scenario format, pretty-printed.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(Scenario);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_byte_order_mark_is_named_not_left_to_the_parser() {
        let e = read_text_from(&b"\xEF\xBB\xBF{}"[..]).expect_err("a BOM");
        assert!(e.contains("UTF-8 byte-order mark; remove it"), "{e}");
        assert_eq!(read_text_from(&b"{}"[..]).expect("plain"), "{}");
    }

    const MINIMAL: &str = r#"{
  "name": "t",
  "description": "d",
  "duration": "10ms",
  "topology": {"pairs": 2},
  "workloads": [{"kind": "random", "rate": "1000/s"}]
}"#;

    #[test]
    fn a_minimal_scenario_loads_with_defaults() {
        let s = parse("t.json", MINIMAL, &[]).expect("valid");
        assert_eq!(s.topology.pairs, 2);
        assert_eq!(s.topology.blocks_per_volume, 1024);
        assert_eq!(s.protocol.kind, types::ProtocolKind::Checkpoint);
    }

    #[test]
    fn malformed_json_gives_line_and_column() {
        let e = parse("bad.json", "{\n  \"name\": \"x\",\n  oops\n}", &[]).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("bad.json: 3:3: malformed JSON"), "{msg}");
    }

    #[test]
    fn unknown_field_names_field_and_path() {
        let text = MINIMAL.replace("\"pairs\": 2", "\"pairs\": 2, \"pears\": 3");
        let msg = parse("t.json", &text, &[]).unwrap_err().to_string();
        assert!(msg.contains("`topology.pears`"), "{msg}");
        assert!(msg.contains("unknown field `pears`"), "{msg}");
    }

    #[test]
    fn bad_units_name_the_path() {
        let text = MINIMAL.replace("\"10ms\"", "\"10 parsecs\"");
        let msg = parse("t.json", &text, &[]).unwrap_err().to_string();
        assert!(msg.contains("at `duration`"), "{msg}");
    }

    #[test]
    fn overrides_apply_before_checking() {
        let o = [Override::parse("topology.pairs=3").expect("valid override")];
        let s = parse("t.json", MINIMAL, &o).expect("valid");
        assert_eq!(s.topology.pairs, 3);
        let bad = [Override::parse("topology.pairs=\"many\"").expect("valid override")];
        let msg = parse("t.json", MINIMAL, &bad).unwrap_err().to_string();
        assert!(msg.contains("topology.pairs"), "{msg}");
    }

    #[test]
    fn duplicate_keys_inside_a_workload_or_shape_are_refused() {
        for (from, to, at) in [
            (
                r#""rate": "1000/s""#,
                r#""rate": "1000/s", "rate": "5/s""#,
                "`workloads[0]`",
            ),
            (
                r#""kind": "random""#,
                r#""kind": "random", "kind": "dbms""#,
                "`workloads[0]`",
            ),
            (
                r#""rate": "1000/s""#,
                r#""rate": "1000/s", "shape": {"kind": "on_off", "kind": "schedule"}"#,
                "`workloads[0].shape`",
            ),
        ] {
            let msg = parse("t.json", &MINIMAL.replace(from, to), &[])
                .unwrap_err()
                .to_string();
            assert!(msg.contains(at) && msg.contains("duplicate field"), "{msg}");
        }
    }

    #[test]
    fn schema_names_the_top_level_fields() {
        let s = schema_json();
        for f in ["topology", "workloads", "faults", "protocol", "primary_lan"] {
            assert!(s.contains(f), "{f} missing from schema");
        }
    }
}
