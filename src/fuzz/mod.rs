//! Fuzz campaigns: one generated scenario per seed, checked, in parallel; a reproducer file for
//! every failing seed; replay and shrinking of reproducers.

pub mod campaign;
pub mod gen;
pub mod repro;
pub mod shrink;
