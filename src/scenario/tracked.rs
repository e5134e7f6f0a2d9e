//! Exact JSON paths for errors that surface away from where they are: an error inside a field
//! that was stashed before its object's `kind` (see [`super::tagged`]) carries its path relative
//! to that object in its message, and the loader splices it into the outer one, so an error reads
//! `workloads[0].writes[2].blok`. Also the duplicate-refusing JSON value that `--set` edits.

use serde::de::{Error, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// A JSON value read with every object's keys checked unique: a plain `serde_json::Value`
/// keeps the last of two equal keys, which would let `{"rate": "1000/s", "rate": "5/s"}` run
/// at 5/s where a field outside a tagged object is refused as a duplicate.
struct Unique(Value);

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueVisitor)
    }
}

/// Builds a [`Unique`] value, refusing a repeated key.
struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Unique;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: Error>(self, v: bool) -> Result<Unique, E> {
        Ok(Unique(Value::Bool(v)))
    }
    fn visit_i64<E: Error>(self, v: i64) -> Result<Unique, E> {
        Ok(Unique(Value::from(v)))
    }
    fn visit_u64<E: Error>(self, v: u64) -> Result<Unique, E> {
        Ok(Unique(Value::from(v)))
    }
    fn visit_f64<E: Error>(self, v: f64) -> Result<Unique, E> {
        Ok(Unique(Value::from(v)))
    }
    fn visit_str<E: Error>(self, v: &str) -> Result<Unique, E> {
        Ok(Unique(Value::String(v.to_string())))
    }
    fn visit_string<E: Error>(self, v: String) -> Result<Unique, E> {
        Ok(Unique(Value::String(v)))
    }
    fn visit_unit<E: Error>(self) -> Result<Unique, E> {
        Ok(Unique(Value::Null))
    }
    fn visit_none<E: Error>(self) -> Result<Unique, E> {
        Ok(Unique(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Unique, D::Error> {
        Unique::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
        let mut items = Vec::new();
        while let Some(Unique(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Unique(Value::Array(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(A::Error::custom(format!("duplicate field `{key}`")));
            }
            let Unique(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Unique(Value::Object(out)))
    }
}

/// Reads `text` as a JSON value whose objects must not repeat a key, for a scenario that
/// overrides edit before it is deserialized (a plain `Value` would keep the last of two equal
/// keys where the file read as a scenario refuses them); an error carries its path.
pub fn unique_value(text: &str) -> Result<Value, serde_path_to_error::Error<serde_json::Error>> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize::<_, Unique>(&mut de).map(|Unique(v)| v)
}

/// Marks an error message that carries a path relative to the field being deserialized.
const MARK: char = '\u{1}';

/// `text`, marked as an error at `path` relative to the field being deserialized, for
/// [`located`] to splice into the outer path.
pub fn mark(path: &str, text: &str) -> String {
    format!("{MARK}{path}{MARK}{text}")
}

/// The path and message of an error, splicing in a relative path carried by its message.
pub fn located(path: &str, msg: &str) -> (String, String) {
    match split(msg) {
        Some((relative, text)) if path == "." || path.is_empty() => {
            (relative.to_string(), text.to_string())
        }
        Some((relative, text)) => (join(path, relative), text.to_string()),
        None => (path.to_string(), msg.to_string()),
    }
}

/// Splits an error message made by [`mark`] into its relative path and its text.
pub fn split(message: &str) -> Option<(&str, &str)> {
    let rest = message.strip_prefix(MARK)?;
    rest.split_once(MARK)
}

/// Joins an outer path and a relative one: `workloads` + `[0].writes` = `workloads[0].writes`,
/// `workloads[0]` + `writes` = `workloads[0].writes`.
pub fn join(outer: &str, relative: &str) -> String {
    if relative.starts_with('[') {
        format!("{outer}{relative}")
    } else {
        format!("{outer}.{relative}")
    }
}
