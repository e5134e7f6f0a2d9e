//! One state of the search: every protocol node (cloned), every message in flight on every
//! channel, the armed timers, each secondary's applies in progress, volume blocks and readable
//! state, the hosts' history and the faults used so far. Two states that hash alike are one.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};

use super::setup::Setup;
use crate::check::{BlockAddr, WriteId};
use crate::protocol::checkpoint::{Primary, Secondary};
use crate::protocol::{Input, Msg, Node as _, Outputs, Renaming, Timer, WriteMeta};

/// A checkpoint role at one subsystem: the very state machines the simulator runs.
#[derive(Clone, Debug, Hash)]
pub enum Role {
    /// A primary subsystem.
    Primary(Primary),
    /// A secondary subsystem.
    Secondary(Secondary),
    /// A primary lost with its site: it never runs again, so what it held is forgotten, and
    /// states that differ only in the lost primaries' memory are one (see `exec`'s disaster).
    Gone,
}

impl Role {
    /// Hands `input` to the role at local time `now`.
    pub fn handle(&mut self, now: u64, input: Input, out: &mut Outputs) {
        match self {
            Role::Primary(p) => p.handle(now, input, out),
            Role::Secondary(s) => s.handle(now, input, out),
            Role::Gone => {}
        }
    }

    /// Renames every pair number the role holds by `r` (symmetry reduction).
    pub fn rename(&mut self, r: &Renaming) {
        match self {
            Role::Primary(p) => p.rename(r),
            Role::Secondary(s) => s.rename(r),
            Role::Gone => {}
        }
    }
}

/// A node shared between the states that did not change it (copy on write), with the
/// fingerprint of its contents kept beside it, so a step clones and rehashes only the nodes it
/// touches; and, once symmetry reduction asks, its fingerprints under each renaming of the
/// interchangeable pairs, kept the same way.
#[derive(Clone, Debug)]
pub struct Shared(Arc<Node>);

/// What a [`Shared`] holds.
#[derive(Clone, Debug)]
struct Node {
    role: Role,
    fp: u128,
    /// The role's fingerprint under each renaming of the one search this node belongs to.
    renamed: OnceLock<Box<[u128]>>,
}

impl Shared {
    /// The node of a primary lost with its site.
    pub fn gone() -> Self {
        Shared::new(Role::Gone)
    }

    /// Shares `role`.
    pub fn new(role: Role) -> Self {
        let fp = fingerprint(&role);
        Shared(Arc::new(Node {
            role,
            fp,
            renamed: OnceLock::new(),
        }))
    }

    /// The node itself.
    pub fn role(&self) -> &Role {
        &self.0.role
    }

    /// The fingerprint of its contents.
    pub fn fingerprint(&self) -> u128 {
        self.0.fp
    }

    /// The fingerprint the node would have under each of `renamings`, in order: computed the
    /// first time it is asked and kept, so a node that many states share is renamed once. A
    /// search asks with its one list of renamings throughout.
    pub fn renamed_fingerprints(&self, renamings: &[Renaming]) -> &[u128] {
        self.0.renamed.get_or_init(|| {
            renamings
                .iter()
                .map(|r| {
                    let mut role = self.0.role.clone();
                    role.rename(r);
                    fingerprint(&role)
                })
                .collect()
        })
    }

    /// Hands `input` to the node (cloning it first if another state shares it).
    pub fn handle(&mut self, now: u64, input: Input, out: &mut Outputs) {
        let inner = Arc::make_mut(&mut self.0);
        inner.role.handle(now, input, out);
        inner.fp = fingerprint(&inner.role);
        inner.renamed = OnceLock::new();
    }
}

impl Hash for Shared {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.0.fp.hash(h);
    }
}

/// The hosts' history: which writes were issued, which completed, and what each depends on.
#[derive(Clone, Debug, Default, Hash, PartialEq, Eq)]
pub struct Hosts {
    /// Bit `i`: the script's `i`-th write was issued.
    pub issued: u32,
    /// Bit `i`: it completed at the host.
    pub completed: u32,
    /// For each write, the writes that had completed when it was issued (it depends on them).
    pub preceded_by: Vec<u32>,
    /// For each write, its position in issue order (from 1; 0 while not issued): of two writes
    /// to one block, the later issued is the newer.
    pub rank: Vec<u8>,
}

/// Where the disaster stands.
#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub enum Disaster {
    /// Not (yet) struck.
    #[default]
    None,
    /// The primary site is gone; the takeover is not yet declared.
    Struck,
    /// The secondary site was told to take over.
    Declared,
}

/// A crash fault's progress.
#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq)]
pub enum CrashState {
    /// Not yet happened.
    #[default]
    Pending,
    /// The subsystem is down.
    Down,
    /// It came back.
    Restarted,
}

