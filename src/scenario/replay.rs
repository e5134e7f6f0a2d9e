//! The `trace` workload as a scenario states it: which trace file, in which format, how its
//! files or disks map onto volumes, and how its time and offsets are read. Loading resolves the
//! file against the scenario's directory and reads the whole trace once (streaming), so a bad
//! trace is reported by `rcsim validate` and nothing is ever simulated with it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::iotrace::{Reader, TraceError, TraceFormat, TraceWrite};
use super::units::Size;
use super::volume::VolumeRef;

/// The `from` of a mapping that catches every file or disk not named by another.
pub const CATCH_ALL: &str = "*";

/// A block I/O trace file replayed as host writes.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TraceSpec {
    /// The trace file, relative to the scenario file's directory (or absolute).
    pub file: PathBuf,
    /// Its format.
    pub format: TraceFormat,
    /// Where each file (fio) or disk number (msr) of the trace goes.
    pub map: Vec<TraceMap>,
    /// Stretches trace time: 2.0 plays the trace twice as slowly, 0.5 twice as fast.
    #[serde(default = "one")]
    pub time_scale: f64,
    /// Byte offset / block_size = block, modulo `topology.blocks_per_volume`.
    #[serde(default = "default_block_size")]
    pub block_size: Size,
    /// When true each write is issued only once the trace's previous write completed (and not
    /// before its own trace time): the trace is one dependency chain. When false writes are
    /// issued at their trace times whatever the storage does (open loop).
    #[serde(default)]
    pub dependent: bool,
}

fn one() -> f64 {
    1.0
}

fn default_block_size() -> Size {
    Size(4096)
}

/// One file or disk of a trace and the volume its writes go to.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TraceMap {
    /// The file name as the trace spells it (fio), the disk number in decimal (msr), or `*` for
    /// every file or disk no other mapping names.
    pub from: String,
    /// The subsystem pair (from 1).
    pub subsystem: u16,
    /// The volume within it (from 0).
    #[serde(default)]
    pub volume: u16,
}

impl TraceMap {
    /// The volume this mapping names.
    pub fn volume_ref(&self) -> VolumeRef {
        VolumeRef {
            subsystem: self.subsystem,
            volume: self.volume,
        }
    }
}

impl TraceSpec {
    /// Trace time `ns` stretched by `time_scale`, rounded to the nearest ns.
    pub fn scaled_ns(&self, ns: u64) -> u64 {
        if self.time_scale == 1.0 {
            return ns;
        }
        let t = libm::round(ns as f64 * self.time_scale);
        if t.is_nan() || t <= 0.0 {
            0
        } else if t >= u64::MAX as f64 {
            u64::MAX
        } else {
            t as u64
        }
    }

    /// The block a byte offset falls in, on volumes of `blocks` blocks.
    pub fn block_of(&self, offset: u64, blocks: u32) -> u32 {
        let b = offset / self.block_size.0.max(1);
        // The remainder is below `blocks`, a u32.
        (b % u64::from(blocks.max(1))) as u32
    }

    /// Resolves a relative `file` against `base`, the scenario file's directory.
    pub fn resolve(&mut self, base: &Path) {
        if self.file.is_relative() {
            self.file = base.join(&self.file);
        }
    }
}

/// Where a trace's files or disks go, looked up by name.
#[derive(Clone, Debug)]
pub struct Mapping {
    named: BTreeMap<String, VolumeRef>,
    any: Option<VolumeRef>,
    format: TraceFormat,
}

impl Mapping {
    /// The mapping of `spec` (checked by [`problems`] first; a later duplicate wins).
    pub fn new(spec: &TraceSpec) -> Self {
        let mut named = BTreeMap::new();
        let mut any = None;
        for m in &spec.map {
            if m.from == CATCH_ALL {
                any = Some(m.volume_ref());
            } else {
                named.insert(key(spec.format, &m.from), m.volume_ref());
            }
        }
        Mapping {
            named,
            any,
            format: spec.format,
        }
    }

    /// The volume write `w` goes to, or the error naming its line when nothing maps it.
    pub fn locate(&self, w: &TraceWrite, reader: &Reader) -> Result<VolumeRef, TraceError> {
        if let Some(v) = self.named.get(&w.target).or(self.any.as_ref()) {
            return Ok(*v);
        }
        let what = match self.format {
            TraceFormat::Fio => format!("file `{}`", w.target),
            TraceFormat::Msr => format!("disk {}", w.target),
        };
        Err(TraceError {
            file: reader.file().to_string(),
            line: Some(w.line),
            what: format!(
                "{what} is written but not mapped: expected a `map` entry with \"from\": \"{}\" \
                 or a catch-all \"from\": \"{CATCH_ALL}\"",
                w.target
            ),
        })
    }
}

/// The name a mapping's `from` is looked up by: msr disk numbers in canonical decimal.
fn key(format: TraceFormat, from: &str) -> String {
    match (format, from.parse::<u64>()) {
        (TraceFormat::Msr, Ok(n)) => n.to_string(),
        _ => from.to_string(),
    }
}

