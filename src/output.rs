//! Output files that are never seen half-written, never replace what is not a regular file and
//! never write through a planted link.
//!
//! The rules, by what the target path names:
//! - `-`: standard output, written straight through.
//! - a regular file, or nothing yet: written to a temporary file created exclusively (`O_EXCL`,
//!   unpredictable name) in the target's directory, synced, renamed over the target only once
//!   complete, and the directory synced after the rename. Every error path (a full disk while
//!   flushing, a rename onto a directory) removes the temporary file.
//! - a device, FIFO or socket (`/dev/null`, a named pipe): written straight to it, never replaced.
//! - a directory: refused.
//! - a symbolic link: refused when it leads to a regular file, to a directory or to nothing, so a
//!   link planted at the target never redirects the write; a link to a device or FIFO (such as
//!   `/dev/stdout`) is written through, as the device itself would be.
//!
//! A refused target is an error of kind [`io::ErrorKind::InvalidInput`] with a message saying why.
//!
//! A file rcsim names itself inside an output directory (a `result.json`, a reproducer, a report
//! page) is stricter (see [`write_own`]): only a regular file or nothing is accepted there, and
//! anything else, a FIFO included, is refused without being opened, so it never blocks a writer.
//!
//! Output directories follow the same spirit (see [`ensure_dir`]): a missing one is created by
//! `mkdir`, which never follows a link; an existing one must be a real directory, not a link.
//! A file appended to in place, which cannot be renamed into place whole, is opened only as a
//! regular file and never through a link (see [`open_regular`]), as is a file read from a
//! campaign's directory; [`read_at_most`] reads any input within a cap.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// Where the bytes go.
enum Sink {
    /// Standard output (`-`).
    Stdout(BufWriter<io::Stdout>),
    /// A device or FIFO opened for writing, never replaced.
    Direct(BufWriter<File>),
    /// A temporary file beside a regular-file target, renamed over it on commit.
    Temp(BufWriter<NamedTempFile>),
}

/// A file being written; a regular-file target appears at its path only when
/// [`AtomicFile::commit`] is called, and the temporary file is removed if it is dropped
/// uncommitted or the commit fails.
pub struct AtomicFile {
    target: PathBuf,
    sink: Option<Sink>,
}

/// The error for a target rcsim refuses to write.
fn refuse(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, why.to_string())
}

/// The refusal of a symbolic link at a file target.
const LINKED_FILE: &str = "the target is a symbolic link; rcsim does not write through links to \
                           files (remove it, or name the file it points to)";

/// True for file types written straight through: character and block devices, FIFOs, sockets.
fn is_special(ft: &std::fs::FileType) -> bool {
    !ft.is_file() && !ft.is_dir() && !ft.is_symlink()
}

/// Opens a device or FIFO for writing, without creating or truncating anything.
fn open_direct(target: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).open(target)
}

/// Creates the temporary file beside `target`: an unpredictable name, created exclusively, with
/// the permissions a new file would get (0666 less the umask).
fn temp_beside(target: &Path) -> io::Result<NamedTempFile> {
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(target.file_name().unwrap_or_default());
    prefix.push(".");
    let mut b = tempfile::Builder::new();
    b.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(std::fs::Permissions::from_mode(0o666));
    }
    b.tempfile_in(dir)
}

/// Syncs the directory holding `target` so that a rename into it survives a crash. File systems
/// that cannot sync a directory say so with `EINVAL`, which is not an error here.
fn sync_dir_of(target: &Path) -> io::Result<()> {
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match File::open(dir).and_then(|d| d.sync_all()) {
        Err(e) if e.kind() == io::ErrorKind::InvalidInput => Ok(()),
        other => other,
    }
}

