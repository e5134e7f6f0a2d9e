//! The writes in flight: which workload issued each, so its completion finds its host.

use std::collections::VecDeque;

use crate::check::WriteId;

/// Which workload issued a write, and its tag.
#[derive(Clone, Copy, Debug)]
pub(super) struct Owner {
    pub(super) host: u16,
    pub(super) tag: u32,
}

/// The owners of the writes in flight, by id. Ids are dense and issued in increasing order, so
/// this is a window from the oldest write still in flight: O(1) and no allocation per write,
/// where a map would allocate and search.
#[derive(Debug, Default)]
pub(super) struct InFlight {
    /// The id of `slots[0]`.
    base: WriteId,
    slots: VecDeque<Option<Owner>>,
}

impl InFlight {
    /// Records write `id`'s owner; ids come in increasing order.
    pub(super) fn insert(&mut self, id: WriteId, owner: Owner) {
        if self.slots.is_empty() {
            self.base = id;
        }
        while self.base + (self.slots.len() as u64) < id {
            self.slots.push_back(None);
        }
        debug_assert_eq!(self.base + self.slots.len() as u64, id, "ids in order");
        self.slots.push_back(Some(owner));
    }

    /// Takes write `id`'s owner, if it is in flight.
    pub(super) fn remove(&mut self, id: WriteId) -> Option<Owner> {
        let i = usize::try_from(id.checked_sub(self.base)?).ok()?;
        let owner = self.slots.get_mut(i)?.take();
        while matches!(self.slots.front(), Some(None)) {
            self.slots.pop_front();
            self.base += 1;
        }
        owner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(tag: u32) -> Owner {
        Owner { host: 0, tag }
    }

    #[test]
    fn in_flight_window_acts_as_a_map_of_increasing_ids() {
        let mut f = InFlight::default();
        for id in 10..20 {
            f.insert(id, owner(id as u32));
        }
        assert_eq!(f.remove(9).map(|o| o.tag), None);
        assert_eq!(f.remove(12).map(|o| o.tag), Some(12));
        assert_eq!(f.remove(12).map(|o| o.tag), None, "removed once");
        assert_eq!(f.remove(10).map(|o| o.tag), Some(10));
        assert_eq!(f.remove(11).map(|o| o.tag), Some(11));
        assert_eq!(f.base, 13, "the window starts at the oldest in flight");
        for id in 13..20 {
            assert_eq!(f.remove(id).map(|o| o.tag), Some(id as u32));
        }
        assert!(f.slots.is_empty());
        f.insert(25, owner(25));
        assert_eq!(f.remove(20).map(|o| o.tag), None);
        assert_eq!(f.remove(25).map(|o| o.tag), Some(25));
        assert_eq!(f.remove(26).map(|o| o.tag), None);
    }
}
