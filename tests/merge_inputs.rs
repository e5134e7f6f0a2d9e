//! `fuzz --merge` given shard directories that a person, a crash or an attacker changed:
//! counts that would wrap the totals are refused with exit 2 naming the file. A partial merge
//! says partial, not interrupted. An --out whose repro/ is a link is refused.

use crate::common;

use std::path::Path;

use common::{rcsim, Output, TempDir, EXIT_OK};
use serde_json::Value;

fn s(p: &Path) -> String {
    p.to_string_lossy().to_string()
}

/// Runs an unsharded campaign of `seeds` (or shard `shard` of it) into `dir`, which must pass.
fn shard(dir: &TempDir, seeds: &str, shard: Option<&str>) {
    let out = s(dir.path());
    let mut args = vec!["fuzz", "--seeds", seeds, "--jobs", "1", "--out", &out];
    if let Some(k) = shard {
        args.extend(["--shard", k]);
    }
    rcsim(&args).assert_code(EXIT_OK);
}

fn merge(dirs: &[&TempDir], out: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<String> = vec!["fuzz".into(), "--merge".into()];
    args.extend(dirs.iter().map(|d| s(d.path())));
    args.extend(["--out".into(), s(out)]);
    args.extend(extra.iter().map(|a| a.to_string()));
    rcsim(&args)
}

fn result_lines(dir: &TempDir) -> Vec<String> {
    std::fs::read_to_string(dir.join("results.jsonl"))
        .expect("results")
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_lines(dir: &TempDir, lines: &[String]) {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.join("results.jsonl"), text).expect("write results");
}

#[test]
fn a_partial_merge_exits_with_its_verdict_not_as_interrupted() {
    let k1 = TempDir::new("merge-partial-1");
    shard(&k1, "0..4", Some("1/2"));
    let out = TempDir::new("merge-partial-out");
    let o = merge(&[&k1], out.path(), &["--allow-partial"]);
    o.assert_code(EXIT_OK).assert_no_panic();
    assert!(o.stderr.contains("shard 2/2 is missing"), "{}", o.stderr);
    assert!(!o.stdout.contains("interrupted"), "{}", o.stdout);
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).expect("summary"))
            .expect("JSON");
    assert_eq!(written["interrupted"], false);
    assert_eq!(written["partial"], true);
    assert_eq!(written["missing_shards"], serde_json::json!([2]));
}

#[test]
fn events_that_would_wrap_the_total_are_refused() {
    let d = TempDir::new("merge-wrap");
    shard(&d, "0..2", None);
    let lines: Vec<String> = result_lines(&d)
        .iter()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).expect("JSON line");
            v["events"] = Value::from(u64::MAX);
            v.to_string()
        })
        .collect();
    write_lines(&d, &lines);
    let out = TempDir::new("merge-wrap-out");
    merge(&[&d], out.path(), &[]).assert_usage_error(&["results.jsonl", "`events`"]);
}

#[cfg(unix)]
#[test]
fn an_out_whose_repro_is_a_link_is_not_written_through() {
    let d = TempDir::new("merge-linked");
    shard(&d, "0..2", None);
    let elsewhere = TempDir::new("merge-linked-elsewhere");
    let linked = TempDir::new("merge-linked-out");
    std::os::unix::fs::symlink(elsewhere.path(), linked.join("repro")).expect("symlink");
    merge(&[&d], linked.path(), &[]).assert_usage_error(&["repro", "symbolic link"]);
    let out = s(linked.path());
    rcsim(&["fuzz", "--seeds", "0..2", "--out", &out]).assert_usage_error(&["symbolic link"]);
    rcsim(&["fuzz", "--seeds", "0..2", "--out", &out, "--overwrite"])
        .assert_usage_error(&["symbolic link"]);
    assert!(
        std::fs::read_dir(elsewhere.path())
            .expect("dir")
            .next()
            .is_none(),
        "nothing is written where the link points"
    );
}
