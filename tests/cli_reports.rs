//! `rcsim report`, `rcsim sweep` and `rcsim run --chrome-trace` through the real binary: the
//! files exist and parse, the HTML page is self-contained, and the same input gives the same
//! bytes.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use serde_json::Value;

const PATENT_EXAMPLE: &str = "scenarios/patent-example.json";

/// Every file under a directory, by its path relative to it (`series/x.csv`), with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).expect("output directory exists") {
        let e = e.expect("directory entry");
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_dir() {
            for (sub, bytes) in files(&e.path()) {
                out.insert(format!("{name}/{sub}"), bytes);
            }
        } else {
            out.insert(name, std::fs::read(e.path()).expect("readable file"));
        }
    }
    out
}

/// A PNG: the signature, an IHDR of the chart's size, and a plausible length.
fn assert_png(name: &str, bytes: &[u8]) {
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{name} is not a PNG"
    );
    assert_eq!(&bytes[12..16], b"IHDR", "{name}: first chunk is IHDR");
    let w = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
    let h = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
    assert!(
        (400..=2000).contains(&w) && (300..=2000).contains(&h),
        "{name}: {w}x{h}"
    );
    assert!(
        (5_000..400_000).contains(&bytes.len()),
        "{name}: {} bytes is not a plausible chart",
        bytes.len()
    );
    assert!(bytes.ends_with(b"IEND\xaeB`\x82"), "{name} is truncated");
}

/// Well-formed XML in the small sense a chart needs: tags balance, the root is `<svg>`, and it
/// has text (titles, axis labels).
fn assert_svg(name: &str, text: &str) {
    let body = text.trim_start();
    let body = match body.strip_prefix("<?xml") {
        Some(rest) => &rest[rest.find("?>").expect("declaration ends") + 2..],
        None => body,
    };
    let mut stack: Vec<String> = Vec::new();
    let mut rest = body;
    let mut saw_root = false;
    let mut texts = 0;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest
            .find('>')
            .unwrap_or_else(|| panic!("{name}: unclosed tag"));
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') || tag.starts_with('?') {
            continue;
        }
        if let Some(closing) = tag.strip_prefix('/') {
            let open = stack
                .pop()
                .unwrap_or_else(|| panic!("{name}: stray </{closing}>"));
            assert_eq!(open, closing.trim(), "{name}: tags cross");
            continue;
        }
        let tag_name: String = tag
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '/')
            .collect();
        if !saw_root {
            assert_eq!(tag_name, "svg", "{name}: the root element is svg");
            saw_root = true;
        }
        if tag_name == "text" {
            texts += 1;
        }
        if !tag.ends_with('/') {
            stack.push(tag_name);
        }
    }
    assert!(saw_root, "{name}: no svg element");
    assert!(stack.is_empty(), "{name}: unclosed {stack:?}");
    assert!(texts >= 3, "{name}: only {texts} text elements");
}

fn assert_self_contained(html: &str) {
    let lower = html.to_ascii_lowercase();
    for bad in [
        "src=\"http",
        "src='http",
        "href=\"http",
        "href='http",
        "<script src",
        "<link",
        "@import",
        "url(http",
    ] {
        assert!(
            !lower.contains(bad),
            "index.html refers outside itself: {bad}"
        );
    }
}

#[test]
fn report_writes_charts_and_pages_and_exits_1_for_the_violation() {
    let dir = TempDir::new("report");
    let out = rcsim(&[
        "report",
        PATENT_EXAMPLE,
        "--out",
        dir.path().to_str().expect("utf-8 path"),
    ]);
    // `independent` shows io3 without io2: the report is written and the exit code says so.
    out.assert_code(EXIT_VIOLATION).assert_no_panic();
    let f = files(dir.path());
    for stem in [
        "latency-percentiles",
        "latency-over-time",
        "lag-exposure",
        "buffers",
        "link-utilisation",
        "checkpoint-rounds",
        "throughput",
        "tradeoff",
    ] {
        let png = format!("{stem}.png");
        let svg = format!("{stem}.svg");
        assert_png(&png, f.get(&png).unwrap_or_else(|| panic!("{png} missing")));
        let text = std::str::from_utf8(f.get(&svg).unwrap_or_else(|| panic!("{svg} missing")))
            .expect("SVG is UTF-8");
        assert_svg(&svg, text);
    }
    let md = String::from_utf8(f["index.md"].clone()).expect("UTF-8");
    for p in ["checkpoint", "independent", "sync"] {
        assert!(md.contains(&format!("## {p}")), "index.md lacks {p}:\n{md}");
    }
    assert!(md.contains("INCONSISTENT"), "{md}");
    assert!(md.contains("io3 present without io2"), "{md}");
    assert!(md.contains("(latency-percentiles.png)"), "{md}");
    // The data behind the charts, per protocol and seed.
    for p in ["checkpoint", "independent", "sync", "central", "cycle"] {
        let csv = String::from_utf8(f[&format!("series/{p}-seed1.csv")].clone()).expect("UTF-8");
        let head = csv.lines().next().expect("a header");
        assert!(head.starts_with("time_ns,"), "{head}");
        for col in ["primary_backlog_writes", "lag_ns", "exposure_ns"] {
            assert!(head.split(',').any(|c| c == col), "{p}: no {col} in {head}");
        }
        let hgrm = String::from_utf8(f[&format!("hgrm/{p}-seed1.hgrm")].clone()).expect("UTF-8");
        assert!(hgrm.contains("1/(1-Percentile)"), "{hgrm}");
    }
    let html = String::from_utf8(f["index.html"].clone()).expect("UTF-8");
    assert_self_contained(&html);
    assert!(html.matches("<svg").count() >= 6, "SVGs are inline");
    assert!(html.contains("The patent&#39;s") || html.contains("The patent's"));
    assert!(!html.contains("<img"), "no external images");
}

