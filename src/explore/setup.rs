//! What the search reads from a scenario file: the topology, the scripted writes and their
//! dependencies, the checkpoint protocol's knobs, which networks may lose or duplicate, which
//! subsystems may crash, whether the disaster may strike, and the two times that bound the
//! search. Timing distributions are read by nobody: the search tries every order instead.

use std::collections::BTreeMap;

use crate::check::{BlockAddr, Geometry};
use crate::model::world::checkpoint_config;
use crate::protocol::checkpoint;
use crate::protocol::{NodeId, WriteMeta};
use crate::scenario::types::{Fault, ProtocolKind, Site, Workload};
use crate::scenario::Scenario;

/// Most pairs the search takes (its state grows with every pair's streams and timers).
pub const MAX_PAIRS: u16 = 4;
/// Most scripted writes (the hosts' history is kept as bit sets of this width).
pub const MAX_WRITES: usize = 16;
/// Most crash faults.
pub const MAX_CRASHES: usize = 4;

/// One scripted write as the search issues it.
#[derive(Clone, Debug)]
pub struct ScriptedWrite {
    /// Its label (`io1`).
    pub label: String,
    /// What the primary is handed; `id` is the write's position in the script, from 1.
    pub meta: WriteMeta,
    /// The writes (bit `i`: the script's `i`-th) that must complete before it is issued.
    pub after: u32,
}

/// Whether one network may lose or duplicate a message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lossy {
    /// A message may be lost.
    pub loss: bool,
    /// A message may be delivered twice.
    pub duplicate: bool,
}

/// One crash the scenario allows: which subsystem, and whether it comes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Crash {
    /// The subsystem that crashes.
    pub node: NodeId,
    /// True when the scenario gives it a `down_for` (it restarts); false: down for good.
    pub restarts: bool,
}

/// Everything the search needs from a scenario.
#[derive(Clone, Debug)]
pub struct Setup {
    /// The scenario's name.
    pub name: String,
    /// Pairs in the copy set group.
    pub pairs: u16,
    /// The storage's shape, for the checker.
    pub geometry: Geometry,
    /// The checkpoint roles' knobs (mutant included).
    pub cfg: checkpoint::Config,
    /// The scripted writes, in script order.
    pub writes: Vec<ScriptedWrite>,
    /// The primary site's LAN.
    pub primary_lan: Lossy,
    /// The secondary site's LAN.
    pub secondary_lan: Lossy,
    /// Each pair's link (index = pair).
    pub links: Vec<Lossy>,
    /// True for each pair link with more than one path (its messages may overtake one another).
    pub link_reorders: Vec<bool>,
    /// The crashes the scenario allows.
    pub crashes: Vec<Crash>,
    /// True when the scenario has a disaster (it may strike at any step before `duration`).
    pub disaster: bool,
    /// Faults, host writes and periodic timers happen only before this local time (the
    /// scenario's `duration`).
    pub duration: u64,
    /// Retransmissions go on until this time (`duration` plus `drain`), then time stops.
    pub end: u64,
    /// Messages the whole search may lose along one path of states.
    pub max_losses: u8,
    /// Messages the whole search may duplicate along one path of states.
    pub max_duplicates: u8,
    /// How far a primary's clock may be off the master's, as the protocol assumes it at the
    /// start (`2 x clocks.sync_error + clocks.max_step`, what it gives its clock bound): the
    /// search tries each primary but the master at -E, 0 and +E. 0: one shared clock.
    pub clock_error: u64,
    /// Sets of pairs (0-based, each set of two or more, in order) that nothing in the scenario
    /// tells apart, so the search takes a state and its renamings among them as one (see
    /// [`Setup::interchangeable_pairs`]). Empty: no symmetry reduction.
    pub interchangeable: Vec<Vec<u16>>,
}

