//! Exact decimal parsing shared by every quantity: a number, then a unit, converted with integer
//! arithmetic only (never through `f64`), and the message texts of each quantity type.

use std::fmt;

use crate::quote::bounded;

/// Most digits accepted after the decimal point (after dropping trailing zeros).
pub(super) const MAX_FRACTION_DIGITS: usize = 24;

/// Text shared by all the error messages of one quantity type.
pub(super) struct Grammar {
    /// What the quantity is called in messages ("duration").
    pub(super) what: &'static str,
    /// A typical valid spelling ("250us").
    pub(super) example: &'static str,
    /// The accepted units, listed for messages.
    pub(super) units: &'static str,
    /// The base unit the value must be a whole number of ("nanoseconds").
    pub(super) base: &'static str,
    /// The largest representable value, spelled for messages.
    pub(super) max: &'static str,
    /// Whether the bare string `"0"` (without a unit) is accepted.
    pub(super) bare_zero: bool,
}

impl Grammar {
    pub(super) fn error(&self, input: &str, problem: impl fmt::Display) -> String {
        format!("invalid {} {:?}: {}", self.what, bounded(input), problem)
    }
}

/// How one unit converts to the base unit: `value * mult / div`.
#[derive(Clone, Copy)]
pub(super) struct Scale {
    pub(super) mult: u128,
    pub(super) div: u128,
}

impl Scale {
    pub(super) const fn times(mult: u128) -> Self {
        Scale { mult, div: 1 }
    }
    pub(super) const fn bits(mult: u128) -> Self {
        Scale { mult, div: 8 }
    }
}

/// Splits `"1.5 ms"` into `("1.5", "ms")`, dropping at most one space.
pub(super) fn split_number(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, rest) = s.split_at(end);
    (num, rest.strip_prefix(' ').unwrap_or(rest))
}

/// A non-negative decimal number split into exact integer and fraction parts.
pub(super) struct Decimal {
    pub(super) int: Option<u128>,
    pub(super) frac: u128,
    pub(super) frac_digits: u32,
}

/// Parses `digits[.digits]` exactly; `int` is `None` when it does not fit in u128.
pub(super) fn parse_decimal(g: &Grammar, input: &str, num: &str) -> Result<Decimal, String> {
    let bad_number = || {
        g.error(
            input,
            format_args!(
                "{num:?} is not a valid number; expected digits with an optional fraction \
                 such as 250 or 1.5 (no sign or exponent), e.g. {:?}",
                g.example
            ),
        )
    };
    let (int_txt, frac_txt) = match num.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (num, None),
    };
    if int_txt.is_empty() || !int_txt.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_number());
    }
    let frac_txt = match frac_txt {
        Some(f) if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(bad_number())
        }
        Some(f) => f.trim_end_matches('0'),
        None => "",
    };
    if frac_txt.len() > MAX_FRACTION_DIGITS {
        return Err(g.error(
            input,
            format_args!(
                "too many decimal places; expected at most {MAX_FRACTION_DIGITS} digits \
                 after the decimal point"
            ),
        ));
    }
    let mut int = Some(0u128);
    for b in int_txt.bytes() {
        int = int
            .and_then(|v| v.checked_mul(10))
            .and_then(|v| v.checked_add(u128::from(b - b'0')));
    }
    let mut frac = 0u128;
    for b in frac_txt.bytes() {
        // At most 24 digits, so this cannot overflow u128.
        frac = frac * 10 + u128::from(b - b'0');
    }
    Ok(Decimal {
        int,
        frac,
        // Bounded by MAX_FRACTION_DIGITS above.
        frac_digits: frac_txt.len() as u32,
    })
}

/// Parses `<number>[ ]<unit>` into an exact whole number of base units.
pub(super) fn parse_exact(
    g: &Grammar,
    input: &str,
    lookup: fn(&str) -> Option<Scale>,
) -> Result<u64, String> {
    if input.is_empty() {
        return Err(g.error(
            input,
            format_args!(
                "empty string; expected a {} such as {:?}",
                g.what, g.example
            ),
        ));
    }
    if input.starts_with('-') {
        return Err(g.error(
            input,
            format_args!(
                "negative values are not allowed; expected a non-negative {} such as {:?}",
                g.what, g.example
            ),
        ));
    }
    let (num, unit) = split_number(input);
    if num.is_empty() {
        return Err(g.error(
            input,
            format_args!(
                "expected a number followed by a unit, such as {:?}",
                g.example
            ),
        ));
    }
    let dec = parse_decimal(g, input, num)?;
    if unit.is_empty() {
        if g.bare_zero && num == "0" {
            return Ok(0);
        }
        let zero = if g.bare_zero {
            ", or the bare string \"0\""
        } else {
            ""
        };
        return Err(g.error(
            input,
            format_args!(
                "missing unit; expected a number followed by one of {} (e.g. {:?}){}",
                g.units, g.example, zero
            ),
        ));
    }
    let Some(scale) = lookup(unit) else {
        return Err(g.error(
            input,
            format_args!(
                "unknown unit {:?}; expected one of {}",
                bounded(unit),
                g.units
            ),
        ));
    };
    let too_large = || {
        g.error(
            input,
            format_args!("value is too large; expected at most {}", g.max),
        )
    };
    let not_whole = || {
        g.error(
            input,
            format_args!(
                "not a whole number of {}; expected a value that is an exact multiple of 1 {}",
                g.base, g.base
            ),
        )
    };
    let int_part = dec
        .int
        .and_then(|i| i.checked_mul(scale.mult))
        .ok_or_else(too_large)?;
    // frac < 10^24 and mult < 2^43, so the product fits in u128.
    let frac_scaled = dec.frac.checked_mul(scale.mult).ok_or_else(too_large)?;
    let den = 10u128.pow(dec.frac_digits);
    if frac_scaled % den != 0 {
        return Err(not_whole());
    }
    let total = int_part
        .checked_add(frac_scaled / den)
        .ok_or_else(too_large)?;
    if total % scale.div != 0 {
        return Err(not_whole());
    }
    u64::try_from(total / scale.div).map_err(|_| too_large())
}
