//! Fuzz campaigns: one generated scenario per seed, checked, in parallel; a reproducer file for
//! every failing seed; replay and shrinking of reproducers.

pub mod campaign;
pub mod effect;
pub mod gen;
pub mod identity;
pub mod line;
pub mod outdir;
pub mod repro;
pub mod shrink;
pub mod stream;
pub mod swarm;

/// The built-in base of the default campaign (`scenarios/fuzz-base.json`), used when `rcsim fuzz`
/// is given no `--scenario`, and by `rcsim bench`.
pub const DEFAULT_BASE: &str = include_str!("../../scenarios/fuzz-base.json");