/// Problems of a trace spec itself (not its file, nor whether its volumes exist): pairs of a
/// path relative to the workload and what was expected.
pub fn problems(spec: &TraceSpec) -> Vec<(String, String)> {
    let mut p = Vec::new();
    let ts = spec.time_scale;
    if !ts.is_finite() || ts <= 0.0 {
        p.push((
            "time_scale".into(),
            format!("expected a finite number greater than zero, got {ts}"),
        ));
    }
    if spec.block_size.0 == 0 {
        p.push((
            "block_size".into(),
            "expected a block size of at least 1B".into(),
        ));
    }
    if spec.map.is_empty() {
        p.push((
            "map".into(),
            "expected at least one mapping, e.g. {\"from\": \"*\", \"subsystem\": 1}".into(),
        ));
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (j, m) in spec.map.iter().enumerate() {
        let path = format!("map[{j}].from");
        if spec.format == TraceFormat::Msr && m.from != CATCH_ALL && m.from.parse::<u64>().is_err()
        {
            p.push((
                path.clone(),
                format!(
                    "`{}` is not a disk number: expected a DiskNumber such as \"0\", or \"{CATCH_ALL}\"",
                    m.from
                ),
            ));
            continue;
        }
        if m.from.is_empty() {
            p.push((
                path.clone(),
                "expected a file name, or \"*\" for every other file".into(),
            ));
        }
        if let Some(first) = seen.insert(key(spec.format, &m.from), j) {
            p.push((
                path,
                format!("`{}` is already mapped by map[{first}]", m.from),
            ));
        }
    }
    p
}

/// Reads the whole trace of `spec` once, checking every line and that every write is mapped;
/// returns the number of writes.
pub fn check_file(spec: &TraceSpec) -> Result<u64, TraceError> {
    let mapping = Mapping::new(spec);
    let mut reader = Reader::open(&spec.file, spec.format)?;
    let mut writes = 0;
    while let Some(w) = reader.next_write()? {
        mapping.locate(&w, &reader)?;
        writes += 1;
    }
    Ok(writes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(format: TraceFormat, map: &[(&str, u16)]) -> TraceSpec {
        TraceSpec {
            file: PathBuf::from("t.log"),
            format,
            map: map
                .iter()
                .map(|(f, s)| TraceMap {
                    from: f.to_string(),
                    subsystem: *s,
                    volume: 0,
                })
                .collect(),
            time_scale: 1.0,
            block_size: Size(4096),
            dependent: false,
        }
    }

    fn data(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name)
    }

    #[test]
    fn time_scale_stretches_and_rounds() {
        let mut s = spec(TraceFormat::Fio, &[("*", 1)]);
        assert_eq!(s.scaled_ns(1_000), 1_000);
        s.time_scale = 2.0;
        assert_eq!(s.scaled_ns(1_000), 2_000);
        s.time_scale = 0.5;
        assert_eq!(s.scaled_ns(3), 2, "1.5 rounds half away from zero");
        s.time_scale = 1e30;
        assert_eq!(s.scaled_ns(10), u64::MAX);
    }

    #[test]
    fn blocks_follow_offsets_modulo_the_volume() {
        let s = spec(TraceFormat::Fio, &[("*", 1)]);
        assert_eq!(s.block_of(0, 16), 0);
        assert_eq!(s.block_of(4095, 16), 0);
        assert_eq!(s.block_of(8192, 16), 2);
        assert_eq!(s.block_of(17 * 4096, 16), 1);
    }

    #[test]
    fn relative_files_resolve_against_the_scenario_directory() {
        let mut s = spec(TraceFormat::Fio, &[("*", 1)]);
        s.resolve(Path::new("scenarios"));
        assert_eq!(s.file, Path::new("scenarios/t.log"));
        s.file = PathBuf::from("/abs/t.log");
        s.resolve(Path::new("scenarios"));
        assert_eq!(s.file, Path::new("/abs/t.log"));
    }

    #[test]
    fn spec_problems_are_named() {
        let mut s = spec(TraceFormat::Msr, &[("0", 1), ("00", 2), ("disk", 1)]);
        s.time_scale = 0.0;
        s.block_size = Size(0);
        let p = problems(&s);
        let paths: Vec<&str> = p.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(
            paths,
            ["time_scale", "block_size", "map[1].from", "map[2].from"]
        );
        assert!(p[2].1.contains("already mapped by map[0]"), "{p:?}");
        assert!(p[3].1.contains("not a disk number"), "{p:?}");
        assert!(problems(&spec(TraceFormat::Fio, &[]))[0]
            .1
            .contains("at least one"));
    }

    #[test]
    fn check_file_counts_writes_and_finds_unmapped_ones() {
        let mut s = spec(TraceFormat::Fio, &[("/tmp/fio-a", 1), ("/tmp/fio-b", 2)]);
        s.file = data("fio-v3-randwrite.log");
        assert_eq!(check_file(&s), Ok(120));
        s.map.pop();
        let e = check_file(&s).expect_err("fio-b is not mapped");
        assert_eq!(e.line, Some(7), "the first write to /tmp/fio-b");
        assert!(
            e.what
                .contains("file `/tmp/fio-b` is written but not mapped"),
            "{e}"
        );
        s.map.push(TraceMap {
            from: CATCH_ALL.into(),
            subsystem: 2,
            volume: 0,
        });
        assert_eq!(check_file(&s), Ok(120));
    }

    #[test]
    fn msr_disks_map_by_number() {
        let mut s = spec(TraceFormat::Msr, &[("00", 1)]);
        s.file = data("msr-sample.csv");
        let e = check_file(&s).expect_err("disk 1 is not mapped");
        assert!(e.what.contains("disk 1 is written but not mapped"), "{e}");
        s.map.push(TraceMap {
            from: "1".into(),
            subsystem: 2,
            volume: 0,
        });
        assert_eq!(check_file(&s), Ok(23));
    }
}
