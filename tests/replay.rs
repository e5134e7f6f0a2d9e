//! Trace replay through the real binary: the fio logs recorded by fio itself (versions 2 and 3)
//! and the MSR sample under tests/data/ become exactly their write records as host writes, at
//! their times, on the blocks their offsets name; bad traces exit 2 naming file and line.

use crate::common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

const V3: &str = "tests/data/fio-v3-randwrite.log";
const V2: &str = "tests/data/fio-v2-randwrite.log";
const MSR: &str = "tests/data/msr-sample.csv";
const FIO_REPLAY: &str = "scenarios/fio-replay.json";
const BLOCKS: u64 = 128;

/// One write record of a trace: time in ns (unscaled), target, offset, length.
#[derive(Debug, Clone)]
struct Rec {
    t: u64,
    target: String,
    offset: u64,
    length: u64,
}

fn abs(rel: &str) -> PathBuf {
    root().join(rel)
}

/// The write records of a fio log, read independently of rcsim (v2 logs without waits: all at 0).
fn fio_writes(rel: &str) -> Vec<Rec> {
    let text = std::fs::read_to_string(abs(rel)).expect("log exists");
    let mut lines = text.lines();
    let v3 = lines.next() == Some("fio version 3 iolog");
    lines
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter_map(|f| {
            let (t, f) = if v3 {
                (f[0].parse::<u64>().expect("us") * 1000, &f[1..])
            } else {
                (0, &f[..])
            };
            (f[1] == "write").then(|| Rec {
                t,
                target: f[0].to_string(),
                offset: f[2].parse().expect("offset"),
                length: f[3].parse().expect("length"),
            })
        })
        .collect()
}

/// The write records of the MSR sample, timed from its first record.
fn msr_writes() -> Vec<Rec> {
    let text = std::fs::read_to_string(abs(MSR)).expect("sample exists");
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    let t0: u64 = rows[0][0].parse().expect("timestamp");
    rows.iter()
        .filter(|r| r[3] == "Write")
        .map(|r| Rec {
            t: (r[0].parse::<u64>().expect("timestamp") - t0) * 100,
            target: r[2].to_string(),
            offset: r[4].parse().expect("offset"),
            length: r[5].parse().expect("length"),
        })
        .collect()
}

/// A scenario replaying `file` with `map` and extra trace fields, no faults.
fn scenario(file: &Path, format: &str, map: &str, extra: &str, duration: &str) -> String {
    format!(
        r#"{{
  "name": "replay-test",
  "description": "replays a trace",
  "duration": "{duration}",
  "topology": {{ "pairs": 2, "volumes_per_subsystem": 2, "blocks_per_volume": {BLOCKS} }},
  "workloads": [
    {{ "kind": "trace", "file": {file}, "format": "{format}",
      "map": {map}{extra} }}
  ],
  "protocol": {{ "kind": "independent" }}
}}"#,
        file = serde_json::to_string(&file.display().to_string()).expect("path as JSON")
    )
}

const FIO_MAP: &str = r#"[{"from": "/tmp/fio-a", "subsystem": 1}, {"from": "/tmp/fio-b", "subsystem": 2, "volume": 1}]"#;

/// Runs a scenario text with `--trace`, returning the result and its host-write events.
fn run_traced(t: &TempDir, text: &str, extra: &[&str]) -> (Value, Vec<Value>) {
    let sc = t.write("scenario.json", text);
    let events = t.join("events.jsonl");
    let mut args: Vec<std::ffi::OsString> = vec![
        "run".into(),
        sc.into(),
        "--json".into(),
        "--trace".into(),
        events.clone().into(),
    ];
    args.extend(extra.iter().map(Into::into));
    let out = rcsim(&args);
    out.assert_code(EXIT_OK).assert_no_panic();
    let writes = read_trace(&events)
        .into_iter()
        .filter(|e| e["ev"] == "host-write")
        .collect();
    (out.json(), writes)
}

