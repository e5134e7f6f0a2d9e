//! A hand-driven network for unit tests of protocol roles together, without the engine or the
//! world: the nodes, the messages in flight (delivered in order, at once, unless a test drops or
//! holds them), the timers they set (fired when a test advances time), the applies they start
//! (landing when delivered like messages), and a log of what they asked of the world.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::{Input, Msg, Node, NodeId, Note, Output, Outputs, Timer, WriteMeta};
use crate::check::{BlockAddr, WriteId};

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

/// The nodes and everything between them.
pub struct TestNet {
    /// Local time of every node.
    pub now: u64,
    nodes: BTreeMap<NodeId, Box<dyn Node>>,
    /// Messages in flight, oldest first.
    pub flight: VecDeque<Flight>,
    /// Applies handed to volumes and not yet landed.
    pub applying: VecDeque<(NodeId, WriteMeta)>,
    /// Armed timers and when they fire (the latest setting wins).
    pub timers: BTreeMap<(NodeId, Timer), u64>,
    /// Each secondary's landed writes, in order.
    pub landed: BTreeMap<NodeId, Vec<WriteId>>,
    /// Each node's last fence.
    pub fenced: BTreeMap<NodeId, bool>,
    /// Host writes completed, in order.
    pub completed: Vec<WriteId>,
    /// Notes, in order.
    pub notes: Vec<(NodeId, Note)>,
    /// Nodes that finished their takeover.
    pub taken_over: BTreeSet<NodeId>,
    /// Silent nodes: nothing reaches them, their timers do not fire.
    pub down: BTreeSet<NodeId>,
    /// Every message sent, in order (the trace a test can search).
    pub sent: Vec<Flight>,
    out: Outputs,
}

impl TestNet {
    /// A network of `nodes`.
    pub fn new(nodes: Vec<(NodeId, Box<dyn Node>)>) -> Self {
        TestNet {
            now: 0,
            nodes: nodes.into_iter().collect(),
            flight: VecDeque::new(),
            applying: VecDeque::new(),
            timers: BTreeMap::new(),
            landed: BTreeMap::new(),
            fenced: BTreeMap::new(),
            completed: Vec::new(),
            notes: Vec::new(),
            taken_over: BTreeSet::new(),
            down: BTreeSet::new(),
            sent: Vec::new(),
            out: Outputs::new(),
        }
    }

    /// Hands `input` to `node` now and records what it asks.
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
                    self.sent.push(f);
                    self.flight.push_back(f);
                }
                Output::SetTimer { after, timer } => {
                    self.timers.insert((node, timer), self.now + after);
                }
                Output::CompleteHost(id) => self.completed.push(id),
                Output::Apply(w) => self.applying.push_back((node, w)),
                Output::Fence(on) => {
                    self.fenced.insert(node, on);
                }
                Output::TakeoverDone => {
                    self.taken_over.insert(node);
                }
                Output::SetClock(_) => {}
                Output::Note(n) => self.notes.push((node, n)),
            }
        }
    }

    /// Starts every node.
    pub fn start(&mut self) {
        let ids: Vec<NodeId> = self.nodes.keys().copied().collect();
        for id in ids {
            self.input(id, Input::Start);
        }
    }

    /// Delivers messages until none is in flight, leaving applies pending; returns how many.
    pub fn deliver_all(&mut self) -> usize {
        let mut n = 0;
        while let Some(f) = self.flight.pop_front() {
            n += 1;
            self.input(
                f.to,
                Input::Deliver {
                    from: f.from,
                    msg: f.msg,
                },
            );
        }
        n
    }

    /// Delivers messages and lands applies until nothing is in flight; returns how many.
    pub fn settle(&mut self) -> usize {
        let mut n = 0;
        loop {
            if let Some(f) = self.flight.pop_front() {
                n += 1;
                self.input(
                    f.to,
                    Input::Deliver {
                        from: f.from,
                        msg: f.msg,
                    },
                );
            } else if let Some((node, w)) = self.applying.pop_front() {
                n += 1;
                if !self.down.contains(&node) {
                    self.landed.entry(node).or_default().push(w.id);
                    self.input(node, Input::Applied(w));
                }
            } else {
                return n;
            }
        }
    }

    /// Drops every message in flight that `lose` picks; returns how many.
    pub fn drop_where(&mut self, lose: impl Fn(&Flight) -> bool) -> usize {
        let before = self.flight.len();
        self.flight.retain(|f| !lose(f));
        before - self.flight.len()
    }

    /// Moves time to `t`, firing due timers in order (settling after each).
    pub fn advance_to(&mut self, t: u64) {
        loop {
            let next = self
                .timers
                .iter()
                .filter(|((node, _), &at)| at <= t && !self.down.contains(node))
                .min_by_key(|(k, &at)| (at, **k))
                .map(|(k, &at)| (*k, at));
            let Some(((node, timer), at)) = next else {
                break;
            };
            self.timers.remove(&(node, timer));
            self.now = self.now.max(at);
            self.input(node, Input::Timer(timer));
            self.settle();
        }
        self.now = self.now.max(t);
    }

    /// Fires `timer` at `node` now, whether armed or not.
    pub fn fire(&mut self, node: NodeId, timer: Timer) {
        self.timers.remove(&(node, timer));
        self.input(node, Input::Timer(timer));
    }

    /// The notes `node` made that `pick` selects.
    pub fn notes_of(&self, node: NodeId, pick: impl Fn(&Note) -> bool) -> Vec<Note> {
        self.notes
            .iter()
            .filter(|(n, note)| *n == node && pick(note))
            .map(|(_, note)| *note)
            .collect()
    }

    /// Writes landed on `node`'s volume, in order.
    pub fn landed_on(&self, node: NodeId) -> Vec<WriteId> {
        self.landed.get(&node).cloned().unwrap_or_default()
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
