//! A scenario's JSON as `--set` edits it: kept whole in a compact [`Stash`] (about the text's
//! size), and opened into nodes only along the paths that overrides walk, so a 60 MB file of
//! small values is not held as a `serde_json::Value` (tens of bytes per value) to change one field.
//!
//! Every object's keys are kept sorted, as a `serde_json::Value` holds them, so that the scenario
//! read back from the edited document meets its fields (and so its first error) in the same order
//! the `Value` it replaces did.

use std::collections::BTreeMap;

use super::stash::{Builder, Opened, Run, Stash};

/// One JSON value of the document being edited.
#[derive(Debug)]
pub enum Node {
    /// An object opened by an override, its keys sorted.
    Object(BTreeMap<String, Node>),
    /// A list opened by an override: values it reached stand alone, the others stay in runs.
    Array(Vec<Part>),
    /// A value no override has opened (or one that is neither a list nor an object).
    Kept(Stash),
}

/// A stretch of an opened list.
#[derive(Debug)]
pub enum Part {
    /// One value, which an override reached.
    One(Node),
    /// Values left as they were read.
    Many(Run),
}

impl Part {
    fn len(&self) -> usize {
        match self {
            Part::One(_) => 1,
            Part::Many(run) => run.len(),
        }
    }
}

/// Reads `text` (valid JSON) as a document to edit, refusing a key repeated in any object; an
/// error carries its path.
pub fn read(text: &str) -> Result<Node, serde_path_to_error::Error<serde_json::Error>> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map(|Sorted(stash)| Node::Kept(stash))
}

/// A stash recorded with its objects' keys sorted.
struct Sorted(Stash);

impl<'de> serde::Deserialize<'de> for Sorted {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Stash::sorted(d).map(Sorted)
    }
}

impl Node {
    /// A node holding `value`.
    pub fn of(value: &serde_json::Value) -> Self {
        Node::Kept(Stash::of(value))
    }

    /// Opens this node if it is a list or an object kept whole, so an override can walk into it.
    pub fn open(&mut self) {
        let Node::Kept(stash) = self else {
            return;
        };
        *self = match std::mem::take(stash).open() {
            Ok(Opened::Map(entries)) => Node::Object(
                entries
                    .into_iter()
                    .map(|(key, value)| (key, Node::Kept(value)))
                    .collect(),
            ),
            Ok(Opened::Seq(run)) => Node::Array(vec![Part::Many(run)]),
            Err(scalar) => Node::Kept(scalar),
        };
    }

    /// The string this node holds, if it holds one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Kept(stash) => stash.as_str(),
            _ => None,
        }
    }

    /// The whole document, edits and all, as one stash to deserialize.
    pub fn into_stash(self) -> Stash {
        let mut out = Builder::default();
        self.write(&mut out);
        out.finish()
    }

    fn write(self, out: &mut Builder) {
        match self {
            Node::Kept(stash) => out.stash(stash),
            Node::Object(map) => {
                out.open(true);
                for (key, value) in map {
                    out.key(&key);
                    value.write(out);
                }
                out.close();
            }
            Node::Array(parts) => {
                out.open(false);
                for part in parts {
                    match part {
                        Part::One(node) => node.write(out),
                        Part::Many(run) => out.run(run),
                    }
                }
                out.close();
            }
        }
    }
}

/// The number of values in an opened list.
pub fn len(parts: &[Part]) -> usize {
    parts.iter().map(Part::len).sum()
}

/// The value at `index` of an opened list, standing alone so it can be changed; `None` past
/// the end.
pub fn item(parts: &mut Vec<Part>, index: usize) -> Option<&mut Node> {
    let mut start = 0;
    let i = parts.iter().position(|part| {
        let inside = index < start + part.len();
        if !inside {
            start += part.len();
        }
        inside
    })?;
    let i = if let Part::Many(run) = &mut parts[i] {
        let (before, one, after) = std::mem::take(run).take(index - start)?;
        let at = i + usize::from(!before.is_empty());
        let alone = [
            Part::Many(before),
            Part::One(Node::Kept(one)),
            Part::Many(after),
        ];
        let kept = alone
            .into_iter()
            .filter(|part| !matches!(part, Part::Many(run) if run.is_empty()));
        parts.splice(i..=i, kept);
        at
    } else {
        i
    };
    match &mut parts[i] {
        Part::One(node) => Some(node),
        Part::Many(_) => None,
    }
}

/// Every value of an opened list standing alone (for a list as short as `faults`).
pub fn items(parts: Vec<Part>) -> Vec<Node> {
    let mut out = Vec::new();
    for part in parts {
        match part {
            Part::One(node) => out.push(node),
            Part::Many(run) => out.extend(run.split().into_iter().map(Node::Kept)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::{json, Value};

    fn value(node: Node) -> Value {
        node.into_stash()
            .read(|d| Value::deserialize(d).map_err(|e: serde_json::Error| e))
            .expect("reads back")
    }

    #[test]
    fn a_document_reads_back_whole_after_opening_anything() {
        let text = r#"{"b": [1, {"z": 2, "y": [3, 4]}, "x"], "a": {"k": null}}"#;
        let want: Value = serde_json::from_str(text).expect("json");
        assert_eq!(value(read(text).expect("reads")), want);
        let mut root = read(text).expect("reads");
        root.open();
        let Node::Object(map) = &mut root else {
            panic!("an object")
        };
        let b = map.get_mut("b").expect("b");
        b.open();
        let Node::Array(parts) = b else {
            panic!("a list")
        };
        assert_eq!(len(parts), 3);
        item(parts, 1).expect("item 1").open();
        assert!(item(parts, 3).is_none());
        assert_eq!(
            item(parts, 2).and_then(|n| n.as_str().map(str::to_string)),
            Some("x".into())
        );
        assert_eq!(value(root), want);
    }

    #[test]
    fn keys_come_back_sorted_and_repeats_are_refused() {
        let back = value(read(r#"{"b": {"d": 1, "c": 2}, "a": 3}"#).expect("reads"));
        assert_eq!(
            back.to_string(),
            json!({"a": 3, "b": {"c": 2, "d": 1}}).to_string()
        );
        let e = read(r#"{"a": [{"b": 1, "b": 2}]}"#).unwrap_err();
        assert_eq!(e.path().to_string(), "a[0]");
        assert!(e.inner().to_string().starts_with("duplicate field `b`"));
    }
}