#[test]
fn report_for_one_protocol_without_violation_exits_0() {
    let dir = TempDir::new("report-sync");
    let out = rcsim(&[
        "report",
        PATENT_EXAMPLE,
        "--protocol",
        "sync,checkpoint",
        "--seeds",
        "1..3",
        "--out",
        dir.path().to_str().expect("utf-8 path"),
    ]);
    out.assert_code(EXIT_OK).assert_no_panic();
    let md = std::fs::read_to_string(dir.join("index.md")).expect("index.md");
    assert!(!md.contains("## independent"));
    assert!(md.contains("Seeds: 1 to 2"), "{md}");
}

#[test]
fn report_is_byte_identical_for_the_same_input() {
    // The same output directory both times: the pages name it in their regenerate command.
    let d = TempDir::new("report-same");
    let run = || {
        let _ = std::fs::remove_dir_all(d.path());
        rcsim(&[
            "report",
            PATENT_EXAMPLE,
            "--out",
            d.path().to_str().expect("utf-8 path"),
        ])
        .assert_code(EXIT_VIOLATION);
        files(d.path())
    };
    let (fa, fb) = (run(), run());
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        assert!(
            bytes == &fb[name],
            "{name} differs between two identical runs"
        );
    }
}

#[test]
fn report_bad_input_is_exit_2_and_writes_nothing() {
    let dir = TempDir::new("report-bad");
    let out_dir = dir.join("out");
    let out = rcsim(&[
        "report",
        "scenarios/no-such-file.json",
        "--out",
        out_dir.to_str().expect("utf-8 path"),
    ]);
    out.assert_usage_error(&["no-such-file.json"]);
    assert!(!out_dir.exists(), "nothing is written for bad input");
    let out = rcsim(&[
        "report",
        PATENT_EXAMPLE,
        "--seeds",
        "5..5",
        "--out",
        out_dir.to_str().expect("utf-8 path"),
    ]);
    out.assert_code(EXIT_USAGE).assert_no_panic();
    assert!(out.stderr.contains("empty"), "{}", out.stderr);
}

#[test]
fn sweep_writes_one_row_per_run_and_charts() {
    let dir = TempDir::new("sweep");
    let out = rcsim(&[
        "sweep",
        PATENT_EXAMPLE,
        "--vary",
        "disaster_at=2ms,3ms,6ms",
        "--seeds",
        "1..3",
        "--protocol",
        "checkpoint,independent",
        "--out",
        dir.path().to_str().expect("utf-8 path"),
    ]);
    out.assert_code(EXIT_VIOLATION).assert_no_panic();
    let csv = std::fs::read_to_string(dir.join("sweep.csv")).expect("sweep.csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 3 * 2 * 2, "{csv}");
    let head: Vec<&str> = lines[0].split(',').collect();
    for col in [
        "value",
        "protocol",
        "seed",
        "consistent",
        "violations",
        "rpo_lost_writes",
        "rpo_window_ns",
        "write_p50_ns",
        "write_p99_ns",
        "lag_p99_ns",
        "checkpoints_applied",
    ] {
        assert!(head.contains(&col), "{col} missing from {head:?}");
    }
    assert!(
        lines[1].starts_with("2ms,checkpoint,1,true,"),
        "{}",
        lines[1]
    );
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("sweep.json")).expect("sweep.json"))
            .expect("sweep.json parses");
    assert_eq!(json["vary"], "disaster_at");
    assert_eq!(json["rows"].as_array().map(Vec::len), Some(12));
    // The checkpoint protocol never breaks consistency; independent does once io3 can be
    // shipped before io2 (a disaster at 3ms or later).
    for row in json["rows"].as_array().expect("rows") {
        if row["protocol"] == "checkpoint" {
            assert_eq!(row["consistent"], true, "{row}");
        }
        if row["protocol"] == "independent" && row["value"] == "6ms" {
            assert_eq!(row["consistent"], false, "{row}");
        }
    }
    let f = files(dir.path());
    for stem in ["sweep-rpo", "sweep-latency", "sweep-violations"] {
        assert_png(stem, &f[&format!("{stem}.png")]);
        assert_svg(
            stem,
            std::str::from_utf8(&f[&format!("{stem}.svg")]).expect("UTF-8"),
        );
    }
    let html = String::from_utf8(f["index.html"].clone()).expect("UTF-8");
    assert_self_contained(&html);
    assert_eq!(html.matches("<svg").count(), 3, "every chart inline");
}

