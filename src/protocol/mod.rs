//! Sans-IO protocol state machines, one per role. Each node is given an input (a host write that
//! completed on its volume, a message, a timer, an apply that finished) and the local clock, and
//! writes its reactions into an [`Outputs`] buffer; it never touches the queue, the RNG or the
//! network, so every protocol can be driven by hand in a unit test: `testnet` is the one
//! hand-driven network every protocol's role tests share.

pub mod applier;
pub mod central;
pub mod checkpoint;
pub mod cycle;
pub mod independent;
pub mod msg;
pub mod node;
pub mod pairset;
pub mod refill;
pub mod rename;
pub mod retained;
pub mod shipping;
pub mod stream;
pub mod sync;
#[cfg(test)]
pub(crate) mod testnet;
pub mod write;

pub use msg::{Body, Checkpoint, Msg, Status};
pub use node::{Input, Node, NodeId, Note, Output, Outputs, StreamView, Timer};
pub use rename::Renaming;
pub use write::WriteMeta;
