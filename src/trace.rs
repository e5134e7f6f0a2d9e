//! The run's trace: every processed event, in order, folded into a 64-bit hash (the run's
//! fingerprint: same scenario and seed, same hash, on any machine) and, when asked, written as
//! JSON lines with the patent's names for the protocol's messages.

use std::collections::BTreeMap;
use std::io::{self, Write};

use xxhash_rust::xxh3::Xxh3Default;

use crate::check::{BlockAddr, Label, WriteId};
use std::any::Any;

use crate::model::readable::Readability;
use crate::model::world::{write_of, Event, Fate, Wants, Watcher, World};
use crate::output::AtomicFile;
use crate::protocol::node::Arrival;
use crate::protocol::{Body, Msg, NodeId};

/// Bytes gathered before they are fed to the hasher in one call.
const HASH_BATCH: usize = 4096;

/// The event trace of one run.
pub struct Trace {
    hasher: Xxh3Default,
    /// Bytes not yet fed to the hasher. xxh3 hashes the byte stream whatever the chunking, so
    /// feeding it in large batches gives the same digest as word by word, for far less work.
    pending: Vec<u8>,
    out: Option<AtomicFile>,
    error: Option<io::Error>,
    /// While lines are written: the name each write in flight was issued under, so its
    /// `host-complete` line names it alike (kept from issue to completion only).
    names: BTreeMap<WriteId, String>,
}

fn node_code(n: NodeId) -> u64 {
    match n {
        NodeId::Primary(i) => u64::from(i) << 1,
        NodeId::Secondary(i) => (u64::from(i) << 1) | 1,
    }
}

/// A write's label, or `w<id>`.
pub fn write_name(id: WriteId, label: Option<&str>) -> String {
    label.map_or_else(|| format!("w{id}"), str::to_string)
}

impl Trace {
    /// A trace that only hashes.
    pub fn hash_only() -> Self {
        Trace {
            hasher: Xxh3Default::new(),
            pending: Vec::with_capacity(HASH_BATCH + 64),
            out: None,
            error: None,
            names: BTreeMap::new(),
        }
    }

    /// A trace that hashes and writes JSON lines to `out`.
    pub fn with_file(out: AtomicFile) -> Self {
        Trace {
            out: Some(out),
            ..Self::hash_only()
        }
    }

    /// Adds `words` (little-endian) to the hashed stream, in one copy.
    #[inline]
    fn words<const N: usize>(&mut self, words: [u64; N]) {
        let mut buf = [0u8; 40];
        for (chunk, w) in buf.chunks_exact_mut(8).zip(words) {
            chunk.copy_from_slice(&w.to_le_bytes());
        }
        self.pending.extend_from_slice(&buf[..8 * N.min(5)]);
        if self.pending.len() >= HASH_BATCH {
            self.flush_hash();
        }
    }

    /// Adds raw bytes to the hashed stream.
    fn bytes(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= HASH_BATCH {
            self.flush_hash();
        }
    }

    fn flush_hash(&mut self) {
        self.hasher.update(&self.pending);
        self.pending.clear();
    }

    fn line(&mut self, value: serde_json::Value) {
        if let Some(out) = self.out.as_mut() {
            if self.error.is_none() {
                if let Err(e) = writeln!(out, "{value}") {
                    self.error = Some(e);
                }
            }
        }
    }

    /// Records one processed event; `label` names the write it carries, if labelled.
    ///
    /// An event that does not take effect (`fate` says how and why) is hashed like any other,
    /// so trace hashes do not depend on it, but its line reads `"ev": "held"`, `"dropped"` or
    /// `"superseded"` with the event it would have been under `"was"`: a line such as `ship` or
    /// `apply` always means it happened. A segment that fills a gap in its stream says how many
    /// held segments it `releases` (handed on right after it, at the same time).
    pub fn event(
        &mut self,
        now: u64,
        event: &Event,
        label: Option<&str>,
        fate: Fate,
        releases: u64,
    ) {
        self.hash_event(now, event);
        if self.out.is_some() {
            self.event_line(now, event, label, fate, releases);
        }
    }

