//! Human-readable physical quantities used in scenario files.
//!
//! Every type here is parsed from a string with an explicit unit (`"250us"`,
//! `"64KiB"`, `"100MB/s"`, `"500/s"`) so that scenario files are unambiguous,
//! and is written back in one canonical spelling so that round trips are
//! stable. Integral quantities are converted with exact decimal arithmetic
//! (never through `f64`), so `"0.1s"` is exactly 100 000 000 ns on every
//! platform.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

mod decimal;

use decimal::{parse_decimal, parse_exact, Grammar, Scale};

// ---------------------------------------------------------------------------
// Shared serde / schema plumbing
// ---------------------------------------------------------------------------

/// A quantity spelled as a string with a unit; drives the shared serde visitor.
trait UnitText: FromStr<Err = String> {
    const WHAT: &'static str;
    const EXAMPLE: &'static str;
}

struct UnitVisitor<T>(PhantomData<T>);

impl<T: UnitText> UnitVisitor<T> {
    fn number<E: de::Error>(got: impl fmt::Display) -> E {
        E::custom(format_args!(
            "expected a {} string such as {:?}, got number {}",
            T::WHAT,
            T::EXAMPLE,
            got
        ))
    }
}

impl<T: UnitText> Visitor<'_> for UnitVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} string such as {:?}", T::WHAT, T::EXAMPLE)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        Err(Self::number(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        Err(Self::number(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        Err(Self::number(v))
    }
}

fn deserialize_unit<'de, D: Deserializer<'de>, T: UnitText>(d: D) -> Result<T, D::Error> {
    d.deserialize_any(UnitVisitor::<T>(PhantomData))
}

fn string_schema(pattern: &str, description: &str) -> Schema {
    json_schema!({
        "type": "string",
        "pattern": pattern,
        "description": description,
    })
}

/// Implements Serialize (via Display), Deserialize (via FromStr) and the
/// message texts for a string-with-unit quantity.
macro_rules! unit_serde {
    ($ty:ty, $what:literal, $example:literal) => {
        impl UnitText for $ty {
            const WHAT: &'static str = $what;
            const EXAMPLE: &'static str = $example;
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                deserialize_unit(d)
            }
        }
    };
}

/// Formats a byte count with the largest exact binary unit, else decimal unit.
fn format_bytes(v: u64) -> String {
    const BINARY: [(&str, u64); 4] = [
        ("TiB", 1 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
    ];
    const DECIMAL: [(&str, u64); 4] = [
        ("TB", 1_000_000_000_000),
        ("GB", 1_000_000_000),
        ("MB", 1_000_000),
        ("KB", 1_000),
    ];
    if v == 0 {
        return "0B".to_owned();
    }
    BINARY
        .iter()
        .chain(DECIMAL.iter())
        .find(|(_, m)| v.is_multiple_of(*m))
        .map_or_else(|| format!("{v}B"), |(u, m)| format!("{}{}", v / m, u))
}

/// Byte units shared by sizes and bandwidths.
fn byte_scale(unit: &str) -> Option<Scale> {
    Some(Scale::times(match unit {
        "B" => 1,
        "KB" | "kB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "TiB" => 1 << 40,
        _ => return None,
    }))
}

/// Time units in nanoseconds, shared by durations and rates.
fn time_unit_ns(unit: &str) -> Option<u64> {
    Some(match unit {
        "ns" => 1,
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "min" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    })
}

// ---------------------------------------------------------------------------
// Duration
// ---------------------------------------------------------------------------

/// A non-negative span of simulated time in whole nanoseconds, written as
/// `"250us"`, `"1.5ms"`, `"2s"`; integral so that event ordering is exact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub u64);

const DURATION: Grammar = Grammar {
    what: "duration",
    example: "250us",
    units: "ns, us, \u{b5}s, ms, s, min, h",
    base: "nanoseconds",
    max: "18446744073709551615ns (about 584 years)",
    bare_zero: true,
};

impl Duration {
    /// The zero-length duration, the natural starting point of simulated time.
    pub const ZERO: Duration = Duration(0);

    /// Makes a duration from nanoseconds, the simulator's native time unit.
    pub const fn from_ns(ns: u64) -> Self {
        Duration(ns)
    }

    /// Makes a duration from microseconds, saturating at `u64::MAX` ns.
    pub const fn from_us(us: u64) -> Self {
        Duration(us.saturating_mul(1_000))
    }

    /// Makes a duration from milliseconds, saturating at `u64::MAX` ns.
    pub const fn from_ms(ms: u64) -> Self {
        Duration(ms.saturating_mul(1_000_000))
    }

    /// Makes a duration from whole seconds, saturating at `u64::MAX` ns.
    pub const fn from_secs(secs: u64) -> Self {
        Duration(secs.saturating_mul(1_000_000_000))
    }

    /// Returns the duration in nanoseconds, the unit the event queue works in.
    pub fn as_ns(self) -> u64 {
        self.0
    }

    /// Returns the duration in (fractional) seconds, for reports and rates.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// True for the zero duration (so an optional field left at zero is not written out).
    pub fn is_zero(&self) -> bool {
        self.0 == 0
    }
}

impl FromStr for Duration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        parse_exact(&DURATION, s, |u| {
            time_unit_ns(u).map(|n| Scale::times(n.into()))
        })
        .map(Duration)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(&str, u64); 3] = [("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)];
        let v = self.0;
        let text = match UNITS.iter().find(|(_, m)| v != 0 && v.is_multiple_of(*m)) {
            Some((u, m)) => format!("{}{}", v / m, u),
            None => format!("{v}ns"),
        };
        f.pad(&text)
    }
}

