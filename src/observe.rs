//! Watchers of a run: the recorded series of the reports and the Chrome trace. The world calls
//! them at a few points (before each event, when a write is stored, completed or applied, when a
//! message is sent, when a node announces a milestone, when the readable set changes); they read what happened and never steer
//! the run: no event, no random draw, nothing folded into the trace hash. With none attached,
//! each call is one branch.

use crate::check::{Checker, WriteId};
use crate::chrome::ChromeTrace;
use crate::model::net::Delivery;
use crate::model::readable::Readability;
use crate::model::world::{Event, World};
use crate::protocol::{Msg, NodeId, Note};
use crate::report::series::Recorder;

/// The watchers attached to one run, each optional.
#[derive(Default)]
pub struct Observers {
    /// Samples the series the report charts are drawn from.
    pub recorder: Option<Box<Recorder>>,
    /// Writes the run's timeline in Chrome Trace Event Format.
    pub chrome: Option<Box<ChromeTrace>>,
}

impl Observers {
    /// True when any watcher is attached.
    pub fn is_active(&self) -> bool {
        self.recorder.is_some() || self.chrome.is_some()
    }

    /// `event` is about to be handled at `now`; `world` is as it stood since the previous event.
    pub fn before(&mut self, now: u64, event: &Event, world: &World) {
        if let Some(r) = self.recorder.as_mut() {
            r.before(now, event, world);
        }
        if let Some(c) = self.chrome.as_mut() {
            c.before(now, event, world);
        }
    }

    /// Primary `pair` stored host write `id` of `bytes` on its volume.
    pub fn stored(&mut self, now: u64, pair: u16, id: WriteId, bytes: u32) {
        if let Some(r) = self.recorder.as_mut() {
            r.stored(pair, id, bytes);
        }
        if let Some(c) = self.chrome.as_mut() {
            c.stored(now, pair, id);
        }
    }

    /// A host saw a write complete, `latency` ns after issuing it.
    pub fn completed(&mut self, latency: u64) {
        if let Some(r) = self.recorder.as_mut() {
            r.completed(latency);
        }
    }

    /// Secondary `pair` is about to show write `id` (the checker does not know yet).
    pub fn applied(&mut self, now: u64, pair: u16, id: WriteId, checker: &Checker) {
        if let Some(r) = self.recorder.as_mut() {
            r.applied(now, pair, id, checker);
        }
        if let Some(c) = self.chrome.as_mut() {
            c.applied(now, pair, id);
        }
    }

    /// `from` put `msg` on the channel to `to` at `now`; `delivery` is what becomes of it.
    pub fn message(&mut self, now: u64, from: NodeId, to: NodeId, msg: &Msg, delivery: Delivery) {
        if let Some(r) = self.recorder.as_mut() {
            r.message(now, from, to, msg, delivery);
        }
        if let Some(c) = self.chrome.as_mut() {
            c.message(now, from, to, msg, delivery);
        }
    }

    /// `node` announced `what` (with the protocol's [`Note`] when it came from one).
    pub fn note(&mut self, now: u64, node: NodeId, what: &'static str, note: Option<Note>) {
        if let Some(r) = self.recorder.as_mut() {
            r.note(now, note);
        }
        if let Some(c) = self.chrome.as_mut() {
            c.note(now, node, what, note);
        }
    }

    /// Secondary `pair` became readable (`true`) or fenced at `now`; `all` is every secondary's
    /// state after the change (the image hosts can read is the union of the readable ones).
    pub fn readable(&mut self, now: u64, pair: u16, readable: bool, all: &Readability) {
        if let Some(r) = self.recorder.as_mut() {
            r.readable(all);
        }
        if let Some(c) = self.chrome.as_mut() {
            c.readable(now, pair, readable);
        }
    }
}
