//! `rcsim validate FILE...`: checks scenario files (or reproducers' scenarios, or `-` for stdin)
//! and says, for each, what is wrong or that it is valid; with `--json`, one object per file for
//! scripts and editors.

use std::path::PathBuf;

use serde_json::json;

use super::campaign_out::count;
use super::{EXIT_OK, EXIT_USAGE};

/// Validates every file; exit 0 when all are valid, else 2 (every file is still checked).
/// Standard input (`-`) can be read once, so naming it twice is refused before anything is read.
pub(super) fn validate(files: &[PathBuf], as_json: bool) -> u8 {
    let stdin = files.iter().filter(|f| f.as_os_str() == "-").count();
    if stdin > 1 {
        errln!(
            "rcsim validate: `-` (standard input) is named {stdin} times, but it can be read \
             only once: name it once"
        );
        return EXIT_USAGE;
    }
    if let Some((first, again)) = one_stream_twice(files) {
        errln!(
            "rcsim validate: `{}` and `{}` name the same stream (a pipe, FIFO, socket or device, \
             such as standard input), which a first reading may use up: name it once",
            first.display(),
            again.display()
        );
        return EXIT_USAGE;
    }
    let mut all_valid = true;
    let mut report = Vec::new();
    for file in files {
        match super::input::load(file, &[]).map(|i| i.scenario) {
            Ok(s) => {
                if as_json {
                    report.push(json!({
                        "file": file.display().to_string(),
                        "valid": true,
                        "name": s.name,
                        "pairs": s.topology.pairs,
                        "workloads": s.workloads.len(),
                        "faults": s.faults.len(),
                        "protocol": s.protocol.kind.name(),
                    }));
                } else {
                    outln!(
                        "{}: valid scenario `{}` ({}, {}, {}, protocol {})",
                        file.display(),
                        s.name,
                        count(u64::from(s.topology.pairs), "pair"),
                        count(s.workloads.len() as u64, "workload"),
                        count(s.faults.len() as u64, "fault"),
                        s.protocol.kind.name()
                    );
                }
            }
            Err(e) => {
                all_valid = false;
                errln!("{e}");
                if as_json {
                    report.push(json!({
                        "file": file.display().to_string(),
                        "valid": false,
                        "error": e.to_string(),
                    }));
                }
            }
        }
    }
    if as_json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    }
    if all_valid {
        EXIT_OK
    } else {
        EXIT_USAGE
    }
}

/// Two of `files` that name one stream, which a first reading may use up: standard input under
/// two names (`-`, `/dev/stdin`, `/dev/fd/0`), or one pipe, FIFO, socket or device twice (a
/// device such as `/dev/null` would read the same twice, but it is no scenario either way).
/// Regular files and anything that cannot be looked at are left to the reading (a regular file
/// read twice reads the same). Looking does not open anything, so a FIFO does not block it.
#[cfg(unix)]
fn one_stream_twice(files: &[PathBuf]) -> Option<(&PathBuf, &PathBuf)> {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let mut streams: Vec<((u64, u64), &PathBuf)> = Vec::new();
    for file in files {
        let meta = if file.as_os_str() == "-" {
            std::io::stdin()
                .as_fd()
                .try_clone_to_owned()
                .and_then(|fd| std::fs::File::from(fd).metadata())
        } else {
            std::fs::metadata(file)
        };
        let Ok(meta) = meta else { continue };
        if meta.is_file() || meta.is_dir() {
            continue;
        }
        let id = (meta.dev(), meta.ino());
        if let Some(&(_, first)) = streams.iter().find(|(seen, _)| *seen == id) {
            return Some((first, file));
        }
        streams.push((id, file));
    }
    None
}

/// Where files cannot be told apart by device and inode, only `-` twice is caught.
#[cfg(not(unix))]
fn one_stream_twice(_files: &[PathBuf]) -> Option<(&PathBuf, &PathBuf)> {
    None
}
