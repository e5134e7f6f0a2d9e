//! A set of pair numbers as bits: the copy-active tables (steps 206 and 404) and a node's peers
//! with segments outstanding. With 1,024 pairs every node fills such a set with every other pair
//! in the copy-active exchange, two million insertions in all; a bit is one store in a few
//! hundred contiguous bytes where a `BTreeSet` walked and split nodes all over the heap.
//!
//! It iterates in increasing order and hashes as a `BTreeSet<u16>` of the same members would
//! (their count, then each in order), whatever room it has grown to: the exhaustive search
//! compares states by hash, and equal sets must hash equal.

use std::hash::{Hash, Hasher};

use fixedbitset::FixedBitSet;

use super::Renaming;

/// A set of pair numbers (0-based), growing to the highest one inserted.
#[derive(Clone, Debug, Default)]
pub struct PairSet {
    bits: FixedBitSet,
}

impl PairSet {
    /// An empty set.
    pub fn new() -> Self {
        PairSet::default()
    }

    /// Adds pair `p`; true if it was not there.
    pub fn insert(&mut self, p: u16) -> bool {
        let p = usize::from(p);
        if p >= self.bits.len() {
            // Room for twice the pairs so far: a master or an exchange inserting pairs in
            // increasing order grows the set a logarithmic number of times, not once per pair
            // (two million growths in the 1,024-pair start-up).
            self.bits.grow((p + 1).max(2 * self.bits.len()));
            self.bits.insert(p);
            return true;
        }
        !self.bits.put(p)
    }

    /// Removes pair `p`; true if it was there.
    pub fn remove(&mut self, p: u16) -> bool {
        let p = usize::from(p);
        let was = self.bits.contains(p);
        if was {
            self.bits.remove(p);
        }
        was
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.bits.is_clear()
    }

    /// How many pairs are in the set.
    pub fn len(&self) -> usize {
        self.bits.count_ones(..)
    }

    /// The pairs in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = u16> + '_ {
        self.bits.ones().map(|p| p as u16)
    }

    /// The set with every pair renamed by `r`.
    pub fn renamed(&self, r: &Renaming) -> PairSet {
        self.iter().map(|p| r.pair(p)).collect()
    }
}

impl Hash for PairSet {
    /// As a `BTreeSet<u16>` of the same members: their count, then each in increasing order.
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.len().hash(h);
        for p in self.iter() {
            p.hash(h);
        }
    }
}

impl FromIterator<u16> for PairSet {
    fn from_iter<I: IntoIterator<Item = u16>>(iter: I) -> Self {
        let mut s = PairSet::new();
        for p in iter {
            s.insert(p);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::hash::DefaultHasher;

    fn hash_of<T: Hash>(t: &T) -> u64 {
        let mut h = DefaultHasher::new();
        t.hash(&mut h);
        h.finish()
    }

    /// Inserts and removals agree with a `BTreeSet` at every step, in membership, order, size
    /// and hash, across the growth of the bits.
    #[test]
    fn it_behaves_and_hashes_as_a_btreeset() {
        let mut bits = PairSet::new();
        let mut tree = BTreeSet::new();
        for (i, p) in [5u16, 0, 63, 64, 5, 1000, 2, 64, 129]
            .into_iter()
            .enumerate()
        {
            if i % 3 == 2 {
                assert_eq!(bits.remove(p), tree.remove(&p), "remove {p}");
            } else {
                assert_eq!(bits.insert(p), tree.insert(p), "insert {p}");
            }
            assert!(bits.iter().eq(tree.iter().copied()));
            assert_eq!(bits.len(), tree.len());
            assert_eq!(bits.is_empty(), tree.is_empty());
            assert_eq!(hash_of(&bits), hash_of(&tree), "after {p}");
        }
        assert!(!bits.remove(4000), "beyond its room");
    }

    /// Equal members iterate and hash alike, whatever room each has grown to.
    #[test]
    fn room_is_not_membership() {
        let mut grown: PairSet = [1u16, 900].into_iter().collect();
        grown.remove(900);
        let small: PairSet = [1u16].into_iter().collect();
        assert!(grown.iter().eq(small.iter()));
        assert_eq!(hash_of(&grown), hash_of(&small));
    }

    /// Pairs inserted in increasing order (a master's, an exchange's) double the room rather
    /// than growing it pair by pair.
    #[test]
    fn ascending_inserts_double_the_room() {
        let set: PairSet = (0u16..=512).collect();
        assert_eq!(set.bits.len(), 1024);
        assert_eq!(set.len(), 513);
    }

    #[test]
    fn renaming_moves_every_member() {
        let r = Renaming::new(vec![2, 0, 1]).expect("a permutation");
        let s: PairSet = [0u16, 1, 7].into_iter().collect();
        assert!(s.renamed(&r).iter().eq([0u16, 2, 7]));
    }
}
