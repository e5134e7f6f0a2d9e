//! Output files and standard streams under hostile conditions: special files are written, not
//! replaced; links are refused, never written through; no temporary file is left behind; a
//! closed pipe or stream never makes rcsim panic.

use crate::common;

use std::io::Read;
use std::process::{Command, Stdio};

use common::{rcsim, TempDir, EXIT_USAGE, EXIT_VIOLATION, FIGURE1};

/// The names in `dir`, sorted.
fn names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[cfg(unix)]
#[test]
fn a_fifo_target_is_written_not_replaced() {
    let d = TempDir::new("fifo");
    let fifo = d.join("trace.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).expect("read fifo"))
    };
    let out = rcsim(&["run", FIGURE1, "--trace", fifo.to_str().expect("utf-8")]);
    out.assert_code(EXIT_VIOLATION).assert_no_panic();
    let got = reader.join().expect("reader");
    assert!(
        got.contains("\"ev\":\"start-copy\""),
        "the FIFO reader got: {got:?}"
    );
    use std::os::unix::fs::FileTypeExt;
    let ft = std::fs::symlink_metadata(&fifo).expect("fifo").file_type();
    assert!(ft.is_fifo(), "the FIFO was replaced");
    assert_eq!(names(d.path()), ["trace.fifo"]);
}

#[cfg(unix)]
#[test]
fn a_symlink_target_is_refused_and_its_victim_untouched() {
    let d = TempDir::new("symlink");
    let victim = d.write("victim.txt", "keep me");
    let link = d.join("trace.jsonl");
    std::os::unix::fs::symlink(&victim, &link).expect("symlink");
    for flag in ["--trace", "--chrome-trace"] {
        let out = rcsim(&["run", FIGURE1, flag, link.to_str().expect("utf-8")]);
        out.assert_usage_error(&["trace.jsonl", "symbolic link"]);
        assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "keep me");
        assert!(std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink());
    }
    assert_eq!(names(d.path()), ["trace.jsonl", "victim.txt"]);
}

#[test]
fn a_directory_in_the_way_of_result_json_leaves_no_temporary_file() {
    let d = TempDir::new("ontodir");
    std::fs::create_dir(d.join("result.json")).expect("mkdir");
    let out = rcsim(&["run", FIGURE1, "--out", d.path().to_str().expect("utf-8")]);
    out.assert_code(EXIT_USAGE).assert_no_panic();
    assert!(out.stderr.contains("result.json"), "{}", out.stderr);
    assert_eq!(names(d.path()), ["result.json"]);
}

#[test]
fn a_regular_target_is_replaced_whole_and_nothing_else_is_left() {
    let d = TempDir::new("regular");
    let t = d.write("trace.jsonl", "old contents that must go\n");
    rcsim(&["run", FIGURE1, "--trace", t.to_str().expect("utf-8")])
        .assert_code(EXIT_VIOLATION)
        .assert_no_panic();
    let text = std::fs::read_to_string(&t).expect("trace");
    assert!(text.starts_with("{\"ev\":\"start-copy\""), "{text}");
    assert!(!text.contains("old contents"));
    assert_eq!(names(d.path()), ["trace.jsonl"]);
}

#[test]
fn a_dash_writes_the_trace_to_stdout() {
    let out = rcsim(&["run", FIGURE1, "--trace", "-"]);
    out.assert_code(EXIT_VIOLATION).assert_no_panic();
    assert!(
        out.stdout.contains("\"ev\":\"start-copy\""),
        "{}",
        out.stdout
    );
    assert!(
        !common::root().join("-").exists(),
        "a file named - was made"
    );
}

