//! Ctrl-C and `kill`: one handler for the whole process, installed by the commands that
//! write files while they run (`run`, `replay`, `report`, `sweep`, `fuzz`, `shrink`, `explore`)
//! once their inputs are read, just before that work starts ([`armed`]). Until then the default
//! actions stand, so Ctrl-C at a scenario read from a terminal, a pipe or a FIFO ends rcsim at
//! once: there is nothing yet to clean up, and a handler would only swallow the signal while the
//! read goes on. The handler only sets a flag; the simulation loop, the campaign's workers, the
//! shrinker and the exhaustive search look at it and stop. Runs drop the output files they had
//! started, so no temporary file is left beside a target; a campaign keeps the seeds it finished
//! and a shrink the smallest failing case it found, each written whole. The process then exits
//! with 128 plus the signal's number (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP), as a
//! shell reports a process the signal ended. A second signal ends the process at once, for a
//! user who will not wait. A signal the process started with ignored (`nohup`, a script's `&`)
//! stays ignored.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// Set by the first signal; what the loops look at.
static STOP: AtomicBool = AtomicBool::new(false);

/// The first signal's number (0: none yet).
static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// The numbers of the signals handled: POSIX's, the same wherever `kill -N` works (and SIGINT's
/// is what Ctrl-C stands for elsewhere).
const SIGHUP: i32 = 1;
/// See [`SIGHUP`].
const SIGINT: i32 = 2;
/// See [`SIGHUP`].
const SIGTERM: i32 = 15;

/// Notes signal `sig`; a second one ends the process at once with its exit code.
fn note(sig: i32) {
    if SIGNAL
        .compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        #[cfg(unix)]
        // SAFETY: `_exit` is async-signal-safe; it ends the process without running anything.
        unsafe {
            libc::_exit(128 + sig)
        };
        #[cfg(not(unix))]
        std::process::exit(128 + sig);
    }
    STOP.store(true, Ordering::SeqCst);
}

#[cfg(unix)]
extern "C" fn on_signal(sig: libc::c_int) {
    note(sig);
}

/// Installs the handler for SIGINT, SIGTERM and SIGHUP, leaving any the process started with
/// ignored as it is.
#[cfg(unix)]
fn install() {
    for sig in [SIGINT, SIGTERM, SIGHUP] {
        // SAFETY: plain sigaction calls; the handler only stores to atomics (or calls `_exit`),
        // which is async-signal-safe.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, std::ptr::null(), &mut old) != 0
                || old.sa_sigaction == libc::SIG_IGN
            {
                continue;
            }
            let mut new: libc::sigaction = std::mem::zeroed();
            new.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            new.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut new.sa_mask);
            libc::sigaction(sig, &new, std::ptr::null_mut());
        }
    }
}

/// Installs the handler for Ctrl-C.
#[cfg(not(unix))]
fn install() {
    let _ = ctrlc::set_handler(|| note(SIGINT));
}

/// Installs the handler (the first call; later ones change nothing) and returns the flag the
/// first signal sets, for the loops to look at. A command calls it once its inputs are read,
/// just before the work whose files a signal must not leave half-written.
pub(super) fn armed() -> &'static AtomicBool {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(install);
    &STOP
}

/// The exit code of a process a signal stopped: 128 plus its number (130, SIGINT's, before any).
pub(super) fn code() -> u8 {
    let sig = match SIGNAL.load(Ordering::SeqCst) {
        0 => SIGINT,
        s => s,
    };
    u8::try_from(128 + sig).unwrap_or(u8::MAX)
}

/// The signal's name, for messages.
pub(super) fn name() -> String {
    match SIGNAL.load(Ordering::SeqCst) {
        SIGINT | 0 => "SIGINT".to_string(),
        SIGTERM => "SIGTERM".to_string(),
        SIGHUP => "SIGHUP".to_string(),
        s => format!("signal {s}"),
    }
}

/// When a signal has arrived: says on stderr that `what` stopped, and returns the exit code.
pub(super) fn stopped(what: &str) -> Option<u8> {
    STOP.load(Ordering::SeqCst).then(|| {
        errln!(
            "rcsim: {what} was stopped by {}; the output files it had not finished were removed",
            name()
        );
        code()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_128_plus_the_signal() {
        assert_eq!(code(), 130, "before any signal: SIGINT's");
        assert_eq!(name(), "SIGINT");
        assert!(stopped("the run").is_none());
        note(SIGTERM);
        assert!(STOP.load(Ordering::SeqCst));
        assert_eq!((code(), name().as_str()), (143, "SIGTERM"));
        assert_eq!(stopped("the run"), Some(143));
    }
}
