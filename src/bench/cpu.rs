//! On-CPU time of the calling thread, so figures stay meaningful on a busy machine where
//! wall-clock time also counts the waits for a core. Unix only (`clock_gettime` with
//! `CLOCK_THREAD_CPUTIME_ID`, nanoseconds); elsewhere it reads 0 and only wall-clock figures
//! are reported.

use std::time::Instant;

/// Nanoseconds the calling thread has spent on a CPU, or 0 where unknown.
#[cfg(unix)]
pub fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call, and
    // CLOCK_THREAD_CPUTIME_ID needs nothing else.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0;
    }
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

/// Nanoseconds the calling thread has spent on a CPU, or 0 where unknown.
#[cfg(not(unix))]
pub fn thread_cpu_ns() -> u64 {
    0
}

/// Wall-clock and on-CPU seconds of one stretch of work on this thread.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timing {
    /// Wall-clock seconds.
    pub wall: f64,
    /// Seconds this thread was on a CPU (0 where unknown).
    pub cpu: f64,
}

/// Times `f` on this thread.
pub fn time<T>(f: impl FnOnce() -> T) -> (T, Timing) {
    let (c0, t0) = (thread_cpu_ns(), Instant::now());
    let out = f();
    let wall = t0.elapsed().as_secs_f64();
    let c1 = thread_cpu_ns();
    let cpu = if c0 > 0 || c1 > 0 {
        c1.saturating_sub(c0) as f64 / 1e9
    } else {
        0.0
    };
    (out, Timing { wall, cpu })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_moves_with_work_where_known() {
        let (_, t) = time(|| (0..2_000_000u64).fold(0u64, |a, x| a.wrapping_add(x * x)));
        assert!(t.wall >= 0.0 && t.cpu >= 0.0);
    }
}
