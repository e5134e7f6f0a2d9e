//! Refusing a command whose outputs name one of its inputs or each other: `--chrome-trace`
//! given the scenario's own path would replace the scenario with a trace, and `--trace` and
//! `--chrome-trace` given one path would leave whichever was written last. Both are refused
//! before anything runs, with a message naming the options.
//!
//! Paths are compared by the file they name, not by spelling: an existing regular file by its
//! device and inode (so `./s.json`, a second hard link and a symbolic link to it all match),
//! and a path with nothing there yet by its canonical directory and file name. Standard output
//! (`-`), devices, FIFOs and directories are never files to be replaced (see
//! [`crate::output`]), so they are not compared: `--trace /dev/null --chrome-trace /dev/null`
//! stays allowed.

use std::path::{Component, Path, PathBuf};

/// A file a command reads or writes, with the name the user knows it by (an option, or what
/// the positional argument is).
#[derive(Clone, Copy, Debug)]
pub struct Named<'a> {
    /// How a message names it: `--trace`, `the scenario file`.
    pub what: &'a str,
    /// The path given.
    pub path: &'a Path,
}

impl<'a> Named<'a> {
    /// `path`, known to the user as `what`.
    pub fn new(what: &'a str, path: &'a Path) -> Self {
        Named { what, path }
    }
}

/// What a path names, for comparing two paths.
#[derive(Debug, PartialEq, Eq)]
enum Id {
    /// An existing regular file, by device and inode (where those exist) or canonical path.
    File(FileKey),
    /// Nothing there yet: where it would be created.
    Absent(PathBuf),
}

#[cfg(unix)]
type FileKey = (u64, u64);
#[cfg(not(unix))]
type FileKey = PathBuf;

#[cfg(unix)]
fn key(_path: &Path, m: &std::fs::Metadata) -> Option<FileKey> {
    use std::os::unix::fs::MetadataExt;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn key(path: &Path, _m: &std::fs::Metadata) -> Option<FileKey> {
    std::fs::canonicalize(path).ok()
}

/// The file `path` names, or `None` where it is not a file that could be replaced (standard
/// output, a device, a FIFO, a directory) or cannot be resolved (a missing directory: the
/// write itself then fails with its own message).
fn id(path: &Path) -> Option<Id> {
    if path.as_os_str() == "-" {
        return None;
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => key(path, &m).map(Id::File),
        Ok(_) => None,
        Err(_) => absent(path).map(Id::Absent),
    }
}

/// Where `path`, naming nothing yet, would be created: its longest existing leading part
/// resolved, the rest (directories not made yet, which cannot be links) appended as written.
fn absent(path: &Path) -> Option<PathBuf> {
    let parts: Vec<Component<'_>> = path.components().collect();
    (0..parts.len()).rev().find_map(|split| {
        let head: PathBuf = parts[..split].iter().collect();
        let head = if head.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            head
        };
        let mut p = std::fs::canonicalize(head).ok()?;
        for c in &parts[split..] {
            match c {
                Component::ParentDir => {
                    p.pop();
                }
                Component::CurDir => {}
                other => p.push(other.as_os_str()),
            }
        }
        Some(p)
    })
}

/// Each of `list` with the file it names, looked up once.
fn with_ids<'a>(list: &[Named<'a>]) -> Vec<(Named<'a>, Option<Id>)> {
    list.iter().map(|n| (*n, id(n.path))).collect()
}

/// Refuses outputs that name an input or each other, with a message saying which and why.
pub fn check(inputs: &[Named<'_>], outputs: &[Named<'_>]) -> Result<(), String> {
    let (input_ids, ids) = (with_ids(inputs), with_ids(outputs));
    for (k, (out, oid)) in ids.iter().enumerate() {
        let Some(oid) = oid else { continue };
        for (input, iid) in &input_ids {
            if iid.as_ref() == Some(oid) {
                return Err(format!(
                    "{} {} names {} itself, which it would replace: write it elsewhere",
                    out.what,
                    out.path.display(),
                    input.what
                ));
            }
        }
        if let Some((other, _)) = ids[..k].iter().find(|(_, i)| i.as_ref() == Some(oid)) {
            return Err(format!(
                "{} {} and {} {} name the same file, and the one written last would replace \
                 the other: give each its own",
                other.what,
                other.path.display(),
                out.what,
                out.path.display()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_naming_an_input_by_any_spelling_is_refused() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let d = tmp.path();
        let input = d.join("s.json");
        std::fs::write(&input, "{}").expect("write");
        let spelled = d.join(".").join("s.json");
        let e = check(
            &[Named::new("the scenario file", &input)],
            &[Named::new("--chrome-trace", &spelled)],
        )
        .expect_err("refused");
        assert!(
            e.contains("--chrome-trace") && e.contains("the scenario file itself"),
            "{e}"
        );
        #[cfg(unix)]
        {
            let link = d.join("link.json");
            std::os::unix::fs::symlink(&input, &link).expect("symlink");
            let hard = d.join("hard.json");
            std::fs::hard_link(&input, &hard).expect("hard link");
            for p in [&link, &hard] {
                assert!(check(
                    &[Named::new("the scenario file", &input)],
                    &[Named::new("--trace", p)]
                )
                .is_err());
            }
        }
    }

    #[test]
    fn two_outputs_at_one_new_path_are_refused() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let d = tmp.path();
        let a = d.join("t.jsonl");
        let b = d.join("sub").join("..").join("t.jsonl");
        std::fs::create_dir_all(d.join("sub")).expect("sub");
        let e = check(
            &[],
            &[Named::new("--trace", &a), Named::new("--chrome-trace", &b)],
        )
        .expect_err("refused");
        assert!(e.contains("--trace") && e.contains("--chrome-trace"), "{e}");
        assert!(!a.exists(), "nothing written");
        let (c, e) = (d.join("new/t.jsonl"), d.join("new/./x/../t.jsonl"));
        assert!(
            check(&[], &[Named::new("--trace", &c), Named::new("--out", &e)]).is_err(),
            "below a directory not made yet"
        );
    }

    #[test]
    fn distinct_files_streams_and_devices_pass() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let d = tmp.path();
        let input = d.join("s.json");
        std::fs::write(&input, "{}").expect("write");
        let (a, b) = (d.join("a"), d.join("b"));
        let stdout = Path::new("-");
        assert_eq!(
            check(
                &[Named::new("the scenario file", &input)],
                &[Named::new("--trace", &a), Named::new("--chrome-trace", &b)]
            ),
            Ok(())
        );
        assert_eq!(
            check(
                &[Named::new("the scenario file", &input)],
                &[
                    Named::new("--trace", stdout),
                    Named::new("--chrome-trace", stdout)
                ]
            ),
            Ok(()),
            "standard output is the stdout check's to refuse"
        );
        #[cfg(unix)]
        {
            let null = Path::new("/dev/null");
            assert_eq!(
                check(
                    &[],
                    &[
                        Named::new("--trace", null),
                        Named::new("--chrome-trace", null)
                    ]
                ),
                Ok(())
            );
        }
    }
}