#[test]
fn sweep_is_byte_identical_for_the_same_input() {
    let d = TempDir::new("sweep-same");
    let run = || {
        let _ = std::fs::remove_dir_all(d.path());
        rcsim(&[
            "sweep",
            PATENT_EXAMPLE,
            "--vary",
            "protocol.checkpoint_interval=1ms,4ms",
            "--out",
            d.path().to_str().expect("utf-8 path"),
        ])
        .assert_no_panic();
        files(d.path())
    };
    let (fa, fb) = (run(), run());
    assert!(fa.contains_key("sweep.csv") && fa.contains_key("sweep-rpo.png"));
    for (name, bytes) in &fa {
        assert!(
            bytes == &fb[name],
            "{name} differs between two identical sweeps"
        );
    }
}

#[test]
fn sweep_bad_values_are_exit_2() {
    let dir = TempDir::new("sweep-bad");
    let out_dir = dir.join("out");
    let o = out_dir.to_str().expect("utf-8 path");
    rcsim(&[
        "sweep",
        PATENT_EXAMPLE,
        "--vary",
        "disaster_at=soon",
        "--out",
        o,
    ])
    .assert_usage_error(&["disaster_at=soon"]);
    rcsim(&[
        "sweep",
        PATENT_EXAMPLE,
        "--vary",
        "topology.pairs=4,many",
        "--out",
        o,
    ])
    .assert_usage_error(&["topology.pairs", "many"]);
    rcsim(&["sweep", PATENT_EXAMPLE, "--vary", "novalues", "--out", o])
        .assert_usage_error(&["PATH=V1,V2"]);
    assert!(!out_dir.exists(), "nothing is written for bad input");
}

#[test]
fn chrome_trace_has_tracks_flows_checkpoints_and_faults() {
    let dir = TempDir::new("chrome");
    let path = dir.join("trace.json");
    let plain = run_json(PATENT_EXAMPLE, &[], EXIT_OK);
    let traced = run_json(
        PATENT_EXAMPLE,
        &["--chrome-trace", path.to_str().expect("utf-8 path")],
        EXIT_OK,
    );
    assert_eq!(
        trace_hash(&plain),
        trace_hash(&traced),
        "watching must not change the run"
    );
    let bytes = std::fs::read(&path).expect("trace written");
    let v: Value = serde_json::from_slice(&bytes).expect("the Chrome trace is JSON");
    let events = v["traceEvents"].as_array().expect("traceEvents array");
    let count = |ph: &str| events.iter().filter(|e| e["ph"] == ph).count();
    let names: Vec<&str> = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
        .filter_map(|e| e["args"]["name"].as_str())
        .collect();
    for track in [
        "P1 primary",
        "S4 secondary",
        "link 2 P->S",
        "primary LAN",
        "faults",
    ] {
        assert!(names.contains(&track), "no {track} track in {names:?}");
    }
    assert!(
        count("s") > 0 && count("s") == count("f"),
        "flows come in pairs"
    );
    assert!(
        events
            .iter()
            .any(|e| e["ph"] == "i" && e["name"] == "checkpoint-issued"),
        "checkpoints are instants"
    );
    assert!(
        events
            .iter()
            .any(|e| e["ph"] == "X" && e["name"] == "update in progress"),
        "update in progress is a slice"
    );
    assert!(
        events
            .iter()
            .any(|e| e["ph"] == "b" && e["name"] == "primary site down"),
        "the disaster is an async span"
    );
    assert!(events
        .iter()
        .filter(|e| e["ph"] != "M")
        .all(|e| e["ts"].is_number()));
    // Same input, same bytes.
    let again = dir.join("again.json");
    run_json(
        PATENT_EXAMPLE,
        &["--chrome-trace", again.to_str().expect("utf-8 path")],
        EXIT_OK,
    );
    assert!(bytes == std::fs::read(&again).expect("trace written"));
}

#[test]
fn committed_example_reports_are_complete() {
    for dir in ["reports/patent-example", "reports/metro", "reports/global"] {
        let d = root().join(dir);
        let html = std::fs::read_to_string(d.join("index.html"))
            .unwrap_or_else(|e| panic!("{dir}/index.html: {e}"));
        assert_self_contained(&html);
        assert!(d.join("index.md").exists(), "{dir}/index.md");
        assert_png(
            &format!("{dir}/lag-exposure.png"),
            &std::fs::read(d.join("lag-exposure.png")).expect("chart"),
        );
    }
    assert!(root().join("reports/distance/sweep.csv").exists());
    assert!(root().join("reports/regenerate.sh").exists());
}
