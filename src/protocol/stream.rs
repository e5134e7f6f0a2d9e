//! Reliable ordered streams between nodes, over a network that may lose, duplicate and reorder:
//! numbered segments, cumulative plus selective acknowledgements, retransmission on a timer with
//! exponential backoff and a bounded burst (so a long outage does not end in a retransmission
//! storm that starves new data), and a receive side that hands payloads on in order, once each,
//! holding early arrivals until the gap fills. This is what keeps a checkpoint from overtaking a
//! write it covers on a multi-path link.

use std::collections::{BTreeMap, VecDeque};
use std::hash::{Hash, Hasher};

use super::node::{Arrival, StreamView};
use super::pairset::PairSet;
use super::{Body, Msg, NodeId, Output, Outputs, Renaming, Timer};
use crate::engine::hint;

/// One unacknowledged segment. Its seq is not kept: the queue holds consecutive seqs ending
/// just below `Peer::next_send` (so this is 64 bytes, one cache line and a smaller allocation
/// for each of the start-up's two million single-segment queues).
#[derive(Clone, Copy, Debug, Hash)]
struct Pending {
    body: Body,
    sent_at: u64,
    /// Times it was resent; after the first the wait doubles (and stays there: a longer backoff
    /// would let a few unlucky losses stall a stream for longer than any liveness bound).
    tries: u32,
    /// The receiver holds it beyond a gap (selective acknowledgement): never resend it.
    held: bool,
}

/// Segments resent to one peer per timer tick at most.
const RESEND_BURST: usize = 32;

/// Only the oldest this many unacknowledged segments are ever resent: the receiver's selective
/// acknowledgement covers no more, so later ones may well have arrived (resending them blind
/// once saturated a slow copy stage with duplicates).
const RESEND_WINDOW: u64 = 64;

/// The measured retransmission timeout of a peer is at most this many times the configured one
/// (see [`worst_resend_wait`]).
const MAX_RTO_FACTOR: u64 = 64;

/// The longest a segment can wait from its first send to its last resend when it is lost
/// `losses` times in a row to a peer whose timeout sits at its cap: one capped timeout, then
/// twice that for every resend after the first (a resent segment waits twice the timeout), plus
/// up to one configured timeout between retransmission ticks. The fuzz generator sizes the
/// drain of a lossy heavy-tailed link by it.
pub fn worst_resend_wait(configured: u64, losses: u64) -> u64 {
    let cap = configured.saturating_mul(MAX_RTO_FACTOR);
    cap.saturating_mul(losses.saturating_mul(2).saturating_sub(1))
        .saturating_add(configured)
}

/// The stages of the streams' [`StreamView::prefetch`], by how many events ahead each runs: the
/// struct's index and peer pointers first, then the index entry, the peer's record and its
/// oldest segment.
const HINT_STRUCT: usize = 3;
/// See [`HINT_STRUCT`].
const HINT_INDEX: usize = 2;
/// See [`HINT_STRUCT`].
const HINT_PEER: usize = 1;
/// See [`HINT_STRUCT`].
const HINT_SEGMENT: usize = 0;
const _: () = assert!(
    HINT_STRUCT < crate::engine::run::LOOKAHEAD,
    "the run loop hints far enough ahead for every stage"
);

/// `Streams::index` entry of a node never talked to.
const ABSENT: u32 = u32::MAX;

/// A node's dense number among all nodes (primary `i` is `2i`, secondary `i` is `2i + 1`): the
/// position of its entry in `Streams::index`.
fn dense(n: NodeId) -> usize {
    match n {
        NodeId::Primary(i) => 2 * usize::from(i),
        NodeId::Secondary(i) => 2 * usize::from(i) + 1,
    }
}

/// The node of [`dense`] number `k`.
fn undense(k: usize) -> NodeId {
    let i = u16::try_from(k / 2).unwrap_or(u16::MAX);
    if k.is_multiple_of(2) {
        NodeId::Primary(i)
    } else {
        NodeId::Secondary(i)
    }
}

/// The index of `n`'s role in `Streams::outstanding`: primaries first, as in node order.
fn role(n: NodeId) -> usize {
    match n {
        NodeId::Primary(_) => 0,
        NodeId::Secondary(_) => 1,
    }
}

/// Where an arriving segment falls in its stream: what [`Streams::on_msg`] does with it and
/// what [`StreamView::arrival`] foretells both start from this one comparison.
enum Place {
    /// The next in order: handed on, with whatever waited behind it.
    Next,
    /// Beyond a gap: held until the gap fills (unless held already, a duplicate).
    Beyond,
    /// Handed on before: a duplicate.
    Behind,
}

/// Where segment `seq` falls in a stream whose next expected segment is `next`.
fn place(next: u64, seq: u64) -> Place {
    match seq.cmp(&next) {
        std::cmp::Ordering::Equal => Place::Next,
        std::cmp::Ordering::Greater => Place::Beyond,
        std::cmp::Ordering::Less => Place::Behind,
    }
}

/// The nodes of `Streams::outstanding`'s two sets, in node order.
fn nodes_in(sets: &[PairSet; 2]) -> impl Iterator<Item = NodeId> + '_ {
    let [primaries, secondaries] = sets;
    (primaries.iter().map(NodeId::Primary)).chain(secondaries.iter().map(NodeId::Secondary))
}

/// Both directions of the stream with one peer. A node keeps one of these for every peer it
/// has talked to, and under the checkpoint protocol every primary talks to every other (the
/// copy-active exchange, steps 202-206) and so does every secondary: with 1,024 pairs that is
/// two million of them. So it is small: segments held beyond a gap live in the node's one
/// `Streams::held` map (empty but for reordering), and the unacknowledged queue allocates
/// nothing until used and then room for exactly one segment, the most most peers ever have.
#[derive(Clone, Default, Debug, Hash)]
struct Peer {
    next_send: u64,
    next_recv: u64,
    /// Segments sent and not acknowledged, by consecutive seq (pushed at the back, acknowledged
    /// from the front), the last of seq `next_send - 1` (see [`Peer::front_seq`]).
    unacked: VecDeque<Pending>,
    /// How many of `unacked` the receiver holds beyond a gap (`Pending::held`).
    unacked_held: u32,
    /// How many of `unacked` carry a write's data: what a bounded copy buffer counts (control
    /// segments such as checkpoints take no room in it).
    unacked_writes: u32,
    /// Smoothed round trip in ns (RFC 6298's SRTT), 0 before the first sample.
    srtt: u32,
    /// Round-trip variation in ns (RFC 6298's RTTVAR).
    rttvar: u32,
}

