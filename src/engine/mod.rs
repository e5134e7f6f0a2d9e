//! The discrete-event engine: simulated time, the event queue, the run loop and the per-component
//! random streams. It knows nothing of storage or protocols; the world it drives does.

pub mod hint;
pub mod queue;
pub mod rng;
pub mod run;

pub use queue::EventQueue;
pub use rng::{stream, ComponentId};
pub use run::{run, run_stoppable, Budget, Control, Handler, Outcome, Scheduler, StopReason};

/// Simulated time in integer nanoseconds since the start of the run.
pub type Time = u64;