unit_serde!(Duration, "duration", "250us");

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn schema_id() -> Cow<'static, str> {
        concat!(module_path!(), "::Duration").into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        string_schema(
            "^(0|[0-9]+(\\.[0-9]+)? ?(ns|us|\u{b5}s|\u{3bc}s|ms|s|min|h))$",
            "A duration: a non-negative number and a unit (ns, us, \u{b5}s, ms, s, min, h), \
             e.g. \"250us\" or \"1.5ms\"; must be a whole number of nanoseconds.",
        )
    }
}

// ---------------------------------------------------------------------------
// Size
// ---------------------------------------------------------------------------

/// An amount of data in whole bytes, written as `"4KiB"` or `"1.5MB"`; used
/// for write sizes, buffer capacities and volume sizes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Size(pub u64);

const SIZE: Grammar = Grammar {
    what: "size",
    example: "64KiB",
    units: "B, KB, MB, GB, TB, KiB, MiB, GiB, TiB",
    base: "bytes",
    max: "18446744073709551615B",
    bare_zero: true,
};

impl Size {
    /// The empty size, e.g. for an unused buffer.
    pub const ZERO: Size = Size(0);

    /// Makes a size from a byte count, the simulator's native data unit.
    pub const fn from_bytes(bytes: u64) -> Self {
        Size(bytes)
    }

    /// Returns the size in bytes, for arithmetic in the model.
    pub fn bytes(self) -> u64 {
        self.0
    }
}

impl FromStr for Size {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        parse_exact(&SIZE, s, byte_scale).map(Size)
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format_bytes(self.0))
    }
}

unit_serde!(Size, "size", "64KiB");

impl JsonSchema for Size {
    fn schema_name() -> Cow<'static, str> {
        "Size".into()
    }

    fn schema_id() -> Cow<'static, str> {
        concat!(module_path!(), "::Size").into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        string_schema(
            "^(0|[0-9]+(\\.[0-9]+)? ?(B|kB|KB|MB|GB|TB|KiB|MiB|GiB|TiB))$",
            "A data size: a non-negative number and a unit (B, KB, MB, GB, TB in powers of \
             1000; KiB, MiB, GiB, TiB in powers of 1024), e.g. \"64KiB\"; must be whole bytes.",
        )
    }
}

// ---------------------------------------------------------------------------
// Bandwidth
// ---------------------------------------------------------------------------

/// A positive transfer rate in whole bytes per second, written as
/// `"100MB/s"`, `"400MiB/s"` or `"10Gbit/s"`; used for links and disks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bandwidth(pub u64);

const BANDWIDTH: Grammar = Grammar {
    what: "bandwidth",
    example: "100MB/s",
    units: "B/s, KB/s, MB/s, GB/s, TB/s, KiB/s, MiB/s, GiB/s, TiB/s, bit/s, kbit/s, \
            Mbit/s, Gbit/s, Tbit/s, bps, kbps, Mbps, Gbps, Tbps",
    base: "bytes per second",
    max: "18446744073709551615B/s",
    bare_zero: false,
};

