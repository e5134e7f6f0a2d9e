//! A primary's bounded copy buffer. Writes the secondary has not yet acknowledged occupy it; when
//! it is full the scenario's policy applies: `pace` holds host writes (their completion waits, as
//! write pacing does in XRC and SRDF/A) until acknowledgements free room; `suspend` stops shipping,
//! records the changed blocks (newest write of each), and once the link has drained sends them
//! again as a resynchronisation, bracketed so the secondary keeps its image closed meanwhile.

use std::collections::{BTreeMap, VecDeque};

use super::WriteMeta;
use crate::check::BlockAddr;

/// What a full buffer does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FullPolicy {
    /// Delay host writes until there is room.
    Pace,
    /// Stop shipping, record changed blocks, resynchronise later.
    Suspend,
}

/// The buffer's limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BufferLimit {
    /// Unacknowledged segments allowed.
    pub capacity: usize,
    /// What happens when they are reached.
    pub policy: FullPolicy,
}

/// What to do with a write that just completed on the primary volume.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offer {
    /// Stamp it, complete it to the host and ship it now.
    Ship,
    /// Pacing: it waits (not yet completed to the host); [`Shipper::progress`] hands it back.
    Held,
    /// Suspended: complete it to the host but do not ship it; it is recorded for the resync.
    Recorded,
    /// The buffer just filled: tell the secondary shipping is suspended, then treat the write as
    /// [`Offer::Recorded`].
    Suspend,
}

/// A primary's buffer state.
#[derive(Clone, Debug, Default, Hash)]
pub struct Shipper {
    limit: Option<BufferLimit>,
    paced: VecDeque<WriteMeta>,
    suspended: bool,
    changed: BTreeMap<BlockAddr, WriteMeta>,
}

impl Shipper {
    /// A buffer with `limit` (`None`: unbounded).
    pub fn new(limit: Option<BufferLimit>) -> Self {
        Shipper {
            limit,
            ..Shipper::default()
        }
    }

    /// True while shipping is suspended.
    pub fn suspended(&self) -> bool {
        self.suspended
    }

    /// Decides for write `w` with `unacked` writes outstanding (sent, not acknowledged).
    pub fn offer(&mut self, w: WriteMeta, unacked: usize) -> Offer {
        let Some(limit) = self.limit else {
            return Offer::Ship;
        };
        if self.suspended {
            self.changed.insert(w.addr, w);
            return Offer::Recorded;
        }
        if unacked < limit.capacity && self.paced.is_empty() {
            return Offer::Ship;
        }
        match limit.policy {
            FullPolicy::Pace => {
                self.paced.push_back(w);
                Offer::Held
            }
            FullPolicy::Suspend => {
                self.suspended = true;
                self.changed.insert(w.addr, w);
                Offer::Suspend
            }
        }
    }

    /// Acknowledgements arrived and `unacked` writes remain: paced writes that now fit, and, once a
    /// suspended buffer has drained to half its capacity, the recorded blocks to resend.
    pub fn progress(&mut self, unacked: usize) -> (Vec<WriteMeta>, Option<Vec<WriteMeta>>) {
        let Some(limit) = self.limit else {
            return (Vec::new(), None);
        };
        let room = limit.capacity.saturating_sub(unacked);
        let n = room.min(self.paced.len());
        let paced: Vec<WriteMeta> = self.paced.drain(..n).collect();
        let resync = (self.suspended && unacked <= limit.capacity / 2).then(|| {
            self.suspended = false;
            std::mem::take(&mut self.changed).into_values().collect()
        });
        (paced, resync)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testnet::write;

    fn w(id: u64, block: u32) -> WriteMeta {
        write(0, id, block)
    }

    #[test]
    fn unbounded_always_ships() {
        let mut s = Shipper::new(None);
        assert_eq!(s.offer(w(1, 0), 1_000_000), Offer::Ship);
    }

    #[test]
    fn pacing_holds_writes_until_there_is_room_in_order() {
        let mut s = Shipper::new(Some(BufferLimit {
            capacity: 2,
            policy: FullPolicy::Pace,
        }));
        assert_eq!(s.offer(w(1, 0), 1), Offer::Ship);
        assert_eq!(s.offer(w(2, 0), 2), Offer::Held);
        assert_eq!(
            s.offer(w(3, 0), 1),
            Offer::Held,
            "never overtakes a held write"
        );
        let (paced, resync) = s.progress(1);
        assert_eq!(paced.iter().map(|x| x.id).collect::<Vec<_>>(), vec![2]);
        assert!(resync.is_none());
        let (paced, _) = s.progress(0);
        assert_eq!(paced.iter().map(|x| x.id).collect::<Vec<_>>(), vec![3]);
    }

    #[test]
    fn suspension_records_the_newest_write_per_block_and_resyncs_after_draining() {
        let mut s = Shipper::new(Some(BufferLimit {
            capacity: 4,
            policy: FullPolicy::Suspend,
        }));
        assert_eq!(s.offer(w(1, 0), 4), Offer::Suspend);
        assert!(s.suspended());
        assert_eq!(s.offer(w(2, 7), 4), Offer::Recorded);
        assert_eq!(s.offer(w(3, 0), 4), Offer::Recorded);
        assert_eq!(s.progress(3).1, None, "not drained enough yet");
        let (_, resync) = s.progress(2);
        let ids: Vec<u64> = resync.expect("resync").iter().map(|x| x.id).collect();
        assert_eq!(ids, vec![3, 2], "block 0's newest, then block 7");
        assert!(!s.suspended());
    }
}
