//! fio's iolog, as `--write_iolog` records it and `--read_iolog` replays it (fio's man page,
//! "TRACE FILE FORMAT"; fio's `iolog.c`).
//!
//! - The first line is `fio version 2 iolog` or `fio version 3 iolog`.
//! - Version 2 lines are `filename action` for the file actions `add`, `open`, `close`, and
//!   `filename action offset length` for `read`, `write`, `sync`, `datasync`, `trim` and `wait`.
//!   A `wait` line delays the lines after it by `offset` microseconds, counted from the previous
//!   `wait`; waits below 100 us are discarded, as fio's documentation says. Without waits every
//!   line is at time zero.
//! - Version 3 lines put a timestamp first: microseconds since the start of the run (what fio
//!   3.31 and later record, from `utime_since_now`). `wait` is not allowed in version 3.
//!
//! Only `write` lines become host writes; every other line is checked and skipped.

use super::{number, write_length, Raw};

/// The actions that manage files: no offset or length.
const FILE_ACTIONS: [&str; 3] = ["add", "open", "close"];
/// The actions that carry an offset and a length.
const IO_ACTIONS: [&str; 6] = ["read", "write", "sync", "datasync", "trim", "wait"];
/// Waits shorter than this many microseconds are discarded (fio's documented rule).
const MIN_WAIT_US: u64 = 100;

const HEADER_V2: &str = "fio version 2 iolog";
const HEADER_V3: &str = "fio version 3 iolog";

/// The state of one fio log being read.
#[derive(Debug, Default)]
pub(super) struct Parser {
    /// 2 or 3 once the header is read.
    version: Option<u8>,
    /// Version 2: the sum of the waits so far, in ns.
    clock_ns: u64,
}

impl Parser {
    /// Parses line `line` (1-based) of the log: a write, nothing, or what is wrong with it.
    pub(super) fn line(&mut self, line: u64, text: &str) -> Result<Option<Raw>, String> {
        let Some(version) = self.version else {
            return self.header(line, text).map(|()| None);
        };
        let mut fields = [""; 6];
        let mut n = 0;
        for f in text.split_ascii_whitespace() {
            if n == fields.len() {
                return Err(format!(
                    "too many fields: expected {}",
                    shape(version, "action", true)
                ));
            }
            fields[n] = f;
            n += 1;
        }
        if n == 0 {
            return Ok(None);
        }
        let (time_ns, rest) = if version == 3 {
            let us = number(
                "timestamp",
                fields[0],
                "microseconds since the start of the run (a whole number)",
            )?;
            let ns = us.checked_mul(1000).ok_or_else(|| {
                format!("timestamp {us} is too large: expected at most 584 years")
            })?;
            (ns, &fields[1..n])
        } else {
            (self.clock_ns, &fields[..n])
        };
        let (target, action, args) = match rest {
            [] => {
                return Err(format!(
                    "missing filename: expected {}",
                    shape(3, "action", true)
                ))
            }
            [_] => {
                return Err(format!(
                    "missing action: expected {}",
                    shape(version, "action", true)
                ))
            }
            [t, a, args @ ..] => (*t, *a, args),
        };
        if FILE_ACTIONS.contains(&action) {
            if !args.is_empty() {
                return Err(format!(
                    "`{action}` takes no offset or length: expected {}",
                    shape(version, action, false)
                ));
            }
            return Ok(None);
        }
        if !IO_ACTIONS.contains(&action) {
            if version == 2 && (n == 3 || n == 5) && fields[0].bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "unknown action `{action}`: this looks like a version 3 line (a timestamp \
                     first) but the header says `{HEADER_V2}`"
                ));
            }
            return Err(format!(
                "unknown action `{action}`: expected one of {}, {}",
                FILE_ACTIONS.join(", "),
                IO_ACTIONS.join(", ")
            ));
        }
        let [offset, length] = args else {
            return Err(format!(
                "`{action}` needs an offset and a length: expected {}",
                shape(version, action, true)
            ));
        };
        let offset = number("offset", offset, "a byte offset (a whole number)")?;
        let length = number("length", length, "a length in bytes (a whole number)")?;
        match action {
            "wait" if version == 3 => Err(
                "`wait` is not allowed in a version 3 log: its timestamps carry the timing".into(),
            ),
            "wait" => {
                if offset >= MIN_WAIT_US {
                    self.clock_ns = offset
                        .checked_mul(1000)
                        .and_then(|ns| self.clock_ns.checked_add(ns))
                        .ok_or_else(|| {
                            "the waits add up to more than 584 years: expected a shorter trace"
                                .to_string()
                        })?;
                }
                Ok(None)
            }
            "write" => Ok(Some(Raw {
                time_ns,
                target: target.to_string(),
                offset,
                length: write_length(length)?,
            })),
            _ => Ok(None),
        }
    }

    /// Checks the header line.
    fn header(&mut self, line: u64, text: &str) -> Result<(), String> {
        let t = text.trim_end();
        self.version = match t {
            HEADER_V2 => Some(2),
            HEADER_V3 => Some(3),
            _ => {
                let hint = if line == 1 && t.starts_with("fio version") {
                    " (versions 2 and 3 are supported)"
                } else {
                    ""
                };
                return Err(format!(
                    "bad header {t:?}: expected `{HEADER_V2}` or `{HEADER_V3}` as the first \
                     line of a fio iolog{hint}"
                ));
            }
        };
        Ok(())
    }

    /// Checks the log once its end is reached: a file without even a header is not a log.
    pub(super) fn at_end(&self) -> Result<(), String> {
        match self.version {
            Some(_) => Ok(()),
            None => Err(format!(
                "the file is empty: expected `{HEADER_V2}` or `{HEADER_V3}` as the first line"
            )),
        }
    }
}

