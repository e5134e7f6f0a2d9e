//! `sync`: synchronous copy. A host write completes only after the counterpart secondary has
//! applied it, so no later write can depend on a write the secondary lacks; the price is a link
//! round trip on every host write.

use std::collections::BTreeSet;

use super::stream::Streams;
use super::{Body, Input, Node, NodeId, Output, Outputs, StreamView, Timer};
use crate::check::WriteId;

/// The primary of one pair: holds each host write until its secondary acknowledges it.
pub struct Primary {
    me: NodeId,
    streams: Streams,
    waiting: BTreeSet<WriteId>,
}

impl Primary {
    /// Primary of pair `pair`, resending after `rto` local ns.
    pub fn new(pair: u16, rto: u64) -> Self {
        Primary {
            me: NodeId::Primary(pair),
            streams: Streams::new(rto, true),
            waiting: BTreeSet::new(),
        }
    }
}

impl Node for Primary {
    fn stream_view(&self) -> Option<&dyn StreamView> {
        Some(&self.streams)
    }

    fn handle(&mut self, now: u64, input: Input, out: &mut Outputs) {
        match input {
            Input::HostWrite(w) => {
                self.waiting.insert(w.id);
                let to = NodeId::Secondary(self.me.pair());
                self.streams.send(now, to, Body::Write(w), out);
            }
            Input::Deliver { from, msg } => {
                self.streams.on_msg(now, from, msg, out);
                let mut ready = self.streams.take_ready();
                for (_, body) in ready.drain(..) {
                    if let Body::WriteAck(id) = body {
                        if self.waiting.remove(&id) {
                            out.push(Output::CompleteHost(id));
                        }
                    }
                }
                self.streams.give_back(ready);
            }
            Input::Timer(Timer::Retransmit) => self.streams.on_timer(now, out),
            Input::Restart => self.streams.restart(out),
            Input::Start | Input::Applied(_) | Input::Takeover | Input::Timer(_) => {}
        }
    }
}

/// The secondary of one pair: applies each write and acknowledges it once it is on the volume.
pub struct Secondary {
    me: NodeId,
    streams: Streams,
    taken_over: bool,
}

impl Secondary {
    /// Secondary of pair `pair`.
    pub fn new(pair: u16, rto: u64) -> Self {
        Secondary {
            me: NodeId::Secondary(pair),
            streams: Streams::new(rto, true),
            taken_over: false,
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
                    if let Body::Write(w) = body {
                        out.push(Output::Apply(w));
                    }
                }
                self.streams.give_back(ready);
            }
            Input::Applied(w) if !self.taken_over => {
                let to = NodeId::Primary(self.me.pair());
                self.streams.send(now, to, Body::WriteAck(w.id), out);
            }
            Input::Timer(Timer::Retransmit) if !self.taken_over => self.streams.on_timer(now, out),
            Input::Restart => self.streams.restart(out),
            Input::Takeover => {
                self.taken_over = true;
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
        write(0, id, 0)
    }

    #[test]
    fn host_write_completes_only_after_the_secondary_acknowledges() {
        let mut p = Primary::new(0, 1000);
        let mut out = Outputs::new();
        p.handle(0, Input::HostWrite(w(7)), &mut out);
        assert!(!out.as_slice().contains(&Output::CompleteHost(7)));
        out.drain();
        let ack = Input::Deliver {
            from: NodeId::Secondary(0),
            msg: Msg::Seg {
                seq: 0,
                body: Body::WriteAck(7),
            },
        };
        p.handle(10, ack, &mut out);
        assert!(out.as_slice().contains(&Output::CompleteHost(7)));
        out.drain();
        p.handle(11, ack, &mut out);
        assert!(
            !out.as_slice().contains(&Output::CompleteHost(7)),
            "a duplicate acknowledgement completes nothing twice"
        );
    }

    #[test]
    fn secondary_acknowledges_after_apply() {
        let mut s = Secondary::new(0, 1000);
        let mut out = Outputs::new();
        s.handle(
            0,
            Input::Deliver {
                from: NodeId::Primary(0),
                msg: Msg::Seg {
                    seq: 0,
                    body: Body::Write(w(7)),
                },
            },
            &mut out,
        );
        assert!(out.as_slice().contains(&Output::Apply(w(7))));
        out.drain();
        s.handle(5, Input::Applied(w(7)), &mut out);
        assert!(out.as_slice().iter().any(|o| matches!(
            o,
            Output::Send {
                to: NodeId::Primary(0),
                msg: Msg::Seg {
                    body: Body::WriteAck(7),
                    ..
                }
            }
        )));
    }
}
