//! One JSON value kept in a compact byte form and read back later, for the fields of a tagged
//! object that come before its `"kind"` (their type is unknown until the kind is read) and for
//! the parts of a scenario that `--set` overrides leave alone.
//!
//! A `serde_json::Value` or serde's buffered content costs tens of bytes per value, so a 60 MB
//! list of small numbers became gigabytes; a stash costs about what the text does (a tag byte and
//! a variable-length number or string per value). Reading a stash back behaves as reading the
//! same `serde_json::Value` does (the same visitor calls, the same error messages), and recording
//! one refuses a key repeated in an object, as a scenario read without overrides does. For
//! `--set` (see [`super::doc`]) a stash can also be recorded with every object's keys sorted, as a
//! `serde_json::Value` holds them, and assembled from parts.

use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::StrDeserializer;
use serde::de::{
    DeserializeSeed, Deserializer, EnumAccess, Error, MapAccess, SeqAccess, Unexpected,
    VariantAccess, Visitor,
};
use serde::Deserialize;
use serde_json::Value;

mod parts;
pub use parts::{Builder, Opened, Run};

/// The error type where a stash is taken apart rather than deserialized.
type Plain = serde::de::value::Error;

const NULL: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const UINT: u8 = 3;
const NEG: u8 = 4;
const FLOAT: u8 = 5;
const STR: u8 = 6;
const SEQ: u8 = 7;
const MAP: u8 = 8;
const END: u8 = 9;

/// A JSON value recorded compactly; [`Stash::read`] reads it back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stash(Vec<u8>);

impl Stash {
    /// Hands `read` a deserializer of this value, with errors of type `E`.
    pub fn read<E: Error, R>(&self, read: impl FnOnce(StashDe<'_, '_, E>) -> R) -> R {
        let mut reader = Reader::new(&self.0);
        read(StashDe::new(&mut reader))
    }

    /// Records the value `d` holds with every object's keys in sorted order, so that it reads
    /// back in the order a `serde_json::Value` of it would (which error of two comes first).
    pub fn sorted<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut bytes = Vec::new();
        d.deserialize_any(Recorder::sorted(&mut bytes))?;
        Ok(Stash(bytes))
    }

    /// A stash of `value` (its objects' keys are sorted already).
    pub fn of(value: &Value) -> Self {
        let mut bytes = Vec::new();
        write_value(&mut Recorder::sorted(&mut bytes), value);
        Stash(bytes)
    }

    /// The string this stash holds, if it holds one.
    pub fn as_str(&self) -> Option<&str> {
        match Reader::new(&self.0).next::<Plain>() {
            Ok(Item::Str(s)) => Some(s),
            _ => None,
        }
    }
}

/// Writes `value` as a [`Recorder`] would record it.
fn write_value(out: &mut Recorder<'_>, value: &Value) {
    match value {
        Value::Null => out.out.push(NULL),
        Value::Bool(b) => out.out.push(if *b { TRUE } else { FALSE }),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => out.number(UINT, u),
            (None, Some(i), _) => out.number(NEG, !(i as u64)),
            (None, None, Some(f)) => {
                out.out.push(FLOAT);
                out.out.extend_from_slice(&f.to_le_bytes());
            }
            (None, None, None) => out.out.push(NULL),
        },
        Value::String(s) => out.string(s),
        Value::Array(items) => {
            out.out.push(SEQ);
            for item in items {
                write_value(out, item);
            }
            out.out.push(END);
        }
        Value::Object(map) => {
            out.out.push(MAP);
            for (key, item) in map {
                out.string(key);
                write_value(out, item);
            }
            out.out.push(END);
        }
    }
}

impl<'de> Deserialize<'de> for Stash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut bytes = Vec::new();
        d.deserialize_any(Recorder {
            out: &mut bytes,
            sorted: false,
        })?;
        Ok(Stash(bytes))
    }
}

/// Appends one value to a stash's bytes, its objects' keys in file order or sorted.
struct Recorder<'a> {
    out: &'a mut Vec<u8>,
    sorted: bool,
}

impl<'a> Recorder<'a> {
    fn sorted(out: &'a mut Vec<u8>) -> Self {
        Recorder { out, sorted: true }
    }

