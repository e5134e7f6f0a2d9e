//! LANs and pair links: per-message latency drawn from a distribution, loss, duplication, and for
//! links a bandwidth per path and several paths. Each path is FIFO; messages on different paths
//! may overtake one another.

use rand::Rng as _;

use crate::engine::rng::Rng;
use crate::scenario::dist::Dist;
use crate::scenario::units::Duration;

/// What became of one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// It never arrives.
    Lost,
    /// It arrives once, at this time.
    Once(u64),
    /// It arrives twice, at these times.
    Twice(u64, u64),
}

/// One path's state: when it is free to send and when its last message arrives.
#[derive(Clone, Copy, Debug, Default)]
struct Path {
    free_at: u64,
    last_arrival: u64,
}

/// Fault `fault` starts (`Some`: its value joins `faults`, after those in force) or ends (`None`:
/// its entry leaves).
fn in_force<T>(faults: &mut Vec<(u16, T)>, fault: u16, value: Option<T>) {
    match value {
        Some(v) => faults.push((fault, v)),
        None => faults.retain(|(f, _)| *f != fault),
    }
}

/// A one-way channel: a LAN (no bandwidth limit, unordered) or one direction of a pair link.
#[derive(Debug)]
pub struct Channel {
    latency: Dist<Duration>,
    loss: f64,
    duplicate: f64,
    /// Bytes per second of each path; `None` is unlimited.
    bandwidth: Option<u64>,
    /// FIFO paths (links); empty for a LAN, which does not keep order.
    paths: Vec<Path>,
    rng: Rng,
    /// Outages in force: while any is, everything sent is lost. A count, so that of two
    /// overlapping outages the one that ends first does not bring the channel back.
    down: u32,
    /// Latency spikes in force, by fault index, in the order they started: each adds its own
    /// draw, so overlapping spikes add up.
    extra: Vec<(u16, Dist<Duration>)>,
    /// Bandwidth drops in force, by fault index: their factors multiply.
    drops: Vec<(u16, f64)>,
    /// The product of `drops`' factors (1.0 with none).
    bandwidth_factor: f64,
}

impl Channel {
    /// An unordered LAN channel.
    pub fn lan(latency: Dist<Duration>, loss: f64, duplicate: f64, rng: Rng) -> Self {
        Channel {
            latency,
            loss,
            duplicate,
            bandwidth: None,
            paths: Vec::new(),
            rng,
            down: 0,
            extra: Vec::new(),
            drops: Vec::new(),
            bandwidth_factor: 1.0,
        }
    }

    /// A link direction with `paths` FIFO paths of `bandwidth` bytes/s each.
    pub fn link(
        latency: Dist<Duration>,
        loss: f64,
        duplicate: f64,
        bandwidth: u64,
        paths: u32,
        rng: Rng,
    ) -> Self {
        Channel {
            latency,
            loss,
            duplicate,
            bandwidth: Some(bandwidth.max(1)),
            paths: vec![Path::default(); paths.max(1) as usize],
            rng,
            down: 0,
            extra: Vec::new(),
            drops: Vec::new(),
            bandwidth_factor: 1.0,
        }
    }

    /// An outage starts (`true`: everything sent is lost) or one ends (`false`). The channel
    /// comes back when the last outage in force ends; an end with none in force does nothing.
    pub fn set_down(&mut self, down: bool) {
        self.down = if down {
            self.down.saturating_add(1)
        } else {
            self.down.saturating_sub(1)
        };
    }

    /// Fault `fault`'s latency spike starts (`Some`: every message from now on also takes a
    /// draw of `extra`) or ends (`None`). Spikes in force at once add up.
    pub fn set_extra_latency(&mut self, fault: u16, extra: Option<Dist<Duration>>) {
        in_force(&mut self.extra, fault, extra);
    }

    /// Fault `fault`'s bandwidth drop starts (`Some`: every path runs at `factor` of its
    /// bandwidth) or ends (`None`). Drops in force at once multiply.
    pub fn set_bandwidth_factor(&mut self, fault: u16, factor: Option<f64>) {
        in_force(&mut self.drops, fault, factor);
        self.bandwidth_factor = self.drops.iter().map(|(_, f)| f).product();
    }

    /// Sends `bytes` at `now`: decides the path, the transfer and latency, loss and duplication.
    pub fn transmit(&mut self, now: u64, bytes: u32) -> Delivery {
        if self.down > 0 {
            return Delivery::Lost;
        }
        let path = match self.paths.len() {
            0 | 1 => 0,
            n => self.rng.random_range(0..n),
        };
        let first = self.arrival(now, bytes, path);
        if self.loss > 0.0 && self.rng.random::<f64>() < self.loss {
            return Delivery::Lost;
        }
        if self.duplicate > 0.0 && self.rng.random::<f64>() < self.duplicate {
            let second = self.arrival(now, bytes, path);
            return Delivery::Twice(first, second);
        }
        Delivery::Once(first)
    }

