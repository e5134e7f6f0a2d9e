//! MSR Cambridge block traces (SNIA IOTTA): one CSV record per line,
//! `Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime`. The timestamp counts Windows
//! filetime ticks of 100 ns; the first record's time is time zero. `Type` is `Read` or `Write`
//! (any case); reads are checked and skipped. A first line naming the columns is allowed.

use super::{number, write_length, Raw};

/// The column names, in order, for messages and the optional header line.
const COLUMNS: [&str; 7] = [
    "Timestamp",
    "Hostname",
    "DiskNumber",
    "Type",
    "Offset",
    "Size",
    "ResponseTime",
];

/// Nanoseconds per filetime tick.
const TICK_NS: u64 = 100;

/// The state of one MSR trace being read.
#[derive(Debug, Default)]
pub(super) struct Parser {
    /// The first record's timestamp: time zero.
    start: Option<u64>,
}

impl Parser {
    /// Parses line `line` (1-based): a write, nothing, or what is wrong with it.
    pub(super) fn line(&mut self, line: u64, text: &str) -> Result<Option<Raw>, String> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        let mut f = [""; 7];
        let mut n = 0;
        for field in text.split(',') {
            if n < f.len() {
                f[n] = field.trim();
            }
            n += 1;
        }
        if n != f.len() {
            return Err(format!(
                "{n} comma-separated fields: expected 7, {}",
                COLUMNS.join(",")
            ));
        }
        if line == 1 && f[0].eq_ignore_ascii_case(COLUMNS[0]) {
            return Ok(None);
        }
        let ticks = number(
            "Timestamp",
            f[0],
            "Windows filetime ticks of 100 ns (a whole number)",
        )?;
        let disk = number("DiskNumber", f[2], "a disk number (a whole number)")?;
        let write = if f[3].eq_ignore_ascii_case("write") {
            true
        } else if f[3].eq_ignore_ascii_case("read") {
            false
        } else {
            return Err(format!("bad Type `{}`: expected Read or Write", f[3]));
        };
        let offset = number("Offset", f[4], "a byte offset (a whole number)")?;
        let size = number("Size", f[5], "a length in bytes (a whole number)")?;
        number("ResponseTime", f[6], "ticks of 100 ns (a whole number)")?;
        let start = *self.start.get_or_insert(ticks);
        if !write {
            return Ok(None);
        }
        Ok(Some(Raw {
            time_ns: ticks.saturating_sub(start).saturating_mul(TICK_NS),
            target: disk.to_string(),
            offset,
            length: write_length(size)?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{all, temp_trace};
    use super::super::TraceFormat;

    fn error(name: &str, text: &str) -> (Option<u64>, String) {
        let p = temp_trace(name, text.as_bytes());
        let e = all(&p, TraceFormat::Msr).expect_err("a bad trace");
        (e.line, e.what)
    }

    #[test]
    fn writes_are_timed_from_the_first_record_and_reads_skipped() {
        let p = temp_trace(
            "msr.csv",
            b"Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime\r\n\
              128166372000000000,hm,1,Read,4096,4096,100\r\n\
              128166372000010000,hm,01,Write,8192,512,200\r\n\
              128166372000000005,hm,0,write,0,4096,200\r\n",
        );
        let w = all(&p, TraceFormat::Msr).expect("valid trace");
        assert_eq!(w.len(), 2);
        assert_eq!(
            (w[0].line, w[0].time_ns),
            (3, 1_000_000),
            "10000 ticks = 1ms"
        );
        assert_eq!(w[0].target, "1", "disk numbers are canonical decimal");
        assert_eq!((w[0].offset, w[0].length), (8192, 512));
        assert_eq!(
            w[1].time_ns, 1_000_000,
            "going back in time is simultaneous"
        );
    }

    #[test]
    fn the_sample_parses() {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/msr-sample.csv");
        let w = all(&p, TraceFormat::Msr).expect("the sample parses");
        assert!(!w.is_empty());
    }

    #[test]
    fn bad_records_name_their_line_and_what_was_expected() {
        let ok = "128166372000000000,hm,1,Read,4096,4096,100\n";
        let cases: [(&str, &str); 6] = [
            (
                "128166372000000000,hm,1,Read,4096,4096\n",
                "6 comma-separated fields",
            ),
            (
                "12816637200000000x,hm,1,Read,4096,4096,1\n",
                "bad Timestamp",
            ),
            (
                "128166372000000000,hm,one,Read,4096,4096,1\n",
                "bad DiskNumber `one`",
            ),
            (
                "128166372000000000,hm,1,Trim,4096,4096,1\n",
                "bad Type `Trim`",
            ),
            (
                "128166372000000000,hm,1,Write,4096,0,1\n",
                "a write of 0 bytes",
            ),
            (
                "128166372000000000,hm,1,Write,4096,4096,\n",
                "bad ResponseTime ``",
            ),
        ];
        for (i, (bad, fragment)) in cases.iter().enumerate() {
            let (l, what) = error(&format!("bad{i}.csv"), &format!("{ok}{bad}"));
            assert_eq!(l, Some(2), "{bad:?}: {what}");
            assert!(what.contains(fragment), "{bad:?}: {what}");
        }
    }
}