/// How a line of `version` with `action` is spelled, for messages.
fn shape(version: u8, action: &str, io: bool) -> String {
    let time = if version == 3 { "timestamp " } else { "" };
    let args = if io { " offset length" } else { "" };
    format!("`{time}filename {action}{args}`")
}

#[cfg(test)]
mod tests {
    use super::super::tests::{all, temp_trace};
    use super::super::TraceFormat;

    fn writes(name: &str, text: &str) -> Vec<(u64, u64, String, u64, u32)> {
        let p = temp_trace(name, text.as_bytes());
        all(&p, TraceFormat::Fio)
            .expect("valid log")
            .into_iter()
            .map(|w| (w.line, w.time_ns, w.target, w.offset, w.length))
            .collect()
    }

    fn error(name: &str, text: &str) -> (Option<u64>, String) {
        let p = temp_trace(name, text.as_bytes());
        let e = all(&p, TraceFormat::Fio).expect_err("a bad log");
        (e.line, e.what)
    }

    #[test]
    fn version_2_writes_are_timed_by_waits() {
        let w = writes(
            "v2.log",
            "fio version 2 iolog\n/f add\n/f open\n/f write 4096 4096\n/f wait 1500 0\n\
             /f read 0 512\n/f write 8192 512\n/f wait 50 0\n/f sync 0 0\n/f write 0 1\n\
             /f trim 0 4096\n/f datasync 0 0\n/f close\n",
        );
        assert_eq!(
            w,
            vec![
                (4, 0, "/f".into(), 4096, 4096),
                (7, 1_500_000, "/f".into(), 8192, 512),
                (10, 1_500_000, "/f".into(), 0, 1),
            ],
            "waits below 100us are discarded"
        );
    }

    #[test]
    fn version_3_timestamps_are_microseconds() {
        let w = writes(
            "v3.log",
            "fio version 3 iolog\n18 /a add\n145 /a open\n156 /a write 28672 4096\n\
             607 /b write 385024 4096\n600 /a write 0 4096\n700 /a close\n",
        );
        assert_eq!(w[0].1, 156_000);
        assert_eq!(w[1].1, 607_000);
        assert_eq!(w[2].1, 607_000, "a timestamp going back is simultaneous");
        assert_eq!(w[1].2, "/b");
    }

    #[test]
    fn blank_lines_and_trailing_whitespace_are_accepted() {
        let w = writes(
            "blank.log",
            "fio version 2 iolog \r\n\n/f write 0 4096\r\n   \n",
        );
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn the_recorded_logs_parse() {
        for name in ["fio-v2-randwrite.log", "fio-v3-randwrite.log"] {
            let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data")
                .join(name);
            let w = all(&p, TraceFormat::Fio).expect("fio's own log parses");
            assert_eq!(w.len(), 120, "{name}");
        }
    }

    #[test]
    fn bad_lines_name_their_line_and_what_was_expected() {
        let cases: [(&str, u64, &str); 12] = [
            ("fio version 4 iolog\n", 1, "versions 2 and 3 are supported"),
            ("hello\n", 1, "expected `fio version 2 iolog`"),
            (
                "fio version 2 iolog\n/f add\n/f wrte 0 4096\n",
                3,
                "unknown action `wrte`",
            ),
            (
                "fio version 2 iolog\n/f write 0\n",
                2,
                "needs an offset and a length",
            ),
            (
                "fio version 2 iolog\n/f write 0x10 4096\n",
                2,
                "bad offset `0x10`",
            ),
            ("fio version 2 iolog\n/f write 0 -1\n", 2, "bad length `-1`"),
            (
                "fio version 2 iolog\n/f write 0 0\n",
                2,
                "a write of 0 bytes",
            ),
            (
                "fio version 2 iolog\n/f open 0 0\n",
                2,
                "takes no offset or length",
            ),
            ("fio version 2 iolog\n/f\n", 2, "missing action"),
            (
                "fio version 2 iolog\n5 /f write 0 4096\n",
                2,
                "looks like a version 3 line",
            ),
            (
                "fio version 3 iolog\n/f write 0 4096\n",
                2,
                "bad timestamp `/f`",
            ),
            (
                "fio version 3 iolog\n5 /f wait 100 0\n",
                2,
                "not allowed in a version 3",
            ),
        ];
        for (i, (text, line, fragment)) in cases.iter().enumerate() {
            let (l, what) = error(&format!("bad{i}.log"), text);
            assert_eq!(l, Some(*line), "{text:?}: {what}");
            assert!(what.contains(fragment), "{text:?}: {what}");
        }
    }

    #[test]
    fn an_empty_file_has_no_header() {
        let (l, what) = error("empty.log", "");
        assert_eq!(l, Some(1));
        assert!(what.contains("empty"), "{what}");
    }
}
