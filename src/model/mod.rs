//! The simulated hardware: subsystems with service stages, LANs and pair links, clocks, hosts and
//! their workloads, faults, and the world that wires them to the protocol nodes. The model decides
//! when a message arrives, if at all; it never decides what a protocol does.

pub mod arrivals;
pub mod clock;
pub mod hostout;
pub mod net;
pub mod readable;
pub mod replay;
pub mod stage;
pub mod workload;
pub mod world;
pub mod zipf;
