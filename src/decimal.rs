//! Whole numbers typed by a person (seeds, seed ranges, shard numbers, array indices in a
//! `--set` path) are read in the one form rcsim writes them: plain decimal. `+5`, `05` or `00`
//! would name the same number as `5` or `0`, so two spellings of one seed or one fault could
//! pass for different ones, and a typo such as `010` (octal in many tools) would be taken
//! silently; they are refused instead.

/// `text` as a whole number when it is plain decimal: ASCII digits only, no sign, no leading
/// zero (but `0` itself), within `u64`; `None` otherwise.
pub fn plain_u64(text: &str) -> Option<u64> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let canonical = text == "0" || !text.starts_with('0');
    (digits && canonical).then(|| text.parse().ok()).flatten()
}

/// What [`plain_u64`] takes, for messages: "plain decimal digits (no sign, no leading zero)".
pub const EXPECTED: &str = "plain decimal digits (no sign, no leading zero)";

/// `text` as [`plain_u64`] reads it, or the message "`text` is not `what`: expected plain
/// decimal digits ..." (`what` as "a seed number").
pub fn parse(text: &str, what: &str) -> Result<u64, String> {
    plain_u64(text).ok_or_else(|| {
        format!(
            "`{}` is not {what}: expected {EXPECTED}",
            crate::quote::bounded(text)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_decimal_is_a_number() {
        assert_eq!(plain_u64("0"), Some(0));
        assert_eq!(plain_u64("10"), Some(10));
        assert_eq!(plain_u64(&u64::MAX.to_string()), Some(u64::MAX));
        for bad in [
            "",
            "+0",
            "+5",
            "-0",
            "00",
            "05",
            " 5",
            "5 ",
            "0x5",
            "5_0",
            "1e3",
            "18446744073709551616",
            "٣",
        ] {
            assert_eq!(plain_u64(bad), None, "{bad:?}");
        }
        assert_eq!(parse("7", "a seed number"), Ok(7));
        assert_eq!(
            parse("+7", "a seed number"),
            Err(format!("`+7` is not a seed number: expected {EXPECTED}"))
        );
    }
}