/// Asserts the issued writes are `recs` in order: time (scaled), subsystem, volume, block, size.
fn assert_follows(writes: &[Value], recs: &[Rec], place: impl Fn(&str) -> (u64, u64), scale: u64) {
    assert_eq!(writes.len(), recs.len(), "one host write per write record");
    for (i, (w, r)) in writes.iter().zip(recs).enumerate() {
        let (sub, vol) = place(&r.target);
        let want = (r.t * scale, sub, vol, (r.offset / 4096) % BLOCKS, r.length);
        let got = (
            w["t"].as_u64().expect("t"),
            w["subsystem"].as_u64().expect("subsystem"),
            w["volume"].as_u64().expect("volume"),
            w["block"].as_u64().expect("block"),
            w["size"].as_u64().expect("size"),
        );
        assert_eq!(got, want, "write {i} from {r:?}");
    }
}

fn fio_place(target: &str) -> (u64, u64) {
    match target {
        "/tmp/fio-a" => (1, 0),
        "/tmp/fio-b" => (2, 1),
        other => panic!("unexpected file {other}"),
    }
}

#[test]
fn the_recorded_logs_have_what_the_tests_expect() {
    // Guards the data the other tests lean on: fio wrote both, two files, 120 writes each.
    let v3 = fio_writes(V3);
    let v2 = fio_writes(V2);
    assert_eq!((v3.len(), v2.len()), (120, 120));
    assert!(v3.windows(2).all(|w| w[0].t <= w[1].t));
    assert!(
        v3.last().expect("writes").t < 100_000_000,
        "v3 spans under 100ms"
    );
    for r in v3.iter().chain(&v2) {
        fio_place(&r.target);
    }
}

#[test]
fn fio_v3_open_loop_issues_every_write_at_its_time_on_its_block() {
    let t = TempDir::new("v3_open");
    let recs = fio_writes(V3);
    let (r, writes) = run_traced(&t, &scenario(&abs(V3), "fio", FIO_MAP, "", "100ms"), &[]);
    assert_eq!(r["writes"]["issued"], recs.len() as u64);
    assert_follows(&writes, &recs, fio_place, 1);
}

#[test]
fn writes_past_the_duration_are_dropped() {
    let t = TempDir::new("v3_duration");
    let recs: Vec<Rec> = fio_writes(V3)
        .into_iter()
        .filter(|r| r.t < 30_000_000)
        .collect();
    assert!(recs.len() > 10 && recs.len() < 120, "{}", recs.len());
    let (r, writes) = run_traced(&t, &scenario(&abs(V3), "fio", FIO_MAP, "", "30ms"), &[]);
    assert_eq!(r["writes"]["issued"], recs.len() as u64);
    assert_follows(&writes, &recs, fio_place, 1);
}

