//! `fuzz --merge` given shard directories that a person, a crash or an attacker changed: an
//! impossible shard number, results that lost, repeated or invented lines, counts that would
//! wrap the totals, files that are links to devices or FIFOs, runaway lines. Each is refused with
//! exit 2 naming the file, before anything is written; so is an --out whose repro/ is a link.
//! A partial merge says partial, not interrupted.

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

/// Rewrites `dir/summary.json` through `edit`.
fn edit_summary(dir: &TempDir, edit: impl FnOnce(&mut Value)) {
    let path = dir.join("summary.json");
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("summary")).expect("JSON");
    edit(&mut v);
    std::fs::write(&path, v.to_string()).expect("write summary");
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

/// Sets every result line's `events` to `u64::MAX`, so the merged total would wrap.
fn max_out_events(dir: &TempDir) {
    let lines: Vec<String> = result_lines(dir)
        .iter()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).expect("JSON line");
            v["events"] = Value::from(u64::MAX);
            v.to_string()
        })
        .collect();
    write_lines(dir, &lines);
}

#[test]
fn an_impossible_shard_number_is_refused_naming_the_field() {
    let d = TempDir::new("merge-odd-shard");
    shard(&d, "0..1", None);
    let out = TempDir::new("merge-odd-shard-out");
    for (k, n, field) in [
        (0u64, 1u64, "campaign.shard.k"),
        (2, 1, "campaign.shard.k"),
        (1, 0, "campaign.shard.n"),
        (1, 4_611_686_018_427_387_904, "campaign.shard.n"),
        (1, 68_719_476_736, "campaign.shard.n"),
        (1, 2, "campaign.shard.n"),
    ] {
        edit_summary(&d, |v| {
            v["campaign"]["shard"] = serde_json::json!({"k": k, "n": n})
        });
        merge(&[&d], out.path(), &[]).assert_usage_error(&["summary.json", field]);
    }
    assert!(!out.join("results.jsonl").exists(), "nothing is written");
}

#[test]
fn results_that_lost_repeated_or_invented_lines_are_refused() {
    let d = TempDir::new("merge-lost");
    shard(&d, "0..4", None);
    let whole = result_lines(&d);
    let out = TempDir::new("merge-lost-out");

    write_lines(&d, &whole[..1]);
    merge(&[&d], out.path(), &[]).assert_usage_error(&["results.jsonl", "holds 1 of the 4"]);
    assert!(
        !out.join("results.jsonl").exists(),
        "a refused merge writes nothing"
    );

    let mut repeated = whole.clone();
    repeated.insert(2, whole[1].clone());
    write_lines(&d, &repeated);
    merge(&[&d], out.path(), &[]).assert_usage_error(&["results.jsonl:3", "seed 2"]);

    let mut extra = whole.clone();
    extra.push(whole[0].replace("\"seed\":0", "\"seed\":4"));
    write_lines(&d, &extra);
    merge(&[&d], out.path(), &[]).assert_usage_error(&["results.jsonl:5", "after the last seed"]);

    // With --allow-partial the short shard is merged as far as it goes and listed as missing;
    // a partial merge is not an interruption, so its code is the verdict (0 here), not 130.
    write_lines(&d, &whole[..1]);
    let o = merge(&[&d], out.path(), &["--allow-partial", "--json"]);
    o.assert_code(EXIT_OK).assert_no_panic();
    let summary = o.json();
    assert_eq!(summary["seeds"], 1);
    assert_eq!(summary["partial"], true);
    assert_eq!(summary["interrupted"], false);
    assert_eq!(summary["missing_shards"], serde_json::json!([1]));
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
    assert!(o.stdout.contains("(partial)"), "{}", o.stdout);
    assert!(
        o.stdout
            .contains("missing or unfinished shards, not in these totals: 2"),
        "{}",
        o.stdout
    );
    let written = out.read_json("summary.json");
    assert_eq!(written["interrupted"], false);
    assert_eq!(written["partial"], true);
    assert_eq!(written["missing_shards"], serde_json::json!([2]));
}

