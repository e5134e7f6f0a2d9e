//! The ping-pong model (the shape of simcore's ping-pong example): processes that each know 10
//! random peers; every process starts by pinging each of its peers; a ping is answered with a
//! pong, and a pong makes its receiver ping one of its peers at random. Every message takes a
//! random delay. About 10 messages per process are always in flight.

use rand::Rng as _;
use serde::Serialize;

use super::hold::timed;
use super::{median, Config};
use crate::engine::{rng::Rng, stream, ComponentId, Control, Handler, Scheduler};

/// Processes in the model.
pub const PROCESSES: u32 = 1000;
/// Peers of each process.
pub const PEERS: usize = 10;
/// Message delays are uniform in [MIN_DELAY, MAX_DELAY) ns.
pub const MIN_DELAY: u64 = 1_000;
/// See [`MIN_DELAY`].
pub const MAX_DELAY: u64 = 1_000_000;

/// The ping-pong figure.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct PingPongFigure {
    /// Processes.
    pub processes: u32,
    /// Peers of each.
    pub peers: usize,
    /// Events (message deliveries) timed in each repetition.
    pub events: u64,
    /// Median events per wall-clock second.
    pub events_per_s: f64,
    /// The same as ns per event.
    pub ns_per_event: f64,
    /// Median events per on-CPU second (0 where unknown).
    pub cpu_events_per_s: f64,
}

/// A message between two processes.
#[derive(Clone, Copy, Debug)]
pub struct Message {
    from: u32,
    to: u32,
    ping: bool,
}

/// The processes: their peers and their own random streams.
pub struct PingPong {
    peers: Vec<[u32; PEERS]>,
    rngs: Vec<Rng>,
}

impl PingPong {
    /// `processes` processes under `seed`, each with its first pings scheduled.
    pub fn new(processes: u32, seed: u64) -> (Self, Scheduler<Message>) {
        let mut rngs: Vec<Rng> = (0..processes)
            .map(|p| stream(seed, ComponentId::Other(p)))
            .collect();
        let peers: Vec<[u32; PEERS]> = rngs
            .iter_mut()
            .enumerate()
            .map(|(me, rng)| {
                let mut ps = [0u32; PEERS];
                for p in ps.iter_mut() {
                    *p = loop {
                        let q = rng.random_range(0..processes);
                        if q as usize != me || processes == 1 {
                            break q;
                        }
                    };
                }
                ps
            })
            .collect();
        let mut sched = Scheduler::new();
        for (me, ps) in peers.iter().enumerate() {
            for &to in ps {
                let d = rngs[me].random_range(MIN_DELAY..MAX_DELAY);
                sched.after(
                    d,
                    Message {
                        from: me as u32,
                        to,
                        ping: true,
                    },
                );
            }
        }
        (PingPong { peers, rngs }, sched)
    }
}

impl Handler for PingPong {
    type Event = Message;

    #[inline]
    fn handle(&mut self, m: Message, sched: &mut Scheduler<Message>) -> Control {
        let me = m.to as usize;
        let rng = &mut self.rngs[me];
        let reply = if m.ping {
            Message {
                from: m.to,
                to: m.from,
                ping: false,
            }
        } else {
            Message {
                from: m.to,
                to: self.peers[me][rng.random_range(0..PEERS)],
                ping: true,
            }
        };
        sched.after(rng.random_range(MIN_DELAY..MAX_DELAY), reply);
        Control::Continue
    }
}

/// The median events/s of `reps` runs.
pub fn measure(cfg: Config, reps: usize) -> PingPongFigure {
    let events = if cfg.quick { 200_000 } else { 5_000_000 };
    let ts: Vec<_> = (0..reps)
        .map(|r| {
            let (mut w, mut s) = PingPong::new(PROCESSES, r as u64 + 1);
            timed(&mut w, &mut s, 10 * u64::from(PROCESSES));
            timed(&mut w, &mut s, events)
        })
        .collect();
    let wall = median(&ts.iter().map(|t| t.wall).collect::<Vec<_>>());
    let cpu = median(&ts.iter().map(|t| t.cpu).collect::<Vec<_>>());
    PingPongFigure {
        processes: PROCESSES,
        peers: PEERS,
        events,
        events_per_s: events as f64 / wall,
        ns_per_event: wall * 1e9 / events as f64,
        cpu_events_per_s: if cpu > 0.0 { events as f64 / cpu } else { 0.0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_in_flight_stay_constant() {
        let (mut w, mut s) = PingPong::new(50, 3);
        assert_eq!(s.pending(), 50 * PEERS);
        timed(&mut w, &mut s, 5_000);
        assert_eq!(s.pending(), 50 * PEERS);
    }
}