impl Peer {
    /// The seq of the oldest unacknowledged segment (`next_send` when there is none).
    fn front_seq(&self) -> u64 {
        self.next_send - self.unacked.len() as u64
    }

    /// Takes one round-trip sample (RFC 6298, section 2, in integer nanoseconds).
    fn sample_rtt(&mut self, rtt: u64) {
        let r = u32::try_from(rtt).unwrap_or(u32::MAX);
        if self.srtt == 0 {
            self.srtt = r.max(1);
            self.rttvar = r / 2;
        } else {
            let dev = self.srtt.abs_diff(r);
            self.rttvar = ((3 * u64::from(self.rttvar) + u64::from(dev)) / 4) as u32;
            self.srtt = ((7 * u64::from(self.srtt) + u64::from(r)) / 8).max(1) as u32;
        }
    }

    /// How long a segment to this peer waits for its acknowledgement before it is resent: the
    /// configured timeout, or longer where this peer's measured round trips say so (SRTT plus four
    /// RTTVAR, as TCP does), at most [`MAX_RTO_FACTOR`] times the configured one. Without it a
    /// heavy-tailed link whose round trips often exceed the configured timeout is flooded with
    /// needless resends, which queue behind each other on an in-order path and slow the stream to
    /// a crawl (fuzz seeds 1165, 2430, 3501, 5082, 6932 and 9161 under `central`).
    fn rto(&self, configured: u64) -> u64 {
        let measured = u64::from(self.srtt) + 4 * u64::from(self.rttvar);
        measured.clamp(configured, configured.saturating_mul(MAX_RTO_FACTOR))
    }
}

/// A node's streams to all its peers.
#[derive(Clone, Debug)]
pub struct Streams {
    /// By [`dense`] number of a peer: its position in `peers`, or [`ABSENT`]. Looking a peer up
    /// costs one index, whatever the number of pairs.
    index: Vec<u32>,
    /// The two peers looked up last, as (`dense` number, position in `peers`), the latest
    /// first, or [`ABSENT`]: with many pairs `index` is kilobytes per node and a lookup in it a
    /// cache miss on every message, while a node mostly talks to two peers at a time (a primary
    /// to its secondary and the master).
    recent: [(u32, u32); 2],
    /// Every peer talked to (and not reset since), in the order first talked to.
    peers: Vec<Peer>,
    /// Positions in `peers` freed by [`Streams::reset_peer`], reused first.
    free: Vec<u32>,
    /// Segments received beyond a gap, by (the sender's [`dense`] number, seq).
    held: BTreeMap<(u32, u64), Body>,
    /// The peers with unacknowledged segments, primaries' pair numbers then secondaries': all a
    /// timer tick needs to visit, in node order (a master talks to every subsystem, but has
    /// segments outstanding to few at any time). Bits, so that the copy-active exchange, whose
    /// acknowledgements come back in any order, marks and clears each peer in O(1).
    outstanding: [PairSet; 2],
    /// An empty unacknowledged queue's buffer, kept for the next peer that sends: a queue that
    /// empties gives its buffer here or frees it, so memory follows the segments in flight (two
    /// million peers that each once sent a copy-active message held 180 MB of empty room), while
    /// a node whose busy stream empties and refills between writes allocates nothing.
    spare: VecDeque<Pending>,
    rto: u64,
    retransmit: bool,
    timer_armed: bool,
    ready: Vec<(NodeId, Body)>,
}

impl Hash for Streams {
    /// What the streams hold, peer by peer in `dense` order, independent of the order peers
    /// were first talked to (the exhaustive search compares states by this hash).
    fn hash<H: Hasher>(&self, h: &mut H) {
        for (k, &i) in self.index.iter().enumerate() {
            if i == ABSENT {
                continue;
            }
            k.hash(h);
            self.peers[i as usize].hash(h);
            let held = self.held_of(k as u32);
            held.clone().count().hash(h);
            for (&(_, seq), body) in held {
                seq.hash(h);
                body.hash(h);
            }
        }
        // As the sorted list of nodes it replaced: their count, then each in node order.
        self.outstanding
            .iter()
            .map(PairSet::len)
            .sum::<usize>()
            .hash(h);
        for n in nodes_in(&self.outstanding) {
            n.hash(h);
        }
        self.rto.hash(h);
        self.retransmit.hash(h);
        self.timer_armed.hash(h);
        self.ready.hash(h);
    }
}

impl Streams {
    /// Streams that resend after `rto` local nanoseconds without an acknowledgement; with
    /// `retransmit` false a lost segment is never resent (a deliberate bug for mutation tests).
    pub fn new(rto: u64, retransmit: bool) -> Self {
        Streams {
            index: Vec::new(),
            recent: [(ABSENT, 0); 2],
            peers: Vec::new(),
            free: Vec::new(),
            held: BTreeMap::new(),
            outstanding: [PairSet::new(), PairSet::new()],
            spare: VecDeque::new(),
            rto: rto.max(1),
            retransmit,
            timer_armed: false,
            ready: Vec::new(),
        }
    }