#[test]
fn events_that_would_wrap_the_total_are_refused() {
    let d = TempDir::new("merge-wrap");
    shard(&d, "0..2", None);
    max_out_events(&d);
    let out = TempDir::new("merge-wrap-out");
    merge(&[&d], out.path(), &[]).assert_usage_error(&["results.jsonl:2", "`events`"]);
    assert!(!out.join("results.jsonl").exists(), "nothing half-written");
}

#[cfg(unix)]
#[test]
fn files_that_are_not_regular_or_run_away_are_refused() {
    use std::os::unix::fs::symlink;
    let d = TempDir::new("merge-special");
    shard(&d, "0..2", None);
    let out = TempDir::new("merge-special-out");
    let results = d.join("results.jsonl");
    let kept = std::fs::read(&results).expect("results");

    std::fs::remove_file(&results).expect("remove");
    symlink("/dev/zero", &results).expect("symlink");
    merge(&[&d], out.path(), &[]).assert_usage_error(&["results.jsonl", "regular file"]);

    // One line longer than the 16 MiB a result line may take.
    std::fs::remove_file(&results).expect("remove");
    let mut huge = vec![b' '; (16 << 20) + 1];
    huge.push(b'\n');
    std::fs::write(&results, &huge).expect("write");
    merge(&[&d], out.path(), &[]).assert_usage_error(&["results.jsonl:1", "longer than"]);
    std::fs::write(&results, &kept).expect("restore");

    let summary = d.join("summary.json");
    let text = std::fs::read(&summary).expect("summary");
    std::fs::remove_file(&summary).expect("remove");
    symlink("/dev/zero", &summary).expect("symlink");
    merge(&[&d], out.path(), &[]).assert_usage_error(&["summary.json", "regular file"]);
    std::fs::remove_file(&summary).expect("remove");
    std::fs::write(&summary, &text).expect("restore");
    assert!(!out.join("results.jsonl").exists(), "nothing is written");
}

