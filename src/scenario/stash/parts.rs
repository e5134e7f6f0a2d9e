//! Taking a stash apart and putting one together, for `--set` (see [`crate::scenario::doc`]):
//! an object's entries or a list's values out of a stash, runs of a list's values left alone,
//! and a builder that writes lists and objects around stashes and runs.

use super::{Item, Plain, Reader, Recorder, Stash, END, MAP, SEQ};

/// A list's or an object's contents, taken out of a stash by [`Stash::open`].
pub enum Opened {
    /// An object's keys and values, in the stash's order.
    Map(Vec<(String, Stash)>),
    /// A list's values.
    Seq(Run),
}

impl Stash {
    /// The contents of the list or object this stash holds, or the stash back if it holds
    /// neither.
    pub fn open(self) -> Result<Opened, Stash> {
        let mut reader = Reader::new(&self.0);
        let opened = match reader.next::<Plain>() {
            Ok(Item::Map) => map_entries(&mut reader).map(Opened::Map),
            Ok(Item::Seq) => {
                let count = reader.skip_rest::<Plain>().ok();
                let end = self.0.len().saturating_sub(1);
                count.map(|count| {
                    Opened::Seq(Run {
                        bytes: self.0.get(1..end).unwrap_or_default().to_vec(),
                        count,
                    })
                })
            }
            _ => None,
        };
        opened.ok_or(self)
    }
}

/// The entries of an object whose opening `reader` has read.
fn map_entries(reader: &mut Reader<'_>) -> Option<Vec<(String, Stash)>> {
    let mut entries = Vec::new();
    loop {
        match reader.next::<Plain>().ok()? {
            Item::End => return Some(entries),
            Item::Str(key) => {
                let start = reader.at;
                reader.skip_value::<Plain>().ok()?;
                let value = Stash(reader.bytes[start..reader.at].to_vec());
                entries.push((key.to_string(), value));
            }
            _ => return None,
        }
    }
}

/// Values of a list written one after another, for the stretches of a list that `--set` leaves
/// alone: a stash per value would cost an allocation each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Run {
    bytes: Vec<u8>,
    count: usize,
}

impl Run {
    /// How many values the run holds.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the run holds no value.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Splits the run around its value `at` (counting from 0): the values before, that value,
    /// the values after; `None` if the run has no value `at`.
    pub fn take(self, at: usize) -> Option<(Run, Stash, Run)> {
        if at >= self.count {
            return None;
        }
        let mut reader = Reader::new(&self.bytes);
        for _ in 0..at {
            reader.skip_value::<Plain>().ok()?;
        }
        let start = reader.at;
        reader.skip_value::<Plain>().ok()?;
        let end = reader.at;
        let before = Run {
            bytes: self.bytes[..start].to_vec(),
            count: at,
        };
        let after = Run {
            bytes: self.bytes[end..].to_vec(),
            count: self.count - at - 1,
        };
        Some((before, Stash(self.bytes[start..end].to_vec()), after))
    }

    /// The run's values, each in a stash of its own.
    pub fn split(self) -> Vec<Stash> {
        let mut reader = Reader::new(&self.bytes);
        let mut out = Vec::with_capacity(self.count);
        while reader.at < self.bytes.len() {
            let start = reader.at;
            if reader.skip_value::<Plain>().is_err() {
                reader.at = self.bytes.len();
            }
            out.push(Stash(self.bytes[start..reader.at].to_vec()));
        }
        out
    }
}

/// Builds a stash from parts: lists and objects opened and closed around stashes and runs.
#[derive(Default)]
pub struct Builder(Vec<u8>);

impl Builder {
    /// Opens a list (`map` false) or an object (`map` true).
    pub fn open(&mut self, map: bool) {
        self.0.push(if map { MAP } else { SEQ });
    }

    /// Writes an object's key; its value comes next.
    pub fn key(&mut self, key: &str) {
        Recorder::sorted(&mut self.0).string(key);
    }

    /// Writes one value.
    pub fn stash(&mut self, value: Stash) {
        self.0.extend_from_slice(&value.0);
    }

    /// Writes a run's values.
    pub fn run(&mut self, run: Run) {
        self.0.extend_from_slice(&run.bytes);
    }

    /// Closes the list or object opened last.
    pub fn close(&mut self) {
        self.0.push(END);
    }

    /// The stash built.
    pub fn finish(self) -> Stash {
        Stash(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::Value;

    #[test]
    fn sorted_stashes_and_runs_come_apart_and_back_together() {
        let sorted = Stash::sorted(&mut serde_json::Deserializer::from_str(
            r#"[{"b": [2, {"d": 1, "c": 0}], "a": 1}, 3, "x"]"#,
        ))
        .expect("stashes");
        let read = |s: &Stash| {
            s.read(|d| Value::deserialize(d).map_err(|e: serde_json::Error| e))
                .expect("reads")
                .to_string()
        };
        let want = r#"[{"a":1,"b":[2,{"c":0,"d":1}]},3,"x"]"#;
        assert_eq!(read(&sorted), want);
        assert_eq!(
            sorted,
            Stash::of(&serde_json::from_str(want).expect("json"))
        );
        let Ok(Opened::Seq(run)) = sorted.open() else {
            panic!("a list")
        };
        assert!(run.clone().take(3).is_none());
        let (before, one, after) = run.clone().take(1).expect("three values");
        assert_eq!((before.len(), read(&one), after.len()), (1, "3".into(), 1));
        let parts = run.split();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2].as_str(), Some("x"));
        let mut b = Builder::default();
        b.open(false);
        b.run(after);
        b.stash(one);
        b.run(before);
        b.close();
        assert_eq!(
            read(&b.finish()),
            r#"["x",3,{"a":1,"b":[2,{"c":0,"d":1}]}]"#
        );
    }
}