    /// Adds one processed event to the hashed stream: the hash-only trace's whole work on every
    /// event, so it is kept apart from the JSON lines' far larger code.
    #[inline(always)]
    fn hash_event(&mut self, now: u64, event: &Event) {
        let (kind, a, b, c) = match *event {
            Event::Start => (0, 0, 0, 0),
            Event::Wake { host, tag } => (1, u64::from(host), u64::from(tag), 0),
            Event::WriteServed { pair, write } => (2, u64::from(pair), write.id, 0),
            Event::CopyServed { pair, msg, .. } => {
                let [k, x, y] = msg.digest();
                (3, u64::from(pair) | k << 16, x, y)
            }
            Event::ApplyServed {
                pair,
                write,
                incarnation,
                order,
            } => (
                4,
                u64::from(pair) | u64::from(incarnation) << 16,
                write.id,
                order,
            ),
            Event::Deliver { to, from, msg } => {
                let [k, x, y] = msg.digest();
                (5 | k << 8, node_code(to) << 32 | node_code(from), x, y)
            }
            Event::Timer { node, timer } => (6, node_code(node), timer as u64, 0),
            Event::Disaster => (7, 0, 0, 0),
            Event::Takeover => (8, 0, 0, 0),
            Event::Crash { node } => (9, node_code(node), 0, 0),
            Event::Restart { node } => (10, node_code(node), 0, 0),
            Event::Fault { index, phase } => (11, u64::from(index), u64::from(phase), 0),
        };
        self.words([now, kind, a, b, c]);
    }

    /// The JSON line of one processed event (see [`Trace::event`]).
    #[inline(never)]
    fn event_line(
        &mut self,
        now: u64,
        event: &Event,
        label: Option<&str>,
        fate: Fate,
        releases: u64,
    ) {
        use serde_json::json;
        let mut v = match *event {
            Event::Start => json!({"t": now, "ev": "start-copy"}),
            Event::Wake { host, tag } => {
                json!({"t": now, "ev": "host-wake", "host": host, "tag": tag})
            }
            Event::WriteServed { pair, write } => json!({"t": now, "ev": "write-complete",
                "node": NodeId::Primary(pair).label(), "write": write_name(write.id, label)}),
            Event::CopyServed { pair, msg, to } => {
                let mut v = json!({"t": now, "ev": "ship", "node": NodeId::Primary(pair).label(),
                    "msg": msg.name(), "detail": msg_detail(&msg, label)});
                if let NodeId::Primary(_) = to {
                    v["to"] = to.label().into();
                }
                v
            }
            Event::ApplyServed { pair, write, .. } => json!({"t": now, "ev": "apply",
                "node": NodeId::Secondary(pair).label(), "write": write_name(write.id, label)}),
            Event::Deliver { to, from, msg } => {
                let mut v = json!({"t": now, "ev": "deliver", "from": from.label(),
                    "to": to.label(), "msg": msg.name(), "detail": msg_detail(&msg, label)});
                if let Some(step) = patent_step(msg.name(), to) {
                    v["step"] = step.into();
                }
                if releases > 0 {
                    v["releases"] = releases.into();
                }
                v
            }
            Event::Timer { node, timer } => json!({"t": now, "ev": "timer",
                "node": node.label(), "timer": format!("{timer:?}").to_lowercase()}),
            Event::Disaster => json!({"t": now, "ev": "disaster"}),
            Event::Takeover => json!({"t": now, "ev": "takeover"}),
            Event::Crash { node } => json!({"t": now, "ev": "crash", "node": node.label()}),
            Event::Restart { node } => json!({"t": now, "ev": "restart", "node": node.label()}),
            Event::Fault { index, phase } => {
                json!({"t": now, "ev": "fault", "fault": index, "phase": phase})
            }
        };
        if let Some((kind, why)) = fate {
            v["was"] = v["ev"].take();
            v["ev"] = kind.into();
            v["why"] = why.into();
        }
        self.line(v);
    }

