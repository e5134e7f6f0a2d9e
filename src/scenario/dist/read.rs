//! Reading a distribution from JSON: a bare constant or an object with a `"kind"`, with a
//! message naming the field and suggesting the nearest spelling when one is wrong.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::{Dist, Quantity};

/// The `"kind"` tag of a distribution object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Constant,
    Uniform,
    Exponential,
    Normal,
    Lognormal,
    Empirical,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Kind::Constant,
        Kind::Uniform,
        Kind::Exponential,
        Kind::Normal,
        Kind::Lognormal,
        Kind::Empirical,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::Constant => "constant",
            Kind::Uniform => "uniform",
            Kind::Exponential => "exponential",
            Kind::Normal => "normal",
            Kind::Lognormal => "lognormal",
            Kind::Empirical => "empirical",
        }
    }

    /// Fields this kind accepts besides `kind`.
    fn fields(self) -> &'static [Field] {
        match self {
            Kind::Constant => &[Field::Value],
            Kind::Uniform => &[Field::Min, Field::Max],
            Kind::Exponential => &[Field::Mean],
            Kind::Normal => &[Field::Mean, Field::StdDev, Field::Min, Field::Max],
            Kind::Lognormal => &[Field::Median, Field::Sigma],
            Kind::Empirical => &[Field::Values, Field::Weights],
        }
    }

    fn allows(self, f: Field) -> bool {
        f == Field::Kind || self.fields().contains(&f)
    }

    /// `"constant", "uniform", ...` for messages.
    fn list() -> String {
        let names: Vec<String> = Kind::ALL
            .iter()
            .map(|k| format!("{:?}", k.name()))
            .collect();
        names.join(", ")
    }
}

/// The keys a distribution object may contain (for any kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Kind,
    Value,
    Min,
    Max,
    Mean,
    StdDev,
    Median,
    Sigma,
    Values,
    Weights,
}

impl Field {
    const ALL: [Field; 10] = [
        Field::Kind,
        Field::Value,
        Field::Min,
        Field::Max,
        Field::Mean,
        Field::StdDev,
        Field::Median,
        Field::Sigma,
        Field::Values,
        Field::Weights,
    ];

    fn name(self) -> &'static str {
        match self {
            Field::Kind => "kind",
            Field::Value => "value",
            Field::Min => "min",
            Field::Max => "max",
            Field::Mean => "mean",
            Field::StdDev => "std_dev",
            Field::Median => "median",
            Field::Sigma => "sigma",
            Field::Values => "values",
            Field::Weights => "weights",
        }
    }

    fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The fields allowed for `kind` (all fields when the kind is not known yet).
    fn allowed(kind: Option<Kind>) -> Vec<Field> {
        match kind {
            Some(k) => std::iter::once(Field::Kind)
                .chain(k.fields().iter().copied())
                .collect(),
            None => Field::ALL.to_vec(),
        }
    }

    /// "`kind`, `mean`" for messages.
    fn list(fields: &[Field]) -> String {
        let names: Vec<String> = fields.iter().map(|f| format!("`{}`", f.name())).collect();
        names.join(", ")
    }
}

/// Edit distance counting an adjacent swap as one edit (optimal string
/// alignment), for "did you mean" hints on short field and kind names.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// `" (did you mean `x`?)"` when some candidate is within two edits, else empty.
fn suggestion<'a>(got: &str, candidates: impl Iterator<Item = &'a str>, quote: char) -> String {
    let best = candidates
        .map(|c| (edit_distance(got, c), c))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d);
    match best {
        Some((_, c)) => format!(" (did you mean {quote}{c}{quote}?)"),
        None => String::new(),
    }
}

/// Deserializes the `kind` value with a message listing the valid kinds.
struct KindVisitor;

impl Visitor<'_> for KindVisitor {
    type Value = Kind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a distribution kind, one of {}", Kind::list())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Kind, E> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == v)
            .ok_or_else(|| {
                E::custom(format_args!(
                    "unknown distribution kind {v:?}{}; expected one of {}",
                    suggestion(v, Kind::ALL.iter().map(|k| k.name()), '"'),
                    Kind::list()
                ))
            })
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KindVisitor)
    }
}

/// Deserializes one object key, rejecting unknown and duplicate keys while
/// the key is being read so that the error path names the offending key.
struct FieldSeed<'a> {
    kind: Option<Kind>,
    seen: &'a [bool; Field::ALL.len()],
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_> {
    type Value = Field;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Field, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for FieldSeed<'_> {
    type Value = Field;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a distribution field name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Field, E> {
        let allowed = Field::allowed(self.kind);
        match Field::from_name(v) {
            Some(f) if allowed.contains(&f) => {
                if self.seen[f as usize] {
                    Err(E::custom(format_args!("duplicate field `{v}`")))
                } else {
                    Ok(f)
                }
            }
            _ => {
                let hint = suggestion(v, allowed.iter().map(|f| f.name()), '`');
                let context = match self.kind {
                    Some(k) => format!(" for kind {:?}", k.name()),
                    None => String::new(),
                };
                Err(E::custom(format_args!(
                    "unknown field `{v}`{context}{hint}; expected one of {}",
                    Field::list(&allowed)
                )))
            }
        }
    }
}

