//! `rcsim replay` and `rcsim shrink`: re-running and minimising reproducer files.

use std::path::{Path, PathBuf};

use rcsim::fuzz::repro::Repro;
use rcsim::fuzz::shrink::{shrink, Size};
use rcsim::sim::{simulate, RunOptions};

use super::{summary, EXIT_OK, EXIT_USAGE, EXIT_VIOLATION};

fn read(path: &Path) -> Result<Repro, u8> {
    Repro::read(path).map_err(|e| {
        eprintln!("{e}");
        EXIT_USAGE
    })
}

pub(super) fn replay(path: &Path, json: bool, opts: &RunOptions) -> u8 {
    let repro = match read(path) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let sc = match repro.scenario(&path.display().to_string()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_USAGE;
        }
    };
    let result = match simulate(&sc, repro.seed, opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("rcsim: {e}");
            return EXIT_USAGE;
        }
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&result).unwrap_or_default()
        );
    } else {
        print!("{}", summary::render(&result));
    }
    let same_hash = result.trace_hash == repro.expected.trace_hash;
    let same_verdict = result.consistent == repro.expected.consistent;
    if same_hash && same_verdict {
        eprintln!(
            "reproduced: same verdict and trace hash {} as recorded",
            result.trace_hash
        );
    } else {
        eprintln!(
            "NOT reproduced: recorded {} with trace hash {}, replay gave {} with {}",
            if repro.expected.consistent {
                "consistent"
            } else {
                "a violation"
            },
            repro.expected.trace_hash,
            if result.consistent {
                "consistent"
            } else {
                "a violation"
            },
            result.trace_hash
        );
    }
    if result.consistent {
        EXIT_OK
    } else {
        EXIT_VIOLATION
    }
}

pub(super) fn shrink_cmd(path: &Path, out: Option<&PathBuf>, max_attempts: u64, json: bool) -> u8 {
    let repro = match read(path) {
        Ok(r) => r,
        Err(code) => return code,
    };
    if repro.scenario(&path.display().to_string()).is_err() {
        return read(path).err().unwrap_or(EXIT_USAGE);
    }
    let Some(s) = shrink(&repro, max_attempts) else {
        eprintln!(
            "rcsim shrink: {} does not fail when replayed, so there is nothing to shrink",
            path.display()
        );
        return EXIT_USAGE;
    };
    let target = out.cloned().unwrap_or_else(|| {
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        path.with_file_name(format!("{stem}.shrunk.json"))
    });
    if let Err(e) = s.repro.write(&target) {
        eprintln!("rcsim: cannot write {}: {e}", target.display());
        return EXIT_USAGE;
    }
    if json {
        let v = serde_json::json!({
            "before": size_json(&s.before),
            "after": size_json(&s.after),
            "attempts": s.attempts,
            "out": target.display().to_string(),
            "still_fails": s.repro.expected.first,
        });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return EXIT_VIOLATION;
    }
    println!("before: {}", s.before);
    println!("after:  {}", s.after);
    if let Some(v) = &s.repro.expected.first {
        println!(
            "still fails: {} ({} missing, {} present)",
            v.kind, v.missing, v.present
        );
    }
    println!(
        "{} runs tried; shrunk reproducer: {}",
        s.attempts,
        target.display()
    );
    EXIT_VIOLATION
}

/// A reproducer's size as `shrink --json` reports it.
fn size_json(s: &Size) -> serde_json::Value {
    serde_json::json!({
        "pairs": s.pairs,
        "faults": s.faults,
        "workloads": s.workloads,
        "writes": s.writes,
        "events": s.events,
        "json_bytes": s.json_bytes,
    })
}
