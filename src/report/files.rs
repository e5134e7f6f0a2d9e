//! A report's files, made in memory before any is written: rendering the charts is the slow
//! part, and a signal that comes during it must leave the output directory as it was, not half
//! a report. Writing them afterwards takes a moment.

use std::path::{Path, PathBuf};

use crate::output::{check_dir, check_regular, ensure_dir, write_own};

/// Files by path relative to the output directory, in the order they are written.
#[derive(Debug, Default)]
pub struct Files {
    files: Vec<(PathBuf, Vec<u8>)>,
}

impl Files {
    /// No files yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `bytes` as the file `path` (relative; its directories are made when written).
    pub fn add(&mut self, path: impl Into<PathBuf>, bytes: impl Into<Vec<u8>>) {
        self.files.push((path.into(), bytes.into()));
    }

    /// Writes every file into `dir`, each whole or not at all, making the directories they
    /// name (a link in their place is refused, never followed). Every place is checked before
    /// the first file is written, so a directory, FIFO or link in the way of one file is
    /// refused with the directory as it was, not half a report.
    pub fn write(&self, dir: &Path) -> Result<(), String> {
        for (rel, _) in &self.files {
            if let Some(sub) = rel.parent().filter(|p| !p.as_os_str().is_empty()) {
                let sub = dir.join(sub);
                check_dir(&sub).map_err(|e| format!("cannot use {}: {e}", sub.display()))?;
            }
            let path = dir.join(rel);
            check_regular(&path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        for (rel, bytes) in &self.files {
            if let Some(sub) = rel.parent().filter(|p| !p.as_os_str().is_empty()) {
                let sub = dir.join(sub);
                ensure_dir(&sub).map_err(|e| format!("cannot use {}: {e}", sub.display()))?;
            }
            let path = dir.join(rel);
            write_own(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_written_where_their_paths_say_and_nothing_before() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut f = Files::new();
        f.add("index.md", "# report\n");
        f.add("series/a.csv", vec![b'1', b'\n']);
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
        f.write(dir.path()).expect("written");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("index.md")).expect("md"),
            "# report\n"
        );
        assert_eq!(
            std::fs::read(dir.path().join("series/a.csv")).expect("csv"),
            b"1\n"
        );
    }

    #[test]
    fn anything_in_the_way_of_one_file_is_refused_before_any_is_written() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut f = Files::new();
        f.add("index.md", "# report\n");
        f.add("series/a.csv", "1\n");
        f.add("index.html", "<p>");
        std::fs::create_dir(dir.path().join("index.html")).expect("in the way");
        let e = f.write(dir.path()).expect_err("refused");
        assert!(e.contains("index.html") && e.contains("directory"), "{e}");
        std::fs::remove_dir(dir.path().join("index.html")).expect("cleared");
        std::fs::write(dir.path().join("series"), "").expect("a file where a folder goes");
        let e = f.write(dir.path()).expect_err("refused");
        assert!(e.contains("series"), "{e}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
        assert_eq!(left.len(), 1, "only the file in the way: nothing written");
    }
}
