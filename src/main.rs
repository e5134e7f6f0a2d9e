//! The `rcsim` command line: parses arguments, runs the command, maps the outcome to the exit
//! codes of the product contract (0 consistent, 1 violation, 2 bad input, 3 budget exhausted).

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    ExitCode::from(cli::dispatch(args))
}