    fn number(&mut self, tag: u8, mut v: u64) {
        self.out.push(tag);
        while v >= 0x80 {
            self.out.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.out.push(v as u8);
    }

    fn string(&mut self, s: &str) {
        self.number(STR, s.len() as u64);
        self.out.extend_from_slice(s.as_bytes());
    }
}

impl<'de> DeserializeSeed<'de> for Recorder<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Recorder<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: Error>(self, v: bool) -> Result<(), E> {
        self.out.push(if v { TRUE } else { FALSE });
        Ok(())
    }
    fn visit_i64<E: Error>(mut self, v: i64) -> Result<(), E> {
        // As `serde_json::Value` does, a non-negative number is read back as unsigned.
        match u64::try_from(v) {
            Ok(u) => self.number(UINT, u),
            Err(_) => self.number(NEG, !(v as u64)),
        }
        Ok(())
    }
    fn visit_u64<E: Error>(mut self, v: u64) -> Result<(), E> {
        self.number(UINT, v);
        Ok(())
    }
    fn visit_f64<E: Error>(self, v: f64) -> Result<(), E> {
        // As `serde_json::Value` does, a number that is not finite becomes null.
        if v.is_finite() {
            self.out.push(FLOAT);
            self.out.extend_from_slice(&v.to_le_bytes());
        } else {
            self.out.push(NULL);
        }
        Ok(())
    }
    fn visit_str<E: Error>(mut self, v: &str) -> Result<(), E> {
        self.string(v);
        Ok(())
    }
    fn visit_unit<E: Error>(self) -> Result<(), E> {
        self.out.push(NULL);
        Ok(())
    }
    fn visit_none<E: Error>(self) -> Result<(), E> {
        self.visit_unit()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let sorted = self.sorted;
        self.out.push(SEQ);
        while seq
            .next_element_seed(Recorder {
                out: self.out,
                sorted,
            })?
            .is_some()
        {}
        self.out.push(END);
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        // Sorted, each value waits in a buffer of its own until every key is known.
        let mut entries = Vec::new();
        self.out.push(MAP);
        while let Some(key) = map.next_key::<String>()? {
            if seen.contains(&key) {
                return Err(A::Error::custom(format!("duplicate field `{key}`")));
            }
            if self.sorted {
                let mut value = Vec::new();
                map.next_value_seed(Recorder::sorted(&mut value))?;
                entries.push((key.clone(), value));
            } else {
                self.string(&key);
                map.next_value_seed(Recorder {
                    out: self.out,
                    sorted: false,
                })?;
            }
            seen.insert(key);
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, value) in entries {
            self.string(&key);
            self.out.extend_from_slice(&value);
        }
        self.out.push(END);
        Ok(())
    }
}

/// A position in a stash's bytes.
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// One value as read, its contents (if any) still to come.
enum Item<'a> {
    Null,
    Bool(bool),
    Uint(u64),
    Neg(i64),
    Float(f64),
    Str(&'a str),
    Seq,
    Map,
    End,
}

impl Item<'_> {
    fn unexpected(&self) -> Unexpected<'_> {
        match *self {
            Item::Null | Item::End => Unexpected::Unit,
            Item::Bool(b) => Unexpected::Bool(b),
            Item::Uint(u) => Unexpected::Unsigned(u),
            Item::Neg(i) => Unexpected::Signed(i),
            Item::Float(f) => Unexpected::Float(f),
            Item::Str(s) => Unexpected::Str(s),
            Item::Seq => Unexpected::Seq,
            Item::Map => Unexpected::Map,
        }
    }
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    fn byte<E: Error>(&mut self) -> Result<u8, E> {
        let b = self.bytes.get(self.at).copied().ok_or_else(corrupt)?;
        self.at += 1;
        Ok(b)
    }

    fn varint<E: Error>(&mut self) -> Result<u64, E> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte::<E>()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(corrupt())
    }

    /// Reads the next item, moving past it (but not into a list's or an object's contents).
    fn next<E: Error>(&mut self) -> Result<Item<'a>, E> {
        Ok(match self.byte::<E>()? {
            NULL => Item::Null,
            FALSE => Item::Bool(false),
            TRUE => Item::Bool(true),
            UINT => Item::Uint(self.varint()?),
            NEG => Item::Neg(!(self.varint::<E>()? as i64)),
            FLOAT => {
                let end = self.at + 8;
                let raw = self.bytes.get(self.at..end).ok_or_else(corrupt::<E>)?;
                self.at = end;
                let mut b = [0u8; 8];
                b.copy_from_slice(raw);
                Item::Float(f64::from_le_bytes(b))
            }
            STR => {
                let len = usize::try_from(self.varint::<E>()?).map_err(|_| corrupt::<E>())?;
                let end = self.at.checked_add(len).ok_or_else(corrupt::<E>)?;
                let raw = self.bytes.get(self.at..end).ok_or_else(corrupt::<E>)?;
                self.at = end;
                Item::Str(std::str::from_utf8(raw).map_err(|_| corrupt::<E>())?)
            }
            SEQ => Item::Seq,
            MAP => Item::Map,
            END => Item::End,
            _ => return Err(corrupt()),
        })
    }

    /// The next item, without moving past it.
    fn peek<E: Error>(&mut self) -> Result<Item<'a>, E> {
        let at = self.at;
        let item = self.next();
        self.at = at;
        item
    }

    /// Moves past the next value, contents and all.
    fn skip_value<E: Error>(&mut self) -> Result<(), E> {
        match self.next::<E>()? {
            Item::Seq | Item::Map => self.skip_rest::<E>().map(|_| ()),
            Item::End => Err(corrupt()),
            _ => Ok(()),
        }
    }

    /// Moves past the rest of a list or object whose opening was read, counting its values (an
    /// object's keys among them).
    fn skip_rest<E: Error>(&mut self) -> Result<usize, E> {
        let (mut depth, mut count) = (0usize, 0usize);
        loop {
            match self.next::<E>()? {
                Item::End if depth == 0 => return Ok(count),
                Item::End => depth -= 1,
                Item::Seq | Item::Map => {
                    count += usize::from(depth == 0);
                    depth += 1;
                }
                _ => count += usize::from(depth == 0),
            }
        }
    }
}

