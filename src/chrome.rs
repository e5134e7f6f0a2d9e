//! The run's timeline in Chrome Trace Event Format (a JSON object with `traceEvents`), which
//! Perfetto (ui.perfetto.dev) and `chrome://tracing` open. One process, one track (thread) per
//! primary and secondary subsystem, one per secondary's update-in-progress spans, one per
//! pair-link direction, per site LAN, and one for faults. A node's crash is a complete (`X`)
//! slice on its own track. Each message is a tiny `send` slice on its sender's track (one for all
//! recipients of a broadcast sent at the same instant) and a `recv` slice on its receiver's,
//! joined by a flow arrow (`s`/`f` events); its transit is an async span (`b`/`e`, category =
//! the link or LAN), since transits overlap, and the channel's track gets a counter of messages
//! in flight. Checkpoint milestones are instants; fault windows are async spans (category
//! `fault`), since faults overlap too. A window (`--trace-window`) keeps only what overlaps it.
//! Times are microseconds with nanosecond decimals, as the format wants.

use std::any::Any;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use serde_json::{json, Value};

use crate::check::{Checker, WriteId};
use crate::held::Held;
use crate::model::net::Delivery;
use crate::model::readable::Readability;
use crate::model::world::Watcher;
use crate::model::world::{Event, World};
use crate::output::AtomicFile;
use crate::protocol::{Msg, NodeId, Note};
use crate::report::faults::{describe_fault, FaultKind};
use crate::scenario::types::Fault;
use crate::scenario::units::Duration;

const PID: u32 = 1;