    /// The segments held beyond a gap from the peer of [`dense`] number `k`.
    fn held_of(&self, k: u32) -> std::collections::btree_map::Range<'_, (u32, u64), Body> {
        self.held.range((k, 0)..=(k, u64::MAX))
    }

    /// Whether any peer has segments unacknowledged.
    fn any_outstanding(&self) -> bool {
        self.outstanding.iter().any(|s| !s.is_empty())
    }

    /// The position in `peers` of `n`, if talked to.
    fn find(&self, n: NodeId) -> Option<usize> {
        let k = dense(n);
        if let Some(&(_, i)) = self.recent.iter().find(|&&(r, _)| r as usize == k) {
            return Some(i as usize);
        }
        match self.index.get(k) {
            Some(&i) if i != ABSENT => Some(i as usize),
            _ => None,
        }
    }

    /// The stream with `n`, if talked to.
    fn peer(&self, n: NodeId) -> Option<&Peer> {
        self.find(n).and_then(|i| self.peers.get(i))
    }

    /// The position in `peers` of `n`, adding it if new.
    fn slot(&mut self, n: NodeId) -> usize {
        let k = dense(n);
        let key = k as u32;
        if self.recent[0].0 == key {
            return self.recent[0].1 as usize;
        }
        if self.recent[1].0 == key {
            self.recent.swap(0, 1);
            return self.recent[0].1 as usize;
        }
        if k >= self.index.len() {
            self.index.resize(k + 1, ABSENT);
        }
        if self.index[k] == ABSENT {
            let i = match self.free.pop() {
                Some(i) => i,
                None => {
                    self.peers.push(Peer::default());
                    u32::try_from(self.peers.len() - 1).expect("fewer than 2^32 peers")
                }
            };
            self.index[k] = i;
        }
        self.recent = [(key, self.index[k]), self.recent[0]];
        self.index[k] as usize
    }

    /// Makes room for `n` more peers at once, for a node about to talk to that many it has not
    /// talked to (the copy-active exchange): its peer table is then allocated once at its final
    /// size instead of doubling through copies, each of which touched fresh pages that the
    /// kernel zeroes (with 1,024 pairs, two thousand tables of a thousand peers).
    pub fn expect_peers(&mut self, n: usize) {
        self.peers.reserve_exact(n.saturating_sub(self.free.len()));
    }

    /// Peers in the peer table, and how many it has room for.
    #[cfg(test)]
    pub fn peer_table(&self) -> (usize, usize) {
        (self.peers.len(), self.peers.capacity())
    }

    /// Sends `body` to `to` as the next segment of their stream.
    pub fn send(&mut self, now: u64, to: NodeId, body: Body, out: &mut Outputs) {
        let i = self.slot(to);
        let peer = &mut self.peers[i];
        let seq = peer.next_send;
        peer.next_send += 1;
        peer.unacked_writes += u32::from(matches!(body, Body::Write(_)));
        if peer.unacked.capacity() == 0 {
            if self.spare.capacity() > 0 {
                std::mem::swap(&mut peer.unacked, &mut self.spare);
            } else {
                // Room for one: most peers never have more outstanding (a copy-active message,
                // a checkpoint), and a busy peer's queue grows as usual while it has segments.
                // A new queue rather than `reserve_exact` on the empty one, whose growth path
                // cost 133 instructions a call over the 1,024-pair start-up's 2.5 million.
                peer.unacked = VecDeque::with_capacity(1);
            }
        }
        peer.unacked.push_back(Pending {
            body,
            sent_at: now,
            tries: 0,
            held: false,
        });
        if peer.unacked.len() == 1 {
            self.outstanding[role(to)].insert(to.pair());
        }
        out.send(to, Msg::Seg { seq, body });
        self.arm(out);
    }

    fn arm(&mut self, out: &mut Outputs) {
        if self.retransmit && !self.timer_armed {
            self.timer_armed = true;
            out.push(Output::SetTimer {
                after: self.rto,
                timer: Timer::Retransmit,
            });
        }
    }

    /// Takes a message from `from`: acknowledges segments and queues in-order payloads, which
    /// [`Streams::take_ready`] then yields.
    /// An acknowledgement of a segment sent once and never held beyond a gap gives a round-trip
    /// sample (Karn's rule: a resent segment's acknowledgement could be for either copy).
    pub fn on_msg(&mut self, now: u64, from: NodeId, msg: Msg, out: &mut Outputs) {
        let i = self.slot(from);
        let k = dense(from) as u32;
        let peer = &mut self.peers[i];
        match msg {
            Msg::Ack { next, held } => {
                let mut popped = 0;
                let mut rtt = None;
                while !peer.unacked.is_empty() && peer.front_seq() < next {
                    let Some(p) = peer.unacked.pop_front() else {
                        break;
                    };
                    peer.unacked_held -= u32::from(p.held);
                    peer.unacked_writes -= u32::from(matches!(p.body, Body::Write(_)));
                    popped += 1;
                    rtt = (p.tries == 0 && !p.held).then(|| now.saturating_sub(p.sent_at));
                }
                // Only an acknowledgement that moves past exactly one segment was sent by that
                // segment's own arrival: one that fills a gap also covers segments that waited
                // at the receiver, whose time would inflate the estimate.
                if let (1, Some(rtt)) = (popped, rtt) {
                    peer.sample_rtt(rtt);
                }
                if peer.unacked.is_empty() && popped > 0 {
                    self.outstanding[role(from)].remove(from.pair());
                    let buffer = std::mem::take(&mut peer.unacked);
                    if self.spare.capacity() == 0 {
                        self.spare = buffer;
                    }
                }
                if held == 0 {
                    return;
                }
                // Segments the receiver holds are never resent; the gap below the highest one
                // was lost, so its backoff is forgotten and the next tick resends it (after an
                // outage this brings a returning peer up to date in one timeout, not two). Only
                // segments up to the highest held one can change: the visit stops there, so an
                // acknowledgement costs at most 65 steps however many segments are unacknowledged.
                let highest = next + 64 - u64::from(held.leading_zeros());
                let mut newest_held = 0;
                let front = peer.front_seq();
                let seqs = (front..).zip(peer.unacked.iter_mut());
                for (seq, p) in seqs.take_while(|&(seq, _)| seq <= highest) {
                    let bit = seq.wrapping_sub(next + 1);
                    if bit < 64 && held & (1 << bit) != 0 {
                        if !p.held {
                            p.held = true;
                            peer.unacked_held += 1;
                        }
                        newest_held = newest_held.max(p.sent_at);
                    }
                }
                // Time-based loss detection (RACK, RFC 8985): a segment in the gap that was sent
                // no later than one the receiver already holds, and a round trip and a quarter
                // ago at least, was lost (or is reordered past any reasonable window): resend it
                // now instead of after a timeout. On an in-order path one lost segment otherwise
                // holds the whole window for a timeout, and a lossy link crawls.
                let reo = u64::from(peer.srtt) + u64::from(peer.srtt) / 4;
                let resend = self.retransmit && peer.srtt > 0;
                let seqs = (front..).zip(peer.unacked.iter_mut());
                for (seq, p) in seqs.take_while(|&(seq, _)| seq < highest) {
                    if p.held {
                        continue;
                    }
                    p.tries = 0;
                    if resend && p.sent_at <= newest_held && now.saturating_sub(p.sent_at) >= reo {
                        p.sent_at = now;
                        p.tries = 1;
                        out.send(from, Msg::Seg { seq, body: p.body });
                    }
                }
            }
            Msg::Dgram(body) => self.ready.push((from, body)),
            Msg::Seg { seq, body } => {
                match place(peer.next_recv, seq) {
                    Place::Next => {
                        // The common case: hand it on without a trip through `held`, which
                        // never holds `next_recv` itself.
                        peer.next_recv += 1;
                        self.ready.push((from, body));
                        while let Some(body) = self.held.remove(&(k, peer.next_recv)) {
                            peer.next_recv += 1;
                            self.ready.push((from, body));
                        }
                    }
                    Place::Beyond => {
                        self.held.entry((k, seq)).or_insert(body);
                    }
                    Place::Behind => {}
                }
                let next = peer.next_recv;
                let held = if self.held.is_empty() {
                    0
                } else {
                    self.held
                        .range((k, next + 1)..(k, next + 65))
                        .fold(0u64, |m, (&(_, s), _)| m | 1 << (s - next - 1))
                };
                out.send(from, Msg::Ack { next, held });
            }
        }
    }

    /// Payloads now deliverable in stream order, oldest first; the buffer is handed back with
    /// [`Streams::give_back`] so it is reused.
    pub fn take_ready(&mut self) -> Vec<(NodeId, Body)> {
        std::mem::take(&mut self.ready)
    }

    /// Returns the (drained) buffer taken by [`Streams::take_ready`].
    pub fn give_back(&mut self, mut buf: Vec<(NodeId, Body)>) {
        buf.clear();
        self.ready = buf;
    }

    /// The retransmit timer fired: resend every segment unacknowledged for `rto`, and re-arm
    /// while anything is outstanding.
    pub fn on_timer(&mut self, now: u64, out: &mut Outputs) {
        self.timer_armed = false;
        if !self.retransmit {
            return;
        }
        for to in nodes_in(&self.outstanding) {
            let Some(&i) = self.index.get(dense(to)) else {
                continue;
            };
            let Some(peer) = self.peers.get_mut(i as usize) else {
                continue;
            };
            let front = peer.front_seq();
            let rto = peer.rto(self.rto);
            let due = (front..)
                .zip(peer.unacked.iter_mut())
                .take(RESEND_WINDOW as usize)
                .filter(|(_, p)| !p.held && now.saturating_sub(p.sent_at) >= rto << p.tries.min(1));
            for (seq, p) in due.take(RESEND_BURST) {
                p.sent_at = now;
                p.tries += 1;
                out.send(to, Msg::Seg { seq, body: p.body });
            }
        }
        if self.any_outstanding() {
            self.arm(out);
        }
    }

    /// After a restart: timers were lost, so re-arm the retransmit timer if anything is
    /// outstanding.
    pub fn restart(&mut self, out: &mut Outputs) {
        self.timer_armed = false;
        if self.any_outstanding() {
            self.arm(out);
        }
    }

    /// Segments sent to `to` and not yet acknowledged.
    pub fn unacked(&self, to: NodeId) -> usize {
        self.peer(to).map_or(0, |p| p.unacked.len())
    }

    /// Writes sent to `to` and not yet acknowledged: the occupancy of a bounded copy buffer.
    /// Control segments are left out, so a stream of checkpoints on a slow link never keeps a
    /// suspended pair from resynchronising or paced writes from shipping (fuzz seed 4013).
    pub fn unacked_writes(&self, to: NodeId) -> usize {
        self.peer(to).map_or(0, |p| p.unacked_writes as usize)
    }

    /// Segments sent to `to` that are neither acknowledged nor known to be held beyond a gap by
    /// the receiver: what is still on its way, or lost (for flow control that a single lost
    /// segment does not stall).
    pub fn in_flight(&self, to: NodeId) -> usize {
        self.peer(to)
            .map_or(0, |p| p.unacked.len() - p.unacked_held as usize)
    }

    /// Forgets everything about `peer`, as after a reset that lost volatile state on both sides.
    pub fn reset_peer(&mut self, peer: NodeId) {
        if let Some(i) = self.find(peer) {
            let k = dense(peer);
            self.index[k] = ABSENT;
            for r in &mut self.recent {
                if r.0 as usize == k {
                    *r = (ABSENT, 0);
                }
            }
            self.peers[i] = Peer::default();
            self.free.push(i as u32);
            let k = k as u32;
            self.held.retain(|&(from, _), _| from != k);
        }
        self.outstanding[role(peer)].remove(peer.pair());
    }

    /// Renames every peer by `r` (see [`Renaming`]): each stream keeps its state under its
    /// peer's new number, so the streams hash as those of the renamed node would.
    pub fn rename(&mut self, r: &Renaming) {
        let moved = |k: usize| dense(r.node(undense(k)));
        let len = (0..self.index.len())
            .filter(|&k| self.index[k] != ABSENT)
            .map(|k| moved(k) + 1)
            .max()
            .unwrap_or(0);
        let mut index = vec![ABSENT; len];
        for (k, &i) in self.index.iter().enumerate() {
            if i != ABSENT {
                index[moved(k)] = i;
            }
        }
        self.index = index;
        self.recent = [(ABSENT, 0); 2];
        self.held = std::mem::take(&mut self.held)
            .into_iter()
            .map(|((k, seq), body)| ((moved(k as usize) as u32, seq), body))
            .collect();
        for set in &mut self.outstanding {
            *set = set.renamed(r);
        }
        for (n, _) in &mut self.ready {
            *n = r.node(*n);
        }
    }
}

