//! Reading a campaign's files for `fuzz --merge` (and its summary for `--resume`): only regular
//! files, each read within a cap, so a directory that holds a link to `/dev/zero`, a FIFO or a
//! runaway line is refused (exit 2) instead of exhausting memory or hanging. The opening and the
//! capped reading are [`rcsim::output`]'s and the line rule [`rcsim::fuzz::outdir`]'s (the one
//! `--resume` reads by); this module words their refusals for a merge.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use rcsim::fuzz::outdir::{read_line, Line, MAX_LINE_BYTES};
use rcsim::output::{read_at_most, Access, NotRegular};

/// The largest `summary.json` a merge or resume reads: 64 MiB, room for millions of failing seeds.
pub(super) const MAX_SUMMARY_BYTES: u64 = 64 << 20;

/// Opens `path` for reading and refuses anything but a regular file. With `follow` false a
/// symbolic link is refused too. The open never blocks, so a FIFO is refused, not waited on.
pub(super) fn open_regular(path: &Path, follow: bool) -> Result<File, String> {
    let access = Access::Read {
        follow_links: follow,
    };
    rcsim::output::open_regular(path, access).map_err(|e| {
        let what = match NotRegular::of(&e) {
            None => return format!("{}: cannot read ({e})", path.display()),
            Some(NotRegular::Link) => "a symbolic link",
            Some(NotRegular::Directory) => "a directory",
            Some(NotRegular::Special) => "a device, FIFO or socket",
        };
        format!("{}: is {what}; expected a regular file", path.display())
    })
}

/// Reads the whole regular file at `path`, refusing one larger than `cap` bytes.
pub(super) fn read_capped(path: &Path, follow: bool, cap: u64) -> Result<Vec<u8>, String> {
    read_at_most(open_regular(path, follow)?, cap)
        .map_err(|e| format!("{}: cannot read ({e})", path.display()))?
        .ok_or_else(|| {
            format!(
                "{}: is larger than {cap} bytes, more than rcsim ever writes there",
                path.display()
            )
        })
}

/// A `results.jsonl` read one whole line at a time, none longer than [`MAX_LINE_BYTES`].
pub(super) struct Lines {
    path: PathBuf,
    reader: BufReader<File>,
    line: u64,
    cut: bool,
}

impl Lines {
    /// Opens the regular file at `path` (a link to one is followed).
    pub(super) fn open(path: &Path) -> Result<Self, String> {
        Ok(Lines {
            path: path.to_path_buf(),
            reader: BufReader::new(open_regular(path, true)?),
            line: 0,
            cut: false,
        })
    }

    /// The next line without its newline, or `None` at the end. A last line without its newline
    /// was cut by a kill: it ends the file (and [`Lines::cut`] says so). A line longer than
    /// [`MAX_LINE_BYTES`] is an error.
    pub(super) fn next_line(&mut self) -> Result<Option<Vec<u8>>, String> {
        let mut buf = Vec::new();
        let read = read_line(&mut self.reader, &mut buf)
            .map_err(|e| format!("{}: cannot read ({e})", self.path.display()))?;
        if read != Line::End {
            self.line = self.line.saturating_add(1);
        }
        match read {
            Line::Whole => Ok(Some(buf)),
            Line::End => Ok(None),
            Line::Cut => {
                self.cut = true;
                Ok(None)
            }
            Line::TooLong => Err(format!(
                "{}: is longer than {MAX_LINE_BYTES} bytes; a result line is far shorter",
                self.at()
            )),
        }
    }

    /// True when the file ended in a line cut short (no newline).
    pub(super) fn cut(&self) -> bool {
        self.cut
    }

    /// `path:line` of the line last read, for messages.
    pub(super) fn at(&self) -> String {
        format!("{}:{}", self.path.display(), self.line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str, bytes: &[u8]) -> PathBuf {
        let p =
            std::env::temp_dir().join(format!("rcsim-shard-files-{name}-{}", std::process::id()));
        std::fs::write(&p, bytes).expect("write");
        p
    }

    #[test]
    fn lines_stop_at_a_cut_line_and_refuse_a_runaway_one() {
        let p = temp("cut", b"{\"seed\":1}\n{\"se");
        let mut l = Lines::open(&p).expect("opens");
        assert_eq!(l.next_line().expect("ok"), Some(b"{\"seed\":1}".to_vec()));
        assert_eq!(l.next_line().expect("ok"), None);
        assert!(l.cut());
        std::fs::remove_file(&p).expect("clean up");
        let e = Lines::open(&std::env::temp_dir())
            .err()
            .expect("a directory");
        assert!(e.contains("is a directory"), "{e}");
        let e = Lines::open(Path::new("/dev/zero")).err().expect("a device");
        assert!(e.contains("expected a regular file"), "{e}");
    }

    #[test]
    fn a_file_over_its_cap_is_refused() {
        let p = temp("cap", b"0123456789");
        assert_eq!(read_capped(&p, true, 10).expect("fits"), b"0123456789");
        let e = read_capped(&p, true, 9).expect_err("too big");
        assert!(e.contains("larger than 9 bytes"), "{e}");
        std::fs::remove_file(&p).expect("clean up");
    }
}
