//! Objects that say what they are in a `"kind"` field (workloads, rate shapes, faults), read
//! straight from the parser into the kind's own type.
//!
//! serde's `#[serde(tag = "kind")]` first copies the whole object into a buffer of its own (tens of
//! bytes per value, so a 60 MB list of numbers took gigabytes) and loses the path of an error
//! inside it. Here the fields are handed to the kind's type as they are parsed; only the fields
//! that come before `"kind"` wait, in a compact [`Stash`], until the kind is known. An error
//! inside a stashed field carries its path in its message (see [`super::tracked::located`]).

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::StrDeserializer;
use serde::de::{
    DeserializeSeed, Deserializer, EnumAccess, Error, MapAccess, Unexpected, VariantAccess, Visitor,
};
use serde::Deserialize;

use super::stash::Stash;
use super::tracked;

/// An enum written as an object whose `"kind"` field names the variant.
pub trait Tagged: Sized {
    /// The kinds, in the order [`Tagged::build`] takes their indices.
    const KINDS: &'static [&'static str];
    /// Reads the `kind` field's value: the index of the kind it names, or why it names none
    /// (by default rcsim's message, see [`named_kind`]).
    fn kind<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
        named_kind(d, Self::KINDS)
    }
    /// The error for a value that is not an object (`got` says what it is); by default one
    /// that lists the kinds.
    fn not_object<E: Error>(_got: Unexpected<'_>) -> E {
        E::custom(format!(
            "expected an object with a `kind` field, one of: {}",
            Self::KINDS.join(", ")
        ))
    }
    /// The error for an object without a `kind`; by default one that lists the kinds.
    fn no_kind<E: Error>() -> E {
        E::custom(format!(
            "missing field `kind`, expected one of: {}",
            Self::KINDS.join(", ")
        ))
    }
    /// Builds the variant of kind `kind` from the object's other fields.
    fn build<'de, M: MapAccess<'de>>(kind: usize, fields: M) -> Result<Self, M::Error>;
}

/// Deserializes a [`Tagged`] enum, its fields straight into the kind's type.
pub fn deserialize<'de, D: Deserializer<'de>, T: Tagged>(d: D) -> Result<T, D::Error> {
    d.deserialize_any(TaggedVisitor(PhantomData))
}

/// Reads a `kind` that must be one of `names`, with rcsim's message for any other value (the
/// value as JSON, then the list): the index of the name.
pub fn named_kind<'de, D: Deserializer<'de>>(
    d: D,
    names: &'static [&'static str],
) -> Result<usize, D::Error> {
    let unknown = |got: String| {
        D::Error::custom(format!(
            "unknown kind {got}, expected one of: {}",
            names.join(", ")
        ))
    };
    let value = Stash::deserialize(d)?;
    match value.read::<D::Error, _>(|d| serde_json::Value::deserialize(d))? {
        serde_json::Value::String(s) => names
            .iter()
            .position(|n| *n == s)
            .ok_or_else(|| unknown(serde_json::Value::String(s).to_string())),
        other => Err(unknown(other.to_string())),
    }
}

/// Reads a `kind` that must be one of `names`, with serde's messages for an enum's variant
/// ("unknown variant", "expected variant identifier"): the index of the name.
pub fn variant_kind<'de, D: Deserializer<'de>>(
    d: D,
    names: &'static [&'static str],
) -> Result<usize, D::Error> {
    d.deserialize_identifier(VariantName(names))
}

/// Finds a variant's name among its enum's names.
struct VariantName(&'static [&'static str]);

impl Visitor<'_> for VariantName {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("variant identifier")
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<usize, E> {
        self.0
            .iter()
            .position(|n| *n == v)
            .ok_or_else(|| E::unknown_variant(v, self.0))
    }
}

/// Builds the struct variant `name` of an externally tagged enum `T` from `fields`: how a
/// [`Tagged::build`] hands its fields to a derived enum, so that the variant's field messages
/// ("unknown field", "missing field", "duplicate field") are serde's own.
pub fn struct_variant<'de, T: Deserialize<'de>, M: MapAccess<'de>>(
    name: &'static str,
    fields: M,
) -> Result<T, M::Error> {
    T::deserialize(VariantDe { name, fields })
}

