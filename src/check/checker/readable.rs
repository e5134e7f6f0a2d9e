//! The image hosts can read: each secondary subsystem is readable or fenced (the model says
//! which, as a controller holds a reservation; never a protocol message), and the image judged is
//! the union of the readable ones.
//!
//! Each subsystem keeps its own part of the checker's two extremes: its missing writes in
//! completion order (with a side set for the rare out-of-order ones) and its latest-issued
//! visible write. Both are kept in O(1) amortized beside the image-wide ones, since a change to
//! a block moves only its own subsystem's part. While every subsystem is readable the image-wide
//! extremes judge in O(1); while some is fenced, a judgement takes the extremes over the
//! readable parts from a tournament tree (see `tournament.rs`), O(log pairs) per part changed
//! since the last one.

use super::record::{Key, Latest};
use super::Checker;

impl Checker {
    /// The model says hosts may (`true`) or may not read secondary `subsystem` (0-based) from
    /// `at` on. A change is judged at once: the image hosts can read is now another one.
    pub fn set_readable(&mut self, subsystem: u16, readable: bool, at: u64) {
        self.changes += 1;
        let Some(part) = self.parts.get_mut(usize::from(subsystem)) else {
            return;
        };
        if part.readable == readable {
            return;
        }
        part.readable = readable;
        self.tournament.touch(usize::from(subsystem));
        if readable {
            self.fenced -= 1;
        } else {
            self.fenced += 1;
        }
        self.check(at);
    }

    /// True when hosts may read secondary `subsystem` (0-based).
    pub fn is_readable(&self, subsystem: u16) -> bool {
        self.parts
            .get(usize::from(subsystem))
            .is_some_and(|p| p.readable)
    }

    /// True while every secondary subsystem is readable: the whole image is open to hosts.
    pub fn is_open(&self) -> bool {
        self.fenced == 0
    }

    /// The earliest missing and the latest visible write over the readable subsystems.
    pub(super) fn readable_extremes(&mut self) -> (Option<Key>, Option<(Latest, usize)>) {
        let (missing, newest) = self.tournament.extremes(&self.parts);
        (missing, newest.and_then(|s| self.parts[s].newest))
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{BlockAddr, Checker, Geometry, History};

    const G: Geometry = Geometry {
        pairs: 3,
        volumes: 1,
        blocks: 4,
    };

    fn addr(subsystem: u16, block: u32) -> BlockAddr {
        BlockAddr {
            subsystem,
            volume: 0,
            block,
        }
    }

    /// io1 on subsystem 1, then io2 on subsystem 2, then io3 on subsystem 1.
    fn figure1() -> Checker {
        let mut c = Checker::new(G, History::Bounded);
        for (id, a, label, span) in [
            (0, addr(0, 0), "io1", [0, 10]),
            (1, addr(1, 0), "io2", [11, 20]),
            (2, addr(0, 1), "io3", [21, 30]),
        ] {
            c.issued(id, a, 4096, Some(label), span[0]);
            c.stored(id, span[0] + 1);
            c.completed(id, span[1]);
        }
        c
    }

    /// A fenced subsystem is no part of the image: io3 on readable subsystem 1 beside fenced
    /// subsystem 2, which lacks io2, is what hosts would read while subsystem 2 applies.
    #[test]
    fn a_fenced_subsystem_hides_its_missing_writes() {
        let mut c = figure1();
        c.applied(addr(0, 0), Some(0), 40);
        c.set_readable(1, false, 41);
        c.applied(addr(0, 1), Some(2), 42);
        assert!(c.violations().is_empty(), "{:?}", c.violations());
        assert!(!c.is_open());
        c.set_readable(1, true, 43);
        assert_eq!(
            c.violations().len(),
            1,
            "unfencing a torn subsystem shows it"
        );
        assert_eq!(c.violations()[0].missing, "io2");
        assert_eq!(c.violations()[0].at_ns, 43);
    }

    /// The early-reset torn image: subsystem 1 applied and was unfenced while subsystem 2 was
    /// never fenced and lacks io2. A global "open" flag that some other subsystem holds closed
    /// would miss it; the readable union does not.
    #[test]
    fn readable_secondaries_are_judged_while_another_is_fenced() {
        let mut c = figure1();
        c.set_readable(2, false, 35);
        c.set_readable(0, false, 36);
        c.applied(addr(0, 0), Some(0), 40);
        c.applied(addr(0, 1), Some(2), 41);
        assert!(c.violations().is_empty(), "subsystem 1 is fenced");
        c.set_readable(0, true, 42);
        assert_eq!(c.violations().len(), 1, "{:?}", c.violations());
        assert_eq!(c.violations()[0].present, "io3");
        assert_eq!(c.violations()[0].at_ns, 42);
    }

    /// Contents changing on a fenced subsystem are not judged, and a visible write there is
    /// no witness.
    #[test]
    fn a_fenced_subsystem_hides_its_visible_writes() {
        let mut c = figure1();
        c.set_readable(0, false, 35);
        c.applied(addr(0, 1), Some(2), 41);
        c.applied(addr(1, 0), Some(1), 42);
        assert!(c.violations().is_empty());
        assert!(c.check(43));
        assert!(!c.check_whole(44), "the whole image lacks io1 under io3");
    }
}