#[cfg(unix)]
#[test]
fn only_regular_reproducers_of_the_campaign_are_copied() {
    use std::os::unix::fs::symlink;
    let d = TempDir::new("merge-repro");
    shard(&d, "0..4", None);
    let repro = d.join("repro");
    let out = TempDir::new("merge-repro-out");

    symlink("/etc/passwd", repro.join("seed-1.json")).expect("symlink");
    merge(&[&d], out.path(), &[]).assert_usage_error(&["seed-1.json", "symbolic link"]);
    assert!(
        !out.join("repro/seed-1.json").exists(),
        "the link is not copied"
    );
    std::fs::remove_file(repro.join("seed-1.json")).expect("remove");

    let fifo = repro.join("seed-2.json");
    common::mkfifo(&fifo);
    merge(&[&d], out.path(), &[]).assert_usage_error(&["seed-2.json", "regular file"]);
    std::fs::remove_file(&fifo).expect("remove");

    std::fs::write(repro.join("seed-9.json"), "{}").expect("write");
    merge(&[&d], out.path(), &[]).assert_usage_error(&["seed-9.json", "does not run"]);
    std::fs::remove_file(repro.join("seed-9.json")).expect("remove");
    assert!(
        !out.join("results.jsonl").exists(),
        "a refused reproducer is found before anything is written"
    );

    // A real reproducer is copied; what is not a reproducer's name stays behind.
    std::fs::write(repro.join("seed-3.json"), "{\"seed\":3}").expect("write");
    std::fs::write(repro.join("notes.txt"), "mine").expect("write");
    merge(&[&d], out.path(), &[]).assert_code(EXIT_OK);
    assert_eq!(
        std::fs::read_to_string(out.join("repro/seed-3.json")).expect("copied"),
        "{\"seed\":3}"
    );
    assert!(!out.join("repro/notes.txt").exists());
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

#[test]
fn a_shard_is_never_the_merged_out() {
    let d = TempDir::new("merge-into-shard");
    shard(&d, "0..2", None);
    let before = std::fs::read(d.join("results.jsonl")).expect("results");
    merge(&[&d], d.path(), &["--overwrite"]).assert_usage_error(&["--out", "being merged"]);
    assert_eq!(
        std::fs::read(d.join("results.jsonl")).expect("results kept"),
        before
    );
}

#[test]
fn a_line_that_is_not_a_whole_result_or_contradicts_itself_is_refused_by_merge_and_resume() {
    let d = TempDir::new("merge-typed-lines");
    shard(&d, "0..2", None);
    let whole = result_lines(&d);
    let dir = s(d.path());
    let resume = [
        "fuzz", "--seeds", "0..2", "--jobs", "1", "--out", &dir, "--resume",
    ];
    let edited = |edit: &dyn Fn(&mut Value)| {
        let mut v: Value = serde_json::from_str(&whole[0]).expect("JSON line");
        edit(&mut v);
        v.to_string()
    };
    let violation = serde_json::json!({"kind": "dependent-write", "missing": "w1",
        "present": "w2", "at_ns": 5, "detail": "made up"});
    let cases: [(String, &[&str]); 6] = [
        (r#"{"seed": 0}"#.into(), &["missing field `rcsim_version`"]),
        (
            edited(&|v| v["events"] = Value::from(-1)),
            &["at `events`", "integer `-1`"],
        ),
        (
            edited(&|v| v["violations"] = serde_json::json!([violation])),
            &["at `consistent`: true, but `violations` lists 1"],
        ),
        (
            edited(&|v| v["rpo"]["lost_pages"] = Value::from(1)),
            &["at `rpo.lost_pages`", "unknown field `lost_pages`"],
        ),
        (
            edited(&|v| {
                v["consistent"] = Value::Bool(false);
                v["violation_count"] = Value::from(1);
                v["violations"] = serde_json::json!([violation]);
                v["violations"][0]["kind"] = Value::from("made-up");
            }),
            &[
                "at `violations[0].kind`",
                "unknown violation kind `made-up`",
            ],
        ),
        (
            edited(&|v| v["swarm"] = serde_json::json!(["no-such-fault"])),
            &["at `swarm[0]`", "unknown fault kind `no-such-fault`"],
        ),
    ];
    for (line, what) in cases {
        write_lines(&d, &[line, whole[1].clone()]);
        let expected: Vec<&str> = ["results.jsonl:1: not a result line"]
            .into_iter()
            .chain(what.iter().copied())
            .collect();
        let out = TempDir::new("merge-typed-lines-out");
        merge(&[&d], out.path(), &[]).assert_usage_error(&expected);
        assert!(!out.join("results.jsonl").exists(), "nothing is written");
        rcsim(&resume).assert_usage_error(&expected);
    }
    // The campaign's own lines still merge and resume.
    write_lines(&d, &whole);
    let out = TempDir::new("merge-typed-lines-whole");
    merge(&[&d], out.path(), &[]).assert_code(EXIT_OK);
    rcsim(&resume).assert_code(EXIT_OK);
    assert_eq!(result_lines(&d), whole);
}

/// A line whose fields disagree (a budget rcsim never names, a p50 above its p99) or that is a
/// run of another protocol or rcsim version than the campaign's is refused by `--merge` and
/// `--resume`, naming the file, the line and the field; a campaign whose `--set` changes its
/// protocol records that protocol, so its own lines still merge and resume.
#[test]
fn a_line_whose_fields_disagree_or_of_another_campaign_is_refused_by_merge_and_resume() {
    let d = TempDir::new("merge-foreign-lines");
    let dir = s(d.path());
    let args = [
        "fuzz",
        "--seeds",
        "0..2",
        "--jobs",
        "1",
        "--set",
        "protocol.kind=sync",
        "--out",
        &dir,
    ];
    rcsim(&args).assert_code(EXIT_OK);
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("summary.json")).expect("summary"))
            .expect("JSON");
    assert_eq!(
        summary["campaign"]["protocol"], "sync",
        "the protocol its seeds run"
    );
    let whole = result_lines(&d);
    let resume: Vec<&str> = args.iter().copied().chain(["--resume"]).collect();
    let edited = |edit: &dyn Fn(&mut Value)| {
        let mut v: Value = serde_json::from_str(&whole[0]).expect("JSON line");
        assert_eq!(v["protocol"], "sync");
        edit(&mut v);
        v.to_string()
    };
    let cases: [(String, &[&str]); 4] = [
        (
            edited(&|v| {
                v["budget_exhausted"] = Value::Bool(true);
                v["budget"] = Value::from("coffee");
            }),
            &[
                "results.jsonl:1: not a result line",
                "at `budget`: unknown budget `coffee`",
            ],
        ),
        (
            edited(&|v| {
                let p = &mut v["latency_ns"]["host_write"];
                p["p50"] = Value::from(p["p99"].as_u64().expect("p99") + 1);
            }),
            &[
                "results.jsonl:1: not a result line",
                "at `latency_ns.host_write`",
                "expected p50 <= p99 <= max",
            ],
        ),
        (
            edited(&|v| v["protocol"] = Value::from("checkpoint")),
            &[
                "results.jsonl:1: not a result of this campaign",
                "at `protocol`: `checkpoint`, but the campaign's protocol is `sync`",
            ],
        ),
        (
            edited(&|v| v["rcsim_version"] = Value::from("0.0.1")),
            &[
                "results.jsonl:1: not a result of this campaign",
                "at `rcsim_version`: `0.0.1`",
            ],
        ),
    ];
    for (line, expected) in cases {
        write_lines(&d, &[line, whole[1].clone()]);
        let out = TempDir::new("merge-foreign-lines-out");
        merge(&[&d], out.path(), &[]).assert_usage_error(expected);
        assert!(!out.join("results.jsonl").exists(), "nothing is written");
        rcsim(&resume).assert_usage_error(expected);
    }
    write_lines(&d, &whole);
    let out = TempDir::new("merge-foreign-lines-whole");
    merge(&[&d], out.path(), &[]).assert_code(EXIT_OK);
    rcsim(&resume).assert_code(EXIT_OK);
    assert_eq!(result_lines(&d), whole);
}

