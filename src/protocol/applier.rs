//! A secondary applying one batch of buffered writes (a consistency group, a cycle) to its
//! volumes, as the rival protocols do on their coordinator's word: only the newest write of each
//! block goes to the volume, and the batch is complete once every one of them has landed. Applies
//! in flight survive a reset (they are handed to the volume again on restart) unless the buffers
//! are volatile (then they are lost with them).

use std::collections::BTreeMap;

use super::{Checkpoint, Output, Outputs, WriteMeta};
use crate::check::{BlockAddr, WriteId};

/// The batch a secondary is applying, if any.
#[derive(Debug, Default)]
pub struct Applier {
    applying: BTreeMap<WriteId, WriteMeta>,
    owed: Option<Checkpoint>,
}

impl Applier {
    /// Nothing applying.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts applying `writes` (oldest first) as batch `cp`: the newest write of each block is
    /// handed to the volume.
    pub fn start(
        &mut self,
        cp: Checkpoint,
        writes: impl IntoIterator<Item = WriteMeta>,
        out: &mut Outputs,
    ) {
        let mut newest: BTreeMap<BlockAddr, WriteMeta> = BTreeMap::new();
        for w in writes {
            newest.insert(w.addr, w);
        }
        for w in newest.into_values() {
            self.applying.insert(w.id, w);
            out.push(Output::Apply(w));
        }
        self.owed = Some(cp);
    }

    /// Write `w` landed on the volume.
    pub fn landed(&mut self, w: WriteMeta) {
        self.applying.remove(&w.id);
    }

    /// The batch, once every write of it has landed (then forgotten: yielded once).
    pub fn take_complete(&mut self) -> Option<Checkpoint> {
        if self.applying.is_empty() {
            self.owed.take()
        } else {
            None
        }
    }

    /// True while a batch is applying or its completion is not yet taken.
    pub fn busy(&self) -> bool {
        self.owed.is_some()
    }

    /// After a reset that lost the volatile buffers: the writes in flight are gone with them.
    /// Returns the batch that was applying, to apply again once the buffer is refilled.
    pub fn lose(&mut self) -> Option<Checkpoint> {
        self.applying.clear();
        self.owed.take()
    }

    /// After a reset: hands every write still in flight to the volume again.
    pub fn restart(&self, out: &mut Outputs) {
        for w in self.applying.values() {
            out.push(Output::Apply(*w));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testnet::write;

    fn w(id: WriteId, block: u32) -> WriteMeta {
        write(0, id, block)
    }

    #[test]
    fn only_the_newest_write_of_a_block_is_applied_and_completion_waits_for_all() {
        let mut a = Applier::new();
        let mut out = Outputs::new();
        let cp = Checkpoint { id: 1, t: 9 };
        a.start(cp, [w(1, 0), w(2, 1), w(3, 0)], &mut out);
        assert_eq!(
            out.as_slice(),
            &[Output::Apply(w(3, 0)), Output::Apply(w(2, 1))]
        );
        assert!(a.busy());
        a.landed(w(3, 0));
        assert_eq!(a.take_complete(), None);
        out.drain();
        a.restart(&mut out);
        assert_eq!(out.as_slice(), &[Output::Apply(w(2, 1))], "re-applied");
        a.landed(w(2, 1));
        assert_eq!(a.take_complete(), Some(cp));
        assert_eq!(a.take_complete(), None, "yielded once");
        assert!(!a.busy());
    }

    #[test]
    fn an_empty_batch_is_complete_at_once() {
        let mut a = Applier::new();
        let mut out = Outputs::new();
        let cp = Checkpoint { id: 2, t: 0 };
        a.start(cp, [], &mut out);
        assert!(out.is_empty());
        assert_eq!(a.take_complete(), Some(cp));
    }
}
