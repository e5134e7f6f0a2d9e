//! Output files that are never seen half-written: everything is written to a temporary file
//! beside the target and renamed over it only once complete.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file being written; it appears at its path only when [`AtomicFile::commit`] is called, and
/// the temporary file is removed if it is dropped uncommitted.
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Starts writing `target` (through `target.tmp-<pid>` beside it).
    pub fn create(target: &Path) -> io::Result<Self> {
        let mut name = target.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".tmp-{}", std::process::id()));
        let temp = target.with_file_name(name);
        let file = File::create(&temp)?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            temp,
            writer: Some(BufWriter::new(file)),
        })
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(mut self) -> io::Result<()> {
        if let Some(w) = self.writer.take() {
            let file = w.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
        }
        std::fs::rename(&self.temp, &self.target)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.writer.as_mut() {
            Some(w) => w.write(buf),
            None => Err(io::Error::other("file already committed")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.writer.as_mut() {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Writes `bytes` to `target` atomically.
pub fn write_atomic(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(target)?;
    f.write_all(bytes)?;
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("rcsim-output-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    }

    #[test]
    fn file_appears_only_on_commit() {
        let d = dir("commit");
        let target = d.join("a.json");
        let mut f = AtomicFile::create(&target).expect("create");
        f.write_all(b"{}").expect("write");
        assert!(!target.exists());
        f.commit().expect("commit");
        assert_eq!(std::fs::read(&target).expect("read"), b"{}");
        std::fs::remove_dir_all(&d).expect("clean up");
    }

    #[test]
    fn dropped_file_leaves_nothing() {
        let d = dir("drop");
        let target = d.join("b.json");
        {
            let mut f = AtomicFile::create(&target).expect("create");
            f.write_all(b"partial").expect("write");
        }
        assert!(!target.exists());
        assert_eq!(std::fs::read_dir(&d).expect("dir").count(), 0);
        std::fs::remove_dir_all(&d).expect("clean up");
    }
}
