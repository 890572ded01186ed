//! The collector item results go into from many threads: [`Gathered`]
//! totals, sharded by thread ([`Shards`]). Merging is order-independent, so
//! a report never depends on thread timing.

use std::path::Path;
use std::sync::Mutex;

use super::notices::Notices;
use super::report::Bounded;

/// The id of an item file that was checked already, or `None` to read it.
pub type Checked<'a> = &'a (dyn Fn(&Path) -> Option<&'a str> + Sync);

/// Everything gathered while checking items, merged across threads.
pub(super) struct Gathered {
    pub(super) findings: Bounded,
    pub(super) notices: Notices,
    /// (item link index, item id) of every item read.
    pub(super) ids: Vec<(usize, Box<str>)>,
    /// Item links whose file does not exist.
    pub(super) broken: Vec<usize>,
    pub(super) remote_assets: usize,
    pub(super) items: usize,
}

impl Gathered {
    pub(super) fn new(limit: usize) -> Self {
        Gathered {
            findings: Bounded::new(limit),
            notices: Notices::default(),
            ids: Vec::new(),
            broken: Vec::new(),
            remote_assets: 0,
            items: 0,
        }
    }

    pub(super) fn merge(&mut self, other: Gathered) {
        self.findings.absorb(other.findings);
        self.notices.merge(other.notices);
        self.ids.extend(other.ids);
        self.broken.extend(other.broken);
        self.remote_assets += other.remote_assets;
        self.items += other.items;
    }
}

/// [`Gathered`] results sharded by thread, to keep lock waits short while
/// many threads add to them. Merging is order-independent, so the totals do
/// not depend on which thread added what.
pub(super) struct Shards {
    shards: Vec<Mutex<Gathered>>,
}

impl Shards {
    pub(super) fn new(limit: usize) -> Self {
        // The I/O pool has at most 32 threads unless told otherwise; more
        // threads than shards only share locks.
        Shards { shards: (0..32).map(|_| Mutex::new(Gathered::new(limit))).collect() }
    }

    pub(super) fn add(&self, gathered: Gathered) {
        let shard = rayon::current_thread_index().unwrap_or(0) % self.shards.len();
        self.shards[shard].lock().unwrap_or_else(|e| e.into_inner()).merge(gathered);
    }

    /// Moves everything added so far into `into`.
    pub(super) fn drain_into(&self, into: &mut Gathered) {
        for shard in &self.shards {
            let mut slot = shard.lock().unwrap_or_else(|e| e.into_inner());
            into.merge(std::mem::replace(&mut *slot, Gathered::new(0)));
        }
    }
}