#[test]
fn a_closed_pipe_on_stdout_ends_quietly() {
    // The reading end is closed before rcsim writes anything, so its first write hits a
    // broken pipe.
    let mut child = Command::new(env!("CARGO_BIN_EXE_rcsim"))
        .args(["run", FIGURE1, "--trace", "-"])
        .current_dir(common::root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("read stderr");
    let status = child.wait().expect("wait");
    assert!(!err.contains("panicked"), "rcsim panicked:\n{err}");
    // With the trace on stdout the human summary goes to stderr, and whether it is printed
    // depends on when the broken pipe is noticed; a message about the pipe never is.
    let lower = err.to_lowercase();
    assert!(
        !lower.contains("pipe") && !lower.contains("error"),
        "a closed pipe is not worth a message:\n{err}"
    );
    assert_ne!(status.code(), Some(101), "exit 101 is a panic");
}

#[cfg(unix)]
#[test]
fn a_closed_stdout_neither_panics_nor_leaks_into_files() {
    let d = TempDir::new("closed");
    let out = Command::new("sh")
        .arg("-c")
        .arg("exec \"$0\" run \"$1\" --json --out \"$2\" >&-")
        .arg(env!("CARGO_BIN_EXE_rcsim"))
        .arg(FIGURE1)
        .arg(d.path())
        .current_dir(common::root())
        .output()
        .expect("sh");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "rcsim panicked:\n{err}");
    assert_eq!(out.status.code(), Some(EXIT_VIOLATION), "{err}");
    let result = std::fs::read_to_string(d.join("result.json")).expect("result.json");
    assert!(result.trim_start().starts_with('{'));
    assert!(serde_json::from_str::<serde_json::Value>(&result).is_ok());
}

/// Every command that prints a document (a result, a completion script, a man page) gives exit
/// 2 and one message when standard output cannot take it, never a panic or a silent exit 0.
#[cfg(target_os = "linux")]
#[test]
fn a_full_stdout_is_an_error_not_a_panic() {
    let commands: [&[&str]; 5] = [
        &["run", FIGURE1, "--json"],
        &["completions", "bash"],
        &["completions", "zsh"],
        &["man"],
        &["man", "fuzz"],
    ];
    for args in commands {
        let out = Command::new(env!("CARGO_BIN_EXE_rcsim"))
            .args(args)
            .current_dir(common::root())
            .stdout(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .expect("/dev/full"),
            )
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?} panicked:\n{err}");
        assert_eq!(out.status.code(), Some(EXIT_USAGE), "{args:?}: {err}");
        assert!(err.contains("standard output"), "{args:?}: {err}");
    }
}

/// `d/name` as a symbolic link to `to`.
#[cfg(unix)]
fn link(d: &TempDir, name: &str, to: &std::path::Path) -> std::path::PathBuf {
    let l = d.join(name);
    std::os::unix::fs::symlink(to, &l).expect("symlink");
    l
}

#[cfg(unix)]
#[test]
fn a_linked_output_directory_is_refused_by_every_command() {
    let d = TempDir::new("linked-out");
    let target = d.join("target");
    std::fs::create_dir(&target).expect("mkdir");
    let lnk = link(&d, "lnk", &target);
    let lnk = lnk.to_str().expect("utf-8");
    let with_slash = format!("{lnk}/");
    let commands: [&[&str]; 5] = [
        &["run", FIGURE1, "--out", lnk],
        &["fuzz", "--seeds", "0..2", "--jobs", "1", "--out", lnk],
        &[
            "sweep",
            FIGURE1,
            "--vary",
            "duration=20ms",
            "--protocol",
            "independent",
            "--out",
            lnk,
        ],
        &["report", FIGURE1, "--protocol", "independent", "--out", lnk],
        &["run", FIGURE1, "--out", &with_slash],
    ];
    for args in commands {
        rcsim(args).assert_usage_error(&["lnk", "symbolic link"]);
        assert!(names(&target).is_empty(), "{args:?} wrote through the link");
    }
}

#[cfg(unix)]
#[test]
fn a_missing_output_directory_is_created_with_its_parents() {
    let d = TempDir::new("mkdir-out");
    let out = d.join("a/b");
    rcsim(&["run", FIGURE1, "--out", out.to_str().expect("utf-8")])
        .assert_code(EXIT_VIOLATION)
        .assert_no_panic();
    assert_eq!(names(&out), ["result.json"]);
}

