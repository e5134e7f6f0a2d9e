//! Command-line overrides of scenario fields, applied to the JSON before it is checked, so an
//! override is validated exactly like the file: `--set PATH=VALUE`, `--disaster-at`, `--protocol`.

use serde_json::Value;

use super::units::Duration;

/// Most segments a `--set` path may have: the deepest field of a scenario is a few levels down,
/// and a path of tens of thousands of segments would build JSON nested too deep to check.
pub const MAX_SET_DEPTH: usize = 32;
/// Longest `--set` path, in bytes.
pub const MAX_SET_PATH_BYTES: usize = 1024;

/// One change to a scenario's JSON.
#[derive(Clone, Debug, PartialEq)]
pub enum Override {
    /// Set the field at a dotted path (array elements by index) to a value.
    Set {
        /// Path segments, e.g. `["protocol", "checkpoint_interval"]`.
        path: Vec<String>,
        /// The new value (JSON if it parses as JSON, else a string).
        value: Value,
    },
    /// Put the primary-site disaster at this time, adding one if there is none.
    DisasterAt(Duration),
}

impl Override {
    /// Parses `PATH=VALUE` as given to `--set`.
    pub fn parse(arg: &str) -> Result<Self, String> {
        let (path, raw) = arg
            .split_once('=')
            .ok_or_else(|| format!("--set {arg}: expected PATH=VALUE"))?;
        if path.len() > MAX_SET_PATH_BYTES {
            return Err(format!(
                "--set: the path is {} bytes long: expected at most {MAX_SET_PATH_BYTES}",
                path.len()
            ));
        }
        let depth = path.split('.').count();
        if depth > MAX_SET_DEPTH {
            return Err(format!(
                "--set: the path has {depth} segments: expected at most {MAX_SET_DEPTH}"
            ));
        }
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(format!(
                "--set {arg}: expected a dotted path such as protocol.checkpoint_interval"
            ));
        }
        let value = serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_string()));
        Ok(Override::Set {
            path: path.split('.').map(str::to_string).collect(),
            value,
        })
    }

    /// Applies this override to a scenario's JSON.
    pub fn apply(&self, root: &mut Value) -> Result<(), String> {
        match self {
            Override::Set { path, value } => set(root, path, value.clone()),
            Override::DisasterAt(at) => {
                disaster_at(root, *at);
                Ok(())
            }
        }
    }

    /// The `--set PATH=VALUE` argument that gives this override back, if it is a `--set` (for
    /// the command lines that reports print to reproduce themselves).
    pub fn set_arg(&self) -> Option<String> {
        let Override::Set { path, value } = self else {
            return None;
        };
        let v = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        Some(format!("--set {}={v}", path.join(".")))
    }
}

fn set(root: &mut Value, path: &[String], value: Value) -> Result<(), String> {
    let shown = path.join(".");
    let mut here = root;
    for (i, seg) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        here = match here {
            Value::Object(map) => {
                if last {
                    map.insert(seg.clone(), value);
                    return Ok(());
                }
                map.entry(seg.clone())
                    .or_insert_with(|| Value::Object(Default::default()))
            }
            Value::Array(items) => {
                let len = items.len();
                let idx: usize = seg.parse().map_err(|_| {
                    format!("--set {shown}: `{seg}` indexes an array, expected a number")
                })?;
                let slot = items.get_mut(idx).ok_or_else(|| {
                    format!("--set {shown}: index {idx} is past the end of an array of {len}")
                })?;
                if last {
                    *slot = value;
                    return Ok(());
                }
                slot
            }
            _ => {
                return Err(format!(
                    "--set {shown}: `{}` is not an object or array",
                    path[..i].join(".")
                ))
            }
        };
    }
    Ok(())
}

