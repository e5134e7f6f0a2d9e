//! `rcsim validate`, `rcsim schema`, and the scenario files shipped in `scenarios/`.

use crate::common;

use std::path::PathBuf;

use common::*;
use serde_json::Value;

#[test]
fn validate_says_figure1_is_valid() {
    let out = rcsim(&["validate", FIGURE1]);
    out.assert_code(EXIT_OK).assert_no_panic();
    assert!(out.stdout.contains("valid"), "{}", out.stdout);
    assert!(out.stdout.contains("patent-figure1"), "{}", out.stdout);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

#[test]
fn validate_rejects_a_bad_file_and_says_why() {
    let t = TempDir::new("validate_bad");
    let path = t.write(
        "bad.json",
        &mutate(r#""bandwidth": "100MB/s""#, r#""bandwidth": "0MB/s""#),
    );
    let out = rcsim(&["validate".as_ref(), path.as_os_str()]);
    out.assert_usage_error(&["bad.json", "links.bandwidth"]);
}

#[test]
fn validate_rejects_malformed_json() {
    let t = TempDir::new("validate_malformed");
    let path = t.write("broken.json", "{ \"name\": ");
    rcsim(&["validate".as_ref(), path.as_os_str()]).assert_usage_error(&["malformed JSON"]);
}

#[test]
fn validate_rejects_a_missing_file() {
    let t = TempDir::new("validate_missing");
    let path = t.join("absent.json");
    rcsim(&["validate".as_ref(), path.as_os_str()]).assert_usage_error(&["absent.json"]);
}

#[test]
fn schema_is_a_json_object_describing_the_scenario_format() {
    let out = rcsim(&["schema"]);
    out.assert_code(EXIT_OK).assert_no_panic();
    let schema = out.json();
    assert!(schema.is_object(), "schema is an object");
    let props = schema["properties"]
        .as_object()
        .expect("schema has top-level properties");
    for f in ["topology", "workloads", "protocol", "faults", "links"] {
        assert!(props.contains_key(f), "schema lacks `{f}`");
    }
    let required: Vec<&str> = schema["required"]
        .as_array()
        .expect("schema lists required fields")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(required.contains(&"topology"), "{required:?}");
    assert!(required.contains(&"workloads"), "{required:?}");
}

/// Every `*.json` file in `scenarios/`, sorted.
fn shipped_scenarios() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .expect("scenarios/ exists")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_shipped_scenario_validates_and_is_described() {
    let files = shipped_scenarios();
    for name in ["patent-figure1.json", "random-pairs.json"] {
        assert!(
            files.iter().any(|f| f.ends_with(name)),
            "scenarios/{name} is missing: {files:?}"
        );
    }
    for f in &files {
        let out = rcsim(&["validate".as_ref(), f.as_os_str()]);
        assert_eq!(
            out.code,
            EXIT_OK,
            "{} does not validate:\n{}",
            f.display(),
            out.stderr
        );
        let v: Value = serde_json::from_str(&std::fs::read_to_string(f).expect("readable"))
            .expect("scenario is JSON");
        let d = v["description"].as_str().unwrap_or_default();
        assert!(!d.trim().is_empty(), "{} has no description", f.display());
    }
}

#[test]
fn every_shipped_scenario_runs_to_a_verdict() {
    for f in shipped_scenarios() {
        let out = rcsim(&["run".as_ref(), f.as_os_str(), "--json".as_ref()]);
        assert!(
            out.code == EXIT_OK || out.code == EXIT_VIOLATION,
            "{} exited {}:\n{}",
            f.display(),
            out.code,
            out.stderr
        );
        out.assert_no_panic();
        let r = out.json();
        assert_eq!(r["consistent"], out.code == EXIT_OK, "{}", f.display());
    }
}

#[test]
fn validate_checks_several_files_and_reports_each_as_json() {
    let t = TempDir::new("validate_many");
    let bad = t.write(
        "bad.json",
        &mutate(r#""bandwidth": "100MB/s""#, r#""bandwidth": "0MB/s""#),
    );
    let good = t.write("good.json", BASE);
    let out = rcsim(&[
        "validate".as_ref(),
        good.as_os_str(),
        FIGURE1.as_ref(),
        "--json".as_ref(),
    ]);
    out.assert_code(EXIT_OK).assert_no_panic();
    let report = out.json();
    let files = report.as_array().expect("one object per file");
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["valid"], true);
    assert_eq!(files[1]["name"], "patent-figure1");
    let out = rcsim(&[
        "validate".as_ref(),
        good.as_os_str(),
        bad.as_os_str(),
        "--json".as_ref(),
    ]);
    out.assert_code(EXIT_USAGE).assert_no_panic();
    let report = out.json();
    assert_eq!(report[0]["valid"], true);
    assert_eq!(report[1]["valid"], false);
    assert!(
        report[1]["error"]
            .as_str()
            .expect("the error")
            .contains("links.bandwidth"),
        "{report}"
    );
}

#[test]
fn completions_and_the_man_page_are_generated() {
    let out = rcsim(&["completions", "bash"]);
    out.assert_code(EXIT_OK).assert_no_panic();
    assert!(out.stdout.contains("complete -F"), "{}", out.stdout);
    assert!(
        out.stdout.contains("--shard"),
        "the fuzz flags are completed"
    );
    let out = rcsim(&["completions", "zsh"]);
    out.assert_code(EXIT_OK);
    assert!(out.stdout.contains("#compdef rcsim"));
    let man = rcsim(&["man"]);
    man.assert_code(EXIT_OK);
    assert!(man.stdout.contains(".TH rcsim"), "{}", man.stdout);
    let fuzz = rcsim(&["man", "fuzz"]);
    fuzz.assert_code(EXIT_OK);
    assert!(fuzz.stdout.contains("\\-\\-resume"), "{}", fuzz.stdout);
    rcsim(&["man", "nonsense"]).assert_usage_error(&["nonsense"]);
}

#[test]
fn a_file_with_a_byte_order_mark_is_refused_naming_it() {
    let t = TempDir::new("validate_bom");
    let text = std::fs::read_to_string(root().join(FIGURE1)).expect("scenario");
    let path = t.write("bom.json", &format!("\u{feff}{text}"));
    let out = rcsim(&["validate".as_ref(), path.as_os_str()]);
    out.assert_usage_error(&["bom.json: 1:1", "UTF-8 byte-order mark; remove it"]);
    let out = rcsim(&["run".as_ref(), path.as_os_str()]);
    out.assert_usage_error(&["bom.json", "UTF-8 byte-order mark; remove it"]);
}

#[test]
fn standard_input_named_twice_is_refused_before_it_is_read() {
    rcsim(&["validate", "-", FIGURE1, "-"])
        .assert_usage_error(&["`-` (standard input) is named 2 times", "read only once"]);
}

/// Standard input under two other names, or `-` and one of them, is one stream too: the second
/// reading would find it empty and report a bogus "expected value". The same regular file twice
/// reads the same both times and stays allowed.
#[cfg(unix)]
#[test]
fn one_stream_named_twice_under_any_names_is_refused() {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let text = std::fs::read(root().join(FIGURE1)).expect("scenario");
    for names in [["/dev/stdin", "/dev/stdin"], ["-", "/dev/fd/0"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rcsim"))
            .arg("validate")
            .args(names)
            .current_dir(root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts");
        // Refused before anything is read, so the pipe may close unread.
        let _ = child.stdin.take().expect("stdin").write_all(&text);
        let out = child.wait_with_output().expect("ends");
        let out = Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).expect("UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("UTF-8"),
        };
        out.assert_usage_error(&[
            &format!("`{}` and `{}` name the same stream", names[0], names[1]),
            "name it once",
        ]);
    }
    let twice = rcsim(&["validate", FIGURE1, FIGURE1]);
    twice.assert_code(EXIT_OK);
    assert_eq!(twice.stdout.lines().count(), 2, "{}", twice.stdout);
}