#[cfg(unix)]
#[test]
fn fuzz_never_writes_results_through_a_link() {
    let d = TempDir::new("fuzz-results-link");
    let victim = d.join("pwned");
    let c = d.join("c");
    std::fs::create_dir(&c).expect("mkdir");
    std::os::unix::fs::symlink(&victim, c.join("results.jsonl")).expect("symlink");
    let c = c.to_str().expect("utf-8");
    for extra in [None, Some("--resume"), Some("--overwrite")] {
        let mut args = vec!["fuzz", "--seeds", "0..2", "--jobs", "1", "--out", c];
        args.extend(extra);
        rcsim(&args).assert_usage_error(&["results.jsonl", "symbolic link"]);
        assert!(!victim.exists(), "{extra:?}: written through the link");
    }
}

#[cfg(unix)]
#[test]
fn fuzz_never_writes_or_deletes_reproducers_through_a_linked_repro() {
    let d = TempDir::new("fuzz-repro-link");
    let real = d.join("realrepro");
    std::fs::create_dir(&real).expect("mkdir");
    std::fs::write(real.join("seed-7.json"), "{}").expect("victim");
    let c = d.join("c2");
    std::fs::create_dir(&c).expect("mkdir");
    std::os::unix::fs::symlink(&real, c.join("repro")).expect("symlink");
    let c = c.to_str().expect("utf-8");
    let base = [
        "fuzz",
        "--scenario",
        FIGURE1,
        "--protocol",
        "independent",
        "--seeds",
        "0..3",
        "--jobs",
        "1",
        "--out",
        c,
    ];
    for extra in [None, Some("--overwrite")] {
        let mut args = base.to_vec();
        args.extend(extra);
        rcsim(&args).assert_usage_error(&["repro", "symbolic link"]);
        assert_eq!(names(&real), ["seed-7.json"], "{extra:?}");
    }
}

#[cfg(unix)]
#[test]
fn report_never_writes_data_through_linked_subdirectories() {
    for sub in ["series", "hgrm"] {
        let d = TempDir::new("report-sub-link");
        let victim = d.join("victim");
        std::fs::create_dir(&victim).expect("mkdir");
        let out = d.join("out");
        std::fs::create_dir(&out).expect("mkdir");
        std::os::unix::fs::symlink(&victim, out.join(sub)).expect("symlink");
        let args = [
            "report",
            FIGURE1,
            "--protocol",
            "independent",
            "--out",
            out.to_str().expect("utf-8"),
        ];
        rcsim(&args).assert_usage_error(&[sub, "symbolic link"]);
        assert!(names(&victim).is_empty(), "written through {sub}/");
    }
}

#[test]
fn two_outputs_on_stdout_are_refused() {
    let cases: [(&[&str], &str); 5] = [
        (
            &["run", FIGURE1, "--json", "--trace", "-"],
            "--json and --trace -",
        ),
        (
            &["run", FIGURE1, "--trace", "-", "--chrome-trace", "-"],
            "--trace - and --chrome-trace -",
        ),
        (
            &["run", FIGURE1, "--json", "--chrome-trace", "-"],
            "--json and --chrome-trace -",
        ),
        (
            &["replay", "no-such-repro.json", "--json", "--trace", "-"],
            "--json and --trace -",
        ),
        (
            &["shrink", "no-such-repro.json", "--json", "--out", "-"],
            "--json and --out -",
        ),
    ];
    for (args, which) in cases {
        let out = rcsim(args);
        out.assert_usage_error(&[which, "standard output"]);
        assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
    }
}