    fn arrival(&mut self, now: u64, bytes: u32, path: usize) -> u64 {
        let mut latency = self.latency.sample(&mut self.rng);
        for (_, extra) in &self.extra {
            latency = latency.saturating_add(extra.sample(&mut self.rng));
        }
        let Some(p) = self.paths.get_mut(path) else {
            return now.saturating_add(latency);
        };
        let bw = match self.bandwidth {
            Some(b) if self.bandwidth_factor < 1.0 => {
                ((b as f64 * self.bandwidth_factor) as u64).max(1)
            }
            Some(b) => b,
            None => u64::MAX,
        };
        let transfer = (u128::from(bytes) * 1_000_000_000).div_ceil(u128::from(bw)) as u64;
        let start = now.max(p.free_at);
        p.free_at = start.saturating_add(transfer);
        let at = p.free_at.saturating_add(latency).max(p.last_arrival);
        p.last_arrival = at;
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{stream, ComponentId};

    fn rng() -> Rng {
        stream(1, ComponentId::Other(0))
    }

    fn us(n: u64) -> Dist<Duration> {
        Dist::Constant(Duration::from_us(n))
    }

    #[test]
    fn bandwidth_serialises_messages_on_a_path() {
        // 1 MB/s: 1000 bytes take 1 ms on the wire.
        let mut c = Channel::link(us(100), 0.0, 0.0, 1_000_000, 1, rng());
        assert_eq!(c.transmit(0, 1000), Delivery::Once(1_100_000));
        assert_eq!(c.transmit(0, 1000), Delivery::Once(2_100_000));
    }

    #[test]
    fn one_path_keeps_order_even_with_variable_latency() {
        let lat = Dist::Uniform {
            min: Duration::from_us(1),
            max: Duration::from_ms(5),
        };
        let mut c = Channel::link(lat, 0.0, 0.0, 1_000_000_000, 1, rng());
        let mut last = 0;
        for i in 0..1000 {
            let Delivery::Once(t) = c.transmit(i * 10, 64) else {
                panic!("no loss configured")
            };
            assert!(t >= last);
            last = t;
        }
    }

    #[test]
    fn several_paths_reorder() {
        let lat = Dist::Uniform {
            min: Duration::from_us(1),
            max: Duration::from_ms(5),
        };
        let mut c = Channel::link(lat, 0.0, 0.0, 1_000_000_000, 4, rng());
        let times: Vec<u64> = (0..200)
            .map(|i| match c.transmit(i * 10, 64) {
                Delivery::Once(t) => t,
                other => panic!("{other:?}"),
            })
            .collect();
        assert!(times.windows(2).any(|w| w[1] < w[0]), "expected overtaking");
    }

    #[test]
    fn faults_take_a_channel_down_slow_it_and_narrow_it() {
        let mut c = Channel::link(us(100), 0.0, 0.0, 1_000_000, 1, rng());
        c.set_down(true);
        assert_eq!(c.transmit(0, 1000), Delivery::Lost);
        c.set_down(false);
        c.set_extra_latency(0, Some(us(900)));
        assert_eq!(c.transmit(0, 1000), Delivery::Once(2_000_000));
        c.set_extra_latency(0, None);
        c.set_bandwidth_factor(0, Some(0.5));
        assert_eq!(c.transmit(10_000_000, 1000), Delivery::Once(12_100_000));
    }

    #[test]
    fn overlapping_faults_hold_until_the_last_one_ends() {
        let mut c = Channel::link(us(100), 0.0, 0.0, 1_000_000, 1, rng());
        c.set_down(true);
        c.set_down(true);
        c.set_down(false);
        assert_eq!(
            c.transmit(0, 1000),
            Delivery::Lost,
            "one outage still in force"
        );
        c.set_down(false);
        assert_eq!(c.transmit(0, 1000), Delivery::Once(1_100_000));
        c.set_extra_latency(3, Some(us(900)));
        c.set_extra_latency(4, Some(us(9_000)));
        c.set_extra_latency(3, None);
        assert_eq!(c.transmit(20_000_000, 1000), Delivery::Once(30_100_000));
        c.set_extra_latency(4, None);
        c.set_bandwidth_factor(5, Some(0.5));
        c.set_bandwidth_factor(6, Some(0.5));
        assert_eq!(c.transmit(40_000_000, 1000), Delivery::Once(44_100_000));
        c.set_bandwidth_factor(5, None);
        assert_eq!(c.transmit(50_000_000, 1000), Delivery::Once(52_100_000));
        c.set_bandwidth_factor(6, None);
        assert_eq!(c.transmit(60_000_000, 1000), Delivery::Once(61_100_000));
    }

    #[test]
    fn loss_and_duplication_follow_their_probabilities() {
        let mut c = Channel::lan(us(10), 0.1, 0.2, rng());
        let (mut lost, mut twice) = (0, 0);
        for i in 0..20_000 {
            match c.transmit(i, 64) {
                Delivery::Lost => lost += 1,
                Delivery::Twice(..) => twice += 1,
                Delivery::Once(_) => {}
            }
        }
        assert!((1800..2200).contains(&lost), "{lost}");
        assert!((3300..3900).contains(&twice), "{twice}");
    }
}
