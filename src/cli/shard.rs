//! `--shard K/N` and `--shard auto`: which part of a campaign this process runs, given on the
//! command line or taken from the scheduler that started it (a Slurm job array, a Kubernetes
//! Indexed Job). Every count read here is bounded by [`MAX_SHARDS`] and every sum is checked,
//! so a hostile environment is refused, never wrapped into a shard that does not exist.

use rcsim::decimal::{plain_u64, EXPECTED};
use rcsim::fuzz::identity::MAX_SHARDS;
use rcsim::quote::bounded;

/// The shard as `--shard` gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardArg {
    /// `K/N`: shard K of N, 1-based.
    Fixed(u64, u64),
    /// `auto`: from the scheduler's environment.
    Auto,
}

/// Parses `K/N` with 1 ≤ K ≤ N ≤ [`MAX_SHARDS`], each in plain decimal, or `auto`.
pub fn parse_shard(s: &str) -> Result<ShardArg, String> {
    if s == "auto" {
        return Ok(ShardArg::Auto);
    }
    let bad = || {
        format!(
            "--shard {}: expected K/N with 1 <= K <= N <= {MAX_SHARDS} (e.g. 2/8), each in \
             {EXPECTED}, or auto",
            bounded(s)
        )
    };
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let k = plain_u64(k).ok_or_else(bad)?;
    let n = plain_u64(n).ok_or_else(bad)?;
    if k == 0 || k > n || n > MAX_SHARDS {
        return Err(bad());
    }
    Ok(ShardArg::Fixed(k, n))
}

/// Parses `--shard-count N`: at least 1, in plain decimal (the cap is checked where the count
/// is used, with the scheduler's).
pub fn parse_count(s: &str) -> Result<u64, String> {
    plain_u64(s).filter(|&n| n >= 1).ok_or_else(|| {
        format!(
            "--shard-count {}: expected a number of shards of at least 1, in {EXPECTED}",
            bounded(s)
        )
    })
}

/// The variable that gives a Kubernetes Indexed Job's shard count when `--shard-count` does not
/// (Kubernetes exports the index but not the completions).
pub const COUNT_VAR: &str = "RCSIM_SHARD_COUNT";

/// Shard K/N from the environment `var` reads: a Slurm array task (`SLURM_ARRAY_TASK_ID`, `_MIN`,
/// `_MAX`, `_COUNT`, which must describe a contiguous array) or a Kubernetes Indexed Job
/// (`JOB_COMPLETION_INDEX`, 0-based, with the count from `count` or `RCSIM_SHARD_COUNT`, which
/// must agree when both are given). Every error names the variable that is missing or
/// contradicts the others.
pub fn from_env(
    var: impl Fn(&str) -> Option<String>,
    count: Option<u64>,
) -> Result<(u64, u64), String> {
    let number = |name: &str| -> Result<Option<u64>, String> {
        match var(name) {
            None => Ok(None),
            Some(v) => plain_u64(&v).map(Some).ok_or_else(|| {
                format!(
                    "--shard auto: {name}={:?} is not a whole number in {EXPECTED}",
                    bounded(&v)
                )
            }),
        }
    };
    let slurm = number("SLURM_ARRAY_TASK_ID")?;
    let k8s = number("JOB_COMPLETION_INDEX")?;
    match (slurm, k8s) {
        (Some(_), Some(_)) => Err(
            "--shard auto: both SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX are set; \
             which scheduler started this? Use --shard K/N"
                .into(),
        ),
        (Some(id), None) => {
            let need = |name: &str| -> Result<u64, String> {
                number(name)?.ok_or_else(|| {
                    format!("--shard auto: SLURM_ARRAY_TASK_ID is set but {name} is not")
                })
            };
            let (min, max, n) = (
                need("SLURM_ARRAY_TASK_MIN")?,
                need("SLURM_ARRAY_TASK_MAX")?,
                need("SLURM_ARRAY_TASK_COUNT")?,
            );
            let span = max.checked_sub(min).and_then(|d| d.checked_add(1));
            if span != Some(n) {
                return Err(format!(
                    "--shard auto: SLURM_ARRAY_TASK_COUNT={n} contradicts SLURM_ARRAY_TASK_MIN={min} \
                     and SLURM_ARRAY_TASK_MAX={max}: the array must be contiguous (e.g. --array=0-{})",
                    n.saturating_sub(1)
                ));
            }
            within_cap("SLURM_ARRAY_TASK_COUNT", n)?;
            if id < min || id > max {
                return Err(format!(
                    "--shard auto: SLURM_ARRAY_TASK_ID={id} is outside \
                     SLURM_ARRAY_TASK_MIN={min}..SLURM_ARRAY_TASK_MAX={max}"
                ));
            }
            if let Some(c) = count.filter(|&c| c != n) {
                return Err(format!(
                    "--shard auto: --shard-count {c} contradicts SLURM_ARRAY_TASK_COUNT={n}"
                ));
            }
            // id - min < n <= MAX_SHARDS, so neither step can wrap; checked all the same.
            let k = (id - min)
                .checked_add(1)
                .ok_or("--shard auto: shard number overflows")?;
            Ok((k, n))
        }
        (None, Some(index)) => {
            let n = match (count, number(COUNT_VAR)?) {
                (Some(c), Some(e)) if c != e => {
                    return Err(format!(
                        "--shard auto: --shard-count {c} contradicts {COUNT_VAR}={e}; give one, \
                         or both equal to the Job's completions"
                    ))
                }
                (Some(c), _) => c,
                (None, Some(e)) => e,
                (None, None) => {
                    return Err(format!(
                        "--shard auto: JOB_COMPLETION_INDEX is set but the shard count is not: \
                         give --shard-count N or {COUNT_VAR} (the Job's completions)"
                    ))
                }
            };
            within_cap(
                if count.is_some() {
                    "--shard-count"
                } else {
                    COUNT_VAR
                },
                n,
            )?;
            if index >= n {
                return Err(format!(
                    "--shard auto: JOB_COMPLETION_INDEX={index} is not below the shard count {n}"
                ));
            }
            Ok((index + 1, n))
        }
        (None, None) => Err(
            "--shard auto: neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor \
             JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set"
                .into(),
        ),
    }
}

