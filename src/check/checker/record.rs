//! The small records the checker's rooms share: a write's id, an extreme's key, the
//! latest-issued write of a run of versions, and one secondary subsystem's part of the image.
//! A leaf, so the rooms and the checker itself can all name them without naming each other.

use std::collections::{BTreeSet, VecDeque};

use crate::check::Label;

/// A host write's unique id, assigned in issue order.
pub type WriteId = u64;

/// An extreme's key: (history order, write id).
pub(super) type Key = (u64, u64);

/// The latest-issued write of a run of versions: what blocks are ranked by for the latest visible
/// write, and what a violation says of the write it names, kept even after that write is retired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Latest {
    /// Its host-history order of issue.
    pub seq: u64,
    /// Its id.
    pub id: WriteId,
    /// When it was issued.
    pub issued: u64,
    /// Its generated label, so that a violation names it even after it was retired.
    pub label: Label,
}

impl Latest {
    pub fn key(&self) -> Key {
        (self.seq, self.id)
    }
}

/// One secondary subsystem's part of the image.
pub(super) struct Part {
    /// Whether hosts may read this subsystem.
    pub readable: bool,
    /// Its writes that became missing when they completed, in completion order; the front is
    /// missing (entries that stopped being missing are dropped when they reach it).
    pub missing: VecDeque<Key>,
    /// Its writes that became missing out of completion order.
    pub missing_late: BTreeSet<Key>,
    /// Its latest-issued visible write and that write's block.
    pub newest: Option<(Latest, usize)>,
}

impl Part {
    /// A readable, empty part.
    pub fn new() -> Self {
        Part {
            readable: true,
            missing: VecDeque::new(),
            missing_late: BTreeSet::new(),
            newest: None,
        }
    }

    /// Its earliest-completed missing write's (completion order, id).
    pub fn earliest(&self) -> Option<Key> {
        match (self.missing.front(), self.missing_late.first()) {
            (Some(&a), Some(&b)) => Some(a.min(b)),
            (a, b) => a.or(b).copied(),
        }
    }
}
