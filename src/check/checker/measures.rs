//! What the result reads from the checker: its counts, latencies, loss (RPO) and which labelled
//! writes the image shows.

use super::{Checker, ImageSummary, Rpo, WriteId, WriteRec, NEVER};
use crate::check::LatencyStats;

impl Checker {
    /// Writes shown by the secondary at least once.
    pub fn applied_writes(&self) -> u64 {
        self.applied_writes
    }

    /// Host write latency (issue to completion).
    pub fn host_latency(&self) -> &LatencyStats {
        &self.host_latency
    }

    /// When the primary volume stored write `id`, if it has and the checker still holds it (for
    /// metrics and reports: a write is held at least until a secondary first shows it).
    pub fn stored_at(&self, id: WriteId) -> Option<u64> {
        self.rec(id).map(|r| r.stored).filter(|&t| t != NEVER)
    }

    /// When a secondary volume first showed write `id`, if one has and the checker still holds
    /// it (for metrics and reports).
    pub fn applied_at(&self, id: WriteId) -> Option<u64> {
        self.rec(id).map(|r| r.applied).filter(|&t| t != NEVER)
    }

    /// Completion time of the earliest-completed write the image lacks, if it lacks any: the
    /// image's data exposure at time `t` is `t` minus this (for metrics and reports).
    pub fn oldest_missing_completion(&self) -> Option<u64> {
        self.earliest_missing()
            .map(|(_, id)| self.live(id).completed)
    }

    /// Whether the image shows write `id` (a retired write is shown, or covered).
    pub(super) fn is_visible(&self, id: WriteId) -> bool {
        let Some(rec) = self.rec(id) else {
            return id < self.first;
        };
        rec.version != u32::MAX && (rec.version as usize) < self.blocks.at(rec.slot).visible
    }

    /// The writes the checker holds, with their ids.
    pub(super) fn held(&self) -> impl Iterator<Item = (WriteId, &WriteRec)> {
        let stragglers = self.stragglers.iter().map(|(&id, r)| (id, r));
        stragglers.chain((self.first..).zip(self.writes.iter()))
    }

    /// What the image has lost: writes completed at the host by `reference` that it does not show.
    pub fn rpo(&self, reference: u64) -> Rpo {
        let mut rpo = Rpo::default();
        let mut oldest = NEVER;
        for (id, rec) in self.held() {
            if rec.completed <= reference && !self.is_visible(id) {
                rpo.lost_writes += 1;
                rpo.lost_bytes += u64::from(rec.size);
                oldest = oldest.min(rec.completed);
            }
        }
        if oldest != NEVER {
            rpo.window_ns = reference.saturating_sub(oldest);
        }
        rpo
    }

    /// The labelled writes the image shows and does not show, in issue order.
    pub fn image(&self) -> ImageSummary {
        let mut s = ImageSummary::default();
        for (&id, name) in &self.labels {
            if self.is_visible(id) {
                s.present.push(name.clone());
            } else {
                s.absent.push(name.clone());
            }
        }
        s
    }
}
