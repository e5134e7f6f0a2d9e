//! The checker's two extremes over the readable subsystems, kept in a tournament tree so that a
//! judgement while some subsystem is fenced costs O(log pairs), not a scan of every part.
//!
//! Each leaf holds one subsystem's earliest missing write and latest visible write (nothing
//! while it is fenced); each inner node the earliest and the latest of its two children. A
//! change to a part only marks its leaf stale, O(1), so a run with every subsystem readable
//! (judged by the image-wide extremes) pays nothing more; the stale leaves are brought up to
//! date, each with its path to the root, when a judgement needs the tree. With 1024 pairs an
//! apply under update-in-progress fences one subsystem for many block writes: the scan made each
//! of those judgements O(pairs), quadratic over a run.

use super::record::{Key, Part};

/// One node: the earliest missing write and the latest visible write (by key, with the part
/// that shows it) among the readable subsystems below it.
#[derive(Clone, Copy, Default)]
struct Node {
    missing: Option<Key>,
    newest: Option<(Key, u32)>,
}

impl Node {
    /// The extremes of two disjoint sets of parts.
    fn join(a: Node, b: Node) -> Node {
        let missing = match (a.missing, b.missing) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
        Node {
            missing,
            newest: a.newest.max(b.newest),
        }
    }
}

/// The tree over every subsystem's part, with the leaves not yet brought up to date.
pub(super) struct Tournament {
    /// Leaves from `width` on (subsystem `s` at `width + s`), node `i`'s children at `2i` and
    /// `2i + 1`, the root at 1.
    nodes: Vec<Node>,
    width: usize,
    /// Subsystems whose leaf may be out of date, each once.
    stale: Vec<u32>,
    /// By subsystem: whether it is in `stale`.
    is_stale: Vec<bool>,
}

impl Tournament {
    /// A tree over `parts` subsystems, every leaf stale (nothing is known yet).
    pub fn new(parts: usize) -> Self {
        let width = parts.next_power_of_two();
        Tournament {
            nodes: vec![Node::default(); 2 * width],
            width,
            stale: (0..parts as u32).collect(),
            is_stale: vec![true; parts],
        }
    }

    /// Subsystem `s`'s part changed: its readability, its missing writes or its newest one.
    pub fn touch(&mut self, s: usize) {
        if let Some(flag) = self.is_stale.get_mut(s) {
            if !*flag {
                *flag = true;
                self.stale.push(s as u32);
            }
        }
    }

    /// The earliest missing write and the latest visible one (with its subsystem) over the
    /// readable parts of `parts`, bringing the stale leaves up to date first.
    pub fn extremes(&mut self, parts: &[Part]) -> (Option<Key>, Option<usize>) {
        let levels = self.width.trailing_zeros() as usize + 1;
        if self.stale.len() * levels > self.width {
            for s in self.stale.drain(..) {
                self.is_stale[s as usize] = false;
                self.nodes[self.width + s as usize] = leaf(parts, s as usize);
            }
            for i in (1..self.width).rev() {
                self.nodes[i] = Node::join(self.nodes[2 * i], self.nodes[2 * i + 1]);
            }
        } else {
            for s in self.stale.drain(..) {
                self.is_stale[s as usize] = false;
                let mut i = self.width + s as usize;
                self.nodes[i] = leaf(parts, s as usize);
                while i > 1 {
                    i /= 2;
                    self.nodes[i] = Node::join(self.nodes[2 * i], self.nodes[2 * i + 1]);
                }
            }
        }
        let root = self.nodes[1];
        (root.missing, root.newest.map(|(_, s)| s as usize))
    }
}

/// Subsystem `s`'s leaf: its extremes while readable, nothing while fenced.
fn leaf(parts: &[Part], s: usize) -> Node {
    let part = &parts[s];
    if !part.readable {
        return Node::default();
    }
    Node {
        missing: part.earliest(),
        newest: part.newest.map(|(l, _)| (l.key(), s as u32)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::record::{Latest, Part};
    use super::*;
    use crate::check::Label;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn latest(seq: u64) -> Latest {
        Latest {
            seq,
            id: seq,
            issued: 0,
            label: Label::NONE,
        }
    }

    /// The extremes by a scan of every readable part, as the checker judged before the tree.
    fn scan(parts: &[Part]) -> (Option<Key>, Option<usize>) {
        let readable = parts.iter().enumerate().filter(|(_, p)| p.readable);
        let missing = readable.clone().filter_map(|(_, p)| p.earliest()).min();
        let newest = readable
            .filter_map(|(s, p)| p.newest.map(|(l, _)| (l.key(), s)))
            .max()
            .map(|(_, s)| s);
        (missing, newest)
    }

    /// Random changes to random parts (fencing, missing writes coming and going, newest writes
    /// moving either way), judged at random moments: the tree agrees with the scan every time,
    /// for part counts that are and are not powers of two.
    #[test]
    fn the_tree_agrees_with_a_scan_of_every_part() {
        for n in [1usize, 2, 3, 5, 8, 13, 64, 100] {
            let mut rng = ChaCha8Rng::seed_from_u64(n as u64);
            let mut parts: Vec<Part> = (0..n).map(|_| Part::new()).collect();
            let mut tree = Tournament::new(n);
            let mut seq = 0u64;
            for _ in 0..4000 {
                let s = rng.random_range(0..n);
                seq += 1;
                let part = &mut parts[s];
                match rng.random_range(0..5) {
                    0 => part.readable = !part.readable,
                    1 => part.missing.push_back((seq, seq)),
                    2 => {
                        part.missing.pop_front();
                    }
                    3 => {
                        part.missing_late.insert((rng.random_range(0..seq), seq));
                    }
                    _ => {
                        part.newest = rng
                            .random_bool(0.8)
                            .then(|| (latest(rng.random_range(0..seq)), 0));
                    }
                }
                tree.touch(s);
                if rng.random_bool(0.3) {
                    assert_eq!(tree.extremes(&parts), scan(&parts), "{n} parts");
                }
            }
            assert_eq!(tree.extremes(&parts), scan(&parts), "{n} parts");
        }
    }

    /// Untouched parts are not revisited: a judgement after one change updates one path.
    #[test]
    fn a_judgement_brings_only_stale_leaves_up_to_date() {
        let mut parts: Vec<Part> = (0..16).map(|_| Part::new()).collect();
        let mut tree = Tournament::new(16);
        assert_eq!(tree.extremes(&parts), (None, None));
        parts[3].newest = Some((latest(7), 0));
        parts[9].missing.push_back((2, 2));
        tree.touch(3);
        assert_eq!(tree.stale, vec![3], "one stale leaf");
        tree.touch(3);
        tree.touch(9);
        assert_eq!(tree.stale, vec![3, 9], "each leaf once");
        assert_eq!(tree.extremes(&parts), (Some((2, 2)), Some(3)));
        assert!(tree.stale.is_empty());
        parts[3].readable = false;
        tree.touch(3);
        assert_eq!(tree.extremes(&parts), (Some((2, 2)), None));
    }
}
