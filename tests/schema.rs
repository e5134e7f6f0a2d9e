//! The JSON Schemas rcsim prints: the committed copies stay equal to `rcsim schema`, every
//! committed scenario follows the scenario schema, and real results follow the result schema.
//! The validator below knows the keywords these schemas use and fails on any other, so a schema
//! that grows a new keyword cannot pass unchecked.

use crate::common;

use common::{rcsim, root, run_json, TempDir, EXIT_OK, EXIT_VIOLATION};
use serde_json::Value;

/// Keywords that only annotate.
const ANNOTATIONS: [&str; 6] = [
    "$schema",
    "title",
    "description",
    "default",
    "format",
    "$defs",
];

/// Checks `v` against `schema` (resolving `$ref` in `root`); pushes one line per problem.
fn validate(root: &Value, schema: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
    let Some(obj) = schema.as_object() else {
        if schema == &Value::Bool(false) {
            errs.push(format!("{at}: not allowed"));
        }
        return;
    };
    for (k, s) in obj {
        match k.as_str() {
            k if ANNOTATIONS.contains(&k) => {}
            // Patterns of unit strings: rcsim's own parser checks them, with better messages.
            "pattern" => {}
            "$ref" => {
                let path = s.as_str().expect("a $ref is a string");
                let name = path.strip_prefix("#/$defs/").expect("a local $ref");
                validate(root, &root["$defs"][name], v, at, errs);
            }
            "type" => {
                let types: Vec<&str> = match s {
                    Value::String(t) => vec![t.as_str()],
                    Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                    _ => panic!("bad type keyword {s}"),
                };
                let ok = types.iter().any(|t| match *t {
                    "object" => v.is_object(),
                    "array" => v.is_array(),
                    "string" => v.is_string(),
                    "boolean" => v.is_boolean(),
                    "null" => v.is_null(),
                    "number" => v.is_number(),
                    "integer" => v.is_i64() || v.is_u64(),
                    other => panic!("unknown type {other}"),
                });
                if !ok {
                    errs.push(format!("{at}: expected {types:?}, found {v}"));
                }
            }
            "properties" => {
                if let Some(o) = v.as_object() {
                    for (name, sub) in s.as_object().expect("properties is an object") {
                        if let Some(x) = o.get(name) {
                            validate(root, sub, x, &format!("{at}.{name}"), errs);
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Some(o) = v.as_object() {
                    let known = obj.get("properties").and_then(Value::as_object);
                    for (name, x) in o {
                        if known.is_none_or(|p| !p.contains_key(name)) {
                            validate(root, s, x, &format!("{at}.{name}"), errs);
                        }
                    }
                }
            }
            "required" => {
                if let Some(o) = v.as_object() {
                    for name in s.as_array().expect("required is an array") {
                        let name = name.as_str().expect("a field name");
                        if !o.contains_key(name) {
                            errs.push(format!("{at}: missing required `{name}`"));
                        }
                    }
                }
            }
            "items" => {
                if let Some(a) = v.as_array() {
                    for (i, x) in a.iter().enumerate() {
                        validate(root, s, x, &format!("{at}[{i}]"), errs);
                    }
                }
            }
            "minItems" => {
                let n = s.as_u64().expect("a count");
                if v.as_array().is_some_and(|a| (a.len() as u64) < n) {
                    errs.push(format!("{at}: fewer than {n} items"));
                }
            }
            "minimum" | "maximum" => {
                if let (Some(x), Some(b)) = (v.as_f64(), s.as_f64()) {
                    if (k == "minimum" && x < b) || (k == "maximum" && x > b) {
                        errs.push(format!("{at}: {x} is beyond the {k} {b}"));
                    }
                }
            }
            "const" => {
                if v != s {
                    errs.push(format!("{at}: expected {s}, found {v}"));
                }
            }
            "enum" => {
                if !s.as_array().expect("enum is an array").contains(v) {
                    errs.push(format!("{at}: {v} is not one of {s}"));
                }
            }
            "anyOf" | "oneOf" => {
                let alts = s.as_array().expect("alternatives");
                let passing = alts
                    .iter()
                    .filter(|alt| {
                        let mut e = Vec::new();
                        validate(root, alt, v, at, &mut e);
                        e.is_empty()
                    })
                    .count();
                let ok = if k == "anyOf" {
                    passing > 0
                } else {
                    passing == 1
                };
                if !ok {
                    errs.push(format!("{at}: {passing} of the {k} alternatives match {v}"));
                }
            }
            other => panic!("the test's validator does not know the keyword `{other}`"),
        }
    }
}

fn problems(schema: &Value, v: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    validate(schema, schema, v, "$", &mut errs);
    errs
}

fn printed(args: &[&str]) -> Value {
    let out = rcsim(args);
    out.assert_code(EXIT_OK).assert_no_panic();
    serde_json::from_str(&out.stdout).expect("a schema is JSON")
}

fn committed(name: &str) -> Value {
    let text = std::fs::read_to_string(root().join("schema").join(name)).expect("committed");
    serde_json::from_str(&text).expect("JSON")
}

#[test]
fn committed_schemas_equal_what_rcsim_prints() {
    // Regenerate with: rcsim schema > schema/scenario.schema.json;
    //                  rcsim schema --result > schema/result.schema.json
    assert_eq!(
        printed(&["schema"]),
        committed("scenario.schema.json"),
        "schema/scenario.schema.json is stale"
    );
    assert_eq!(
        printed(&["schema", "--result"]),
        committed("result.schema.json"),
        "schema/result.schema.json is stale"
    );
}

#[test]
fn the_result_schema_requires_every_field_the_contract_names() {
    let schema = printed(&["schema", "--result"]);
    let required: Vec<&str> = schema["required"]
        .as_array()
        .expect("a required list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for field in [
        "seed",
        "protocol",
        "scenario",
        "events",
        "sim_ns",
        "disaster_ns",
        "trace_hash",
        "consistent",
        "violations",
        "writes",
        "rpo",
        "latency_ns",
        "checkpoints",
        "image",
        "rcsim_version",
    ] {
        assert!(required.contains(&field), "{field} is not required");
    }
    // Every field is always written, so every property is required; a null one stays nullable.
    for p in schema["properties"].as_object().expect("properties").keys() {
        assert!(required.contains(&p.as_str()), "{p} is not required");
    }
    assert_eq!(
        schema["properties"]["disaster_ns"]["type"],
        serde_json::json!(["integer", "null"])
    );
}

#[test]
fn every_committed_scenario_follows_the_scenario_schema() {
    let schema = printed(&["schema"]);
    let mut n = 0;
    for e in std::fs::read_dir(root().join("scenarios")).expect("scenarios/") {
        let path = e.expect("entry").path();
        if path.extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("readable")).expect("JSON");
        let errs = problems(&schema, &v);
        assert!(errs.is_empty(), "{}: {errs:#?}", path.display());
        n += 1;
    }
    assert!(n > 10, "{n} scenarios");
    // The validator is not vacuous.
    let bad: Value = serde_json::json!({"name": 1, "duration": "1ms", "unknown": true});
    let errs = problems(&schema, &bad);
    assert!(errs.iter().any(|e| e.contains("$.name")), "{errs:?}");
    assert!(errs.iter().any(|e| e.contains("description")), "{errs:?}");
    assert!(errs.iter().any(|e| e.contains("unknown")), "{errs:?}");
}

#[test]
fn results_of_every_protocol_follow_the_result_schema() {
    let schema = printed(&["schema", "--result"]);
    for (protocol, code) in [
        ("checkpoint", EXIT_OK),
        ("independent", EXIT_VIOLATION),
        ("sync", EXIT_OK),
        ("central", EXIT_OK),
        ("cycle", EXIT_OK),
    ] {
        let r = run_json(
            "scenarios/patent-example.json",
            &["--protocol", protocol],
            code,
        );
        let errs = problems(&schema, &r);
        assert!(errs.is_empty(), "{protocol}: {errs:#?}");
        assert_eq!(r["rcsim_version"], env!("CARGO_PKG_VERSION"), "{protocol}");
    }
    let mut r = run_json("scenarios/patent-example.json", &[], EXIT_OK);
    r["latency_ns"]["exposure"]["p99"] = Value::String("fast".into());
    r.as_object_mut().expect("an object").remove("trace_hash");
    let errs = problems(&schema, &r);
    assert!(errs.iter().any(|e| e.contains("exposure.p99")), "{errs:?}");
    assert!(errs.iter().any(|e| e.contains("trace_hash")), "{errs:?}");
}

#[test]
fn results_without_samples_follow_the_result_schema() {
    let schema = printed(&["schema", "--result"]);
    let r = run_json(
        "scenarios/patent-example.json",
        &["--disaster-at", "0"],
        EXIT_OK,
    );
    assert!(r["latency_ns"]["host_write"]["p50"].is_null(), "{r}");
    let errs = problems(&schema, &r);
    assert!(errs.is_empty(), "{errs:#?}");
    // Null is allowed, leaving the figure out is not.
    let mut r = r;
    r["latency_ns"]["host_write"]
        .as_object_mut()
        .expect("an object")
        .remove("p99");
    let errs = problems(&schema, &r);
    assert!(errs.iter().any(|e| e.contains("p99")), "{errs:?}");
}

#[test]
fn a_scenario_may_name_its_schema() {
    let dir = TempDir::new("schema-key");
    let text =
        std::fs::read_to_string(root().join("scenarios/patent-figure1.json")).expect("scenario");
    let with = text.replacen(
        '{',
        "{\n  \"$schema\": \"../schema/scenario.schema.json\",",
        1,
    );
    let path = dir.write("with-schema.json", &with);
    let plain = run_json("scenarios/patent-figure1.json", &[], EXIT_VIOLATION);
    let named = run_json(&path, &[], EXIT_VIOLATION);
    assert_eq!(plain["trace_hash"], named["trace_hash"]);
}
