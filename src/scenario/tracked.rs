//! Exact JSON paths inside internally tagged enums (workloads, faults). serde buffers such an
//! enum's contents before choosing the variant, which loses the path of an error inside it; these
//! helpers deserialize each element on its own and hand the inner path back to the loader, which
//! splices it into the outer one, so an error reads `workloads[0].writes[2].blok`.

use serde::de::{DeserializeOwned, Error, MapAccess, SeqAccess, Visitor};
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

/// Deserializes a list element by element, keeping the path of any error inside an element.
pub fn vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let items = Vec::<Unique>::deserialize(d)?;
    items
        .into_iter()
        .enumerate()
        .map(|(i, Unique(v))| {
            serde_path_to_error::deserialize::<_, T>(v).map_err(|e| {
                let (inner, text) = located(&e.path().to_string(), &e.inner().to_string());
                let sub = if inner == "." {
                    format!("[{i}]")
                } else {
                    format!("[{i}].{inner}")
                };
                D::Error::custom(format!("{MARK}{sub}{MARK}{text}"))
            })
        })
        .collect()
}

/// Deserializes an internally tagged object: reads its `kind` (one of `kinds`), then hands
/// the rest to `build`, which deserializes it with [`body`] so inner errors keep their path.
pub fn tagged<'de, D, T>(
    d: D,
    kinds: &[&str],
    build: impl FnOnce(&str, serde_json::Value) -> Result<T, String>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    let Unique(mut v) = Unique::deserialize(d)?;
    let Some(obj) = v.as_object_mut() else {
        return Err(D::Error::custom(format!(
            "expected an object with a `kind` field, one of: {}",
            kinds.join(", ")
        )));
    };
    let kind = match obj.remove("kind") {
        Some(serde_json::Value::String(k)) if kinds.contains(&k.as_str()) => k,
        Some(other) => {
            return Err(D::Error::custom(format!(
                "{MARK}kind{MARK}unknown kind {other}, expected one of: {}",
                kinds.join(", ")
            )))
        }
        None => {
            return Err(D::Error::custom(format!(
                "missing field `kind`, expected one of: {}",
                kinds.join(", ")
            )))
        }
    };
    build(&kind, v).map_err(D::Error::custom)
}

/// Deserializes the body of a tagged object, marking any error with its path inside the body.
pub fn body<T: DeserializeOwned>(v: serde_json::Value) -> Result<T, String> {
    serde_path_to_error::deserialize::<_, T>(v).map_err(|e| {
        let (path, text) = located(&e.path().to_string(), &e.inner().to_string());
        if path == "." {
            text
        } else {
            format!("{MARK}{path}{MARK}{text}")
        }
    })
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

/// Splits an error message made by [`vec()`] into its relative path and its text.
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
