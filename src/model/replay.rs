//! Trace replay: a workload that issues the writes of a block I/O trace file as host writes.
//! It reads the trace lazily, holding at most the next write, and stops reading at the first
//! write whose issue time is past the scenario's duration.
//!
//! Open loop (`dependent: false`): each write is issued at its (scaled) trace time, whatever
//! the storage does; writes with the same time are issued together. Dependent
//! (`dependent: true`): each write is issued once the previous one completed, and not before
//! its own trace time, so the trace is one dependency chain, each write depending on the last.
//!
//! The trace was checked when the scenario was loaded; should it fail to read now (changed
//! since), replay stops and [`Replay::error`] says why.

use super::hostout::{HostOut, Issue};
use crate::check::{BlockAddr, Label};
use crate::scenario::iotrace::Reader;
use crate::scenario::replay::{Mapping, TraceSpec};

/// The one tag the replay uses for its wake-ups and writes.
const TAG: u32 = 0;

/// A write read from the trace, not yet issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pending {
    at: u64,
    addr: BlockAddr,
    size: u32,
}

/// Replays one trace file.
#[derive(Debug)]
pub struct Replay {
    spec: TraceSpec,
    map: Mapping,
    reader: Option<Reader>,
    blocks: u32,
    until: u64,
    pending: Option<Pending>,
    error: Option<String>,
}

impl Replay {
    /// A replay of `spec` onto volumes of `blocks` blocks, issuing before `until` ns.
    pub fn new(spec: &TraceSpec, blocks: u32, until: u64) -> Self {
        let (reader, error) = match Reader::open(&spec.file, spec.format) {
            Ok(r) => (Some(r), None),
            Err(e) => (None, Some(e.to_string())),
        };
        Replay {
            spec: spec.clone(),
            map: Mapping::new(spec),
            reader,
            blocks: blocks.max(1),
            until,
            pending: None,
            error,
        }
    }

    /// Why the trace stopped being read early, if it did.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Reads the next write; `None` at the end of the trace, past the duration, or on error.
    fn read(&mut self) -> Option<Pending> {
        let reader = self.reader.as_mut()?;
        let next = reader
            .next_write()
            .and_then(|w| match w {
                Some(w) => self.map.locate(&w, reader).map(|v| Some((w, v))),
                None => Ok(None),
            })
            .map_err(|e| e.to_string());
        let (w, v) = match next {
            Ok(Some(found)) => found,
            Ok(None) => {
                self.reader = None;
                return None;
            }
            Err(e) => {
                self.error = Some(e);
                self.reader = None;
                return None;
            }
        };
        let at = self.spec.scaled_ns(w.time_ns);
        if at >= self.until {
            // Trace times never go back, so every later write is past the duration too.
            self.reader = None;
            return None;
        }
        Some(Pending {
            at,
            addr: BlockAddr {
                subsystem: v.subsystem.saturating_sub(1),
                volume: v.volume,
                block: self.spec.block_of(w.offset, self.blocks),
            },
            size: w.length,
        })
    }

    fn issue(p: Pending, out: &mut HostOut) {
        out.issues.push(Issue {
            addr: p.addr,
            size: p.size,
            label: None,
            role: Label::NONE,
            tag: TAG,
        });
    }

    /// Called once at time zero: asks to be woken at the first write's time.
    pub fn start(&mut self, out: &mut HostOut) {
        self.pending = self.read();
        if let Some(p) = self.pending {
            out.wakes.push((p.at, TAG));
        }
    }

    /// The wake-up for the pending write: issues it (open loop: with every write at the same
    /// time) and, open loop, asks to be woken for the next.
    pub fn wake(&mut self, now: u64, out: &mut HostOut) {
        let Some(p) = self.pending.take() else {
            return;
        };
        Self::issue(p, out);
        if self.spec.dependent {
            return;
        }
        while let Some(n) = self.read() {
            if n.at <= now {
                Self::issue(n, out);
            } else {
                out.wakes.push((n.at, TAG));
                self.pending = Some(n);
                break;
            }
        }
    }

