//! Peak resident memory, from `/proc/self/status` (Linux); 0 where it cannot be read.

/// The process's peak resident set size (VmHWM) in bytes, or 0 where unknown.
pub fn peak_rss_bytes() -> u64 {
    status_kib("VmHWM:").map_or(0, |k| k * 1024)
}

/// The process's current resident set size (VmRSS) in bytes, or 0 where unknown.
pub fn rss_bytes() -> u64 {
    status_kib("VmRSS:").map_or(0, |k| k * 1024)
}

fn status_kib(key: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(key))?;
    line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Resets the peak to the current resident size (Linux: `5` into `/proc/self/clear_refs`);
/// false where that is not possible.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The highest peak seen across resets.
#[derive(Debug, Default)]
pub struct Peak {
    max: u64,
}

impl Peak {
    /// Nothing seen yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Folds in the current peak.
    pub fn sample(&mut self) {
        self.max = self.max.max(peak_rss_bytes());
    }

    /// Folds in the current peak, then resets it so the next stretch is measured alone; false
    /// when it could not be reset.
    pub fn sample_and_reset(&mut self) -> bool {
        self.sample();
        reset_peak()
    }

    /// The highest peak seen.
    pub fn max(&self) -> u64 {
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_is_at_least_current_where_known() {
        // The current size first: the peak read after it can only be higher (other tests
        // allocate in parallel threads of this process).
        let now = rss_bytes();
        let peak = peak_rss_bytes();
        if cfg!(target_os = "linux") {
            assert!(peak > 0 && now > 0);
        }
        assert!(peak >= now || peak == 0);
    }
}