/// Refuses a shard count of 0 or above [`MAX_SHARDS`], naming where it came from.
fn within_cap(name: &str, n: u64) -> Result<(), String> {
    if n == 0 || n > MAX_SHARDS {
        return Err(format!(
            "--shard auto: {name} gives {n} shards: expected 1 to {MAX_SHARDS}"
        ));
    }
    Ok(())
}

/// The shard this process runs: `--shard` resolved against the environment, 1/1 when absent.
pub fn resolve(arg: Option<ShardArg>, count: Option<u64>) -> Result<(u64, u64), String> {
    match arg {
        None if count.is_some() => Err("--shard-count needs --shard auto".into()),
        None => Ok((1, 1)),
        Some(ShardArg::Fixed(..)) if count.is_some() => {
            Err("--shard-count goes with --shard auto, not --shard K/N".into())
        }
        Some(ShardArg::Fixed(k, n)) => Ok((k, n)),
        Some(ShardArg::Auto) => from_env(|name| std::env::var(name).ok(), count),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    const SLURM: [(&str, &str); 4] = [
        ("SLURM_ARRAY_TASK_ID", "6"),
        ("SLURM_ARRAY_TASK_MIN", "5"),
        ("SLURM_ARRAY_TASK_MAX", "8"),
        ("SLURM_ARRAY_TASK_COUNT", "4"),
    ];

    /// A scheduler writes its numbers in plain decimal; anything else (a sign, a leading zero,
    /// surrounding space) is refused naming the variable, not read as some number.
    #[test]
    fn a_scheduler_number_must_be_plain_decimal() {
        for bad in [" 6", "6 ", "+6", "06", "6\n", ""] {
            let mut vars = SLURM;
            vars[0] = ("SLURM_ARRAY_TASK_ID", bad);
            let e = from_env(env(&vars), None).expect_err(bad);
            assert!(
                e.contains("SLURM_ARRAY_TASK_ID") && e.contains(EXPECTED),
                "{bad:?}: {e}"
            );
        }
        let e = from_env(
            env(&[("JOB_COMPLETION_INDEX", "0"), (COUNT_VAR, " 2")]),
            None,
        )
        .expect_err("spaced count");
        assert!(e.contains(COUNT_VAR), "{e}");
    }

    #[test]
    fn a_shard_count_is_at_least_one_in_plain_decimal() {
        assert_eq!(parse_count("1"), Ok(1));
        assert_eq!(parse_count("64"), Ok(64));
        for bad in ["0", "+2", "02", " 2", "-1", "2.0", ""] {
            let e = parse_count(bad).expect_err(bad);
            assert!(e.contains("--shard-count") && e.contains(EXPECTED), "{e}");
        }
    }

    #[test]
    fn a_slurm_array_task_is_a_shard() {
        assert_eq!(from_env(env(&SLURM), None), Ok((2, 4)));
        assert_eq!(from_env(env(&SLURM), Some(4)), Ok((2, 4)));
        let e = from_env(env(&SLURM), Some(3)).expect_err("contradicts");
        assert!(e.contains("SLURM_ARRAY_TASK_COUNT"), "{e}");
    }

    #[test]
    fn a_missing_or_contradictory_slurm_variable_is_named() {
        let e = from_env(env(&SLURM[..3]), None).expect_err("no count");
        assert!(e.contains("SLURM_ARRAY_TASK_COUNT"), "{e}");
        let mut strided = SLURM;
        strided[3] = ("SLURM_ARRAY_TASK_COUNT", "2");
        let e = from_env(env(&strided), None).expect_err("not contiguous");
        assert!(e.contains("SLURM_ARRAY_TASK_COUNT=2"), "{e}");
        let mut bad = SLURM;
        bad[0] = ("SLURM_ARRAY_TASK_ID", "x");
        assert!(from_env(env(&bad), None)
            .expect_err("not a number")
            .contains("SLURM_ARRAY_TASK_ID"));
    }

    #[test]
    fn a_wrapping_or_empty_slurm_array_is_refused() {
        let wraps = [
            ("SLURM_ARRAY_TASK_ID", "0"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_MAX", "18446744073709551615"),
            ("SLURM_ARRAY_TASK_COUNT", "0"),
        ];
        let e = from_env(env(&wraps), None).expect_err("MAX-MIN+1 wraps to 0");
        assert!(e.contains("SLURM_ARRAY_TASK_COUNT=0"), "{e}");
        let huge = [
            ("SLURM_ARRAY_TASK_ID", "0"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_MAX", "100000"),
            ("SLURM_ARRAY_TASK_COUNT", "100001"),
        ];
        let e = from_env(env(&huge), None).expect_err("beyond the cap");
        assert!(e.contains("SLURM_ARRAY_TASK_COUNT"), "{e}");
        let none = [("JOB_COMPLETION_INDEX", "0"), (COUNT_VAR, "0")];
        assert!(from_env(env(&none), None)
            .expect_err("zero shards")
            .contains(COUNT_VAR));
        assert!(parse_shard("1/100001").is_err());
        assert!(parse_shard("1/100000").is_ok());
    }

    #[test]
    fn a_kubernetes_index_needs_its_count() {
        let vars = [("JOB_COMPLETION_INDEX", "0")];
        assert_eq!(from_env(env(&vars), Some(3)), Ok((1, 3)));
        let e = from_env(env(&vars), None).expect_err("no count");
        assert!(e.contains(COUNT_VAR), "{e}");
        let with = [("JOB_COMPLETION_INDEX", "2"), (COUNT_VAR, "3")];
        assert_eq!(from_env(env(&with), None), Ok((3, 3)));
        let over = [("JOB_COMPLETION_INDEX", "3"), (COUNT_VAR, "3")];
        assert!(from_env(env(&over), None).is_err());
        assert_eq!(from_env(env(&with), Some(3)), Ok((3, 3)), "both, agreeing");
        let e = from_env(env(&with), Some(4)).expect_err("both, disagreeing");
        assert!(
            e.contains("--shard-count 4") && e.contains("RCSIM_SHARD_COUNT=3"),
            "{e}"
        );
    }

    #[test]
    fn no_scheduler_or_two_is_an_error() {
        assert!(from_env(env(&[]), None)
            .expect_err("none")
            .contains("JOB_COMPLETION_INDEX"));
        let both = [("JOB_COMPLETION_INDEX", "0"), ("SLURM_ARRAY_TASK_ID", "0")];
        assert!(from_env(env(&both), Some(2)).is_err());
        assert_eq!(parse_shard("auto"), Ok(ShardArg::Auto));
        assert_eq!(parse_shard("2/3"), Ok(ShardArg::Fixed(2, 3)));
        assert!(parse_shard("4/3").is_err());
    }
}
