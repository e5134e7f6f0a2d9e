//! Campaigns as cluster engines run them: shards started by Slurm's variables with `--shard auto`
//! merge into exactly the unsharded results; a merge refuses missing shards and mixed campaigns;
//! a campaign killed mid-way and resumed gives exactly the uninterrupted results; a used output
//! directory is refused or cleared, never mixed.

use crate::common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::{rcsim, Output, TempDir, EXIT_VIOLATION};
use serde_json::Value;

/// Runs rcsim with extra environment variables (and no inherited scheduler variables).
fn rcsim_env(args: &[&str], env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rcsim"));
    cmd.args(args).current_dir(common::root());
    for v in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_MAX",
        "SLURM_ARRAY_TASK_COUNT",
        "JOB_COMPLETION_INDEX",
        "RCSIM_SHARD_COUNT",
    ] {
        cmd.env_remove(v);
    }
    cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    let out = cmd.output().expect("the rcsim binary runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8"),
    }
}

fn s(p: &Path) -> String {
    p.to_string_lossy().to_string()
}

fn results(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("results.jsonl")).expect("results.jsonl")
}

fn repro_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.join("repro"))
        .expect("repro dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

/// Runs shard `task` (Slurm array task id, array 0..=3) of the 40-seed campaign into `dir`.
fn slurm_shard(dir: &TempDir, task: u64, protocol: &str) -> Output {
    let env = [
        ("SLURM_ARRAY_TASK_ID", task.to_string()),
        ("SLURM_ARRAY_TASK_MIN", "0".into()),
        ("SLURM_ARRAY_TASK_MAX", "3".into()),
        ("SLURM_ARRAY_TASK_COUNT", "4".into()),
    ];
    let out = s(dir.path());
    rcsim_env(
        &[
            "fuzz",
            "--seeds",
            "40",
            "--protocol",
            protocol,
            "--shard",
            "auto",
            "--out",
            &out,
        ],
        &env,
    )
}

fn merge(dirs: &[&TempDir], out: &TempDir, extra: &[&str]) -> Output {
    let mut args: Vec<String> = vec!["fuzz".into(), "--merge".into()];
    args.extend(dirs.iter().map(|d| s(d.path())));
    args.extend(["--out".into(), s(out.path())]);
    args.extend(extra.iter().map(|a| a.to_string()));
    rcsim(&args)
}

#[test]
fn four_slurm_shards_merge_into_exactly_the_unsharded_campaign() {
    let whole = TempDir::new("cluster-whole");
    rcsim(&[
        "fuzz",
        "--seeds",
        "0..40",
        "--protocol",
        "independent",
        "--out",
        &s(whole.path()),
    ])
    .assert_code(EXIT_VIOLATION);
    let shards: Vec<TempDir> = (0..4)
        .map(|task| {
            let d = TempDir::new(&format!("cluster-slurm-{task}"));
            slurm_shard(&d, task, "independent").assert_code(EXIT_VIOLATION);
            let summary = d.read_json("summary.json");
            assert_eq!(summary["campaign"]["shard"]["k"], task + 1);
            assert_eq!(summary["campaign"]["shard"]["n"], 4);
            assert_eq!(summary["campaign"]["protocol"], "independent");
            d
        })
        .collect();
    let merged = TempDir::new("cluster-merged");
    let refs: Vec<&TempDir> = shards.iter().collect();
    let o = merge(&refs, &merged, &["--json"]);
    o.assert_code(EXIT_VIOLATION).assert_no_panic();
    assert_eq!(results(merged.path()), results(whole.path()));
    assert_eq!(repro_names(merged.path()), repro_names(whole.path()));
    let summary = o.json();
    assert_eq!(summary["seeds"], 40);
    assert_eq!(
        summary["shards"]
            .as_array()
            .expect("per-shard figures")
            .len(),
        4
    );
    assert!(
        summary.get("seeds_per_s").is_none(),
        "no process measured a merged rate: {summary}"
    );
    assert!(summary["shards"][0]["seeds_per_s"].as_f64().expect("rate") > 0.0);
}

#[test]
fn a_merge_with_a_shard_missing_or_mixed_protocols_is_refused() {
    let shards: Vec<TempDir> = (0..4)
        .map(|task| {
            let d = TempDir::new(&format!("cluster-mix-{task}"));
            let protocol = if task == 2 { "sync" } else { "independent" };
            slurm_shard(&d, task, protocol).assert_no_panic();
            d
        })
        .collect();
    let out = TempDir::new("cluster-mix-out");
    merge(&[&shards[0], &shards[1], &shards[3]], &out, &[])
        .assert_usage_error(&["shard 3/4 is missing"]);
    assert!(
        !out.join("results.jsonl").exists(),
        "a refused merge writes nothing"
    );
    merge(&[&shards[0], &shards[1], &shards[2], &shards[3]], &out, &[]).assert_usage_error(&[
        "different campaigns",
        "protocol",
        "sync",
    ]);
    merge(&[&shards[0], &shards[0]], &out, &[]).assert_usage_error(&["given twice"]);
    let o = merge(
        &[&shards[0], &shards[1], &shards[3]],
        &out,
        &["--allow-partial", "--json"],
    );
    o.assert_no_panic();
    let summary = o.json();
    assert_eq!(summary["partial"], true);
    assert_eq!(summary["missing_shards"], serde_json::json!([3]));
    assert_eq!(summary["seeds"], 30);
}

#[test]
fn shard_auto_names_the_missing_or_contradictory_variable() {
    let d = TempDir::new("cluster-auto");
    let out = s(d.path());
    let args = ["fuzz", "--seeds", "8", "--shard", "auto", "--out", &out];
    rcsim_env(&args, &[]).assert_usage_error(&["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"]);
    rcsim_env(&args, &[("SLURM_ARRAY_TASK_ID", "1".into())])
        .assert_usage_error(&["SLURM_ARRAY_TASK_MIN"]);
    let contradictory = [
        ("SLURM_ARRAY_TASK_ID", "1".into()),
        ("SLURM_ARRAY_TASK_MIN", "0".into()),
        ("SLURM_ARRAY_TASK_MAX", "3".into()),
        ("SLURM_ARRAY_TASK_COUNT", "2".into()),
    ];
    rcsim_env(&args, &contradictory).assert_usage_error(&["SLURM_ARRAY_TASK_COUNT=2"]);
    // MAX-MIN+1 wraps to 0 in unchecked arithmetic: refused, not run as shard 1/0.
    let wraps = [
        ("SLURM_ARRAY_TASK_ID", "0".into()),
        ("SLURM_ARRAY_TASK_MIN", "0".into()),
        ("SLURM_ARRAY_TASK_MAX", u64::MAX.to_string()),
        ("SLURM_ARRAY_TASK_COUNT", "0".into()),
    ];
    rcsim_env(&args, &wraps).assert_usage_error(&["SLURM_ARRAY_TASK_COUNT=0"]);
    assert!(
        !d.join("summary.json").exists(),
        "a refused shard writes nothing"
    );
    rcsim_env(&args, &[("JOB_COMPLETION_INDEX", "1".into())])
        .assert_usage_error(&["RCSIM_SHARD_COUNT", "--shard-count"]);
    let counted = [
        "fuzz",
        "--seeds",
        "8",
        "--shard",
        "auto",
        "--shard-count",
        "2",
        "--json",
    ];
    let k8s = rcsim_env(&counted, &[("JOB_COMPLETION_INDEX", "1".into())]);
    k8s.assert_no_panic();
    assert_eq!(k8s.json()["seeds"], 4, "shard 2 of 2 of 8 seeds");
    // --shard-count and RCSIM_SHARD_COUNT both given: they must agree, neither silently wins.
    let both = |count: &str| {
        rcsim_env(
            &counted,
            &[
                ("JOB_COMPLETION_INDEX", "1".into()),
                ("RCSIM_SHARD_COUNT", count.into()),
            ],
        )
    };
    both("4").assert_usage_error(&["--shard-count 2", "RCSIM_SHARD_COUNT=4"]);
    let agreeing = both("2");
    agreeing.assert_no_panic();
    assert_eq!(agreeing.json()["seeds"], 4, "the same shard 2 of 2");
    // Counts in plain decimal only, on the command line and from the environment alike.
    both(" 2").assert_usage_error(&["RCSIM_SHARD_COUNT", "no leading zero"]);
    for n in ["02", "+2"] {
        let mut args = counted;
        args[6] = n;
        rcsim_env(&args, &[("JOB_COMPLETION_INDEX", "1".into())])
            .assert_usage_error(&["--shard-count", "no leading zero"]);
        rcsim(&["fuzz", "--seeds", "8", "--jobs", n])
            .assert_usage_error(&["--jobs", "no leading zero"]);
    }
}

fn line_count(dir: &Path) -> usize {
    std::fs::read(dir.join("results.jsonl"))
        .map(|b| b.iter().filter(|&&c| c == b'\n').count())
        .unwrap_or(0)
}

#[test]
fn a_killed_campaign_resumed_gives_exactly_the_uninterrupted_results() {
    let args = |dir: &TempDir| -> Vec<String> {
        [
            "fuzz",
            "--seeds",
            "0..150",
            "--protocol",
            "independent",
            "--jobs",
            "2",
            "--out",
        ]
        .iter()
        .map(|a| a.to_string())
        .chain([s(dir.path())])
        .collect()
    };
    let whole = TempDir::new("cluster-uninterrupted");
    rcsim(&args(&whole)).assert_code(EXIT_VIOLATION);

    let killed = TempDir::new("cluster-killed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rcsim"))
        .args(args(&killed))
        .current_dir(common::root())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    while line_count(killed.path()) < 5 {
        if child.try_wait().expect("waits").is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    let kept = line_count(killed.path());
    assert!(
        kept >= 5,
        "the campaign streamed results before it was killed"
    );
    let mut resume = args(&killed);
    resume.push("--resume".into());
    let o = rcsim(&resume);
    o.assert_code(EXIT_VIOLATION);
    assert_eq!(results(killed.path()), results(whole.path()));
    assert_eq!(repro_names(killed.path()), repro_names(whole.path()));

    // The same from a file cut mid-line, as a kill during a write leaves it.
    let cut = TempDir::new("cluster-cut");
    let text = results(whole.path());
    let at = text.match_indices('\n').nth(6).expect("7 lines").0 + 40;
    std::fs::write(cut.join("results.jsonl"), &text[..at]).expect("write");
    std::fs::copy(whole.join("summary.json"), cut.join("summary.json")).expect("copy");
    let mut resume = args(&cut);
    resume.extend(["--resume".into(), "--json".into()]);
    let o = rcsim(&resume);
    o.assert_code(EXIT_VIOLATION);
    assert!(
        o.stderr.contains("7 of 150 seeds already finished"),
        "{}",
        o.stderr
    );
    assert_eq!(o.json()["resumed_seeds"], 7);
    assert_eq!(o.json()["seeds"], 150);
    assert_eq!(results(cut.path()), text);

    // A resume with other arguments is another campaign: refused, naming what differs.
    let mut other = args(&cut);
    other[4] = "sync".into();
    other.push("--resume".into());
    rcsim(&other).assert_usage_error(&["different campaign", "protocol"]);
}

#[test]
fn a_used_output_directory_is_refused_or_cleared_never_mixed() {
    let d = TempDir::new("cluster-stale");
    let out = s(d.path());
    let first = [
        "fuzz",
        "--seeds",
        "0..12",
        "--protocol",
        "independent",
        "--out",
        &out,
    ];
    rcsim(&first).assert_code(EXIT_VIOLATION);
    assert_eq!(repro_names(d.path()).len(), 12);
    let again = [
        "fuzz",
        "--seeds",
        "100..103",
        "--protocol",
        "sync",
        "--out",
        &out,
    ];
    rcsim(&again).assert_usage_error(&["already holds a campaign", "--overwrite", "--resume"]);
    assert_eq!(repro_names(d.path()).len(), 12, "a refusal deletes nothing");
    let mut overwrite = again.to_vec();
    overwrite.push("--overwrite");
    let o = rcsim(&overwrite);
    o.assert_code(common::EXIT_OK);
    assert!(
        o.stderr.contains("removed the earlier campaign"),
        "{}",
        o.stderr
    );
    assert!(
        repro_names(d.path()).is_empty(),
        "no stale reproducer is left"
    );
    assert_eq!(results(d.path()).lines().count(), 3);
}

#[test]
fn a_resume_whose_finished_lines_would_wrap_the_events_total_is_refused() {
    let d = TempDir::new("cluster-resume-wrap");
    let out = s(d.path());
    let args = ["fuzz", "--seeds", "0..3", "--jobs", "1", "--out", &out];
    rcsim(&args).assert_code(common::EXIT_OK);
    let lines: String = results(d.path())
        .lines()
        .take(2)
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).expect("JSON line");
            v["events"] = Value::from(u64::MAX);
            format!("{v}\n")
        })
        .collect();
    std::fs::write(d.join("results.jsonl"), lines).expect("write");
    let mut resume = args.to_vec();
    resume.push("--resume");
    rcsim(&resume).assert_usage_error(&["results.jsonl", "seed 1", "`events`"]);
}

