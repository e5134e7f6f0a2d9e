//! Figures with nothing to measure: a run whose hosts issued writes of which none completed, or
//! a disaster at 0 ns, has empty latency distributions. Every output must say so (null in JSON,
//! an empty CSV cell, "n/a" in text) rather than report a latency of zero.

use crate::common;

use common::*;
use serde_json::Value;

/// Every pair link of `scenarios/metro.json` down for longer than the run: under `sync` no host
/// write can complete.
const ALL_LINKS_DOWN: &str = r#"faults=[{"kind":"link_outage","pair":1,"at":"0ms","for":"10s"},{"kind":"link_outage","pair":2,"at":"0ms","for":"10s"},{"kind":"link_outage","pair":3,"at":"0ms","for":"10s"},{"kind":"link_outage","pair":4,"at":"0ms","for":"10s"}]"#;

const METRO: &str = "scenarios/metro.json";

fn is_null_distribution(v: &Value) -> bool {
    ["p50", "p99", "max"].iter().all(|k| v[k].is_null())
}

#[test]
fn no_completed_write_gives_null_latencies_and_na_in_the_summary() {
    let r = run_json(
        METRO,
        &["--protocol", "sync", "--set", ALL_LINKS_DOWN],
        EXIT_OK,
    );
    // Independently of the latency block: writes were issued and none completed.
    assert!(r["writes"]["issued"].as_u64().expect("issued") > 0, "{r}");
    assert_eq!(r["writes"]["completed"], 0, "{r}");
    let l = &r["latency_ns"];
    assert!(is_null_distribution(&l["host_write"]), "{l}");
    // Time did pass, so the lag was measured, and grew to (nearly) the whole run.
    let lag_max = l["secondary_lag"]["max"].as_u64().expect("lag measured");
    assert!(lag_max > r["sim_ns"].as_u64().expect("sim_ns") / 2, "{l}");

    let out = rcsim(&["run", METRO, "--protocol", "sync", "--set", ALL_LINKS_DOWN]);
    out.assert_code(EXIT_OK).assert_no_panic();
    assert!(
        out.stdout
            .contains("host write latency n/a (no write completed)"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("p50 0ns"), "{}", out.stdout);
}

#[test]
fn a_disaster_at_zero_measures_no_lag_or_exposure() {
    let r = run_json(METRO, &["--disaster-at", "0"], EXIT_OK);
    assert_eq!(r["disaster_ns"], 0, "{r}");
    assert_eq!(r["writes"]["completed"], 0, "{r}");
    for d in ["host_write", "secondary_lag", "exposure"] {
        assert!(is_null_distribution(&r["latency_ns"][d]), "{d}: {r}");
    }
    let out = rcsim(&["run", METRO, "--disaster-at", "0"]);
    out.assert_code(EXIT_OK).assert_no_panic();
    assert!(
        out.stdout
            .contains("secondary lag n/a (no time before the disaster)"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_sweep_leaves_unmeasured_latency_cells_empty() {
    let dir = TempDir::new("sweep-unmeasured");
    let out_dir = dir.join("sw0");
    let out = rcsim(&[
        "sweep",
        METRO,
        "--vary",
        "disaster_at=0ms,100ms",
        "--protocol",
        "checkpoint,sync",
        "--out",
        out_dir.to_str().expect("utf-8"),
    ]);
    out.assert_code(EXIT_OK).assert_no_panic();
    let csv = std::fs::read_to_string(out_dir.join("sweep.csv")).expect("sweep.csv");
    let mut lines = csv.lines();
    let head: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |name: &str| head.iter().position(|h| *h == name).expect(name);
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(out_dir.join("sweep.json")).expect("sweep.json"),
    )
    .expect("JSON");
    let rows = json["rows"].as_array().expect("rows");
    let cells: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(cells.len(), 4, "{csv}");
    for (row, j) in cells.iter().zip(rows) {
        // A disaster at 0 ms leaves no time for a write to complete or a lag to be followed.
        let empty = row[col("value")] == "0ms";
        for name in [
            "write_p50_ns",
            "write_p99_ns",
            "lag_p99_ns",
            "exposure_p99_ns",
        ] {
            assert_eq!(row[col(name)].is_empty(), empty, "{name} in {row:?}");
            assert_eq!(j[name].is_null(), empty, "{name} in {j}");
        }
    }
}

/// Runs `rcsim report ARGS --out DIR` and returns what it wrote: `(index.md, file reader)`.
fn report(dir: &TempDir, args: &[&str]) -> (String, impl Fn(&str) -> String) {
    let out_dir = dir.join("report");
    let mut all: Vec<&str> = vec!["report"];
    all.extend(args);
    all.extend(["--out", out_dir.to_str().expect("utf-8")]);
    rcsim(&all).assert_code(EXIT_OK).assert_no_panic();
    let read = move |name: &str| {
        std::fs::read_to_string(out_dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    (read("index.md"), read)
}

/// The caption under the chart titled `title` in `index.md`.
fn caption<'a>(md: &'a str, title: &str) -> &'a str {
    let at = md
        .find(&format!("### {title}"))
        .unwrap_or_else(|| panic!("no chart {title}"));
    md[at..]
        .lines()
        .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .expect("a caption")
}

/// Filled circles of `colour` (`#RRGGBB`) in an SVG: the trade-off chart's points (and legend
/// dots).
fn circles(svg: &str, colour: &str) -> usize {
    let fill = format!("fill=\"{colour}\"");
    svg.split("<circle")
        .skip(1)
        .filter(|c| c.split('>').next().unwrap_or("").contains(&fill))
        .count()
}

const CHECKPOINT_BLUE: &str = "#1F77B4";
const SYNC_GREEN: &str = "#2CA02C";

#[test]
fn the_tradeoff_chart_draws_no_point_for_a_protocol_without_a_completed_write() {
    let dir = TempDir::new("tradeoff-unmeasured");
    let (md, read) = report(
        &dir,
        &[
            METRO,
            "--protocol",
            "checkpoint,sync",
            "--set",
            ALL_LINKS_DOWN,
        ],
    );
    let svg = read("tradeoff.svg");
    // checkpoint completed writes: a point and a legend dot in each of the two panels.
    assert_eq!(circles(&svg, CHECKPOINT_BLUE), 4, "{svg}");
    // sync completed none: nothing of its colour, and the chart says why.
    assert_eq!(circles(&svg, SYNC_GREEN), 0, "{svg}");
    assert_eq!(svg.matches("sync: no write completed").count(), 2, "{svg}");
    let c = caption(&md, "Write latency against data loss");
    assert!(c.contains("(sync: no write completed)"), "{c}");
    assert!(!c.contains("checkpoint: no write"), "{c}");
}

#[test]
fn the_tradeoff_chart_is_empty_when_no_protocol_completed_a_write() {
    let dir = TempDir::new("tradeoff-all-unmeasured");
    let (md, read) = report(
        &dir,
        &[
            "scenarios/patent-example.json",
            "--set",
            "workloads.0.writes.0.at=25ms",
        ],
    );
    let svg = read("tradeoff.svg");
    assert_eq!(svg.matches("<circle").count(), 0, "{svg}");
    let c = caption(&md, "Write latency against data loss");
    for p in ["checkpoint", "independent", "sync", "central", "cycle"] {
        let note = format!("{p}: no write completed");
        assert!(svg.contains(&note), "{note} in\n{svg}");
        assert!(c.contains(&note), "{note} in {c}");
    }
}
