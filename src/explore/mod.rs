//! `rcsim explore`: exhaustive breadth-first search over the same checkpoint protocol nodes the
//! simulator runs. Where the simulator draws one timing per seed, the search tries every order:
//! each primary's clock may start off the master's by either end of the protocol's error bound
//! or not at all; every message in flight may arrive next (a pair link keeps its order per path, a LAN does
//! not), or be lost or duplicated where the scenario allows it; the earliest timer may fire; the
//! host may issue its next write; an apply may land; a subsystem may crash or restart; the
//! disaster may strike. States are hashed, so the first violation found is a shortest one.
//!
//! [`setup`] reads the scenario, [`state`] holds one state, [`step`] lists the choices,
//! [`exec`] takes one, [`judge`] holds the properties, [`symmetry`] keys states by their
//! interchangeable pairs, [`search`](mod@search) is the breadth-first search and
//! [`replay`] writes and re-executes counterexamples.

pub mod exec;
pub mod judge;
pub mod replay;
pub mod search;
pub mod setup;
pub mod state;
pub mod step;
pub mod symmetry;

pub use replay::{narrate, CounterexampleFile};
pub use search::{search, Counterexample, Options, Outcome};
pub use setup::Setup;
pub use step::Step;