/// `results.jsonl` of `dir` with its first line padded with spaces (still the same JSON) to
/// exactly `len` bytes, newline excluded.
fn pad_first_line(dir: &TempDir, len: usize) {
    let mut lines = result_lines(dir);
    let line = lines[0].trim_end().to_string();
    lines[0] = format!("{line}{}", " ".repeat(len - line.len()));
    write_lines(dir, &lines);
}

#[test]
fn a_line_at_the_cap_merges_and_resumes_and_one_past_it_does_neither() {
    let cap = 16usize << 20;
    let d = TempDir::new("merge-line-cap");
    shard(&d, "0..2", None);
    let dir = s(d.path());
    let resume = [
        "fuzz", "--seeds", "0..2", "--jobs", "1", "--out", &dir, "--resume",
    ];

    pad_first_line(&d, cap + 1);
    let out = TempDir::new("merge-line-cap-over");
    merge(&[&d], out.path(), &[]).assert_usage_error(&["results.jsonl:1", "longer than"]);
    rcsim(&resume).assert_usage_error(&["results.jsonl:1", "longer than"]);

    pad_first_line(&d, cap);
    let out = TempDir::new("merge-line-cap-at");
    merge(&[&d], out.path(), &[]).assert_code(EXIT_OK);
    rcsim(&resume).assert_code(EXIT_OK);
    assert_eq!(result_lines(&d)[0].len(), cap, "the resume kept the line");
}
/// Runs a failing campaign (every seed fails under `independent`) of `seeds` into `dir`.
fn failing_shard(dir: &TempDir, seeds: &str, shard: &str) {
    let out = s(dir.path());
    let args = [
        "fuzz",
        "--seeds",
        seeds,
        "--protocol",
        "independent",
        "--jobs",
        "1",
        "--shard",
        shard,
        "--out",
        &out,
    ];
    rcsim(&args).assert_code(common::EXIT_VIOLATION);
}