#[cfg(unix)]
#[test]
fn a_resume_whose_summary_is_a_link_to_a_device_is_refused() {
    let d = TempDir::new("cluster-resume-zero");
    let out = s(d.path());
    let args = ["fuzz", "--seeds", "0..2", "--jobs", "1", "--out", &out];
    rcsim(&args).assert_code(common::EXIT_OK);
    std::fs::remove_file(d.join("summary.json")).expect("remove");
    std::os::unix::fs::symlink("/dev/zero", d.join("summary.json")).expect("symlink");
    let mut resume = args.to_vec();
    resume.push("--resume");
    rcsim(&resume).assert_usage_error(&["summary.json", "symbolic link"]);
}
#[cfg(unix)]
#[test]
fn a_fifo_at_a_future_reproducer_is_refused_on_resume() {
    use std::os::unix::fs::FileTypeExt;
    let d = TempDir::new("cluster-resume-fifo");
    let out = s(d.path());
    let args = [
        "fuzz",
        "--seeds",
        "0..6",
        "--protocol",
        "independent",
        "--jobs",
        "1",
        "--out",
        &out,
    ];
    rcsim(&args).assert_code(EXIT_VIOLATION);
    // Interrupted after two seeds, and a FIFO planted where seed 4's reproducer will go.
    let kept: String = results(d.path())
        .lines()
        .take(2)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(d.join("results.jsonl"), kept).expect("write");
    let fifo = d.join("repro/seed-4.json");
    std::fs::remove_file(&fifo).expect("remove");
    common::mkfifo(&fifo);
    // Held open for reading and writing, so a write into it would not block but be seen.
    let held = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&fifo)
        .expect("open the FIFO");
    let mut resume = args.to_vec();
    resume.push("--resume");
    rcsim(&resume).assert_usage_error(&["seed-4.json", "FIFO"]);
    drop(held);
    assert!(std::fs::symlink_metadata(&fifo)
        .expect("still there")
        .file_type()
        .is_fifo());
}
