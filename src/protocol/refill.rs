//! A `central` or `cycle` member refilling the volatile buffers a reset lost: it asks their
//! sender for them again (numbering each loss), and a release that comes meanwhile, or the batch
//! it was applying when it reset, waits until the resend has ended. The member stays fenced for
//! such a batch (a release fences it), so hosts never read a volume that lacks part of a batch.
//!
//! Writes that were on their way before the loss may arrive again before the resend: the buffer
//! then holds them twice, but the resend repeats every write of each unapplied batch in order
//! after them, so the newest write of each block is still the one applied last.

use super::Checkpoint;

/// What a member knows of its losses and the resends that answer them.
#[derive(Clone, Copy, Debug, Default, Hash)]
pub struct Refill {
    /// Buffers lost so far (persisted): only the resend answering the latest one ends the wait.
    losses: u64,
    awaiting: bool,
    /// The newest release to apply once the resend has ended.
    deferred: Option<Checkpoint>,
}

impl Refill {
    /// The buffers were just lost, while applying `owed` (if anything): returns the number to ask
    /// the sender to resend for.
    pub fn lost(&mut self, owed: Option<Checkpoint>) -> u64 {
        self.losses += 1;
        self.awaiting = true;
        self.defer(owed);
        self.losses
    }

    /// True while a resend is awaited: a release must wait.
    pub fn awaiting(&self) -> bool {
        self.awaiting
    }

    /// Keeps `cp` (if newer than what is kept) to apply once the resend has ended.
    pub fn defer(&mut self, cp: Option<Checkpoint>) {
        if let Some(cp) = cp {
            if self.deferred.is_none_or(|d| d.id < cp.id) {
                self.deferred = Some(cp);
            }
        }
    }

    /// The sender says it resent everything loss `loss` asked for. If that ends the wait (it
    /// answers the latest loss), returns the release held back, to apply now.
    pub fn resent(&mut self, loss: u64) -> Option<Checkpoint> {
        if !self.awaiting || loss != self.losses {
            return None;
        }
        self.awaiting = false;
        self.deferred.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cp(id: u64) -> Checkpoint {
        Checkpoint { id, t: id }
    }

    #[test]
    fn a_release_waits_for_the_latest_losss_resend() {
        let mut r = Refill::default();
        assert!(!r.awaiting());
        assert_eq!(r.lost(Some(cp(3))), 1);
        r.defer(Some(cp(2)));
        assert_eq!(
            r.lost(None),
            2,
            "a second reset before the first resend ended"
        );
        r.defer(Some(cp(5)));
        assert_eq!(
            r.resent(1),
            None,
            "the first loss's resend lacks the second's writes"
        );
        assert!(r.awaiting());
        assert_eq!(r.resent(2), Some(cp(5)));
        assert!(!r.awaiting());
        assert_eq!(r.resent(2), None);
    }
}
