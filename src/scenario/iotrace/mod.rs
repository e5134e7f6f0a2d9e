//! Block I/O trace files, read lazily: fio's `--write_iolog` logs (versions 2 and 3) and MSR
//! Cambridge CSV traces. A [`Reader`] holds one line at a time (lines are capped at
//! [`MAX_LINE`] bytes), so a trace of any length is read in bounded memory. Every line is
//! checked, not only the writes, and a bad one is reported as `file:line: what was wrong`.

mod fio;
mod msr;

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The longest line a trace may have, in bytes; longer ones are reported, not buffered.
pub const MAX_LINE: u64 = 64 * 1024;

/// The trace file formats rcsim reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TraceFormat {
    /// fio's `--write_iolog` log, version 2 (`filename action [offset length]`, timed by `wait`
    /// lines in microseconds) or 3 (`timestamp filename action [offset length]`, timestamps in
    /// microseconds since the start of the run), told apart by the header line.
    Fio,
    /// MSR Cambridge CSV: `Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime`, the
    /// timestamp in Windows filetime ticks of 100 ns, the first record at time zero.
    Msr,
}

/// Why a trace cannot be replayed: the file, the line if there is one, and what was wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceError {
    /// The trace file as it was opened.
    pub file: String,
    /// The 1-based line, if the problem is on one.
    pub line: Option<u64>,
    /// What was wrong and what was expected.
    pub what: String,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file, l, self.what),
            None => write!(f, "{}: {}", self.file, self.what),
        }
    }
}

impl std::error::Error for TraceError {}

/// One write of a trace, before it is mapped to a volume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceWrite {
    /// The 1-based line it was read from.
    pub line: u64,
    /// Trace time in ns since the trace's time zero; never earlier than the previous write's
    /// (a record that goes back in time is taken as simultaneous, as fio's replay does).
    pub time_ns: u64,
    /// The file written (fio) or the disk number in decimal (msr).
    pub target: String,
    /// Byte offset.
    pub offset: u64,
    /// Bytes written, at least 1.
    pub length: u32,
}

/// A write as a format parser sees it; the reader adds the line number.
struct Raw {
    time_ns: u64,
    target: String,
    offset: u64,
    length: u32,
}

/// The per-format state of a reader.
enum Parser {
    Fio(fio::Parser),
    Msr(msr::Parser),
}

/// Reads the writes of one trace file, one line at a time.
pub struct Reader {
    file: String,
    input: BufReader<File>,
    buf: Vec<u8>,
    line: u64,
    parser: Parser,
    last_ns: u64,
}

impl fmt::Debug for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader")
            .field("file", &self.file)
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

impl Reader {
    /// Opens the trace at `path` in `format`; nothing is read until the first
    /// [`Reader::next_write`].
    /// Only a regular file is opened: a trace is read once to check it and again to replay it,
    /// which a named pipe cannot give (opening one with no writer blocked `validate` and `run`
    /// for good), nor a device.
    pub fn open(path: &Path, format: TraceFormat) -> Result<Self, TraceError> {
        let file = path.display().to_string();
        let refuse = |what: String| TraceError {
            file: file.clone(),
            line: None,
            what,
        };
        match std::fs::metadata(path) {
            Ok(m) if !m.is_file() => {
                return Err(refuse(
                    "the trace is not a regular file (a named pipe, device or directory): \
                     expected a file rcsim can read twice, to check it and to replay it"
                        .into(),
                ))
            }
            Ok(_) => {}
            Err(e) => return Err(refuse(format!("cannot open the trace file: {e}"))),
        }
        let f = File::open(path).map_err(|e| refuse(format!("cannot open the trace file: {e}")))?;
        Ok(Reader {
            file,
            input: BufReader::new(f),
            buf: Vec::new(),
            line: 0,
            parser: match format {
                TraceFormat::Fio => Parser::Fio(fio::Parser::default()),
                TraceFormat::Msr => Parser::Msr(msr::Parser::default()),
            },
            last_ns: 0,
        })
    }

    /// The trace file's name as opened, for messages.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// An error on the line just read.
    pub fn error_here(&self, what: String) -> TraceError {
        TraceError {
            file: self.file.clone(),
            line: Some(self.line),
            what,
        }
    }