/// What the world may see of a node's streams (see [`crate::protocol::Node::stream_view`]).
impl StreamView for Streams {
    /// Starts loading what a message from `from`, due `ahead` events from now, will read: one
    /// link of the lookup chain per stage, so that each link is in cache when the next stage
    /// reads it (the struct's index pointer, the index entry, the peer's record, the oldest
    /// unacknowledged segment). A hint: changes nothing.
    fn prefetch(&self, from: NodeId, ahead: usize) {
        let k = dense(from);
        match ahead {
            HINT_STRUCT => {
                hint::prefetch(&self.index);
                hint::prefetch(&self.peers);
            }
            HINT_INDEX
                if self.recent.iter().all(|&(r, _)| r as usize != k) && k < self.index.len() =>
            {
                hint::prefetch(self.index.as_ptr().wrapping_add(k));
            }
            HINT_PEER => {
                if let Some(peer) = self.peer(from) {
                    hint::prefetch_value(peer);
                }
            }
            HINT_SEGMENT => {
                if let Some(front) = self.peer(from).and_then(|p| p.unacked.front()) {
                    hint::prefetch_value(front);
                }
            }
            _ => {}
        }
    }

    /// What taking segment `seq` from `from` would do now, for the trace (which shows a segment
    /// that waits behind a gap as held, not as delivered): asks and changes nothing.
    fn arrival(&self, from: NodeId, seq: u64) -> Arrival {
        let k = dense(from) as u32;
        let next = self.peer(from).map_or(0, |p| p.next_recv);
        match place(next, seq) {
            Place::Next => {
                let releases = (seq + 1..)
                    .take_while(|&s| self.held.contains_key(&(k, s)))
                    .count();
                Arrival::InOrder {
                    releases: releases as u64,
                }
            }
            Place::Beyond if !self.held.contains_key(&(k, seq)) => Arrival::BeyondGap,
            Place::Beyond | Place::Behind => Arrival::Duplicate,
        }
    }
}

