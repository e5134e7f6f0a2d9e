//! Command-line overrides of scenario fields, applied to the JSON before it is checked, so an
//! override is validated exactly like the file: `--set PATH=VALUE`, `--disaster-at`, `--protocol`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::doc::{self, Node, Part};
use super::units::Duration;
use crate::quote::bounded;

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
            .ok_or_else(|| format!("--set {}: expected PATH=VALUE", bounded(arg)))?;
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
                "--set {}: expected a dotted path such as protocol.checkpoint_interval",
                bounded(arg)
            ));
        }
        let value = match serde_json::from_str(raw) {
            Ok(v) => {
                // A `Value` keeps the last of two equal keys; a scenario file refuses them, and
                // so does a `--set` value, rather than let one silently replace the other.
                let mut de = serde_json::Deserializer::from_str(raw);
                if let Err(e) = super::stash::Stash::sorted(&mut de) {
                    return Err(format!("--set {}: {e}", bounded(path)));
                }
                v
            }
            Err(_) => Value::String(raw.to_string()),
        };
        Ok(Override::Set {
            path: path.split('.').map(str::to_string).collect(),
            value,
        })
    }

    /// Applies this override to a scenario's JSON, opening only what it walks through.
    pub fn apply(&self, root: &mut Node) -> Result<(), String> {
        match self {
            Override::Set { path, value } => set(root, path, value),
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

fn set(root: &mut Node, path: &[String], value: &Value) -> Result<(), String> {
    let shown = path.join(".");
    let mut here = root;
    for (i, seg) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        here.open();
        here = match here {
            Node::Object(map) => {
                if last {
                    map.insert(seg.clone(), Node::of(value));
                    return Ok(());
                }
                map.entry(seg.clone())
                    .or_insert_with(|| Node::Object(BTreeMap::new()))
            }
            Node::Array(parts) => {
                let len = doc::len(parts);
                let idx = crate::decimal::plain_u64(seg)
                    .and_then(|i| usize::try_from(i).ok())
                    .ok_or_else(|| {
                        format!(
                            "--set {shown}: `{seg}` indexes an array, expected an index in {}",
                            crate::decimal::EXPECTED
                        )
                    })?;
                let slot = doc::item(parts, idx).ok_or_else(|| {
                    format!("--set {shown}: index {idx} is past the end of an array of {len}")
                })?;
                if last {
                    *slot = Node::of(value);
                    return Ok(());
                }
                slot
            }
            Node::Kept(_) => {
                return Err(format!(
                    "--set {shown}: `{}` is not an object or array",
                    path[..i].join(".")
                ))
            }
        };
    }
    Ok(())
}

fn disaster_at(root: &mut Node, at: Duration) {
    root.open();
    let Node::Object(map) = root else {
        return;
    };
    let faults = map
        .entry("faults".to_string())
        .or_insert_with(|| Node::Array(Vec::new()));
    faults.open();
    // Anything but a list is left as it is, for validation to report.
    let Node::Array(parts) = faults else {
        return;
    };
    let mut list = doc::items(std::mem::take(parts));
    for fault in &mut list {
        fault.open();
    }
    let at_value = Node::of(&Value::String(at.to_string()));
    // A rolling disaster is the primary-site disaster too: it starts at `at`, over its own span.
    let existing = list.iter_mut().find_map(|f| match f {
        Node::Object(fields) => fields
            .get("kind")
            .and_then(Node::as_str)
            .is_some_and(|k| matches!(k, "disaster" | "rolling_disaster"))
            .then_some(fields),
        _ => None,
    });
    match existing {
        Some(fields) => {
            fields.insert("at".into(), at_value);
        }
        None => list.push(Node::of(
            &serde_json::json!({"kind": "disaster", "at": at.to_string()}),
        )),
    }
    *parts = list.into_iter().map(Part::One).collect();
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    /// `v` with `o` applied to it, or the override's error.
    fn applied(o: &Override, v: &Value) -> Result<Value, String> {
        let mut node = Node::of(v);
        o.apply(&mut node)?;
        node.into_stash()
            .read(|d| Value::deserialize(d).map_err(|e: serde_json::Error| e.to_string()))
    }

    /// `v` with every `--set` argument in `args` applied in order.
    fn set_all(v: Value, args: &[&str]) -> Value {
        args.iter().fold(v, |v, arg| {
            applied(&Override::parse(arg).expect("parses"), &v).expect("applies")
        })
    }

    /// A `--set` value with two equal keys, at any depth, is refused as a scenario file with
    /// them is, instead of the last silently winning.
    #[test]
    fn a_set_value_with_a_duplicate_key_is_refused() {
        for arg in [
            r#"subsystems.overrides.0={"subsystem":2,"copy_time":"20ms","copy_time":"0ns"}"#,
            r#"protocol={"kind":"sync","x":{"a":1,"a":2}}"#,
            r#"faults=[{"kind":"disaster","at":"1ms","at":"2ms"}]"#,
        ] {
            let e = Override::parse(arg).expect_err(arg);
            assert!(e.contains("duplicate field"), "{e}");
        }
        assert!(Override::parse(r#"protocol={"kind":"sync","a":{"kind":1}}"#).is_ok());
    }

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
        let v = set_all(
            json!({"protocol": {"kind": "sync"}, "faults": [{"at": "1ms"}]}),
            &[
                "protocol.kind=independent",
                "faults.0.at=2ms",
                "topology.pairs=4",
            ],
        );
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
        let o = Override::parse("faults.3.at=1ms").expect("parses");
        let e = applied(&o, &json!({"faults": []})).unwrap_err();
        assert!(e.contains("past the end"), "{e}");
        let o = Override::parse("name.x=1").expect("parses");
        let e = applied(&o, &json!({"name": "t"})).unwrap_err();
        assert!(e.ends_with("`name` is not an object or array"), "{e}");
    }

    #[test]
    fn disaster_at_replaces_or_adds() {
        let at = |ms| Override::DisasterAt(Duration::from_us(ms));
        let v = applied(
            &at(7000),
            &json!({"faults": [{"kind": "disaster", "at": "5ms"}]}),
        );
        assert_eq!(
            v,
            Ok(json!({"faults": [{"kind": "disaster", "at": "7ms"}]}))
        );
        let w = applied(&at(1500), &json!({}));
        assert_eq!(
            w,
            Ok(json!({"faults": [{"kind": "disaster", "at": "1500us"}]}))
        );
    }

    #[test]
    fn disaster_at_leaves_a_malformed_faults_field_for_validation() {
        let crash = json!({"kind": "crash", "at": "1ms", "subsystem": 2});
        let v = applied(
            &Override::DisasterAt(Duration::from_ms(7)),
            &json!({"faults": crash.clone()}),
        );
        assert_eq!(v, Ok(json!({"faults": crash})));
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
        let v = applied(
            &Override::DisasterAt(Duration::from_ms(9)),
            &json!({"faults": [crash.clone(), rolling("5ms")]}),
        );
        assert_eq!(v, Ok(json!({"faults": [crash, rolling("9ms")]})));
    }

    #[test]
    fn set_reaches_into_a_long_list_without_disturbing_the_rest() {
        let list: Vec<u32> = (0..1000).collect();
        let v = set_all(
            json!({"a": {"list": list, "b": 1}}),
            &[
                "a.list.500=x",
                "a.list.0=[1,{\"z\":2}]",
                "a.list.0.1.y=4",
                "a.list.999=9",
            ],
        );
        let mut want: Vec<Value> = (0..1000).map(Value::from).collect();
        want[500] = json!("x");
        want[0] = json!([1, {"z": 2, "y": 4}]);
        want[999] = json!(9);
        assert_eq!(v, json!({"a": {"list": want.clone(), "b": 1}}));
        for (arg, error) in [
            ("a.list.1.q=3", "`a.list.1` is not an object or array"),
            (
                "a.list.1000=3",
                "index 1000 is past the end of an array of 1000",
            ),
        ] {
            let e = applied(&Override::parse(arg).expect("parses"), &v).unwrap_err();
            assert!(e.ends_with(error), "{e}");
        }
    }
}
