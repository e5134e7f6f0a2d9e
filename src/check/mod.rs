//! The consistency checker and the loss/lag metrics. They read only the hosts' history (when each
//! write was issued, stored on the primary volume and completed) and the blocks the secondary
//! volumes hold; never a protocol's own bookkeeping.

pub mod checker;
pub mod exposure;
pub mod label;
pub mod latency;
pub mod violation;

pub use checker::{BlockAddr, Checker, Geometry, History, ImageSummary, Rpo, WriteId};
pub use exposure::{AgeClock, ExposureClock, TimeWeighted, WithinTarget};
pub use label::{Label, Role};
pub use latency::LatencyStats;
pub use violation::Violation;
