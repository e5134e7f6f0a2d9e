//! The checker's per-block table: an entry for each block a write was ever issued to, kept in a
//! dense vector behind a sparse index of dense block numbers. A write's record holds its block's
//! position (its slot), so the hot questions (is this write missing, may it retire, has its
//! block caught up) read the entry directly instead of hashing the block number each time.
//! Memory follows the blocks written, never the capacity (see [`crate::sparse`]). A block keeps
//! its writes in the order the primary volume stored them and how far the image has come.

use std::collections::VecDeque;
use std::ops::{Index, IndexMut};

use super::record::{Latest, WriteId};
use crate::check::Label;
use crate::sparse::Sparse;

/// One entry of a block's stored order.
#[derive(Clone, Copy, Debug)]
pub(super) struct Version {
    /// The write.
    pub id: WriteId,
    /// The latest-issued write among this version and those before it (ids are given in issue
    /// order, so it is the one with the largest id).
    pub latest: Latest,
}

/// One block: its writes in stored order and how many of them the secondary image shows.
#[derive(Default)]
pub(super) struct Block {
    /// Stored versions from `base` on (those before were retired).
    pub versions: VecDeque<Version>,
    /// How many versions were retired from the front.
    pub base: usize,
    /// Versions the image shows (a prefix of the stored order, counted from the first).
    pub visible: usize,
    /// The most versions the image has ever shown: the block has caught up with these.
    pub reached: usize,
    /// The write the secondary block holds, if any.
    pub shown: Option<WriteId>,
    /// Its generated label.
    pub shown_label: Label,
    /// The latest-issued write among every version stored so far.
    pub last: Option<Latest>,
    /// The latest-issued write among the versions the image shows.
    pub visible_latest: Option<Latest>,
}

/// A block's position in [`Blocks`].
pub(super) type Slot = usize;

/// Per-block state for every block ever written; any other block reads as `Block::default()`.
pub(super) struct Blocks {
    /// Slot + 1 of each block with an entry, by dense block index (0: no entry).
    slots: Sparse<usize>,
    /// The entries in the order their blocks were first written, each with its dense index.
    table: Vec<(usize, Block)>,
    /// What a block never written reads as.
    empty: Block,
    /// Version buffers of blocks whose versions were all retired, for the next block that
    /// stores one: a block with nothing stored holds no buffer, so memory follows the blocks
    /// with versions in flight, not every block ever written, and no write allocates once as
    /// many blocks have been busy at once.
    spare: Vec<VecDeque<Version>>,
}

impl Blocks {
    /// An empty table.
    pub fn new() -> Self {
        Blocks {
            slots: Sparse::new(),
            table: Vec::new(),
            empty: Block::default(),
            spare: Vec::new(),
        }
    }

    /// Appends `v` to the versions of the block in slot `k`, giving it a spare buffer if it
    /// holds none.
    pub fn push_version(&mut self, k: Slot, v: Version) {
        let block = &mut self.table[k].1;
        if block.versions.capacity() == 0 {
            if let Some(buffer) = self.spare.pop() {
                block.versions = buffer;
            }
        }
        block.versions.push_back(v);
    }

    /// Retires the oldest version of the block in slot `k`; a block left with none gives its
    /// buffer back to the spares.
    pub fn retire_version(&mut self, k: Slot) {
        let block = &mut self.table[k].1;
        if block.versions.pop_front().is_some() {
            block.base += 1;
        }
        if block.versions.is_empty() && block.versions.capacity() > 0 {
            self.spare.push(std::mem::take(&mut block.versions));
        }
    }

    /// The slot of dense block `b`, giving it an entry if it has none.
    pub fn slot(&mut self, b: usize) -> Slot {
        let s = self.slots[b];
        if s > 0 {
            return s - 1;
        }
        self.table.push((b, Block::default()));
        self.slots[b] = self.table.len();
        self.table.len() - 1
    }

    /// The entry in slot `k`.
    #[inline]
    pub fn at(&self, k: Slot) -> &Block {
        &self.table[k].1
    }

    /// The entry in slot `k`, to change.
    #[inline]
    pub fn at_mut(&mut self, k: Slot) -> &mut Block {
        &mut self.table[k].1
    }

    /// Every entry with its dense block index, in the order the blocks were first written.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &Block)> {
        self.table.iter().map(|(b, block)| (*b, block))
    }
}

impl Index<usize> for Blocks {
    type Output = Block;

    /// Dense block `b`'s entry, or the empty block if it was never written.
    fn index(&self, b: usize) -> &Block {
        match self.slots[b] {
            0 => &self.empty,
            s => &self.table[s - 1].1,
        }
    }
}

impl IndexMut<usize> for Blocks {
    /// Dense block `b`'s entry, created empty if it was never written.
    fn index_mut(&mut self, b: usize) -> &mut Block {
        let k = self.slot(b);
        self.at_mut(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_given_once_in_first_write_order_and_unwritten_blocks_read_empty() {
        let mut t = Blocks::new();
        assert_eq!(t[1 << 40].visible, 0);
        assert_eq!(t.iter().count(), 0, "reading takes no entry");
        let a = t.slot(1 << 40);
        let b = t.slot(7);
        assert_eq!((a, b, t.slot(1 << 40)), (0, 1, 0));
        t.at_mut(b).visible = 3;
        t[1 << 40].visible = 2;
        assert_eq!((t[7].visible, t.at(a).visible, t[8].visible), (3, 2, 0));
        let order: Vec<(usize, usize)> = t.iter().map(|(i, k)| (i, k.visible)).collect();
        assert_eq!(order, vec![(1 << 40, 2), (7, 3)]);
    }

    fn version(id: WriteId) -> Version {
        let latest = Latest {
            seq: id,
            id,
            issued: id,
            label: Label::default(),
        };
        Version { id, latest }
    }

    #[test]
    fn a_block_with_every_version_retired_holds_no_buffer_and_the_next_one_reuses_it() {
        let mut t = Blocks::new();
        let (a, b) = (t.slot(3), t.slot(9));
        t.push_version(a, version(1));
        t.push_version(a, version(2));
        t.retire_version(a);
        assert_eq!((t.at(a).base, t.at(a).versions.len()), (1, 1));
        assert!(t.at(a).versions.capacity() > 0, "a version is still stored");
        t.retire_version(a);
        assert_eq!(t.at(a).base, 2);
        assert_eq!(t.at(a).versions.capacity(), 0, "nothing stored, no buffer");
        assert_eq!(t.spare.len(), 1);
        t.push_version(b, version(3));
        assert!(t.spare.is_empty(), "the next block took the spare");
        assert_eq!(t.at(b).versions.front().map(|v| v.id), Some(3));
        t.retire_version(a);
        assert_eq!(t.at(a).base, 2, "nothing to retire changes nothing");
    }
}
