//! Which secondary subsystems hosts may read. Each secondary is readable or fenced, and that is
//! the subsystem's own state, as a controller holds a reservation: a protocol node asks for it
//! for its own subsystem (`Output::Fence`), the subsystem keeps it, and the checker and the
//! watchers learn it from here, never from a protocol message.

/// The readable or fenced state of every secondary subsystem, and how long the image (all of
/// them together) has been closed.
#[derive(Debug, Clone)]
pub struct Readability {
    fenced: Vec<bool>,
    count: usize,
    /// When some subsystem last became fenced while all were readable, if any is fenced now.
    closed_since: Option<u64>,
    /// Nanoseconds the image was closed (some subsystem fenced) before `closed_since`.
    held_ns: u64,
}

impl Readability {
    /// `pairs` secondaries, all readable.
    pub fn new(pairs: u16) -> Self {
        Readability {
            fenced: vec![false; usize::from(pairs)],
            count: 0,
            closed_since: None,
            held_ns: 0,
        }
    }

    /// Secondary `pair` (0-based) is fenced (`true`) or readable from `now` on; returns whether
    /// that changed anything.
    pub fn set(&mut self, pair: u16, fenced: bool, now: u64) -> bool {
        let Some(f) = self.fenced.get_mut(usize::from(pair)) else {
            return false;
        };
        if *f == fenced {
            return false;
        }
        *f = fenced;
        if fenced {
            self.count += 1;
            if self.count == 1 {
                self.closed_since = Some(now);
            }
        } else {
            self.count -= 1;
            if self.count == 0 {
                if let Some(since) = self.closed_since.take() {
                    self.held_ns += now.saturating_sub(since);
                }
            }
        }
        true
    }

    /// True when hosts may read secondary `pair` (0-based).
    pub fn readable(&self, pair: u16) -> bool {
        !self.fenced.get(usize::from(pair)).copied().unwrap_or(false)
    }

    /// The fenced secondaries, numbered from 1 as the patent numbers subsystems.
    pub fn fenced(&self) -> Vec<u16> {
        (1..)
            .zip(&self.fenced)
            .filter(|(_, &f)| f)
            .map(|(i, _)| i)
            .collect()
    }

    /// How many secondaries are fenced.
    pub fn fenced_count(&self) -> usize {
        self.count
    }

    /// Since when the image has been closed (some secondary fenced), if it is now.
    pub fn closed_since(&self) -> Option<u64> {
        self.closed_since
    }

    /// Nanoseconds the image was closed up to `now`.
    pub fn held_ns(&self, now: u64) -> u64 {
        self.held_ns + self.closed_since.map_or(0, |s| now.saturating_sub(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_subsystem_holds_its_own_state_and_the_image_counts_closed_time() {
        let mut r = Readability::new(3);
        assert!(r.set(1, true, 10));
        assert!(!r.set(1, true, 11), "fencing twice changes nothing");
        assert!(r.set(2, true, 15));
        assert!(!r.readable(1) && !r.readable(2) && r.readable(0));
        assert_eq!(r.fenced(), vec![2, 3]);
        assert!(r.set(1, false, 20));
        assert_eq!(r.closed_since(), Some(10), "still closed by subsystem 3");
        assert!(r.set(2, false, 30));
        assert_eq!(r.closed_since(), None);
        assert_eq!(r.held_ns(100), 20);
        assert!(r.set(0, true, 200));
        assert_eq!(r.held_ns(250), 70);
        assert!(!r.set(7, true, 300), "no such subsystem");
    }
}