impl Setup {
    /// Reads `sc` for the search, or says (with the JSON path) what the search cannot model.
    pub fn from_scenario(
        sc: &Scenario,
        max_losses: u8,
        max_duplicates: u8,
    ) -> Result<Setup, String> {
        if sc.protocol.kind != ProtocolKind::Checkpoint {
            return Err(format!(
                "protocol.kind: explore runs the checkpoint protocol only, got `{}`",
                sc.protocol.kind.name()
            ));
        }
        let pairs = sc.topology.pairs;
        if pairs > MAX_PAIRS {
            return Err(format!(
                "topology.pairs: explore takes at most {MAX_PAIRS} pairs, got {pairs}"
            ));
        }
        let writes = script(sc)?;
        let mut crashes = Vec::new();
        let mut disaster = false;
        for (i, f) in sc.faults.iter().enumerate() {
            match f {
                Fault::Disaster { .. } => disaster = true,
                Fault::Crash {
                    site,
                    subsystem,
                    down_for,
                    ..
                } => {
                    let pair = subsystem - 1;
                    crashes.push(Crash {
                        node: match site {
                            Site::Primary => NodeId::Primary(pair),
                            Site::Secondary => NodeId::Secondary(pair),
                        },
                        restarts: down_for.is_some(),
                    });
                }
                _ => {
                    let kind = serde_json::to_value(f)
                        .ok()
                        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(String::from))
                        .unwrap_or_default();
                    return Err(format!(
                        "faults[{i}]: explore models `disaster` and `crash` faults only, got `{kind}`"
                    ));
                }
            }
        }
        if crashes.len() > MAX_CRASHES {
            return Err(format!(
                "faults: explore takes at most {MAX_CRASHES} crashes, got {}",
                crashes.len()
            ));
        }
        if sc.subsystems.buffer_capacity.is_some() {
            return Err(
                "subsystems.buffer_capacity: explore models unbounded copy buffers only".into(),
            );
        }
        let lossy = |loss: f64, dup: f64| Lossy {
            loss: loss > 0.0,
            duplicate: dup > 0.0,
        };
        let links: Vec<_> = (0..pairs).map(|i| sc.links.link(i + 1)).collect();
        let cfg = config(sc)?;
        let clock_error = cfg
            .initial_clock_error
            .checked_add(cfg.max_clock_step)
            .filter(|&e| i64::try_from(e).is_ok())
            .ok_or("clocks: sync_error and max_step add up past what a clock can hold")?;
        let duration = sc.duration.as_ns();
        let end = duration
            .checked_add(sc.drain.as_ns())
            .ok_or("drain: duration plus drain overflows")?;
        let mut setup = Setup {
            name: sc.name.clone(),
            pairs,
            geometry: Geometry {
                pairs,
                volumes: sc.topology.volumes_per_subsystem,
                blocks: sc.topology.blocks_per_volume,
            },
            cfg,
            writes,
            primary_lan: lossy(sc.primary_lan.loss.get(), sc.primary_lan.duplicate.get()),
            secondary_lan: lossy(
                sc.secondary_lan.loss.get(),
                sc.secondary_lan.duplicate.get(),
            ),
            link_reorders: links.iter().map(|l| l.paths > 1).collect(),
            links: links
                .iter()
                .map(|l| lossy(l.loss.get(), l.duplicate.get()))
                .collect(),
            crashes,
            disaster,
            duration,
            end,
            max_losses,
            max_duplicates,
            clock_error,
            interchangeable: Vec::new(),
        };
        setup.interchangeable = setup.interchangeable_pairs();
        Ok(setup)
    }

    /// The pairs nothing tells apart, grouped: neither is a master, no scripted write and no
    /// crash names either, their links may lose, duplicate and reorder alike, and no master can
    /// fail over before the faults end (`failover_timeout` past `duration` plus the clocks'
    /// lead): a new master is the next pair in order, which would tell them apart.
    pub fn interchangeable_pairs(&self) -> Vec<Vec<u16>> {
        let lead = self.clock_lead().saturating_add(self.clock_error);
        if self.cfg.failover_timeout <= self.duration.saturating_add(lead) {
            return Vec::new();
        }
        let mut by_link = BTreeMap::<(bool, bool, bool), Vec<u16>>::new();
        for p in 0..self.pairs {
            let named = p == self.cfg.primary_master
                || p == self.cfg.secondary_master
                || self.writes.iter().any(|w| w.meta.addr.subsystem == p)
                || self.crashes.iter().any(|c| c.node.pair() == p);
            if named {
                continue;
            }
            let link = self.links[usize::from(p)];
            let key = (
                link.loss,
                link.duplicate,
                self.link_reorders[usize::from(p)],
            );
            by_link.entry(key).or_default().push(p);
        }
        by_link.into_values().filter(|c| c.len() > 1).collect()
    }

    /// Nodes in the search: primaries 0..n, then secondaries 0..n.
    pub fn node_count(&self) -> usize {
        2 * usize::from(self.pairs)
    }

    /// How far every node's clock reads ahead of the search's time, before its own offset:
    /// twice `clock_error`, so no clock reads below `clock_error` and the earliest reference
    /// time a clock's bound allows is never cut off at zero.
    pub fn clock_lead(&self) -> u64 {
        self.clock_error.saturating_mul(2)
    }

    /// The dense index of `id` among the nodes.
    pub fn index(&self, id: NodeId) -> usize {
        match id {
            NodeId::Primary(i) => usize::from(i),
            NodeId::Secondary(i) => usize::from(self.pairs) + usize::from(i),
        }
    }

    /// The node at dense index `i`.
    pub fn node(&self, i: usize) -> NodeId {
        let n = usize::from(self.pairs);
        if i < n {
            NodeId::Primary(i as u16)
        } else {
            NodeId::Secondary((i - n) as u16)
        }
    }

    /// What the network between `from` and `to` may do to a message.
    pub fn lossy(&self, from: NodeId, to: NodeId) -> Lossy {
        match (from, to) {
            (NodeId::Primary(_), NodeId::Primary(_)) => self.primary_lan,
            (NodeId::Secondary(_), NodeId::Secondary(_)) => self.secondary_lan,
            _ => self.links[usize::from(from.pair())],
        }
    }

    /// True when messages from `from` to `to` arrive in the order sent (one path of a pair
    /// link); a LAN, or a link with several paths, may deliver them in any order.
    pub fn in_order(&self, from: NodeId, to: NodeId) -> bool {
        from.pair() == to.pair() && !self.link_reorders[usize::from(from.pair())]
    }

    /// The label of the write with id `id` (from 1).
    pub fn label(&self, id: u64) -> &str {
        usize::try_from(id)
            .ok()
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| self.writes.get(i))
            .map_or("?", |w| w.label.as_str())
    }
}

