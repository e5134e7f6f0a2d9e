//! A renaming of pairs: pair `i` becomes pair `to[i]`, its primary and its secondary with it.
//! The exhaustive search uses it for symmetry reduction: two states that differ only by which
//! of several interchangeable pairs is which behave alike, so it keeps one of them. Renaming a
//! node rewrites every pair number it holds (its own, its tables of peers, its streams), never
//! what it does.

use std::collections::BTreeSet;

use super::NodeId;

/// A permutation of the pair indices `0..n`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Renaming {
    to: Vec<u16>,
}

impl Renaming {
    /// The renaming that sends pair `i` to `to[i]`, or `None` when `to` is not a permutation of
    /// `0..to.len()`.
    pub fn new(to: Vec<u16>) -> Option<Self> {
        let mut seen = vec![false; to.len()];
        for &t in &to {
            let slot = seen.get_mut(usize::from(t))?;
            if std::mem::replace(slot, true) {
                return None;
            }
        }
        Some(Renaming { to })
    }

    /// The new number of pair `p` (a pair past the permutation's range keeps its number).
    pub fn pair(&self, p: u16) -> u16 {
        self.to.get(usize::from(p)).copied().unwrap_or(p)
    }

    /// The new address of node `n`: the same role at its pair's new number.
    pub fn node(&self, n: NodeId) -> NodeId {
        match n {
            NodeId::Primary(i) => NodeId::Primary(self.pair(i)),
            NodeId::Secondary(i) => NodeId::Secondary(self.pair(i)),
        }
    }

    /// A set of pair numbers, renamed.
    pub fn set(&self, s: &BTreeSet<u16>) -> BTreeSet<u16> {
        s.iter().map(|&p| self.pair(p)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_permutation_is_a_renaming() {
        assert!(Renaming::new(vec![0, 2, 1]).is_some());
        assert!(Renaming::new(vec![]).is_some());
        assert!(Renaming::new(vec![0, 0, 1]).is_none(), "not one to one");
        assert!(Renaming::new(vec![0, 3, 1]).is_none(), "out of range");
    }

    #[test]
    fn nodes_and_sets_follow_their_pairs() {
        let r = Renaming::new(vec![0, 2, 1]).expect("a permutation");
        assert_eq!(r.node(NodeId::Primary(1)), NodeId::Primary(2));
        assert_eq!(r.node(NodeId::Secondary(2)), NodeId::Secondary(1));
        assert_eq!(r.node(NodeId::Secondary(0)), NodeId::Secondary(0));
        assert_eq!(r.pair(7), 7);
        let s: BTreeSet<u16> = [0, 1].into();
        assert_eq!(r.set(&s), [0, 2].into());
    }
}
