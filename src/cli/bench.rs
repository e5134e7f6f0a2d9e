//! `rcsim bench`: the standard performance figures, as a table or as JSON.

use std::io::IsTerminal as _;

use rcsim::bench::{self, Config};

use super::{BenchArgs, EXIT_OK};

pub(super) fn run(args: &BenchArgs) -> u8 {
    let show = std::io::stderr().is_terminal();
    let mut progress = |what: &str| {
        if show {
            errln!("rcsim bench: {what}");
        }
    };
    let report = bench::run(
        Config {
            quick: args.quick,
            scaling: args.scaling,
        },
        &mut progress,
    );
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        out!("{}", bench::table(&report));
    }
    EXIT_OK
}