impl AtomicFile {
    /// Starts writing a file rcsim names itself inside an output directory: `target` must be a
    /// regular file or nothing yet; a link, directory, device or FIFO there is refused (see
    /// [`check_regular`]) without being opened, so a FIFO planted at the name never blocks the
    /// write nor receives it.
    pub fn create_own(target: &Path) -> io::Result<Self> {
        if target.file_name().is_none() {
            return Err(refuse("expected a file name, got a directory path"));
        }
        check_regular(target)?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            sink: Some(Sink::Temp(BufWriter::new(temp_beside(target)?))),
        })
    }

    /// Starts writing `target` by the rules of this module.
    pub fn create(target: &Path) -> io::Result<Self> {
        if target.as_os_str() == "-" {
            return Ok(AtomicFile {
                target: target.to_path_buf(),
                sink: Some(Sink::Stdout(BufWriter::new(io::stdout()))),
            });
        }
        if target.file_name().is_none() {
            return Err(refuse("expected a file name, got a directory path"));
        }
        let sink = match std::fs::symlink_metadata(target) {
            Ok(m) if m.file_type().is_symlink() => match std::fs::metadata(target) {
                Ok(real) if is_special(&real.file_type()) => {
                    Sink::Direct(BufWriter::new(open_direct(target)?))
                }
                _ => return Err(refuse(LINKED_FILE)),
            },
            Ok(m) if m.is_dir() => return Err(refuse("the target is a directory")),
            Ok(m) if is_special(&m.file_type()) => {
                Sink::Direct(BufWriter::new(open_direct(target)?))
            }
            Ok(_) => Sink::Temp(BufWriter::new(temp_beside(target)?)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Sink::Temp(BufWriter::new(temp_beside(target)?))
            }
            Err(e) => return Err(e),
        };
        Ok(AtomicFile {
            target: target.to_path_buf(),
            sink: Some(sink),
        })
    }

    /// Finishes the file: flushes it; for a regular file also syncs it, renames it into place and
    /// syncs the directory. On any error the temporary file is removed and the target is left as
    /// it was.
    pub fn commit(mut self) -> io::Result<()> {
        match self.sink.take() {
            None => Ok(()),
            Some(Sink::Stdout(mut w)) => w.flush(),
            Some(Sink::Direct(mut w)) => w.flush(),
            Some(Sink::Temp(w)) => {
                // On error the writer (and so the temporary file) is dropped, which removes it.
                let temp = w.into_inner().map_err(|e| e.into_error())?;
                temp.as_file().sync_all()?;
                // Refuse a link, directory or special file that appeared at the target while
                // writing: a rename would replace it, but the user named a file.
                if let Ok(m) = std::fs::symlink_metadata(&self.target) {
                    if !m.is_file() {
                        return Err(refuse(
                            "the target became a link, directory or special file while being \
                             written; left as it is",
                        ));
                    }
                }
                temp.persist(&self.target).map_err(|e| e.error)?;
                sync_dir_of(&self.target)
            }
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.sink.as_mut() {
            Some(Sink::Stdout(w)) => w.write(buf),
            Some(Sink::Direct(w)) => w.write(buf),
            Some(Sink::Temp(w)) => w.write(buf),
            None => Err(io::Error::other("file already committed")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.sink.as_mut() {
            Some(Sink::Stdout(w)) => w.flush(),
            Some(Sink::Direct(w)) => w.flush(),
            Some(Sink::Temp(w)) => w.flush(),
            None => Ok(()),
        }
    }
}

/// Writes `bytes` to `target` by the rules of this module.
pub fn write_atomic(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(target)?;
    f.write_all(bytes)?;
    f.commit()
}

/// Writes `bytes` to `target`, a file rcsim names itself, by the rules of
/// [`AtomicFile::create_own`].
pub fn write_own(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create_own(target)?;
    f.write_all(bytes)?;
    f.commit()
}

/// What stood where a regular file was expected. It is the inner error of the
/// [`io::ErrorKind::InvalidInput`] error that [`check_regular`] and [`open_regular`] return
/// (see [`NotRegular::of`]), so a caller may word its own message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotRegular {
    /// A symbolic link, not followed.
    Link,
    /// A directory.
    Directory,
    /// A device, FIFO or socket.
    Special,
}

impl NotRegular {
    /// The refusal `e` is, if it is one of these.
    pub fn of(e: &io::Error) -> Option<Self> {
        e.get_ref()?.downcast_ref::<NotRegular>().copied()
    }

    /// What an open file's metadata shows, when it is not a regular file.
    fn of_meta(m: &std::fs::Metadata) -> Option<Self> {
        if m.file_type().is_symlink() {
            Some(NotRegular::Link)
        } else if m.is_dir() {
            Some(NotRegular::Directory)
        } else if m.is_file() {
            None
        } else {
            Some(NotRegular::Special)
        }
    }
}

impl std::fmt::Display for NotRegular {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NotRegular::Link => LINKED_FILE,
            NotRegular::Directory => "the target is a directory, not a regular file",
            NotRegular::Special => "the target is a device, FIFO or socket, not a regular file",
        })
    }
}

impl std::error::Error for NotRegular {}

impl From<NotRegular> for io::Error {
    fn from(n: NotRegular) -> Self {
        io::Error::new(io::ErrorKind::InvalidInput, n)
    }
}