/// Bandwidth units: bytes per second, or bits per second (divided by 8).
fn bandwidth_scale(unit: &str) -> Option<Scale> {
    if let Some(bytes) = unit.strip_suffix("/s") {
        if let Some(scale) = byte_scale(bytes) {
            return Some(scale);
        }
        if let Some(prefix) = bytes.strip_suffix("bit") {
            return bit_prefix(prefix).map(Scale::bits);
        }
        return None;
    }
    unit.strip_suffix("bps")
        .and_then(bit_prefix)
        .map(Scale::bits)
}

/// SI prefixes for bit rates (`k`/`K`, `M`, `G`, `T`).
fn bit_prefix(prefix: &str) -> Option<u128> {
    Some(match prefix {
        "" => 1,
        "k" | "K" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        _ => return None,
    })
}

impl Bandwidth {
    /// Makes a bandwidth from bytes per second (zero is not a valid bandwidth).
    pub const fn from_bytes_per_sec(bytes_per_sec: u64) -> Self {
        Bandwidth(bytes_per_sec)
    }

    /// Returns the rate in bytes per second, for transfer-time arithmetic.
    pub fn bytes_per_sec(self) -> u64 {
        self.0
    }
}

/// The default is 1 B/s, the smallest valid bandwidth, because zero is
/// rejected everywhere else (it would make every transfer infinite).
impl Default for Bandwidth {
    fn default() -> Self {
        Bandwidth(1)
    }
}

impl FromStr for Bandwidth {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let v = parse_exact(&BANDWIDTH, s, bandwidth_scale)?;
        if v == 0 {
            return Err(BANDWIDTH.error(
                s,
                "bandwidth must be greater than zero; expected a positive rate such as \"100MB/s\"",
            ));
        }
        Ok(Bandwidth(v))
    }
}

impl fmt::Display for Bandwidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!("{}/s", format_bytes(self.0)))
    }
}

unit_serde!(Bandwidth, "bandwidth", "100MB/s");

impl JsonSchema for Bandwidth {
    fn schema_name() -> Cow<'static, str> {
        "Bandwidth".into()
    }

    fn schema_id() -> Cow<'static, str> {
        concat!(module_path!(), "::Bandwidth").into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        string_schema(
            "^[0-9]+(\\.[0-9]+)? ?((B|kB|KB|MB|GB|TB|KiB|MiB|GiB|TiB|bit|kbit|Kbit|Mbit|Gbit|Tbit)/s\
             |(bps|kbps|Kbps|Mbps|Gbps|Tbps))$",
            "A positive bandwidth in bytes per second (\"100MB/s\", \"400MiB/s\") or bits per \
             second (\"10Gbit/s\", \"10Gbps\"); must be a whole number of bytes per second.",
        )
    }
}

// ---------------------------------------------------------------------------
// OpsRate
// ---------------------------------------------------------------------------

/// A positive, finite rate of operations per unit of time, written as
/// `"500/s"` or `"2/ms"`; used for arrival processes such as write streams.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OpsRate(f64);

const OPS_RATE: Grammar = Grammar {
    what: "operation rate",
    example: "500/s",
    units: "/ns, /us, /\u{b5}s, /ms, /s, /min, /h",
    base: "operations",
    max: "a finite rate",
    bare_zero: false,
};

impl OpsRate {
    /// Makes a rate from operations per second; errors unless finite and > 0.
    pub fn new(per_sec: f64) -> Result<Self, String> {
        if per_sec.is_finite() && per_sec > 0.0 {
            Ok(OpsRate(per_sec))
        } else {
            Err(format!(
                "expected an operation rate that is finite and greater than zero, got {}/s",
                crate::quote::number(per_sec)
            ))
        }
    }

    /// Returns the rate in operations per second.
    pub fn per_sec(self) -> f64 {
        self.0
    }

    /// Returns the mean time between operations in nanoseconds (1e9 / rate).
    pub fn mean_interval_ns(self) -> f64 {
        1e9 / self.0
    }
}

/// The default is one operation per second, a valid placeholder rate
/// (zero is rejected because the mean interval would be infinite).
impl Default for OpsRate {
    fn default() -> Self {
        OpsRate(1.0)
    }
}