/// A node whose messages arrive through its [`Streams`]: delivering a message feeds the streams
/// and hands each payload now in stream order to [`StreamNode::on_body`], reusing one buffer.
pub trait StreamNode {
    /// The node's streams.
    fn streams(&mut self) -> &mut Streams;

    /// One payload from `from`, in stream order.
    fn on_body(&mut self, now: u64, from: NodeId, body: Body, out: &mut Outputs);

    /// Takes a message the network delivered from `from`.
    fn deliver(&mut self, now: u64, from: NodeId, msg: Msg, out: &mut Outputs) {
        self.streams().on_msg(now, from, msg, out);
        let mut ready = self.streams().take_ready();
        for (from, body) in ready.drain(..) {
            self.on_body(now, from, body, out);
        }
        self.streams().give_back(ready);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{BlockAddr, WriteId};

    const A: NodeId = NodeId::Primary(0);
    const B: NodeId = NodeId::Secondary(0);

    fn body(id: WriteId) -> Body {
        Body::WriteAck(id)
    }

    fn hash_of(s: &Streams) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        s.hash(&mut h);
        h.finish()
    }

    fn segs(out: &Outputs) -> Vec<(u64, Body)> {
        out.as_slice()
            .iter()
            .filter_map(|o| match o {
                Output::Send {
                    msg: Msg::Seg { seq, body },
                    ..
                } => Some((*seq, *body)),
                _ => None,
            })
            .collect()
    }

    fn deliver(rx: &mut Streams, seq: u64, id: WriteId, out: &mut Outputs) -> Vec<Body> {
        rx.on_msg(
            0,
            A,
            Msg::Seg {
                seq,
                body: body(id),
            },
            out,
        );
        rx.take_ready().into_iter().map(|(_, b)| b).collect()
    }

    /// The copy-active exchange has every node talk to every other: what stays per peer once
    /// it is acknowledged must be a small fixed record (no per-peer map, no queue's room), or
    /// 1,024 pairs cost gigabytes again. The node keeps one emptied buffer, which the next send
    /// reuses.
    #[test]
    fn an_acknowledged_peer_keeps_a_small_record_and_no_room() {
        let mut tx = Streams::new(100, true);
        let mut out = Outputs::new();
        for p in 0..1000u16 {
            tx.send(0, NodeId::Primary(p), Body::CopyActive, &mut out);
        }
        for p in (0..1000u16).rev() {
            tx.on_msg(
                0,
                NodeId::Primary(p),
                Msg::Ack { next: 1, held: 0 },
                &mut out,
            );
        }
        assert_eq!(tx.peers.len(), 1000);
        assert!(tx.peers.iter().all(|p| p.unacked.capacity() == 0));
        assert_eq!(tx.spare.capacity(), 1, "one buffer kept for the next send");
        tx.send(0, NodeId::Primary(5), Body::CopyActive, &mut out);
        assert_eq!(tx.spare.capacity(), 0, "and reused by it");
        assert_eq!(tx.unacked(NodeId::Primary(5)), 1);
        tx.on_msg(
            0,
            NodeId::Primary(5),
            Msg::Ack { next: 2, held: 0 },
            &mut out,
        );
        assert!(!tx.any_outstanding() && tx.held.is_empty());
        assert_eq!(
            tx.index.len(),
            2 * 999 + 1,
            "one index entry per node number"
        );
        assert!(
            std::mem::size_of::<Peer>() <= 64,
            "{}",
            std::mem::size_of::<Peer>()
        );
        // Each of the start-up's single-segment queues is one allocation of this.
        assert!(
            std::mem::size_of::<Pending>() <= 64,
            "{}",
            std::mem::size_of::<Pending>()
        );
    }

    /// Symmetry reduction: streams renamed by a swap of pairs 1 and 2 must hash exactly as the
    /// streams of the node that had the same conversation with the pairs the other way round
    /// (unacknowledged segments, segments held beyond a gap, the peers outstanding).
    #[test]
    fn renamed_streams_hash_as_the_conversation_with_the_pairs_swapped() {
        // Two segments to `a`, one to `b`, a segment from `b` held beyond a gap, and one from
        // `c` handed on in order.
        let talk = |a: NodeId, b: NodeId, c: NodeId| {
            let mut s = Streams::new(100, true);
            let mut out = Outputs::new();
            s.send(0, a, body(1), &mut out);
            s.send(0, a, body(2), &mut out);
            s.send(5, b, body(3), &mut out);
            s.on_msg(
                7,
                b,
                Msg::Seg {
                    seq: 1,
                    body: body(9),
                },
                &mut out,
            );
            s.on_msg(
                8,
                c,
                Msg::Seg {
                    seq: 0,
                    body: body(4),
                },
                &mut out,
            );
            s
        };
        let (p1, p2) = (NodeId::Primary(1), NodeId::Primary(2));
        let (s1, s2) = (NodeId::Secondary(1), NodeId::Secondary(2));
        let swap = Renaming::new(vec![0, 2, 1]).expect("a permutation");
        let mut renamed = talk(p1, p2, s2);
        renamed.rename(&swap);
        assert_eq!(hash_of(&renamed), hash_of(&talk(p2, p1, s1)));
        assert_ne!(
            hash_of(&talk(p1, p2, s2)),
            hash_of(&talk(p2, p1, s1)),
            "the pairs are told apart"
        );
        assert_eq!((renamed.unacked(p2), renamed.unacked(p1)), (2, 1));
        assert!(nodes_in(&renamed.outstanding).eq([p1, p2]));
        assert_eq!(renamed.held.keys().next(), Some(&(dense(p1) as u32, 1)));
        assert_eq!(renamed.take_ready(), vec![(s1, body(4))]);
        let mut back = talk(p1, p2, s2);
        back.rename(&swap);
        back.rename(&swap);
        assert_eq!(
            hash_of(&back),
            hash_of(&talk(p1, p2, s2)),
            "a swap twice is no change"
        );
    }