/// Checks that `path` is a regular file or nothing yet: a symbolic link there (even one to a
/// regular file, or to nowhere), a directory or a special file is refused (a [`NotRegular`]),
/// so that whatever opens it next never writes through a link planted in an output directory,
/// nor blocks on a FIFO. Nothing is opened.
pub fn check_regular(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) => NotRegular::of_meta(&m).map_or(Ok(()), |n| Err(n.into())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// How [`open_regular`] opens a file.
pub enum Access<'a> {
    /// For reading; `follow_links` says whether a symbolic link to a regular file is followed
    /// (an input named by the user may be one; a file in a directory rcsim wrote is not).
    Read {
        /// Follow a symbolic link at the path.
        follow_links: bool,
    },
    /// For writing with these options; a write never follows a link.
    Write(&'a mut OpenOptions),
}

/// Opens `path` only as a regular file: for a file that is appended to or truncated in place (a
/// campaign's `results.jsonl`), which cannot be written whole and renamed, and for a file read
/// from a campaign's directory, which may hold a link to `/dev/zero` or a FIFO. Unless a read
/// may follow links, the path is checked by [`check_regular`] and opened with `O_NOFOLLOW`; the
/// open always uses `O_NONBLOCK`, so a link or FIFO swapped in after the check fails the open
/// instead of being followed or waited on; what was opened is checked once more. A refusal is
/// a [`NotRegular`].
pub fn open_regular(path: &Path, access: Access) -> io::Result<File> {
    let mut read = OpenOptions::new();
    let (options, follow) = match access {
        Access::Read { follow_links } => (read.read(true), follow_links),
        Access::Write(options) => (options, false),
    };
    if !follow {
        check_regular(path)?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let nofollow = if follow { 0 } else { libc::O_NOFOLLOW };
        options.custom_flags(libc::O_NONBLOCK | nofollow);
    }
    let file = options.open(path).map_err(|e| {
        if !follow && std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            NotRegular::Link.into()
        } else {
            e
        }
    })?;
    match NotRegular::of_meta(&file.metadata()?) {
        Some(n) => Err(n.into()),
        None => Ok(file),
    }
}

/// Reads `stream` to its end if it holds at most `cap` bytes: `Some` of them, or `None` when it
/// goes on past the cap (a runaway file, `/dev/zero`), of which no more than `cap + 1` bytes are
/// read. Every reader of a whole input uses this, so none reads without a bound.
pub fn read_at_most(stream: impl Read, cap: u64) -> io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    stream.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= cap).then_some(bytes))
}

/// Refusal of an existing `dir` that is not a real directory.
fn check_real_dir(m: &std::fs::Metadata) -> io::Result<()> {
    if m.file_type().is_symlink() {
        Err(refuse(
            "it is a symbolic link; rcsim does not write into linked directories (remove the \
             link, or name the directory it points to)",
        ))
    } else if m.is_dir() {
        Ok(())
    } else {
        Err(refuse("it exists and is not a directory"))
    }
}

/// Checks that `dir` is a real directory or nothing yet, as [`ensure_dir`] would accept it,
/// without making anything.
pub fn check_dir(dir: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(dir) {
        Ok(m) => check_real_dir(&m),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Makes `dir` ready to write into: an existing real directory is used as it is; a missing one
/// is created, with its missing parents, each by `mkdir` (which never follows a link); a
/// symbolic link at `dir` (even to a directory) or a file is refused, so a link planted where
/// the output goes never redirects it. Links higher up an existing path are the user's own
/// layout and resolve as usual.
pub fn ensure_dir(dir: &Path) -> io::Result<()> {
    // Rebuilt from its components, the path loses a trailing `/` or `/.`, either of which would
    // make the checks below look through a link at its last component.
    let dir: PathBuf = dir.components().collect();
    if dir.as_os_str().is_empty() {
        return Err(refuse("expected a directory name, got an empty path"));
    }
    match std::fs::symlink_metadata(&dir) {
        Ok(m) => check_real_dir(&m),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                if std::fs::symlink_metadata(parent).is_err() {
                    ensure_dir(parent)?;
                }
            }
            match std::fs::create_dir(&dir) {
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    check_real_dir(&std::fs::symlink_metadata(&dir)?)
                }
                other => other,
            }
        }
        Err(e) => Err(e),
    }
}

/// True when `path` is `-`, standard output.
pub fn is_stdout(path: Option<&Path>) -> bool {
    path.is_some_and(|p| p.as_os_str() == "-")
}