impl FromStr for OpsRate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let g = &OPS_RATE;
        if s.starts_with('-') {
            return Err(g.error(
                s,
                "negative rates are not allowed; expected a positive rate such as \"500/s\"",
            ));
        }
        let Some((num, unit)) = s.split_once('/') else {
            return Err(g.error(
                s,
                format_args!(
                    "missing time unit; expected a number followed by one of {}, e.g. \"500/s\"",
                    g.units
                ),
            ));
        };
        // Validates the grammar (digits with optional fraction) exactly.
        parse_decimal(g, s, num)?;
        let value: f64 = num.parse().map_err(|_| {
            g.error(
                s,
                format_args!("{num:?} is not a valid number; expected e.g. \"500/s\""),
            )
        })?;
        let Some(ns) = time_unit_ns(unit) else {
            return Err(g.error(
                s,
                format_args!("unknown time unit {unit:?}; expected one of {}", g.units),
            ));
        };
        let per_sec = if ns <= 1_000_000_000 {
            value * (1_000_000_000 / ns) as f64
        } else {
            value / (ns / 1_000_000_000) as f64
        };
        if per_sec == 0.0 {
            return Err(g.error(
                s,
                "rate must be greater than zero; expected a positive rate such as \"500/s\"",
            ));
        }
        if !per_sec.is_finite() {
            return Err(g.error(s, "rate is too large; expected a finite rate"));
        }
        Ok(OpsRate(per_sec))
    }
}

impl fmt::Display for OpsRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Rust prints the shortest decimal that parses back to the same f64,
        // and never uses an exponent, so this round-trips exactly.
        f.pad(&format!("{}/s", self.0))
    }
}

unit_serde!(OpsRate, "rate", "500/s");

impl JsonSchema for OpsRate {
    fn schema_name() -> Cow<'static, str> {
        "OpsRate".into()
    }

    fn schema_id() -> Cow<'static, str> {
        concat!(module_path!(), "::OpsRate").into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        string_schema(
            "^[0-9]+(\\.[0-9]+)?/(ns|us|\u{b5}s|\u{3bc}s|ms|s|min|h)$",
            "A positive operation rate: a number of operations per time unit, \
             e.g. \"500/s\", \"2/ms\" or \"1000/min\".",
        )
    }
}

// ---------------------------------------------------------------------------
// Probability
// ---------------------------------------------------------------------------

/// A probability in `[0, 1]`, written as a plain JSON number; used for
/// failure and branching chances in scenarios.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Probability(f64);

impl Probability {
    /// Makes a probability, rejecting values outside `[0, 1]` and NaN.
    pub fn new(p: f64) -> Result<Self, String> {
        if (0.0..=1.0).contains(&p) {
            Ok(Probability(p))
        } else {
            Err(format!(
                "expected a probability between 0 and 1, got {}",
                crate::quote::number(p)
            ))
        }
    }

    /// Returns the probability as a number in `[0, 1]`.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl FromStr for Probability {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let p: f64 = s
            .parse()
            .map_err(|_| format!("expected a probability between 0 and 1, got {s:?}"))?;
        Probability::new(p)
    }
}

impl fmt::Display for Probability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Probability {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.0)
    }
}

struct ProbabilityVisitor;

impl Visitor<'_> for ProbabilityVisitor {
    type Value = Probability;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a probability between 0 and 1")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Probability, E> {
        Probability::new(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Probability, E> {
        self.visit_f64(v as f64)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Probability, E> {
        self.visit_f64(v as f64)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Probability, E> {
        Err(E::custom(format_args!(
            "expected a probability between 0 and 1 as a number, got string {v:?}"
        )))
    }
}

impl<'de> Deserialize<'de> for Probability {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ProbabilityVisitor)
    }
}

