//! The secondary volumes' lag behind the primary volumes: the earliest-stored write that no
//! secondary block has caught up with yet (shown it, or a later write to the same block).
//!
//! Unlike the exposure, this ignores which secondaries hosts may read and whether the write has
//! completed: it is how far the copy itself trails the primaries, the quantity replication lag
//! usually means. A write counts as caught up from the first moment its block on the secondary
//! reached it or a later version, and stays so (a block going back later does not make it lag
//! again: that is the exposure's and the verdict's business).
//!
//! Writes are stored in time order, so a queue in stored order, cleaned from the front as blocks
//! catch up, holds the earliest first in O(1) amortized. A front that never catches up (a write
//! stranded on a primary that does not return) would let caught-up writes pile up behind it, so
//! the queue is also compacted whenever it doubles: memory follows the writes not yet caught up.

use super::blocks::Slot;
use super::{Checker, WriteId};

/// Entries the queue may hold beyond twice what the last compaction kept.
const SLACK: usize = 64;

impl Checker {
    /// The primary volume stored write `id`: it lags until its block catches up.
    pub(super) fn lag_stored(&mut self, id: WriteId) {
        self.unshown.push_back(id);
        if self.unshown.len() > 2 * self.unshown_kept + SLACK {
            let mut q = std::mem::take(&mut self.unshown);
            q.retain(|&w| !self.caught_up(w));
            self.unshown_kept = q.len();
            self.unshown = q;
        }
    }

    /// The block in slot `k` shows its first `visible` versions: it has caught up with those.
    pub(super) fn lag_applied(&mut self, k: Slot, visible: usize) {
        let block = self.blocks.at_mut(k);
        block.reached = block.reached.max(visible);
        while let Some(&w) = self.unshown.front() {
            if !self.caught_up(w) {
                break;
            }
            self.unshown.pop_front();
        }
    }

    /// Whether write `id`'s block on the secondary has reached it or a later version (a retired
    /// write has: the image showed it or a later version before it was retired).
    fn caught_up(&self, id: WriteId) -> bool {
        self.rec(id).is_none_or(|r| {
            r.version != u32::MAX && (r.version as usize) < self.blocks.at(r.slot).reached
        })
    }

    /// When the primary volume stored the earliest-stored write no secondary block has caught
    /// up with, if any: the secondary lag at time `t` is `t` minus this (for metrics and
    /// reports).
    pub fn oldest_unshown_store(&self) -> Option<u64> {
        let &id = self.unshown.front()?;
        self.rec(id).map(|r| r.stored)
    }
}
