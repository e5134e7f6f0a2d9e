//! A tournament tree: one key per slot (or none) and the extreme key among them, kept in a flat
//! array so that changing one slot walks one leaf-to-root path. The checker keeps one per image
//! rule (the latest-issued visible write, the earliest-completed missing one), a slot per block.

/// A key: (history order, write id).
pub type Key = (u64, u64);

/// The smallest key at the root when `MAX` is false, the largest when true.
pub struct Tournament<const MAX: bool> {
    /// Leaves (a power of two); node `i`'s children are `2i` and `2i + 1`, leaf `b` is
    /// `leaves + b`.
    leaves: usize,
    nodes: Vec<Key>,
}

impl<const MAX: bool> Tournament<MAX> {
    /// The key no real key can be: below every key for a max-tree (history order starts at
    /// 1), above every key for a min-tree (a missing write has completed, so its order is
    /// never `u64::MAX`).
    const EMPTY: Key = if MAX { (0, 0) } else { (u64::MAX, u64::MAX) };

    /// A tree of `slots` empty slots.
    pub fn new(slots: usize) -> Self {
        let leaves = slots.max(1).next_power_of_two();
        Tournament {
            leaves,
            nodes: vec![Self::EMPTY; 2 * leaves],
        }
    }

    fn better(a: Key, b: Key) -> Key {
        if MAX {
            a.max(b)
        } else {
            a.min(b)
        }
    }

    /// Sets (or with `None` clears) slot `s`'s key. A key that beats the slot's old one climbs
    /// only while it beats each ancestor (one read per level: the common case, as a block's
    /// newest visible write is usually the run's newest); any other change recomputes the path.
    pub fn set(&mut self, s: usize, key: Option<Key>) {
        let mut n = self.leaves + s;
        let new = key.unwrap_or(Self::EMPTY);
        let old = std::mem::replace(&mut self.nodes[n], new);
        if new != old && Self::better(new, old) == new {
            while n > 1 {
                n /= 2;
                if Self::better(new, self.nodes[n]) != new || self.nodes[n] == new {
                    return;
                }
                self.nodes[n] = new;
            }
            return;
        }
        while n > 1 {
            n /= 2;
            let best = Self::better(self.nodes[2 * n], self.nodes[2 * n + 1]);
            if self.nodes[n] == best {
                break;
            }
            self.nodes[n] = best;
        }
    }

    /// The extreme key, if any slot has one.
    pub fn top(&self) -> Option<Key> {
        Some(self.nodes[1]).filter(|&k| k != Self::EMPTY)
    }

    /// The slot holding the extreme key, if any slot has one (the leftmost on a tie).
    pub fn top_slot(&self) -> Option<usize> {
        self.top()?;
        let mut n = 1;
        while n < self.leaves {
            n = if self.nodes[2 * n] == self.nodes[n] {
                2 * n
            } else {
                2 * n + 1
            };
        }
        Some(n - self.leaves)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// After any sequence of sets, the root is the extreme of the slots' keys and
        /// `top_slot` names a slot that holds it.
        #[test]
        fn root_is_the_extreme(sets in prop::collection::vec((0usize..13, prop::option::of((1u64..50, 0u64..50))), 0..80)) {
            let mut min = Tournament::<false>::new(13);
            let mut max = Tournament::<true>::new(13);
            let mut slots = [None; 13];
            for (s, k) in sets {
                min.set(s, k);
                max.set(s, k);
                slots[s] = k;
            }
            let keys: Vec<Key> = slots.iter().flatten().copied().collect();
            prop_assert_eq!(min.top(), keys.iter().min().copied());
            prop_assert_eq!(max.top(), keys.iter().max().copied());
            if let Some(s) = min.top_slot() {
                prop_assert_eq!(slots[s], min.top());
            }
            if let Some(s) = max.top_slot() {
                prop_assert_eq!(slots[s], max.top());
            }
        }
    }
}