/// Simulated ns as the format's microseconds, exactly (no float rounding).
fn us(ns: u64) -> Value {
    let text = format!("{}.{:03}", ns / 1000, ns % 1000);
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Parses `FROM..TO` (simulated durations, FROM < TO) into the window it names, ns.
pub fn parse_window(s: &str) -> Result<(u64, u64), String> {
    let (a, b) = s.split_once("..").ok_or_else(|| {
        format!("--trace-window {s}: expected FROM..TO, two durations such as 1s..1.5s")
    })?;
    let dur = |t: &str| {
        t.trim()
            .parse::<Duration>()
            .map(|d| d.as_ns())
            .map_err(|e| format!("--trace-window {s}: `{}` is not a duration ({e})", t.trim()))
    };
    let (a, b) = (dur(a)?, dur(b)?);
    if a >= b {
        return Err(format!(
            "--trace-window {s}: the window is empty (FROM must be before TO)"
        ));
    }
    Ok((a, b))
}

/// A send slice waiting for more recipients of the same broadcast.
struct PendingSend {
    tid: u32,
    now: u64,
    name: String,
    args: Value,
    to: Vec<String>,
}

/// Writes one run's Chrome trace as the run goes.
pub struct ChromeTrace {
    out: AtomicFile,
    first: bool,
    error: Option<io::Error>,
    pairs: u16,
    next_flow: u64,
    /// Messages in flight per channel track.
    in_flight: BTreeMap<u32, i64>,
    fence_since: BTreeMap<NodeId, u64>,
    /// Each down node: since when, and how many crashes hold it (overlapping crashes make one
    /// slice, ending at the restart that brings the node back).
    crash_since: Held<NodeId, u64>,
    disaster: Option<u64>,
    /// What is kept: `(from, to)` ns.
    window: (u64, u64),
    /// The scenario's faults, to name their spans.
    faults: Vec<Fault>,
    /// Per scenario fault index: the async id of its open span.
    open_faults: BTreeMap<u16, u64>,
    pending: Option<PendingSend>,
}

impl ChromeTrace {
    /// Starts the trace file at `path` for a run of `pairs` pairs with `faults`, named `title`,
    /// keeping only what overlaps `window` (ns) if given.
    pub fn create(
        path: &Path,
        pairs: u16,
        faults: &[Fault],
        title: &str,
        window: Option<(u64, u64)>,
    ) -> io::Result<Self> {
        let mut out = AtomicFile::create(path)?;
        out.write_all(b"{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n")?;
        let mut t = ChromeTrace {
            out,
            first: true,
            error: None,
            pairs,
            next_flow: 1,
            in_flight: BTreeMap::new(),
            fence_since: BTreeMap::new(),
            crash_since: Held::default(),
            disaster: None,
            window: window.unwrap_or((0, u64::MAX)),
            faults: faults.to_vec(),
            open_faults: BTreeMap::new(),
            pending: None,
        };
        t.emit(json!({"ph": "M", "pid": PID, "name": "process_name",
            "args": {"name": title}}));
        let n = u32::from(pairs);
        let mut tracks: Vec<(u32, String)> = Vec::new();
        for i in 0..pairs {
            tracks.push((
                t.node_tid(NodeId::Primary(i)),
                format!("P{} primary", i + 1),
            ));
        }
        for i in 0..pairs {
            tracks.push((
                t.node_tid(NodeId::Secondary(i)),
                format!("S{} secondary", i + 1),
            ));
        }
        for i in 0..n {
            tracks.push((1 + 2 * n + 2 * i, format!("link {} P->S", i + 1)));
            tracks.push((2 + 2 * n + 2 * i, format!("link {} S->P", i + 1)));
        }
        tracks.push((1 + 4 * n, "primary LAN".into()));
        tracks.push((2 + 4 * n, "secondary LAN".into()));
        tracks.push((t.faults_tid(), "faults".into()));
        for i in 0..pairs {
            tracks.push((t.fence_tid(i), format!("S{} update in progress", i + 1)));
        }
        for (tid, name) in tracks {
            t.emit(
                json!({"ph": "M", "pid": PID, "tid": tid, "name": "thread_name",
                "args": {"name": name}}),
            );
            t.emit(
                json!({"ph": "M", "pid": PID, "tid": tid, "name": "thread_sort_index",
                "args": {"sort_index": tid}}),
            );
        }
        Ok(t)
    }

    fn node_tid(&self, n: NodeId) -> u32 {
        match n {
            NodeId::Primary(i) => 1 + u32::from(i),
            NodeId::Secondary(i) => 1 + u32::from(self.pairs) + u32::from(i),
        }
    }

    fn faults_tid(&self) -> u32 {
        3 + 4 * u32::from(self.pairs)
    }

    /// The track of secondary `pair`'s update-in-progress spans (apart from its crashes).
    fn fence_tid(&self, pair: u16) -> u32 {
        4 + 4 * u32::from(self.pairs) + u32::from(pair)
    }

    /// Whether `start..=end` overlaps the window.
    fn shown(&self, start: u64, end: u64) -> bool {
        end >= self.window.0 && start <= self.window.1
    }

    fn next_id(&mut self) -> u64 {
        let id = self.next_flow;
        self.next_flow += 1;
        id
    }

    /// An async span `start..end` of category `cat` (kept if it overlaps the window, clipped).
    fn span(&mut self, cat: &str, name: &str, start: u64, end: u64, args: Value) {
        if !self.shown(start, end) {
            return;
        }
        let (a, b) = (start.max(self.window.0), end.min(self.window.1));
        let id = self.next_id();
        self.emit(
            json!({"ph": "b", "cat": cat, "id": id, "pid": PID, "ts": us(a),
            "name": name, "args": args}),
        );
        self.emit(
            json!({"ph": "e", "cat": cat, "id": id, "pid": PID, "ts": us(b),
            "name": name}),
        );
    }

    /// The track of the channel from `from` to `to`.
    fn channel_tid(&self, from: NodeId, to: NodeId) -> u32 {
        let n = u32::from(self.pairs);
        match (from, to) {
            (NodeId::Primary(i), NodeId::Secondary(_)) => 1 + 2 * n + 2 * u32::from(i),
            (NodeId::Secondary(i), NodeId::Primary(_)) => 2 + 2 * n + 2 * u32::from(i),
            (NodeId::Primary(_), NodeId::Primary(_)) => 1 + 4 * n,
            (NodeId::Secondary(_), NodeId::Secondary(_)) => 2 + 4 * n,
        }
    }

    fn channel_name(&self, tid: u32) -> String {
        let n = u32::from(self.pairs);
        if tid == 1 + 4 * n {
            "primary LAN".into()
        } else if tid == 2 + 4 * n {
            "secondary LAN".into()
        } else {
            let k = tid - 1 - 2 * n;
            let dir = if k.is_multiple_of(2) { "P->S" } else { "S->P" };
            format!("link {} {dir}", k / 2 + 1)
        }
    }

    fn emit(&mut self, v: Value) {
        if self.error.is_some() {
            return;
        }
        let sep = if self.first { "" } else { ",\n" };
        self.first = false;
        if let Err(e) = write!(self.out, "{sep}{v}") {
            self.error = Some(e);
        }
    }

    fn instant(&mut self, tid: u32, now: u64, name: &str, args: Value) {
        if !self.shown(now, now) {
            return;
        }
        self.emit(
            json!({"ph": "i", "s": "t", "pid": PID, "tid": tid, "ts": us(now),
            "name": name, "args": args}),
        );
    }

    /// A complete slice `start..end` on track `tid` (kept if it overlaps the window, clipped).
    fn slice(&mut self, tid: u32, start: u64, end: u64, name: &str, args: Value) {
        if !self.shown(start, end) {
            return;
        }
        let (a, b) = (start.max(self.window.0), end.min(self.window.1));
        self.emit(json!({"ph": "X", "pid": PID, "tid": tid, "ts": us(a),
            "dur": us(b.saturating_sub(a)), "name": name, "args": args}));
    }

    /// Writes the send slice waiting for more recipients.
    fn flush_send(&mut self) {
        if let Some(p) = self.pending.take() {
            let mut args = p.args;
            args["to"] = Value::String(p.to.join(","));
            self.slice(p.tid, p.now, p.now + 1, &p.name, args);
        }
    }

    fn counter(&mut self, tid: u32, now: u64) {
        if !self.shown(now, now) {
            return;
        }
        let v = self.in_flight.get(&tid).copied().unwrap_or(0);
        let name = format!("in flight {}", self.channel_name(tid));
        self.emit(json!({"ph": "C", "pid": PID, "ts": us(now), "name": name,
            "args": {"messages": v}}));
    }

    /// Before each event: arrivals leave their channel, faults open and close.
    pub fn before(&mut self, now: u64, event: &Event, _world: &World) {
        match *event {
            Event::Start => {
                let tid = self.faults_tid();
                self.instant(tid, now, "start copy", json!({}));
            }
            Event::Deliver { to, from, .. } if to != from => {
                let tid = self.channel_tid(from, to);
                *self.in_flight.entry(tid).or_insert(0) -= 1;
                self.counter(tid, now);
            }
            Event::Disaster if self.disaster.is_none() => {
                self.disaster = Some(now);
                let tid = self.faults_tid();
                self.instant(tid, now, "disaster", json!({}));
            }
            Event::Fault { index, phase } => self.fault(index, phase, now),
            Event::Takeover => {
                let tid = self.faults_tid();
                self.instant(tid, now, "takeover declared", json!({}));
            }
            Event::Crash { node } => {
                self.crash_since.hold(node, now);
            }
            Event::Restart { node } => {
                if let Some(since) = self.crash_since.release(&node) {
                    let tid = self.node_tid(node);
                    let name = format!("crash {}", node.label());
                    self.slice(tid, since, now, &name, json!({}));
                }
            }
            _ => {}
        }
    }

    /// Scenario fault `index` starts (phase 0) or ends: an async span from start to end; a
    /// clock step is an instant; a rolling disaster's component failures are instants.
    fn fault(&mut self, index: u16, phase: u16, now: u64) {
        let Some(f) = self.faults.get(usize::from(index)) else {
            return;
        };
        let (kind, label) = describe_fault(f);
        let name = format!("{} {label}", kind.name()).trim_end().to_string();
        let tid = self.faults_tid();
        match kind {
            FaultKind::ClockStep | FaultKind::RollingDisaster => {
                let what = if kind == FaultKind::RollingDisaster {
                    format!("{name}: component {} fails", phase + 1)
                } else {
                    name
                };
                self.instant(tid, now, &what, json!({}));
            }
            _ if phase == 0 => {
                self.open_faults.entry(index).or_insert(now);
            }
            _ => {
                if let Some(since) = self.open_faults.remove(&index) {
                    self.span("fault", &name, since, now, json!({}));
                }
            }
        }
    }

    /// Primary `pair` stored host write `id`.
    pub fn stored(&mut self, now: u64, pair: u16, id: u64) {
        let tid = self.node_tid(NodeId::Primary(pair));
        self.instant(tid, now, "write stored", json!({"write": format!("w{id}")}));
    }

    /// Secondary `pair` shows write `id`.
    pub fn applied(&mut self, now: u64, pair: u16, id: u64) {
        let tid = self.node_tid(NodeId::Secondary(pair));
        self.instant(tid, now, "apply", json!({"write": format!("w{id}")}));
    }

    /// A message left `from` for `to`.
    pub fn message(&mut self, now: u64, from: NodeId, to: NodeId, msg: &Msg, d: Delivery) {
        let name = msg.name();
        let detail = match msg {
            Msg::Seg { seq, body } => format!("seq {seq} {}", body.detail()),
            Msg::Ack { next, held } => format!("next {next} held {held:#x}"),
            Msg::Dgram(body) => body.detail(),
        };
        let args = json!({"from": from.label(), "to": to.label(), "detail": detail});
        let src = self.node_tid(from);
        let dst = self.node_tid(to);
        let chan = self.channel_tid(from, to);
        let arrivals: &[u64] = match &d {
            Delivery::Lost => &[],
            Delivery::Once(a) => std::slice::from_ref(a),
            Delivery::Twice(a, b) => &[*a, *b],
        };
        let arrivals = arrivals.to_vec();
        let sent = if arrivals.is_empty() {
            format!("send {name} (lost)")
        } else {
            format!("send {name}")
        };
        // One send slice for every recipient of a broadcast: same sender, instant and message.
        let to_label = to.label();
        match &mut self.pending {
            Some(p) if p.tid == src && p.now == now && p.name == sent => p.to.push(to_label),
            _ => {
                self.flush_send();
                self.pending = Some(PendingSend {
                    tid: src,
                    now,
                    name: sent,
                    args: args.clone(),
                    to: vec![to_label],
                });
            }
        }
        if arrivals.is_empty() {
            self.instant(chan, now, &format!("{name} lost"), args.clone());
        }
        let chan_name = self.channel_name(chan);
        for at in arrivals {
            if self.shown(now, now) && self.shown(at, at) {
                let id = self.next_id();
                self.emit(
                    json!({"ph": "s", "pid": PID, "tid": src, "ts": us(now), "id": id,
                    "cat": "msg", "name": name}),
                );
                self.emit(
                    json!({"ph": "f", "bp": "e", "pid": PID, "tid": dst, "ts": us(at),
                    "id": id, "cat": "msg", "name": name}),
                );
            }
            self.span(&chan_name, name, now, at, args.clone());
            self.slice(dst, at, at + 1, &format!("recv {name}"), args.clone());
            *self.in_flight.entry(chan).or_insert(0) += 1;
        }
        self.counter(chan, now);
    }

    /// A node's milestone.
    pub fn note(&mut self, now: u64, node: NodeId, what: &'static str, note: Option<Note>) {
        let tid = self.node_tid(node);
        match what {
            "update-in-progress" | "update-in-progress-reset" => return,
            _ => {}
        }
        let args = match note {
            Some(
                Note::CheckpointIssued(cp)
                | Note::Rendezvous { cp, .. }
                | Note::Released(cp)
                | Note::Applied(cp),
            ) => json!({"n": cp.n(), "time_value": cp.t}),
            Some(Note::BecameMaster { epoch }) => json!({"epoch": epoch}),
            _ => json!({}),
        };
        self.instant(tid, now, what, args);
    }

    /// Secondary `pair` became readable or fenced at `now`: its fenced spans are slices.
    pub fn readable(&mut self, now: u64, pair: u16, readable: bool) {
        let node = NodeId::Secondary(pair);
        if !readable {
            self.fence_since.entry(node).or_insert(now);
        } else if let Some(since) = self.fence_since.remove(&node) {
            let tid = self.fence_tid(pair);
            self.slice(tid, since, now, "update in progress", json!({}));
        }
    }

    /// Closes what is still open at the run's end `now` and puts the file in place.
    pub fn finish(mut self, now: u64) -> io::Result<()> {
        self.flush_send();
        for (node, since) in std::mem::take(&mut self.fence_since) {
            let tid = match node {
                NodeId::Secondary(i) => self.fence_tid(i),
                NodeId::Primary(_) => self.node_tid(node),
            };
            self.slice(tid, since, now, "update in progress", json!({}));
        }
        for (node, since) in self.crash_since.take() {
            let name = format!("crash {}", node.label());
            let tid = self.node_tid(node);
            self.slice(tid, since, now, &name, json!({}));
        }
        for (index, since) in std::mem::take(&mut self.open_faults) {
            if let Some(f) = self.faults.get(usize::from(index)) {
                let (kind, label) = describe_fault(f);
                let name = format!("{} {label}", kind.name()).trim_end().to_string();
                self.span("fault", &name, since, now, json!({}));
            }
        }
        if let Some(d) = self.disaster {
            self.span("fault", "primary site down", d, now, json!({}));
        }
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.write_all(b"\n]}\n")?;
        self.out.commit()
    }
}

/// The timeline draws events, writes, messages, milestones and fencing as the world tells them.
impl Watcher for ChromeTrace {
    fn before(&mut self, now: u64, event: &Event, world: &World) {
        ChromeTrace::before(self, now, event, world);
    }

    fn stored(&mut self, now: u64, pair: u16, id: WriteId, _bytes: u32) {
        ChromeTrace::stored(self, now, pair, id);
    }

    fn applied(&mut self, now: u64, pair: u16, id: WriteId, _checker: &Checker) {
        ChromeTrace::applied(self, now, pair, id);
    }

    fn message(&mut self, now: u64, from: NodeId, to: NodeId, msg: &Msg, delivery: Delivery) {
        ChromeTrace::message(self, now, from, to, msg, delivery);
    }

    fn note(&mut self, now: u64, node: NodeId, what: &'static str, note: Option<Note>) {
        ChromeTrace::note(self, now, node, what, note);
    }

    fn readable(&mut self, now: u64, pair: u16, readable: bool, _all: &Readability) {
        ChromeTrace::readable(self, now, pair, readable);
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}