#[test]
fn time_scale_stretches_the_trace() {
    let t = TempDir::new("v3_scale");
    let recs: Vec<Rec> = fio_writes(V3)
        .into_iter()
        .filter(|r| 2 * r.t < 100_000_000)
        .collect();
    assert!(recs.len() < 120);
    let text = scenario(&abs(V3), "fio", FIO_MAP, r#", "time_scale": 2.0"#, "100ms");
    let (r, writes) = run_traced(&t, &text, &[]);
    assert_eq!(r["writes"]["issued"], recs.len() as u64);
    assert_follows(&writes, &recs, fio_place, 2);
}

#[test]
fn fio_v2_parses_and_replays_every_write() {
    // fio 3.25 records no waits, so every write of the v2 log is at time zero.
    let t = TempDir::new("v2_open");
    let recs = fio_writes(V2);
    let (r, writes) = run_traced(&t, &scenario(&abs(V2), "fio", FIO_MAP, "", "10ms"), &[]);
    assert_eq!(r["writes"]["issued"], 120);
    assert_eq!(r["writes"]["completed"], 120);
    assert_follows(&writes, &recs, fio_place, 1);
}

#[test]
fn dependent_replay_issues_each_write_after_the_previous_completes() {
    let t = TempDir::new("v2_dependent");
    let text = scenario(&abs(V2), "fio", FIO_MAP, r#", "dependent": true"#, "1s");
    let sc = t.write("scenario.json", &text);
    let events = t.join("events.jsonl");
    let out = rcsim(&[
        "run".as_ref(),
        sc.as_os_str(),
        "--json".as_ref(),
        "--trace".as_ref(),
        events.as_os_str(),
    ]);
    out.assert_code(EXIT_OK);
    assert_eq!(out.json()["writes"]["issued"], 120);
    // Between two host writes of the chain there is always the completion of the first.
    let mut open = 0;
    for e in read_trace(&events) {
        if e["ev"] == "host-write" {
            assert_eq!(
                open, 0,
                "a write was issued before the previous one completed"
            );
            open += 1;
        } else if e["ev"] == "write-complete" {
            open = 0;
        }
    }
    let r = out.json();
    assert!(
        r["latency_ns"]["host_write"]["p50"].as_u64().expect("p50") > 0,
        "{r}"
    );
}

#[test]
fn msr_replay_skips_reads_and_maps_disks() {
    let t = TempDir::new("msr");
    let recs = msr_writes();
    assert_eq!(recs.len(), 23);
    let map = r#"[{"from": "0", "subsystem": 2}, {"from": "*", "subsystem": 1, "volume": 1}]"#;
    let (r, writes) = run_traced(&t, &scenario(&abs(MSR), "msr", map, "", "100ms"), &[]);
    assert_eq!(r["writes"]["issued"], 23);
    assert_follows(
        &writes,
        &recs,
        |disk| if disk == "0" { (2, 0) } else { (1, 1) },
        1,
    );
}

#[test]
fn the_trace_file_is_relative_to_the_scenario_not_the_working_directory() {
    let t = TempDir::new("relative");
    std::fs::copy(abs(V3), t.join("my.log")).expect("copy log");
    let text = scenario(Path::new("my.log"), "fio", FIO_MAP, "", "100ms");
    let sc = t.write("scenario.json", &text);
    let out = rcsim(&["run".as_ref(), sc.as_os_str(), "--json".as_ref()]);
    out.assert_code(EXIT_OK);
    assert_eq!(out.json()["writes"]["issued"], 120);
}

#[test]
fn the_shipped_scenario_keeps_order_under_checkpoint_and_loses_it_under_independent() {
    let r = run_json(FIO_REPLAY, &[], EXIT_OK);
    assert_eq!(r["consistent"], true);
    let issued = r["writes"]["issued"].as_u64().expect("issued");
    let before_disaster = fio_writes(V3).iter().filter(|w| w.t < 40_000_000).count() as u64;
    assert!(
        issued > 0 && issued <= before_disaster,
        "{issued} of {before_disaster}"
    );
    let r = run_json(FIO_REPLAY, &["--protocol", "independent"], EXIT_VIOLATION);
    assert!(r["violation_count"].as_u64().expect("count") > 0);
    let again = run_json(FIO_REPLAY, &["--protocol", "independent"], EXIT_VIOLATION);
    assert_eq!(
        trace_hash(&r),
        trace_hash(&again),
        "replay is deterministic"
    );
}

/// Writes `log` as bad.log next to a scenario replaying it, and checks that both `validate` and
/// `run` exit 2 naming the trace's line and what was wrong.
fn assert_bad_trace(test: &str, log: &str, map: &str, fragments: &[&str]) {
    let t = TempDir::new(test);
    t.write("bad.log", log);
    let sc = t.write(
        "scenario.json",
        &scenario(Path::new("bad.log"), "fio", map, "", "10ms"),
    );
    for cmd in ["validate", "run"] {
        let out = rcsim(&[cmd.as_ref(), sc.as_os_str()]);
        let mut all = vec!["scenario.json", "workloads[0].file"];
        all.extend(fragments);
        out.assert_usage_error(&all);
        assert_eq!(
            out.stderr.lines().count(),
            1,
            "one message:\n{}",
            out.stderr
        );
    }
}

const ANY: &str = r#"[{"from": "*", "subsystem": 1}]"#;

#[test]
fn an_unknown_action_exits_2_with_its_line() {
    assert_bad_trace(
        "bad_action",
        "fio version 3 iolog\n1 /f add\n2 /f open\n3 /f wrote 0 4096\n",
        ANY,
        &["bad.log:4: unknown action `wrote`", "expected one of"],
    );
}

#[test]
fn a_bad_number_exits_2_with_its_line() {
    assert_bad_trace(
        "bad_number",
        "fio version 3 iolog\n1 /f write 4k 4096\n",
        ANY,
        &["bad.log:2: bad offset `4k`", "whole number"],
    );
}

#[test]
fn a_missing_field_exits_2_with_its_line() {
    assert_bad_trace(
        "missing_field",
        "fio version 2 iolog\n/f add\n/f write 4096\n",
        ANY,
        &["bad.log:3: `write` needs an offset and a length"],
    );
}

#[test]
fn a_wrong_header_exits_2_with_line_1() {
    assert_bad_trace(
        "bad_header",
        "fio version 1 iolog\n/f write 0 4096\n",
        ANY,
        &["bad.log:1: bad header", "fio version 3 iolog"],
    );
}

#[test]
fn an_unmapped_file_without_catch_all_exits_2_with_its_line() {
    assert_bad_trace(
        "unmapped",
        "fio version 2 iolog\n/f write 0 4096\n/g read 0 4096\n/g write 0 4096\n",
        r#"[{"from": "/f", "subsystem": 1}]"#,
        &[
            "bad.log:4: file `/g` is written but not mapped",
            "catch-all",
        ],
    );
}

#[test]
fn a_missing_trace_file_exits_2_naming_it() {
    let t = TempDir::new("missing_trace");
    let sc = t.write(
        "scenario.json",
        &scenario(Path::new("nowhere.log"), "fio", ANY, "", "10ms"),
    );
    let out = rcsim(&["validate".as_ref(), sc.as_os_str()]);
    out.assert_usage_error(&[
        "workloads[0].file",
        "nowhere.log: cannot open the trace file",
    ]);
}

/// A trace that is a named pipe with no writer, a device or a directory is refused at once,
/// by `validate` and by `run`, instead of blocking on the open or reading what cannot be read
/// twice.
#[cfg(unix)]
#[test]
fn a_trace_that_is_not_a_regular_file_is_refused_without_blocking() {
    let t = TempDir::new("special_trace");
    let fifo = t.join("trace.fifo");
    common::mkfifo(&fifo);
    for trace in [fifo.as_path(), Path::new("/dev/zero"), t.path()] {
        let sc = t.write("scenario.json", &scenario(trace, "fio", ANY, "", "10ms"));
        for command in ["validate", "run"] {
            rcsim(&[command.as_ref(), sc.as_os_str()])
                .assert_usage_error(&["workloads[0].file", "the trace is not a regular file"]);
        }
    }
}

#[test]
fn a_bad_msr_record_exits_2_with_its_line() {
    let t = TempDir::new("bad_msr");
    t.write(
        "bad.csv",
        "128166372000000000,h,0,Write,0,4096,1\n128166372000000001,h,0,Flush,0,4096,1\n",
    );
    let sc = t.write(
        "scenario.json",
        &scenario(Path::new("bad.csv"), "msr", ANY, "", "10ms"),
    );
    let out = rcsim(&["validate".as_ref(), sc.as_os_str()]);
    out.assert_usage_error(&["bad.csv:2: bad Type `Flush`: expected Read or Write"]);
}

#[test]
fn spec_problems_are_reported_with_their_paths() {
    let t = TempDir::new("bad_spec");
    let map = r#"[{"from": "*", "subsystem": 3}]"#;
    let sc = t.write(
        "scenario.json",
        &scenario(&abs(V3), "fio", map, r#", "time_scale": -1.0"#, "10ms"),
    );
    let out = rcsim(&["validate".as_ref(), sc.as_os_str()]);
    out.assert_usage_error(&["workloads[0].map[0].subsystem", "workloads[0].time_scale"]);
    let sc = t.write(
        "scenario.json",
        &scenario(&abs(V3), "fio", ANY, r#", "formt": "fio""#, "10ms"),
    );
    let out = rcsim(&["validate".as_ref(), sc.as_os_str()]);
    out.assert_usage_error(&["workloads[0].formt", "unknown field"]);
}

#[test]
fn a_trace_that_changes_after_loading_fails_the_run_instead_of_truncating_it() {
    use rcsim::sim::{simulate, RunOptions};
    let t = TempDir::new("changed");
    std::fs::copy(abs(V3), t.join("my.log")).expect("copy log");
    let sc = t.write(
        "scenario.json",
        &scenario(Path::new("my.log"), "fio", FIO_MAP, "", "100ms"),
    );
    let loaded = rcsim::scenario::load(&sc, &[]).expect("valid while the log is good");
    t.write(
        "my.log",
        "fio version 3 iolog\n5 /tmp/fio-a write 0 4096\n6 /tmp/fio-a wrte 0 1\n",
    );
    let e = simulate(&loaded, 1, &RunOptions::default()).expect_err("the log went bad");
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    assert!(e.to_string().ends_with("my.log:3: unknown action `wrte`: expected one of add, open, close, read, write, sync, datasync, trim, wait"), "{e}");
}