/// An output naming the command's input, or two outputs naming one file (by any spelling), are
/// refused before anything runs: the input and every file there stay as they were.
#[test]
fn outputs_never_replace_the_input_or_each_other() {
    let d = TempDir::new("overlap");
    let scenario = d.path().join("s.json");
    let figure1 = std::fs::read(FIGURE1).expect("figure 1");
    std::fs::write(&scenario, &figure1).expect("copy");
    let campaign = d.path().join("c");
    std::fs::create_dir_all(campaign.join("repro")).expect("campaign dir");
    let in_results = campaign.join("results.jsonl");
    let in_repro = campaign.join("repro").join("base.json");
    for f in [&in_results, &in_repro] {
        std::fs::write(f, &figure1).expect("copy");
    }
    let explore_scenario = d.path().join("e.json");
    std::fs::copy("scenarios/explore-patent.json", &explore_scenario).expect("copy");
    let p = |p: &std::path::Path| p.to_str().expect("utf-8").to_string();
    let dot = |name: &str| format!("{}/./{name}", d.path().display());
    let mut cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "run".into(),
                p(&scenario),
                "--chrome-trace".into(),
                dot("s.json"),
            ],
            "--chrome-trace",
        ),
        (
            vec!["run".into(), p(&scenario), "--trace".into(), p(&scenario)],
            "--trace",
        ),
        (
            vec![
                "run".into(),
                p(&scenario),
                "--trace".into(),
                dot("t.jsonl"),
                "--chrome-trace".into(),
                p(&d.path().join("t.jsonl")),
            ],
            "name the same file",
        ),
        (
            vec![
                "run".into(),
                p(&scenario),
                "--out".into(),
                p(&d.path().join("new")),
                "--trace".into(),
                p(&d.path().join("new").join("result.json")),
            ],
            "name the same file",
        ),
        (
            vec![
                "explore".into(),
                p(&explore_scenario),
                "--out".into(),
                dot("e.json"),
            ],
            "scenario file itself",
        ),
    ];
    let fuzz_on = |base: &std::path::Path| -> (Vec<String>, &str) {
        let args = [
            "fuzz",
            "--scenario",
            &p(base),
            "--seeds",
            "0..2",
            "--out",
            &p(&campaign),
        ];
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.push("--overwrite".into());
        (args, "--scenario file itself")
    };
    cases.extend([fuzz_on(&in_results), fuzz_on(&in_repro)]);
    for (args, what) in cases {
        rcsim(&args).assert_usage_error(&[what]);
        assert_eq!(
            std::fs::read(&scenario).expect("scenario"),
            figure1,
            "{args:?}"
        );
        assert_eq!(
            std::fs::read(&in_results).expect("results"),
            figure1,
            "{args:?}"
        );
        assert_eq!(
            std::fs::read(&in_repro).expect("repro"),
            figure1,
            "{args:?}"
        );
        assert!(!d.path().join("t.jsonl").exists(), "{args:?}");
        assert!(!d.path().join("new").exists(), "{args:?}: nothing made");
    }
    let explore_text = std::fs::read_to_string("scenarios/explore-patent.json").expect("read");
    assert_eq!(
        std::fs::read_to_string(&explore_scenario).expect("explore scenario"),
        explore_text
    );
    // Outputs that only share a device are fine.
    let out = rcsim(&[
        "run",
        FIGURE1,
        "--trace",
        "/dev/null",
        "--chrome-trace",
        "/dev/null",
    ]);
    assert_eq!(out.code, EXIT_VIOLATION, "{}", out.stderr);
}

/// A report or sweep whose output directory has a directory where one of its files goes is
/// refused before any file is written: no half report is left beside it.
#[test]
fn a_report_with_one_file_blocked_writes_none() {
    let d = TempDir::new("blocked-report");
    let cases: [(&[&str], &str); 2] = [
        (
            &["report", FIGURE1, "--protocol", "sync,independent"],
            "index.html",
        ),
        (
            &["sweep", FIGURE1, "--vary", "links.latency=1ms,2ms"],
            "sweep.json",
        ),
    ];
    for (k, (args, blocked)) in cases.into_iter().enumerate() {
        let out = d.path().join(format!("out{k}"));
        std::fs::create_dir_all(out.join(blocked)).expect("in the way");
        let mut args: Vec<&str> = args.to_vec();
        args.extend(["--out", out.to_str().expect("utf-8")]);
        rcsim(&args).assert_usage_error(&[blocked, "directory"]);
        assert_eq!(names(&out), [blocked.to_string()], "{args:?}");
    }
}

#[test]
fn a_trace_on_stdout_moves_the_summary_to_stderr() {
    let out = rcsim(&["run", FIGURE1, "--trace", "-"]);
    out.assert_code(EXIT_VIOLATION).assert_no_panic();
    for line in out.stdout.lines() {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "stdout holds a line that is not the trace's: {line}"
        );
    }
    assert!(out.stderr.contains("verdict"), "{}", out.stderr);
}

