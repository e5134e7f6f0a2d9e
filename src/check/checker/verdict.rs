//! Verdicts: judging an image against the rule and describing a violation so a reader can
//! check it by hand.

use super::{BlockAddr, Checker, Key, Latest, WriteId, MAX_REPORTED};
use crate::check::{Label, Violation};

impl Checker {
    /// Judges the image hosts can read as it stands at `at` (the union of the readable
    /// subsystems), recording a violation if it breaks the rule.
    pub fn check(&mut self, at: u64) -> bool {
        if self.fenced > 0 {
            let (missing, present) = self.readable_extremes();
            return self.judge(missing, present, at);
        }
        self.judge(self.earliest_missing(), self.newest_visible, at)
    }

    /// Judges the whole image (every secondary, readable or fenced) as it stands at `at`: what
    /// hosts get once the secondary site is theirs after a disaster, whatever the protocol left.
    pub fn check_whole(&mut self, at: u64) -> bool {
        self.judge(self.earliest_missing(), self.newest_visible, at)
    }

    /// Records a violation when the earliest-completed `missing` write completed before the
    /// latest-issued `present` one was issued.
    pub(super) fn judge(
        &mut self,
        missing: Option<Key>,
        present: Option<(Latest, usize)>,
        at: u64,
    ) -> bool {
        let (Some((completed, a)), Some((newest, slot))) = (missing, present) else {
            return true;
        };
        let (issued, b) = newest.key();
        if completed >= issued {
            return true;
        }
        if self.reported.insert((a, b)) {
            self.violation_count += 1;
            if self.violations.len() < MAX_REPORTED {
                let v = self.describe(a, (newest, slot), at);
                self.violations.push(v);
            }
        }
        false
    }

    /// The generated label of write `id` (set with [`Checker::set_label`]), while it is held.
    pub fn label(&self, id: WriteId) -> Label {
        self.rec(id).map_or(Label::NONE, |r| r.label)
    }

    /// Gives the write just issued as `id` its generated label (a DBMS transaction's role).
    pub fn set_label(&mut self, id: WriteId, label: Label) {
        self.rec_mut(id).label = label;
    }

    /// How violations name write `id`: its scripted label, its generated one, or `w<id>`.
    pub(super) fn name(&self, id: WriteId) -> String {
        self.name_as(id, self.label(id))
    }

    /// As [`Checker::name`], for a write whose generated label is known to be `label` (the
    /// checker may have retired its record).
    pub(super) fn name_as(&self, id: WriteId, label: Label) -> String {
        match self.labels.get(&id) {
            Some(l) => l.clone(),
            None => label.name(id),
        }
    }

    /// The name of what block `b` of the secondary holds.
    pub(super) fn held_name(&self, b: usize) -> String {
        let block = &self.blocks[b];
        block.shown.map_or_else(
            || "its initial contents".to_string(),
            |w| self.name_as(w, block.shown_label),
        )
    }

    pub(super) fn place_of(&self, a: BlockAddr) -> String {
        format!(
            "subsystem {} volume {} block {}",
            a.subsystem + 1,
            a.volume,
            a.block
        )
    }

    /// The violation whose missing write is `missing` and whose present write is `present`
    /// (the latest-issued visible one, and its block).
    pub(super) fn describe(
        &self,
        missing: WriteId,
        present: (Latest, usize),
        at: u64,
    ) -> Violation {
        let m = self.live(missing);
        let (p, slot) = present;
        let held = self.held_name(self.geometry.index(m.addr));
        let (completed, issued) = if self.times_shown {
            (
                format!(" at {} ns", m.completed),
                format!(" (at {} ns)", p.issued),
            )
        } else {
            (String::new(), String::new())
        };
        Violation {
            kind: crate::check::violation::DEPENDENT_WRITE.to_string(),
            missing: self.name(missing),
            present: self.name_as(p.id, p.label),
            at_ns: at,
            detail: format!(
                "{} ({}) is visible on the secondary, but {} ({}) is not: {} completed{completed} \
                 and only then was {} issued{issued}, so it depends on it; {}'s block holds {}",
                self.name_as(p.id, p.label),
                self.place_of(self.geometry.addr(slot)),
                self.name(missing),
                self.place_of(m.addr),
                self.name(missing),
                self.name_as(p.id, p.label),
                self.name(missing),
                held
            ),
        }
    }

    /// Violations found so far (at most [`MAX_REPORTED`], in the order found).
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Distinct (missing, present) pairs found, including those beyond the reported ones.
    pub fn violation_count(&self) -> u64 {
        self.violation_count
    }
}