    /// Records a state change a node announced (e.g. entering update-in-progress).
    pub fn note(&mut self, now: u64, node: NodeId, what: &'static str) {
        self.words([now, 101, node_code(node), what.len() as u64]);
        self.bytes(what.as_bytes());
        if self.out.is_some() {
            self.line(serde_json::json!({"t": now, "ev": what, "node": node.label()}));
        }
    }

    /// The hash of everything recorded, as 16 lowercase hex digits (see [`check_hash`]).
    pub fn hash_hex(&self) -> String {
        let mut h = self.hasher.clone();
        h.update(&self.pending);
        format!("{:016x}", h.digest())
    }

    /// Finishes the JSON-lines file, if any, putting it in place.
    pub fn finish(&mut self) -> io::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        match self.out.take() {
            Some(f) => f.commit(),
            None => Ok(()),
        }
    }
}

/// The step of the patent's flow charts (Figures 3A-3D) a message arriving at `to` carries out.
fn patent_step(name: &str, to: NodeId) -> Option<&'static str> {
    let primary = matches!(to, NodeId::Primary(_));
    Some(match (name, primary) {
        ("copy-active", true) => "202-206 copy active, configuration table",
        ("copy-active", false) => "402-404 copy active, copy-active table",
        ("checkpoint", true) => "302-304 checkpoint to each primary, slotted into its stream",
        ("checkpoint", false) => "408 checkpoint received, forwarded to the secondary master",
        ("forward", _) => "410 rendezvous at the secondary master",
        ("release", _) => "412-414 release: update in progress, apply up to the time value",
        ("update-complete", _) => "416 update complete",
        ("reset", _) => "418 reset update in progress",
        ("write", false) => "104 update data buffered by time value",
        ("clock-probe" | "clock-sync", true) => "208 clock synchronisation",
        _ => return None,
    })
}

/// The trace is a watcher like any other: the world tells it every event before it takes effect
/// (with what becomes of it, and the write's name when lines are written), every host write issued
/// and every note. Watchers never steer the run, so the trace cannot either.
impl Watcher for Trace {
    fn before(&mut self, now: u64, event: &Event, world: &World) {
        if self.out.is_none() {
            // What becomes of the event shows only in its line; the hash does not depend on it.
            self.hash_event(now, event);
        } else {
            let label = write_of(event).and_then(|id| world.label(id));
            let fate = world.fate(event);
            // Only a segment that is taken releases what waited behind it.
            let releases = match *event {
                Event::Deliver { to, from, ref msg } if fate.is_none() => {
                    match world.arrival(to, from, msg) {
                        Some(Arrival::InOrder { releases }) => releases,
                        _ => 0,
                    }
                }
                _ => 0,
            };
            self.event(now, event, label.as_deref(), fate, releases);
        }
    }

    /// Records a host issuing a write (of `size` bytes, labelled `label` if scripted, or with
    /// the generated label `role`). A generated label is not hashed: it follows from the
    /// workload's state, which the hash covers already, so naming DBMS writes changed no hash.
    fn issued(
        &mut self,
        now: u64,
        id: WriteId,
        addr: BlockAddr,
        size: u32,
        label: Option<&str>,
        role: Label,
    ) {
        let place = u64::from(addr.subsystem) << 48 | u64::from(addr.volume) << 32;
        self.words([now, 100, id, place | u64::from(addr.block), u64::from(size)]);
        if let Some(l) = label {
            self.bytes(l.as_bytes());
        }
        if self.out.is_some() {
            let name = label.map_or_else(|| role.name(id), str::to_string);
            self.line(serde_json::json!({"t": now, "ev": "host-write",
                "write": name, "subsystem": addr.subsystem + 1,
                "volume": addr.volume, "block": addr.block, "size": size}));
            self.names.insert(id, name);
        }
    }

