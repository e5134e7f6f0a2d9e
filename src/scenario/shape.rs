//! How a synthetic workload's load is shaped, in time and in space: a rate shape (bursts that
//! switch on and off, or a schedule of rates) for `random` and `dbms`, and a hot spot for the
//! blocks `random` writes.

use schemars::JsonSchema;
use serde::de::value::MapAccessDeserializer;
use serde::de::MapAccess;
use serde::{Deserialize, Serialize};

use super::tagged::{self, Tagged};

use super::units::{Duration, OpsRate};

/// How a workload's arrival rate varies over time.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Shape {
    /// Bursts: arrivals at the workload's `rate` during each `on` period and none during each
    /// `off` period, repeating from time zero, which starts an `on` period.
    OnOff(OnOff),
    /// A rate schedule: from each step's `at` on, its rate replaces the one before; the
    /// workload's own `rate` holds until the first step.
    Schedule(Schedule),
}

// Read by `tagged`, the fields straight into the kind's type (serde's `tag` would buffer them).
impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        tagged::deserialize(d)
    }
}

impl Tagged for Shape {
    const KINDS: &'static [&'static str] = &["on_off", "schedule"];
    fn build<'de, M: MapAccess<'de>>(kind: usize, fields: M) -> Result<Self, M::Error> {
        let d = MapAccessDeserializer::new(fields);
        match kind {
            0 => OnOff::deserialize(d).map(Shape::OnOff),
            _ => Schedule::deserialize(d).map(Shape::Schedule),
        }
    }
}

/// Bursts that switch on and off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OnOff {
    /// How long each burst lasts.
    pub on: Duration,
    /// How long each pause between bursts lasts.
    pub off: Duration,
}

/// A schedule of rates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// The steps, in increasing order of `at`.
    pub steps: Vec<RateStep>,
}

/// One step of a rate schedule.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateStep {
    /// When the rate changes.
    pub at: Duration,
    /// The rate from then on.
    pub rate: OpsRate,
}

/// A hot spot: `weight` of the writes go to the first `fraction` of a volume's blocks, the rest
/// uniformly to the other blocks.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HotSpot {
    /// The share of the blocks that is hot, in (0, 1]; at least one block.
    pub fraction: f64,
    /// The share of the writes that go to the hot blocks, in [0, 1].
    pub weight: f64,
}

impl HotSpot {
    /// How many of `blocks` blocks are hot: the fraction rounded, at least 1, at most all.
    pub fn hot_blocks(&self, blocks: u32) -> u32 {
        let n = libm::round(self.fraction * f64::from(blocks));
        // Clamped into 1..=blocks, so the conversion is exact.
        (n.clamp(1.0, f64::from(blocks.max(1)))) as u32
    }
}

/// Problems of a rate shape: pairs of a path relative to the shape and what was expected.
pub fn problems(shape: &Shape) -> Vec<(String, String)> {
    let mut p = Vec::new();
    match shape {
        Shape::OnOff(o) => {
            if o.on.as_ns() == 0 {
                p.push((
                    "on".into(),
                    "expected a burst longer than zero, e.g. \"20ms\"".into(),
                ));
            }
        }
        Shape::Schedule(s) => {
            if s.steps.is_empty() {
                p.push((
                    "steps".into(),
                    "expected at least one step, e.g. {\"at\": \"50ms\", \"rate\": \"2000/s\"}"
                        .into(),
                ));
            }
            for (j, w) in s.steps.windows(2).enumerate() {
                if w[1].at <= w[0].at {
                    p.push((
                        format!("steps[{}].at", j + 1),
                        format!(
                            "{} is not after the step before ({}): expected steps in increasing \
                             order of `at`",
                            w[1].at, w[0].at
                        ),
                    ));
                }
            }
        }
    }
    p
}

/// Problems of a hot spot: pairs of a path relative to it and what was expected.
pub fn hot_problems(h: &HotSpot) -> Vec<(String, String)> {
    let mut p = Vec::new();
    if !(h.fraction.is_finite() && h.fraction > 0.0 && h.fraction <= 1.0) {
        p.push((
            "fraction".into(),
            format!(
                "expected a share of the blocks greater than 0 and at most 1, got {}",
                crate::quote::number(h.fraction)
            ),
        ));
    }
    if !(h.weight.is_finite() && (0.0..=1.0).contains(&h.weight)) {
        p.push((
            "weight".into(),
            format!(
                "expected a share of the writes between 0 and 1, got {}",
                crate::quote::number(h.weight)
            ),
        ));
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(json: &str) -> Result<Shape, String> {
        serde_path_to_error::deserialize::<_, Shape>(&mut serde_json::Deserializer::from_str(json))
            .map_err(|e| {
                let (path, msg) =
                    super::super::tracked::located(&e.path().to_string(), &e.inner().to_string());
                format!("{path}: {msg}")
            })
    }

    #[test]
    fn both_shapes_parse() {
        assert_eq!(
            shape(r#"{"kind": "on_off", "on": "20ms", "off": "80ms"}"#),
            Ok(Shape::OnOff(OnOff {
                on: Duration::from_ms(20),
                off: Duration::from_ms(80)
            }))
        );
        let s = shape(
            r#"{"kind": "schedule", "steps": [{"at": "0ms", "rate": "100/s"},
                                               {"at": "50ms", "rate": "2000/s"}]}"#,
        )
        .expect("valid");
        let Shape::Schedule(s) = s else {
            panic!("a schedule")
        };
        assert_eq!(s.steps[1].at, Duration::from_ms(50));
        assert_eq!(s.steps[1].rate.per_sec(), 2000.0);
    }

    #[test]
    fn errors_keep_their_path() {
        let e = shape(r#"{"kind": "on_off", "on": "20ms", "of": "80ms"}"#).unwrap_err();
        assert!(e.starts_with("of: unknown field `of`"), "{e}");
        let e = shape(r#"{"kind": "schedule", "steps": [{"at": "1 fortnight", "rate": "1/s"}]}"#)
            .unwrap_err();
        assert!(e.starts_with("steps[0].at: invalid duration"), "{e}");
        let e = shape(r#"{"kind": "sawtooth"}"#).unwrap_err();
        assert!(e.contains("on_off, schedule"), "{e}");
    }

    #[test]
    fn problems_are_named() {
        let s = Shape::Schedule(Schedule {
            steps: vec![
                RateStep {
                    at: Duration::from_ms(5),
                    rate: OpsRate::default(),
                },
                RateStep {
                    at: Duration::from_ms(5),
                    rate: OpsRate::default(),
                },
            ],
        });
        assert_eq!(problems(&s)[0].0, "steps[1].at");
        let o = Shape::OnOff(OnOff {
            on: Duration::ZERO,
            off: Duration::ZERO,
        });
        assert_eq!(problems(&o)[0].0, "on");
        let h = HotSpot {
            fraction: 0.0,
            weight: 1.5,
        };
        let paths: Vec<String> = hot_problems(&h).into_iter().map(|(p, _)| p).collect();
        assert_eq!(paths, ["fraction", "weight"]);
    }

    #[test]
    fn hot_blocks_round_and_stay_in_range() {
        let h = |fraction| HotSpot {
            fraction,
            weight: 0.9,
        };
        assert_eq!(h(0.1).hot_blocks(1000), 100);
        assert_eq!(h(0.0001).hot_blocks(1000), 1);
        assert_eq!(h(1.0).hot_blocks(7), 7);
    }
}
