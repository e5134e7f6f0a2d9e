//! The examples under deploy/: every YAML file parses (each document of it), each says what its
//! engine needs, the shell scripts are valid sh/bash, and the Slurm array script, run under
//! Slurm's variables as each array task would be (no scheduler), and its merge job give exactly
//! the unsharded campaign's results.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{rcsim, root, TempDir, EXIT_VIOLATION};
use serde::Deserialize;
use serde_yaml_ng::Value;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("deploy/ exists") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn deploy_files() -> Vec<PathBuf> {
    let mut v = Vec::new();
    files(&root().join("deploy"), &mut v);
    v.sort();
    v
}

/// Every YAML document of `path`.
fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("readable");
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|d| {
            Value::deserialize(d)
                .unwrap_or_else(|e| panic!("{} does not parse as YAML: {e}", path.display()))
        })
        .collect()
}

#[test]
fn every_yaml_under_deploy_parses() {
    let yaml: Vec<PathBuf> = deploy_files()
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    assert!(yaml.len() >= 3, "the Kubernetes and CI examples: {yaml:?}");
    for p in &yaml {
        let docs = documents(p);
        assert!(!docs.is_empty(), "{} is empty", p.display());
        for d in &docs {
            assert!(
                d.is_mapping(),
                "{}: a document is not a mapping",
                p.display()
            );
        }
    }
}

#[test]
fn the_kubernetes_job_is_indexed_and_counts_its_shards() {
    let docs = documents(&root().join("deploy/kubernetes/fuzz-job.yaml"));
    let job = docs.iter().find(|d| d["kind"] == "Job").expect("a Job");
    assert_eq!(job["spec"]["completionMode"], Value::from("Indexed"));
    let completions = job["spec"]["completions"].as_u64().expect("completions");
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    let env = container["env"].as_sequence().expect("env");
    let count = env
        .iter()
        .find(|e| e["name"] == "RCSIM_SHARD_COUNT")
        .expect("RCSIM_SHARD_COUNT");
    assert_eq!(count["value"], Value::from(completions.to_string()));
    let args = serde_yaml_ng::to_string(&container["args"]).expect("args");
    assert!(
        args.contains("--shard auto") && args.contains("--resume"),
        "{args}"
    );
}

#[test]
fn the_ci_workflow_has_a_matrix_and_a_merge_job() {
    let docs = documents(&root().join("deploy/github/fuzz.yml"));
    let jobs = &docs[0]["jobs"];
    let shards = jobs["shard"]["strategy"]["matrix"]["shard"]
        .as_sequence()
        .expect("a shard matrix");
    assert_eq!(shards.len(), 4);
    assert_eq!(jobs["merge"]["needs"], Value::from("shard"));
    let merge = serde_yaml_ng::to_string(&jobs["merge"]).expect("merge job");
    assert!(merge.contains("fuzz --merge"), "{merge}");
}

#[test]
fn the_shell_scripts_are_valid() {
    for p in deploy_files() {
        let name = p.to_string_lossy().to_string();
        if !name.ends_with(".sbatch") && !name.ends_with(".sh") {
            continue;
        }
        // The interpreter its `#!` line names: sbatch and the scripts run them with it.
        let text = std::fs::read_to_string(&p).expect("readable");
        let shell = match text.lines().next() {
            Some("#!/bin/bash") => "bash",
            Some("#!/bin/sh") => "sh",
            other => panic!("{name} starts with {other:?}, not #!/bin/sh or #!/bin/bash"),
        };
        let ok = Command::new(shell)
            .args(["-n", &name])
            .status()
            .expect("the shell runs")
            .success();
        assert!(ok, "{name} is not valid {shell}");
    }
}

#[test]
fn the_slurm_array_and_merge_scripts_give_the_unsharded_results() {
    let campaign = TempDir::new("deploy-slurm");
    let whole = TempDir::new("deploy-slurm-whole");
    rcsim(&[
        "fuzz",
        "--seeds",
        "0..24",
        "--out",
        &whole.path().to_string_lossy(),
    ])
    .assert_no_panic();
    let script = |name: &str, task: Option<u32>| {
        let mut cmd = Command::new("bash");
        cmd.arg(root().join("deploy/slurm").join(name))
            .current_dir(campaign.path())
            .env("RCSIM", env!("CARGO_BIN_EXE_rcsim"))
            .env("CAMPAIGN_DIR", campaign.path())
            .env("SEEDS", "0..24")
            .env_remove("JOB_COMPLETION_INDEX");
        if let Some(t) = task {
            cmd.env("SLURM_ARRAY_TASK_ID", t.to_string())
                .env("SLURM_ARRAY_TASK_MIN", "0")
                .env("SLURM_ARRAY_TASK_MAX", "3")
                .env("SLURM_ARRAY_TASK_COUNT", "4")
                .env("SLURM_CPUS_PER_TASK", "1");
        }
        cmd.output().expect("bash runs")
    };
    for t in 0..4 {
        let o = script("fuzz-array.sbatch", Some(t));
        assert!(o.status.success(), "array task {t}: {o:?}");
    }
    let o = script("merge.sbatch", None);
    assert_eq!(o.status.code(), whole_code(&whole), "{o:?}");
    assert_eq!(
        std::fs::read_to_string(campaign.join("merged/results.jsonl")).expect("merged"),
        std::fs::read_to_string(whole.join("results.jsonl")).expect("whole"),
    );
}

fn whole_code(whole: &TempDir) -> Option<i32> {
    let s = whole.read_json("summary.json");
    Some(if s["failed"].as_u64() > Some(0) {
        EXIT_VIOLATION
    } else {
        0
    })
}
