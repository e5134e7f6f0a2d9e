//! Liveness: what the checker says when the copy stalls rather than breaks. Both checks run once,
//! at the end of a run, and only when the run gave the system a fair chance (every fault healed
//! a grace time before the end, and no budget cut the run short; the caller decides).

use super::{Checker, Violation};

impl Checker {
    /// Every write completed at its host by `deadline` must be visible at `now`. If one is not,
    /// records a `liveness` violation naming the oldest such write, when it completed (since
    /// when the copy stalled) and how many are stuck, and returns false.
    pub fn liveness(&mut self, deadline: u64, now: u64) -> bool {
        let stuck = || {
            self.held()
                .filter(|(id, r)| r.completed <= deadline && !self.is_visible(*id))
        };
        let Some(a) = stuck().min_by_key(|(_, r)| r.completed).map(|(id, _)| id) else {
            return true;
        };
        let stuck_count = stuck().count();
        let newest = self
            .newest_visible
            .map(|(l, _)| self.name_as(l.id, l.label));
        let m = self.live(a);
        let detail = format!(
            "copy stalled since {} ns: {} ({}) completed then and is still not on the secondary \
             at {} ns, past the liveness deadline for writes completed by {} ns; {} such writes \
             in all; newest visible write: {}",
            m.completed,
            self.name(a),
            self.place_of(m.addr),
            now,
            deadline,
            stuck_count,
            newest.as_deref().unwrap_or("none")
        );
        self.push_liveness(self.name(a), now, detail);
        false
    }

    /// The image never reopened after a disaster: `fenced` names the secondaries (1-based) still
    /// fenced when the run ended at `now`, and `closed_since` when the image last closed.
    pub fn never_reopened(&mut self, fenced: &[u16], closed_since: u64, now: u64) {
        let names: Vec<String> = fenced.iter().map(|s| format!("S{s}")).collect();
        let detail = format!(
            "image never reopened: closed since {closed_since} ns, for {} ns until the run ended \
             at {now} ns, with {} still fenced",
            now.saturating_sub(closed_since),
            names.join(", ")
        );
        self.push_liveness("image".to_string(), now, detail);
    }

    fn push_liveness(&mut self, what: String, now: u64, detail: String) {
        self.violation_count += 1;
        self.violations.push(Violation {
            kind: crate::check::violation::LIVENESS.to_string(),
            missing: what,
            present: String::new(),
            at_ns: now,
            detail,
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{Checker, Geometry, History};

    #[test]
    fn an_image_that_never_reopened_says_how_long_it_stayed_closed() {
        let g = Geometry {
            pairs: 2,
            volumes: 1,
            blocks: 1,
        };
        let mut c = Checker::new(g, History::Bounded);
        c.never_reopened(&[2], 1_000, 5_000);
        let v = &c.violations()[0];
        assert_eq!((v.kind.as_str(), v.missing.as_str()), ("liveness", "image"));
        assert!(v.detail.contains("image never reopened"), "{}", v.detail);
        assert!(v.detail.contains("for 4000 ns"), "{}", v.detail);
        assert!(v.detail.contains("S2"), "{}", v.detail);
    }
}
