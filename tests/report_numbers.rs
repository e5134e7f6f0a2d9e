//! Every number a report shows, checked against an independent computation: the comparison
//! table against each protocol's own `rcsim run --json`, the captions against the result, the
//! time within the RPO target against the result's time-weighted percentiles, the fault shading
//! against the scenario, the sweep axis, and the Chrome trace's tracks and window.

use crate::common;

use std::collections::BTreeMap;

use common::*;
use rcsim::report::units::{human_bytes, human_ns};
use serde_json::Value;

const NETWORK_FAULTS: &str = "scenarios/network-faults.json";
const METRO: &str = "scenarios/metro.json";

/// The rows of the Markdown table under `## heading`, as cells by column name.
fn table(md: &str, heading: &str) -> Vec<BTreeMap<String, String>> {
    let start = md.find(&format!("## {heading}\n")).expect("heading");
    let lines: Vec<&str> = md[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .collect();
    let cells = |l: &str| -> Vec<String> {
        l.trim_matches('|')
            .split(" | ")
            .map(|c| c.trim().to_string())
            .collect()
    };
    let head = cells(lines[0]);
    lines[2..]
        .iter()
        .map(|l| head.iter().cloned().zip(cells(l)).collect())
        .collect()
}

fn ns(v: &Value) -> u64 {
    v.as_u64().expect("a count of ns")
}

#[test]
fn the_comparison_table_and_captions_agree_with_each_protocols_result() {
    let dir = TempDir::new("numbers");
    let out = rcsim(&[
        "report",
        NETWORK_FAULTS,
        "--protocol",
        "checkpoint,sync,central",
        "--disaster-at",
        "250ms",
        "--rpo-target",
        "5ms",
        "--out",
        dir.path().to_str().expect("utf-8"),
    ]);
    out.assert_code(EXIT_OK).assert_no_panic();
    let md = std::fs::read_to_string(dir.join("index.md")).expect("index.md");
    let rows = table(&md, "Comparison");
    assert_eq!(rows.len(), 3, "{md}");
    for row in &rows {
        let p = &row["protocol"];
        let r = run_json(
            NETWORK_FAULTS,
            &["--protocol", p, "--disaster-at", "250ms"],
            EXIT_OK,
        );
        let l = &r["latency_ns"];
        assert_eq!(
            row["write p50"],
            human_ns(ns(&l["host_write"]["p50"])),
            "{p}"
        );
        assert_eq!(
            row["write p99"],
            human_ns(ns(&l["host_write"]["p99"])),
            "{p}"
        );
        assert_eq!(
            row["lag p99"],
            human_ns(ns(&l["secondary_lag"]["p99"])),
            "{p}"
        );
        assert_eq!(
            row["exposure p99"],
            human_ns(ns(&l["exposure"]["p99"])),
            "{p}"
        );
        let lost = ns(&r["rpo"]["lost_writes"]);
        let want = if lost == 0 {
            "0".to_string()
        } else {
            format!("{lost} ({})", human_bytes(ns(&r["rpo"]["lost_bytes"])))
        };
        assert_eq!(row["RPO lost writes"], want, "{p}");
        let issued = ns(&r["checkpoints"]["issued"]);
        let want = if issued == 0 {
            "n/a".to_string()
        } else {
            format!("{} of {issued}", ns(&r["checkpoints"]["applied"]))
        };
        assert_eq!(row["checkpoints applied"], want, "{p}");
        assert_eq!(row["verdict"], "consistent", "{p}");
        // The caption of the lag and exposure chart quotes the same p99s.
        let caption = md
            .lines()
            .find(|line| line.starts_with("Top: secondary lag"))
            .expect("lag caption");
        for key in ["secondary_lag", "exposure"] {
            let want = format!("{p} {}", human_ns(ns(&l[key]["p99"])));
            assert!(caption.contains(&want), "{want} not in {caption}");
        }
        // The per-protocol table repeats the figures.
        let per = table(&md, p);
        assert_eq!(per[0]["write p99"], row["write p99"], "{p}");
        assert_eq!(per[0]["exposure p99"], row["exposure p99"], "{p}");
    }
    // sync never lets the image lack a completed write: always within target.
    let sync = rows.iter().find(|r| r["protocol"] == "sync").expect("sync");
    assert_eq!(sync["within 5 ms target"], "100.0%");
    // Every fault kind of the scenario is named in the captions and drawn in the legends.
    for kind in [
        "link outage (link 2)",
        "LAN partition (S LAN cuts S4)",
        "latency spike (link 3)",
        "bandwidth drop (link 1 to 5%)",
        "clock step (P2 +50 µs) (a vertical line)",
        "disaster to takeover",
    ] {
        assert!(md.contains(kind), "no {kind} in the captions");
    }
    let svg = std::fs::read_to_string(dir.join("buffers.svg")).expect("svg");
    for legend in [
        "link outage: link 2",
        "clock step: P2 +50 µs",
        "disaster to takeover",
    ] {
        assert!(svg.contains(legend), "no legend {legend}");
    }
    for stem in ["throughput", "tradeoff"] {
        assert!(dir.join(&format!("{stem}.svg")).exists(), "{stem}");
    }
    let html = std::fs::read_to_string(dir.join("index.html")).expect("html");
    assert!(html.contains("white-space:nowrap"), "numbers do not wrap");
}

#[test]
fn captions_name_no_shading_without_faults() {
    let dir = TempDir::new("nofaults");
    rcsim(&[
        "report",
        NETWORK_FAULTS,
        "--protocol",
        "sync",
        "--set",
        "faults=[]",
        "--out",
        dir.path().to_str().expect("utf-8"),
    ])
    .assert_code(EXIT_OK)
    .assert_no_panic();
    let md = std::fs::read_to_string(dir.join("index.md")).expect("index.md");
    assert!(!md.contains("Shaded"), "{md}");
}

#[test]
fn sweeps_over_durations_get_a_numeric_log_axis_in_words() {
    let dir = TempDir::new("sweepaxis");
    rcsim(&[
        "sweep",
        "scenarios/patent-example.json",
        "--vary",
        "links.latency=500us,5ms,40ms",
        "--protocol",
        "sync",
        "--out",
        dir.path().to_str().expect("utf-8"),
    ])
    .assert_code(EXIT_OK)
    .assert_no_panic();
    let svg = std::fs::read_to_string(dir.join("sweep-latency.svg")).expect("svg");
    assert!(svg.contains("pair-link one-way latency (ms, log scale)"));
    // A numeric axis: the values as given ("500us") are not category labels.
    assert!(!svg.contains("500us"), "categorical ticks");
}

/// Every complete slice of the trace, per track: (start, end) in µs.
fn slices(events: &[Value]) -> BTreeMap<u64, Vec<(f64, f64)>> {
    let mut by: BTreeMap<u64, Vec<(f64, f64)>> = BTreeMap::new();
    for e in events.iter().filter(|e| e["ph"] == "X") {
        let ts = e["ts"].as_f64().expect("ts");
        let dur = e["dur"].as_f64().expect("dur");
        by.entry(e["tid"].as_u64().expect("tid"))
            .or_default()
            .push((ts, ts + dur));
    }
    by
}

fn chrome(extra: &[&str]) -> Vec<Value> {
    let dir = TempDir::new("chrome2");
    let path = dir.join("t.json");
    let mut args = vec![
        "run",
        "scenarios/volatile-secondary-crash.json",
        "--chrome-trace",
        path.to_str().expect("utf-8"),
    ];
    args.extend_from_slice(extra);
    let out = rcsim(&args);
    out.assert_no_panic();
    let v: Value = serde_json::from_slice(&std::fs::read(&path).expect("trace")).expect("JSON");
    v["traceEvents"].as_array().expect("events").clone()
}

#[test]
fn chrome_slices_nest_crashes_sit_on_their_node_and_windows_cut() {
    let events = chrome(&[]);
    for (tid, mut s) in slices(&events) {
        s.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
        // Every pair of slices on a track is nested or disjoint.
        let mut open: Vec<(f64, f64)> = Vec::new();
        for x in s {
            while open.last().is_some_and(|o| o.1 <= x.0) {
                open.pop();
            }
            if let Some(o) = open.last() {
                assert!(x.1 <= o.1, "track {tid}: {x:?} overlaps {o:?} partly");
            }
            open.push(x);
        }
    }
    let tracks: BTreeMap<u64, String> = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
        .map(|e| {
            (
                e["tid"].as_u64().expect("tid"),
                e["args"]["name"].as_str().expect("name").to_string(),
            )
        })
        .collect();
    let crashes: Vec<&Value> = events
        .iter()
        .filter(|e| e["ph"] == "X" && e["name"].as_str().is_some_and(|n| n.starts_with("crash ")))
        .collect();
    assert!(!crashes.is_empty(), "the scenario crashes a secondary");
    for c in crashes {
        let node = c["name"]
            .as_str()
            .expect("name")
            .trim_start_matches("crash ");
        let track = &tracks[&c["tid"].as_u64().expect("tid")];
        assert!(track.starts_with(&format!("{node} ")), "{node} on {track}");
    }
    // Transits are async spans, begun and ended in pairs.
    let b = events.iter().filter(|e| e["ph"] == "b").count();
    assert!(b > 0 && b == events.iter().filter(|e| e["ph"] == "e").count());
    // A window keeps only what overlaps it.
    let cut = chrome(&["--trace-window", "5ms..6ms"]);
    assert!(
        cut.len() < events.len() / 2,
        "{} of {}",
        cut.len(),
        events.len()
    );
    for e in cut.iter().filter(|e| e["ph"] != "M") {
        let ts = e["ts"].as_f64().expect("ts");
        assert!((5000.0..=6000.0).contains(&ts), "{e}");
    }
}

#[test]
fn bad_trace_windows_are_exit_2_with_a_clear_message() {
    for (w, says) in [
        ("5ms", "FROM..TO"),
        ("6ms..5ms", "empty"),
        ("x..5ms", "not a duration"),
    ] {
        let dir = TempDir::new("badwin");
        let path = dir.join("t.json");
        rcsim(&[
            "run",
            "scenarios/patent-example.json",
            "--chrome-trace",
            path.to_str().expect("utf-8"),
            "--trace-window",
            w,
        ])
        .assert_usage_error(&["--trace-window", says]);
    }
}

/// The throughput chart is drawn from the series CSV's `host_writes`, `host_writes_per_s` and
/// `replicated_bytes_per_s`: recount each window from the run's trace (the same run: the same
/// seed gives the same events). A host write counts in the window it completed in; its bytes
/// count once, in the window its copy first reached the secondary site (a write or journal
/// segment delivered to a secondary, or a secondary applying it).
#[test]
fn throughput_windows_match_a_recount_from_the_trace() {
    let dir = TempDir::new("throughput-recount");
    for protocol in ["checkpoint", "central"] {
        let trace = dir.join(&format!("{protocol}.jsonl"));
        let out = dir.join(protocol);
        let (t, o) = (trace.to_str().unwrap(), out.to_str().unwrap());
        // The full history keeps every DBMS write's label, so the trace names each write alike
        // in every event.
        let full = ["--set", "checker.history=full", "--protocol", protocol];
        let run = rcsim(&[&["run", METRO, "--trace", t][..], &full].concat());
        assert!(
            run.code == EXIT_OK || run.code == EXIT_VIOLATION,
            "{}",
            run.stderr
        );
        rcsim(&[&["report", METRO, "--out", o][..], &full].concat()).assert_code(EXIT_OK);

        let mut completed = Vec::new();
        let mut size = BTreeMap::new();
        let mut reached: BTreeMap<String, u64> = BTreeMap::new();
        for line in std::fs::read_to_string(&trace).unwrap().lines() {
            let e: Value = serde_json::from_str(line).unwrap();
            let at = e["t"].as_u64().unwrap();
            let write = e["write"].as_str().map(str::to_string);
            // A segment held beyond a gap in its stream has reached the secondary all the same.
            let ev = match (e["ev"].as_str().unwrap(), e["was"].as_str()) {
                ("held", Some("deliver")) => "deliver",
                (ev, _) => ev,
            };
            match ev {
                "host-write" => {
                    size.insert(write.unwrap(), e["size"].as_u64().unwrap());
                }
                "write-complete" => completed.push(at),
                "apply" => {
                    reached.entry(write.unwrap()).or_insert(at);
                }
                "deliver"
                    if e["from"].as_str().unwrap().starts_with('P')
                        && e["to"].as_str().unwrap().starts_with('S')
                        && matches!(e["msg"].as_str(), Some("write" | "journal")) =>
                {
                    // "seq 3: w17 stamp 1200000"
                    let id = e["detail"].as_str().unwrap().split(' ').nth(2).unwrap();
                    reached.entry(id.to_string()).or_insert(at);
                }
                _ => {}
            }
        }
        let csv_file = std::fs::read_dir(out.join("series"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .starts_with(protocol)
            })
            .expect("the protocol's series CSV");
        let csv = std::fs::read_to_string(csv_file).unwrap();
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let (mut rows, mut total_bytes) = (0, 0);
        for line in lines {
            let cells: Vec<&str> = line.split(',').collect();
            let num = |name: &str| cells[col(name)].parse::<f64>().unwrap();
            let (end, window) = (num("time_ns") as u64, num("window_ns") as u64);
            let start = end - window;
            let writes = completed.iter().filter(|&&t| start <= t && t < end).count() as u64;
            let bytes: u64 = reached
                .iter()
                .filter(|&(_, &t)| start <= t && t < end)
                .map(|(id, _)| size[id])
                .sum();
            assert_eq!(
                num("host_writes") as u64,
                writes,
                "{protocol} window ending {end}"
            );
            let per_s = |n: u64| n as f64 * 1e9 / window as f64;
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.max(1.0);
            assert!(
                close(num("host_writes_per_s"), per_s(writes)),
                "{protocol} {end}"
            );
            assert!(
                close(num("replicated_bytes_per_s"), per_s(bytes)),
                "{protocol} window ending {end}: {} against {}",
                num("replicated_bytes_per_s"),
                per_s(bytes)
            );
            rows += 1;
            total_bytes += bytes;
        }
        assert!(rows > 10 && total_bytes > 0, "{protocol}: {rows} windows");
    }
}

/// The value of an age on each stretch between events, `(from, to, reference)`: the age at `t`
/// is `t - reference`, or 0 with none.
type Stretches = Vec<(u64, u64, Option<u64>)>;

/// The lines that are events (the rest, such as notes, host writes, completions and fences, are
/// said while an event takes effect).
const EVENTS: [&str; 15] = [
    "start-copy",
    "host-wake",
    "write-complete",
    "ship",
    "apply",
    "deliver",
    "timer",
    "disaster",
    "takeover",
    "crash",
    "restart",
    "fault",
    "held",
    "dropped",
    "superseded",
];

/// The secondary lag and the data exposure recounted from a run's trace, up to `end`, each as
/// its value between events. A write is stored on its primary's volume at its `write-complete`
/// line, completes at its host at `host-complete`, and a block on the secondary shows a write
/// (and every write stored on that block before it) at `apply`. The lag at `t` is `t` minus the
/// earliest store no secondary block has caught up with. The exposure at `t` is `t` minus the
/// earliest completion the image lacks while no secondary is fenced; while one is, hosts still
/// get the image they could last read, which lacks what it lacked then as well.
fn recount(trace: &std::path::Path, end: u64) -> (Stretches, Stretches) {
    let mut block_of: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    // Per block: its writes in stored order, and how many of them it has shown.
    let mut order: BTreeMap<(u64, u64, u64), (Vec<String>, usize)> = BTreeMap::new();
    let mut waiting: BTreeMap<String, u64> = BTreeMap::new();
    // Completed at the host and not shown by its block, with the completion time.
    let mut missing: BTreeMap<String, u64> = BTreeMap::new();
    let mut fenced: std::collections::BTreeSet<String> = Default::default();
    let mut last_open: Option<u64> = None;
    let (mut lag, mut exposure) = (Vec::new(), Vec::new());
    let mut since = 0;
    let lines = std::fs::read_to_string(trace).unwrap();
    for line in lines.lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        let at = e["t"].as_u64().unwrap();
        let ev = e["ev"].as_str().unwrap();
        if EVENTS.contains(&ev) {
            // The previous event is over: the state it left holds from its time.
            let refs = state(&waiting, &missing, &fenced, &mut last_open);
            if at > since {
                lag.push((since, at.min(end), refs.0));
                exposure.push((since, at.min(end), refs.1));
                since = at;
            }
            if at >= end || ev == "disaster" {
                break;
            }
        }
        let write = e["write"].as_str().map(str::to_string);
        match ev {
            "host-write" => {
                let n = |k: &str| e[k].as_u64().unwrap();
                block_of.insert(write.unwrap(), (n("subsystem"), n("volume"), n("block")));
            }
            "write-complete" => {
                let w = write.unwrap();
                order.entry(block_of[&w]).or_default().0.push(w.clone());
                waiting.insert(w, at);
            }
            "host-complete" => {
                let w = write.unwrap();
                let (writes, shown) = &order[&block_of[&w]];
                if writes[*shown..].contains(&w) {
                    missing.insert(w, at);
                }
            }
            "apply" => {
                let w = write.unwrap();
                let (writes, shown) = order.get_mut(&block_of[&w]).unwrap();
                let pos = writes.iter().position(|x| *x == w).unwrap() + 1;
                for x in &writes[*shown..pos.max(*shown)] {
                    waiting.remove(x);
                    missing.remove(x);
                }
                *shown = (*shown).max(pos);
            }
            "fenced" => {
                fenced.insert(e["node"].as_str().unwrap().to_string());
            }
            "readable" => {
                fenced.remove(e["node"].as_str().unwrap());
            }
            _ => {}
        }
    }
    if since < end {
        let refs = state(&waiting, &missing, &fenced, &mut last_open);
        lag.push((since, end, refs.0));
        exposure.push((since, end, refs.1));
    }
    (lag, exposure)
}

