//! What a host's workload asks of the world in reply to one input: writes to issue and wake-ups.
//! Both the generated workloads and trace replay answer with it.

use crate::check::{BlockAddr, Label};

/// A write a workload wants issued now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    /// The block to write.
    pub addr: BlockAddr,
    /// Bytes.
    pub size: u32,
    /// Its label (scripted writes only).
    pub label: Option<String>,
    /// Its generated label (a DBMS transaction's role), kept compact and formatted on demand.
    pub role: Label,
    /// The workload's own tag, handed back on completion.
    pub tag: u32,
}

/// What a workload asks for in reply to one input.
#[derive(Default, Debug)]
pub struct HostOut {
    /// Writes to issue now, in order.
    pub issues: Vec<Issue>,
    /// Wake-ups: (absolute time, tag).
    pub wakes: Vec<(u64, u32)>,
}

impl HostOut {
    /// Asks for a write of `size` bytes to `addr` with generated label `role` (or
    /// [`Label::NONE`]), handed back with `tag`.
    pub(super) fn issue(&mut self, addr: BlockAddr, size: u32, role: Label, tag: u32) {
        self.issues.push(Issue {
            addr,
            size,
            label: None,
            role,
            tag,
        });
    }
}