/// A deserializer of one struct variant of an enum, from the variant's name and fields.
struct VariantDe<M> {
    name: &'static str,
    fields: M,
}

impl<'de, M: MapAccess<'de>> Deserializer<'de> for VariantDe<M> {
    type Error = M::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, M::Error> {
        visitor.visit_enum(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

impl<'de, M: MapAccess<'de>> EnumAccess<'de> for VariantDe<M> {
    type Error = M::Error;
    type Variant = Fields<M>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Fields<M>), M::Error> {
        let v = seed.deserialize(StrDeserializer::<M::Error>::new(self.name))?;
        Ok((v, Fields(self.fields)))
    }
}

/// The fields of an object, handed to a struct variant.
struct Fields<M>(M);

/// A variant of another shape than a struct is refused as `serde_json` refuses one given an
/// object.
impl<'de, M: MapAccess<'de>> VariantAccess<'de> for Fields<M> {
    type Error = M::Error;

    fn unit_variant(self) -> Result<(), M::Error> {
        Err(M::Error::invalid_type(Unexpected::Map, &"unit variant"))
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, M::Error> {
        Err(M::Error::invalid_type(Unexpected::Map, &"newtype variant"))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _v: V) -> Result<V::Value, M::Error> {
        Err(M::Error::invalid_type(Unexpected::Map, &"tuple variant"))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, M::Error> {
        visitor.visit_map(self.0)
    }
}

/// Visits the object of a [`Tagged`] enum.
struct TaggedVisitor<T>(PhantomData<T>);

impl<'de, T: Tagged> Visitor<'de> for TaggedVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with a `kind` field")
    }
    fn visit_bool<E: Error>(self, v: bool) -> Result<T, E> {
        Err(T::not_object(Unexpected::Bool(v)))
    }
    fn visit_i64<E: Error>(self, v: i64) -> Result<T, E> {
        Err(T::not_object(Unexpected::Signed(v)))
    }
    fn visit_u64<E: Error>(self, v: u64) -> Result<T, E> {
        Err(T::not_object(Unexpected::Unsigned(v)))
    }
    fn visit_f64<E: Error>(self, v: f64) -> Result<T, E> {
        Err(T::not_object(Unexpected::Float(v)))
    }
    fn visit_str<E: Error>(self, v: &str) -> Result<T, E> {
        Err(T::not_object(Unexpected::Str(v)))
    }
    fn visit_unit<E: Error>(self) -> Result<T, E> {
        Err(T::not_object(Unexpected::Unit))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _seq: A) -> Result<T, A::Error> {
        Err(T::not_object(Unexpected::Seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut early = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "kind" {
                let kind = map.next_value_seed(KindSeed::<T>(PhantomData))?;
                let rest = Rest {
                    early: early.into_iter(),
                    pending: None,
                    map,
                };
                return T::build(kind, rest);
            }
            let value: Stash = map.next_value()?;
            early.push((key, value));
        }
        Err(T::no_kind())
    }
}

/// Reads the `kind` value with [`Tagged::kind`].
struct KindSeed<T>(PhantomData<T>);

impl<'de, T: Tagged> DeserializeSeed<'de> for KindSeed<T> {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        T::kind(d)
    }
}

/// The fields of a tagged object other than `kind`: first those stashed before it, then the
/// rest as they are parsed. A second `kind` is refused.
struct Rest<M> {
    early: std::vec::IntoIter<(String, Stash)>,
    pending: Option<(String, Stash)>,
    map: M,
}