fn repro_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.join("repro"))
        .map(|r| {
            r.map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn a_shrunk_reproducer_is_merged_with_its_seed() {
    let k1 = TempDir::new("merge-shrunk-1");
    let k2 = TempDir::new("merge-shrunk-2");
    failing_shard(&k1, "0..4", "1/2");
    failing_shard(&k2, "0..4", "2/2");
    // `rcsim shrink repro/seed-2.json` writes `seed-2.shrunk.json` beside it.
    std::fs::copy(
        k1.join("repro/seed-2.json"),
        k1.join("repro/seed-2.shrunk.json"),
    )
    .expect("copy");
    let out = TempDir::new("merge-shrunk-out");
    merge(&[&k1, &k2], out.path(), &[]).assert_code(common::EXIT_VIOLATION);
    assert_eq!(
        repro_names(out.path()),
        [
            "seed-0.json",
            "seed-1.json",
            "seed-2.json",
            "seed-2.shrunk.json",
            "seed-3.json"
        ]
    );
    // A shrunk reproducer of a seed the shard does not run is another campaign's.
    std::fs::copy(
        k1.join("repro/seed-2.json"),
        k1.join("repro/seed-3.shrunk.json"),
    )
    .expect("copy");
    let out = TempDir::new("merge-shrunk-foreign");
    merge(&[&k1, &k2], out.path(), &[]).assert_usage_error(&["seed-3.shrunk.json", "does not run"]);
}

#[test]
fn a_partial_merge_carries_only_reproducers_of_the_seeds_it_merged() {
    let k1 = TempDir::new("merge-partial-repro-1");
    let k2 = TempDir::new("merge-partial-repro-2");
    failing_shard(&k1, "0..4", "1/2");
    failing_shard(&k2, "0..4", "2/2");
    // Shard 1 runs seeds 0 and 2; its results lost seed 2's line, its reproducer is still there.
    let lines = result_lines(&k1);
    write_lines(&k1, &lines[..1]);
    let out = TempDir::new("merge-partial-repro-out");
    let o = merge(&[&k1, &k2], out.path(), &["--allow-partial", "--json"]);
    o.assert_code(common::EXIT_VIOLATION);
    assert_eq!(o.json()["seeds"], 3);
    assert_eq!(
        repro_names(out.path()),
        ["seed-0.json", "seed-1.json", "seed-3.json"]
    );
}

#[test]
fn a_merge_refused_while_writing_leaves_out_as_it_was() {
    let d = TempDir::new("merge-rollback");
    failing_shard(&d, "0..3", "1/1");
    max_out_events(&d);
    let out = TempDir::new("merge-rollback-out");
    merge(&[&d], out.path(), &[]).assert_usage_error(&["results.jsonl:2", "`events`"]);
    assert!(!out.join("results.jsonl").exists());
    assert!(!out.join("summary.json").exists());
    assert!(
        repro_names(out.path()).is_empty(),
        "{:?}",
        repro_names(out.path())
    );
}

/// A merge takes its seeds, protocol and settings from the shards: a flag that would make a
/// campaign is refused beside `--merge`, not silently ignored; and `--overwrite` needs `--out`.
#[test]
fn campaign_flags_beside_merge_are_refused() {
    let d = TempDir::new("merge-flags");
    let out = d.join("merged");
    let out = out.to_str().expect("utf-8");
    for flag in [
        &["--seeds", "100..200"][..],
        &["--protocol", "sync"],
        &["--mutant", "no-uip"],
        &["--set", "duration=1ms"],
        &["--jobs", "2"],
        &["--outside-assumptions"],
    ] {
        let mut args = vec!["fuzz", "--merge", "s1", "s2", "--out", out];
        args.extend_from_slice(flag);
        rcsim(&args).assert_usage_error(&["cannot be used with", flag[0]]);
    }
    assert!(!d.join("merged").exists(), "nothing written");
    rcsim(&["fuzz", "--seeds", "0..2", "--overwrite"])
        .assert_usage_error(&["--overwrite needs --out"]);
}