#[test]
fn a_shrunk_reproducer_on_stdout_shares_it_with_nothing() {
    let d = TempDir::new("shrink-stdout");
    let c = d.join("c");
    let c = c.to_str().expect("utf-8");
    let fuzz = [
        "fuzz",
        "--scenario",
        FIGURE1,
        "--protocol",
        "independent",
        "--seeds",
        "0..1",
        "--jobs",
        "1",
        "--out",
        c,
    ];
    rcsim(&fuzz).assert_code(EXIT_VIOLATION);
    let repro = format!("{c}/repro/seed-0.json");
    let out = rcsim(&["shrink", &repro, "--out", "-"]);
    out.assert_code(EXIT_VIOLATION).assert_no_panic();
    let v: serde_json::Value =
        serde_json::from_str(&out.stdout).expect("stdout is the reproducer alone");
    assert_eq!(v["rcsim_repro"], 1);
    assert!(out.stderr.contains("runs tried"), "{}", out.stderr);
}

/// A long run of the standard scenario with no disaster, so only a signal ends it early (its
/// event budget keeps a run that missed the signal from writing gigabytes of trace).
#[cfg(unix)]
const LONG: [&str; 6] = [
    "--set",
    "duration=100000s",
    "--set",
    "faults=[]",
    "--set",
    "limits.max_events=10000000",
];

/// A started rcsim, killed and reaped if the test fails before it ends.
#[cfg(unix)]
struct Running(Option<std::process::Child>);

