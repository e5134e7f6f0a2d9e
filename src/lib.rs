//! rcsim: a deterministic discrete-event simulator of asynchronous remote data copying with
//! checkpoint-based consistency across many storage subsystems (EP 0 674 263 B1) and its rivals.

pub mod bench;
pub mod check;
pub mod chrome;
pub mod decimal;
pub mod engine;
pub mod explore;
pub mod fuzz;
pub mod held;
pub mod model;
pub mod output;
pub mod overlap;
pub mod protocol;
pub mod quote;
pub mod report;
pub mod result;
pub mod scenario;
pub mod sim;
pub mod sparse;
pub mod ticker;
pub mod trace;
pub mod version;