impl JsonSchema for Probability {
    fn schema_name() -> Cow<'static, str> {
        "Probability".into()
    }

    fn schema_id() -> Cow<'static, str> {
        concat!(module_path!(), "::Probability").into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "number",
            "minimum": 0,
            "maximum": 1,
            "description": "A probability between 0 and 1 inclusive.",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, String> {
        let de = &mut serde_json::Deserializer::from_str(json);
        serde_path_to_error::deserialize(de).map_err(|e| format!("{} | {}", e.path(), e.inner()))
    }

    fn dur(s: &str) -> Duration {
        s.parse().expect(s)
    }

    fn err<T: FromStr<Err = String> + fmt::Debug>(s: &str) -> String {
        match s.parse::<T>() {
            Ok(v) => panic!("{s:?} unexpectedly parsed as {v:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn duration_parses_all_units() {
        assert_eq!(dur("250us"), Duration(250_000));
        assert_eq!(dur("1.5ms"), Duration(1_500_000));
        assert_eq!(dur("2s"), Duration(2_000_000_000));
        assert_eq!(dur("100ns"), Duration(100));
        assert_eq!(dur("3min"), Duration(180_000_000_000));
        assert_eq!(dur("1h"), Duration(3_600_000_000_000));
        assert_eq!(dur("7\u{b5}s"), Duration(7_000));
        assert_eq!(dur("7\u{3bc}s"), Duration(7_000));
        assert_eq!(dur("250 us"), Duration(250_000));
        assert_eq!(dur("0"), Duration(0));
        assert_eq!(dur("0ms"), Duration(0));
        assert_eq!(dur("0.1s"), Duration(100_000_000));
        assert_eq!(dur("1.000000000000000000000000s"), Duration(1_000_000_000));
        assert_eq!(dur("0.000000001s"), Duration(1));
        assert_eq!(dur("18446744073709551615ns"), Duration(u64::MAX));
    }

    #[test]
    fn duration_helpers() {
        assert_eq!(Duration::from_ns(5).as_ns(), 5);
        assert_eq!(Duration::from_us(5), Duration(5_000));
        assert_eq!(Duration::from_ms(5), Duration(5_000_000));
        assert_eq!(Duration::from_secs(5), Duration(5_000_000_000));
        assert_eq!(Duration::from_secs(u64::MAX), Duration(u64::MAX));
        assert_eq!(Duration::from_ms(1500).as_secs_f64(), 1.5);
        assert_eq!(Duration::default(), Duration::ZERO);
        assert!(Duration::from_us(1) < Duration::from_ms(1));
    }

    #[test]
    fn duration_canonical_display_and_round_trip() {
        let cases = [
            (0, "0ns"),
            (1, "1ns"),
            (1_500, "1500ns"),
            (1_500_000, "1500us"),
            (2_000_000, "2ms"),
            (2_000_000_000, "2s"),
            (180_000_000_000, "180s"),
            (u64::MAX, "18446744073709551615ns"),
        ];
        for (ns, text) in cases {
            let d = Duration(ns);
            assert_eq!(d.to_string(), text);
            assert_eq!(dur(text), d, "round trip of {text}");
            let json = serde_json::to_string(&d).expect("serialize");
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(from_json::<Duration>(&json), Ok(d));
        }
        assert_eq!(format!("{:>6}", Duration(2_000_000)), "   2ms");
    }

    #[test]
    fn duration_rejections_say_what_was_expected() {
        let e = err::<Duration>("-1ms");
        assert!(
            e.contains("negative") && e.contains("expected a non-negative duration"),
            "{e}"
        );
        let e = err::<Duration>("250");
        assert!(
            e.contains("missing unit") && e.contains("expected a number followed by one of ns"),
            "{e}"
        );
        let e = err::<Duration>("5xs");
        assert!(
            e.contains("unknown unit \"xs\"") && e.contains("expected one of ns, us"),
            "{e}"
        );
        let e = err::<Duration>("0.5ns");
        assert!(
            e.contains("not a whole number of nanoseconds") && e.contains("expected"),
            "{e}"
        );
        let e = err::<Duration>("0.0000000001s");
        assert!(e.contains("not a whole number of nanoseconds"), "{e}");
        let e = err::<Duration>("18446744073709551616ns");
        assert!(
            e.contains("too large") && e.contains("expected at most 18446744073709551615ns"),
            "{e}"
        );
        let e = err::<Duration>("10000000h");
        assert!(e.contains("too large"), "{e}");
        let e = err::<Duration>("99999999999999999999999999999999999999999999s");
        assert!(e.contains("too large"), "{e}");
        let e = err::<Duration>("");
        assert!(e.contains("expected a duration such as \"250us\""), "{e}");
        for bad in ["1.ms", ".5ms", "1.2.3ms", "1..2ms"] {
            let e = err::<Duration>(bad);
            assert!(
                e.contains("not a valid number") && e.contains("expected digits"),
                "{e}"
            );
        }
        let e = err::<Duration>("1e3ms");
        assert!(e.contains("unknown unit \"e3ms\""), "{e}");
        let e = err::<Duration>("ms");
        assert!(e.contains("expected a number followed by a unit"), "{e}");
        let e = err::<Duration>("250  us");
        assert!(e.contains("unknown unit"), "{e}");
        let e = err::<Duration>("0.0000000000000000000000001s");
        assert!(e.contains("too many decimal places"), "{e}");
    }

    #[test]
    fn duration_json_number_is_rejected_with_path() {
        let e = from_json::<Vec<Duration>>("[\"1ms\", 250]").unwrap_err();
        assert_eq!(
            e,
            "[1] | expected a duration string such as \"250us\", got number 250 at line 1 column 11"
        );
        let e = from_json::<Duration>("1.5").unwrap_err();
        assert!(e.contains("got number 1.5"), "{e}");
        let e = from_json::<Duration>("-3").unwrap_err();
        assert!(e.contains("got number -3"), "{e}");
        let e = from_json::<Duration>("true").unwrap_err();
        assert!(
            e.contains("expected a duration string such as \"250us\""),
            "{e}"
        );
        let e = from_json::<Duration>("\"5xs\"").unwrap_err();
        assert!(e.contains("unknown unit \"xs\""), "{e}");
    }

    #[test]
    fn size_parses_and_displays_canonically() {
        let p = |s: &str| s.parse::<Size>().expect(s);
        assert_eq!(p("0"), Size(0));
        assert_eq!(p("512B"), Size(512));
        assert_eq!(p("4KB"), Size(4_000));
        assert_eq!(p("4kB"), Size(4_000));
        assert_eq!(p("2MB"), Size(2_000_000));
        assert_eq!(p("3GB"), Size(3_000_000_000));
        assert_eq!(p("1TB"), Size(1_000_000_000_000));
        assert_eq!(p("64KiB"), Size(65_536));
        assert_eq!(p("1.5KiB"), Size(1_536));
        assert_eq!(p("2MiB"), Size(2 << 20));
        assert_eq!(p("1GiB"), Size(1 << 30));
        assert_eq!(p("1TiB"), Size(1 << 40));
        assert_eq!(p("1.5 MB"), Size(1_500_000));
        let cases = [
            (0, "0B"),
            (1, "1B"),
            (1_536, "1536B"),
            (65_536, "64KiB"),
            (2 << 20, "2MiB"),
            (1 << 40, "1TiB"),
            (1_000, "1KB"),
            (1_500_000, "1500KB"),
            (1_024_000, "1000KiB"),
            (3_000_000_000, "3GB"),
        ];
        for (bytes, text) in cases {
            assert_eq!(Size(bytes).to_string(), text);
            assert_eq!(p(text), Size(bytes));
            let json = serde_json::to_string(&Size(bytes)).expect("serialize");
            assert_eq!(from_json::<Size>(&json), Ok(Size(bytes)));
        }
        assert_eq!(Size::from_bytes(7).bytes(), 7);
        assert_eq!(Size::default(), Size::ZERO);
    }

    #[test]
    fn size_rejections_say_what_was_expected() {
        let e = err::<Size>("-1KB");
        assert!(e.contains("expected a non-negative size"), "{e}");
        let e = err::<Size>("250");
        assert!(
            e.contains("missing unit") && e.contains("expected a number followed by one of B, KB"),
            "{e}"
        );
        let e = err::<Size>("5XB");
        assert!(
            e.contains("unknown unit \"XB\"") && e.contains("expected one of B, KB"),
            "{e}"
        );
        let e = err::<Size>("0.5B");
        assert!(e.contains("not a whole number of bytes"), "{e}");
        let e = err::<Size>("1.0001KiB");
        assert!(e.contains("not a whole number of bytes"), "{e}");
        let e = err::<Size>("17000000TiB");
        assert!(
            e.contains("too large") && e.contains("expected at most"),
            "{e}"
        );
        let e = from_json::<Size>("4096").unwrap_err();
        assert!(
            e.contains("expected a size string such as \"64KiB\", got number 4096"),
            "{e}"
        );
    }

    #[test]
    fn bandwidth_parses_bytes_and_bits() {
        let p = |s: &str| s.parse::<Bandwidth>().expect(s);
        assert_eq!(p("100MB/s"), Bandwidth(100_000_000));
        assert_eq!(p("1.5GB/s"), Bandwidth(1_500_000_000));
        assert_eq!(p("400MiB/s"), Bandwidth(400 << 20));
        assert_eq!(p("10Gbit/s"), Bandwidth(1_250_000_000));
        assert_eq!(p("800Mbit/s"), Bandwidth(100_000_000));
        assert_eq!(p("10Gbps"), Bandwidth(1_250_000_000));
        assert_eq!(p("64kbit/s"), Bandwidth(8_000));
        assert_eq!(p("64Kbit/s"), Bandwidth(8_000));
        assert_eq!(p("8bit/s"), Bandwidth(1));
        assert_eq!(p("1B/s"), Bandwidth(1));
        assert_eq!(p("100 MB/s"), Bandwidth(100_000_000));
        assert_eq!(Bandwidth::from_bytes_per_sec(9).bytes_per_sec(), 9);
        assert_eq!(Bandwidth::default(), Bandwidth(1));
    }

    #[test]
    fn bandwidth_canonical_display_and_round_trip() {
        let cases = [
            (100_000_000, "100MB/s"),
            (400 << 20, "400MiB/s"),
            (1_250_000_000, "1250MB/s"),
            (1, "1B/s"),
            (1_536, "1536B/s"),
        ];
        for (bps, text) in cases {
            let b = Bandwidth(bps);
            assert_eq!(b.to_string(), text);
            assert_eq!(text.parse::<Bandwidth>(), Ok(b));
            let json = serde_json::to_string(&b).expect("serialize");
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(from_json::<Bandwidth>(&json), Ok(b));
        }
    }

    #[test]
    fn bandwidth_rejections_say_what_was_expected() {
        for zero in ["0MB/s", "0Gbps", "0.0B/s"] {
            let e = err::<Bandwidth>(zero);
            assert!(
                e.contains("bandwidth must be greater than zero")
                    && e.contains("expected a positive rate"),
                "{e}"
            );
        }
        let e = err::<Bandwidth>("0");
        assert!(e.contains("missing unit") && e.contains("MB/s"), "{e}");
        assert!(!e.contains("bare string"), "{e}");
        let e = err::<Bandwidth>("1bit/s");
        assert!(e.contains("not a whole number of bytes per second"), "{e}");
        let e = err::<Bandwidth>("100MB");
        assert!(
            e.contains("unknown unit \"MB\"") && e.contains("expected one of B/s"),
            "{e}"
        );
        let e = err::<Bandwidth>("100Xbit/s");
        assert!(e.contains("unknown unit"), "{e}");
        let e = err::<Bandwidth>("-5MB/s");
        assert!(e.contains("expected a non-negative bandwidth"), "{e}");
        let e = err::<Bandwidth>("20000000TB/s");
        assert!(e.contains("too large"), "{e}");
        let e = from_json::<Bandwidth>("{\"link\": 100}").unwrap_err();
        assert!(e.contains("invalid type: map"), "{e}");
        let e = from_json::<Vec<Bandwidth>>("[100]").unwrap_err();
        assert!(
            e.starts_with("[0] | expected a bandwidth string such as \"100MB/s\", got number 100"),
            "{e}"
        );
    }

    #[test]
    fn ops_rate_parses_and_round_trips() {
        let p = |s: &str| s.parse::<OpsRate>().expect(s);
        assert_eq!(p("500/s").per_sec(), 500.0);
        assert_eq!(p("2/ms").per_sec(), 2000.0);
        assert_eq!(p("10/us").per_sec(), 10_000_000.0);
        assert_eq!(p("10/\u{b5}s").per_sec(), 10_000_000.0);
        assert_eq!(p("3/ns").per_sec(), 3e9);
        assert_eq!(p("0.5/s").per_sec(), 0.5);
        assert_eq!(p("1000/min").per_sec(), 1000.0 / 60.0);
        assert_eq!(p("7200/h").per_sec(), 2.0);
        assert_eq!(p("500/s").mean_interval_ns(), 2_000_000.0);
        assert_eq!(p("0.5/s").mean_interval_ns(), 2e9);
        for text in [
            "500/s",
            "2/ms",
            "1000/min",
            "0.001/s",
            "0.3/s",
            "123456789.125/h",
        ] {
            let r = p(text);
            let shown = r.to_string();
            assert!(shown.ends_with("/s"), "{shown}");
            assert_eq!(p(&shown), r, "round trip of {text} via {shown}");
            let json = serde_json::to_string(&r).expect("serialize");
            assert_eq!(from_json::<OpsRate>(&json), Ok(r));
        }
        assert_eq!(p("2/ms").to_string(), "2000/s");
        assert_eq!(OpsRate::new(4.0).map(OpsRate::per_sec), Ok(4.0));
        assert_eq!(OpsRate::default().per_sec(), 1.0);
    }

    #[test]
    fn ops_rate_rejections_say_what_was_expected() {
        let e = err::<OpsRate>("0/s");
        assert!(
            e.contains("greater than zero") && e.contains("expected a positive rate"),
            "{e}"
        );
        let e = err::<OpsRate>("-5/s");
        assert!(
            e.contains("negative") && e.contains("expected a positive rate"),
            "{e}"
        );
        let e = err::<OpsRate>("500");
        assert!(
            e.contains("missing time unit")
                && e.contains("expected a number followed by one of /ns"),
            "{e}"
        );
        let e = err::<OpsRate>("500/day");
        assert!(
            e.contains("unknown time unit \"day\"") && e.contains("expected one of"),
            "{e}"
        );
        let e = err::<OpsRate>("1e3/s");
        assert!(
            e.contains("not a valid number") && e.contains("expected digits"),
            "{e}"
        );
        let e = err::<OpsRate>("inf/s");
        assert!(e.contains("not a valid number"), "{e}");
        let huge = format!("{}/ns", "9".repeat(320));
        let e = err::<OpsRate>(&huge);
        assert!(
            e.contains("too large") && e.contains("expected a finite rate"),
            "{e}"
        );
        assert!(OpsRate::new(0.0).unwrap_err().contains("greater than zero"));
        assert!(OpsRate::new(f64::NAN).is_err());
        assert!(OpsRate::new(f64::INFINITY).is_err());
        let e = from_json::<OpsRate>("500").unwrap_err();
        assert!(
            e.contains("expected a rate string such as \"500/s\", got number 500"),
            "{e}"
        );
    }

    #[test]
    fn probability_accepts_numbers_in_unit_interval() {
        for (json, p) in [("0", 0.0), ("1", 1.0), ("0.25", 0.25), ("1.0", 1.0)] {
            let got: Probability = from_json(json).expect(json);
            assert_eq!(got.get(), p);
        }
        assert_eq!(
            serde_json::to_string(&Probability::new(0.25).expect("valid")).expect("ser"),
            "0.25"
        );
        assert_eq!("0.5".parse::<Probability>().map(Probability::get), Ok(0.5));
        assert_eq!(
            Probability::new(0.5).map(|p| p.to_string()),
            Ok("0.5".to_owned())
        );
        assert_eq!(Probability::default().get(), 0.0);
    }

    #[test]
    fn probability_rejections_say_what_was_expected() {
        let e = from_json::<Probability>("1.5").unwrap_err();
        assert_eq!(
            e,
            ". | expected a probability between 0 and 1, got 1.5 at line 1 column 3"
        );
        let e = from_json::<Vec<Probability>>("[0.5, -0.1]").unwrap_err();
        assert!(
            e.starts_with("[1] | expected a probability between 0 and 1, got -0.1"),
            "{e}"
        );
        let e = from_json::<Probability>("2").unwrap_err();
        assert!(
            e.contains("expected a probability between 0 and 1, got 2"),
            "{e}"
        );
        let e = from_json::<Probability>("\"0.5\"").unwrap_err();
        assert!(
            e.contains("expected a probability between 0 and 1 as a number, got string \"0.5\""),
            "{e}"
        );
        assert!(Probability::new(f64::NAN).is_err());
        let e = err::<Probability>("abc");
        assert!(e.contains("expected a probability between 0 and 1"), "{e}");
        let e = err::<Probability>("1.5");
        assert!(e.contains("got 1.5"), "{e}");
    }

    #[test]
    fn schemas_describe_strings_with_patterns() {
        let s = serde_json::to_value(schemars::schema_for!(Duration)).expect("schema");
        assert_eq!(s["type"], "string");
        assert!(s["pattern"].as_str().is_some_and(|p| p.contains("min|h")));
        assert!(s["description"]
            .as_str()
            .is_some_and(|d| d.contains("250us")));
        for s in [
            serde_json::to_value(schemars::schema_for!(Size)).expect("schema"),
            serde_json::to_value(schemars::schema_for!(Bandwidth)).expect("schema"),
            serde_json::to_value(schemars::schema_for!(OpsRate)).expect("schema"),
        ] {
            assert_eq!(s["type"], "string");
            assert!(s["pattern"].is_string() && s["description"].is_string());
        }
        let p = serde_json::to_value(schemars::schema_for!(Probability)).expect("schema");
        assert_eq!(p["type"], "number");
        assert_eq!(p["minimum"], 0);
        assert_eq!(p["maximum"], 1);
    }
}
