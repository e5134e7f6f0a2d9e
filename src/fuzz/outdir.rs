//! A campaign's output directory on disk: `results.jsonl` appended one line per seed in seed
//! order (so a killed campaign keeps every seed it finished), the earlier campaign a directory
//! may already hold, and the finished prefix that `--resume` continues from.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use super::campaign::Seeds;
use super::identity::CampaignIdentity;
use super::line::ResultLine;
use super::repro;
use crate::output::{check_regular, ensure_dir, open_regular, Access};

/// The results file's name inside a campaign directory.
pub const RESULTS: &str = "results.jsonl";
/// The summary file's name inside a campaign directory.
pub const SUMMARY: &str = "summary.json";
/// The reproducers' folder inside a campaign directory.
pub const REPRO: &str = "repro";

/// Makes `dir` and `dir/repro` real directories (created if missing, never through a link) and
/// checks that the results and summary already there are regular files, not links: a
/// campaign's output never goes, and `--overwrite` never deletes, through a link planted in its
/// directory. The message names the path at fault.
pub fn prepare(dir: &Path) -> Result<(), String> {
    ensure_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    prepare_repro(&dir.join(REPRO))?;
    for name in [RESULTS, SUMMARY] {
        let p = dir.join(name);
        check_regular(&p).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(())
}

/// Checks that every reproducer in `dir/repro` (by its name, see [`repro::seed_of_name`]) is a
/// regular file, for a campaign continued with `--resume`: one it writes again would otherwise
/// meet a FIFO, a device or a link planted there. The message names the file.
pub fn check_reproducers(dir: &Path) -> Result<(), String> {
    for p in reproducers(dir) {
        check_regular(&p).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(())
}

/// Makes `repro`, where a campaign writes its reproducers, a real directory (created with its
/// missing parents if need be, never through a link; see [`ensure_dir`]). The message names
/// the path at fault.
pub fn prepare_repro(repro: &Path) -> Result<(), String> {
    ensure_dir(repro).map_err(|e| format!("{}: {e}", repro.display()))
}

/// The files of a campaign that `dir` already holds (results, summary, reproducers), as the
/// names a message shows; empty when the directory is free for a new campaign. A link at a
/// file's name counts as that file (it is not followed).
pub fn earlier_campaign(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for name in [RESULTS, SUMMARY] {
        if std::fs::symlink_metadata(dir.join(name)).is_ok() {
            found.push(name.to_string());
        }
    }
    let n = reproducers(dir).len();
    if n > 0 {
        found.push(format!("{n} reproducer{} in {REPRO}/", plural(n)));
    }
    found
}

/// `s` when `n` is not one.
pub fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The entries of `dir/repro`, when it is a real directory: a link there is never listed
/// through, so nothing it points to is counted or removed.
fn repro_entries(dir: &Path) -> Option<std::fs::ReadDir> {
    let repro = dir.join(REPRO);
    let real = std::fs::symlink_metadata(&repro).is_ok_and(|m| m.is_dir());
    real.then(|| std::fs::read_dir(&repro).ok()).flatten()
}

/// The reproducers a campaign wrote into `dir/repro`, by [`repro::seed_of_name`] (`seed-N.json`,
/// and shrunk ones beside).
fn reproducers(dir: &Path) -> Vec<PathBuf> {
    let Some(entries) = repro_entries(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(repro::seed_of_name)
                .is_some()
        })
        .collect();
    v.sort();
    v
}

/// Removes the earlier campaign's own files from `dir` (results, summary, reproducers), nothing
/// else, and returns how many it removed.
pub fn clear(dir: &Path) -> io::Result<usize> {
    let mut removed = 0;
    for name in [RESULTS, SUMMARY] {
        match std::fs::remove_file(dir.join(name)) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    for p in reproducers(dir) {
        std::fs::remove_file(p)?;
        removed += 1;
    }
    Ok(removed)
}

/// Removes the temporary files a killed campaign left in `dir/repro` (a reproducer being
/// written when the kill came: `.seed-N.json.XXXXXX.tmp`) and returns how many.
pub fn clear_temporaries(dir: &Path) -> io::Result<usize> {
    let Some(entries) = repro_entries(dir) else {
        return Ok(0);
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        // `.seed-N.json.XXXXXX.tmp`: the temporary file an output is written to before its
        // rename (see `crate::output`), left behind only by a kill.
        if name.starts_with(".seed-") && name.ends_with(".tmp") {
            std::fs::remove_file(e.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// The longest `results.jsonl` line rcsim reads, newline excluded: 16 MiB. A result line is a
/// few KiB (the checker caps its violations), so a longer one is not rcsim's, and reading it
/// whole could exhaust memory. `--resume` and `--merge` both read lines by [`read_line`], so a
/// line that one accepts the other accepts too.
pub const MAX_LINE_BYTES: u64 = 16 << 20;

/// What [`read_line`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line {
    /// A whole line, its newline dropped.
    Whole,
    /// A last line without its newline: cut short by a kill, so not a result.
    Cut,
    /// The end of the file.
    End,
    /// A line longer than [`MAX_LINE_BYTES`], of which no more than that was read.
    TooLong,
}

/// Reads the next line of a `results.jsonl` into `buf` (cleared first; for [`Line::Whole`] it
/// holds the line without its newline), reading no more than [`MAX_LINE_BYTES`] and one byte.
pub fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<Line> {
    buf.clear();
    let n = reader
        .by_ref()
        .take(MAX_LINE_BYTES.saturating_add(1))
        .read_until(b'\n', buf)?;
    Ok(if n == 0 {
        Line::End
    } else if buf.last() == Some(&b'\n') {
        buf.pop();
        Line::Whole
    } else if n as u64 > MAX_LINE_BYTES {
        Line::TooLong
    } else {
        Line::Cut
    })
}

/// The finished part of an interrupted campaign's `results.jsonl`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finished {
    /// Seeds finished: the first `seeds` of the campaign, in order.
    pub seeds: usize,
    /// Bytes of the file those lines take (a truncated last line is not counted).
    pub bytes: u64,
}

/// Reads the finished prefix of `dir/results.jsonl` for the seeds `seeds` of `campaign`, calling
/// `each` on every kept line. A last line without its newline was cut by a kill and is
/// discarded; any other line that is not the result of the expected seed (see
/// [`ResultLine::parse`] and [`ResultLine::of_campaign`]) is an error (a different campaign, or
/// an edited file), never silently dropped.
pub fn finished(
    dir: &Path,
    campaign: &CampaignIdentity,
    seeds: &Seeds,
    mut each: impl FnMut(&ResultLine),
) -> Result<Finished, String> {
    let path = dir.join(RESULTS);
    let read = Access::Read {
        follow_links: false,
    };
    let file = match open_regular(&path, read) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(Finished { seeds: 0, bytes: 0 })
        }
        Err(e) => return Err(format!("{}: cannot read: {e}", path.display())),
    };
    let mut reader = BufReader::new(file);
    let mut done = Finished { seeds: 0, bytes: 0 };
    let mut line = Vec::new();
    loop {
        let read = read_line(&mut reader, &mut line)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let at = format!("{}:{}", path.display(), done.seeds + 1);
        match read {
            Line::Whole => {}
            Line::End | Line::Cut => return Ok(done),
            Line::TooLong => {
                return Err(format!(
                    "{at}: is longer than {MAX_LINE_BYTES} bytes, which no result line is; \
                     cannot resume"
                ))
            }
        }
        let r = ResultLine::parse(&line)
            .map_err(|e| format!("{at}: not a result line: {e}; cannot resume"))?;
        r.of_campaign(campaign)
            .map_err(|e| format!("{at}: not a result of this campaign: {e}; cannot resume"))?;
        let expected = seeds.get(done.seeds);
        if Some(r.seed) != expected {
            return Err(format!(
                "{at}: holds seed {}, but this campaign's seed {} comes next ({})",
                r.seed,
                done.seeds + 1,
                expected.map_or("none left".to_string(), |s| format!("seed {s}"))
            ));
        }
        each(&r);
        done.seeds += 1;
        // The line and its newline.
        done.bytes += line.len() as u64 + 1;
    }
}

/// `results.jsonl` being written: one line per seed, appended the moment it is due, so what is
/// on disk is always whole lines of finished seeds (but for a line cut by a kill).
pub struct ResultsFile {
    path: PathBuf,
    file: File,
}

impl ResultsFile {
    /// Starts `dir/results.jsonl` afresh (a regular file only, never through a link).
    pub fn create(dir: &Path) -> io::Result<Self> {
        let path = dir.join(RESULTS);
        let file = open_regular(
            &path,
            Access::Write(OpenOptions::new().write(true).create(true).truncate(true)),
        )?;
        Ok(ResultsFile { path, file })
    }

    /// Continues `dir/results.jsonl` after its first `keep` bytes, dropping the rest (a line cut
    /// by a kill); a regular file only, never through a link.
    pub fn resume(dir: &Path, keep: u64) -> io::Result<Self> {
        let path = dir.join(RESULTS);
        let file = open_regular(
            &path,
            Access::Write(OpenOptions::new().create(true).append(true)),
        )?;
        file.set_len(keep)?;
        Ok(ResultsFile { path, file })
    }

    /// Appends one line (with one write, so a kill cuts at most this line).
    pub fn push(&mut self, line: &str) -> io::Result<()> {
        let mut buf = Vec::with_capacity(line.len() + 1);
        buf.extend_from_slice(line.as_bytes());
        buf.push(b'\n');
        self.file.write_all(&buf)
    }

    /// Syncs the file to disk.
    pub fn finish(self) -> io::Result<()> {
        self.file.sync_all()
    }

    /// The file's path, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("rcsim-outdir-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join(REPRO)).expect("temp dir");
        d
    }

    /// The campaign the lines are read into (a rejected seed's line agrees with any).
    fn campaign() -> CampaignIdentity {
        super::super::identity::example(1, "checkpoint")
    }

    /// The line of a seed whose scenario was rejected, the shortest a campaign writes.
    fn rejected(seed: u64) -> String {
        format!(r#"{{"seed":{seed},"error":"x","swarm":[],"assumptions_lifted":[]}}"#)
    }

    #[test]
    fn a_cut_last_line_is_dropped_and_the_rest_kept() {
        let d = dir("cut");
        let (four, six, eight) = (rejected(4), rejected(6), rejected(8));
        std::fs::write(d.join(RESULTS), format!("{four}\n{six}\n{}", &eight[..12])).expect("write");
        let seeds = Seeds::shard(4..20, 1, 2);
        let mut kept = Vec::new();
        let f = finished(&d, &campaign(), &seeds, |r| kept.push(r.seed)).expect("readable");
        let bytes = (four.len() + six.len() + 2) as u64;
        assert_eq!(f, Finished { seeds: 2, bytes });
        assert_eq!(kept, vec![4, 6]);
        let mut r = ResultsFile::resume(&d, f.bytes).expect("reopen");
        r.push(&eight).expect("append");
        r.finish().expect("sync");
        assert_eq!(
            std::fs::read_to_string(d.join(RESULTS)).expect("read"),
            format!("{four}\n{six}\n{eight}\n")
        );
        std::fs::remove_dir_all(&d).expect("clean up");
    }

    #[test]
    fn a_line_that_is_not_a_whole_result_is_an_error_naming_its_line() {
        let d = dir("bare");
        std::fs::write(
            d.join(RESULTS),
            format!("{}\n{{\"seed\":1}}\n", rejected(0)),
        )
        .expect("write");
        let e = finished(&d, &campaign(), &Seeds::all(0..10), |_| {}).expect_err("a bare seed");
        assert!(e.contains("results.jsonl:2: not a result line"), "{e}");
        assert!(e.contains("missing field `rcsim_version`"), "{e}");
        std::fs::remove_dir_all(&d).expect("clean up");
    }

    #[test]
    fn an_overlong_line_is_an_error_not_read_whole() {
        let d = dir("long");
        let f = File::create(d.join(RESULTS)).expect("create");
        f.set_len(MAX_LINE_BYTES + 2)
            .expect("a sparse file of zeros");
        let e = finished(&d, &campaign(), &Seeds::all(0..10), |_| {}).expect_err("no result line");
        assert!(e.contains("longer than"), "{e}");
        std::fs::remove_dir_all(&d).expect("clean up");
    }

    #[test]
    fn a_line_counts_without_its_newline_up_to_the_cap() {
        let cap = MAX_LINE_BYTES as usize;
        let mut at_cap = vec![b' '; cap];
        at_cap.extend_from_slice(b"\nx");
        let mut buf = Vec::new();
        let mut r = at_cap.as_slice();
        assert_eq!(read_line(&mut r, &mut buf).expect("read"), Line::Whole);
        assert_eq!(buf.len(), cap);
        assert_eq!(read_line(&mut r, &mut buf).expect("read"), Line::Cut);
        assert_eq!(read_line(&mut r, &mut buf).expect("read"), Line::End);
        let mut past = vec![b' '; cap + 1];
        past.push(b'\n');
        assert_eq!(
            read_line(&mut past.as_slice(), &mut buf).expect("read"),
            Line::TooLong
        );
    }

    #[test]
    fn a_foreign_line_is_an_error() {
        let d = dir("foreign");
        std::fs::write(d.join(RESULTS), rejected(5) + "\n").expect("write");
        let e = finished(&d, &campaign(), &Seeds::all(0..10), |_| {})
            .expect_err("seed 5 is not seed 0");
        assert!(e.contains("seed 0"), "{e}");
        std::fs::remove_dir_all(&d).expect("clean up");
    }

    #[test]
    fn clearing_removes_only_campaign_files() {
        let d = dir("clear");
        std::fs::write(d.join(RESULTS), "").expect("write");
        std::fs::write(d.join(REPRO).join("seed-3.json"), "{}").expect("write");
        std::fs::write(d.join(REPRO).join("seed-3.shrunk.json"), "{}").expect("write");
        std::fs::write(d.join(REPRO).join("seed-x.json"), "mine").expect("write");
        std::fs::write(d.join(REPRO).join(".seed-4.json.a1B2c3.tmp"), "{").expect("write");
        assert_eq!(clear_temporaries(&d).expect("clear"), 1);
        std::fs::write(d.join("notes.txt"), "mine").expect("write");
        assert_eq!(
            earlier_campaign(&d),
            vec![
                "results.jsonl".to_string(),
                "2 reproducers in repro/".into()
            ]
        );
        assert_eq!(clear(&d).expect("clear"), 3);
        assert!(earlier_campaign(&d).is_empty());
        assert!(d.join("notes.txt").exists());
        assert!(d.join(REPRO).join("seed-x.json").exists());
        std::fs::remove_dir_all(&d).expect("clean up");
    }

    #[cfg(unix)]
    #[test]
    fn links_in_a_campaign_directory_are_refused_and_never_followed() {
        let d = dir("links");
        let victim = d.join("victim");
        std::fs::create_dir(&victim).expect("victim dir");
        std::fs::write(victim.join("seed-1.json"), "{}").expect("victim file");
        std::fs::remove_dir(d.join(REPRO)).expect("rmdir");
        std::os::unix::fs::symlink(&victim, d.join(REPRO)).expect("symlink");
        let e = prepare(&d).expect_err("a linked repro/");
        assert!(e.contains("repro") && e.contains("symbolic link"), "{e}");
        assert!(earlier_campaign(&d).is_empty());
        assert_eq!(clear(&d).expect("clear"), 0);
        assert!(victim.join("seed-1.json").exists());
        std::fs::remove_file(d.join(REPRO)).expect("unlink");
        std::os::unix::fs::symlink(victim.join("results"), d.join(RESULTS)).expect("symlink");
        let e = prepare(&d).expect_err("a linked results.jsonl");
        assert!(e.contains(RESULTS) && e.contains("symbolic link"), "{e}");
        assert!(ResultsFile::create(&d).is_err());
        assert!(ResultsFile::resume(&d, 0).is_err());
        assert!(finished(&d, &campaign(), &Seeds::all(0..1), |_| {}).is_err());
        assert!(!victim.join("results").exists());
        assert_eq!(earlier_campaign(&d), vec![RESULTS.to_string()]);
        std::fs::remove_dir_all(&d).expect("clean up");
    }
}
