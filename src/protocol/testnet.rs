//! The one hand-driven network for unit tests of protocol roles together, without the engine or
//! the world: the nodes, the messages in flight (delivered in order, at once, unless a test
//! drops, duplicates, reorders or withholds them), the timers they set (fired when a test
//! advances time), the applies they start (landing when the network settles, or one at a time),
//! and one log of everything they asked of the world, which a test reads from a mark on.
//!
//! It is generic over the node type: the checkpoint role tests keep their nodes typed (to ask a
//! secondary what it buffers), the others hold `Box<dyn Node>`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::{Body, Input, Msg, Node, NodeId, Note, Output, Outputs, Timer, WriteMeta};
use crate::check::{BlockAddr, WriteId};

/// A boxed node is a node: the network holds mixed roles this way.
impl<T: Node + ?Sized> Node for Box<T> {
    fn handle(&mut self, now: u64, input: Input, out: &mut Outputs) {
        (**self).handle(now, input, out);
    }

    fn buffered(&self) -> usize {
        (**self).buffered()
    }

    fn takes_deliveries(&self) -> bool {
        (**self).takes_deliveries()
    }

    fn stream_view(&self) -> Option<&dyn super::node::StreamView> {
        (**self).stream_view()
    }

    fn prefetch(&self, from: NodeId, ahead: usize) {
        (**self).prefetch(from, ahead);
    }
}

/// One message in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flight {
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// Contents.
    pub msg: Msg,
}

impl Flight {
    /// The payload of a stream segment or datagram (an acknowledgement has none).
    pub fn body(&self) -> Option<Body> {
        match self.msg {
            Msg::Seg { body, .. } | Msg::Dgram(body) => Some(body),
            Msg::Ack { .. } => None,
        }
    }
}

/// What a node asked of the world, or what became of its apply, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ev {
    /// It sent a message (logged even when the network then loses it to a silent end).
    Send(Flight),
    /// It fenced (`on`) or opened its image.
    Fence {
        /// The node.
        node: NodeId,
        /// Fenced.
        on: bool,
    },
    /// It handed a write to its volume.
    Apply {
        /// The node.
        node: NodeId,
        /// The write.
        w: WriteMeta,
    },
    /// That write landed on the volume.
    Landed {
        /// The node.
        node: NodeId,
        /// The write.
        w: WriteMeta,
    },
    /// It finished its part of the takeover.
    TakeoverDone {
        /// The node.
        node: NodeId,
    },
    /// It announced a milestone.
    Note {
        /// The node.
        node: NodeId,
        /// The milestone.
        note: Note,
    },
}

/// The nodes and everything between them.
pub struct TestNet<N: Node = Box<dyn Node>> {
    /// Local time of every node.
    pub now: u64,
    nodes: BTreeMap<NodeId, N>,
    /// Messages in flight, oldest first.
    pub flight: VecDeque<Flight>,
    /// Messages withheld on blocked links until [`TestNet::unblock`], in send order.
    pub held: Vec<Flight>,
    blocked: BTreeSet<(NodeId, NodeId)>,
    /// Applies handed to volumes and not yet landed, oldest first.
    pub applying: VecDeque<(NodeId, WriteMeta)>,
    /// Armed timers and when they fire (the latest setting wins).
    pub timers: BTreeMap<(NodeId, Timer), u64>,
    /// Each node's landed writes, in order.
    pub landed: BTreeMap<NodeId, Vec<WriteId>>,
    /// Each node's last fence.
    pub fenced: BTreeMap<NodeId, bool>,
    /// Host writes completed, in order.
    pub completed: Vec<WriteId>,
    /// Nodes that finished their takeover.
    pub taken_over: BTreeSet<NodeId>,
    /// Silent nodes: nothing reaches them or leaves them, their timers do not fire.
    pub down: BTreeSet<NodeId>,
    /// Everything the nodes asked of the world, in order (see [`TestNet::mark`]).
    pub log: Vec<Ev>,
    out: Outputs,
}

