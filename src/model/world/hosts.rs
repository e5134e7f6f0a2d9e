//! The hosts: issuing their writes into the primaries' write stages and completing them, and
//! telling the checker what each host saw.

use crate::check::WriteId;
use crate::engine::Scheduler;
use crate::model::workload::HostOut;
use crate::protocol::WriteMeta;

use super::inflight::Owner;
use super::{Event, World, WRITE};

impl World {
    pub(super) fn complete_host(&mut self, id: WriteId, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let Some(owner) = self.inflight.remove(id) else {
            return;
        };
        self.stats.completed += 1;
        let latency = self.checker.completed(id, now);
        if self.wants.completed {
            for w in &mut self.watchers {
                w.completed(now, id, latency);
            }
        }
        let mut out = std::mem::take(&mut self.host_out);
        self.hosts[usize::from(owner.host)].completed(now, owner.tag, &mut out);
        self.after_host(owner.host, &mut out, sched);
        self.host_out = out;
    }

    /// Issues the writes and schedules the wake-ups a workload asked for.
    pub(super) fn after_host(
        &mut self,
        host: u16,
        out: &mut HostOut,
        sched: &mut Scheduler<Event>,
    ) {
        let now = sched.now();
        for (at, tag) in out.wakes.drain(..) {
            sched.at(at, Event::Wake { host, tag });
        }
        for issue in out.issues.drain(..) {
            let id = self.next_write;
            self.next_write += 1;
            self.stats.issued += 1;
            if self.stats.issued - self.stats.completed > self.max_writes_in_flight {
                self.writes_over_limit = true;
            }
            self.checker
                .issued(id, issue.addr, issue.size, issue.label.as_deref(), now);
            if !issue.role.is_none() {
                self.checker.set_label(id, issue.role);
            }
            for w in &mut self.watchers {
                w.issued(
                    now,
                    id,
                    issue.addr,
                    issue.size,
                    issue.label.as_deref(),
                    issue.role,
                );
            }
            if let Some(l) = issue.label {
                self.labels.insert(id, l);
            }
            self.inflight.insert(
                id,
                Owner {
                    host,
                    tag: issue.tag,
                },
            );
            let pair = issue.addr.subsystem;
            let p = &mut self.pairs[usize::from(pair)];
            let svc = p.write_time.sample(&mut p.primary_rng);
            p.offer(WRITE, now, svc, self.load_until);
            let w = WriteMeta {
                id,
                addr: issue.addr,
                size: issue.size,
                stamp: 0,
                arrived: p.clock.local(now),
            };
            if let Some((w, t)) = p.write_stage.arrive(w, svc) {
                sched.after(t, Event::WriteServed { pair, write: w });
            }
        }
    }
}
