//! The checker's rules as the binary applies them: it judges the image hosts can read (the
//! readable secondaries, as the model holds them), the final image after a disaster whatever the
//! protocol did, liveness only where the run gave the copy a fair chance, and budgets as budgets.

use crate::common;

use common::{rcsim, run_json, EXIT_BUDGET, EXIT_OK, EXIT_VIOLATION, FIGURE1};

const FAULTS: &str = "scenarios/checkpoint-faults.json";
const VOLATILE: &str = "scenarios/volatile-secondary-crash.json";

fn kinds(r: &serde_json::Value) -> Vec<String> {
    r["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| v["kind"].as_str().expect("kind").to_string())
        .collect()
}

/// A secondary master that resets each member as soon as it finished exposes the members it
/// reset beside members not yet fenced for the same release: a torn image made of readable
/// secondaries, which a checker judging one global "open" flag never saw.
#[test]
fn the_early_reset_torn_image_is_a_dependent_write_violation() {
    let r = run_json(
        FAULTS,
        &["--set", "protocol.mutant=early-reset"],
        EXIT_VIOLATION,
    );
    assert!(kinds(&r).iter().all(|k| k == "dependent-write"), "{r}");
    run_json(FAULTS, &[], EXIT_OK);
}

#[test]
fn a_budget_cut_before_the_takeover_ends_is_exit_3_not_a_liveness_violation() {
    let o = rcsim(&[
        "run",
        FIGURE1,
        "--protocol",
        "sync",
        "--set",
        "limits.max_sim_time=15ms",
    ]);
    o.assert_code(EXIT_BUDGET);
    assert!(!o.stdout.contains("VIOLATION"), "{}", o.stdout);
    assert!(o.stderr.contains("budget exhausted"), "{}", o.stderr);
}

/// A secondary that comes back only after the run's end (or within the grace time before it)
/// excuses the writes it never got: not a liveness violation.
#[test]
fn a_fault_healing_after_the_end_minus_the_grace_is_not_judged_for_liveness() {
    let safe = ["--set", "subsystems.buffer=non-volatile"];
    // Back at 510 ms, after the run's end at 500 ms: hundreds of writes never reached it.
    let r = run_json(
        VOLATILE,
        &[safe[0], safe[1], "--set", "faults.0.down_for=390ms"],
        EXIT_OK,
    );
    assert!(r["rpo"]["lost_writes"].as_u64().expect("count") > 0, "{r}");
    // Back at 370 ms, within the 200 ms grace before the end: not judged either.
    run_json(
        VOLATILE,
        &[safe[0], safe[1], "--set", "faults.0.down_for=250ms"],
        EXIT_OK,
    );
    let r = run_json(
        VOLATILE,
        &[safe[0], safe[1], "--set", "faults.0.down_for=100ms"],
        EXIT_OK,
    );
    assert_eq!(r["rpo"]["lost_writes"], 0, "healed in time, caught up: {r}");
}

#[test]
fn a_liveness_violation_is_worded_as_a_stall() {
    let o = rcsim(&[
        "run",
        "scenarios/central-idle.json",
        "--set",
        "protocol.idle_heartbeat=false",
    ]);
    o.assert_code(EXIT_VIOLATION);
    assert!(o.stdout.contains("stalled"), "{}", o.stdout);
    assert!(o.stdout.contains("copy stalled since"), "{}", o.stdout);
    assert!(!o.stdout.contains("present without"), "{}", o.stdout);
    assert!(o.stdout.contains("verdict: STALLED"), "{}", o.stdout);
}

/// A secondary that loses its volatile buffers just after the disaster can never get them back:
/// the image never reopens, and the result says for how long it stayed closed.
#[test]
fn an_image_that_never_reopens_after_a_disaster_is_a_liveness_violation() {
    let faults = r#"faults=[{"kind":"crash","site":"secondary","subsystem":3,"at":"120ms","down_for":"5ms"},{"kind":"disaster","at":"121ms"}]"#;
    let r = run_json(VOLATILE, &["--set", faults], EXIT_VIOLATION);
    let v = &r["violations"][0];
    assert_eq!(v["kind"], "liveness", "{r}");
    let detail = v["detail"].as_str().expect("detail");
    assert!(detail.contains("image never reopened"), "{detail}");
    assert!(detail.contains("375000000 ns"), "{detail}");
}

#[test]
fn a_stage_loaded_past_its_capacity_is_reported_and_warned_about() {
    let o = rcsim(&[
        "run",
        "scenarios/rivals.json",
        "--json",
        "--set",
        "subsystems.copy_time=5ms",
    ]);
    o.assert_no_panic();
    let r = o.json();
    let over = r["overloaded"].as_array().expect("overloaded");
    assert!(
        over.iter()
            .any(|s| s["stage"] == "copy" && s["load"].as_f64().expect("load") > 1.0),
        "{r}"
    );
    assert!(o.stderr.contains("can never catch up"), "{}", o.stderr);
    let calm = run_json("scenarios/rivals.json", &[], EXIT_OK);
    assert!(calm["overloaded"].as_array().expect("list").is_empty());
}

/// A secondary with volatile buffers that resets loses what it held, released writes too; the
/// protocol resends them from the primary while the image stays closed. Replaying them as if
/// they had survived (the `volatile-replay` mutant) leaves a torn image.
#[test]
fn a_volatile_reset_is_recovered_and_the_replay_mutant_is_caught() {
    let r = run_json(VOLATILE, &[], EXIT_OK);
    assert_eq!(r["rpo"]["lost_writes"], 0, "{r}");
    let bad = run_json(
        VOLATILE,
        &["--set", "protocol.mutant=volatile-replay"],
        EXIT_VIOLATION,
    );
    assert!(
        kinds(&bad).contains(&"dependent-write".to_string()),
        "{bad}"
    );
}

/// `central` and `cycle` recover a volatile reset too: the journal (central) or the primary
/// (cycle) keeps what it sent until the member reports it applied and sends it again; the
/// member holds back its batch, fenced, until the resend ends. Before, cycle opened a torn image
/// on every seed of this scenario.
#[test]
fn central_and_cycle_recover_a_volatile_reset_without_a_torn_image() {
    for protocol in ["central", "cycle"] {
        for subsystem in ["1", "3"] {
            for seed in ["1", "2", "3"] {
                let r = run_json(
                    VOLATILE,
                    &[
                        "--protocol",
                        protocol,
                        "--seed",
                        seed,
                        "--set",
                        &format!("faults.0.subsystem={subsystem}"),
                    ],
                    EXIT_OK,
                );
                assert_eq!(
                    r["rpo"]["lost_writes"], 0,
                    "{protocol} {subsystem} {seed}: {r}"
                );
            }
        }
    }
}