    fn note(
        &mut self,
        now: u64,
        node: NodeId,
        what: &'static str,
        _note: Option<crate::protocol::Note>,
    ) {
        Trace::note(self, now, node, what);
    }

    /// A host saw a write complete: a line (not hashed: the events that led to it are).
    fn completed(&mut self, now: u64, id: WriteId, _latency: u64) {
        if self.out.is_some() {
            let name = self
                .names
                .remove(&id)
                .unwrap_or_else(|| write_name(id, None));
            self.line(serde_json::json!({"t": now, "ev": "host-complete", "write": name}));
        }
    }

    /// A secondary became readable or fenced: a line (not hashed, like the completion).
    fn readable(&mut self, now: u64, pair: u16, readable: bool, _all: &Readability) {
        if self.out.is_some() {
            let ev = if readable { "readable" } else { "fenced" };
            self.line(serde_json::json!({"t": now, "ev": ev,
                "node": NodeId::Secondary(pair).label()}));
        }
    }

    /// Only the completions, and only while lines are written: the hash needs no call.
    fn wants(&self) -> Wants {
        Wants {
            completed: self.out.is_some(),
            ..Wants::NONE
        }
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

fn msg_detail(m: &Msg, label: Option<&str>) -> String {
    match m {
        Msg::Ack { next, held } => format!("next {next} held {held:#x}"),
        Msg::Seg { seq, body } => match (body, label) {
            (Body::Write(w) | Body::Journal(w), Some(l)) => {
                format!("seq {seq}: {l} stamp {}", w.stamp)
            }
            _ => match body.detail() {
                d if d.is_empty() => format!("seq {seq}"),
                d => format!("seq {seq}: {d}"),
            },
        },
        Msg::Dgram(body) => body.detail(),
    }
}

/// Checks a trace hash read from a file: exactly what [`Trace::hash_hex`] writes, 16 lowercase
/// hex digits. Anything else is no run's hash, and comparing a run against it could only fail.
pub fn check_hash(hash: &str) -> Result<(), String> {
    if hash.len() == 16 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a trace hash: expected 16 lowercase hex digits, as rcsim writes it \
             (e.g. `{:016x}`)",
            crate::quote::bounded(hash),
            0x0123_4567_89ab_cdefu64
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_hash_hex_writes_is_a_trace_hash() {
        assert_eq!(check_hash(&Trace::hash_only().hash_hex()), Ok(()));
        assert_eq!(check_hash("0123456789abcdef"), Ok(()));
        for bad in [
            "",
            "0123456789abcde",
            "0123456789abcdef0",
            "0123456789ABCDEF",
            "0x23456789abcdef",
            "0123456789abcdeg",
        ] {
            let e = check_hash(bad).expect_err(bad);
            assert!(e.contains("16 lowercase hex digits"), "{e}");
        }
    }

    /// Batching the hashed bytes must give exactly the digest of feeding them word by word (the
    /// trace hashes of every stored reproducer depend on it).
    #[test]
    fn batched_hash_equals_word_by_word_hash() {
        let mut t = Trace::hash_only();
        let mut reference = Xxh3Default::new();
        let feed = |reference: &mut Xxh3Default, words: &[u64], tail: &[u8]| {
            for w in words {
                reference.update(&w.to_le_bytes());
            }
            reference.update(tail);
        };
        for i in 0..1000u64 {
            let e = Event::Wake {
                host: (i % 3) as u16,
                tag: i as u32,
            };
            t.event(i, &e, None, None, 0);
            feed(&mut reference, &[i, 1, i % 3, i & 0xffff_ffff, 0], &[]);
            if i % 7 == 0 {
                t.note(i, NodeId::Secondary(2), "released");
                feed(&mut reference, &[i, 101, 5, 8], b"released");
            }
            if i == 500 {
                assert_eq!(t.hash_hex(), format!("{:016x}", reference.digest()));
            }
        }
        assert_eq!(t.hash_hex(), format!("{:016x}", reference.digest()));
    }
}
