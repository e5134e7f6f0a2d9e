//! Figures with nothing to measure: a run whose hosts issued writes of which none completed, or
//! a disaster at 0 ns, has empty latency distributions. Every output must say so (null in JSON,
//! an empty CSV cell, "n/a" in text) rather than report a latency of zero; figures over several
//! runs come from the runs that measured them.

use crate::common;

use common::*;
use rcsim::report::units::human_ns;
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

/// The report of `checkpoint` and `sync` on metro with every link down: `sync` completes no
/// host write, `checkpoint` does.
fn report_without_sync_writes(dir: &TempDir) -> (String, impl Fn(&str) -> String) {
    report(
        dir,
        &[
            METRO,
            "--protocol",
            "checkpoint,sync",
            "--set",
            ALL_LINKS_DOWN,
        ],
    )
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
    let (md, read) = report_without_sync_writes(&dir);
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

/// The comparison table at the top of `index.md`: protocol name → column name → cell.
fn comparison(
    md: &str,
) -> std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>> {
    let cells = |l: &str| -> Vec<String> {
        l.trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect()
    };
    let mut lines = md.lines().skip_while(|l| !l.starts_with("| protocol |"));
    let head = cells(lines.next().expect("a comparison table"));
    lines
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let row = cells(l);
            (row[0].clone(), head.iter().cloned().zip(row).collect())
        })
        .collect()
}

#[test]
fn latency_captions_say_na_and_name_no_overlap_without_samples() {
    let dir = TempDir::new("captions-unmeasured");
    let (md, _) = report_without_sync_writes(&dir);
    let c = caption(&md, "Host write latency by percentile");
    assert!(c.contains("sync n/a (no write completed)"), "{c}");
    assert!(!c.contains("sync p50"), "{c}");
    // checkpoint did complete writes: its figures are those of its result.
    let r = run_json(
        METRO,
        &["--protocol", "checkpoint", "--set", ALL_LINKS_DOWN],
        EXIT_OK,
    );
    assert!(
        r["latency_ns"]["host_write"]["p50"]
            .as_u64()
            .expect("measured")
            > 0
    );
    assert!(c.contains("checkpoint p50 "), "{c}");

    let dir = TempDir::new("captions-all-unmeasured");
    let (md, _) = report(
        &dir,
        &[
            "scenarios/patent-example.json",
            "--set",
            "workloads.0.writes.0.at=25ms",
        ],
    );
    for title in [
        "Host write latency by percentile",
        "Host write latency over time",
    ] {
        let c = caption(&md, title);
        assert!(!c.contains("lies under"), "{title}: {c}");
        assert!(!c.contains(" 0 ns"), "{title}: {c}");
    }
}

#[test]
fn a_disaster_at_zero_shows_na_for_lag_exposure_and_time_within_target() {
    let dir = TempDir::new("d0rep");
    let (md, _) = report(&dir, &[METRO, "--disaster-at", "0", "--rpo-target", "10ms"]);
    let table = comparison(&md);
    assert_eq!(table.len(), 5, "{md}");
    for (protocol, row) in &table {
        for col in ["lag p99", "exposure p99", "within 10 ms target"] {
            assert_eq!(row[col], "n/a", "{protocol} {col}: {row:?}");
        }
    }
    let c = caption(&md, "Secondary lag and data exposure over time");
    assert!(c.contains("the share of time within it is n/a"), "{c}");
    assert!(!c.contains('%'), "{c}");
    assert!(!c.contains(" 0 ns"), "{c}");
}

#[test]
fn checkpoints_applied_is_zero_of_zero_for_a_protocol_that_issued_none() {
    // Independently: the results say how many rounds each protocol issued and applied.
    let set = "protocol.checkpoint_interval=10s";
    let counts = |protocol: &str| {
        let r = run_json(METRO, &["--protocol", protocol, "--set", set], EXIT_OK);
        let c = &r["checkpoints"];
        (
            c["applied"].as_u64().expect("applied"),
            c["issued"].as_u64().expect("issued"),
        )
    };
    let dir = TempDir::new("nocp");
    let (md, _) = report(
        &dir,
        &[METRO, "--protocol", "checkpoint,cycle", "--set", set],
    );
    let table = comparison(&md);
    assert_eq!(counts("checkpoint"), (0, 0));
    assert_eq!(table["checkpoint"]["checkpoints applied"], "0 of 0", "{md}");
    let (applied, issued) = counts("cycle");
    assert!(issued > 0);
    assert_eq!(
        table["cycle"]["checkpoints applied"],
        format!("{applied} of {issued}"),
        "{md}"
    );
    // n/a stays for the protocols without checkpoints.
    let dir = TempDir::new("d0rep-checkpoints");
    let (md, _) = report(&dir, &[METRO, "--disaster-at", "0"]);
    let table = comparison(&md);
    for (protocol, want) in [
        ("checkpoint", "0 of 0"),
        ("central", "0 of 0"),
        ("cycle", "0 of 0"),
        ("independent", "n/a"),
        ("sync", "n/a"),
    ] {
        assert_eq!(table[protocol]["checkpoints applied"], want, "{protocol}");
    }
}