/// The error for bytes a [`Recorder`] did not write; never seen in practice.
fn corrupt<E: Error>() -> E {
    E::custom("internal error: a stashed JSON value is corrupt")
}

/// Reads one stashed value, as `serde_json::Value` reads itself.
pub struct StashDe<'r, 'a, E> {
    reader: &'r mut Reader<'a>,
    error: PhantomData<E>,
}

impl<'r, 'a, E: Error> StashDe<'r, 'a, E> {
    fn new(reader: &'r mut Reader<'a>) -> Self {
        StashDe {
            reader,
            error: PhantomData,
        }
    }

    /// Reads the value with `visitor` if `fits` accepts its item, else the type error
    /// `serde_json::Value` gives.
    fn typed<'de, V: Visitor<'de>>(
        self,
        fits: fn(&Item<'_>) -> bool,
        visitor: V,
    ) -> Result<V::Value, E> {
        let item = self.reader.peek::<E>()?;
        if fits(&item) {
            self.deserialize_any(visitor)
        } else {
            Err(E::invalid_type(item.unexpected(), &visitor))
        }
    }
}

/// Reads the contents of a list or object whose opening was read, then checks that the visitor
/// took every value, as `serde_json::Value` does.
fn contents<'de, 'a, E: Error, V: Visitor<'de>>(
    reader: &mut Reader<'a>,
    map: bool,
    visitor: V,
) -> Result<V::Value, E> {
    let mut access = Contents {
        reader,
        taken: 0,
        error: PhantomData,
    };
    let value = if map {
        visitor.visit_map(&mut access)?
    } else {
        visitor.visit_seq(&mut access)?
    };
    let taken = access.taken;
    // An object's keys and values are counted apart.
    let left = reader.skip_rest::<E>()? / if map { 2 } else { 1 };
    if left == 0 {
        Ok(value)
    } else if map {
        Err(E::invalid_length(taken + left, &"fewer elements in map"))
    } else {
        Err(E::invalid_length(taken + left, &"fewer elements in array"))
    }
}

/// The values of a stashed list, or the entries of a stashed object.
struct Contents<'r, 'a, E> {
    reader: &'r mut Reader<'a>,
    taken: usize,
    error: PhantomData<E>,
}

impl<'de, E: Error> SeqAccess<'de> for Contents<'_, '_, E> {
    type Error = E;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, E> {
        if matches!(self.reader.peek::<E>()?, Item::End) {
            return Ok(None);
        }
        self.taken += 1;
        seed.deserialize(StashDe::new(self.reader)).map(Some)
    }
}

impl<'de, E: Error> MapAccess<'de> for Contents<'_, '_, E> {
    type Error = E;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, E> {
        if matches!(self.reader.peek::<E>()?, Item::End) {
            return Ok(None);
        }
        self.taken += 1;
        seed.deserialize(StashDe::new(self.reader)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, E> {
        seed.deserialize(StashDe::new(self.reader))
    }
}

/// The variant of an enum written as an object with one key, and its value.
struct Variant<'r, 'a, E> {
    name: &'a str,
    reader: &'r mut Reader<'a>,
    error: PhantomData<E>,
}

impl<'de, 'r, 'a, E: Error> EnumAccess<'de> for Variant<'r, 'a, E> {
    type Error = E;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), E> {
        let v = seed.deserialize(StrDeserializer::<E>::new(self.name))?;
        Ok((v, self))
    }
}

impl<'de, E: Error> VariantAccess<'de> for Variant<'_, '_, E> {
    type Error = E;