fn disaster_at(root: &mut Value, at: Duration) {
    let Value::Object(map) = root else {
        return;
    };
    // Anything but a list is left as it is, for validation to report.
    let Value::Array(list) = map
        .entry("faults")
        .or_insert_with(|| Value::Array(Vec::new()))
    else {
        return;
    };
    let at_value = Value::String(at.to_string());
    // A rolling disaster is the primary-site disaster too: it starts at `at`, over its own span.
    let existing = list.iter_mut().find(|f| {
        matches!(
            f.get("kind").and_then(Value::as_str),
            Some("disaster" | "rolling_disaster")
        )
    });
    match existing {
        Some(Value::Object(f)) => {
            f.insert("at".into(), at_value);
        }
        _ => list.push(serde_json::json!({"kind": "disaster", "at": at_value})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_set_gives_back_the_argument_it_was_parsed_from() {
        for arg in [
            "protocol.kind=sync",
            "topology.pairs=4",
            "workloads.0.data=[{\"subsystem\":2}]",
        ] {
            let o = Override::parse(arg).expect("parses");
            assert_eq!(o.set_arg(), Some(format!("--set {arg}")));
        }
        assert_eq!(Override::DisasterAt(Duration::from_ms(3)).set_arg(), None);
    }

    #[test]
    fn set_replaces_nested_fields_and_array_items() {
        let mut v = json!({"protocol": {"kind": "sync"}, "faults": [{"at": "1ms"}]});
        Override::parse("protocol.kind=independent")
            .expect("parses")
            .apply(&mut v)
            .expect("applies");
        Override::parse("faults.0.at=2ms")
            .expect("parses")
            .apply(&mut v)
            .expect("applies");
        Override::parse("topology.pairs=4")
            .expect("parses")
            .apply(&mut v)
            .expect("applies");
        assert_eq!(
            v,
            json!({"protocol": {"kind": "independent"}, "faults": [{"at": "2ms"}],
                   "topology": {"pairs": 4}})
        );
    }

    #[test]
    fn bad_set_arguments_are_explained() {
        assert!(Override::parse("novalue")
            .unwrap_err()
            .contains("PATH=VALUE"));
        assert!(Override::parse("a..b=1")
            .unwrap_err()
            .contains("dotted path"));
        let mut v = json!({"faults": []});
        let e = Override::parse("faults.3.at=1ms")
            .expect("parses")
            .apply(&mut v)
            .unwrap_err();
        assert!(e.contains("past the end"), "{e}");
    }

    #[test]
    fn disaster_at_replaces_or_adds() {
        let mut v = json!({"faults": [{"kind": "disaster", "at": "5ms"}]});
        Override::DisasterAt(Duration::from_ms(7))
            .apply(&mut v)
            .expect("applies");
        assert_eq!(v, json!({"faults": [{"kind": "disaster", "at": "7ms"}]}));
        let mut w = json!({});
        Override::DisasterAt(Duration::from_us(1500))
            .apply(&mut w)
            .expect("applies");
        assert_eq!(w, json!({"faults": [{"kind": "disaster", "at": "1500us"}]}));
    }

    #[test]
    fn disaster_at_leaves_a_malformed_faults_field_for_validation() {
        let crash = json!({"kind": "crash", "at": "1ms", "subsystem": 2});
        let mut v = json!({"faults": crash.clone()});
        Override::DisasterAt(Duration::from_ms(7))
            .apply(&mut v)
            .expect("applies");
        assert_eq!(v, json!({"faults": crash}));
    }

    #[test]
    fn over_deep_or_long_paths_are_refused() {
        let deep = vec!["a"; MAX_SET_DEPTH + 1].join(".");
        let e = Override::parse(&format!("{deep}=1")).unwrap_err();
        assert!(e.contains("segments") && e.contains("at most 32"), "{e}");
        let ok = vec!["a"; MAX_SET_DEPTH].join(".");
        assert!(Override::parse(&format!("{ok}=1")).is_ok());
        let long = "a".repeat(MAX_SET_PATH_BYTES + 1);
        let e = Override::parse(&format!("{long}=1")).unwrap_err();
        assert!(e.contains("bytes long"), "{e}");
    }

    #[test]
    fn disaster_at_moves_a_rolling_disaster_rather_than_adding_one() {
        let rolling = |at: &str| json!({"kind": "rolling_disaster", "at": at, "over": "2ms"});
        let crash = json!({"kind": "crash", "at": "1ms", "subsystem": 2});
        let mut v = json!({"faults": [crash.clone(), rolling("5ms")]});
        Override::DisasterAt(Duration::from_ms(9))
            .apply(&mut v)
            .expect("applies");
        assert_eq!(v, json!({"faults": [crash, rolling("9ms")]}));
    }
}
