//! Verdicts: judging an image against the rule and describing a violation so a reader can
//! check it by hand.

use super::{BlockAddr, Checker, Key, Latest, WriteId, MAX_REPORTED};
use crate::check::Violation;

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

    pub(super) fn name(&self, id: WriteId) -> String {
        match self.labels.get(&id) {
            Some(l) => l.clone(),
            None => format!("w{id}"),
        }
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
        let held = self.blocks[self.geometry.index(m.addr)]
            .shown
            .map_or_else(|| "its initial contents".to_string(), |w| self.name(w));
        Violation {
            kind: "dependent-write".to_string(),
            missing: self.name(missing),
            present: self.name(p.id),
            at_ns: at,
            detail: format!(
                "{} ({}) is visible on the secondary, but {} ({}) is not: {} completed at {} ns \
                 and only then was {} issued (at {} ns), so it depends on it; {}'s block holds {}",
                self.name(p.id),
                self.place_of(self.geometry.addr(slot)),
                self.name(missing),
                self.place_of(m.addr),
                self.name(missing),
                m.completed,
                self.name(p.id),
                p.issued,
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