    fn unit_variant(self) -> Result<(), E> {
        <()>::deserialize(StashDe::<E>::new(self.reader))
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, E> {
        seed.deserialize(StashDe::new(self.reader))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, E> {
        match self.reader.next::<E>()? {
            Item::Seq if matches!(self.reader.peek::<E>()?, Item::End) => {
                self.reader.next::<E>()?;
                visitor.visit_unit()
            }
            Item::Seq => contents(self.reader, false, visitor),
            other => Err(E::invalid_type(other.unexpected(), &"tuple variant")),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, E> {
        match self.reader.next::<E>()? {
            Item::Map => contents(self.reader, true, visitor),
            other => Err(E::invalid_type(other.unexpected(), &"struct variant")),
        }
    }
}

fn is_bool(i: &Item<'_>) -> bool {
    matches!(i, Item::Bool(_))
}
fn is_number(i: &Item<'_>) -> bool {
    matches!(i, Item::Uint(_) | Item::Neg(_) | Item::Float(_))
}
fn is_str(i: &Item<'_>) -> bool {
    matches!(i, Item::Str(_))
}
fn is_str_or_seq(i: &Item<'_>) -> bool {
    matches!(i, Item::Str(_) | Item::Seq)
}
fn is_null(i: &Item<'_>) -> bool {
    matches!(i, Item::Null)
}
fn is_seq(i: &Item<'_>) -> bool {
    matches!(i, Item::Seq)
}
fn is_map(i: &Item<'_>) -> bool {
    matches!(i, Item::Map)
}
fn is_seq_or_map(i: &Item<'_>) -> bool {
    matches!(i, Item::Seq | Item::Map)
}

impl<'de, E: Error> Deserializer<'de> for StashDe<'_, '_, E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        let reader = self.reader;
        match reader.next::<E>()? {
            Item::Null => visitor.visit_unit(),
            Item::Bool(b) => visitor.visit_bool(b),
            Item::Uint(u) => visitor.visit_u64(u),
            Item::Neg(i) => visitor.visit_i64(i),
            Item::Float(f) => visitor.visit_f64(f),
            Item::Str(s) => visitor.visit_str(s),
            Item::Seq => contents(reader, false, visitor),
            Item::Map => contents(reader, true, visitor),
            Item::End => Err(corrupt()),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        if matches!(self.reader.peek::<E>()?, Item::Null) {
            self.reader.next::<E>()?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, E> {
        let reader = self.reader;
        match reader.next::<E>()? {
            Item::Str(s) => visitor.visit_enum(StrDeserializer::<E>::new(s)),
            Item::Map => {
                let start = reader.at;
                let keys_and_values = reader.skip_rest::<E>()?;
                reader.at = start;
                if keys_and_values != 2 {
                    return Err(E::invalid_value(Unexpected::Map, &"map with a single key"));
                }
                let Item::Str(name) = reader.next::<E>()? else {
                    return Err(corrupt());
                };
                let value = visitor.visit_enum(Variant {
                    name,
                    reader: &mut *reader,
                    error: PhantomData,
                })?;
                reader.skip_rest::<E>()?;
                Ok(value)
            }
            other => Err(E::invalid_type(other.unexpected(), &"string or map")),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, E> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        let reader = self.reader;
        if matches!(reader.next::<E>()?, Item::Seq | Item::Map) {
            reader.skip_rest::<E>()?;
        }
        visitor.visit_unit()
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.typed(is_bool, visitor)
    }
    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.typed(is_number, visitor)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.typed(is_number, visitor)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.typed(is_number, visitor)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.typed(is_number, visitor)
    }
    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.typed(is_number, visitor)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.typed(is_number, visitor)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.typed(is_number, visitor)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.typed(is_number, visitor)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.typed(is_number, visitor)
    }
    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.typed(is_number, visitor)
    }
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.typed(is_number, visitor)
    }
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.typed(is_number, visitor)
    }
    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.typed(is_str, visitor)
    }
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.typed(is_str, visitor)
    }
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.typed(is_str, visitor)
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.typed(is_str, visitor)
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.typed(is_str_or_seq, visitor)
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.typed(is_str_or_seq, visitor)
    }
    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.typed(is_null, visitor)
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, E> {
        self.typed(is_null, visitor)
    }
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.typed(is_seq, visitor)
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, E> {
        self.typed(is_seq, visitor)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, E> {
        self.typed(is_seq, visitor)
    }
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.typed(is_map, visitor)
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, E> {
        self.typed(is_seq_or_map, visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::types::{BlockChoice, VolumeRef};
    use serde::de::DeserializeOwned;
    use serde_json::Value;

    fn stash(json: &str) -> Result<Stash, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    /// `T` read back from a stash of `json`, and read from a `serde_json::Value` of it.
    fn both<T: DeserializeOwned + fmt::Debug>(json: &str) -> (String, String) {
        let from_stash = stash(json)
            .expect("stashes")
            .read(|d| T::deserialize(d).map_err(|e: serde_json::Error| e.to_string()));
        let value: Value = serde_json::from_str(json).expect("a value");
        let from_value = T::deserialize(value).map_err(|e| e.to_string());
        (format!("{from_stash:?}"), format!("{from_value:?}"))
    }

    #[test]
    fn values_read_back_as_recorded() {
        for json in [
            r#"null"#,
            r#"[true, false, 0, 7, -3, -9223372036854775808, 18446744073709551615]"#,
            r#"[0.1234567890123456789, -0.0, 1e300, 2.5e-3, 123456789012345678901234567890]"#,
            r#"{"a": "x\"\n\u00e9", "b": {"c": [[], {}, ""]}, "": [null]}"#,
        ] {
            let (a, b) = both::<Value>(json);
            assert_eq!(a, b, "{json}");
        }
        let big = format!("[{}]", vec!["1"; 1000].join(","));
        let s = stash(&big).expect("stashes");
        assert!(s.0.len() < 2 * big.len(), "{} bytes", s.0.len());
    }

    #[test]
    fn typed_reads_behave_as_a_json_value_does() {
        let cases: Vec<(String, String)> = vec![
            both::<u16>(r#""x""#),
            both::<u16>("70000"),
            both::<u16>("-1"),
            both::<u16>("1.5"),
            both::<bool>("1"),
            both::<String>("5"),
            both::<Vec<u16>>(r#"{"a": 1}"#),
            both::<Vec<u16>>(r#"[1, "2"]"#),
            both::<Option<u16>>("null"),
            both::<Option<u16>>("3"),
            both::<()>("[]"),
            both::<VolumeRef>("[1, 0]"),
            both::<VolumeRef>("[1, 0, 5]"),
            both::<VolumeRef>(r#"{"subsystem": 1, "volum": 0}"#),
            both::<BlockChoice>(r#""uniform""#),
            both::<BlockChoice>(r#""zipf""#),
            both::<BlockChoice>(r#"{"zipf": 1.1}"#),
            both::<BlockChoice>(r#"{"zipf": "1"}"#),
            both::<BlockChoice>(r#"{"zipf": 1, "hot": 2}"#),
            both::<BlockChoice>("{}"),
            both::<BlockChoice>(r#"{"uniform": null}"#),
            both::<BlockChoice>(r#"{"uniform": 3}"#),
            both::<BlockChoice>(r#"{"hot": {"fraction": 0.5, "weight": 0.5}}"#),
            both::<BlockChoice>(r#"{"hot": [0.5, 0.5]}"#),
            both::<BlockChoice>("7"),
            both::<serde::de::IgnoredAny>(r#"{"a": [1, {"b": 2}]}"#),
        ];
        for (from_stash, from_value) in cases {
            assert_eq!(from_stash, from_value);
        }
    }

    #[test]
    fn a_repeated_key_is_refused_at_any_depth() {
        let e = stash(r#"{"a": [{"b": 1, "b": 2}]}"#).unwrap_err();
        assert!(e.starts_with("duplicate field `b`"), "{e}");
        assert!(stash(r#"{"a": {"b": 1}, "b": {"a": 2}}"#).is_ok());
    }

    #[test]
    fn corrupt_bytes_are_an_error_not_a_panic() {
        for bytes in [
            vec![],
            vec![STR, 9, b'a'],
            vec![SEQ, UINT],
            vec![42],
            vec![FLOAT, 1],
        ] {
            let r = Stash(bytes).read(|d| Value::deserialize(d).map_err(|e: serde_json::Error| e));
            assert!(r.is_err());
        }
    }
}