#[test]
fn a_report_where_some_runs_complete_no_write_says_how_many_and_shows_only_the_measured() {
    // A disaster 1.5 ms in: under sync a write needs a round trip of about 1.3 ms after it is
    // issued, so whether one completes in time depends on when the seed's first writes arrive.
    let disaster = ["--disaster-at", "1.5ms"];
    let seeds: Vec<u64> = (1..9).collect();
    let results: Vec<Value> = seeds
        .iter()
        .map(|s| {
            let seed = s.to_string();
            let mut args = vec!["--protocol", "sync", "--seed", &seed];
            args.extend(disaster);
            run_json(METRO, &args, EXIT_OK)
        })
        .collect();
    // Independently of the report: which runs completed no write, and the measured figures.
    let unmeasured: Vec<u64> = seeds
        .iter()
        .zip(&results)
        .filter(|(_, r)| r["writes"]["completed"] == 0)
        .map(|(s, r)| {
            assert!(is_null_distribution(&r["latency_ns"]["host_write"]), "{r}");
            *s
        })
        .collect();
    let (n, m) = (unmeasured.len(), seeds.len());
    assert!(
        0 < n && n < m,
        "want some but not all unmeasured: {unmeasured:?}"
    );
    let measured = |key: &str| -> Vec<u64> {
        results
            .iter()
            .filter_map(|r| r["latency_ns"]["host_write"][key].as_u64())
            .collect()
    };
    // The lower middle of the measured runs only: counting the unmeasured ones as 0 (or
    // anything) would move it.
    let lower_middle = |mut v: Vec<u64>| {
        v.sort_unstable();
        v[(v.len() - 1) / 2]
    };
    let p50 = lower_middle(measured("p50"));
    let p99 = lower_middle(measured("p99"));
    let mut with_zeros = measured("p99");
    with_zeros.extend(std::iter::repeat_n(0, n));
    assert_ne!(lower_middle(with_zeros), p99, "the check would not tell");

    let dir = TempDir::new("some-unmeasured");
    let mut args = vec![METRO, "--protocol", "checkpoint,sync", "--seeds", "1..9"];
    args.extend(disaster);
    let (md, read) = report(&dir, &args);
    let note = format!("sync: no write completed in {n} of {m} runs");
    let c = caption(&md, "Write latency against data loss");
    assert!(c.contains(&format!("no point ({note})")), "{c}");
    assert!(!c.contains("checkpoint: no write"), "{c}");
    let svg = read("tradeoff.svg");
    assert_eq!(svg.matches(&note).count(), 2, "{svg}");
    // One point per measured run in each of the two panels, and a legend dot in each.
    assert_eq!(circles(&svg, SYNC_GREEN), 2 * (m - n) + 2, "{svg}");
    assert_eq!(circles(&svg, CHECKPOINT_BLUE), 2 * m + 2, "{svg}");

    let table = comparison(&md);
    assert_eq!(table["sync"]["write p50"], human_ns(p50), "{md}");
    assert_eq!(table["sync"]["write p99"], human_ns(p99), "{md}");
    // The per-seed rows say n/a exactly for the runs that measured nothing.
    let sync = &md[md.find("## sync").expect("a sync section")..];
    for (seed, r) in seeds.iter().zip(&results) {
        let row = sync
            .lines()
            .find(|l| l.starts_with(&format!("| {seed} |")))
            .unwrap_or_else(|| panic!("no row for seed {seed}"));
        let cell = row.split('|').nth(3).expect("write p50").trim();
        match r["latency_ns"]["host_write"]["p50"].as_u64() {
            Some(v) => assert_eq!(cell, human_ns(v), "{row}"),
            None => assert_eq!(cell, "n/a", "{row}"),
        }
    }
}
