//! `rcsim completions SHELL` and `rcsim man`: the shell completion script and the man page,
//! generated from the same argument definitions the binary parses, so they never drift.

use clap::CommandFactory;

use super::{Cli, EXIT_OK, EXIT_USAGE};

/// Prints the completion script for `shell` on stdout. It is made in memory first: the
/// generator panics on a stream it cannot write (`> /dev/full`), where [`super::stdout`] gives
/// exit 2 and one message.
pub(super) fn completions(shell: clap_complete::Shell) -> u8 {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "rcsim", &mut script);
    super::stdout(format_args!("{}", String::from_utf8_lossy(&script)));
    EXIT_OK
}

/// Prints the man page (roff) on stdout: `rcsim man > rcsim.1`, or of one command with
/// `rcsim man fuzz > rcsim-fuzz.1`.
pub(super) fn man(command: Option<&str>) -> u8 {
    let root = Cli::command();
    let (page, title) = match command {
        None => (root, "rcsim".to_string()),
        Some(name) => match root.find_subcommand(name) {
            Some(sub) => (sub.clone(), format!("rcsim-{name}")),
            None => {
                errln!("rcsim man: no command `{name}` (see rcsim --help)");
                return EXIT_USAGE;
            }
        },
    };
    let mut text = Vec::new();
    if let Err(e) = clap_mangen::Man::new(page).title(title).render(&mut text) {
        errln!("rcsim man: {e}");
        return EXIT_USAGE;
    }
    super::stdout(format_args!("{}", String::from_utf8_lossy(&text)));
    EXIT_OK
}
