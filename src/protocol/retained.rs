//! What a sender keeps of what it shipped while the receiving secondary's buffers are volatile:
//! every stamped write (the ones resent by a resynchronisation too), until the secondary says it
//! has applied everything stamped up to a checkpoint's time value (`checkpoint`: the primary for
//! its secondary), a group (`central`: the journal for each member) or a cycle (`cycle`: the
//! primary for its secondary). A secondary that resets loses its buffers, including released
//! writes not yet on its volume; it asks for them again and gets exactly these, with their
//! original stamps, so its buffer is whole again and the next release applies the same writes in
//! the same order as if nothing had been lost.

use std::collections::VecDeque;

use crate::protocol::WriteMeta;

/// The writes shipped and not yet applied at the secondary, in stamp order.
#[derive(Clone, Debug, Default, Hash)]
pub struct Retained {
    /// Off when the secondary's buffers are non-volatile: nothing is kept.
    on: bool,
    writes: VecDeque<WriteMeta>,
}

impl Retained {
    /// Keeps shipped writes when the secondary's buffers are `volatile`.
    pub fn new(volatile: bool) -> Self {
        Retained {
            on: volatile,
            writes: VecDeque::new(),
        }
    }

    /// `w` was shipped (stamps never go backwards, so this keeps stamp order).
    pub fn shipped(&mut self, w: WriteMeta) {
        if self.on {
            self.writes.push_back(w);
        }
    }

    /// The secondary has applied every write stamped at or below `t`.
    pub fn applied_through(&mut self, t: u64) {
        while self.writes.front().is_some_and(|w| w.stamp <= t) {
            self.writes.pop_front();
        }
    }

    /// The writes to send again after the secondary lost its buffers, oldest first.
    pub fn to_resend(&self) -> Vec<WriteMeta> {
        self.writes.iter().copied().collect()
    }

    /// Writes kept.
    pub fn len(&self) -> usize {
        self.writes.len()
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testnet::write;

    fn w(id: u64, stamp: u64) -> WriteMeta {
        WriteMeta {
            stamp,
            ..write(0, id, 0)
        }
    }

    #[test]
    fn keeps_shipped_writes_until_applied_and_only_when_volatile() {
        let mut r = Retained::new(true);
        for (id, stamp) in [(1, 10), (2, 20), (3, 30)] {
            r.shipped(w(id, stamp));
        }
        r.applied_through(20);
        let ids: Vec<u64> = r.to_resend().iter().map(|x| x.id).collect();
        assert_eq!(ids, vec![3]);
        r.applied_through(30);
        assert!(r.is_empty());
        let mut off = Retained::new(false);
        off.shipped(w(1, 10));
        assert_eq!(off.len(), 0, "non-volatile buffers need no copy");
    }
}