#[cfg(unix)]
impl Running {
    fn start(args: &[&str]) -> Self {
        let child = common::signalable(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("rcsim starts");
        Running(Some(child))
    }

    /// Waits until rcsim's handler catches SIGINT (bit 2 of `SigCgt` in `/proc/PID/status`):
    /// it is armed only once the work a signal must stop has begun.
    fn wait_until_armed(&mut self) {
        let status = format!("/proc/{}/status", self.0.as_ref().expect("running").id());
        self.wait_until(|| {
            std::fs::read_to_string(&status).is_ok_and(|s| {
                s.lines()
                    .filter_map(|l| l.strip_prefix("SigCgt:"))
                    .filter_map(|h| u64::from_str_radix(h.trim(), 16).ok())
                    .any(|mask| mask & (1 << (libc::SIGINT - 1)) != 0)
            })
        });
    }

    /// Waits until `ready` holds, polling; panics if rcsim ends first.
    fn wait_until(&mut self, ready: impl Fn() -> bool) {
        let child = self.0.as_mut().expect("running");
        while !ready() {
            if let Some(status) = child.try_wait().expect("waits") {
                panic!("rcsim ended ({status}) before the signal");
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// Sends `sig`, waits for the end, and returns the exit code (`None`: the signal ended the
    /// process) and what it said on stderr.
    fn signal(mut self, sig: i32) -> (Option<i32>, String) {
        let child = self.0.take().expect("running");
        common::signal(&child, sig);
        let out = child.wait_with_output().expect("it ends");
        let stderr = String::from_utf8(out.stderr).expect("UTF-8");
        (out.status.code(), stderr)
    }
}

#[cfg(unix)]
impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// True once `dir` holds a temporary file with some of the run's output in it.
#[cfg(unix)]
fn writing(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir).expect("read dir").any(|e| {
        let e = e.expect("entry");
        e.file_name().to_string_lossy().ends_with(".tmp") && e.metadata().is_ok_and(|m| m.len() > 0)
    })
}

/// Ctrl-C (SIGINT) or a closed terminal (SIGHUP) during `run --trace`: the unfinished trace is
/// removed, and the exit code is 128 plus the signal's number.
#[cfg(unix)]
#[test]
fn a_signal_during_run_trace_leaves_no_file_and_exits_128_plus_its_number() {
    for (sig, name, code) in [(libc::SIGINT, "SIGINT", 130), (libc::SIGHUP, "SIGHUP", 129)] {
        let d = TempDir::new("signal-run");
        let trace = d.join("trace.jsonl");
        let mut args = vec![
            "run",
            "scenarios/bench-standard.json",
            "--trace",
            trace.to_str().expect("utf-8"),
        ];
        args.extend(LONG);
        let mut run = Running::start(&args);
        run.wait_until(|| writing(d.path()));
        let (got, stderr) = run.signal(sig);
        assert_eq!(got, Some(code), "{name}: {stderr}");
        assert!(stderr.contains(&format!("stopped by {name}")), "{stderr}");
        assert_eq!(names(d.path()), Vec::<String>::new(), "nothing left behind");
    }
}

/// Writes `repro.json` in `d`: a reproducer of the standard scenario under `protocol`, with
/// `set` (top-level fields) replacing the scenario's own. Its recorded verdict is a placeholder:
/// `replay` exits 4 on it, and `shrink` does not read it.
#[cfg(unix)]
fn slow_repro(d: &TempDir, protocol: &str, set: serde_json::Value) -> std::path::PathBuf {
    let path = common::root().join("scenarios/bench-standard.json");
    let mut scenario: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("JSON");
    for (k, v) in set.as_object().expect("fields") {
        scenario[k] = v.clone();
    }
    scenario["protocol"]["kind"] = protocol.into();
    let repro = serde_json::json!({
        "rcsim_repro": 1,
        "seed": 1,
        "protocol": protocol,
        "scenario": scenario,
        "expected": { "consistent": true, "kinds": [], "first": null, "trace_hash": "0000000000000000" },
    });
    d.write("repro.json", &repro.to_string())
}

/// The run of [`LONG`] as scenario fields.
#[cfg(unix)]
fn long_fields() -> serde_json::Value {
    serde_json::json!({
        "duration": "100000s",
        "faults": [],
        "limits": { "max_events": 10_000_000 },
    })
}

/// Starts `rcsim shrink REPRO --out TARGET`.
#[cfg(unix)]
fn start_shrink(repro: &std::path::Path, target: &std::path::Path) -> Running {
    Running::start(&[
        "shrink",
        repro.to_str().expect("utf-8"),
        "--out",
        target.to_str().expect("utf-8"),
    ])
}

#[cfg(unix)]
#[test]
fn sigterm_during_replay_with_both_traces_leaves_no_file_and_exits_143() {
    let d = TempDir::new("sigterm-replay");
    let repro = slow_repro(&d, "checkpoint", long_fields());
    let out = TempDir::new("sigterm-replay-out");
    let trace = out.join("trace.jsonl");
    let chrome = out.join("chrome.json");
    let mut replay = Running::start(&[
        "replay",
        repro.to_str().expect("utf-8"),
        "--trace",
        trace.to_str().expect("utf-8"),
        "--chrome-trace",
        chrome.to_str().expect("utf-8"),
    ]);
    replay.wait_until(|| writing(out.path()));
    let (code, stderr) = replay.signal(libc::SIGTERM);
    assert_eq!(code, Some(143), "{stderr}");
    assert!(stderr.contains("stopped by SIGTERM"), "{stderr}");
    assert_eq!(
        names(out.path()),
        Vec::<String>::new(),
        "nothing left behind"
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_during_a_report_or_a_sweep_leaves_its_directory_empty() {
    for command in ["report", "sweep"] {
        let d = TempDir::new("sigint-batch");
        let out = d.join("out");
        let mut args = vec![
            command,
            "scenarios/bench-standard.json",
            "--out",
            out.to_str().expect("utf-8"),
            "--seeds",
            "1..3",
        ];
        match command {
            "report" => args.extend(["--protocol", "checkpoint"]),
            _ => args.extend(["--vary", "protocol.checkpoint_interval=10ms,20ms"]),
        }
        args.extend(LONG);
        let mut batch = Running::start(&args);
        batch.wait_until(|| out.is_dir());
        let (code, stderr) = batch.signal(libc::SIGINT);
        assert_eq!(code, Some(130), "{command}: {stderr}");
        assert!(stderr.contains("stopped by SIGINT"), "{command}: {stderr}");
        assert_eq!(
            names(&out),
            Vec::<String>::new(),
            "{command}: nothing written"
        );
    }
}

/// A run started with SIGINT ignored (`nohup`, a script's `&`) keeps it ignored, as is
/// customary: Ctrl-C at the terminal it left behind does not stop it, and it ends as it would
/// have, with its trace written whole.
#[cfg(unix)]
#[test]
fn a_signal_ignored_at_the_start_stays_ignored() {
    use std::os::unix::process::CommandExt;
    let d = TempDir::new("sigint-ignored");
    let trace = d.join("trace.jsonl");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rcsim"));
    cmd.args([
        "run",
        "scenarios/bench-standard.json",
        "--set",
        "duration=5s",
        "--set",
        "faults.0.at=4.9s",
        "--json",
        "--trace",
        trace.to_str().expect("utf-8"),
    ])
    .current_dir(common::root())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    // SAFETY: `signal` is async-signal-safe, as code between fork and exec must be.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_IGN);
            Ok(())
        });
    }
    let mut run = Running(Some(cmd.spawn().expect("rcsim starts")));
    run.wait_until(|| writing(d.path()));
    let child = run.0.take().expect("running");
    common::signal(&child, libc::SIGINT);
    let out = child.wait_with_output().expect("it ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).expect("result JSON");
    let lines = std::fs::read_to_string(&trace).expect("the trace is written");
    let events = lines
        .lines()
        .filter(|l| !l.contains("\"host-write\"") && !l.contains("\"host-complete\""))
        .count();
    assert!(
        events as u64 >= result["events"].as_u64().expect("events"),
        "the whole trace: {events} lines against {} events",
        result["events"]
    );
    assert_eq!(names(d.path()), vec!["trace.jsonl".to_string()]);
}

/// Ctrl-C while `shrink` runs the reproducer as it is: nothing smaller exists yet, so nothing is
/// written, and the exit code is 130. (That a shrink stopped later keeps the smallest failing
/// case found is `rcsim::fuzz::shrink`'s unit test.)
#[cfg(unix)]
#[test]
fn ctrl_c_during_a_shrink_before_anything_shrank_writes_nothing() {
    let d = TempDir::new("sigint-shrink");
    let repro = slow_repro(&d, "independent", long_fields());
    let out = TempDir::new("sigint-shrink-out");
    let mut shrink = start_shrink(&repro, &out.join("small.json"));
    shrink.wait_until_armed();
    let (code, stderr) = shrink.signal(libc::SIGINT);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("stopped by SIGINT"), "{stderr}");
    assert!(stderr.contains("nothing written"), "{stderr}");
    assert_eq!(names(out.path()), Vec::<String>::new(), "nothing written");
}

/// Ctrl-C during an exhaustive search (one that takes seconds to complete): it stops between
/// two chunks of states, says how far it got, writes no counterexample file and exits 130.
#[cfg(unix)]
#[test]
fn ctrl_c_during_an_exhaustive_search_stops_it_with_130() {
    let out = TempDir::new("sigint-explore");
    let cex = out.join("cex.json");
    let mut search = Running::start(&[
        "explore",
        "scenarios/explore-patent.json",
        "--max-states",
        "100000000",
        "--out",
        cex.to_str().expect("utf-8"),
    ]);
    search.wait_until_armed();
    let (code, stderr) = search.signal(libc::SIGINT);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("stopped by SIGINT after"), "{stderr}");
    assert!(stderr.contains("unique states"), "{stderr}");
    assert_eq!(names(out.path()), Vec::<String>::new(), "nothing written");
}

/// A shrink saves each smaller failing case as it finds it, so Ctrl-C (or a kill) once the first
/// is saved leaves it whole, and it replays as it records; the exit code is 130.
#[cfg(unix)]
#[test]
fn ctrl_c_during_a_shrink_keeps_what_it_found() {
    let d = TempDir::new("sigint-shrink-later");
    let fields = serde_json::json!({
        "duration": "60s",
        "faults": [{ "kind": "disaster", "at": "59.9s" }],
    });
    let repro = slow_repro(&d, "independent", fields);
    let out = TempDir::new("sigint-shrink-later-out");
    let target = out.join("small.json");
    let mut shrink = start_shrink(&repro, &target);
    shrink.wait_until(|| target.exists());
    let (code, stderr) = shrink.signal(libc::SIGINT);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        stderr.contains("the smallest failing case found so far"),
        "{stderr}"
    );
    assert_eq!(names(out.path()), vec!["small.json".to_string()]);
    rcsim(&["replay", target.to_str().expect("utf-8")]).assert_code(EXIT_VIOLATION);
}