/// Everything read from a distribution object before it is assembled.
struct RawFields<Q> {
    kind: Option<Kind>,
    value: Option<Q>,
    min: Option<Q>,
    max: Option<Q>,
    mean: Option<Q>,
    std_dev: Option<Q>,
    median: Option<Q>,
    sigma: Option<f64>,
    values: Option<Vec<Q>>,
    weights: Option<Vec<f64>>,
}

/// Takes a required field, with a message naming the kind and its fields.
fn need<T>(v: Option<T>, kind: Kind, field: Field) -> Result<T, String> {
    v.ok_or_else(|| {
        format!(
            "missing field `{}` for kind {:?}; expected fields {}",
            field.name(),
            kind.name(),
            Field::list(&Field::allowed(Some(kind)))
        )
    })
}

impl<Q: Quantity> RawFields<Q> {
    fn new() -> Self {
        RawFields {
            kind: None,
            value: None,
            min: None,
            max: None,
            mean: None,
            std_dev: None,
            median: None,
            sigma: None,
            values: None,
            weights: None,
        }
    }

    /// Checks the kind-specific field set, fills defaults and validates.
    fn finish(self, seen: &[bool; Field::ALL.len()]) -> Result<Dist<Q>, String> {
        let kind = self.kind.ok_or_else(|| {
            format!(
                "missing field `kind`; expected an object with \"kind\" set to one of {}, \
                 or a {} string such as {:?}",
                Kind::list(),
                Q::WHAT,
                Q::EXAMPLE
            )
        })?;
        if let Some(f) = Field::ALL
            .into_iter()
            .find(|f| seen[*f as usize] && !kind.allows(*f))
        {
            return Err(format!(
                "field `{}` is not allowed for kind {:?}; expected one of {}",
                f.name(),
                kind.name(),
                Field::list(&Field::allowed(Some(kind)))
            ));
        }
        let dist = match kind {
            Kind::Constant => Dist::Constant(need(self.value, kind, Field::Value)?),
            Kind::Uniform => Dist::Uniform {
                min: need(self.min, kind, Field::Min)?,
                max: need(self.max, kind, Field::Max)?,
            },
            Kind::Exponential => Dist::Exponential {
                mean: need(self.mean, kind, Field::Mean)?,
            },
            Kind::Normal => {
                let mean = need(self.mean, kind, Field::Mean)?;
                let std_dev = need(self.std_dev, kind, Field::StdDev)?;
                let default_max = mean
                    .to_u64()
                    .saturating_add(std_dev.to_u64().saturating_mul(6));
                Dist::Normal {
                    mean,
                    std_dev,
                    min: self.min.unwrap_or_else(|| Q::from_u64(0)),
                    max: self.max.unwrap_or_else(|| Q::from_u64(default_max)),
                }
            }
            Kind::Lognormal => Dist::lognormal(
                need(self.median, kind, Field::Median)?,
                need(self.sigma, kind, Field::Sigma)?,
            ),
            Kind::Empirical => {
                let values = need(self.values, kind, Field::Values)?;
                let weights = self.weights.unwrap_or_else(|| vec![1.0; values.len()]);
                Dist::empirical(values, weights)
            }
        };
        dist.validate()?;
        Ok(dist)
    }
}

struct DistVisitor<Q>(PhantomData<Q>);

impl<Q: Quantity> DistVisitor<Q> {
    fn number<E: de::Error>(got: impl fmt::Display) -> E {
        E::custom(format_args!(
            "expected a {} string such as {:?} or a distribution object with a \"kind\" field, \
             got number {got}",
            Q::WHAT,
            Q::EXAMPLE
        ))
    }
}

impl<'de, Q: Quantity + Deserialize<'de>> Visitor<'de> for DistVisitor<Q> {
    type Value = Dist<Q>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a {} string such as {:?} or a distribution object with a \"kind\" field",
            Q::WHAT,
            Q::EXAMPLE
        )
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Dist<Q>, E> {
        Q::deserialize(v.into_deserializer()).map(Dist::Constant)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dist<Q>, E> {
        Err(Self::number(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dist<Q>, E> {
        Err(Self::number(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dist<Q>, E> {
        Err(Self::number(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Dist<Q>, A::Error> {
        let mut seen = [false; Field::ALL.len()];
        let mut raw = RawFields::<Q>::new();
        while let Some(field) = map.next_key_seed(FieldSeed {
            kind: raw.kind,
            seen: &seen,
        })? {
            seen[field as usize] = true;
            match field {
                Field::Kind => raw.kind = Some(map.next_value()?),
                Field::Value => raw.value = Some(map.next_value()?),
                Field::Min => raw.min = Some(map.next_value()?),
                Field::Max => raw.max = Some(map.next_value()?),
                Field::Mean => raw.mean = Some(map.next_value()?),
                Field::StdDev => raw.std_dev = Some(map.next_value()?),
                Field::Median => raw.median = Some(map.next_value()?),
                Field::Sigma => raw.sigma = Some(map.next_value()?),
                Field::Values => raw.values = Some(map.next_value()?),
                Field::Weights => raw.weights = Some(map.next_value()?),
            }
        }
        raw.finish(&seen).map_err(de::Error::custom)
    }
}

impl<'de, Q: Quantity + Deserialize<'de>> Deserialize<'de> for Dist<Q> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DistVisitor(PhantomData))
    }
}
