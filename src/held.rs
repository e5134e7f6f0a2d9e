//! Windows held open by overlapping causes: a node down under two crashes at once is down in one
//! window, from the first crash to the restart that ends the last one. The Chrome trace and the
//! report's fault windows draw crashes this way, as the world counts them.

use std::collections::BTreeMap;

/// Open windows by key: the value the first cause opened each with, and how many causes hold it.
#[derive(Debug)]
pub struct Held<K, V>(BTreeMap<K, (V, u32)>);

impl<K, V> Default for Held<K, V> {
    fn default() -> Self {
        Held(BTreeMap::new())
    }
}

impl<K: Ord, V> Held<K, V> {
    /// One more cause holds `key`'s window, opened with `value` if none held it yet (else
    /// `value` is dropped). True when this opened the window.
    pub fn hold(&mut self, key: K, value: V) -> bool {
        let entry = self.0.entry(key).or_insert((value, 0));
        entry.1 += 1;
        entry.1 == 1
    }

    /// One cause lets go of `key`'s window: the value it was opened with when that was the last
    /// cause (the window closes), else `None`.
    pub fn release(&mut self, key: &K) -> Option<V> {
        let (_, held) = self.0.get_mut(key)?;
        *held -= 1;
        if *held > 0 {
            return None;
        }
        self.0.remove(key).map(|(v, _)| v)
    }

    /// Every window still open, with its value, in key order; none is left open.
    pub fn take(&mut self) -> impl Iterator<Item = (K, V)> {
        std::mem::take(&mut self.0)
            .into_iter()
            .map(|(k, (v, _))| (k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_closes_when_its_last_cause_lets_go() {
        let mut h = Held::default();
        assert!(h.hold('a', 10));
        assert!(!h.hold('a', 20), "already open");
        assert!(h.hold('b', 30));
        assert_eq!(h.release(&'a'), None, "one cause still holds it");
        assert_eq!(h.release(&'a'), Some(10), "the first cause's value");
        assert_eq!(h.release(&'a'), None, "closed windows stay closed");
        assert_eq!(h.take().collect::<Vec<_>>(), [('b', 30)]);
        assert_eq!(h.take().count(), 0);
    }
}
