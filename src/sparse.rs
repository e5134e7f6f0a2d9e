//! A table over a huge index space of which a run touches a little: per-block state of volumes
//! of a terabyte and more.
//!
//! A volume's capacity is a count a user sets (`topology.blocks_per_volume`), so nothing may be
//! allocated per block of capacity: 64 volumes of 1 TiB in 4 KiB blocks are 2^34 blocks per
//! subsystem. [`Sparse`] holds an entry only for indices ever written to and reads every other
//! index as `T::default()`, so memory follows the blocks written, not the capacity. It is a hash
//! map under the Fx hash (`rustc-hash`): a few instructions per lookup on integer keys. Its
//! iteration order is unspecified, so callers may iterate only where the order cannot matter (a
//! maximum over unique keys, a count), never where it would reach events or output.

use std::ops::{Index, IndexMut};

use rustc_hash::FxHashMap;

/// Entries of type `T` at `usize` indices; every index never written reads as `T::default()`.
#[derive(Debug, Default)]
pub struct Sparse<T> {
    entries: FxHashMap<usize, T>,
    /// What an index never written reads as.
    empty: T,
}

impl<T: Default> Sparse<T> {
    /// An empty table: every index reads as `T::default()`.
    pub fn new() -> Self {
        Sparse {
            entries: FxHashMap::default(),
            empty: T::default(),
        }
    }

    /// How many indices hold an entry (those ever written).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True while no index was written.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The written entries with their indices, in no particular order (see the module doc).
    pub fn iter(&self) -> impl Iterator<Item = (usize, &T)> {
        self.entries.iter().map(|(&i, t)| (i, t))
    }
}

impl<T> Index<usize> for Sparse<T> {
    type Output = T;

    fn index(&self, i: usize) -> &T {
        self.entries.get(&i).unwrap_or(&self.empty)
    }
}

impl<T: Default> IndexMut<usize> for Sparse<T> {
    /// The entry at `i`, created as `T::default()` if it was never written.
    fn index_mut(&mut self, i: usize) -> &mut T {
        self.entries.entry(i).or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwritten_indices_read_as_default_and_take_no_entry() {
        let mut s: Sparse<u64> = Sparse::new();
        assert_eq!(s[1 << 40], 0);
        assert!(s.is_empty());
        s[7] = 3;
        s[1 << 40] += 2;
        assert_eq!((s[7], s[1 << 40], s[8]), (3, 2, 0));
        assert_eq!(s.len(), 2);
        let mut all: Vec<_> = s.iter().map(|(i, &v)| (i, v)).collect();
        all.sort_unstable();
        assert_eq!(all, vec![(7, 3), (1 << 40, 2)]);
    }
}
