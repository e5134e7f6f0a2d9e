//! Faults as the charts show them: each scenario fault's kind (its colour in every chart) and a
//! short label of what it hit, and the windows of time they covered.

use serde::Serialize;

use crate::scenario::types::{Fault, NetTarget, Site};

/// What kind of fault a [`FaultWindow`] shows; each kind has its own colour in every chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// A primary subsystem down.
    CrashPrimary,
    /// A secondary subsystem down.
    CrashSecondary,
    /// A pair link down (both directions).
    LinkOutage,
    /// A site LAN split.
    Partition,
    /// Extra latency on a link or LAN.
    LatencySpike,
    /// A pair link's bandwidth reduced.
    BandwidthDrop,
    /// A primary's clock jumped (an instant: start and end are equal).
    ClockStep,
    /// The primary site failing component by component, up to the disaster.
    RollingDisaster,
    /// The primary site gone, up to the takeover.
    Disaster,
}

impl FaultKind {
    /// The kind's name in legends and captions.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::CrashPrimary => "primary crash",
            FaultKind::CrashSecondary => "secondary crash",
            FaultKind::LinkOutage => "link outage",
            FaultKind::Partition => "LAN partition",
            FaultKind::LatencySpike => "latency spike",
            FaultKind::BandwidthDrop => "bandwidth drop",
            FaultKind::ClockStep => "clock step",
            FaultKind::RollingDisaster => "rolling disaster",
            FaultKind::Disaster => "disaster to takeover",
        }
    }
}

/// The kind of scenario fault `f` and the label naming what it hit.
pub fn describe_fault(f: &Fault) -> (FaultKind, String) {
    let lan = |s: Site| match s {
        Site::Primary => "P LAN",
        Site::Secondary => "S LAN",
    };
    match f {
        Fault::LinkOutage { pair, .. } => (FaultKind::LinkOutage, format!("link {pair}")),
        Fault::Partition { site, isolate, .. } => {
            let side = if *site == Site::Primary { 'P' } else { 'S' };
            let cut: Vec<String> = isolate.iter().map(|i| format!("{side}{i}")).collect();
            (
                FaultKind::Partition,
                format!("{} cuts {}", lan(*site), cut.join(",")),
            )
        }
        Fault::LatencySpike { target, pair, .. } => (
            FaultKind::LatencySpike,
            match target {
                NetTarget::Link => format!("link {}", pair.unwrap_or(1)),
                NetTarget::PrimaryLan => lan(Site::Primary).into(),
                NetTarget::SecondaryLan => lan(Site::Secondary).into(),
            },
        ),
        Fault::BandwidthDrop { pair, factor, .. } => (
            FaultKind::BandwidthDrop,
            format!("link {pair} to {}%", fmt_percent(*factor)),
        ),
        Fault::ClockStep {
            subsystem,
            by,
            backward,
            ..
        } => (
            FaultKind::ClockStep,
            format!(
                "P{subsystem} {}{}",
                if *backward { "-" } else { "+" },
                human_duration(by.as_ns())
            ),
        ),
        Fault::RollingDisaster { .. } => (FaultKind::RollingDisaster, String::new()),
        Fault::Disaster { .. } => (FaultKind::Disaster, String::new()),
        Fault::Crash {
            site, subsystem, ..
        } => match site {
            Site::Primary => (FaultKind::CrashPrimary, format!("P{subsystem}")),
            Site::Secondary => (FaultKind::CrashSecondary, format!("S{subsystem}")),
        },
    }
}

/// A stretch of time something was wrong, for shading charts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FaultWindow {
    /// Its kind.
    pub kind: FaultKind,
    /// What it hit: `"P3"`, `"link 2"`, `"P LAN cuts P1,P2"`, `"link 1 to 25%"`, ... (empty for
    /// the disasters, which hit the whole primary site).
    pub label: String,
    /// When it began.
    pub start_ns: u64,
    /// When it ended (the restart, the heal, the takeover, or the end of the run); equal to
    /// `start_ns` for an instant (a clock step).
    pub end_ns: u64,
}

fn fmt_percent(f: f64) -> String {
    let s = format!("{:.1}", f * 100.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Nanoseconds as a short duration (`5 ms`), as charts print it.
fn human_duration(ns: u64) -> String {
    super::units::human_ns(ns)
}
