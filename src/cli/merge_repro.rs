//! Copying the shards' reproducers into a merged campaign: only regular files named as
//! reproducers (`seed-N.json`, or shrunk `seed-N.shrunk.json`: see
//! [`rcsim::fuzz::repro::seed_of_name`]) for a seed the shard ran, checked before the merge
//! writes anything, then each read within a cap and written atomically, so a link, a FIFO or a
//! stray file in a shard's `repro/` never reaches (or hangs) the merge. A merge that fails
//! removes what it wrote (see [`Written`]).

use std::path::{Path, PathBuf};

use rcsim::fuzz::campaign::Seeds;
use rcsim::fuzz::outdir::REPRO;
use rcsim::fuzz::repro::seed_of_name;
use rcsim::output::write_own;
use rcsim::scenario::MAX_FILE_BYTES;

use super::shard_files::read_capped;

/// The reproducers in the shard `dir`, which ran `seeds`, as paths to copy. Entries that are
/// not reproducers are left behind; a reproducer that is not a regular file (a link, a FIFO),
/// is larger than a scenario file may be, or is of a seed the shard did not run is an error.
/// Nothing is read but the directory and each entry's own metadata.
pub(super) fn find(dir: &Path, seeds: &Seeds) -> Result<Vec<(u64, PathBuf)>, String> {
    let from = dir.join(REPRO);
    let entries = match std::fs::read_dir(&from) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: cannot read ({e})", from.display())),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: cannot read ({e})", from.display()))?;
        let Some(seed) = entry.file_name().to_str().and_then(seed_of_name) else {
            continue;
        };
        let path = entry.path();
        if !seeds.contains(seed) {
            return Err(format!(
                "{}: a reproducer of seed {seed}, which this shard does not run (a file of \
                 another campaign?)",
                path.display()
            ));
        }
        let meta = std::fs::symlink_metadata(&path)
            .map_err(|e| format!("{}: cannot read ({e})", path.display()))?;
        if meta.file_type().is_symlink() {
            return Err(format!(
                "{}: is a symbolic link; expected a regular file (a reproducer is never a link)",
                path.display()
            ));
        }
        if !meta.is_file() {
            return Err(format!(
                "{}: is not a regular file; expected a reproducer",
                path.display()
            ));
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(format!(
                "{}: is larger than {MAX_FILE_BYTES} bytes, more than a reproducer may be",
                path.display()
            ));
        }
        found.push((seed, path));
    }
    Ok(found)
}

/// The files a merge has written into its `--out`, removed again when it is dropped before
/// [`Written::keep`], so a merge that fails part-way leaves `--out` as it found it.
#[derive(Default)]
pub(super) struct Written {
    paths: Vec<PathBuf>,
}

impl Written {
    /// Records `path`, just written.
    pub(super) fn push(&mut self, path: PathBuf) {
        self.paths.push(path);
    }

    /// The merge is whole: its files stay.
    pub(super) fn keep(mut self) {
        self.paths.clear();
    }
}

impl Drop for Written {
    fn drop(&mut self) {
        for p in self.paths.drain(..) {
            // Best effort: the merge is failing already, and says why.
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Copies each of `repros` (as [`find`] listed them) whose seed `merged` takes into
/// `out/repro` under its own name, read again without following links and within the cap (the
/// file may have changed since), and written atomically; a name already taken there is
/// refused, not replaced. Each file written is recorded in `written`.
pub(super) fn copy(
    repros: &[(u64, PathBuf)],
    merged: impl Fn(u64) -> bool,
    out: &Path,
    written: &mut Written,
) -> Result<(), String> {
    for (_, path) in repros.iter().filter(|(seed, _)| merged(*seed)) {
        let Some(name) = path.file_name() else {
            continue;
        };
        let bytes = read_capped(path, false, MAX_FILE_BYTES)?;
        let to = out.join(REPRO).join(name);
        if std::fs::symlink_metadata(&to).is_ok() {
            return Err(format!(
                "{}: already exists; refusing to replace it",
                to.display()
            ));
        }
        write_own(&to, &bytes).map_err(|e| format!("{}: {e}", to.display()))?;
        written.push(to);
    }
    Ok(())
}
