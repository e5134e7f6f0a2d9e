//! Command-line errors with the user's text bounded. clap quotes an invalid value, an unknown
//! argument or subcommand whole (and a value parser's message may quote it again); here every
//! piece of user text longer than [`QUOTE_CHARS`] characters is shown by its start and size
//! instead (see [`rcsim::quote`]), and the message is otherwise clap's, unchanged.

use clap::builder::StyledStr;
use clap::error::{ContextValue, Error};
use rcsim::quote::{bounded, elided, LINE_BYTES, QUOTE_CHARS};

/// `e` with the user text it quotes bounded: `args` are the command line's arguments, the texts
/// that may come back whole inside clap's tips.
pub fn bound(mut e: Error, args: &[String]) -> Error {
    // The texts to shorten: long arguments, and the values of long `--name=value` arguments.
    let mut long: Vec<&str> = args
        .iter()
        .flat_map(|a| [Some(a.as_str()), a.split_once('=').map(|(_, v)| v)])
        .flatten()
        .filter(|t| t.chars().count() > QUOTE_CHARS)
        .collect();
    if long.is_empty() {
        return e;
    }
    // Longest first, so an argument is replaced whole before a value inside it is.
    long.sort_by_key(|t| std::cmp::Reverse(t.len()));
    let shorten = |text: &str| -> String {
        let mut out = text.to_string();
        for t in &long {
            if out.contains(t) {
                out = out.replace(t, &bounded(t));
            }
        }
        elided(&out).into_owned()
    };
    let changed: Vec<_> = e
        .context()
        .filter_map(|(kind, value)| {
            let v = match value {
                ContextValue::String(s) if s.chars().count() > QUOTE_CHARS => {
                    ContextValue::String(bounded(s).into_owned())
                }
                ContextValue::Strings(v) if v.iter().any(|s| s.chars().count() > QUOTE_CHARS) => {
                    ContextValue::Strings(v.iter().map(|s| bounded(s).into_owned()).collect())
                }
                ContextValue::StyledStr(s) if too_long(s, &long) => {
                    ContextValue::StyledStr(StyledStr::from(shorten(&s.to_string())))
                }
                ContextValue::StyledStrs(v) if v.iter().any(|s| too_long(s, &long)) => {
                    ContextValue::StyledStrs(
                        v.iter()
                            .map(|s| StyledStr::from(shorten(&s.to_string())))
                            .collect(),
                    )
                }
                _ => return None,
            };
            Some((kind, v))
        })
        .collect();
    for (kind, v) in changed {
        e.insert(kind, v);
    }
    e
}

/// True when `s` quotes one of the `long` texts or has a line too long to show whole.
fn too_long(s: &StyledStr, long: &[&str]) -> bool {
    let text = s.to_string();
    long.iter().any(|t| text.contains(t)) || text.lines().any(|l| l.len() > LINE_BYTES)
}

/// Prints `e` as clap would and exits with its code (2 for an error), but with every line still
/// too long to show whole (a value parser's own message quoting a long value) cut by
/// [`elided`], uncoloured.
pub fn exit(e: &Error) -> ! {
    let text = e.to_string();
    if !text.lines().any(|l| l.len() > LINE_BYTES) {
        e.exit();
    }
    let lines: Vec<String> = text.lines().map(|l| elided(l).into_owned()).collect();
    if e.use_stderr() {
        errln!("{}", lines.join("\n"));
    } else {
        outln!("{}", lines.join("\n"));
    }
    std::process::exit(e.exit_code());
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn error(args: &[&str]) -> String {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let e = super::super::Cli::try_parse_from(&args).expect_err("refused");
        bound(e, &args).to_string()
    }

    #[test]
    fn a_short_value_is_quoted_as_clap_quotes_it() {
        let msg = error(&["rcsim", "run", "s.json", "--set", "abc"]);
        assert!(
            msg.starts_with("error: invalid value 'abc' for '--set <PATH=VALUE>': --set abc: expected PATH=VALUE"),
            "{msg}"
        );
    }

    #[test]
    fn long_values_arguments_and_subcommands_are_bounded() {
        let long = "y".repeat(100_000);
        let flag = format!("--{long}");
        for args in [
            vec!["rcsim", "run", "s.json", "--set", &long],
            vec!["rcsim", "run", "s.json", "--disaster-at", &long],
            vec!["rcsim", "run", "s.json", "--protocol", &long],
            vec!["rcsim", "run", "s.json", &flag],
            vec!["rcsim", &long],
            vec!["rcsim", "fuzz", "--seeds", &long],
            vec!["rcsim", "fuzz", "--shard", &long],
            vec!["rcsim", "fuzz", "--jobs", &long],
            vec!["rcsim", "fuzz", "--mutant", &long],
            vec!["rcsim", "report", "s.json", "--seeds", &long, "--out", "d"],
        ] {
            let msg = error(&args);
            assert!(
                msg.len() < 1024,
                "{} bytes for {:?}: {msg}",
                msg.len(),
                &args[1..3]
            );
            // The argument (`--` and all, for the flag) or the value, by its start and size.
            assert!(
                [&long, &flag]
                    .iter()
                    .any(|t| msg.contains(&format!("yyy…({} bytes)", t.len()))),
                "{msg}"
            );
        }
    }
}
