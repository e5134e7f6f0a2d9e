//! What a watcher of a run is told. The world calls its watchers at a few points (before each
//! event, when a write is stored, completed or applied, when a message is sent, when a node
//! announces a milestone, when the readable set changes); they read what happened and never steer
//! the run: no event, no random draw, nothing folded into the trace hash. The model names no
//! watcher: the recorded series and the Chrome trace implement this trait from outside, and
//! whoever attaches them takes them back at the end through [`Watcher::into_any`]. With none
//! attached, each call is one branch.

use std::any::Any;

use super::net::Delivery;
use super::readable::Readability;
use super::world::{Event, World};
use crate::check::{Checker, WriteId};
use crate::protocol::{Msg, NodeId, Note};

/// A reader of one run; every method defaults to doing nothing.
pub trait Watcher {
    /// `event` is about to be handled at `now`; `world` is as it stood since the previous event.
    fn before(&mut self, _now: u64, _event: &Event, _world: &World) {}

    /// Primary `pair` stored host write `id` of `bytes` on its volume.
    fn stored(&mut self, _now: u64, _pair: u16, _id: WriteId, _bytes: u32) {}

    /// A host saw a write complete, `latency` ns after issuing it.
    fn completed(&mut self, _latency: u64) {}

    /// Secondary `pair` is about to show write `id` (the checker does not know yet).
    fn applied(&mut self, _now: u64, _pair: u16, _id: WriteId, _checker: &Checker) {}

    /// `from` put `msg` on the channel to `to` at `now`; `delivery` is what becomes of it.
    fn message(&mut self, _now: u64, _from: NodeId, _to: NodeId, _msg: &Msg, _delivery: Delivery) {}

    /// `node` announced `what` (with the protocol's [`Note`] when it came from one).
    fn note(&mut self, _now: u64, _node: NodeId, _what: &'static str, _note: Option<Note>) {}

    /// Secondary `pair` became readable (`true`) or fenced at `now`; `all` is every secondary's
    /// state after the change (the image hosts can read is the union of the readable ones).
    fn readable(&mut self, _now: u64, _pair: u16, _readable: bool, _all: &Readability) {}

    /// The watcher as [`Any`], so whoever attached it can take its concrete type back.
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}