/// The scripted writes of `sc`: ids from 1 in script order, dependencies as bit sets.
fn script(sc: &Scenario) -> Result<Vec<ScriptedWrite>, String> {
    let mut out: Vec<ScriptedWrite> = Vec::new();
    for (wi, w) in sc.workloads.iter().enumerate() {
        let Workload::Script(spec) = w else {
            return Err(format!(
                "workloads[{wi}]: explore takes `script` workloads only (a few labelled writes)"
            ));
        };
        for (i, sw) in spec.writes.iter().enumerate() {
            if out.len() == MAX_WRITES {
                return Err(format!(
                    "workloads[{wi}].writes: explore takes at most {MAX_WRITES} writes"
                ));
            }
            let mut after = 0u32;
            for a in &sw.after {
                let k = out.iter().position(|o| &o.label == a).ok_or_else(|| {
                    format!(
                        "workloads[{wi}].writes[{i}].after: `{a}` is not an earlier write's label"
                    )
                })?;
                after |= 1 << k;
            }
            let size = u32::try_from(sw.size.0).map_err(|_| {
                format!("workloads[{wi}].writes[{i}].size: too large for one write")
            })?;
            out.push(ScriptedWrite {
                label: sw.label.clone(),
                meta: WriteMeta {
                    id: out.len() as u64 + 1,
                    addr: BlockAddr {
                        subsystem: sw.subsystem - 1,
                        volume: sw.volume,
                        block: sw.block,
                    },
                    size,
                    stamp: 0,
                    arrived: 0,
                },
                after,
            });
        }
    }
    if out.is_empty() {
        return Err("workloads: explore needs a script workload with at least one write".into());
    }
    Ok(out)
}

/// The checkpoint roles' configuration, built by the simulator's own mapping (so each primary's
/// clock bound starts where the simulator's does), with clocks that never drift; only the
/// checkpoint protocol's mutants apply.
fn config(sc: &Scenario) -> Result<checkpoint::Config, String> {
    if let Some(m) = sc.protocol.mutant {
        if m.protocol() != "checkpoint" {
            return Err(format!(
                "protocol.mutant: `{m}` is a bug of `{}`; explore runs `checkpoint` only",
                m.protocol()
            ));
        }
    }
    Ok(checkpoint::Config {
        // Clocks are offset (see `Setup::clock_error`) but run at the reference's rate.
        drift_bound_ppb: 0,
        ..checkpoint_config(sc)
    })
}