impl<N: Node> TestNet<N> {
    /// A network of `nodes`.
    pub fn new(nodes: Vec<(NodeId, N)>) -> Self {
        TestNet {
            now: 0,
            nodes: nodes.into_iter().collect(),
            flight: VecDeque::new(),
            held: Vec::new(),
            blocked: BTreeSet::new(),
            applying: VecDeque::new(),
            timers: BTreeMap::new(),
            landed: BTreeMap::new(),
            fenced: BTreeMap::new(),
            completed: Vec::new(),
            taken_over: BTreeSet::new(),
            down: BTreeSet::new(),
            log: Vec::new(),
            out: Outputs::new(),
        }
    }

    /// Node `id`, to ask it about its state.
    pub fn node(&self, id: NodeId) -> &N {
        &self.nodes[&id]
    }

    /// Every node, in [`NodeId`] order.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, &N)> {
        self.nodes.iter().map(|(&id, n)| (id, n))
    }

    /// Hands `input` to `node` now and carries out what it asks (nothing if it is silent).
    pub fn input(&mut self, node: NodeId, input: Input) {
        if self.down.contains(&node) {
            return;
        }
        let Some(n) = self.nodes.get_mut(&node) else {
            return;
        };
        n.handle(self.now, input, &mut self.out);
        let outs: Vec<Output> = self.out.drain().collect();
        for o in outs {
            match o {
                Output::Send { to, msg } => {
                    let f = Flight {
                        from: node,
                        to,
                        msg,
                    };
                    self.log.push(Ev::Send(f));
                    self.route(f);
                }
                Output::SetTimer { after, timer } => {
                    self.timers.insert((node, timer), self.now + after);
                }
                Output::CompleteHost(id) => self.completed.push(id),
                Output::Apply(w) => {
                    self.log.push(Ev::Apply { node, w });
                    self.applying.push_back((node, w));
                }
                Output::Fence(on) => {
                    self.log.push(Ev::Fence { node, on });
                    self.fenced.insert(node, on);
                }
                Output::TakeoverDone => {
                    self.log.push(Ev::TakeoverDone { node });
                    self.taken_over.insert(node);
                }
                Output::SetClock(_) => {}
                Output::Note(note) => self.log.push(Ev::Note { node, note }),
            }
        }
    }

    /// Starts every node, in [`NodeId`] order (primaries first).
    pub fn start(&mut self) {
        let ids: Vec<NodeId> = self.nodes.keys().copied().collect();
        for id in ids {
            self.input(id, Input::Start);
        }
    }

    /// Puts a message on the network: lost if either end is silent, withheld on a blocked link,
    /// queued otherwise.
    fn route(&mut self, f: Flight) {
        if self.down.contains(&f.from) || self.down.contains(&f.to) {
        } else if self.blocked.contains(&(f.from, f.to)) {
            self.held.push(f);
        } else {
            self.flight.push_back(f);
        }
    }

    /// Delivers `f` now, unless an end fell silent (lost) or its link is blocked (withheld).
    pub fn deliver(&mut self, f: Flight) {
        if self.down.contains(&f.from) || self.down.contains(&f.to) {
        } else if self.blocked.contains(&(f.from, f.to)) {
            self.held.push(f);
        } else {
            self.input(
                f.to,
                Input::Deliver {
                    from: f.from,
                    msg: f.msg,
                },
            );
        }
    }

    /// Delivers the oldest message in flight; false if none.
    pub fn deliver_next(&mut self) -> bool {
        match self.flight.pop_front() {
            Some(f) => {
                self.deliver(f);
                true
            }
            None => false,
        }
    }

    /// Delivers messages until none is in flight, leaving applies pending; returns how many.
    pub fn deliver_all(&mut self) -> usize {
        let mut n = 0;
        while self.deliver_next() {
            n += 1;
            assert!(n < 100_000, "messages never stop");
        }
        n
    }

    /// Lands `node`'s oldest apply on its volume; false if it has none.
    pub fn land(&mut self, node: NodeId) -> bool {
        let Some(i) = self.applying.iter().position(|&(n, _)| n == node) else {
            return false;
        };
        let (_, w) = self.applying.remove(i).expect("an apply");
        if self.down.contains(&node) {
            return true;
        }
        self.log.push(Ev::Landed { node, w });
        self.landed.entry(node).or_default().push(w.id);
        self.input(node, Input::Applied(w));
        true
    }

    /// Delivers messages and lands applies until nothing is in flight; returns how many.
    pub fn settle(&mut self) -> usize {
        let mut n = 0;
        loop {
            if self.deliver_next() {
                n += 1;
            } else if let Some(&(node, _)) = self.applying.front() {
                n += 1;
                self.land(node);
            } else {
                return n;
            }
            assert!(n < 100_000, "the network never settles");
        }
    }

    /// Removes and returns the oldest message in flight that `pred` picks (`what` names it in
    /// the panic if none does).
    pub fn take(&mut self, what: &str, pred: impl Fn(&Flight) -> bool) -> Flight {
        let i = self
            .flight
            .iter()
            .position(&pred)
            .unwrap_or_else(|| panic!("no {what} in flight: {:?}", self.flight));
        self.flight.remove(i).expect("a message")
    }

    /// Delivers the oldest message in flight that `pred` picks, out of FIFO order.
    pub fn deliver_where(&mut self, what: &str, pred: impl Fn(&Flight) -> bool) {
        let f = self.take(what, pred);
        self.deliver(f);
    }

    /// Duplicates the oldest message in flight that `pred` picks (the copy goes last).
    pub fn dup_where(&mut self, what: &str, pred: impl Fn(&Flight) -> bool) {
        let i = self
            .flight
            .iter()
            .position(&pred)
            .unwrap_or_else(|| panic!("no {what} in flight"));
        let f = self.flight[i];
        self.flight.push_back(f);
    }

    /// Moves the message `late` picks to just before the one `early` picks.
    pub fn move_before(&mut self, late: impl Fn(&Flight) -> bool, early: impl Fn(&Flight) -> bool) {
        let f = self.take("message to move", late);
        let j = self
            .flight
            .iter()
            .position(&early)
            .expect("message to move before");
        self.flight.insert(j, f);
    }

    /// Drops every message in flight that `lose` picks; returns how many.
    pub fn drop_where(&mut self, lose: impl Fn(&Flight) -> bool) -> usize {
        let before = self.flight.len();
        self.flight.retain(|f| !lose(f));
        before - self.flight.len()
    }

    /// Withholds everything `from` sends `to` until [`TestNet::unblock`].
    pub fn block(&mut self, from: NodeId, to: NodeId) {
        self.blocked.insert((from, to));
    }

    /// Lets the link carry messages again, the withheld ones first (in their order).
    pub fn unblock(&mut self, from: NodeId, to: NodeId) {
        self.blocked.remove(&(from, to));
        let (back, keep): (Vec<Flight>, Vec<Flight>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|f| f.from == from && f.to == to);
        self.held = keep;
        self.flight.extend(back);
    }

    /// Removes and returns a withheld message.
    pub fn take_held(&mut self, what: &str, pred: impl Fn(&Flight) -> bool) -> Flight {
        let i = self
            .held
            .iter()
            .position(pred)
            .unwrap_or_else(|| panic!("no {what} withheld: {:?}", self.held));
        self.held.remove(i)
    }

    /// `node` falls silent: what is in flight to or from it is lost, and so is whatever it
    /// sends or is sent until [`TestNet::heal`]; its timers do not fire.
    pub fn cut(&mut self, node: NodeId) {
        self.down.insert(node);
        self.flight.retain(|f| f.from != node && f.to != node);
        self.held.retain(|f| f.from != node && f.to != node);
    }

    /// `node` is heard again.
    pub fn heal(&mut self, node: NodeId) {
        self.down.remove(&node);
    }

    /// Moves time to `t`, firing due timers in time order (settling after each).
    pub fn advance_to(&mut self, t: u64) {
        self.advance_where(t, |_, _| true);
    }

    /// Moves time to `t`, firing in time order every due timer of a node that is not silent and
    /// that `fires` admits, settling the network after each.
    pub fn advance_where(&mut self, t: u64, fires: impl Fn(NodeId, Timer) -> bool) {
        loop {
            let next = self
                .timers
                .iter()
                .filter(|(&(n, tm), &due)| due <= t && !self.down.contains(&n) && fires(n, tm))
                .map(|(&k, &due)| (due, k))
                .min();
            let Some((due, (node, timer))) = next else {
                break;
            };
            self.now = self.now.max(due);
            self.fire(node, timer);
            self.settle();
        }
        self.now = self.now.max(t);
    }

    /// Fires `timer` at `node` now, whether armed or not.
    pub fn fire(&mut self, node: NodeId, timer: Timer) {
        self.timers.remove(&(node, timer));
        self.input(node, Input::Timer(timer));
    }

    /// A mark in the log: the queries below read what happened after it (0: everything).
    pub fn mark(&self) -> usize {
        self.log.len()
    }

    /// Log index of the first event since `mark` that `pred` picks.
    pub fn first(&self, mark: usize, pred: impl Fn(&Ev) -> bool) -> Option<usize> {
        self.log[mark..].iter().position(pred).map(|i| i + mark)
    }

    /// What `pick` takes from each event since `mark`, in order.
    pub fn since<T>(&self, mark: usize, pick: impl Fn(&Ev) -> Option<T>) -> Vec<T> {
        self.log[mark..].iter().filter_map(pick).collect()
    }

    /// Every message sent since `mark`, in order.
    pub fn sent(&self, mark: usize) -> Vec<Flight> {
        self.since(mark, |e| match e {
            Ev::Send(f) => Some(*f),
            _ => None,
        })
    }

    /// Payloads sent since `mark`: (from, to, body).
    pub fn sends(&self, mark: usize) -> Vec<(NodeId, NodeId, Body)> {
        self.sent(mark)
            .into_iter()
            .filter_map(|f| f.body().map(|b| (f.from, f.to, b)))
            .collect()
    }

    /// Writes `node` was told to apply since `mark`.
    pub fn applies(&self, mark: usize, node: NodeId) -> Vec<WriteId> {
        self.since(mark, |e| match e {
            Ev::Apply { node: n, w } if *n == node => Some(w.id),
            _ => None,
        })
    }

    /// Fence changes since `mark`: (node, fenced).
    pub fn fences(&self, mark: usize) -> Vec<(NodeId, bool)> {
        self.since(mark, |e| match e {
            Ev::Fence { node, on } => Some((*node, *on)),
            _ => None,
        })
    }

    /// Notes made since `mark`: (node, note).
    pub fn notes(&self, mark: usize) -> Vec<(NodeId, Note)> {
        self.since(mark, |e| match e {
            Ev::Note { node, note } => Some((*node, *note)),
            _ => None,
        })
    }

    /// The notes `node` made that `pick` selects.
    pub fn notes_of(&self, node: NodeId, pick: impl Fn(&Note) -> bool) -> Vec<Note> {
        self.notes(0)
            .into_iter()
            .filter(|(n, note)| *n == node && pick(note))
            .map(|(_, note)| note)
            .collect()
    }

    /// Writes landed on `node`'s volume, in order.
    pub fn landed_on(&self, node: NodeId) -> Vec<WriteId> {
        self.landed.get(&node).cloned().unwrap_or_default()
    }

    /// Whether `node`'s image is fenced now.
    pub fn is_fenced(&self, node: NodeId) -> bool {
        self.fenced.get(&node).copied().unwrap_or(false)
    }

    /// True when no node has the image fenced.
    pub fn open(&self) -> bool {
        !self.fenced.values().any(|&f| f)
    }
}

/// Host write `id` of 512 bytes to `block` of pair `pair`'s volume 0, not yet stamped: the write
/// every protocol's unit tests feed their nodes.
pub fn write(pair: u16, id: WriteId, block: u32) -> WriteMeta {
    WriteMeta {
        id,
        addr: BlockAddr {
            subsystem: pair,
            volume: 0,
            block,
        },
        size: 512,
        stamp: 0,
        arrived: 0,
    }
}
