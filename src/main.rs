//! The `rcsim` command line: parses arguments, runs the command, maps the outcome to the exit
//! codes of the product contract (0 consistent, 1 violation, 2 bad input, 3 budget exhausted,
//! 4 `replay` did not reproduce).

mod cli;

use std::process::ExitCode;

/// mimalloc instead of the system allocator: `explore` clones and drops millions of small states
/// (glibc's malloc took half its time), and the simulator's start-up at a thousand pairs makes
/// millions of small allocations too. Results do not depend on it: nothing reads addresses.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (milliseconds before freed memory goes back to the OS,
/// 1000 by default in mimalloc 3), which the sys crate does not name: the option just before its
/// `mi_option_use_numa_nodes` in mimalloc's option enum.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = libmimalloc_sys::mi_option_use_numa_nodes - 1;

/// How long freed memory waits before it goes back to the system, in milliseconds (mimalloc's
/// default is 1000). A burst (a thousand pairs' start-up) held for a full second is still held when
/// the next one comes, and peak memory follows the sum instead of what is in flight; given back at
/// once (0), pages freed and reused within the same millisecond are faulted in and zeroed afresh.
/// bench-standard with 1024 pairs for 3 s, four alternating runs each of `/usr/bin/time` on a
/// shared 2-core VM: at 0 ms 55,100 minor faults, 412 MiB peak, 3.1 to 4.5 s of user and system
/// time (median 3.7); at 3 ms 24,000 to 34,000 faults, 434 to 454 MiB, 2.8 to 3.6 s (median 3.3);
/// at 1000 ms 14,800 faults and 499 MiB. Which pages go back when depends on the wall clock, but
/// nothing in a run reads an address, so results do not.
const PURGE_DELAY_MS: std::os::raw::c_long = 3;

/// Sets [`PURGE_DELAY_MS`] for every command but `explore` (see `Cli::bursty`).
fn purge_soon() {
    // SAFETY: sets one integer option of the allocator; mimalloc reads it under its own locks.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, PURGE_DELAY_MS) };
}

/// Makes the standard streams safe to use before anything else runs.
///
/// A closed standard stream is reopened on `/dev/null`: otherwise the first file rcsim opens
/// would take its descriptor and receive whatever is printed. A write to a closed pipe ends the
/// process quietly by `SIGPIPE`, as `cat` or `grep` do (`rcsim run ... --json | head -c1`),
/// instead of an error or a panic on every later print.
#[cfg(unix)]
fn guard_std_streams() {
    // SAFETY: plain libc calls on the three standard descriptors, before any thread starts.
    unsafe {
        for fd in 0..=2 {
            if libc::fcntl(fd, libc::F_GETFD) == -1 {
                let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
                if null >= 0 && null != fd {
                    libc::dup2(null, fd);
                    libc::close(null);
                }
            }
        }
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn guard_std_streams() {}

fn main() -> ExitCode {
    guard_std_streams();
    let args = cli::Cli::parse_bounded();
    if args.bursty() {
        purge_soon();
    }
    ExitCode::from(cli::dispatch(args))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index names the purge delay: its default is 1000 ms in mimalloc 3 (the options beside
    /// it default to 1 and 0), and setting it takes.
    #[test]
    fn the_allocator_option_set_is_the_purge_delay() {
        // SAFETY: reads and sets integer options of the allocator.
        unsafe {
            assert_eq!(libmimalloc_sys::mi_option_get(PURGE_DELAY), 1000);
            purge_soon();
            assert_eq!(libmimalloc_sys::mi_option_get(PURGE_DELAY), PURGE_DELAY_MS);
        }
    }
}