/// The one output that goes to standard output, from a command's candidates (each a name as
/// the user gave it and whether it goes there), or `None`; two or more are refused with the
/// message saying which, since their bytes would be mixed into one unusable stream.
pub fn sole_stdout<'a>(outputs: &[(&'a str, bool)]) -> Result<Option<&'a str>, String> {
    let there: Vec<&str> = outputs.iter().filter(|o| o.1).map(|o| o.0).collect();
    match there.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        many => Err(format!(
            "{} would all write to standard output, mixed into one stream: send all but one \
             of them to a file",
            many.join(" and ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("rcsim-output-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    }

    #[test]
    fn file_appears_only_on_commit() {
        let d = dir("commit");
        let target = d.join("a.json");
        let mut f = AtomicFile::create(&target).expect("create");
        f.write_all(b"{}").expect("write");
        f.flush().expect("flush");
        assert!(!target.exists());
        f.commit().expect("commit");
        assert_eq!(std::fs::read(&target).expect("read"), b"{}");
        assert_eq!(std::fs::read_dir(&d).expect("dir").count(), 1);
        std::fs::remove_dir_all(&d).expect("clean up");
    }

    #[test]
    fn dropped_file_leaves_nothing() {
        let d = dir("drop");
        let target = d.join("b.json");
        {
            let mut f = AtomicFile::create(&target).expect("create");
            f.write_all(b"partial").expect("write");
            f.flush().expect("flush");
        }
        assert!(!target.exists());
        assert_eq!(std::fs::read_dir(&d).expect("dir").count(), 0);
        std::fs::remove_dir_all(&d).expect("clean up");
    }

    #[test]
    fn a_directory_appearing_at_the_target_fails_the_commit_and_leaves_no_temp() {
        let d = dir("ontodir");
        let target = d.join("c.json");
        let mut f = AtomicFile::create(&target).expect("create");
        f.write_all(b"{}").expect("write");
        std::fs::create_dir(&target).expect("mkdir");
        assert!(f.commit().is_err());
        assert!(target.is_dir());
        assert_eq!(std::fs::read_dir(&d).expect("dir").count(), 1);
        std::fs::remove_dir_all(&d).expect("clean up");
    }

    #[test]
    fn a_full_device_reports_the_error() {
        if !Path::new("/dev/full").exists() {
            return;
        }
        let mut f = AtomicFile::create(Path::new("/dev/full")).expect("open /dev/full");
        let r = f.write_all(&[0u8; 100_000]).and_then(|()| f.commit());
        assert!(r.is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_link_to_a_file_is_refused_and_its_target_untouched() {
        let d = dir("link");
        let victim = d.join("victim");
        std::fs::write(&victim, b"keep").expect("victim");
        let link = d.join("out.json");
        std::os::unix::fs::symlink(&victim, &link).expect("symlink");
        let e = write_atomic(&link, b"{}").expect_err("refused");
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(std::fs::read(&victim).expect("read"), b"keep");
        assert!(std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink());
        std::fs::remove_dir_all(&d).expect("clean up");
    }

    #[cfg(unix)]
    #[test]
    fn a_dangling_link_is_never_opened_through() {
        let d = dir("dangling");
        let link = d.join("results.jsonl");
        std::os::unix::fs::symlink(d.join("victim"), &link).expect("symlink");
        for opts in [
            OpenOptions::new().write(true).create(true).truncate(true),
            OpenOptions::new().create(true).append(true),
        ] {
            let e = open_regular(&link, Access::Write(opts)).expect_err("refused");
            assert_eq!(NotRegular::of(&e), Some(NotRegular::Link));
        }
        let e = open_regular(
            &link,
            Access::Read {
                follow_links: false,
            },
        )
        .expect_err("refused");
        assert_eq!(NotRegular::of(&e), Some(NotRegular::Link));
        assert!(!d.join("victim").exists());
        std::fs::remove_dir_all(&d).expect("clean up");
    }

    #[test]
    fn a_regular_file_opens_and_a_directory_does_not() {
        let d = dir("regular");
        let f = d.join("a.jsonl");
        let read = |follow_links| Access::Read { follow_links };
        open_regular(
            &f,
            Access::Write(OpenOptions::new().write(true).create(true)),
        )
        .expect("new file");
        open_regular(&f, read(false)).expect("existing file");
        for follow in [false, true] {
            let e = open_regular(&d, read(follow)).expect_err("a directory");
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
            assert_eq!(NotRegular::of(&e), Some(NotRegular::Directory));
        }
        std::fs::remove_dir_all(&d).expect("clean up");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_to_a_regular_file_is_read_only_when_links_may_be_followed() {
        let d = dir("readlink");
        std::fs::write(d.join("real"), b"x").expect("file");
        let link = d.join("link");
        std::os::unix::fs::symlink(d.join("real"), &link).expect("symlink");
        let read = |follow_links| Access::Read { follow_links };
        open_regular(&link, read(true)).expect("followed");
        let e = open_regular(&link, read(false)).expect_err("not followed");
        assert_eq!(NotRegular::of(&e), Some(NotRegular::Link));
        std::fs::remove_dir_all(&d).expect("clean up");
    }

    /// Makes a FIFO at `path`.
    #[cfg(unix)]
    fn mkfifo(path: &Path) {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).expect("no NUL");
        // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_by_every_reader_and_by_an_own_file_without_blocking() {
        let d = dir("fifo");
        let fifo = d.join("seed-1.json");
        mkfifo(&fifo);
        for follow_links in [false, true] {
            let e = open_regular(&fifo, Access::Read { follow_links }).expect_err("a FIFO");
            assert_eq!(NotRegular::of(&e), Some(NotRegular::Special));
        }
        let e = write_own(&fifo, b"{}").expect_err("a FIFO");
        assert_eq!(NotRegular::of(&e), Some(NotRegular::Special));
        assert!(e.to_string().contains("FIFO"), "{e}");
        let link = d.join("seed-2.json");
        std::os::unix::fs::symlink(&fifo, &link).expect("symlink");
        let e = write_own(&link, b"{}").expect_err("a link");
        assert_eq!(NotRegular::of(&e), Some(NotRegular::Link));
        let e = write_own(&d, b"{}").expect_err("a directory");
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        write_own(&d.join("seed-3.json"), b"{}").expect("a new file");
        write_own(&d.join("seed-3.json"), b"[]").expect("a regular file replaced");
        assert_eq!(std::fs::read(d.join("seed-3.json")).expect("read"), b"[]");
        std::fs::remove_dir_all(&d).expect("clean up");
    }

    #[test]
    fn reading_stops_one_byte_past_the_cap() {
        let ten: &[u8] = b"0123456789";
        assert_eq!(read_at_most(ten, 10).expect("read"), Some(ten.to_vec()));
        assert_eq!(read_at_most(ten, 9).expect("read"), None);
        assert_eq!(read_at_most(io::repeat(0), 1 << 20).expect("read"), None);
    }

    #[test]
    fn missing_directories_are_made_and_files_refused() {
        let d = dir("mkdir");
        ensure_dir(&d.join("a/b/c/")).expect("made");
        assert!(d.join("a/b/c").is_dir());
        ensure_dir(&d.join("a/b")).expect("an existing directory is fine");
        std::fs::write(d.join("f"), "x").expect("file");
        assert_eq!(
            ensure_dir(&d.join("f")).expect_err("a file").kind(),
            io::ErrorKind::InvalidInput
        );
        assert!(ensure_dir(Path::new("")).is_err());
        std::fs::remove_dir_all(&d).expect("clean up");
    }

    #[cfg(unix)]
    #[test]
    fn a_linked_directory_is_refused_however_it_is_spelled() {
        let d = dir("linkdir");
        std::fs::create_dir(d.join("real")).expect("mkdir");
        let link = d.join("lnk");
        std::os::unix::fs::symlink(d.join("real"), &link).expect("symlink");
        std::os::unix::fs::symlink(d.join("nowhere"), d.join("dangling")).expect("symlink");
        for p in [
            link.clone(),
            d.join("lnk/"),
            d.join("lnk/."),
            d.join("dangling"),
        ] {
            let e = ensure_dir(&p).expect_err("refused");
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{}", p.display());
            assert!(e.to_string().contains("symbolic link"), "{e}");
        }
        assert!(!d.join("nowhere").exists());
        std::fs::remove_dir_all(&d).expect("clean up");
    }

    #[test]
    fn only_one_output_may_take_stdout() {
        assert_eq!(
            sole_stdout(&[("--json", false), ("--trace -", false)]),
            Ok(None)
        );
        assert_eq!(
            sole_stdout(&[("--json", false), ("--trace -", true)]),
            Ok(Some("--trace -"))
        );
        let e = sole_stdout(&[("--json", true), ("--trace -", true)]).expect_err("two");
        assert!(e.contains("--json and --trace -"), "{e}");
        assert!(is_stdout(Some(Path::new("-"))));
        assert!(!is_stdout(Some(Path::new("./-"))));
        assert!(!is_stdout(None));
    }
}