    /// The next write of the trace, checking every line up to it; `None` at the end.
    pub fn next_write(&mut self) -> Result<Option<TraceWrite>, TraceError> {
        loop {
            if !self.read_line()? {
                if let Parser::Fio(p) = &self.parser {
                    p.at_end().map_err(|what| TraceError {
                        file: self.file.clone(),
                        line: Some(1),
                        what,
                    })?;
                }
                return Ok(None);
            }
            let text = match std::str::from_utf8(&self.buf) {
                Ok(t) => t.trim_end_matches(['\n', '\r']),
                Err(_) => return Err(self.error_here("the line is not valid UTF-8 text".into())),
            };
            let parsed = match &mut self.parser {
                Parser::Fio(p) => p.line(self.line, text),
                Parser::Msr(p) => p.line(self.line, text),
            };
            match parsed {
                Err(what) => return Err(self.error_here(what)),
                Ok(None) => {}
                Ok(Some(raw)) => {
                    let time_ns = raw.time_ns.max(self.last_ns);
                    self.last_ns = time_ns;
                    return Ok(Some(TraceWrite {
                        line: self.line,
                        time_ns,
                        target: raw.target,
                        offset: raw.offset,
                        length: raw.length,
                    }));
                }
            }
        }
    }

    /// Reads the next line into `buf`; false at the end of the file.
    fn read_line(&mut self) -> Result<bool, TraceError> {
        self.buf.clear();
        let n = (&mut self.input)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| TraceError {
                file: self.file.clone(),
                line: Some(self.line + 1),
                what: format!("cannot read the trace file: {e}"),
            })?;
        if n == 0 {
            return Ok(false);
        }
        self.line += 1;
        if self.buf.len() as u64 > MAX_LINE && self.buf.last() != Some(&b'\n') {
            return Err(self.error_here(format!(
                "the line is longer than {MAX_LINE} bytes: expected one trace record per line"
            )));
        }
        Ok(true)
    }
}

/// Parses a whole number field, naming it and what it should hold when it is not one.
fn number(field: &str, value: &str, expected: &str) -> Result<u64, String> {
    value
        .parse::<u64>()
        .map_err(|_| format!("bad {field} `{value}`: expected {expected}"))
}

/// Checks a write's length: at least one byte, at most what a host write can carry.
fn write_length(length: u64) -> Result<u32, String> {
    match u32::try_from(length) {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "a write of {length} bytes: expected a length between 1 and {} bytes",
            u32::MAX
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `text` to a fresh file under the temp dir and returns its path.
    pub(super) fn temp_trace(name: &str, text: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("rcsim-iotrace-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write temp trace");
        p
    }

    /// Every write of a trace, or the first error.
    pub(super) fn all(path: &Path, format: TraceFormat) -> Result<Vec<TraceWrite>, TraceError> {
        let mut r = Reader::open(path, format)?;
        let mut v = Vec::new();
        while let Some(w) = r.next_write()? {
            v.push(w);
        }
        Ok(v)
    }

    #[test]
    fn a_missing_file_is_named() {
        let e = Reader::open(Path::new("/nonexistent/rcsim.log"), TraceFormat::Fio).unwrap_err();
        assert_eq!(e.line, None);
        let m = e.to_string();
        assert!(m.starts_with("/nonexistent/rcsim.log: cannot open"), "{m}");
    }

    #[test]
    fn an_overlong_line_is_reported_not_buffered() {
        let mut text = b"fio version 2 iolog\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', (MAX_LINE + 10) as usize));
        let p = temp_trace("long.log", &text);
        let e = all(&p, TraceFormat::Fio).unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.what.contains("longer than"), "{e}");
    }

    #[test]
    fn invalid_utf8_is_reported_with_its_line() {
        let p = temp_trace("utf8.log", b"fio version 2 iolog\n/f add\n/f \xff\xfe\n");
        let e = all(&p, TraceFormat::Fio).unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.what.contains("UTF-8"), "{e}");
    }

    #[test]
    fn write_lengths_must_fit_a_host_write() {
        assert_eq!(write_length(4096), Ok(4096));
        assert!(write_length(0).is_err());
        assert!(write_length(u64::from(u32::MAX) + 1).is_err());
    }
}