/// One state of the search.
#[derive(Clone, Debug)]
pub struct State {
    /// The search's time, the reference every clock follows; what a node's own clock reads is
    /// [`State::local`].
    pub now: u64,
    /// Each primary's clock offset from the master's, in ns, once chosen (`None` before): the
    /// master's is 0, every other primary's one of -E, 0 and +E, where E is the error bound the
    /// protocol starts with ([`Setup::clock_error`]). Secondaries have none (they stamp
    /// nothing).
    pub clocks: Vec<Option<i64>>,
    /// The nodes: primaries 0..n, then secondaries 0..n.
    pub nodes: Vec<Shared>,
    /// Messages in flight per channel (sender index, receiver index): in send order where the
    /// channel keeps order, else sorted (a multiset), so states that differ only in the order
    /// of an unordered channel are one.
    pub flights: BTreeMap<(u8, u8), Vec<Msg>>,
    /// Armed timers: (deadline, node index, timer), sorted; a node's timer may be armed twice.
    pub timers: Vec<(u64, u8, Timer)>,
    /// Each secondary's writes handed to its volume and not yet on it, in order.
    pub applying: Vec<VecDeque<WriteMeta>>,
    /// Each secondary's volume: the id each written block holds.
    pub volumes: Vec<BTreeMap<BlockAddr, WriteId>>,
    /// Each secondary's own fence (update in progress, takeover not finished): hosts may not
    /// read it.
    pub fenced: Vec<bool>,
    /// Each secondary that finished its part of the takeover.
    pub took_over: Vec<bool>,
    /// Every node that is down (crashed, or a primary after the disaster).
    pub down: Vec<bool>,
    /// Every node whose retransmission timer runs: one that lost a segment (to a loss, or to a
    /// receiver that was down) or an acknowledgement (while it was down itself). Elsewhere a
    /// retransmission would resend nothing, since a message that is not lost arrives before
    /// its sender's timeout, so the timer is not kept.
    pub resends: Vec<bool>,
    /// The hosts' history.
    pub hosts: Hosts,
    /// Each crash fault's progress.
    pub crashes: Vec<CrashState>,
    /// The disaster's progress.
    pub disaster: Disaster,
    /// Messages lost so far.
    pub losses: u8,
    /// Messages duplicated so far.
    pub duplicates: u8,
    /// Time value of the newest checkpoint the secondary master released (0: none).
    pub released_t: u64,
    /// Time value of the newest checkpoint every member applied (0: none).
    pub applied_t: u64,
}

impl Hash for State {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.hash_with(&mut self.nodes.iter().map(Shared::fingerprint), h);
    }
}

/// A state hashed with other fingerprints in place of its nodes' own (see
/// [`State::fingerprint_with`]).
struct WithNodes<'a>(&'a State, &'a [u128]);

impl Hash for WithNodes<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.0.hash_with(&mut self.1.iter().copied(), h);
    }
}

impl State {
    /// A 128-bit fingerprint of everything in the state (xxh3 over its `Hash`), the key of the
    /// visited set, as stateright and TLC key theirs.
    pub fn fingerprint(&self) -> u128 {
        fingerprint(self)
    }

    /// The fingerprint the state would have if its nodes' fingerprints were `nodes` (one per
    /// node, in order): how symmetry reduction fingerprints a renamed state from its nodes'
    /// kept renamed fingerprints without renaming the nodes again.
    pub fn fingerprint_with(&self, nodes: &[u128]) -> u128 {
        fingerprint(&WithNodes(self, nodes))
    }

    /// Feeds `h` every field, with `nodes` standing for the nodes' fingerprints. Every field is
    /// named, so a new one cannot be left out of the fingerprint unnoticed.
    fn hash_with<H: Hasher>(&self, nodes: &mut dyn Iterator<Item = u128>, h: &mut H) {
        let State {
            now,
            clocks,
            nodes: own,
            flights,
            timers,
            applying,
            volumes,
            fenced,
            took_over,
            down,
            resends,
            hosts,
            crashes,
            disaster,
            losses,
            duplicates,
            released_t,
            applied_t,
        } = self;
        now.hash(h);
        clocks.hash(h);
        own.len().hash(h);
        for fp in nodes {
            fp.hash(h);
        }
        flights.hash(h);
        timers.hash(h);
        applying.hash(h);
        volumes.hash(h);
        fenced.hash(h);
        took_over.hash(h);
        down.hash(h);
        resends.hash(h);
        hosts.hash(h);
        crashes.hash(h);
        disaster.hash(h);
        losses.hash(h);
        duplicates.hash(h);
        released_t.hash(h);
        applied_t.hash(h);
    }

    /// What node `idx`'s clock reads now: the reference time plus the setup's
    /// [`clock_lead`](Setup::clock_lead) plus the node's offset.
    pub fn local(&self, setup: &Setup, idx: usize) -> u64 {
        let offset = self.clocks.get(idx).copied().flatten().unwrap_or(0);
        let base = self.now.saturating_add(setup.clock_lead());
        base.saturating_add_signed(offset)
    }

    /// The first primary whose clock offset is still to be chosen, if any: the search starts
    /// the nodes only once every one is.
    pub fn unset_clock(&self) -> Option<usize> {
        self.clocks.iter().position(Option::is_none)
    }

    /// True when hosts may read secondary `i`: it is up and not fenced.
    pub fn readable(&self, pairs: u16, i: usize) -> bool {
        !self.fenced[i] && !self.down[usize::from(pairs) + i]
    }
}

/// xxh3's 128-bit hash of everything `x` feeds its `Hash`.
pub fn fingerprint(x: &impl Hash) -> u128 {
    thread_local! {
        static SINK: RefCell<Bytes> = const { RefCell::new(Bytes(Vec::new())) };
    }
    SINK.with(|sink| {
        let mut sink = sink.borrow_mut();
        sink.0.clear();
        x.hash(&mut *sink);
        xxhash_rust::xxh3::xxh3_128(&sink.0)
    })
}

/// A `Hasher` that only collects the bytes it is fed, hashed at once afterwards (one xxh3 call
/// over a buffer is several times faster than xxh3's streaming updates of a few bytes each).
struct Bytes(Vec<u8>);

impl Hasher for Bytes {
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    fn finish(&self) -> u64 {
        0
    }
}

/// The sort key of unordered channels: the message's trace digest.
pub fn msg_key(m: &Msg) -> [u64; 3] {
    m.digest()
}