    /// The exhaustive search tells states apart by this hash: the order peers were first
    /// talked to must not matter, and what each holds must.
    #[test]
    fn the_hash_follows_contents_not_the_order_peers_arrived() {
        let mut out = Outputs::new();
        let (mut a, mut b) = (Streams::new(100, true), Streams::new(100, true));
        a.send(0, A, body(1), &mut out);
        a.send(0, B, body(2), &mut out);
        b.send(0, B, body(2), &mut out);
        b.send(0, A, body(1), &mut out);
        assert_eq!(hash_of(&a), hash_of(&b));
        let mut rx = Streams::new(100, true);
        deliver(&mut rx, 1, 11, &mut out);
        let before = hash_of(&rx);
        rx.reset_peer(A);
        assert_ne!(hash_of(&rx), before);
        assert!(rx.held.is_empty(), "a reset forgets what was held");
    }

    #[test]
    fn a_prefetch_at_any_stage_changes_nothing() {
        let mut s = Streams::new(1_000, true);
        let mut out = Outputs::default();
        s.send(0, B, body(1), &mut out);
        s.send(0, B, body(2), &mut out);
        deliver(&mut s, 0, 1, &mut out);
        let before = hash_of(&s);
        for from in [A, B, NodeId::Secondary(7), NodeId::Primary(u16::MAX)] {
            for ahead in 0..=crate::engine::run::LOOKAHEAD {
                s.prefetch(from, ahead);
            }
        }
        assert_eq!(hash_of(&s), before);
        assert_eq!(s.unacked(B), 2);
    }

    #[test]
    fn segments_are_numbered_and_timer_armed_once() {
        let mut tx = Streams::new(100, true);
        let mut out = Outputs::new();
        tx.send(0, B, body(1), &mut out);
        tx.send(0, B, body(2), &mut out);
        assert_eq!(segs(&out), vec![(0, body(1)), (1, body(2))]);
        let timers = out
            .as_slice()
            .iter()
            .filter(|o| matches!(o, Output::SetTimer { .. }))
            .count();
        assert_eq!(timers, 1);
        assert_eq!(tx.unacked(B), 2);
    }

    #[test]
    fn only_unacknowledged_writes_count_against_a_copy_buffer() {
        let mut tx = Streams::new(100, true);
        let mut out = Outputs::new();
        let w = crate::protocol::testnet::write(0, 7, 3);
        tx.send(0, B, Body::Write(w), &mut out);
        tx.send(0, B, Body::CopyActive, &mut out);
        tx.send(0, B, Body::Write(w), &mut out);
        assert_eq!((tx.unacked(B), tx.unacked_writes(B)), (3, 2));
        tx.on_msg(0, B, Msg::Ack { next: 2, held: 0 }, &mut out);
        assert_eq!((tx.unacked(B), tx.unacked_writes(B)), (1, 1));
        tx.on_msg(0, B, Msg::Ack { next: 3, held: 0 }, &mut out);
        assert_eq!((tx.unacked(B), tx.unacked_writes(B)), (0, 0));
    }

    #[test]
    fn reordered_segments_are_held_until_the_gap_fills() {
        let mut rx = Streams::new(100, true);
        let mut out = Outputs::new();
        assert!(deliver(&mut rx, 1, 11, &mut out).is_empty());
        assert!(deliver(&mut rx, 2, 12, &mut out).is_empty());
        assert_eq!(
            deliver(&mut rx, 0, 10, &mut out),
            vec![body(10), body(11), body(12)]
        );
    }

    /// What the trace is told of each arrival agrees with what taking it then does: a segment
    /// beyond a gap hands nothing on, the one that fills it hands on itself and the `releases`
    /// held behind it, and a duplicate (received, or held) hands on nothing.
    #[test]
    fn an_arrival_is_foretold_as_taking_it_turns_out() {
        let mut rx = Streams::new(100, true);
        let mut out = Outputs::new();
        let mut take = |rx: &mut Streams, seq: u64| {
            let foretold = rx.arrival(A, seq);
            let handed = deliver(rx, seq, seq, &mut out).len() as u64;
            (foretold, handed)
        };
        assert_eq!(take(&mut rx, 0), (Arrival::InOrder { releases: 0 }, 1));
        assert_eq!(take(&mut rx, 2), (Arrival::BeyondGap, 0));
        assert_eq!(take(&mut rx, 3), (Arrival::BeyondGap, 0));
        assert_eq!(take(&mut rx, 3), (Arrival::Duplicate, 0));
        assert_eq!(take(&mut rx, 5), (Arrival::BeyondGap, 0));
        assert_eq!(take(&mut rx, 1), (Arrival::InOrder { releases: 2 }, 3));
        assert_eq!(take(&mut rx, 0), (Arrival::Duplicate, 0));
        assert_eq!(take(&mut rx, 4), (Arrival::InOrder { releases: 1 }, 2));
        assert_eq!(
            rx.arrival(B, 0),
            Arrival::InOrder { releases: 0 },
            "a new peer"
        );
    }

