//! `independent`: the prior art of the patent's Figure 1 (DRBD protocol A, SRDF/A single
//! session). Each primary completes host writes at once and ships them in order over its own link;
//! each secondary applies what arrives, in its pair's order, with no coordination across pairs.

use std::collections::BTreeSet;

use super::shipping::{BufferLimit, Offer, Shipper};
use super::stream::Streams;
use super::{Body, Input, Node, NodeId, Note, Output, Outputs, StreamView, Timer, WriteMeta};
use crate::check::WriteId;

/// The primary of one pair.
pub struct Primary {
    me: NodeId,
    streams: Streams,
    shipper: Shipper,
}

impl Primary {
    /// Primary of pair `pair`, resending after `rto` local ns, with a copy buffer `buffer`.
    pub fn new(pair: u16, rto: u64, buffer: Option<BufferLimit>) -> Self {
        Primary {
            me: NodeId::Primary(pair),
            streams: Streams::new(rto, true),
            shipper: Shipper::new(buffer),
        }
    }

    fn ship(&mut self, now: u64, w: WriteMeta, out: &mut Outputs) {
        out.push(Output::CompleteHost(w.id));
        let to = NodeId::Secondary(self.me.pair());
        self.streams.send(now, to, Body::Write(w), out);
    }
}

impl Node for Primary {
    fn stream_view(&self) -> Option<&dyn StreamView> {
        Some(&self.streams)
    }

    fn handle(&mut self, now: u64, input: Input, out: &mut Outputs) {
        let to = NodeId::Secondary(self.me.pair());
        match input {
            Input::HostWrite(w) => match self.shipper.offer(w, self.streams.unacked_writes(to)) {
                Offer::Ship => self.ship(now, w, out),
                Offer::Held => out.push(Output::Note(Note::Paced)),
                Offer::Recorded => out.push(Output::CompleteHost(w.id)),
                Offer::Suspend => {
                    out.push(Output::Note(Note::Suspended));
                    self.streams.send(now, to, Body::Suspended, out);
                    out.push(Output::CompleteHost(w.id));
                }
            },
            Input::Deliver { from, msg } => {
                self.streams.on_msg(now, from, msg, out);
                let ready = self.streams.take_ready();
                self.streams.give_back(ready);
                let (paced, resync) = self.shipper.progress(self.streams.unacked_writes(to));
                for w in paced {
                    self.ship(now, w, out);
                }
                if let Some(blocks) = resync {
                    for w in blocks {
                        self.streams.send(now, to, Body::Write(w), out);
                    }
                    self.streams
                        .send(now, to, Body::ResyncEnd { stamp: 0 }, out);
                }
            }
            Input::Timer(Timer::Retransmit) => self.streams.on_timer(now, out),
            Input::Restart => self.streams.restart(out),
            Input::Start | Input::Applied(_) | Input::Takeover | Input::Timer(_) => {}
        }
    }
}

/// The secondary of one pair: applies its primary's writes in arrival (stream) order.
pub struct Secondary {
    streams: Streams,
    taken_over: bool,
    /// While its primary's shipping is suspended or resynchronising, hosts are kept off.
    suspended: bool,
    /// Once the resync has ended: the writes sent before its end still being applied.
    resync_pending: Option<BTreeSet<WriteId>>,
    applying: BTreeSet<WriteId>,
}

impl Secondary {
    /// Secondary of pair `pair`.
    pub fn new(_pair: u16, rto: u64) -> Self {
        Secondary {
            streams: Streams::new(rto, true),
            taken_over: false,
            suspended: false,
            resync_pending: None,
            applying: BTreeSet::new(),
        }
    }

    /// Reopens to hosts once every write resent by the resync is on the volume.
    fn maybe_resynced(&mut self, out: &mut Outputs) {
        if self.resync_pending.as_ref().is_some_and(BTreeSet::is_empty) {
            self.resync_pending = None;
            self.suspended = false;
            out.push(Output::Note(Note::Resynced));
            out.push(Output::Fence(false));
        }
    }
}

impl Node for Secondary {
    fn takes_deliveries(&self) -> bool {
        !self.taken_over
    }

    fn stream_view(&self) -> Option<&dyn StreamView> {
        Some(&self.streams)
    }

    fn handle(&mut self, now: u64, input: Input, out: &mut Outputs) {
        match input {
            Input::Deliver { from, msg } if !self.taken_over => {
                self.streams.on_msg(now, from, msg, out);
                let mut ready = self.streams.take_ready();
                for (_, body) in ready.drain(..) {
                    match body {
                        Body::Write(w) => {
                            self.applying.insert(w.id);
                            out.push(Output::Apply(w));
                        }
                        Body::Suspended if !self.suspended => {
                            self.suspended = true;
                            out.push(Output::Fence(true));
                        }
                        Body::ResyncEnd { .. } => {
                            self.resync_pending = Some(self.applying.clone());
                        }
                        _ => {}
                    }
                }
                self.streams.give_back(ready);
                self.maybe_resynced(out);
            }
            Input::Applied(w) => {
                self.applying.remove(&w.id);
                if let Some(p) = self.resync_pending.as_mut() {
                    p.remove(&w.id);
                }
                self.maybe_resynced(out);
            }
            Input::Timer(Timer::Retransmit) => self.streams.on_timer(now, out),
            Input::Restart => self.streams.restart(out),
            Input::Takeover => {
                self.taken_over = true;
                if self.suspended {
                    self.suspended = false;
                    out.push(Output::Fence(false));
                }
                out.push(Output::TakeoverDone);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testnet::write;
    use crate::protocol::{Msg, WriteMeta};

    fn w(id: u64) -> WriteMeta {
        write(0, id, id as u32)
    }

    #[test]
    fn primary_completes_at_once_and_ships() {
        let mut p = Primary::new(0, 1000, None);
        let mut out = Outputs::new();
        p.handle(5, Input::HostWrite(w(1)), &mut out);
        let o = out.as_slice();
        assert_eq!(o[0], Output::CompleteHost(1));
        assert_eq!(
            o[1],
            Output::Send {
                to: NodeId::Secondary(0),
                msg: Msg::Seg {
                    seq: 0,
                    body: Body::Write(w(1))
                }
            }
        );
    }

    #[test]
    fn secondary_applies_in_stream_order_and_stops_at_takeover() {
        let mut s = Secondary::new(0, 1000);
        let mut out = Outputs::new();
        let from = NodeId::Primary(0);
        let seg = |seq, id| Input::Deliver {
            from,
            msg: Msg::Seg {
                seq,
                body: Body::Write(w(id)),
            },
        };
        s.handle(1, seg(1, 11), &mut out);
        s.handle(2, seg(0, 10), &mut out);
        let applied: Vec<_> = out
            .as_slice()
            .iter()
            .filter_map(|o| match o {
                Output::Apply(w) => Some(w.id),
                _ => None,
            })
            .collect();
        assert_eq!(applied, vec![10, 11]);
        out.drain();
        s.handle(3, Input::Takeover, &mut out);
        assert_eq!(out.as_slice(), &[Output::TakeoverDone]);
        out.drain();
        s.handle(4, seg(2, 12), &mut out);
        assert!(
            out.is_empty(),
            "a secondary that took over ignores its old primary"
        );
    }
}
