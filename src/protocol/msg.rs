//! Messages on the links and LANs. Reliable streams carry [`Body`] values in numbered segments;
//! the names are the patent's, so a trace reads like its worked example.

use super::WriteMeta;
use crate::check::WriteId;

/// What travels between two nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    /// Segment `seq` of the sender's reliable ordered stream to the receiver.
    Seg {
        /// Position in the stream, from 0.
        seq: u64,
        /// The payload.
        body: Body,
    },
    /// Cumulative acknowledgement: every segment below `next` has arrived.
    Ack {
        /// The next sequence number the receiver expects.
        next: u64,
    },
}

/// The payload of a stream segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// Update data for one write, with its time stamp.
    Write(WriteMeta),
    /// `sync`: the secondary has applied this write.
    WriteAck(WriteId),
}

/// Header bytes of every message on the wire.
pub const HEADER_BYTES: u32 = 64;

impl Msg {
    /// The name a trace shows for this message, as the patent names it.
    pub fn name(&self) -> &'static str {
        match self {
            Msg::Seg { body, .. } => body.name(),
            Msg::Ack { .. } => "ack",
        }
    }

    /// Bytes on the wire, which the link's bandwidth turns into transfer time.
    pub fn wire_bytes(&self) -> u32 {
        match self {
            Msg::Seg {
                body: Body::Write(w),
                ..
            } => HEADER_BYTES + w.size,
            _ => HEADER_BYTES,
        }
    }
}

impl Body {
    /// The name a trace shows.
    pub fn name(&self) -> &'static str {
        match self {
            Body::Write(_) => "write",
            Body::WriteAck(_) => "write-ack",
        }
    }
}
