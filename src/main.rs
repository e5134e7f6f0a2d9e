//! The `rcsim` command line: parses arguments, runs the command, maps the outcome to the exit
//! codes of the product contract (0 consistent, 1 violation, 2 bad input, 3 budget exhausted,
//! 4 `replay` did not reproduce).

mod cli;

use std::process::ExitCode;

use clap::Parser;

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
    let args = cli::Cli::parse();
    ExitCode::from(cli::dispatch(args))
}