impl<'de, M: MapAccess<'de>> MapAccess<'de> for Rest<M> {
    type Error = M::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, M::Error> {
        if let Some((key, value)) = self.early.next() {
            let k = seed
                .deserialize(StrDeserializer::<M::Error>::new(&key))
                .map_err(|e| marked(&key, ".", &e.to_string()))?;
            self.pending = Some((key, value));
            return Ok(Some(k));
        }
        match self.map.next_key_seed(NotKind(seed))? {
            Some(Some(k)) => Ok(Some(k)),
            Some(None) => Err(M::Error::custom("duplicate field `kind`")),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, M::Error> {
        let Some((key, value)) = self.pending.take() else {
            return self.map.next_value_seed(seed);
        };
        let mut track = serde_path_to_error::Track::new();
        value
            .read(|d| seed.deserialize(serde_path_to_error::Deserializer::new(d, &mut track)))
            .map_err(|e: M::Error| marked(&key, &track.path().to_string(), &e.to_string()))
    }
}

/// Deserializes a small value by way of a [`Stash`], for a `deserialize_with`: a value read so
/// behaves as one read from a `serde_json::Value` does, e.g. an enum written as an object with
/// two keys (`{"zipf": 1.1, "zipf": 1.2}`) is told its key is repeated, not "expected value".
pub fn stashed<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(
    d: D,
) -> Result<T, D::Error> {
    let value = Stash::deserialize(d)?;
    let mut track = serde_path_to_error::Track::new();
    value
        .read(|d| T::deserialize(serde_path_to_error::Deserializer::new(d, &mut track)))
        .map_err(|e: D::Error| {
            let (path, text) = tracked::located(&track.path().to_string(), &e.to_string());
            if path == "." {
                D::Error::custom(text)
            } else {
                D::Error::custom(tracked::mark(&path, &text))
            }
        })
}

/// An error inside the stashed field `key`, at `path` within it, its path carried in the
/// message for [`tracked::located`] to splice into the outer one.
fn marked<E: Error>(key: &str, path: &str, msg: &str) -> E {
    let (inner, text) = tracked::located(path, msg);
    let relative = if inner == "." {
        key.to_string()
    } else {
        tracked::join(key, &inner)
    };
    E::custom(tracked::mark(&relative, &text))
}

/// Reads a key for a variant's type, or `None` for a second `kind`.
struct NotKind<K>(K);

impl<'de, K: DeserializeSeed<'de>> DeserializeSeed<'de> for NotKind<K> {
    type Value = Option<K::Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl<'de, K: DeserializeSeed<'de>> Visitor<'de> for NotKind<K> {
    type Value = Option<K::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
        if v == "kind" {
            return Ok(None);
        }
        self.0.deserialize(StrDeserializer::<E>::new(v)).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::tracked::located;
    use crate::scenario::types::{Fault, Workload};
    use serde::de::DeserializeOwned;

    /// `T` from `json`, or its error as `path: message` with any stashed path spliced in.
    fn read<T: DeserializeOwned>(json: &str) -> Result<T, String> {
        let de = &mut serde_json::Deserializer::from_str(json);
        serde_path_to_error::deserialize::<_, T>(de).map_err(|e| {
            let (path, msg) = located(&e.path().to_string(), &e.inner().to_string());
            let msg = msg
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_string();
            format!("{path}: {msg}")
        })
    }

    fn err<T: DeserializeOwned + std::fmt::Debug>(json: &str) -> String {
        read::<T>(json).expect_err(json)
    }

    #[test]
    fn kind_may_come_anywhere() {
        for json in [
            r#"{"kind": "random", "rate": "5/s", "blocks": {"zipf": 1.5}, "size": "8KiB"}"#,
            r#"{"rate": "5/s", "kind": "random", "blocks": {"zipf": 1.5}, "size": "8KiB"}"#,
            r#"{"rate": "5/s", "blocks": {"zipf": 1.5}, "size": "8KiB", "kind": "random"}"#,
        ] {
            let w = read::<Workload>(json).expect(json);
            let back = serde_json::to_string(&w).expect("serializes");
            assert_eq!(
                back,
                r#"{"kind":"random","volumes":[],"rate":"5/s","arrival":"poisson","blocks":{"zipf":1.5},"size":"8KiB","shape":null}"#
            );
        }
        let f = read::<Fault>(r#"{"for": "2ms", "pair": 1, "at": "1ms", "kind": "link_outage"}"#)
            .expect("a fault");
        assert_eq!(f.healed_at(), Some(3_000_000));
    }

    #[test]
    fn workload_errors_name_the_field_wherever_kind_is() {
        let cases = [
            (
                r#"{"kind": "random", "rat": 3}"#,
                "rat: unknown field `rat`, expected one of",
            ),
            (
                r#"{"rat": 3, "kind": "random"}"#,
                "rat: unknown field `rat`, expected one of",
            ),
            (
                r#"{"rate": 3, "kind": "random"}"#,
                "rate: expected a rate string",
            ),
            (
                r#"{"writes": [{"label": "a", "subsystem": 1, "blok": 2}], "kind": "script"}"#,
                "writes[0].blok: unknown field `blok`",
            ),
            (
                r#"{"shape": {"steps": [{"at": "1 fortnight"}], "kind": "schedule"}, "kind": "random"}"#,
                "shape.steps[0].at: invalid duration",
            ),
            (r#"{"kind": "random"}"#, ".: missing field `rate`"),
            (
                r#"{"rate": "1/s", "kind": "random", "rate": "2/s"}"#,
                ".: duplicate field `rate`",
            ),
            (
                r#"{"kind": "random", "kind": "random"}"#,
                ".: duplicate field `kind`",
            ),
            (
                r#"{"rate": "1/s"}"#,
                ".: missing field `kind`, expected one of: script, dbms",
            ),
            (
                r#"{"kind": "randon"}"#,
                "kind: unknown kind \"randon\", expected one of: script",
            ),
            (
                r#"{"kind": [1, {"b": 2, "a": 1}]}"#,
                "kind: unknown kind [1,{\"a\":1,\"b\":2}]",
            ),
            (
                r#""random""#,
                ".: expected an object with a `kind` field, one of: script",
            ),
            (r#"[]"#, ".: expected an object with a `kind` field"),
            (
                r#"{"blocks": {"zipf": 1, "zipf": 2}, "kind": "random"}"#,
                "blocks: duplicate field `zipf`",
            ),
            (
                r#"{"kind": "random", "blocks": {"zipf": 1, "zipf": 2}}"#,
                "blocks: duplicate field `zipf`",
            ),
            (
                r#"{"kind": "random", "blocks": {"zipf": "1"}}"#,
                "blocks.zipf: invalid type",
            ),
        ];
        for (json, want) in cases {
            let e = err::<Workload>(json);
            assert!(e.starts_with(want), "{json}: {e}");
        }
    }

    #[test]
    fn fault_errors_are_serdes_with_the_fields_path() {
        let cases = [
            (
                r#"{"kind": "meteor"}"#,
                "kind: unknown variant `meteor`, expected one of `disaster`",
            ),
            (
                r#"{"kind": 1}"#,
                "kind: invalid type: integer `1`, expected variant identifier",
            ),
            (r#"{"at": "1ms"}"#, ".: missing field `kind`"),
            (
                r#""disaster""#,
                ".: invalid type: string \"disaster\", expected internally tagged",
            ),
            (
                r#"{"when": 1, "kind": "disaster"}"#,
                "when: unknown field `when`, expected `at`",
            ),
            (
                r#"{"kind": "disaster", "when": 1}"#,
                "when: unknown field `when`, expected `at`",
            ),
            (
                r#"{"kind": "crash", "site": "primary", "at": "1ms"}"#,
                ".: missing field `subsystem`",
            ),
            (
                r#"{"at": "1ms", "at": "2ms", "kind": "disaster"}"#,
                ".: duplicate field `at`",
            ),
            (
                r#"{"at": "1ms", "kind": "disaster", "kind": "crash"}"#,
                ".: duplicate field `kind`",
            ),
            (
                r#"{"isolate": [1, "2"], "kind": "partition"}"#,
                "isolate[1]: invalid type: string \"2\", expected u16",
            ),
            (
                r#"{"kind": "link_outage", "pair": 1, "at": "1ms", "for": "1ms", "repeat": {"every": "1ms", "cnt": 3}}"#,
                "repeat.cnt: unknown field `cnt`",
            ),
        ];
        for (json, want) in cases {
            let e = err::<Fault>(json);
            assert!(e.starts_with(want), "{json}: {e}");
        }
    }
}
