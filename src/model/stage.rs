//! A service stage: a FIFO queue in front of a fixed number of servers. Subsystems use one to
//! serve host writes, one to ship copies and one to apply them; a loaded stage delays what follows.

use std::collections::VecDeque;

/// A multi-server FIFO stage; the caller supplies each job's service time and schedules its end.
#[derive(Debug)]
pub struct Stage<J> {
    servers: u32,
    busy: u32,
    waiting: VecDeque<(J, u64)>,
}

impl<J> Stage<J> {
    /// A stage with `servers` servers (at least one).
    pub fn new(servers: u32) -> Self {
        Stage {
            servers: servers.max(1),
            busy: 0,
            waiting: VecDeque::new(),
        }
    }

    /// A job arrives needing `service` ns; returns it back if a server takes it now, so the
    /// caller schedules its departure `service` from now. Otherwise it waits its turn.
    pub fn arrive(&mut self, job: J, service: u64) -> Option<(J, u64)> {
        if self.busy < self.servers {
            self.busy += 1;
            Some((job, service))
        } else {
            self.waiting.push_back((job, service));
            None
        }
    }

    /// A job departed; returns the next waiting job if one now starts.
    pub fn depart(&mut self) -> Option<(J, u64)> {
        match self.waiting.pop_front() {
            Some(next) => Some(next),
            None => {
                self.busy = self.busy.saturating_sub(1);
                None
            }
        }
    }

    /// Jobs waiting or in service.
    pub fn occupancy(&self) -> usize {
        self.waiting.len() + self.busy as usize
    }

    /// Drops every waiting job (a crash); jobs in service still depart.
    pub fn clear_waiting(&mut self) {
        self.waiting.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_server_serves_in_fifo_order() {
        let mut s = Stage::new(1);
        assert_eq!(s.arrive('a', 5), Some(('a', 5)));
        assert_eq!(s.arrive('b', 6), None);
        assert_eq!(s.arrive('c', 7), None);
        assert_eq!(s.occupancy(), 3);
        assert_eq!(s.depart(), Some(('b', 6)));
        assert_eq!(s.depart(), Some(('c', 7)));
        assert_eq!(s.depart(), None);
        assert_eq!(s.occupancy(), 0);
    }

    #[test]
    fn servers_work_in_parallel() {
        let mut s = Stage::new(2);
        assert!(s.arrive(1, 1).is_some());
        assert!(s.arrive(2, 1).is_some());
        assert!(s.arrive(3, 1).is_none());
        assert_eq!(s.depart(), Some((3, 1)));
        assert_eq!(s.depart(), None);
        assert_eq!(s.depart(), None);
        assert!(s.arrive(4, 1).is_some());
    }
}