/// The lag's and the exposure's references in a state of [`recount`].
fn state(
    waiting: &BTreeMap<String, u64>,
    missing: &BTreeMap<String, u64>,
    fenced: &std::collections::BTreeSet<String>,
    last_open: &mut Option<u64>,
) -> (Option<u64>, Option<u64>) {
    let lacks = missing.values().min().copied();
    let seen = if fenced.is_empty() {
        *last_open = lacks;
        lacks
    } else {
        match (*last_open, lacks) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    };
    (waiting.values().min().copied(), seen)
}

/// Nanoseconds an age spent at or below `v`.
fn time_at_or_below(stretches: &[(u64, u64, Option<u64>)], v: u64) -> u64 {
    stretches
        .iter()
        .map(|&(a, b, r)| match r {
            None => b - a,
            // Values a - c .. b - c, one per ns: those <= v.
            Some(c) => (b - c).min(v + 1).saturating_sub(a - c),
        })
        .sum()
}

/// `secondary_lag` and `exposure` are weighted by time: their p50 and p99 are the values the
/// copy stayed at or below for half and 99% of the run (to the disaster), their max the largest
/// reached, each against a recount from the run's trace; and the series CSV's `lag_ns` and
/// `exposure_ns` are the values at each window's end.
#[test]
fn lag_and_exposure_percentiles_and_series_match_a_recount_from_the_trace() {
    let dir = TempDir::new("lag-recount");
    for (scenario, protocol) in [
        (METRO, "central"),
        ("scenarios/patent-example.json", "sync"),
        ("scenarios/checkpoint-faults.json", "checkpoint"),
        ("scenarios/rolling-disaster.json", "cycle"),
        (NETWORK_FAULTS, "checkpoint"),
    ] {
        let name = format!("{protocol}-{}", scenario.len());
        let trace = dir.join(&format!("{name}.jsonl"));
        let out = dir.join(&name);
        let (t, o) = (trace.to_str().unwrap(), out.to_str().unwrap());
        let full = ["--set", "checker.history=full", "--protocol", protocol];
        let run = rcsim(&[&["run", scenario, "--json", "--trace", t][..], &full].concat());
        assert!(
            run.code == EXIT_OK || run.code == EXIT_VIOLATION,
            "{}",
            run.stderr
        );
        let r = run.json();
        let end = r["disaster_ns"]
            .as_u64()
            .unwrap_or_else(|| ns(&r["sim_ns"]));
        let (lag, exposure) = recount(&trace, end);
        rcsim(&[&["report", scenario, "--out", o][..], &full].concat()).assert_code(EXIT_OK);
        let csv_file = std::fs::read_dir(out.join("series"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_str().unwrap().contains(&format!("{protocol}-seed")))
            .expect("the protocol's series CSV");
        let csv = std::fs::read_to_string(csv_file).unwrap();
        for (key, column, stretches) in [
            ("secondary_lag", "lag_ns", &lag),
            ("exposure", "exposure_ns", &exposure),
        ] {
            let what = format!("{name} {key}");
            assert_eq!(stretches.last().unwrap().1, end, "{what}");
            let got = &r["latency_ns"][key];
            let max = stretches
                .iter()
                .filter_map(|&(a, b, c)| c.map(|c| b - 1 - c).filter(|_| b > a))
                .max()
                .unwrap_or(0);
            assert_eq!(ns(&got["max"]), max, "{what}");
            for (q, p) in [(0.5, "p50"), (0.99, "p99")] {
                // The smallest value the age stayed at or below for a share q of the time.
                let need = (q * end as f64).ceil() as u64;
                let (mut lo, mut hi) = (0, max);
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    if time_at_or_below(stretches, mid) >= need {
                        hi = mid;
                    } else {
                        lo = mid + 1;
                    }
                }
                let v = ns(&got[p]);
                assert!(
                    v.abs_diff(lo) <= lo / 100 + 2,
                    "{what} {p}: {v} against a recount of {lo}"
                );
            }
            let mut lines = csv.lines();
            let header: Vec<&str> = lines.next().unwrap().split(',').collect();
            let col = |h: &str| header.iter().position(|x| *x == h).unwrap();
            let mut rows = 0;
            for line in lines {
                let cells: Vec<&str> = line.split(',').collect();
                let at: u64 = cells[col("time_ns")].parse().unwrap();
                let t = at.min(end);
                // The state the events before t left (a window ending at an event's time closes
                // before that event).
                let reference = stretches
                    .iter()
                    .rev()
                    .find(|&&(a, _, _)| a < t)
                    .and_then(|s| s.2);
                assert_eq!(
                    cells[col(column)].parse::<u64>().unwrap(),
                    reference.map_or(0, |c| t - c),
                    "{what}: window ending {at}"
                );
                rows += 1;
            }
            assert!(rows > 10, "{what}: {rows} windows");
        }
        assert!(
            ns(&r["latency_ns"]["secondary_lag"]["max"]) > 0,
            "{name}: the copy never trailed"
        );
    }
}

