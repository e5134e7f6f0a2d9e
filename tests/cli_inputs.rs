//! What `run`, `replay` and `shrink` take and give beyond files: a scenario on stdin (`run -`), a
//! reproducer given to `run`, traces written by `replay`, `shrink --json`, `--seeds N`, and a
//! failing run's summary that names the first violations and counts the rest.

use crate::common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{rcsim, trace_hash, TempDir, EXIT_OK, EXIT_VIOLATION, FIGURE1};

/// A failing reproducer: seed 3 of an `independent` campaign.
fn reproducer(d: &TempDir) -> std::path::PathBuf {
    let out = d.path().to_string_lossy().to_string();
    rcsim(&[
        "fuzz",
        "--seeds",
        "3..4",
        "--protocol",
        "independent",
        "--out",
        &out,
    ])
    .assert_code(EXIT_VIOLATION);
    d.join("repro/seed-3.json")
}

#[test]
fn run_reads_a_scenario_from_stdin() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rcsim"))
        .args(["run", "-", "--json"])
        .current_dir(common::root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let text = std::fs::read(common::root().join(FIGURE1)).expect("scenario");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&text)
        .expect("written");
    let out = child.wait_with_output().expect("ends");
    let from_stdin: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let from_file = common::run_json(FIGURE1, &[], out.status.code().expect("exit code"));
    assert_eq!(trace_hash(&from_stdin), trace_hash(&from_file));
}

#[test]
fn run_takes_a_reproducer_and_replay_writes_its_traces() {
    let d = TempDir::new("inputs-repro");
    let repro = reproducer(&d);
    let recorded: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&repro).expect("repro")).expect("JSON");
    let r = common::run_json(&repro, &[], EXIT_VIOLATION);
    assert_eq!(r["seed"], 3, "the reproducer's seed");
    assert_eq!(r["trace_hash"], recorded["expected"]["trace_hash"]);

    let (trace, chrome) = (d.join("t.jsonl"), d.join("c.json"));
    let o = rcsim(&[
        "replay".as_ref(),
        repro.as_os_str(),
        "--trace".as_ref(),
        trace.as_os_str(),
        "--chrome-trace".as_ref(),
        chrome.as_os_str(),
    ]);
    o.assert_no_panic();
    assert!(common::read_trace(&trace).len() > 10);
    let c: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&chrome).expect("chrome")).expect("JSON");
    assert!(c["traceEvents"].as_array().is_some_and(|a| !a.is_empty()));

    let o = rcsim(&["run".as_ref(), repro.as_os_str()]);
    o.assert_code(EXIT_VIOLATION);
    let shown = o.stdout.matches("VIOLATION").count();
    assert!((1..=5).contains(&shown), "{}", o.stdout);
    if r["violation_count"].as_u64() > Some(5) {
        assert!(o.stdout.contains("more,"), "{}", o.stdout);
    }
}

#[test]
fn shrink_reports_sizes_as_json() {
    let d = TempDir::new("inputs-shrink");
    let repro = reproducer(&d);
    let out = d.join("small.json");
    let o = rcsim(&[
        "shrink".as_ref(),
        repro.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--json".as_ref(),
    ]);
    o.assert_code(EXIT_VIOLATION);
    let s = o.json();
    for k in ["pairs", "faults", "writes", "events"] {
        assert!(
            s["after"][k].as_u64() <= s["before"][k].as_u64(),
            "{k} did not grow: {s}"
        );
    }
    assert!(s["after"]["events"].as_u64() < s["before"]["events"].as_u64());
    assert!(out.exists());
}

#[test]
fn seeds_n_means_zero_to_n() {
    let o = rcsim(&["fuzz", "--seeds", "5", "--json"]);
    o.assert_code(EXIT_OK);
    assert_eq!(o.json()["seeds"], 5);
}

/// `replay` names the trace file it cannot write, as `run` does, for either kind of trace.
#[test]
fn replay_names_a_trace_it_cannot_write() {
    let d = TempDir::new("replay-trace-error");
    let repro = reproducer(&d);
    let repro = repro.to_str().expect("utf-8");
    let dir = d.join("a-directory");
    std::fs::create_dir(&dir).expect("mkdir");
    let dir = dir.to_str().expect("utf-8");
    for (flag, what) in [
        ("--trace", "cannot write the trace file"),
        ("--chrome-trace", "cannot write the Chrome trace"),
    ] {
        rcsim(&["replay", repro, flag, dir]).assert_usage_error(&[what, dir, "directory"]);
    }
}

/// `validate` and `run` refuse the reproducers `replay` refuses: another format version, or a
/// top-level protocol that is not the embedded scenario's.
#[test]
fn validate_and_run_check_a_reproducer_as_replay_does() {
    let d = TempDir::new("repro-checks");
    let repro = reproducer(&d);
    let text = std::fs::read_to_string(&repro).expect("reproducer");
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let mut version = v.clone();
    version["rcsim_repro"] = serde_json::json!(2);
    v["protocol"] = serde_json::json!("sync");
    for (name, edited, fragment) in [
        (
            "version.json",
            version,
            "reproducer format 2 is not supported",
        ),
        ("protocol.json", v, "at `protocol`: expected `independent`"),
    ] {
        let path = d.write(name, &edited.to_string());
        let path = path.to_str().expect("utf-8");
        for command in ["validate", "run", "replay"] {
            rcsim(&[command, path]).assert_usage_error(&[fragment]);
        }
    }
}

/// Ctrl-C while `run -` waits for its scenario on standard input ends it at once, by the
/// signal's default action: the handler that makes a run stop cleanly is installed only once
/// the inputs are read (with it installed, the read resumed and swallowed the first Ctrl-C).
#[cfg(target_os = "linux")]
#[test]
fn ctrl_c_while_a_scenario_is_read_from_stdin_ends_the_run() {
    use std::os::unix::process::ExitStatusExt;
    let mut child = common::signalable(&["run", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let _keep_open = child.stdin.take().expect("stdin");
    // Wait until it blocks in read(0, ...): /proc/PID/syscall starts with read's number, 0, and
    // the descriptor, 0x0.
    let syscall = format!("/proc/{}/syscall", child.id());
    let reading = || std::fs::read_to_string(&syscall).is_ok_and(|s| s.starts_with("0 0x0 "));
    for _ in 0..2000 {
        if reading() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(reading(), "rcsim run - should be reading standard input");
    common::signal(&child, libc::SIGINT);
    let mut status = None;
    for _ in 0..2000 {
        status = child.try_wait().expect("waits");
        if status.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the first Ctrl-C did not end `rcsim run -` waiting on standard input");
    };
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status}");
}