    #[test]
    fn duplicates_are_delivered_once_and_reacknowledged() {
        let mut rx = Streams::new(100, true);
        let mut out = Outputs::new();
        assert_eq!(deliver(&mut rx, 0, 10, &mut out), vec![body(10)]);
        assert!(deliver(&mut rx, 0, 10, &mut out).is_empty());
        let acks: Vec<_> = out
            .as_slice()
            .iter()
            .filter(|o| {
                matches!(
                    o,
                    Output::Send {
                        msg: Msg::Ack { next: 1, .. },
                        ..
                    }
                )
            })
            .collect();
        assert_eq!(acks.len(), 2);
    }

    #[test]
    fn unacknowledged_segments_are_resent_after_the_timeout() {
        let mut tx = Streams::new(100, true);
        let mut out = Outputs::new();
        tx.send(0, B, body(1), &mut out);
        tx.send(50, B, body(2), &mut out);
        tx.on_msg(0, B, Msg::Ack { next: 0, held: 0 }, &mut out);
        out.drain();
        tx.on_timer(120, &mut out);
        assert_eq!(segs(&out), vec![(0, body(1))], "seq 1 is not yet overdue");
        assert!(out
            .as_slice()
            .iter()
            .any(|o| matches!(o, Output::SetTimer { .. })));
        tx.on_msg(0, B, Msg::Ack { next: 2, held: 0 }, &mut out);
        assert_eq!(tx.unacked(B), 0);
        out.drain();
        tx.on_timer(300, &mut out);
        assert!(out.is_empty(), "nothing outstanding: no resend, no re-arm");
    }

    /// Round trips measured longer than the configured timeout stretch this peer's timeout
    /// (SRTT + 4 RTTVAR), so a slow link is not flooded with needless resends; a resent
    /// segment's acknowledgement gives no sample (Karn).
    #[test]
    fn the_timeout_follows_measured_round_trips_and_never_drops_below_the_configured_one() {
        let mut tx = Streams::new(100, true);
        let mut out = Outputs::new();
        tx.send(0, B, body(1), &mut out);
        tx.on_msg(400, B, Msg::Ack { next: 1, held: 0 }, &mut out);
        let peer = &tx.peers[tx.find(B).unwrap()];
        assert_eq!((peer.srtt, peer.rttvar), (400, 200));
        assert_eq!(peer.rto(100), 400 + 4 * 200);
        assert_eq!(
            Peer::default().rto(100),
            100,
            "no sample: the configured timeout"
        );
        tx.send(1000, B, body(2), &mut out);
        out.drain();
        tx.on_timer(1100, &mut out);
        assert!(
            segs(&out).is_empty(),
            "not overdue at the configured timeout"
        );
        tx.on_timer(2200, &mut out);
        assert_eq!(
            segs(&out),
            vec![(1, body(2))],
            "overdue at the measured one"
        );
        tx.on_msg(2250, B, Msg::Ack { next: 2, held: 0 }, &mut out);
        let peer = &tx.peers[tx.find(B).unwrap()];
        assert_eq!(peer.srtt, 400, "a resent segment gives no sample");
        let mut fast = Peer::default();
        fast.sample_rtt(10);
        assert_eq!(
            fast.rto(100),
            100,
            "short round trips keep the configured timeout"
        );
        let mut slow = Peer::default();
        slow.sample_rtt(u64::MAX);
        assert_eq!(slow.rto(100), 100 * MAX_RTO_FACTOR, "capped");
    }

    /// A segment in the gap below one the receiver holds, sent no later than it and a round trip
    /// and a quarter ago, is resent on that acknowledgement, not after a timeout; one sent more
    /// recently, or a held one, is not.
    #[test]
    fn a_gap_below_held_segments_is_resent_at_once_after_a_round_trip() {
        let mut tx = Streams::new(10_000, true);
        let mut out = Outputs::new();
        tx.send(0, B, body(0), &mut out);
        tx.on_msg(100, B, Msg::Ack { next: 1, held: 0 }, &mut out);
        for i in 1..=4 {
            tx.send(200, B, body(i), &mut out);
        }
        out.drain();
        // Seq 1 was lost; 2 and 3 arrived: the receiver acknowledges next 1, holding 2 and 3.
        tx.on_msg(
            260,
            B,
            Msg::Ack {
                next: 1,
                held: 0b11,
            },
            &mut out,
        );
        assert!(
            segs(&out).is_empty(),
            "within a round trip and a quarter: reordering, maybe"
        );
        tx.on_msg(
            330,
            B,
            Msg::Ack {
                next: 1,
                held: 0b11,
            },
            &mut out,
        );
        assert_eq!(segs(&out), vec![(1, body(1))], "lost: resent at once");
        out.drain();
        tx.on_msg(
            340,
            B,
            Msg::Ack {
                next: 1,
                held: 0b11,
            },
            &mut out,
        );
        assert!(segs(&out).is_empty(), "just resent: not again");
        tx.on_msg(500, B, Msg::Ack { next: 4, held: 0 }, &mut out);
        assert_eq!(tx.unacked(B), 1, "seq 4 was never reported held or lost");
    }

    #[test]
    fn a_tick_resends_to_every_peer_with_segments_outstanding_in_node_order() {
        let mut tx = Streams::new(100, true);
        let mut out = Outputs::new();
        let peers = [NodeId::Secondary(3), NodeId::Primary(2), NodeId::Primary(1)];
        for (i, &p) in peers.iter().enumerate() {
            tx.send(0, p, body(i as u64), &mut out);
        }
        tx.on_msg(
            0,
            NodeId::Primary(2),
            Msg::Ack { next: 1, held: 0 },
            &mut out,
        );
        out.drain();
        tx.on_timer(100, &mut out);
        let to: Vec<NodeId> = out
            .as_slice()
            .iter()
            .filter_map(|o| match o {
                Output::Send { to, .. } => Some(*to),
                _ => None,
            })
            .collect();
        assert_eq!(to, vec![NodeId::Primary(1), NodeId::Secondary(3)]);
        tx.on_msg(
            0,
            NodeId::Primary(1),
            Msg::Ack { next: 1, held: 0 },
            &mut out,
        );
        tx.reset_peer(NodeId::Secondary(3));
        out.drain();
        tx.on_timer(300, &mut out);
        assert!(
            out.is_empty(),
            "every peer acknowledged or forgotten: no re-arm"
        );
        tx.send(400, NodeId::Primary(2), body(9), &mut out);
        assert_eq!(
            tx.unacked(NodeId::Primary(2)),
            1,
            "a peer can have segments again"
        );
    }