/// The shaded bands (`<rect>` at the shading's opacity) of `fill` in an SVG chart, as
/// `(x, width)` in pixels, in the order drawn (panel by panel).
fn bands(svg: &str, fill: &str) -> Vec<(i64, i64)> {
    let attr = |tag: &str, name: &str| -> i64 {
        let at = tag.find(&format!(" {name}=\"")).expect("attribute") + name.len() + 3;
        tag[at..]
            .split('"')
            .next()
            .expect("value")
            .parse()
            .expect("a pixel count")
    };
    svg.split("<rect")
        .skip(1)
        .map(|r| &r[..r.find('>').expect("tag ends")])
        .filter(|r| r.contains(&format!("fill=\"{fill}\"")) && r.contains("opacity=\"0.16\""))
        .map(|r| (attr(r, "x"), attr(r, "width")))
        .collect()
}

/// Two overlapping crashes of S1 (100-200 ms and 120-130 ms) are one shaded window from the
/// first crash to the restart that brings S1 back: it starts where a crash of P2 at 100 ms
/// starts and ends where a crash of P3 at 200 ms starts (to the pixel), in every panel.
#[test]
fn overlapping_crashes_shade_one_window_from_the_first_crash_to_the_last_restart() {
    let dir = TempDir::new("overlap-shade");
    let faults = r#"faults=[
        {"kind":"crash","site":"secondary","subsystem":1,"at":"100ms","down_for":"100ms"},
        {"kind":"crash","site":"secondary","subsystem":1,"at":"120ms","down_for":"10ms"},
        {"kind":"crash","site":"primary","subsystem":2,"at":"100ms","down_for":"10ms"},
        {"kind":"crash","site":"primary","subsystem":3,"at":"200ms","down_for":"50ms"}]"#;
    rcsim(&[
        "report",
        "scenarios/checkpoint-faults.json",
        "--protocol",
        "checkpoint",
        "--set",
        faults,
        "--out",
        dir.path().to_str().expect("utf-8"),
    ])
    .assert_code(EXIT_OK)
    .assert_no_panic();
    let md = std::fs::read_to_string(dir.join("index.md")).expect("index.md");
    assert!(md.contains("secondary crash (S1)"), "{md}");
    let svg = std::fs::read_to_string(dir.join("buffers.svg")).expect("svg");
    let secondary = bands(&svg, "#DCBE00");
    let primary = bands(&svg, "#FF8C00");
    assert!(!secondary.is_empty(), "no secondary crash shaded");
    assert_eq!(
        primary.len(),
        2 * secondary.len(),
        "one S1 window and two primary ones per panel: {secondary:?} {primary:?}"
    );
    for (s, p) in secondary.iter().zip(primary.chunks(2)) {
        let (p2, p3) = (p[0], p[1]);
        assert_eq!(
            s.0, p2.0,
            "S1's window starts with its first crash, at 100 ms"
        );
        assert!(
            (s.0 + s.1 - p3.0).abs() <= 1,
            "S1's window {s:?} ends at its restart, 200 ms, where P3's crash {p3:?} starts"
        );
    }
}
