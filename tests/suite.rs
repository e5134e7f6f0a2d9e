//! The integration test suite: every file under `tests/` is one module of this single test
//! binary. One binary links once instead of once per file (about a third of the test build on a
//! fresh clone) and runs all tests on one thread pool. `Cargo.toml` sets `autotests = false`, so a
//! file left out of the list below would silently never run: `every_test_file_is_in_the_suite`
//! guards against that.

mod common;

mod architecture;
mod checker_rules;
mod checkpoint_faults;
mod cli_bench;
mod cli_errors;
mod cli_inputs;
mod cli_polish;
mod cli_reports;
mod cli_run;
mod cli_validate;
mod clock_uncertainty;
mod cluster;
mod dbms_labels;
mod deploy;
mod determinism;
mod explore;
mod fault_overlap;
mod findings;
mod fuzz;
mod hostile_inputs;
mod hostile_scenarios;
mod merge_inputs;
mod network_only;
mod output_files;
mod replay;
mod replay_verdicts;
mod report_numbers;
mod rivals;
mod schema;
mod shapes;
mod shrink;
mod swarm_pins;
mod trace_truth;
mod unmeasured;
mod unmeasured_campaigns;

/// Every `tests/*.rs` file other than this one is declared as a module above.
#[test]
fn every_test_file_is_in_the_suite() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let suite = std::fs::read_to_string(dir.join("suite.rs")).expect("read tests/suite.rs");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("read tests/") {
        let path = entry.expect("entry").path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "rs")
            && stem != "suite"
            && !suite.lines().any(|l| l == format!("mod {stem};"))
        {
            missing.push(stem.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "add `mod NAME;` to tests/suite.rs for: {missing:?}"
    );
}
