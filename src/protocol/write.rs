//! One write as the copy machinery sees it: a leaf both the messages and the node interface name,
//! so neither has to import the other for it.

use crate::check::{BlockAddr, WriteId};

/// One write as the copy machinery sees it: which block, how big, and its time stamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WriteMeta {
    /// The host's write id; the block's contents after the write.
    pub id: WriteId,
    /// The block written.
    pub addr: BlockAddr,
    /// Bytes written.
    pub size: u32,
    /// The primary's sequence-clock value when the write completed (0 where unused).
    pub stamp: u64,
    /// The primary's local clock when the write arrived from its host (the controller notes it
    /// as it accepts the command), so a protocol can bound when the write began.
    pub arrived: u64,
}
