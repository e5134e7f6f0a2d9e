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
    field_kib(&std::fs::read_to_string("/proc/self/status").ok()?, key)
}

/// The value in KiB of `key` in the text of a `/proc/*/status` file.
fn field_kib(status: &str, key: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(key))?;
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
        // Both from one read of the file: read one after the other, another test of this
        // process could free memory and reset the peak between them.
        let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
            assert_eq!((rss_bytes(), peak_rss_bytes()), (0, 0));
            return;
        };
        let now = field_kib(&status, "VmRSS:").expect("VmRSS");
        let peak = field_kib(&status, "VmHWM:").expect("VmHWM");
        assert!(now > 0 && peak >= now, "VmRSS {now} kB, VmHWM {peak} kB");
        assert!(peak_rss_bytes() > 0 && rss_bytes() > 0);
    }

    #[test]
    fn a_status_field_is_read_in_kib() {
        let text = "Name:\trcsim\nVmHWM:\t  4321 kB\nVmRSS:\t  1234 kB\n";
        assert_eq!(field_kib(text, "VmHWM:"), Some(4321));
        assert_eq!(field_kib(text, "VmRSS:"), Some(1234));
        assert_eq!(field_kib(text, "VmSwap:"), None);
    }
}
