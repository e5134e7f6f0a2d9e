//! The secondary master's rendezvous table (step 410): for each checkpoint, which members of
//! the copy set group have forwarded it, and which checkpoints every member has forwarded.
//!
//! The release takes the newest ready checkpoint. Testing every entry against the group on
//! every forward cost the length of the table, and with a member that never forwards again (a
//! secondary lost for good, under `freeze`) the table only grows: a run's time grew with the
//! square of its simulated time. So each entry counts its members that are in the group, and
//! the ready entries sit in a set ordered by (time, id); a change of the group recounts.

use std::collections::{BTreeMap, BTreeSet};

use crate::protocol::{Checkpoint, Renaming};

/// One checkpoint's entry.
#[derive(Clone, Debug, Hash)]
pub(super) struct Entry {
    /// The checkpoint.
    pub(super) cp: Checkpoint,
    /// Members that forwarded it.
    members: BTreeSet<u16>,
    /// How many of `members` are in the group: ready when that is the whole group.
    present: u32,
    /// When the first forward of it arrived.
    pub(super) first_at: u64,
}

/// The table, by checkpoint id.
#[derive(Clone, Debug, Default, Hash)]
pub(super) struct Table {
    entries: BTreeMap<u64, Entry>,
    /// The ids of the entries every member of the group forwarded, by (time, id).
    ready: BTreeSet<(u64, u64)>,
}

impl Table {
    /// Notes that `from` forwarded `cp` at `now`, `group` being the members.
    pub(super) fn forward(&mut self, cp: Checkpoint, from: u16, now: u64, group: &BTreeSet<u16>) {
        let e = self.entries.entry(cp.id).or_insert_with(|| Entry {
            cp,
            members: BTreeSet::new(),
            present: 0,
            first_at: now,
        });
        if e.members.insert(from) && group.contains(&from) {
            e.present += 1;
        }
        if e.present as usize == group.len() {
            self.ready.insert((e.cp.t, cp.id));
        }
    }

    /// The newest entry every member of the group forwarded.
    pub(super) fn newest_ready(&self) -> Option<&Entry> {
        self.ready.last().and_then(|(_, id)| self.entries.get(id))
    }

    /// Forgets the entries of checkpoints at or before time `t` (a release covers them).
    pub(super) fn prune_through(&mut self, t: u64) {
        self.entries.retain(|_, e| e.cp.t > t);
        self.ready.retain(|&(et, _)| et > t);
    }

    /// Forgets everything (a new master starts afresh).
    pub(super) fn clear(&mut self) {
        self.entries.clear();
        self.ready.clear();
    }

    /// Counts each entry's members in `group` again, after the group changed.
    pub(super) fn recount(&mut self, group: &BTreeSet<u16>) {
        self.ready.clear();
        for (&id, e) in &mut self.entries {
            e.present = e.members.intersection(group).count() as u32;
            if e.present as usize == group.len() {
                self.ready.insert((e.cp.t, id));
            }
        }
    }

    /// Every pair renamed by `r` (the counts and readiness stay, as the group is renamed too).
    pub(super) fn rename(&mut self, r: &Renaming) {
        for e in self.entries.values_mut() {
            e.members = r.set(&e.members);
        }
    }

    /// Entries held.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The ready set found by testing every entry against `group`, to check the index by.
    #[cfg(test)]
    fn ready_by_scan(&self, group: &BTreeSet<u16>) -> BTreeSet<(u64, u64)> {
        self.entries
            .iter()
            .filter(|(_, e)| group.is_subset(&e.members))
            .map(|(&id, e)| (e.cp.t, id))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ready index agrees with a scan of the whole table as forwards arrive from all
    /// members but one, as that one (which never forwards) leaves the group, and as a release
    /// prunes the table; the newest ready entry is the newest checkpoint.
    #[test]
    fn the_ready_index_is_every_entry_the_whole_group_forwarded() {
        let mut t = Table::default();
        let mut group: BTreeSet<u16> = (0..3).collect();
        for id in 1..=200u64 {
            let cp = Checkpoint { id, t: id * 1000 };
            for from in [0u16, 1] {
                t.forward(cp, from, id * 1000, &group);
                assert_eq!(
                    t.ready,
                    t.ready_by_scan(&group),
                    "checkpoint {id} from {from}"
                );
            }
        }
        assert!(t.newest_ready().is_none(), "pair 2 forwarded nothing");
        assert_eq!(t.len(), 200);
        group.remove(&2);
        t.recount(&group);
        assert_eq!(t.ready, t.ready_by_scan(&group));
        assert_eq!(t.newest_ready().map(|e| e.cp.id), Some(200));
        t.prune_through(200_000);
        assert_eq!(t.len(), 0);
        assert!(t.newest_ready().is_none());
        let cp = Checkpoint {
            id: 201,
            t: 201_000,
        };
        t.forward(cp, 0, 201_000, &group);
        assert!(t.newest_ready().is_none(), "pair 1 has not forwarded it");
        t.forward(cp, 1, 201_000, &group);
        assert_eq!(t.newest_ready().map(|e| e.cp), Some(cp));
        assert_eq!(t.ready, t.ready_by_scan(&group));
    }
}
