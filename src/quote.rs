//! User text quoted in messages, bounded: an argument or field of any length is shown by its
//! first characters and its size, so one bad input gives one short message, never the input
//! again (a 120 KB `--set` once came back whole, twice, in its error line).

use std::borrow::Cow;

/// The most characters of one piece of user text a message quotes.
pub const QUOTE_CHARS: usize = 80;

/// The longest message line, in bytes, that is shown whole (see [`elided`]).
pub const LINE_BYTES: usize = 1024;

/// Characters of a long line kept before the cut (see [`elided`]).
const HEAD_CHARS: usize = 300;

/// Characters of a long line kept after the cut (see [`elided`]).
const TAIL_CHARS: usize = 200;

/// `text` whole when it has at most [`QUOTE_CHARS`] characters; otherwise its first
/// [`QUOTE_CHARS`] characters, then `…(N bytes)` with N its whole length.
pub fn bounded(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(QUOTE_CHARS) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!("{}…({} bytes)", &text[..cut], text.len())),
    }
}

/// A message line whole when it has at most [`LINE_BYTES`] bytes; otherwise its start and its
/// end around `…(N bytes in all)…`: the start says where the problem is and the end usually
/// what was expected, whatever long value a library quoted in between.
pub fn elided(line: &str) -> Cow<'_, str> {
    if line.len() <= LINE_BYTES {
        return Cow::Borrowed(line);
    }
    let head = line
        .char_indices()
        .nth(HEAD_CHARS)
        .map_or(line.len(), |(i, _)| i);
    let tail = line
        .char_indices()
        .rev()
        .nth(TAIL_CHARS - 1)
        .map_or(0, |(i, _)| i)
        .max(head);
    Cow::Owned(format!(
        "{}…({} bytes in all)…{}",
        &line[..head],
        line.len(),
        &line[tail..]
    ))
}

/// The most characters of a number shown in its plain form (see [`number`]).
const NUMBER_CHARS: usize = 24;

/// A number from the input as a message shows it: plain where that is short (`0.5`, `-20`,
/// `1500`), in scientific notation where the plain form would run to hundreds of digits
/// (`1e308`, `-1.5e300`, `1e-300`).
pub fn number(x: f64) -> String {
    let plain = x.to_string();
    if plain.len() <= NUMBER_CHARS {
        plain
    } else {
        format!("{x:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_is_plain_when_short_and_scientific_when_long() {
        for (x, want) in [
            (0.5, "0.5"),
            (-20.0, "-20"),
            (1500.0, "1500"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "inf"),
            (1e308, "1e308"),
            (-1.5e300, "-1.5e300"),
            (1e-300, "1e-300"),
            (f64::MAX, "1.7976931348623157e308"),
        ] {
            assert_eq!(number(x), want);
        }
    }

    #[test]
    fn short_text_is_quoted_whole() {
        assert_eq!(
            bounded("protocol.checkpoint_interval=20ms"),
            "protocol.checkpoint_interval=20ms"
        );
        let exactly = "é".repeat(QUOTE_CHARS);
        assert_eq!(bounded(&exactly), exactly.as_str());
    }

    #[test]
    fn long_text_is_cut_on_a_character_and_sized() {
        let long = "é".repeat(QUOTE_CHARS + 1);
        let want = format!("{}…({} bytes)", "é".repeat(QUOTE_CHARS), long.len());
        assert_eq!(bounded(&long), want);
    }

    #[test]
    fn a_long_line_keeps_its_start_and_end() {
        let short = "x".repeat(LINE_BYTES);
        assert_eq!(elided(&short), short.as_str());
        let line = format!(
            "at `a.b`: invalid type: string \"{}\", expected u16",
            "ü".repeat(60_000)
        );
        let e = elided(&line);
        assert!(e.starts_with("at `a.b`: invalid type: string \"üü"), "{e}");
        assert!(e.ends_with("üü\", expected u16"), "{e}");
        assert!(
            e.contains(&format!("…({} bytes in all)…", line.len())),
            "{e}"
        );
        let (head, rest) = e.split_once('…').expect("a cut");
        let (_, tail) = rest.rsplit_once('…').expect("a cut");
        assert_eq!(head.chars().count(), HEAD_CHARS);
        assert_eq!(tail.chars().count(), TAIL_CHARS);
        assert!(e.len() < LINE_BYTES, "{}", e.len());
    }
}