    #[test]
    fn selectively_acknowledged_segments_are_not_resent() {
        let mut tx = Streams::new(100, true);
        let mut out = Outputs::new();
        for id in 0..4 {
            tx.send(0, B, body(id), &mut out);
        }
        tx.on_msg(
            0,
            B,
            Msg::Ack {
                next: 1,
                held: 0b10,
            },
            &mut out,
        );
        out.drain();
        tx.on_timer(150, &mut out);
        assert_eq!(
            segs(&out),
            vec![(1, body(1)), (2, body(2))],
            "seq 3 is held"
        );
    }

    #[test]
    fn a_gap_behind_held_segments_forgets_its_backoff() {
        let mut tx = Streams::new(100, true);
        let mut out = Outputs::new();
        tx.send(0, B, body(0), &mut out);
        for t in [100, 300, 700] {
            tx.on_timer(t, &mut out);
        }
        out.drain();
        tx.on_timer(800, &mut out);
        assert!(segs(&out).is_empty(), "seq 0 is backing off");
        tx.send(800, B, body(1), &mut out);
        tx.on_msg(0, B, Msg::Ack { next: 0, held: 0b1 }, &mut out);
        out.drain();
        tx.on_timer(810, &mut out);
        assert_eq!(
            segs(&out),
            vec![(0, body(0))],
            "resent at once, not after 800 ns"
        );
    }

    #[test]
    fn receiver_reports_what_it_holds_beyond_the_gap() {
        let mut rx = Streams::new(100, true);
        let mut out = Outputs::new();
        deliver(&mut rx, 2, 12, &mut out);
        deliver(&mut rx, 4, 14, &mut out);
        assert_eq!(
            out.as_slice().last(),
            Some(&Output::Send {
                to: A,
                msg: Msg::Ack {
                    next: 0,
                    held: 0b1010
                }
            })
        );
    }

    /// A segment lost again and again to a peer at the capped timeout is resent for the k-th
    /// time no later than `worst_resend_wait(rto, k)` after its first send, and not much sooner:
    /// the bound is this schedule, not a guess.
    #[test]
    fn a_segment_lost_k_times_at_the_cap_is_resent_within_the_worst_wait() {
        let rto = 100;
        let mut tx = Streams::new(rto, true);
        let mut out = Outputs::new();
        tx.send(0, B, body(0), &mut out);
        tx.on_msg(1_000_000, B, Msg::Ack { next: 1, held: 0 }, &mut out);
        let peer = &tx.peers[tx.find(B).unwrap()];
        assert_eq!(
            peer.rto(rto),
            rto * MAX_RTO_FACTOR,
            "round trips hold it at the cap"
        );
        let start = 2_000_000;
        tx.send(start, B, body(1), &mut out);
        out.drain();
        let mut resends = Vec::new();
        let mut now = start;
        while resends.len() < 4 {
            now += rto;
            tx.on_timer(now, &mut out);
            if !segs(&out).is_empty() {
                resends.push(now - start);
            }
            out.drain();
        }
        for (k, &at) in (1..).zip(&resends) {
            let worst = worst_resend_wait(rto, k);
            assert!(
                at <= worst && at + 2 * rto > worst,
                "resend {k} at {at} ns, worst {worst}"
            );
        }
        assert_eq!(worst_resend_wait(rto, 3), 5 * 6400 + 100);
        assert_eq!(worst_resend_wait(u64::MAX, 3), u64::MAX, "saturates");
    }

    #[test]
    fn resends_back_off_and_come_in_bounded_bursts() {
        let mut tx = Streams::new(100, true);
        let mut out = Outputs::new();
        for id in 0..100 {
            tx.send(0, B, body(id), &mut out);
        }
        out.drain();
        tx.on_timer(100, &mut out);
        assert_eq!(segs(&out).len(), RESEND_BURST);
        out.drain();
        tx.on_timer(150, &mut out);
        let second = segs(&out);
        assert_eq!(
            second.len(),
            RESEND_BURST,
            "the next ones, never yet resent"
        );
        assert!(second.iter().all(|&(s, _)| s >= RESEND_BURST as u64));
        out.drain();
        tx.on_timer(250, &mut out);
        assert!(
            segs(&out).is_empty(),
            "resent ones wait twice as long, and nothing past the window is resent blind"
        );
        tx.on_msg(0, B, Msg::Ack { next: 64, held: 0 }, &mut out);
        out.drain();
        tx.on_timer(260, &mut out);
        assert_eq!(
            segs(&out).first(),
            Some(&(64, body(64))),
            "the window moved on"
        );
    }

    #[test]
    fn segments_held_beyond_a_gap_are_not_in_flight() {
        let mut tx = Streams::new(100, true);
        let mut out = Outputs::new();
        for id in 0..4 {
            tx.send(0, B, body(id), &mut out);
        }
        assert_eq!(tx.in_flight(B), 4);
        tx.on_msg(
            0,
            B,
            Msg::Ack {
                next: 1,
                held: 0b10,
            },
            &mut out,
        );
        assert_eq!(tx.unacked(B), 3);
        assert_eq!(
            tx.in_flight(B),
            2,
            "seq 1 lost, seq 2 in flight, seq 3 held"
        );
    }

    #[test]
    fn without_retransmission_nothing_is_resent() {
        let mut tx = Streams::new(100, false);
        let mut out = Outputs::new();
        tx.send(0, B, body(1), &mut out);
        assert_eq!(out.as_slice().len(), 1);
        out.drain();
        tx.on_timer(1000, &mut out);
        assert!(segs(&out).is_empty());
    }

    #[test]
    fn write_bodies_carry_their_metadata() {
        let w = super::super::WriteMeta {
            id: 3,
            addr: BlockAddr {
                subsystem: 0,
                volume: 0,
                block: 9,
            },
            size: 4096,
            stamp: 77,
            arrived: 0,
        };
        let m = Msg::Seg {
            seq: 0,
            body: Body::Write(w),
        };
        assert_eq!(m.name(), "write");
        assert_eq!(m.wire_bytes(), super::super::msg::HEADER_BYTES + 4096);
    }
}