    /// A write completed: dependent, the next write is issued now or at its trace time.
    pub fn completed(&mut self, now: u64, out: &mut HostOut) {
        if !self.spec.dependent {
            return;
        }
        let Some(mut n) = self.read() else {
            return;
        };
        n.at = n.at.max(now);
        if n.at >= self.until {
            self.reader = None;
        } else if n.at == now {
            Self::issue(n, out);
        } else {
            out.wakes.push((n.at, TAG));
            self.pending = Some(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::iotrace::TraceFormat;
    use crate::scenario::replay::TraceMap;
    use crate::scenario::units::Size;
    use std::path::{Path, PathBuf};

    fn temp(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rcsim-replay-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    fn spec(file: PathBuf, dependent: bool) -> TraceSpec {
        TraceSpec {
            file,
            format: TraceFormat::Fio,
            map: vec![
                TraceMap {
                    from: "/a".into(),
                    subsystem: 1,
                    volume: 0,
                },
                TraceMap {
                    from: "*".into(),
                    subsystem: 2,
                    volume: 1,
                },
            ],
            time_scale: 1.0,
            block_size: Size(4096),
            dependent,
        }
    }

    const LOG: &str = "fio version 3 iolog\n0 /a add\n100 /a write 8192 4096\n\
                       100 /b write 4096 512\n250 /a read 0 4096\n300 /a write 69632 4096\n\
                       900 /a write 0 4096\n";

    #[test]
    fn open_loop_issues_at_trace_times() {
        let mut r = Replay::new(&spec(temp("open.log", LOG), false), 16, 800_000);
        let mut out = HostOut::default();
        r.start(&mut out);
        assert_eq!(out.wakes, vec![(100_000, TAG)]);
        out.wakes.clear();
        r.wake(100_000, &mut out);
        assert_eq!(out.issues.len(), 2, "both writes at 100us together");
        assert_eq!(
            out.issues[0].addr,
            BlockAddr {
                subsystem: 0,
                volume: 0,
                block: 2
            }
        );
        assert_eq!(
            (out.issues[1].addr.subsystem, out.issues[1].addr.volume),
            (1, 1),
            "/b goes to the catch-all"
        );
        assert_eq!(out.issues[1].size, 512);
        assert_eq!(out.wakes, vec![(300_000, TAG)]);
        out.issues.clear();
        out.wakes.clear();
        r.wake(300_000, &mut out);
        assert_eq!(out.issues[0].addr.block, 1, "block 17 modulo 16");
        assert!(
            out.wakes.is_empty(),
            "the write at 900us is past the duration"
        );
        assert_eq!(r.error(), None);
    }

    #[test]
    fn dependent_issues_each_write_after_the_last_completes() {
        let mut r = Replay::new(&spec(temp("dep.log", LOG), true), 16, 10_000_000);
        let mut out = HostOut::default();
        r.start(&mut out);
        r.wake(100_000, &mut out);
        assert_eq!(out.issues.len(), 1, "one at a time");
        out.issues.clear();
        out.wakes.clear();
        r.completed(150_000, &mut out);
        assert_eq!(out.issues.len(), 1, "its trace time has passed: issued now");
        out.issues.clear();
        r.completed(200_000, &mut out);
        assert!(out.issues.is_empty());
        assert_eq!(out.wakes, vec![(300_000, TAG)], "not before its trace time");
        out.wakes.clear();
        r.wake(300_000, &mut out);
        assert_eq!(out.issues.len(), 1);
        assert!(out.wakes.is_empty(), "nothing more until it completes");
    }

    #[test]
    fn a_trace_that_changed_since_loading_stops_with_an_error() {
        let mut r = Replay::new(
            &spec(
                temp("bad.log", "fio version 3 iolog\n5 /a wrte 0 1\n"),
                false,
            ),
            16,
            u64::MAX,
        );
        let mut out = HostOut::default();
        r.start(&mut out);
        assert!(out.wakes.is_empty());
        let e = r.error().expect("an error");
        assert!(e.ends_with("bad.log:2: unknown action `wrte`: expected one of add, open, close, read, write, sync, datasync, trim, wait"), "{e}");
        let gone = Replay::new(&spec(Path::new("/nonexistent.log").into(), false), 16, 1);
        assert!(gone.error().is_some_and(|e| e.contains("cannot open")));
    }
}
